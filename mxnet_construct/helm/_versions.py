"""The values schemas of chart 2.4.17 and 3.5.1, each read into the 1.4.26 schema of :data:`PARAMS`.

Chart 1.4.26's keys (plus this library's extensions) are the one schema the translator
knows. A later version's key either names one of those keys (``server.replicaCount`` is
``serverCount``), or is accepted only at its shipped default, with the reason any other
value is refused. Keys of a role the mode renders no workload for (``standalone.*`` in a
distributed release) are held to their defaults too: the chart ignored them, and a value
that changes nothing is refused rather than ignored.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from ..options import OptionError
from ._params import PARAMS

VERSIONS = ("1.4.26", "2.4.17", "3.5.1")
ROLES = ("scheduler", "server", "worker")
# The default of a key that only matters when a switch next to it is on (the switch is
# held to its default): any value is accepted.
ANY = "<any>"


@dataclass(frozen=True)
class Rule:
    """One key of a chart version.

    Attributes:
        key: The key as that version's ``values.yaml`` spells it.
        to: The 1.4.26-schema key it sets; empty when only ``default`` is accepted.
        default: The shipped default, the one value a key without ``to`` accepts.
        reason: Why other values are refused (keys without ``to``).
        mode: ``standalone`` or ``distributed`` when only that mode's workloads read it.
    """

    key: str
    to: str = ""
    default: Any = None
    reason: str = ""
    mode: str = ""


# Reasons shared by many keys; each says what to do instead.
_PRESET = "affinity presets are not generated here; write the affinity out under {affinity}"
_POD_META = "per-role pod labels and annotations are not modelled; add them in a cdk8s app (ApiObject.of(role))"
_COMMAND = "the role's command carries the DMLC wiring and the rank export; set entrypoint.file and entrypoint.args"
_ENV_FROM = (
    "envFrom is not modelled; list the variables in {env} with valueFrom.configMapKeyRef or valueFrom.secretKeyRef"
)
_VOLUMES = "extra volumes are not modelled in values; use role.add_volume in a cdk8s app"
_CONTAINERS = "per-role containers are not modelled in values; use sidecars/initContainers (every role)"
_POD_FIELD = "this pod field is not modelled; set it with a JSON patch in a cdk8s app (ApiObject.of(role))"
_PROBE = "startup and custom probes are not modelled; tune livenessProbe and readinessProbe"
_SERVICE = "this Service field is not modelled; set it with a JSON patch in a cdk8s app"
_NO_PRIVILEGED = "privileged containers are refused (Pod Security baseline)"


def _same(*keys: str) -> list[Rule]:
    return [Rule(k, k) for k in keys]


def _common_rules(version: str) -> list[Rule]:
    """Keys both later versions share with 1.4.26, with the same meaning."""
    images = [f"{p}.{leaf}" for p in ("image", "git") for leaf in ("registry", "repository", "tag", "pullPolicy")]
    images += [f"volumePermissions.image.{leaf}" for leaf in ("registry", "repository", "tag", "pullPolicy")]
    rules = _same(
        "global.imageRegistry",
        "global.imagePullSecrets",
        "global.storageClass",
        "nameOverride",
        "fullnameOverride",
        *images,
        "image.pullSecrets",
        "image.debug",
        "git.pullSecrets",
        "volumePermissions.enabled",
        "volumePermissions.image.pullSecrets",
        "volumePermissions.resources",
        "entrypoint.file",
        "entrypoint.args",
        "entrypoint.workDir",
        "mode",
        "existingSecret",
        "configMap",
        "cloneFilesFromGit.enabled",
        "cloneFilesFromGit.repository",
        "cloneFilesFromGit.revision",
        "persistence.enabled",
        "persistence.mountPath",
        "persistence.accessModes",
        "persistence.size",
        "persistence.annotations",
        "persistence.storageClass",
        "sidecars",
        "initContainers",
        "server.replicaCount",
        "worker.replicaCount",
    )
    rules = [
        Rule(r.key, {"server.replicaCount": "serverCount", "worker.replicaCount": "workerCount"}.get(r.key, r.to))
        for r in rules
    ]
    rules += [
        Rule("extraDeploy", "extraDeploy"),
        Rule("cloneFilesFromGit.extraVolumeMounts", default=[], reason=_VOLUMES),
        Rule("extraVolumes", default=[], reason=_VOLUMES),
        Rule("extraVolumeMounts", default=[], reason=_VOLUMES),
    ]
    return rules


def _placement(role: str, mode: str) -> list[Rule]:
    """A role's scheduling keys; the standalone role's land on the release-wide keys."""
    target = "" if role in ("", "standalone") else f"{role}."
    prefix = f"{role}." if role else ""
    affinity = f"{prefix}affinity"
    return [
        *(
            Rule(f"{prefix}{k}", f"{target}{k}", {}, mode=mode)
            for k in ("affinity", "nodeSelector", "tolerations", "resources")
        ),
        Rule(f"{prefix}podAffinityPreset", default="", reason=_PRESET.format(affinity=affinity), mode=mode),
        # `soft`, the default, made the chart prefer spreading a role over nodes; that
        # preference is not rendered here (see docs/migration.md).
        Rule(f"{prefix}podAntiAffinityPreset", default="soft", reason=_PRESET.format(affinity=affinity), mode=mode),
        *(
            Rule(f"{prefix}nodeAffinityPreset.{k}", default=d, reason=_PRESET.format(affinity=affinity), mode=mode)
            for k, d in (("type", ""), ("key", ""), ("values", []))
        ),
        Rule(f"{prefix}hostAliases", default=[], reason=_POD_FIELD, mode=mode),
    ]


def _rules_2_4_17() -> list[Rule]:
    rules = _common_rules("2.4.17")
    rules += _same(
        "service.type",
        "service.port",
        "service.nodePort",
        "service.annotations",
        "commonExtraEnvVars",
        "podManagementPolicy",
        "securityContext.enabled",
        "securityContext.fsGroup",
        "securityContext.runAsUser",
    )
    rules += [Rule(f"{p}.{k}", f"{p}.{k}") for p in ("livenessProbe", "readinessProbe") for k in _PROBE_LEAVES]
    # Chart 2.x reads the top-level placement keys in standalone mode only.
    rules += _placement("", "standalone")
    for role in ROLES:
        rules += _placement(role, "distributed")
        rules.append(Rule(f"{role}.extraEnvVars", f"{role}ExtraEnvVars", [], mode="distributed"))
    rules.append(Rule("scheduler.port", "schedulerPort"))
    return rules


# The probe keys of 1.4.26, which every later version kept (2.x at the top level, 3.x per role).
_PROBE_LEAVES = tuple(p.key.removeprefix("livenessProbe.") for p in PARAMS if p.key.startswith("livenessProbe."))
_PROBE_DEFAULTS = dict(zip(_PROBE_LEAVES, (True, 5, 5, 15, 1, 5), strict=True))
# 3.x's per-role security keys: (its key, the 1.4.26-schema key, the shipped default).
_SECURITY = (
    ("podSecurityContext.enabled", "securityContext.enabled", True),
    ("podSecurityContext.fsGroup", "securityContext.fsGroup", 1001),
    ("containerSecurityContext.enabled", "securityContext.enabled", True),
    ("containerSecurityContext.runAsUser", "securityContext.runAsUser", 1001),
    ("containerSecurityContext.runAsNonRoot", "securityContext.runAsNonRoot", True),
    ("containerSecurityContext.readOnlyRootFilesystem", "securityContext.readOnlyRootFilesystem", False),
    ("containerSecurityContext.allowPrivilegeEscalation", "securityContext.allowPrivilegeEscalation", False),
    ("containerSecurityContext.capabilities.drop", "securityContext.dropCapabilities", ["ALL"]),
    ("containerSecurityContext.seccompProfile.type", "securityContext.seccompProfile", "RuntimeDefault"),
)


def _role_3(role: str) -> list[Rule]:
    mode = "standalone" if role == "standalone" else "distributed"
    p = f"{role}."
    env_target = "commonExtraEnvVars" if role == "standalone" else f"{role}ExtraEnvVars"
    env = f"{p}extraEnvVars"
    rules = _placement(role, mode)
    rules += [Rule(f"{p}{k}", default={}, reason=_POD_META, mode=mode) for k in ("podAnnotations", "podLabels")]
    rules += [Rule(f"{p}{k}", t, d, mode=mode) for k, t, d in _SECURITY]
    rules += [
        Rule(f"{p}containerSecurityContext.privileged", default=False, reason=_NO_PRIVILEGED, mode=mode),
        Rule(f"{p}command", default=[], reason=_COMMAND, mode=mode),
        Rule(f"{p}args", default=[], reason=_COMMAND, mode=mode),
        Rule(f"{p}lifecycleHooks", default={}, reason=_POD_FIELD, mode=mode),
        Rule(env, env_target, [], mode=mode),
        Rule(f"{p}extraEnvVarsCM", default="", reason=_ENV_FROM.format(env=env), mode=mode),
        Rule(f"{p}extraEnvVarsSecret", default="", reason=_ENV_FROM.format(env=env), mode=mode),
        Rule(f"{p}extraVolumes", default=[], reason=_VOLUMES, mode=mode),
        Rule(f"{p}extraVolumeMounts", default=[], reason=_VOLUMES, mode=mode),
        Rule(f"{p}sidecars", default=[], reason=_CONTAINERS, mode=mode),
        Rule(f"{p}initContainers", default=[], reason=_CONTAINERS, mode=mode),
        Rule(
            f"{p}updateStrategy.type",
            default="RollingUpdate",
            reason="Deployments here always use Recreate and StatefulSets RollingUpdate",
            mode=mode,
        ),
        Rule(f"{p}priorityClassName", default="", reason=_POD_FIELD, mode=mode),
        Rule(
            f"{p}schedulerName",
            default="",
            reason=_POD_FIELD + "; gangScheduler sets it for gang scheduling",
            mode=mode,
        ),
        Rule(f"{p}terminationGracePeriodSeconds", default="", reason=_POD_FIELD, mode=mode),
        Rule(f"{p}topologySpreadConstraints", default=[], reason=_POD_FIELD, mode=mode),
        Rule(f"{p}startupProbe.enabled", default=False, reason=_PROBE, mode=mode),
        *(Rule(f"{p}startupProbe.{k}", default=ANY, mode=mode) for k in _PROBE_LEAVES[1:]),
        *(
            Rule(f"{p}{k}", default={}, reason=_PROBE, mode=mode)
            for k in ("customStartupProbe", "customLivenessProbe", "customReadinessProbe")
        ),
        *(
            Rule(f"{p}{probe}.{k}", f"{probe}.{k}", _PROBE_DEFAULTS[k], mode=mode)
            for probe in ("livenessProbe", "readinessProbe")
            for k in _PROBE_LEAVES
        ),
    ]
    if role in ("server", "worker"):
        rules.append(Rule(f"{p}podManagementPolicy", f"{p}podManagementPolicy", "", mode=mode))
    if role in ("standalone", "scheduler"):
        rules.append(Rule(f"{p}containerPorts.mxnet", "schedulerPort", 9092, mode=mode))
    return rules


def _rules_3_5_1() -> list[Rule]:
    rules = _common_rules("3.5.1")
    rules += _same("image.digest", "git.digest", "volumePermissions.image.digest")
    rules += [
        Rule(
            "kubeVersion",
            default="",
            reason="Helm's capability checks; the output here does not depend on the cluster version",
        ),
        Rule("namespaceOverride", "namespaceOverride"),
        Rule("commonLabels", "commonLabels"),
        Rule(
            "commonAnnotations", default={}, reason="add annotations in a cdk8s app (ApiObject.metadata.add_annotation)"
        ),
        Rule(
            "clusterDomain",
            default="cluster.local",
            reason="names here are resolved through the pod's DNS search path; no name uses the cluster domain",
        ),
        Rule(
            "diagnosticMode.enabled",
            default=False,
            reason="diagnostic mode replaces every command with sleep; debug with `kubectl debug` or run-local",
        ),
        Rule("diagnosticMode.command", default=ANY),
        Rule("diagnosticMode.args", default=ANY),
        Rule("extraEnvVars", "commonExtraEnvVars"),
        Rule("extraEnvVarsCM", default="", reason=_ENV_FROM.format(env="extraEnvVars")),
        Rule("extraEnvVarsSecret", default="", reason=_ENV_FROM.format(env="extraEnvVars")),
        Rule(
            "persistence.existingClaim",
            default="",
            reason="an existing claim is not modelled; leave it empty so the release's own claim is kept",
        ),
        Rule("scheduler.service.type", "service.type", "ClusterIP", mode="distributed"),
        Rule("scheduler.service.ports.mxnet", "service.port", 9092, mode="distributed"),
        Rule("scheduler.service.nodePorts.mxnet", "service.nodePort", "", mode="distributed"),
        Rule("scheduler.service.annotations", "service.annotations", {}, mode="distributed"),
    ]
    rules += [
        Rule(f"scheduler.service.{k}", default=d, reason=_SERVICE, mode="distributed")
        for k, d in (
            ("clusterIP", ""),
            ("loadBalancerIP", ""),
            ("loadBalancerSourceRanges", []),
            ("externalTrafficPolicy", "Cluster"),
            ("extraPorts", []),
            ("sessionAffinity", "None"),
            ("sessionAffinityConfig", {}),
        )
    ]
    for role in ("standalone", *ROLES):
        rules += _role_3(role)
    return rules


def _extensions(rules: list[Rule], version: str) -> list[Rule]:
    """This library's extension keys pass through unchanged, unless the version has that key."""
    taken = {r.key for r in rules}
    # 3.x moved the security context under each role; its extension keys would read as 1.x keys.
    skip = ("securityContext.",) if version == "3.5.1" else ()
    return [Rule(p.key, p.key) for p in PARAMS if not p.chart and p.key not in taken and not p.key.startswith(skip)]


