"""NetworkPolicy evaluation with Kubernetes semantics (networking.k8s.io/v1).

Input: the NetworkPolicy objects, the pods (:class:`Peer`: name, namespace, labels, IP
and container ports), the namespaces' labels, and a connection (source, destination, port,
protocol). Output: a :class:`Verdict`, allowed or refused; a refusal names the source, the
destination, the port and the policies that isolate the side that refuses it.

The rules implemented:

* A connection needs both ends to agree: the source's egress and the destination's ingress.
  A peer that is not a pod (an outside address) has no policies of its own.
* A pod is isolated for a direction only if some policy in its namespace selects it
  (``spec.podSelector``; ``{}`` selects every pod of the namespace) and has that direction
  in ``policyTypes``. When ``policyTypes`` is absent it is ``Ingress``, plus ``Egress`` if
  the policy has at least one egress rule. A pod that is not isolated allows everything.
* Policies are additive: an isolated pod allows a connection if any rule of any policy
  that selects it (for that direction) allows it. ``ingress``/``egress`` absent or ``[]``
  allows nothing; a rule ``{}`` allows everything.
* In a rule, ``from``/``to`` absent or ``[]`` matches every peer, and ``ports`` absent or
  ``[]`` matches every port. A peer entry matches by ``podSelector`` alone (pods of the
  policy's namespace), ``namespaceSelector`` alone (every pod of the matching namespaces),
  both in one entry (pods matching the pod selector *in* the matching namespaces), or
  ``ipBlock`` (``cidr`` minus each ``except``). Namespace labels always include
  ``kubernetes.io/metadata.name: <name>``, as the API server sets it. ``ipBlock`` is matched
  against the peer's IP, pod or not (what most CNIs do; the API leaves pod IPs to them).
* A port entry matches ``protocol`` (default TCP; TCP, UDP or SCTP) and ``port``: a
  number, a number range up to ``endPort``, or a name, which is looked up among the
  *destination* pod's container ports (a named port never matches an outside address);
  no ``port`` matches every port of the protocol.
* A pod connecting to its own IP is evaluated like any other connection (ps-lite nodes do
  connect to themselves), so a policy must allow it too.

DNS: :func:`kube_dns` is the ``kube-dns`` pod of ``kube-system`` (labels
``k8s-app: kube-dns``, ports ``dns`` UDP 53 and ``dns-tcp`` TCP 53), so egress to DNS is a
connection like any other. Malformed policies raise ``ValueError`` naming the policy, the
field and the value.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, TypeAlias

from ..manifests import ContainerPort, LabelSelector, Manifests, Pod

Direction: TypeAlias = Literal["Ingress", "Egress"]
PROTOCOLS = ("TCP", "UDP", "SCTP")
METADATA_NAME = "kubernetes.io/metadata.name"
IPNetwork: TypeAlias = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class Peer:
    """One end of a connection: a pod (``namespace`` set) or an outside address."""

    name: str
    ip: str
    namespace: str | None = None
    labels: Mapping[str, str] = field(default_factory=dict)
    ports: tuple[ContainerPort, ...] = ()

    @classmethod
    def of(cls, pod: Pod, ip: str) -> Peer:
        """A pod of the manifest model at address ``ip``."""
        return cls(pod.name, ip, pod.namespace, dict(pod.labels), pod.ports)

    @property
    def is_pod(self) -> bool:
        return self.namespace is not None

    def named_port(self, name: str, protocol: str) -> int | None:
        for p in self.ports:
            if p.name == name and p.protocol == protocol:
                return p.port
        return None

    def __str__(self) -> str:
        return f"{self.namespace}/{self.name}" if self.is_pod else f"{self.name} ({self.ip})"


def kube_dns(ip: str = "10.244.0.10") -> Peer:
    """The cluster DNS pod as kubeadm and most distributions label it."""
    ports = (ContainerPort("coredns", 53, "dns", "UDP"), ContainerPort("coredns", 53, "dns-tcp", "TCP"))
    return Peer("kube-dns", ip, "kube-system", {"k8s-app": "kube-dns"}, ports)


@dataclass(frozen=True)
class Connection:
    """``src`` opens a connection to ``dst`` on ``port``/``protocol``."""

    src: Peer
    dst: Peer
    port: int
    protocol: str = "TCP"


# --- parsed policies ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PortRule:
    protocol: str
    port: int | str | None = None
    end_port: int | None = None

    def allows(self, port: int, protocol: str, dst: Peer) -> bool:
        if protocol != self.protocol:
            return False
        if self.port is None:
            return True
        if isinstance(self.port, str):
            return dst.is_pod and dst.named_port(self.port, protocol) == port
        return self.port <= port <= (self.end_port or self.port)


@dataclass(frozen=True)
class PeerRule:
    pod_selector: LabelSelector | None = None
    namespace_selector: LabelSelector | None = None
    cidr: IPNetwork | None = None
    excepts: tuple[IPNetwork, ...] = ()

    def matches(self, peer: Peer, policy_namespace: str, namespaces: Mapping[str, Mapping[str, str]]) -> bool:
        if self.cidr is not None:
            address = ipaddress.ip_address(peer.ip)
            return address in self.cidr and not any(address in e for e in self.excepts)
        if not peer.is_pod or peer.namespace is None:
            return False
        if self.namespace_selector is None:
            in_namespace = peer.namespace == policy_namespace
        else:
            in_namespace = self.namespace_selector.matches(namespace_labels(peer.namespace, namespaces))
        return in_namespace and (self.pod_selector is None or self.pod_selector.matches(peer.labels))


@dataclass(frozen=True)
class Rule:
    """One ingress or egress rule; None means the field was absent or empty (matches all)."""

    peers: tuple[PeerRule, ...] | None = None
    ports: tuple[PortRule, ...] | None = None


@dataclass(frozen=True)
class NetworkPolicy:
    name: str
    namespace: str
    pod_selector: LabelSelector
    types: frozenset[Direction]
    ingress: tuple[Rule, ...] = ()
    egress: tuple[Rule, ...] = ()

    @property
    def id(self) -> str:
        return f"{self.namespace}/{self.name}"

    @classmethod
    def parse(cls, doc: Mapping[str, Any]) -> NetworkPolicy:
        """A NetworkPolicy object as written in YAML; malformed fields raise ``ValueError``."""
        meta = doc.get("metadata") or {}
        name, namespace = str(meta.get("name")), str(meta.get("namespace") or "default")
        where = f"NetworkPolicy {namespace}/{name}"
        spec = doc.get("spec") or {}
        if not isinstance(spec, Mapping):
            raise ValueError(f"{where}: spec {spec!r} is not a mapping")
        if "podSelector" not in spec:
            raise ValueError(f"{where} spec.podSelector: missing; use {{}} to select every pod of the namespace")
        selector = LabelSelector.parse(spec["podSelector"], f"{where} spec.podSelector")
        ingress = _rules(spec, "ingress", "from", where)
        egress = _rules(spec, "egress", "to", where)
        types_raw = spec.get("policyTypes")
        if types_raw is None:
            types: set[Direction] = {"Ingress", "Egress"} if egress else {"Ingress"}
        else:
            if not isinstance(types_raw, list) or not all(t in ("Ingress", "Egress") for t in types_raw):
                raise ValueError(f"{where} spec.policyTypes: {types_raw!r}; allowed entries are Ingress and Egress")
            types = set(types_raw)
        return cls(name, namespace, selector, frozenset(types), ingress, egress)

    def isolates(self, peer: Peer, direction: Direction) -> bool:
        return (
            direction in self.types
            and peer.is_pod
            and peer.namespace == self.namespace
            and self.pod_selector.matches(peer.labels)
        )

    def allows(self, direction: Direction, conn: Connection, namespaces: Mapping[str, Mapping[str, str]]) -> bool:
        """Whether one of this policy's rules for ``direction`` allows ``conn``."""
        rules, other = (self.ingress, conn.src) if direction == "Ingress" else (self.egress, conn.dst)
        for rule in rules:
            peer_ok = rule.peers is None or any(p.matches(other, self.namespace, namespaces) for p in rule.peers)
            port_ok = rule.ports is None or any(p.allows(conn.port, conn.protocol, conn.dst) for p in rule.ports)
            if peer_ok and port_ok:
                return True
        return False


