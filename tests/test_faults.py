"""Faults survived: ``--kill`` and the restart policies, carried out by run-local.

The first tests need no processes (kill specs resolved against the manifest model). The
sandbox tests use small shell pods to prove each restart rule with real processes, and the
three tests marked ``mxnet`` train the example release with real MXNet 1.9.1 and kill a
worker mid-training under each lifecycle (1 server + 2 workers, so they stay small).
"""

from __future__ import annotations

import io
import re
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from mxnet_construct import cli
from mxnet_construct.manifests import Manifests
from mxnet_construct.runner import RunLocalError, RunResult, run_local
from mxnet_construct.runner.faults import parse_kill, resolve_kills
from tests.test_runner import (
    FINAL,
    MXNET_PYTHON,
    example_docs,
    needs_sandbox,
    pod,
    sh,
    write_docs,
    write_example,
)

# The kill must land mid-training on a quiet machine as on a loaded one: mxnet's import
# takes 3-5 s here and an epoch 0.1-0.5 s, and a quiet CI machine once finished 40 epochs
# before the kill at 10 s, while on a machine shared by several test runs (load 10 on 2
# cores) the workers joined only after 16 s. Where the run ends at the kill (job,
# long-running) training is made far longer than any run lasts; the jobset run trains a
# second time after its restart, so it gets enough epochs to outlast the kill on a quiet
# machine (250 x 0.1 s after joining) and a timeout for a loaded one.
EPOCHS_UNTIL_KILLED = 1000
EPOCHS_JOBSET = 250
KILL_AT = 25
JOINED = re.compile(r"^rank \d+ of \d+ workers", re.M)


def run(docs: list[dict[str, Any]], **kwargs: Any) -> tuple[RunResult, str]:
    out = io.StringIO()
    kwargs.setdefault("timeout", 30)
    kwargs.setdefault("python", sys.executable)
    kwargs.setdefault("isolation", "namespaces")
    result = run_local(documents=docs, out=out, **kwargs)
    return result, out.getvalue()


# ---------------------------------------------------------------------------------------
# Kill specs, resolved against the manifest model (no processes)


def test_kill_specs_are_parsed_and_malformed_ones_named() -> None:
    assert parse_kill("worker:1@5") == ("worker", 1, 5.0)
    assert parse_kill("server:0@2.5") == ("server", 0, 2.5)
    for bad in ("worker", "worker:1", "worker:x@5", "worker:1@-2", ":1@2", "Worker:1@2", "worker:1@5s"):
        with pytest.raises(RunLocalError, match=rf"--kill {re.escape(repr(bad))}: expected ROLE:INDEX@SECONDS"):
            parse_kill(bad)


def test_kills_resolve_to_the_pod_of_that_role_and_index() -> None:
    model = Manifests.of(example_docs(servers=2, workers=3))
    kills = resolve_kills(["worker:2@7", "server:1@3", "scheduler:0@1"], model)
    assert [(k.pod, k.at) for k in kills] == [
        (model.by_role("scheduler")[0].name, 1.0),
        ("train-mxnet-server-1", 3.0),
        ("train-mxnet-worker-2", 7.0),
    ]
    with pytest.raises(RunLocalError, match=r"index 3 is out of range; there are 3 worker pods \(indexes 0-2\)"):
        resolve_kills(["worker:3@1"], model)
    with pytest.raises(RunLocalError, match=r"no pod has the role 'ps'; roles here: scheduler, server, worker"):
        resolve_kills(["ps:0@1"], model)


def test_cli_refuses_a_bad_kill_before_anything_runs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_docs(tmp_path, example_docs(servers=1, workers=1))
    assert cli.main(["run-local", str(path), "--kill", "worker:4@1"]) == 2
    assert "--kill 'worker:4@1': index 4 is out of range" in capsys.readouterr().err


# ---------------------------------------------------------------------------------------
# Restart rules with real processes (the sandbox), no MXNet

