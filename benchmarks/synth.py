"""Synthesis benchmark: what a release costs against a naive tree-native baseline and Helm.

Every measurement is a fresh process (this file run with ``--child``), because what a user
pays is a whole ``cdk8s synth``: interpreter start, imports, the jsii Node process,
constructing the charts and ``app.synth()`` writing YAML into ``CDK8S_OUTDIR``. Scenarios:

* ``floor``: an empty cdk8s app that imports ``cdk8s`` and ``cdk8s_plus_27`` and calls
  ``app.synth()`` with no charts (it writes nothing);
* ``app``: this repository's ``app.py``, run unchanged;
* ``import``: ``import mxnet_construct`` alone, reporting whether any jsii module loaded;
* ``library N``: N distributed releases (2 servers + 3 workers, default options);
* ``baseline N``: the same documents as plain ``cdk8s.ApiObject``s with one ``JsonPatch.add``
  per top-level field (``scenarios.build_baseline``; checked to emit exactly the library's
  documents before anything is measured);
* ``helm``: one ``helm template`` of the Bitnami mxnet chart for the same release
  (``--helm`` binary, ``--chart`` directory or ``$MXNET_CHART``; skipped without a chart);
* ``everything N`` (only with ``--everything``): N releases with every feature switched on.

Runs are interleaved (run 1 of every scenario, then run 2, ...) so that load from other
processes spreads over all scenarios instead of skewing one. The cost per release of the
library and of the baseline is the least-squares slope of the median wall time over N;
Helm renders one release per process, so its cost per release is its median wall time.

Peak memory is the peak RSS of the whole process tree: jsii runs the cdk8s code in Node
processes that hold more memory than Python does. ``getrusage``/``wait4`` and
``/usr/bin/time`` report the *largest single* process of a tree, not the sum, so the child
reads ``VmHWM`` (peak RSS) from ``/proc`` for itself and for every descendant (jsii's two
Node processes) just before it exits, and reports the sum, an upper bound of the true
simultaneous peak.

Usage::

    .venv/bin/python benchmarks/synth.py --helm build/helm/helm --chart DIR   # = make bench
    .venv/bin/python benchmarks/synth.py --quick     # 3 runs, N up to 100: a smoke test
    .venv/bin/python benchmarks/synth.py --record    # write benchmarks/results/latest.json
    .venv/bin/python benchmarks/synth.py --profile library 100   # cProfile one child
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

# scenarios.py and proctree.py are sibling modules, not installed packages (also under cProfile).
sys.path.insert(0, str(Path(__file__).resolve().parent))
import scenarios
from proctree import descendant_pids, peak_rss_kb

ROOT = Path(__file__).resolve().parent.parent
RECORDED_JSON = ROOT / "benchmarks" / "results" / "latest.json"
# Outside the tracked tree (build/ is git-ignored) unless --record is given.
SCRATCH_JSON = ROOT / "build" / "bench" / "latest.json"
FULL_COUNTS = (1, 10, 100, 300)
QUICK_COUNTS = (1, 10, 100)
JSII_STACK = ("cdk8s", "cdk8s_plus_27", "constructs", "jsii")
# The same release for Helm: values of the Bitnami chart (serverCount/workerCount).
HELM_SET = "mode=distributed,serverCount=2,workerCount=3"

BUDGETS = {
    # library cost per release / naive tree-native baseline's (issue 23: lazy rendering of
    # derived values, every container hardened, public jsii API only)
    "baseline_ratio": 0.85,
    # library cost per release / one `helm template` of the Bitnami chart
    "helm_ratio": 0.55,
    "app_ratio": 1.3,
    "rss_300_mb": 600.0,
    # slope(N=100..300) / slope(N=10..100): 1.0 is perfectly linear; a quadratic term
    # of any real size pushes it well above 1.5.
    "linearity_ratio": 1.5,
}


# --------------------------------------------------------------------------- child side


def run_child(kind: str, count: int, features: Sequence[str], docs_path: str) -> None:
    """One measured synthesis; prints a JSON line with phase times and peak RSS."""
    t0 = time.perf_counter()
    extra: dict[str, Any] = {}
    if kind == "floor":
        import cdk8s
        import cdk8s_plus_27  # noqa: F401

        t1 = time.perf_counter()
        app = cdk8s.App()
        t2 = time.perf_counter()
        app.synth()
    elif kind == "import":
        import mxnet_construct  # noqa: F401

        t1 = t2 = time.perf_counter()
        extra["jsii_modules"] = sorted(m for m in sys.modules if m.split(".")[0] in JSII_STACK)
    elif kind == "app":
        import runpy

        # app.py builds its App and synthesizes in one go: there is no construct/synth split.
        t1 = t2 = time.perf_counter()
        runpy.run_path(str(ROOT / "app.py"), run_name="__main__")
    elif kind == "baseline":
        import cdk8s

        releases = json.loads(Path(docs_path).read_text())[:count]
        t1 = time.perf_counter()
        app = cdk8s.App()
        scenarios.build_baseline(app, releases)
        t2 = time.perf_counter()
        app.synth()
    else:
        import cdk8s

        from mxnet_construct import MXNetChart  # noqa: F401  (the import phase)

        t1 = time.perf_counter()
        app = cdk8s.App()
        scenarios.build_library(app, "default" if kind == "library" else kind, count, features)
        t2 = time.perf_counter()
        app.synth()
    t3 = time.perf_counter()
    outdir = Path(os.environ["CDK8S_OUTDIR"])
    written = sum(p.stat().st_size for p in outdir.glob("*.yaml"))
    node_pids = descendant_pids()
    figures = {
        "import_s": t1 - t0,
        "construct_s": t2 - t1,
        "synth_s": t3 - t2,
        "python_rss_kb": peak_rss_kb("self"),
        "node_rss_kb": sum(peak_rss_kb(pid) for pid in node_pids),
        "node_processes": len(node_pids),
        "yaml_bytes": written,
        **extra,
    }
    print(json.dumps(figures))


def run_prepare(counts: Sequence[int], docs_path: str) -> None:
    """Probes optional features, dumps the library's documents and checks the baseline."""
    probe = scenarios.probe_features()
    releases = scenarios.dump_documents("default", max(counts), [])
    scenarios.check_baseline(releases[:2])
    Path(docs_path).write_text(json.dumps(releases))
    print(json.dumps({"probe": probe, "documents_per_release": len(releases[0])}))


