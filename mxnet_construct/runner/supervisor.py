"""Starting pods in order, watching their containers, and deciding the verdict.

The supervisor knows nothing about how a container is started: a launcher (the runc
:class:`~.sandbox.Sandbox` or :class:`~.plain.Plain`) spawns and kills them. It runs init
containers one by one, then the main containers together; honours JobSet start order,
Job parallelism and ``activeDeadlineSeconds``; stops everything at the first failure; and
kills what still runs at the timeout, naming it (ps-lite never times out by itself).
"""

from __future__ import annotations

import dataclasses
import signal
import subprocess
import threading
import time
from typing import Literal, Protocol

from .host import Handle
from .model import ContainerPlan, Plan, PodPlan, RunLocalError
from .report import ContainerResult, IsolationUsed, Output, PodResult, RunResult
from .workspace import Workspace


class Launcher(Protocol):
    """What the supervisor needs from an isolation mode."""

    isolation: str

    def start(self) -> None: ...

    def spawn(self, pod: PodPlan, container: ContainerPlan) -> Handle: ...

    def kill(self, handle: Handle) -> None: ...

    def close(self) -> None: ...


@dataclasses.dataclass
class _Running:
    pod: PodPlan
    result: PodResult
    pending: list[ContainerPlan]
    handles: dict[str, Handle] = dataclasses.field(default_factory=dict)
    readers: list[threading.Thread] = dataclasses.field(default_factory=list)
    started_at: float = 0.0
    phase: Literal["pending", "init", "main", "done"] = "pending"


def _reader(proc: subprocess.Popen[bytes], sink: ContainerResult, prefix: str, out: Output) -> None:
    if proc.stdout is None:
        return
    with proc.stdout:
        for raw in proc.stdout:
            text = raw.decode(errors="replace").rstrip("\n")
            sink.lines.append(text)
            out.line(prefix, text)


def _signal_name(code: int) -> str:
    if code < 0 and -code in signal.Signals._value2member_map_:
        return f" (signal {signal.Signals(-code).name})"
    return ""


