"""The manifest model: safe loading, workloads -> pods as controllers make them, selectors,
Services -> endpoints, and the ps-lite counts."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from mxnet_construct import Entrypoint
from mxnet_construct.manifests import (
    MAX_DEPTH,
    LabelSelector,
    ManifestError,
    Manifests,
    Pod,
    Service,
    load_files,
    map_selects,
    parse_documents,
    workloads_of,
)
from tests.helpers import make_chart, synth


def template(labels: dict[str, str] | None = None, **spec: Any) -> dict[str, Any]:
    return {
        "metadata": {"labels": labels or {"app": "x"}},
        "spec": {"containers": [{"name": "main", "image": "x"}], **spec},
    }


def obj(kind: str, name: str = "w", api: str = "apps/v1", **spec: Any) -> dict[str, Any]:
    return {"apiVersion": api, "kind": kind, "metadata": {"name": name, "namespace": "ns"}, "spec": spec}


def pods_of(doc: dict[str, Any]) -> list[Pod]:
    return [p for w in workloads_of(doc) for p in w.pods]


# --- loading -------------------------------------------------------------------------------------------


def test_an_alias_bomb_is_refused_at_once_naming_the_file() -> None:
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n"
        for i in range(9)
    )
    start = time.perf_counter()
    with pytest.raises(ManifestError, match=r"'bomb.yaml' line 5: YAML aliases \(\*name\) are not allowed"):
        parse_documents(
            "kind: ConfigMap\nmetadata: {name: x}\ndata:\n" + "  " + bomb.replace("\n", "\n  "), "bomb.yaml"
        )
    assert time.perf_counter() - start < 0.5


def test_merge_keys_are_aliases_too() -> None:
    text = "kind: ConfigMap\nmetadata: &m {name: x}\ndata:\n  <<: *m\n"
    with pytest.raises(ManifestError, match="aliases"):
        parse_documents(text, "m.yaml")


def test_nesting_beyond_the_limit_is_refused_instead_of_a_recursion_error() -> None:
    deep = "kind: ConfigMap\nmetadata: {name: x}\ndata: " + "[" * 450 + "]" * 450 + "\n"
    with pytest.raises(ManifestError, match=f"'deep.yaml' line 3: nested more than {MAX_DEPTH} levels deep"):
        parse_documents(deep, "deep.yaml")
    ok = "kind: ConfigMap\nmetadata: {name: x}\ndata: " + "[" * 50 + "]" * 50 + "\n"
    assert parse_documents(ok, "ok.yaml")[0]["kind"] == "ConfigMap"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("kind: [", "'f.yaml' is not valid YAML"),
        ("- a\n- b\n", "'f.yaml': document 1 is not a Kubernetes object"),
        ("kind: Pod\n", "'f.yaml': document 1 is not a Kubernetes object"),
        ("kind: Pod\nmetadata: {name: a}\n---\n---\n42\n", "'f.yaml': document 3 is not a Kubernetes object"),
        ("kind: List\nmetadata: {}\nitems: [1]\n", r"document 1 items\[0\] is not a Kubernetes object"),
    ],
)
def test_malformed_documents_name_the_file_and_document(text: str, message: str) -> None:
    with pytest.raises(ManifestError, match=message):
        parse_documents(text, "f.yaml")


def test_lists_are_flattened_and_empty_documents_dropped() -> None:
    text = "---\n---\nkind: List\nmetadata: {}\nitems:\n- {kind: ConfigMap, metadata: {name: a}}\n- {kind: Secret, metadata: {name: b}}\n"
    assert [d["kind"] for d in parse_documents(text)] == ["ConfigMap", "Secret"]


def test_files_that_cannot_be_read_or_decoded_are_named(tmp_path: Path) -> None:
    with pytest.raises(ManifestError, match=f"cannot read '{tmp_path / 'nope.yaml'}'"):
        load_files([tmp_path / "nope.yaml"])
    latin = tmp_path / "latin.yaml"
    latin.write_bytes(b"kind: ConfigMap\nmetadata: {name: caf\xe9}\n")
    with pytest.raises(ManifestError, match=r"latin.yaml' is not UTF-8 text \(byte 36\)"):
        load_files([latin])


# --- workloads -> pods ---------------------------------------------------------------------------------


def test_deployment_pods_carry_the_template_hash_and_default_to_one_replica() -> None:
    doc = obj("Deployment", template=template())
    (pod,) = pods_of(doc)
    hash_ = pod.labels["pod-template-hash"]
    assert pod.name.startswith(f"w-{hash_}-") and len(pod.name) == len("w-") + 10 + 1 + 5
    assert (pod.namespace, pod.hostname, pod.subdomain, pod.restart_policy) == ("ns", pod.name, "", "Always")
    assert [p.name for p in pods_of(doc)] == [pod.name]  # the same file names its pods the same way


@pytest.mark.parametrize(
    ("kind", "replicas", "expected"), [("Deployment", 3, 3), ("ReplicaSet", 2, 2), ("DaemonSet", 9, 1)]
)
def test_replica_counts_per_controller(kind: str, replicas: int, expected: int) -> None:
    (workload,) = workloads_of(obj(kind, replicas=replicas, template=template()))
    assert len(workload.pods) == workload.concurrent == expected
    assert len({p.name for p in workload.pods}) == expected


def test_statefulset_pods_have_ordinals_hostnames_subdomain_and_claims() -> None:
    doc = obj(
        "StatefulSet", replicas=2, serviceName="head", ordinals={"start": 3}, template=template(),
        volumeClaimTemplates=[{"metadata": {"name": "data"}}],
    )  # fmt: skip
    (workload,) = workloads_of(doc)
    assert [(p.name, p.hostname, p.subdomain, p.index) for p in workload.pods] == [
        ("w-3", "w-3", "head", 3),
        ("w-4", "w-4", "head", 4),
    ]
    assert workload.pods[0].claims == {"data": "data-w-3"}
    assert workload.pods[1].labels["statefulset.kubernetes.io/pod-name"] == "w-4"
    assert workload.pods[0].dns_names()[-1] == "w-3.head.ns.svc.cluster.local"


def test_a_job_runs_one_pod_per_completion_at_most_parallelism_at_once() -> None:
    (workload,) = workloads_of(
        obj("Job", api="batch/v1", completions=5, parallelism=2, template=template(restartPolicy="Never"))
    )
    assert (len(workload.pods), workload.concurrent) == (5, 2)
    assert all(p.labels["job-name"] == "w" and p.index is None for p in workload.pods)
    (queue,) = workloads_of(obj("Job", api="batch/v1", parallelism=3, template=template(restartPolicy="Never")))
    assert (len(queue.pods), queue.concurrent) == (3, 3)  # no completions: a work queue of `parallelism` pods


def test_indexed_job_pods_have_index_hostnames_labels_and_env() -> None:
    doc = obj(
        "Job", api="batch/v1", completions=2, parallelism=2, completionMode="Indexed", template=template(subdomain="h")
    )
    pods = pods_of(doc)
    assert [(p.hostname, p.subdomain, p.index) for p in pods] == [("w-0", "h", 0), ("w-1", "h", 1)]
    assert pods[1].name.startswith("w-1-") and pods[1].labels["batch.kubernetes.io/job-completion-index"] == "1"
    assert pods[1].env["JOB_COMPLETION_INDEX"] == "1"


def test_an_indexed_job_without_completions_is_refused_as_the_api_server_does() -> None:
    with pytest.raises(ManifestError, match=r"Job/w: an Indexed Job needs spec.completions"):
        workloads_of(obj("Job", api="batch/v1", completionMode="Indexed", template=template()))


def jobset(**spec: Any) -> dict[str, Any]:
    rjob = {
        "name": "worker",
        "replicas": 2,
        "template": {"spec": {"completions": 3, "parallelism": 3, "template": template()}},
    }
    return obj("JobSet", name="js", api="jobset.x-k8s.io/v1alpha2", replicatedJobs=[rjob], **spec)


def test_jobset_pods_are_replicas_times_completions_named_as_the_controller_names_them() -> None:
    (workload,) = workloads_of(jobset())
    assert (workload.id, len(workload.pods), workload.concurrent, workload.replicas) == ("JobSet/js/worker", 6, 6, 2)
    hosts = [p.hostname for p in workload.pods]
    assert hosts == [f"js-worker-{j}-{i}" for j in range(2) for i in range(3)]
    assert all(p.name.startswith(f"{p.hostname}-") and len(p.name) == len(p.hostname) + 6 for p in workload.pods)
    pod = workload.pods[4]
    assert (pod.job, pod.job_index, pod.index, pod.subdomain) == ("js-worker-1", 1, 1, "js")
    assert pod.labels["jobset.sigs.k8s.io/replicatedjob-name"] == "worker"
    assert pod.restart_policy == "OnFailure"  # the JobSet webhook's default


def test_jobset_network_settings_decide_the_subdomain() -> None:
    assert {p.subdomain for p in pods_of(jobset(network={"subdomain": "head"}))} == {"head"}
    assert {p.subdomain for p in pods_of(jobset(network={"enableDNSHostnames": False}))} == {""}


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        (obj("Deployment", replicas="3", template=template()), r"Deployment/w spec.replicas: '3' is not a count"),
        (obj("StatefulSet", replicas=True, template=template()), "StatefulSet/w spec.replicas: True is not a count"),
        (obj("Job", api="batch/v1", parallelism=-1, template=template()), "Job/w spec.parallelism: -1 is not a count"),
        (obj("Deployment"), "Deployment/w: spec.template.spec is missing"),
        (
            obj("JobSet", api="jobset.x-k8s.io/v1alpha2", replicatedJobs=[{"replicas": 1}]),
            r"replicatedJobs\[0\]: name is missing",
        ),
        ({"kind": "Pod", "metadata": {}, "spec": {}}, "Pod: metadata.name is missing"),
        (
            obj("Deployment", template={"metadata": {"labels": {"a": 1}}, "spec": {}}),
            "is not a map of strings to strings",
        ),
    ],
)
def test_bad_workload_fields_are_errors_naming_object_field_and_value(doc: dict[str, Any], message: str) -> None:
    with pytest.raises(ManifestError, match=message):
        workloads_of(doc)


@pytest.mark.parametrize("lifecycle", ["long-running", "job", "jobset"])
def test_the_model_finds_every_pod_of_synthesized_releases(lifecycle: str) -> None:
    extra = {} if lifecycle == "long-running" else {"lifecycle": lifecycle, "entrypoint": Entrypoint(file="t.py")}
    docs = synth(make_chart(release="demo", mode="distributed", server_count=2, worker_count=3, **extra))
    model = Manifests.of(docs)
    assert [w.concurrent for w in model.workloads] == [1, 2, 3]
    assert sorted(p.role or "" for p in model.pods) == ["scheduler", "server", "server", "worker", "worker", "worker"]


# --- selectors -----------------------------------------------------------------------------------------

LABELS = {"app": "mx", "tier": "web"}


@pytest.mark.parametrize(
    ("selector", "expected"),
    [
        ({}, True),
        (None, True),
        ({"matchLabels": {"app": "mx"}}, True),
        ({"matchLabels": {"app": "mx", "tier": "db"}}, False),
        ({"matchExpressions": [{"key": "tier", "operator": "In", "values": ["web", "db"]}]}, True),
        ({"matchExpressions": [{"key": "zone", "operator": "In", "values": ["a"]}]}, False),
        ({"matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["web"]}]}, False),
        ({"matchExpressions": [{"key": "zone", "operator": "NotIn", "values": ["a"]}]}, True),
        ({"matchExpressions": [{"key": "app", "operator": "Exists"}]}, True),
        ({"matchExpressions": [{"key": "zone", "operator": "Exists"}]}, False),
        ({"matchExpressions": [{"key": "zone", "operator": "DoesNotExist"}]}, True),
        ({"matchExpressions": [{"key": "app", "operator": "DoesNotExist"}]}, False),
        ({"matchLabels": {"app": "mx"}, "matchExpressions": [{"key": "tier", "operator": "DoesNotExist"}]}, False),
    ],
)
def test_label_selector_semantics(selector: Any, expected: bool) -> None:
    assert LabelSelector.parse(selector, "sel").matches(LABELS) is expected


@pytest.mark.parametrize(
    ("selector", "message"),
    [
        ({"matchLabel": {}}, r"sel: unknown label selector fields \['matchLabel'\]"),
        ({"matchExpressions": [{"key": "a", "operator": "in", "values": ["x"]}]}, "operator 'in' is not one of"),
        (
            {"matchExpressions": [{"key": "a", "operator": "Exists", "values": ["x"]}]},
            "operator Exists takes no values",
        ),
        ({"matchExpressions": [{"operator": "Exists"}]}, r"sel.matchExpressions\[0\]: .* needs a string 'key'"),
        ("app=mx", "is not a label selector"),
    ],
)
def test_bad_selectors_are_errors(selector: Any, message: str) -> None:
    with pytest.raises(ManifestError, match=message):
        LabelSelector.parse(selector, "sel")


def test_a_service_selector_map_that_is_absent_or_empty_selects_nothing() -> None:
    assert map_selects({"app": "mx"}, LABELS)
    assert not map_selects({}, LABELS) and not map_selects(None, LABELS)


# --- Services ----------------------------------------------------------------------------------------------


def service(selector: dict[str, str] | None, ports: list[dict[str, Any]], namespace: str = "ns") -> Service:
    spec: dict[str, Any] = {"ports": ports}
    if selector is not None:
        spec["selector"] = selector
    return Service.of({"kind": "Service", "metadata": {"name": "svc", "namespace": namespace}, "spec": spec})


def web_pods() -> list[Pod]:
    containers = [{"name": "main", "image": "x", "ports": [{"name": "http", "containerPort": 8080}]}]
    doc = obj("Deployment", replicas=2, template={"metadata": {"labels": LABELS}, "spec": {"containers": containers}})
    return pods_of(doc)


def test_service_endpoints_resolve_named_target_ports_per_pod() -> None:
    pods = web_pods()
    endpoints = service({"app": "mx"}, [{"port": 80, "targetPort": "http"}, {"port": 81}]).endpoints(pods)
    assert [(e.pod.name, e.port.port, e.target) for e in endpoints] == [
        (pods[0].name, 80, 8080), (pods[0].name, 81, 81), (pods[1].name, 80, 8080), (pods[1].name, 81, 81),
    ]  # fmt: skip
    (undeclared,) = service({"app": "mx"}, [{"port": 80, "targetPort": "grpc"}]).endpoints(pods[:1])
    assert undeclared.target is None


@pytest.mark.parametrize(("selector", "namespace"), [(None, "ns"), ({}, "ns"), ({"app": "mx"}, "elsewhere")])
def test_services_without_a_selector_or_in_another_namespace_have_no_endpoints(
    selector: dict[str, str] | None, namespace: str
) -> None:
    assert service(selector, [{"port": 80}], namespace).endpoints(web_pods()) == []


def test_names_resolve_as_pod_dns_would() -> None:
    docs = synth(make_chart(release="demo", mode="distributed", namespace="team"))
    model = Manifests.of(docs)
    svc = model.resolve("demo-mxnet-scheduler", "team")
    assert isinstance(svc, Service) and svc.name == "demo-mxnet-scheduler"
    assert model.resolve("demo-mxnet-scheduler", "other") is None  # a short name is namespace-local
    assert model.resolve("demo-mxnet-scheduler.team.svc.cluster.local.", "other") is svc
    pod = model.resolve("demo-mxnet-worker-0.demo-mxnet-headless.team", "other")
    assert isinstance(pod, Pod) and pod.name == "demo-mxnet-worker-0"
    assert model.resolve("demo-mxnet-worker-7.demo-mxnet-headless", "team") is None


# --- ps-lite counts ---------------------------------------------------------------------------------------


def edited(docs: list[dict[str, Any]], edit: Any) -> list[dict[str, Any]]:
    docs = yaml.safe_load(yaml.safe_dump(docs))
    for doc in docs:
        edit(doc)
    return docs


def release_docs(**kwargs: Any) -> list[dict[str, Any]]:
    return synth(make_chart(release="demo", mode="distributed", server_count=2, worker_count=3, **kwargs))


def test_a_synthesized_release_has_consistent_counts() -> None:
    for extra in (
        {},
        {"lifecycle": "job", "entrypoint": Entrypoint(file="t.py")},
        {"lifecycle": "jobset", "entrypoint": Entrypoint(file="t.py")},
    ):
        model = Manifests.of(release_docs(**extra))
        assert model.ps_lite_problems() == []
        workers = model.by_role("worker")
        assert [p.index for p in workers] == [0, 1, 2] and model.by_role("scheduler")[0].role == "scheduler"
        assert {model.scheduler_of(w).id for w in model.workloads} == {model.workloads[0].id}  # type: ignore[union-attr]


def test_a_replica_count_that_disagrees_with_dmlc_num_worker_is_reported_on_every_node() -> None:
    def scale(doc: dict[str, Any]) -> None:
        if doc["kind"] == "StatefulSet" and doc["metadata"]["name"] == "demo-mxnet-worker":
            doc["spec"]["replicas"] = 4

    problems = Manifests.of(edited(release_docs(), scale)).ps_lite_problems()
    assert [p.message for p in problems] == [
        f"{name}: DMLC_NUM_WORKER=3 but the file runs 4 worker pods; the job would hang"
        for name in ("demo-mxnet-scheduler", "demo-mxnet-server", "demo-mxnet-worker")
    ]


def test_a_job_that_runs_fewer_pods_at_once_than_dmlc_expects_would_hang() -> None:
    def throttle(doc: dict[str, Any]) -> None:
        if doc["kind"] == "Job" and doc["metadata"]["name"] == "demo-mxnet-worker":
            doc["spec"]["parallelism"] = 2

    docs = edited(release_docs(lifecycle="job", entrypoint=Entrypoint(file="t.py")), throttle)
    messages = [p.message for p in Manifests.of(docs).ps_lite_problems()]
    assert "demo-mxnet-worker: DMLC_NUM_WORKER=3 but the file runs 2 worker pods; the job would hang" in messages


def test_two_schedulers_or_a_scaled_scheduler_are_reported() -> None:
    def scale_scheduler(doc: dict[str, Any]) -> None:
        if doc["kind"] == "Deployment":
            doc["spec"]["replicas"] = 2

    messages = [p.message for p in Manifests.of(edited(release_docs(), scale_scheduler)).ps_lite_problems()]
    assert messages == ["demo-mxnet-scheduler: 2 scheduler pods; a ps-lite job needs exactly one"]


def test_separate_releases_are_separate_ps_lite_jobs_and_unresolved_schedulers_are_not_counted() -> None:
    a = synth(make_chart(release="alpha", mode="distributed", worker_count=2))
    b = synth(make_chart(release="beta", mode="distributed", worker_count=5))
    assert Manifests.of(a + b).ps_lite_problems() == []
    no_services = [d for d in a if d["kind"] != "Service"]
    model = Manifests.of(no_services)
    assert model.ps_lite_problems() == [] and model.scheduler_of(model.workloads[1]) is None
