"""The run directory: volumes, claims, homes, hosts file and interpreter shims.

Two trees, so that no name from a manifest can land on a file of run-local's own:

* ``pods/<pod>/{home,volumes/<volume>}`` and ``claims/<claim>``: what containers see
  (bound into them), built from validated names (:mod:`.validate`);
* ``private/`` (root, 0700, never bound into a container): runc's state, one bundle per
  container start (``bundles/<id>``: ``config.json``, ``hostname``), the containers' root
  file systems (``rootfs/<pod>/<init|main>-<container>``) and the size-capped logs.
  Its entries are named by run-local alone (a counter, or a fixed prefix before a
  validated name), so a container named ``home``, ``hosts`` or ``config.json`` is just a
  container. ``subpaths/`` holds the staging binds of subPaths (:mod:`.subpath`) and
  ``lock`` is locked while the run lives.

Every file run-local writes is created with ``O_CREAT | O_EXCL | O_NOFOLLOW`` (:func:`write_new`):
something already there, a FIFO or a symlink a container planted, is an error, never
followed or blocked on. Ownership follows the kubelet: emptyDirs are world-writable
(0777), and with an ``fsGroup`` every volume is group-owned by it with the setgid bit.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import shutil
import stat
import tempfile
from pathlib import Path

from .model import Mount, Plan, PodPlan, RunLocalError, Volume
from .subpath import hold_lock, unmount_below
from .validate import inside


def write_new(path: Path, data: bytes | str, mode: int = 0o644) -> None:
    """Create ``path`` holding ``data``; refused if anything (a FIFO, a symlink) is there.

    ``O_EXCL`` with ``O_CREAT`` never opens an existing file nor follows a final symlink,
    and ``O_NONBLOCK`` keeps even a race with a FIFO from blocking the runner.
    """
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK
    try:
        fd = os.open(path, flags, mode)
    except FileExistsError:
        raise RunLocalError(f"{str(path)!r} already exists (planted by a container?); refused to write it") from None
    try:
        os.fchmod(fd, mode)
        payload = data.encode() if isinstance(data, str) else data
        view = memoryview(payload)
        while view:
            view = view[os.write(fd, view) :]
    finally:
        os.close(fd)


def _mkdirs_below(base: Path, rel: Path) -> None:
    fd = os.open(base, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)
    try:
        for part in rel.parts:
            with contextlib.suppress(FileExistsError):
                os.mkdir(part, 0o755, dir_fd=fd)
            try:
                child = os.open(part, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=fd)
            except OSError as err:
                raise RunLocalError(
                    f"{str(base / rel)!r}: {part!r} is not a directory ({err.strerror}); refused"
                ) from None
            os.close(fd)
            fd = child
    finally:
        os.close(fd)


def private_dir(path: Path) -> Path:
    """Create ``path`` as a fresh root-only directory (0700); refused if anything is there."""
    os.mkdir(path, 0o700)
    os.chmod(path, 0o700, follow_symlinks=False)
    return path


class Workspace:
    """One run's temporary directory (removed by :meth:`cleanup` unless ``keep``)."""

    def __init__(self, the_plan: Plan, python: str, keep: bool) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="mxnet-run-local-")).resolve()
        # The sandbox binds from here into containers running as other users; the
        # directory itself stays private to root (mkdtemp's 0700).
        self.keep = keep
        self.plan = the_plan
        self.private = private_dir(self.root / "private")
        for sub in ("bundles", "rootfs", "logs", "state"):
            private_dir(self.private / sub)
        # Held until cleanup: a later run detaches staging mounts only of runs that died.
        self.lock = hold_lock(self.private)
        self.bin = self.root / "bin"
        self.bin.mkdir()
        for name in ("python3", "python"):
            # The interpreter comes from --python (the user), never from a manifest.
            write_new(self.bin / name, f'#!/bin/sh\nexec {shlex.quote(python)} "$@"\n', 0o755)
        self.hosts = self.root / "hosts"
        write_new(self.hosts, the_plan.hosts_file())
        self.resolv = self.root / "resolv.conf"
        write_new(self.resolv, "# run-local: no DNS server; every name of the run is in /etc/hosts\noptions ndots:5\n")
        self.claims = self.root / "claims"
        self.claims.mkdir()
        self.starts = 0

    def path(self, *parts: str) -> Path:
        """``root/parts...``, refused if it resolves outside the run directory."""
        return inside(self.root, self.root.joinpath(*parts), "run directory")

    def pod_dir(self, pod: PodPlan) -> Path:
        return self.path("pods", pod.name)

    def volume_dir(self, pod: PodPlan, volume: Volume) -> Path:
        if volume.kind == "claim":
            return self.path("claims", volume.claim)
        # hostPath volumes are empty directories here: the host is never handed to a pod.
        return self.path("pods", pod.name, "volumes", volume.name)

    def mount_source(self, pod: PodPlan, mount: Mount) -> Path:
        """The directory or file a volumeMount binds, its subPath resolved inside the volume.

        Checked right before each container starts, because an earlier container may
        have replaced the subPath with a symlink (the classic subPath escape).
        """
        base = self.volume_dir(pod, pod.volumes[mount.volume])
        if not mount.sub_path:
            return base
        where = f"pod {pod.name} volume {mount.volume!r} subPath {mount.sub_path!r}"
        source = inside(base, base / mount.sub_path, where)
        if not os.path.lexists(source):
            # The kubelet creates a missing subPath as a directory; step by step, never
            # following a symlink a container may plant meanwhile.
            _mkdirs_below(base, source.relative_to(base))
            self._own(source, self._fs_group(pod), 0o777 if pod.volumes[mount.volume].kind == "emptyDir" else 0o755)
            source = inside(base, source, where)
        return source

    def home(self, pod: PodPlan) -> Path:
        return self.path("pods", pod.name, "home")

    def rootfs(self, pod: PodPlan, container: str, init: bool) -> Path:
        """A container's root file system: kept across restarts in place, fresh per pod attempt."""
        return self.private / "rootfs" / pod.name / f"{'init' if init else 'main'}-{container}"

    def bundle(self, ident: str) -> Path:
        """A fresh, root-only bundle directory for one container start (``ident`` is run-local's)."""
        return private_dir(self.private / "bundles" / ident)

    def log(self, pod: PodPlan, container: str, init: bool) -> Path:
        """Where one container start's output is logged (a new file each start)."""
        self.starts += 1
        return self.private / "logs" / f"{self.starts:05d}-{pod.name}-{'init' if init else 'main'}-{container}.log"

    @staticmethod
    def _fs_group(pod: PodPlan) -> int | None:
        return next((c.security.fs_group for c in (*pod.init_containers, *pod.containers)), None)

    @staticmethod
    def _own(path: Path, group: int | None, mode: int) -> None:
        # Through a no-follow descriptor: a container sharing the volume may have swapped
        # the path for a symlink to a host file since it was checked.
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
        except OSError as err:
            raise RunLocalError(f"{str(path)!r}: {err.strerror} (a symlink planted in a volume?); refused") from None
        try:
            if group is not None and os.geteuid() == 0:
                os.fchown(fd, -1, group)
                if stat.S_ISDIR(os.fstat(fd).st_mode):
                    mode |= stat.S_ISGID
            os.fchmod(fd, mode)
        finally:
            os.close(fd)

    def materialise(self, pod: PodPlan) -> None:
        """Create the pod's home and volumes (fresh, except claims shared by name)."""
        home = self.home(pod)
        home.mkdir(parents=True, exist_ok=True)
        # Sticky and world-writable like /tmp: the pod's containers may run as different users.
        home.chmod(0o1777)
        group = self._fs_group(pod)
        for volume in pod.volumes.values():
            target = self.volume_dir(pod, volume)
            fresh = not target.exists()
            target.mkdir(parents=True, exist_ok=True)
            target = inside(self.root, target, f"pod {pod.name} volume {volume.name!r}")
            if volume.kind in ("emptyDir", "hostPath"):
                self._own(target, group, 0o777)
            elif volume.kind == "claim":
                if fresh:
                    self._own(target, group, 0o775 if group is not None else 0o755)
            else:
                self._own(target, group, 0o755)
            for rel, (data, mode) in volume.files.items():
                path = target / rel
                where = f"pod {pod.name} volume {volume.name!r} item {rel!r}"
                # A fresh volume of the runner's own making: nothing in it can be a symlink
                # yet, but check anyway rather than trust that.
                path.parent.mkdir(parents=True, exist_ok=True)
                inside(target, path.parent, where)
                if path.is_symlink():
                    raise RunLocalError(f"{where}: a symlink is in the way; refused")
                write_new(path, data, (mode if isinstance(mode, int) else 0o644) & 0o777)
                self._own(path, group, (mode if isinstance(mode, int) else 0o644) & 0o777)

    def reset(self, pod: PodPlan) -> None:
        """Forget everything a pod wrote, before it is created again (a new attempt).

        A recreated pod is a new pod to Kubernetes: its emptyDirs, HOME and container roots
        start empty. Claims survive (they belong to the PVC, not the pod), and ConfigMap
        and Secret volumes are written again by :meth:`materialise`.
        """
        targets = [self.home(pod)]
        targets += [self.volume_dir(pod, v) for v in pod.volumes.values() if v.kind != "claim"]
        targets += [self.rootfs(pod, c.name, c.init) for c in (*pod.init_containers, *pod.containers)]
        for target in targets:
            # Built by self.path (checked inside the run directory); a symlink is removed,
            # never followed, and rmtree does not follow the ones below it.
            if target.is_symlink():
                target.unlink()
            elif target.exists():
                shutil.rmtree(target)

    def cleanup(self) -> None:
        # A staging mount still attached would let rmtree delete through it into a volume.
        unmount_below(self.private)
        if self.lock >= 0:
            os.close(self.lock)
            self.lock = -1
        if self.keep:
            return
        # Mount points of a crashed sandbox could still be busy; never follow them.
        with contextlib.suppress(OSError):
            shutil.rmtree(self.root)
        if self.root.exists():
            shutil.rmtree(self.root, ignore_errors=True)
