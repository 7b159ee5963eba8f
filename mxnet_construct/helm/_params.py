"""The Bitnami ``bitnami/mxnet`` values schema, translated into ``MXNetChart`` arguments.

Users leaving Helm keep their ``values.yaml``. :func:`chart_kwargs_from_values` reads a
mapping in the chart's schema (nested YAML form, ``image: {tag: ...}``) and returns the
keyword arguments of :class:`~mxnet_construct.chart.MXNetChart`. It decides nothing
itself: every value lands in a typed option (:class:`~mxnet_construct.options.Image`,
:class:`~mxnet_construct.options.Probe`, ...), whose defaults and checks apply unchanged.

One table, :data:`PARAMS`, drives everything: which keys exist and their types, where each
value goes, the error messages (which name the Helm key, not the Python field) and the
migration table in ``docs/migration.md`` (``python -m mxnet_construct.helm
--migration-table`` prints it).

Differences from Helm, all deliberate:

* An unknown key or a value of the wrong type is an error that names the full key path
  and suggests the closest known key. Helm ignores typos silently.
* A key set to null (``~``) means "use the default", at any level.
* Keys beyond the chart (``lifecycle``, ``gangScheduler``, ``job``, ``networkPolicy``,
  per-role ``scheduler``/``server``/``worker`` blocks, ...) reach the features the chart
  never had; ``filesDir`` stands in for the chart's ``files/`` directory.
"""

from __future__ import annotations

import argparse
import dataclasses
import difflib
import os
import re
import shlex
import sys
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import yaml

from ..options import (
    ACCESS_MODES,
    EnvVar,
    ExistingConfigMap,
    GitRepository,
    LocalFiles,
    MXNetOptions,
    OptionError,
    OptionTypeError,
    Resources,
)

__all__ = [
    "PARAMS",
    "UNMAPPED",
    "Param",
    "ValuesTypeError",
    "ValuesWarning",
    "chart_kwargs_from_values",
    "load_values_file",
    "migration_table",
    "update_migration_doc",
]


class ValuesTypeError(OptionTypeError):
    """A value of the wrong type in a values mapping; ``.field`` is the Helm key.

    It is both a ``ValueError`` (bad values, as for an unknown key) and a ``TypeError``
    (the library's usual error for a wrong type), so either ``except`` clause catches it.
    """


class ValuesWarning(UserWarning):
    """Values that are valid but have no effect, e.g. a code source shadowed by another."""


# --- value kinds: check the YAML type of one leaf and normalise it ---------------------

Check = Callable[[str, Any], Any]


def _type_error(path: str, value: object, expected: str, hint: str = "") -> NoReturn:
    raise ValuesTypeError(path, value, f"expected {expected}, got {_describe(value)}{hint}")


def _describe(value: object) -> str:
    kind = {dict: "a mapping", list: "a list", str: "string", bool: "boolean", int: "integer", float: "number"}
    return f"{kind.get(type(value), type(value).__name__)} {value!r}"


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


# --- reading a values mapping ---------------------------------------------------------


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


def _walk(node: Mapping[str, Any], values: Mapping[Any, Any], prefix: str, out: dict[str, Any]) -> None:
    for key, value in values.items():
        path = f"{prefix}{key}"
        if not isinstance(key, str) or key not in node:
            _unknown(path, str(key), list(node))
        if value is None:
            continue
        spec = node[key]
        if isinstance(spec, Param):
            out[spec.key] = spec.kind.check(path, value)
        elif isinstance(value, Mapping):
            _walk(spec, value, f"{path}.", out)
        else:
            _type_error(path, value, f"a mapping with keys {', '.join(spec)}")


def _checked(values: Mapping[str, Any]) -> dict[str, Any]:
    """Helm key -> normalised value, for every leaf that is set and not null."""
    if not isinstance(values, Mapping):
        _type_error("values", values, "a mapping")
    out: dict[str, Any] = {}
    _walk(_TREE, values, "", out)
    return out


# --- errors from the options, retold with the Helm key ---------------------------------


def _camel(field: str) -> str:
    head, *rest = field.split("_")
    return head + "".join(part.title() for part in rest)


@contextmanager
def _blame(helm_prefix: str, attrs: Mapping[str, str]) -> Iterator[None]:
    """Re-raise an option's error with the Helm key in place of the Python field.

    Option classes name fields relative to themselves (``image.tag`` even for the git
    image), so the error's first field segment is dropped and the rest looked up in
    ``attrs`` (attribute path -> full Helm key); a field not found there is blamed on
    ``helm_prefix``.
    """
    try:
        yield
    except OptionError as err:
        raise _retold(err, _relative_key(err.field, helm_prefix, attrs)) from None


