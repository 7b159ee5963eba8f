"""run-local's pod network: namespaces, Services, DNS, NetworkPolicy enforcement, cleanup.

The rule and address tests need no processes. The sandbox tests run small Python pods
(the dev venv's interpreter) that try each evasion the attack pass found against the
old socket-polling audit; each is now dropped by the kernel and named by the drop log,
or impossible by construction. The ``mxnet`` tests train the example release with real
MXNet under enforcement.
"""

from __future__ import annotations

import io
import os
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from mxnet_construct.manifests import Manifests
from mxnet_construct.policies.network import Policies, kube_dns
from mxnet_construct.runner import RunLocalError, RunResult, plan, run_local
from mxnet_construct.runner.network import PodNetwork, namespaces, pod_address
from mxnet_construct.runner.network.addresses import DNS_IP, ClusterAddresses
from mxnet_construct.runner.network.dns import PER_POD_RATE, Responder, dns_answer
from mxnet_construct.runner.network.rules import policy_chain
from tests.test_runner import FINAL, MXNET_PYTHON, example_docs, needs_sandbox, pod, write_docs

ROOT = Path(__file__).resolve().parent.parent

# ---------------------------------------------------------------------------------------
# Rules and addresses (no processes)


def _policy(name: str, spec: dict[str, Any], namespace: str = "default") -> dict[str, Any]:
    meta = {"name": name, "namespace": namespace}
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": meta, "spec": spec}


def _labelled(name: str, labels: dict[str, str], namespace: str = "default", ports: Any = ()) -> dict[str, Any]:
    container = {"name": "c", "image": "x", "command": ["true"], "ports": list(ports)}
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": namespace, "labels": labels},
        "spec": {"containers": [container]},
    }


def _chain(docs: list[dict[str, Any]], pod_name: str, direction: str) -> list[str] | None:
    model = Manifests.of(docs)
    the_plan = plan(docs, address=pod_address)
    network = PodNetwork(the_plan)
    peers = [*list(network.peers.values()), network.dns]
    return policy_chain(Policies.of_manifests(model), network.peers[pod_name], direction, peers)  # type: ignore[arg-type]


def test_selectors_become_address_sets_and_ports_keep_protocol_range_and_name() -> None:
    ns = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "tools", "labels": {"team": "ml"}}}
    docs = [
        ns,
        _labelled("web", {"app": "web"}, ports=[{"containerPort": 8443, "name": "https"}]),
        _labelled("db", {"app": "db"}, ports=[{"containerPort": 5432, "name": "pg", "protocol": "SCTP"}]),
        _labelled("probe", {"app": "probe"}, namespace="tools"),
        _policy(
            "web-in",
            {
                "podSelector": {"matchLabels": {"app": "web"}},
                "ingress": [
                    {
                        "from": [{"namespaceSelector": {"matchLabels": {"team": "ml"}}}],
                        "ports": [{"port": "https"}, {"port": 9000, "endPort": 9100, "protocol": "UDP"}],
                    },
                    {"from": [{"ipBlock": {"cidr": "10.244.0.0/16", "except": ["10.244.0.3/32"]}}]},
                ],
            },
        ),
        _policy(
            "db-out",
            {
                "podSelector": {"matchLabels": {"app": "db"}},
                "policyTypes": ["Egress"],
                "egress": [{"to": [{"podSelector": {"matchLabels": {"app": "web"}}}], "ports": [{"port": "https"}]}],
            },
        ),
    ]
    web, db, probe = (pod_address(i) for i in range(3))
    assert _chain(docs, "web", "Ingress") == [
        f"ip saddr {probe} meta l4proto tcp th dport 8443 accept",
        f"ip saddr {probe} meta l4proto udp th dport 9000-9100 accept",
        "ip saddr 10.244.0.0/16 ip saddr != 10.244.0.3/32 accept",
        "add @drop_ingress { ip saddr . ip daddr . meta l4proto . th dport } counter name dropped drop",
        "counter name dropped drop",
    ]
    assert _chain(docs, "web", "Egress") is None  # not isolated for egress: everything goes
    # A named port is the destination's: web's https, resolved per destination pod.
    egress = _chain(docs, "db", "Egress")
    assert egress is not None and f"ip daddr {web} ip daddr {web} meta l4proto tcp th dport 8443 return" in egress
    assert not any(db in line for line in egress)


