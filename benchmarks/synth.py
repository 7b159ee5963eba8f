"""Synthesis benchmark: wall time, peak memory and per-release cost of ``cdk8s synth``.

Every measurement is a fresh process (this file run with ``--child``), because what a
user pays is a whole ``cdk8s synth``: interpreter start, imports, the jsii Node process,
constructing the charts and ``app.synth()`` writing YAML into ``CDK8S_OUTDIR``. Scenarios:

* ``floor``: an empty cdk8s app that imports ``cdk8s`` and ``cdk8s_plus_27`` and calls
  ``app.synth()`` with no charts (it writes nothing);
* ``app``: this repository's ``app.py``, run unchanged;
* ``default N`` / ``everything N``: N distributed releases with default options, or with
  every feature switched on (the feature list is printed and stored).

Runs are interleaved (run 1 of every scenario, then run 2, ...) so that load from other
processes on the machine spreads over all scenarios instead of skewing one.

Peak memory is the peak RSS of the whole process tree: jsii runs the cdk8s code in Node
processes that hold more memory than Python does. ``getrusage``/``wait4`` and
``/usr/bin/time`` report the *largest single* process of a tree, not the sum, so the child
reads ``VmHWM`` (peak RSS) from ``/proc`` for itself and for every descendant (jsii's two
Node processes: the ``jsii-runtime`` wrapper and the kernel it starts) just before it
exits, and reports the sum. The sum is an upper bound of the true simultaneous peak (the
peaks need not coincide), which is the safe side for a budget. The largest single process
(from ``wait4``) is stored too, as a cross-check.

Usage::

    .venv/bin/python benchmarks/synth.py            # full run, 5 runs per scenario
    .venv/bin/python benchmarks/synth.py --quick    # 3 runs, N up to 100 (no budgets for N=300)
    .venv/bin/python benchmarks/synth.py --profile everything 100   # cProfile one child
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

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_JSON = ROOT / "benchmarks" / "results" / "latest.json"
FULL_COUNTS = (1, 10, 100, 300)
QUICK_COUNTS = (1, 10, 100)
# Features that other work may not have landed yet: each is tried on its own and dropped
# (with the reason printed) if constructing or synthesizing a release with it fails.
OPTIONAL_FEATURES: dict[str, dict[str, Any]] = {
    "lifecycle=jobset": {"lifecycle": "jobset"},
    "gang_scheduler=volcano": {"gang_scheduler": "volcano"},
}
# Object kinds that show an optional feature is rendered, not only accepted.
FEATURE_KINDS = {"lifecycle=jobset": "JobSet", "gang_scheduler=volcano": "PodGroup"}

BUDGETS = {
    "app_ratio": 1.3,
    "default_ms_per_release": 12.0,
    "everything_ms_per_release": 20.0,
    "rss_300_mb": 600.0,
    # slope(N=100..300) / slope(N=10..100): 1.0 is perfectly linear; a quadratic term
    # of any real size pushes it well above 1.5.
    "linearity_ratio": 1.5,
}


# --------------------------------------------------------------------------- child side


def everything_kwargs(features: Sequence[str]) -> dict[str, Any]:
    """Keyword arguments of an "everything enabled" distributed release."""
    from mxnet_construct import (
        Entrypoint,
        EnvVar,
        GitRepository,
        Image,
        NetworkPolicyOptions,
        Persistence,
        Probe,
        Resources,
        RoleOptions,
        VolumePermissions,
    )

    gpu_tolerations = [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}]
    kwargs: dict[str, Any] = {
        "mode": "distributed",
        "server_count": 2,
        "worker_count": 4,
        "image": Image(tag="1.9.1", pull_secrets=("regcred",)),
        "code": GitRepository(repository="https://github.com/apache/incubator-mxnet.git", revision="v1.9.x"),
        "entrypoint": Entrypoint(
            file="image_classification.py",
            args=["--epochs", "1", "--kvstore", "dist_sync"],
            work_dir="/app/example/gluon",
        ),
        "persistence": Persistence(
            enabled=True, storage_class="fast-ssd", size="50Gi", annotations={"backup": "daily"}
        ),
        "volume_permissions": VolumePermissions(enabled=True),
        "existing_secret": "mxnet-credentials",
        "extra_env": (
            EnvVar(name="MXNET_ENGINE_TYPE", value="ThreadedEnginePerDevice"),
            EnvVar.from_secret("S3_TOKEN", "s3", "token"),
        ),
        "sidecars": ({"name": "log-shipper", "image": "fluent/fluent-bit:2.2", "args": ["-i", "tail"]},),
        "init_containers": ({"name": "fetch-data", "image": "busybox:1.36", "command": ["sh", "-c", "true"]},),
        "node_selector": {"pool": "training"},
        "affinity": {
            "podAntiAffinity": {
                "preferredDuringSchedulingIgnoredDuringExecution": [
                    {
                        "weight": 50,
                        "podAffinityTerm": {
                            "topologyKey": "kubernetes.io/hostname",
                            "labelSelector": {"matchLabels": {"app.kubernetes.io/name": "mxnet"}},
                        },
                    }
                ]
            }
        },
        "resources": Resources(requests={"cpu": "500m", "memory": "1Gi"}),
        "scheduler": RoleOptions(
            resources=Resources(requests={"cpu": "250m", "memory": "256Mi"}, limits={"memory": "512Mi"})
        ),
        "server": RoleOptions(
            resources=Resources(requests={"cpu": "2", "memory": "4Gi"}, limits={"memory": "8Gi"}),
            extra_env=(EnvVar(name="MXNET_KVSTORE_BIGARRAY_BOUND", value="1000000"),),
        ),
        "worker": RoleOptions(
            resources=Resources(requests={"cpu": "4", "memory": "16Gi"}, limits={"memory": "16Gi"}),
            gpus=1,
            tolerations=gpu_tolerations,
            node_selector={"pool": "gpu"},
        ),
        "liveness_probe": Probe(initial_delay_seconds=30, period_seconds=10, failure_threshold=6),
        "readiness_probe": Probe(initial_delay_seconds=10, timeout_seconds=2),
        "network_policy": NetworkPolicyOptions(
            extra_egress=({"to": [{"ipBlock": {"cidr": "10.0.0.0/8"}}], "ports": [{"port": 443, "protocol": "TCP"}]},)
        ),
        "dmlc_interface": "eth0",
        "dmlc_node_host_from_pod_ip": True,
        "publish_not_ready_addresses": True,
        "ps_verbose": 1,
    }
    for feature in features:
        kwargs.update(OPTIONAL_FEATURES[feature])
    return kwargs


def _peak_rss_kb(pid: int | str) -> int:
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _descendant_pids() -> list[int]:
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


def run_child(kind: str, count: int, features: Sequence[str]) -> None:
    """One measured synthesis; prints a JSON line with phase times and peak RSS."""
    t0 = time.perf_counter()
    if kind == "floor":
        import cdk8s
        import cdk8s_plus_27  # noqa: F401

        t1 = time.perf_counter()
        app = cdk8s.App()
        t2 = time.perf_counter()
        app.synth()
    elif kind == "app":
        import runpy

        # app.py builds its App and synthesizes in one go: there is no construct/synth split.
        t1 = t2 = time.perf_counter()
        runpy.run_path(str(ROOT / "app.py"), run_name="__main__")
    else:
        import cdk8s

        from mxnet_construct import MXNetChart

        kwargs = {"mode": "distributed"} if kind == "default" else everything_kwargs(features)
        t1 = time.perf_counter()
        app = cdk8s.App()
        for i in range(count):
            MXNetChart(app, f"release-{i}", **kwargs)
        t2 = time.perf_counter()
        app.synth()
    t3 = time.perf_counter()
    outdir = Path(os.environ["CDK8S_OUTDIR"])
    written = sum(p.stat().st_size for p in outdir.glob("*.yaml"))
    python_kb = _peak_rss_kb("self")
    node_pids = _descendant_pids()
    node_kb = sum(_peak_rss_kb(pid) for pid in node_pids)
    print(
        json.dumps(
            {
                "import_s": t1 - t0,
                "construct_s": t2 - t1,
                "synth_s": t3 - t2,
                "python_rss_kb": python_kb,
                "node_rss_kb": node_kb,
                "node_processes": len(node_pids),
                "yaml_bytes": written,
            }
        )
    )


def probe_features() -> dict[str, Any]:
    """Which optional features work yet; runs in the child so the parent stays jsii-free."""
    import cdk8s

    from mxnet_construct import MXNetChart

    report: dict[str, Any] = {}
    for i, feature in enumerate(OPTIONAL_FEATURES):
        try:
            app = cdk8s.App()
            chart = MXNetChart(app, f"probe-{i}", **everything_kwargs([feature]))
            kinds = sorted({doc["kind"] for doc in cdk8s.Testing.synth(chart)})
        except Exception as err:  # any failure means "not usable yet"
            report[feature] = {"included": False, "reason": f"{type(err).__name__}: {err}"[:200]}
            continue
        rendered = FEATURE_KINDS[feature] in kinds
        report[feature] = {
            "included": True,
            "reason": "rendered" if rendered else f"accepted, but no {FEATURE_KINDS[feature]} in the output yet",
        }
    return report


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
    return env


def _node_major() -> str:
    try:
        out = subprocess.run(
            ["node", "-p", "process.versions.node.split('.')[0]"], capture_output=True, text=True, check=True
        )
    except (OSError, subprocess.CalledProcessError):
        return ""
    return out.stdout.strip()


def measure(kind: str, count: int, features: Sequence[str], python: str) -> dict[str, Any]:
    """Runs one child process and returns its figures plus the wall time seen from here."""
    outdir = tempfile.mkdtemp(prefix="mxnet-bench-")
    try:
        argv = [python, str(Path(__file__).resolve()), "--child", kind, str(count), ",".join(features)]
        start = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=child_env(outdir), cwd=ROOT)
        # wait4 gives the child's rusage; its maxrss is the largest single process of its
        # tree (Python or the Node child it reaped), kept as a cross-check of the sum.
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        assert proc.stdout is not None and proc.stderr is not None
        out, err = proc.stdout.read().decode(), proc.stderr.read().decode()
        proc.stdout.close()
        proc.stderr.close()
        code = os.waitstatus_to_exitcode(status)
        proc.returncode = code
        if code != 0:
            raise RuntimeError(f"{kind} N={count} failed with exit code {code}:\n{err[-3000:]}")
        figures: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
        figures["wall_s"] = wall
        figures["max_single_rss_kb"] = usage.ru_maxrss
        figures["tree_rss_kb"] = figures["python_rss_kb"] + figures["node_rss_kb"]
        return figures
    finally:
        shutil.rmtree(outdir, ignore_errors=True)


def slope(points: Sequence[tuple[float, float]]) -> float:
    """Least-squares slope of y over x."""
    xs = [p[0] for p in points]
    ys = [p[1] for p in points]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    return sum((x - mx) * (y - my) for x, y in points) / sum((x - mx) ** 2 for x in xs)


def summarize(samples: list[dict[str, Any]]) -> dict[str, Any]:
    walls = [s["wall_s"] for s in samples]
    return {
        "runs": len(samples),
        "wall_s": statistics.median(walls),
        "wall_min_s": min(walls),
        "wall_max_s": max(walls),
        # Spread between runs, as a share of the median: the noise of this machine.
        "wall_spread": (max(walls) - min(walls)) / statistics.median(walls),
        "import_s": statistics.median(s["import_s"] for s in samples),
        "construct_s": statistics.median(s["construct_s"] for s in samples),
        "synth_s": statistics.median(s["synth_s"] for s in samples),
        "tree_rss_mb": statistics.median(s["tree_rss_kb"] for s in samples) / 1024,
        "python_rss_mb": statistics.median(s["python_rss_kb"] for s in samples) / 1024,
        "node_rss_mb": statistics.median(s["node_rss_kb"] for s in samples) / 1024,
        "max_single_rss_mb": statistics.median(s["max_single_rss_kb"] for s in samples) / 1024,
        "yaml_bytes": samples[0]["yaml_bytes"],
    }


def run_probe(python: str) -> dict[str, Any]:
    outdir = tempfile.mkdtemp(prefix="mxnet-bench-")
    try:
        proc = subprocess.run(
            [python, str(Path(__file__).resolve()), "--probe"],
            capture_output=True,
            text=True,
            env=child_env(outdir),
            cwd=ROOT,
        )
    finally:
        shutil.rmtree(outdir, ignore_errors=True)
    if proc.returncode != 0:
        raise RuntimeError(f"feature probe failed:\n{proc.stderr[-3000:]}")
    report: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return report


def verdict(ok: bool | None) -> str:
    return "n/a " if ok is None else ("PASS" if ok else "MISS")


def evaluate(results: dict[str, Any], counts: Sequence[int]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    floor = results["floor"]["wall_s"]
    derived: dict[str, Any] = {"app_ratio": results["app"]["wall_s"] / floor}
    for variant in ("default", "everything"):
        pts = [(n, results[f"{variant} {n}"]["wall_s"]) for n in counts]
        derived[f"{variant}_ms_per_release"] = slope(pts) * 1000
        # The same slope from the in-process construct+synth time, which leaves out
        # start-up noise; reported next to the wall-time slope as a cross-check.
        inner = [(n, results[f"{variant} {n}"]["construct_s"] + results[f"{variant} {n}"]["synth_s"]) for n in counts]
        derived[f"{variant}_inner_ms_per_release"] = slope(inner) * 1000
        if 300 in counts:
            w = {n: results[f"{variant} {n}"]["wall_s"] for n in (10, 100, 300)}
            low = (w[100] - w[10]) / 90
            high = (w[300] - w[100]) / 200
            derived[f"{variant}_slope_10_100_ms"] = low * 1000
            derived[f"{variant}_slope_100_300_ms"] = high * 1000
            derived[f"{variant}_linearity_ratio"] = high / low
    have_300 = 300 in counts
    rss_300 = max(results[f"{v} 300"]["tree_rss_mb"] for v in ("default", "everything")) if have_300 else None
    derived["rss_300_mb"] = rss_300
    linearity = max(derived["default_linearity_ratio"], derived["everything_linearity_ratio"]) if have_300 else None
    derived["linearity_ratio"] = linearity
    checks = [
        {
            "budget": "default app / floor",
            "value": f"{derived['app_ratio']:.2f}x",
            "limit": f"<= {BUDGETS['app_ratio']}x",
            "ok": derived["app_ratio"] <= BUDGETS["app_ratio"],
        },
        {
            "budget": "marginal ms per default release",
            "value": f"{derived['default_ms_per_release']:.1f} ms",
            "limit": f"<= {BUDGETS['default_ms_per_release']:.0f} ms",
            "ok": derived["default_ms_per_release"] <= BUDGETS["default_ms_per_release"],
        },
        {
            "budget": "marginal ms per everything-enabled release",
            "value": f"{derived['everything_ms_per_release']:.1f} ms",
            "limit": f"<= {BUDGETS['everything_ms_per_release']:.0f} ms",
            "ok": derived["everything_ms_per_release"] <= BUDGETS["everything_ms_per_release"],
        },
        {
            "budget": "peak RSS, 300 releases (process tree)",
            "value": "not run" if rss_300 is None else f"{rss_300:.0f} MB",
            "limit": f"<= {BUDGETS['rss_300_mb']:.0f} MB",
            "ok": None if rss_300 is None else rss_300 <= BUDGETS["rss_300_mb"],
        },
        {
            "budget": "linear growth: slope(100..300) / slope(10..100)",
            "value": "not run" if linearity is None else f"{linearity:.2f}",
            "limit": f"<= {BUDGETS['linearity_ratio']}",
            "ok": None if linearity is None else linearity <= BUDGETS["linearity_ratio"],
        },
    ]
    return derived, checks


def format_table(results: dict[str, Any], derived: dict[str, Any], checks: list[dict[str, Any]]) -> str:
    floor = results["floor"]["wall_s"]
    lines = [
        "| Scenario | Wall (median) | Spread | x floor | Imports | Construct | Synth "
        "| Peak RSS, tree (Python + Node) | YAML written |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, r in results.items():
        # app.py imports, constructs and synthesizes in one go: its phases are not split.
        phases = (
            "| in synth | in synth "
            if name == "app"
            else f"| {r['import_s'] * 1000:.0f} ms | {r['construct_s'] * 1000:.0f} ms "
        )
        lines.append(
            f"| {name} | {r['wall_s'] * 1000:.0f} ms | ±{r['wall_spread'] * 50:.0f}% | {r['wall_s'] / floor:.2f} "
            f"{phases}| {r['synth_s'] * 1000:.0f} ms "
            f"| {r['tree_rss_mb']:.0f} MB ({r['python_rss_mb']:.0f} + {r['node_rss_mb']:.0f}) "
            f"| {r['yaml_bytes'] / 1024:.0f} KiB |"
        )
    lines += [
        "",
        "| Marginal cost per release (least-squares slope over N) | Wall | In-process construct + synth |",
        "|---|---:|---:|",
        f"| default distributed release | {derived['default_ms_per_release']:.1f} ms | {derived['default_inner_ms_per_release']:.1f} ms |",
        f"| everything-enabled release | {derived['everything_ms_per_release']:.1f} ms | {derived['everything_inner_ms_per_release']:.1f} ms |",
        "",
        "| Budget | Measured | Limit | Result |",
        "|---|---:|---:|---|",
    ]
    lines += [f"| {c['budget']} | {c['value']} | {c['limit']} | {verdict(c['ok'])} |" for c in checks]
    return "\n".join(lines)


def profile_child(variant: str, count: int, features: Sequence[str], python: str) -> int:
    """Runs one child under cProfile and prints the top of the cumulative profile."""
    outdir = tempfile.mkdtemp(prefix="mxnet-bench-")
    stats = Path(outdir) / "profile.pstats"
    try:
        argv = [
            python,
            "-m",
            "cProfile",
            "-o",
            str(stats),
            str(Path(__file__).resolve()),
            "--child",
            variant,
            str(count),
            ",".join(features),
        ]
        subprocess.run(argv, check=True, env=child_env(outdir), cwd=ROOT, stdout=subprocess.DEVNULL)
        import pstats

        pstats.Stats(str(stats)).sort_stats("cumulative").print_stats(35)
        pstats.Stats(str(stats)).sort_stats("tottime").print_stats(15)
    finally:
        shutil.rmtree(outdir, ignore_errors=True)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--runs", type=int, default=None, help="runs per scenario, median reported (default 5; 3 with --quick)"
    )
    parser.add_argument("--quick", action="store_true", help="3 runs and N up to 100: a smoke test, not a budget check")
    parser.add_argument(
        "--counts",
        type=lambda s: tuple(int(x) for x in s.split(",")),
        default=None,
        help="release counts, e.g. 1,10,100,300",
    )
    parser.add_argument(
        "--json",
        type=Path,
        default=DEFAULT_JSON,
        help=f"where to write the figures (default {DEFAULT_JSON.relative_to(ROOT)})",
    )
    parser.add_argument("--python", default=sys.executable, help="interpreter for the measured processes")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a budget is missed")
    parser.add_argument(
        "--profile",
        nargs=2,
        metavar=("VARIANT", "N"),
        help="cProfile one child (VARIANT is default or everything) instead of benchmarking",
    )
    parser.add_argument("--child", nargs=3, metavar=("KIND", "N", "FEATURES"), help=argparse.SUPPRESS)
    parser.add_argument("--probe", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.child:
        kind, count, features = args.child
        run_child(kind, int(count), [f for f in features.split(",") if f])
        return 0
    if args.probe:
        print(json.dumps(probe_features()))
        return 0

    probe = run_probe(args.python)
    features = [name for name, info in probe.items() if info["included"]]
    if args.profile:
        variant, count = args.profile
        if variant not in ("default", "everything"):
            parser.error("--profile VARIANT is 'default' or 'everything'")
        return profile_child(variant, int(count), features, args.python)

    runs = args.runs or (3 if args.quick else 5)
    if runs < 1:
        parser.error("--runs must be at least 1")
    counts = args.counts or (QUICK_COUNTS if args.quick else FULL_COUNTS)
    if len(counts) < 2:
        parser.error("--counts needs at least two values to fit a slope")
    scenarios = [("floor", 0), ("app", 0)] + [(v, n) for v in ("default", "everything") for n in counts]

    print(f"optional features of the everything-enabled release: {', '.join(features) or 'none'}")
    for name, info in probe.items():
        print(f"  {name}: {'included' if info['included'] else 'left out'} ({info['reason']})")
    print(f"{runs} runs x {len(scenarios)} scenarios, interleaved; load average {os.getloadavg()[0]:.2f}", flush=True)

    load_before = os.getloadavg()
    # One unmeasured run first: it fills the OS file cache with Node, jsii and the assemblies.
    measure("floor", 0, features, args.python)
    samples: dict[str, list[dict[str, Any]]] = {}
    started = time.time()
    for run in range(runs):
        for kind, count in scenarios:
            name = kind if kind in ("floor", "app") else f"{kind} {count}"
            samples.setdefault(name, []).append(measure(kind, count, features, args.python))
        print(f"  run {run + 1}/{runs} done ({time.time() - started:.0f} s)", flush=True)
    load_after = os.getloadavg()

    results = {name: summarize(s) for name, s in samples.items()}
    derived, checks = evaluate(results, counts)
    table = format_table(results, derived, checks)
    print()
    print(table)
    everything_features = [
        "persistence + volume permissions",
        "git code",
        "existing secret",
        "extra env (incl. secretKeyRef)",
        "sidecar",
        "init container",
        "node selector / affinity / tolerations",
        "per-role resources",
        "worker GPUs",
        "tuned probes",
        "network policy egress rule",
        "dmlc_interface",
        "DMLC_NODE_HOST from pod IP",
        "publishNotReadyAddresses",
        "ps_verbose",
        *features,
    ]
    print(f"\neverything-enabled release: {', '.join(everything_features)}")
    command = "benchmarks/synth.py " + " ".join(sys.argv[1:] if argv is None else argv)
    report = {
        "command": command.strip(),
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
        "everything_features": everything_features,
        "optional_features": probe,
        "results": results,
        "derived": derived,
        "budgets": BUDGETS,
        "checks": checks,
        "table_markdown": table,
        "raw": samples,
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.json.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(report, indent=2) + "\n")
    tmp.replace(args.json)
    print(f"figures written to {args.json}")
    missed = [c["budget"] for c in checks if c["ok"] is False]
    return 1 if (args.strict and missed) else 0


if __name__ == "__main__":
    sys.exit(main())
