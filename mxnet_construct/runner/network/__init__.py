"""run-local's pod network: namespaces, addresses, Services, DNS and NetworkPolicy.

:class:`PodNetwork` gives every pod of a sandboxed run its own network namespace and IP on a
bridge in a per-run node namespace (:mod:`.namespaces`), translates ClusterIP Services and
enforces the manifests' NetworkPolicies with nftables (:mod:`.rules`), and serves the
cluster DNS (:mod:`.dns`). What the enforcer drops is read back by
:class:`~mxnet_construct.runner.audit.DropLog`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from ...policies.network import Peer, Policies, kube_dns
from ..model import Plan, PodPlan, RunLocalError
from ..workspace import write_new
from . import namespaces
from .addresses import DNS_IP, MAX_PODS, ClusterAddresses, pod_address, resolv_conf
from .dns import Responder
from .rules import PodPort, ruleset

TABLE = "run_local"


@dataclass(frozen=True)
class Dropped:
    """One connection the kernel dropped: ``kind`` is ``egress``, ``ingress`` or ``spoofed``."""

    kind: str
    src: str
    dst: str
    protocol: int
    port: int
    interface: str = ""


class PodNetwork:
    """The pod network of one run (see the package docstring).

    Everything is worked out in the constructor, so bad policies are refused before
    anything is created; :meth:`start` creates it, :meth:`close` removes it.
    """

    def __init__(self, the_plan: Plan, *, enforce: bool = True) -> None:
        if the_plan.manifests is None:
            raise RunLocalError("the pod network needs the plan's manifest model")
        if len(the_plan.pods) > MAX_PODS:
            raise RunLocalError(f"{len(the_plan.pods)} pods do not fit the pod network ({MAX_PODS} at most)")
        self.plan = the_plan
        self.enforce = enforce
        model = the_plan.manifests
        try:
            self.policies = Policies.of_manifests(model)
        except ValueError as err:
            raise RunLocalError(f"NetworkPolicy: {err}") from None
        by_name = {p.name: p for p in model.pods}
        self.peers = {p.name: Peer.of(by_name[p.name], p.ip) for p in the_plan.pods}
        self.dns = kube_dns(DNS_IP)
        self.ports = [PodPort(self.peers[p.name], f"v{i}") for i, p in enumerate(the_plan.pods)]
        self.addresses = ClusterAddresses.of(model, {p.name: p.ip for p in the_plan.pods})
        self.by_ip = {p.ip: p.name for p in the_plan.pods}
        self.by_interface = {port.interface: port.peer.name for port in self.ports}
        self.prefix = namespaces.run_prefix()
        self.node = f"{self.prefix}-node"
        self.netns = {p.name: f"{self.prefix}-p{i}" for i, p in enumerate(the_plan.pods)}
        self.responder = Responder(self.addresses.records, self.by_ip)
        self.started = False

    @property
    def rules(self) -> str:
        """The nftables input loaded into the node namespace."""
        return ruleset(TABLE, self.ports, self.addresses.virtual, self.policies if self.enforce else None, self.dns)

    def start(self) -> None:
        """Remove what SIGKILLed runs left, then create the namespaces, rules and DNS."""
        namespaces.delete_namespaces(namespaces.stale_namespaces())
        self.started = True
        namespaces.create(self.node, [(self.netns[p.name], p.ip) for p in self.plan.pods])
        loaded = namespaces.nft(self.node, ["-f", "-"], self.rules)
        if loaded.returncode != 0:
            raise RunLocalError(f"could not load the pod network's nftables rules: {loaded.stderr.strip()}")
        try:
            self.responder.start_in(self.node, DNS_IP)
        except OSError as err:
            raise RunLocalError(f"the cluster DNS responder did not start: {err}") from None

    def netns_path(self, pod: PodPlan) -> str:
        """The pod's network namespace, for the OCI config of each of its containers."""
        return str(namespaces.NETNS_DIR / self.netns[pod.name])

    def write_files(self, pod: PodPlan, bundle: Path) -> tuple[Path, Path]:
        """The pod's ``/etc/hosts`` (its own names, as the kubelet writes it) and resolv.conf.

        They go into the container start's private bundle, like its hostname file, never
        into a directory a container could have planted something in.
        """
        hosts, resolv = bundle / "hosts", bundle / "resolv.conf"
        write_new(
            hosts,
            f"127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n{pod.ip}\t{' '.join(pod.dns_names())}\n",
        )
        write_new(resolv, resolv_conf(pod.namespace))
        return hosts, resolv

    def drops(self) -> list[Dropped]:
        """Everything the enforcer and the bridge guard dropped so far."""
        if not self.started:
            return []
        out: list[Dropped] = []
        reads = [("inet", "drop_egress"), ("inet", "drop_ingress"), ("bridge", "spoofed")]
        for family, name in reads:
            done = namespaces.nft(self.node, ["-j", "list", "set", family, TABLE, name])
            if done.returncode != 0:
                continue
            for item in json.loads(done.stdout).get("nftables", []):
                nft_set = item.get("set")
                if not nft_set or nft_set.get("name") not in ("drop_egress", "drop_ingress", "spoofed"):
                    continue
                kind = nft_set["name"].removeprefix("drop_")
                for elem in nft_set.get("elem", []):
                    value = elem.get("elem", elem) if isinstance(elem, dict) else elem
                    parts = value.get("val", value) if isinstance(value, dict) else value
                    parts = parts["concat"] if isinstance(parts, dict) else parts
                    if kind == "spoofed":
                        out.append(Dropped(kind, str(parts[1]), str(parts[2]), 0, 0, str(parts[0])))
                    else:
                        proto = parts[2]
                        number = _PROTOCOLS.get(proto, proto) if isinstance(proto, str) else int(proto)
                        out.append(Dropped(kind, str(parts[0]), str(parts[1]), int(number), int(parts[3])))
        return out

    def close(self) -> None:
        """Stop the DNS responder and remove every namespace of the run."""
        self.responder.stop()
        if self.started:
            namespaces.delete_namespaces(namespaces.owned_namespaces(self.prefix))


_PROTOCOLS = {"tcp": 6, "udp": 17, "sctp": 132, "icmp": 1}

__all__ = ["Dropped", "PodNetwork", "pod_address"]