# -------------------------------------------------------------------------- parent side


def child_env(workdir: str) -> dict[str, str]:
    """Environment of a measured process whose files all live under ``workdir``."""
    env = dict(os.environ)
    env["CDK8S_OUTDIR"] = os.path.join(workdir, "dist")
    # jsii unpacks its runtime into a temporary directory that it leaves behind; pointing
    # TMPDIR into the work directory lets the benchmark remove it with the rest.
    env["TMPDIR"] = workdir
    env["CDK8S_CHECK_UPGRADE"] = "false"
    env.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", _node_major())
    # Helm keeps its cache and config under HOME/XDG dirs; keep them in the work directory.
    env["HELM_CACHE_HOME"] = os.path.join(workdir, "helm-cache")
    env["HELM_CONFIG_HOME"] = os.path.join(workdir, "helm-config")
    env["HELM_DATA_HOME"] = os.path.join(workdir, "helm-data")
    return env


def _node_major() -> str:
    try:
        out = subprocess.run(
            ["node", "-p", "process.versions.node.split('.')[0]"], capture_output=True, text=True, check=True
        )
    except (OSError, subprocess.CalledProcessError):
        return ""
    return out.stdout.strip()


def _run_measured(argv: Sequence[str], label: str, workdir: str, stdout_path: str | None = None) -> dict[str, Any]:
    """Runs ``argv`` once; returns its wall time (seen from here) and its rusage peak."""
    out_file = open(stdout_path, "wb") if stdout_path else subprocess.PIPE  # noqa: SIM115
    try:
        start = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=out_file, stderr=subprocess.PIPE, env=child_env(workdir), cwd=ROOT)
        # wait4 gives the child's rusage; its maxrss is the largest single process of its
        # tree (Python or the Node child it reaped), kept as a cross-check of the sum.
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
    finally:
        if stdout_path:
            out_file.close()  # type: ignore[union-attr]
    assert proc.stderr is not None
    out = proc.stdout.read().decode() if proc.stdout else ""
    err = proc.stderr.read().decode()
    for stream in (proc.stdout, proc.stderr):
        if stream:
            stream.close()
    proc.returncode = code = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise RuntimeError(f"{label} failed with exit code {code}:\n{err[-3000:]}")
    # CPU time of the process and of every descendant it waited for (jsii's Node processes
    # are reaped before Python exits): much steadier than wall time on a busy machine.
    cpu = usage.ru_utime + usage.ru_stime
    return {"wall_s": wall, "cpu_s": cpu, "max_single_rss_kb": usage.ru_maxrss, "stdout": out}


