"""Starting pods, watching their containers, applying restart policies and deciding the verdict.

The supervisor knows nothing about how a container is started: a launcher (the runc
:class:`~.sandbox.Sandbox` or :class:`~.plain.Plain`) spawns and kills them. What happens
when a container ends is not decided here either: every exit goes to the pure
:class:`~mxnet_construct.policies.restart.RestartMachine`, which answers as Kubernetes
would (restart the container in place, recreate the pod, fail or restart the Job or the
JobSet, stop what is left), and the supervisor carries that out:

* init containers run one by one, then the main containers together; JobSet
  ``startupPolicyOrder: InOrder`` holds a pod back until the pods before it started;
* a recreated pod (``attempt`` > 0) gets fresh processes, a fresh HOME, fresh emptyDirs and
  fresh writable roots; a container restarted in place keeps them, as the kubelet does;
* back-offs are :data:`BACKOFF_SCALE` of the cluster's (the kubelet's 10 s doubling to
  300 s becomes 1 s doubling to 30 s; the Job controller's 10 s to 360 s, 1 s to 36 s);
* a pod stopped because its Job or JobSet *succeeded* gets :data:`STOP_GRACE` seconds to
  end by itself (scheduler and servers exit 0 right after the workers), as the
  termination grace period would give it; any other stop kills at once;
* one local departure: a container of a ``restartPolicy: Always`` pod that exits 0 is not
  restarted (Kubernetes would, and a finished worker would train again forever); the pod
  counts as Succeeded and the report says Kubernetes would restart it;
* ``--kill`` (:mod:`.faults`) SIGKILLs a pod's containers at its time, once; a kill whose
  pod is not running then, or whose time the run does not reach, fails the run;
* the hang detector: ps-lite never times out, so the run is bounded by ``timeout``, and
  once a pod was restarted or recreated, ``stall`` seconds without a line of output from
  any pod end the run early. Either way the report names the restarted pods as the likely
  cause (a restarted ps-lite node cannot rejoin a running ``dist_sync`` job);
* the verdict (:mod:`.verdict`) tells a crash loop (non-zero exits ``--kill`` did not cause,
  again and again) from a hang (alive and silent) from a slow pod (still printing).
"""

from __future__ import annotations

import dataclasses
import heapq
import signal
import subprocess
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Literal, Protocol

from ..policies.restart import (
    Decision,
    Exited,
    JobFinished,
    JobSetFinished,
    JobSetRestarting,
    PodFinished,
    RestartContainer,
    RestartMachine,
    StartPod,
    StopPod,
    Tick,
)
from .faults import Kill
from .host import Handle
from .logs import CappedLog, pump
from .model import ContainerPlan, Plan, PodPlan, RunLocalError
from .report import ContainerResult, IsolationUsed, Output, PodResult, RunEvent, RunResult
from .verdict import LAST_LINES, Ending, decide, runs_of
from .workspace import Workspace

BACKOFF_SCALE = 0.1
STOP_GRACE = 10.0
DEFAULT_STALL = 30.0
_TICK = 0.5


class Launcher(Protocol):
    """What the supervisor needs from an isolation mode."""

    isolation: str

    def start(self) -> None: ...

    def spawn(self, pod: PodPlan, container: ContainerPlan) -> Handle: ...

    def kill(self, handle: Handle) -> None: ...

    def close(self) -> None: ...


class Watcher(Protocol):
    """What the supervisor needs from the NetworkPolicy drop log (:mod:`.audit`)."""

    def started(self, pod: PodPlan, handle: Handle) -> None: ...

    def refusal(self) -> str | None: ...


@dataclasses.dataclass
class _Pod:
    plan: PodPlan
    result: PodResult
    attempt: int = -1
    phase: Literal["pending", "waiting", "init", "main", "done"] = "pending"
    pending: list[ContainerPlan] = dataclasses.field(default_factory=list)
    handles: dict[str, Handle] = dataclasses.field(default_factory=dict)
    exited_ok: set[str] = dataclasses.field(default_factory=set)
    started_at: float = 0.0
    last_exit: str = ""
    stop_at: float | None = None
    # The latest exit was a crash (non-zero, not caused by --kill): which container and
    # which of its runs, so the verdict can quote that run's last lines.
    crashed: tuple[str, int] | None = None


def _reader(proc: subprocess.Popen[bytes], sink: ContainerResult, prefix: str, out: Output, log: Path) -> None:
    if proc.stdout is None:
        return
    # Bounded whatever the pod prints (:mod:`.logs`).
    capped = CappedLog(log)

    def show(text: str) -> None:
        sink.last_output = time.monotonic()
        out.line(prefix, text)

    with proc.stdout:
        try:
            pump(proc.stdout, capped, sink.lines, show)
        finally:
            capped.close()


