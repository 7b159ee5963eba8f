"""The parts of a pod: resources, env, probes, storage, security, per-role overrides and
user-supplied containers."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal

from .. import _pod_parts
from .. import _validate as v
from .._validate import OptionError
from ._common import (
    ACCESS_MODES,
    BYTE_RESOURCES,
    POD_MANAGEMENT_POLICIES,
    AccessMode,
    NamedObject,
    PodManagementPolicy,
    Quantity,
    _check_abs_path,
    _check_bytes,
    _keyword_hints,
    _set,
)
from ._images import DEFAULT_VOLUME_PERMISSIONS_IMAGE, Image

# Each EnvVarSource kind and the field Kubernetes requires in it.
VALUE_FROM_REQUIRED = {
    "fieldRef": "fieldPath",
    "resourceFieldRef": "resource",
    "configMapKeyRef": "key",
    "secretKeyRef": "key",
}
VALUE_FROM_KINDS = tuple(VALUE_FROM_REQUIRED)


@_keyword_hints
@dataclass(frozen=True, kw_only=True)
class Resources:
    """Container resource requests and limits, as Kubernetes quantities.

    Args:
        requests: e.g. ``{"cpu": "500m", "memory": "1Gi"}``.
        limits: e.g. ``{"memory": "2Gi"}``. Chart: ``resources`` (default none).
    """

    requests: Mapping[str, Quantity] = field(default_factory=dict)
    limits: Mapping[str, Quantity] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.validate("resources")
        for part in ("requests", "limits"):
            _set(self, part, MappingProxyType(dict(getattr(self, part))))

    def validate(self, where: str) -> None:
        """Raises OptionError naming ``where.<field>`` for a bad value."""
        for part in ("requests", "limits"):
            values = v.check_mapping(f"{where}.{part}", getattr(self, part))
            for name, qty in values.items():
                v.check_label_key(f"{where}.{part} key", name)
                v.check_quantity(f"{where}.{part}[{name!r}]", qty)
                if name in BYTE_RESOURCES:
                    _check_bytes(f"{where}.{part}[{name!r}]", qty)

    def to_json(self) -> dict[str, Any]:
        """The Kubernetes ``resources`` object."""
        out: dict[str, Any] = {}
        if self.limits:
            out["limits"] = dict(self.limits)
        if self.requests:
            out["requests"] = dict(self.requests)
        return out


@_keyword_hints
@dataclass(frozen=True, kw_only=True)
class EnvVar:
    """One environment variable: a plain ``value`` or a ``value_from`` source.

    Args:
        name: Variable name.
        value: Literal value. Never put secrets here: use ``value_from`` with a
            ``secretKeyRef`` (or :meth:`from_secret`) so the synthesized YAML holds only a
            reference. A non-empty literal under a credential-like name (``*_PASSWORD``,
            ``*_TOKEN``, ``*_SECRET*``, ``*_API_KEY``, ...) is refused.
        value_from: A Kubernetes ``EnvVarSource`` in its YAML form, e.g.
            ``{"secretKeyRef": {"name": "s3", "key": "token"}}``.
        not_secret: Set to true to state that a literal ``value`` under a
            credential-like name is not a credential (e.g. ``TOKEN_LIMIT=512``), which
            lifts that refusal for this variable.
    """

    name: str
    value: str | None = None
    value_from: Mapping[str, Any] | None = None
    not_secret: bool = False

    def __post_init__(self) -> None:
        self.validate("env")
        if self.value_from is not None:
            _set(self, "value_from", v.freeze(self.value_from))

    def validate(self, where: str) -> None:
        """Raises OptionError naming ``where[<name>].<field>`` for a bad value."""
        v.check_env_name(f"{where}.name", self.name)
        v.check_bool(f"{where}[{self.name}].not_secret", self.not_secret)
        if self.value is not None:
            v.check_str(f"{where}[{self.name}].value", self.value)
            if self.value and not self.not_secret and v.looks_like_secret_name(self.name):
                # The value is left out of the message on purpose: it is likely a credential.
                raise OptionError(
                    f"{where}[{self.name}].value",
                    "<hidden>",
                    f"a literal value for a credential-like name would be "
                    f"written in plain text into the manifests; use EnvVar.from_secret({self.name!r}, "
                    f"'<secret name>', '<key>'), or EnvVar(..., not_secret=True) if it is not a credential",
                )
            if not self.not_secret and v.text_has_url_credentials(self.value):
                raise OptionError(
                    f"{where}[{self.name}].value",
                    "<hidden>",
                    "the value holds a URL with credentials before '@', which would be written in plain text "
                    f"into the manifests; put the URL in a Secret and use EnvVar.from_secret({self.name!r}, "
                    "'<secret name>', '<key>'), or EnvVar(..., not_secret=True) if it is not a credential",
                )
        if self.value_from is not None:
            source = v.check_mapping(f"{where}[{self.name}].value_from", self.value_from)
            kinds = [k for k in source if k in VALUE_FROM_KINDS]
            if len(kinds) != 1 or len(source) != 1:
                v.fail(
                    f"{where}[{self.name}].value_from",
                    dict(source),
                    "give exactly one of " + ", ".join(VALUE_FROM_KINDS),
                )
            v.check_json(f"{where}[{self.name}].value_from", source)
            kind = kinds[0]
            ref = v.check_mapping(f"{where}[{self.name}].value_from.{kind}", source[kind])
            required = VALUE_FROM_REQUIRED[kind]
            at = f"{where}[{self.name}].value_from.{kind}"
            v.check_str(f"{at}.{required}", ref.get(required), allow_empty=False)
            if kind in ("configMapKeyRef", "secretKeyRef"):
                v.check_configmap_key(f"{at}.key", ref["key"])
                if ref.get("name") is not None:
                    v.check_dns_subdomain(f"{at}.name", ref["name"])
            elif not v.matches(v.FIELD_PATH, ref[required]):
                v.fail(f"{at}.{required}", ref[required], "use a field path such as 'status.podIP' or 'limits.cpu'")
        if (self.value is None) == (self.value_from is None):
            v.fail(f"{where}[{self.name}]", self, "set exactly one of value and value_from")

    @classmethod
    def from_secret(cls, name: str, secret: str | NamedObject, key: str) -> EnvVar:
        """A variable read from a Secret key (the Secret by name or as a cdk8s-plus
        ``Secret``); the value never appears in the manifests."""
        secret_name = v.object_name(f"env[{name}].value_from.secretKeyRef.name", secret, "Secret")
        return cls(name=name, value_from={"secretKeyRef": {"name": secret_name, "key": key}})

    @classmethod
    def from_field(cls, name: str, field_path: str) -> EnvVar:
        """A variable from the pod's own fields, e.g. ``status.podIP``."""
        return cls(name=name, value_from={"fieldRef": {"fieldPath": field_path}})

    def to_json(self) -> dict[str, Any]:
        """The Kubernetes ``EnvVar`` object."""
        if self.value_from is not None:
            return {"name": self.name, "valueFrom": v.thaw(self.value_from)}
        return {"name": self.name, "value": self.value}


