"""Options: the only place where defaults live and input is checked.

Everything here is plain Python (no jsii), so building and validating options is fast and
testable without Node. Each option group is a frozen, keyword-only dataclass that checks
itself in ``__post_init__``; :class:`MXNetOptions` composes them and checks the rules that
span groups. Defaults follow the Bitnami ``bitnami/mxnet`` chart README unless that default
is broken; each deviation is stated where it happens.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from types import MappingProxyType
from typing import Any, Literal, Protocol, TypeAlias, TypedDict, TypeVar

from .. import _files, _pod_parts
from .. import _validate as v
from .._pod_parts import ContainerSpec
from .._validate import OptionError, OptionTypeError

__all__ = [
    "PRODUCTION",
    "Entrypoint",
    "EnvVar",
    "ExistingConfigMap",
    "GitRepository",
    "Image",
    "JobOptions",
    "LocalFiles",
    "MXNetKwargs",
    "MXNetOptions",
    "NamedObject",
    "NetworkPolicyOptions",
    "OptionError",
    "OptionTypeError",
    "Persistence",
    "Probe",
    "Resources",
    "RoleOptions",
    "SecurityContext",
    "VolumePermissions",
]

Mode: TypeAlias = Literal["standalone", "distributed"]
Lifecycle: TypeAlias = Literal["long-running", "job", "jobset"]
GangScheduler: TypeAlias = Literal["volcano", "scheduler-plugins"]
PullPolicy: TypeAlias = Literal["Always", "IfNotPresent", "Never"]
ServiceType: TypeAlias = Literal["ClusterIP", "NodePort", "LoadBalancer"]
PodManagementPolicy: TypeAlias = Literal["Parallel", "OrderedReady"]
AccessMode: TypeAlias = Literal["ReadWriteOnce", "ReadOnlyMany", "ReadWriteMany", "ReadWriteOncePod"]
Quantity: TypeAlias = str | int | float

MODES: tuple[Mode, ...] = ("standalone", "distributed")
LIFECYCLES: tuple[Lifecycle, ...] = ("long-running", "job", "jobset")
GANG_SCHEDULERS: tuple[GangScheduler, ...] = ("volcano", "scheduler-plugins")
PULL_POLICIES: tuple[PullPolicy, ...] = ("Always", "IfNotPresent", "Never")
SERVICE_TYPES: tuple[ServiceType, ...] = ("ClusterIP", "NodePort", "LoadBalancer")
POD_MANAGEMENT_POLICIES: tuple[PodManagementPolicy, ...] = ("Parallel", "OrderedReady")
ACCESS_MODES: tuple[AccessMode, ...] = ("ReadWriteOnce", "ReadOnlyMany", "ReadWriteMany", "ReadWriteOncePod")

DEFAULT_SCHEDULER_PORT = 49875
# Container fields of Kubernetes 1.27, for checking user-supplied sidecars early: a typo
# there would otherwise surface only when the API server rejects the manifest.
CONTAINER_FIELDS = frozenset(
    {
        "args",
        "command",
        "env",
        "envFrom",
        "image",
        "imagePullPolicy",
        "lifecycle",
        "livenessProbe",
        "name",
        "ports",
        "readinessProbe",
        "resizePolicy",
        "resources",
        "restartPolicy",
        "securityContext",
        "startupProbe",
        "stdin",
        "stdinOnce",
        "terminationMessagePath",
        "terminationMessagePolicy",
        "tty",
        "volumeDevices",
        "volumeMounts",
        "workingDir",
    }
)
# Each EnvVarSource kind and the field Kubernetes requires in it.
VALUE_FROM_REQUIRED = {
    "fieldRef": "fieldPath",
    "resourceFieldRef": "resource",
    "configMapKeyRef": "key",
    "secretKeyRef": "key",
}
VALUE_FROM_KINDS = tuple(VALUE_FROM_REQUIRED)


class NamedObject(Protocol):
    """Anything with a ``name``: a cdk8s-plus ``Secret``, ``ConfigMap`` or ``ServiceAccount``.

    Options that name such an object take either the name or the object; they keep only
    the name, so options stay plain data and importing them never starts jsii.
    """

    @property
    def name(self) -> str: ...


_C = TypeVar("_C", bound=type)


def _keyword_hints(cls: _C) -> _C:
    """Makes a misspelt keyword argument a TypeError with a "did you mean" hint.

    Python's own message (``unexpected keyword argument 'sise'``) names neither the class's
    fields nor the closest one.
    """
    init: Callable[..., None] = cls.__init__  # type: ignore[misc]
    known = tuple(f.name for f in fields(cls) if f.init)

    @functools.wraps(init)
    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        v.did_you_mean(cls.__name__, kwargs, known)
        init(self, *args, **kwargs)

    cls.__init__ = __init__  # type: ignore[misc]
    # Frozen fields hold MappingProxyType, which neither pickle nor deepcopy handles. An
    # option object is immutable, so a copy is the object itself, and pickling rebuilds it
    # from plain data through __init__ (which validates and freezes again).
    cls.__copy__ = lambda self: self  # type: ignore[attr-defined]
    cls.__deepcopy__ = lambda self, memo: self  # type: ignore[attr-defined]
    cls.__reduce__ = _reduce  # type: ignore[assignment]
    return cls


def _reduce(self: Any) -> tuple[Any, ...]:
    state = {f.name: _picklable(getattr(self, f.name)) for f in fields(self) if f.init}
    return (_rebuild_option, (type(self), state))


def _picklable(value: Any) -> Any:
    # Mappings become dicts; sequences keep their type, so the rebuilt object is equal.
    if isinstance(value, Mapping):
        return {k: _picklable(x) for k, x in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_picklable(x) for x in value)
    return value


def _rebuild_option(cls: Callable[..., Any], state: dict[str, Any]) -> Any:
    return cls(**state)


def _set(obj: object, name: str, value: object) -> None:
    # Frozen dataclasses store their normalised (frozen) fields in __post_init__ this way.
    object.__setattr__(obj, name, value)


@_keyword_hints
@dataclass(frozen=True, kw_only=True)
class Image:
    """A container image, assembled as ``registry/repository:tag`` (or ``@digest``).

    Args:
        registry: Image registry. Chart: ``image.registry`` (default ``docker.io``).
        repository: Image name. Chart: ``image.repository``. The README's default
            ``bitnami/MXNet`` is not a valid reference (repositories are lowercase), so the
            default here is ``bitnami/mxnet``.
        tag: Image tag. Chart: ``image.tag``, whose README default is the placeholder
            ``{TAG_NAME}``; the default here is ``1.9.1``, the MXNet release this library
            is tested against.
        digest: Optional ``sha256:...`` digest; when set it replaces the tag, so the
            reference is immutable.
        pull_policy: ``imagePullPolicy``. Chart: ``image.pullPolicy``.
        pull_secrets: Names of docker-registry Secrets. Chart: ``image.pullSecrets``.
        debug: Sets ``BITNAMI_DEBUG=true`` in the main container. Chart: ``image.debug``.
    """

    registry: str = "docker.io"
    repository: str = "bitnami/mxnet"
    tag: str = "1.9.1"
    digest: str | None = None
    pull_policy: PullPolicy = "IfNotPresent"
    pull_secrets: Sequence[str | NamedObject] = ()
    debug: bool = False

    def __post_init__(self) -> None:
        _set(self, "pull_secrets", _check_names_list("image.pull_secrets", self.pull_secrets))
        self.validate("image")

    def validate(self, where: str) -> None:
        """Raises ValueError/TypeError naming ``where.<field>`` for a bad value."""
        v.check_str(f"{where}.registry", self.registry, max_len=v.MAX_SUBDOMAIN + 6)
        if self.registry and not v.matches(v.IMAGE_REGISTRY, self.registry):
            v.fail(
                f"{where}.registry",
                self.registry,
                "use a host name with an optional port, e.g. 'docker.io' or 'registry.local:5000'",
            )
        v.check_str(f"{where}.repository", self.repository, allow_empty=False, max_len=255)
        if not v.matches(v.IMAGE_REPOSITORY, self.repository):
            hint = " (repository names are lowercase)" if self.repository.lower() != self.repository else ""
            v.fail(
                f"{where}.repository", self.repository, "use lowercase path components such as 'bitnami/mxnet'" + hint
            )
        v.check_str(f"{where}.tag", self.tag, allow_empty=False, max_len=128)
        if not v.matches(v.IMAGE_TAG, self.tag):
            v.fail(
                f"{where}.tag",
                self.tag,
                "a tag is up to 128 letters, digits, '_', '.' and '-', not starting with '.' or '-'",
            )
        if self.digest is not None and not v.matches(
            v.IMAGE_DIGEST, v.check_str(f"{where}.digest", self.digest, max_len=200)
        ):
            v.fail(f"{where}.digest", self.digest, "use 'sha256:' followed by the hex digest")
        v.check_choice(f"{where}.pull_policy", self.pull_policy, PULL_POLICIES)
        _check_names_list(f"{where}.pull_secrets", self.pull_secrets)
        v.check_bool(f"{where}.debug", self.debug)

    @property
    def pull_secret_names(self) -> tuple[str, ...]:
        """``pull_secrets`` as names (objects given there are stored by name)."""
        return tuple(str(s) for s in self.pull_secrets)

    def reference(self, global_registry: str | None = None) -> str:
        """The full image reference; ``global_registry`` wins over ``registry`` as in the chart."""
        registry = global_registry or self.registry
        name = f"{registry}/{self.repository}" if registry else self.repository
        return f"{name}@{self.digest}" if self.digest else f"{name}:{self.tag}"


def _check_names_list(field_name: str, value: object) -> tuple[str, ...]:
    """Secret names (or cdk8s-plus Secrets, taken by name) as a tuple of names."""
    items = v.check_list(field_name, value)
    return tuple(v.object_name(f"{field_name}[{i}]", item, "Secret") for i, item in enumerate(items))


DEFAULT_GIT_IMAGE = Image(repository="bitnami/git", tag="2.43.0")
DEFAULT_VOLUME_PERMISSIONS_IMAGE = Image(repository="bitnami/minideb", tag="buster", pull_policy="Always")


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


def _check_abs_path(field_name: str, value: object) -> str:
    text = v.check_str(field_name, value, allow_empty=False, max_len=v.MAX_PATH)
    if not text.startswith("/") or ":" in text:
        v.fail(field_name, text, "use an absolute path without ':'")
    if not text.isprintable() or ".." in text.split("/"):
        v.fail(field_name, text, "a path has no control characters (such as a newline) and no '..' part")
    return text


def _same_path(a: str, b: str) -> bool:
    # The kubelet compares mount paths after cleaning them: /app/ and /app are one mount.
    return os.path.normpath(a) == os.path.normpath(b)


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
class Entrypoint:
    """What the workers (and the standalone pod) run. Chart: ``entrypoint.*``.

    ``file`` ending in ``.py`` runs as ``python3 FILE ARGS``, any other file as
    ``bash FILE ARGS``, and no file as ``sleep infinity``. ``args`` are passed as separate
    arguments, never through a shell, so no quoting is needed.

    Args:
        file: The script to run, relative to ``work_dir``; empty runs ``sleep infinity``.
            Chart: ``entrypoint.file``.
        args: Its arguments, one list item each. Chart: ``entrypoint.args``.
        work_dir: The container's working directory. Chart: ``entrypoint.workDir``.
    """

    file: str = ""
    args: Sequence[str] = ()
    work_dir: str = "/app"

    def __post_init__(self) -> None:
        v.check_str("entrypoint.file", self.file, max_len=v.MAX_PATH)
        if self.file.startswith("-"):
            # python3/bash would read it as an option, not as the script to run.
            v.fail("entrypoint.file", self.file, "a file name must not start with '-'; write './" + self.file + "'")
        if not self.file.isprintable():
            v.fail("entrypoint.file", self.file, "a file name has no control characters (such as a newline)")
        for i, arg in enumerate(v.check_list("entrypoint.args", self.args)):
            v.check_str(f"entrypoint.args[{i}]", arg)
        _check_abs_path("entrypoint.work_dir", self.work_dir)
        _set(self, "args", tuple(self.args))

    def command(self) -> list[str]:
        """The main container's command: ``python3 FILE ARGS``, ``bash FILE ARGS`` or ``sleep infinity``."""
        if not self.file:
            return ["sleep", "infinity"]
        runner = "python3" if self.file.endswith(".py") else "bash"
        return [runner, self.file, *self.args]


