"""The interpreter the pods' ``python3`` runs, and the check that it can run MXNet.

Images are ignored locally, so every ``python3`` in a pod command is one interpreter of the
host. Without MXNet in it, every pod would crash the same way and the run would only show
that after its timeout; so before any pod starts the interpreter must import ``mxnet`` and
``numpy``, in a subprocess with a short timeout, or the run is refused naming the fix.
"""

from __future__ import annotations

import importlib.util
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
# Importing mxnet 1.9.1 takes a second or two; far longer means something is wrong too.
CHECK_TIMEOUT = 30.0
_PROBE = "import mxnet, numpy; print(f'mxnet {mxnet.__version__}, numpy {numpy.__version__}')"


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

    ``origin`` says how ``python`` was chosen (:func:`choose_python`), for the message.

    Raises:
        RunLocalError: ``python`` did not import both within :data:`CHECK_TIMEOUT` seconds.
    """
    fix = (
        f"install MXNet into run-local's environment with `{INSTALL}` (wheels exist for Linux x86-64 with Python 3.11), "
        "or pass --python PATH naming an interpreter that imports mxnet 1.9.1 and numpy 1.23"
    )
    with tempfile.TemporaryDirectory(prefix="mxnet-run-local-check-") as home:
        try:
            done = subprocess.run(
                [python, "-c", _PROBE],
                env={"PATH": BASE_PATH, "HOME": home, "LC_ALL": "C.UTF-8"},
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                timeout=CHECK_TIMEOUT,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise RunLocalError(
                f"python: {python} ({origin}) did not import mxnet and numpy within {CHECK_TIMEOUT:g}s; {fix}"
            ) from None
        except OSError as err:
            raise RunLocalError(f"python: {python} ({origin}) cannot run: {err.strerror}; {fix}") from None
    if done.returncode != 0:
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        why = lines[-1].strip() if lines else f"exit code {done.returncode}"
        raise RunLocalError(
            f"python: {python} ({origin}) cannot import mxnet and numpy ({why}); every pod running python3 would crash; {fix}"
        )
    return done.stdout.strip()


__all__ = ["CHECK_TIMEOUT", "INSTALL", "check_python", "choose_python", "default_python", "runs_mxnet"]