def test_a_policy_selecting_no_peer_allows_nothing() -> None:
    docs = [
        _labelled("a", {"app": "a"}),
        _policy("a", {"podSelector": {}, "ingress": [{"from": [{"podSelector": {"matchLabels": {"app": "ghost"}}}]}]}),
    ]
    assert _chain(docs, "a", "Ingress") == [
        "add @drop_ingress { ip saddr . ip daddr . meta l4proto . th dport } counter name dropped drop",
        "counter name dropped drop",
    ]


def test_no_manifest_text_reaches_nft_and_bad_service_protocols_are_refused() -> None:
    hostile = "np\n} flush ruleset {"
    docs = [
        _labelled("a", {"app": "a"}),
        _policy(hostile, {"podSelector": {}, "ingress": [{"from": [{"podSelector": {}}]}]}),
    ]
    network = PodNetwork(plan(docs, address=pod_address))
    assert "flush" not in network.rules and "default/" not in network.rules
    svc = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "s"},
        "spec": {"selector": {"app": "a"}, "ports": [{"port": 80, "protocol": "tcp; flush ruleset"}]},
    }
    with pytest.raises(
        RunLocalError, match=r"Service/s spec.ports\[0\].protocol: 'tcp; flush ruleset' is not one of TCP, UDP, SCTP"
    ):
        PodNetwork(plan([*docs, svc], address=pod_address))


def test_cluster_ip_services_get_virtual_ips_and_headless_ones_pod_ips() -> None:
    docs = example_docs(servers=1, workers=2)
    the_plan = plan(docs, address=pod_address)
    assert [p.ip for p in the_plan.pods] == ["10.244.0.2", "10.244.0.3", "10.244.0.4", "10.244.0.5"]
    addresses = ClusterAddresses.of(the_plan.manifests, {p.name: p.ip for p in the_plan.pods})  # type: ignore[arg-type]
    records = addresses.records
    assert records["train-mxnet-scheduler.default.svc.cluster.local"] == ("10.96.1.1",)
    assert records["train-mxnet-headless.default.svc.cluster.local"] == tuple(p.ip for p in the_plan.pods)
    assert records["train-mxnet-worker-1.train-mxnet-headless.default.svc.cluster.local"] == ("10.244.0.5",)
    (vport,) = addresses.virtual
    assert (vport.ip, vport.protocol, [(b.ip, b.port) for b in vport.backends]) == (
        "10.96.1.1",
        "TCP",
        [("10.244.0.2", vport.port)],
    )
    # Env that reads the pod IP gets the pod network's address.
    assert the_plan.pods[0].ip == pod_address(0)


# ---------------------------------------------------------------------------------------
# The DNS responder


def _query(name: str, qtype: int = 1, flags: int = 0x0100) -> bytes:
    labels = b"".join(bytes([len(p)]) + p.encode() for p in name.split("."))
    return struct.pack("!HHHHHH", 0xBEEF, flags, 1, 0, 0, 0) + labels + b"\x00" + struct.pack("!HH", qtype, 1)


def test_dns_answers_queries_only() -> None:
    records = {"srv.default.svc.cluster.local": ("10.244.0.2", "10.244.0.3")}
    answer = dns_answer(_query("SRV.default.svc.cluster.local"), records)
    assert answer is not None
    reply, name = answer
    assert name == "srv.default.svc.cluster.local"
    qid, flags, _, count, _, _ = struct.unpack("!HHHHHH", reply[:12])
    assert (qid, flags & 0x800F, count) == (0xBEEF, 0x8000, 2)
    assert socket.inet_ntoa(reply[-4:]) == "10.244.0.3"
    nodata = dns_answer(_query("srv.default.svc.cluster.local", 28), records)
    assert nodata is not None and struct.unpack("!HHHHHH", nodata[0][:12])[3] == 0
    nx = dns_answer(_query("nope.example"), records)
    assert nx is not None and struct.unpack("!HHHHHH", nx[0][:12])[1] & 0xF == 3
    # A reply (QR set), a non-query opcode, garbage: no answer at all.
    assert dns_answer(_query("srv.default.svc.cluster.local", flags=0x8180), records) is None
    assert dns_answer(_query("srv.default.svc.cluster.local", flags=0x2800), records) is None
    assert dns_answer(b"\x00" * 5, records) is None
    assert dns_answer(_query("a")[:-3], records) is None