def measure(kind: str, count: int, features: Sequence[str], python: str, docs_path: str) -> dict[str, Any]:
    """Runs one child process and returns its figures plus the wall time seen from here."""
    workdir = tempfile.mkdtemp(prefix="mxnet-bench-")
    try:
        argv = [python, str(Path(__file__).resolve()), "--child", kind, str(count), ",".join(features), docs_path]
        run = _run_measured(argv, f"{kind} N={count}", workdir)
        figures: dict[str, Any] = json.loads(run.pop("stdout").strip().splitlines()[-1])
        figures.update(run)
        figures["tree_rss_kb"] = figures["python_rss_kb"] + figures["node_rss_kb"]
        return figures
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def measure_helm(helm: str, chart: str) -> dict[str, Any]:
    """One ``helm template`` of the chart for the benchmark's release, output to a file."""
    workdir = tempfile.mkdtemp(prefix="mxnet-bench-")
    try:
        output = os.path.join(workdir, "rel.yaml")
        run = _run_measured([helm, "template", "rel", chart, "--set", HELM_SET], "helm template", workdir, output)
        run.pop("stdout")
        written = Path(output).read_text()
        run.update(
            import_s=0.0,
            construct_s=0.0,
            synth_s=run["wall_s"],
            python_rss_kb=0,
            node_rss_kb=0,
            tree_rss_kb=run["max_single_rss_kb"],
            yaml_bytes=len(written.encode()),
            documents=written.count("\nkind: ") + written.startswith("kind: "),
        )
        return run
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def prepare(python: str, counts: Sequence[int], docs_path: str) -> dict[str, Any]:
    """Feature probe, the library's documents for the baseline, and the equivalence check."""
    workdir = tempfile.mkdtemp(prefix="mxnet-bench-")
    try:
        argv = [python, str(Path(__file__).resolve()), "--prepare", ",".join(map(str, counts)), docs_path]
        proc = subprocess.run(argv, capture_output=True, text=True, env=child_env(workdir), cwd=ROOT)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    if proc.returncode != 0:
        raise RuntimeError(f"preparing the benchmark failed:\n{proc.stderr[-3000:]}")
    report: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return report


def slope(points: Sequence[tuple[float, float]]) -> float:
    """Least-squares slope of y over x."""
    xs = [p[0] for p in points]
    ys = [p[1] for p in points]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    return sum((x - mx) * (y - my) for x, y in points) / sum((x - mx) ** 2 for x in xs)