def _table(version: str) -> dict[str, Rule]:
    rules = _rules_2_4_17() if version == "2.4.17" else _rules_3_5_1()
    rules += _extensions(rules, version)
    return {r.key: r for r in rules}


TABLES: dict[str, dict[str, Rule]] = {v: _table(v) for v in VERSIONS[1:]}
# Keys of the later versions that 1.4.26's schema takes only to carry them over.
_LATER_ONLY = frozenset({"extraDeploy", "namespaceOverride", "commonLabels"})
KEYS: dict[str, frozenset[str]] = {
    "1.4.26": frozenset(p.key for p in PARAMS) - _LATER_ONLY,
    **{v: frozenset(t) for v, t in TABLES.items()},
}

# Each version's shipped defaults that differ from this library's, for keys it does not set.
DEFAULTS: dict[str, dict[str, Any]] = {
    "2.4.17": {
        "image.tag": "1.9.0-debian-10-r117",
        "git.tag": "2.36.0-debian-10-r8",
        "volumePermissions.image.repository": "bitnami/bitnami-shell",
        "volumePermissions.image.tag": "10-debian-10-r408",
        "volumePermissions.image.pullPolicy": "IfNotPresent",
        "schedulerPort": 9092,
        "livenessProbe.timeoutSeconds": 15,
        "readinessProbe.timeoutSeconds": 15,
    },
    "3.5.1": {
        "image.tag": "1.9.1-debian-11-r410",
        "git.tag": "2.42.1-debian-11-r0",
        "volumePermissions.image.repository": "bitnami/os-shell",
        "volumePermissions.image.tag": "11-debian-11-r90",
        "volumePermissions.image.pullPolicy": "IfNotPresent",
        "schedulerPort": 9092,
        "livenessProbe.timeoutSeconds": 15,
        "readinessProbe.timeoutSeconds": 15,
        # No podManagementPolicy in its StatefulSets: the API server wrote OrderedReady.
        "podManagementPolicy": "OrderedReady",
    },
}
# What a live release of each version named and labelled immutably (see MXNetOptions).
LAYOUT: dict[str, dict[str, Any]] = {
    "3.5.1": {"claim_names": "chart-3", "claim_template_labels": False},
}

