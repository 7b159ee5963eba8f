"""Opt-in checkov suppressions, computed from the final document.

checkov (``--framework kubernetes``) reads ``checkov.io/skip<N>: <CHECK_ID>=<reason>``
annotations from the object it scans. A suppression is only honest while the finding it
hides is still the deliberate choice it names, so nothing here looks at the options: each
rule reads the document exactly as it will be emitted (after subclass hooks and every JSON
patch) and the reason quotes what it found there (container names, images). Change the
document and the suppression changes or goes with it.

A reason must not contain ``=``: checkov splits the annotation value on it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

# The kinds checkov scans as workloads (CKV_K8S_8..43 look at their pod templates).
WORKLOAD_KINDS = frozenset({"Deployment", "StatefulSet", "Job", "CronJob", "Pod", "DaemonSet", "ReplicaSet"})
# The kinds CKV_K8S_21 ("The default namespace should not be used") looks at.
NAMESPACED_KINDS = WORKLOAD_KINDS | {
    "Service",
    "Secret",
    "ServiceAccount",
    "Role",
    "RoleBinding",
    "ConfigMap",
    "Ingress",
}
# The containers the library writes; suppressions never cover anyone else's.
OWN_CONTAINERS = frozenset({"mxnet", "git-clone-repository", "volume-permissions"})
_RESOURCE_CHECKS = {
    "CKV_K8S_10": ("requests", "cpu"),
    "CKV_K8S_11": ("limits", "cpu"),
    "CKV_K8S_12": ("requests", "memory"),
    "CKV_K8S_13": ("limits", "memory"),
}


def _pod_spec(doc: Mapping[str, Any]) -> Mapping[str, Any] | None:
    spec = doc.get("spec") or {}
    if doc["kind"] == "Pod":
        return spec
    if doc["kind"] == "CronJob":
        spec = spec.get("jobTemplate", {}).get("spec", {})
    template = spec.get("template")
    return template.get("spec") if isinstance(template, Mapping) else None


def _containers(pod: Mapping[str, Any]) -> Iterator[tuple[Mapping[str, Any], bool]]:
    """Every container with whether it is an init container."""
    for container in pod.get("initContainers") or []:
        yield container, True
    for container in pod.get("containers") or []:
        yield container, False


def _names(containers: list[Mapping[str, Any]]) -> str:
    return ", ".join(str(c.get("name", "?")).replace("=", "") for c in containers)


def _ours(containers: list[Mapping[str, Any]]) -> bool:
    """True when every offending container is one the library emits: a finding on a user's
    sidecar or init container is the user's to fix, so it is never suppressed."""
    return bool(containers) and all(c.get("name") in OWN_CONTAINERS for c in containers)


def _run_as_user(pod: Mapping[str, Any], container: Mapping[str, Any]) -> int | None:
    for context in (container.get("securityContext") or {}, pod.get("securityContext") or {}):
        if "runAsUser" in context:
            return int(context["runAsUser"])
    return None


def _workload_findings(pod: Mapping[str, Any]) -> dict[str, str]:
    out: dict[str, str] = {}
    everything = [c for c, _ in _containers(pod)]
    mains = [c for c, init in _containers(pod) if not init]
    for check, (section, resource) in _RESOURCE_CHECKS.items():
        unsized = [c for c in everything if resource not in ((c.get("resources") or {}).get(section) or {})]
        if _ours(unsized):
            out[check] = f"no {resource} {section} on {_names(unsized)}: sizing depends on the model"
    for check, probe in (("CKV_K8S_8", "livenessProbe"), ("CKV_K8S_9", "readinessProbe")):
        unprobed = [c for c in mains if probe not in c]
        if _ours(unprobed):
            out[check] = f"no {probe} on {_names(unprobed)}"
    undigested = [c for c in everything if "@" not in str(c.get("image", ""))]
    if _ours(undigested):
        out["CKV_K8S_43"] = f"images pinned by tag, not digest, on {_names(undigested)}"
    pulled_once = [c for c in undigested if c.get("imagePullPolicy") != "Always"]
    if _ours(pulled_once):
        out["CKV_K8S_15"] = f"tag-pinned image pulled IfNotPresent on {_names(pulled_once)}: images are gigabytes"
    writable = [c for c in everything if not (c.get("securityContext") or {}).get("readOnlyRootFilesystem")]
    if _ours(writable):
        out["CKV_K8S_22"] = (
            f"writable root filesystem on {_names(writable)}: MXNet and scripts write under HOME and /tmp"
        )
    low_uid = [c for c in everything if (uid := _run_as_user(pod, c)) is None or uid < 10000]
    if _ours(low_uid):
        out["CKV_K8S_40"] = f"runAsUser below 10000 on {_names(low_uid)}: the Bitnami images' user is 1001"
    adding = [c for c in everything if ((c.get("securityContext") or {}).get("capabilities") or {}).get("add")]
    if _ours(adding):
        out["CKV_K8S_25"] = f"capabilities added on {_names(adding)}"
    from_secret = [
        c for c in everything if any("secretKeyRef" in (e.get("valueFrom") or {}) for e in c.get("env") or [])
    ]
    if _ours(from_secret):
        out["CKV_K8S_35"] = f"secrets as environment variables on {_names(from_secret)}, as the user asked"
    return out


def skips(doc: Mapping[str, Any]) -> dict[str, str]:
    """The checkov findings of ``doc`` as it stands, check id -> reason quoting the cause."""
    out: dict[str, str] = {}
    kind = doc["kind"]
    if kind in NAMESPACED_KINDS and not doc["metadata"].get("namespace"):
        out["CKV_K8S_21"] = "namespace chosen at apply time (kubectl -n or the GitOps destination)"
    pod = _pod_spec(doc) if kind in WORKLOAD_KINDS else None
    if pod is not None:
        out.update(_workload_findings(pod))
    return out


def skip_annotations(doc: Mapping[str, Any]) -> dict[str, str]:
    """``checkov.io/skip<N>`` annotations for :func:`skips`, numbered in check-id order."""
    found = sorted(skips(doc).items(), key=lambda item: int(item[0].rsplit("_", 1)[1]))
    return {f"checkov.io/skip{i}": f"{check}={reason}" for i, (check, reason) in enumerate(found, start=1)}
