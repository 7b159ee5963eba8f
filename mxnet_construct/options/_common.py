"""What every option group shares: the value vocabularies, the ``NamedObject`` protocol,
and the class decorator that gives option classes "did you mean" keyword errors and
pickling."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping
from dataclasses import fields
from typing import Any, Literal, Protocol, TypeAlias, TypeVar

from .. import _quantity
from .. import _validate as v

Mode: TypeAlias = Literal["standalone", "distributed"]
Lifecycle: TypeAlias = Literal["long-running", "job", "jobset"]
GangScheduler: TypeAlias = Literal["volcano", "scheduler-plugins"]
PullPolicy: TypeAlias = Literal["Always", "IfNotPresent", "Never"]
ServiceType: TypeAlias = Literal["ClusterIP", "NodePort", "LoadBalancer"]
PodManagementPolicy: TypeAlias = Literal["Parallel", "OrderedReady"]
AccessMode: TypeAlias = Literal["ReadWriteOnce", "ReadOnlyMany", "ReadWriteMany", "ReadWriteOncePod"]
Quantity: TypeAlias = str | int | float

MODES: tuple[Mode, ...] = ("standalone", "distributed")
LIFECYCLES: tuple[Lifecycle, ...] = ("long-running", "job", "jobset")
GANG_SCHEDULERS: tuple[GangScheduler, ...] = ("volcano", "scheduler-plugins")
PULL_POLICIES: tuple[PullPolicy, ...] = ("Always", "IfNotPresent", "Never")
SERVICE_TYPES: tuple[ServiceType, ...] = ("ClusterIP", "NodePort", "LoadBalancer")
POD_MANAGEMENT_POLICIES: tuple[PodManagementPolicy, ...] = ("Parallel", "OrderedReady")
ACCESS_MODES: tuple[AccessMode, ...] = ("ReadWriteOnce", "ReadOnlyMany", "ReadWriteMany", "ReadWriteOncePod")


class NamedObject(Protocol):
    """Anything with a ``name``: a cdk8s-plus ``Secret``, ``ConfigMap`` or ``ServiceAccount``.

    Options that name such an object take either the name or the object; they keep only
    the name, so options stay plain data and importing them never starts jsii.
    """

    @property
    def name(self) -> str: ...


_C = TypeVar("_C", bound=type)


def _keyword_hints(cls: _C) -> _C:
    """Makes a misspelt keyword argument a TypeError with a "did you mean" hint.

    Python's own message (``unexpected keyword argument 'sise'``) names neither the class's
    fields nor the closest one.
    """
    init: Callable[..., None] = cls.__init__  # type: ignore[misc]
    known = tuple(f.name for f in fields(cls) if f.init)

    @functools.wraps(init)
    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        v.did_you_mean(cls.__name__, kwargs, known)
        init(self, *args, **kwargs)

    cls.__init__ = __init__  # type: ignore[misc]
    # Frozen fields hold MappingProxyType, which neither pickle nor deepcopy handles. An
    # option object is immutable, so a copy is the object itself, and pickling rebuilds it
    # from plain data through __init__ (which validates and freezes again).
    cls.__copy__ = lambda self: self  # type: ignore[attr-defined]
    cls.__deepcopy__ = lambda self, memo: self  # type: ignore[attr-defined]
    cls.__reduce__ = _reduce  # type: ignore[assignment]
    return cls


def _reduce(self: Any) -> tuple[Any, ...]:
    state = {f.name: _picklable(getattr(self, f.name)) for f in fields(self) if f.init}
    return (_rebuild_option, (type(self), state))


def _picklable(value: Any) -> Any:
    # Mappings become dicts; sequences keep their type, so the rebuilt object is equal.
    if isinstance(value, Mapping):
        return {k: _picklable(x) for k, x in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_picklable(x) for x in value)
    return value


def _rebuild_option(cls: Callable[..., Any], state: dict[str, Any]) -> Any:
    return cls(**state)


def _set(obj: object, name: str, value: object) -> None:
    # Frozen dataclasses store their normalised (frozen) fields in __post_init__ this way.
    object.__setattr__(obj, name, value)


def _check_abs_path(field_name: str, value: object) -> str:
    text = v.check_str(field_name, value, allow_empty=False, max_len=v.MAX_PATH)
    if not text.startswith("/") or ":" in text:
        v.fail(field_name, text, "use an absolute path without ':'")
    if not text.isprintable() or ".." in text.split("/"):
        v.fail(field_name, text, "a path has no control characters (such as a newline) and no '..' part")
    return text


# Resources counted in bytes. A bare number there is bytes to Kubernetes, which nobody
# means: `memory: 4096` is 4 KiB, and no container starts in it.
BYTE_RESOURCES = frozenset({"memory", "ephemeral-storage", "storage"})
_MIN_BYTES = 1024**2
_BARE_NUMBER = re.compile(r"[0-9]*\.?[0-9]*", re.ASCII)


def _check_bytes(field_name: str, value: str | int | float) -> None:
    """Refuses a memory or storage quantity under 1Mi (call after ``v.check_quantity``)."""
    if _quantity.parse_quantity(value) >= _MIN_BYTES:
        return
    text = str(value)
    if _BARE_NUMBER.fullmatch(text) and float(text) > 0:
        v.fail(
            field_name,
            value,
            f"memory and storage are counted in bytes, so this is {text} bytes; "
            f"write it with a unit, e.g. '{text}Gi' or '{text}Mi' (at least 1Mi)",
        )
    v.fail(field_name, value, "memory and storage under 1Mi are refused (nothing fits in them); e.g. '1Gi'")
