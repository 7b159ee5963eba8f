"""The cdk8s-plus workload surface of a role: containers, volumes, env, pod metadata,
``scheduling`` and ``connections``, with cdk8s-plus-27's names and argument shapes.

Arguments that are cdk8s-plus types (``kplus.ContainerProps``, ``kplus.Volume``,
``kplus.LabeledNode``...) are rendered by cdk8s-plus itself, through a scratch
``kplus.Pod`` that lives in an app of its own and is never synthesized; only its JSON is
read, when the release renders. So every cdk8s-plus argument means exactly what it means
on a cdk8s-plus workload, with one difference, stated and tested: cdk8s-plus's container
defaults (CPU/memory, a read-only root filesystem, ``imagePullPolicy: Always``, a startup
probe) are not taken for a field the caller left out; the release's own defaults (the
restricted securityContext) apply instead. Nothing here runs unless a method is called, so
a release that uses none pays nothing.
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

import cdk8s
import cdk8s_plus_27 as kplus

from . import _pod_parts
from . import _render as r
from . import contract as c
from ._tree import apply_patches

if TYPE_CHECKING:
    from ._derive import Release
    from .options import MXNetOptions

Doc = dict[str, Any]
_PLACEHOLDER = "scratch-placeholder"
# cdk8s-plus's own marker label on a pod; it says nothing about ours.
_KPLUS_ADDRESS_LABEL = "cdk8s.io/metadata.addr"
# A cdk8s-plus container default, per ContainerProps field that sets it when given.
_KPLUS_DEFAULTS = {
    "security_context": "securityContext",
    "resources": "resources",
    "image_pull_policy": "imagePullPolicy",
    "startup": "startupProbe",
}
_scratch_charts: list[cdk8s.Chart] = []
_scratch_ids = itertools.count()


def _scratch_chart() -> cdk8s.Chart:
    if not _scratch_charts:
        _scratch_charts.append(cdk8s.Chart(cdk8s.App(), "scratch"))
    return _scratch_charts[0]


@dataclass
class _Added:
    """One container added by a method: a checked dict, or a cdk8s-plus container's name."""

    doc: Doc | None = None
    kplus_name: str | None = None
    given: frozenset[str] = frozenset()


@dataclass
class _Edits:
    containers: list[_Added] = field(default_factory=list)
    init_containers: list[_Added] = field(default_factory=list)
    volumes: list[Doc] = field(default_factory=list)
    env: list[tuple[str, Doc]] = field(default_factory=list)
    scratch: kplus.Pod | None = None

    def empty(self) -> bool:
        return not (self.containers or self.init_containers or self.volumes or self.env or self.scratch)


class _Role(Protocol):
    _options: MXNetOptions
    _release: Release | None
    _template: Doc | None

    def _changed(self) -> None: ...


def _merge_affinity(base: Mapping[str, Any], extra: Mapping[str, Any]) -> Doc:
    """``base`` and ``extra`` both apply: required node terms are ANDed, the rest add up."""
    out: Doc = copy.deepcopy(dict(base))
    for kind, section in extra.items():
        target = out.setdefault(kind, {})
        for key, value in section.items():
            if isinstance(value, list):
                target[key] = [*(target.get(key) or []), *copy.deepcopy(value)]
            elif key not in target:
                target[key] = copy.deepcopy(value)
            else:
                # Node selector terms are ORed, so each existing term gets the new expressions.
                extra_terms = value.get("nodeSelectorTerms") or []
                added = [expr for term in extra_terms for expr in term.get("matchExpressions") or []]
                for term in target[key].get("nodeSelectorTerms") or []:
                    term["matchExpressions"] = [*(term.get("matchExpressions") or []), *added]
    return out


