"""The verdict of a run: which cause it names, in which order.

The order matters more than the wording. A pod that keeps crashing makes every other
ps-lite node wait forever, so a run that ends in a crash loop also looks like a hang; the
crash is the cause and is named first, with its exit code, restarts and last lines. A hang
("Hung": alive and silent) comes next, and only there does the verdict offer the ps-lite
explanations. A fault asked for with ``--kill`` that never happened fails any run, because
the resilience it was meant to test was not tested.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence

from .report import PodResult

# Marks the supervisor writes into a container's output when it starts it again.
RESTART_MARKS = ("--- restart ", "--- attempt ")
LAST_LINES = 5


@dataclasses.dataclass(frozen=True)
class Ending:
    """How the supervisor's loop ended, and what it saw on the way."""

    timeout: float
    stall: float
    stalled: bool
    failure: str
    owner_failed: bool
    restarted: Mapping[str, str]
    missed_kills: Sequence[str]


def runs_of(lines: Sequence[str]) -> list[list[str]]:
    """A container's output split into its runs (one per start), restart marks dropped."""
    runs: list[list[str]] = [[]]
    for text in lines:
        if text.startswith(RESTART_MARKS) and text.endswith(" ---"):
            runs.append([])
        else:
            runs[-1].append(text)
    return runs


def _crash_text(pods: Sequence[PodResult]) -> str:
    parts = [f"{p.name} (exit code {p.exit_code}, {p.restarts + p.attempts - 1} restarts)" for p in pods]
    first = pods[0]
    tail = " | ".join(first.last_lines[-3:]) or "(no output)"
    return (
        f"crash-looping: {', '.join(parts)} kept exiting non-zero and being restarted; "
        f"last lines of {first.name}: {tail}"
    )


def _likely_cause(ending: Ending) -> str:
    if not ending.restarted:
        return ""
    causes = "; ".join(f"{pod} {how}" for pod, how in ending.restarted.items())
    return (
        f"; likely cause: {causes} (a restarted ps-lite node cannot rejoin a running dist_sync job, "
        "so the others wait for it forever; lifecycle='jobset' restarts the whole group instead)"
    )


def decide(pods: Sequence[PodResult], ending: Ending) -> tuple[bool, str]:
    """``(ok, reason)`` for the run: the first cause that applies, then any missed ``--kill``."""
    ok, reason = _cause(pods, ending)
    if not ending.missed_kills:
        return ok, reason
    missed = "; ".join(ending.missed_kills)
    if ok:
        return False, f"the requested fault never happened: {missed}; otherwise {reason}"
    return False, f"{reason}; and the requested fault never happened: {missed}"


def _cause(pods: Sequence[PodResult], ending: Ending) -> tuple[bool, str]:
    by_status: dict[str, list[str]] = {}
    for p in pods:
        by_status.setdefault(p.status, []).append(p.name)
    hung = by_status.get("Hung", [])
    looping = [p for p in pods if p.status == "CrashLoopBackOff"]
    if ending.failure:
        return False, ending.failure
    if ending.owner_failed:
        return False, "a Job or JobSet failed (see the events)"
    if looping:
        text = _crash_text(looping)
        if hung:
            text += f"; alive and silent, probably waiting for them: {', '.join(hung)}"
        return False, text
    timed_out = by_status.get("TimedOut", [])
    slow = (
        f"; still busy (printing or about to restart), not hung: {', '.join(timed_out)}: a longer --timeout may be all they need"
        if timed_out
        else ""
    )
    if hung and ending.stalled:
        return False, (
            f"stalled: no pod printed anything for {ending.stall:g}s after a restart, with pods still running: "
            f"{', '.join(hung)}{_likely_cause(ending)}"
        )
    if hung:
        return False, (
            f"timed out after {ending.timeout:g}s with pods hung (alive, silent): {', '.join(hung)} "
            "(ps-lite never times out: check DMLC_NUM_WORKER/DMLC_NUM_SERVER against the replicas, and the scheduler address)"
            f"{_likely_cause(ending)}{slow}"
        )
    if timed_out:
        return False, f"timed out after {ending.timeout:g}s{slow}"
    never = by_status.get("Pending", [])
    if never:
        return False, f"pods never started: {', '.join(never)}"
    done = len(by_status.get("Succeeded", []))
    up = len(by_status.get("Running", []))
    stopped = len(by_status.get("Stopped", []))
    text = f"{done} pods exited 0" + (f", {up} still running (allowed)" if up else "")
    if stopped:
        text += f", {stopped} stopped by their finished owner"
    restarts = sum(p.restarts + p.attempts - 1 for p in pods)
    if restarts:
        text += f", after {restarts} restarts"
    return True, text


__all__ = ["LAST_LINES", "Ending", "decide", "runs_of"]
