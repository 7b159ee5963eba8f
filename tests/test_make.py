"""The Makefile's release-safety targets: a failed ``make synth`` keeps ``dist/``, and
``make wheel`` writes outside it."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.helpers import ROOT

# A one-object app: the test is about the Makefile, not the library.
GOOD_APP = """\
import cdk8s
app = cdk8s.App()
chart = cdk8s.Chart(app, "new")
cdk8s.ApiObject(chart, "cm", api_version="v1", kind="ConfigMap", metadata={"name": "new"})
app.synth()
"""
BROKEN_APP = "raise SystemExit('the app failed half-way')\n"


def make_synth(project: Path, app: str) -> subprocess.CompletedProcess[str]:
    """``make synth`` of the repository's Makefile, run in ``project`` with ``app`` as its app."""
    (project / "app.py").write_text(app)
    (project / "cdk8s.yaml").write_text(f"language: python\napp: {ROOT / '.venv/bin/python'} app.py\n")
    env = dict(os.environ, CDK8S_CHECK_UPGRADE="false")
    return subprocess.run(
        [
            "make",
            "-s",
            "-f",
            str(ROOT / "Makefile"),
            "-o",
            "setup",
            "synth",
            f"CDK8S={ROOT / 'node_modules/.bin/cdk8s'}",
        ],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.fixture
def released(tmp_path: Path) -> Path:
    """A project whose committed ``dist/`` holds a release."""
    (tmp_path / "dist").mkdir()
    (tmp_path / "dist" / "release.k8s.yaml").write_text("kind: ConfigMap\n")
    return tmp_path


def test_a_failed_synth_leaves_dist_intact(released: Path) -> None:
    result = make_synth(released, BROKEN_APP)
    assert result.returncode != 0
    assert "synth failed: dist/ left as it was" in result.stderr
    assert [p.name for p in (released / "dist").iterdir()] == ["release.k8s.yaml"]
    assert (released / "dist" / "release.k8s.yaml").read_text() == "kind: ConfigMap\n"
    assert sorted(p.name for p in released.iterdir()) == ["app.py", "cdk8s.yaml", "dist"], "temporary folder left"


def test_a_good_synth_replaces_dist_whole(released: Path) -> None:
    result = make_synth(released, GOOD_APP)
    assert result.returncode == 0, result.stderr
    # The old file is gone (the new output replaces the folder), the new one is there.
    assert [p.name for p in (released / "dist").iterdir()] == ["new.k8s.yaml"]
    assert oct((released / "dist").stat().st_mode & 0o777) == oct(0o755)
    assert sorted(p.name for p in released.iterdir()) == ["app.py", "cdk8s.yaml", "dist"]


def test_wheel_goes_under_build_and_dist_ignores_packages() -> None:
    plan = subprocess.run(
        ["make", "-n", "-o", "$(VENV)/.stamp", "-o", ".venv/.stamp", "wheel"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert ".venv/bin/python -m build --outdir build/wheel ." in plan
    ignored = subprocess.run(
        ["git", "check-ignore", "dist/mxnet_construct-1.0-py3-none-any.whl", "dist/mxnet_construct-1.0.tar.gz"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    ).stdout.split()
    assert ignored == ["dist/mxnet_construct-1.0-py3-none-any.whl", "dist/mxnet_construct-1.0.tar.gz"]
    # The manifests themselves stay tracked.
    assert subprocess.run(["git", "check-ignore", "-q", "dist/mxnet-example.k8s.yaml"], cwd=ROOT).returncode == 1