@_keyword_hints
@dataclass(frozen=True, kw_only=True)
class Probe:
    """Liveness or readiness probe timing. Chart: ``livenessProbe.*``, ``readinessProbe.*``.

    The scheduler is probed with a TCP connect on its port. The chart probed servers and
    workers with ``python3 -c "import mxnet"`` every 5 s, which loads the whole framework
    each time; here they run a check that MXNet is importable without importing it.

    Args:
        enabled: Add the probe. Chart: ``*.enabled``.
        initial_delay_seconds: Wait before the first probe. Chart: ``*.initialDelaySeconds``.
        period_seconds: Time between probes. Chart: ``*.periodSeconds``.
        timeout_seconds: Time a probe may take. Chart: ``*.timeoutSeconds``.
        success_threshold: Successes that mark the pod healthy again; Kubernetes requires
            1 for liveness probes. Chart: ``*.successThreshold``.
        failure_threshold: Failures in a row before the pod is restarted (liveness) or
            taken out of its Services (readiness). Chart: ``*.failureThreshold``.
    """

    enabled: bool = True
    initial_delay_seconds: int = 5
    period_seconds: int = 5
    timeout_seconds: int = 5
    success_threshold: int = 1
    failure_threshold: int = 5

    def __post_init__(self) -> None:
        self.validate("probe")

    def validate(self, where: str) -> None:
        v.check_bool(f"{where}.enabled", self.enabled)
        v.check_int(f"{where}.initial_delay_seconds", self.initial_delay_seconds, minimum=0)
        v.check_int(f"{where}.period_seconds", self.period_seconds, minimum=1)
        v.check_int(f"{where}.timeout_seconds", self.timeout_seconds, minimum=1)
        v.check_int(f"{where}.success_threshold", self.success_threshold, minimum=1)
        v.check_int(f"{where}.failure_threshold", self.failure_threshold, minimum=1)

    def timing(self) -> dict[str, int]:
        """The probe's timing fields in Kubernetes spelling."""
        return {
            "failureThreshold": self.failure_threshold,
            "initialDelaySeconds": self.initial_delay_seconds,
            "periodSeconds": self.period_seconds,
            "successThreshold": self.success_threshold,
            "timeoutSeconds": self.timeout_seconds,
        }