# A key another version spells differently: {other version's key: {version: its key}}.
RENAMES: dict[str, dict[str, str]] = {}


def _add_renames() -> None:
    for version, table in TABLES.items():
        for rule in table.values():
            if rule.to and rule.to != rule.key:
                RENAMES.setdefault(rule.to, {}).setdefault(version, rule.key)
                RENAMES.setdefault(rule.key, {}).setdefault("1.4.26", rule.to)
    # Keys two later versions spell differently.
    for old, new in (
        ("service.type", "scheduler.service.type"),
        ("service.port", "scheduler.service.ports.mxnet"),
        ("service.nodePort", "scheduler.service.nodePorts.mxnet"),
        ("service.annotations", "scheduler.service.annotations"),
        ("commonExtraEnvVars", "extraEnvVars"),
        ("scheduler.port", "scheduler.containerPorts.mxnet"),
        ("podManagementPolicy", "worker.podManagementPolicy"),
        ("securityContext.fsGroup", "<role>.podSecurityContext.fsGroup"),
        ("securityContext.runAsUser", "<role>.containerSecurityContext.runAsUser"),
        ("securityContext.enabled", "<role>.podSecurityContext.enabled"),
        ("livenessProbe", "<role>.livenessProbe"),
        ("readinessProbe", "<role>.readinessProbe"),
        ("hostAliases", "<role>.hostAliases"),
    ):
        RENAMES.setdefault(old, {})["3.5.1"] = new
        RENAMES.setdefault(new, {})["2.4.17"] = old
    for key in ("serverCount", "workerCount", "schedulerPort"):
        RENAMES[key]["2.4.17"] = {"serverCount": "server.replicaCount", "workerCount": "worker.replicaCount"}.get(
            key, "scheduler.port"
        )
        RENAMES[key]["3.5.1"] = {"serverCount": "server.replicaCount", "workerCount": "worker.replicaCount"}.get(
            key, "scheduler.containerPorts.mxnet"
        )
    for role in ROLES:
        RENAMES.setdefault(f"{role}ExtraEnvVars", {}).update(
            {"2.4.17": f"{role}.extraEnvVars", "3.5.1": f"{role}.extraEnvVars"}
        )


