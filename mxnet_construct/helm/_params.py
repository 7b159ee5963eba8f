"""The one table of values keys, :data:`PARAMS`, and the value kinds that check each leaf.

Every key's YAML type, the option it sets, its migration-table note and whether the
chart has it are written here once; the translator, the error messages and
``docs/migration.md`` all read them from this table.
"""

from __future__ import annotations

import difflib
import shlex
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NoReturn

from ..options import EnvVar, OptionError, Resources
from ._errors import _blame, _type_error

# --- value kinds: check the YAML type of one leaf and normalise it ---------------------

Check = Callable[[str, Any], Any]


def _str(path: str, value: Any) -> str:
    if not isinstance(value, str):
        _type_error(path, value, "a string")
    return value


def _opt_str(path: str, value: Any) -> str | None:
    # Chart templates test these with `if`, so Helm treats "" exactly like nil.
    return _str(path, value) or None


def _scalar_str(path: str, value: Any) -> str:
    # `--set image.tag=2` types the value as an integer, as Helm does; Helm's templates
    # print it back as "2", so integers are accepted where text is expected. Floats are
    # refused: YAML turns `1.10` into 1.1, which is never what was meant.
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        _type_error(
            path,
            value,
            "a string",
            "; quote it in YAML (or use --set-string), since a number loses digits like trailing zeros",
        )
    return _str(path, value)


def _env_value(path: str, value: Any) -> str:
    # The chart README's own example sets `commonExtraEnvVars[0].value=1`, which --set
    # types as an integer; Kubernetes wants a string, so scalars are written as text.
    if isinstance(value, bool):
        return "true" if value else "false"
    return _scalar_str(path, value)