@_keyword_hints
@dataclass(frozen=True, kw_only=True)
class Persistence:
    """The ``data`` volume mounted at ``mount_path``. Chart: ``persistence.*``.

    Disabled, it is an emptyDir. Enabled, the scheduler and standalone pods mount a
    PersistentVolumeClaim named ``<fullname>-scheduler`` / ``<fullname>``, the names chart
    1.4.x gave them (so a release adopted from it keeps its data), and servers and workers
    get one claim per pod from a volumeClaimTemplate named ``data`` labelled like the chart's.

    Args:
        enabled: Use PersistentVolumeClaims instead of an emptyDir.
            Chart: ``persistence.enabled``.
        mount_path: Where the ``data`` volume is mounted. Chart: ``persistence.mountPath``.
        storage_class: ``storageClassName``; ``"-"`` writes ``""`` (no dynamic
            provisioning), as in Helm charts. ``global_storage_class``, when set, wins
            over it, as in the chart (a claim's class can't change once it exists).
        access_mode: The claims' access mode. Chart: ``persistence.accessMode``.
        access_modes: The claims' access modes; when set, they replace ``access_mode``
            (which must then be one of them). Chart: ``persistence.accessModes``, the list
            chart 1.4.x actually wrote into its claims.
        size: Requested storage per claim. Chart: ``persistence.size``.
        annotations: Annotations of the claims. Chart: ``persistence.annotations``.
    """

    enabled: bool = False
    mount_path: str = "/bitnami/mxnet"
    storage_class: str | None = None
    access_mode: AccessMode = "ReadWriteOnce"
    access_modes: Sequence[AccessMode] = ()
    size: Quantity = "8Gi"
    annotations: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.validate("persistence")
        _set(self, "annotations", v.freeze(self.annotations))

    def validate(self, where: str) -> None:
        """Raises OptionError naming ``where.<field>`` for a bad value."""
        v.check_bool(f"{where}.enabled", self.enabled)
        _check_abs_path(f"{where}.mount_path", self.mount_path)
        if self.storage_class is not None and self.storage_class != "-":
            v.check_dns_subdomain(f"{where}.storage_class", self.storage_class)
        v.check_choice(f"{where}.access_mode", self.access_mode, ACCESS_MODES)
        _check_access_modes(where, self)
        v.check_quantity(f"{where}.size", self.size)
        _check_bytes(f"{where}.size", self.size)
        v.check_str_mapping(f"{where}.annotations", self.annotations, keys="annotation")

    def modes(self) -> list[str]:
        """The claims' ``accessModes``: ``access_modes`` when set, else ``[access_mode]``."""
        return list(self.access_modes) if self.access_modes else [self.access_mode]