class PodEdits:
    """What the role methods add to the pod template. Mixed into ``RoleConstruct``."""

    _edits: _Edits

    def _init_edits(self) -> None:
        self._edits = _Edits()

    def _scratch_pod(self: Any) -> kplus.Pod:
        edits: _Edits = self._edits
        if edits.scratch is None:
            edits.scratch = kplus.Pod(
                _scratch_chart(),
                f"pod{next(_scratch_ids)}",
                automount_service_account_token=True,
                containers=[kplus.ContainerProps(image="scratch", name=_PLACEHOLDER)],
            )
            if self._release is not None:
                # cdk8s-plus objects handed out (a Container, the metadata) can change
                # without telling us, so the release stops reusing what it derived.
                self._release.make_volatile()
        return edits.scratch

    def _container_names(self: Any) -> set[str]:
        template = self._template or {}
        spec = template.get("spec") or {}
        names = {str(x.get("name")) for key in ("containers", "initContainers") for x in spec.get(key) or []}
        for added in (*self._edits.containers, *self._edits.init_containers):
            names.add(str(added.kplus_name if added.doc is None else added.doc.get("name")))
        return names

    def _add(self: Any, init: bool, container: object, props: dict[str, Any]) -> kplus.Container | None:
        method = f"{type(self).__name__}.{'add_init_container' if init else 'add_container'}()"
        if (container is None) == (not props):
            raise TypeError(f"{method}: give a container (a dict or k8s.Container) or ContainerProps keywords")
        added: _Added
        out: kplus.Container | None = None
        if container is not None:
            doc = _pod_parts.check(container, "Container", method)
            added = _Added(doc=doc)
            name = str(doc["name"])
        else:
            name = str(props.get("name", "main"))
            if name in self._container_names():
                raise ValueError(f"{method}: name: {name!r} is taken by another container of this pod")
            pod = self._scratch_pod()
            try:
                out = pod.add_init_container(**props) if init else pod.add_container(**props)
            except TypeError as err:
                raise TypeError(f"{method}: {err}") from None
            added = _Added(kplus_name=name, given=frozenset(props))
        if added.doc is not None and name in self._container_names():
            raise ValueError(f"{method}: name: {name!r} is taken by another container of this pod")
        (self._edits.init_containers if init else self._edits.containers).append(added)
        self._changed()
        return out

    def add_container(
        self, container: _pod_parts.ContainerSpec | None = None, /, **props: Any
    ) -> kplus.Container | None:
        """Adds a container to this role's pods (cdk8s-plus ``add_container``).

        Give either a container (a dict in the Kubernetes spelling or a ``k8s.Container``;
        returns None) or the keywords of ``kplus.ContainerProps`` (``name``, ``image``,
        ``env_variables``, ``volume_mounts``, ``resources``, ...; returns the
        ``kplus.Container``, which may still be changed, e.g. ``.env.add_variable``). Either
        way the container gets the release's restricted securityContext defaults.
        """
        return self._add(False, container, props)

    def add_init_container(
        self, container: _pod_parts.ContainerSpec | None = None, /, **props: Any
    ) -> kplus.Container | None:
        """Adds an init container to this role's pods; arguments as :meth:`add_container`."""
        return self._add(True, container, props)

    def add_volume(self: Any, volume: kplus.Volume | Any) -> None:
        """Adds a volume to this role's pods: a ``kplus.Volume``, a ``k8s.Volume`` or a dict."""
        if isinstance(volume, kplus.Volume):
            self._scratch_pod().add_volume(volume)
        else:
            self._edits.volumes.append(_pod_parts.check(volume, "Volume", f"{type(self).__name__}.add_volume()"))
        self._changed()

    def add_env(self: Any, name: str, value: str | kplus.EnvValue, *, container: str = c.MAIN_CONTAINER) -> None:
        """Adds an environment variable to one container of this role's pods (the main one
        unless ``container`` names another): a string or a ``kplus.EnvValue``."""
        method = f"{type(self).__name__}.add_env()"
        if name in c.derived_env(self._names, self._options) or name == "DMLC_ROLE":
            raise ValueError(f"{method}: name: {name!r} is set by the release from its objects; it cannot be added")
        if container not in self._container_names():
            raise ValueError(f"{method}: container: no container named {container!r} in this role's pods")
        entry: Doc = {"name": name}
        if isinstance(value, str):
            entry["value"] = value
        elif isinstance(value, kplus.EnvValue):
            if value.value_from is not None:
                entry["valueFrom"] = _pod_parts.check(value.value_from, "EnvVarSource", f"{method} value")
            else:
                entry["value"] = str(value.value)
        else:
            raise TypeError(f"{method}: value: expected a string or a kplus.EnvValue, got {type(value).__name__}")
        self._edits.env.append((container, _pod_parts.check(entry, "EnvVar", method)))
        self._changed()

    @property
    def pod_metadata(self) -> cdk8s.ApiObjectMetadataDefinition:
        """The metadata of this role's pods (cdk8s-plus ``pod_metadata``): ``add_label``,
        ``add_annotation``. Selectors never change, so a label added here selects nothing new."""
        pod: kplus.Pod = self._scratch_pod()
        return pod.metadata

    def _kplus_container(self: Any, spec: Mapping[str, Any], key: str, added: _Added) -> Doc:
        found = next(x for x in spec.get(key) or [] if x.get("name") == added.kplus_name)
        doc = dict(found)
        for prop, json_key in _KPLUS_DEFAULTS.items():
            if prop not in added.given:
                doc.pop(json_key, None)
        return doc

    def _apply_edits(self: Any, template: Doc) -> Doc:
        edits: _Edits = self._edits
        if edits.empty():
            return template
        options: MXNetOptions = self._options
        out = copy.deepcopy(template)
        spec = out["spec"]
        scratch: Doc = {}
        if edits.scratch is not None:
            scratch = cdk8s.ApiObject.of(edits.scratch).to_json()
        scratch_spec = scratch.get("spec") or {}
        for key, added_list in (("containers", edits.containers), ("initContainers", edits.init_containers)):
            for added in added_list:
                doc = added.doc if added.doc is not None else self._kplus_container(scratch_spec, key, added)
                spec.setdefault(key, []).append(r.harden_container(options, copy.deepcopy(doc)))
        volumes = [*edits.volumes, *(scratch_spec.get("volumes") or [])]
        if volumes:
            have = {v.get("name") for v in spec.get("volumes") or []}
            spec["volumes"] = [*(spec.get("volumes") or []), *(v for v in volumes if v.get("name") not in have)]
        if scratch_spec.get("affinity"):
            spec["affinity"] = _merge_affinity(spec.get("affinity") or {}, scratch_spec["affinity"])
        if scratch_spec.get("tolerations"):
            spec["tolerations"] = [*(spec.get("tolerations") or []), *scratch_spec["tolerations"]]
        meta = scratch.get("metadata") or {}
        labels = {k: v for k, v in (meta.get("labels") or {}).items() if k != _KPLUS_ADDRESS_LABEL}
        if labels or meta.get("annotations"):
            pod_meta = out.setdefault("metadata", {})
            pod_meta["labels"] = {**labels, **(pod_meta.get("labels") or {})}
            if meta.get("annotations"):
                pod_meta["annotations"] = {**(pod_meta.get("annotations") or {}), **meta["annotations"]}
        for container_name, entry in edits.env:
            for container in (*spec.get("containers", []), *spec.get("initContainers", [])):
                if container.get("name") == container_name:
                    container["env"] = [*(container.get("env") or []), entry]
        result: Doc = r.canonical(out)
        return result


