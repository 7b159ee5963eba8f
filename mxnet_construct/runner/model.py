"""The run's plan as data: pods, containers, volumes, security, DNS names.

Everything here is resolved from the manifests alone (see :mod:`.plan`); nothing in this
module starts a process or touches the file system.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from ..manifests import Manifests


class RunLocalError(ValueError):
    """The manifests cannot be run locally as given (the message says why and what to do)."""


# Docker's and containerd's default capability set: what a container gets when its
# securityContext neither drops nor adds any.
DEFAULT_CAPABILITIES: tuple[str, ...] = (
    "CAP_AUDIT_WRITE",
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_FOWNER",
    "CAP_FSETID",
    "CAP_KILL",
    "CAP_MKNOD",
    "CAP_NET_BIND_SERVICE",
    "CAP_NET_RAW",
    "CAP_SETFCAP",
    "CAP_SETGID",
    "CAP_SETPCAP",
    "CAP_SETUID",
    "CAP_SYS_CHROOT",
)


@dataclasses.dataclass(frozen=True)
class Security:
    """One container's effective securityContext (pod level merged with container level).

    ``run_as_user``/``run_as_group`` None means "the image's user": the runner has no image,
    so that is root (uid 0, gid 0), as for an image without a ``USER``. ``capabilities`` is
    the resulting set, already with drops and adds applied. ``seccomp`` is ``RuntimeDefault``,
    ``Unconfined`` or ``Localhost`` (the last is refused when running).
    """

    run_as_user: int | None = None
    run_as_group: int | None = None
    run_as_non_root: bool = False
    fs_group: int | None = None
    supplemental_groups: tuple[int, ...] = ()
    capabilities: tuple[str, ...] = DEFAULT_CAPABILITIES
    no_new_privileges: bool = False
    read_only_root: bool = False
    privileged: bool = False
    seccomp: str = "Unconfined"
    memory_limit: int | None = None
    cpu_limit_millis: int | None = None

    @property
    def uid(self) -> int:
        return self.run_as_user if self.run_as_user is not None else 0

    @property
    def gid(self) -> int:
        return self.run_as_group if self.run_as_group is not None else 0

    @property
    def groups(self) -> tuple[int, ...]:
        """Supplementary groups: fsGroup first, then supplementalGroups (as the kubelet does)."""
        out = ([self.fs_group] if self.fs_group is not None else []) + list(self.supplemental_groups)
        return tuple(dict.fromkeys(out))


@dataclasses.dataclass(frozen=True)
class Volume:
    """One pod volume as the runner materialises it.

    ``kind`` is ``files`` (ConfigMap or Secret, with ``files`` to write), ``emptyDir``,
    ``claim`` (a PVC: a directory shared by every pod naming the same ``claim``) or
    ``hostPath``.
    """

    name: str
    kind: Literal["files", "emptyDir", "claim", "hostPath"]
    files: Mapping[str, tuple[bytes, int | None]] = dataclasses.field(default_factory=dict)
    claim: str = ""
    host_path: str = ""
    memory: bool = False
    size: str | None = None
    read_only: bool = False


@dataclasses.dataclass(frozen=True)
class Mount:
    """A volumeMount: ``volume`` at absolute ``path`` (optionally only ``sub_path`` of it)."""

    volume: str
    path: str
    sub_path: str = ""
    read_only: bool = False


@dataclasses.dataclass(frozen=True)
class ContainerPlan:
    """One container: argv (command + args, ``$(VAR)`` expanded), env, working dir, mounts."""

    name: str
    argv: tuple[str, ...]
    env: Mapping[str, str]
    working_dir: str | None
    mounts: tuple[Mount, ...]
    init: bool = False
    security: Security = Security()


@dataclasses.dataclass(frozen=True)
class PodPlan:
    """One pod of the release, with everything its containers need."""

    name: str
    namespace: str
    workload: str
    hostname: str
    subdomain: str
    ip: str
    labels: Mapping[str, str]
    annotations: Mapping[str, str]
    init_containers: tuple[ContainerPlan, ...]
    containers: tuple[ContainerPlan, ...]
    volumes: Mapping[str, Volume]
    finishing: bool
    restart_policy: str
    group: str
    group_slots: int
    after: tuple[str, ...] = ()
    deadline_seconds: float | None = None

    @property
    def component(self) -> str:
        return self.labels.get("app.kubernetes.io/component", "")

    def dns_names(self) -> list[str]:
        """The names this pod answers to: its name, hostname and subdomain FQDNs."""
        names = [self.name, self.hostname]
        if self.subdomain:
            base = f"{self.hostname}.{self.subdomain}"
            names += [
                base,
                f"{base}.{self.namespace}",
                f"{base}.{self.namespace}.svc",
                f"{base}.{self.namespace}.svc.cluster.local",
            ]
        return list(dict.fromkeys(names))


@dataclasses.dataclass(frozen=True)
class ServiceName:
    """A DNS name resolved to one pod's address, for ``/etc/hosts``."""

    names: tuple[str, ...]
    ip: str


@dataclasses.dataclass(frozen=True)
class Plan:
    """Everything one run does: pods in start order, DNS, and what differs from a cluster."""

    pods: tuple[PodPlan, ...]
    services: tuple[ServiceName, ...]
    notes: tuple[str, ...]
    manifests: Manifests | None = dataclasses.field(default=None, compare=False, repr=False)

    def pod(self, name: str) -> PodPlan:
        for p in self.pods:
            if p.name == name:
                return p
        raise KeyError(name)

    def hosts_file(self) -> str:
        """The ``/etc/hosts`` every pod sees: loopback, each pod, then each Service."""
        lines = ["127.0.0.1\tlocalhost", "::1\tlocalhost ip6-localhost ip6-loopback", "# pods"]
        lines += [f"{p.ip}\t{' '.join(p.dns_names())}" for p in self.pods]
        lines.append("# services")
        lines += [f"{s.ip}\t{' '.join(s.names)}" for s in self.services]
        return "\n".join(lines) + "\n"

    def addresses(self) -> dict[str, str]:
        """Every name in the hosts file mapped to its address (first entry wins, as in libc)."""
        out: dict[str, str] = {}
        for pod in self.pods:
            for name in pod.dns_names():
                out.setdefault(name, pod.ip)
        for svc in self.services:
            for name in svc.names:
                out.setdefault(name, svc.ip)
        return out
