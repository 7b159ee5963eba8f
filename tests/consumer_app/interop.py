"""A cdk8s engineer's idioms, tried on an MXNet release from outside the library.

Each row of issue 13's table is one scenario: ``python interop.py ROW OUTDIR [OUTPUT_TYPE]``
builds a fresh app with one release (``rel``: 2 servers, 3 workers), applies the idiom the
way the cdk8s and cdk8s-plus docs show it, and synthesizes into ``OUTDIR``.
``tests/test_outside_app.py`` runs every row against the installed wheel, in a fresh venv,
and asserts on the YAML. Nothing here reaches into the library's internals: only the
public API, ``cdk8s`` and ``cdk8s_plus_27``.

This file and ``typed_hook.py`` are also type-checked with ``mypy --strict`` against the
installed package: the idioms must type-check the way a cdk8s user writes them.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import cdk8s
import cdk8s_plus_27 as kplus
from cdk8s_plus_27 import k8s

from mxnet_construct import Entrypoint, LocalFiles, MXNetChart, WorkerPool

RELEASE = "rel"


def release(app: cdk8s.App, **extra: Any) -> MXNetChart:
    """The release every row starts from, with ``extra`` chart keywords."""
    return MXNetChart(app, RELEASE, mode="distributed", server_count=2, worker_count=3, **extra)


def workers(chart: MXNetChart) -> WorkerPool:
    assert chart.workers is not None, "a distributed release has workers"
    return chart.workers


def escape_hatch(app: cdk8s.App, out: Path) -> None:
    """``ApiObject.of(role)`` then ``add_json_patch``: the documented escape hatch."""
    chart = release(app)
    cdk8s.ApiObject.of(workers(chart)).add_json_patch(
        cdk8s.JsonPatch.add("/spec/template/spec/priorityClassName", "high")
    )


def org_walk(app: cdk8s.App, out: Path) -> None:
    """Org policy: label every ApiObject of the app, found by walking the construct tree."""
    release(app)
    found = []
    for node in app.node.find_all():
        if cdk8s.ApiObject.is_api_object(node):
            obj = cdk8s.ApiObject.of(node)
            obj.metadata.add_label("cost-center", "ml")
            found.append([obj.kind, obj.name])
    (out / "walked.json").write_text(json.dumps(found))


def dependency(app: cdk8s.App, out: Path) -> None:
    """The workers need a Secret that the app creates after the release."""
    chart = release(app)
    secret = kplus.Secret(chart, "creds", string_data={"token": "not-a-secret"})
    cdk8s.ApiObject.of(workers(chart)).add_dependency(secret)


def output_type(app: cdk8s.App, out: Path) -> None:
    """Any ``YamlOutputType`` (set on the App by :func:`main`)."""
    release(app)


def kplus_network(app: cdk8s.App, out: Path) -> None:
    """Roles as cdk8s-plus pod selectors and network peers."""
    chart = release(app)
    assert chart.scheduler is not None
    policy = kplus.NetworkPolicy(chart, "np", selector=workers(chart))
    policy.add_ingress_rule(chart.scheduler, [kplus.NetworkPolicyPort.tcp(9092)])
    board = kplus.Deployment(chart, "board", containers=[kplus.ContainerProps(image="tensorboard:1", port_number=6006)])
    board.connections.allow_from(workers(chart))


def typed_sidecar(app: cdk8s.App, out: Path) -> None:
    """A sidecar given as the typed ``k8s.Container`` struct, not a dict."""
    sidecar = k8s.Container(name="tracer", image="tracer:1")
    MXNetChart(app, RELEASE, mode="distributed", server_count=2, worker_count=3, sidecars=[sidecar])


def typed_hook_row(app: cdk8s.App, out: Path) -> None:
    """A subclass overriding the typed ``pod_template()`` hook (see ``typed_hook.py``)."""
    # Imported here, so that every other row runs even where the typed hook does not.
    import typed_hook

    typed_hook.TracedChart(app, RELEASE, mode="distributed", server_count=2, worker_count=3)


def construct_metadata(app: cdk8s.App, out: Path) -> None:
    """``record_construct_metadata`` (set on the App by :func:`main`)."""
    release(app)


def scale_workers(app: cdk8s.App, out: Path) -> None:
    """A JSON patch scales the workers; every pod's DMLC_NUM_WORKER must follow."""
    chart = release(app)
    cdk8s.ApiObject.of(workers(chart)).add_json_patch(cdk8s.JsonPatch.replace("/spec/replicas", 6))


