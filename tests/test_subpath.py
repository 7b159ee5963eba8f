"""The subPath bind race (CVE-2017-1002101 class), closed by staging binds of an fd chain.

A container of another pod sharing a claim can swap a component of a subPath for a
symlink after run-local checked it and before runc binds it. Each test here makes that
swap at a fixed point, deterministically, and shows the container still gets the
directory (or file) that was checked, or that the swap is refused. On the runner that
handed runc the checked path, runc followed the swapped symlink to the host.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mxnet_construct.runner import RunLocalError, plan, subpath
from mxnet_construct.runner.model import ContainerPlan, PodPlan
from mxnet_construct.runner.network import PodNetwork
from mxnet_construct.runner.sandbox import Sandbox, sandbox_available
from mxnet_construct.runner.workspace import Workspace
from tests.test_runner import pod, run, sh

SANDBOX, WHY_NOT = sandbox_available()
needs_sandbox = pytest.mark.skipif(not SANDBOX, reason=f"the runc sandbox cannot run here: {WHY_NOT}")
needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="needs root (mount)")


def mounts_below(path: Path) -> list[str]:
    prefix = str(path) + "/"
    return [line for line in Path("/proc/self/mountinfo").read_text().splitlines() if prefix in line]


def swap_for_symlink(path: Path, target: Path) -> Path:
    """What the attacker does: move ``path`` aside and put a symlink to ``target`` there."""
    aside = path.with_name(path.name + ".aside")
    path.rename(aside)
    path.symlink_to(target)
    return aside


@pytest.fixture
def canary(tmp_path: Path) -> Iterator[Path]:
    """A host directory the attacker points the subPath at; it must stay as it was."""
    path = tmp_path / "host-canary"
    path.mkdir()
    (path / "secret").write_text("host-secret\n")
    yield path
    assert sorted(p.name for p in path.iterdir()) == ["secret"], "something was written into the host canary"


@pytest.fixture
def workspace() -> Iterator[tuple[Workspace, PodPlan, Sandbox]]:
    mounts = [{"name": "data", "mountPath": "/data", "subPath": "a/b"}]
    volumes = [{"name": "data", "persistentVolumeClaim": {"claimName": "shared"}}]
    the_plan = plan([pod("p", [sh("c", "true", volumeMounts=mounts)], volumes=volumes)])
    (p,) = the_plan.pods
    ws = Workspace(the_plan, sys.executable, keep=False)
    try:
        ws.materialise(p)
        ws.path("claims", "shared", "a", "b").mkdir(parents=True)
        yield ws, p, Sandbox(ws, [], hard_limit=60, network=PodNetwork(the_plan))
    finally:
        ws.cleanup()
    assert not ws.root.exists() and mounts_below(ws.root) == []


def test_a_symlink_or_fifo_on_the_way_is_refused_by_the_fd_chain(tmp_path: Path) -> None:
    (tmp_path / "dir" / "sub").mkdir(parents=True)
    (tmp_path / "dir" / "file").write_text("x")
    (tmp_path / "link").symlink_to(tmp_path / "dir")
    os.mkfifo(tmp_path / "fifo")
    for rel, why in [
        ("link/sub", r"'link' became a symlink"),
        ("dir/file/x", r"'file' is not a directory"),
        ("fifo", r"'fifo' is neither a directory nor a regular file"),
        ("dir/missing", r"'missing' cannot be opened"),
    ]:
        with pytest.raises(RunLocalError, match=rf"^here: {why}.*; refused$"):
            subpath.open_below(tmp_path, rel, "here")
    for rel in ("dir/sub", "dir/file", "."):
        os.close(subpath.open_below(tmp_path, rel, "here"))


@needs_root
def test_a_swap_after_the_config_is_written_does_not_move_runc_s_source(
    workspace: tuple[Workspace, PodPlan, Sandbox], canary: Path
) -> None:
    ws, p, sandbox = workspace
    checked = ws.path("claims", "shared", "a", "b")
    (checked / "orig").write_text("checked\n")
    before = os.stat(checked)
    config = sandbox.config(p, p.containers[0], ws.bundle("mxnet-run-local-t-1"))
    (source,) = [m["source"] for m in config["mounts"] if m["destination"] == "/data"]
    assert Path(source).parent == ws.private / "subpaths"
    # The attacker's swap between run-local's check and runc's mount: on the old runner
    # the source was claims/shared/a/b, which now leads runc to the canary.
    aside = swap_for_symlink(ws.path("claims", "shared", "a"), canary)
    seen = os.stat(source)
    assert (seen.st_dev, seen.st_ino) == (before.st_dev, before.st_ino)
    assert (Path(source) / "orig").read_text() == "checked\n"
    (Path(source) / "written").write_text("stays in the volume\n")
    assert (aside / "b" / "written").is_file()
    assert mounts_below(ws.private / "subpaths"), "the staging bind is not mounted"
    sandbox.staging.close()
    assert mounts_below(ws.private / "subpaths") == []


@needs_root
def test_a_swap_between_the_fd_chain_and_the_mount_binds_what_was_opened(
    workspace: tuple[Workspace, PodPlan, Sandbox], canary: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws, p, sandbox = workspace
    checked = ws.path("claims", "shared", "a", "b")
    before = os.stat(checked)
    monkeypatch.setattr(subpath, "before_mount", lambda fd: swap_for_symlink(ws.path("claims", "shared", "a"), canary))
    config = sandbox.config(p, p.containers[0], ws.bundle("mxnet-run-local-t-1"))
    (source,) = [m["source"] for m in config["mounts"] if m["destination"] == "/data"]
    assert os.path.islink(ws.path("claims", "shared") / "a"), "the swap did not happen"
    seen = os.stat(source)
    assert (seen.st_dev, seen.st_ino) == (before.st_dev, before.st_ino)
    assert not (Path(source) / "secret").exists()


@needs_root
def test_a_swap_between_the_check_and_the_fd_chain_is_refused(
    workspace: tuple[Workspace, PodPlan, Sandbox], canary: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws, p, sandbox = workspace
    checked = Workspace.mount_source

    def check_then_swap(self: Workspace, pod_: PodPlan, mount: Any) -> Path:
        source = checked(self, pod_, mount)
        swap_for_symlink(ws.path("claims", "shared", "a"), canary)
        return source

    monkeypatch.setattr(Workspace, "mount_source", check_then_swap)
    with pytest.raises(
        RunLocalError, match=r"subPath 'a/b': 'a' became a symlink \(swapped by a container\?\); refused"
    ):
        sandbox.config(p, p.containers[0], ws.bundle("mxnet-run-local-t-1"))
    assert mounts_below(ws.private) == []


@needs_root
def test_a_file_sub_path_is_staged_as_the_file_that_was_opened(tmp_path: Path, canary: Path) -> None:
    volume, private = tmp_path / "volume", tmp_path / "private"
    (volume / "conf").mkdir(parents=True)
    (volume / "conf" / "app.ini").write_text("checked\n")
    private.mkdir(mode=0o700)
    staging = subpath.Staging(private)
    fd = subpath.open_below(volume, "conf/app.ini", "here")
    try:
        swap_for_symlink(volume / "conf", canary)
        target = staging.bind(fd, "here")
    finally:
        os.close(fd)
    try:
        assert target.is_file() and target.read_text() == "checked\n"
    finally:
        staging.close()
    assert mounts_below(tmp_path) == []


@needs_root
def test_staging_mounts_of_a_dead_run_are_detached_and_a_live_run_s_kept(tmp_path: Path) -> None:
    runs = {}
    for name in ("mxnet-run-local-dead1", "mxnet-run-local-live1"):
        private = tmp_path / name / "private"
        private.mkdir(parents=True, mode=0o700)
        (tmp_path / name / "volume").mkdir()
        runs[name] = private
    live_lock = subpath.hold_lock(runs["mxnet-run-local-live1"])
    dead_lock = subpath.hold_lock(runs["mxnet-run-local-dead1"])
    os.close(dead_lock)  # what the kernel does when run-local is killed
    stagings = []
    try:
        for name, private in runs.items():
            staging = subpath.Staging(private)
            stagings.append(staging)
            fd = subpath.open_below(tmp_path / name, "volume", "here")
            try:
                staging.bind(fd, "here")
            finally:
                os.close(fd)
        subpath.sweep_stale(str(tmp_path))
        assert mounts_below(runs["mxnet-run-local-dead1"]) == []
        assert len(mounts_below(runs["mxnet-run-local-live1"])) == 1
    finally:
        for staging in stagings:
            staging.close()
        os.close(live_lock)
    assert mounts_below(tmp_path) == []


@needs_root
def test_a_sub_path_removed_after_it_was_opened_is_refused(tmp_path: Path) -> None:
    (tmp_path / "volume" / "gone").mkdir(parents=True)
    private = tmp_path / "private"
    private.mkdir(mode=0o700)
    staging = subpath.Staging(private)
    fd = subpath.open_below(tmp_path / "volume", "gone", "here")
    try:
        (tmp_path / "volume" / "gone").rmdir()
        with pytest.raises(RunLocalError, match=r"^here: cannot be bound \(No such file or directory\); refused$"):
            staging.bind(fd, "here")
    finally:
        os.close(fd)
        staging.close()
    assert mounts_below(tmp_path) == []


def swap_after_config(monkeypatch: pytest.MonkeyPatch, parts: tuple[str, ...], canary: Path) -> None:
    """Swap ``parts`` (of the run directory) for a symlink to ``canary`` once container
    ``c``'s OCI config is written: runc has not mounted anything yet."""
    config = Sandbox.config

    def config_then_swap(self: Sandbox, pod_: PodPlan, container: ContainerPlan, bundle: Path) -> dict[str, Any]:
        done = config(self, pod_, container, bundle)
        if container.name == "c":
            swap_for_symlink(self.ws.path(*parts), canary)
        return done

    monkeypatch.setattr(Sandbox, "config", config_then_swap)


