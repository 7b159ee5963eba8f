"""``--code DIR``: a local checkout where the pods' ``git clone`` would have put the repository.

Pods have no network in a local run, so a release whose code comes from git cannot clone
it. With ``--code DIR`` the clone init container is dropped and each pod gets a copy of
``DIR`` in the volume the clone would have filled, fresh for every new pod (as a clone
into an emptyDir would be), owned by the user the clone would have run as, so the pod may
write there as on a cluster.

The copy never follows a symlink on the host: a link is copied as a link, so inside the
sandbox it resolves in the container's own view, and sockets, FIFOs and devices are left
out. Nothing in ``DIR`` can therefore make the runner (root) read or write outside it.
"""

from __future__ import annotations

import copy
import dataclasses
import os
import posixpath
import shutil
import stat
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from .model import ContainerPlan, Plan, PodPlan, RunLocalError
from .workspace import Workspace

_COPY_CHUNK = 1 << 20


def is_git_clone(argv: Sequence[str]) -> bool:
    """Whether a command runs ``git clone`` (directly or in a shell script)."""
    if argv and posixpath.basename(argv[0]) == "git":
        # Options before the subcommand (`-c credential.helper=...`) may hold spaces.
        return "clone" in argv[1:]
    words = " ".join(argv).split()
    return any(
        posixpath.basename(w) == "git" and i + 1 < len(words) and "clone" in words[i + 1 : i + 6]
        for i, w in enumerate(words)
    )


def _argv(container: Mapping[str, Any]) -> list[str]:
    return [str(w) for w in (container.get("command") or []) + (container.get("args") or [])]


