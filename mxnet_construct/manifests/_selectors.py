"""Label selectors as the API server evaluates them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from ._base import ManifestError, string_map

_OPERATORS = ("In", "NotIn", "Exists", "DoesNotExist")


@dataclass(frozen=True)
class Requirement:
    """One ``matchExpressions`` entry."""

    key: str
    operator: str
    values: frozenset[str] = frozenset()

    def matches(self, labels: Mapping[str, str]) -> bool:
        if self.operator == "In":
            return self.key in labels and labels[self.key] in self.values
        if self.operator == "NotIn":
            return self.key not in labels or labels[self.key] not in self.values
        if self.operator == "Exists":
            return self.key in labels
        return self.key not in labels


@dataclass(frozen=True)
class LabelSelector:
    """A metav1.LabelSelector. The empty selector matches every set of labels."""

    match_labels: Mapping[str, str] = field(default_factory=dict)
    match_expressions: tuple[Requirement, ...] = ()

    @classmethod
    def parse(cls, value: object, where: str) -> LabelSelector:
        """``{matchLabels, matchExpressions}`` as written in YAML (None is the empty selector)."""
        if value is None:
            return cls()
        if not isinstance(value, Mapping):
            raise ManifestError(f"{where}: {value!r} is not a label selector (a map with matchLabels/matchExpressions)")
        unknown = sorted(set(value) - {"matchLabels", "matchExpressions"})
        if unknown:
            raise ManifestError(
                f"{where}: unknown label selector fields {unknown}; allowed: matchLabels, matchExpressions"
            )
        exprs: list[Requirement] = []
        for i, expr in enumerate(value.get("matchExpressions") or []):
            at = f"{where}.matchExpressions[{i}]"
            if not isinstance(expr, Mapping) or not isinstance(expr.get("key"), str):
                raise ManifestError(f"{at}: {expr!r} needs a string 'key'")
            op, values = expr.get("operator"), expr.get("values") or []
            if op not in _OPERATORS:
                raise ManifestError(f"{at}: operator {op!r} is not one of {', '.join(_OPERATORS)}")
            if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
                raise ManifestError(f"{at}: values {values!r} must be a list of strings")
            if op in ("In", "NotIn") and not values:
                raise ManifestError(f"{at}: operator {op} needs at least one value")
            if op in ("Exists", "DoesNotExist") and values:
                raise ManifestError(f"{at}: operator {op} takes no values, got {values!r}")
            exprs.append(Requirement(expr["key"], op, frozenset(values)))
        return cls(string_map(value.get("matchLabels"), f"{where}.matchLabels"), tuple(exprs))

    def matches(self, labels: Mapping[str, str]) -> bool:
        return all(labels.get(k) == v for k, v in self.match_labels.items()) and all(
            r.matches(labels) for r in self.match_expressions
        )

    @property
    def empty(self) -> bool:
        return not self.match_labels and not self.match_expressions


def map_selects(selector: Mapping[str, str] | None, labels: Mapping[str, str]) -> bool:
    """A Service-style ``selector`` map: absent or empty selects nothing, else every pair must match."""
    return bool(selector) and all(labels.get(k) == v for k, v in (selector or {}).items())