@needs_sandbox
def test_a_container_sees_the_checked_sub_path_though_it_was_swapped_before_runc_ran(
    canary: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    swap_after_config(monkeypatch, ("claims", "shared", "sub"), canary)
    volumes = [{"name": "data", "persistentVolumeClaim": {"claimName": "shared"}}]
    fill = "mkdir /data/sub && echo checked > /data/sub/orig"
    init = sh("fill", fill, volumeMounts=[{"name": "data", "mountPath": "/data"}])
    script = "cat /mnt/orig; if [ -e /mnt/secret ]; then echo LEAKED; fi; touch /mnt/owned; ls /mnt"
    main = sh("c", script, volumeMounts=[{"name": "data", "mountPath": "/mnt", "subPath": "sub"}])
    result, out = run([pod("p", [main], initContainers=[init], volumes=volumes)], isolation="namespaces")
    assert re.search(r"^p +\| checked$", out, re.M), out
    assert "LEAKED" not in out and result.ok, out
    assert re.search(r"^p +\| owned$", out, re.M), out


@needs_sandbox
def test_a_container_sees_the_checked_file_sub_path_though_its_directory_was_swapped(
    canary: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    swap_after_config(monkeypatch, ("pods", "p", "volumes", "data", "conf"), canary)
    volumes = [{"name": "data", "emptyDir": {}}]
    fill = "mkdir /data/conf && echo checked > /data/conf/secret"
    init = sh("fill", fill, volumeMounts=[{"name": "data", "mountPath": "/data"}])
    mounts = [{"name": "data", "mountPath": "/conf/app.ini", "subPath": "conf/secret", "readOnly": True}]
    main = sh("c", "cat /conf/app.ini", volumeMounts=mounts)
    result, out = run([pod("p", [main], initContainers=[init], volumes=volumes)], isolation="namespaces")
    assert result.ok, out
    assert re.search(r"^p +\| checked$", out, re.M) and "host-secret" not in out, out
