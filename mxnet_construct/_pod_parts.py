"""Pod parts given as dicts or as ``cdk8s_plus_27.k8s`` structs, checked and made plain JSON.

Users hand the library pieces of a pod: ``sidecars``, ``init_containers``, and whatever a
``pod_template()`` override puts into the template. Each may be a dict in the Kubernetes
JSON spelling (``volumeMounts``) or a typed struct of ``cdk8s_plus_27.k8s`` (``k8s.Container``,
``k8s.Volume``, ...). :func:`check` turns either into a plain JSON dict and checks every key
and value against the Kubernetes 1.27 schema table of :mod:`mxnet_construct.k8s_types`, so
a misspelt field is an error at construction time instead of YAML the API server rejects
(or, for a nested dict inside a cdk8s struct, a field that cdk8s drops without a word).

Structs are read from the Python side through their public surface: the keyword
parameters of the generated ``__init__`` name the fields, and each is read as the property
of that name. A Python name and the JSON one agree once underscores are dropped and both
are lowercased (``host_ip``, ``hostIP``). So no call crosses into Node except one per
``k8s.Quantity``/``k8s.IntOrString``, whose value lives in Node. Nothing here imports jsii:
a struct is a plain class carrying the ``__jsii_type__`` that jsii's ``data_type``
decorator gives it, so this module (and :mod:`mxnet_construct.options`, which uses it)
stays cheap to import.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, NoReturn, TypeAlias

from . import _validate as v

if TYPE_CHECKING:
    import cdk8s_plus_27 as kplus
    from cdk8s_plus_27 import k8s

    from . import k8s_types

    ContainerSpec: TypeAlias = k8s_types.Container | k8s.Container | Mapping[str, Any]
    TolerationSpec: TypeAlias = k8s_types.Toleration | k8s.Toleration | Mapping[str, Any]
    AffinitySpec: TypeAlias = k8s_types.Affinity | k8s.Affinity | Mapping[str, Any]
    K8sEnvVar: TypeAlias = k8s.EnvVar
    K8sResources: TypeAlias = kplus.ContainerResources | k8s.ResourceRequirements
else:

    class TolerationSpec:
        """A toleration: a dict or a ``k8s.Toleration`` (stand-in, as :class:`ContainerSpec`)."""

    class AffinitySpec:
        """An affinity: a dict or a ``k8s.Affinity`` (stand-in, as :class:`ContainerSpec`)."""

    class K8sEnvVar:
        """A ``k8s.EnvVar`` (stand-in, as :class:`ContainerSpec`)."""

    class K8sResources:
        """A ``kplus.ContainerResources`` or ``k8s.ResourceRequirements`` (stand-in)."""

    class ContainerSpec:
        """A Kubernetes container: a ``cdk8s_plus_27.k8s.Container`` or a dict in the
        Kubernetes JSON spelling (``mxnet_construct.k8s_types.Container`` types it).

        Only type checkers see the real union. At run time this class stands in for it, so
        ``typing.get_type_hints`` works on the options without loading jsii.
        """


__all__ = [
    "AffinitySpec",
    "ContainerSpec",
    "K8sEnvVar",
    "K8sResources",
    "TolerationSpec",
    "as_dict",
    "check",
    "fields",
    "from_struct",
    "is_struct",
    "struct_items",
]

_INT_BOUNDS = {"int32": (-(2**31), 2**31 - 1), "int64": (-(2**63), 2**63 - 1)}
_SCALARS = frozenset({"str", "bool", "int32", "int64", "float", "quantity", "int-or-string", "any"})


@functools.cache
def fields(type_name: str) -> Mapping[str, tuple[str, bool]]:
    """Fields of a schema type: JSON name -> (spec, required). See ``k8s_types.FIELDS``.

    The result is cached and shared: read it, don't change it.

    Raises:
        KeyError: ``type_name`` is not a type of the table.
    """
    from .k8s_types import FIELDS

    out: dict[str, tuple[str, bool]] = {}
    for entry in FIELDS[type_name].split():
        name, _, spec = entry.partition(":")
        required = name.endswith("!")
        out[name.rstrip("!")] = (spec, required)
    return out


def is_struct(value: object) -> bool:
    """True for a jsii struct instance such as ``k8s.Container(...)`` (by its shape, not its class).

    jsii classes (``k8s.Quantity``, constructs) have jsii's metaclass; structs are plain
    classes with a jsii type name.
    """
    cls = type(value)
    return isinstance(getattr(cls, "__jsii_type__", None), str) and type(cls) is type


@functools.cache
def _struct_fields(cls: Any) -> tuple[str, ...]:
    """The Python names of a struct's fields: its ``__init__``'s keyword parameters."""
    import inspect  # only when a struct is given

    params = inspect.signature(cls).parameters.values()
    return tuple(p.name for p in params if p.kind is inspect.Parameter.KEYWORD_ONLY)


def struct_items(value: object) -> list[tuple[str, Any]]:
    """The fields a struct has set, as (Python name, value), read through its properties."""
    out = []
    cls: Any = type(value)
    for name in _struct_fields(cls):
        item = getattr(value, name)
        if item is not None:
            out.append((name, item))
    return out


def check(value: object, type_name: str, field: str) -> dict[str, Any]:
    """Checks a pod part and returns it as a fresh plain JSON dict.

    Args:
        value: A dict in the Kubernetes JSON spelling, or a ``cdk8s_plus_27.k8s`` struct
            of the matching type. Structs and ``k8s.Quantity``/``k8s.IntOrString`` may
            appear at any depth, also inside dicts.
        type_name: The schema type, a key of ``k8s_types.FIELDS`` (``"Container"``,
            ``"Volume"``, ``"PodTemplateSpec"``, ...).
        field: Where the value came from, for messages (``"sidecars[0]"``).

    Raises:
        ValueError: An unknown field (the message suggests the right spelling), a missing
            required field, or an integer out of its Kubernetes range.
        TypeError: A value of the wrong type, or a struct of another type.
    """
    return _object(value, type_name, field)


def as_dict(part: ContainerSpec) -> dict[str, Any]:
    """A fresh dict of a container that :class:`MXNetOptions` already checked.

    The options store sidecars and init containers as checked plain dicts, while their
    annotation is the input type; this gives the renderer the dict type back (and converts
    a struct, should one arrive by another way, with the same checks).
    """
    return v.thaw(part) if isinstance(part, Mapping) else check(part, "Container", "container")


def from_struct(value: object, field: str = "value") -> dict[str, Any]:
    """Converts a ``cdk8s_plus_27.k8s`` struct of any pod type to its checked JSON dict.

    The type is taken from the struct's class (``k8s.Volume`` -> ``Volume``), so this works
    for every type in ``k8s_types.FIELDS``.
    """
    if not is_struct(value):
        _wrong_type(field, value, "a cdk8s_plus_27.k8s struct")
    return _object(value, _schema_name(type(value).__name__, field, value), field)


@functools.cache
def _json_names(type_name: str) -> dict[str, str]:
    """Lowercased field name -> JSON field name, for one type."""
    return {name.lower(): name for name in fields(type_name)}


@functools.cache
def _lower_names() -> dict[str, str]:
    from .k8s_types import FIELDS

    # jsii spells acronyms as words (HttpGetAction, SeLinuxOptions, PodOs), the schema
    # doesn't (HTTPGetAction, SELinuxOptions, PodOS); the lowercase forms agree.
    return {name.lower(): name for name in FIELDS}


def _schema_name(class_name: str, field: str, value: object) -> str:
    name = _lower_names().get(class_name.lower())
    if name is None:
        _wrong_type(field, value, "a struct of a Kubernetes pod type")
    return name


def _wrong_type(field: str, value: object, expected: str) -> NoReturn:
    shown = f"k8s.{type(value).__name__}" if is_struct(value) else f"{type(value).__name__} {value!r}"
    raise TypeError(f"{field}: expected {expected}, got {shown}")


def _suggestion(key: str, known: Sequence[str]) -> str | None:
    import difflib  # only on the error path; it costs an import at startup otherwise

    camel = re.sub(r"_+([a-zA-Z0-9])", lambda m: m.group(1).upper(), key)
    by_lower = {name.lower(): name for name in known}
    for guess in (camel, camel.lower(), key.lower()):
        if guess in known:
            return guess
        if guess in by_lower:
            return by_lower[guess]
    close = difflib.get_close_matches(camel, known, n=1, cutoff=0.6)
    return close[0] if close else None


def _object(value: object, type_name: str, field: str) -> dict[str, Any]:
    known = fields(type_name)
    items: list[tuple[str, Any]]
    if is_struct(value):
        if _schema_name(type(value).__name__, field, value) != type_name:
            _wrong_type(field, value, f"a {type_name} (a dict or k8s.{type_name})")
        # Python names (host_ip) and JSON names (hostIP) agree without underscores, lowercased.
        json_names = _json_names(type_name)
        items = [(json_names.get(k.replace("_", "").lower(), k), item) for k, item in struct_items(value)]
    elif isinstance(value, Mapping):
        items = list(value.items())
    else:
        _wrong_type(field, value, f"a {type_name} (a dict or k8s.{type_name})")
    out: dict[str, Any] = {}
    for key, item in items:
        if not isinstance(key, str):
            raise TypeError(f"{field}: keys must be strings, got {type(key).__name__} {key!r}")
        where = f"{field}.{key}"
        if key not in known:
            hint = _suggestion(key, list(known))
            allowed = f"did you mean {hint!r}?" if hint else "its fields are " + ", ".join(known)
            v.fail(where, key, f"a Kubernetes {type_name} has no such field; {allowed}")
        spec, required = known[key]
        if item is None:
            if required:
                v.fail(where, item, f"{type_name}.{key} is required")
            out[key] = None
            continue
        out[key] = _value(item, spec, where)
    missing = [name for name, (_, required) in known.items() if required and name not in out]
    if missing:
        v.fail(f"{field}.{missing[0]}", None, f"a Kubernetes {type_name} requires {', '.join(missing)}")
    return out


def _value(value: object, spec: str, field: str) -> Any:
    if spec.startswith("["):
        if isinstance(value, str | bytes | Mapping) or not isinstance(value, Sequence):
            _wrong_type(field, value, "a list")
        return [_value(item, spec[1:-1], f"{field}[{i}]") for i, item in enumerate(value)]
    if spec.startswith("{"):
        if not isinstance(value, Mapping):
            _wrong_type(field, value, "a mapping")
        out = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(f"{field}: keys must be strings, got {type(key).__name__} {key!r}")
            out[key] = _value(item, spec[1:-1], f"{field}[{key!r}]")
        return out
    if spec in _SCALARS:
        return _scalar(value, spec, field)
    return _object(value, spec, field)


def _jsii_value(value: object) -> object:
    """The value inside a ``k8s.Quantity`` or ``k8s.IntOrString``; anything else unchanged."""
    jsii_type = getattr(type(value), "__jsii_type__", None)
    if isinstance(jsii_type, str) and jsii_type.rsplit(".", 1)[-1] in ("Quantity", "IntOrString"):
        return value.value  # type: ignore[attr-defined]
    return value


def _scalar(value: object, spec: str, field: str) -> Any:
    if spec in ("quantity", "int-or-string"):
        value = _jsii_value(value)
    if spec == "str":
        if not isinstance(value, str):
            _wrong_type(field, value, "a string")
    elif spec == "bool":
        if not isinstance(value, bool):
            _wrong_type(field, value, "true or false")
    elif spec in _INT_BOUNDS:
        if isinstance(value, bool) or not isinstance(value, int):
            _wrong_type(field, value, "an integer")
        low, high = _INT_BOUNDS[spec]
        if not low <= value <= high:
            v.fail(field, value, f"a Kubernetes {spec} lies between {low} and {high}")
    elif spec == "float":
        if isinstance(value, bool) or not isinstance(value, int | float):
            _wrong_type(field, value, "a number")
        if not math.isfinite(value):
            v.fail(field, value, "numbers must be finite")
    elif spec == "quantity":
        v.check_quantity(field, value)
    elif spec == "int-or-string":
        if isinstance(value, bool) or not isinstance(value, int | str):
            _wrong_type(field, value, "an integer or a string")
    else:  # "any": a free-form JSON object (managedFields' fieldsV1)
        if not isinstance(value, Mapping):
            _wrong_type(field, value, "a mapping")
        v.check_json(field, value)
        return v.thaw(value)
    return value
