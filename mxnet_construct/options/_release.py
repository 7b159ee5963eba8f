"""The release as a whole: :class:`MXNetOptions`, which composes the other groups and
checks the rules that span them, its keyword-argument type, and the release-wide network
policy and job settings."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from types import MappingProxyType
from typing import Any, Literal, TypeAlias, TypedDict

from .. import _validate as v
from .._pod_parts import AffinitySpec, ContainerSpec, K8sEnvVar, K8sResources, TolerationSpec
from .._validate import OptionError
from ._code import CodeSource, Entrypoint, ExistingConfigMap, GitRepository, LocalFiles
from ._common import (
    GANG_SCHEDULERS,
    LIFECYCLES,
    MODES,
    POD_MANAGEMENT_POLICIES,
    SERVICE_TYPES,
    GangScheduler,
    Lifecycle,
    Mode,
    NamedObject,
    PodManagementPolicy,
    ServiceType,
    _keyword_hints,
    _set,
)
from ._images import DEFAULT_GIT_IMAGE, Image, _check_names_list
from ._pod import (
    EnvVar,
    Persistence,
    Probe,
    Resources,
    RoleOptions,
    SecurityContext,
    VolumePermissions,
    _check_affinity,
    _check_containers,
    _check_env_list,
    _check_tolerations,
    accept_kubernetes_types,
)

DEFAULT_SCHEDULER_PORT = 49875

ClaimNames: TypeAlias = Literal["chart-1", "chart-3"]
CLAIM_NAMES: tuple[ClaimNames, ...] = ("chart-1", "chart-3")


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


def _same_path(a: str, b: str) -> bool:
    # The kubelet compares mount paths after cleaning them: /app/ and /app are one mount.
    return os.path.normpath(a) == os.path.normpath(b)


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
        pod_management_policy: Of the server and worker StatefulSets, unless a role sets
            its own. Chart: ``podManagementPolicy``.
        claim_names: The names of the data claims of the standalone pod and the
            distributed scheduler when persistence is on. ``chart-1``: ``<fullname>`` and
            ``<fullname>-scheduler``, as charts 1.x and 2.x named them. ``chart-3``: the other
            way round, the claims chart 3.x created (its pods mounted the other name, so they
            waited for a claim that did not exist; here the pods mount the claim created).
            A release keeps its claims only under their own names.
        claim_template_labels: Label the StatefulSets' ``data`` claim template with
            ``{name, instance}``, as charts 1.x and 2.x did; chart 3.x wrote none (unless
            ``commonLabels`` was set). Claim templates can't change on a live StatefulSet.
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
        pod_disruption_budget: Emit a PodDisruptionBudget (distributed mode). With
            ``lifecycle="job"``/``"jobset"`` it keeps every pod of a running job (a drain
            waits until the job ends); long-running pods never end, so a drain may evict
            them one at a time.
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
    claim_names: ClaimNames = "chart-1"
    claim_template_labels: bool = True
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
        v.check_choice("claim_names", self.claim_names, CLAIM_NAMES)
        v.check_bool("claim_template_labels", self.claim_template_labels)
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
            getattr(self, role)._checked(role)
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
        sc = self.security_context
        if (
            isinstance(self.code, GitRepository)
            and self.code.ssh_secret is not None
            and sc.enabled
            and sc.run_as_user == 0
        ):
            # Under fsGroup the kubelet leaves the key group-readable and owned by root, and
            # ssh refuses a key that its own user owns unless only that user can read it.
            v.fail(
                "security_context.run_as_user",
                0,
                "a git clone over ssh can't run as root: ssh refuses the mounted key as too open; "
                "use a non-zero user id, or clone over https with a token",
            )
        for name in ("node_selector", "tolerations", "affinity", "extra_env"):
            _set(self, name, v.freeze(getattr(self, name)))

    def _normalise(self) -> None:
        accept_kubernetes_types(self, "")
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
            if value == default:
                continue
            field_name = name
            if isinstance(value, RoleOptions):
                # Name the part of the role that was set (worker.extra_env), so the Helm
                # translator can name the values key it came from (workerExtraEnvVars).
                changed = [f.name for f in fields(value) if getattr(value, f.name) != getattr(default, f.name)]
                field_name, value = f"{name}.{changed[0]}", getattr(value, changed[0])
            raise OptionError(
                field_name,
                value,
                f"{v.short(value)} only applies to a distributed release, but mode is 'standalone'; "
                f"set mode='distributed', or leave {field_name} unset",
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
    claim_names: ClaimNames
    claim_template_labels: bool
    code: CodeSource | None
    # Wider than the fields: k8s and cdk8s-plus types are accepted and stored converted.
    extra_env: Sequence[EnvVar | K8sEnvVar]
    existing_secret: str | NamedObject | None
    node_selector: Mapping[str, str]
    tolerations: Sequence[TolerationSpec]
    affinity: AffinitySpec
    resources: Resources | K8sResources
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
