"""Small, pure checks shared by the options and the Helm translator.

Every failure raises :class:`OptionError` (or :class:`OptionTypeError` for a wrong type)
naming the field, the bad value and what is allowed, because the user reading the message
is usually looking at a values file, not at our code. The field travels on the exception
(``.field``), so callers that know the field by another name (a Helm key) rename it
without parsing the message.

Patterns are ASCII-only and must match the whole text (``re.fullmatch`` with
``re.ASCII``): with ``$`` a trailing newline slipped through, and ``\\d``/``\\w`` matched
non-ASCII digits and letters that Kubernetes refuses.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from itertools import pairwise
from types import MappingProxyType
from typing import Any, NoReturn

from . import _quantity


class OptionError(ValueError):
    """An option value that is refused: ``.field`` names it, ``.value`` is the value.

    ``str(err)`` is ``"<field>: <reason>"``. ``.field`` is the option path as the code that
    raised it knows it (``persistence.size``, ``extra_env[HF_TOKEN].value``); code that
    knows the field by another name (the Helm translator) rebuilds the error with
    :meth:`renamed` instead of parsing the message.
    """

    def __init__(self, field: str, value: object, reason: str, *, label: str | None = None) -> None:
        super().__init__(f"{label or field}: {reason}")
        self.field = field
        self.value = value
        self.reason = reason
        self.label = label

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (type(self), self.field, self.value, self.reason, self.label))

    def renamed(self, field: str) -> OptionError:
        """The same error (same class, value and reason) for the field called ``field``."""
        return type(self)(field, self.value, self.reason)

    def labelled(self, label: str) -> OptionError:
        """The same error, shown as ``"<label>: <reason>"`` (``.field`` is unchanged)."""
        return type(self)(self.field, self.value, self.reason, label=label)


def _rebuild(cls: type[OptionError], field: str, value: object, reason: str, label: str | None) -> OptionError:
    return cls(field, value, reason, label=label)


class OptionTypeError(OptionError, TypeError):
    """An option value of the wrong type; both a :class:`OptionError` and a ``TypeError``."""


def _pattern(text: str) -> re.Pattern[str]:
    return re.compile(text, re.ASCII)


DNS_LABEL = _pattern(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
DNS_1035_LABEL = _pattern(r"[a-z]([-a-z0-9]*[a-z0-9])?")
DNS_SUBDOMAIN = _pattern(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
# Kubernetes resource.Quantity, as the API server parses it.
QUANTITY = _quantity.PATTERN
# Kubernetes' env name rule (IsEnvVarName): letters, digits, '_', '-' and '.', not
# starting with a digit.
ENV_NAME = _pattern(r"[-._a-zA-Z][-._a-zA-Z0-9]*")
LABEL_NAME = _pattern(r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]")
LABEL_VALUE = _pattern(r"(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?")
# docker/distribution reference grammar, split in the parts we assemble.
IMAGE_REGISTRY = _pattern(
    r"[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?(\.[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?)*(:[0-9]+)?"
)
IMAGE_REPOSITORY = _pattern(r"[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*")
IMAGE_TAG = _pattern(r"[\w][\w.-]{0,127}")
IMAGE_DIGEST = _pattern(r"[A-Za-z][A-Za-z0-9]*([-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}")
# A ConfigMap key (IsConfigMapKey): these characters, not '.' or '..', not starting '..'.
CONFIGMAP_KEY = _pattern(r"[-._a-zA-Z0-9]+")
# An EnvVar fieldRef/resourceFieldRef path: metadata.labels['a/b'], status.podIP, limits.cpu.
FIELD_PATH = _pattern(r"[A-Za-z][-A-Za-z0-9]*(\.[A-Za-z][-A-Za-z0-9.]*)*(\['[-._/A-Za-z0-9]+'\])?")
# A Linux capability name, with or without the CAP_ prefix.
CAPABILITY = _pattern(r"[A-Za-z][A-Za-z0-9_]*")
# A Linux network interface name as ps-lite's DMLC_INTERFACE takes it.
INTERFACE = _pattern(r"[-_.@a-zA-Z0-9]{1,15}")

MAX_NAME = 63
MAX_SUBDOMAIN = 253
INT32_MIN = -(2**31)
INT32_MAX = 2**31 - 1
# Kubernetes int64 fields, capped where a JSON number still holds every integer exactly:
# cdk8s carries numbers as JavaScript doubles, so 2**53 + 1 would be written as 2**53.
INT64_SAFE_MAX = 2**53 - 1
# A single string option (an env value, a file of code): the API server refuses objects
# above about 1.5 MiB, so anything larger can never be applied.
MAX_TEXT = 1_048_576
MAX_PATH = 4096
# Nesting of raw Kubernetes YAML (affinity, sidecars, ...): real objects stay under 20 levels;
# the bound keeps a hostile or cyclic value from ending in a RecursionError.
MAX_DEPTH = 64


def fail(field: str, value: object, allowed: str) -> NoReturn:
    """Raises :class:`OptionError` as ``"<field>: <value!r> is not valid; <allowed>"``."""
    raise OptionError(field, value, f"{short(value)} is not valid; {allowed}")


def fail_type(field: str, value: object, expected: str) -> NoReturn:
    """Raises :class:`OptionTypeError` as ``"<field>: expected <expected>, got <type> <value!r>"``."""
    raise OptionTypeError(field, value, f"expected {expected}, got {type(value).__name__} {short(value)}")


def short(value: object) -> str:
    """``repr(value)``, cut to about 200 characters."""
    # A 1 MiB string in an error message helps nobody; the start says which value it was.
    text = repr(value)
    return text if len(text) <= 200 else f"{text[:160]}... ({len(text)} characters)"


def matches(pattern: re.Pattern[str], text: str) -> bool:
    """Whether all of ``text`` matches ``pattern`` (never a prefix, never a trailing newline)."""
    return pattern.fullmatch(text) is not None


def check_type(field: str, value: object, types: type | tuple[type, ...], expected: str) -> None:
    # bool is an int in Python; a count of True is never what the user meant.
    if isinstance(value, bool) and bool not in (types if isinstance(types, tuple) else (types,)):
        raise OptionTypeError(field, value, f"expected {expected}, got bool {value!r}")
    if not isinstance(value, types):
        fail_type(field, value, expected)


def check_str(field: str, value: object, *, allow_empty: bool = True, max_len: int = MAX_TEXT) -> str:
    check_type(field, value, str, "a string")
    assert isinstance(value, str)
    if not allow_empty and not value:
        fail(field, value, "it must not be empty")
    if len(value) > max_len:
        fail(field, value, f"it is {len(value)} characters long; the limit is {max_len}")
    return value


def check_int(field: str, value: object, *, minimum: int = INT32_MIN, maximum: int = INT32_MAX) -> int:
    """An integer in ``[minimum, maximum]``; the default range is Kubernetes' int32."""
    check_type(field, value, int, "an integer")
    assert isinstance(value, int)
    if value < minimum:
        fail(field, value, f"it must be at least {minimum}")
    if value > maximum:
        fail(field, value, f"it must be at most {maximum}")
    return value


