"""Tree-native cdk8s: every object is an ApiObject in the construct tree, and the idioms a
cdk8s user relies on (escape hatches, metadata, dependencies, output types, org-wide walks,
cdk8s-plus selectors and peers) work on MXNet objects as on any other."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import cdk8s
import cdk8s_plus_27 as kplus
import pytest
import yaml

from mxnet_construct import Entrypoint, LocalFiles, MXNetChart, Persistence
from mxnet_construct._tree import LazyObject
from tests.helpers import find, synth

EVERYTHING: dict[str, Any] = {
    "mode": "distributed",
    "server_count": 2,
    "worker_count": 3,
    "persistence": Persistence(enabled=True),
    "code": LocalFiles(files={"train.py": "print('hi')\n"}),
    "entrypoint": Entrypoint(file="train.py"),
}
LIFECYCLES: list[dict[str, Any]] = [
    {"lifecycle": "long-running"},
    {"lifecycle": "job"},
    {"lifecycle": "jobset", "gang_scheduler": "volcano"},
    {"lifecycle": "long-running", "gang_scheduler": "scheduler-plugins"},
]


def chart_for(app: cdk8s.App, release: str = "rel", **overrides: Any) -> MXNetChart:
    return MXNetChart(app, release, **{**EVERYTHING, **overrides})


def api_objects(scope: Any) -> list[cdk8s.ApiObject]:
    return [node for node in scope.node.find_all() if isinstance(node, cdk8s.ApiObject)]


@pytest.mark.parametrize("extra", LIFECYCLES, ids=lambda e: "-".join(str(v) for v in e.values()))
def test_one_api_object_per_document(extra: dict[str, Any]) -> None:
    chart = chart_for(cdk8s.App(), **extra)
    docs = synth(chart)
    objects = api_objects(chart)
    assert sorted((o.kind, o.name) for o in objects) == sorted((d["kind"], d["metadata"]["name"]) for d in docs)
    assert len(objects) == len(docs)


def test_standalone_objects_are_api_objects_too() -> None:
    chart = MXNetChart(cdk8s.App(), "solo", persistence=Persistence(enabled=True))
    assert cdk8s.ApiObject.of(chart.standalone).kind == "Deployment"
    assert chart.standalone is not None and chart.standalone.persistent_volume_claim is not None
    assert len(api_objects(chart)) == len(synth(chart))


def test_objects_live_under_their_role() -> None:
    chart = chart_for(cdk8s.App())
    paths = {o.node.path: o.kind for o in api_objects(chart)}
    assert paths["rel/workers/Resource"] == "StatefulSet"
    assert paths["rel/servers/Resource"] == "StatefulSet"
    assert paths["rel/scheduler/Resource"] == "Deployment"
    assert paths["rel/scheduler/Service"] == "Service"
    assert paths["rel/scheduler/PersistentVolumeClaim"] == "PersistentVolumeClaim"
    assert paths["rel/HeadlessService"] == "Service"
    assert paths["rel/FilesConfigMap"] == "ConfigMap"


@pytest.mark.parametrize(("lifecycle", "kind"), [("long-running", "StatefulSet"), ("job", "Job"), ("jobset", "JobSet")])
def test_api_object_of_role_is_its_workload(lifecycle: str, kind: str) -> None:
    chart = chart_for(cdk8s.App(), lifecycle=lifecycle)
    assert chart.workers is not None and chart.scheduler is not None
    assert cdk8s.ApiObject.of(chart.workers).kind == kind
    expected_scheduler = {"long-running": "Deployment", "job": "Job", "jobset": "JobSet"}[lifecycle]
    assert cdk8s.ApiObject.of(chart.scheduler).kind == expected_scheduler


def test_typed_attributes_name_the_objects_and_are_none_where_absent() -> None:
    chart = chart_for(cdk8s.App(), lifecycle="jobset", gang_scheduler="volcano")
    assert chart.job_set is not None and chart.job_set.kind == "JobSet"
    assert chart.pod_group is not None and chart.pod_group.kind == "PodGroup"
    assert chart.headless_service is not None and chart.headless_service.name == "rel-mxnet-headless"
    assert chart.network_policy is not None and chart.network_policy.kind == "NetworkPolicy"
    assert chart.service_account is not None and chart.service_account.kind == "ServiceAccount"
    assert chart.pod_disruption_budget is not None and chart.pod_disruption_budget.kind == "PodDisruptionBudget"
    assert chart.files_config_map is not None and chart.files_config_map.name == "rel-mxnet-files"
    assert chart.scheduler is not None and chart.scheduler.service.name == "rel-mxnet-scheduler"
    assert chart.workers is not None
    assert (chart.workers.stateful_set, chart.workers.deployment, chart.workers.job) == (None, None, None)
    plain = MXNetChart(cdk8s.App(), "plain", mode="distributed", service_account=False)
    assert (plain.job_set, plain.pod_group, plain.files_config_map, plain.service_account) == (None,) * 4
    assert plain.scheduler is not None and plain.scheduler.deployment is not None
    assert plain.scheduler.persistent_volume_claim is None


def test_json_patch_under_spec_takes_effect() -> None:
    chart = chart_for(cdk8s.App())
    assert chart.workers is not None and chart.scheduler is not None and chart.network_policy is not None
    cdk8s.ApiObject.of(chart.workers).add_json_patch(
        cdk8s.JsonPatch.add("/spec/template/spec/priorityClassName", "high"),
        cdk8s.JsonPatch.replace("/spec/replicas", 3),
    )
    chart.scheduler.service.add_json_patch(cdk8s.JsonPatch.add("/spec/sessionAffinity", "ClientIP"))
    chart.network_policy.add_json_patch(cdk8s.JsonPatch.remove("/spec/egress"))
    docs = synth(chart)
    workers = find(docs, "StatefulSet", "rel-mxnet-worker")
    assert workers["spec"]["template"]["spec"]["priorityClassName"] == "high"
    assert find(docs, "Service", "rel-mxnet-scheduler")["spec"]["sessionAffinity"] == "ClientIP"
    assert "egress" not in find(docs, "NetworkPolicy", "rel-mxnet")["spec"]


def test_metadata_api_takes_effect_on_every_object() -> None:
    app = cdk8s.App()
    chart = chart_for(app)
    # How a platform team applies org policy: walk every ApiObject of the app.
    for obj in api_objects(app):
        obj.metadata.add_label("cost-center", "ml")
        obj.metadata.add_annotation("owner", "platform")
    docs = synth(chart)
    assert docs and all(d["metadata"]["labels"]["cost-center"] == "ml" for d in docs)
    assert all(d["metadata"]["annotations"]["owner"] == "platform" for d in docs)


STANDALONE: dict[str, Any] = {"mode": "standalone", "persistence": Persistence(enabled=True)}


@pytest.mark.parametrize(
    "kwargs",
    [
        *({**EVERYTHING, **extra} for extra in LIFECYCLES),
        STANDALONE,
        {**EVERYTHING, "namespace": "ml", "labels": {"team": "vision", "app.kubernetes.io/name": "x"}},
    ],
    ids=["long-running", "job", "jobset", "plugins", "standalone", "namespace-labels"],
)
def test_metadata_worked_out_in_python_is_what_cdk8s_renders(kwargs: dict[str, Any]) -> None:
    # Lazy objects render their metadata in Python (no Node call) until someone reads
    # `metadata`: it must be exactly cdk8s's own rendering of the object's metadata (which
    # reads `metadata`, so the object hands its labels and annotations to Node first).
    chart = MXNetChart(cdk8s.App(), "rel", **kwargs)
    lazy = [obj for obj in chart.api_objects_of_release() if isinstance(obj, LazyObject)]
    assert lazy
    for obj in lazy:
        ours = json.dumps(obj.metadata_json())
        assert ours == json.dumps(cdk8s.ApiObject.to_json(obj)["metadata"]), obj.node.path


def test_a_metadata_edit_after_rendering_still_reaches_the_output() -> None:
    chart = chart_for(cdk8s.App())
    assert find(synth(chart), "StatefulSet", "rel-mxnet-worker")["metadata"].get("annotations") is None
    cdk8s.ApiObject.of(chart.workers).metadata.add_annotation("owner", "platform")
    meta = find(synth(chart), "StatefulSet", "rel-mxnet-worker")["metadata"]
    assert meta["annotations"] == {"owner": "platform"}
    assert meta["labels"]["app.kubernetes.io/component"] == "worker"


def test_the_metadata_api_sees_what_the_release_gave_and_edits_win() -> None:
    # Node learns an object's labels and annotations only when someone reads `metadata`:
    # from then on it must hold them, and an edit of one of ours wins, as on any ApiObject.
    chart = chart_for(
        cdk8s.App(), labels={"team": "vision"}, persistence=Persistence(enabled=True, annotations={"backup": "daily"})
    )
    workers = cdk8s.ApiObject.of(chart.workers).metadata
    assert workers.get_label("app.kubernetes.io/component") == "worker"
    assert workers.get_label("team") == "vision"
    workers.add_label("app.kubernetes.io/component", "trainer")
    assert chart.scheduler is not None and chart.scheduler.persistent_volume_claim is not None
    chart.scheduler.persistent_volume_claim.metadata.add_annotation("owner", "platform")
    docs = synth(chart)
    labels = find(docs, "StatefulSet", "rel-mxnet-worker")["metadata"]["labels"]
    assert (labels["app.kubernetes.io/component"], labels["team"], labels["app.kubernetes.io/name"]) == (
        "trainer",
        "vision",
        "mxnet",
    )
    claim = find(docs, "PersistentVolumeClaim")["metadata"]
    assert claim["annotations"] == {"backup": "daily", "owner": "platform"}
    assert claim["labels"]["app.kubernetes.io/component"] == "scheduler"


def test_chart_labels_and_namespace_reach_every_object_through_cdk8s() -> None:
    chart = chart_for(cdk8s.App(), namespace="ml", labels={"team": "vision"})
    docs = synth(chart)
    assert all(d["metadata"]["namespace"] == "ml" for d in docs)
    assert all(d["metadata"]["labels"]["team"] == "vision" for d in docs)
    # Pods carry them too, but selectors (immutable on workloads) never do.
    workers = find(docs, "StatefulSet", "rel-mxnet-worker")
    assert workers["spec"]["template"]["metadata"]["labels"]["team"] == "vision"
    assert "team" not in workers["spec"]["selector"]["matchLabels"]


def test_add_dependency_orders_the_output() -> None:
    chart = chart_for(cdk8s.App())
    secret = kplus.Secret(chart, "credentials")
    assert chart.workers is not None and chart.servers is not None
    cdk8s.ApiObject.of(chart.workers).add_dependency(secret)
    cdk8s.ApiObject.of(chart.servers).add_dependency(workers_object(chart))
    order = [(d["kind"], d["metadata"]["name"]) for d in synth(chart)]
    assert order.index(("Secret", secret.name)) < order.index(("StatefulSet", "rel-mxnet-worker"))
    assert order.index(("StatefulSet", "rel-mxnet-worker")) < order.index(("StatefulSet", "rel-mxnet-server"))


def workers_object(chart: MXNetChart) -> cdk8s.ApiObject:
    assert chart.workers is not None
    return cdk8s.ApiObject.of(chart.workers)


@pytest.mark.parametrize(
    "output_type",
    [
        cdk8s.YamlOutputType.FILE_PER_CHART,
        cdk8s.YamlOutputType.FILE_PER_APP,
        cdk8s.YamlOutputType.FILE_PER_RESOURCE,
        cdk8s.YamlOutputType.FOLDER_PER_CHART_FILE_PER_RESOURCE,
    ],
)
def test_every_output_type_writes_every_object(output_type: Any, tmp_path: Path) -> None:
    app = cdk8s.App(outdir=str(tmp_path), yaml_output_type=output_type)
    chart = chart_for(app, lifecycle="jobset", gang_scheduler="volcano")
    expected = sorted((d["kind"], d["metadata"]["name"]) for d in synth(chart))
    app.synth()
    written = [doc for path in sorted(tmp_path.rglob("*.yaml")) for doc in yaml.safe_load_all(path.read_text())]
    assert sorted((d["kind"], d["metadata"]["name"]) for d in written) == expected


def test_construct_metadata_gives_every_object_its_path(tmp_path: Path) -> None:
    app = cdk8s.App(outdir=str(tmp_path), record_construct_metadata=True)
    chart_for(app)
    app.synth()
    recorded = json.loads((tmp_path / "construct-metadata.json").read_text())["resources"]
    # cdk8s keys the file by object name, so objects that share a name (the scheduler's
    # Deployment, Service and claim, as in the chart) keep only the last one's path.
    assert recorded["rel-mxnet-worker"]["path"] == "rel/workers/Resource"
    assert recorded["rel-mxnet-server"]["path"] == "rel/servers/Resource"
    assert recorded["rel-mxnet-headless"]["path"] == "rel/HeadlessService"
    assert recorded["rel-mxnet-files"]["path"] == "rel/FilesConfigMap"


def test_roles_are_cdk8s_plus_pod_selectors_and_peers() -> None:
    chart = chart_for(cdk8s.App())
    assert chart.workers is not None and chart.scheduler is not None
    policy = kplus.NetworkPolicy(chart, "workers-in", selector=chart.workers)
    policy.add_ingress_rule(chart.scheduler, [kplus.NetworkPolicyPort.tcp(9092)])
    exporter = kplus.Deployment(chart, "exporter", containers=[kplus.ContainerProps(image="exporter:1")])
    exporter.connections.allow_from(chart.workers, ports=[kplus.NetworkPolicyPort.tcp(9100)])
    docs = synth(chart)
    ours = find(docs, "NetworkPolicy", cdk8s.ApiObject.of(policy).name)["spec"]
    assert ours["podSelector"]["matchLabels"] == chart.workers.selector
    assert ours["ingress"][0]["from"][0]["podSelector"]["matchLabels"] == chart.scheduler.selector
    # allow_from writes the exporter's ingress from the workers, and the workers' egress to it.
    mine = ("rel-mxnet", cdk8s.ApiObject.of(policy).name)
    allow = [d["spec"] for d in docs if d["kind"] == "NetworkPolicy" and d["metadata"]["name"] not in mine]
    sources = [p["podSelector"]["matchLabels"] for s in allow for rule in s.get("ingress", []) for p in rule["from"]]
    assert chart.workers.selector in sources
    assert chart.workers.selector in [s["podSelector"]["matchLabels"] for s in allow]


def test_checkov_suppressions_are_off_unless_asked() -> None:
    docs = synth(chart_for(cdk8s.App()))
    assert not any(key.startswith("checkov.io/") for d in docs for key in d["metadata"].get("annotations", {}))


def test_checkov_suppressions_follow_the_final_document() -> None:
    chart = chart_for(cdk8s.App(), checkov_skips=True)
    assert chart.workers is not None
    # A patch that sizes the main container removes the suppression that quoted its absence.
    cdk8s.ApiObject.of(chart.workers).add_json_patch(
        cdk8s.JsonPatch.add(
            "/spec/template/spec/containers/0/resources",
            {"requests": {"cpu": "1", "memory": "1Gi"}, "limits": {"cpu": "1", "memory": "1Gi"}},
        )
    )
    docs = synth(chart)
    workers = find(docs, "StatefulSet", "rel-mxnet-worker")["metadata"]["annotations"]
    servers = find(docs, "StatefulSet", "rel-mxnet-server")["metadata"]["annotations"]
    assert not any(v.startswith(("CKV_K8S_10=", "CKV_K8S_13=")) for v in workers.values())
    assert any(v.startswith("CKV_K8S_10=") and "mxnet" in v for v in servers.values())


def test_checkov_never_suppresses_a_users_container() -> None:
    chart = chart_for(cdk8s.App(), checkov_skips=True, sidecars=[{"name": "tracer", "image": "tracer:1"}])
    annotations = find(synth(chart), "StatefulSet", "rel-mxnet-worker")["metadata"]["annotations"]
    # The tracer has no probes and no resources: checkov must still report those.
    assert not any(v.startswith(("CKV_K8S_8=", "CKV_K8S_10=")) for v in annotations.values())


def test_each_role_owns_its_traits() -> None:
    from mxnet_construct import Scheduler, ServerPool, Standalone, WorkerPool
    from mxnet_construct import contract as c

    for cls, component in (
        (Standalone, "standalone"),
        (Scheduler, "scheduler"),
        (ServerPool, "server"),
        (WorkerPool, "worker"),
    ):
        assert cls.traits is c.TRAITS[component] and cls.traits.component == component
    # Only the scheduler binds the root address; only servers and workers are pools.
    assert [t.component for t in c.TRAITS.values() if t.binds_root] == ["scheduler"]
    assert sorted(t.component for t in c.TRAITS.values() if t.pool) == ["server", "worker"]
    chart = chart_for(cdk8s.App())
    assert chart.workers is not None and chart.workers.component == "worker"


def test_checkov_skips_must_be_a_bool() -> None:
    with pytest.raises(TypeError, match="checkov_skips: expected True or False, got 'yes'"):
        MXNetChart(cdk8s.App(), "rel", checkov_skips="yes")  # type: ignore[arg-type]


def test_an_overridden_hook_is_checked_and_its_structs_converted() -> None:
    from cdk8s_plus_27 import k8s

    from mxnet_construct import PodTemplateSpec, WorkerPool

    class Typo(WorkerPool):
        def pod_template(self) -> PodTemplateSpec:
            pod = super().pod_template()
            pod["spec"]["containers"].append({"name": "x", "image": "x:1", "volume_mounts": []})  # type: ignore[typeddict-unknown-key]
            return pod

    class Typed(WorkerPool):
        def pod_template(self) -> PodTemplateSpec:
            pod = super().pod_template()
            pod["spec"]["containers"].append(k8s.Container(name="tracer", image="tracer:1"))  # type: ignore[arg-type]
            return pod

    class TypoChart(MXNetChart):
        worker_pool_class = Typo

    class TypedChart(MXNetChart):
        worker_pool_class = Typed

    with pytest.raises(ValueError, match=r"Typo\.pod_template\(\).*volume_mounts.*did you mean 'volumeMounts'"):
        TypoChart(cdk8s.App(), "rel", mode="distributed")
    chart = TypedChart(cdk8s.App(), "rel", mode="distributed")
    workers = find(synth(chart), "StatefulSet", "rel-mxnet-worker")["spec"]["template"]["spec"]
    # The hook's container gets the restricted defaults like every other container.
    assert workers["containers"][-1] == {
        "image": "tracer:1",
        "name": "tracer",
        "securityContext": {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}},
    }