def _int(path: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        _type_error(path, value, "an integer")
    return value


def _bool(path: str, value: Any) -> bool:
    if not isinstance(value, bool):
        hint = (
            "; write true or false without quotes"
            if isinstance(value, str) and value.lower() in ("true", "false")
            else ""
        )
        _type_error(path, value, "true or false", hint)
    return value


def _quantity(path: str, value: Any) -> str | int | float:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        _type_error(path, value, "a Kubernetes quantity such as '8Gi' or 2")
    return value


def _list(path: str, value: Any) -> list[Any]:
    if not isinstance(value, list | tuple):
        _type_error(path, value, "a list")
    return list(value)


def _map(path: str, value: Any) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        _type_error(path, value, "a mapping")
    for key in value:
        if not isinstance(key, str):
            _type_error(f"{path} key", key, "a string")
    return dict(value)


def _str_list(path: str, value: Any) -> tuple[str, ...]:
    return tuple(_str(f"{path}[{i}]", item) for i, item in enumerate(_list(path, value)))


def _pull_secrets(path: str, value: Any) -> tuple[str, ...]:
    # Bitnami charts took plain names; later ones also took `- name: x`, so accept both.
    out: list[str] = []
    for i, item in enumerate(_list(path, value)):
        if isinstance(item, Mapping):
            _check_keys(f"{path}[{i}]", item, ("name",))
            item = item.get("name")
        out.append(_str(f"{path}[{i}]", item))
    return tuple(out)


def _str_map(path: str, value: Any) -> dict[str, str]:
    out = _map(path, value)
    for key, item in out.items():
        _str(f"{path}.{key}", item)
    return out


def _map_list(path: str, value: Any) -> tuple[dict[str, Any], ...]:
    return tuple(_map(f"{path}[{i}]", item) for i, item in enumerate(_list(path, value)))


def _args(path: str, value: Any) -> tuple[str, ...]:
    # The README writes `entrypoint.args="--dataset cifar10 --epochs 1"`: one string that
    # the chart pasted into a shell command line, so it is split the way a shell would.
    if isinstance(value, str):
        try:
            return tuple(shlex.split(value))
        except ValueError as err:
            raise OptionError(
                path, value, f"{value!r} cannot be split like a shell command line ({err}); use a list of arguments"
            ) from None
    return tuple(_env_value(f"{path}[{i}]", item) for i, item in enumerate(_list(path, value)))


def _resources(path: str, value: Any) -> Resources:
    spec = _check_keys(path, _map(path, value), ("requests", "limits"))
    parts: dict[str, dict[str, Any]] = {}
    for part in ("requests", "limits"):
        if spec.get(part) is None:
            continue
        parts[part] = _map(f"{path}.{part}", spec[part])
        for name, qty in parts[part].items():
            _quantity(f"{path}.{part}.{name}", qty)
    with _blame(path, {"requests": f"{path}.requests", "limits": f"{path}.limits"}):
        return Resources(**parts)


def _env_list(path: str, value: Any) -> tuple[EnvVar, ...]:
    out: list[EnvVar] = []
    for i, item in enumerate(_list(path, value)):
        where = f"{path}[{i}]"
        entry = _check_keys(where, _map(where, item), ("name", "value", "valueFrom", "notSecret"))
        name = _str(f"{where}.name", entry.get("name"))
        raw = entry.get("value")
        text = None if raw is None else _env_value(f"{where}.value", raw)
        source = entry.get("valueFrom")
        if source is not None:
            source = _map(f"{where}.valueFrom", source)
        extra = (
            {"not_secret": _bool(f"{where}.notSecret", entry["notSecret"])}
            if entry.get("notSecret") is not None
            else {}
        )
        attrs = {
            "name": f"{where}.name",
            "value": f"{where}.value",
            "value_from": f"{where}.valueFrom",
            "not_secret": f"{where}.notSecret",
        }
        with _blame(where, attrs):
            out.append(EnvVar(name=name, value=text, value_from=source, **extra))
    return tuple(out)


@dataclass(frozen=True)
class _Kind:
    check: Check
    doc: str


STR = _Kind(_str, "string")
OPT_STR = _Kind(_opt_str, "string")
TEXT = _Kind(_scalar_str, "string")
INT = _Kind(_int, "integer")
BOOL = _Kind(_bool, "boolean")
QUANTITY = _Kind(_quantity, "quantity")
STR_LIST = _Kind(_str_list, "list of strings")
PULL_SECRETS = _Kind(_pull_secrets, "list of secret names")
STR_MAP = _Kind(_str_map, "map of strings")
MAP = _Kind(_map, "map (Kubernetes YAML)")
MAP_LIST = _Kind(_map_list, "list of maps (Kubernetes YAML)")
ARGS = _Kind(_args, "string or list")
RESOURCES = _Kind(_resources, "map {requests, limits}")
ENV = _Kind(_env_list, "list of {name, value | valueFrom, notSecret}")


# --- the table -------------------------------------------------------------------------


@dataclass(frozen=True)
class Param:
    """One values key.

    Attributes:
        key: Dotted path in the values mapping, e.g. ``image.tag``.
        kind: Accepted YAML type and its normalisation.
        target: Dotted path of the option it sets in :class:`MXNetOptions`, e.g.
            ``git_image.pull_policy``; ``code`` keys are resolved together (chart
            priority configMap > files > cloneFilesFromGit).
        chart: True for the Bitnami chart's keys (its README's parameter table, then the
            keys only its 1.4.x ``values.yaml`` has), False for this library's extensions.
        note: What differs from the chart, for the migration table.
        python: How the argument is written in Python, when it can't be derived from
            ``target``.
        no_effect: True when no accepted value can change the output (``note`` says why).
    """

    key: str
    kind: _Kind
    target: str
    chart: bool = True
    note: str = ""
    python: str = ""
    no_effect: bool = False


def _image_params(prefix: str, target: str, *, chart: bool, debug: bool = False, secrets: bool = True) -> list[Param]:
    params = [
        Param(f"{prefix}.registry", STR, f"{target}.registry", chart, '`""` means no registry prefix'),
        Param(f"{prefix}.repository", STR, f"{target}.repository", chart),
        Param(f"{prefix}.tag", TEXT, f"{target}.tag", chart),
        Param(f"{prefix}.digest", OPT_STR, f"{target}.digest", False, "`sha256:...`; replaces the tag"),
        Param(f"{prefix}.pullPolicy", STR, f"{target}.pull_policy", chart),
    ]
    if secrets:
        params.append(Param(f"{prefix}.pullSecrets", PULL_SECRETS, f"{target}.pull_secrets", chart))
    if debug:
        params.append(
            Param(f"{prefix}.debug", BOOL, f"{target}.debug", chart, "sets `BITNAMI_DEBUG=true` in the main container")
        )
    return params


def _probe_params(prefix: str, target: str) -> list[Param]:
    liveness = prefix == "livenessProbe"
    success_note = "no effect: Kubernetes accepts only 1 for liveness probes, the default" if liveness else ""
    return [
        Param(f"{prefix}.enabled", BOOL, f"{target}.enabled"),
        Param(f"{prefix}.initialDelaySeconds", INT, f"{target}.initial_delay_seconds"),
        Param(f"{prefix}.periodSeconds", INT, f"{target}.period_seconds"),
        Param(f"{prefix}.timeoutSeconds", INT, f"{target}.timeout_seconds"),
        Param(f"{prefix}.successThreshold", INT, f"{target}.success_threshold", note=success_note, no_effect=liveness),
        Param(f"{prefix}.failureThreshold", INT, f"{target}.failure_threshold"),
    ]


def _role_params(role: str) -> list[Param]:
    return [
        Param(f"{role}.resources", RESOURCES, f"{role}.resources", False, "replaces `resources` for this role"),
        Param(f"{role}.nodeSelector", STR_MAP, f"{role}.node_selector", False, "replaces `nodeSelector` for this role"),
        Param(f"{role}.tolerations", MAP_LIST, f"{role}.tolerations", False, "replaces `tolerations` for this role"),
        Param(f"{role}.affinity", MAP, f"{role}.affinity", False, "replaces `affinity` for this role"),
        Param(
            f"{role}.gpus",
            INT,
            f"{role}.gpus",
            False,
            "`nvidia.com/gpu` limit per pod, plus a memory-backed `/dev/shm`",
        ),
        Param(f"{role}.shmSize", QUANTITY, f"{role}.shm_size", False, "size of that `/dev/shm`"),
    ]


# `service.port` has no option of its own: it and `schedulerPort` name one port (see
# `_scheduler_port`), so it is resolved with `schedulerPort` rather than set directly.
_SERVICE_PORT = "scheduler_port (service.port)"
# Targets resolved together by chart_kwargs_from_values instead of set one by one.
_COMBINED_TARGETS = frozenset({"code", _SERVICE_PORT})

PARAMS: tuple[Param, ...] = (
    # The chart README's parameter table, in its order.
    Param("global.imageRegistry", OPT_STR, "global_image_registry"),
    Param("global.imagePullSecrets", PULL_SECRETS, "global_image_pull_secrets"),
    Param("global.storageClass", OPT_STR, "global_storage_class"),
    *_image_params("image", "image", chart=True, debug=True),
    *_image_params("git", "git_image", chart=True),
    Param("nameOverride", OPT_STR, "name_override"),
    Param("fullnameOverride", OPT_STR, "fullname_override"),
    Param("volumePermissions.enabled", BOOL, "volume_permissions.enabled"),
    *_image_params("volumePermissions.image", "volume_permissions.image", chart=True, secrets=False),
    Param("volumePermissions.image.pullSecrets", PULL_SECRETS, "volume_permissions.image.pull_secrets", False),
    Param("volumePermissions.resources", RESOURCES, "volume_permissions.resources"),
    Param("service.type", STR, "service_type"),
    Param(
        "service.port",
        INT,
        _SERVICE_PORT,
        python="scheduler_port=...",
        note="the chart's `values.yaml` key: must equal `schedulerPort` (clients dial `schedulerPort` through this Service, so the chart hung when they differed); alone, it sets both",
    ),
    Param(
        "service.nodePort",
        INT,
        "service_node_port",
        note="NodePort and LoadBalancer only; with ClusterIP it is an error (the chart ignored it)",
    ),
    Param("service.annotations", STR_MAP, "service_annotations", note="on the scheduler Service"),
    Param("entrypoint.file", STR, "entrypoint.file"),
    Param(
        "entrypoint.args", ARGS, "entrypoint.args", note="a string is split like a shell would; a list is taken as is"
    ),
    Param("entrypoint.workDir", STR, "entrypoint.work_dir"),
    Param("podManagementPolicy", STR, "pod_management_policy"),
    Param("mode", STR, "mode"),
    Param("serverCount", INT, "server_count"),
    Param("workerCount", INT, "worker_count"),
    Param(
        "schedulerPort",
        INT,
        "scheduler_port",
        note="also the Service port and `DMLC_PS_ROOT_PORT` (the chart mixed them up)",
    ),
    Param("configMap", OPT_STR, "code", python="code=ExistingConfigMap(name=...)", note="highest priority code source"),
    Param(
        "cloneFilesFromGit.enabled",
        BOOL,
        "code",
        python="code=GitRepository(...)",
        note="lowest priority code source; needs `cloneFilesFromGit.repository`",
    ),
    Param("cloneFilesFromGit.repository", OPT_STR, "code", python="code=GitRepository(repository=...)"),
    Param("cloneFilesFromGit.revision", TEXT, "code", python="code=GitRepository(revision=...)"),
    Param(
        "cloneFilesFromGit.sshSecret",
        OPT_STR,
        "code",
        False,
        "a `kubernetes.io/ssh-auth` Secret (`ssh-privatekey`, `known_hosts`) for an ssh URL; only the clone container mounts it",
        "code=GitRepository(ssh_secret=...)",
    ),
    Param(
        "cloneFilesFromGit.tokenSecret",
        OPT_STR,
        "code",
        False,
        "a `kubernetes.io/basic-auth` Secret (`username`, `password`) for an https URL; only the clone container reads it",
        "code=GitRepository(token_secret=...)",
    ),
    Param(
        "commonExtraEnvVars",
        ENV,
        "extra_env",
        note="entries `{name, value}` or `{name, valueFrom}`; `notSecret: true` (extension) allows a literal value under a credential-like name",
    ),
    Param("workerExtraEnvVars", ENV, "worker.extra_env", note="the 2020 chart dropped these by a typo; here they work"),
    Param("serverExtraEnvVars", ENV, "server.extra_env"),
    Param("schedulerExtraEnvVars", ENV, "scheduler.extra_env"),
    Param("existingSecret", OPT_STR, "existing_secret", note="mounted read-only at `/secrets`"),
    Param("nodeSelector", STR_MAP, "node_selector", note="plain values, not templates"),
    Param("tolerations", MAP_LIST, "tolerations", note="plain values, not templates"),
    Param("affinity", MAP, "affinity", note="plain values, not templates"),
    Param("resources", RESOURCES, "resources"),
    Param("securityContext.enabled", BOOL, "security_context.enabled"),
    Param("securityContext.fsGroup", INT, "security_context.fs_group"),
    Param("securityContext.runAsUser", INT, "security_context.run_as_user"),
    *_probe_params("livenessProbe", "liveness_probe"),
    *_probe_params("readinessProbe", "readiness_probe"),
    Param("persistence.enabled", BOOL, "persistence.enabled"),
    Param("persistence.mountPath", STR, "persistence.mount_path"),
    Param("persistence.storageClass", OPT_STR, "persistence.storage_class", note='`"-"` writes `storageClassName: ""`'),
    Param(
        "persistence.accessMode",
        STR,
        "persistence.access_mode",
        note="no effect: chart 1.4.x ignored it and wrote `accessModes` into its claims; beside `accessModes` it is ignored with a warning, alone and not `ReadWriteOnce` it is an error (a claim's modes can't change)",
        no_effect=True,
    ),
    Param(
        "persistence.accessModes",
        STR_LIST,
        "persistence.access_modes",
        note="the chart's `values.yaml` key (default `[ReadWriteOnce]` there); wins over `accessMode`",
    ),
    Param("persistence.size", QUANTITY, "persistence.size"),
    Param("persistence.annotations", STR_MAP, "persistence.annotations"),
    Param(
        "sidecars", MAP_LIST, "sidecars", note="containers get the restricted securityContext unless they set their own"
    ),
    Param("initContainers", MAP_LIST, "init_containers", note="as `sidecars`"),
    # Extensions: features the chart never had.
    Param(
        "filesDir",
        OPT_STR,
        "code",
        False,
        "the chart's `files/` directory: every file directly in it; relative to the values file",
        "code=LocalFiles.from_directory(...)",
    ),
    Param("securityContext.runAsNonRoot", BOOL, "security_context.run_as_non_root", False),
    Param(
        "securityContext.seccompProfile",
        STR,
        "security_context.seccomp_profile",
        False,
        '`RuntimeDefault`, `Unconfined`, or `""` to omit it',
    ),
    Param("securityContext.allowPrivilegeEscalation", BOOL, "security_context.allow_privilege_escalation", False),
    Param("securityContext.dropCapabilities", STR_LIST, "security_context.drop_capabilities", False),
    Param("securityContext.readOnlyRootFilesystem", BOOL, "security_context.read_only_root_filesystem", False),
    *_role_params("scheduler"),
    *_role_params("server"),
    *_role_params("worker"),
    Param("lifecycle", STR, "lifecycle", False, "`long-running`, `job` or `jobset`"),
    Param("job.backoffLimit", INT, "job.backoff_limit", False),
    Param("job.activeDeadlineSeconds", INT, "job.active_deadline_seconds", False),
    Param("job.ttlSecondsAfterFinished", INT, "job.ttl_seconds_after_finished", False),
    Param("job.suspend", BOOL, "job.suspend", False),
    Param("job.maxRestarts", INT, "job.max_restarts", False, "`jobset` only"),
    Param("gangScheduler", STR, "gang_scheduler", False, "`volcano` or `scheduler-plugins`"),
    Param("networkPolicy.enabled", BOOL, "network_policy.enabled", False),
    Param(
        "networkPolicy.allowAllEgress",
        BOOL,
        "network_policy.allow_all_egress",
        False,
        "unset: egress restricted in distributed mode, open in standalone mode",
    ),
    Param("networkPolicy.extraEgress", MAP_LIST, "network_policy.extra_egress", False),
    Param("podDisruptionBudget.enabled", BOOL, "pod_disruption_budget", False),
    Param("serviceAccount.create", BOOL, "service_account", False),
    Param("dmlcInterface", OPT_STR, "dmlc_interface", False, "`DMLC_INTERFACE`"),
    Param("dmlcNodeHostFromPodIP", BOOL, "dmlc_node_host_from_pod_ip", False, "`DMLC_NODE_HOST` from the pod IP"),
    Param("hostNetwork", BOOL, "host_network", False),
    Param("publishNotReadyAddresses", BOOL, "publish_not_ready_addresses", False, "on the headless Service"),
    Param("psVerbose", INT, "ps_verbose", False, "`PS_VERBOSE` 1 or 2 on every role"),
)

_BY_KEY: dict[str, Param] = {p.key: p for p in PARAMS}

UNMAPPED: Mapping[str, str] = {
    "git_image.debug": "`BITNAMI_DEBUG` is set in the main container only (`image.debug`)",
    "volume_permissions.image.debug": "`BITNAMI_DEBUG` is set in the main container only (`image.debug`)",
}
"""Option fields no values key reaches, and why; a test checks every other field is reachable."""


def _tree(params: Sequence[Param]) -> dict[str, Any]:
    root: dict[str, Any] = {}
    for param in params:
        *parents, leaf = param.key.split(".")
        node = root
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = param
    return root


_TREE = _tree(PARAMS)


def _check_keys(path: str, mapping: Mapping[str, Any], known: Sequence[str]) -> dict[str, Any]:
    for key in mapping:
        if key not in known:
            _unknown(f"{path}.{key}" if path else str(key), str(key), known)
    return dict(mapping)


def _unknown(path: str, key: str, siblings: Sequence[str]) -> NoReturn:
    close = difflib.get_close_matches(key, list(siblings), n=1)
    if close:
        parent = path[: len(path) - len(key)]
        hint = f"; did you mean {parent}{close[0]}?"
    else:
        # `tag:` at the top level probably belongs to one of the images; name them all.
        elsewhere = [p.key for p in PARAMS if p.key.rsplit(".", 1)[-1] == key]
        hint = (
            f"; known keys with that name: {', '.join(elsewhere)}"
            if elsewhere
            else f"; known keys here: {', '.join(siblings)}"
        )
    raise OptionError(path, key, f"unknown key{hint}")