def namespace_labels(namespace: str, namespaces: Mapping[str, Mapping[str, str]]) -> dict[str, str]:
    """A namespace's labels, with the ``kubernetes.io/metadata.name`` label the API server adds."""
    return {**namespaces.get(namespace, {}), METADATA_NAME: namespace}


def _network(value: object, where: str) -> IPNetwork:
    try:
        return ipaddress.ip_network(str(value), strict=True)
    except ValueError as err:
        raise ValueError(f"{where}: {value!r} is not a CIDR ({err})") from None


def _peer(raw: object, where: str) -> PeerRule:
    if not isinstance(raw, Mapping) or not raw:
        raise ValueError(f"{where}: {raw!r} needs podSelector, namespaceSelector or ipBlock")
    unknown = sorted(set(raw) - {"podSelector", "namespaceSelector", "ipBlock"})
    if unknown:
        raise ValueError(f"{where}: unknown fields {unknown}; allowed: podSelector, namespaceSelector, ipBlock")
    if "ipBlock" in raw:
        if len(raw) > 1:
            raise ValueError(f"{where}: ipBlock cannot be combined with podSelector or namespaceSelector")
        block = raw["ipBlock"] or {}
        cidr = _network(block.get("cidr"), f"{where}.ipBlock.cidr")
        excepts = tuple(_network(e, f"{where}.ipBlock.except[{i}]") for i, e in enumerate(block.get("except") or []))
        for i, e in enumerate(excepts):
            if e.version != cidr.version or not e.subnet_of(cidr):  # type: ignore[arg-type]
                raise ValueError(f"{where}.ipBlock.except[{i}]: {e} is not inside the cidr {cidr}")
        return PeerRule(cidr=cidr, excepts=excepts)
    pods = LabelSelector.parse(raw["podSelector"], f"{where}.podSelector") if "podSelector" in raw else None
    spaces = (
        LabelSelector.parse(raw["namespaceSelector"], f"{where}.namespaceSelector")
        if "namespaceSelector" in raw
        else None
    )
    return PeerRule(pods, spaces)