class ReplicatedJobHandle:
    """A role's escape hatch under ``lifecycle="jobset"``: its entry in the JobSet.

    Paths are those of a batch/v1 Job (``/spec/template/spec/nodeSelector``,
    ``/spec/backoffLimit``); each patch applies to this role's replicated job alone, before
    the release derives its values, like a patch on the role's Job under ``lifecycle="job"``.
    """

    def __init__(self, name: str, release: Release) -> None:
        self._name = name
        self._release = release
        self._ops: list[cdk8s.JsonPatch] = []

    @property
    def name(self) -> str:
        """The replicated job's name in the JobSet's ``replicatedJobs``."""
        return self._name

    def add_json_patch(self, *ops: cdk8s.JsonPatch) -> None:
        """Applies RFC 6902 JSON patch operations, with Job paths, to this replicated job."""
        self._ops.extend(ops)
        self._release.changed()

    def apply(self, entry: Doc) -> Doc:
        """``entry`` (one ``replicatedJobs`` item) with the patches applied."""
        if not self._ops:
            return entry
        template = entry["template"]
        job: Doc = {"apiVersion": "batch/v1", "kind": "Job", "metadata": template.get("metadata") or {}}
        job["spec"] = template["spec"]
        patched = apply_patches(job, tuple(self._ops))
        spec = patched["spec"]
        if isinstance(spec.get("template"), dict):
            # A container a patch added gets the restricted defaults like any other.
            spec = {**spec, "template": r.harden(self._release.options, spec["template"])}
        return {**entry, "template": {"metadata": patched.get("metadata") or {}, "spec": spec}}


class RoleScheduling:
    """cdk8s-plus ``PodScheduling`` for a role: where its pods may run."""

    def __init__(self, role: Any) -> None:
        self._role = role

    def _pod(self) -> kplus.Pod:
        pod: kplus.Pod = self._role._scratch_pod()
        self._role._changed()
        return pod

    def attract(self, node: kplus.LabeledNode, *, weight: int | None = None) -> None:
        """Run on nodes matching ``node`` (required, or preferred with ``weight``)."""
        self._pod().scheduling.attract(node, weight=weight)

    def colocate(
        self, selector: kplus.IPodSelector, *, topology: kplus.Topology | None = None, weight: int | None = None
    ) -> None:
        """Run in the same ``topology`` (default: hostname) as the pods ``selector`` selects."""
        self._pod().scheduling.colocate(selector, topology=topology, weight=weight)

    def separate(
        self, selector: kplus.IPodSelector, *, topology: kplus.Topology | None = None, weight: int | None = None
    ) -> None:
        """Never (or, with ``weight``, preferably not) share ``topology`` with those pods."""
        self._pod().scheduling.separate(selector, topology=topology, weight=weight)

    def tolerate(self, node: kplus.TaintedNode) -> None:
        """Tolerate the taints of ``node``."""
        self._pod().scheduling.tolerate(node)


