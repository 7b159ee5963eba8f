"""The run directory: volumes, claims, homes, hosts file and interpreter shims.

Every path the runner writes is built from validated names (:mod:`.validate`) and checked
once more, symlinks resolved, to lie inside the run directory: a container that plants a
symlink in a volume it shares cannot lead the runner (root) elsewhere. Ownership follows
the kubelet: emptyDirs are world-writable (0777), and with an ``fsGroup`` every volume is
group-owned by it with the setgid bit, so a non-root container can write its volumes.
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
from .validate import inside


class Workspace:
    """One run's temporary directory (removed by :meth:`cleanup` unless ``keep``)."""

    def __init__(self, the_plan: Plan, python: str, keep: bool) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="mxnet-run-local-")).resolve()
        # The sandbox binds from here into containers running as other users; the
        # directory itself stays private to root (mkdtemp's 0700).
        self.keep = keep
        self.plan = the_plan
        self.bin = self.root / "bin"
        self.bin.mkdir()
        for name in ("python3", "python"):
            # The interpreter comes from --python (the user), never from a manifest.
            shim = self.bin / name
            shim.write_text(f'#!/bin/sh\nexec {shlex.quote(python)} "$@"\n')
            shim.chmod(0o755)
        self.hosts = self.root / "hosts"
        self.hosts.write_text(the_plan.hosts_file())
        self.hosts.chmod(0o644)
        self.resolv = self.root / "resolv.conf"
        self.resolv.write_text("# run-local: no DNS server; every name of the run is in /etc/hosts\noptions ndots:5\n")
        self.resolv.chmod(0o644)
        self.claims = self.root / "claims"
        self.claims.mkdir()

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
            # The kubelet creates a missing subPath as a directory.
            source.mkdir(parents=True)
            self._own(source, self._fs_group(pod), 0o777 if pod.volumes[mount.volume].kind == "emptyDir" else 0o755)
            source = inside(base, source, where)
        return source

    def home(self, pod: PodPlan) -> Path:
        return self.path("pods", pod.name, "home")

    def rootfs(self, pod: PodPlan, container: str, init: bool) -> Path:
        return self.path("pods", pod.name, f"{'init-' if init else ''}{container}", "rootfs")

    def bundle(self, pod: PodPlan, container: str, init: bool) -> Path:
        return self.path("pods", pod.name, f"{'init-' if init else ''}{container}")

    @staticmethod
    def _fs_group(pod: PodPlan) -> int | None:
        return next((c.security.fs_group for c in (*pod.init_containers, *pod.containers)), None)

    @staticmethod
    def _own(path: Path, group: int | None, mode: int) -> None:
        if group is not None and os.geteuid() == 0:
            os.chown(path, -1, group, follow_symlinks=False)
            if path.is_dir() and not path.is_symlink():
                mode |= stat.S_ISGID
        path.chmod(mode)

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
                path.write_bytes(data)
                self._own(path, group, (mode if isinstance(mode, int) else 0o644) & 0o777)

    def reset(self, pod: PodPlan) -> None:
        """Forget everything a pod wrote, before it is created again (a new attempt).

        A recreated pod is a new pod to Kubernetes: its emptyDirs, HOME and container roots
        start empty. Claims survive (they belong to the PVC, not the pod), and ConfigMap
        and Secret volumes are written again by :meth:`materialise`.
        """
        targets = [self.home(pod)]
        targets += [self.volume_dir(pod, v) for v in pod.volumes.values() if v.kind != "claim"]
        targets += [self.bundle(pod, c.name, c.init) for c in (*pod.init_containers, *pod.containers)]
        for target in targets:
            # Built by self.path (checked inside the run directory); a symlink is removed,
            # never followed, and rmtree does not follow the ones below it.
            if target.is_symlink():
                target.unlink()
            elif target.exists():
                shutil.rmtree(target)

    def cleanup(self) -> None:
        if self.keep:
            return
        # Mount points of a crashed sandbox could still be busy; never follow them.
        with contextlib.suppress(OSError):
            shutil.rmtree(self.root)
        if self.root.exists():
            shutil.rmtree(self.root, ignore_errors=True)
