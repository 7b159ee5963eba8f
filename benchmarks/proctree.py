"""Peak memory of a process tree, read from ``/proc`` (Linux).

``getrusage``/``wait4`` and ``/usr/bin/time`` report the largest single process of a tree,
not the sum, and jsii runs cdk8s in two Node processes under Python. So a measured
process reads the peak RSS of itself and of every descendant just before it exits.
"""

from __future__ import annotations

import os
from collections.abc import Sequence


def peak_rss_kb(pid: int | str) -> int:
    """Peak resident set size (``VmHWM``) of a live process, in KiB; 0 if it is gone."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def descendant_pids() -> list[int]:
    """Every live descendant of this process.

    jsii's Node side is two processes: ``node jsii-runtime.js`` (the child of Python) starts
    ``node program.js`` (the kernel that runs cdk8s), so the direct children are not enough.
    """
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        fields = _stat_fields(entry)
        if fields is not None:
            children.setdefault(int(fields[1]), []).append(int(entry))
    found: list[int] = []
    todo = [os.getpid()]
    while todo:
        kids = children.get(todo.pop(), [])
        found += kids
        todo += kids
    return found


def cpu_seconds(pids: Sequence[int]) -> float:
    """User + system CPU time of the live processes ``pids`` (not of their children)."""
    ticks = 0
    for pid in pids:
        fields = _stat_fields(pid)
        if fields is not None:
            ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def _stat_fields(pid: int | str) -> list[str] | None:
    """``/proc/<pid>/stat`` after the command name (fields 3 on: state, ppid, ...), or None."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            # The command name (field 2) may hold spaces and parentheses: split after the last ")".
            return stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
