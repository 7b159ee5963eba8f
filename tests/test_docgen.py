"""docs/options.md lists every argument MXNetChart takes, read from its source."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest

from mxnet_construct import MXNetChart, _docgen


def test_every_chart_argument_is_in_the_options_reference() -> None:
    params = inspect.signature(MXNetChart.__init__).parameters.values()
    expected = [p.name for p in params if p.name != "self" and p.kind is not inspect.Parameter.VAR_KEYWORD]
    assert [name for name, _, _ in _docgen.chart_arguments()] == expected
    page = _docgen.options_markdown()
    for name in expected:
        assert f"| `{name}` |" in page
    assert "checkov_skips=False" in page.splitlines()[2]


def test_an_undocumented_chart_argument_is_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = tmp_path / "chart.py"
    source.write_text(
        _docgen.CHART_SOURCE.read_text().replace(
            "checkov_skips: bool = False,", "checkov_skips: bool = False,\n        dry_run: bool = False,"
        )
    )
    monkeypatch.setattr(_docgen, "CHART_SOURCE", source)
    with pytest.raises(_docgen.DocError, match="dry_run"):
        _docgen.options_markdown()
