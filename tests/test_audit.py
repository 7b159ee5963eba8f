"""The drop log of run-local: what the NetworkPolicy enforcer dropped, named and explained.

The sandbox tests run a tiny TCP server and client (the dev venv's Python) under policies
that allow or refuse them, the client dialling the server's Service by name (cluster DNS,
then the ClusterIP translated by nftables); the ``mxnet`` test trains the example release
under its own NetworkPolicy tampered so the scheduler port is refused.
"""

from __future__ import annotations

import copy
import io
import re
import sys
from pathlib import Path
from typing import Any

import pytest

from mxnet_construct.runner import RunResult, run_local
from tests.test_runner import MXNET_PYTHON, example_docs, needs_sandbox, pod, write_docs

# ---------------------------------------------------------------------------------------
# A server and a client under NetworkPolicies (the sandbox, no MXNet)

SERVER = (
    "import socket, time\n"
    "s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
    "s.bind(('0.0.0.0', 8080)); s.listen()\n"
    "c, _ = s.accept(); print('accepted', flush=True); c.recv(10); time.sleep(0.5)\n"
)
CLIENT = (
    "import socket, time\n"
    "for _ in range(100):\n"
    "    try:\n"
    "        c = socket.create_connection(('srv', 8080)); break\n"
    "    except OSError:\n"
    "        time.sleep(0.1)\n"
    "print('connected', flush=True); time.sleep(1.5); c.send(b'bye')\n"
)


def _py(name: str, script: str) -> dict[str, Any]:
    return {"name": name, "image": "python", "command": ["python3", "-c", script]}


def _np(ingress_ports: list[dict[str, Any]] | None, *, dns: bool = True) -> dict[str, Any]:
    egress: list[dict[str, Any]] = [{"to": [{"podSelector": {}}]}]
    if dns:
        egress.append({"ports": [{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"}]})
    ingress: dict[str, Any] = {"from": [{"podSelector": {}}]}
    if ingress_ports is not None:
        ingress["ports"] = ingress_ports
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": "np"},
        "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"], "ingress": [ingress], "egress": egress},
    }


def _pair(policy: dict[str, Any]) -> list[dict[str, Any]]:
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "srv"},
        "spec": {"selector": {"app": "srv"}, "ports": [{"port": 8080}]},
    }
    return [service, policy, pod("srv", [_py("c", SERVER)]), pod("cli", [_py("c", CLIENT)])]


def _run(docs: list[dict[str, Any]], **kwargs: Any) -> tuple[RunResult, str]:
    out = io.StringIO()
    result = run_local(documents=docs, out=out, timeout=30, python=sys.executable, isolation="namespaces", **kwargs)
    return result, out.getvalue()


@needs_sandbox
def test_an_allowed_connection_through_a_service_passes_and_nothing_is_dropped() -> None:
    result, out = _run(_pair(_np([{"port": 8000, "endPort": 8100}])))
    assert result.ok, out
    assert result.pod("srv").log == "accepted"
    head, dns, *drops = result.audit
    assert head == "1 NetworkPolicies enforced for 2 pods: nothing dropped"
    # The client looked the Service up through the cluster DNS (search domains: srv.default.svc...).
    assert re.match(r"DNS: [1-9]\d* queries answered, 0 ignored, 0 over the rate limit$", dns), dns
    assert drops == []


@needs_sandbox
def test_a_port_the_policy_does_not_allow_is_dropped_naming_everything() -> None:
    result, out = _run(_pair(_np([{"port": 9000, "endPort": 9100}])))
    assert not result.ok and result.exit_code == 1, out
    expected = (
        "dropped: default/cli -> default/srv port 8080/TCP: "
        "ingress to default/srv is isolated by NetworkPolicy default/np and no rule allows it"
    )
    assert result.reason == f"NetworkPolicy: {expected}"
    assert expected in result.audit
    assert "accepted" not in result.pod("srv").log


@needs_sandbox
def test_dns_needs_an_egress_rule_too() -> None:
    result, out = _run(_pair(_np(None, dns=False)))
    assert not result.ok, out
    # Only the client looks a name up; the DNS query is blamed on it by its (guarded) address.
    assert result.reason == (
        "NetworkPolicy: dropped: default/cli -> kube-system/kube-dns port 53/UDP: "
        "egress from default/cli is isolated by NetworkPolicy default/np and no rule allows it"
    )


@needs_sandbox
def test_no_enforce_runs_the_same_pods_with_the_network_open() -> None:
    result, out = _run(_pair(_np([{"port": 9000}])), audit=False)
    assert result.ok, out
    assert result.pod("srv").log == "accepted"
    assert result.audit == [] and "NETWORKPOLICY" not in result.summary()


# ---------------------------------------------------------------------------------------
# Real MXNet: the release's own policy, tampered


@pytest.mark.mxnet
@needs_sandbox
def test_a_policy_that_no_longer_allows_the_scheduler_port_is_reported(tmp_path: Path) -> None:
    if not MXNET_PYTHON.exists():
        pytest.fail(f"{MXNET_PYTHON} is missing: create it with `make mxnet-venv` (make test does)")
    docs = copy.deepcopy(example_docs(servers=1, workers=1))
    scheduler = next(d for d in docs if d["kind"] == "Deployment")
    env = {e["name"]: e.get("value") for e in scheduler["spec"]["template"]["spec"]["containers"][0]["env"]}
    port = int(env["DMLC_PS_ROOT_PORT"])
    policy = next(d for d in docs if d["kind"] == "NetworkPolicy")
    # Every port but the scheduler's, as two ranges around it.
    policy["spec"]["ingress"][0]["ports"] = [{"port": 1, "endPort": port - 1}, {"port": port + 1, "endPort": 65535}]
    out = io.StringIO()
    result = run_local(
        [write_docs(tmp_path, docs)], timeout=60, python=str(MXNET_PYTHON), out=out, isolation="namespaces"
    )
    assert not result.ok and result.exit_code == 1, out.getvalue()
    policy_id = f"default/{policy['metadata']['name']}"
    assert result.reason.startswith("NetworkPolicy: dropped: default/train-mxnet-"), result.reason
    assert f"-> default/{scheduler['metadata']['name']}-" in result.reason
    assert f"port {port}/TCP: ingress to default/{scheduler['metadata']['name']}-" in result.reason
    assert f"is isolated by NetworkPolicy {policy_id} and no rule allows it" in result.reason
