"""Chart ``labels=`` reach the pods as well as the objects; selectors stay ours."""

from __future__ import annotations

from typing import Any

import pytest

from mxnet_construct import Entrypoint, MXNetChart, PodTemplateSpec, WorkerPool
from tests.helpers import make_chart, synth

TEAM = {"team": "vision", "cost-center": "ml-42"}
LIFECYCLES: list[dict[str, Any]] = [
    {"mode": "standalone"},
    {"mode": "distributed"},
    {"mode": "distributed", "lifecycle": "job", "entrypoint": Entrypoint(file="train.py")},
    {"mode": "distributed", "lifecycle": "jobset", "entrypoint": Entrypoint(file="train.py")},
]


def pod_templates(docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = [d["spec"]["template"] for d in docs if d["kind"] in ("Deployment", "StatefulSet", "Job")]
    for d in docs:
        if d["kind"] == "JobSet":
            out += [job["template"]["spec"]["template"] for job in d["spec"]["replicatedJobs"]]
    return out


def selectors(docs: list[dict[str, Any]]) -> list[dict[str, str]]:
    found = []
    for d in docs:
        spec = d.get("spec", {})
        if d["kind"] in ("Deployment", "StatefulSet", "PodDisruptionBudget"):
            found.append(spec["selector"]["matchLabels"])
        elif d["kind"] == "Service":
            found.append(spec.get("selector", {}))
        elif d["kind"] == "NetworkPolicy":
            found.append(spec["podSelector"].get("matchLabels", {}))
    return found


@pytest.mark.parametrize("kwargs", LIFECYCLES, ids=lambda k: k.get("lifecycle", k["mode"]))
def test_chart_labels_reach_every_pod_template(kwargs: dict[str, Any]) -> None:
    docs = synth(make_chart(**kwargs, labels=TEAM))
    templates = pod_templates(docs)
    assert templates
    for template in templates:
        assert TEAM.items() <= template["metadata"]["labels"].items()
    for doc in docs:
        assert TEAM.items() <= doc["metadata"]["labels"].items()


@pytest.mark.parametrize("kwargs", LIFECYCLES, ids=lambda k: k.get("lifecycle", k["mode"]))
def test_chart_labels_never_enter_a_selector(kwargs: dict[str, Any]) -> None:
    # Workload selectors are immutable: adding or changing a team label must not change them.
    with_labels, without = synth(make_chart(**kwargs, labels=TEAM)), synth(make_chart(**kwargs))
    assert selectors(with_labels) == selectors(without)
    assert all(not (TEAM.keys() & selector.keys()) for selector in selectors(with_labels))


def test_the_release_labels_win_a_clash_on_pods() -> None:
    docs = synth(make_chart(mode="distributed", labels={"app.kubernetes.io/component": "x", **TEAM}))
    for template in pod_templates(docs):
        assert template["metadata"]["labels"]["app.kubernetes.io/component"] != "x"


def test_a_subclass_hook_sees_the_chart_labels() -> None:
    seen: list[dict[str, str]] = []

    class Workers(WorkerPool):
        def pod_template(self) -> PodTemplateSpec:
            pod = super().pod_template()
            seen.append(dict(pod["metadata"]["labels"]))
            return pod

    class Chart(MXNetChart):
        worker_pool_class = Workers

    synth(make_chart(Chart, mode="distributed", labels=TEAM))
    assert seen and TEAM.items() <= seen[0].items()
