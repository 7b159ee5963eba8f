"""``run_local``: plan, prepare the run directory, supervise, report, clean up.

Cleanup is complete on every way out: a normal end, an exception, Ctrl-C (SIGINT) or
SIGTERM. Both signals are turned into exceptions while a run is in progress (in the main
thread), so the same ``finally`` blocks kill every container (``runc kill``, or the
process group and cgroup), delete the runc containers and their cgroups, end the network
namespace and remove the run directory.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from collections.abc import Iterator, Mapping, Sequence
from types import FrameType
from typing import IO, Any, Literal, TypeAlias

from ..policies.restart import RestartMachine
from . import admission
from .audit import DropLog
from .checkout import CheckoutWorkspace, is_git_clone, use_checkout, without_clone_inputs
from .faults import resolve_kills
from .interpreter import check_python, choose_python, resolve_python, runs_mxnet
from .model import Plan, RunLocalError
from .network import PodNetwork, pod_address
from .plain import Plain
from .plan import loopback, plan
from .report import Output, RunResult
from .sandbox import Sandbox, interpreter_dirs, sandbox_available
from .supervisor import BACKOFF_SCALE, DEFAULT_STALL, STOP_GRACE, Launcher, Supervisor
from .workspace import Workspace

Isolation: TypeAlias = Literal["auto", "namespaces", "none"]
ISOLATIONS: tuple[Isolation, ...] = ("auto", "namespaces", "none")
DEFAULT_TIMEOUT = 120.0


class Terminated(BaseException):
    """SIGTERM arrived during a run; raised so that every cleanup runs, then exit 143."""


def namespaces_available() -> tuple[bool, str]:
    """Whether ``--isolation namespaces`` (the runc sandbox) can run here, and if not why."""
    return sandbox_available()


@contextlib.contextmanager
def _signals_raise() -> Iterator[None]:
    """SIGTERM raises :class:`Terminated` (SIGINT already raises KeyboardInterrupt)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: FrameType | None) -> None:
        raise Terminated(signum)

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _shown(path: str) -> str:
    """``path`` relative to the current directory when it lies below it, as the user would type it."""
    here = os.getcwd()
    absolute = os.path.abspath(path)
    return os.path.relpath(absolute, here) if absolute.startswith(here + os.sep) else path


def _choose(isolation: Isolation, notes: list[str]) -> Literal["namespaces", "none"]:
    if isolation == "none":
        return "none"
    can, why = sandbox_available()
    if can:
        return "namespaces"
    if isolation == "namespaces":
        raise RunLocalError(
            f"isolation 'namespaces' is not available: {why}; use --isolation none to run plain processes"
        )
    notes.append(f"no sandbox ({why}): running plain processes in the host network with rewritten paths and names")
    return "none"


def _refuse_git_clone(the_plan: Plan) -> None:
    for pod in the_plan.pods:
        for c in pod.init_containers:
            if is_git_clone(c.argv):
                raise RunLocalError(
                    f"pod {pod.name} init container {c.name!r} runs `{' '.join(c.argv)}`, but pods have no network in a local run; "
                    f"give a local checkout of the repository with --code DIR, or skip it with --skip-init {c.name} (its volume then stays empty)"
                )


