"""Kubernetes resource quantities (``500m``, ``8Gi``, ``1e3``, ``1E``), parsed in one place.

The grammar and the suffix table are those of the API server (apimachinery's
``resource.Quantity``): an optional sign, a decimal number (``1``, ``1.5``, ``1.``, ``.5``),
then at most one suffix: a binary SI suffix (``Ki`` ... ``Ei``), a decimal SI suffix (``n``,
``u``, ``m``, ``k``, ``M``, ``G``, ``T``, ``P``, ``E``) or a decimal exponent (``e3``,
``E-2``). ``E`` alone is exa; ``E`` followed by digits is an exponent.

Why not a library's parser: the Kubernetes Python client's ``parse_quantity`` does not
accept decimal exponents, and importing it loads the whole API client; lightkube's would
add an HTTP client and its models to a library that never talks to a cluster. This module
needs only ``re`` and ``decimal``, so ``import mxnet_construct`` stays cheap.
"""

from __future__ import annotations

import re
from decimal import Context, Decimal
from types import MappingProxyType

__all__ = ["MAX", "PATTERN", "QuantityError", "format_quantity", "parse_quantity"]

BINARY_SI = MappingProxyType({"Ki": 1, "Mi": 2, "Gi": 3, "Ti": 4, "Pi": 5, "Ei": 6})
"""Binary suffixes and their power of 1024."""
DECIMAL_SI = MappingProxyType({"n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18})
"""Decimal suffixes and their power of 10. ``K`` is not one (only ``k``)."""

PATTERN = re.compile(
    r"(?P<number>[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))"
    r"(?P<suffix>[eE][+-]?[0-9]+|Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)?",
    re.ASCII,
)
"""The whole text of a quantity (use with ``fullmatch``)."""

MAX = Decimal(2**63 - 1)
"""The largest magnitude the API server keeps; it caps larger quantities to this."""

# Exponents beyond this are far outside anything the API server keeps (it caps at MAX
# and rounds up below 1n); refusing them keeps Decimal arithmetic small and exact.
_MAX_EXPONENT = 100
# Enough digits for a 64-character mantissa times 1024**6, so no product is rounded.
_EXACT = Context(prec=200)


class QuantityError(ValueError):
    """Text that is not a Kubernetes quantity, or one far outside the representable range.

    ``reason`` is the message without the value, for callers that name the value themselves.
    """

    def __init__(self, value: object, reason: str, *, separator: str = " ") -> None:
        super().__init__(f"{value!r}{separator}{reason}")
        self.reason = reason


def parse_quantity(value: object) -> Decimal:
    """The exact value of a Kubernetes quantity: ``"500m"`` -> 0.5, ``"1Gi"`` -> 1073741824,
    ``"1E"`` -> 10**18, ``"1e3"`` -> 1000, ``2`` -> 2.

    Raises :class:`QuantityError` for anything else, booleans included.
    """
    if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
        raise QuantityError(value, "is not a Kubernetes quantity")
    text = str(value) if not isinstance(value, float) else repr(value)
    match = PATTERN.fullmatch(text)
    if match is None:
        raise QuantityError(value, "is not a Kubernetes quantity (e.g. '500m', '8Gi', '1e3', 2)")
    number, suffix = Decimal(match["number"]), match["suffix"] or ""
    if suffix in BINARY_SI:
        return _EXACT.multiply(number, Decimal(1024) ** BINARY_SI[suffix])
    exponent = DECIMAL_SI[suffix] if suffix in DECIMAL_SI else int(suffix[1:])
    if abs(exponent) > _MAX_EXPONENT:
        raise QuantityError(
            value, f"the exponent {exponent} is out of range (-{_MAX_EXPONENT} to {_MAX_EXPONENT})", separator=": "
        )
    return _EXACT.scaleb(number, exponent)


def format_quantity(value: Decimal) -> str:
    """The shortest exact spelling: whole binary units for big numbers, milli-units for fractions."""
    if value == value.to_integral_value():
        whole = int(value)
        for suffix, power in sorted(BINARY_SI.items(), key=lambda item: -item[1]):
            if whole and whole % (1024**power) == 0:
                return f"{whole // 1024**power}{suffix}"
        return str(whole)
    milli = value.scaleb(3)
    if milli == milli.to_integral_value():
        return f"{int(milli)}m"
    return format(value.normalize(), "f")
