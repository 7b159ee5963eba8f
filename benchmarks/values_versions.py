"""Values-file benchmark: ``template`` with each chart version's values.yaml against 1.4.26's.

Reading a 2.4.17 or 3.5.1 values file goes through more work than a 1.4.26 one (the
version's table, detection, the rewrite into the 1.4.26 schema). The budget: the wall time
of ``mxnet-construct template`` for one release stays within 10% of the 1.4.26 path's,
measured in the same run. Each measurement is a fresh process, as a user runs it:

    python -m mxnet_construct template rel -f <version>/values.yaml --set mode=distributed \\
        --chart-version <version> -o <tmp>

Runs are interleaved (run 1 of every version, then run 2, ...), so load from other
processes spreads over all of them; the figure per version is the median. The in-process
cost of reading the values alone (``translate``, no cdk8s) is reported beside it, as a
share of the 1.4.26 process's wall time.

Usage::

    .venv/bin/python benchmarks/values_versions.py            # 7 runs
    .venv/bin/python benchmarks/values_versions.py --runs 3   # a smoke test
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
VERSIONS = ("1.4.26", "2.4.17", "3.5.1")
BASELINE = "1.4.26"
BUDGET = 1.10
OUT = ROOT / "build" / "bench" / "values_versions.json"


def values_file(version: str) -> Path:
    return DATA / f"bitnami-mxnet-{version}" / "values.yaml"


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def template_once(version: str, python: str) -> tuple[float, float]:
    """Wall and CPU seconds (the process and its Node children) of one ``template`` process
    for the version's shipped values.yaml."""
    env = dict(os.environ, CDK8S_CHECK_UPGRADE="false")
    with tempfile.TemporaryDirectory() as out:
        argv = [python, "-m", "mxnet_construct", "template", "rel", "-f", str(values_file(version))]
        argv += ["--set", "mode=distributed", "--chart-version", version, "-o", out]
        cpu, start = _children_cpu(), time.perf_counter()
        subprocess.run(argv, check=True, capture_output=True, env=env, cwd=ROOT)
        return time.perf_counter() - start, _children_cpu() - cpu


def translate_cost(version: str, loops: int) -> float:
    """Mean seconds of reading and translating the version's values.yaml, in process."""
    from mxnet_construct.helm import load_values_file, translate

    start = time.perf_counter()
    for _ in range(loops):
        values = load_values_file(values_file(version))
        values["mode"] = "distributed"
        translate(values, version)
    return (time.perf_counter() - start) / loops


def ratios(medians: Mapping[str, float], baseline: str = BASELINE) -> dict[str, float]:
    """Each version's median over the baseline's."""
    return {v: medians[v] / medians[baseline] for v in medians}


def within_budget(by_version: Mapping[str, float], budget: float = BUDGET) -> bool:
    return all(r <= budget for r in by_version.values())


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="processes per version (default 7)")
    parser.add_argument("--loops", type=int, default=200, help="in-process translations per version")
    args = parser.parse_args(argv)
    samples: dict[str, list[tuple[float, float]]] = {v: [] for v in VERSIONS}
    for _ in range(args.runs):
        for version in VERSIONS:
            samples[version].append(template_once(version, sys.executable))
    medians = {v: statistics.median(w for w, _ in s) for v, s in samples.items()}
    cpu_medians = {v: statistics.median(c for _, c in s) for v, s in samples.items()}
    by_version = ratios(medians)
    cpu_by_version = ratios(cpu_medians)
    translate_s = {v: translate_cost(v, args.loops) for v in VERSIONS}
    ok = within_budget(by_version)
    result: dict[str, Any] = {
        "runs": args.runs,
        "load_average": os.getloadavg(),
        "template_median_s": medians,
        "template_ratio_to_1.4.26": by_version,
        "template_cpu_median_s": cpu_medians,
        "template_cpu_ratio_to_1.4.26": cpu_by_version,
        "translate_ms": {v: s * 1000 for v, s in translate_s.items()},
        "translate_share_of_1.4.26_template": {v: s / medians[BASELINE] for v, s in translate_s.items()},
        "budget": BUDGET,
        "ok": ok,
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(result, indent=2) + "\n")
    print("| values.yaml of | template wall (median) | / 1.4.26 | CPU (median) | / 1.4.26 | translate alone |")
    print("|---|---|---|---|---|---|")
    for v in VERSIONS:
        print(
            f"| {v} | {medians[v]:.3f} s | {by_version[v]:.3f}x | {cpu_medians[v]:.3f} s | "
            f"{cpu_by_version[v]:.3f}x | {translate_s[v] * 1000:.2f} ms |"
        )
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print(f"wall budget {BUDGET:.2f}x: {'met' if ok else 'MISSED'} (figures in {OUT.relative_to(ROOT)})")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