@_keyword_hints
@dataclass(frozen=True, kw_only=True)
class ExistingConfigMap:
    """Code from a ConfigMap that already exists, mounted at ``/app``. Chart: ``configMap``.

    Args:
        name: The ConfigMap's name, in the release's namespace, or a cdk8s-plus
            ``ConfigMap`` (only its name is kept).
    """

    name: str | NamedObject

    def __post_init__(self) -> None:
        try:
            _set(self, "name", v.object_name("code.name", self.name, "ConfigMap"))
        except OptionError as err:
            raise err.labelled("code.name (configMap)") from None


@_keyword_hints
@dataclass(frozen=True, kw_only=True)
class LocalFiles:
    """Code shipped in the ``<fullname>-files`` ConfigMap, mounted at ``/app``.

    Chart: the files under the chart's ``files/`` directory. Use
    :meth:`from_directory` to read a directory the same way.

    Args:
        files: File name to text; each becomes ``/app/<name>``. At most 1 MiB in total.
    """

    files: Mapping[str, str]

    def __post_init__(self) -> None:
        files = v.check_str_mapping("code.files", self.files)
        if not files:
            v.fail("code.files", {}, "give at least one file")
        total = 0
        for key, text in files.items():
            v.check_configmap_key("code.files key", key)
            total += len(key) + len(text.encode())
        if total > _files.MAX_TOTAL:
            v.fail("code.files", f"{total} bytes", "a ConfigMap holds at most 1 MiB; clone large code from git instead")
        _set(self, "files", MappingProxyType(files))

    @classmethod
    def from_directory(cls, path: str | os.PathLike[str], *, root: str | os.PathLike[str] | None = None) -> LocalFiles:
        """Reads every regular file directly in ``path`` (sorted, so output is stable).

        A symlinked file that leads out of ``path`` is refused. With ``root`` (the Helm
        translator passes the values file's directory, or the current directory), a
        relative ``path`` is taken from ``root`` and the directory must resolve inside it.
        """
        return cls(files=_files.read_directory(path, root=root))


