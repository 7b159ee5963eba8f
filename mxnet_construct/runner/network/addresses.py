"""Addresses and names of a run's pod network, worked out from the manifests alone.

The ranges are kubeadm's defaults (pods in ``10.244.0.0/16``, Services in ``10.96.0.0/16``,
the cluster DNS at ``10.96.0.10``), so ``ipBlock`` policies written for such a cluster read
the same here. They exist only inside the network namespaces run-local creates, which have
no route to anywhere else, so they cannot clash with a real network on the machine.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TypeGuard

from ...manifests import Manifests, Service
from ...policies.network import PROTOCOLS
from ..model import RunLocalError

POD_NETWORK = ipaddress.IPv4Network("10.244.0.0/16")
GATEWAY = "10.244.0.1"
SERVICE_NETWORK = ipaddress.IPv4Network("10.96.0.0/16")
DNS_IP = "10.96.0.10"
CLUSTER_DOMAIN = "cluster.local"
# The gateway and the broadcast address are not pods.
MAX_PODS = POD_NETWORK.num_addresses - 3


def pod_address(index: int) -> str:
    """The IP of the ``index``-th pod of a run (the gateway is ``.0.1``)."""
    if not 0 <= index < MAX_PODS:
        raise RunLocalError(f"pod index {index} is outside the pod network {POD_NETWORK} ({MAX_PODS} pods at most)")
    return str(POD_NETWORK.network_address + 2 + index)


@dataclass(frozen=True)
class Backend:
    """A Service port translated to one pod's port (what kube-proxy calls an endpoint)."""

    ip: str
    port: int


@dataclass(frozen=True)
class VirtualPort:
    """One port of a ClusterIP Service: ``ip:port/protocol`` and the pods behind it."""

    service: str
    ip: str
    port: int
    protocol: str
    backends: tuple[Backend, ...]


@dataclass(frozen=True)
class ClusterAddresses:
    """The run's DNS records and Service virtual IPs."""

    records: Mapping[str, tuple[str, ...]]
    virtual: tuple[VirtualPort, ...]

    @classmethod
    def of(cls, model: Manifests, pod_ips: Mapping[str, str]) -> ClusterAddresses:
        """Records as a cluster's DNS serves them: a ClusterIP Service's name resolves to its
        virtual IP, a headless Service's to the IPs of the pods it selects, and a pod with a
        ``subdomain`` to its own IP as ``<hostname>.<subdomain>.<ns>.svc.cluster.local``."""
        records: dict[str, list[str]] = {}
        virtual: list[VirtualPort] = []
        vip = int(SERVICE_NETWORK.network_address) + 257
        for svc in model.services:
            if svc.selector is None:
                continue  # endpoints of a selector-less Service are managed by hand: none here
            selected = [p for p in model.pods if svc.selects(p) and p.name in pod_ips]
            if svc.headless:
                records[_fqdn(svc)] = [pod_ips[p.name] for p in selected]
                continue
            ip = str(ipaddress.IPv4Address(vip))
            vip += 1
            records[_fqdn(svc)] = [ip]
            for i, port in enumerate(svc.ports):
                if port.protocol not in PROTOCOLS:
                    raise RunLocalError(
                        f"Service/{svc.name} spec.ports[{i}].protocol: {port.protocol!r} is not one of {', '.join(PROTOCOLS)}"
                    )
                backends = tuple(
                    Backend(pod_ips[ep.pod.name], ep.target)
                    for ep in svc.endpoints(selected)
                    if ep.port == port and is_port(ep.target)
                )
                virtual.append(VirtualPort(f"{svc.namespace}/{svc.name}", ip, port.port, port.protocol, backends))
        for pod in model.pods:
            if pod.subdomain and pod.name in pod_ips:
                subdomain = f"{pod.subdomain}.{pod.namespace}.svc.{CLUSTER_DOMAIN}"
                records.setdefault(f"{pod.hostname}.{subdomain}", []).append(pod_ips[pod.name])
                # A JobSet's pods name a headless Service the JobSet controller creates.
                if not any(s.name == pod.subdomain and s.namespace == pod.namespace for s in model.services):
                    records.setdefault(subdomain, []).append(pod_ips[pod.name])
        return cls({k: tuple(dict.fromkeys(v)) for k, v in records.items()}, tuple(virtual))


def is_port(value: object) -> TypeGuard[int]:
    """A port number nftables can take (a manifest's containerPort is not checked elsewhere)."""
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 65535


def _fqdn(svc: Service) -> str:
    return f"{svc.name}.{svc.namespace}.svc.{CLUSTER_DOMAIN}"


def resolv_conf(namespace: str) -> str:
    """A pod's ``/etc/resolv.conf``, as the kubelet writes it for ``dnsPolicy: ClusterFirst``."""
    search = f"{namespace}.svc.{CLUSTER_DOMAIN} svc.{CLUSTER_DOMAIN} {CLUSTER_DOMAIN}"
    return f"search {search}\nnameserver {DNS_IP}\noptions ndots:5\n"


__all__ = [
    "CLUSTER_DOMAIN",
    "DNS_IP",
    "GATEWAY",
    "MAX_PODS",
    "POD_NETWORK",
    "SERVICE_NETWORK",
    "Backend",
    "ClusterAddresses",
    "VirtualPort",
    "is_port",
    "pod_address",
    "resolv_conf",
]
