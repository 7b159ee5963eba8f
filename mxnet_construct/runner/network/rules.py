"""The run's nftables rules, generated whole from the desired state (never edited in place).

Two tables live in the run's node namespace, loaded in one ``nft -f`` transaction:

* ``bridge <table>``: a pod may send only from its own address (IPv4 and ARP, checked
  against the bridge port it is plugged into); anything else, IPv6 included, is dropped and
  what was spoofed is recorded in the set ``spoofed``.
* ``inet <table>``: Service virtual IPs are translated to their pods (a map from
  ``ip . protocol . port`` to one chain per Service port, picking a backend at random, as
  kube-proxy's nftables mode does); a pod that reaches itself through a Service is
  masqueraded so the reply comes back the same way. Then NetworkPolicy: a new connection
  from a pod isolated for egress jumps to that pod's egress chain, which returns when some
  rule of a policy isolating it allows the connection; then the same for the destination's
  ingress. Each chain ends by adding the connection's ``source . destination . protocol .
  port`` to ``drop_egress`` or ``drop_ingress`` and dropping it, so every refused
  connection is recorded by the kernel, however short-lived. Replies of allowed
  connections pass through conntrack (``ct state established,related``).

Peers are resolved to addresses here: every pod of the run is known, so a pod or namespace
selector becomes the set of matching pod IPs, and a named port the number it has on each
matching pod.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from ...policies.network import Direction, Peer, PeerRule, Policies, PortRule, Rule
from .addresses import DNS_IP, GATEWAY, VirtualPort, is_port

BRIDGE = "br0"
_SET = "flags dynamic; size 65536;"


@dataclass(frozen=True)
class PodPort:
    """A pod plugged into the bridge: its peer (name, IP, labels, ports) and its bridge port."""

    peer: Peer
    interface: str


def _set(items: Iterable[str]) -> str:
    values = sorted(set(items), key=_sort_key)
    return values[0] if len(values) == 1 else "{ " + ", ".join(values) + " }"


def _elements(items: Sequence[str]) -> str:
    return f"elements = {{ {', '.join(items)} }}" if items else ""


def _sort_key(value: str) -> tuple[int, ...]:
    head = value.split("/")[0].split("-")[0]
    return tuple(int(x) for x in head.split(".")) if head.replace(".", "").isdigit() else (0,)


def _peer_clauses(
    rule: PeerRule, field: str, policy_ns: str, candidates: Sequence[Peer], namespaces: Mapping[str, Mapping[str, str]]
) -> list[str]:
    if rule.cidr is not None:
        clause = f"ip {field} {rule.cidr}"
        if rule.excepts:
            clause += f" ip {field} != {_set(str(e) for e in rule.excepts)}"
        return [clause]
    ips = [p.ip for p in candidates if rule.matches(p, policy_ns, namespaces)]
    return [f"ip {field} {_set(ips)}"] if ips else []


def _port_clause(port: PortRule) -> str:
    proto = port.protocol.lower()
    if port.port is None:
        return f"meta l4proto {proto}"
    assert isinstance(port.port, int)
    span = f"{port.port}-{port.end_port}" if port.end_port and port.end_port != port.port else str(port.port)
    return f"meta l4proto {proto} th dport {span}"


def _rule_lines(
    rule: Rule,
    direction: Direction,
    pod: Peer,
    policy_ns: str,
    candidates: Sequence[Peer],
    namespaces: Mapping[str, Mapping[str, str]],
    verdict: str,
) -> list[str]:
    field = "daddr" if direction == "Egress" else "saddr"
    if rule.peers is None:
        peer_clauses = [""]
        matching = list(candidates)
    else:
        peer_clauses = [c for p in rule.peers for c in _peer_clauses(p, field, policy_ns, candidates, namespaces)]
        matching = [c for c in candidates if any(p.matches(c, policy_ns, namespaces) for p in rule.peers)]
        if not peer_clauses:
            return []  # selects no peer of this run
    if rule.ports is None:
        return [f"{c} {verdict}".strip() for c in peer_clauses]
    lines: list[str] = []
    for port in rule.ports:
        if isinstance(port.port, str):
            # A named port is the destination pod's: per matching pod when it is the peer.
            proto = port.protocol.lower()
            owners = [pod] if direction == "Ingress" else matching
            for owner in owners:
                number = owner.named_port(port.port, port.protocol)
                if not is_port(number):
                    continue
                target = "" if direction == "Ingress" else f"ip daddr {owner.ip} "
                lines += [f"{c} {target}meta l4proto {proto} th dport {number} {verdict}".strip() for c in peer_clauses]
            continue
        lines += [f"{c} {_port_clause(port)} {verdict}".strip() for c in peer_clauses]
    return [" ".join(line.split()) for line in lines]


def policy_chain(policies: Policies, pod: Peer, direction: Direction, candidates: Sequence[Peer]) -> list[str] | None:
    """The body of ``pod``'s chain for ``direction``, or None when no policy isolates it."""
    isolating = policies.isolating(pod, direction)
    if not isolating:
        return None
    allow = "return" if direction == "Egress" else "accept"
    # No names in the rules: manifest text never reaches nft's input, only addresses,
    # numbers and protocol keywords worked out here.
    lines: list[str] = []
    for policy in isolating:
        rules = policy.egress if direction == "Egress" else policy.ingress
        for rule in rules:
            lines += _rule_lines(rule, direction, pod, policy.namespace, candidates, policies.namespaces, allow)
    record = "drop_egress" if direction == "Egress" else "drop_ingress"
    lines.append(f"add @{record} {{ ip saddr . ip daddr . meta l4proto . th dport }} counter name dropped drop")
    # The set may be full; the packet is dropped all the same.
    lines.append("counter name dropped drop")
    return lines