@_keyword_hints
@dataclass(frozen=True, kw_only=True)
class GitRepository:
    """Code cloned into an emptyDir at ``/app`` by the ``git-clone-repository`` init container.

    Chart: ``cloneFilesFromGit.*`` (repository, revision default ``master``).

    Args:
        repository: The URL to clone. Chart: ``cloneFilesFromGit.repository``.
        revision: Branch or tag to check out. Chart: ``cloneFilesFromGit.revision``.
    """

    repository: str
    revision: str = "master"

    def __post_init__(self) -> None:
        try:
            self._validate()
        except OptionError as err:
            # Python users see the Helm key too, as a pointer for those coming from the chart.
            leaf = err.field.removeprefix("code.")
            raise err.labelled(f"{err.field} (cloneFilesFromGit.{leaf})") from None

    def _validate(self) -> None:
        repo = v.check_str("code.repository", self.repository, max_len=2048)
        if not repo.strip():
            v.fail("code.repository", repo, "a git source needs a repository URL")
        if repo.startswith("-") or not repo.isprintable() or any(c.isspace() for c in repo):
            v.fail("code.repository", repo, "give a URL without spaces that does not start with '-'")
        if v.url_has_credentials(repo):
            # The URL is not echoed: the part before '@' is likely a password or token.
            raise OptionError(
                "code.repository",
                "<hidden>",
                "the URL carries credentials before '@', "
                "which would be written in plain text into the manifests; use a URL without them "
                "(an ssh URL such as git@host:org/repo.git, or a public https URL)",
            )
        rev = v.check_str("code.revision", self.revision, allow_empty=False, max_len=255)
        if rev.startswith("-") or not rev.isprintable() or any(c.isspace() for c in rev):
            v.fail("code.revision", rev, "give a branch or tag without spaces that does not start with '-'")
        for name, text in (("code.repository", repo), ("code.revision", rev)):
            if "$(" in text:
                # The kubelet expands $(VAR) in a container's args, so the clone would
                # fetch something other than what the manifest shows.
                v.fail(name, text, "'$(' would be expanded by the kubelet as a variable reference; remove it")


