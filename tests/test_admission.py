"""run-local admits manifests before anything runs, and contains what it admits.

The hostile manifests in ``tests/hostile/`` are written as an attacker would write them,
one attack each (or one class of malformed input), with a header saying what must happen:
``expect: refused`` (exit 2 before anything ran, every ``refused:`` line in the message),
``expect: contained`` (admitted, but the attack fails) or ``expect: runs``. Each is run
through the real command, in the sandbox, next to a canary file in /root: its content in
the output, a marker file written outside the run, or run-local's own peak memory
reaching 300 MB, fails the test.
"""

from __future__ import annotations

import glob
import io
import os
import re
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
import yaml

from benchmarks.proctree import peak_rss_kb
from mxnet_construct.cli import main
from mxnet_construct.runner import RunLocalError, run_local
from mxnet_construct.runner import run as run_module
from mxnet_construct.runner.admission import MAX_PODS, AdmissionError, admit, load
from mxnet_construct.runner.logs import HEAD, MAX_LINE, TAIL, CappedLog, pump
from mxnet_construct.runner.sandbox import sandbox_available
from mxnet_construct.runner.schema import crd_schemas, strict_crd_schema
from tests.test_runner import pod, sh, write_docs, write_example

ROOT = Path(__file__).resolve().parent.parent
HOSTILE = sorted((ROOT / "tests" / "hostile").glob("*.yaml"))
SANDBOX, WHY_NOT = sandbox_available()
RSS_BUDGET_MB = 300


def header(path: Path) -> tuple[str, list[str]]:
    lines = [line[2:] for line in path.read_text().splitlines() if line.startswith("# ")]
    expect = next(line.split(": ", 1)[1] for line in lines if line.startswith("expect: "))
    return expect, [line.split(": ", 1)[1] for line in lines if line.startswith("refused: ")]