def _differences(the_plan: Plan, python: str, isolation: str) -> list[str]:
    notes = [
        f"restart policies are applied with back-offs cut to {BACKOFF_SCALE:g}x (the kubelet's 10s becomes {10 * BACKOFF_SCALE:g}s); "
        f"a pod stopped by its finished Job/JobSet gets {STOP_GRACE:g}s to end; a restartPolicy Always container that exits 0 is not restarted",
        f"images are ignored: `python3` and `python` run {python}; other commands are the host's",
        "PYTHONUNBUFFERED=1 and a fresh HOME per pod, so output shows up live",
    ]
    if isolation == "namespaces":
        notes += [
            "each container runs under runc as its securityContext says (user, groups, capabilities, "
            "no_new_privs, read-only root, memory/CPU limits), on read-only binds of the host's /usr and /etc",
            "seccomp RuntimeDefault on every container (also where none is named, as the kubelet's SeccompDefault does); "
            "no AppArmor or SELinux confinement is applied",
            "probes are not applied",
            f"each pod has its own network namespace and IP ({the_plan.pods[0].ip} ...) on a bridge of the run's own, "
            "with no route off it; ClusterIP Services are virtual IPs translated by nftables, and DMLC_INTERFACE=eth0 on ps-lite containers",
        ]
    else:
        user = "root" if os.geteuid() == 0 else "the current user"
        notes += [
            "DMLC_INTERFACE=lo on ps-lite containers (those with DMLC_ROLE): there is no eth0 here",
            f"pod IPs are loopback addresses ({the_plan.pods[0].ip} ...); Service and pod names resolve to them",
            f"no sandbox: probes, resources and securityContext (users, capabilities) are not applied: processes run as {user}",
            "no namespaces: pods share the host network (ports may collide with other programs) and /etc/hosts is the host's",
        ]
    claims = sorted({v.claim for p in the_plan.pods for v in p.volumes.values() if v.kind == "claim"})
    if claims:
        notes.append(f"persistent volume claims are fresh empty directories: {', '.join(claims)}")
    return notes