CodeSource: TypeAlias = ExistingConfigMap | LocalFiles | GitRepository


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
    """

    resources: Resources | None = None
    node_selector: Mapping[str, str] | None = None
    tolerations: Sequence[Mapping[str, Any]] | None = None
    affinity: Mapping[str, Any] | None = None
    extra_env: Sequence[EnvVar] = ()
    gpus: int = 0
    shm_size: Quantity = "1Gi"

    def __post_init__(self) -> None:
        self.validate("role")
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


@_keyword_hints
@dataclass(frozen=True, kw_only=True)
class NetworkPolicyOptions:
    """The release's NetworkPolicy ``<fullname>``, on by default in both modes.

    Ingress: only the release's own pods may reach the scheduler, servers and workers (and
    the standalone pod, which nothing needs to reach; ``kubectl exec`` and
    ``port-forward`` don't pass through NetworkPolicy). A NodePort or LoadBalancer
    scheduler also accepts its port from anywhere.

    Egress, when restricted: to the release's pods, to DNS (port 53) and, when the code
    comes from git, to the one port its URL's transport uses; ``extra_egress`` adds rules
    (NetworkPolicy egress rule objects in YAML form) for datasets, object stores and so on.

    Args:
        enabled: Emit the policy.
        allow_all_egress: Leave egress open (ingress stays restricted). None (the
            default) restricts egress in distributed mode and leaves it open in standalone
            mode, where the pod is usually a workspace that installs packages and
            downloads data from anywhere.
        extra_egress: Additional egress rules.
    """

    enabled: bool = True
    allow_all_egress: bool | None = None
    extra_egress: Sequence[Mapping[str, Any]] = ()

    def __post_init__(self) -> None:
        v.check_bool("network_policy.enabled", self.enabled)
        if self.allow_all_egress is not None:
            v.check_bool("network_policy.allow_all_egress", self.allow_all_egress)
        for i, rule in enumerate(v.check_list("network_policy.extra_egress", self.extra_egress)):
            rule_map = v.check_mapping(f"network_policy.extra_egress[{i}]", rule)
            unknown = sorted(set(rule_map) - {"to", "ports"})
            if unknown:
                v.fail(f"network_policy.extra_egress[{i}]", unknown, "an egress rule has only 'to' and 'ports'")
            v.check_json(f"network_policy.extra_egress[{i}]", rule_map)
        _set(self, "extra_egress", v.freeze(self.extra_egress))

    def open_egress(self, mode: Mode) -> bool:
        """Whether a release in ``mode`` may send traffic anywhere."""
        return self.allow_all_egress if self.allow_all_egress is not None else mode == "standalone"


@_keyword_hints
@dataclass(frozen=True, kw_only=True)
class JobOptions:
    """Settings of the ``job`` and ``jobset`` lifecycles.

    Args:
        backoff_limit: Pod failures tolerated per Job before it fails.
        active_deadline_seconds: Wall-clock limit; a hung ``dist_sync`` job then fails
            visibly instead of waiting forever.
        ttl_seconds_after_finished: Garbage-collect finished Jobs after this long.
        suspend: Create the Jobs suspended.
        max_restarts: ``jobset`` only: how often the whole group is recreated after a
            failure (one dead worker stalls ``dist_sync``, so restarts are all-or-nothing).
    """

    backoff_limit: int = 0
    active_deadline_seconds: int | None = None
    ttl_seconds_after_finished: int | None = None
    suspend: bool = False
    max_restarts: int = 3

    def __post_init__(self) -> None:
        v.check_int("job.backoff_limit", self.backoff_limit, minimum=0)
        if self.active_deadline_seconds is not None:
            # int64 in Kubernetes, capped where JSON still carries it exactly.
            v.check_int(
                "job.active_deadline_seconds", self.active_deadline_seconds, minimum=1, maximum=v.INT64_SAFE_MAX
            )
        if self.ttl_seconds_after_finished is not None:
            v.check_int("job.ttl_seconds_after_finished", self.ttl_seconds_after_finished, minimum=0)
        v.check_bool("job.suspend", self.suspend)
        v.check_int("job.max_restarts", self.max_restarts, minimum=0)


# Mount paths the pod template uses; a test keeps them equal to contract.py's.
CODE_MOUNT = "/app"
SECRETS_MOUNT = "/secrets"
SHM_MOUNT = "/dev/shm"
# MXNetOptions fields that only a distributed release uses.
_DISTRIBUTED_ONLY = (
    "server_count",
    "worker_count",
    "scheduler",
    "server",
    "worker",
    "pod_management_policy",
    "publish_not_ready_addresses",
)


def _check_unique_mounts(mounts: Sequence[tuple[str, str]]) -> None:
    seen: list[tuple[str, str]] = []
    for where, path in mounts:
        for other, other_path in seen:
            if _same_path(path, other_path):
                v.fail(where, path, f"{other} is mounted at that path too; a container mounts one volume per path")
        seen.append((where, path))


def _container_mount_paths(container: object) -> list[str]:
    """A user container's mount paths, from its YAML mapping or a typed k8s struct."""
    mounts = (
        container.get("volumeMounts") if isinstance(container, Mapping) else getattr(container, "volume_mounts", None)
    )
    out: list[str] = []
    for mount in mounts or ():
        path = mount.get("mountPath") if isinstance(mount, Mapping) else getattr(mount, "mount_path", None)
        if isinstance(path, str):
            out.append(path)
    return out


