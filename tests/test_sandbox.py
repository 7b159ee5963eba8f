"""The run-local sandbox, attacked as a hostile manifest would attack it (issue 15, items 1-4).

Every test here reproduces one hole found on the old runner (containers as root with
every capability, the host's /proc, writes landing on the host, names and paths escaping
the run directory, host helpers taking the manifest's PATH, workingDir pasted into a
shell) and shows it contained. Tests that start containers need root and runc (``make
test`` installs runc); elsewhere they skip, saying why.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mxnet_construct.runner import RunLocalError, plan, run_local
from mxnet_construct.runner.model import DEFAULT_CAPABILITIES
from mxnet_construct.runner.network import PodNetwork
from mxnet_construct.runner.sandbox import sandbox_available
from mxnet_construct.runner.seccomp import DENIED_SYSCALLS
from mxnet_construct.runner.validate import hostname
from tests.test_runner import MXNET_PYTHON, final_lines, pod, run, sh, write_docs, write_example

SANDBOX, WHY_NOT = sandbox_available()
needs_sandbox = pytest.mark.skipif(not SANDBOX, reason=f"the runc sandbox cannot run here: {WHY_NOT}")
needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="needs root (namespaces, cgroups)")
ROOT = Path(__file__).resolve().parent.parent

# Capability numbers from linux/capability.h, to read CapEff/CapBnd masks.
CAP_BITS = {
    "CAP_CHOWN": 0,
    "CAP_DAC_OVERRIDE": 1,
    "CAP_FOWNER": 3,
    "CAP_FSETID": 4,
    "CAP_KILL": 5,
    "CAP_SETGID": 6,
    "CAP_SETUID": 7,
    "CAP_SETPCAP": 8,
    "CAP_NET_BIND_SERVICE": 10,
    "CAP_NET_RAW": 13,
    "CAP_SYS_CHROOT": 18,
    "CAP_MKNOD": 27,
    "CAP_AUDIT_WRITE": 29,
    "CAP_SETFCAP": 31,
}


def mask(caps: tuple[str, ...] | list[str]) -> int:
    return sum(1 << CAP_BITS[c] for c in caps)


@pytest.fixture
def marker() -> Iterator[Path]:
    """A host path no test may create; it must still be absent at the end."""
    path = Path(f"/tmp/mxnet-sandbox-marker-{uuid.uuid4().hex[:10]}")
    assert not path.exists()
    yield path
    assert not path.exists(), f"{path} was created on the host"
    if path.exists() or path.is_symlink():  # pragma: no cover - only after a failed assert
        shutil.rmtree(path, ignore_errors=True)


def status_fields(log: str) -> dict[str, str]:
    return dict(re.findall(r"^(\w+):\s+(\S+)$", log, re.M))


def secured(name: str, script: str, pod_sc: dict[str, Any], sc: dict[str, Any], **spec: Any) -> dict[str, Any]:
    return pod(name, [sh("c", script, securityContext=sc)], securityContext=pod_sc, **spec)


# ---------------------------------------------------------------------------------------
# Item 2: names and paths from manifests (refused before anything is created)


def test_a_pod_named_like_a_path_is_refused(marker: Path) -> None:
    with pytest.raises(RunLocalError, match=rf"Pod metadata.name: '{marker}' is not a valid name"):
        run_local(documents=[pod(str(marker), [sh("c", "true")])], timeout=5)
    with pytest.raises(RunLocalError, match=r"metadata.name: '\.\.' is not a valid name"):
        plan([pod("..", [sh("c", "true")])])


def test_a_volume_named_like_a_path_is_refused(marker: Path) -> None:
    docs = [pod("p", [sh("c", "true")], volumes=[{"name": str(marker), "emptyDir": {}}])]
    with pytest.raises(RunLocalError, match=rf"pod p volumes\[\].name: '{marker}' is not a valid name.*RFC 1123 label"):
        run_local(documents=docs, timeout=5)


def test_a_claim_name_like_a_path_is_refused(marker: Path) -> None:
    volume = {"name": "data", "persistentVolumeClaim": {"claimName": str(marker)}}
    docs = [pod("p", [sh("c", "true")], volumes=[volume])]
    with pytest.raises(RunLocalError, match=rf"persistentVolumeClaim.claimName: '{marker}' is not a valid name"):
        run_local(documents=docs, timeout=5)


def test_config_map_and_secret_names_are_checked() -> None:
    for volume, field in (
        ({"name": "v", "configMap": {"name": "../x"}}, "configMap.name"),
        ({"name": "v", "secret": {"secretName": "/etc"}}, "secret.secretName"),
    ):
        with pytest.raises(RunLocalError, match=rf"volume 'v' {re.escape(field)}: .* is not a valid name"):
            plan([pod("p", [sh("c", "true")], volumes=[volume])])


@pytest.mark.parametrize(
    ("mount", "message"),
    [
        ({"subPath": "../../../../tmp/w"}, r"subPath: '\.\./\.\./\.\./\.\./tmp/w' contains '\.\.'"),
        ({"subPath": "/tmp/w"}, r"subPath: '/tmp/w' is absolute"),
        ({"subPathExpr": "$(WHERE)"}, r"subPathExpr: '\.\./up' contains '\.\.'"),
        ({"mountPath": "data"}, r"mountPath: 'data' is not an absolute path"),
        ({"mountPath": "/a/../../etc"}, r"mountPath: '/a/\.\./\.\./etc' contains '\.\.'"),
    ],
)
def test_mount_paths_that_leave_their_volume_are_refused(mount: dict[str, str], message: str) -> None:
    volume_mount = {"name": "data", "mountPath": "/data", **mount}
    container = sh("c", "true", volumeMounts=[volume_mount], env=[{"name": "WHERE", "value": "../up"}])
    with pytest.raises(RunLocalError, match=message):
        plan([pod("p", [container], volumes=[{"name": "data", "emptyDir": {}}])])


def test_config_map_item_paths_stay_in_the_volume() -> None:
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cm"}, "data": {"k": "v"}}
    volume = {"name": "v", "configMap": {"name": "cm", "items": [{"key": "k", "path": "../../escape"}]}}
    with pytest.raises(RunLocalError, match=r"items path: '\.\./\.\./escape' contains '\.\.'"):
        plan([cm, pod("p", [sh("c", "true")], volumes=[volume])])


def test_config_map_keys_and_env_names_follow_kubernetes() -> None:
    for key in (".", "..", "a/b"):
        cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cm"}, "data": {key: "v"}}
        volume = {"name": "v", "configMap": {"name": "cm"}}
        with pytest.raises(RunLocalError, match=rf"volume 'v' key: {re.escape(repr(key))} is not a valid key"):
            plan([cm, pod("p", [sh("c", "true")], volumes=[volume])])
    with pytest.raises(RunLocalError, match=r"env: 'A=B' is not a valid environment variable name"):
        plan([pod("p", [sh("c", "true", env=[{"name": "A=B", "value": "x"}])])])


def test_a_long_pod_name_gives_the_kubelets_hostname() -> None:
    name = "a" * 62 + "-b"
    (p,) = plan([pod(name, [sh("c", "true")])]).pods
    assert p.name == name and len(p.name) == 64
    assert hostname(p.hostname) == "a" * 62  # cut to 63, then the trailing '-' dropped
    with pytest.raises(RunLocalError, match=r"metadata.name: 'A' is not a valid name"):
        plan([pod("A", [sh("c", "true")])])


def test_two_mounts_at_one_path_are_refused() -> None:
    mounts = [{"name": "a", "mountPath": "/data"}, {"name": "b", "mountPath": "/data/"}]
    volumes = [{"name": "a", "emptyDir": {}}, {"name": "b", "emptyDir": {}}]
    with pytest.raises(RunLocalError, match=r"mountPath '/data' is already mounted"):
        plan([pod("p", [sh("c", "true", volumeMounts=mounts)], volumes=volumes)])


@needs_sandbox
def test_a_sub_path_symlink_planted_by_an_init_container_is_refused(marker: Path) -> None:
    # The classic subPath escape: a container makes the subPath a symlink to the host.
    marker.mkdir()
    try:
        init = sh("plant", f"ln -s {marker} /data/link", volumeMounts=[{"name": "data", "mountPath": "/data"}])
        main = sh("c", "touch /mnt/owned", volumeMounts=[{"name": "data", "mountPath": "/mnt", "subPath": "link"}])
        docs = [pod("p", [main], initContainers=[init], volumes=[{"name": "data", "emptyDir": {}}])]
        result, out = run(docs, isolation="namespaces")
        assert not result.ok
        assert result.pod("p").reason == "container c could not start", out
        assert re.search(r"subPath 'link'.*resolves to .*outside .*refused", out), out
        assert list(marker.iterdir()) == []
    finally:
        marker.rmdir()


# ---------------------------------------------------------------------------------------
# Item 3 and 4: host helpers and the shell


@pytest.mark.parametrize("isolation", [pytest.param("namespaces", marks=needs_sandbox), "none"])
def test_a_container_path_never_reaches_the_host_helpers(
    isolation: str, tmp_path: Path, marker: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    evil = tmp_path / "evil"
    evil.mkdir()
    for tool in ("timeout", "runc", "nsenter", "unshare", "ip", "chroot", "mount", "sh", "python3"):
        script = evil / tool
        script.write_text(f"#!/bin/sh\necho {tool} >> {marker}\n")
        script.chmod(0o755)
    # Both the manifest's PATH and run-local's own PATH point at the impostors.
    monkeypatch.setenv("PATH", f"{evil}:{os.environ['PATH']}")
    env = [{"name": "PATH", "value": f"{evil}:/usr/sbin:/usr/bin:/sbin:/bin"}]
    docs = [pod("p", [{"name": "c", "image": "x", "command": ["/bin/sh", "-c", "echo ran"], "env": env}])]
    result, out = run(docs, isolation=isolation)
    assert result.ok, out
    assert result.pod("p").log == "ran"


@needs_sandbox
def test_working_dir_is_a_path_never_a_shell_word(marker: Path) -> None:
    hostile = f"/app/$(touch {marker})`touch {marker}`"
    docs = [
        pod("p", [sh("c", "pwd", workingDir=hostile)]),
        pod("q", [sh("c", "pwd", workingDir="/work dir")]),
    ]
    result, out = run(docs, isolation="namespaces")
    assert result.ok, out
    assert result.pod("p").log == hostile
    assert result.pod("q").log == "/work dir"


# ---------------------------------------------------------------------------------------
# Item 1: the sandbox itself


@needs_sandbox
def test_a_container_cannot_enter_the_hosts_namespaces(marker: Path) -> None:
    script = (
        f"if nsenter -t 1 -m -u -n -i -p -- /bin/sh -c 'touch {marker}' 2>/dev/null; then echo escaped; else echo contained; fi; "
        "cat /proc/1/cmdline | tr '\\0' ' '; echo; ls /proc | grep -c '^[0-9]'"
    )
    result, out = run([pod("p", [sh("c", script)])], isolation="namespaces")
    assert result.ok, out
    lines = result.pod("p").log.splitlines()
    assert lines[0] == "contained"
    # PID 1 is the container's own first process, and its /proc shows a handful of PIDs.
    assert lines[1].startswith("/usr/bin/timeout -s KILL ")
    assert int(lines[2]) < 10


@needs_sandbox
def test_a_container_sees_no_host_proc_and_writes_nothing_on_the_host(marker: Path) -> None:
    os.environ["MXNET_SANDBOX_HOST_SECRET"] = "s3cr3t"
    try:
        script = (
            f"cat /proc/{os.getpid()}/environ 2>/dev/null | tr '\\0' '\\n' | grep -c s3cr3t; "
            f"touch {marker} && echo private-tmp; "
            "touch /usr/owned 2>/dev/null && echo usr-writable || echo usr-read-only; "
            "touch /etc/owned 2>/dev/null && echo etc-writable || echo etc-read-only; "
            "ls /dev | wc -l"
        )
        result, out = run([pod("p", [sh("c", script)])], isolation="namespaces")
    finally:
        del os.environ["MXNET_SANDBOX_HOST_SECRET"]
    lines = result.pod("p").log.splitlines()
    assert lines[:4] == ["0", "private-tmp", "usr-read-only", "etc-read-only"], out
    assert int(lines[4]) < 20  # a container's /dev: null, zero, urandom, pts, shm... not the host's
    assert not Path("/usr/owned").exists() and not Path("/etc/owned").exists()


@needs_sandbox
def test_a_container_runs_as_its_user_without_the_dropped_capabilities() -> None:
    script = "id -u; id -g; id -G; grep -E '^(CapEff|CapBnd|NoNewPrivs|Seccomp):' /proc/self/status; stat -c %g /data; touch /data/f && echo wrote"
    docs = [
        secured(
            "p",
            script,
            {"runAsUser": 1001, "runAsGroup": 2002, "fsGroup": 3003, "seccompProfile": {"type": "RuntimeDefault"}},
            {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}},
            volumes=[{"name": "data", "emptyDir": {}}],
        )
    ]
    docs[0]["spec"]["containers"][0]["volumeMounts"] = [{"name": "data", "mountPath": "/data"}]
    result, out = run(docs, isolation="namespaces")
    assert result.ok, out
    log = result.pod("p").log
    lines = log.splitlines()
    assert lines[:2] == ["1001", "2002"]
    assert "3003" in lines[2].split()
    fields = status_fields(log)
    assert int(fields["CapEff"], 16) == 0 and int(fields["CapBnd"], 16) == 0
    assert fields["NoNewPrivs"] == "1" and fields["Seccomp"] == "2"
    assert lines[-2:] == ["3003", "wrote"]


@needs_sandbox
def test_a_root_container_gets_the_runtime_default_capabilities_or_what_it_asks_for() -> None:
    script = "id -u; grep -E '^(CapEff|CapBnd|NoNewPrivs|Seccomp):' /proc/self/status"
    docs = [
        secured("default", script, {}, {}),
        secured("narrow", script, {}, {"capabilities": {"drop": ["ALL"], "add": ["NET_BIND_SERVICE"]}}),
        secured("fewer", script, {}, {"capabilities": {"drop": ["NET_RAW", "CAP_CHOWN"]}}),
    ]
    result, out = run(docs, isolation="namespaces")
    assert result.ok, out
    default = status_fields(result.pod("default").log)
    assert int(default["CapEff"], 16) == mask(DEFAULT_CAPABILITIES)
    # No profile named: RuntimeDefault all the same (the kubelet's SeccompDefault), filter mode 2.
    assert default["NoNewPrivs"] == "0" and default["Seccomp"] == "2"
    narrow = status_fields(result.pod("narrow").log)
    assert int(narrow["CapEff"], 16) == int(narrow["CapBnd"], 16) == 1 << CAP_BITS["CAP_NET_BIND_SERVICE"]
    fewer = [c for c in DEFAULT_CAPABILITIES if c not in ("CAP_NET_RAW", "CAP_CHOWN")]
    assert int(status_fields(result.pod("fewer").log)["CapEff"], 16) == mask(fewer)


@needs_sandbox
def test_seccomp_runtime_default_refuses_namespaces_and_mounts_also_when_no_profile_is_named() -> None:
    script = "unshare -U true 2>/dev/null && echo unshare-allowed || echo unshare-refused"
    docs = [
        secured("confined", script, {"seccompProfile": {"type": "RuntimeDefault"}}, {}),
        secured("unnamed", script, {}, {}),
    ]
    result, out = run(docs, isolation="namespaces")
    assert result.ok, out
    assert result.pod("confined").log == result.pod("unnamed").log == "unshare-refused"
    assert "seccomp RuntimeDefault on every container" in out
    assert {"mount", "setns", "unshare", "bpf", "kexec_load", "init_module"} <= set(DENIED_SYSCALLS)
    with pytest.raises(RunLocalError, match=r"seccompProfile.type: 'Unconfined': baseline Pod Security Standard"):
        run([secured("unconfined", script, {}, {"seccompProfile": {"type": "Unconfined"}})], isolation="namespaces")


@needs_sandbox
def test_read_only_root_file_system_is_applied_and_a_writable_root_stays_off_the_host(marker: Path) -> None:
    script = f"touch /{marker.name} 2>/dev/null && echo root-writable || echo root-read-only"
    docs = [
        secured("ro", script, {}, {"readOnlyRootFilesystem": True}),
        secured("rw", script, {}, {}),
    ]
    result, out = run(docs, isolation="namespaces")
    assert result.ok, out
    assert result.pod("ro").log == "root-read-only"
    assert result.pod("rw").log == "root-writable"
    assert not Path(f"/{marker.name}").exists()


@needs_sandbox
def test_a_memory_limit_is_enforced_as_a_cgroup() -> None:
    grow = "python3 -c \"b = bytearray(300 * 2**20); print('allocated', len(b))\""
    within = pod("small", [sh("c", grow, resources={"limits": {"memory": "512Mi"}})])
    over = pod("big", [sh("c", grow, resources={"limits": {"memory": "64Mi"}})])
    result, out = run([within], isolation="namespaces")
    assert result.ok and result.pod("small").log == f"allocated {300 * 2**20}", out
    result, out = run([over], isolation="namespaces")
    assert not result.ok
    assert result.pod("big").exit_code not in (0, None), out
    assert "allocated" not in result.pod("big").log


def test_security_contexts_are_read_as_the_kubelet_merges_them() -> None:
    pod_sc = {"runAsUser": 1001, "runAsGroup": 5, "fsGroup": 7, "supplementalGroups": [8]}
    sc = {"runAsUser": 2002, "capabilities": {"drop": ["ALL"], "add": ["net_bind_service"]}}
    (p,) = plan([secured("p", "true", pod_sc, sc)]).pods
    s = p.containers[0].security
    assert (s.uid, s.gid, s.groups) == (2002, 5, (7, 8))
    assert s.capabilities == ("CAP_NET_BIND_SERVICE",)
    assert not s.no_new_privileges and s.seccomp == "RuntimeDefault"  # SeccompDefault: none named
    cases: list[tuple[dict[str, Any], dict[str, Any], str]] = [
        ({}, {"capabilities": {"add": ["SYS_FOO"]}}, r"capabilities.add: 'SYS_FOO' is not a Linux capability"),
        ({"runAsNonRoot": True}, {}, r"runAsNonRoot is true but runAsUser is None; the kubelet would refuse"),
        ({}, {"privileged": True}, r"privileged: true is not run locally"),
        ({"runAsUser": -1}, {}, r"runAsUser: -1 is not a user or group id"),
        ({"seccompProfile": {"type": "Strict"}}, {}, r"seccompProfile.type: 'Strict' is not valid"),
    ]
    for bad_pod, bad_container, message in cases:
        with pytest.raises(RunLocalError, match=message):
            plan([secured("p", "true", bad_pod, bad_container)])
    with pytest.raises(RunLocalError, match=r"resources.limits.memory: '1Qi' is not a Kubernetes quantity"):
        plan([pod("p", [sh("c", "true", resources={"limits": {"memory": "1Qi"}})])])


def test_the_sandbox_says_why_it_cannot_run(monkeypatch: pytest.MonkeyPatch) -> None:
    from mxnet_construct.runner import sandbox

    monkeypatch.setattr(sandbox.os, "geteuid", lambda: 1000)
    assert sandbox.sandbox_available() == (False, "the sandbox needs root (runc, mount and network namespaces)")
    monkeypatch.setattr(sandbox.os, "geteuid", lambda: 0)
    monkeypatch.setattr(sandbox, "host_tool", lambda name: None if name == "runc" else f"/usr/bin/{name}")
    ok, why = sandbox.sandbox_available()
    assert not ok and why.startswith("missing tools: runc (Debian packages runc")
    with pytest.raises(RunLocalError, match=r"isolation 'namespaces' is not available: missing tools: runc"):
        run_local(documents=[pod("p", [sh("c", "true")])], isolation="namespaces", python=sys.executable)
    # auto falls back to plain processes and says so.
    result, out = run([pod("p", [sh("c", "echo plain")])], isolation="auto")
    assert result.ok and result.isolation == "none", out
    assert "run-local: note: no sandbox (missing tools: runc" in out


# ---------------------------------------------------------------------------------------
# Each part alone: the OCI config without runc, the supervisor without a sandbox


@needs_root
def test_the_oci_config_follows_the_pod_spec(tmp_path: Path) -> None:
    from mxnet_construct.runner.sandbox import INNER_DIR, Sandbox
    from mxnet_construct.runner.workspace import Workspace

    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "code"}, "data": {"train.py": "print(1)"}}
    container = sh(
        "c",
        "true",
        workingDir="/app",
        env=[{"name": "PATH", "value": "/evil:/usr/bin"}],
        securityContext={
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "capabilities": {"drop": ["ALL"]},
        },
        resources={"limits": {"memory": "256Mi", "cpu": "500m"}},
        volumeMounts=[
            {"name": "code", "mountPath": "/app"},
            {"name": "data", "mountPath": "/data", "subPath": "run1"},
            {"name": "shm", "mountPath": "/dev/shm"},
        ],
    )
    volumes = [
        {"name": "code", "configMap": {"name": "code"}},
        {"name": "data", "persistentVolumeClaim": {"claimName": "data"}},
        {"name": "shm", "emptyDir": {"medium": "Memory", "sizeLimit": "1Gi"}},
    ]
    pod_sc = {"runAsUser": 1001, "fsGroup": 1001, "seccompProfile": {"type": "RuntimeDefault"}}
    the_plan = plan([cm, pod("p", [container], volumes=volumes, securityContext=pod_sc)])
    (p,) = the_plan.pods
    ws = Workspace(the_plan, sys.executable, keep=False)
    try:
        ws.materialise(p)
        network = PodNetwork(the_plan)
        config = Sandbox(ws, ["/opt/python"], hard_limit=90, network=network).config(
            p, p.containers[0], ws.bundle("mxnet-run-local-t-1")
        )
        process, linux = config["process"], config["linux"]
        assert process["user"] == {"uid": 1001, "gid": 0, "additionalGids": [1001]}
        assert process["args"] == ["/usr/bin/timeout", "-s", "KILL", "90", "sh", "-c", "true"]
        assert process["cwd"] == "/app" and process["noNewPrivileges"] is True
        assert process["capabilities"]["bounding"] == process["capabilities"]["effective"] == []
        assert f"PATH={INNER_DIR}/bin:/evil:/usr/bin" in process["env"]
        assert config["root"]["readonly"] is True and config["hostname"] == "p"
        assert linux["resources"]["memory"] == {"limit": 256 * 2**20}
        assert linux["resources"]["cpu"] == {"quota": 50_000, "period": 100_000}
        assert linux["seccomp"]["defaultAction"] == "SCMP_ACT_ALLOW"
        assert {"type": "network", "path": f"/run/netns/{network.netns['p']}"} in linux["namespaces"]
        mounts = {m["destination"]: m for m in config["mounts"]}
        assert mounts["/app"]["source"] == str(ws.root / "pods" / "p" / "volumes" / "code")
        assert "ro" in mounts["/app"]["options"] and "rw" in mounts["/data"]["options"]
        # A subPath is bound from a staging mount of the checked directory (tests/test_subpath.py).
        staged, checked = os.stat(mounts["/data"]["source"]), os.stat(ws.root / "claims" / "data" / "run1")
        assert Path(mounts["/data"]["source"]).parent == ws.private / "subpaths"
        assert (staged.st_dev, staged.st_ino) == (checked.st_dev, checked.st_ino)
        assert mounts["/dev/shm"]["type"] == "tmpfs" and f"size={2**30}" in mounts["/dev/shm"]["options"]
        assert "ro" in mounts["/usr"]["options"] and "ro" in mounts["/etc"]["options"]
        assert mounts["/opt/python"]["options"][-1] == "ro"
        assert mounts["/etc/hosts"]["source"] == str(ws.private / "bundles" / "mxnet-run-local-t-1" / "hosts")
        assert mounts["/proc"]["type"] == "proc" and "ro" in mounts["/sys"]["options"]
        assert not any(m["source"] == "/" or m["source"] == "/proc" for m in config["mounts"])
    finally:
        ws.cleanup()
    assert not ws.root.exists()


def test_the_supervisor_runs_init_containers_in_order_with_any_launcher() -> None:
    from mxnet_construct.runner.host import Handle
    from mxnet_construct.runner.report import Output
    from mxnet_construct.runner.supervisor import Supervisor
    from mxnet_construct.runner.workspace import Workspace

    class Recorder:
        """A launcher that runs each container's argv directly and records the order."""

        isolation = "none"

        def __init__(self) -> None:
            self.order: list[str] = []

        def start(self) -> None:
            pass

        def spawn(self, p: Any, c: Any) -> Handle:
            self.order.append(f"{p.name}/{c.name}")
            return Handle(subprocess.Popen(list(c.argv), stdout=subprocess.PIPE, stderr=subprocess.STDOUT))

        def kill(self, handle: Handle) -> None:
            handle.proc.kill()

        def close(self) -> None:
            pass

    docs = [pod("p", [sh("main", "echo main")], initContainers=[sh("one", "echo one"), sh("two", "echo two")])]
    the_plan = plan(docs)
    ws = Workspace(the_plan, sys.executable, keep=False)
    launcher = Recorder()
    try:
        result = Supervisor(the_plan, ws, launcher, Output(None, 10), timeout=20, allow_running=False).run()
    finally:
        ws.cleanup()
    assert result.ok, result.summary()
    assert launcher.order == ["p/one", "p/two", "p/main"]
    assert result.pod("p").log == "main"