_add_renames()


def leaves(values: Mapping[str, Any], keys: frozenset[str], prefix: str = "") -> Iterator[tuple[str, Any]]:
    """(dotted key, value) for each leaf; a key in ``keys`` is a leaf even when its value is a map."""
    for key, value in values.items():
        path = f"{prefix}{key}"
        if isinstance(value, Mapping) and value and path not in keys:
            yield from leaves(value, keys, f"{path}.")
        else:
            yield path, value


def _known(version: str, key: str) -> bool:
    keys = KEYS[version]
    return key in keys or any(key.startswith(f"{k}.") or key.startswith(f"{k}[") for k in keys)


_EXTENSIONS = frozenset(p.key for p in PARAMS if not p.chart)


def versions_of(key: str) -> tuple[str, ...]:
    """The chart versions whose schema has ``key``; this library's extension keys (some
    are 3.x keys too, such as ``worker.podManagementPolicy``) fit every version."""
    if key in _EXTENSIONS:
        return VERSIONS
    return tuple(v for v in VERSIONS if key in KEYS[v])


def detect(values: Mapping[str, Any]) -> str:
    """The chart version the keys of ``values`` were written for.

    Keys every version has say nothing; 1.4.26 wins a tie with a later version, as
    before later versions were read; a tie between 2.4.17 and 3.5.1 must be named.

    Raises:
        OptionError: the keys mix versions (naming a key of each), or fit 2.4.17 and 3.5.1
            alike.
    """
    all_keys = frozenset().union(*KEYS.values())
    found = [(key, versions_of(key)) for key, _ in leaves(values, all_keys)]
    found = [(k, vs) for k, vs in found if vs]
    candidates = set(VERSIONS)
    for _, vs in found:
        candidates &= set(vs)
    if "1.4.26" in candidates or not found:
        return "1.4.26"
    if len(candidates) == 1:
        return candidates.pop()
    if candidates:
        old = next(((k, spelled_in("1.4.26", k)) for k, _ in found if spelled_in("1.4.26", k)), None)
        hint = f" (for chart 1.4.26, write {old[1]} for {old[0]})" if old else ""
        raise OptionError(
            "chart_version",
            None,
            f"the keys fit chart {' and '.join(sorted(candidates))} alike; name the version with "
            f"chart_version= (Python) or --chart-version (template), e.g. from the release's helm.sh/chart label{hint}",
        )
    first, first_versions = min(found, key=lambda kv: len(kv[1]))
    other = next((k, vs) for k, vs in found if not set(vs) & set(first_versions))
    raise OptionError(
        first,
        None,
        f"the values mix chart versions: {first} is a key of chart {', '.join(first_versions)}, "
        f"{other[0]} of chart {', '.join(other[1])}; write every key as one version spells it, "
        "and name that version with chart_version= or --chart-version",
    )


def spelled_in(version: str, key: str) -> str | None:
    """How ``version`` spells another version's ``key`` (or a parent of it), if it has it."""
    parts = key.split(".")
    for cut in range(len(parts), 0, -1):
        head, tail = ".".join(parts[:cut]), ".".join(parts[cut:])
        new = RENAMES.get(head, {}).get(version)
        if new:
            return f"{new}.{tail}" if tail else new
    return None


def _empty(value: Any) -> bool:
    if isinstance(value, Mapping):
        return all(_empty(v) for v in value.values())
    return value is None or value == "" or value == []


def is_default(value: Any, default: Any) -> bool:
    """True when ``value`` is the shipped ``default``; every empty value (``""``, ``[]``,
    ``{}``, ``{limits: {}}``) counts as the same nothing."""
    if _empty(value) and _empty(default):
        return True
    return bool(value == default)
