"""``run-local --code DIR`` and the MXNet interpreter check.

A release whose code is in git cannot clone it locally (pods have no network): ``--code``
gives the pods a copy of a local checkout where the clone would have put it. The
interpreter that the pods' ``python3`` runs must import mxnet and numpy, checked before any
pod starts. The training test runs real MXNet (``.mxnet-venv``) in the runc sandbox.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
import sysconfig
import time
import tomllib
from pathlib import Path
from typing import Any

import pytest
from packaging.requirements import Requirement

from mxnet_construct import Entrypoint, GitRepository, LocalFiles, cli
from mxnet_construct.runner import RunLocalError, plan, run_local
from mxnet_construct.runner.checkout import copy_tree, use_checkout
from mxnet_construct.runner.interpreter import INSTALL
from tests.helpers import ROOT, make_chart, synth, synth_yaml
from tests.test_runner import FINAL, MXNET_PYTHON, needs_sandbox, pod, sh

GIT = GitRepository(repository="https://git.example.com/team/trainer.git", revision="main")
TRAIN = ROOT / "examples" / "distributed_training" / "train.py"
RUN_SH = """\
set -e
echo "code $(cat VERSION) in $(pwd)"
ls helpers
touch written-by-the-pod
exec python3 train.py --epochs 4
"""


def git_release(**options: Any) -> list[dict[str, Any]]:
    return synth(
        make_chart(
            release="team",
            mode="distributed",
            code=GIT,
            entrypoint=Entrypoint(file="run.sh", work_dir="/app"),
            **options,
        )
    )


def checkout(tmp_path: Path) -> Path:
    """A small git checkout of a team's training code."""
    repo = tmp_path / "trainer"
    (repo / "helpers").mkdir(parents=True)
    shutil.copy(TRAIN, repo / "train.py")
    (repo / "run.sh").write_text(RUN_SH)
    (repo / "VERSION").write_text("v7\n")
    (repo / "helpers" / "__init__.py").write_text("")
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run([*git, "init", "-q", "-b", "main"], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "trainer"], check=True)
    return repo


# ---------------------------------------------------------------------------------------
# Refusals and the plan (no processes)


def test_code_replaces_the_clone_container_with_the_checkout(tmp_path: Path) -> None:
    the_plan, where = use_checkout(plan(git_release(server_count=1, worker_count=2)), checkout(tmp_path))
    assert all(not p.init_containers for p in the_plan.pods)
    assert where.skipped == ("git-clone-repository",)
    assert set(where.volumes) == {p.name for p in the_plan.pods}
    assert {v for per_pod in where.volumes.values() for v in per_pod} == {"git-cloned-files"}
    assert any("code from --code is copied into each pod" in n for n in the_plan.notes)