def check_bool(field: str, value: object) -> bool:
    check_type(field, value, bool, "true or false")
    assert isinstance(value, bool)
    return value


def check_choice(field: str, value: object, choices: Iterable[object]) -> None:
    options = tuple(choices)
    # `True in (1, ...)` and `1.0 in (1, ...)` hold in Python; a choice is matched by type too.
    if not any(value == c and type(value) is type(c) for c in options):
        fail(field, value, "allowed: " + ", ".join(repr(c) for c in options))


def check_dns_label(field: str, value: object, *, max_len: int = MAX_NAME, rfc1035: bool = False) -> str:
    text = check_str(field, value, allow_empty=False, max_len=MAX_TEXT)
    pattern = DNS_1035_LABEL if rfc1035 else DNS_LABEL
    if not matches(pattern, text):
        first = "a lowercase letter" if rfc1035 else "a lowercase letter or digit"
        fail(
            field,
            text,
            f"use lowercase letters, digits and '-', starting with {first} and ending with a letter or digit",
        )
    if len(text) > max_len:
        fail(field, text, f"it is {len(text)} characters long; the limit is {max_len}")
    return text


def check_dns_subdomain(field: str, value: object, *, max_len: int = MAX_SUBDOMAIN) -> str:
    text = check_str(field, value, allow_empty=False, max_len=MAX_TEXT)
    if not matches(DNS_SUBDOMAIN, text) or len(text) > max_len:
        fail(field, text, f"use a DNS subdomain: lowercase letters, digits, '-' and '.', at most {max_len} characters")
    return text


def object_name(field: str, value: object, kind: str) -> str:
    """The name of a Secret, ConfigMap or ServiceAccount given by name or as an object.

    cdk8s-plus objects (``kplus.Secret``, ``kplus.ConfigMap.from_config_map_name(...)``,
    ...) are taken by their ``.name``, read once here, so the options hold plain data and
    this module never imports cdk8s-plus (which would start Node on ``import``).
    """
    if not isinstance(value, str) and not isinstance(value, bool):
        name = getattr(value, "name", None)
        # Anything with a .name used to pass (a Deployment, a role): the kind must match too.
        given = getattr(value, "kind", None)
        if isinstance(name, str) and given == kind:
            value = name
        else:
            what = f"a {given} named {name!r}" if isinstance(given, str) else type(value).__name__
            fail_type(field, value, f"a {kind} name or a {kind} object (e.g. a cdk8s-plus {kind}), not {what}")
    return check_dns_subdomain(field, value)