def _relative_key(field: str, helm_prefix: str, attrs: Mapping[str, str]) -> str:
    head = re.match(r"[^.\[ ]*(\[[^\]]*\])?", field)
    tail = field[head.end() :].lstrip(".") if head else field
    for attr in sorted(attrs, key=len, reverse=True):
        if tail == attr or tail.startswith((f"{attr}.", f"{attr}[")):
            return f"{attrs[attr]}{_helmish(tail[len(attr) :])}"
    return helm_prefix


def _option_key(field: str) -> str:
    """The Helm key of the ``MXNetOptions`` field ``field`` (itself when there is none)."""
    for target in sorted(_TARGET_KEYS, key=len, reverse=True):
        if field == target or field.startswith((f"{target}.", f"{target}[")):
            return f"{_TARGET_KEYS[target]}{_helmish(field[len(target) :])}"
    return field


def _helmish(tail: str) -> str:
    return re.sub(r"\.([a-z_]+)", lambda m: "." + _camel(m.group(1)), tail)


def _retold(err: OptionError, field: str) -> OptionError:
    if isinstance(err, TypeError):
        return ValuesTypeError(field, err.value, err.reason)
    return OptionError(field, err.value, err.reason)


_TARGET_KEYS: dict[str, str] = {p.target: p.key for p in PARAMS if p.target != "code"}
# Option groups whose cross-field checks name the group rather than one field.
_TARGET_KEYS.update(
    {
        "image": "image",
        "git_image": "git",
        "volume_permissions": "volumePermissions",
        "security_context": "securityContext",
        "liveness_probe": "livenessProbe",
        "readiness_probe": "readinessProbe",
        "persistence": "persistence",
        "entrypoint": "entrypoint",
        "network_policy": "networkPolicy",
        "job": "job",
        "scheduler": "scheduler",
        "server": "server",
        "worker": "worker",
    }
)


# --- building the options --------------------------------------------------------------


def _field_default(obj_or_cls: Any, name: str) -> Any:
    if not isinstance(obj_or_cls, type):
        return getattr(obj_or_cls, name)
    f = next(f for f in dataclasses.fields(obj_or_cls) if f.name == name)
    if f.default_factory is not dataclasses.MISSING:
        return f.default_factory()
    return f.default


def _build(base: Any, changes: Mapping[str, Any], target: str) -> Any:
    """Option groups rebuilt with ``dataclasses.replace``, so untouched fields keep the
    defaults ``options`` declares. ``changes`` maps target paths relative to ``target``."""
    flat: dict[str, Any] = {}
    nested: dict[str, dict[str, Any]] = {}
    for path, value in changes.items():
        head, _, rest = path.partition(".")
        if rest:
            nested.setdefault(head, {})[rest] = value
        else:
            flat[head] = value
    for head, sub in nested.items():
        flat[head] = _build(_field_default(base, head), sub, f"{target}.{head}" if target else head)
    if not target:
        return flat
    attrs = {p.target[len(target) + 1 :]: p.key for p in PARAMS if p.target.startswith(f"{target}.")}
    with _blame(_TARGET_KEYS.get(target, target), attrs):
        return dataclasses.replace(base, **flat)


