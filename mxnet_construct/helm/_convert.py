"""A 2.4.17 or 3.5.1 values mapping rewritten in the 1.4.26 schema, with every problem found."""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

from ..options import OptionError
from ._errors import _describe
from ._versions import ANY, DEFAULTS, TABLES, Rule, is_default, leaves, spelled_in

# Lists that several keys of one version fill together (3.x: `extraEnvVars` and
# `standalone.extraEnvVars` both reach the standalone container).
_APPENDED = frozenset({"commonExtraEnvVars"})
# Keys whose empty value means "not set" in the later charts' templates.
_EMPTY_IS_UNSET = frozenset({"service.nodePort", "server.podManagementPolicy", "worker.podManagementPolicy"})


@dataclass
class Converted:
    """The 1.4.26-schema values, where each of their keys came from, and the problems."""

    values: dict[str, Any] = field(default_factory=dict)
    source: dict[str, str] = field(default_factory=dict)
    given: dict[str, Any] = field(default_factory=dict)
    errors: list[OptionError] = field(default_factory=list)


def _yaml(value: Any) -> str:
    """``value`` as a values file spells it: ``true``, ``'1.27'``, ``{limits: {cpu: 1}}``."""
    text = yaml.safe_dump(value, default_flow_style=True, width=10_000).strip()
    return text.removesuffix("\n...").removesuffix("...").strip()


def _nest(flat: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in flat.items():
        *parents, leaf = key.split(".")
        node = out
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    return out


def _unknown(version: str, key: str, value: Any, table: Mapping[str, Rule]) -> OptionError:
    other = spelled_in(version, key)
    if other:
        return OptionError(key, value, f"not a key of chart {version}; chart {version} calls it {other}")
    parent, _, leaf = key.rpartition(".")
    siblings = sorted(
        {k[len(parent) + 1 :].split(".")[0] for k in table if k.startswith(f"{parent}.")}
        if parent
        else {k.split(".")[0] for k in table}
    )
    close = difflib.get_close_matches(leaf, siblings, n=1)
    hint = (
        f"did you mean {parent + '.' if parent else ''}{close[0]}?"
        if close
        else f"known keys here: {', '.join(siblings)}"
    )
    return OptionError(key, value, f"unknown key in chart {version}; {hint}")


def convert(values: Mapping[str, Any], version: str) -> Converted:
    """``values`` of chart ``version`` (2.4.17 or 3.5.1) in the 1.4.26 schema.

    Problems found here (unknown keys, values only the shipped default of which is
    accepted, roles that disagree on a setting this library makes once) are collected in
    ``.errors`` rather than raised, so the caller reports them with its own.
    """
    table = TABLES[version]
    given_mode = values.get("mode")
    mode = given_mode if isinstance(given_mode, str) else "standalone"
    out = Converted()
    for key, value in leaves(values, frozenset(table)):
        if value is None:
            continue
        rule = table.get(key)
        if rule is None:
            group = any(k.startswith(f"{key}.") for k in table)
            if group and isinstance(value, Mapping):
                continue  # an empty group: nothing set
            if group:
                subkeys = sorted({k[len(key) + 1 :].split(".")[0] for k in table if k.startswith(f"{key}.")})
                out.errors.append(
                    OptionError(
                        key, value, f"expected a mapping with keys {', '.join(subkeys)}, got {_describe(value)}"
                    )
                )
            else:
                out.errors.append(_unknown(version, key, value, table))
            continue
        if rule.mode and rule.mode != mode:
            if rule.default != ANY and not is_default(value, rule.default):
                out.errors.append(
                    OptionError(
                        key,
                        value,
                        f"{_yaml(value)} has no effect with mode: {mode} (the chart renders no such workload then, "
                        f"and ignores it); remove it, or set mode: {rule.mode}",
                    )
                )
            continue
        if not rule.to:
            if rule.default != ANY and not is_default(value, rule.default):
                out.errors.append(
                    OptionError(
                        key,
                        value,
                        f"{_yaml(value)} is not supported: {rule.reason}; only {_yaml(rule.default)}, the chart's default, is accepted",
                    )
                )
            continue
        _put(out, rule, key, value)
    _check_roles_agree(out, table, mode)
    for key, default in DEFAULTS[version].items():
        if key == "podManagementPolicy" and mode != "distributed":
            continue
        out.values.setdefault(key, default)
    out.values = _nest(out.values)
    return out


def _put(out: Converted, rule: Rule, key: str, value: Any) -> None:
    target = rule.to
    out.given[key] = value
    if target in _EMPTY_IS_UNSET and value == "":
        return
    if target not in out.values:
        out.values[target] = value
        out.source[target] = key
        return
    if target in _APPENDED and isinstance(value, list) and isinstance(out.values[target], list):
        out.values[target] = [*out.values[target], *value]
        return
    # Two roles disagreeing is reported by _check_roles_agree.


def _check_roles_agree(out: Converted, table: Mapping[str, Rule], mode: str) -> None:
    """Keys of several roles that set one setting here must say the same, counting a key
    left out as its shipped default (3.x: ``worker.livenessProbe.timeoutSeconds`` alone
    would otherwise change every role's probe)."""
    groups: dict[str, list[Rule]] = {}
    for rule in table.values():
        if rule.to and rule.mode == mode and rule.to not in _APPENDED:
            groups.setdefault(rule.to, []).append(rule)
    given = out.given
    for target, rules in groups.items():
        if len(rules) < 2 or not any(r.key in given for r in rules):
            continue
        seen = [(r.key, given.get(r.key, r.default)) for r in rules]
        first_key, first = seen[0]
        for key, value in seen[1:]:
            if value != first:
                shown = key if key in given else first_key
                out.errors.append(
                    OptionError(
                        shown,
                        value if key in given else first,
                        f"{_yaml(value)} at {key} but {_yaml(first)} at {first_key}: here one {target} "
                        "applies to every role, so give each role the same value",
                    )
                )
                break
