"""subPath binds that a container sharing the volume cannot redirect.

Checking a subPath and then handing its path to runc races: between the two, a
container of another pod sharing the claim can swap a directory of the path for a
symlink, and runc (root, in the host's file system) follows it wherever it points (the
kubelet's CVE-2017-1002101). As the kubelet does since, the subPath is opened one
component at a time through descriptors that never follow a symlink; that descriptor is
bind-mounted (``/proc/self/fd/N``, in run-local's own mount namespace) onto a staging
path in the run's private directory, which no container can reach; runc binds the
staging path. Whatever is swapped after the descriptor is open changes nothing: the
mount is of the opened directory or file itself.

Every staging mount is detached at the end of the run (:func:`unmount_below`), and a
run killed with SIGKILL leaves ones the next run detaches (:func:`sweep_stale`).
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import fcntl
import os
import re
import stat
import tempfile
from pathlib import Path

from .model import RunLocalError

_MS_BIND = 0x1000
_MNT_DETACH = 0x2
_PATH = os.O_PATH | os.O_NOFOLLOW | os.O_CLOEXEC
# Run directories of run-local: tempfile.mkdtemp(prefix="mxnet-run-local-").
_RUN_DIR = re.compile(r"mxnet-run-local-[a-z0-9_]+")
LOCK = "lock"
STAGING = "subpaths"

_libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)


def _mount_bind(source: str, target: str) -> None:
    if _libc.mount(source.encode(), target.encode(), None, ctypes.c_ulong(_MS_BIND), None) != 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err), target)


def _detach(target: str) -> None:
    if _libc.umount2(target.encode(), _MNT_DETACH) != 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err), target)


def open_below(base: Path, rel: str, where: str) -> int:
    """An ``O_PATH`` descriptor of ``base/rel``, no component of which is a symlink.

    The last component may be a directory or a regular file; anything else (a symlink,
    a FIFO, a device) is refused, as is a non-directory on the way.
    """
    fd = os.open(base, _PATH | os.O_DIRECTORY)
    parts = [p for p in rel.split("/") if p not in ("", ".")]
    try:
        for i, part in enumerate(parts):
            try:
                child = os.open(part, _PATH, dir_fd=fd)
            except OSError as err:
                raise RunLocalError(f"{where}: {part!r} cannot be opened ({err.strerror}); refused") from None
            os.close(fd)
            fd = child
            mode = os.fstat(fd).st_mode
            last = i == len(parts) - 1
            if stat.S_ISLNK(mode):
                raise RunLocalError(f"{where}: {part!r} became a symlink (swapped by a container?); refused")
            if not last and not stat.S_ISDIR(mode):
                raise RunLocalError(f"{where}: {part!r} is not a directory; refused")
            if last and not (stat.S_ISDIR(mode) or stat.S_ISREG(mode)):
                raise RunLocalError(f"{where}: {part!r} is neither a directory nor a regular file; refused")
    except BaseException:
        os.close(fd)
        raise
    return fd


def before_mount(fd: int) -> None:
    """Called between resolving a subPath and binding it (a seam for tests)."""


class Staging:
    """The staging mounts of one run, under ``private/subpaths`` (root-only, never bound)."""

    def __init__(self, private: Path) -> None:
        self.dir = private / STAGING
        self.count = 0
        self.mounted: list[Path] = []

    def bind(self, fd: int, where: str) -> Path:
        """Bind what ``fd`` refers to onto a fresh staging path; return that path."""
        if not self.dir.is_dir():
            os.mkdir(self.dir, 0o700)
        before_mount(fd)
        opened = os.fstat(fd)
        self.count += 1
        target = self.dir / str(self.count)
        if stat.S_ISDIR(opened.st_mode):
            os.mkdir(target, 0o700)
        else:
            os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600))
        # /proc/self/fd/N names the opened object itself, not a path to walk again.
        try:
            _mount_bind(f"/proc/self/fd/{fd}", str(target))
        except OSError as err:
            # ENOENT: removed since it was opened (by a container sharing the volume).
            raise RunLocalError(f"{where}: cannot be bound ({err.strerror}); refused") from None
        self.mounted.append(target)
        seen = os.stat(target, follow_symlinks=False)
        if (seen.st_dev, seen.st_ino) != (opened.st_dev, opened.st_ino):
            raise RunLocalError(f"{where}: the staged bind is not the directory that was checked; refused")
        return target

    def close(self) -> None:
        """Detach every staging mount (lazily: a container may still hold its own bind)."""
        while self.mounted:
            with contextlib.suppress(OSError):
                _detach(str(self.mounted.pop()))


def _mount_points() -> list[str]:
    points = []
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        field = line.split(" ")[4]
        points.append(re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), field))
    return points


def unmount_below(root: Path) -> None:
    """Detach every mount at or below ``root`` (deepest first), so nothing is removed through one."""
    prefix = str(root).rstrip("/") + "/"
    for point in sorted((p for p in _mount_points() if p.startswith(prefix)), key=len, reverse=True):
        with contextlib.suppress(OSError):
            _detach(point)


def hold_lock(private: Path) -> int:
    """Lock ``private/lock`` for this run's lifetime; the kernel drops it when run-local dies."""
    fd = os.open(private / LOCK, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    return fd


def sweep_stale(tmp: str | None = None) -> None:
    """Detach staging mounts left by runs that died (their lock is free); live runs keep theirs."""
    base = os.path.realpath(tmp or tempfile.gettempdir())
    runs = set()
    for point in _mount_points():
        rel = os.path.relpath(point, base)
        parts = rel.split("/")
        if len(parts) >= 3 and _RUN_DIR.fullmatch(parts[0]) and parts[1:3] == ["private", STAGING]:
            runs.add(parts[0])
    for run in sorted(runs):
        private = Path(base, run, "private")
        try:
            fd = os.open(private / LOCK, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
        except FileNotFoundError:
            fd = -1  # a run from before the lock: nothing holds it
        except OSError:
            continue
        try:
            if fd >= 0:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            continue  # a live run
        else:
            unmount_below(private / STAGING)
        finally:
            if fd >= 0:
                os.close(fd)
