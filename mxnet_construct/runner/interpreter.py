"""The interpreter the pods' ``python3`` runs, and the check that it can run MXNet.

Images are ignored locally, so every ``python3`` in a pod command is one interpreter of the
host. Without MXNet in it, every pod would crash the same way and the run would only show
that after its timeout; so before any pod starts the interpreter must import ``mxnet`` and
``numpy``, in a subprocess with a short timeout, or the run is refused naming the fix.
"""

from __future__ import annotations

import importlib.util
import os
import posixpath
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from ..contract import MANAGED_BY
from .host import BASE_PATH
from .model import Plan, RunLocalError

# The one command that gives run-local's own environment MXNet (the `local` extra pins
# mxnet 1.9.1 and the numpy it imports with, where wheels exist: Linux x86-64, Python 3.11).
INSTALL = 'pip install "mxnet-construct[local]"'
# Finding the packages takes an interpreter's start-up; importing mxnet 1.9.1 a second or
# two on an idle machine, many more on a busy one.
CHECK_TIMEOUT = 30.0
IMPORT_TIMEOUT = 120.0
# Looks mxnet and numpy up without importing them, as the import system would find them.
_FIND = """
import importlib.metadata as md, importlib.util as u, sys
missing = [m for m in ("mxnet", "numpy") if u.find_spec(m) is None]
if missing:
    sys.exit("ModuleNotFoundError: No module named " + " nor ".join(repr(m) for m in missing))
print(f"mxnet {md.version('mxnet')}, numpy {md.version('numpy')}")
"""
_IMPORT = "import mxnet, numpy"


def _own_environment_has_mxnet() -> bool:
    return all(importlib.util.find_spec(name) is not None for name in ("mxnet", "numpy"))


def choose_python(python: str | None) -> tuple[str, str]:
    """The interpreter ``python3`` maps to, and why it is that one.

    ``python`` (``--python``) if given; else run-local's own interpreter if its environment
    has ``mxnet`` and ``numpy`` (the ``local`` extra); else a ``.mxnet-venv`` in the current
    directory or in the checkout this package runs from (the project's development set-up);
    else the host's ``python3``, which :func:`check_python` then checks like any other.
    """
    if python:
        return python, "given with --python"
    if _own_environment_has_mxnet():
        return sys.executable, "run-local's own environment, which has mxnet"
    for root in (Path.cwd(), Path(__file__).resolve().parents[2]):
        candidate = root / ".mxnet-venv" / "bin" / "python"
        if candidate.exists():
            return str(candidate), "the project's .mxnet-venv"
    host = shutil.which("python3", path=BASE_PATH) or "python3"
    return host, "the host's python3: run-local's own environment has no mxnet"


def default_python() -> str:
    """The interpreter ``python3`` maps to when ``--python`` is not given (:func:`choose_python`)."""
    return choose_python(None)[0]


def resolve_python(interpreter: str) -> str:
    """The interpreter's path as the pods will run it (found in the base PATH when bare)."""
    found = shutil.which(interpreter, path=BASE_PATH) if "/" not in interpreter else interpreter
    if found is None or not Path(found).is_file():
        raise RunLocalError(
            f"python: {interpreter!r} is not an executable; pass --python PATH naming one that imports mxnet, or `{INSTALL}`"
        )
    # Resolve the directories (a symlinked venv) but not the file: a venv's python is a
    # symlink to the base interpreter, and following it would lose the venv.
    return os.path.join(os.path.realpath(os.path.dirname(os.path.abspath(found))), os.path.basename(found))


def runs_mxnet(the_plan: Plan) -> bool:
    """Whether a container runs ``python``/``python3`` (directly or in a shell) for MXNet.

    An MXNet container is one of a pod this library rendered (its ``managed-by`` label) or
    one with a ``DMLC_ROLE``; other Python pods of the same manifests need no MXNet.
    """
    return any(
        posixpath.basename(word) in ("python", "python3")
        for pod in the_plan.pods
        if pod.labels.get("app.kubernetes.io/managed-by") == MANAGED_BY
        or any("DMLC_ROLE" in c.env for c in (*pod.init_containers, *pod.containers))
        for c in (*pod.init_containers, *pod.containers)
        for word in " ".join(c.argv).split()
    )


def check_python(python: str, origin: str) -> str:
    """``mxnet X, numpy Y``: the versions ``python`` imports; refuses if it cannot import both.

    Two probes: the first only looks the packages up (no import), so a missing one is
    refused within seconds even on a busy machine; the second imports them, which is what
    the pods will do, and refuses on the error they would crash with (mxnet 1.9.1 with a
    numpy it cannot use, a broken install). An import still going after
    :data:`IMPORT_TIMEOUT` seconds is not held against the interpreter: the pods may be as
    slow, and the timeout catches a hang.

    ``origin`` says how ``python`` was chosen (:func:`choose_python`), for the message.

    Raises:
        RunLocalError: ``python`` does not run, lacks mxnet or numpy, or fails to import them.
    """
    fix = (
        f"install MXNet into run-local's environment with `{INSTALL}` (wheels exist for Linux x86-64 with Python 3.11), "
        "or pass --python PATH naming an interpreter that imports mxnet 1.9.1 and numpy 1.23"
    )
    where = f"python: {python} ({origin})"
    found = _probe(python, _FIND, CHECK_TIMEOUT)
    if found is None:
        raise RunLocalError(f"{where} did not answer within {CHECK_TIMEOUT:g}s; {fix}")
    if isinstance(found, OSError):
        raise RunLocalError(f"{where} cannot run: {found.strerror}; {fix}")
    if found.returncode != 0:
        raise RunLocalError(
            f"{where} cannot import mxnet and numpy ({_last_line(found)}); every pod running python3 would crash; {fix}"
        )
    imported = _probe(python, _IMPORT, IMPORT_TIMEOUT)
    if isinstance(imported, subprocess.CompletedProcess) and imported.returncode != 0:
        raise RunLocalError(
            f"{where} has mxnet and numpy but cannot import them ({_last_line(imported)}); every pod running python3 would crash; {fix}"
        )
    return found.stdout.strip()


def _probe(python: str, code: str, timeout: float) -> subprocess.CompletedProcess[str] | OSError | None:
    """``python -c code`` in a clean environment; None if it did not end within ``timeout``."""
    with tempfile.TemporaryDirectory(prefix="mxnet-run-local-check-") as home:
        try:
            return subprocess.run(
                [python, "-c", code],
                env={"PATH": BASE_PATH, "HOME": home, "LC_ALL": "C.UTF-8"},
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                timeout=timeout,
                check=False,
            )
        except subprocess.TimeoutExpired:
            return None
        except OSError as err:
            return err


def _last_line(done: subprocess.CompletedProcess[str]) -> str:
    lines = [line.strip() for line in done.stderr.splitlines() if line.strip()]
    return lines[-1] if lines else f"exit code {done.returncode}"


__all__ = [
    "CHECK_TIMEOUT",
    "IMPORT_TIMEOUT",
    "INSTALL",
    "check_python",
    "choose_python",
    "default_python",
    "runs_mxnet",
]
