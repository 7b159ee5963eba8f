"""Shared pieces of the manifest model: its error type and small field readers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeAlias

Doc: TypeAlias = Mapping[str, Any]


class ManifestError(ValueError):
    """A manifest cannot be read or modelled; the message names the file or object and field."""


def string_map(value: object, where: str) -> dict[str, str]:
    """A ``labels``-style map; anything else is an error naming ``where``."""
    if value is None:
        return {}
    if not isinstance(value, Mapping) or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        raise ManifestError(f"{where}: {value!r} is not a map of strings to strings")
    return dict(value)


def count(value: object, where: str, default: int) -> int:
    """A replica-style count: absent means ``default``; otherwise a whole number >= 0."""
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ManifestError(f"{where}: {value!r} is not a count; use a whole number >= 0")
    return value


def meta(doc: Doc) -> tuple[str, str]:
    """``(name, namespace)`` of an object; the namespace defaults to ``default``."""
    md = doc.get("metadata") or {}
    name = md.get("name")
    if not isinstance(name, str) or not name:
        raise ManifestError(f"{doc.get('kind')}: metadata.name is missing")
    return name, str(md.get("namespace") or "default")
