"""run-local's own peak memory while a pod prints as fast as it can (budget: under 300 MB).

Two runs of ``mxnet-construct run-local`` on the same machine, in the same sandbox mode:

* baseline: one pod that prints one line and sleeps;
* loud: one pod whose containers print as fast as they can for the same time, one in
  short lines and one in a single endless line with no newline.

The figure is the peak RSS (``VmHWM``) of the run-local process itself, read from
``/proc`` just before it exits; the containers are other processes and do not count.
Pod output goes to /dev/null, as a CI log would swallow it. Run as root (the sandbox)::

    .venv/bin/python benchmarks/runlocal_rss.py --seconds 20
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from proctree import peak_rss_kb

BUDGET_MB = 300
_LINES = "import sys, time\nw = sys.stdout.buffer.write\nline = b'x' * 120 + b'\\n'\nend = time.time() + {s}\nwhile time.time() < end:\n    w(line * 512)\n"
_ENDLESS = "import sys, time\nw = sys.stdout.buffer.write\nend = time.time() + {s}\nwhile time.time() < end:\n    w(b'y' * 65536)\n"


def _pod(name: str, containers: list[tuple[str, str]]) -> dict[str, object]:
    spec = [{"name": n, "image": "python", "command": ["python3", "-c", code]} for n, code in containers]
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name},
        "spec": {"restartPolicy": "Never", "containers": spec},
    }


def measure(docs: list[dict[str, object]], seconds: float, workdir: Path) -> tuple[int, float]:
    """``(peak RSS in KiB, wall seconds)`` of one run-local run of ``docs``."""
    path = workdir / f"{docs[0]['metadata']['name']}.yaml"  # type: ignore[index]
    path.write_text(yaml.safe_dump_all(docs))
    command = [sys.executable, "-m", "mxnet_construct", "run-local", str(path), "--python", sys.executable]
    command += ["--timeout", str(seconds + 60), "--no-audit"]
    start = time.monotonic()
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    peak = 0
    while proc.poll() is None:
        peak = max(peak, peak_rss_kb(proc.pid))
        time.sleep(0.1)
    wall = time.monotonic() - start
    if proc.returncode != 0:
        raise SystemExit(f"run-local failed ({proc.returncode}): {proc.stderr.read() if proc.stderr else ''}")
    return peak, wall


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0, help="how long the loud pod prints")
    args = parser.parse_args()
    s = args.seconds
    with tempfile.TemporaryDirectory() as tmp:
        quiet = _pod("quiet", [("c", f"import time; print('hello'); time.sleep({s})")])
        loud = _pod("loud", [("lines", _LINES.format(s=s)), ("endless", _ENDLESS.format(s=s))])
        base_kb, base_wall = measure([quiet], s, Path(tmp))
        loud_kb, loud_wall = measure([loud], s, Path(tmp))
    print(f"baseline (quiet pod, {base_wall:.1f}s): run-local peak RSS {base_kb / 1024:.1f} MB")
    print(f"loud pod ({loud_wall:.1f}s, printing for {s:g}s): run-local peak RSS {loud_kb / 1024:.1f} MB")
    print(f"ratio loud/baseline: {loud_kb / base_kb:.2f}; budget: under {BUDGET_MB} MB")
    return 0 if loud_kb / 1024 < BUDGET_MB else 1


if __name__ == "__main__":
    sys.exit(main())
