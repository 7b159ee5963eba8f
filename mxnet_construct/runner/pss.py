"""The baseline Pod Security Standard (Kubernetes 1.27), and what run-local cannot honour.

Pod Security Admission at ``enforce: baseline`` refuses a pod that asks for the host (its
namespaces, paths or ports), extra privileges (``privileged``, capabilities beyond the
runtime's defaults, an unmasked ``/proc``) or switches off confinement (``Unconfined``
seccomp or AppArmor, foreign SELinux types, unsafe sysctls). run-local runs other people's
manifests as root, so it refuses the same, naming the rule.

Some fields are legal on a cluster but cannot be honoured by a local runc sandbox; a run
that silently ignored them would prove something other than what the manifests say, so
they are refused too, saying why.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

# Baseline's "Capabilities" control: what a container may add to the runtime's defaults.
BASELINE_CAPABILITIES = frozenset(
    {
        "AUDIT_WRITE",
        "CHOWN",
        "DAC_OVERRIDE",
        "FOWNER",
        "FSETID",
        "KILL",
        "MKNOD",
        "NET_BIND_SERVICE",
        "SETFCAP",
        "SETGID",
        "SETPCAP",
        "SETUID",
        "SYS_CHROOT",
    }
)
# Baseline's "Sysctls" control for 1.27 (namespaced and isolated from the node).
SAFE_SYSCTLS = frozenset(
    {
        "kernel.shm_rmid_forced",
        "net.ipv4.ip_local_port_range",
        "net.ipv4.ip_unprivileged_port_start",
        "net.ipv4.tcp_syncookies",
        "net.ipv4.ping_group_range",
        "net.ipv4.ip_local_reserved_ports",
    }
)
_SELINUX_TYPES = ("", "container_t", "container_init_t", "container_kvm_t")
_APPARMOR_PREFIX = "container.apparmor.security.beta.kubernetes.io/"

_B = "baseline Pod Security Standard"
_LOCAL = "run-local cannot honour it"
_HOST_NS = f"{_B}, host namespaces: must be unset or false"
_HOST_PATH = f"{_B}, HostPath volumes: not allowed"
_PRIVILEGED = f"{_B}, privileged containers: not allowed"
_PROC_MOUNT = f"{_B}, /proc mount type: must be Default"
_HOST_PORT = f"{_B}, host ports: not allowed"
_APPARMOR = f"{_B}, AppArmor: only runtime/default or localhost/<profile>"
_EPHEMERAL = f"{_LOCAL}: ephemeral containers are attached by kubectl debug, never declared"
_LOCALHOST = f"{_LOCAL}: a Localhost profile is a file on the node; use RuntimeDefault"

Finding = tuple[str, object, str]
"""``(field path, value, rule)``."""


def _containers(spec: Mapping[str, Any], at: str) -> Iterator[tuple[str, Mapping[str, Any]]]:
    for key in ("initContainers", "containers", "ephemeralContainers"):
        for i, c in enumerate(spec.get(key) or []):
            yield f"{at}.{key}[{i}]", c


def _security_context(sc: Mapping[str, Any], at: str) -> Iterator[Finding]:
    seccomp = (sc.get("seccompProfile") or {}).get("type")
    if seccomp == "Unconfined":
        yield f"{at}.seccompProfile.type", seccomp, f"{_B}, seccomp: Unconfined is not allowed"
    selinux = sc.get("seLinuxOptions") or {}
    if selinux.get("type", "") not in _SELINUX_TYPES:
        rule = f"{_B}, SELinux: the type must be one of {', '.join(repr(t) for t in _SELINUX_TYPES)}"
        yield f"{at}.seLinuxOptions.type", selinux["type"], rule
    for key in ("user", "role"):
        if selinux.get(key):
            yield f"{at}.seLinuxOptions.{key}", selinux[key], f"{_B}, SELinux: {key} must not be set"
    if (sc.get("windowsOptions") or {}).get("hostProcess"):
        yield f"{at}.windowsOptions.hostProcess", True, f"{_B}, HostProcess: not allowed"


def baseline(spec: Mapping[str, Any], annotations: Mapping[str, Any], at: str, meta_at: str) -> Iterator[Finding]:
    """Every violation of the baseline standard by the pod ``spec`` found at ``at``."""
    for key in ("hostNetwork", "hostPID", "hostIPC"):
        if spec.get(key):
            yield f"{at}.{key}", spec[key], _HOST_NS
    pod_sc = spec.get("securityContext") or {}
    yield from _security_context(pod_sc, f"{at}.securityContext")
    for i, sysctl in enumerate(pod_sc.get("sysctls") or []):
        if sysctl.get("name") not in SAFE_SYSCTLS:
            rule = f"{_B}, sysctls: only {', '.join(sorted(SAFE_SYSCTLS))} are allowed"
            yield f"{at}.securityContext.sysctls[{i}].name", sysctl.get("name"), rule
    for i, volume in enumerate(spec.get("volumes") or []):
        if "hostPath" in volume:
            yield f"{at}.volumes[{i}].hostPath", volume["hostPath"], _HOST_PATH
    for where, c in _containers(spec, at):
        sc = c.get("securityContext") or {}
        if sc.get("privileged"):
            yield f"{where}.securityContext.privileged", True, _PRIVILEGED
        for j, cap in enumerate((sc.get("capabilities") or {}).get("add") or []):
            if str(cap).removeprefix("CAP_") not in BASELINE_CAPABILITIES:
                rule = f"{_B}, capabilities: only {', '.join(sorted(BASELINE_CAPABILITIES))} may be added"
                yield f"{where}.securityContext.capabilities.add[{j}]", cap, rule
        if sc.get("procMount", "Default") != "Default":
            yield f"{where}.securityContext.procMount", sc["procMount"], _PROC_MOUNT
        yield from _security_context(sc, f"{where}.securityContext")
        for j, port in enumerate(c.get("ports") or []):
            if port.get("hostPort"):
                yield f"{where}.ports[{j}].hostPort", port["hostPort"], _HOST_PORT
    for key, value in annotations.items():
        allowed = value == "runtime/default" or str(value).startswith("localhost/")
        if str(key).startswith(_APPARMOR_PREFIX) and not allowed:
            yield f"{meta_at}.annotations[{key}]", value, _APPARMOR


def unsupported(spec: Mapping[str, Any], annotations: Mapping[str, Any], at: str, meta_at: str) -> Iterator[Finding]:
    """Fields a cluster would honour but run-local cannot: refused, never ignored."""
    if spec.get("shareProcessNamespace"):
        yield f"{at}.shareProcessNamespace", True, f"{_LOCAL}: every container has its own PID namespace"
    if spec.get("hostUsers") is False:
        yield f"{at}.hostUsers", False, f"{_LOCAL}: containers run without a user namespace"
    if spec.get("hostAliases"):
        yield f"{at}.hostAliases", spec["hostAliases"], f"{_LOCAL}: /etc/hosts holds the run's own names only"
    if spec.get("ephemeralContainers"):
        yield f"{at}.ephemeralContainers", "...", _EPHEMERAL
    for i, sysctl in enumerate((spec.get("securityContext") or {}).get("sysctls") or []):
        if sysctl.get("name") in SAFE_SYSCTLS:
            yield (
                f"{at}.securityContext.sysctls[{i}]",
                sysctl.get("name"),
                f"{_LOCAL}: pods share the host kernel's settings",
            )
    contexts = [(f"{at}.securityContext", spec.get("securityContext") or {})]
    for where, c in _containers(spec, at):
        contexts.append((f"{where}.securityContext", c.get("securityContext") or {}))
        for j, device in enumerate(c.get("volumeDevices") or []):
            yield f"{where}.volumeDevices[{j}]", device.get("name"), f"{_LOCAL}: there are no block devices"
        for j, mount in enumerate(c.get("volumeMounts") or []):
            propagation = mount.get("mountPropagation")
            if propagation not in (None, "None"):
                yield (
                    f"{where}.volumeMounts[{j}].mountPropagation",
                    propagation,
                    f"{_LOCAL}: only None (private mounts)",
                )
    for where, sc in contexts:
        if (sc.get("seccompProfile") or {}).get("type") == "Localhost":
            yield f"{where}.seccompProfile.type", "Localhost", _LOCALHOST
    for key, value in annotations.items():
        if str(key).startswith(_APPARMOR_PREFIX) and str(value).startswith("localhost/"):
            yield (
                f"{meta_at}.annotations[{key}]",
                value,
                f"{_LOCAL}: a localhost AppArmor profile is loaded on the node",
            )
