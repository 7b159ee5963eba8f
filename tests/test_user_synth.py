"""A plain ``cdk8s synth`` in a user's own project is quiet with the README's two variables.

The project lives outside the repository, as a user's does; its app uses the library. Run
bare, the cdk8s CLI prints its upgrade-check stack trace and jsii its Node end-of-life
banner (on Node 20); with the README's block, neither appears.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from tests.helpers import ROOT

APP = """\
import cdk8s
from mxnet_construct import MXNetChart

app = cdk8s.App()
MXNetChart(app, "team", mode="distributed")
app.synth()
"""
NOISE = ("end-of-life", "A new version", "Error:", "    at ")


def readme_block() -> str:
    """The README's command block for synthesizing in your own project."""
    readme = (ROOT / "README.md").read_text()
    section = readme.split("### In your own cdk8s project", 1)[1].split("\n### ", 1)[0]
    blocks = re.findall(r"```sh\n(.*?)```", section, flags=re.DOTALL)
    [block] = [b for b in blocks if re.search(r"^cdk8s synth$", b, flags=re.MULTILINE)]
    return block


@pytest.fixture
def project(tmp_path: Path) -> Path:
    assert not tmp_path.resolve().is_relative_to(ROOT)
    (tmp_path / "app.py").write_text(APP)
    (tmp_path / "cdk8s.yaml").write_text("language: python\napp: python app.py\n")
    return tmp_path


def user_shell(script: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    # A user's shell: their venv's python and the cdk8s CLI on PATH, none of our variables.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JSII_", "CDK8S_"))}
    env["PATH"] = os.pathsep.join([str(ROOT / ".venv/bin"), str(ROOT / "node_modules/.bin"), env["PATH"]])
    return subprocess.run(["bash", "-c", script], cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


def test_the_readme_block_makes_cdk8s_synth_quiet(project: Path) -> None:
    result = user_shell("set -e\n" + readme_block(), project)
    assert result.returncode == 0, result.stderr
    output = result.stdout + result.stderr
    assert [n for n in NOISE if n in output] == [], output
    assert (project / "dist" / "team.k8s.yaml").is_file()


def test_without_it_the_jsii_banner_shows(project: Path) -> None:
    # What the README's block is for: on Node 20 jsii prints its banner in every synth.
    node_major = subprocess.run(["node", "-p", "process.versions.node.split('.')[0]"], capture_output=True, text=True)
    if node_major.stdout.strip() != "20":
        pytest.fail("this machine runs Node 20 (see README's Node section); update the test with it")
    result = user_shell("CDK8S_CHECK_UPGRADE=false cdk8s synth", project)
    assert result.returncode == 0, result.stderr
    assert "end-of-life" in result.stdout + result.stderr