def summarize(samples: list[dict[str, Any]]) -> dict[str, Any]:
    walls = [s["wall_s"] for s in samples]
    summary = {
        "runs": len(samples),
        "wall_s": statistics.median(walls),
        "wall_min_s": min(walls),
        "wall_max_s": max(walls),
        # Spread between runs, as a share of the median: the noise of this machine.
        "wall_spread": (max(walls) - min(walls)) / statistics.median(walls),
        "cpu_s": statistics.median(s["cpu_s"] for s in samples),
        "import_s": statistics.median(s["import_s"] for s in samples),
        "construct_s": statistics.median(s["construct_s"] for s in samples),
        "synth_s": statistics.median(s["synth_s"] for s in samples),
        "tree_rss_mb": statistics.median(s["tree_rss_kb"] for s in samples) / 1024,
        "python_rss_mb": statistics.median(s["python_rss_kb"] for s in samples) / 1024,
        "node_rss_mb": statistics.median(s["node_rss_kb"] for s in samples) / 1024,
        "max_single_rss_mb": statistics.median(s["max_single_rss_kb"] for s in samples) / 1024,
        "yaml_bytes": samples[0]["yaml_bytes"],
    }
    if "jsii_modules" in samples[0]:
        summary["jsii_modules"] = sorted({m for s in samples for m in s["jsii_modules"]})
    return summary


def per_release(results: dict[str, Any], variant: str, counts: Sequence[int]) -> dict[str, float]:
    """Marginal ms per release of ``variant``: slopes of wall, CPU and in-process time."""
    rows = [results[f"{variant} {n}"] for n in counts]
    return {
        "wall": slope([(n, r["wall_s"]) for n, r in zip(counts, rows, strict=True)]) * 1000,
        "cpu": slope([(n, r["cpu_s"]) for n, r in zip(counts, rows, strict=True)]) * 1000,
        # construct + synth leaves out start-up noise: a cross-check of the wall-time slope.
        "inner": slope([(n, r["construct_s"] + r["synth_s"]) for n, r in zip(counts, rows, strict=True)]) * 1000,
    }


def ratio(numerator: float, denominator: float | None) -> float | None:
    """``numerator / denominator``, or None when the denominator is missing or noise.

    A slope fitted over a few noisy medians can come out at zero or below on a busy
    machine; a ratio to it means nothing, so it is reported as not measured.
    """
    if denominator is None or denominator <= 0 or numerator <= 0:
        return None
    return numerator / denominator


def _x(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}x"


def _check(name: str, value: float | None, limit: float, fmt: str, unit: str = "x") -> dict[str, Any]:
    return {
        "budget": name,
        "value": "not measured" if value is None else f"{value:{fmt}}{unit}",
        "limit": f"<= {limit}{unit}",
        "ok": None if value is None else value <= limit,
    }