# Fails on its first run in a volume, succeeds when the marker it left is still there:
# a restart in place keeps the emptyDir, a new pod gets a fresh one.
MARKER = "if [ -e /scratch/m ]; then echo stale; exit 0; fi; touch /scratch/m; echo fresh; exit 1"
SCRATCH = {"volumes": [{"name": "scratch", "emptyDir": {}}]}
MOUNT = {"volumeMounts": [{"name": "scratch", "mountPath": "/scratch"}]}


def _job(name: str, script: str, *, backoff: int, policy: str = "Never") -> dict[str, Any]:
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": name},
        "spec": {
            "backoffLimit": backoff,
            "template": {"spec": {"restartPolicy": policy, "containers": [sh("c", script, **MOUNT)], **SCRATCH}},
        },
    }


@needs_sandbox
def test_on_failure_restarts_the_container_in_place_keeping_its_emptydir() -> None:
    docs = [pod("p", [sh("c", MARKER, **MOUNT)], restartPolicy="OnFailure", **SCRATCH)]
    result, out = run(docs)
    assert result.ok, out
    p = result.pod("p")
    assert (p.status, p.restarts, p.attempts) == ("Succeeded", 1, 1)
    assert [line for line in p.log.splitlines() if not line.startswith("---")] == ["fresh", "stale"]
    assert any(e.kind == "restart" and e.pod == "p" for e in result.events)


@needs_sandbox
def test_a_job_recreates_a_failed_pod_with_fresh_emptydirs_until_backoff_limit() -> None:
    result, out = run([_job("j", MARKER, backoff=1)])
    assert re.search(r"start: pod j-\w+ attempt 1: replaces the pod that failed \(exit code 1\)", out), out
    assert not result.ok and result.exit_code == 1
    (p,) = result.pods
    # Two pods (the first and its replacement), each with an empty emptyDir.
    assert p.attempts == 2 and [line for line in p.log.splitlines() if not line.startswith("---")] == [
        "fresh",
        "fresh",
    ]
    assert result.reason.startswith("Job/j failed (BackoffLimitExceeded): pod j-")
    assert "container c exited 1" in result.reason


@needs_sandbox
def test_a_killed_deployment_pod_restarts_in_place_and_the_report_shows_it() -> None:
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "dev"},
        "spec": {
            "selector": {"matchLabels": {"app": "dev"}},
            "template": {
                "metadata": {"labels": {"app": "dev", "app.kubernetes.io/component": "web"}},
                "spec": {"containers": [sh("c", "echo up; sleep 60")]},
            },
        },
    }
    result, out = run([deployment], timeout=4, allow_running=True, kill=["web:0@1"])
    assert result.ok, out
    (p,) = result.pods
    assert p.status == "Running" and p.restarts == 1 and p.kills == ["web:0@1"]
    assert [line for line in p.log.splitlines() if not line.startswith("---")] == ["up", "up"]
    kinds = [(e.kind, e.pod) for e in result.events]
    assert kinds[:3] == [("kill", p.name), ("exit", p.name), ("restart", p.name)]
    assert re.search(rf"^{re.escape(p.name)} .* Running +(137)? +\S+ +1 ", result.summary(), re.M)


# ---------------------------------------------------------------------------------------
# Real MXNet: a worker killed mid-training under each lifecycle


@pytest.fixture(scope="module")
def mxnet_python() -> str:
    if not MXNET_PYTHON.exists():
        pytest.fail(f"{MXNET_PYTHON} is missing: create it with `make mxnet-venv` (make test does)")
    return str(MXNET_PYTHON)


def _kill_run(tmp_path: Path, python: str, lifecycle: str, **kwargs: Any) -> tuple[RunResult, str, float]:
    epochs = EPOCHS_JOBSET if lifecycle == "jobset" else EPOCHS_UNTIL_KILLED
    path = write_example(tmp_path, 1, 2, lifecycle=lifecycle, args=["--epochs", str(epochs)])
    out = io.StringIO()
    start = time.monotonic()
    result = run_local([path], python=python, out=out, isolation="namespaces", kill=[f"worker:1@{KILL_AT}"], **kwargs)
    return result, out.getvalue(), time.monotonic() - start