def _check_access_modes(where: str, p: Persistence) -> None:
    modes = v.check_list(f"{where}.access_modes", p.access_modes)
    for i, mode in enumerate(modes):
        v.check_choice(f"{where}.access_modes[{i}]", mode, ACCESS_MODES)
    if len(set(modes)) != len(modes):
        v.fail(f"{where}.access_modes", list(modes), "list each access mode once")
    if modes and p.access_mode != "ReadWriteOnce" and p.access_mode not in modes:
        # Two settings that disagree: a claim's access modes can't change later, so guess neither.
        v.fail(
            f"{where}.access_mode",
            p.access_mode,
            f"it is not in access_modes {list(modes)}, which replace it; set one of the two",
        )


@_keyword_hints
@dataclass(frozen=True, kw_only=True)
class SecurityContext:
    """Pod and container security settings.

    ``enabled``, ``fs_group`` and ``run_as_user`` are the chart's ``securityContext.*``.
    The rest make every pod meet the Kubernetes "restricted" Pod Security Standard by
    default; each can be relaxed on its own.

    Args:
        enabled: Write the pod-level ``fsGroup``/``runAsUser``. Chart default true.
        fs_group: Chart default 1001.
        run_as_user: Chart default 1001.
        run_as_non_root: Refuse to start containers that would run as root.
        seccomp_profile: ``RuntimeDefault`` or ``Unconfined``; None omits it.
        allow_privilege_escalation: Container ``allowPrivilegeEscalation``.
        drop_capabilities: Capabilities dropped from every container.
        read_only_root_filesystem: Off by default because MXNet and user scripts write
            caches under the home directory.
    """

    enabled: bool = True
    fs_group: int = 1001
    run_as_user: int = 1001
    run_as_non_root: bool = True
    seccomp_profile: Literal["RuntimeDefault", "Unconfined"] | None = "RuntimeDefault"
    allow_privilege_escalation: bool = False
    drop_capabilities: Sequence[str] = ("ALL",)
    read_only_root_filesystem: bool = False

    def __post_init__(self) -> None:
        self.validate("security_context")
        _set(self, "drop_capabilities", tuple(self.drop_capabilities))

    def validate(self, where: str) -> None:
        """Raises OptionError naming ``where.<field>`` for a bad value."""
        v.check_bool(f"{where}.enabled", self.enabled)
        v.check_int(f"{where}.fs_group", self.fs_group, minimum=0, maximum=2**31 - 1)
        v.check_int(f"{where}.run_as_user", self.run_as_user, minimum=0, maximum=2**31 - 1)
        v.check_bool(f"{where}.run_as_non_root", self.run_as_non_root)
        if self.run_as_non_root and self.enabled and self.run_as_user == 0:
            v.fail(f"{where}.run_as_user", 0, "run_as_non_root is set, so the user must not be 0")
        if self.seccomp_profile is not None:
            v.check_choice(f"{where}.seccomp_profile", self.seccomp_profile, ("RuntimeDefault", "Unconfined"))
        v.check_bool(f"{where}.allow_privilege_escalation", self.allow_privilege_escalation)
        for i, cap in enumerate(v.check_list(f"{where}.drop_capabilities", self.drop_capabilities)):
            v.check_str(f"{where}.drop_capabilities[{i}]", cap, allow_empty=False, max_len=64)
            if not v.matches(v.CAPABILITY, cap):
                v.fail(f"{where}.drop_capabilities[{i}]", cap, "a capability is a name such as 'ALL' or 'NET_RAW'")
        v.check_bool(f"{where}.read_only_root_filesystem", self.read_only_root_filesystem)

    def pod_json(self) -> dict[str, Any]:
        """The pod-level ``securityContext``."""
        out: dict[str, Any] = {}
        if self.enabled:
            out["fsGroup"] = self.fs_group
            out["runAsUser"] = self.run_as_user
        if self.run_as_non_root:
            out["runAsNonRoot"] = True
        if self.seccomp_profile:
            out["seccompProfile"] = {"type": self.seccomp_profile}
        return out

    def container_json(self) -> dict[str, Any]:
        """The container-level ``securityContext``."""
        out: dict[str, Any] = {"allowPrivilegeEscalation": self.allow_privilege_escalation}
        if self.drop_capabilities:
            out["capabilities"] = {"drop": list(self.drop_capabilities)}
        if self.read_only_root_filesystem:
            out["readOnlyRootFilesystem"] = True
        return out