# ---------------------------------------------------------------------------------------
# SIGTERM and SIGINT: nothing is left behind


def _leftovers(token: str, run_token: str) -> list[str]:
    """Processes whose command line holds ``token``; mounts, cgroups named after the run."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if token in cmdline:
                found.append(f"process {entry.name}: {cmdline}")
    mounts = Path("/proc/self/mountinfo").read_text()
    found += [f"mount: {line}" for line in mounts.splitlines() if run_token in line]
    for hierarchy in Path("/sys/fs/cgroup").iterdir():
        found += [f"cgroup: {c}" for c in hierarchy.glob(f"*{run_token}*")] if hierarchy.is_dir() else []
    return found


@needs_sandbox
def test_containers_stopped_while_still_being_created_leave_no_cgroup() -> None:
    # One pod fails at once; the others are stopped while runc may still be creating them.
    docs = [pod("bad", [sh("c", "exit 3")])] + [pod(f"w{i}", [sh("c", "sleep 60")]) for i in range(4)]
    for _ in range(3):
        result, out = run(docs, keep_dir=True)
        kept = re.search(r"^run-local: run directory \(kept\): (\S+)$", out, re.M)
        assert kept, out
        run_dir = Path(kept.group(1))
        try:
            assert not result.ok and result.pod("bad").exit_code == 3
            token = run_dir.name.removeprefix("mxnet-run-local-").lower()
            assert _leftovers(f"mxnet-run-local-{token}-", token) == []
        finally:
            shutil.rmtree(run_dir, ignore_errors=True)


@needs_root
@pytest.mark.parametrize(
    ("isolation", "signum"),
    [
        pytest.param("namespaces", signal.SIGTERM, marks=needs_sandbox),
        pytest.param("namespaces", signal.SIGINT, marks=needs_sandbox),
        ("none", signal.SIGTERM),
    ],
)
def test_a_signal_to_run_local_cleans_up_everything(tmp_path: Path, isolation: str, signum: int) -> None:
    token = f"{time.time_ns() % 10**6}.{os.getpid()}"
    # A pod that started a process in a session of its own (setsid), and one just waiting.
    script = f"setsid sleep {token}1 & echo started; exec sleep {token}2"
    # Its subPath leaves a staging mount in the run directory, to be detached too.
    sub = {"volumeMounts": [{"name": "v", "mountPath": "/v", "subPath": "s"}]}
    a = pod("a", [sh("c", script, **sub)], volumes=[{"name": "v", "emptyDir": {}}])
    path = write_docs(tmp_path, [a, pod("b", [sh("c", f"sleep {token}3")])])
    # A private TMPDIR: other runs on this machine make /tmp/mxnet-run-local-* directories too.
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    proc = subprocess.Popen(
        [sys.executable, "-m", "mxnet_construct", "run-local", str(path), "--isolation", isolation, "--timeout", "60"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), "TMPDIR": str(tmpdir)},
    )
    assert proc.stdout is not None
    for line in proc.stdout:
        if "a | started" in line.replace("  ", " ").replace("  ", " "):
            break
    else:
        pytest.fail(f"the pod never started: {proc.wait()}")
    time.sleep(0.5)
    (run_dir,) = tmpdir.iterdir()
    run_token = run_dir.name.removeprefix("mxnet-run-local-").lower()
    started = _leftovers(token, run_token)
    assert started, "the test's own processes are not visible, so it could not see a leak"
    if os.geteuid() == 0:
        assert any(line.startswith("cgroup: ") for line in started), started
    if isolation == "namespaces":
        assert any(line.startswith("mount: ") and "/private/subpaths/" in line for line in started), started
    proc.send_signal(signum)
    rest, _ = proc.communicate(timeout=60)
    assert proc.returncode == (143 if signum == signal.SIGTERM else 130), rest
    assert _leftovers(token, run_token) == []
    assert list(tmpdir.iterdir()) == []


# ---------------------------------------------------------------------------------------
# Real MXNet: training works under the securityContext the chart emits


@pytest.mark.mxnet
@needs_sandbox
def test_distributed_training_runs_under_the_emitted_security_context(tmp_path: Path) -> None:
    if not MXNET_PYTHON.exists():
        pytest.fail(f"{MXNET_PYTHON} is missing: create it with `make mxnet-venv` (make test does)")
    path = write_example(tmp_path, 2, 2)
    out = io.StringIO()
    result = run_local([path], timeout=120, python=str(MXNET_PYTHON), isolation="namespaces", keep_dir=True, out=out)
    kept = re.search(r"^run-local: run directory \(kept\): (\S+)$", out.getvalue(), re.M)
    assert kept, out.getvalue()
    run_dir = Path(kept.group(1))
    try:
        assert result.ok, out.getvalue()
        assert len(result.pods) == 5
        finals = final_lines(result)
        assert sorted(rank for rank, *_ in finals) == [0, 1]
        assert len({params for *_, params in finals}) == 1
        # Bundles live apart from everything a pod can reach, in a root-only directory.
        assert (run_dir / "private").stat().st_mode & 0o777 == 0o700
        assert not list((run_dir / "pods").rglob("config.json"))
        configs = [json.loads(p.read_text()) for p in (run_dir / "private" / "bundles").glob("*/config.json")]
        for name in ("train-mxnet-server-1", "train-mxnet-worker-1"):
            mxnet = [
                c
                for c in configs
                if c["hostname"] == name and any(e.startswith("DMLC_ROLE=") for e in c["process"]["env"])
            ]
            assert len(mxnet) == 1, name
            config = mxnet[0]
            process = config["process"]
            assert process["user"] == {"uid": 1001, "gid": 0, "additionalGids": [1001]}
            assert process["capabilities"]["bounding"] == [] and process["noNewPrivileges"] is True
            assert config["linux"]["seccomp"]["defaultAction"] == "SCMP_ACT_ALLOW"
            assert process["cwd"] == "/app"
    finally:
        shutil.rmtree(run_dir, ignore_errors=True)
