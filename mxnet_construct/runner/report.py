"""What a run did: per-container output, per-pod status, the verdict and its summary table."""

from __future__ import annotations

import dataclasses
import threading
import time
from typing import IO, Literal, TypeAlias

PodStatus: TypeAlias = Literal[
    "Succeeded", "Failed", "Running", "Hung", "CrashLoopBackOff", "TimedOut", "Stopped", "Pending"
]
IsolationUsed: TypeAlias = Literal["namespaces", "none"]


@dataclasses.dataclass
class ContainerResult:
    """What one container did: exit code (None if it never ended) and its output lines."""

    name: str
    init: bool
    exit_code: int | None = None
    lines: list[str] = dataclasses.field(default_factory=list)
    started: bool = False
    last_output: float = 0.0  # time.monotonic() of its last line; 0 if it never printed


@dataclasses.dataclass(frozen=True)
class RunEvent:
    """Something the run did or saw at ``t`` seconds: a kill, an exit, a restart, a Job or
    JobSet decision, a stop, a connection the NetworkPolicy audit refused."""

    t: float
    kind: str
    text: str
    pod: str | None = None

    def __str__(self) -> str:
        return f"{self.t:6.1f}s  {self.kind:<7} {self.text}"


@dataclasses.dataclass
class PodResult:
    """The outcome of one pod.

    ``status`` is ``Succeeded`` (every container exited 0), ``Failed`` (one exited
    non-zero or could not start), ``CrashLoopBackOff`` (kept exiting non-zero and being
    restarted until the run ended), ``Hung`` (alive and silent when the run ended, killed),
    ``TimedOut`` (still printing, or waiting for a restart, when the run ended, killed),
    ``Running`` (a long-running pod still up at the end while ``allow_running`` is set),
    ``Stopped`` (killed because another pod failed, or stopped by its Job or JobSet) or
    ``Pending`` (never started). ``attempts`` counts the pods created for it (a recreated
    pod is a new attempt, with fresh emptyDirs), ``restarts`` the container restarts in
    place, ``kills`` the ``--kill`` specs that hit it, ``crashes`` its non-zero exits that
    no ``--kill`` caused, and ``last_lines`` the end of the output of its latest crash.
    """

    name: str
    workload: str
    component: str
    ip: str
    status: PodStatus = "Pending"
    exit_code: int | None = None
    seconds: float = 0.0
    containers: dict[str, ContainerResult] = dataclasses.field(default_factory=dict)
    reason: str = ""
    attempts: int = 1
    restarts: int = 0
    kills: list[str] = dataclasses.field(default_factory=list)
    crashes: int = 0
    last_lines: list[str] = dataclasses.field(default_factory=list)

    @property
    def log(self) -> str:
        """Output of the pod's first (main) container."""
        main = next((c for c in self.containers.values() if not c.init), None)
        return "\n".join(main.lines) if main else ""


@dataclasses.dataclass
class RunResult:
    """The outcome of a run: ``ok`` only if every pod that must finish exited 0."""

    ok: bool
    reason: str
    pods: list[PodResult]
    notes: list[str]
    isolation: IsolationUsed
    seconds: float
    events: list[RunEvent] = dataclasses.field(default_factory=list)
    audit: list[str] = dataclasses.field(default_factory=list)

    @property
    def exit_code(self) -> int:
        return 0 if self.ok else 1

    def pod(self, name: str) -> PodResult:
        for p in self.pods:
            if p.name == name:
                return p
        raise KeyError(f"no pod {name!r}; pods: {', '.join(p.name for p in self.pods)}")

    def by_component(self, component: str) -> list[PodResult]:
        return [p for p in self.pods if p.component == component]

    def summary(self) -> str:
        """The summary table printed at the end of a run."""
        rows = [("POD", "WORKLOAD", "IP", "STATUS", "EXIT", "TIME", "RESTARTS", "DETAIL")]
        for p in self.pods:
            rows.append(
                (
                    p.name,
                    p.workload,
                    p.ip,
                    p.status,
                    "" if p.exit_code is None else str(p.exit_code),
                    f"{p.seconds:.1f}s",
                    _restarts(p),
                    p.reason,
                )
            )
        widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]) - 1)]
        lines = []
        if self.events:
            lines += ["EVENTS", *(f"  {e}" for e in self.events)]
        if self.audit:
            lines += ["NETWORKPOLICY AUDIT", *(f"  {a}" for a in self.audit)]
        looping = [p for p in self.pods if p.status == "CrashLoopBackOff"]
        if looping:
            lines.append("LAST LINES OF THE CRASH-LOOPING PODS")
            for p in looping:
                lines += [f"  {p.name}:", *(f"    {text}" for text in p.last_lines or ["(no output)"])]
        lines += [
            "  ".join(cell.ljust(w) for cell, w in zip(r[:-1], widths, strict=True)) + ("  " + r[-1] if r[-1] else "")
            for r in rows
        ]
        verdict = "OK" if self.ok else "FAILED"
        lines.append(f"{verdict}: {self.reason} ({self.seconds:.1f}s, isolation: {self.isolation})")
        return "\n".join(line.rstrip() for line in lines)


def _restarts(p: PodResult) -> str:
    """``2 (attempt 2)``: restarts in place plus recreations, and the last attempt's number."""
    total = p.restarts + p.attempts - 1
    return f"{total} (attempt {p.attempts - 1})" if p.attempts > 1 else str(total)


class Output:
    """Prefixes each line with its pod (and container) and writes it atomically."""

    def __init__(self, stream: IO[str] | None, width: int) -> None:
        self.stream = stream
        self.width = width
        self.lock = threading.Lock()
        self.last = time.monotonic()  # when a pod last printed a line (the hang detector reads it)

    def line(self, prefix: str, text: str) -> None:
        self.last = time.monotonic()
        if self.stream is None:
            return
        with self.lock:
            self.stream.write(f"{prefix.ljust(self.width)} | {text}\n")
            self.stream.flush()

    def note(self, text: str) -> None:
        if self.stream is None:
            return
        with self.lock:
            self.stream.write(f"run-local: {text}\n")
            self.stream.flush()