def without_clone_inputs(docs: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """``docs`` with what only the ``git clone`` init containers use taken out of every pod spec.

    With ``--code`` the clone does not run, so its credentials (an ssh key or token Secret,
    a passwd file) are not needed: a user dry-running a private repository's release need
    not hand them to run-local. The volumes no other container mounts go, with the clone's
    mounts of them and its environment; the clone container itself stays, so that
    :func:`use_checkout` can tell where the code goes.
    """
    out = copy.deepcopy([dict(d) for d in docs])
    for doc in out:
        for spec in _pod_specs(doc):
            inits = [c for c in spec.get("initContainers") or [] if isinstance(c, dict)]
            clones = [c for c in inits if is_git_clone(_argv(c))]
            if not clones:
                continue
            others = [c for c in (*inits, *(spec.get("containers") or [])) if isinstance(c, dict) and c not in clones]
            kept = {m.get("name") for c in others for m in c.get("volumeMounts") or [] if isinstance(m, dict)}
            dropped = {m.get("name") for c in clones for m in c.get("volumeMounts") or [] if isinstance(m, dict)} - kept
            for clone in clones:
                clone["volumeMounts"] = [m for m in clone.get("volumeMounts") or [] if m.get("name") not in dropped]
                clone.pop("env", None)
                clone.pop("envFrom", None)
            if isinstance(spec.get("volumes"), list):
                spec["volumes"] = [v for v in spec["volumes"] if not (isinstance(v, dict) and v.get("name") in dropped)]
    return out


def _pod_specs(node: Any) -> Iterator[dict[str, Any]]:
    """Every pod spec in a manifest (a Pod's, a workload template's, a JobSet's jobs')."""
    if isinstance(node, dict):
        if isinstance(node.get("containers"), list):
            yield node
        for value in node.values():
            yield from _pod_specs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _pod_specs(item)


@dataclasses.dataclass(frozen=True)
class Checkout:
    """The checkout and, per pod, the volumes it replaces the clone in, with their owner."""

    source: Path
    volumes: Mapping[str, Mapping[str, tuple[int, int]]]  # pod -> volume -> (uid, gid)
    skipped: tuple[str, ...]  # the clone containers no longer run


def _clone_volume(pod: PodPlan, clone: ContainerPlan) -> str | None:
    """The volume ``clone`` clones into: the one mounted where its command writes."""
    words = set(" ".join(clone.argv).split())
    targets = [m.volume for m in clone.mounts if m.path in words and not m.read_only and not m.sub_path]
    if len(targets) == 1:
        return targets[0]
    empty = [m.volume for m in clone.mounts if pod.volumes[m.volume].kind == "emptyDir" and not m.read_only]
    return empty[0] if len(empty) == 1 else None


def use_checkout(the_plan: Plan, directory: str | os.PathLike[str]) -> tuple[Plan, Checkout]:
    """``the_plan`` without its ``git clone`` init containers, and where ``directory`` goes instead.

    Raises:
        RunLocalError: ``directory`` is missing or not a directory, no pod clones code from
            git, or a clone's target volume cannot be told; every problem at once.
    """
    problems: list[str] = []
    given = os.fspath(directory)
    source = Path(os.path.realpath(given))
    if not os.path.lexists(given) or not source.exists():
        problems.append(f"--code {given!r}: no such directory; give the local checkout of the release's git repository")
    elif not source.is_dir():
        problems.append(f"--code {given!r}: not a directory; give the local checkout of the release's git repository")
    pods: list[PodPlan] = []
    volumes: dict[str, dict[str, tuple[int, int]]] = {}
    skipped: set[str] = set()
    for pod in the_plan.pods:
        keep: list[ContainerPlan] = []
        for c in pod.init_containers:
            if not is_git_clone(c.argv):
                keep.append(c)
                continue
            volume = _clone_volume(pod, c)
            if volume is None:
                problems.append(
                    f"--code: pod {pod.name} init container {c.name!r} runs `git clone` but no single writable emptyDir "
                    "mount of it tells where the code goes"
                )
                continue
            owner = (c.security.uid, c.security.fs_group if c.security.fs_group is not None else c.security.gid)
            volumes.setdefault(pod.name, {})[volume] = owner
            skipped.add(c.name)
        pods.append(dataclasses.replace(pod, init_containers=tuple(keep)))
    if not skipped and not any("runs `git clone`" in p for p in problems):
        problems.append(
            "--code: no pod clones its code from git (no init container runs `git clone`), so there is nothing to replace; "
            "--code is for a release with code=GitRepository(...) (values: cloneFilesFromGit); "
            "LocalFiles and ExistingConfigMap code already travels in the manifests"
        )
    if problems:
        raise RunLocalError("; ".join(problems))
    notes = (
        *the_plan.notes,
        f"code from --code is copied into each pod where `git clone` would have put it (volumes "
        f"{', '.join(sorted({v for per_pod in volumes.values() for v in per_pod}))}); "
        f"init containers not run: {', '.join(sorted(skipped))}",
    )
    new_plan = dataclasses.replace(the_plan, pods=tuple(pods), notes=notes)
    return new_plan, Checkout(source, volumes, tuple(sorted(skipped)))


class CheckoutWorkspace(Workspace):
    """A :class:`Workspace` that fills each pod's clone volume with a copy of the checkout.

    The checkout is copied once into the run directory before any pod starts (so a file
    that cannot be read stops the run there, and edits to ``DIR`` during the run change
    nothing), then from that snapshot into each new pod.
    """

    def __init__(self, the_plan: Plan, python: str, keep: bool, checkout: Checkout) -> None:
        super().__init__(the_plan, python, keep)
        self.checkout = checkout
        self.snapshot = self.path("checkout")
        try:
            self.snapshot.mkdir()
            copy_tree(checkout.source, self.snapshot, None)
        except BaseException:
            self.cleanup()
            raise

    def materialise(self, pod: PodPlan) -> None:
        super().materialise(pod)
        for volume, owner in self.checkout.volumes.get(pod.name, {}).items():
            target = self.volume_dir(pod, pod.volumes[volume])
            # A new pod's emptyDir is empty; one that is not was already filled for this pod.
            if not any(target.iterdir()):
                copy_tree(self.snapshot, target, owner if os.geteuid() == 0 else None)


def copy_tree(source: Path, target: Path, owner: tuple[int, int] | None) -> None:
    """Copy ``source`` into the existing directory ``target``, never following a symlink.

    Links are recreated as links; regular files are opened with ``O_NOFOLLOW``, so one
    swapped for a link after it was listed is refused rather than followed; sockets,
    FIFOs and devices are skipped. ``owner`` (uid, gid) is given to everything copied.

    Raises:
        RunLocalError: a file or directory cannot be read.
    """
    try:
        entries = list(os.scandir(source))
    except OSError as err:
        raise RunLocalError(f"--code: cannot read {str(source)!r}: {err.strerror}") from None
    for entry in entries:
        info = entry.stat(follow_symlinks=False)
        dest = target / entry.name
        if stat.S_ISLNK(info.st_mode):
            os.symlink(os.readlink(entry.path), dest)
        elif stat.S_ISDIR(info.st_mode):
            dest.mkdir()
            copy_tree(Path(entry.path), dest, owner)
            # Writable by its owner, as a fresh clone would be.
            dest.chmod((info.st_mode | stat.S_IRWXU) & 0o777)
        elif stat.S_ISREG(info.st_mode):
            _copy_file(entry.path, dest, stat.S_IMODE(info.st_mode) | stat.S_IWUSR)
        else:
            continue
        if owner is not None:
            os.chown(dest, *owner, follow_symlinks=False)


def _copy_file(source: str, dest: Path, mode: int) -> None:
    try:
        reader = os.open(source, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError as err:
        raise RunLocalError(f"--code: cannot copy {source!r}: {err.strerror}") from None
    with open(reader, "rb") as src:
        writer = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        with open(writer, "wb") as out:
            shutil.copyfileobj(src, out, _COPY_CHUNK)
            os.fchmod(out.fileno(), mode & 0o777)


__all__ = ["Checkout", "CheckoutWorkspace", "copy_tree", "is_git_clone", "use_checkout", "without_clone_inputs"]