def _port(raw: object, where: str) -> PortRule:
    if not isinstance(raw, Mapping):
        raise ValueError(f"{where}: {raw!r} is not a port entry (port, protocol, endPort)")
    protocol = raw.get("protocol") or "TCP"
    if protocol not in PROTOCOLS:
        raise ValueError(f"{where}.protocol: {protocol!r} is not one of {', '.join(PROTOCOLS)}")
    port, end = raw.get("port"), raw.get("endPort")
    if port is not None and (isinstance(port, bool) or not isinstance(port, int | str)):
        raise ValueError(f"{where}.port: {port!r} is not a port number or name")
    if isinstance(port, int) and not 1 <= port <= 65535:
        raise ValueError(f"{where}.port: {port} is not between 1 and 65535")
    if end is not None:
        if not isinstance(port, int):
            raise ValueError(f"{where}.endPort: {end!r} needs a numeric port, got port {port!r}")
        if isinstance(end, bool) or not isinstance(end, int) or not port <= end <= 65535:
            raise ValueError(f"{where}.endPort: {end!r} must be a number from port ({port}) to 65535")
    return PortRule(protocol, port, end)


def _rules(spec: Mapping[str, Any], key: str, peers_key: str, where: str) -> tuple[Rule, ...]:
    raw_rules = spec.get(key) or []
    if not isinstance(raw_rules, list):
        raise ValueError(f"{where} spec.{key}: {raw_rules!r} is not a list of rules")
    out: list[Rule] = []
    for i, raw in enumerate(raw_rules):
        at = f"{where} spec.{key}[{i}]"
        if not isinstance(raw, Mapping):
            raise ValueError(f"{at}: {raw!r} is not a rule")
        unknown = sorted(set(raw) - {peers_key, "ports"})
        if unknown:
            raise ValueError(f"{at}: unknown fields {unknown}; a {key} rule has only {peers_key!r} and 'ports'")
        peers = tuple(_peer(p, f"{at}.{peers_key}[{j}]") for j, p in enumerate(raw.get(peers_key) or []))
        ports = tuple(_port(p, f"{at}.ports[{j}]") for j, p in enumerate(raw.get("ports") or []))
        out.append(Rule(peers or None, ports or None))
    return tuple(out)


# --- verdicts --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Refusal:
    """One side that refuses: ``pod``'s ``direction`` is isolated by ``policies``, none allowing."""

    direction: Direction
    pod: Peer
    policies: tuple[str, ...]


@dataclass(frozen=True)
class Verdict:
    connection: Connection
    refusals: tuple[Refusal, ...] = ()

    @property
    def allowed(self) -> bool:
        return not self.refusals

    @property
    def policies(self) -> tuple[str, ...]:
        """Every policy that isolates a refusing side (``namespace/name``)."""
        return tuple(dict.fromkeys(p for r in self.refusals for p in r.policies))

    def __str__(self) -> str:
        c = self.connection
        head = f"{c.src} -> {c.dst} port {c.port}/{c.protocol}"
        if self.allowed:
            return f"allowed: {head}"
        sides = "; ".join(
            f"{'egress from' if r.direction == 'Egress' else 'ingress to'} {r.pod} is isolated by "
            f"NetworkPolicy {', '.join(r.policies)} and no rule allows it"
            for r in self.refusals
        )
        return f"refused: {head}: {sides}"


