"""``run-local``: run every pod of synthesized manifests locally, with real MXNet.

Schema-valid YAML can still hang on a cluster (a wrong port, a missing ``DMLC_*``
variable, a scheduler that cannot bind). This package runs exactly what was synthesized,
so the wiring is proven before anything is pushed, and, in the sandbox, proven under the
securityContext the manifests ask for:

* :mod:`.admission` refuses, before anything runs and all at once, what an API server
  with Pod Security Admission (baseline) would refuse, and what a local run cannot honour;
* :mod:`mxnet_construct.manifests` (shared with the diagram and the gang maths) expands
  workloads into pods as their controllers would;
* :mod:`.plan` resolves every container's argv, env, volumes and security, validating
  each name and path as the API server would (:mod:`.validate`, :mod:`.security`);
* :mod:`.workspace` lays out the run directory, and nothing is written outside it;
* :mod:`.checkout` puts a local checkout (``--code``) where a pod's ``git clone`` would
  have put the code; :mod:`.interpreter` chooses the pods' ``python3`` and checks that it
  imports MXNet before any pod starts;
* :mod:`.sandbox` runs each container under runc with an OCI config built from its pod
  spec (``--isolation namespaces``, needs root and runc), :mod:`.plain` as a plain process
  with rewritten paths (``--isolation none``); ``auto`` picks the sandbox when it can;
* :mod:`.supervisor` starts pods in order, watches them, carries out the restart
  decisions of :mod:`mxnet_construct.policies.restart`, injects ``--kill`` faults
  (:mod:`.faults`) and decides the verdict;
* :mod:`.network` gives each pod its own network namespace on a bridge, Services, DNS, and
  enforces the NetworkPolicies with nftables; :mod:`.audit` logs what they drop;
  :mod:`.verdict` names the cause of a failed run (a crash loop before a hang);
  :mod:`.report` holds the results and the summary table.

ps-lite never times out, so every wait is bounded: a run still going at ``timeout`` is
killed and reported as a failure naming the pods that were still running.
"""

from __future__ import annotations

import argparse
import sys
from typing import IO, Any

from .admission import AdmissionError
from .faults import Kill, resolve_kills
from .interpreter import default_python
from .model import ContainerPlan, Mount, Plan, PodPlan, RunLocalError, Security, ServiceName, Volume
from .plan import expand_refs, load_manifests, plan
from .report import ContainerResult, PodResult, RunEvent, RunResult
from .run import (
    DEFAULT_TIMEOUT,
    ISOLATIONS,
    Isolation,
    Terminated,
    namespaces_available,
    run_local,
)
from .supervisor import DEFAULT_STALL


def register(subparsers: Any) -> None:
    """Adds ``run-local`` to the ``mxnet-construct`` command."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "run-local",
        help="run the pods of synthesized manifests as local processes (needs root for namespaces)",
        description=(
            "Run every pod of synthesized manifests as local processes, taking everything from the YAML. "
            "As root with runc each container runs in a sandbox built from its pod spec (user, capabilities, volumes at their real paths); "
            "otherwise paths and names are rewritten. Exit code 0 only if every pod that must finish exited 0."
        ),
    )
    parser.add_argument(
        "files", nargs="+", metavar="FILE.k8s.yaml", help="synthesized manifests (e.g. dist/*.k8s.yaml)"
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=DEFAULT_TIMEOUT,
        help="seconds before a still-running job is killed and reported as hung (default %(default)g)",
    )
    parser.add_argument(
        "--python",
        default=None,
        help=(
            "interpreter for `python3` in pod commands, checked to import mxnet and numpy before any pod starts "
            "(default: run-local's own interpreter if it has mxnet, else ./.mxnet-venv/bin/python, else python3)"
        ),
    )
    parser.add_argument(
        "--code",
        default=None,
        metavar="DIR",
        help="a local checkout of the repository a git-code release clones: the pods get a copy of DIR where the clone would have put it, and the clone init container does not run",
    )
    parser.add_argument(
        "--skip-init",
        action="append",
        default=[],
        metavar="NAME",
        help="do not run the init container NAME (repeatable), e.g. git-clone-repository",
    )
    parser.add_argument(
        "--allow-running",
        action="store_true",
        help="long-running pods (Deployment, StatefulSet) still up at the end are not a failure",
    )
    parser.add_argument(
        "--isolation",
        choices=ISOLATIONS,
        default="auto",
        help="namespaces (the runc sandbox: root and runc), none (plain processes, rewritten paths) or auto (default: the sandbox when available)",
    )
    parser.add_argument("--keep-dir", action="store_true", help="keep the run's temporary directory for inspection")
    parser.add_argument(
        "--kill",
        action="append",
        default=[],
        metavar="ROLE:INDEX@SECONDS",
        help="SIGKILL the pod of that role and index (worker:1 = the worker with index 1) that many seconds after the start, once (repeatable); restart policies decide what follows",
    )
    parser.add_argument(
        "--stall",
        type=float,
        default=DEFAULT_STALL,
        help="after a pod restarted, seconds without output from any pod before the run is reported as stalled (default %(default)g)",
    )
    parser.add_argument(
        "--no-enforce",
        "--no-audit",
        dest="audit",
        action="store_false",
        help="do not enforce the manifests' NetworkPolicies in the pod network (they are enforced, and drops logged, by default)",
    )
    parser.set_defaults(func=_main)


def _main(args: argparse.Namespace, stream: IO[str] | None = None) -> int:
    try:
        result = run_local(
            args.files,
            timeout=args.timeout,
            python=args.python,
            skip_init=args.skip_init,
            allow_running=args.allow_running,
            isolation=args.isolation,
            out=stream or sys.stdout,
            keep_dir=args.keep_dir,
            kill=args.kill,
            stall=args.stall,
            audit=args.audit,
            code=args.code,
        )
    except AdmissionError as err:
        # One line per problem (the generic handler would fold them into one).
        print(f"mxnet-construct run-local: error: {err}", file=sys.stderr)
        return 2
    except Terminated:
        # Everything was cleaned up on the way here; 128 + SIGTERM, as a shell reports it.
        print("run-local: terminated (SIGTERM); every container was stopped and removed", file=sys.stderr)
        return 143
    return result.exit_code


__all__ = [
    "DEFAULT_TIMEOUT",
    "ISOLATIONS",
    "AdmissionError",
    "ContainerPlan",
    "ContainerResult",
    "Isolation",
    "Kill",
    "Mount",
    "Plan",
    "PodPlan",
    "PodResult",
    "RunEvent",
    "RunLocalError",
    "RunResult",
    "Security",
    "ServiceName",
    "Terminated",
    "Volume",
    "default_python",
    "expand_refs",
    "load_manifests",
    "namespaces_available",
    "plan",
    "register",
    "resolve_kills",
    "run_local",
]