def run_watched(command: list[str], cwd: Path) -> tuple[subprocess.CompletedProcess[str], int]:
    """Run ``command``, and its own peak RSS in KiB (read from /proc while it runs)."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(command, stdout=out, stderr=err, text=True, cwd=cwd)
        peak, deadline = 0, time.monotonic() + 120
        # A bound far above --timeout: run-local blocked on a FIFO never returns by itself.
        while proc.poll() is None and time.monotonic() < deadline:
            peak = max(peak, peak_rss_kb(proc.pid))
            time.sleep(0.1)
        if proc.poll() is None:
            proc.kill()
            proc.wait()
            pytest.fail(f"run-local was still running 120 s after it started (--timeout 15): {command}")
        out.seek(0)
        err.seek(0)
        return subprocess.CompletedProcess(command, proc.returncode, out.read(), err.read()), peak


@pytest.mark.parametrize("path", HOSTILE, ids=[p.stem for p in HOSTILE])
def test_a_hostile_manifest_is_refused_or_contained(path: Path, tmp_path: Path) -> None:
    if not SANDBOX:
        pytest.fail(f"the hostile manifests run in the sandbox, which cannot run here: {WHY_NOT}")
    expect, refused = header(path)
    token = uuid.uuid4().hex[:12]
    canary, marker = Path(f"/root/mxnet-canary-{token}"), Path(f"/root/mxnet-marker-{token}")
    secret = f"canary-secret-{uuid.uuid4().hex}"
    text = path.read_text().replace("@CANARY@", str(canary)).replace("@MARKER@", str(marker))
    manifest = tmp_path / path.name
    manifest.write_text(text.replace("@MARKER_NAME@", marker.name))
    canary.write_text(secret)
    canary.chmod(0o600)
    command = [sys.executable, "-m", "mxnet_construct", "run-local", str(manifest), "--timeout", "15"]
    command += ["--isolation", "namespaces", "--python", sys.executable]
    try:
        done, peak_kb = run_watched(command, tmp_path)
    finally:
        canary.unlink()
        planted = [p for p in (marker, Path("/etc") / marker.name) if os.path.lexists(p)]
        for p in planted:
            p.unlink()
    output = done.stdout + done.stderr
    assert not planted, f"{path.name} wrote {planted} on the host:\n{output}"
    assert secret not in output, f"{path.name} read the host's canary:\n{output}"
    assert "Traceback" not in output, output
    assert peak_kb < RSS_BUDGET_MB * 1024, f"run-local's own peak RSS was {peak_kb / 1024:.0f} MB"
    if expect == "refused":
        assert done.returncode == 2, output
        assert "refused before anything ran" in done.stderr
        for line in refused:
            assert line in done.stderr, f"{line!r} missing from:\n{done.stderr}"
    elif expect == "contained":
        assert done.returncode in (0, 1), output
    else:
        assert done.returncode == 0, output
        for name in re.findall(r"echo (\w+) ran", text):
            assert f"{name} ran" in done.stdout, done.stdout


# ---------------------------------------------------------------------------------------
# Admission in parts (no containers)


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"lifecycle": "jobset"},
        {"lifecycle": "job", "gang_scheduler": "volcano"},
        {"gang_scheduler": "scheduler-plugins"},
    ],
    ids=["default", "jobset", "job-volcano", "scheduler-plugins"],
)
def test_the_library_s_own_manifests_pass_admission(options: dict[str, str], tmp_path: Path) -> None:
    paths = [write_example(tmp_path, 2, 2, **options), *sorted(glob.glob(str(ROOT / "dist" / "*.k8s.yaml")))]
    docs = load(paths)
    assert len(admit(docs)) == len(docs)


def test_the_crd_schemas_are_derived_from_crds() -> None:
    derived = dict(strict_crd_schema(yaml.safe_load(p.read_text())) for p in sorted((ROOT / "crds").glob("*.yaml")))
    assert derived == crd_schemas(), "regenerate mxnet_construct/runner/crd_schemas.yaml from crds/"


def jobset(containers: Any, replicas: int = 1, **extra: Any) -> dict[str, Any]:
    template = {"spec": {"template": {"spec": {"restartPolicy": "Never", "containers": containers}}}}
    return {
        "apiVersion": "jobset.x-k8s.io/v1alpha2",
        "kind": "JobSet",
        "metadata": {"name": "js"},
        "spec": {"replicatedJobs": [{"name": "w", "replicas": replicas, "template": template}], **extra},
    }


def test_a_job_set_and_its_pod_template_are_validated_too() -> None:
    with pytest.raises(AdmissionError) as caught:
        admit([jobset({"name": "c"}, bogus=1)])
    assert [str(p) for p in caught.value.problems] == [
        "JobSet/js spec.bogus: 1: unknown field",
        "JobSet/js spec.replicatedJobs[0].template.spec.template.spec.containers: {'name': 'c'}: must be an array",
    ]
    with pytest.raises(AdmissionError, match=rf"run pods: {MAX_PODS + 1}: at most {MAX_PODS} pods per run"):
        admit([jobset([sh("c", "true")], replicas=MAX_PODS + 1)])


def test_unknown_fields_kinds_and_missing_names_are_refused() -> None:
    unknown_kind = {"apiVersion": "example.com/v1", "kind": "Miner", "metadata": {"name": "m"}}
    traversal = {"apiVersion": "v1", "kind": "../../../_definitions", "metadata": {"name": "t"}}
    typo = pod("p", [{"nam": "c", "image": "busybox", "command": ["true"]}])
    with pytest.raises(AdmissionError) as caught:
        admit([unknown_kind, traversal, typo])
    assert [str(p) for p in caught.value.problems] == [
        "Miner/m kind: 'Miner': no kind 'Miner' in 'example.com/v1' is known to Kubernetes 1.27 or the library's CRDs",
        "../../../_definitions/t kind: '../../../_definitions': no kind '../../../_definitions' in 'v1' is known "
        "to Kubernetes 1.27 or the library's CRDs",
        "Pod/p spec.containers[0].nam: 'c': unknown field",
        "Pod/p spec.containers[0].name: required field missing",
    ]


def test_a_huge_count_is_refused_before_a_pod_is_planned(monkeypatch: pytest.MonkeyPatch) -> None:
    def never(*args: object, **kwargs: object) -> None:
        raise AssertionError("planned despite the pod cap")

    monkeypatch.setattr(run_module, "plan", never)
    with pytest.raises(AdmissionError, match=f"run pods: 1064000: at most {MAX_PODS} pods per run"):
        run_local([ROOT / "tests" / "hostile" / "huge-replicas.yaml"], timeout=5)


@pytest.mark.parametrize("timeout", ["inf", "nan", "0", "-1", "1e9"])
def test_the_timeout_must_be_finite_and_positive(
    timeout: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_docs(tmp_path, [pod("p", [sh("c", "true")])])
    assert main(["run-local", str(path), f"--timeout={timeout}", "--isolation", "none"]) == 2
    err = capsys.readouterr().err
    assert f"option --timeout: {float(timeout)!r}: give a finite number of seconds above 0" in err
    assert "Traceback" not in err


def test_a_bad_option_and_a_bad_manifest_are_reported_together(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = write_docs(tmp_path, [pod("p", [sh("c", "exit 0", ports=[{"containerPort": 1, "hostPort": 1}])])])
    assert main(["run-local", str(bad), "--timeout=nan", "--isolation", "none"]) == 2
    err = capsys.readouterr().err
    assert "option --timeout: nan" in err and "hostPort: 1: baseline Pod Security Standard" in err


def test_refused_input_exits_2_and_a_failed_run_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    failing = write_docs(tmp_path, [pod("p", [sh("c", "exit 3")])], "fail.k8s.yaml")
    args = ["--isolation", "none", "--python", sys.executable, "--no-audit"]
    assert main(["run-local", str(failing), *args]) == 1
    refused = write_docs(tmp_path, [pod("p", [sh("c", "exit 0", ports=[{"containerPort": 1, "hostPort": 1}])])])
    assert main(["run-local", str(refused), *args]) == 2
    assert "spec.containers[0].ports[0].hostPort: 1: baseline Pod Security Standard" in capsys.readouterr().err


def test_duplicate_keys_are_refused_wherever_they_are(tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    path.write_text("kind: ConfigMap\napiVersion: v1\nmetadata: {name: a, name: b}\ndata: {k: 1, k: 2}\n")
    with pytest.raises(AdmissionError) as caught:
        load([path])
    assert [str(p) for p in caught.value.problems] == [
        f"{path} line 3 metadata.name: 'name': duplicate key (first at line 3); YAML keys must be unique, remove one",
        f"{path} line 4 data.k: 'k': duplicate key (first at line 4); YAML keys must be unique, remove one",
    ]


def test_an_admission_error_is_a_run_local_error_listing_every_problem() -> None:
    docs = [pod("a", [sh("c", "true", securityContext={"privileged": True})]), pod("b", "nope")]  # type: ignore[arg-type]
    with pytest.raises(RunLocalError) as caught:
        run_local(documents=docs, timeout=5)
    assert str(caught.value).splitlines() == [
        "refused before anything ran (2 problems):",
        "  Pod/b spec.containers: 'nope': must be an array",
        "  Pod/a spec.containers[0].securityContext.privileged: True: baseline Pod Security Standard, privileged containers: not allowed",
    ][:1] + sorted(str(caught.value).splitlines()[1:])


# ---------------------------------------------------------------------------------------
# seccomp RuntimeDefault when none is named


def test_file_handles_are_refused_by_the_default_filter_even_to_root() -> None:
    # name_to_handle_at needs no capability: only the seccomp filter stands in its way, so
    # this shows RuntimeDefault applies to a container that names no profile at all.
    script = (
        "import ctypes, os\n"
        "libc = ctypes.CDLL(None, use_errno=True)\n"
        "handle, mount_id = ctypes.create_string_buffer(136), ctypes.c_int()\n"
        "handle[0:4] = (128).to_bytes(4, 'little')\n"
        "rc = libc.name_to_handle_at(-100, b'/usr', handle, ctypes.byref(mount_id), 0)\n"
        "print('handle', rc, os.strerror(ctypes.get_errno()) if rc else 'ok')\n"
    )
    docs = [pod("root", [{"name": "c", "image": "python", "command": ["python3", "-c", script]}])]
    if not SANDBOX:
        pytest.fail(f"the sandbox cannot run here: {WHY_NOT}")
    out = io.StringIO()
    result = run_local(documents=docs, isolation="namespaces", python=sys.executable, timeout=30, out=out)
    assert result.ok, out.getvalue()
    assert result.pod("root").log == "handle -1 Operation not permitted"


# ---------------------------------------------------------------------------------------
# Container output stays bounded in memory and on disk


def test_output_is_kept_bounded_in_memory_and_in_the_log(tmp_path: Path) -> None:
    many = b"".join(b"line %d\n" % i for i in range(HEAD + 3 * TAIL))
    endless = b"x" * (5 * MAX_LINE) + b"\nafter\n"
    shown: list[str] = []
    lines: list[str] = []
    log = CappedLog(tmp_path / "c.log", cap=100_000)
    pump(io.BytesIO(many + endless), log, lines, shown.append)
    log.close()
    assert len(shown) == HEAD + 3 * TAIL + 2
    assert len(lines) <= HEAD + 1 + 2 * TAIL
    assert lines[:HEAD] == [f"line {i}" for i in range(HEAD)]
    assert re.fullmatch(r"\[run-local: \d+ lines not kept in memory; the log has them\]", lines[HEAD])
    assert lines[-1] == "after" and lines[-2].endswith("[... line cut at 8 KiB]") and len(lines[-2]) < MAX_LINE + 40
    data = (tmp_path / "c.log").read_bytes()
    assert len(data) <= 100_000 + 64 and data.endswith(b"[run-local: log capped here]\n")
    with pytest.raises(RunLocalError, match="already exists"):
        CappedLog(tmp_path / "c.log")