def check_quantity(field: str, value: object) -> str | int | float:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise OptionTypeError(
            field,
            value,
            f"expected a Kubernetes quantity (e.g. '500m', '8Gi', 2), got {type(value).__name__} {short(value)}",
        )
    if isinstance(value, float) and value != value:  # NaN
        fail(field, value, "a quantity must be a finite number")
    if isinstance(value, int | float):
        if value < 0 or value == float("inf"):
            fail(field, value, "a quantity must be a finite, non-negative number")
        if isinstance(value, int) and value > INT64_SAFE_MAX:
            fail(field, value, f"a number above {INT64_SAFE_MAX} loses digits in JSON; write it as a string")
    else:
        if len(value) > 64 or not matches(QUANTITY, value):
            fail(field, value, "use a Kubernetes quantity such as '500m', '1', '8Gi' or '1.5G'")
        if value.startswith("-"):
            fail(field, value, "a quantity must not be negative")
    # One parse for numbers and strings alike, so whatever reads the quantity later (the
    # byte floor, PodGroup sums) never meets one this check let through.
    try:
        amount = _quantity.parse_quantity(value)
    except _quantity.QuantityError as err:
        fail(field, value, f"{err.reason}; use a Kubernetes quantity such as '500m', '1', '8Gi' or '1.5G'")
    if amount > _quantity.MAX:
        fail(field, value, f"Kubernetes caps quantities at {_quantity.MAX} (about 8E); use a smaller value")
    return value


def check_env_name(field: str, value: object) -> str:
    text = check_str(field, value, allow_empty=False, max_len=MAX_SUBDOMAIN)
    if not matches(ENV_NAME, text):
        fail(
            field,
            text,
            "an env var name uses letters, digits, '_', '-' and '.' (at most 253), and must not start with a digit",
        )
    return text


def check_str_mapping(field: str, value: object, *, keys: str = "any", values: str = "any") -> dict[str, str]:
    if not isinstance(value, Mapping):
        fail_type(field, value, "a mapping of strings to strings")
    out: dict[str, str] = {}
    for k, v in value.items():
        check_str(f"{field} key", k, allow_empty=False, max_len=MAX_SUBDOMAIN + 1 + MAX_NAME)
        if not isinstance(v, str):
            raise OptionTypeError(f"{field}[{k!r}]", v, f"expected a string, got {type(v).__name__} {short(v)}")
        check_str(f"{field}[{k!r}]", v)
        if keys == "label" or keys == "annotation":
            check_label_key(f"{field} key", k)
        if values == "label" and (len(v) > MAX_NAME or not matches(LABEL_VALUE, v)):
            fail(
                f"{field}[{k!r}]",
                v,
                "a label value is at most 63 characters of letters, digits, '-', '_' and '.', starting and ending with a letter or digit",
            )
        out[k] = v
    return out


def check_label_key(field: str, key: str) -> None:
    prefix, _, name = key.rpartition("/")
    if prefix and (len(prefix) > MAX_SUBDOMAIN or not matches(DNS_SUBDOMAIN, prefix)):
        fail(field, key, "a key's prefix must be a DNS subdomain")
    if not name or len(name) > MAX_NAME or not matches(LABEL_NAME, name):
        fail(
            field,
            key,
            "a key's name is at most 63 characters of letters, digits, '-', '_' and '.', starting and ending with a letter or digit",
        )


def check_configmap_key(field: str, key: str) -> str:
    """A ConfigMap data key as Kubernetes accepts it (and a file name in the mounted volume)."""
    if len(key) > MAX_SUBDOMAIN or not matches(CONFIGMAP_KEY, key) or key in (".", "..") or key.startswith(".."):
        fail(
            field,
            key,
            "a ConfigMap key is at most 253 letters, digits, '-', '_' and '.', is not '.' or '..' and does not "
            "start with '..' (files directly in the directory)",
        )
    return key


def check_mapping(field: str, value: object) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        fail_type(field, value, "a mapping")
    for k in value:
        check_str(f"{field} key", k, allow_empty=False)
    return dict(value)


def check_list(field: str, value: object) -> list[Any]:
    if isinstance(value, str | bytes) or not isinstance(value, Sequence):
        fail_type(field, value, "a list")
    return list(value)