@pytest.fixture
def responder() -> Any:
    """A responder on a loopback port that treats 127.0.0.1 as the only pod."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(0.2)
    r = Responder({"srv.default.svc.cluster.local": ("10.244.0.2",)}, {"127.0.0.1": "client"})
    thread = threading.Thread(target=r.serve, args=(sock,), daemon=True)
    thread.start()
    yield r, sock.getsockname()
    r.stopping.set()
    thread.join(5)


def test_a_spoofed_reply_gets_no_answer_and_costs_nothing(responder: Any) -> None:
    r, address = responder
    client = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    client.settimeout(0.5)
    # What made the old responder answer its own replies: a reply sent to it.
    reply = dns_answer(_query("srv.default.svc.cluster.local"), {"srv.default.svc.cluster.local": ("1.2.3.4",)})
    assert reply is not None
    cpu = time.process_time()
    for _ in range(200):
        client.sendto(reply[0], address)
    with pytest.raises(TimeoutError):
        client.recvfrom(512)
    assert r.answered == 0 and r.ignored == 200
    assert time.process_time() - cpu < 1.0
    client.sendto(_query("srv.default.svc.cluster.local"), address)
    assert socket.inet_ntoa(client.recvfrom(512)[0][-4:]) == "10.244.0.2"


def test_a_query_flood_is_rate_limited(responder: Any) -> None:
    r, address = responder
    client = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    client.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    start = time.monotonic()
    for _ in range(3000):
        client.sendto(_query("srv.default.svc.cluster.local"), address)
    deadline = time.monotonic() + 5
    while r.answered + r.limited + r.ignored < 3000 and time.monotonic() < deadline:
        time.sleep(0.05)
    elapsed = time.monotonic() - start
    assert r.limited > 0
    # A full bucket plus what refills while the flood lasts, never the whole flood.
    assert r.answered <= PER_POD_RATE * (1 + elapsed) + 1


# ---------------------------------------------------------------------------------------
# Evasions, each as a hostile pod (the sandbox, no MXNet)

SERVER = r"""
import socket, threading, time
def tcp(port):
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", port)); s.listen()
    if port == 9090:
        s.settimeout(2.5)  # then the listener closes: a kept connection must not outlive it unseen
    try:
        while True:
            c, a = s.accept(); print("got tcp", port, a[0], flush=True)
    except OSError:
        s.close()
def udp():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("0.0.0.0", 9999))
    while True:
        data, a = s.recvfrom(100); print("got udp", a[0], data, flush=True)
def unix():
    s = socket.socket(socket.AF_UNIX); s.bind("\0mxrl-evasion"); s.listen()
    while True:
        c, _ = s.accept(); print("got unix", flush=True)
for target, args in ((tcp, (8080,)), (tcp, (9090,)), (udp, ()), (unix, ())):
    threading.Thread(target=target, args=args, daemon=True).start()
