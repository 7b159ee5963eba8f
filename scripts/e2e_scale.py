"""``make e2e-scale``: 8 servers + 32 workers through run-local, NetworkPolicy enforced and not.

Synthesizes the distributed-training example with ``lifecycle="jobset"`` to a YAML file (as
``cdk8s synth`` would), runs it with :func:`mxnet_construct.runner.run_local` in the runc
sandbox twice, first with the manifests' NetworkPolicies enforced, then with the pod network
open, and checks that every pod succeeded, every worker ended with the same parameters, the
enforcer dropped nothing, and the enforced run took at most :data:`BUDGET` times the open
one's wall time. It prints the wall time and the peak memory of the run's
containers: the sum of the proportional set size (``Pss`` in ``/proc/<pid>/smaps_rollup``,
so shared pages such as MXNet's library count once) of every process in the run's cgroups,
sampled every second. Exit code 0 only if all of that holds.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import datetime
import importlib.util
import io
import os
import platform
import re
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

FINAL = re.compile(r"^FINAL rank=(\d+) workers=(\d+) loss=(\S+) params=([0-9a-f]+)$", re.M)


def synthesize(servers: int, workers: int, outdir: Path) -> Path:
    import cdk8s

    spec = importlib.util.spec_from_file_location("e2e_example_app", ROOT / "examples/distributed_training/app.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    app = cdk8s.App(outdir=str(outdir))
    module.build(app, servers=servers, workers=workers, lifecycle="jobset")
    app.synth()
    (path,) = outdir.glob("*.k8s.yaml")
    return path


class MemorySampler:
    """Peak total PSS of the processes in run-local's cgroups, sampled every second."""

    def __init__(self) -> None:
        self.peak = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _pids(self) -> set[str]:
        pids: set[str] = set()
        for base in (Path("/sys/fs/cgroup/pids"), Path("/sys/fs/cgroup")):
            if not base.is_dir():
                continue
            for group in base.glob("mxnet-run-local-*"):
                with contextlib.suppress(OSError):
                    pids.update((group / "cgroup.procs").read_text().split())
            if pids:
                break
        return pids

    def _run(self) -> None:
        while not self.stop.wait(1.0):
            total = 0
            for pid in self._pids():
                with contextlib.suppress(OSError):
                    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                        if line.startswith("Pss:"):
                            total += int(line.split()[1]) * 1024
                            break
            self.peak = max(self.peak, total)

    def __enter__(self) -> MemorySampler:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join()


BUDGET = 1.15  # enforced wall time / open wall time


@dataclasses.dataclass
class Measured:
    enforce: bool
    wall: float
    memory: int
    problems: list[str]
    result: Any


def measure(path: Path, args: argparse.Namespace, enforce: bool) -> Measured:
    from mxnet_construct.runner import default_python, run_local

    log = io.StringIO()
    start = time.monotonic()
    with MemorySampler() as memory:
        result = run_local([path], timeout=args.timeout, python=default_python(), out=log, audit=enforce)
    wall = time.monotonic() - start
    finals = [FINAL.findall(p.log) for p in result.by_component("worker")]
    params = {f[0][3] for f in finals if len(f) == 1}
    problems = []
    if not result.ok:
        problems.append(f"run failed: {result.reason}")
    if any(len(f) != 1 for f in finals) or len(finals) != args.workers:
        problems.append(f"expected one FINAL line from each of {args.workers} workers")
    if len(params) != 1:
        problems.append(f"workers disagree on the parameters: {sorted(params)}")
    if enforce and (not result.audit or not result.audit[0].endswith("nothing dropped")):
        problems.append(f"NetworkPolicy: {result.audit[:1]}")
    what = "enforced" if enforce else "not enforced"
    print(
        f"e2e-scale: {args.servers} servers + {args.workers} workers (lifecycle=jobset, NetworkPolicy {what}): "
        f"{'OK' if not problems else 'FAILED'}\n"
        f"  wall time       {wall:.1f} s (run-local's own figure: {result.seconds:.1f} s)\n"
        f"  peak memory     {memory.peak / 2**30:.2f} GiB PSS of all containers ({len(result.pods)} pods)\n"
        f"  NetworkPolicy   {'; '.join(result.audit[:2]) if result.audit else 'not enforced'}\n"
        f"  parameters      {', '.join(sorted(params)) or 'none'}",
        flush=True,
    )
    return Measured(enforce, wall, memory.peak, problems, result)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--servers", type=int, default=8)
    parser.add_argument("--workers", type=int, default=32)
    parser.add_argument("--timeout", type=float, default=600)
    parser.add_argument(
        "--only",
        choices=("enforced", "open"),
        help="one run only (no ratio): with NetworkPolicy enforced, or with the pod network open",
    )
    args = parser.parse_args()

    from mxnet_construct.runner import namespaces_available

    can, why = namespaces_available()
    if not can:
        print(f"e2e-scale: the runc sandbox cannot run here: {why}", file=sys.stderr)
        return 1
    runs = [True, False] if args.only is None else [args.only == "enforced"]
    with tempfile.TemporaryDirectory(prefix="mxnet-e2e-scale-") as tmp:
        path = synthesize(args.servers, args.workers, Path(tmp))
        measured = [measure(path, args, enforce) for enforce in runs]
    problems = [p for m in measured for p in m.problems]
    if len(measured) == 2:
        enforced, open_ = measured
        ratio = enforced.wall / open_.wall
        verdict = "within" if ratio <= BUDGET else "OVER"
        print(
            f"e2e-scale: enforcement costs {ratio:.3f}x the open network's wall time ({verdict} the {BUDGET:.2f}x budget)"
        )
        if ratio > BUDGET:
            problems.append(f"enforcement costs {ratio:.3f}x, over the {BUDGET:.2f}x budget")
    load = os.getloadavg()
    print(
        f"  machine         {platform.node()}, {os.cpu_count()} CPUs, load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}, "
        f"{datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC"
    )
    for problem in problems:
        print(f"e2e-scale: {problem}", file=sys.stderr)
    return 0 if not problems else 1


if __name__ == "__main__":
    sys.exit(main())