def test_code_is_refused_for_a_release_without_git_code_and_for_a_bad_dir(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    local = synth(make_chart(code=LocalFiles(files={"train.py": "print(1)\n"}), entrypoint=Entrypoint(file="train.py")))
    with pytest.raises(RunLocalError, match=r"--code: no pod clones its code from git .*code=GitRepository"):
        run_local(documents=local, code=tmp_path, python=sys.executable)
    with pytest.raises(RunLocalError, match=r"--code '.*missing': no such directory"):
        run_local(documents=git_release(), code=tmp_path / "missing", python=sys.executable)
    (tmp_path / "file").write_text("x")
    with pytest.raises(RunLocalError, match=r"--code '.*file': not a directory"):
        run_local(documents=git_release(), code=tmp_path / "file", python=sys.executable)
    # Every problem at once.
    with pytest.raises(RunLocalError, match=r"no such directory.*; --code: no pod clones"):
        run_local(documents=local, code=tmp_path / "missing", python=sys.executable)
    path = tmp_path / "local.k8s.yaml"
    path.write_text(synth_yaml(make_chart(code=LocalFiles(files={"a.py": "1\n"}), entrypoint=Entrypoint(file="a.py"))))
    assert cli.main(["run-local", str(path), "--code", str(tmp_path), "--python", sys.executable]) == 2
    captured = capsys.readouterr()
    assert "mxnet-construct run-local: error: --code: no pod clones its code from git" in captured.err
    assert captured.out == ""


def test_a_private_clone_needs_no_credentials_with_code(tmp_path: Path) -> None:
    # The clone's token Secret is not in the manifests (it never is in a dry run); with
    # --code the clone does not run, so neither its Secret nor its environment is needed.
    helper = "credential.helper=!f() { echo password=$(cat /git-auth/password); }; f"
    clone = {
        "name": "git-clone-repository",
        "image": "git",
        "command": [
            "git",
            "-c",
            "credential.helper=",
            "-c",
            helper,
            "clone",
            "--",
            "https://git.example.com/x.git",
            "/app",
        ],
        "envFrom": [{"secretRef": {"name": "git-env"}}],
        "volumeMounts": [
            {"name": "code", "mountPath": "/app"},
            {"name": "git-auth", "mountPath": "/git-auth", "readOnly": True},
        ],
    }
    main = sh("c", "cat /app/VERSION", volumeMounts=[{"name": "code", "mountPath": "/app"}])
    volumes = [{"name": "code", "emptyDir": {}}, {"name": "git-auth", "secret": {"secretName": "git-token"}}]
    doc = pod("p", [main], initContainers=[clone], volumes=volumes)
    with pytest.raises(RunLocalError, match="Secret 'git-token'"):
        plan([doc])
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "VERSION").write_text("v7\n")
    result = run_local(documents=[doc], code=repo, python=sys.executable, isolation="none", timeout=20)
    assert result.ok, result.summary()
    assert result.pod("p").log == "v7" and list(result.pod("p").containers) == ["c"]


def test_the_copy_never_follows_a_symlink_and_skips_special_files(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret").write_text("host secret\n")
    src = tmp_path / "src"
    (src / "pkg").mkdir(parents=True)
    (src / "pkg" / "mod.py").write_text("X = 1\n")
    (src / "pkg" / "mod.py").chmod(0o640)
    (src / "escape").symlink_to(outside)
    (src / "secret-link").symlink_to(outside / "secret")
    os.mkfifo(src / "pipe")
    dst = tmp_path / "dst"
    dst.mkdir()
    copy_tree(src, dst, None)
    assert (dst / "pkg" / "mod.py").read_text() == "X = 1\n"
    assert (dst / "pkg" / "mod.py").stat().st_mode & 0o777 == 0o640 | 0o200
    assert (dst / "escape").is_symlink() and os.readlink(dst / "escape") == str(outside)
    assert (dst / "secret-link").is_symlink()
    assert not os.path.lexists(dst / "pipe")
    # Nothing was copied out of the link targets.
    assert sorted(p.name for p in dst.iterdir()) == ["escape", "pkg", "secret-link"]


@needs_sandbox
def test_a_symlink_out_of_the_checkout_leads_nowhere_in_the_pod(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret").write_text("host secret\n")
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "secret-link").symlink_to(outside / "secret")
    clone = {
        "name": "git-clone-repository",
        "image": "git",
        "command": ["git", "clone", "--", "https://git.example.com/x.git", "/app"],
        "volumeMounts": [{"name": "code", "mountPath": "/app"}],
    }
    main = sh(
        "c", "cat /app/secret-link || echo not-found; echo new > /app/made; ls /app", volumeMounts=clone["volumeMounts"]
    )
    doc = pod("p", [main], initContainers=[clone], volumes=[{"name": "code", "emptyDir": {}}])
    out = io.StringIO()
    result = run_local(documents=[doc], code=repo, python=sys.executable, isolation="namespaces", timeout=20, out=out)
    assert result.ok, out.getvalue()
    log = result.pod("p").log
    assert "host secret" not in log and "not-found" in log
    assert "made" in log.splitlines() and "secret-link" in log.splitlines()
    assert not (repo / "made").exists()


# ---------------------------------------------------------------------------------------
# The interpreter


def test_an_interpreter_without_mxnet_is_refused_within_seconds(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The dev venv has no MXNet; a release rendered by this library needs it.
    assert subprocess.run([sys.executable, "-c", "import mxnet"], capture_output=True).returncode != 0
    path = tmp_path / "train.k8s.yaml"
    path.write_text(
        synth_yaml(
            make_chart(
                release="train",
                mode="distributed",
                code=LocalFiles(files={"t.py": "1\n"}),
                entrypoint=Entrypoint(file="t.py"),
            )
        )
    )
    start = time.monotonic()
    code = cli.main(["run-local", str(path), "--python", sys.executable, "--timeout", "60"])
    seconds = time.monotonic() - start
    captured = capsys.readouterr()
    assert code == 2 and seconds < 15, captured
    assert f"python: {sys.executable} (given with --python) cannot import mxnet and numpy" in captured.err
    assert "No module named 'mxnet'" in captured.err
    assert INSTALL in captured.err and "--python PATH" in captured.err
    # No pod started: nothing was printed, not even the plan's notes.
    assert captured.out == ""


def test_an_mxnet_that_fails_to_import_is_refused_with_its_error(tmp_path: Path) -> None:
    # A venv holding an mxnet that breaks on import, as mxnet 1.9.1 does next to numpy >= 1.24.
    env = tmp_path / "env"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(env)], check=True)
    site = next(env.glob("lib/python3*/site-packages"))
    for name, version, body in (
        ("numpy", "1.26.4", "bool_ = bool\n"),
        ("mxnet", "1.9.1", "import numpy\nnumpy.bool\n"),
    ):
        (site / name).mkdir()
        (site / name / "__init__.py").write_text(body)
        (site / f"{name}-{version}.dist-info").mkdir()
        (site / f"{name}-{version}.dist-info" / "METADATA").write_text(f"Name: {name}\nVersion: {version}\n")
    docs = synth(make_chart(code=LocalFiles(files={"t.py": "1\n"}), entrypoint=Entrypoint(file="t.py")))
    python = str(env / "bin" / "python")
    with pytest.raises(RunLocalError) as err:
        run_local(documents=docs, python=python, isolation="none", timeout=30)
    assert f"python: {python} (given with --python) has mxnet and numpy but cannot import them" in str(err.value)
    assert "AttributeError: module 'numpy' has no attribute 'bool'" in str(err.value)