print("listening", flush=True)
time.sleep(5)
"""

CLIENTS = {
    "udp": 'import socket, time; time.sleep(1); socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b"hi", ("srv", 9999)); print("sent")',
    "short": (
        "import socket, time; time.sleep(1)\n"
        "try:\n    socket.create_connection(('srv', 9090), timeout=0.05); print('connected')\n"
        "except OSError as e:\n    print('blocked', type(e).__name__)\n"
    ),
    "kept": (
        "import socket, time; time.sleep(1)\n"
        "try:\n    c = socket.create_connection(('srv', 9090), timeout=1); print('connected'); time.sleep(3)\n"
        "except OSError as e:\n    print('blocked', type(e).__name__)\n"
    ),
    "abstract": (
        "import socket, time; time.sleep(1); s = socket.socket(socket.AF_UNIX)\n"
        "try:\n    s.connect('\\0mxrl-evasion'); print('connected')\n"
        "except OSError as e:\n    print('blocked', type(e).__name__)\n"
    ),
    # Raw IP (CAP_NET_RAW is in the default set): a UDP datagram claiming to come from 'good'.
    "spoof": (
        "import socket, struct, time; time.sleep(1)\n"
        "src, dst = socket.gethostbyname('good'), socket.gethostbyname('srv')\n"
        "udp = struct.pack('!HHHH', 4242, 9999, 10, 0) + b'hi'\n"
        "ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(udp), 0, 0, 64, 17, 0, socket.inet_aton(src), socket.inet_aton(dst))\n"
        "s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW); s.sendto(ip + udp, (dst, 0)); print('sent')\n"
    ),
    "dns": "import socket, time; time.sleep(1)\ntry:\n    socket.gethostbyname('srv'); print('resolved')\nexcept OSError as e:\n    print('blocked', type(e).__name__)\n",
}


def _py(name: str, script: str) -> dict[str, Any]:
    return {"name": name, "image": "python", "command": ["python3", "-c", script]}


def _headless(name: str) -> dict[str, Any]:
    spec = {"clusterIP": "None", "selector": {"app": name}, "ports": [{"port": 1}]}
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name}, "spec": spec}


def _hostile(case: str) -> list[dict[str, Any]]:
    """srv accepts TCP 8080 from every pod, nothing else; every pod may send anywhere, and use
    DNS (except 'evil' in the DNS case)."""
    dns_to = {"matchLabels": {"dns": "yes"}}
    policies = [
        _policy(
            "srv-in",
            {
                "podSelector": {"matchLabels": {"app": "srv"}},
                "ingress": [{"from": [{"podSelector": {}}], "ports": [{"port": 8080}]}],
            },
        ),
        _policy(
            "egress",
            {
                "podSelector": dns_to if case == "dns" else {},
                "policyTypes": ["Egress"],
                "egress": [{"to": [{"podSelector": {}}]}, {"ports": [{"port": 53, "protocol": "UDP"}]}],
            },
        ),
    ]
    if case == "dns":
        policies.append(
            _policy(
                "no-dns",
                {
                    "podSelector": {"matchLabels": {"app": "evil"}},
                    "policyTypes": ["Egress"],
                    "egress": [{"to": [{"podSelector": {}}]}],
                },
            )
        )
    good = pod("good", [_py("c", CLIENTS["dns"] if case == "dns" else "import time; time.sleep(2)")])
    good["metadata"]["labels"]["dns"] = "yes"
    evil = pod("evil", [_py("c", CLIENTS[case])])
    return [_headless("srv"), _headless("good"), *policies, pod("srv", [_py("c", SERVER)]), good, evil]


def _run(docs: list[dict[str, Any]], **kwargs: Any) -> tuple[RunResult, str]:
    out = io.StringIO()
    kwargs.setdefault("timeout", 30)
    result = run_local(documents=docs, out=out, python=sys.executable, isolation="namespaces", **kwargs)
    return result, out.getvalue()


EXPECTED = {
    "udp": "dropped: default/evil -> default/srv port 9999/UDP: ingress to default/srv is isolated by NetworkPolicy default/srv-in and no rule allows it",
    "short": "dropped: default/evil -> default/srv port 9090/TCP: ingress to default/srv is isolated by NetworkPolicy default/srv-in and no rule allows it",
    "kept": "dropped: default/evil -> default/srv port 9090/TCP: ingress to default/srv is isolated by NetworkPolicy default/srv-in and no rule allows it",
    "spoof": "dropped: pod evil sent from pod good's address 10.244.0.3 (to 10.244.0.2); a pod may only use its own address",
    "dns": "dropped: default/evil -> kube-system/kube-dns port 53/UDP: egress from default/evil is isolated by NetworkPolicy default/no-dns and no rule allows it",
}


@needs_sandbox
@pytest.mark.parametrize("case", sorted(EXPECTED))
def test_each_evasion_is_dropped_and_logged_naming_the_pod(case: str) -> None:
    result, out = _run(_hostile(case))
    assert [p.ip for p in result.pods] == ["10.244.0.2", "10.244.0.3", "10.244.0.4"], out
    assert [p.name for p in result.pods] == ["srv", "good", "evil"]
    assert not result.ok and result.exit_code == 1, out
    assert result.reason == f"NetworkPolicy: {EXPECTED[case]}", out
    assert EXPECTED[case] in result.audit
    # Nothing forbidden arrived, and nothing was blamed on the innocent pod.
    assert "got" not in result.pod("srv").log, out
    assert not any("default/good ->" in line or "pod good sent" in line for line in result.audit), result.audit


@needs_sandbox
def test_abstract_unix_sockets_are_per_pod() -> None:
    result, out = _run(_hostile("abstract"))
    assert result.ok, out
    assert result.pod("evil").log == "blocked ConnectionRefusedError"
    assert "got unix" not in result.pod("srv").log
    assert result.audit[0].endswith("nothing dropped")


@needs_sandbox
def test_every_kind_of_rule_loads_into_the_kernel() -> None:
    """Named ports, SCTP, ranges, except-blocks, namespace selectors and an SCTP Service."""
    docs = [
        _labelled("web", {"app": "web"}, ports=[{"containerPort": 8443, "name": "https"}]),
        _labelled("db", {"app": "db"}, ports=[{"containerPort": 5432, "name": "pg", "protocol": "SCTP"}]),
        _policy(
            "all",
            {
                "podSelector": {},
                "policyTypes": ["Ingress", "Egress"],
                "ingress": [
                    {"from": [{"namespaceSelector": {}}], "ports": [{"port": "pg", "protocol": "SCTP"}]},
                    {
                        "from": [{"ipBlock": {"cidr": "10.0.0.0/8", "except": ["10.244.0.2/32"]}}],
                        "ports": [{"port": 1, "endPort": 1024}],
                    },
                ],
                "egress": [
                    {
                        "to": [{"podSelector": {"matchLabels": {"app": "db"}}}],
                        "ports": [{"port": "https"}, {"protocol": "UDP"}],
                    }
                ],
            },
        ),
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "pg"},
            "spec": {"selector": {"app": "db"}, "ports": [{"port": 5432, "targetPort": "pg", "protocol": "SCTP"}]},
        },
    ]
    network = PodNetwork(plan(docs, address=pod_address))
    try:
        network.start()
        listed = namespaces.nft(network.node, ["list", "ruleset"]).stdout
    finally:
        network.close()
    # As the kernel lists it back: every pod (and the cluster DNS, in kube-system) may reach
    # db's named SCTP port, and the Service's SCTP port goes to db's port.
    assert "ip saddr { 10.96.0.10, 10.244.0.2, 10.244.0.3 } sctp dport 5432 accept" in listed, listed
    assert "10.96.1.1 . sctp . 5432 : goto svc_0" in listed and "map { 0 : 10.244.0.3 . 5432 }" in listed
    assert namespaces.owned_namespaces(network.prefix) == []


@needs_sandbox
def test_a_service_port_is_translated_to_its_target_port() -> None:
    server = "import socket; s = socket.socket(); s.bind(('0.0.0.0', 8080)); s.listen(); c, _ = s.accept(); print('accepted')"
    client = (
        "import socket, time\n"
        "for _ in range(50):\n"
        "    try:\n        socket.create_connection(('web', 80), timeout=1); break\n"
        "    except OSError:\n        time.sleep(0.1)\n"
        "print('connected to', socket.gethostbyname('web'))\n"
    )
    svc = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "web"},
        "spec": {"selector": {"app": "web"}, "ports": [{"port": 80, "targetPort": 8080}]},
    }
    result, out = _run([svc, pod("web", [_py("c", server)]), pod("cli", [_py("c", client)])])
    assert result.ok, out
    assert result.pod("web").log == "accepted"
    assert result.pod("cli").log == "connected to 10.96.1.1"


# ---------------------------------------------------------------------------------------
# Cleanup: normal end, SIGTERM, SIGKILL


def _ours(pid: int) -> list[str]:
    return [n for n in namespaces.owned_namespaces(namespaces.PREFIX) if n.startswith(f"{namespaces.PREFIX}-{pid}-")]


@needs_sandbox
def test_namespaces_and_tables_are_gone_after_a_run() -> None:
    result, out = _run(_hostile("udp"))
    assert not result.ok, out
    assert _ours(os.getpid()) == []


def _cli(tmp_path: Path, seconds: int) -> subprocess.Popen[str]:
    docs = [pod("sleeper", [_py("c", f"import time; print('up', flush=True); time.sleep({seconds})")])]
    path = write_docs(tmp_path, docs)
    argv = [sys.executable, "-m", "mxnet_construct", "run-local", str(path), "--python", sys.executable]
    argv += ["--isolation", "namespaces", "--timeout", "60"]
    proc = subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert proc.stdout is not None
    for line in proc.stdout:
        if "sleeper | up" in line:
            break
    return proc


@needs_sandbox
@pytest.mark.parametrize(("signum", "code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_sigterm_and_sigint_remove_the_namespaces(tmp_path: Path, signum: int, code: int) -> None:
    proc = _cli(tmp_path, 30)
    assert len(_ours(proc.pid)) == 2  # the node and the pod
    proc.send_signal(signum)
    assert proc.wait(30) == code
    assert _ours(proc.pid) == []


@needs_sandbox
def test_what_a_sigkilled_run_left_is_removed_by_the_next_run(tmp_path: Path) -> None:
    proc = _cli(tmp_path, 30)
    left = _ours(proc.pid)
    assert len(left) == 2
    proc.kill()
    proc.wait(10)
    assert _ours(proc.pid) == left  # nobody cleaned up
    result, out = _run([pod("next", [_py("c", "print('ok')")])])
    assert result.ok, out
    assert _ours(proc.pid) == []


# ---------------------------------------------------------------------------------------
# Real MXNet under enforcement


def _mxnet() -> str:
    if not MXNET_PYTHON.exists():
        pytest.fail(f"{MXNET_PYTHON} is missing: create it with `make mxnet-venv` (make test does)")
    return str(MXNET_PYTHON)


@pytest.mark.mxnet
@needs_sandbox
def test_the_default_release_trains_under_enforcement(tmp_path: Path) -> None:
    out = io.StringIO()
    docs = example_docs(servers=2, workers=2)
    result = run_local([write_docs(tmp_path, docs)], timeout=120, python=_mxnet(), out=out, isolation="namespaces")
    assert result.ok, out.getvalue()
    assert result.audit[0] == "1 NetworkPolicies enforced for 5 pods: nothing dropped"
    finals = [FINAL.findall(w.log) for w in result.by_component("worker")]
    assert len(finals) == 2 and all(len(f) == 1 for f in finals)
    assert len({f[0][3] for f in finals}) == 1, finals
    assert all(p.ip.startswith("10.244.") for p in result.pods)


@pytest.mark.mxnet
@needs_sandbox
def test_a_policy_forbidding_server_to_worker_traffic_fails_the_run_naming_the_drop(tmp_path: Path) -> None:
    docs = example_docs(servers=1, workers=1)
    chart_policy = next(d for d in docs if d["kind"] == "NetworkPolicy")
    component = "app.kubernetes.io/component"
    # The chart's policy now covers the scheduler and workers; servers get one of their own
    # that lets them reach the scheduler (and DNS) only.
    chart_policy["spec"]["podSelector"]["matchExpressions"] = [
        {"key": component, "operator": "In", "values": ["scheduler", "worker"]}
    ]
    release = dict(chart_policy["spec"]["podSelector"]["matchLabels"])
    docs.append(
        _policy(
            "servers-to-scheduler-only",
            {
                "podSelector": {"matchLabels": {**release, component: "server"}},
                "policyTypes": ["Ingress", "Egress"],
                "ingress": [{"from": [{"podSelector": {"matchLabels": release}}]}],
                "egress": [
                    {"to": [{"podSelector": {"matchLabels": {**release, component: "scheduler"}}}]},
                    {"ports": [{"port": 53, "protocol": "UDP"}]},
                ],
            },
        )
    )
    out = io.StringIO()
    result = run_local([write_docs(tmp_path, docs)], timeout=90, python=_mxnet(), out=out, isolation="namespaces")
    assert not result.ok and result.exit_code == 1, out.getvalue()
    assert result.reason.startswith(
        "NetworkPolicy: dropped: default/train-mxnet-server-0 -> default/train-mxnet-worker-0 port "
    ), result.reason
    assert result.reason.endswith(
        "/TCP: egress from default/train-mxnet-server-0 is isolated by NetworkPolicy default/servers-to-scheduler-only and no rule allows it"
    )


def test_kube_dns_is_the_responder_address() -> None:
    assert kube_dns(DNS_IP).ip == "10.96.0.10"
