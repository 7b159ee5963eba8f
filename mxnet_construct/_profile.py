"""The restricted Pod Security profile, checked on the final pod of every workload.

Every container of a release gets the restricted securityContext defaults however it was
added (the options' sidecars, the ``pod_template()`` hook, ``add_container``), but a JSON
patch or an explicit setting can still undo them. A namespace enforcing "restricted" would
then refuse the pod at apply time, far from the cause, so synthesis fails instead, naming
the container and the rule. Only rules the release's ``security_context`` options keep on
are checked: relaxing one there is a documented choice, not a mistake.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from .options import MXNetOptions

# The one container allowed to run as root (VolumePermissions documents why).
EXEMPT = frozenset({"volume-permissions"})
_ALLOWED_ADD = frozenset({"NET_BIND_SERVICE"})
_ALLOWED_SECCOMP = ("RuntimeDefault", "Localhost")


def _containers(pod: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    for key in ("initContainers", "containers", "ephemeralContainers"):
        for container in pod.get(key) or []:
            if isinstance(container, Mapping):
                yield key, container


def _effective(pod: Mapping[str, Any], container: Mapping[str, Any], key: str) -> Any:
    """A setting as the kubelet sees it: the container's, else the pod's."""
    own = container.get("securityContext") or {}
    if key in own:
        return own[key]
    return (pod.get("securityContext") or {}).get(key)


def container_problems(options: MXNetOptions, pod: Mapping[str, Any], container: Mapping[str, Any]) -> list[str]:
    """Which restricted rules (kept on by ``options``) one container of ``pod`` breaks."""
    sc = options.security_context
    own: Mapping[str, Any] = container.get("securityContext") or {}
    out: list[str] = []
    if own.get("privileged") is True:
        out.append("securityContext.privileged is true (allowed: false or unset)")
    if not sc.allow_privilege_escalation and own.get("allowPrivilegeEscalation") is not False:
        out.append(
            f"securityContext.allowPrivilegeEscalation is {own.get('allowPrivilegeEscalation')!r} (required: false)"
        )
    caps: Mapping[str, Any] = own.get("capabilities") or {}
    if "ALL" in sc.drop_capabilities:
        if "ALL" not in (caps.get("drop") or []):
            out.append(f"securityContext.capabilities.drop is {caps.get('drop')!r} (required: it includes 'ALL')")
        extra = sorted(set(caps.get("add") or []) - _ALLOWED_ADD)
        if extra:
            out.append(f"securityContext.capabilities.add has {extra} (allowed: only NET_BIND_SERVICE)")
    if sc.run_as_non_root:
        if _effective(pod, container, "runAsNonRoot") is not True:
            out.append("securityContext.runAsNonRoot is not true in the container or the pod (required: true)")
        if _effective(pod, container, "runAsUser") == 0:
            out.append("securityContext.runAsUser is 0 (required: a non-root user)")
    if sc.seccomp_profile == "RuntimeDefault":
        profile = _effective(pod, container, "seccompProfile") or {}
        if profile.get("type") not in _ALLOWED_SECCOMP:
            out.append(f"seccompProfile.type is {profile.get('type')!r} (allowed: RuntimeDefault or Localhost)")
    return out


def pod_problems(options: MXNetOptions, pod: Mapping[str, Any]) -> list[str]:
    """One message per container of ``pod`` that breaks a rule, naming it and the rules."""
    out: list[str] = []
    for key, container in _containers(pod):
        name = container.get("name")
        if name in EXEMPT:
            continue
        found = container_problems(options, pod, container)
        if found:
            out.append(f"container {name!r} ({key}) breaks the restricted Pod Security profile: " + "; ".join(found))
    return out