class Supervisor:
    """One run of a :class:`Plan` through a :class:`Launcher`."""

    def __init__(
        self, the_plan: Plan, ws: Workspace, launcher: Launcher, out: Output, *, timeout: float, allow_running: bool
    ) -> None:
        self.plan = the_plan
        self.ws = ws
        self.launcher = launcher
        self.out = out
        self.timeout = timeout
        self.allow_running = allow_running
        self.failure = ""
        self.running = [
            _Running(
                p,
                PodResult(
                    p.name,
                    p.workload,
                    p.component,
                    p.ip,
                    containers={c.name: ContainerResult(c.name, c.init) for c in (*p.init_containers, *p.containers)},
                ),
                list(p.init_containers),
            )
            for p in the_plan.pods
        ]
        self.by_name = {r.pod.name: r for r in self.running}

    # -- starting ------------------------------------------------------------------------

    @staticmethod
    def _prefix(r: _Running, c: ContainerPlan) -> str:
        return r.pod.name if c is r.pod.containers[0] else f"{r.pod.name}/{c.name}"

    def _launch(self, r: _Running, c: ContainerPlan) -> None:
        sink = r.result.containers[c.name]
        try:
            handle = self.launcher.spawn(r.pod, c)
        except (OSError, RunLocalError) as err:
            # A refused subPath symlink or a runtime that cannot start: the pod fails.
            sink.exit_code = 127
            sink.lines.append(f"cannot start: {err}")
            self.out.line(self._prefix(r, c), f"cannot start: {err}")
            return
        sink.started = True
        r.handles[c.name] = handle
        t = threading.Thread(target=_reader, args=(handle.proc, sink, self._prefix(r, c), self.out), daemon=True)
        t.start()
        r.readers.append(t)

    def _ready(self, r: _Running) -> bool:
        active = sum(1 for o in self.running if o.pod.group == r.pod.group and o.phase in ("init", "main"))
        return all(self.by_name[a].phase != "pending" for a in r.pod.after) and active < r.pod.group_slots

    def _start(self, r: _Running, now: float) -> None:
        self.ws.materialise(r.pod)
        r.started_at = now
        r.phase = "init" if r.pending else "main"
        if r.pending:
            self._launch(r, r.pending.pop(0))
        else:
            for c in r.pod.containers:
                self._launch(r, c)

    # -- watching ------------------------------------------------------------------------

    def _stop_pod(self, r: _Running) -> None:
        for handle in r.handles.values():
            self.launcher.kill(handle)
        r.handles.clear()

    def _fail(self, r: _Running, reason: str, failure: str) -> None:
        self._stop_pod(r)
        r.result.status = "Failed"
        r.result.reason = reason
        r.phase = "done"
        r.result.seconds = time.monotonic() - r.started_at
        self.failure = self.failure or failure

    def _poll(self, r: _Running, now: float) -> None:
        for cname, handle in list(r.handles.items()):
            code = handle.proc.poll()
            if code is None:
                continue
            del r.handles[cname]
            sink = r.result.containers[cname]
            sink.exit_code = code
            if code != 0:
                kind = "init container" if sink.init else "container"
                r.result.exit_code = code
                what = f"{kind} {cname} exited {code}{_signal_name(code)}"
                self._fail(r, what, f"pod {r.pod.name}: {what}")
                return
        for cname, sink in r.result.containers.items():
            if sink.exit_code == 127 and not sink.started and r.phase != "done":
                kind = "init container" if sink.init else "container"
                r.result.exit_code = 127
                self._fail(r, f"{kind} {cname} could not start", f"pod {r.pod.name}: {kind} {cname} could not start")
                return
        if r.phase == "init" and not r.handles:
            if r.pending:
                self._launch(r, r.pending.pop(0))
            else:
                r.phase = "main"
                for c in r.pod.containers:
                    self._launch(r, c)
        elif (
            r.phase == "main"
            and not r.handles
            and all(r.result.containers[c.name].exit_code is not None for c in r.pod.containers)
        ):
            r.phase = "done"
            r.result.status = "Succeeded"
            r.result.exit_code = 0
            r.result.seconds = time.monotonic() - r.started_at
            if r.pod.restart_policy == "Always":
                r.result.reason = "exited 0; Kubernetes would restart it (restartPolicy Always)"
        deadline = r.pod.deadline_seconds
        if r.phase in ("init", "main") and deadline is not None and now - r.started_at > deadline:
            self._fail(
                r, f"activeDeadlineSeconds {deadline:g} exceeded", f"pod {r.pod.name}: activeDeadlineSeconds exceeded"
            )

    def _finished(self, now: float, deadline: float) -> bool:
        if self.failure or all(r.phase == "done" for r in self.running):
            return True
        finishing = [r for r in self.running if r.pod.finishing]
        if self.allow_running and finishing and all(r.phase == "done" for r in finishing):
            return True
        return now >= deadline

    # -- the run -------------------------------------------------------------------------

    def run(self) -> RunResult:
        """Run every pod; on any exception (Ctrl-C, SIGTERM) kill what was started first."""
        start = time.monotonic()
        deadline = start + self.timeout
        try:
            while True:
                now = time.monotonic()
                for r in self.running:
                    if r.phase == "pending" and not self.failure and self._ready(r):
                        self._start(r, now)
                    if r.phase in ("init", "main"):
                        self._poll(r, now)
                if self._finished(now, deadline):
                    break
                time.sleep(0.05)
        except BaseException:
            for r in self.running:
                self._stop_pod(r)
            raise
        return self._verdict(start)

    def _verdict(self, start: float) -> RunResult:
        end = time.monotonic()
        leftover = [r for r in self.running if r.phase in ("init", "main")]
        handles = [h for r in leftover for h in r.handles.values()]
        for r in leftover:
            self._stop_pod(r)
        for handle in handles:
            try:
                handle.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.out.note(f"warning: {handle.ident or handle.proc.pid} did not end within 10s of SIGKILL")
        for r in leftover:
            r.result.seconds = end - r.started_at
            if self.failure:
                r.result.status, r.result.reason = "Stopped", "killed after another pod failed"
            elif self.allow_running and not r.pod.finishing:
                r.result.status, r.result.reason = "Running", "still running at the end (allowed)"
            else:
                r.result.status, r.result.reason = "Hung", f"still running after {self.timeout:g}s, killed"
        for r in self.running:
            for t in r.readers:
                t.join(timeout=5)
            if r.phase == "pending":
                r.result.reason = "never started"
        return RunResult(*self._reason(), [r.result for r in self.running], [], self._isolation(), end - start)

    def _isolation(self) -> IsolationUsed:
        return "namespaces" if self.launcher.isolation == "namespaces" else "none"

    def _reason(self) -> tuple[bool, str]:
        hung = [r.pod.name for r in self.running if r.result.status == "Hung"]
        never = [r.pod.name for r in self.running if r.result.status == "Pending"]
        if self.failure:
            return False, self.failure
        if hung:
            return False, (
                f"timed out after {self.timeout:g}s with pods still running: {', '.join(hung)} "
                "(ps-lite never times out: check DMLC_NUM_WORKER/DMLC_NUM_SERVER against the replicas, and the scheduler address)"
            )
        if never:
            return False, f"pods never started: {', '.join(never)}"
        done = sum(1 for r in self.running if r.result.status == "Succeeded")
        up = sum(1 for r in self.running if r.result.status == "Running")
        return True, f"{done} pods exited 0" + (f", {up} still running (allowed)" if up else "")