@_keyword_hints
@dataclass(frozen=True, kw_only=True)
class MXNetOptions:
    """Every option of an MXNet release. ``MXNetChart`` takes these as keyword arguments.

    Args:
        mode: ``standalone`` (one Deployment) or ``distributed`` (scheduler, servers,
            workers). Chart: ``mode``.
        server_count: Server pods (distributed). Chart: ``serverCount``.
        worker_count: Worker pods (distributed). Chart: ``workerCount``.
        scheduler_port: The scheduler's port: container port, Service port, targetPort
            and ``DMLC_PS_ROOT_PORT`` all use this one number. Chart: ``schedulerPort``.
        image: The MXNet image. Chart: ``image.*``.
        git_image: The image of the git-clone init container. Chart: ``git.*``.
        global_image_registry: Overrides every image's registry.
            Chart: ``global.imageRegistry``.
        global_image_pull_secrets: Added to every pod. Chart: ``global.imagePullSecrets``.
        global_storage_class: Storage class of every claim; wins over
            ``persistence.storage_class``, as in the chart. Chart: ``global.storageClass``.
        name_override: Replaces ``mxnet`` in names and the ``name`` label.
            Chart: ``nameOverride``.
        fullname_override: Replaces ``<release>-mxnet`` in object names.
            Chart: ``fullnameOverride``.
        volume_permissions: Chart: ``volumePermissions.*``.
        service_type: Type of the scheduler Service. Chart: ``service.type``.
        service_node_port: The scheduler Service's ``nodePort`` (NodePort and LoadBalancer
            types only); None lets Kubernetes pick one. Chart: ``service.nodePort``.
        service_annotations: Annotations of the scheduler Service (e.g. an internal load
            balancer). Chart: ``service.annotations``.
        entrypoint: Chart: ``entrypoint.*``.
        pod_management_policy: Of the server and worker StatefulSets.
            Chart: ``podManagementPolicy``.
        code: Where ``/app`` comes from: :class:`ExistingConfigMap` (chart ``configMap``),
            :class:`LocalFiles` (chart ``files/``) or :class:`GitRepository` (chart
            ``cloneFilesFromGit``). The chart picks the first set in that order; here
            there is a single field, so two sources can't silently shadow each other.
        extra_env: Env for every role. Chart: ``commonExtraEnvVars``.
        existing_secret: A Secret mounted read-only at ``/secrets``, by name or as a
            cdk8s-plus ``Secret``. Chart: ``existingSecret``.
        node_selector: Node labels every pod requires, unless a role overrides it.
            Chart: ``nodeSelector``.
        tolerations: Taints every pod tolerates, unless a role overrides them.
            Chart: ``tolerations``.
        affinity: Affinity of every pod, unless a role overrides it. Chart: ``affinity``.
        resources: Requests and limits of every main container, unless a role overrides
            them. Chart: ``resources``.
        security_context: Chart: ``securityContext.*`` plus the restricted profile.
        liveness_probe: Chart: ``livenessProbe.*``.
        readiness_probe: Chart: ``readinessProbe.*`` (timeout default 1 s).
        persistence: Chart: ``persistence.*``.
        sidecars: Extra containers in every pod: ``cdk8s_plus_27.k8s.Container`` structs or
            dicts in the Kubernetes spelling, checked against the Kubernetes 1.27 schema.
            Chart: ``sidecars``.
        init_containers: Extra init containers in every pod, as ``sidecars``. Chart:
            ``initContainers``.
        scheduler, server, worker: Per-role overrides.
        lifecycle: ``long-running`` (Deployment and StatefulSets, like the chart), ``job``
            (batch/v1 Jobs that complete) or ``jobset`` (one JobSet that restarts as a
            whole).
        job: Settings of the ``job`` and ``jobset`` lifecycles.
        gang_scheduler: ``volcano`` or ``scheduler-plugins`` emits a PodGroup so the
            release is scheduled all at once or not at all.
        network_policy: The release's NetworkPolicy.
        pod_disruption_budget: Emit a PodDisruptionBudget that blocks voluntary evictions
            of a running distributed job (a drain then waits until the job ends).
        service_account: True emits a ServiceAccount ``<fullname>`` with no API token
            mounted; False uses the namespace's default account; the name of an existing
            account (or a cdk8s-plus ``ServiceAccount``) makes the pods use it and emits
            none. See :attr:`creates_service_account` and :attr:`service_account_name`.
        dmlc_interface: ``DMLC_INTERFACE``: the NIC ps-lite binds to (e.g. ``eth0``).
        dmlc_node_host_from_pod_ip: Set ``DMLC_NODE_HOST`` to the pod IP on servers and
            workers, for clusters where interface discovery picks the wrong address.
        host_network: Run pods in the node's network (with ``ClusterFirstWithHostNet``).
        publish_not_ready_addresses: On the headless Service, so pod DNS exists before
            readiness (avoids start-up DNS races).
        ps_verbose: ``PS_VERBOSE`` (1 or 2) on every role, to debug hangs.
    """

    mode: Mode = "standalone"
    server_count: int = 1
    worker_count: int = 1
    scheduler_port: int = DEFAULT_SCHEDULER_PORT
    image: Image = field(default_factory=Image)
    git_image: Image = DEFAULT_GIT_IMAGE
    global_image_registry: str | None = None
    global_image_pull_secrets: Sequence[str | NamedObject] = ()
    global_storage_class: str | None = None
    name_override: str | None = None
    fullname_override: str | None = None
    volume_permissions: VolumePermissions = field(default_factory=VolumePermissions)
    service_type: ServiceType = "ClusterIP"
    service_node_port: int | None = None
    service_annotations: Mapping[str, str] = field(default_factory=dict)
    entrypoint: Entrypoint = field(default_factory=Entrypoint)
    pod_management_policy: PodManagementPolicy = "Parallel"
    code: CodeSource | None = None
    extra_env: Sequence[EnvVar] = ()
    existing_secret: str | NamedObject | None = None
    node_selector: Mapping[str, str] = field(default_factory=dict)
    tolerations: Sequence[Mapping[str, Any]] = ()
    affinity: Mapping[str, Any] = field(default_factory=dict)
    resources: Resources = field(default_factory=Resources)
    security_context: SecurityContext = field(default_factory=SecurityContext)
    liveness_probe: Probe = field(default_factory=Probe)
    readiness_probe: Probe = field(default_factory=lambda: Probe(timeout_seconds=1))
    persistence: Persistence = field(default_factory=Persistence)
    sidecars: Sequence[ContainerSpec] = ()
    init_containers: Sequence[ContainerSpec] = ()
    scheduler: RoleOptions = field(default_factory=RoleOptions)
    server: RoleOptions = field(default_factory=RoleOptions)
    worker: RoleOptions = field(default_factory=RoleOptions)
    lifecycle: Lifecycle = "long-running"
    job: JobOptions = field(default_factory=JobOptions)
    gang_scheduler: GangScheduler | None = None
    network_policy: NetworkPolicyOptions = field(default_factory=NetworkPolicyOptions)
    pod_disruption_budget: bool = True
    service_account: bool | str | NamedObject = True
    dmlc_interface: str | None = None
    dmlc_node_host_from_pod_ip: bool = False
    host_network: bool = False
    publish_not_ready_addresses: bool = False
    ps_verbose: int | None = None

    def __post_init__(self) -> None:
        self._normalise()
        v.check_choice("mode", self.mode, MODES)
        # A count of 0 servers or workers leaves ps-lite waiting forever, so it is refused
        # in distributed mode; in standalone mode the counts are unused but still typed.
        minimum = 1 if self.mode == "distributed" else 0
        v.check_int("server_count", self.server_count, minimum=minimum, maximum=10_000)
        v.check_int("worker_count", self.worker_count, minimum=minimum, maximum=10_000)
        v.check_int("scheduler_port", self.scheduler_port, minimum=1, maximum=65535)
        for name in ("image", "git_image"):
            v.check_type(name, getattr(self, name), Image, "an Image")
            getattr(self, name).validate(name)
        if self.global_image_registry is not None:
            v.check_str("global_image_registry", self.global_image_registry)
            if self.global_image_registry and not v.matches(v.IMAGE_REGISTRY, self.global_image_registry):
                v.fail("global_image_registry", self.global_image_registry, "use a host name with an optional port")
        if self.global_storage_class is not None and self.global_storage_class != "-":
            v.check_dns_subdomain("global_storage_class", self.global_storage_class)
        if self.name_override is not None:
            v.check_dns_label("name_override", self.name_override)
        if self.fullname_override is not None:
            v.check_dns_label("fullname_override", self.fullname_override, rfc1035=True)
        v.check_type("volume_permissions", self.volume_permissions, VolumePermissions, "a VolumePermissions")
        v.check_choice("service_type", self.service_type, SERVICE_TYPES)
        _check_service_extras(self)
        v.check_type("entrypoint", self.entrypoint, Entrypoint, "an Entrypoint")
        v.check_choice("pod_management_policy", self.pod_management_policy, POD_MANAGEMENT_POLICIES)
        if self.code is not None:
            v.check_type(
                "code",
                self.code,
                (ExistingConfigMap, LocalFiles, GitRepository),
                "ExistingConfigMap, LocalFiles or GitRepository",
            )
        _check_env_list("extra_env", self.extra_env)
        v.check_str_mapping("node_selector", self.node_selector, keys="label", values="label")
        _check_tolerations("tolerations", self.tolerations)
        _check_affinity("affinity", self.affinity)
        v.check_type("resources", self.resources, Resources, "a Resources")
        v.check_type("security_context", self.security_context, SecurityContext, "a SecurityContext")
        for name in ("liveness_probe", "readiness_probe"):
            v.check_type(name, getattr(self, name), Probe, "a Probe")
            getattr(self, name).validate(name)
        if self.liveness_probe.success_threshold != 1:
            v.fail(
                "liveness_probe.success_threshold",
                self.liveness_probe.success_threshold,
                "Kubernetes requires 1 for liveness probes",
            )
        v.check_type("persistence", self.persistence, Persistence, "a Persistence")
        object.__setattr__(self, "sidecars", _check_containers("sidecars", self.sidecars))
        object.__setattr__(self, "init_containers", _check_containers("init_containers", self.init_containers))
        for role in ("scheduler", "server", "worker"):
            v.check_type(role, getattr(self, role), RoleOptions, "a RoleOptions")
            getattr(self, role).validate(role)
        v.check_choice("lifecycle", self.lifecycle, LIFECYCLES)
        v.check_type("job", self.job, JobOptions, "a JobOptions")
        if self.gang_scheduler is not None:
            v.check_choice("gang_scheduler", self.gang_scheduler, GANG_SCHEDULERS)
        v.check_type("network_policy", self.network_policy, NetworkPolicyOptions, "a NetworkPolicyOptions")
        v.check_bool("pod_disruption_budget", self.pod_disruption_budget)
        if self.dmlc_interface is not None:
            iface = v.check_str("dmlc_interface", self.dmlc_interface, allow_empty=False, max_len=v.MAX_NAME)
            if not v.matches(v.INTERFACE, iface):
                v.fail("dmlc_interface", iface, "use a network interface name such as 'eth0' (at most 15 characters)")
        v.check_bool("dmlc_node_host_from_pod_ip", self.dmlc_node_host_from_pod_ip)
        v.check_bool("host_network", self.host_network)
        v.check_bool("publish_not_ready_addresses", self.publish_not_ready_addresses)
        if self.ps_verbose is not None:
            v.check_int("ps_verbose", self.ps_verbose, minimum=0, maximum=2)
        if self.mode == "standalone" and self.lifecycle == "jobset":
            v.fail(
                "lifecycle",
                self.lifecycle,
                "a JobSet groups distributed roles; use 'long-running' or 'job' in standalone mode",
            )
        if self.lifecycle != "long-running" and not self.entrypoint.file:
            # Without a file the workers run `sleep infinity`: the Jobs could never complete.
            v.fail(
                "lifecycle",
                self.lifecycle,
                "a run-to-completion lifecycle needs entrypoint.file; without one the pods sleep forever",
            )
        self._check_env_collisions()
        self._check_standalone()
        self._check_mount_paths()
        for name in ("node_selector", "tolerations", "affinity", "extra_env"):
            _set(self, name, v.freeze(getattr(self, name)))

    def _normalise(self) -> None:
        # Names given as cdk8s-plus objects are stored as plain names, so options stay data.
        _set(
            self,
            "global_image_pull_secrets",
            _check_names_list("global_image_pull_secrets", self.global_image_pull_secrets),
        )
        if self.existing_secret is not None:
            _set(self, "existing_secret", v.object_name("existing_secret", self.existing_secret, "Secret"))
        if not isinstance(self.service_account, bool):
            _set(self, "service_account", v.object_name("service_account", self.service_account, "ServiceAccount"))

    @property
    def global_image_pull_secret_names(self) -> tuple[str, ...]:
        """``global_image_pull_secrets`` as names (objects given there are stored by name)."""
        return tuple(str(s) for s in self.global_image_pull_secrets)

    @property
    def existing_secret_name(self) -> str | None:
        """``existing_secret`` as a name (an object given there is stored by name)."""
        return None if self.existing_secret is None else str(self.existing_secret)

    @property
    def creates_service_account(self) -> bool:
        """Whether the release emits its own ServiceAccount ``<fullname>``."""
        return self.service_account is True

    @property
    def service_account_name(self) -> str | None:
        """The existing ServiceAccount the pods use, when one was given by name or object."""
        return self.service_account if isinstance(self.service_account, str) else None

    def _check_standalone(self) -> None:
        # In standalone mode these have no effect; taking them silently would leave a user
        # who asked for 4 workers with one pod and no error.
        if self.mode != "standalone":
            return
        defaults = MXNetOptions.__dataclass_fields__
        for name in _DISTRIBUTED_ONLY:
            factory = defaults[name].default_factory
            default = factory() if callable(factory) else defaults[name].default
            value = getattr(self, name)
            if value != default:
                raise OptionError(
                    name,
                    value,
                    f"{v.short(value)} only applies to a distributed release, but mode is 'standalone'; "
                    f"set mode='distributed', or leave {name} unset",
                )

    def _check_mount_paths(self) -> None:
        # Kubernetes refuses two volumes on one mountPath in a container; say which options clash.
        mounts: list[tuple[str, str]] = [("persistence.mount_path", self.persistence.mount_path)]
        if self.code is not None:
            mounts.append(("code (mounted at /app)", CODE_MOUNT))
        if self.existing_secret is not None:
            mounts.append(("existing_secret (mounted at /secrets)", SECRETS_MOUNT))
        if any(getattr(self, r).gpus for r in ("scheduler", "server", "worker")):
            mounts.append(("gpus (a memory-backed /dev/shm)", SHM_MOUNT))
        _check_unique_mounts(mounts)
        for group in ("sidecars", "init_containers"):
            for i, container in enumerate(getattr(self, group)):
                _check_unique_mounts(
                    [
                        (f"{group}[{i}].volumeMounts[{j}].mountPath", path)
                        for j, path in enumerate(_container_mount_paths(container))
                    ]
                )

    def _check_env_collisions(self) -> None:
        # The DMLC_* wiring is derived from counts and names; a user value would make the
        # pods disagree with each other and hang, so it is refused rather than overridden.
        reserved = {
            "DMLC_ROLE",
            "DMLC_PS_ROOT_URI",
            "DMLC_PS_ROOT_PORT",
            "DMLC_NUM_SERVER",
            "DMLC_NUM_WORKER",
            "DMLC_USE_KUBERNETES",
        }
        for where, env in (
            ("extra_env", self.extra_env),
            *((f"{r}.extra_env", getattr(self, r).extra_env) for r in ("scheduler", "server", "worker")),
        ):
            seen: set[str] = set()
            for var in env:
                if var.name in reserved:
                    v.fail(
                        f"{where}[{var.name}]",
                        var.name,
                        "the DMLC_* wiring is derived from the counts and names; set server_count/worker_count/scheduler_port instead",
                    )
                if var.name in seen:
                    v.fail(f"{where}[{var.name}]", var.name, "each variable may be given once")
                seen.add(var.name)

    def role(self, name: str) -> RoleOptions:
        """The overrides of role ``name`` (``standalone`` uses the release-wide values)."""
        if name in ("scheduler", "server", "worker"):
            result: RoleOptions = getattr(self, name)
            return result
        return RoleOptions()


