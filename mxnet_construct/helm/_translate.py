"""Translation of a values mapping into ``MXNetChart`` keyword arguments."""

from __future__ import annotations

import dataclasses
import re
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from constructs import Construct

from ..options import (
    ACCESS_MODES,
    ExistingConfigMap,
    GitRepository,
    LocalFiles,
    MXNetOptions,
    OptionError,
)
from ..options._code import git_auth_problems
from ._convert import convert
from ._errors import Errors, ValuesWarning, _blame, _helmish, _retold, _type_error
from ._loading import parse_values_text
from ._params import _BY_KEY, _COMBINED_TARGETS, _TREE, PARAMS, Param, _list, _map, _str, _str_map, _unknown
from ._versions import LAYOUT, VERSIONS, detect, leaves, spelled_in


def _walk(node: Mapping[str, Any], values: Mapping[Any, Any], prefix: str, out: dict[str, Any], errors: Errors) -> None:
    for key, value in values.items():
        path = f"{prefix}{key}"
        with errors.collect():
            if not isinstance(key, str) or key not in node:
                other = _other_spelling(path, value)
                if other:
                    raise OptionError(other[0], key, f"not a key of chart 1.4.26; chart 1.4.26 calls it {other[1]}")
                _unknown(path, str(key), list(node))
            if value is None:
                continue
            spec = node[key]
            if isinstance(spec, Param):
                out[spec.key] = spec.kind.check(path, value)
            elif isinstance(value, Mapping):
                _walk(spec, value, f"{path}.", out, errors)
            else:
                _type_error(path, value, f"a mapping with keys {', '.join(spec)}")


def _other_spelling(path: str, value: Any) -> tuple[str, str] | None:
    """A later version's key at or inside ``path``, and how chart 1.4.26 spells it."""
    keys = [(path, value)] + (list(leaves(value, frozenset(), f"{path}.")) if isinstance(value, Mapping) else [])
    for key, _ in keys:
        found = spelled_in("1.4.26", key)
        if found:
            return key, found
    return None


def _checked(values: Mapping[str, Any], errors: Errors) -> dict[str, Any]:
    """Helm key -> normalised value, for every leaf that is set, not null and valid."""
    out: dict[str, Any] = {}
    _walk(_TREE, values, "", out, errors)
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


