"""The errors of the values translator, and options' errors retold with the Helm key."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any, NoReturn

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


class ValuesErrors(OptionError):
    """Every problem of one values mapping, found in one run; ``.errors`` lists them.

    ``.field`` is the first problem's key. A single problem is raised as itself, so this
    class appears only for two or more.
    """

    def __init__(self, errors: list[OptionError]) -> None:
        # One problem a line; the command line joins them with "; " on one line.
        lines = "\n".join(f"  {i}) {err}" for i, err in enumerate(errors, 1))
        text = f"{len(errors)} problems in the values\n{lines}"
        super().__init__(errors[0].field, errors[0].value, text)
        self.errors = errors
        self.args = (text,)

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.errors,))


# Python spellings in the options' messages, and how a values file says the same thing.
_PY_TO_VALUES = (
    (
        re.compile(r"EnvVar\.from_secret\((?:'[^']*'|\"[^\"]*\"), '<secret name>', '<key>'\)"),
        "valueFrom.secretKeyRef: {name: <secret name>, key: <key>}",
    ),
    (re.compile(r"EnvVar\(\.\.\., not_secret=True\)"), "notSecret: true"),
    (re.compile(r"([A-Za-z_][\w.]*)='([^']*)'"), r"\1: \2"),
    (re.compile(r"([A-Za-z_][\w.]*)=True\b"), r"\1: true"),
    (re.compile(r"([A-Za-z_][\w.]*)=False\b"), r"\1: false"),
)


def values_words(reason: str, keys: Mapping[str, str]) -> str:
    """``reason`` in values vocabulary: option field names become the keys in ``keys``
    (field -> values key) and Python call syntax becomes YAML."""
    for pattern, text in _PY_TO_VALUES[:2]:
        reason = pattern.sub(text, reason)
    if keys:
        names = sorted(keys, key=len, reverse=True)
        alternation = "|".join(re.escape(n) for n in names)
        reason = re.sub(rf"(?<![\w.]){alternation}(?![\w])", lambda m: keys[m.group(0)], reason)
    for pattern, text in _PY_TO_VALUES[2:]:
        reason = pattern.sub(text, reason)
    return reason


class Errors:
    """Collects every problem of one values mapping, each told in that mapping's keys.

    ``source`` maps a 1.4.26-schema key to the key the mapping used (a later chart
    version's); ``fields`` maps an option field (``worker_count``) to its values key.
    """

    def __init__(self, source: Mapping[str, str], fields: Mapping[str, str]) -> None:
        self.found: list[OptionError] = []
        self._source = dict(source)
        self._fields = fields
        self._renamed = {k: v for k, v in self._source.items() if k != v}

    @contextmanager
    def collect(self) -> Iterator[None]:
        try:
            yield
        except OptionError as err:
            self.add(err)

    def add(self, err: OptionError) -> None:
        field = self._key(err.field)
        reason = values_words(values_words(err.reason, self._fields), self._renamed)
        cls = ValuesTypeError if isinstance(err, TypeError) else OptionError
        self.found.append(cls(field, err.value, reason))

    def _key(self, key: str) -> str:
        for old in sorted(self._renamed, key=len, reverse=True):
            if key == old or key.startswith((f"{old}.", f"{old}[")):
                return self._renamed[old] + key[len(old) :]
        return key

    def raise_all(self) -> None:
        if len(self.found) == 1:
            raise self.found[0]
        if self.found:
            raise ValuesErrors(self.found)