def _signal_name(code: int) -> str:
    signum = -code if code < 0 else code - 128 if 128 < code < 160 else 0
    if signum in signal.Signals._value2member_map_:
        return f" (signal {signal.Signals(signum).name.removeprefix('SIG')})"
    return ""


class Supervisor:
    """One run of a :class:`Plan` through a :class:`Launcher` (see the module docstring)."""

    def __init__(
        self,
        the_plan: Plan,
        ws: Workspace,
        launcher: Launcher,
        out: Output,
        *,
        timeout: float,
        allow_running: bool,
        kills: Sequence[Kill] = (),
        stall: float = DEFAULT_STALL,
        watcher: Watcher | None = None,
        machine: RestartMachine | None = None,
    ) -> None:
        if the_plan.manifests is None:
            raise RunLocalError("the plan carries no manifest model; build it with runner.plan()")
        self.plan = the_plan
        self.ws = ws
        self.launcher = launcher
        self.out = out
        self.timeout = timeout
        self.allow_running = allow_running
        self.stall = stall
        self.watcher = watcher
        self.machine = machine or RestartMachine(the_plan.manifests)
        self.kills = list(kills)
        self.failure = ""
        self.stalled = False
        self.events: list[RunEvent] = []
        self.t0 = 0.0
        self.last_restart: float | None = None
        self.restarted: dict[str, str] = {}  # pod -> how it was restarted
        self.queue: list[tuple[float, int, StartPod | RestartContainer]] = []
        self.seq = 0
        self.dying: list[Handle] = []
        # Handles a --kill SIGKILLed, by id; holding them keeps their ids from being reused.
        self.by_fault: dict[int, Handle] = {}
        self.missed: list[str] = []  # --kill faults that never happened, and why
        self.readers: list[threading.Thread] = []
        self.pods = [
            _Pod(
                p,
                PodResult(
                    p.name,
                    p.workload,
                    p.component,
                    p.ip,
                    containers={c.name: ContainerResult(c.name, c.init) for c in (*p.init_containers, *p.containers)},
                ),
            )
            for p in the_plan.pods
        ]
        self.by_name = {r.plan.name: r for r in self.pods}

    # -- bookkeeping ---------------------------------------------------------------------

    def _now(self) -> float:
        return time.monotonic() - self.t0

    def _event(self, kind: str, text: str, pod: str | None = None) -> None:
        event = RunEvent(self._now(), kind, text, pod)
        self.events.append(event)
        self.out.note(f"{event.t:6.1f}s {kind}: {text}")

    def _schedule(self, at: float, decision: StartPod | RestartContainer) -> None:
        self.seq += 1
        heapq.heappush(self.queue, (at, self.seq, decision))

    # -- starting ------------------------------------------------------------------------

    @staticmethod
    def _prefix(r: _Pod, c: ContainerPlan) -> str:
        return r.plan.name if c is r.plan.containers[0] else f"{r.plan.name}/{c.name}"

    def _launch(self, r: _Pod, c: ContainerPlan) -> None:
        sink = r.result.containers[c.name]
        sink.exit_code = None
        try:
            handle = self.launcher.spawn(r.plan, c)
        except (OSError, RunLocalError) as err:
            # A refused subPath symlink or a runtime that cannot start: the pod fails.
            sink.lines.append(f"cannot start: {err}")
            self.out.line(self._prefix(r, c), f"cannot start: {err}")
            self._exited(r, c.name, 127, "could not start")
            return
        sink.started = True
        handle.attempt = r.attempt
        r.handles[c.name] = handle
        if self.watcher is not None:
            self.watcher.started(r.plan, handle)
        t = threading.Thread(
            target=_reader,
            args=(handle.proc, sink, self._prefix(r, c), self.out, self.ws.log(r.plan, c.name, c.init)),
            daemon=True,
        )
        t.start()
        self.readers.append(t)

    def _ready(self, r: _Pod) -> bool:
        return all(self.by_name[a].attempt >= 0 and self.by_name[a].phase != "waiting" for a in r.plan.after)

    def _start_attempt(self, r: _Pod, decision: StartPod) -> None:
        self._kill_all(r)
        if decision.attempt > 0:
            # A new pod: fresh processes, HOME, emptyDirs and writable roots.
            self.ws.reset(r.plan)
            for sink in r.result.containers.values():
                marker = f"--- attempt {decision.attempt} ({decision.reason}) ---"
                sink.lines.append(marker)
                sink.exit_code = None
            r.result.attempts = decision.attempt + 1
            self.last_restart = self._now()
            self.restarted[r.plan.name] = f"recreated (attempt {decision.attempt}: {decision.reason})"
            self._event("start", f"pod {r.plan.name} attempt {decision.attempt}: {decision.reason}", r.plan.name)
        self.ws.materialise(r.plan)
        r.attempt, r.started_at, r.exited_ok, r.stop_at = decision.attempt, self._now(), set(), None
        r.result.status, r.result.reason, r.result.exit_code = "Running", "", None
        r.pending = list(r.plan.init_containers)
        if r.pending:
            r.phase = "init"
            self._launch(r, r.pending.pop(0))
        else:
            r.phase = "main"
            for c in r.plan.containers:
                self._launch(r, c)

    def _restart_container(self, r: _Pod, decision: RestartContainer) -> None:
        if r.phase not in ("init", "main"):
            return
        container = next(c for c in (*r.plan.init_containers, *r.plan.containers) if c.name == decision.container)
        r.result.restarts += 1
        self.last_restart = self._now()
        self.restarted[r.plan.name] = f"container {container.name} restarted in place ({decision.restarts}x)"
        self._event(
            "restart", f"pod {r.plan.name} container {container.name} (restart {decision.restarts})", r.plan.name
        )
        r.result.containers[container.name].lines.append(f"--- restart {decision.restarts} ---")
        self._launch(r, container)

    # -- stopping ------------------------------------------------------------------------

    def _kill_all(self, r: _Pod) -> None:
        for handle in r.handles.values():
            self.launcher.kill(handle)
            self.dying.append(handle)
        r.handles.clear()

    def _stop(self, r: _Pod, reason: str, status: Literal["Stopped", "Failed"] = "Stopped") -> None:
        self._kill_all(r)
        if r.phase != "done":
            r.phase = "done"
            r.result.status, r.result.reason = status, reason
            r.result.seconds = self._now() - r.started_at

    def _kill(self, kill: Kill) -> None:
        r = self.by_name[kill.pod]
        if r.phase not in ("init", "main") or not r.handles:
            if r.phase == "done":
                state = f"had ended ({r.result.status} at {r.started_at + r.result.seconds:.1f}s)"
            elif r.phase in ("init", "main"):
                state = "was waiting to be restarted"
            else:
                state = "had not started yet"
            missed = f"--kill {kill.spec} never fired: at {self._now():.1f}s pod {kill.pod} {state}"
            self.missed.append(missed)
            self._event("kill", f"{missed}; nothing killed", kill.pod)
            return
        r.result.kills.append(kill.spec)
        self._event("kill", f"--kill {kill.spec}: SIGKILL to pod {kill.pod} (attempt {r.attempt})", kill.pod)
        for handle in r.handles.values():
            self.by_fault[id(handle)] = handle
            self.launcher.kill(handle)

    # -- decisions -----------------------------------------------------------------------

    def _apply(self, decisions: Sequence[Decision]) -> None:
        now = self._now()
        for d in decisions:
            if isinstance(d, StartPod | RestartContainer):
                self._schedule(now + max(0.0, d.at - now) * BACKOFF_SCALE, d)
            elif isinstance(d, StopPod):
                r = self.by_name[d.pod]
                if "succeeded" in d.reason and r.handles:
                    r.stop_at = now + STOP_GRACE
                    r.result.reason = f"stopping in {STOP_GRACE:g}s unless it ends: {d.reason}"
                else:
                    self._event("stop", f"pod {d.pod}: {d.reason}", d.pod)
                    self._stop(r, d.reason)
            elif isinstance(d, PodFinished):
                r = self.by_name[d.pod]
                r.phase = "done"
                r.result.status = "Succeeded" if d.phase == "Succeeded" else "Failed"
                if d.phase == "Succeeded":
                    r.result.exit_code = 0
                r.result.seconds = now - r.started_at
                if d.phase == "Failed":
                    r.result.reason = r.last_exit
                    self._kill_all(r)
            elif isinstance(d, JobFinished):
                text = f"{d.job} {'succeeded' if d.succeeded else 'failed'} ({d.reason})"
                if d.pod:
                    r = self.by_name[d.pod]
                    killed = f", killed by --kill {r.result.kills[-1]}" if r.result.kills else ""
                    text += f": pod {d.pod} {r.last_exit}{killed}"
                self._event("job", text)
                if not d.succeeded and not self.failure:
                    self.failure = text
            elif isinstance(d, JobSetRestarting):
                self._event(
                    "jobset", f"JobSet {d.jobset} restarts every job (restart {d.restarts}) after {d.failed_job} failed"
                )
                if self.failure.startswith(d.failed_job):
                    self.failure = ""  # the JobSet recovers from it
            elif isinstance(d, JobSetFinished):
                self._event("jobset", f"JobSet {d.jobset} {'succeeded' if d.succeeded else 'failed'} ({d.reason})")
                if not d.succeeded:
                    self.failure = f"JobSet {d.jobset} failed ({d.reason})" + (
                        f"; {self.failure}" if self.failure else ""
                    )

    def _exited(self, r: _Pod, cname: str, code: int, what: str = "", *, by_fault: bool = False) -> None:
        sink = r.result.containers[cname]
        sink.exit_code = code
        kind = "init container" if sink.init else "container"
        r.last_exit = f"{kind} {cname} {what or f'exited {code}{_signal_name(code)}'}"
        r.crashed = None
        if code != 0 and not by_fault:
            r.result.crashes += 1
            # Restart marks are added by the supervisor itself, so this run's index is
            # final even if the reader has not yet read the run's last lines.
            r.crashed = (cname, sum(1 for _ in runs_of(sink.lines)) - 1)
        if code != 0:
            r.result.exit_code = code
            self._event("exit", f"pod {r.plan.name} {r.last_exit}", r.plan.name)
        if code == 0 and not sink.init and r.plan.restart_policy == "Always":
            # Local departure (module docstring): a finished container is not restarted.
            r.exited_ok.add(cname)
            if r.exited_ok >= {c.name for c in r.plan.containers}:
                r.phase, r.result.status, r.result.exit_code = "done", "Succeeded", 0
                r.result.seconds = self._now() - r.started_at
                r.result.reason = "exited 0; Kubernetes would restart it (restartPolicy Always)"
            return
        decisions = self.machine.handle(Exited(self._now(), r.plan.name, cname, code, r.attempt))
        self._apply(decisions)
        if self.machine.phase(r.plan.name) == "Failed" and r.plan.workload.startswith("Pod/") and not self.failure:
            self.failure = f"pod {r.plan.name}: {r.last_exit}"
        if sink.init and code == 0 and r.phase == "init":
            if r.pending:
                self._launch(r, r.pending.pop(0))
            else:
                r.phase = "main"
                for c in r.plan.containers:
                    self._launch(r, c)

    def _poll(self, r: _Pod) -> None:
        for cname, handle in list(r.handles.items()):
            code = handle.proc.poll()
            if code is None:
                continue
            del r.handles[cname]
            if r.stop_at is not None:
                # Ending by itself within the grace period of a successful owner.
                r.result.containers[cname].exit_code = code
                if not r.handles:
                    r.phase, r.result.seconds = "done", self._now() - r.started_at
                    r.result.status = "Succeeded" if code == 0 else "Stopped"
                    r.result.exit_code, r.result.reason = code, "" if code == 0 else r.result.reason
                continue
            self._exited(r, cname, code, by_fault=id(handle) in self.by_fault)

    # -- the run -------------------------------------------------------------------------

    def run(self) -> RunResult:
        """Run every pod; on any exception (Ctrl-C, SIGTERM) kill what was started first."""
        self.t0 = time.monotonic()
        last_tick = 0.0
        try:
            self._apply(self.machine.start(0.0))
            while True:
                now = self._now()
                while self.kills and self.kills[0].at <= now:
                    self._kill(self.kills.pop(0))
                self._due(now)
                for r in self.pods:
                    if r.phase in ("init", "main"):
                        self._poll(r)
                    if r.stop_at is not None and now >= r.stop_at and r.phase != "done":
                        self._event("stop", f"pod {r.plan.name}: did not end within {STOP_GRACE:g}s", r.plan.name)
                        self._stop(r, r.result.reason.split(": ", 1)[-1])
                if now - last_tick >= _TICK:
                    last_tick = now
                    self._apply(self.machine.handle(Tick(now)))
                refused = self.watcher.refusal() if self.watcher is not None else None
                if refused and not self.failure:
                    self.failure = f"NetworkPolicy: {refused}"
                if self._finished(now):
                    break
                time.sleep(0.05)
        except BaseException:
            for r in self.pods:
                self._kill_all(r)
            raise
        return self._verdict()

    def _due(self, now: float) -> None:
        held: list[tuple[float, int, StartPod | RestartContainer]] = []
        while self.queue and self.queue[0][0] <= now:
            item = heapq.heappop(self.queue)
            d = item[2]
            r = self.by_name[d.pod]
            if isinstance(d, StartPod):
                if self.failure:
                    continue
                if not self._ready(r):
                    r.phase = "waiting"
                    held.append(item)
                    continue
                self._start_attempt(r, d)
            elif isinstance(d, RestartContainer):
                self._restart_container(r, d)
        for item in held:
            heapq.heappush(self.queue, (now + 0.05, item[1], item[2]))

    def _stalled(self, now: float) -> bool:
        if self.last_restart is None or now - self.last_restart < self.stall:
            return False
        return now - max(self.out.last - self.t0, self.last_restart) >= self.stall

    def _finished(self, now: float) -> bool:
        if self.failure or self.machine.outcome == "Failed":
            return True
        if self.queue and not self.failure:
            pass  # a restart or a recreation is still due
        elif all(r.phase == "done" for r in self.pods):
            return True
        finishing = [r for r in self.pods if r.plan.finishing]
        if self.allow_running and finishing and all(r.phase == "done" for r in finishing):
            return True
        if self._stalled(now):
            self.stalled = True
            return True
        return now >= self.timeout

    def _verdict(self) -> RunResult:
        end = self._now()
        for k in self.kills:
            self.missed.append(f"--kill {k.spec} never fired: the run ended at {end:.1f}s, before {k.at:g}s")
        leftover = [r for r in self.pods if r.phase in ("init", "main", "waiting") or r.handles]
        alive = {r.plan.name for r in leftover if r.handles}
        for r in leftover:
            self._kill_all(r)
        for handle in self.dying:
            try:
                handle.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.out.note(f"warning: {handle.ident or handle.proc.pid} did not end within 10s of SIGKILL")
        for t in self.readers:
            t.join(timeout=5)
        for r in self.pods:
            if r.crashed is not None:
                cname, run = r.crashed
                runs = runs_of(r.result.containers[cname].lines)
                r.result.last_lines = runs[run][-LAST_LINES:] if run < len(runs) else []
        for r in leftover:
            if r.phase != "done":
                r.result.seconds = end - r.started_at
                self._leftover(r, r.plan.name in alive, self.t0 + end)
        for r in self.pods:
            if r.attempt < 0:
                r.result.status, r.result.reason = "Pending", "never started"
        ok, reason = decide(
            [r.result for r in self.pods],
            Ending(
                timeout=self.timeout,
                stall=self.stall,
                stalled=self.stalled,
                failure=self.failure,
                owner_failed=self.machine.outcome == "Failed",
                restarted={pod: how for pod, how in self.restarted.items() if self.by_name[pod].result.crashes < 2},
                missed_kills=self.missed,
            ),
        )
        return RunResult(ok, reason, [r.result for r in self.pods], [], self._isolation(), end, self.events)

    def _leftover(self, r: _Pod, alive: bool, end: float) -> None:
        """The status of a pod the run's end (``end``, monotonic) caught unfinished; it is killed by now."""
        result = r.result
        if self.failure:
            result.status, result.reason = "Stopped", "killed after another pod failed"
        elif r.crashed is not None and result.crashes >= 2:
            # Checked before allow_running: a long-running pod that keeps crashing is no success.
            cname, _ = r.crashed
            result.status = "CrashLoopBackOff"
            result.reason = f"container {cname} exited non-zero {result.crashes} times, restarted each time"
        elif self.allow_running and not r.plan.finishing:
            result.status, result.reason = "Running", "still running at the end (allowed)"
        elif r.attempt < 0:
            result.status, result.reason = "Pending", "never started"
        elif not alive:
            result.status, result.reason = "TimedOut", "waiting to be started again when the run ended"
        else:
            last = max((c.last_output for c in result.containers.values()), default=0.0)
            quiet = end - last if last else None
            if quiet is not None and quiet < self._quiet():
                result.status = "TimedOut"
                result.reason = f"still printing when the run ended (last line {quiet:.1f}s before), killed"
            else:
                why = (
                    f"no output for {self.stall:g}s after a restart"
                    if self.stalled
                    else f"alive and silent after {self.timeout:g}s"
                )
                result.status, result.reason = "Hung", f"{why}, killed"

    def _quiet(self) -> float:
        """Seconds without a line after which a live pod counts as silent at the timeout."""
        return min(self.stall, max(1.0, self.timeout / 4))

    def _isolation(self) -> IsolationUsed:
        return "namespaces" if self.launcher.isolation == "namespaces" else "none"