def _build(base: Any, changes: Mapping[str, Any], target: str, errors: Errors) -> Any:
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
        flat[head] = _build(_field_default(base, head), sub, f"{target}.{head}" if target else head, errors)
    if not target:
        return flat
    attrs = {p.target[len(target) + 1 :]: p.key for p in PARAMS if p.target.startswith(f"{target}.")}
    with errors.collect(), _blame(_TARGET_KEYS.get(target, target), attrs):
        return dataclasses.replace(base, **flat)
    # A group with a bad value keeps its defaults, so the checks after it still run.
    return base


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
        raise OptionError(
            "service.port",
            service_port,
            f"{service_port} differs from schedulerPort {scheduler_port}; servers and workers dial "
            "schedulerPort on the scheduler Service, so with two numbers they never reach it (the chart's pods "
            "hung); set both to the same port, or leave service.port out",
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
    raise OptionError(
        "persistence.accessMode",
        mode,
        f"{mode!r} is ambiguous: chart 1.4.x ignored this key and gave its claims "
        "persistence.accessModes (default [ReadWriteOnce]), and a claim's access modes can't change later; "
        f"write persistence.accessModes: [{mode}] for a new release, or leave accessMode out to adopt a "
        "release the chart made",
    )


def _warn(message: str) -> None:
    warnings.warn(message, ValuesWarning, stacklevel=4)


@dataclass(frozen=True)
class Translation:
    """What a values mapping makes: ``MXNetChart`` keyword arguments, the objects it adds
    as they are (``extraDeploy``), and the chart version it was read as."""

    kwargs: dict[str, Any]
    extra_objects: tuple[dict[str, Any], ...]
    chart_version: str


def _chart_version(values: Mapping[str, Any], chart_version: str | None) -> str:
    if chart_version is None:
        return detect(values)
    # The release's helm.sh/chart label reads `mxnet-3.5.1`; take that spelling too.
    version = chart_version.removeprefix("mxnet-") if isinstance(chart_version, str) else chart_version
    if version not in VERSIONS:
        raise OptionError(
            "chart_version",
            chart_version,
            f"{chart_version!r} is not a chart version read here; use {', '.join(VERSIONS)} (the last 1.x, "
            "the last 2.x and the final 3.x: a release of another version has that line's keys)",
        )
    return str(version)


def _extra_objects(items: Any, errors: Errors) -> tuple[dict[str, Any], ...]:
    out: list[dict[str, Any]] = []
    with errors.collect():
        items = _list("extraDeploy", items)
    for i, item in enumerate(items if isinstance(items, list) else []):
        where = f"extraDeploy[{i}]"
        with errors.collect():
            if isinstance(item, str):
                if "{{" in item:
                    raise OptionError(
                        where, item, "Helm templates are not evaluated here; write the object out as YAML"
                    )
                item = parse_values_text(item, where)
            doc = _map(where, item)
            for key in ("apiVersion", "kind"):
                _str(f"{where}.{key}", doc.get(key))
            meta = _map(f"{where}.metadata", doc.get("metadata") or {})
            _str(f"{where}.metadata.name", meta.get("name"))
            out.append(doc)
    return tuple(out)


def _check_options(kwargs: dict[str, Any], errors: Errors) -> None:
    """Every field the options refuse, not just the first: a refused field is reported,
    dropped, and the rest checked again."""
    for _ in range(len(kwargs) + 1):
        try:
            MXNetOptions(**kwargs)
            return
        except OptionError as err:
            errors.add(_retold(err, _option_key(err.field)))
            top = re.match(r"[A-Za-z_]+", err.field)
            if top is None or top.group(0) not in kwargs:
                return
            del kwargs[top.group(0)]


_FIELD_WORDS: dict[str, str] = {t: k for t, k in _TARGET_KEYS.items() if ("_" in t or "." in t) and t != k}


def translate(values: Mapping[str, Any], chart_version: str | None = None) -> Translation:
    """Reads ``values`` of chart 1.4.26, 2.4.17 or 3.5.1; see :func:`chart_kwargs_from_values`."""
    if not isinstance(values, Mapping):
        _type_error("values", values, "a mapping")
    version = _chart_version(values, chart_version)
    extras: dict[str, Any] = {}
    if version == "1.4.26":
        errors = Errors({}, _FIELD_WORDS)
        canonical: Mapping[str, Any] = values
    else:
        converted = convert(values, version)
        errors = Errors(converted.source, _FIELD_WORDS)
        errors.found.extend(converted.errors)
        canonical = converted.values
        extras = {k: canonical.pop(k) for k in ("extraDeploy", "namespaceOverride", "commonLabels") if k in canonical}
    got = _checked(canonical, errors)
    if got.get("securityContext.seccompProfile") == "":
        got["securityContext.seccompProfile"] = None
    with errors.collect():
        _check_access_mode(got)
    with errors.collect():
        _scheduler_port(got)
    changes = {_BY_KEY[key].target: value for key, value in got.items() if _BY_KEY[key].target not in _COMBINED_TARGETS}
    kwargs: dict[str, Any] = _build(MXNetOptions, changes, "", errors)
    with errors.collect():
        code = _code(got)
        if code is not None:
            kwargs["code"] = code
    with errors.collect():
        _service_account(got, kwargs)
    kwargs.update(LAYOUT.get(version, {}))
    if extras.get("commonLabels") and "claim_template_labels" in kwargs:
        # 3.x labels its claim templates {name, instance} only when commonLabels is set.
        kwargs["claim_template_labels"] = True
    _check_options(kwargs, errors)
    objects = _extra_objects(extras["extraDeploy"], errors) if extras.get("extraDeploy") else ()
    if extras.get("namespaceOverride"):
        with errors.collect():
            kwargs["namespace"] = _str("namespaceOverride", extras["namespaceOverride"])
    if extras.get("commonLabels"):
        with errors.collect():
            kwargs["labels"] = _str_map("commonLabels", extras["commonLabels"])
    errors.raise_all()
    return Translation(kwargs, objects, version)


def _service_account(got: Mapping[str, Any], kwargs: dict[str, Any]) -> None:
    name = got.get("serviceAccount.name")
    if name is None:
        return
    if got.get("serviceAccount.create") is True:
        raise OptionError(
            "serviceAccount.name",
            name,
            f"{name!r} with serviceAccount.create: true; the account created here is always named after the "
            "release, so set serviceAccount.create: false to run the pods as this existing account",
        )
    kwargs["service_account"] = name


def chart_kwargs_from_values(values: Mapping[str, Any], chart_version: str | None = None) -> dict[str, Any]:
    """``MXNetChart`` keyword arguments from a mapping in the Bitnami chart's values schema.

    ``values`` is written for chart 1.4.26, 2.4.17 or 3.5.1: ``chart_version`` names it
    (``"3.5.1"``, or the ``helm.sh/chart`` label's ``"mxnet-3.5.1"``); without it the
    version is read from the keys (1.4.26 when they fit it, as before later versions were
    read). Every key of that version's parameter table is accepted, nested as in a
    ``values.yaml``, with that version's meaning; keys not set take that version's
    defaults where they differ from this library's (image tags, the port 9092, probe
    timeouts, 3.x's ``OrderedReady`` StatefulSets), and a 3.x release keeps 3.x's claim
    names. A key the library does not model is accepted at its shipped default and
    refused with the reason otherwise. The extension keys in :data:`PARAMS` reach the
    options the chart never had. ``filesDir`` is read relative to the current directory
    here and must stay inside it; :func:`load_values_file` makes it relative to (and
    confined to) the file's directory. ``extraDeploy`` objects need
    :meth:`MXNetChart.from_helm_values`, which adds them; this function checks them,
    returns only the keyword arguments, and warns that it left them out.

    Raises:
        OptionError: (a ``ValueError``) an unknown key (naming its full path and the
            closest known key, or this version's spelling of another version's key), a
            value the options refuse, or ``cloneFilesFromGit`` enabled without a
            repository; ``.field`` is the values key and the message speaks values
            (``mode: distributed``). Several problems raise one ``ValuesErrors`` listing
            them all.
        ValuesTypeError: a single value of the wrong type (both a ``ValueError`` and a
            ``TypeError``).

    Warns:
        ValuesWarning: when a code source is shadowed by a higher-priority one
            (configMap > filesDir > cloneFilesFromGit), naming the ignored keys, and when
            ``extraDeploy`` objects are left out.
    """
    translation = translate(values, chart_version)
    if translation.extra_objects:
        _warn(
            "extraDeploy objects are not keyword arguments and are left out here; MXNetChart.from_helm_values "
            "(or translate) emits them"
        )
    return translation.kwargs


def add_extra_objects(chart: Construct, objects: tuple[dict[str, Any], ...]) -> None:
    """Adds ``extraDeploy`` objects to ``chart`` as they are, in order."""
    if not objects:
        return
    from .._tree import api_object

    for i, doc in enumerate(objects):
        api_object(chart, f"ExtraDeploy{i}", doc)