def _role_ports(role: Any) -> list[int]:
    template = role._final_template()
    return [int(p["containerPort"]) for x in template["spec"].get("containers") or [] for p in x.get("ports") or []]


def _peer_ports(peer: object) -> list[int]:
    from .roles import RoleConstruct

    if isinstance(peer, RoleConstruct):
        return _role_ports(peer)
    ports: list[int] = []
    for container in getattr(peer, "containers", None) or []:
        ports += [p.number for p in container.ports or []]
    return ports


class RoleConnections:
    """cdk8s-plus ``PodConnections`` for a role: NetworkPolicies to and from its pods.

    As on a cdk8s-plus workload, ``allow_to``/``allow_from`` write the policy selecting this
    role's pods in the release's namespace and, unless ``isolation`` says otherwise, the
    opposite policy selecting the peer in the peer's namespace. The release's own
    NetworkPolicy stays: policies add up.
    """

    def __init__(self, role: Any) -> None:
        self._role = role

    def _allow(
        self, direction: str, peer: kplus.INetworkPolicyPeer, isolation: Any, ports: list[kplus.NetworkPolicyPort]
    ) -> None:
        role = self._role
        namespace = role.namespace
        meta = cdk8s.ApiObjectMetadata(namespace=namespace) if namespace else None
        address = peer.node.addr if hasattr(peer, "node") else str(next(_scratch_ids))
        if isolation in (None, kplus.PodConnectionsIsolation.POD):
            own = kplus.NetworkPolicy(role, f"Allow{direction}{address}", selector=role, metadata=meta)
            if direction == "Egress":
                own.add_egress_rule(peer, ports)
            else:
                own.add_ingress_rule(peer, ports)
        if isolation not in (None, kplus.PodConnectionsIsolation.PEER):
            return
        if peer.to_network_policy_peer_config().ip_block is not None:
            return
        selector = peer.to_pod_selector()
        if selector is None:
            raise ValueError(f"{type(role).__name__}.connections: peer {peer!r} selects no pods")
        config = selector.to_pod_selector_config()
        names = list(config.namespaces.names or []) if config.namespaces is not None else []
        if config.namespaces is not None and not names:
            raise ValueError(
                f"{type(role).__name__}.connections: peer {peer!r} names its namespaces by labels; "
                "the opposite policy needs namespace names"
            )
        rule = [kplus.NetworkPolicyRule(peer=role, ports=ports)]
        traffic = kplus.NetworkPolicyTraffic(rules=rule)
        opposite = "Ingress" if direction == "Egress" else "Egress"
        for name in names or [namespace]:
            peer_meta = cdk8s.ApiObjectMetadata(namespace=name) if name else None
            kwargs = {"ingress": traffic} if opposite == "Ingress" else {"egress": traffic}
            kplus.NetworkPolicy(
                role, f"Allow{opposite}{name or ''}{address}", selector=selector, metadata=peer_meta, **kwargs
            )

    def allow_to(
        self,
        peer: kplus.INetworkPolicyPeer,
        *,
        isolation: kplus.PodConnectionsIsolation | None = None,
        ports: list[kplus.NetworkPolicyPort] | None = None,
    ) -> None:
        """Allow traffic from this role's pods to ``peer`` (default ports: the peer's)."""
        chosen = ports if ports is not None else [kplus.NetworkPolicyPort.tcp(p) for p in _peer_ports(peer)]
        self._allow("Egress", peer, isolation, chosen)

    def allow_from(
        self,
        peer: kplus.INetworkPolicyPeer,
        *,
        isolation: kplus.PodConnectionsIsolation | None = None,
        ports: list[kplus.NetworkPolicyPort] | None = None,
    ) -> None:
        """Allow traffic from ``peer`` to this role's pods (default ports: this role's)."""
        chosen = ports if ports is not None else [kplus.NetworkPolicyPort.tcp(p) for p in _role_ports(self._role)]
        self._allow("Ingress", peer, isolation, chosen)

    def isolate(self) -> None:
        """Deny all traffic to and from this role's pods that no other policy allows."""
        role = self._role
        namespace = role.namespace
        deny = kplus.NetworkPolicyTrafficDefault.DENY
        kplus.NetworkPolicy(
            role,
            "DefaultDenyAll",
            selector=role,
            metadata=cdk8s.ApiObjectMetadata(namespace=namespace) if namespace else None,
            egress=kplus.NetworkPolicyTraffic(default=deny),
            ingress=kplus.NetworkPolicyTraffic(default=deny),
        )