def evaluate(
    results: dict[str, Any], counts: Sequence[int], variants: Sequence[str], helm_note: str | None = None
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Derived figures (per-release costs, ratios) and the budget checks.

    ``helm_note`` says why Helm was not measured; it replaces the Helm checks' value.
    """
    floor = results["floor"]["wall_s"]
    derived: dict[str, Any] = {
        "app_ratio": results["app"]["wall_s"] / floor,
        "app_cpu_ratio": results["app"]["cpu_s"] / results["floor"]["cpu_s"],
    }
    for variant in variants:
        costs = per_release(results, variant, counts)
        derived[f"{variant}_ms_per_release"] = costs["wall"]
        derived[f"{variant}_cpu_ms_per_release"] = costs["cpu"]
        derived[f"{variant}_inner_ms_per_release"] = costs["inner"]
        if 300 in counts and variant != "baseline":
            w = {n: results[f"{variant} {n}"]["wall_s"] for n in (10, 100, 300)}
            derived[f"{variant}_linearity_ratio"] = ((w[300] - w[100]) / 200) / ((w[100] - w[10]) / 90)
    helm = results.get("helm")
    derived["helm_ms_per_release"] = helm["wall_s"] * 1000 if helm else None
    derived["helm_cpu_ms_per_release"] = helm["cpu_s"] * 1000 if helm else None
    for measure_, suffix in (("", ""), ("cpu_", "_cpu"), ("inner_", "_inner")):
        library = derived[f"library_{measure_}ms_per_release"]
        derived[f"baseline{suffix}_ratio"] = ratio(library, derived[f"baseline_{measure_}ms_per_release"])
        if suffix != "_inner":
            derived[f"helm{suffix}_ratio"] = ratio(library, derived[f"helm_{measure_}ms_per_release"])
    ours = [v for v in variants if v != "baseline"]
    rss_300 = max(results[f"{v} 300"]["tree_rss_mb"] for v in ours) if 300 in counts else None
    linearity = max(derived[f"{v}_linearity_ratio"] for v in ours) if 300 in counts else None
    derived["rss_300_mb"], derived["linearity_ratio"] = rss_300, linearity
    jsii = results["import"]["jsii_modules"]
    base, helm_ = BUDGETS["baseline_ratio"], BUDGETS["helm_ratio"]
    checks = [
        _check("library / naive tree-native baseline, per release (wall)", derived["baseline_ratio"], base, ".2f"),
        _check("library / naive tree-native baseline, per release (CPU)", derived["baseline_cpu_ratio"], base, ".2f"),
        _check("library / helm template, per release (wall)", derived["helm_ratio"], helm_, ".2f"),
        _check("library / helm template, per release (CPU)", derived["helm_cpu_ratio"], helm_, ".2f"),
        _check("default app / floor (wall)", derived["app_ratio"], BUDGETS["app_ratio"], ".2f"),
        _check("default app / floor (CPU)", derived["app_cpu_ratio"], BUDGETS["app_ratio"], ".2f"),
        {
            "budget": "import mxnet_construct loads no jsii module",
            "value": ", ".join(jsii) or "none",
            "limit": "none",
            "ok": not jsii,
        },
        _check("peak RSS, 300 releases (process tree)", rss_300, BUDGETS["rss_300_mb"], ".0f", " MB"),
        _check("linear growth: slope(100..300) / slope(10..100)", linearity, BUDGETS["linearity_ratio"], ".2f", ""),
    ]
    if helm_note:
        for check in checks:
            if "helm" in check["budget"]:
                check["value"] = helm_note
    return derived, checks


def verdict(ok: bool | None) -> str:
    return "n/a " if ok is None else ("PASS" if ok else "MISS")


def format_table(
    results: dict[str, Any], derived: dict[str, Any], checks: list[dict[str, Any]], variants: Sequence[str]
) -> str:
    floor = results["floor"]["wall_s"]
    lines = [
        "| Scenario | Wall (median) | Spread | x floor | Imports | Construct | Synth "
        "| Peak RSS, tree (Python + Node) | YAML written |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, r in results.items():
        # app.py imports, constructs and synthesizes in one go; helm is one Go process.
        phases = (
            "| in synth | in synth "
            if name in ("app", "helm")
            else f"| {r['import_s'] * 1000:.0f} ms | {r['construct_s'] * 1000:.0f} ms "
        )
        memory = (
            f"| {r['tree_rss_mb']:.0f} MB (one process) "
            if name == "helm"
            else f"| {r['tree_rss_mb']:.0f} MB ({r['python_rss_mb']:.0f} + {r['node_rss_mb']:.0f}) "
        )
        lines.append(
            f"| {name} | {r['wall_s'] * 1000:.0f} ms | ±{r['wall_spread'] * 50:.0f}% | {r['wall_s'] / floor:.2f} "
            f"{phases}| {r['synth_s'] * 1000:.0f} ms {memory}| {r['yaml_bytes'] / 1024:.0f} KiB |"
        )
    lines += [
        "",
        "| Cost per release (2 servers + 3 workers) | Wall | CPU (process tree) | In-process construct + synth |",
        "|---|---:|---:|---:|",
    ]
    for variant in variants:
        lines.append(
            f"| {variant} (least-squares slope over N) | {derived[f'{variant}_ms_per_release']:.1f} ms "
            f"| {derived[f'{variant}_cpu_ms_per_release']:.1f} ms | {derived[f'{variant}_inner_ms_per_release']:.1f} ms |"
        )
    helm, helm_cpu = derived["helm_ms_per_release"], derived["helm_cpu_ms_per_release"]
    lines.append(
        "| helm template, one process per release | "
        + ("not measured: no chart | | |" if helm is None else f"{helm:.1f} ms | {helm_cpu:.1f} ms | |")
    )
    lines += [
        f"| library / baseline | {_x(derived['baseline_ratio'])} | {_x(derived['baseline_cpu_ratio'])} "
        f"| {_x(derived['baseline_inner_ratio'])} |",
        f"| library / helm | {_x(derived['helm_ratio'])} | {_x(derived['helm_cpu_ratio'])} | |",
        "",
        "| Budget | Measured | Limit | Result |",
        "|---|---:|---:|---|",
    ]
    lines += [f"| {c['budget']} | {c['value']} | {c['limit']} | {verdict(c['ok'])} |" for c in checks]
    return "\n".join(lines)


def profile_child(kind: str, count: int, features: Sequence[str], python: str, docs_path: str) -> int:
    """Runs one child under cProfile and prints the top of the cumulative profile."""
    workdir = tempfile.mkdtemp(prefix="mxnet-bench-")
    stats = Path(workdir) / "profile.pstats"
    try:
        script = str(Path(__file__).resolve())
        argv = [
            python,
            "-m",
            "cProfile",
            "-o",
            str(stats),
            script,
            "--child",
            kind,
            str(count),
            ",".join(features),
            docs_path,
        ]
        subprocess.run(argv, check=True, env=child_env(workdir), cwd=ROOT, stdout=subprocess.DEVNULL)
        import pstats

        pstats.Stats(str(stats)).sort_stats("cumulative").print_stats(35)
        pstats.Stats(str(stats)).sort_stats("tottime").print_stats(15)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


def helm_inputs(helm: Path, chart: str | None) -> tuple[str, str] | str:
    """``(helm, chart)`` when both are usable, else why the Helm ratio is not measured."""
    if not chart:
        return "helm ratio not measured: no chart (pass --chart DIR or set MXNET_CHART to bitnami/mxnet 1.4.26)"
    if not (Path(chart) / "Chart.yaml").is_file():
        return f"helm ratio not measured: no chart: {chart} has no Chart.yaml"
    if not os.access(helm, os.X_OK):
        return f"helm ratio not measured: no helm binary at {helm} (run `make helm`)"
    return str(helm), chart


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=(__doc__ or "").split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add = parser.add_argument
    add("--runs", type=int, default=None, help="runs per scenario, median reported (default 5; 3 with --quick)")
    add("--quick", action="store_true", help="3 runs and N up to 100: a smoke test, no RSS/linearity budget")
    add(
        "--counts",
        type=lambda s: tuple(int(x) for x in s.split(",")),
        default=None,
        help="release counts, e.g. 1,10,100,300",
    )
    add("--everything", action="store_true", help="also measure everything-enabled releases (no budget)")
    add("--helm", type=Path, default=ROOT / "build" / "helm" / "helm", help="helm binary (default: make helm's)")
    add("--chart", default=os.environ.get("MXNET_CHART"), help="bitnami/mxnet 1.4.26 chart directory ($MXNET_CHART)")
    add("--helm-reps", type=int, default=3, help="helm template processes per run (default 3)")
    add(
        "--json", type=Path, default=None, help=f"where to write the figures (default {SCRATCH_JSON.relative_to(ROOT)})"
    )
    add("--record", action="store_true", help=f"write the figures to {RECORDED_JSON.relative_to(ROOT)}")
    add("--python", default=sys.executable, help="interpreter for the measured processes")
    add("--strict", action="store_true", help="exit 1 when a budget is missed")
    add("--profile", nargs=2, metavar=("KIND", "N"), help="cProfile one child (library, baseline, everything)")
    add("--child", nargs=4, metavar=("KIND", "N", "FEATURES", "DOCS"), help=argparse.SUPPRESS)
    add("--prepare", nargs=2, metavar=("COUNTS", "DOCS"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.runs is not None and args.runs < 1:
        parser.error("--runs must be at least 1")
    if args.counts is not None and len(args.counts) < 2:
        parser.error("--counts needs at least two values to fit a slope")
    if args.profile and args.profile[0] not in ("library", "baseline", "everything"):
        parser.error("--profile KIND is library, baseline or everything")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.child:
        kind, count, features, docs_path = args.child
        run_child(kind, int(count), [f for f in features.split(",") if f], docs_path)
        return 0
    if args.prepare:
        counts_arg, docs_path = args.prepare
        run_prepare([int(n) for n in counts_arg.split(",")], docs_path)
        return 0

    runs = args.runs or (3 if args.quick else 5)
    counts = args.counts or (QUICK_COUNTS if args.quick else FULL_COUNTS)
    helm = helm_inputs(args.helm, args.chart)
    scratch = tempfile.mkdtemp(prefix="mxnet-bench-docs-")
    docs_path = os.path.join(scratch, "documents.json")
    try:
        prepared = prepare(args.python, [*counts, int(args.profile[1]) if args.profile else 1], docs_path)
        probe = prepared["probe"]
        features = [name for name, info in probe.items() if info["included"]]
        if args.profile:
            kind, count = args.profile
            return profile_child(kind, int(count), features, args.python, docs_path)
        variants = ["library", "baseline"] + (["everything"] if args.everything else [])
        scenarios_list = [("floor", 0), ("app", 0), ("import", 0)] + [(v, n) for v in variants for n in counts]

        print(f"baseline: {prepared['documents_per_release']} documents per release, identical to the library's")
        if args.everything:
            print(f"optional features of the everything-enabled release: {', '.join(features) or 'none'}")
            for name, info in probe.items():
                print(f"  {name}: {'included' if info['included'] else 'left out'} ({info['reason']})")
        print(helm if isinstance(helm, str) else f"helm: {helm[0]} template rel {helm[1]} --set {HELM_SET}")
        print(
            f"{runs} runs x {len(scenarios_list)} scenarios, interleaved; load average {os.getloadavg()[0]:.2f}",
            flush=True,
        )

        load_before = os.getloadavg()
        # One unmeasured run first: it fills the OS file cache with Node, jsii and the assemblies.
        measure("floor", 0, features, args.python, docs_path)
        samples: dict[str, list[dict[str, Any]]] = {}
        started = time.time()
        for run in range(runs):
            for kind, count in scenarios_list:
                name = kind if count == 0 else f"{kind} {count}"
                samples.setdefault(name, []).append(measure(kind, count, features, args.python, docs_path))
            if not isinstance(helm, str):
                for _ in range(args.helm_reps):
                    samples.setdefault("helm", []).append(measure_helm(*helm))
            print(f"  run {run + 1}/{runs} done ({time.time() - started:.0f} s)", flush=True)
        load_after = os.getloadavg()
    finally:
        shutil.rmtree(scratch, ignore_errors=True)

    results = {name: summarize(s) for name, s in samples.items()}
    derived, checks = evaluate(results, counts, variants, helm if isinstance(helm, str) else None)
    table = format_table(results, derived, checks, variants)
    print()
    print(table)
    report = {
        "command": ("benchmarks/synth.py " + " ".join(sys.argv[1:] if argv is None else argv)).strip(),
        "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "node": _node_major(),
            "platform": platform.platform(),
        },
        "load_average_before": load_before,
        "load_average_after": load_after,
        "runs": runs,
        "counts": list(counts),
        "release": scenarios.DEFAULT_RELEASE,
        "helm": helm if isinstance(helm, str) else {"binary": helm[0], "chart": helm[1], "set": HELM_SET},
        "optional_features": probe if args.everything else None,
        "results": results,
        "derived": derived,
        "budgets": BUDGETS,
        "checks": checks,
        "table_markdown": table,
        "raw": samples,
    }
    target = RECORDED_JSON if args.record else (args.json or SCRATCH_JSON)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(report, indent=2) + "\n")
    tmp.replace(target)
    print(f"figures written to {target}")
    missed = [c["budget"] for c in checks if c["ok"] is False]
    return 1 if (args.strict and missed) else 0


if __name__ == "__main__":
    sys.exit(main())
