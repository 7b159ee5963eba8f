"""Peak memory of a process tree, read from ``/proc`` (Linux).

``getrusage``/``wait4`` and ``/usr/bin/time`` report the largest single process of a tree,
not the sum, and jsii runs cdk8s in two Node processes under Python. So a measured
process reads the peak RSS of itself and of every descendant just before it exits.
"""

from __future__ import annotations

import os


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
        try:
            with open(f"/proc/{entry}/stat") as stat:
                # Field 4 is the parent pid; the command name (field 2) may hold spaces,
                # so split after its closing parenthesis.
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry))
    found: list[int] = []
    todo = [os.getpid()]
    while todo:
        kids = children.get(todo.pop(), [])
        found += kids
        todo += kids
    return found