def test_pods_that_do_not_run_mxnet_need_no_mxnet() -> None:
    result = run_local(
        documents=[pod("p", [sh("c", "python3 -c 'print(6 * 7)'")])],
        python=sys.executable,
        isolation="none",
        timeout=20,
    )
    assert result.ok and result.pod("p").log == "42"


@pytest.mark.mxnet
def test_the_mxnet_interpreter_is_named_with_its_versions(tmp_path: Path) -> None:
    if not MXNET_PYTHON.exists():
        pytest.fail(f"{MXNET_PYTHON} is missing: create it with `make mxnet-venv` (make test does)")
    docs = synth(
        make_chart(code=LocalFiles(files={"t.py": "import mxnet\nprint('ok')\n"}), entrypoint=Entrypoint(file="t.py"))
    )
    out = io.StringIO()
    result = run_local(documents=docs, python=str(MXNET_PYTHON), isolation="none", timeout=60, out=out)
    assert result.ok, out.getvalue()
    assert "(given with --python; mxnet 1.9.1, numpy 1.23.5)" in out.getvalue()


def test_the_local_extra_brings_the_mxnet_the_dev_venv_has() -> None:
    extra = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]["local"]
    everywhere = [r for r in extra if Requirement(r).name == "kubernetes-validate"]
    # run-local's admission validates manifests on every platform: no marker.
    assert len(everywhere) == 1 and Requirement(everywhere[0]).marker is None
    pins = {Requirement(r).name: Requirement(r) for r in extra if r not in everywhere}
    assert {name: str(req.specifier) for name, req in pins.items()} == {"mxnet": "==1.9.1", "numpy": "==1.23.5"}
    here = {"sys_platform": "linux", "platform_machine": "x86_64", "python_version": "3.11"}
    assert all(req.marker is not None and req.marker.evaluate(here) for req in pins.values())
    assert not any(req.marker and req.marker.evaluate({**here, "platform_machine": "aarch64"}) for req in pins.values())
    # The tests' .mxnet-venv is built with the same pins (Makefile).
    assert "pip install -q mxnet==1.9.1 numpy==1.23.5" in (ROOT / "Makefile").read_text()
    assert INSTALL == 'pip install "mxnet-construct[local]"'


