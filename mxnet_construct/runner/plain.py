"""``--isolation none``: containers as plain processes of the current user, no sandbox.

For machines without root or runc. Absolute mount paths in ``workingDir``, command,
args and env are rewritten into the pod's directory (``pods/<pod>/fs/<mountPath>``, a
symlink to the volume), and Service names and pod FQDNs into loopback addresses; every
rewrite is counted in the run's notes. Processes run in the host network, as the
current user, with the host's file system: this mode checks wiring, not containment.
Each container gets a session (process group) of its own, and when run-local is root a
cgroup of its own, so that a process that calls ``setsid`` is still killed at the end.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from .host import BASE_PATH, Handle, host_tool, kill_group
from .model import ContainerPlan, PodPlan
from .validate import inside
from .workspace import Workspace

_CGROUP_ROOTS = ("/sys/fs/cgroup/pids", "/sys/fs/cgroup/unified", "/sys/fs/cgroup")


def _literal(text: str) -> Callable[[re.Match[str]], str]:
    return lambda _m: text


class Plain:
    """Starts containers as host processes with rewritten paths and names."""

    isolation = "none"

    def __init__(self, ws: Workspace, hard_limit: int) -> None:
        self.ws = ws
        self.hard_limit = hard_limit
        self.rewrites = 0
        self.timeout = host_tool("timeout") or "/usr/bin/timeout"
        self.cgroup = self._make_cgroup()

    def _make_cgroup(self) -> Path | None:
        if os.geteuid() != 0:
            return None
        for root in _CGROUP_ROOTS:
            if os.path.isfile(os.path.join(root, "cgroup.procs")) and os.access(root, os.W_OK):
                path = Path(root) / f"mxnet-run-local-{self.ws.root.name.rsplit('-', 1)[-1].lower()}"
                with contextlib.suppress(OSError):
                    path.mkdir()
                    return path
        return None

    def start(self) -> None:
        """Nothing to set up: pods share the host network."""

    def env(self, pod: PodPlan, container: ContainerPlan) -> dict[str, str]:
        env = {"PATH": BASE_PATH, "HOME": str(self.ws.home(pod)), "HOSTNAME": pod.hostname, "PYTHONUNBUFFERED": "1"}
        env.update(container.env)
        env["PATH"] = f"{self.ws.bin}:{env['PATH']}"
        if "DMLC_ROLE" in container.env:
            env["DMLC_INTERFACE"] = "lo"
        env.update({k: self._rewrite(pod, v) for k, v in container.env.items()})
        return env

    def _rewrite(self, pod: PodPlan, value: str) -> str:
        """Mount paths into the pod's directory, DNS names into addresses."""
        out = value
        for mount in sorted(
            {m.path for c in (*pod.init_containers, *pod.containers) for m in c.mounts}, key=len, reverse=True
        ):
            fake = str(self.ws.pod_dir(pod) / "fs") + mount
            # A function replacement, so backslashes in the path are not read as escapes.
            out = re.sub(rf"(?<![\w/.-]){re.escape(mount)}(?=/|$|[\s:;,'\"])", _literal(fake), out)
        # Service names and pod FQDNs only: a bare pod name is as often an identity
        # (POD_NAME) as an address, and an identity must stay as it is.
        addresses = {
            n: ip
            for n, ip in self.ws.plan.addresses().items()
            if "." in n or any(n in s.names for s in self.ws.plan.services)
        }
        for name in sorted(addresses, key=len, reverse=True):
            out = re.sub(rf"(?<![\w.-]){re.escape(name)}(?![\w.-])", addresses[name], out)
        if out != value:
            self.rewrites += 1
        return out

    def _links(self, pod: PodPlan, container: ContainerPlan) -> Path:
        fs = self.ws.path("pods", pod.name, "fs")
        for mount in container.mounts:
            link = inside(fs, Path(str(fs) + mount.path).parent, f"pod {pod.name} mountPath {mount.path!r}")
            link.mkdir(parents=True, exist_ok=True)
            link = link / Path(mount.path).name
            if not link.is_symlink():
                link.symlink_to(self.ws.mount_source(pod, mount))
        return fs

    def spawn(self, pod: PodPlan, container: ContainerPlan) -> Handle:
        fs = self._links(pod, container)
        cwd = None
        if container.working_dir:
            cwd_path = Path(str(fs) + container.working_dir)
            cwd_path.mkdir(parents=True, exist_ok=True)
            cwd = str(inside(self.ws.root, cwd_path, f"pod {pod.name} workingDir"))
        argv = [self._rewrite(pod, a) for a in container.argv]
        cgroup = self.cgroup
        env = self.env(pod, container)

        def enter_cgroup() -> None:
            if cgroup is not None:
                with contextlib.suppress(OSError):
                    (cgroup / "cgroup.procs").write_text(str(os.getpid()))

        proc = subprocess.Popen(
            [self.timeout, "-s", "KILL", str(self.hard_limit), *argv],
            env=env, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            start_new_session=True, preexec_fn=enter_cgroup if cgroup is not None else None,
        )  # fmt: skip
        return Handle(proc)

    def kill(self, handle: Handle) -> None:
        kill_group(handle.proc)

    def close(self) -> None:
        """Kill whatever is left in the run's cgroup (``setsid`` escapees), then remove it."""
        if self.cgroup is None:
            return
        for _ in range(50):
            try:
                pids = [int(p) for p in (self.cgroup / "cgroup.procs").read_text().split()]
            except OSError:
                return
            if not pids:
                break
            for pid in pids:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, signal.SIGKILL)
            time.sleep(0.02)
        with contextlib.suppress(OSError):
            self.cgroup.rmdir()

    def leftovers(self) -> list[str]:
        if self.cgroup is None or not self.cgroup.exists():
            return []
        return (self.cgroup / "cgroup.procs").read_text().split()
