"""``--kill ROLE:INDEX@SECONDS``: fault injection, resolved against the manifest model.

``worker:1@5`` kills the pod with index 1 among the pods whose ``DMLC_ROLE`` (else
``app.kubernetes.io/component``) is ``worker``, 5 seconds after the run started, once. The
index is the pod's position in workload and index order (:meth:`Manifests.by_role`), so
``worker:1`` is ``<release>-worker-1`` of a StatefulSet and the pod with completion index 1
of an Indexed Job. Killing a pod SIGKILLs every container it is running at that moment; what
happens next is the pod's restart policy and its owner's business (:mod:`.supervisor`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass

from ..manifests import Manifests
from .model import RunLocalError

_SPEC = re.compile(r"(?P<role>[a-z0-9]([-a-z0-9]*[a-z0-9])?):(?P<index>\d+)@(?P<at>\d+(\.\d+)?)")


@dataclass(frozen=True)
class Kill:
    """One scheduled kill: ``pod`` (resolved from ``role``/``index``) at ``at`` seconds."""

    role: str
    index: int
    at: float
    pod: str

    @property
    def spec(self) -> str:
        return f"{self.role}:{self.index}@{self.at:g}"


def parse_kill(text: str) -> tuple[str, int, float]:
    """``ROLE:INDEX@SECONDS`` as ``(role, index, seconds)``; anything else raises naming it."""
    m = _SPEC.fullmatch(text.strip()) if isinstance(text, str) else None
    if m is None:
        raise RunLocalError(
            f"--kill {text!r}: expected ROLE:INDEX@SECONDS, e.g. worker:1@5 "
            "(ROLE a DMLC_ROLE or app.kubernetes.io/component, INDEX from 0, SECONDS after the start)"
        )
    at = float(m["at"])
    if not math.isfinite(at):
        raise RunLocalError(f"--kill {text!r}: SECONDS must be a finite number")
    return m["role"], int(m["index"]), at


def resolve_kills(specs: Iterable[str], model: Manifests, timeout: float | None = None) -> list[Kill]:
    """Every ``--kill`` resolved to a pod of ``model``, in time order.

    ``timeout`` is the run's: a kill due after it could never fire, so it is refused here
    rather than reported as a fault that did not happen once the run is over.

    Raises:
        RunLocalError: a spec is malformed, names a role no pod has, an index beyond the
            role's pods, or a time past ``timeout``; every bad spec is named at once, with
            what there is.
    """
    kills: list[Kill] = []
    problems: list[str] = []
    for text in specs:
        try:
            role, index, at = parse_kill(text)
        except RunLocalError as err:
            problems.append(str(err))
            continue
        pods = model.by_role(role)
        if not pods:
            roles = sorted({r for p in model.pods if (r := p.role or p.labels.get("app.kubernetes.io/component"))})
            problems.append(f"--kill {text!r}: no pod has the role {role!r}; roles here: {', '.join(roles) or 'none'}")
        elif index >= len(pods):
            problems.append(
                f"--kill {text!r}: index {index} is out of range; there are {len(pods)} {role} pods (indexes 0-{len(pods) - 1})"
            )
        elif timeout is not None and at >= timeout:
            problems.append(
                f"--kill {text!r}: {at:g}s is not before --timeout {timeout:g}s, so the kill could never happen; "
                "give a time below the timeout or raise --timeout"
            )
        else:
            kills.append(Kill(role, index, at, pods[index].name))
    if problems:
        raise RunLocalError("; ".join(problems))
    return sorted(kills, key=lambda k: k.at)


__all__ = ["Kill", "parse_kill", "resolve_kills"]
