"""Library against the naive baseline in one process, in alternating pairs.

``synth.py`` measures what a user pays (fresh processes, slopes over N) and is the
benchmark of record; on a shared 2-core machine its two slopes come from runs minutes
apart, and the ratio moves by 0.2-0.3x between runs. This script trades realism for a
steadier ratio: one process builds and synthesizes N library releases, then N baseline
releases of the same documents (``scenarios.build_baseline``), then the other way round,
for ``--pairs`` pairs, and reports the median of the per-pair ratios. Both halves of a pair
run seconds apart, in one Node process, so a slow phase of the machine hits both.

``--library-path`` imports ``mxnet_construct`` from another checkout (a ``git worktree`` of
an older commit), so two versions can be compared with the same yardstick.

Usage::

    .venv/bin/python benchmarks/paired.py                 # 30 pairs of 20 releases
    .venv/bin/python benchmarks/paired.py --pairs 10 --releases 50
    .venv/bin/python benchmarks/paired.py --library-path ../old-checkout
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from proctree import cpu_seconds, descendant_pids


def timed_ms_per_release(build: Callable[[Any], object], releases: int) -> tuple[float, float]:
    """Wall and CPU time (Python and Node) of building and synthesizing one app, per release."""
    import cdk8s

    with tempfile.TemporaryDirectory() as outdir:
        app = cdk8s.App(outdir=outdir)
        node_pids = descendant_pids()
        cpu = time.process_time() + cpu_seconds(node_pids)
        start = time.perf_counter()
        build(app)
        app.synth()
        wall = time.perf_counter() - start
        return wall * 1000 / releases, (time.process_time() + cpu_seconds(node_pids) - cpu) * 1000 / releases


def summarize(library_ms: Sequence[float], baseline_ms: Sequence[float]) -> dict[str, float]:
    """Median of the per-pair ratios, with the medians and minima of both sides."""
    if len(library_ms) != len(baseline_ms) or not library_ms:
        raise ValueError("one library and one baseline time per pair, at least one pair")
    ratios = [lib / base for lib, base in zip(library_ms, baseline_ms, strict=True)]
    return {
        "ratio_median": statistics.median(ratios),
        "ratio_min": min(ratios),
        "ratio_max": max(ratios),
        "library_ms_median": statistics.median(library_ms),
        "library_ms_min": min(library_ms),
        "baseline_ms_median": statistics.median(baseline_ms),
        "baseline_ms_min": min(baseline_ms),
    }


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pairs", type=int, default=30, help="library/baseline pairs (default 30)")
    parser.add_argument("--releases", type=int, default=20, help="releases per app (default 20)")
    parser.add_argument("--library-path", help="import mxnet_construct from this checkout")
    args = parser.parse_args(argv)
    if args.library_path:
        sys.path.insert(0, str(Path(args.library_path).resolve()))
    import scenarios

    import mxnet_construct

    documents = scenarios.dump_documents("default", args.releases, [])
    scenarios.check_baseline(documents[:2])
    times: dict[str, list[tuple[float, float]]] = {"library": [], "baseline": []}
    for pair in range(args.pairs):
        # Alternate which side goes first, so a trend within a pair favours neither.
        for side in ("library", "baseline") if pair % 2 == 0 else ("baseline", "library"):
            if side == "library":
                build: Callable[[Any], object] = lambda app: scenarios.build_library(  # noqa: E731
                    app, "default", args.releases, []
                )
            else:
                build = lambda app: scenarios.build_baseline(app, documents)  # noqa: E731
            times[side].append(timed_ms_per_release(build, args.releases))
    wall = summarize([t[0] for t in times["library"]], [t[0] for t in times["baseline"]])
    cpu = summarize([t[1] for t in times["library"]], [t[1] for t in times["baseline"]])
    print(json.dumps({"library": str(Path(mxnet_construct.__file__).parent), "wall": wall, "cpu": cpu}))
    for clock, figures in (("wall", wall), ("CPU", cpu)):
        print(
            f"library / baseline ({clock}): median {figures['ratio_median']:.2f}x over {args.pairs} pairs "
            f"(min {figures['ratio_min']:.2f}x, max {figures['ratio_max']:.2f}x); per release library "
            f"{figures['library_ms_median']:.1f} ms, baseline {figures['baseline_ms_median']:.1f} ms (medians)"
        )


if __name__ == "__main__":
    main()