@_keyword_hints
@dataclass(frozen=True, kw_only=True)
class VolumePermissions:
    """An init container that ``chown``s the data volume to ``run_as_user:fs_group``.

    Chart: ``volumePermissions.*``. It runs as root, so it is the one documented exception
    to the restricted profile, and it exists only when enabled.

    Args:
        enabled: Add the init container. Chart: ``volumePermissions.enabled``.
        image: Its image. Chart: ``volumePermissions.image.*``.
        resources: Its requests and limits; None sets none.
            Chart: ``volumePermissions.resources``.
    """

    enabled: bool = False
    image: Image = DEFAULT_VOLUME_PERMISSIONS_IMAGE
    resources: Resources | None = None

    def __post_init__(self) -> None:
        v.check_bool("volume_permissions.enabled", self.enabled)
        v.check_type("volume_permissions.image", self.image, Image, "an Image")
        if self.resources is not None:
            v.check_type("volume_permissions.resources", self.resources, Resources, "a Resources")


@_keyword_hints
@dataclass(frozen=True, kw_only=True)
class RoleOptions:
    """Per-role overrides for the scheduler, the servers or the workers.

    A field left as None inherits the release-wide value; ``extra_env`` is appended to
    the release-wide ``extra_env`` (Chart: ``schedulerExtraEnvVars``,
    ``serverExtraEnvVars``, ``workerExtraEnvVars``).

    Args:
        resources: Requests and limits of this role's main container.
        node_selector: Node labels this role's pods require.
        tolerations: Taints this role's pods tolerate (Kubernetes toleration YAML).
        affinity: This role's pod affinity (Kubernetes affinity YAML).
        extra_env: Env added to this role after the release-wide ``extra_env``.
        gpus: ``nvidia.com/gpu`` limit per pod. Above zero it also mounts a memory-backed
            ``/dev/shm``, which data loaders need.
        shm_size: Size limit of that ``/dev/shm`` volume.
        pod_management_policy: Of this role's StatefulSet (servers, workers); None uses the
            release-wide one. Chart 3.x: ``server.podManagementPolicy``,
            ``worker.podManagementPolicy``.

    The fields are checked (and frozen) when ``MXNetOptions`` or ``MXNetChart`` takes the
    object, before anything is synthesized: only then is the role known, so an error says
    ``worker.gpus`` rather than a bare ``gpus``.
    """

    resources: Resources | None = None
    node_selector: Mapping[str, str] | None = None
    tolerations: Sequence[Mapping[str, Any]] | None = None
    affinity: Mapping[str, Any] | None = None
    extra_env: Sequence[EnvVar] = ()
    gpus: int = 0
    shm_size: Quantity = "1Gi"
    pod_management_policy: PodManagementPolicy | None = None

    def _checked(self, where: str) -> None:
        """Validates as role ``where``, then freezes the mapping and sequence fields."""
        accept_kubernetes_types(self, f"{where}.")
        self.validate(where)
        for name in ("node_selector", "tolerations", "affinity", "extra_env"):
            if getattr(self, name) is not None:
                _set(self, name, v.freeze(getattr(self, name)))

    def validate(self, where: str) -> None:
        """Raises OptionError naming ``where.<field>`` for a bad value."""
        if self.resources is not None:
            v.check_type(f"{where}.resources", self.resources, Resources, "a Resources")
        if self.node_selector is not None:
            v.check_str_mapping(f"{where}.node_selector", self.node_selector, keys="label", values="label")
        if self.tolerations is not None:
            _check_tolerations(f"{where}.tolerations", self.tolerations)
        if self.affinity is not None:
            _check_affinity(f"{where}.affinity", self.affinity)
        _check_env_list(f"{where}.extra_env", self.extra_env)
        v.check_int(f"{where}.gpus", self.gpus, minimum=0, maximum=64)
        v.check_quantity(f"{where}.shm_size", self.shm_size)
        _check_bytes(f"{where}.shm_size", self.shm_size)
        if self.pod_management_policy is not None:
            v.check_choice(f"{where}.pod_management_policy", self.pod_management_policy, POD_MANAGEMENT_POLICIES)


