"""Gang scheduling: a PodGroup for Volcano or scheduler-plugins, and pods that join it."""

from __future__ import annotations

from typing import Any

import pytest

from mxnet_construct import Entrypoint, MXNetChart, PodTemplateSpec, Resources, RoleOptions, ServerPool
from tests.helpers import find, make_chart, synth, synth_yaml, validate_documents

# Run-to-completion lifecycles need an entrypoint file.
DIST = {"mode": "distributed", "server_count": 2, "worker_count": 3, "entrypoint": Entrypoint(file="train.py")}
MEMBERSHIP = {
    "volcano": ("scheduling.volcano.sh/v1beta1", "annotations", "scheduling.k8s.io/group-name", "volcano"),
    "scheduler-plugins": (
        "scheduling.x-k8s.io/v1alpha1",
        "labels",
        "scheduling.x-k8s.io/pod-group",
        "scheduler-plugins-scheduler",
    ),
}


def pod_templates(docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for doc in docs:
        if doc["kind"] in ("Deployment", "StatefulSet", "Job"):
            out.append(doc["spec"]["template"])
        elif doc["kind"] == "JobSet":
            out += [rj["template"]["spec"]["template"] for rj in doc["spec"]["replicatedJobs"]]
    return out


CASES: dict[str, dict[str, Any]] = {
    "volcano-long-running": {**DIST, "gang_scheduler": "volcano"},
    "volcano-jobset": {
        **DIST,
        "gang_scheduler": "volcano",
        "lifecycle": "jobset",
        "resources": Resources(requests={"cpu": "1", "memory": "2Gi"}),
        "worker": RoleOptions(gpus=1),
    },
    "plugins-long-running": {**DIST, "gang_scheduler": "scheduler-plugins"},
    "plugins-job": {
        **DIST,
        "gang_scheduler": "scheduler-plugins",
        "lifecycle": "job",
        "resources": Resources(requests={"cpu": "250m", "memory": "512Mi"}),
    },
    "volcano-standalone": {"gang_scheduler": "volcano"},
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_snapshot(case: str, yaml_snapshot: Any) -> None:
    assert synth_yaml(make_chart(**CASES[case])) == yaml_snapshot


@pytest.mark.parametrize("case", sorted(CASES))
def test_schema_valid(case: str) -> None:
    # PodGroups and JobSets are checked against the CRD schemas in crds/.
    validate_documents(synth(make_chart(**CASES[case])))


@pytest.mark.parametrize("scheduler", sorted(MEMBERSHIP))
@pytest.mark.parametrize("lifecycle", ["long-running", "job", "jobset"])
def test_every_pod_joins_the_group(scheduler: str, lifecycle: str) -> None:
    api_version, where, key, scheduler_name = MEMBERSHIP[scheduler]
    docs = synth(make_chart(**DIST, gang_scheduler=scheduler, lifecycle=lifecycle))
    group = find(docs, "PodGroup")
    assert group["apiVersion"] == api_version
    assert group["metadata"]["name"] == "test-mxnet"
    assert group["spec"]["minMember"] == 1 + 2 + 3
    templates = pod_templates(docs)
    assert len(templates) == 3
    for template in templates:
        assert template["metadata"][where][key] == "test-mxnet"
        assert template["spec"]["schedulerName"] == scheduler_name


def test_the_group_is_created_before_the_workloads() -> None:
    docs = synth(make_chart(**DIST, gang_scheduler="volcano"))
    kinds = [d["kind"] for d in docs]
    assert kinds.index("PodGroup") < min(kinds.index("Deployment"), kinds.index("StatefulSet"))


def test_selectors_do_not_include_the_group_label() -> None:
    docs = synth(make_chart(**DIST, gang_scheduler="scheduler-plugins"))
    for doc in docs:
        selector = doc.get("spec", {}).get("selector", {})
        labels = selector.get("matchLabels", selector) if isinstance(selector, dict) else {}
        assert "scheduling.x-k8s.io/pod-group" not in labels


def test_standalone_group_has_one_member() -> None:
    docs = synth(make_chart(gang_scheduler="scheduler-plugins"))
    assert find(docs, "PodGroup")["spec"] == {"minMember": 1}
    assert find(docs, "Deployment")["spec"]["template"]["spec"]["schedulerName"] == "scheduler-plugins-scheduler"


def test_no_group_and_default_scheduler_without_gang() -> None:
    docs = synth(make_chart(**DIST, lifecycle="jobset"))
    assert not [d for d in docs if d["kind"] == "PodGroup"]
    for template in pod_templates(docs):
        assert "schedulerName" not in template["spec"]
        assert "annotations" not in template["metadata"]


def test_min_resources_absent_without_requests() -> None:
    assert "minResources" not in find(synth(make_chart(**DIST, gang_scheduler="volcano")), "PodGroup")["spec"]


def test_min_resources_sum_every_pod() -> None:
    docs = synth(
        make_chart(
            **DIST,
            gang_scheduler="volcano",
            resources=Resources(requests={"cpu": "500m", "memory": "1Gi"}),
            worker=RoleOptions(gpus=2, resources=Resources(requests={"cpu": "2", "memory": "4Gi"})),
            sidecars=[{"name": "log", "image": "busybox", "resources": {"requests": {"cpu": "100m"}}}],
        )
    )
    # scheduler + 2 servers: 0.5 CPU + 0.1 sidecar each; 3 workers: 2 + 0.1 each.
    assert find(docs, "PodGroup")["spec"]["minResources"] == {
        "cpu": f"{3 * 600 + 3 * 2100}m",
        "memory": "15Gi",
        "nvidia.com/gpu": "6",
    }


def test_min_resources_take_the_larger_of_init_and_app_containers() -> None:
    big_init = {"name": "prep", "image": "busybox", "resources": {"requests": {"memory": "8Gi", "cpu": "100m"}}}
    docs = synth(
        make_chart(
            gang_scheduler="volcano",
            resources=Resources(requests={"cpu": "1", "memory": "1Gi"}),
            init_containers=[big_init],
        )
    )
    assert find(docs, "PodGroup")["spec"]["minResources"] == {"cpu": "1", "memory": "8Gi"}


def test_min_resources_follow_subclass_hooks() -> None:
    class Bigger(ServerPool):
        def pod_template(self) -> PodTemplateSpec:
            pod = super().pod_template()
            pod["spec"]["containers"][0]["resources"] = {"requests": {"cpu": "4"}}
            return pod

    class Chart(MXNetChart):
        server_pool_class = Bigger

    docs = synth(make_chart(Chart, **DIST, gang_scheduler="volcano", lifecycle="job"))
    assert find(docs, "PodGroup")["spec"]["minResources"] == {"cpu": "8"}


def test_unknown_gang_scheduler_is_refused() -> None:
    with pytest.raises(ValueError, match="gang_scheduler: 'kueue'"):
        make_chart(**DIST, gang_scheduler="kueue")
