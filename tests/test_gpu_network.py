"""GPUs per role and the network knobs users asked for, in every lifecycle."""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml

from mxnet_construct import Entrypoint, Resources, RoleOptions
from tests.helpers import env_of, find, make_chart, synth, synth_yaml, validate_documents

# Run-to-completion lifecycles need an entrypoint file.
DIST = {"mode": "distributed", "server_count": 2, "worker_count": 3, "entrypoint": Entrypoint(file="train.py")}
LIFECYCLES = ["long-running", "job", "jobset"]


def pods_by_component(docs: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for doc in docs:
        if doc["kind"] in ("Deployment", "StatefulSet", "Job"):
            template = doc["spec"]["template"]
            out[template["metadata"]["labels"]["app.kubernetes.io/component"]] = template["spec"]
        elif doc["kind"] == "JobSet":
            for rj in doc["spec"]["replicatedJobs"]:
                out[rj["name"]] = rj["template"]["spec"]["template"]["spec"]
    return out


# --- GPUs ------------------------------------------------------------------------------


@pytest.mark.parametrize("lifecycle", LIFECYCLES)
def test_gpu_limit_is_a_number_in_the_yaml_text(lifecycle: str) -> None:
    text = synth_yaml(make_chart(**DIST, lifecycle=lifecycle, worker=RoleOptions(gpus=1)))
    # Read the text itself: a cdk8s JSON patch once turned this value into null.
    assert re.findall(r"nvidia\.com/gpu: (.*)\n", text) == ["1"]
    assert "null" not in text
    pods = pods_by_component(list(yaml.safe_load_all(text)))
    assert pods["worker"]["containers"][0]["resources"]["limits"] == {"nvidia.com/gpu": 1}


@pytest.mark.parametrize("lifecycle", LIFECYCLES)
def test_gpus_per_role_with_shm(lifecycle: str) -> None:
    docs = synth(
        make_chart(
            **DIST,
            lifecycle=lifecycle,
            server=RoleOptions(gpus=2, shm_size="4Gi"),
            worker=RoleOptions(gpus=1, resources=Resources(limits={"memory": "8Gi"})),
        )
    )
    validate_documents(docs)
    pods = pods_by_component(docs)
    assert "resources" not in pods["scheduler"]["containers"][0]
    assert pods["server"]["containers"][0]["resources"] == {"limits": {"nvidia.com/gpu": 2}}
    assert pods["worker"]["containers"][0]["resources"] == {"limits": {"memory": "8Gi", "nvidia.com/gpu": 1}}
    for component, size in (("server", "4Gi"), ("worker", "1Gi")):
        vols = {v["name"]: v for v in pods[component]["volumes"]}
        assert vols["dshm"] == {"name": "dshm", "emptyDir": {"medium": "Memory", "sizeLimit": size}}
        mounts = {m["name"]: m["mountPath"] for m in pods[component]["containers"][0]["volumeMounts"]}
        assert mounts["dshm"] == "/dev/shm"
    assert "dshm" not in {v["name"] for v in pods["scheduler"]["volumes"]}


def test_defaults_are_cpu_only() -> None:
    for kwargs in ({}, DIST, {**DIST, "lifecycle": "jobset"}):
        text = synth_yaml(make_chart(**kwargs))
        assert "nvidia.com/gpu" not in text
        assert "/dev/shm" not in text


def test_standalone_gpu() -> None:
    # Standalone pods use the release-wide resources; a GPU there is a resource limit.
    text = synth_yaml(make_chart(resources=Resources(limits={"nvidia.com/gpu": 1})))
    assert "nvidia.com/gpu: 1\n" in text


@pytest.mark.parametrize(
    ("gpus", "match"), [(-1, r"gpus: -1"), (65, r"gpus: 65"), (True, r"gpus: expected an integer, got bool")]
)
def test_gpu_validation(gpus: Any, match: str) -> None:
    with pytest.raises((ValueError, TypeError), match=match):
        make_chart(**DIST, worker=RoleOptions(gpus=gpus))


# --- network knobs -----------------------------------------------------------------------


@pytest.mark.parametrize("lifecycle", LIFECYCLES)
def test_host_network_on_every_pod(lifecycle: str) -> None:
    docs = synth(make_chart(**DIST, lifecycle=lifecycle, host_network=True))
    validate_documents(docs)
    pods = pods_by_component(docs)
    assert set(pods) == {"scheduler", "server", "worker"}
    for pod in pods.values():
        assert pod["hostNetwork"] is True
        # Without this, pods on the host network resolve with the node's DNS and can't
        # find the scheduler Service.
        assert pod["dnsPolicy"] == "ClusterFirstWithHostNet"
    for pod in pods_by_component(synth(make_chart(**DIST, lifecycle=lifecycle))).values():
        assert "hostNetwork" not in pod and "dnsPolicy" not in pod


@pytest.mark.parametrize("lifecycle", LIFECYCLES)
def test_publish_not_ready_addresses(lifecycle: str) -> None:
    on = find(
        synth(make_chart(**DIST, lifecycle=lifecycle, publish_not_ready_addresses=True)),
        "Service",
        "test-mxnet-headless",
    )
    assert on["spec"]["publishNotReadyAddresses"] is True
    off = find(synth(make_chart(**DIST, lifecycle=lifecycle)), "Service", "test-mxnet-headless")
    assert "publishNotReadyAddresses" not in off["spec"]


@pytest.mark.parametrize("lifecycle", LIFECYCLES)
def test_dmlc_interface_and_node_host(lifecycle: str) -> None:
    docs = synth(make_chart(**DIST, lifecycle=lifecycle, dmlc_interface="eth1", dmlc_node_host_from_pod_ip=True))
    pods = pods_by_component(docs)
    for component, pod in pods.items():
        env = env_of(pod["containers"][0])
        assert env["DMLC_INTERFACE"] == "eth1"
        if component == "scheduler":
            # The scheduler binds 0.0.0.0 (DMLC_USE_KUBERNETES) and is reached via its Service.
            assert "DMLC_NODE_HOST" not in env
        else:
            assert env["DMLC_NODE_HOST"] == {"fieldRef": {"fieldPath": "status.podIP"}}
    for pod in pods_by_component(synth(make_chart(**DIST, lifecycle=lifecycle))).values():
        assert not {"DMLC_INTERFACE", "DMLC_NODE_HOST"} & set(env_of(pod["containers"][0]))


@pytest.mark.parametrize("level", [0, 1, 2])
def test_ps_verbose_on_every_role(level: int) -> None:
    for lifecycle in LIFECYCLES:
        pods = pods_by_component(synth(make_chart(**DIST, lifecycle=lifecycle, ps_verbose=level)))
        for pod in pods.values():
            assert env_of(pod["containers"][0])["PS_VERBOSE"] == str(level)
    standalone = find(synth(make_chart(ps_verbose=2)), "Deployment")
    assert env_of(standalone["spec"]["template"]["spec"]["containers"][0])["PS_VERBOSE"] == "2"


def test_ps_verbose_absent_by_default() -> None:
    assert "PS_VERBOSE" not in synth_yaml(make_chart(**DIST))


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"ps_verbose": 3}, "ps_verbose: 3"),
        ({"ps_verbose": "1"}, "ps_verbose"),
        ({"dmlc_interface": "eth 0"}, "dmlc_interface: 'eth 0'"),
        ({"dmlc_interface": "a" * 16}, "dmlc_interface"),
        ({"dmlc_interface": ""}, "dmlc_interface"),
        ({"host_network": "yes"}, "host_network"),
        ({"publish_not_ready_addresses": 1}, "publish_not_ready_addresses"),
        ({"dmlc_node_host_from_pod_ip": None}, "dmlc_node_host_from_pod_ip"),
    ],
)
def test_network_validation(kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises((ValueError, TypeError), match=match):
        make_chart(**DIST, **kwargs)


def test_everything_network_and_gpu_together_is_valid(yaml_snapshot: Any) -> None:
    chart = make_chart(
        **DIST,
        lifecycle="job",
        host_network=True,
        publish_not_ready_addresses=True,
        dmlc_interface="ib0",
        dmlc_node_host_from_pod_ip=True,
        ps_verbose=1,
        worker=RoleOptions(gpus=1),
    )
    validate_documents(synth(chart))
    assert synth_yaml(chart) == yaml_snapshot