class Policies:
    """The NetworkPolicies of a cluster (or of some manifests), ready to judge connections."""

    def __init__(self, policies: Iterable[NetworkPolicy], namespaces: Mapping[str, Mapping[str, str]] | None = None):
        self.policies = tuple(policies)
        self.namespaces: Mapping[str, Mapping[str, str]] = dict(namespaces or {})

    @classmethod
    def of(
        cls, docs: Iterable[Mapping[str, Any]], namespaces: Mapping[str, Mapping[str, str]] | None = None
    ) -> Policies:
        """The NetworkPolicy objects among ``docs``; Namespace objects there add their labels."""
        docs = list(docs)
        labels: dict[str, Mapping[str, str]] = {
            str(d["metadata"]["name"]): dict((d.get("metadata") or {}).get("labels") or {})
            for d in docs
            if d.get("kind") == "Namespace"
        }
        labels.update(namespaces or {})
        return cls((NetworkPolicy.parse(d) for d in docs if d.get("kind") == "NetworkPolicy"), labels)

    @classmethod
    def of_manifests(cls, model: Manifests, namespaces: Mapping[str, Mapping[str, str]] | None = None) -> Policies:
        return cls.of(model.documents, namespaces)

    def isolating(self, peer: Peer, direction: Direction) -> list[NetworkPolicy]:
        return [p for p in self.policies if p.isolates(peer, direction)]

    def check(self, conn: Connection) -> Verdict:
        """Allowed only if the source's egress and the destination's ingress both allow it."""
        if conn.protocol not in PROTOCOLS:
            raise ValueError(f"connection protocol {conn.protocol!r} is not one of {', '.join(PROTOCOLS)}")
        if not 1 <= conn.port <= 65535:
            raise ValueError(f"connection port {conn.port} is not between 1 and 65535")
        refusals: list[Refusal] = []
        sides: tuple[tuple[Direction, Peer], ...] = (("Egress", conn.src), ("Ingress", conn.dst))
        for d, pod in sides:
            isolating = self.isolating(pod, d)
            if isolating and not any(p.allows(d, conn, self.namespaces) for p in isolating):
                refusals.append(Refusal(d, pod, tuple(p.id for p in isolating)))
        return Verdict(conn, tuple(refusals))

    def check_range(self, src: Peer, dst: Peer, ports: tuple[int, int], protocol: str = "TCP") -> Verdict:
        """The verdict of the first refused port in ``ports`` (inclusive), else of the first port.

        The edges of every numeric rule are the only places where the answer can change,
        so only those ports are checked, not all 65535.
        """
        lo, hi = ports
        candidates = {lo, hi}
        for policy in self.policies:
            for rule in (*policy.ingress, *policy.egress):
                for p in rule.ports or ():
                    if isinstance(p.port, int):
                        end = p.end_port or p.port
                        candidates |= {p.port - 1, p.port, end, end + 1}
                    elif isinstance(p.port, str):
                        named = dst.named_port(p.port, p.protocol)
                        if named is not None:
                            candidates |= {named - 1, named, named + 1}
        for port in sorted(c for c in candidates if lo <= c <= hi):
            verdict = self.check(Connection(src, dst, port, protocol))
            if not verdict.allowed:
                return verdict
        return self.check(Connection(src, dst, lo, protocol))


def peers(model: Manifests, ips: Mapping[str, str] | None = None) -> dict[str, Peer]:
    """Every pod of the model as a :class:`Peer`; addresses from ``ips`` or 10.0.x.y in order."""
    out: dict[str, Peer] = {}
    for i, pod in enumerate(model.pods):
        ip = (ips or {}).get(pod.name) or f"10.0.{i // 250}.{1 + i % 250}"
        out[pod.name] = Peer.of(pod, ip)
    return out


__all__ = [
    "PROTOCOLS",
    "Connection",
    "NetworkPolicy",
    "Peer",
    "PeerRule",
    "Policies",
    "PortRule",
    "Refusal",
    "Rule",
    "Verdict",
    "kube_dns",
    "peers",
]
