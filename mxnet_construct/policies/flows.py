"""The connections a ps-lite job opens, derived from the manifests alone.

Read from ps-lite's source (``src/van.cc`` and ``src/zmq_van.h``, the ZMQ van MXNet 1.9.1
uses), so a NetworkPolicy can be checked against every connection before anything runs:

* Every node, the scheduler included, connects to ``DMLC_PS_ROOT_URI:DMLC_PS_ROOT_PORT``;
  through a Service that is the scheduler pod on the Service's ``targetPort``.
* Servers and workers listen on a port of their own: ``PORT`` from the env when set,
  otherwise one the kernel picks (``bind`` to port 0: the ephemeral range, Linux's
  default ``net.ipv4.ip_local_port_range`` is 32768-60999); if binding that fails, ps-lite
  retries on ``10000 + rand() % 40000``. Without ``PORT`` the port can therefore be anything
  in 10000-60999 (:data:`NODE_PORTS`), and a policy must allow the whole range.
* Once the scheduler announces the nodes, each node connects to every node of another
  role and to itself: the scheduler to every server and worker, workers to every server,
  servers to every worker (workers never connect to workers, nor servers to servers).
* Every pod resolves names through the cluster DNS (UDP and TCP port 53).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ..manifests import Manifests, Pod, Service
from .network import Peer, kube_dns, peers

NODE_PORTS = (10000, 60999)
DNS_PORT = 53


@dataclass(frozen=True)
class Flow:
    """``src`` connects to ``dst`` on a port in ``ports`` (inclusive), for ``purpose``."""

    src: Peer
    dst: Peer
    ports: tuple[int, int]
    protocol: str
    purpose: str


def _node_ports(pod: Pod) -> tuple[int, int]:
    port = pod.env.get("PORT")
    return (int(port), int(port)) if port and port.isdigit() else NODE_PORTS


def _scheduler_port(model: Manifests, pod: Pod) -> tuple[Pod, int] | None:
    """The scheduler pod and the port ``pod`` reaches it on, as DNS and the Service route it."""
    env = pod.env
    uri, port_text = env.get("DMLC_PS_ROOT_URI"), env.get("DMLC_PS_ROOT_PORT")
    if not uri or not port_text or not port_text.isdigit():
        return None
    port = int(port_text)
    if pod.role == "scheduler":
        return pod, port
    target = model.resolve(uri, pod.namespace)
    if isinstance(target, Pod):
        return target, port
    if isinstance(target, Service):
        for ep in target.endpoints(model.pods):
            if ep.port.port == port and ep.pod.role == "scheduler" and ep.target is not None:
                return ep.pod, ep.target
    return None


def ps_lite_flows(model: Manifests, ips: Mapping[str, str] | None = None, *, dns: Peer | None = None) -> list[Flow]:
    """Every connection the ps-lite jobs of ``model`` open, DNS included.

    ``ips`` maps pod names to addresses (default: :func:`~.network.peers` numbering);
    ``dns`` is the cluster DNS pod (default :func:`~.network.kube_dns`). Raises
    ``ValueError`` naming the pod whose scheduler address leads to no scheduler in the
    manifests, since its connections cannot be known.
    """
    by_name = peers(model, ips)
    dns = dns or kube_dns()
    flows: list[Flow] = []
    nodes = [p for p in model.pods if p.role is not None]
    for pod in model.pods:
        for protocol in ("UDP", "TCP"):
            flows.append(Flow(by_name[pod.name], dns, (DNS_PORT, DNS_PORT), protocol, "DNS"))
    jobs: dict[str, list[Pod]] = {}
    for pod in nodes:
        found = _scheduler_port(model, pod)
        if found is None:
            raise ValueError(
                f"pod {pod.name}: DMLC_PS_ROOT_URI={pod.env.get('DMLC_PS_ROOT_URI')!r} port "
                f"{pod.env.get('DMLC_PS_ROOT_PORT')!r} leads to no scheduler pod in these manifests"
            )
        scheduler, port = found
        jobs.setdefault(scheduler.name, []).append(pod)
        purpose = "scheduler connects to itself" if pod is scheduler else f"{pod.role} registers with the scheduler"
        flows.append(Flow(by_name[pod.name], by_name[scheduler.name], (port, port), "TCP", purpose))
    for members in jobs.values():
        for src in members:
            for dst in members:
                if dst.role == "scheduler" or (src.role == dst.role and src is not dst):
                    continue
                why = "connects to itself" if src is dst else f"connects to {dst.role}"
                flows.append(Flow(by_name[src.name], by_name[dst.name], _node_ports(dst), "TCP", f"{src.role} {why}"))
    return flows


__all__ = ["DNS_PORT", "NODE_PORTS", "Flow", "ps_lite_flows"]
