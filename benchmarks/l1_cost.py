"""Cost per Kubernetes object of three ways to hand objects to cdk8s from Python.

How the way an object reaches cdk8s drives the cost of synthesis: this script builds
the same four objects per release (Deployment, Service, StatefulSet, ServiceAccount, with
a realistic pod template) in three ways and reports the marginal synthesis cost per object:

* ``typed-l1``: ``cdk8s_plus_27.k8s.KubeDeployment(...)`` and friends from typed structs
  (every struct is a jsii object with runtime type checks);
* ``apiobject-patch``: ``cdk8s.ApiObject`` with apiVersion/kind/name, the body added by a
  ``JsonPatch``;
* ``plain-dict``: a ``cdk8s.Chart`` subclass whose ``to_json`` returns the dicts (how
  ``MXNetChart`` emitted its objects before issue 13's tree-native redesign).

Each (way, N) is a fresh process that constructs N releases and runs ``app.synth()``;
the figure is the least-squares slope of the in-process construct+synth time over N,
divided by the four objects per release (median of ``--runs``).

    .venv/bin/python benchmarks/l1_cost.py [--runs 3] [--counts 10,40,80]
"""

from __future__ import annotations

import argparse
import json
import os
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
WAYS = ("typed-l1", "apiobject-patch", "plain-dict")
OBJECTS_PER_RELEASE = 4


def typed_objects(scope: Any, name: str) -> list[Any]:
    """The four objects as typed L1 constructs."""
    from cdk8s_plus_27 import k8s

    labels = {"app.kubernetes.io/name": "mxnet", "app.kubernetes.io/instance": name}

    def pod(role: str) -> Any:
        return k8s.PodTemplateSpec(
            metadata=k8s.ObjectMeta(labels={**labels, "app.kubernetes.io/component": role}),
            spec=k8s.PodSpec(
                automount_service_account_token=False,
                service_account_name=name,
                security_context=k8s.PodSecurityContext(
                    fs_group=1001,
                    run_as_user=1001,
                    run_as_non_root=True,
                    seccomp_profile=k8s.SeccompProfile(type="RuntimeDefault"),
                ),
                containers=[
                    k8s.Container(
                        name="mxnet",
                        image="docker.io/bitnami/mxnet:1.9.1",
                        image_pull_policy="IfNotPresent",
                        command=["python3", "-c", "import mxnet"],
                        working_dir="/app",
                        env=[
                            k8s.EnvVar(name="DMLC_ROLE", value=role),
                            k8s.EnvVar(name="DMLC_PS_ROOT_URI", value=f"{name}-scheduler"),
                            k8s.EnvVar(name="DMLC_PS_ROOT_PORT", value="49875"),
                            k8s.EnvVar(name="DMLC_NUM_SERVER", value="1"),
                            k8s.EnvVar(name="DMLC_NUM_WORKER", value="1"),
                        ],
                        ports=[k8s.ContainerPort(name="scheduler", container_port=49875, protocol="TCP")],
                        liveness_probe=k8s.Probe(
                            tcp_socket=k8s.TcpSocketAction(port=k8s.IntOrString.from_number(49875)),
                            initial_delay_seconds=5,
                            period_seconds=5,
                        ),
                        readiness_probe=k8s.Probe(
                            tcp_socket=k8s.TcpSocketAction(port=k8s.IntOrString.from_number(49875)),
                            initial_delay_seconds=5,
                            period_seconds=5,
                        ),
                        security_context=k8s.SecurityContext(
                            allow_privilege_escalation=False, capabilities=k8s.Capabilities(drop=["ALL"])
                        ),
                        volume_mounts=[k8s.VolumeMount(name="data", mount_path="/bitnami/mxnet")],
                    )
                ],
                volumes=[k8s.Volume(name="data", empty_dir=k8s.EmptyDirVolumeSource())],
            ),
        )

    def selector(role: str) -> Any:
        return k8s.LabelSelector(match_labels={**labels, "app.kubernetes.io/component": role})

    return [
        k8s.KubeServiceAccount(
            scope, "sa", metadata=k8s.ObjectMeta(name=name, labels=labels), automount_service_account_token=False
        ),
        k8s.KubeDeployment(
            scope,
            "scheduler",
            metadata=k8s.ObjectMeta(name=f"{name}-scheduler", labels=labels),
            spec=k8s.DeploymentSpec(
                replicas=1,
                selector=selector("scheduler"),
                strategy=k8s.DeploymentStrategy(type="Recreate"),
                template=pod("scheduler"),
            ),
        ),
        k8s.KubeService(
            scope,
            "svc",
            metadata=k8s.ObjectMeta(name=f"{name}-scheduler", labels=labels),
            spec=k8s.ServiceSpec(
                type="ClusterIP",
                selector={**labels, "app.kubernetes.io/component": "scheduler"},
                ports=[
                    k8s.ServicePort(
                        name="scheduler", port=49875, target_port=k8s.IntOrString.from_number(49875), protocol="TCP"
                    )
                ],
            ),
        ),
        k8s.KubeStatefulSet(
            scope,
            "workers",
            metadata=k8s.ObjectMeta(name=f"{name}-worker", labels=labels),
            spec=k8s.StatefulSetSpec(
                replicas=1,
                service_name=f"{name}-headless",
                pod_management_policy="Parallel",
                selector=selector("worker"),
                template=pod("worker"),
            ),
        ),
    ]


