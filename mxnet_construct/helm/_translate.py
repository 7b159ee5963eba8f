"""Translation of a values mapping into ``MXNetChart`` keyword arguments."""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..options import (
    ACCESS_MODES,
    ExistingConfigMap,
    GitRepository,
    LocalFiles,
    MXNetOptions,
    OptionError,
)
from ..options._code import git_auth_problems
from ._errors import ValuesWarning, _blame, _helmish, _retold, _type_error
from ._params import _BY_KEY, _COMBINED_TARGETS, _TREE, PARAMS, Param, _unknown


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


def _option_key(field: str) -> str:
    """The Helm key of the ``MXNetOptions`` field ``field`` (itself when there is none)."""
    for target in sorted(_TARGET_KEYS, key=len, reverse=True):
        if field == target or field.startswith((f"{target}.", f"{target}[")):
            return f"{_TARGET_KEYS[target]}{_helmish(field[len(target) :])}"
    return field


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
    git_keys = [k for k in _GIT_KEYS.values() if k in got]
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
    with _blame("cloneFilesFromGit", _GIT_KEYS):
        # The URL is checked first, so the credential check below never echoes a bad one.
        plain = GitRepository(**{k: got[_GIT_KEYS[k]] for k in ("repository", "revision") if _GIT_KEYS[k] in got})
    ssh_key, token_key = _GIT_KEYS["ssh_secret"], _GIT_KEYS["token_secret"]
    ssh_secret, token_secret = got.get(ssh_key), got.get(token_key)
    problems = git_auth_problems(
        plain.repository, ssh_set=bool(ssh_secret), token_set=bool(token_secret), names=(ssh_key, token_key)
    )
    if problems:
        # Checked here, not left to GitRepository, so the message names values keys throughout.
        raise OptionError(token_key if token_secret else ssh_key, plain.repository, "; ".join(problems))
    with _blame("cloneFilesFromGit", _GIT_KEYS):
        return dataclasses.replace(plain, ssh_secret=ssh_secret, token_secret=token_secret)


_GIT_KEYS = {
    "enabled": "cloneFilesFromGit.enabled",
    "repository": "cloneFilesFromGit.repository",
    "revision": "cloneFilesFromGit.revision",
    "ssh_secret": "cloneFilesFromGit.sshSecret",
    "token_secret": "cloneFilesFromGit.tokenSecret",
}


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
