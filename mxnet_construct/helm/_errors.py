"""The errors of the values translator, and options' errors retold with the Helm key."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import NoReturn

from ..options import OptionError, OptionTypeError


class ValuesTypeError(OptionTypeError):
    """A value of the wrong type in a values mapping; ``.field`` is the Helm key.

    It is both a ``ValueError`` (bad values, as for an unknown key) and a ``TypeError``
    (the library's usual error for a wrong type), so either ``except`` clause catches it.
    """


class ValuesWarning(UserWarning):
    """Values that are valid but have no effect, e.g. a code source shadowed by another."""


def _type_error(path: str, value: object, expected: str, hint: str = "") -> NoReturn:
    raise ValuesTypeError(path, value, f"expected {expected}, got {_describe(value)}{hint}")


def _describe(value: object) -> str:
    kind = {dict: "a mapping", list: "a list", str: "string", bool: "boolean", int: "integer", float: "number"}
    return f"{kind.get(type(value), type(value).__name__)} {value!r}"


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


def _helmish(tail: str) -> str:
    return re.sub(r"\.([a-z_]+)", lambda m: "." + _camel(m.group(1)), tail)


def _retold(err: OptionError, field: str) -> OptionError:
    if isinstance(err, TypeError):
        return ValuesTypeError(field, err.value, err.reason)
    return OptionError(field, err.value, err.reason)