def _killed_mid_training(result: RunResult) -> None:
    """The kill landed once the killed worker had joined the job (ps-lite gave it a rank)."""
    victim = next(p for p in result.by_component("worker") if p.kills)
    first_attempt = victim.log.split("--- attempt")[0].split("--- restart")[0]
    assert JOINED.search(first_attempt), f"the kill landed before the worker joined:\n{victim.log}"


@pytest.mark.mxnet
@needs_sandbox
def test_jobset_restarts_the_whole_group_after_a_killed_worker_and_training_finishes(
    tmp_path: Path, mxnet_python: str
) -> None:
    result, text, _ = _kill_run(tmp_path, mxnet_python, "jobset", timeout=600)
    assert result.ok and result.exit_code == 0, text
    _killed_mid_training(result)
    # Every pod of every replicated job was recreated once, and then succeeded.
    assert {(p.status, p.exit_code, p.attempts) for p in result.pods} == {("Succeeded", 0, 2)}, result.summary()
    kinds = [e.kind for e in result.events]
    assert kinds.index("kill") < kinds.index("jobset") < kinds.index("start")
    assert any("JobSet train-mxnet restarts every job (restart 1)" in e.text for e in result.events)
    finals = [FINAL.findall(p.log) for p in result.by_component("worker")]
    assert [len(f) for f in finals] == [1, 1], finals
    params = {f[0][3] for f in finals}
    assert len(params) == 1, f"workers disagree on the parameters after the restart: {finals}"
    assert "after 4 restarts" in result.reason
    assert result.audit and result.audit[0].endswith("nothing dropped"), result.audit


@pytest.mark.mxnet
@needs_sandbox
def test_job_with_backoff_limit_0_fails_naming_the_killed_pod_within_seconds(tmp_path: Path, mxnet_python: str) -> None:
    result, text, seconds = _kill_run(tmp_path, mxnet_python, "job", timeout=150)
    assert not result.ok and result.exit_code == 1, text
    _killed_mid_training(result)
    victim = next(p for p in result.by_component("worker") if p.kills)
    assert victim.status == "Failed" and victim.exit_code == 137
    assert result.reason.startswith(
        f"Job/train-mxnet-worker failed (BackoffLimitExceeded): pod {victim.name} container mxnet exited 137 (signal KILL), killed by --kill worker:1@{KILL_AT}"
    ), result.reason
    kill = next(e for e in result.events if e.kind == "kill")
    failed = next(e for e in result.events if e.kind == "job")
    assert failed.t - kill.t < 3, result.summary()
    assert seconds < KILL_AT + 15
    assert {p.status for p in result.pods if p is not victim} == {"Stopped"}


@pytest.mark.mxnet
@needs_sandbox
def test_long_running_restart_stalls_and_the_hang_detector_names_the_restarted_pod(
    tmp_path: Path, mxnet_python: str
) -> None:
    result, text, seconds = _kill_run(tmp_path, mxnet_python, "long-running", timeout=150, stall=15)
    assert not result.ok and result.exit_code == 1, text
    _killed_mid_training(result)
    victim = next(p for p in result.by_component("worker") if p.kills)
    assert victim.name == "train-mxnet-worker-1" and victim.restarts == 1
    assert result.reason.startswith("stalled: no pod printed anything for 15s after a restart"), result.reason
    assert "likely cause: train-mxnet-worker-1 container mxnet restarted in place (1x)" in result.reason
    assert {p.status for p in result.pods} == {"Hung"}
    assert not any(FINAL.search(p.log) for p in result.by_component("worker"))
    assert seconds < 100, "the stall detector, not the timeout, ended the run"
