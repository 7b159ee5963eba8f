"""Services and the endpoints they forward to."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ._base import Doc, ManifestError, meta, string_map
from ._pods import Pod
from ._selectors import map_selects


@dataclass(frozen=True)
class ServicePort:
    port: int
    target: int | str
    name: str | None = None
    protocol: str = "TCP"
    node_port: int | None = None


@dataclass(frozen=True)
class Endpoint:
    """One pod behind a Service port; ``target`` is None when a named targetPort is undeclared."""

    pod: Pod
    port: ServicePort
    target: int | None


@dataclass(frozen=True)
class Service:
    name: str
    namespace: str
    type: str
    headless: bool
    selector: Mapping[str, str] | None
    ports: tuple[ServicePort, ...]
    doc: Mapping[str, Any]

    @classmethod
    def of(cls, doc: Doc) -> Service:
        name, namespace = meta(doc)
        spec = doc.get("spec") or {}
        ports: list[ServicePort] = []
        for i, p in enumerate(spec.get("ports") or []):
            port = p.get("port") if isinstance(p, Mapping) else None
            if isinstance(port, bool) or not isinstance(port, int):
                raise ManifestError(f"Service/{name} spec.ports[{i}].port: {port!r} is not a port number")
            target = p.get("targetPort", port)
            ports.append(
                ServicePort(
                    port,
                    target if isinstance(target, int | str) else port,
                    p.get("name"),
                    p.get("protocol") or "TCP",
                    p.get("nodePort"),
                )
            )
        selector = spec.get("selector")
        return cls(
            name,
            namespace,
            str(spec.get("type") or "ClusterIP"),
            spec.get("clusterIP") == "None",
            string_map(selector, f"Service/{name} spec.selector") if selector is not None else None,
            tuple(ports),
            doc,
        )

    def selects(self, pod: Pod) -> bool:
        return pod.namespace == self.namespace and map_selects(self.selector, pod.labels)

    def endpoints(self, pods: Iterable[Pod]) -> list[Endpoint]:
        """Every (pod, port) the Service forwards to, named targetPorts resolved per pod."""
        out: list[Endpoint] = []
        for pod in pods:
            if not self.selects(pod):
                continue
            for port in self.ports:
                target = port.target if isinstance(port.target, int) else pod.named_port(port.target, port.protocol)
                out.append(Endpoint(pod, port, target))
        return out

    def dns_names(self) -> list[str]:
        n, ns = self.name, self.namespace
        return [n, f"{n}.{ns}", f"{n}.{ns}.svc", f"{n}.{ns}.svc.cluster.local"]
