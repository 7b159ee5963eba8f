"""Container output: a size-capped log file and a bounded tail in memory.

A pod may print as fast as it can, or one endless line. run-local's own memory must not
follow: output is read in bounded pieces, a line longer than :data:`MAX_LINE` is cut, the
log file stops growing at :data:`MAX_LOG` bytes, and the result keeps only the first
:data:`HEAD` and the last :data:`TAIL` lines (the log has the rest, up to its cap).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import IO

from .workspace import write_new

MAX_LINE = 8 * 1024
MAX_LOG = 64 * 2**20
HEAD = 1000
TAIL = 4000
_CUT = " [... line cut at 8 KiB]"


class CappedLog:
    """A log file created fresh (``O_EXCL``) that ignores writes past ``cap`` bytes."""

    def __init__(self, path: Path, cap: int = MAX_LOG) -> None:
        write_new(path, b"", 0o600)
        self.fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_NOFOLLOW | os.O_CLOEXEC)
        self.left = cap

    def write(self, data: bytes) -> None:
        if self.left <= 0:
            return
        if len(data) >= self.left:
            data = data[: self.left - 1] + b"\n" if self.left > 1 else b""
            data += b"[run-local: log capped here]\n"
        self.left -= len(data)
        os.write(self.fd, data)

    def close(self) -> None:
        os.close(self.fd)


def pump(stream: IO[bytes], log: CappedLog | None, lines: list[str], show: Callable[[str], None]) -> None:
    """Copy ``stream`` to ``log``; each line (cut at MAX_LINE) goes to ``show`` and ``lines``.

    ``lines`` keeps the first HEAD and the last TAIL lines, with one line in between
    saying how many were dropped.
    """
    cut = False
    dropped = 0
    while True:
        piece = stream.readline(MAX_LINE)
        if not piece:
            break
        if log is not None:
            log.write(piece)
        whole = piece.endswith(b"\n")
        if not cut:
            text = piece.decode(errors="replace").rstrip("\n")
            text = text if whole else text + _CUT
            show(text)
            lines.append(text)
            if len(lines) > HEAD + 1 + 2 * TAIL:
                start = HEAD + (1 if dropped else 0)
                dropped += len(lines) - TAIL - start
                del lines[start : len(lines) - TAIL]
                marker = f"[run-local: {dropped} lines not kept in memory; the log has them]"
                if start > HEAD:
                    lines[HEAD] = marker
                else:
                    lines.insert(HEAD, marker)
        # The rest of a cut line goes to the log only.
        cut = not whole