def check_json(field: str, value: object, _depth: int = 0, _root: str = "") -> None:
    """Raw Kubernetes fragments (affinity, sidecars) must be plain YAML data, or synthesis breaks late."""
    root = _root or field
    if _depth > MAX_DEPTH:
        # Named after the option, not the 65-level path inside it.
        fail(root, f"<{_depth} levels>", f"YAML data nests at most {MAX_DEPTH} levels")
    if value is None or isinstance(value, bool):
        return
    if isinstance(value, str):
        check_str(field, value)
        return
    if isinstance(value, int):
        if not -INT64_SAFE_MAX <= value <= INT64_SAFE_MAX:
            fail(field, value, f"integers beyond +/-{INT64_SAFE_MAX} lose digits in JSON")
        return
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            fail(field, value, "numbers must be finite")
        return
    if isinstance(value, Mapping):
        for k, v in value.items():
            if not isinstance(k, str):
                raise OptionTypeError(field, k, f"keys must be strings, got {type(k).__name__} {short(k)}")
            check_json(f"{field}.{k}", v, _depth + 1, root)
        return
    if isinstance(value, list | tuple):
        for i, v in enumerate(value):
            check_json(f"{field}[{i}]", v, _depth + 1, root)
        return
    fail_type(field, value, "YAML data (mappings, lists, strings, numbers, booleans)")


def freeze(value: Any) -> Any:
    """A deep, read-only copy: mappings become ``MappingProxyType``, sequences tuples.

    Options freeze their mapping and sequence fields, so changing the caller's dict after
    the chart is built cannot slip an unchecked value into the manifests. Call it only on
    validated data (:func:`check_json` bounds the depth).
    """
    if isinstance(value, Mapping):
        return MappingProxyType({k: freeze(v) for k, v in value.items()})
    if isinstance(value, list | tuple):
        return tuple(freeze(v) for v in value)
    return value


def thaw(value: Any) -> Any:
    """Plain ``dict``/``list`` copies of frozen option data, for the documents cdk8s serializes."""
    if isinstance(value, Mapping):
        return {k: thaw(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [thaw(v) for v in value]
    return value


# Words that mark an env var as a credential. Matched against whole name segments, so
# TOKENIZERS_PARALLELISM or MAX_TOKENS are not caught while HF_TOKEN and DB_PASSWORD are.
_SECRET_WORDS = frozenset(
    {
        "PASSWORD",
        "PASSWD",
        "PASS",
        "PASSPHRASE",
        "SECRET",
        "TOKEN",
        "APIKEY",
        "CREDENTIAL",
        "CREDENTIALS",
        "PRIVATEKEY",
    }
)
# Segments that end in one of these are credentials too: PGPASSWORD, GHTOKEN.
_SECRET_SUFFIXES = ("PASSWORD", "PASSWD", "PASSPHRASE", "SECRET", "TOKEN")
_SECRET_PAIRS = frozenset({("API", "KEY"), ("PRIVATE", "KEY"), ("AUTH", "KEY")})
# Abbreviations that are credentials only after a prefix: MYSQL_PWD and GITHUB_PAT are,
# while PWD alone is the shell's working directory.
_SECRET_LAST_WORDS = frozenset({"PWD", "PAT"})


def looks_like_secret_name(name: str) -> bool:
    """True for env names such as ``DB_PASSWORD``, ``PGPASSWORD``, ``MYSQL_PWD``, ``GITHUB_PAT``."""
    parts = [p for p in re.split(r"[-_.]", name.upper()) if p]
    return (
        any(p in _SECRET_WORDS or p.endswith(_SECRET_SUFFIXES) for p in parts)
        or any(pair in _SECRET_PAIRS for pair in pairwise(parts))
        or (len(parts) > 1 and parts[-1] in _SECRET_LAST_WORDS)
    )


_URL = _pattern(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s'\"<>]+")


def text_has_url_credentials(text: str) -> bool:
    """True when ``text`` contains a URL with ``user:password@`` (e.g. a database URL)."""
    return any(url_has_credentials(m.group(0)) for m in _URL.finditer(text))


def url_has_credentials(url: str) -> bool:
    """True when a clone URL embeds ``user:password@``, or any user in an http(s) URL.

    An http(s) user part can only work in a pod (no terminal to prompt on) if it is a
    token, e.g. ``https://<token>@github.com/...``. ssh users (``git@host:repo``,
    ``ssh://git@host/repo``) authenticate with keys and stay allowed.
    """
    scheme, sep, rest = url.partition("://")
    if not sep:
        return False
    authority = re.split(r"[/?#]", rest, maxsplit=1)[0]
    if "@" not in authority:
        return False
    userinfo = authority.rsplit("@", 1)[0]
    return ":" in userinfo or scheme.lower() in ("http", "https")


def did_you_mean(cls_name: str, given: Iterable[str], known: Sequence[str]) -> None:
    """Raises ``TypeError`` for keyword arguments ``cls_name`` does not take, with a hint."""
    import difflib

    unknown = [k for k in given if k not in known]
    if not unknown:
        return
    key = unknown[0]
    close = difflib.get_close_matches(key, list(known), n=1)
    hint = f"; did you mean {close[0]!r}?" if close else f"; it takes {', '.join(known)}"
    raise OptionTypeError(cls_name, key, f"unexpected keyword argument {key!r}{hint}")
