"""The NetworkPolicy audit of run-local: every connection and DNS query, checked.

The parsers are tested on their own; the sandbox tests run a tiny TCP server and client
(the dev venv's Python) under policies that allow or refuse them; the ``mxnet`` test trains
the example release under its own NetworkPolicy tampered so the scheduler port is refused.
"""

from __future__ import annotations

import copy
import io
import socket
import struct
import sys
from pathlib import Path
from typing import Any

import pytest

from mxnet_construct.runner import RunResult, run_local
from mxnet_construct.runner.audit import dns_answer, parse_sockets
from tests.test_runner import MXNET_PYTHON, example_docs, needs_sandbox, pod, write_docs

# ---------------------------------------------------------------------------------------
# Parsers


def test_socket_tables_are_read_in_kernel_byte_order() -> None:
    tcp = (
        "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
        "   0: 00000000:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1001        0 4242 1\n"
        "   1: 0100007F:9C40 0301007F:1F90 01 00000000:00000000 00:00000000 00000000  1001        0 4343 1\n"
    )
    listen, conn = parse_sockets(tcp)
    assert (listen.local, listen.state, listen.inode) == (("0.0.0.0", 8080), "0A", 4242)
    assert (conn.local, conn.remote, conn.state, conn.inode) == (("127.0.0.1", 40000), ("127.0.1.3", 8080), "01", 4343)
    tcp6 = (
        "  sl  local_address                         remote_address                        st\n"
        "   0: 0000000000000000FFFF00000100007F:1F90 00000000000000000000000000000000:0000 0A"
        " 00000000:00000000 00:00000000 00000000     0        0 77 1\n"
    )
    (mapped,) = parse_sockets(tcp6)
    assert mapped.local == ("127.0.0.1", 8080) and mapped.inode == 77


def _query(name: str, qtype: int) -> bytes:
    labels = b"".join(bytes([len(p)]) + p.encode() for p in name.split("."))
    return struct.pack("!HHHHHH", 0xBEEF, 0x0100, 1, 0, 0, 0) + labels + b"\x00" + struct.pack("!HH", qtype, 1)


def test_dns_answers_known_names_and_refuses_the_rest() -> None:
    addresses = {"srv.default.svc.cluster.local": "127.0.1.2"}
    reply, name = dns_answer(_query("SRV.default.svc.cluster.local", 1), addresses)
    assert name == "srv.default.svc.cluster.local"
    qid, flags, _, answers, _, _ = struct.unpack("!HHHHHH", reply[:12])
    assert (qid, flags & 0xF, answers) == (0xBEEF, 0, 1)
    assert socket.inet_ntoa(reply[-4:]) == "127.0.1.2"
    reply, _ = dns_answer(_query("srv.default.svc.cluster.local", 28), addresses)  # AAAA: no data, no error
    assert struct.unpack("!HHHHHH", reply[:12])[1] & 0xF == 0 and struct.unpack("!HHHHHH", reply[:12])[3] == 0
    reply, _ = dns_answer(_query("nope.example", 1), addresses)
    assert struct.unpack("!HHHHHH", reply[:12])[1] & 0xF == 3  # NXDOMAIN
    with pytest.raises(ValueError, match="too short"):
        dns_answer(b"\x00" * 5, addresses)


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
def test_allowed_connections_and_dns_queries_are_recorded() -> None:
    result, out = _run(_pair(_np([{"port": 8000, "endPort": 8100}])))
    assert result.ok, out
    assert result.pod("srv").log == "accepted"
    head, *flows = result.audit
    assert "checked against 1 NetworkPolicies: none refused" in head
    # The client's connection (mapped to its pod by socket owner, not by address) and its
    # lookup of the Service name through the audit's DNS server.
    # (A and AAAA, once per connection attempt while the server is not listening yet.)
    assert "cli -> srv TCP: 1" in flows, flows
    assert any(f.startswith("cli -> kube-dns UDP: ") for f in flows), flows
    assert not any(f.startswith("srv -> ") for f in flows), "the server opened nothing"


@needs_sandbox
def test_a_port_the_policy_does_not_allow_is_refused_naming_everything() -> None:
    result, out = _run(_pair(_np([{"port": 9000, "endPort": 9100}])))
    assert not result.ok and result.exit_code == 1, out
    expected = (
        "NetworkPolicy audit: refused: default/cli -> default/srv port 8080/TCP: "
        "ingress to default/srv is isolated by NetworkPolicy default/np and no rule allows it"
    )
    assert result.reason == expected
    assert any(line.startswith("refused: default/cli -> default/srv port 8080/TCP") for line in result.audit)


@needs_sandbox
def test_dns_needs_an_egress_rule_too() -> None:
    result, out = _run(_pair(_np(None, dns=False)))
    assert not result.ok, out
    assert result.reason.startswith("NetworkPolicy audit: refused: default/")
    assert "-> kube-system/kube-dns port 53/UDP: egress from default/" in result.reason


@needs_sandbox
def test_no_audit_runs_the_same_pods_without_checking() -> None:
    result, out = _run(_pair(_np([{"port": 9000}])), audit=False)
    assert result.ok, out
    assert result.audit == [] and "NETWORKPOLICY AUDIT" not in result.summary()


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
    assert result.reason.startswith("NetworkPolicy audit: refused: default/train-mxnet-"), result.reason
    assert f"-> default/{scheduler['metadata']['name']}-" in result.reason
    assert f"port {port}/TCP: ingress to default/{scheduler['metadata']['name']}-" in result.reason
    assert f"is isolated by NetworkPolicy {policy_id} and no rule allows it" in result.reason