def workload_methods(app: cdk8s.App, out: Path) -> None:
    """The cdk8s-plus workload surface on a role, and k8s/kplus types for pod options."""
    chart = MXNetChart(
        app,
        RELEASE,
        mode="distributed",
        server_count=2,
        worker_count=3,
        tolerations=[k8s.Toleration(key="gpu", operator="Exists", effect="NoSchedule")],
        extra_env=[k8s.EnvVar(name="MODE", value="fast")],
        resources=kplus.ContainerResources(cpu=kplus.CpuResources(request=kplus.Cpu.millis(500))),
    )
    pool = workers(chart)
    exporter = pool.add_container(name="exporter", image="exporter:1", port_number=9100)
    assert exporter is not None
    exporter.env.add_variable("LEVEL", kplus.EnvValue.from_value("debug"))
    pool.pod_metadata.add_label("team", "vision")
    pool.scheduling.attract(kplus.Node.labeled(kplus.NodeLabelQuery.is_("gpu", "true")))
    store = kplus.Deployment(chart, "store", containers=[kplus.ContainerProps(image="store:1", port_number=6379)])
    pool.connections.allow_to(store)


def cross_namespace(app: cdk8s.App, out: Path) -> None:
    """A cdk8s-plus Deployment in another namespace opens a connection to the workers."""
    chart = MXNetChart(app, RELEASE, mode="distributed", server_count=2, worker_count=3, namespace="ml")
    monitoring = cdk8s.Chart(app, "monitoring", namespace="monitoring")
    dashboard = kplus.Deployment(monitoring, "dashboard", containers=[kplus.ContainerProps(image="dash:1")])
    dashboard.connections.allow_to(workers(chart))


def users_objects(app: cdk8s.App, out: Path) -> None:
    """A user's NetworkPolicy with the id the release uses for its own."""
    chart = release(app)
    kplus.NetworkPolicy(chart, "mxnet")


def jobset_handle(app: cdk8s.App, out: Path) -> None:
    """Under the jobset lifecycle, a role's handle patches its replicated job only."""
    chart = release(
        app,
        lifecycle="jobset",
        code=LocalFiles(files={"train.py": "print('hi')\n"}),
        entrypoint=Entrypoint(file="train.py"),
    )
    workers(chart).resource.add_json_patch(cdk8s.JsonPatch.add("/spec/template/spec/nodeSelector", {"gpu": "true"}))


ROWS: dict[str, Callable[[cdk8s.App, Path], None]] = {
    "scale-workers": scale_workers,
    "workload-methods": workload_methods,
    "cross-namespace": cross_namespace,
    "users-objects": users_objects,
    "jobset-handle": jobset_handle,
    "escape-hatch": escape_hatch,
    "org-walk": org_walk,
    "dependency": dependency,
    "output-type": output_type,
    "kplus-network": kplus_network,
    "typed-sidecar": typed_sidecar,
    "typed-hook": typed_hook_row,
    "construct-metadata": construct_metadata,
}


def main(argv: list[str]) -> None:
    row, outdir = argv[0], Path(argv[1])
    output = cdk8s.YamlOutputType[argv[2]] if len(argv) > 2 else cdk8s.YamlOutputType.FILE_PER_CHART
    outdir.mkdir(parents=True, exist_ok=True)
    app = cdk8s.App(
        outdir=str(outdir / "dist"),
        yaml_output_type=output,
        record_construct_metadata=row == "construct-metadata",
    )
    ROWS[row](app, outdir)
    app.synth()


if __name__ == "__main__":
    main(sys.argv[1:])
