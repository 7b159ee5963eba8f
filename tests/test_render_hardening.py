"""Issue 15 items 8 and 11 in the rendered manifests: security contexts merge field by
field, a NodePort scheduler is reachable from outside on the scheduler only, and a git
clone opens only the port its URL needs."""

from __future__ import annotations

from typing import Any

import pytest

from mxnet_construct import GitRepository, SecurityContext
from mxnet_construct._render import git_ports, merge_defaults
from mxnet_construct.manifests import Manifests
from mxnet_construct.policies.network import Connection, Peer, Policies, peers
from tests.helpers import find, make_chart, pod_spec, synth

OUTSIDE = Peer("laptop", "203.0.113.7")


def containers(docs: list[dict[str, Any]], kind: str = "Deployment") -> dict[str, dict[str, Any]]:
    spec = pod_spec(find(docs, kind))
    return {c["name"]: c for c in [*spec.get("initContainers", []), *spec["containers"]]}


def test_a_sidecar_that_adds_a_capability_keeps_drop_all() -> None:
    sidecar = {"name": "web", "image": "web:1", "securityContext": {"capabilities": {"add": ["NET_BIND_SERVICE"]}}}
    docs = synth(make_chart(sidecars=[sidecar], init_containers=[{**sidecar, "name": "prep"}]))
    for name in ("web", "prep"):
        context = containers(docs)[name]["securityContext"]
        assert context["capabilities"] == {"add": ["NET_BIND_SERVICE"], "drop": ["ALL"]}
        assert context["allowPrivilegeEscalation"] is False


def test_what_the_user_sets_on_purpose_wins_field_by_field() -> None:
    chosen = {
        "capabilities": {"add": ["NET_BIND_SERVICE"], "drop": ["ALL", "NET_RAW"]},
        "readOnlyRootFilesystem": True,
        "seccompProfile": {"localhostProfile": "p.json", "type": "Localhost"},
    }
    sidecar = {"name": "web", "image": "web:1", "securityContext": chosen}
    docs = synth(make_chart(sidecars=[sidecar], security_context=SecurityContext()))
    context = containers(docs)["web"]["securityContext"]
    assert context["capabilities"] == {"add": ["NET_BIND_SERVICE"], "drop": ["ALL", "NET_RAW"]}
    assert context["readOnlyRootFilesystem"] is True
    assert context["seccompProfile"] == {"localhostProfile": "p.json", "type": "Localhost"}
    assert context["allowPrivilegeEscalation"] is False


def test_merge_defaults_is_recursive_and_leaves_its_inputs_alone() -> None:
    defaults = {"a": {"b": 1, "c": {"d": 2}}, "e": [1]}
    chosen = {"a": {"c": {"f": 3}}, "e": [2]}
    assert merge_defaults(defaults, chosen) == {"a": {"b": 1, "c": {"d": 2, "f": 3}}, "e": [2]}
    assert defaults == {"a": {"b": 1, "c": {"d": 2}}, "e": [1]}


@pytest.mark.parametrize("service_type", ["NodePort", "LoadBalancer"])
def test_an_exposed_scheduler_is_reachable_from_outside_and_only_the_scheduler(service_type: str) -> None:
    chart = make_chart(mode="distributed", server_count=2, worker_count=2, service_type=service_type)
    docs = synth(chart)
    assert chart.scheduler is not None and chart.scheduler.network_policy is not None
    model = Manifests.of(docs)
    policies = Policies.of_manifests(model)
    by_role = {pod.role: peer for pod, peer in zip(model.pods, peers(model).values(), strict=True)}
    port = chart.options.scheduler_port
    assert policies.check(Connection(OUTSIDE, by_role["scheduler"], port)).allowed
    for role in ("server", "worker"):
        verdict = policies.check(Connection(OUTSIDE, by_role[role], port))
        assert not verdict.allowed, f"the outside reaches a {role} on {port}"
    release_policy = find(docs, "NetworkPolicy", chart.names.fullname)["spec"]
    assert all("from" in rule for rule in release_policy["ingress"])


def test_a_cluster_ip_scheduler_gets_no_outside_policy() -> None:
    chart = make_chart(mode="distributed")
    assert chart.scheduler is not None and chart.scheduler.network_policy is None
    assert len([d for d in synth(chart) if d["kind"] == "NetworkPolicy"]) == 1


@pytest.mark.parametrize(
    ("url", "ports"),
    [
        ("https://github.com/apache/incubator-mxnet.git", [443]),
        ("https://git.example.com:8443/team/repo.git", [8443]),
        ("http://git.internal/repo.git", [80]),
        ("git://git.example.com/repo.git", [9418]),
        ("ssh://git@git.example.com:2222/team/repo.git", [2222]),
        ("git@github.com:apache/incubator-mxnet.git", [22]),
        ("file:///srv/git/repo.git", []),
        ("/srv/git/repo.git", []),
        ("svn+ssh://odd.example.com/repo", [22, 80, 443, 9418]),
    ],
)
def test_git_clone_opens_only_the_port_of_its_transport(url: str, ports: list[int]) -> None:
    assert git_ports(url) == ports


def test_the_release_policy_opens_only_the_clone_port() -> None:
    chart = make_chart(mode="distributed", code=GitRepository(repository="git@github.com:org/train.git"))
    egress = find(synth(chart), "NetworkPolicy", chart.names.fullname)["spec"]["egress"]
    opened = sorted(p["port"] for rule in egress if "to" not in rule for p in rule["ports"])
    assert opened == [22, 53, 53]
