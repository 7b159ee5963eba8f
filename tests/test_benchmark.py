"""The benchmark's own logic: its baseline emits the library's documents, its ratios and notes.

The timings themselves are not tested (they depend on the machine); what is tested is what
would make the figures lie: a baseline that emits something else than the library, a
ratio to a slope that noise pushed to zero, a Helm figure without a chart.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))
import paired
import scenarios
import synth


def test_baseline_emits_exactly_the_library_documents(monkeypatch: pytest.MonkeyPatch) -> None:
    import cdk8s

    releases = scenarios.dump_documents("default", 2, [])
    assert [d["metadata"]["name"] for d in releases[1] if d["kind"] == "StatefulSet"] == [
        "release-1-mxnet-server",
        "release-1-mxnet-worker",
    ]
    scenarios.check_baseline(releases)
    # The check has teeth: a baseline whose patches lose a field is caught.
    add = cdk8s.JsonPatch.add

    def lossy_add(path: str, value: Any) -> cdk8s.JsonPatch:
        return add(path, {} if path == "/spec" else value)

    monkeypatch.setattr(cdk8s.JsonPatch, "add", staticmethod(lossy_add))
    with pytest.raises(AssertionError, match="release-0"):
        scenarios.check_baseline(releases)


def test_baseline_refuses_metadata_it_cannot_map() -> None:
    import cdk8s

    doc = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x", "finalizers": ["f"]}}
    with pytest.raises(ValueError, match=r"\['finalizers'\] of ConfigMap"):
        scenarios.build_baseline(cdk8s.App(), [[doc]])


def test_the_default_release_is_the_issues_release() -> None:
    assert scenarios.DEFAULT_RELEASE == {"mode": "distributed", "server_count": 2, "worker_count": 3}
    assert synth.HELM_SET == "mode=distributed,serverCount=2,workerCount=3"


@pytest.mark.parametrize(
    ("num", "den", "expected"),
    [(3.0, 4.0, 0.75), (3.0, 0.0, None), (3.0, -2.0, None), (-1.0, 2.0, None), (1.0, None, None)],
)
def test_ratio_is_none_when_a_slope_is_noise(num: float, den: float | None, expected: float | None) -> None:
    assert synth.ratio(num, den) == expected


def test_paired_ratio_is_the_median_of_each_pairs_ratio() -> None:
    # Pair 2 ran in a slow phase of the machine: both sides slowed, its ratio did not.
    figures = paired.summarize([12.0, 36.0, 15.0], [10.0, 30.0, 10.0])
    assert figures["ratio_median"] == pytest.approx(1.2)
    assert (figures["ratio_min"], figures["ratio_max"]) == (pytest.approx(1.2), pytest.approx(1.5))
    assert (figures["library_ms_median"], figures["baseline_ms_median"]) == (15.0, 10.0)
    with pytest.raises(ValueError, match="one library and one baseline time per pair"):
        paired.summarize([1.0], [])


def test_slope_is_the_least_squares_slope() -> None:
    assert synth.slope([(1, 5.0), (10, 50.0), (100, 500.0)]) == pytest.approx(5.0)


def test_helm_inputs_say_why_helm_is_not_measured(tmp_path: Path) -> None:
    helm = tmp_path / "helm"
    assert synth.helm_inputs(helm, None).startswith("helm ratio not measured: no chart")  # type: ignore[union-attr]
    assert "no chart" in str(synth.helm_inputs(helm, str(tmp_path)))
    (tmp_path / "Chart.yaml").write_text("name: mxnet\n")
    assert "no helm binary" in str(synth.helm_inputs(helm, str(tmp_path)))
    helm.write_text("#!/bin/sh\n")
    helm.chmod(0o755)
    assert synth.helm_inputs(helm, str(tmp_path)) == (str(helm), str(tmp_path))


def _results(library_ms: float, baseline_ms: float, helm_ms: float | None) -> dict[str, Any]:
    def row(wall: float) -> dict[str, Any]:
        return {"wall_s": wall, "cpu_s": wall, "construct_s": 0.0, "synth_s": wall, "tree_rss_mb": 100.0}

    results = {"floor": row(1.0), "app": row(1.1), "import": {**row(0.1), "jsii_modules": []}}
    for n in (1, 10, 100):
        results[f"library {n}"] = row(1.0 + n * library_ms / 1000)
        results[f"baseline {n}"] = row(1.0 + n * baseline_ms / 1000)
    if helm_ms is not None:
        results["helm"] = row(helm_ms / 1000)
    return results


def test_evaluate_checks_the_issues_budgets() -> None:
    derived, checks = synth.evaluate(_results(30, 50, 70), (1, 10, 100), ["library", "baseline"])
    assert derived["baseline_ratio"] == pytest.approx(0.6)
    assert derived["helm_ratio"] == pytest.approx(30 / 70)
    by_name = {c["budget"]: c for c in checks}
    assert by_name["library / naive tree-native baseline, per release (wall)"]["ok"] is True
    assert by_name["library / helm template, per release (wall)"]["ok"] is True
    assert by_name["default app / floor (wall)"]["ok"] is True
    assert by_name["default app / floor (CPU)"]["ok"] is True
    assert derived["app_cpu_ratio"] == pytest.approx(1.1)

    derived, checks = synth.evaluate(_results(45, 50, 70), (1, 10, 100), ["library", "baseline"])
    by_name = {c["budget"]: c for c in checks}
    assert by_name["library / naive tree-native baseline, per release (wall)"]["ok"] is False
    assert by_name["library / helm template, per release (wall)"]["ok"] is False


def test_evaluate_without_a_chart_says_so() -> None:
    note = "helm ratio not measured: no chart (pass --chart DIR)"
    _, checks = synth.evaluate(_results(30, 50, None), (1, 10, 100), ["library", "baseline"], note)
    helm_checks = [c for c in checks if "helm" in c["budget"]]
    assert len(helm_checks) == 2
    assert all(c["value"] == note and c["ok"] is None for c in helm_checks)