def _code(got: Mapping[str, Any]) -> ExistingConfigMap | LocalFiles | GitRepository | None:
    git_keys = [
        k
        for k in ("cloneFilesFromGit.enabled", "cloneFilesFromGit.repository", "cloneFilesFromGit.revision")
        if k in got
    ]
    git_on = bool(got.get("cloneFilesFromGit.enabled"))
    repository = got.get("cloneFilesFromGit.repository")
    if git_on and not repository:
        raise OptionError(
            "cloneFilesFromGit.repository",
            repository,
            "not set, but cloneFilesFromGit.enabled is true; give the URL of the repository to clone",
        )
    sources = [k for k in ("configMap", "filesDir") if got.get(k)] + (["cloneFilesFromGit"] if git_on else [])
    if not sources:
        if repository:
            _warn("cloneFilesFromGit.repository is set but cloneFilesFromGit.enabled is not true, so nothing is cloned")
        return None
    chosen = sources[0]
    ignored = [k for k in ("configMap", "filesDir") if got.get(k) and k != chosen]
    if git_on and chosen != "cloneFilesFromGit":
        ignored += git_keys
    if ignored:
        _warn(
            f"{', '.join(ignored)} ignored: {chosen} is set and wins (code source priority: configMap > filesDir > cloneFilesFromGit)"
        )
    if chosen == "configMap":
        with _blame("configMap", {"name": "configMap"}):
            return ExistingConfigMap(name=got["configMap"])
    if chosen == "filesDir":
        files_dir = got["filesDir"]
        root = getattr(files_dir, "root", None)
        if root is None and Path(files_dir).is_absolute():
            raise OptionError(
                "filesDir", files_dir, f"{files_dir!r} is not valid; give a path relative to the current directory"
            )
        with _blame("filesDir", {}):
            return LocalFiles.from_directory(files_dir, root=Path.cwd() if root is None else root)
    with _blame(
        "cloneFilesFromGit", {"repository": "cloneFilesFromGit.repository", "revision": "cloneFilesFromGit.revision"}
    ):
        revision = got.get("cloneFilesFromGit.revision")
        return GitRepository(
            repository=got["cloneFilesFromGit.repository"], **({"revision": revision} if revision is not None else {})
        )


def _scheduler_port(got: dict[str, Any]) -> None:
    """Folds ``service.port`` into ``schedulerPort``: one number for the Service port, the
    container port and every ``DMLC_PS_ROOT_PORT``.

    The chart's clients dialled the Service on ``schedulerPort`` while the Service listened
    on ``service.port``, so two different numbers hung every worker; that is refused rather
    than mapped. Mapping would work for servers and workers (measured with MXNet 1.9.1: a
    client dialling a forwarded port completes dist_sync), but the scheduler also connects
    to its own ``DMLC_PS_ROOT_URI:DMLC_PS_ROOT_PORT``, the Service name here, on the port it
    binds, so through a Service the two numbers must be one.
    """
    service_port = got.pop("service.port", None)
    if service_port is None:
        return
    scheduler_port = got.setdefault("schedulerPort", service_port)
    if scheduler_port != service_port:
        raise ValueError(
            f"service.port: {service_port} differs from schedulerPort {scheduler_port}; servers and workers dial "
            "schedulerPort on the scheduler Service, so with two numbers they never reach it (the chart's pods "
            "hung); set both to the same port, or leave service.port out"
        )


def _check_access_mode(got: dict[str, Any]) -> None:
    """Resolves ``persistence.accessMode`` the way chart 1.4.x did, or refuses to guess.

    The chart's templates read ``persistence.accessModes`` only (``[ReadWriteOnce]`` in its
    ``values.yaml``), so a release made with ``accessMode: ReadWriteMany`` has ReadWriteOnce
    claims, and a claim's access modes can't change. With both keys (``helm get values
    --all`` gives both), ``accessModes`` wins as in the chart, with a warning when they
    disagree. ``accessMode`` alone, other than ReadWriteOnce, could mean either, so it is
    refused.
    """
    mode = got.get("persistence.accessMode")
    if mode not in ACCESS_MODES or mode == "ReadWriteOnce":
        # An invalid mode is reported by the options, naming the allowed ones.
        return
    modes = got.get("persistence.accessModes")
    if modes is not None:
        if mode not in modes:
            _warn(
                f"persistence.accessMode {mode!r} ignored: persistence.accessModes {list(modes)} wins, as in chart "
                "1.4.x, whose claims have those modes"
            )
            del got["persistence.accessMode"]
        return
    raise ValueError(
        f"persistence.accessMode: {mode!r} is ambiguous: chart 1.4.x ignored this key and gave its claims "
        "persistence.accessModes (default [ReadWriteOnce]), and a claim's access modes can't change later; "
        f"write persistence.accessModes: [{mode}] for a new release, or leave accessMode out to adopt a "
        "release the chart made"
    )


def _warn(message: str) -> None:
    warnings.warn(message, ValuesWarning, stacklevel=4)