def plain_docs(name: str) -> list[dict[str, Any]]:
    """The same four objects as YAML-shaped dicts (taken once from the typed version)."""
    import cdk8s

    app = cdk8s.App()
    chart = cdk8s.Chart(app, "template", disable_resource_name_hashes=True)
    docs: list[dict[str, Any]] = json.loads(json.dumps([obj.to_json() for obj in typed_objects(chart, "template")]))
    result: list[dict[str, Any]] = json.loads(json.dumps(docs).replace("template", name))
    return result


def run_child(way: str, count: int) -> None:
    import cdk8s

    # Built once, outside the timed part; each release gets its own copy with its names.
    template = json.dumps(plain_docs("release-name-placeholder")) if way != "typed-l1" else "[]"
    docs_by_release = {f"r{i}": json.loads(template.replace("release-name-placeholder", f"r{i}")) for i in range(count)}

    class DictChart(cdk8s.Chart):
        def __init__(self, scope: Any, id: str, docs: list[dict[str, Any]]) -> None:
            super().__init__(scope, id, disable_resource_name_hashes=True)
            self._docs = docs

        def to_json(self) -> list[Any]:
            return [*self._docs, *super().to_json()]

    start = time.perf_counter()
    app = cdk8s.App()
    for i in range(count):
        name = f"r{i}"
        if way == "typed-l1":
            typed_objects(cdk8s.Chart(app, name, disable_resource_name_hashes=True), name)
        elif way == "apiobject-patch":
            chart = cdk8s.Chart(app, name, disable_resource_name_hashes=True)
            for j, doc in enumerate(docs_by_release[name]):
                obj = cdk8s.ApiObject(
                    chart,
                    f"o{j}",
                    api_version=doc["apiVersion"],
                    kind=doc["kind"],
                    metadata=cdk8s.ApiObjectMetadata(
                        name=doc["metadata"]["name"], labels=doc["metadata"].get("labels")
                    ),
                )
                for key, value in doc.items():
                    if key not in ("apiVersion", "kind", "metadata"):
                        obj.add_json_patch(cdk8s.JsonPatch.add(f"/{key}", value))
        else:
            DictChart(app, name, docs_by_release[name])
    app.synth()
    print(json.dumps({"seconds": time.perf_counter() - start}))


def measure(way: str, count: int, python: str) -> float:
    outdir = tempfile.mkdtemp(prefix="mxnet-l1-")
    try:
        # TMPDIR too: jsii leaves its unpacked runtime behind in a temporary directory.
        env = dict(os.environ, CDK8S_OUTDIR=os.path.join(outdir, "dist"), TMPDIR=outdir, CDK8S_CHECK_UPGRADE="false")
        proc = subprocess.run(
            [python, str(Path(__file__).resolve()), "--child", way, str(count)],
            capture_output=True,
            text=True,
            env=env,
            cwd=ROOT,
        )
        if proc.returncode != 0:
            raise RuntimeError(f"{way} N={count} failed:\n{proc.stderr[-3000:]}")
        seconds: float = json.loads(proc.stdout.strip().splitlines()[-1])["seconds"]
        return seconds
    finally:
        shutil.rmtree(outdir, ignore_errors=True)


def slope(points: Sequence[tuple[float, float]]) -> float:
    mx = statistics.fmean(p[0] for p in points)
    my = statistics.fmean(p[1] for p in points)
    return sum((x - mx) * (y - my) for x, y in points) / sum((x - mx) ** 2 for x, _ in points)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="per-object cost of typed L1, ApiObject+JsonPatch and plain dicts")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--counts", type=lambda s: tuple(int(x) for x in s.split(",")), default=(10, 40, 80))
    parser.add_argument("--python", default=sys.executable)
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        run_child(args.child[0], int(args.child[1]))
        return 0
    samples: dict[tuple[str, int], list[float]] = {}
    for _ in range(args.runs):
        for way in WAYS:
            for n in args.counts:
                samples.setdefault((way, n), []).append(measure(way, n, args.python))
    print(
        f"| Way | ms per object (slope over N = {', '.join(map(str, args.counts))} releases of {OBJECTS_PER_RELEASE} objects) | ms per release |"
    )
    print("|---|---:|---:|")
    for way in WAYS:
        per_release = slope([(n, statistics.median(samples[(way, n)])) for n in args.counts]) * 1000
        print(f"| {way} | {per_release / OBJECTS_PER_RELEASE:.2f} | {per_release:.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
