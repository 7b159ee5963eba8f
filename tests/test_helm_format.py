"""``cdk8s synth --format helm`` with this repository's app: the chart it writes is well-formed.

For teams that must hand a Helm chart to others (docs/helm-format.md). The pinned cdk8s
CLI writes ``Chart.yaml``, a ``README.md``, the synthesized manifests under ``templates/``
and, for a v2 chart, the CRDs listed under ``imports`` in ``cdk8s.yaml`` under ``crds/``.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.helpers import ROOT

CDK8S = ROOT / "node_modules" / ".bin" / "cdk8s"
CHART_VERSION = "0.1.0"
# Helm's rule for chart versions: SemVer 2.
SEMVER = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$")


def _env(**extra: str) -> dict[str, str]:
    return {**os.environ, "CDK8S_CHECK_UPGRADE": "false", **extra}


def cdk8s_synth(*args: str) -> subprocess.CompletedProcess[str]:
    # The app runs with this test's interpreter: the same one `.venv/bin/python app.py` names.
    return subprocess.run(
        [str(CDK8S), "synth", "--app", f"{sys.executable} app.py", *args],
        cwd=ROOT,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture(scope="module")
def helm_chart(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("helm") / "chart"
    out.mkdir()
    # The CLI empties the output directory first; the docs warn about it, this checks it.
    (out / "stale.k8s.yaml").write_text("kind: Stale\n")
    result = cdk8s_synth("--format", "helm", "--chart-version", CHART_VERSION, "--output", str(out))
    assert result.returncode == 0, result.stdout + result.stderr
    return out


@pytest.fixture(scope="module")
def plain_output(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    out = tmp_path_factory.mktemp("plain")
    subprocess.run(
        [sys.executable, "app.py"], cwd=ROOT, env=_env(CDK8S_OUTDIR=str(out)), check=True, capture_output=True
    )
    return {p.name: p.read_text() for p in sorted(out.glob("*.yaml"))}


def _cdk8s_config() -> dict[str, Any]:
    config: dict[str, Any] = yaml.safe_load((ROOT / "cdk8s.yaml").read_text())
    return config


def _imported_crds() -> list[Path]:
    """The CRD files cdk8s.yaml imports (``NAME:=`` prefixes and k8s/helm imports aside)."""
    sources = [entry.split(":=")[-1] for entry in _cdk8s_config().get("imports") or []]
    return [ROOT / s for s in sources if s != "k8s" and not s.startswith(("k8s@", "helm:"))]


def test_chart_yaml_has_the_fields_helm_requires(helm_chart: Path) -> None:
    chart = yaml.safe_load((helm_chart / "Chart.yaml").read_text())
    assert chart["apiVersion"] == "v2"
    assert chart["version"] == CHART_VERSION and SEMVER.match(chart["version"])
    # The CLI names the chart after the directory it runs in.
    assert chart["name"] == ROOT.name
    assert chart["name"] and "/" not in chart["name"]
    assert chart["type"] == "application"


def test_chart_holds_only_helm_files_and_the_output_dir_was_emptied(
    helm_chart: Path, plain_output: dict[str, str]
) -> None:
    files = {p.relative_to(helm_chart).as_posix() for p in helm_chart.rglob("*") if p.is_file()}
    expected = {"Chart.yaml", "README.md"}
    expected |= {f"templates/{name}" for name in plain_output}
    expected |= {f"crds/{path.stem}.yaml" for path in _imported_crds()}
    assert files == expected


def test_templates_parse_and_equal_the_plain_synthesis(helm_chart: Path, plain_output: dict[str, str]) -> None:
    assert plain_output, "app.py synthesized nothing"
    for name, text in plain_output.items():
        template = (helm_chart / "templates" / name).read_text()
        docs = list(yaml.safe_load_all(template))
        assert docs and all(isinstance(d, dict) and d.get("kind") and d.get("apiVersion") for d in docs)
        assert docs == list(yaml.safe_load_all(text))
        assert template == text


def test_templates_contain_no_go_template_delimiters(helm_chart: Path) -> None:
    # Helm renders everything under templates/ with Go templates; a literal "{{" in a
    # manifest (a script in a ConfigMap, say) would be evaluated or fail the install.
    for path in sorted((helm_chart / "templates").glob("*.yaml")):
        text = path.read_text()
        assert "{{" not in text and "}}" not in text, path.name


def test_crds_are_the_imported_definitions(helm_chart: Path) -> None:
    crds = _imported_crds()
    assert crds, "cdk8s.yaml imports no CRDs; update docs/helm-format.md if that is intended"
    for source in crds:
        copied = (helm_chart / "crds" / f"{source.stem}.yaml").read_text()
        assert copied == source.read_text()
        # The JobSet CRD is 800 kB: the C loader parses it in a fraction of the time.
        docs = list(yaml.load_all(copied, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)))
        assert docs and all(d["kind"] == "CustomResourceDefinition" for d in docs)


def test_chart_api_v1_is_refused_while_cdk8s_yaml_imports_crds(tmp_path: Path) -> None:
    result = cdk8s_synth(
        "--format",
        "helm",
        "--chart-version",
        CHART_VERSION,
        "--chart-api-version",
        "v1",
        "--output",
        str(tmp_path / "v1"),
    )
    assert result.returncode != 0
    assert "CRDs, which are not supported when '--chart-api-version' is set to v1" in result.stderr
    assert not (tmp_path / "v1").exists()


def test_helm_format_requires_a_semver_chart_version(tmp_path: Path) -> None:
    result = cdk8s_synth("--format", "helm", "--chart-version", "1.0", "--output", str(tmp_path / "bad"))
    assert result.returncode != 0
    assert "does not follow SemVer-2" in result.stderr