def _size_quantity(size: Any) -> str:
    """A ``cdk8s.Size`` as a quantity in the largest whole binary unit (KiB at least)."""
    kib = int(size.to_kibibytes())
    for suffix, power in (("Ti", 3), ("Gi", 2), ("Mi", 1)):
        if kib and kib % (1024**power) == 0:
            return f"{kib // 1024**power}{suffix}"
    return f"{kib}Ki"


def _kplus_resources(value: Any) -> Resources:
    """A ``kplus.ContainerResources`` as :class:`Resources`, read through its public fields."""
    requests: dict[str, Quantity] = {}
    limits: dict[str, Quantity] = {}
    amount: Callable[[Any], str]
    for key, part, amount in (
        ("cpu", value.cpu, lambda x: str(x.amount)),
        ("memory", value.memory, _size_quantity),
        ("ephemeral-storage", value.ephemeral_storage, _size_quantity),
    ):
        if part is None:
            continue
        if part.request is not None:
            requests[key] = amount(part.request)
        if part.limit is not None:
            limits[key] = amount(part.limit)
    return Resources(requests=requests, limits=limits)


def _jsii_type(value: object) -> str:
    name = getattr(type(value), "__jsii_type__", None)
    return name if isinstance(name, str) else ""


def accept_kubernetes_types(options: Any, where: str) -> None:
    """Stores ``k8s``/``kplus`` values of the pod fields of ``options`` in the options' own form.

    ``tolerations=[k8s.Toleration(...)]``, ``affinity=k8s.Affinity(...)``,
    ``extra_env=[k8s.EnvVar(...)]`` and ``resources=kplus.ContainerResources(...)`` (or a
    ``k8s.ResourceRequirements``) mean what the dict spelling means; each is checked
    against the Kubernetes schema, naming the field, before it is converted.
    """
    tolerations = options.tolerations
    if isinstance(tolerations, list | tuple) and any(_pod_parts.is_struct(t) for t in tolerations):
        converted = [
            _pod_parts.check(t, "Toleration", f"{where}tolerations[{i}]") if _pod_parts.is_struct(t) else t
            for i, t in enumerate(tolerations)
        ]
        _set(options, "tolerations", tuple(converted))
    if _pod_parts.is_struct(options.affinity):
        _set(options, "affinity", _pod_parts.check(options.affinity, "Affinity", f"{where}affinity"))
    env = options.extra_env
    if isinstance(env, list | tuple) and any(_pod_parts.is_struct(e) for e in env):
        out: list[Any] = []
        for i, item in enumerate(env):
            if _pod_parts.is_struct(item):
                doc = _pod_parts.check(item, "EnvVar", f"{where}extra_env[{i}]")
                item = EnvVar(name=doc["name"], value=doc.get("value"), value_from=doc.get("valueFrom"))
            out.append(item)
        _set(options, "extra_env", tuple(out))
    resources = options.resources
    if _jsii_type(resources).endswith(".ContainerResources"):
        _set(options, "resources", _kplus_resources(resources))
    elif _pod_parts.is_struct(resources):
        doc = _pod_parts.check(resources, "ResourceRequirements", f"{where}resources")
        _set(options, "resources", Resources(requests=doc.get("requests") or {}, limits=doc.get("limits") or {}))


