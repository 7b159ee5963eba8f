"""The verdict names the real cause: a crash loop before any hang, "Hung" only for pods alive and
silent, and a ``--kill`` that never happened fails the run.

Small shell pods (no MXNet) run as plain processes, so each test takes a few seconds and needs
neither root nor runc; the verdict logic is the same under the sandbox.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path
from typing import Any

import pytest

from mxnet_construct import cli
from mxnet_construct.runner import RunLocalError, RunResult, run_local
from tests.test_runner import pod, sh, write_docs

CRASH = "echo starting; echo \"ModuleNotFoundError: No module named 'mxnet'\"; exit 1"


def deployment(name: str, script: str, component: str = "worker") -> dict[str, Any]:
    labels = {"app": name, "app.kubernetes.io/component": component}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name},
        "spec": {
            "selector": {"matchLabels": {"app": name}},
            "template": {"metadata": {"labels": labels}, "spec": {"containers": [sh("c", script)]}},
        },
    }


def worker(name: str, script: str) -> dict[str, Any]:
    doc = pod(name, [sh("c", script)])
    doc["metadata"]["labels"]["app.kubernetes.io/component"] = "worker"
    return doc


def run(docs: list[dict[str, Any]], **kwargs: Any) -> tuple[RunResult, str]:
    out = io.StringIO()
    kwargs.setdefault("timeout", 20)
    result = run_local(documents=docs, out=out, python=sys.executable, isolation="none", **kwargs)
    return result, out.getvalue()


def test_a_crash_looping_pod_is_named_with_exit_code_restarts_and_last_lines() -> None:
    result, out = run([deployment("crashy", CRASH), deployment("waiter", "sleep 60", "scheduler")], timeout=6)
    assert not result.ok and result.exit_code == 1, out
    crashy = next(p for p in result.pods if p.name.startswith("crashy-"))
    waiter = next(p for p in result.pods if p.name.startswith("waiter-"))
    assert crashy.status == "CrashLoopBackOff" and crashy.exit_code == 1, result.summary()
    # At the end it is either waiting out its back-off or just restarted.
    assert crashy.restarts >= 2 and crashy.crashes in (crashy.restarts, crashy.restarts + 1)
    assert crashy.last_lines == ["starting", "ModuleNotFoundError: No module named 'mxnet'"]
    # The crash comes first; the silent pod is a consequence, and no ps-lite theory is offered.
    assert result.reason.startswith(f"crash-looping: {crashy.name} (exit code 1, {crashy.restarts} restarts)")
    assert "ModuleNotFoundError: No module named 'mxnet'" in result.reason
    assert f"alive and silent, probably waiting for them: {waiter.name}" in result.reason
    assert "ps-lite" not in result.reason and "likely cause" not in result.reason
    assert waiter.status == "Hung"
    summary = result.summary()
    assert "LAST LINES OF THE CRASH-LOOPING PODS" in summary
    assert f"  {crashy.name}:\n    starting\n    ModuleNotFoundError" in summary


def test_allow_running_does_not_hide_a_crash_loop() -> None:
    result, out = run([deployment("crashy", CRASH)], timeout=5, allow_running=True)
    assert not result.ok, out
    assert result.pods[0].status == "CrashLoopBackOff"
    assert result.reason.startswith("crash-looping:")


def test_hung_means_alive_and_silent_and_a_printing_pod_is_not_hung() -> None:
    docs = [
        pod("silent", [sh("c", "echo waiting; sleep 60")]),
        pod("chatty", [sh("c", "while true; do echo tick; sleep 0.2; done")]),
    ]
    result, _ = run(docs, timeout=3)
    assert not result.ok
    assert result.pod("silent").status == "Hung"
    assert result.pod("chatty").status == "TimedOut"
    assert "still printing when the run ended" in result.pod("chatty").reason
    assert "hung (alive, silent): silent (ps-lite never times out" in result.reason
    assert "still busy (printing or about to restart), not hung: chatty" in result.reason
    result, _ = run([pod("chatty", [sh("c", "while true; do echo tick; sleep 0.2; done")])], timeout=2)
    assert result.reason.startswith("timed out after 2s; still busy")
    assert "ps-lite" not in result.reason


def test_a_pod_that_crashed_once_and_then_hangs_is_hung_not_crash_looping(tmp_path: Path) -> None:
    # OnFailure restarts the container in place; the second run finds the marker and hangs.
    script = "if [ -e /tmp/seen ]; then echo again; sleep 60; else touch /tmp/seen; exit 2; fi"
    docs = [
        pod(
            "once",
            [sh("c", script, volumeMounts=[{"name": "scratch", "mountPath": "/tmp"}])],
            restartPolicy="OnFailure",
            volumes=[{"name": "scratch", "emptyDir": {}}],
        )
    ]
    result, out = run(docs, timeout=4)
    p = result.pod("once")
    assert (p.status, p.crashes, p.restarts) == ("Hung", 1, 1), out
    assert "likely cause: once container c restarted in place (1x)" in result.reason


def test_a_kill_after_the_run_ended_fails_the_run_saying_when_it_ended() -> None:
    result, out = run([worker("w", "echo done")], kill=["worker:0@5"])
    assert result.pod("w").status == "Succeeded"
    assert not result.ok and result.exit_code == 1, out
    assert result.reason.startswith(
        "the requested fault never happened: --kill worker:0@5 never fired: the run ended at "
    )
    assert result.reason.endswith("before 5s; otherwise 1 pods exited 0")
    assert "OK:" not in out and "FAILED: the requested fault never happened" in out


def test_a_kill_of_a_pod_that_had_ended_fails_the_run() -> None:
    # w has 3 s to end before the kill is due, also on a loaded machine.
    result, out = run([worker("w", "true"), pod("other", [sh("c", "sleep 5")])], kill=["worker:0@3"])
    assert {p.status for p in result.pods} == {"Succeeded"}
    assert not result.ok, out
    assert "--kill worker:0@3 never fired: at 3.0s pod w had ended (Succeeded at " in result.reason
    event = next(e for e in result.events if e.kind == "kill")
    assert "never fired" in event.text and "nothing killed" in event.text


def test_a_kill_that_fired_keeps_the_run_green() -> None:
    doc = deployment("web", "echo up; sleep 60", "web")
    result, out = run([doc], timeout=4, allow_running=True, kill=["web:0@1"])
    assert result.ok, out
    # The SIGKILL's exit is the fault, not a crash.
    assert result.pods[0].crashes == 0 and result.pods[0].kills == ["web:0@1"]


def test_a_kill_beyond_the_timeout_is_refused_before_anything_runs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(RunLocalError) as err:
        run([worker("w", "echo should-not-run")], timeout=5, kill=["worker:0@8", "worker:3@1", "nope"])
    message = str(err.value)
    assert "--kill 'worker:0@8': 8s is not before --timeout 5s, so the kill could never happen" in message
    assert "--kill 'worker:3@1': index 3 is out of range" in message
    assert "--kill 'nope': expected ROLE:INDEX@SECONDS" in message
    path = write_docs(tmp_path, [worker("w", "echo should-not-run")])
    code = cli.main(["run-local", str(path), "--timeout", "5", "--kill", "worker:0@5", "--python", sys.executable])
    captured = capsys.readouterr()
    assert code == 2
    assert "--kill 'worker:0@5': 5s is not before --timeout 5s" in captured.err
    assert "should-not-run" not in captured.out
