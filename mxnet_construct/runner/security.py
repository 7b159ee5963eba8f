"""securityContext and resource limits -> :class:`Security`, as the kubelet merges them.

The container's securityContext wins field by field over the pod's. Capabilities start
from the runtime's default set, then ``drop`` (``ALL`` empties it) and then ``add`` apply,
which is containerd's order. Limits become cgroup values (bytes, CPU millicores).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from .._quantity import QuantityError, parse_quantity
from .model import DEFAULT_CAPABILITIES, RunLocalError, Security

# Every capability Linux 6.x knows, so a typo in `add` is an error, not silently nothing.
KNOWN_CAPABILITIES = frozenset(
    "CAP_" + name
    for name in [
        "CHOWN",
        "DAC_OVERRIDE",
        "DAC_READ_SEARCH",
        "FOWNER",
        "FSETID",
        "KILL",
        "SETGID",
        "SETUID",
        "SETPCAP",
        "LINUX_IMMUTABLE",
        "NET_BIND_SERVICE",
        "NET_BROADCAST",
        "NET_ADMIN",
        "NET_RAW",
        "IPC_LOCK",
        "IPC_OWNER",
        "SYS_MODULE",
        "SYS_RAWIO",
        "SYS_CHROOT",
        "SYS_PTRACE",
        "SYS_PACCT",
        "SYS_ADMIN",
        "SYS_BOOT",
        "SYS_NICE",
        "SYS_RESOURCE",
        "SYS_TIME",
        "SYS_TTY_CONFIG",
        "MKNOD",
        "LEASE",
        "AUDIT_WRITE",
        "AUDIT_CONTROL",
        "SETFCAP",
        "MAC_OVERRIDE",
        "MAC_ADMIN",
        "SYSLOG",
        "WAKE_ALARM",
        "BLOCK_SUSPEND",
        "AUDIT_READ",
        "PERFMON",
        "BPF",
        "CHECKPOINT_RESTORE",
    ]
)
_INT32_MAX = 2**31 - 1


def quantity(value: object, field: str) -> Decimal:
    """A non-negative Kubernetes quantity (``512Mi``, ``1.5``, ``500m``, ``1e3``) as a number."""
    try:
        number: Decimal | None = parse_quantity(value)
    except QuantityError:
        number = None
    if number is None or number < 0:
        raise RunLocalError(f"{field}: {value!r} is not a Kubernetes quantity (e.g. 512Mi, 2, 500m)")
    return number


def _id(value: object, field: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= _INT32_MAX:
        raise RunLocalError(f"{field}: {value!r} is not a user or group id; use a whole number from 0 to {_INT32_MAX}")
    return value


def _capability(value: object, field: str) -> str:
    name = str(value).upper()
    full = name if name.startswith("CAP_") else "CAP_" + name
    if name != "ALL" and full not in KNOWN_CAPABILITIES:
        raise RunLocalError(f"{field}: {value!r} is not a Linux capability (e.g. NET_BIND_SERVICE, ALL)")
    return "ALL" if name == "ALL" else full


def _capabilities(caps: Mapping[str, Any], where: str) -> tuple[str, ...]:
    drop = [_capability(c, f"{where} capabilities.drop") for c in caps.get("drop") or []]
    add = [_capability(c, f"{where} capabilities.add") for c in caps.get("add") or []]
    current = [] if "ALL" in drop else [c for c in DEFAULT_CAPABILITIES if c not in drop]
    if "ALL" in add:
        current = sorted(KNOWN_CAPABILITIES)
    current += [c for c in add if c != "ALL" and c not in current]
    return tuple(current)


def _seccomp(profile: Mapping[str, Any] | None, where: str) -> str | None:
    if not profile:
        return None
    kind = profile.get("type")
    if kind not in ("RuntimeDefault", "Unconfined", "Localhost"):
        raise RunLocalError(
            f"{where} seccompProfile.type: {kind!r} is not valid; use RuntimeDefault, Unconfined or Localhost"
        )
    return str(kind)


def _limits(container: Mapping[str, Any], where: str) -> tuple[int | None, int | None]:
    limits = (container.get("resources") or {}).get("limits") or {}
    memory = cpu = None
    if "memory" in limits:
        memory = int(quantity(limits["memory"], f"{where} resources.limits.memory"))
        if memory < 4 * 2**20:
            raise RunLocalError(
                f"{where} resources.limits.memory: {limits['memory']!r} is below 4Mi, less than any container can start in"
            )
    if "cpu" in limits:
        cpu = int(quantity(limits["cpu"], f"{where} resources.limits.cpu") * 1000)
        if cpu < 1:
            raise RunLocalError(f"{where} resources.limits.cpu: {limits['cpu']!r} is below 1m")
    return memory, cpu


def container_security(pod_spec: Mapping[str, Any], container: Mapping[str, Any], where: str) -> Security:
    """The effective :class:`Security` of ``container`` in a pod with ``pod_spec``."""
    pod_sc = pod_spec.get("securityContext") or {}
    sc = container.get("securityContext") or {}
    if not isinstance(pod_sc, Mapping) or not isinstance(sc, Mapping):
        raise RunLocalError(f"{where}: securityContext must be a mapping")

    def pick(key: str) -> Any:
        return sc[key] if sc.get(key) is not None else pod_sc.get(key)

    privileged = bool(sc.get("privileged", False))
    if privileged:
        raise RunLocalError(
            f"{where} securityContext.privileged: true is not run locally; a privileged container owns the host"
        )
    run_as_user = _id(pick("runAsUser"), f"{where} securityContext.runAsUser")
    non_root = bool(pick("runAsNonRoot"))
    if non_root and not run_as_user:
        # The kubelet refuses to start such a container: the image's user is unknown here,
        # so treat it as root, which is what an image without USER runs as.
        raise RunLocalError(
            f"{where} securityContext: runAsNonRoot is true but runAsUser is {run_as_user!r}; "
            "the kubelet would refuse to start it (set runAsUser to a non-zero uid)"
        )
    groups = pod_sc.get("supplementalGroups") or []
    memory, cpu = _limits(container, where)
    seccomp = _seccomp(sc.get("seccompProfile"), f"{where} securityContext") or _seccomp(
        pod_sc.get("seccompProfile"), f"{where} pod securityContext"
    )
    ape = sc.get("allowPrivilegeEscalation")
    return Security(
        run_as_user=run_as_user,
        run_as_group=_id(pick("runAsGroup"), f"{where} securityContext.runAsGroup"),
        run_as_non_root=non_root,
        fs_group=_id(pod_sc.get("fsGroup"), f"{where} pod securityContext.fsGroup"),
        supplemental_groups=tuple(
            g for g in (_id(x, f"{where} pod securityContext.supplementalGroups") for x in groups) if g is not None
        ),
        capabilities=_capabilities(sc.get("capabilities") or {}, f"{where} securityContext"),
        no_new_privileges=ape is False,
        read_only_root=bool(sc.get("readOnlyRootFilesystem", False)),
        privileged=False,
        # The kubelet's SeccompDefault (on by default since 1.27): no profile named means
        # the runtime's default, never none.
        seccomp=seccomp or "RuntimeDefault",
        memory_limit=memory,
        cpu_limit_millis=cpu,
    )
