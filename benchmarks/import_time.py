"""How long ``import mxnet_construct`` takes, next to ``import cdk8s``.

Each import runs in a fresh interpreter under ``python -X importtime``; the figure is the
sum of the cumulative times Python reports for top-level imports, less those of a bare
interpreter start-up (import work only), median of ``--runs`` runs. The wall time of the whole process is
shown too, against a bare ``python -c pass``.

    .venv/bin/python benchmarks/import_time.py [--runs 7]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STATEMENTS = {
    "python -c pass": "pass",
    "import mxnet_construct": "import mxnet_construct",
    "import cdk8s": "import cdk8s",
    "import cdk8s, cdk8s_plus_27": "import cdk8s, cdk8s_plus_27",
    "from mxnet_construct import MXNetChart": "from mxnet_construct import MXNetChart",
}


def top_level_us(stderr: str) -> int:
    """Sum of the cumulative times of the top-level imports in ``-X importtime`` output."""
    total = 0
    for line in stderr.splitlines():
        # "import time: self [us] | cumulative | imported package"; nesting is shown by
        # extra spaces before the package name, so top-level entries have exactly one.
        parts = line.split("|")
        if len(parts) == 3 and parts[1].strip().isdigit() and not parts[2].startswith("  "):
            total += int(parts[1])
    return total


def measure(statement: str, python: str) -> tuple[float, float]:
    env = dict(os.environ, CDK8S_CHECK_UPGRADE="false")
    start = time.perf_counter()
    proc = subprocess.run(
        [python, "-X", "importtime", "-c", statement], capture_output=True, text=True, cwd=ROOT, env=env, check=True
    )
    wall = time.perf_counter() - start
    return wall, top_level_us(proc.stderr) / 1e6


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="import cost of mxnet_construct vs cdk8s")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--python", default=sys.executable)
    args = parser.parse_args(argv)
    rows = []
    for label, statement in STATEMENTS.items():
        samples = [measure(statement, args.python) for _ in range(args.runs)]
        wall = statistics.median(s[0] for s in samples)
        imp = statistics.median(s[1] for s in samples)
        rows.append((label, wall, imp))
    # Start-up imports (site, encodings, ...) are top-level too; "pass" measures them alone.
    baseline = rows[0][2]
    print("| Statement | Process wall (median) | Import time (-X importtime, cumulative) |")
    print("|---|---:|---:|")
    for label, wall, imp in rows:
        print(f"| `{label}` | {wall * 1000:.0f} ms | {(imp - baseline) * 1000:.1f} ms |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