def run_local(
    paths: Sequence[str | os.PathLike[str]] = (),
    *,
    documents: Sequence[Mapping[str, Any]] | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    python: str | None = None,
    skip_init: Sequence[str] = (),
    allow_running: bool = False,
    isolation: Isolation = "auto",
    out: IO[str] | None = None,
    keep_dir: bool = False,
    kill: Sequence[str] = (),
    stall: float = DEFAULT_STALL,
    audit: bool = True,
    code: str | os.PathLike[str] | None = None,
) -> RunResult:
    """Run every pod of the manifests in ``paths`` (or ``documents``) locally.

    Args:
        paths: Synthesized manifest files (``dist/*.k8s.yaml``).
        documents: Already-loaded objects, instead of (or in addition to) ``paths``.
        timeout: Seconds the whole run may take. Pods still running then are killed and
            the run fails naming them (ps-lite itself never times out).
        python: Interpreter that ``python3`` and ``python`` run in the pods; default
            :func:`default_python` (run-local's own when it has mxnet, else the project's
            ``.mxnet-venv``). When the pods run MXNet it must import mxnet and numpy, or the
            run is refused before any pod starts (:mod:`.interpreter`).
        skip_init: Init containers (by name) not to run, e.g. ``git-clone-repository``,
            which cannot clone without a network.
        allow_running: Pods of long-running workloads (Deployment, StatefulSet, ...)
            still running when the wait ends count as ``Running`` rather than a failure.
            The wait then ends once every Job/JobSet pod has finished, or at ``timeout``.
        isolation: ``namespaces`` (the runc sandbox), ``none`` or ``auto`` (the sandbox
            when available).
        out: Where pod output (prefixed with the pod name), notes and the summary go;
            None prints nothing (the result still holds every line).
        keep_dir: Keep the run's temporary directory (volumes, OCI bundles, hosts file).
        kill: ``ROLE:INDEX@SECONDS`` faults (:mod:`.faults`): SIGKILL that pod once, that many
            seconds after the start. The restart policies decide what follows.
        stall: Once a pod was restarted, this many seconds without output from any pod
            end the run as stalled (the hang detector), naming the restarted pods.
        audit: Enforce the manifests' NetworkPolicies in the pod network and log what they
            drop (:mod:`.audit`); a drop fails the run. False leaves the pod network open
            (Services and DNS still work). Needs the sandbox; with ``isolation="none"`` it is
            skipped with a note.
        code: A local checkout of the repository a ``GitRepository`` release clones: its
            ``git clone`` init container is not run, and each pod gets a copy of this
            directory where the clone would have put it (:mod:`.checkout`).

    Returns:
        A :class:`RunResult`; ``ok`` is true only if every pod that has to finish exited 0.

    Raises:
        RunLocalError: the manifests, ``code``, ``kill`` or the interpreter cannot be used
            (raised before any pod started).
        Terminated: SIGTERM arrived; everything was cleaned up first.
    """
    if isolation not in ISOLATIONS:
        raise RunLocalError(f"isolation: {isolation!r} is not valid; use one of {', '.join(ISOLATIONS)}")
    docs = admission.admit(
        admission.load(paths) + [dict(d) for d in documents or ()], admission.timing_problems(timeout, stall)
    )
    if code is not None:
        docs = without_clone_inputs(docs)
    notes: list[str] = []
    chosen = _choose(isolation, notes)
    the_plan = plan(docs, skip_init=skip_init, address=pod_address if chosen == "namespaces" else loopback)
    checkout = None
    if code is not None:
        the_plan, checkout = use_checkout(the_plan, code)
    assert the_plan.manifests is not None
    try:
        machine = RestartMachine(the_plan.manifests)
    except ValueError as err:
        raise RunLocalError(f"restart policy: {err}") from None
    kills = resolve_kills(kill, the_plan.manifests, float(timeout))
    chosen_python, origin = choose_python(python)
    interpreter = resolve_python(chosen_python)
    notes = list(the_plan.notes) + notes
    network = PodNetwork(the_plan, enforce=audit) if chosen == "namespaces" else None
    if chosen == "namespaces":
        _refuse_git_clone(the_plan)
    # Last of the checks, as the slowest (it imports mxnet): the manifests' own problems first.
    if runs_mxnet(the_plan):
        origin += f"; {check_python(interpreter, origin)}"
    notes += _differences(the_plan, f"{_shown(chosen_python)} ({origin})", chosen)
    width = max(
        len(p.name) + max((len(c.name) + 1 for c in (*p.init_containers, *p.containers[1:])), default=0)
        for p in the_plan.pods
    )
    output = Output(out, width)
    hard_limit = int(timeout) + 30
    with _signals_raise():
        ws = (
            CheckoutWorkspace(the_plan, interpreter, keep_dir, checkout)
            if checkout is not None
            else Workspace(the_plan, interpreter, keep_dir)
        )
        launcher: Launcher | None = None
        try:
            launcher = (
                Sandbox(ws, interpreter_dirs(interpreter), hard_limit, network)
                if network is not None
                else Plain(ws, hard_limit)
            )
            workloads = sorted({p.workload for p in the_plan.pods})
            output.note(f"{len(the_plan.pods)} pods from {len(workloads)} workloads: {', '.join(workloads)}")
            for note in notes:
                output.note(f"note: {note}")
            if keep_dir:
                output.note(f"run directory (kept): {ws.root}")
            launcher.start()
            for k in kills:
                output.note(f"will kill pod {k.pod} ({k.role} {k.index}) at {k.at:g}s (--kill {k.spec})")
            watcher = None
            if audit and network is not None:
                watcher = DropLog(network, output)
                watcher.start()
            elif audit:
                notes.append("NetworkPolicies not enforced: that needs the sandbox (--isolation namespaces)")
                output.note(f"note: {notes[-1]}")
            try:
                result = Supervisor(
                    the_plan,
                    ws,
                    launcher,
                    output,
                    timeout=float(timeout),
                    allow_running=allow_running,
                    kills=kills,
                    stall=float(stall),
                    watcher=watcher,
                    machine=machine,
                ).run()
            finally:
                if watcher is not None:
                    watcher.stop()
            if watcher is not None:
                result.audit = watcher.summary()
            if isinstance(launcher, Plain) and launcher.rewrites:
                rewritten = f"{launcher.rewrites} values rewritten (mount paths into {ws.root}/pods/*/fs, Service names and pod FQDNs into loopback addresses)"
                notes.append(rewritten)
                output.note(f"note: {rewritten}")
            result.notes = notes
            if out is not None:
                out.write(result.summary() + "\n")
                out.flush()
            return result
        finally:
            # A second signal during cleanup must not cut it short.
            with _ignore_term():
                if launcher is not None:
                    launcher.close()
                ws.cleanup()


@contextlib.contextmanager
def _ignore_term() -> Iterator[None]:
    """SIGTERM and SIGINT wait until the cleanup is done (they are already on their way out)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {s: signal.signal(s, signal.SIG_IGN) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
