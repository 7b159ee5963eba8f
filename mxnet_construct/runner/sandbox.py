"""The sandbox: each container runs under runc with an OCI config built from its pod spec.

As the kubelet and containerd would, the config carries the container's user
(``runAsUser``/``runAsGroup``, ``fsGroup`` and ``supplementalGroups`` as supplementary
groups), its capabilities (the runtime's default set, then ``drop``/``add``),
``noNewPrivileges`` (``allowPrivilegeEscalation: false``), a read-only root
(``readOnlyRootFilesystem``), seccomp (``RuntimeDefault``, see :mod:`.seccomp`) and
memory/CPU limits as cgroups.

The root file system is an empty directory in the run directory holding read-only binds
of the host's ``/usr``, ``/etc`` (and ``/bin``, ``/lib*``, ``/sbin`` when they are not
symlinks into ``/usr``), the interpreter behind ``python3`` (read-only), the pod's own
``/etc/hosts``, ``/etc/hostname`` and ``/etc/resolv.conf``, a private ``/tmp``, a fresh
``/proc``, ``/dev`` and read-only ``/sys`` as any container gets, and the pod's volumes
from the run directory. Each container has its own PID, mount, IPC and UTS namespaces.

Network: each pod has a network namespace of its own, shared by its containers, with
``eth0`` on the run's bridge (:mod:`.network`); Services and NetworkPolicies work there
as on a cluster.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from .host import HOST_ENV, Handle, host_tool, kill_group, run_host
from .model import ContainerPlan, Mount, PodPlan, RunLocalError, Security
from .network import PodNetwork
from .seccomp import runtime_default
from .security import quantity
from .subpath import Staging, open_below, sweep_stale
from .validate import hostname
from .workspace import Workspace, write_new

# Where, inside a container, the runner's own files appear (shims, the pod's HOME).
INNER_DIR = "/.mxnet-construct"
_HOST_DIRS = ("/usr", "/etc", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
_MASKED = (
    "/proc/acpi",
    "/proc/asound",
    "/proc/kcore",
    "/proc/keys",
    "/proc/latency_stats",
    "/proc/timer_list",
    "/proc/timer_stats",
    "/proc/sched_debug",
    "/proc/scsi",
    "/sys/firmware",
)
_READ_ONLY = ("/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger")
_TOOLS = ("runc", "ip", "nft", "sysctl", "nsenter", "timeout")


def sandbox_available() -> tuple[bool, str]:
    """Whether this process can run the runc sandbox (Linux, root, runc, util-linux)."""
    if sys.platform != "linux":
        return False, f"the sandbox needs Linux, this is {sys.platform}"
    if os.geteuid() != 0:
        return False, "the sandbox needs root (runc, mount and network namespaces)"
    missing = [tool for tool in _TOOLS if host_tool(tool) is None]
    if missing:
        return (
            False,
            f"missing tools: {', '.join(missing)} (Debian packages runc, iproute2, nftables, procps, util-linux, coreutils; `make podnet` installs the network ones)",
        )
    return True, ""


def interpreter_dirs(python: str) -> list[str]:
    """The directories ``python`` needs inside a container: its prefix and base prefix."""
    probe = run_host([python, "-c", "import sys; print(sys.prefix); print(sys.base_prefix)"])
    if probe.returncode != 0:
        raise RunLocalError(f"python: {python!r} does not start: {probe.stderr.strip() or probe.returncode}")
    dirs = []
    for line in probe.stdout.split():
        real = os.path.realpath(line)
        if not any(real == d or real.startswith(d + "/") for d in _HOST_DIRS):
            dirs.append(real)
    return sorted(set(dirs))


def _bind(source: str | Path, destination: str, *, read_only: bool) -> dict[str, Any]:
    # Not recursive: a mount below the source (say a writable one under the host's /usr)
    # stays out of the container instead of appearing there writable.
    options = ["bind", "nosuid", "nodev"] + (["ro"] if read_only else ["rw"])
    return {"destination": destination, "type": "bind", "source": str(source), "options": options}


def _system_mounts() -> list[dict[str, Any]]:
    return [
        {"destination": "/proc", "type": "proc", "source": "proc"},
        {"destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
        {"destination": "/dev/pts", "type": "devpts", "source": "devpts", "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"]},
        {"destination": "/dev/shm", "type": "tmpfs", "source": "shm", "options": ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]},
        {"destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue", "options": ["nosuid", "noexec", "nodev"]},
        {"destination": "/sys", "type": "sysfs", "source": "sysfs", "options": ["nosuid", "noexec", "nodev", "ro"]},
        {"destination": "/tmp", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "nodev", "mode=1777"]},
    ]  # fmt: skip


def _resources(security: Security) -> dict[str, Any]:
    out: dict[str, Any] = {"devices": [{"allow": False, "access": "rwm"}]}
    if security.memory_limit is not None:
        out["memory"] = {"limit": security.memory_limit}
    if security.cpu_limit_millis is not None:
        period = 100_000
        out["cpu"] = {"quota": max(1000, security.cpu_limit_millis * period // 1000), "period": period}
    return out


def _tmpfs_size(size: str | None) -> list[str]:
    if not size:
        return []
    return [f"size={int(quantity(size, 'emptyDir.sizeLimit'))}"]


def _remove_cgroups(ident: str) -> None:
    """Kill what is left in cgroups named ``ident`` and remove them (runc's own cleanup can
    be cut short, e.g. when a container was killed while being created)."""
    base = Path("/sys/fs/cgroup")
    for group in [base / ident, *(h / ident for h in base.iterdir() if h.is_dir())] if base.is_dir() else []:
        if not group.is_dir():
            continue
        for _ in range(50):
            try:
                pids = [int(p) for p in (group / "cgroup.procs").read_text().split()]
            except OSError:
                pids = []
            for pid in pids:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, signal.SIGKILL)
            try:
                group.rmdir()
                break
            except FileNotFoundError:
                break
            except OSError:
                time.sleep(0.02)


class Sandbox:
    """Starts containers under runc, each pod in its own network namespace."""

    isolation = "namespaces"

    def __init__(self, ws: Workspace, python_dirs: list[str], hard_limit: int, network: PodNetwork) -> None:
        self.ws = ws
        self.python_dirs = python_dirs
        self.hard_limit = hard_limit
        self.runc = host_tool("runc") or "/usr/sbin/runc"
        self.state = ws.private / "state"
        self.token = ws.root.name.rsplit("-", 1)[-1].lower()
        self.counter = 0
        self.started: list[str] = []
        self.network = network
        self.staging = Staging(ws.private)

    # -- network -------------------------------------------------------------------------

    def start(self) -> None:
        """Create the pod network: a namespace per pod, the bridge, rules and DNS."""
        sweep_stale()
        self.network.start()

    # -- containers ----------------------------------------------------------------------

    def env(self, pod: PodPlan, container: ContainerPlan) -> dict[str, str]:
        """The container's environment, inside the container only."""
        env = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME": f"{INNER_DIR}/home"}
        env.update({"HOSTNAME": hostname(pod.hostname), "PYTHONUNBUFFERED": "1"})
        env.update(container.env)
        env["PATH"] = f"{INNER_DIR}/bin:{env['PATH']}"
        if "DMLC_ROLE" in container.env:
            env["DMLC_INTERFACE"] = "eth0"  # a pod's only interface besides lo
        return env

    def _rootfs(self, pod: PodPlan, container: ContainerPlan) -> Path:
        rootfs = self.ws.rootfs(pod, container.name, container.init)
        rootfs.mkdir(parents=True, exist_ok=True)
        for host_dir in _HOST_DIRS:
            link = rootfs / host_dir.lstrip("/")
            if os.path.islink(host_dir) and not os.path.lexists(link):
                # Merged /usr: /bin -> usr/bin. A relative link stays inside the rootfs.
                target = os.readlink(host_dir)
                if target.startswith("/"):
                    target = os.path.relpath(target, "/")
                link.symlink_to(target)
        return rootfs

    def _source(self, pod: PodPlan, mount: Mount) -> Path:
        """What runc binds for ``mount``: a subPath through a staging mount (:mod:`.subpath`)."""
        source = self.ws.mount_source(pod, mount)
        if not mount.sub_path:
            return source
        base = self.ws.volume_dir(pod, pod.volumes[mount.volume])
        where = f"pod {pod.name} volume {mount.volume!r} subPath {mount.sub_path!r}"
        fd = open_below(base, str(source.relative_to(base)), where)
        try:
            return self.staging.bind(fd, where)
        finally:
            os.close(fd)

    def config(self, pod: PodPlan, container: ContainerPlan, bundle: Path) -> dict[str, Any]:
        """The OCI runtime config of one container start (``config.json``) in the fresh ``bundle``."""
        sec = container.security
        if sec.seccomp == "Localhost":
            raise RunLocalError(
                f"pod {pod.name} container {container.name!r}: seccompProfile Localhost names a file on the node; "
                "run-local applies RuntimeDefault or Unconfined only"
            )
        mounts = _system_mounts()
        for host_dir in _HOST_DIRS:
            if os.path.isdir(host_dir) and not os.path.islink(host_dir):
                mounts.append(_bind(host_dir, host_dir, read_only=True))
        hosts, resolv = self.network.write_files(pod, bundle)
        for name, source in (("hosts", hosts), ("resolv.conf", resolv)):
            mounts.append(_bind(source, f"/etc/{name}", read_only=True))
        hostname_file = bundle / "hostname"
        write_new(hostname_file, hostname(pod.hostname) + "\n")
        mounts.append(_bind(hostname_file, "/etc/hostname", read_only=True))
        mounts += [_bind(d, d, read_only=True) for d in self.python_dirs]
        mounts.append(_bind(self.ws.bin, f"{INNER_DIR}/bin", read_only=True))
        mounts.append(_bind(self.ws.home(pod), f"{INNER_DIR}/home", read_only=False))
        for mount in sorted(container.mounts, key=lambda m: m.path.count("/")):
            volume = pod.volumes[mount.volume]
            if volume.kind == "emptyDir" and volume.memory and not mount.sub_path:
                options = ["nosuid", "nodev", "mode=1777", *_tmpfs_size(volume.size)]
                mounts.append({"destination": mount.path, "type": "tmpfs", "source": "tmpfs", "options": options})
                continue
            mounts.append(_bind(self._source(pod, mount), mount.path, read_only=mount.read_only))
        caps = list(sec.capabilities)
        process: dict[str, Any] = {
            "terminal": False,
            "user": {"uid": sec.uid, "gid": sec.gid, "additionalGids": list(sec.groups)},
            # Host coreutils' timeout as the container's first process bounds it even if
            # run-local dies with SIGKILL and cannot remove it.
            "args": ["/usr/bin/timeout", "-s", "KILL", str(self.hard_limit), *container.argv],
            "env": [f"{k}={v}" for k, v in self.env(pod, container).items()],
            "cwd": container.working_dir or "/",
            "capabilities": {
                "bounding": caps,
                # The kernel clears these at exec for a non-root uid; containerd does too.
                "effective": caps if sec.uid == 0 else [],
                "permitted": caps if sec.uid == 0 else [],
                "inheritable": [],
                "ambient": [],
            },
            "noNewPrivileges": sec.no_new_privileges,
        }
        linux: dict[str, Any] = {
            "namespaces": [
                {"type": "pid"},
                {"type": "ipc"},
                {"type": "uts"},
                {"type": "mount"},
                {"type": "network", "path": self.network.netns_path(pod)},
            ],
            "resources": _resources(sec),
            "cgroupsPath": f"/{bundle.name}",
            "maskedPaths": list(_MASKED),
            "readonlyPaths": list(_READ_ONLY),
        }
        if sec.seccomp == "RuntimeDefault":
            linux["seccomp"] = runtime_default()
        return {
            "ociVersion": "1.0.2",
            "process": process,
            "root": {"path": str(self._rootfs(pod, container)), "readonly": sec.read_only_root},
            "hostname": hostname(pod.hostname),
            "mounts": mounts,
            "linux": linux,
        }

    def _next_id(self) -> str:
        self.counter += 1
        return f"mxnet-run-local-{self.token}-{self.counter}"

    def spawn(self, pod: PodPlan, container: ContainerPlan) -> Handle:
        """Write the bundle and start ``runc run`` (its stdout is the container's)."""
        ident = self._next_id()
        bundle = self.ws.bundle(ident)
        config = self.config(pod, container, bundle)
        write_new(bundle / "config.json", json.dumps(config, indent=1), 0o600)
        self.started.append(ident)
        proc = subprocess.Popen(
            [self.runc, "--root", str(self.state), "run", "--bundle", str(bundle), ident],
            env=HOST_ENV, cwd=bundle, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        return Handle(proc, ident)

    def kill(self, handle: Handle) -> None:
        """SIGKILL the container's init, which takes its whole PID namespace with it.

        A container still being created cannot be signalled yet, and killing ``runc run``
        then would leave it (and its cgroups) behind: retry until runc knows it, for a few
        seconds, before falling back to killing runc itself.
        """
        for _ in range(60):
            done = run_host([self.runc, "--root", str(self.state), "kill", handle.ident, "KILL"], timeout=10)
            if done.returncode == 0 or handle.proc.poll() is not None:
                return
            time.sleep(0.05)
        kill_group(handle.proc)

    def close(self) -> None:
        """Remove every container of the run (and its cgroups), then the pod network."""
        listing = run_host([self.runc, "--root", str(self.state), "list", "-q"], timeout=10)
        known = listing.stdout.split() if listing.returncode == 0 else self.started
        for ident in known:
            run_host([self.runc, "--root", str(self.state), "delete", "--force", ident], timeout=20)
        for ident in self.started:
            _remove_cgroups(ident)
        self.staging.close()
        self.network.close()

    def leftovers(self) -> list[str]:
        """Containers of this run that runc still knows (empty after :meth:`close`)."""
        return run_host([self.runc, "--root", str(self.state), "list", "-q"], timeout=10).stdout.split()