def _service_chains(virtual: Sequence[VirtualPort]) -> tuple[list[str], list[str]]:
    elements, chains = [], []
    for i, vp in enumerate(virtual):
        if not vp.backends:
            continue
        proto = vp.protocol.lower()
        elements.append(f"{vp.ip} . {proto} . {vp.port} : goto svc_{i}")
        n = len(vp.backends)
        targets = ", ".join(f"{j} : {b.ip} . {b.port}" for j, b in enumerate(vp.backends))
        chains.append(
            f"  chain svc_{i} {{\n    meta l4proto {proto} dnat ip to numgen random mod {n} map {{ {targets} }}\n  }}"
        )
    return elements, chains


def ruleset(
    table: str,
    pods: Sequence[PodPort],
    virtual: Sequence[VirtualPort],
    policies: Policies | None,
    dns: Peer,
) -> str:
    """The whole ``nft -f`` input: both tables, deleted and recreated in one transaction.

    ``policies`` None leaves NetworkPolicy unenforced (addresses, Services and the
    anti-spoofing guard stay).
    """
    owners = [f'"{p.interface}" . {p.peer.ip}' for p in pods]
    out = [
        f"table bridge {table}\ndelete table bridge {table}",
        f"table inet {table}\ndelete table inet {table}",
        f"table bridge {table} {{",
        f"  set owners {{ typeof iifname . ip saddr; {_elements(owners)} }}",
        f"  set spoofed {{ typeof iifname . ip saddr . ip daddr; {_SET} }}",
        "  counter spoofed {}",
        "  chain prerouting {",
        "    type filter hook prerouting priority -300; policy drop;",
        f'    iifname "{BRIDGE}" accept',
        "    ether type arp iifname . arp saddr ip @owners accept",
        "    ether type ip iifname . ip saddr @owners accept",
        "    ether type ip add @spoofed { iifname . ip saddr . ip daddr } counter name spoofed drop",
        "    counter name spoofed drop",
        "  }",
        "}",
    ]
    elements, svc_chains = _service_chains(virtual)
    hairpin = [f"{p.peer.ip} . {p.peer.ip}" for p in pods]
    out += [
        f"table inet {table} {{",
        f"  set drop_egress {{ typeof ip saddr . ip daddr . meta l4proto . th dport; {_SET} }}",
        f"  set drop_ingress {{ typeof ip saddr . ip daddr . meta l4proto . th dport; {_SET} }}",
        "  counter dropped {}",
        f"  set hairpin {{ typeof ip saddr . ip daddr; {_elements(hairpin)} }}",
        f"  map services {{ typeof ip daddr . meta l4proto . th dport : verdict; {_elements(elements)} }}",
        *svc_chains,
        "  chain prerouting {",
        "    type nat hook prerouting priority dstnat; policy accept;",
        "    ip daddr . meta l4proto . th dport vmap @services",
        "  }",
        "  chain postrouting {",
        "    type nat hook postrouting priority srcnat; policy accept;",
        "    ct status dnat ip saddr . ip daddr @hairpin masquerade",
        "  }",
    ]
    egress_map: list[str] = []
    ingress_map: list[str] = []
    chains: list[str] = []
    if policies is not None:
        candidates = [p.peer for p in pods] + [dns]
        directions: tuple[tuple[Direction, list[str]], ...] = (("Egress", egress_map), ("Ingress", ingress_map))
        for i, p in enumerate(pods):
            for direction, target in directions:
                body = policy_chain(policies, p.peer, direction, candidates)
                if body is None:
                    continue
                name = f"{direction.lower()}_{i}"
                target.append(f"{p.peer.ip} : jump {name}")
                chains.append(f"  chain {name} {{\n" + "".join(f"    {b}\n" for b in body) + "  }")
    for name, entries in (("egress", egress_map), ("ingress", ingress_map)):
        field = "saddr" if name == "egress" else "daddr"
        out.append(f"  map {name} {{ typeof ip {field} : verdict; {_elements(entries)} }}")
    out += chains
    out += [
        "  chain forward {",
        "    type filter hook forward priority filter; policy drop;",
        "    ct state established,related accept",
        "    ct state invalid drop",
        f'    iifname != "{BRIDGE}" drop',
        "    ip saddr vmap @egress",
        "    ip daddr vmap @ingress",
        "    accept",
        "  }",
        "  chain input {",
        "    type filter hook input priority filter; policy drop;",
        '    iifname "lo" accept',
        "    ct state established,related accept",
        # The cluster DNS is a peer like any other: egress to it must be allowed.
        f"    ip daddr {DNS_IP} udp dport 53 ip saddr vmap @egress",
        f"    ip daddr {DNS_IP} udp dport 53 accept",
        # Path MTU and the like from the gateway; pods reach nothing else on the node.
        f"    ip daddr {GATEWAY} icmp type echo-request accept",
        "  }",
        "}",
    ]
    return "\n".join(out) + "\n"


__all__ = ["BRIDGE", "PodPort", "policy_chain", "ruleset"]
