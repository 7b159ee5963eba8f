"""The built wheel, installed into a fresh venv outside the repository: shared fixtures.

``tests/test_packaging.py`` (the artifacts, the consumer app) and ``tests/test_outside_app.py``
(issue 13's cdk8s idioms) load this module with ``pytest_plugins``, so the wheel is built
and installed once per session however many of them run. ``python -m build`` builds the
wheel from the sdist, so a file missing from the sdist also goes missing from the wheel.
The consumer venv gets the wheel (with the dev environment's versions, from
``constraints.txt``) and mypy; ``tests/consumer_app`` is copied next to it and run from
there, so the repository's source tree cannot shadow the installed package.
"""

from __future__ import annotations

import importlib.metadata
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.helpers import ROOT

PACKAGE_DIR = ROOT / "mxnet_construct"
CONSUMER_APP = Path(__file__).parent / "consumer_app"


def clean_env(**extra: str) -> dict[str, str]:
    """The environment a user's shell would have: nothing pointing back into this repo."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "CDK8S_OUTDIR")}
    env.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
    env["CDK8S_CHECK_UPGRADE"] = "false"
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    env.update(extra)
    return env


def run(cmd: list[str | Path], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [str(c) for c in cmd], cwd=cwd, env=clean_env(**env), capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, (
        f"{' '.join(map(str, cmd))} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
    )
    return result


def package_files_in_repo() -> set[str]:
    return {
        p.relative_to(ROOT).as_posix()
        for p in PACKAGE_DIR.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"
    }


@dataclass(frozen=True)
class Dists:
    wheel: Path
    sdist: Path


@pytest.fixture(scope="session")
def dists(tmp_path_factory: pytest.TempPathFactory) -> Dists:
    # --outdir keeps the artifacts out of the repository, whose dist/ holds synthesized YAML.
    out = tmp_path_factory.mktemp("dists")
    run([sys.executable, "-m", "build", "--outdir", out, ROOT], cwd=ROOT)
    wheels, sdists = sorted(out.glob("*.whl")), sorted(out.glob("*.tar.gz"))
    assert len(wheels) == 1 and len(sdists) == 1, f"expected one wheel and one sdist, got {os.listdir(out)}"
    return Dists(wheel=wheels[0], sdist=sdists[0])


@dataclass(frozen=True)
class Consumer:
    python: Path
    bin_dir: Path
    venv: Path
    app_dir: Path


@pytest.fixture(scope="session")
def consumer(dists: Dists, tmp_path_factory: pytest.TempPathFactory) -> Consumer:
    base = tmp_path_factory.mktemp("consumer")
    assert not base.resolve().is_relative_to(ROOT), "the consumer must live outside the repository"
    venv = base / "venv"
    # The venv gets no pip of its own: this interpreter's pip installs into it with
    # --python, which saves the ensurepip step. Same mypy as the dev extra, so the pip
    # cache serves it and the strictness matches `make lint`.
    run([sys.executable, "-m", "venv", "--without-pip", venv], cwd=base)
    python = venv / "bin" / "python"
    mypy = f"mypy=={importlib.metadata.version('mypy')}"
    run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            python,
            "install",
            "--quiet",
            "-c",
            ROOT / "constraints.txt",
            dists.wheel,
            mypy,
        ],
        cwd=base,
    )
    app_dir = base / "app"
    shutil.copytree(CONSUMER_APP, app_dir, ignore=shutil.ignore_patterns("__pycache__", ".mypy_cache", "dist"))
    return Consumer(python=python, bin_dir=venv / "bin", venv=venv, app_dir=app_dir)
