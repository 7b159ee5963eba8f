"""The README can't drift: generated blocks are fresh, its code runs, its links resolve."""

from __future__ import annotations

import dataclasses
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from mxnet_construct import _docgen, diagram
from mxnet_construct.options import MXNetOptions
from tests.helpers import ROOT, validate_documents

README = (ROOT / "README.md").read_text()


def test_generated_blocks_are_up_to_date() -> None:
    for name, body in _docgen.blocks().items():
        assert _docgen.replace_block(README, name, body) == README, (
            f"README.md's {name} block is stale: run `{_docgen.REGENERATE}` and commit README.md"
        )


def test_check_mode_reports_a_stale_readme(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    stale = tmp_path / "README.md"
    stale.write_text(README.replace("| `worker_count` |", "| `workers` |"))
    monkeypatch.setattr(_docgen, "README", stale)
    assert _docgen.main(["--check"]) == 1
    assert _docgen.main(["--no-svg"]) == 0
    assert stale.read_text() == README
    assert _docgen.main(["--check"]) == 0


def test_every_option_is_in_the_reference_with_its_default() -> None:
    block = README.split("<!-- options:start -->")[1].split("<!-- options:end -->")[0]
    for f in dataclasses.fields(MXNetOptions):
        assert f"| `{f.name}` |" in block, f.name
    assert '| `mode` | `"standalone" \\| "distributed"` | `"standalone"` |' in block
    assert "| `scheduler_port` | `int` | `49875` |" in block
    assert "| `readiness_probe` | `Probe` | `Probe(timeout_seconds=1)` |" in block
    for heading in (
        "Image",
        "Probe",
        "Persistence",
        "RoleOptions",
        "JobOptions",
        "NetworkPolicyOptions",
        "SecurityContext",
    ):
        assert f"\n### `{heading}`\n" in block


def test_an_undocumented_option_fails_the_generator() -> None:
    @dataclasses.dataclass(frozen=True, kw_only=True)
    class Half:
        """Documents one field of two.

        Args:
            documented: Has a meaning.
        """

        documented: int = 1
        forgotten: int = 2

    with pytest.raises(_docgen.DocError, match=r"Half: .* forgotten"):
        _docgen._table(Half)


def test_args_sections_parse_shared_and_continued_entries() -> None:
    class Sample:
        """Summary.

        Args:
            alpha, beta: Shared text
                that continues here.
            gamma: Own text.

        Returns:
            not an argument: ignored.
        """

    assert _docgen._args_section(Sample) == {
        "alpha": "Shared text that continues here.",
        "beta": "Shared text that continues here.",
        "gamma": "Own text.",
    }


def test_missing_markers_are_an_error() -> None:
    with pytest.raises(_docgen.DocError, match="options:start"):
        _docgen.replace_block("# no markers\n", "options", "x\n")


def test_readme_shows_the_two_setup_commands() -> None:
    setup = README.split("## Set up")[1].split("\n## ")[0]
    commands = re.findall(r"^(make \w+)", setup, flags=re.MULTILINE)
    assert commands == ["make synth", "make test"]
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^synth:", makefile, re.MULTILINE) and re.search(r"^test:", makefile, re.MULTILINE)


def test_readme_links_to_files_that_exist() -> None:
    links = re.findall(r"\]\(((?!https?://|#)[^)\s]+)\)", README)
    assert links
    missing = [link for link in links if not (ROOT / link.split("#")[0]).exists()]
    assert missing == []


def test_the_committed_picture_shows_the_default_app() -> None:
    svg = (ROOT / "docs" / "topology.svg").read_text()
    import html

    text = html.unescape(svg)
    topo = diagram.build(diagram.load_documents(_docgen.TOPOLOGY_SOURCE))
    for group in topo.groups:
        for node in group.nodes:
            assert node.title in text, f"docs/topology.svg is stale ({node.title} missing): run `{_docgen.REGENERATE}`"


def python_blocks() -> list[str]:
    blocks = re.findall(r"```python\n(.*?)```", README, flags=re.DOTALL)
    return [b for b in blocks if "app.synth()" in b]


@pytest.mark.parametrize("index", range(len(python_blocks())))
def test_readme_python_examples_run_and_synthesize_valid_objects(index: int, tmp_path: Path) -> None:
    script = tmp_path / "readme_example.py"
    script.write_text(python_blocks()[index])
    env = {**os.environ, "CDK8S_OUTDIR": str(tmp_path / "out"), "CDK8S_CHECK_UPGRADE": "false"}
    proc = subprocess.run(
        [sys.executable, str(script)], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr
    docs = [d for f in sorted((tmp_path / "out").glob("*.k8s.yaml")) for d in yaml.safe_load_all(f.read_text()) if d]
    assert docs
    validate_documents(docs)
    assert diagram.build(docs).warnings == []


def test_the_subclassing_guide_changes_only_the_workers(tmp_path: Path) -> None:
    [block] = [b for b in python_blocks() if "worker_pool_class" in b]
    script = tmp_path / "guide.py"
    script.write_text(block)
    env = {**os.environ, "CDK8S_OUTDIR": str(tmp_path), "CDK8S_CHECK_UPGRADE": "false"}
    subprocess.run([sys.executable, str(script)], cwd=tmp_path, env=env, check=True, capture_output=True, timeout=300)
    docs = list(yaml.safe_load_all((tmp_path / "profiled.k8s.yaml").read_text()))
    containers = {
        d["metadata"]["name"]: [c["name"] for c in d["spec"]["template"]["spec"]["containers"]]
        for d in docs
        if d["kind"] in ("Deployment", "StatefulSet")
    }
    assert containers == {
        "profiled-mxnet-scheduler": ["mxnet"],
        "profiled-mxnet-server": ["mxnet"],
        "profiled-mxnet-worker": ["mxnet", "profiler"],
    }