def _check_env_list(field_name: str, value: object) -> None:
    for i, item in enumerate(v.check_list(field_name, value)):
        v.check_type(f"{field_name}[{i}]", item, EnvVar, "an EnvVar")


def _check_tolerations(field_name: str, value: object) -> None:
    allowed = {"key", "operator", "value", "effect", "tolerationSeconds"}
    for i, item in enumerate(v.check_list(field_name, value)):
        tol = v.check_mapping(f"{field_name}[{i}]", item)
        unknown = sorted(set(tol) - allowed)
        if unknown:
            v.fail(f"{field_name}[{i}]", unknown, "a toleration has only " + ", ".join(sorted(allowed)))
        v.check_json(f"{field_name}[{i}]", tol)
        _check_toleration(f"{field_name}[{i}]", tol)


def _check_toleration(where: str, tol: Mapping[str, Any]) -> None:
    # The API server's rules (ValidateTolerations), checked here so they fail at build time.
    key = v.check_str(f"{where}.key", tol.get("key", ""))
    if key:
        v.check_label_key(f"{where}.key", key)
    operator = tol.get("operator", "")
    v.check_choice(f"{where}.operator", operator, ("", "Equal", "Exists"))
    value = v.check_str(f"{where}.value", tol.get("value", ""))
    if operator == "Exists" and value:
        v.fail(f"{where}.value", value, "a toleration with operator Exists has no value")
    if not key and operator != "Exists":
        v.fail(f"{where}.operator", operator, "a toleration without a key must use operator Exists")
    if len(value) > v.MAX_NAME or not v.matches(v.LABEL_VALUE, value):
        v.fail(f"{where}.value", value, "a toleration value is a label value")
    effect = tol.get("effect", "")
    v.check_choice(f"{where}.effect", effect, ("", "NoSchedule", "PreferNoSchedule", "NoExecute"))
    if tol.get("tolerationSeconds") is not None:
        v.check_int(f"{where}.tolerationSeconds", tol["tolerationSeconds"], maximum=v.INT64_SAFE_MAX)
        if effect != "NoExecute":
            v.fail(f"{where}.tolerationSeconds", tol["tolerationSeconds"], "it applies only to effect NoExecute")


def _check_affinity(field_name: str, value: object) -> None:
    aff = v.check_mapping(field_name, value)
    unknown = sorted(set(aff) - {"nodeAffinity", "podAffinity", "podAntiAffinity"})
    if unknown:
        v.fail(field_name, unknown, "affinity has only nodeAffinity, podAffinity and podAntiAffinity")
    v.check_json(field_name, aff)


def _check_containers(field_name: str, value: object) -> tuple[dict[str, Any], ...]:
    """Checks sidecars or init containers and returns them as plain Kubernetes JSON dicts.

    Each item is a dict in the Kubernetes spelling or a ``cdk8s_plus_27.k8s.Container``;
    every key and value is checked against the Kubernetes 1.27 Container schema, so a
    misspelt field fails here with a suggestion instead of reaching the YAML.
    """
    names: set[str] = set()
    out = []
    for i, item in enumerate(v.check_list(field_name, value)):
        where = f"{field_name}[{i}]"
        if isinstance(item, Mapping):
            # Depth and plain-data limits first, so hostile nesting is refused by name
            # before the schema walk recurses into it.
            v.check_json(where, item)
        spec = _pod_parts.check(item, "Container", where)
        name = v.check_dns_label(f"{where}.name", spec["name"])
        if name in names:
            v.fail(f"{where}.name", name, "container names must be unique")
        names.add(name)
        # Kubernetes leaves image optional for higher-level controllers; a pod needs one.
        v.check_str(f"{where}.image", spec.get("image"), allow_empty=False)
        out.append(spec)
    return tuple(out)