def chart_kwargs_from_values(values: Mapping[str, Any]) -> dict[str, Any]:
    """``MXNetChart`` keyword arguments from a mapping in the Bitnami chart's values schema.

    Every key of the chart README's parameter table is accepted, nested as in a
    ``values.yaml`` (``{"image": {"tag": "1.9.1"}}``), with the chart's meaning; only the
    keys that are set (and not null) become arguments, so every default is the one
    :class:`~mxnet_construct.options.MXNetOptions` documents. The extension keys in
    :data:`PARAMS` reach the options the chart never had. ``filesDir`` is read relative
    to the current directory here and must stay inside it; :func:`load_values_file` makes
    it relative to (and confined to) the file's directory.

    Raises:
        OptionError: (a ``ValueError``) an unknown key (naming its full path and the
            closest known key), a value the options refuse, or ``cloneFilesFromGit``
            enabled without a repository; ``.field`` is the Helm key.
        ValuesTypeError: a value of the wrong type (both a ``ValueError`` and a
            ``TypeError``).

    Warns:
        ValuesWarning: when a code source is shadowed by a higher-priority one
            (configMap > filesDir > cloneFilesFromGit), naming the ignored keys.
    """
    got = _checked(values)
    if got.get("securityContext.seccompProfile") == "":
        got["securityContext.seccompProfile"] = None
    _check_access_mode(got)
    _scheduler_port(got)
    changes = {_BY_KEY[key].target: value for key, value in got.items() if _BY_KEY[key].target not in _COMBINED_TARGETS}
    kwargs: dict[str, Any] = _build(MXNetOptions, changes, "")
    code = _code(got)
    if code is not None:
        kwargs["code"] = code
    try:
        MXNetOptions(**kwargs)
    except OptionError as err:
        raise _retold(err, _option_key(err.field)) from None
    return kwargs


# --- files -----------------------------------------------------------------------------


# Values files are plain data: real ones nest under 20 levels. The bound turns a hostile
# file into a clear error instead of a RecursionError.
MAX_YAML_DEPTH = 64


class _StrictLoader(yaml.SafeLoader):
    """A safe YAML loader for values files that refuses what only an attack needs.

    - duplicate keys, which PyYAML would silently collapse;
    - aliases (``*name``): a few hundred bytes of nested aliases expand to gigabytes (an
      "alias bomb"), and Helm users rarely need them;
    - nesting deeper than :data:`MAX_YAML_DEPTH`.
    """

    _depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()  # type: ignore[no-untyped-call]
            raise yaml.composer.ComposerError(
                None,
                None,
                f"alias *{event.anchor} refused: values files may not use YAML aliases (anchors and *references); "
                "write the value out",
                event.start_mark,
            )
        self._depth += 1
        try:
            if self._depth > MAX_YAML_DEPTH:
                raise yaml.composer.ComposerError(
                    None,
                    None,
                    f"values nest deeper than {MAX_YAML_DEPTH} levels",
                    self.peek_event().start_mark,  # type: ignore[no-untyped-call]
                )
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def _construct_mapping(loader: Any, node: Any, deep: bool = False) -> dict[Any, Any]:
    loader.flatten_mapping(node)
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        try:
            duplicate = key in seen
        except TypeError:  # an unhashable key such as a list (`? [a]`)
            raise yaml.constructor.ConstructorError(
                None, None, f"a key must be a string, got {key!r}", key_node.start_mark
            ) from None
        if duplicate:
            raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r}", key_node.start_mark)
        seen.add(key)
    return dict(loader.construct_pairs(node, deep=deep))


_StrictLoader.add_constructor("tag:yaml.org,2002:map", _construct_mapping)


def parse_values_text(text: str, source: str = "values") -> dict[str, Any]:
    """A values mapping from YAML text; an empty document is no values, as in Helm.

    Raises:
        ValueError: the text is not YAML, uses aliases or nests too deep; the message
            names ``source`` (and the line), on one line.
    """
    loader = _StrictLoader(text)
    loader.name = source  # marks then say the file name, not "<unicode string>"
    try:
        data = loader.get_single_data()
    except yaml.YAMLError as err:
        one_line = " ".join(str(err).split())
        raise ValueError(f"{source}: not valid YAML: {one_line}") from None
    finally:
        loader.dispose()
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ValuesTypeError(source, data, f"expected a mapping of values at the top level, got {_describe(data)}")
    return data


class _FilesDir(str):
    """A ``filesDir`` read from a values file: the path, plus the directory it must stay in."""

    root: Path

    def __new__(cls, path: str, root: Path) -> _FilesDir:
        self = super().__new__(cls, path)
        self.root = root
        return self

    def __reduce__(self) -> tuple[Any, ...]:
        return (_FilesDir, (str(self), self.root))