def _check_service_extras(o: MXNetOptions) -> None:
    v.check_str_mapping("service_annotations", o.service_annotations, keys="annotation")
    if o.service_node_port is None:
        return
    v.check_int("service_node_port", o.service_node_port, minimum=1, maximum=65535)
    if o.service_type == "ClusterIP":
        v.fail(
            "service_node_port",
            o.service_node_port,
            "a ClusterIP Service has no node port; set service_type to NodePort or LoadBalancer, or leave it unset",
        )


PRODUCTION: Mapping[str, Any] = MappingProxyType({"mode": "distributed", "server_count": 2, "worker_count": 4})
"""The chart's ``values-production.yaml``: ``MXNetChart(app, "r", **PRODUCTION)``."""


class MXNetKwargs(TypedDict, total=False):
    """The keyword arguments ``MXNetChart`` accepts: the fields of :class:`MXNetOptions`.

    Defaults and documentation live on :class:`MXNetOptions`; a test keeps the two in step.
    """

    mode: Mode
    server_count: int
    worker_count: int
    scheduler_port: int
    image: Image
    git_image: Image
    global_image_registry: str | None
    global_image_pull_secrets: Sequence[str | NamedObject]
    global_storage_class: str | None
    name_override: str | None
    fullname_override: str | None
    volume_permissions: VolumePermissions
    service_type: ServiceType
    service_node_port: int | None
    service_annotations: Mapping[str, str]
    entrypoint: Entrypoint
    pod_management_policy: PodManagementPolicy
    code: CodeSource | None
    extra_env: Sequence[EnvVar]
    existing_secret: str | NamedObject | None
    node_selector: Mapping[str, str]
    tolerations: Sequence[Mapping[str, Any]]
    affinity: Mapping[str, Any]
    resources: Resources
    security_context: SecurityContext
    liveness_probe: Probe
    readiness_probe: Probe
    persistence: Persistence
    sidecars: Sequence[ContainerSpec]
    init_containers: Sequence[ContainerSpec]
    scheduler: RoleOptions
    server: RoleOptions
    worker: RoleOptions
    lifecycle: Lifecycle
    job: JobOptions
    gang_scheduler: GangScheduler | None
    network_policy: NetworkPolicyOptions
    pod_disruption_budget: bool
    service_account: bool | str | NamedObject
    dmlc_interface: str | None
    dmlc_node_host_from_pod_ip: bool
    host_network: bool
    publish_not_ready_addresses: bool
    ps_verbose: int | None
