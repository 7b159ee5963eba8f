"""NetworkPolicy semantics, one rule per case, and the policy we emit against every ps-lite connection."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from mxnet_construct import Entrypoint
from mxnet_construct.manifests import ContainerPort, Manifests
from mxnet_construct.policies.flows import NODE_PORTS, Flow, ps_lite_flows
from mxnet_construct.policies.network import Connection, NetworkPolicy, Peer, Policies, kube_dns
from tests.helpers import ROOT, make_chart, synth

NAMESPACES = {"app": {"team": "x"}, "other": {"team": "y"}}
A = Peer("a", "10.0.0.1", "app", {"role": "a"}, (ContainerPort("main", 8080, "http"),))
B = Peer(
    "b", "10.0.0.2", "app", {"role": "b"}, (ContainerPort("main", 9000, "ps"), ContainerPort("main", 53, "dns", "UDP"))
)
C = Peer("c", "10.0.1.1", "other", {"role": "a"})
D = Peer("d", "10.0.1.2", "other", {"role": "b"})
OUT = Peer("internet", "203.0.113.5")


def policy(spec: dict[str, Any], name: str = "p", namespace: str = "app") -> dict[str, Any]:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": name, "namespace": namespace},
        "spec": spec,
    }


def allowed(specs: list[dict[str, Any]], src: Peer, dst: Peer, port: int = 9000, protocol: str = "TCP") -> bool:
    docs = [policy(s, name=f"p{i}") for i, s in enumerate(specs)]
    return Policies.of(docs, NAMESPACES).check(Connection(src, dst, port, protocol)).allowed


ONLY_B = {"matchLabels": {"role": "b"}}


# --- isolation and additivity -------------------------------------------------------------------------

CASES: list[tuple[str, list[dict[str, Any]], Peer, Peer, int, str, bool]] = [
    ("no policy: everything is allowed", [], A, B, 9000, "TCP", True),
    ("ingress [] isolates b and allows nothing", [{"podSelector": ONLY_B, "ingress": []}], A, B, 9000, "TCP", False),
    ("absent ingress with policyTypes Ingress allows nothing", [{"podSelector": ONLY_B, "policyTypes": ["Ingress"]}], A, B, 9000, "TCP", False),
    ("a rule {} allows everything", [{"podSelector": ONLY_B, "ingress": [{}]}], A, B, 9000, "TCP", True),
    ("an ingress policy leaves b's egress open", [{"podSelector": ONLY_B, "ingress": []}], B, A, 8080, "TCP", True),
    ("a policy that does not select the pod does not isolate it", [{"podSelector": ONLY_B, "ingress": []}], B, A, 8080, "TCP", True),
    ("podSelector {} selects every pod of the namespace", [{"podSelector": {}, "ingress": []}], B, A, 8080, "TCP", False),
    ("a policy in another namespace does not isolate", [{"podSelector": {}, "ingress": []}], A, D, 9000, "TCP", True),
    ("policyTypes absent + egress rules: egress isolated", [{"podSelector": {}, "egress": [{"to": [{"podSelector": ONLY_B}]}]}], A, C, 9000, "TCP", False),
    ("policyTypes absent + egress []: egress not isolated", [{"podSelector": {}, "egress": [], "ingress": [{}]}], A, C, 9000, "TCP", True),
    ("policyTypes Egress only: ingress stays open", [{"podSelector": {}, "policyTypes": ["Egress"]}], C, A, 8080, "TCP", True),
    (
        "policies are additive: one allowing is enough",
        [{"podSelector": ONLY_B, "ingress": []}, {"podSelector": ONLY_B, "ingress": [{"from": [{"podSelector": {"matchLabels": {"role": "a"}}}]}]}],
        A, B, 9000, "TCP", True,
    ),
    ("from [] matches every source", [{"podSelector": ONLY_B, "ingress": [{"from": []}]}], OUT, B, 9000, "TCP", True),
    ("from absent matches every source", [{"podSelector": ONLY_B, "ingress": [{"ports": [{"port": 9000}]}]}], OUT, B, 9000, "TCP", True),
]  # fmt: skip


@pytest.mark.parametrize(
    ("case", "specs", "src", "dst", "port", "protocol", "expected"), CASES, ids=[c[0] for c in CASES]
)
def test_isolation_and_additivity(
    case: str, specs: Any, src: Peer, dst: Peer, port: int, protocol: str, expected: bool
) -> None:
    assert allowed(specs, src, dst, port, protocol) is expected


# --- peers ----------------------------------------------------------------------------------------------


def ingress_from(*peers: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"podSelector": ONLY_B, "ingress": [{"from": list(peers)}]}]


POD_A = {"podSelector": {"matchLabels": {"role": "a"}}}
NS_OTHER = {"namespaceSelector": {"matchLabels": {"team": "y"}}}
NS_OTHER_BY_NAME = {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "other"}}}
OTHER_B = Peer("e", "10.0.1.3", "other", {"role": "b"})

PEER_CASES: list[tuple[str, list[dict[str, Any]], Peer, bool]] = [
    ("podSelector alone: same-namespace pods", [POD_A], A, True),
    ("podSelector alone: not the same labels in another namespace", [POD_A], C, False),
    ("namespaceSelector alone: every pod of the namespace", [NS_OTHER], OTHER_B, True),
    ("namespaceSelector alone: not the policy's own namespace", [NS_OTHER], A, False),
    ("namespaceSelector by kubernetes.io/metadata.name", [NS_OTHER_BY_NAME], C, True),
    ("both in one peer: the pod must match in that namespace", [{**POD_A, **NS_OTHER}], C, True),
    ("both in one peer: other labels in that namespace are refused", [{**POD_A, **NS_OTHER}], OTHER_B, False),
    ("both in one peer: the labels in another namespace are refused", [{**POD_A, **NS_OTHER}], A, False),
    ("two peers are OR-ed: the namespace alone is enough", [POD_A, NS_OTHER], OTHER_B, True),
    ("matchExpressions In", [{"podSelector": {"matchExpressions": [{"key": "role", "operator": "In", "values": ["a", "z"]}]}}], A, True),
    ("matchExpressions NotIn", [{"podSelector": {"matchExpressions": [{"key": "role", "operator": "NotIn", "values": ["a"]}]}}], A, False),
    ("matchExpressions DoesNotExist", [{"podSelector": {"matchExpressions": [{"key": "role", "operator": "DoesNotExist"}]}}], A, False),
    ("ipBlock: inside the cidr", [{"ipBlock": {"cidr": "203.0.113.0/24"}}], OUT, True),
    ("ipBlock: inside an except", [{"ipBlock": {"cidr": "203.0.113.0/24", "except": ["203.0.113.0/29"]}}], OUT, False),
    ("ipBlock: outside the cidr", [{"ipBlock": {"cidr": "198.51.100.0/24"}}], OUT, False),
    ("ipBlock matches pod IPs too", [{"ipBlock": {"cidr": "10.0.0.0/24"}}], A, True),
    ("selectors never match an outside address", [{"podSelector": {}}, {"namespaceSelector": {}}], OUT, False),
]  # fmt: skip


@pytest.mark.parametrize(("case", "peers", "src", "expected"), PEER_CASES, ids=[c[0] for c in PEER_CASES])
def test_peer_selection(case: str, peers: list[dict[str, Any]], src: Peer, expected: bool) -> None:
    assert allowed(ingress_from(*peers), src, B) is expected


# --- ports ------------------------------------------------------------------------------------------------


def ingress_ports(*ports: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"podSelector": ONLY_B, "ingress": [{"ports": list(ports)}]}]


PORT_CASES: list[tuple[str, list[dict[str, Any]], int, str, bool]] = [
    ("a number", [{"port": 9000}], 9000, "TCP", True),
    ("another number", [{"port": 9000}], 9001, "TCP", False),
    ("protocol defaults to TCP", [{"port": 9000}], 9000, "UDP", False),
    ("protocol UDP", [{"port": 53, "protocol": "UDP"}], 53, "UDP", True),
    ("no port: every port of the protocol", [{"protocol": "TCP"}], 31337, "TCP", True),
    ("no port: not another protocol", [{"protocol": "TCP"}], 31337, "SCTP", False),
    ("endPort: the low edge", [{"port": 10000, "endPort": 20000}], 10000, "TCP", True),
    ("endPort: the high edge", [{"port": 10000, "endPort": 20000}], 20000, "TCP", True),
    ("endPort: past the high edge", [{"port": 10000, "endPort": 20000}], 20001, "TCP", False),
    ("a named port of the destination", [{"port": "ps"}], 9000, "TCP", True),
    ("a named port is that number only", [{"port": "ps"}], 9001, "TCP", False),
    ("a named port must match the protocol too", [{"port": "dns", "protocol": "TCP"}], 53, "TCP", False),
    ("a name the destination does not declare", [{"port": "http"}], 8080, "TCP", False),
    ("ports [] matches every port", [], 1234, "TCP", True),
]  # fmt: skip


@pytest.mark.parametrize(("case", "ports", "port", "protocol", "expected"), PORT_CASES, ids=[c[0] for c in PORT_CASES])
def test_ports(case: str, ports: list[dict[str, Any]], port: int, protocol: str, expected: bool) -> None:
    assert allowed(ingress_ports(*ports), A, B, port, protocol) is expected


def test_egress_named_ports_resolve_against_the_destination_not_the_source() -> None:
    egress = [
        {
            "podSelector": {"matchLabels": {"role": "a"}},
            "policyTypes": ["Egress"],
            "egress": [{"ports": [{"port": "ps"}]}],
        }
    ]
    assert allowed(egress, A, B, 9000)  # b declares "ps" as 9000
    assert not allowed(egress, A, OUT, 9000)  # an outside address has no named ports


def test_both_ends_must_allow_and_the_refusal_names_each_side_and_policy() -> None:
    docs = [
        policy({"podSelector": {"matchLabels": {"role": "a"}}, "policyTypes": ["Egress"]}, name="deny-egress"),
        policy({"podSelector": ONLY_B, "ingress": []}, name="deny-ingress"),
        policy({"podSelector": ONLY_B, "ingress": [{"ports": [{"port": 1}]}]}, name="port-one"),
    ]
    verdict = Policies.of(docs, NAMESPACES).check(Connection(A, B, 9000))
    assert not verdict.allowed
    assert [(r.direction, r.pod.name, r.policies) for r in verdict.refusals] == [
        ("Egress", "a", ("app/deny-egress",)),
        ("Ingress", "b", ("app/deny-ingress", "app/port-one")),
    ]
    assert str(verdict) == (
        "refused: app/a -> app/b port 9000/TCP: egress from app/a is isolated by NetworkPolicy app/deny-egress "
        "and no rule allows it; ingress to app/b is isolated by NetworkPolicy app/deny-ingress, app/port-one "
        "and no rule allows it"
    )


def test_dns_egress_to_kube_dns_is_representable() -> None:
    dns = kube_dns()
    to_dns = {
        "to": [
            {
                "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
                "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
            }
        ],
        "ports": [{"port": "dns", "protocol": "UDP"}, {"port": 53, "protocol": "TCP"}],
    }
    specs = [{"podSelector": {}, "policyTypes": ["Egress"], "egress": [to_dns]}]
    assert allowed(specs, A, dns, 53, "UDP")
    assert allowed(specs, A, dns, 53, "TCP")
    assert not allowed(specs, A, dns, 54, "UDP")
    assert not allowed(specs, A, Peer("fake-dns", "10.0.0.9", "app", {"k8s-app": "kube-dns"}), 53, "UDP")


def test_check_range_finds_a_hole_in_the_middle_of_the_allowed_ports() -> None:
    docs = [
        policy(
            {
                "podSelector": ONLY_B,
                "ingress": [{"ports": [{"port": 10000, "endPort": 30000}, {"port": 30002, "endPort": 60999}]}],
            }
        )
    ]
    policies = Policies.of(docs)
    verdict = policies.check_range(A, B, NODE_PORTS)
    assert not verdict.allowed and verdict.connection.port == 30001
    assert policies.check_range(A, B, (10000, 30000)).allowed


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({}, r"spec.podSelector: missing; use \{\} to select every pod"),
        (
            {"podSelector": {}, "policyTypes": ["Inbound"]},
            r"spec.policyTypes: \['Inbound'\]; allowed entries are Ingress and Egress",
        ),
        (
            {"podSelector": {}, "ingress": [{"ports": [{"port": 80, "protocol": "HTTP"}]}]},
            r"ingress\[0\].ports\[0\].protocol: 'HTTP' is not one of TCP, UDP, SCTP",
        ),
        (
            {"podSelector": {}, "ingress": [{"ports": [{"port": 80, "endPort": 79}]}]},
            r"endPort: 79 must be a number from port \(80\) to 65535",
        ),
        (
            {"podSelector": {}, "ingress": [{"ports": [{"port": "http", "endPort": 90}]}]},
            "endPort: 90 needs a numeric port, got port 'http'",
        ),
        ({"podSelector": {}, "ingress": [{"ports": [{"port": 70000}]}]}, "port: 70000 is not between 1 and 65535"),
        (
            {"podSelector": {}, "egress": [{"to": [{"ipBlock": {"cidr": "10.0.0.0/8"}, "podSelector": {}}]}]},
            "ipBlock cannot be combined",
        ),
        (
            {"podSelector": {}, "egress": [{"to": [{"ipBlock": {"cidr": "10.0.0.0/8", "except": ["11.0.0.0/24"]}}]}]},
            r"except\[0\]: 11.0.0.0/24 is not inside the cidr 10.0.0.0/8",
        ),
        (
            {"podSelector": {}, "egress": [{"to": [{"ipBlock": {"cidr": "10.0.0.1/8"}}]}]},
            r"ipBlock.cidr: '10.0.0.1/8' is not a CIDR",
        ),
        ({"podSelector": {}, "ingress": [{"from": [], "to": []}]}, r"ingress\[0\]: unknown fields \['to'\]"),
        (
            {"podSelector": {"matchExpressions": [{"key": "a", "operator": "Has"}]}},
            "operator 'Has' is not one of In, NotIn, Exists, DoesNotExist",
        ),
        (
            {"podSelector": {"matchExpressions": [{"key": "a", "operator": "In"}]}},
            "operator In needs at least one value",
        ),
    ],
)
def test_malformed_policies_are_refused_naming_the_policy_and_field(spec: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match="app/p") as err:
        NetworkPolicy.parse(policy(spec))
    assert err.match(message)


# --- the policy this library emits, against every ps-lite connection ----------------------------------------


def refused(model: Manifests, docs: list[dict[str, Any]] | None = None) -> list[tuple[Flow, Any]]:
    policies = Policies.of(docs if docs is not None else list(model.documents))
    out = []
    for flow in ps_lite_flows(model):
        verdict = policies.check_range(flow.src, flow.dst, flow.ports, flow.protocol)
        if not verdict.allowed:
            out.append((flow, verdict))
    return out


def chart_model(**kwargs: Any) -> Manifests:
    return Manifests.of(synth(make_chart(release="demo", mode="distributed", **kwargs)))


LIFECYCLES = {
    "long-running": {},
    "job": {"lifecycle": "job", "entrypoint": Entrypoint(file="train.py")},
    "jobset": {"lifecycle": "jobset", "entrypoint": Entrypoint(file="train.py")},
}


@pytest.mark.parametrize("lifecycle", LIFECYCLES)
def test_the_emitted_policy_allows_every_ps_lite_connection(lifecycle: str) -> None:
    model = chart_model(server_count=2, worker_count=3, **LIFECYCLES[lifecycle])
    flows = ps_lite_flows(model)
    # 6 pods: DNS over UDP and TCP, six registrations (the scheduler dials itself too), the
    # scheduler to 5 nodes, each server to 3 workers and itself, each worker to 2 servers and itself.
    assert len(flows) == 12 + 6 + 5 + 2 * 4 + 3 * 3
    assert any(f.ports == NODE_PORTS for f in flows)
    assert refused(model) == []


def test_the_default_release_allows_every_ps_lite_connection() -> None:
    model = Manifests.of(synth(make_chart(release="demo", mode="distributed")))
    assert len(ps_lite_flows(model)) == 6 + 3 + 2 + 2 + 2
    assert refused(model) == []


def example_models(tmp_path: Path) -> dict[str, Manifests]:
    from tests.test_examples import APPS, synthesized

    out: dict[str, Manifests] = {}
    for app in APPS:
        for file, docs in synthesized(app, str(tmp_path / app)).items():
            out[f"{app}/{file}"] = Manifests.of(docs)
    return out


def test_every_example_allows_every_ps_lite_connection(tmp_path: Path) -> None:
    models = example_models(tmp_path)
    assert {"gang_jobset", "gitops_multi", "gpu_training", "standalone_dev"} <= {k.split("/")[0] for k in models}
    for name, model in models.items():
        assert refused(model) == [], name
    assert sum(1 for m in models.values() for p in m.pods if p.role == "worker") >= 4


def tamper(model: Manifests, edit: Any) -> list[dict[str, Any]]:
    docs = copy.deepcopy([dict(d) for d in model.documents])
    for doc in docs:
        if doc["kind"] == "NetworkPolicy":
            edit(doc["spec"])
    return docs


def test_a_policy_without_the_scheduler_port_refuses_every_registration_naming_it() -> None:
    model = chart_model(server_count=2, worker_count=2, scheduler_port=9091)

    def data_plane_only(spec: dict[str, Any]) -> None:
        spec["ingress"][0]["ports"] = [{"port": NODE_PORTS[0], "endPort": NODE_PORTS[1], "protocol": "TCP"}]

    bad = refused(model, tamper(model, data_plane_only))
    scheduler = next(p.name for p in model.pods if p.role == "scheduler")
    assert sorted(f.src.name for f, _ in bad) == sorted(p.name for p in model.pods)  # all 5 nodes, scheduler included
    for flow, verdict in bad:
        assert (flow.dst.name, verdict.connection.port) == (scheduler, 9091)
        assert [(r.direction, r.pod.name, r.policies) for r in verdict.refusals] == [
            ("Ingress", scheduler, ("default/demo-mxnet",))
        ]
        assert f"-> default/{scheduler} port 9091/TCP" in str(verdict) and "NetworkPolicy default/demo-mxnet" in str(
            verdict
        )


def test_a_policy_with_a_hole_at_the_default_scheduler_port_is_caught() -> None:
    model = chart_model()
    port = 49875

    def punch(spec: dict[str, Any]) -> None:
        spec["ingress"][0]["ports"] = [{"port": 1, "endPort": port - 1}, {"port": port + 1, "endPort": 65535}]

    bad = refused(model, tamper(model, punch))
    assert {f.purpose for f, _ in bad} >= {"server registers with the scheduler", "worker registers with the scheduler"}
    assert {v.connection.port for _, v in bad} == {port}  # node ports can land on it too


def test_a_policy_without_dns_egress_refuses_dns_naming_the_egress_side() -> None:
    model = chart_model()

    def no_dns(spec: dict[str, Any]) -> None:
        spec["egress"] = [rule for rule in spec["egress"] if "to" in rule]

    bad = refused(model, tamper(model, no_dns))
    assert {f.purpose for f, _ in bad} == {"DNS"} and len(bad) == 2 * len(model.pods)
    assert all(v.refusals[0].direction == "Egress" and v.policies == ("default/demo-mxnet",) for _, v in bad)


def test_flows_refuse_to_guess_when_the_scheduler_is_not_in_the_file() -> None:
    docs = [d for d in synth(make_chart(release="demo", mode="distributed")) if d["kind"] != "Service"]
    with pytest.raises(
        ValueError, match="DMLC_PS_ROOT_URI='demo-mxnet-scheduler' port '49875' leads to no scheduler pod"
    ):
        ps_lite_flows(Manifests.of(docs))


def test_the_committed_dist_is_audited_too() -> None:
    model = Manifests.load([ROOT / "dist" / "mxnet-example.k8s.yaml"])
    assert ps_lite_flows(model) and refused(model) == []