def load_values_file(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Reads a ``values.yaml``. A relative ``filesDir`` is resolved against the file's directory.

    ``filesDir`` must stay inside that directory, as Helm's ``.Files`` stays inside the
    chart: an absolute path is refused here, and ``..`` or a symlink leading out is
    refused when the files are read.

    Raises:
        OSError: the file can't be read (one line naming the file).
        ValueError: it is not UTF-8, not YAML, uses aliases, nests too deep, is not a
            mapping at the top level, or its ``filesDir`` is absolute; each names the file.
    """
    file = Path(path)
    try:
        raw = file.read_bytes()
    except OSError as err:
        raise type(err)(f"{file}: cannot read the values file: {err.strerror or err}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise ValueError(
            f"{file}: not UTF-8 text (byte {err.start} is {raw[err.start]:#04x}); save it as UTF-8"
        ) from None
    data = parse_values_text(text, str(file))
    files_dir = data.get("filesDir")
    if isinstance(files_dir, str) and files_dir:
        if Path(files_dir).is_absolute():
            raise OptionError(
                "filesDir",
                files_dir,
                f"{files_dir!r} is not valid; give a path relative to the directory of {str(file)!r}",
            )
        data["filesDir"] = _FilesDir(str(file.parent / files_dir), file.parent)
    return data


# --- migration table -------------------------------------------------------------------

_DOC_BEGIN = (
    "<!-- BEGIN migration table: generated by `python -m mxnet_construct.helm --write-doc docs/migration.md` -->"
)
_DOC_END = "<!-- END migration table -->"


def _python(param: Param) -> str:
    if param.python:
        return param.python
    *groups, leaf = param.target.split(".")
    text = {RESOURCES: f"{leaf}=Resources(requests=..., limits=...)", ENV: f"{leaf}=[EnvVar(...)]"}.get(
        param.kind, f"{leaf}=..."
    )
    owner: Any = MXNetOptions
    classes: list[str] = []
    for group in groups:
        owner = _field_default(owner, group)
        classes.append(type(owner).__name__)
    for group, cls in zip(reversed(groups), reversed(classes), strict=True):
        text = f"{group}={cls}({text})"
    return text


def _default_text(param: Param) -> str:
    if param.target == _SERVICE_PORT:
        return "`schedulerPort`"
    if param.target == "code":
        return {"cloneFilesFromGit.revision": "`master`", "cloneFilesFromGit.enabled": "`false`"}.get(param.key, "none")
    value: Any = MXNetOptions
    for part in param.target.split("."):
        value = _field_default(value, part)
    if isinstance(value, Resources):
        value = value.to_json()
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if value is None or value == "" or (isinstance(value, Sequence | Mapping) and not value):
        return "none"
    if isinstance(value, tuple):
        return "`[" + ", ".join(map(str, value)) + "]`"
    return f"`{value}`"


def migration_table() -> str:
    """The Markdown table of every values key: its Python argument, default and notes.

    Chart keys come first, in the README's order, then this library's extensions.
    """
    rows = ["| Values key | Python argument | Default | Notes |", "|---|---|---|---|"]
    for p in sorted(PARAMS, key=lambda p: not p.chart):
        note = p.note if p.chart else f"**Extension.** {p.note}".strip()
        rows.append(f"| `{p.key}` | `{_python(p)}` | {_default_text(p)} | {note} |")
    return "\n".join(rows) + "\n"


def update_migration_doc(path: str | os.PathLike[str]) -> bool:
    """Rewrites the generated table between the markers in ``path``; True if it changed."""
    file = Path(path)
    text = file.read_text(encoding="utf-8")
    start, end = text.find(_DOC_BEGIN), text.find(_DOC_END)
    if start < 0 or end < start:
        raise ValueError(f"{file}: the markers {_DOC_BEGIN!r} and {_DOC_END!r} are missing")
    new = text[: start + len(_DOC_BEGIN)] + "\n" + migration_table() + text[end:]
    if new != text:
        file.write_text(new, encoding="utf-8")
    return new != text


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mxnet_construct.helm", description="Helm values schema tools.")
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--migration-table", action="store_true", help="print the migration table (Markdown)")
    group.add_argument("--write-doc", metavar="FILE", help="regenerate the table between the markers in FILE")
    args = parser.parse_args(argv)
    if args.migration_table:
        sys.stdout.write(migration_table())
    else:
        changed = update_migration_doc(args.write_doc)
        print(f"{args.write_doc}: {'updated' if changed else 'up to date'}", file=sys.stderr)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