@pytest.mark.mxnet
def test_run_local_uses_its_own_environment_when_that_has_mxnet(tmp_path: Path) -> None:
    """As after ``pip install "mxnet-construct[local]"``: one environment with both, outside the repository."""
    mxnet_site = next((ROOT / ".mxnet-venv").glob("lib/python3*/site-packages"))
    env = tmp_path / "env"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(env)], check=True)
    site = next(env.glob("lib/python3*/site-packages"))
    # MXNet's packages first (its numpy), then this package and its dependencies.
    dev_site = sysconfig.get_paths()["purelib"]
    (site / "both.pth").write_text(
        f"import site; site.addsitedir({str(mxnet_site)!r}); site.addsitedir({dev_site!r})\n"
    )
    path = tmp_path / "train.k8s.yaml"
    script = "import mxnet, numpy\nprint('trained with', mxnet.__version__)\n"
    path.write_text(
        synth_yaml(
            make_chart(release="solo", code=LocalFiles(files={"t.py": script}), entrypoint=Entrypoint(file="t.py"))
        )
    )
    python = env / "bin" / "python"
    done = subprocess.run(
        [str(python), "-m", "mxnet_construct", "run-local", str(path), "--isolation", "none", "--timeout", "60"],
        cwd=tmp_path,
        env={"PATH": os.environ["PATH"], "HOME": str(tmp_path), "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    # Shown as the user would type it from where run-local ran.
    assert "run env/bin/python (run-local's own environment, which has mxnet; mxnet 1.9.1, numpy 1.23.5)" in done.stdout
    assert "trained with 1.9.1" in done.stdout


# ---------------------------------------------------------------------------------------
# Real MXNet: a release whose code is in git trains from a local checkout


@pytest.mark.mxnet
@needs_sandbox
def test_code_trains_a_git_release_from_a_local_checkout(tmp_path: Path) -> None:
    if not MXNET_PYTHON.exists():
        pytest.fail(f"{MXNET_PYTHON} is missing: create it with `make mxnet-venv` (make test does)")
    repo = checkout(tmp_path)
    before = sorted(p.name for p in repo.iterdir())
    path = tmp_path / "team.k8s.yaml"
    path.write_text(
        synth_yaml(
            make_chart(
                release="team",
                mode="distributed",
                code=GIT,
                lifecycle="job",
                server_count=1,
                worker_count=2,
                entrypoint=Entrypoint(file="run.sh", work_dir="/app"),
            )
        )
    )
    out = io.StringIO()
    result = run_local([path], code=repo, python=str(MXNET_PYTHON), isolation="namespaces", timeout=150, out=out)
    text = out.getvalue()
    assert result.ok, text
    assert {(p.status, p.exit_code) for p in result.pods} == {("Succeeded", 0)}, result.summary()
    workers = result.by_component("worker")
    assert len(workers) == 2
    finals = [FINAL.findall(w.log) for w in workers]
    assert all(len(f) == 1 for f in finals), finals
    assert {f[0][1] for f in finals} == {"2"} and all(float(f[0][2]) < 0.05 for f in finals), finals
    assert len({f[0][3] for f in finals}) == 1, f"workers ended with different parameters: {finals}"
    for w in workers:
        assert "code v7 in /app" in w.log
        # The clone container did not run; the pod wrote into its copy of the code.
        assert "git-clone-repository" not in w.containers
    assert "init containers not run: git-clone-repository" in text
    assert sorted(p.name for p in repo.iterdir()) == before, "the pods wrote into the user's checkout"
