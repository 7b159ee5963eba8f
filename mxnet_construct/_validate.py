"""Small, pure checks shared by the options and the Helm translator.

Every failure names the field, the bad value and what is allowed, because the user reading
the message is usually looking at a values file, not at our code.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from itertools import pairwise
from typing import Any, NoReturn

DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
DNS_1035_LABEL = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
# Kubernetes resource.Quantity, as the API server parses it.
QUANTITY = re.compile(
    r"^(?P<number>[+-]?(?:\d+(?:\.\d*)?|\.\d+))(?P<suffix>[eE][+-]?\d+|Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)?$"
)
# C identifiers are what a shell can export; Kubernetes allows more, but a name the
# entrypoint's shell cannot see is a mistake in practice.
ENV_NAME = re.compile(r"^[-._a-zA-Z][-._a-zA-Z0-9]*$")
LABEL_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
# docker/distribution reference grammar, split in the parts we assemble.
IMAGE_REGISTRY = re.compile(
    r"^[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?(\.[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?)*(:[0-9]+)?$"
)
IMAGE_REPOSITORY = re.compile(r"^[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*$")
IMAGE_TAG = re.compile(r"^[\w][\w.-]{0,127}$")
IMAGE_DIGEST = re.compile(r"^[A-Za-z][A-Za-z0-9]*([-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$")

MAX_NAME = 63


def fail(field: str, value: object, allowed: str) -> NoReturn:
    raise ValueError(f"{field}: {value!r} is not valid; {allowed}")


def check_type(field: str, value: object, types: type | tuple[type, ...], expected: str) -> None:
    # bool is an int in Python; a count of True is never what the user meant.
    if isinstance(value, bool) and bool not in (types if isinstance(types, tuple) else (types,)):
        raise TypeError(f"{field}: expected {expected}, got bool {value!r}")
    if not isinstance(value, types):
        raise TypeError(f"{field}: expected {expected}, got {type(value).__name__} {value!r}")


def check_str(field: str, value: object, *, allow_empty: bool = True) -> str:
    check_type(field, value, str, "a string")
    assert isinstance(value, str)
    if not allow_empty and not value:
        fail(field, value, "it must not be empty")
    return value


def check_int(field: str, value: object, *, minimum: int | None = None, maximum: int | None = None) -> int:
    check_type(field, value, int, "an integer")
    assert isinstance(value, int)
    if minimum is not None and value < minimum:
        fail(field, value, f"it must be at least {minimum}")
    if maximum is not None and value > maximum:
        fail(field, value, f"it must be at most {maximum}")
    return value


def check_bool(field: str, value: object) -> bool:
    check_type(field, value, bool, "true or false")
    assert isinstance(value, bool)
    return value


def check_choice(field: str, value: object, choices: Iterable[object]) -> None:
    options = tuple(choices)
    if value not in options:
        fail(field, value, "allowed: " + ", ".join(repr(c) for c in options))


def check_dns_label(field: str, value: object, *, max_len: int = MAX_NAME, rfc1035: bool = False) -> str:
    text = check_str(field, value, allow_empty=False)
    pattern = DNS_1035_LABEL if rfc1035 else DNS_LABEL
    if not pattern.match(text):
        first = "a lowercase letter" if rfc1035 else "a lowercase letter or digit"
        fail(
            field,
            text,
            f"use lowercase letters, digits and '-', starting with {first} and ending with a letter or digit",
        )
    if len(text) > max_len:
        fail(field, text, f"it is {len(text)} characters long; the limit is {max_len}")
    return text


def check_dns_subdomain(field: str, value: object, *, max_len: int = 253) -> str:
    text = check_str(field, value, allow_empty=False)
    if not DNS_SUBDOMAIN.match(text) or len(text) > max_len:
        fail(field, text, f"use a DNS subdomain: lowercase letters, digits, '-' and '.', at most {max_len} characters")
    return text


def check_quantity(field: str, value: object) -> str | int | float:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise TypeError(
            f"{field}: expected a Kubernetes quantity (e.g. '500m', '8Gi', 2), got {type(value).__name__} {value!r}"
        )
    if isinstance(value, float) and value != value:  # NaN
        fail(field, value, "a quantity must be a finite number")
    if isinstance(value, int | float):
        if value < 0 or value in (float("inf"),):
            fail(field, value, "a quantity must be a finite, non-negative number")
        return value
    if not QUANTITY.match(value):
        fail(field, value, "use a Kubernetes quantity such as '500m', '1', '8Gi' or '1.5G'")
    if value.startswith("-"):
        fail(field, value, "a quantity must not be negative")
    return value


def check_env_name(field: str, value: object) -> str:
    text = check_str(field, value, allow_empty=False)
    if not ENV_NAME.match(text):
        fail(field, text, "an env var name uses letters, digits, '_', '-' and '.', and must not start with a digit")
    return text


def check_str_mapping(field: str, value: object, *, keys: str = "any", values: str = "any") -> dict[str, str]:
    if not isinstance(value, Mapping):
        raise TypeError(f"{field}: expected a mapping of strings to strings, got {type(value).__name__} {value!r}")
    out: dict[str, str] = {}
    for k, v in value.items():
        check_str(f"{field} key", k, allow_empty=False)
        if not isinstance(v, str):
            raise TypeError(f"{field}[{k!r}]: expected a string, got {type(v).__name__} {v!r}")
        if keys == "label" or keys == "annotation":
            check_label_key(f"{field} key", k)
        if values == "label" and (len(v) > MAX_NAME or not LABEL_VALUE.match(v)):
            fail(
                f"{field}[{k!r}]",
                v,
                "a label value is at most 63 characters of letters, digits, '-', '_' and '.', starting and ending with a letter or digit",
            )
        out[k] = v
    return out


def check_label_key(field: str, key: str) -> None:
    prefix, _, name = key.rpartition("/")
    if prefix and (len(prefix) > 253 or not DNS_SUBDOMAIN.match(prefix)):
        fail(field, key, "a key's prefix must be a DNS subdomain")
    if not name or len(name) > MAX_NAME or not LABEL_NAME.match(name):
        fail(
            field,
            key,
            "a key's name is at most 63 characters of letters, digits, '-', '_' and '.', starting and ending with a letter or digit",
        )


def check_mapping(field: str, value: object) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise TypeError(f"{field}: expected a mapping, got {type(value).__name__} {value!r}")
    for k in value:
        check_str(f"{field} key", k, allow_empty=False)
    return dict(value)


def check_list(field: str, value: object) -> list[Any]:
    if isinstance(value, str | bytes) or not isinstance(value, Sequence):
        raise TypeError(f"{field}: expected a list, got {type(value).__name__} {value!r}")
    return list(value)


def check_json(field: str, value: object) -> None:
    """Raw Kubernetes fragments (affinity, sidecars) must be plain YAML data, or synthesis breaks late."""
    if value is None or isinstance(value, str | bool | int):
        return
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            fail(field, value, "numbers must be finite")
        return
    if isinstance(value, Mapping):
        for k, v in value.items():
            if not isinstance(k, str):
                raise TypeError(f"{field}: keys must be strings, got {type(k).__name__} {k!r}")
            check_json(f"{field}.{k}", v)
        return
    if isinstance(value, list | tuple):
        for i, v in enumerate(value):
            check_json(f"{field}[{i}]", v)
        return
    raise TypeError(
        f"{field}: expected YAML data (mappings, lists, strings, numbers, booleans), got {type(value).__name__} {value!r}"
    )


# Words that mark an env var as a credential. Matched against whole name segments, so
# TOKENIZERS_PARALLELISM or MAX_TOKENS are not caught while HF_TOKEN and DB_PASSWORD are.
_SECRET_WORDS = frozenset(
    {"PASSWORD", "PASSWD", "PASSPHRASE", "SECRET", "TOKEN", "APIKEY", "CREDENTIAL", "CREDENTIALS", "PRIVATEKEY"}
)
_SECRET_PAIRS = frozenset({("API", "KEY"), ("PRIVATE", "KEY"), ("AUTH", "KEY")})


def looks_like_secret_name(name: str) -> bool:
    """True for env names such as ``DB_PASSWORD``, ``HF_TOKEN``, ``WANDB_API_KEY``."""
    parts = [p for p in re.split(r"[-_.]", name.upper()) if p]
    return any(p in _SECRET_WORDS for p in parts) or any(pair in _SECRET_PAIRS for pair in pairwise(parts))


def url_has_credentials(url: str) -> bool:
    """True when a clone URL embeds ``user:password@``, or any user in an http(s) URL.

    An http(s) user part can only work in a pod (no terminal to prompt on) if it is a
    token, e.g. ``https://<token>@github.com/...``. ssh users (``git@host:repo``,
    ``ssh://git@host/repo``) authenticate with keys and stay allowed.
    """
    scheme, sep, rest = url.partition("://")
    if not sep:
        return False
    authority = rest.split("/", 1)[0]
    if "@" not in authority:
        return False
    userinfo = authority.rsplit("@", 1)[0]
    return ":" in userinfo or scheme.lower() in ("http", "https")
