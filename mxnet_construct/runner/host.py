"""Host-side helpers, started by absolute path with a clean environment.

Nothing from a manifest reaches a host helper's environment or a shell string: a
container's env (``PATH=/evil:...`` included) applies only inside the container.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import signal
import subprocess
from typing import Any

BASE_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
# Where host helpers are looked up: the system directories, never the caller's PATH.
_SYSTEM_DIRS = ("/usr/sbin", "/usr/bin", "/sbin", "/bin")
HOST_ENV: dict[str, str] = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL": "C.UTF-8"}


def host_tool(name: str) -> str | None:
    """The absolute path of system tool ``name`` (``runc``, ``timeout``...), or None."""
    for directory in _SYSTEM_DIRS:
        path = os.path.join(directory, name)
        if os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    return None


def run_host(argv: list[str], timeout: float = 30) -> subprocess.CompletedProcess[str]:
    """Run a host helper (argv[0] absolute) with the clean environment, capturing output."""
    return subprocess.run(argv, env=HOST_ENV, capture_output=True, text=True, timeout=timeout, check=False)


@dataclasses.dataclass
class Handle:
    """A started container: the process the runner waits on, in the sandbox its runc id, and
    the pod attempt it belongs to."""

    proc: subprocess.Popen[bytes]
    ident: str = ""
    attempt: int = 0


def kill_group(proc: subprocess.Popen[Any]) -> None:
    """SIGKILL ``proc``'s whole process group (it was started in a session of its own)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
