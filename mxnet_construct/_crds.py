"""apiVersion and kind of the custom resources the library writes (JobSet, PodGroup).

The library only needs each CRD's group/version/kind: the bodies are plain dicts, checked
against the CRD schemas by the tests. So these are constants, not the typed bindings that
``cdk8s import`` generates. Loading a binding starts its jsii assembly in the Node process
(about 1.3 s in a cold process for the JobSet one, which is 2.7 MB of generated code), a
price every ``jobset`` or gang-scheduled release would pay for two strings.

The constants name the served, stored version of the CRDs in ``crds/``, which are also
what ``imports/`` is generated from (``make imports``, for applications that want typed
objects). ``tests/test_crds.py`` reads ``crds/*.yaml`` and fails if the two drift apart,
for example after a CRD is upgraded to a new version.
"""

from __future__ import annotations

from typing import Final, Literal

Flavour = Literal["volcano", "scheduler-plugins"]

JOB_SET: Final = ("jobset.x-k8s.io/v1alpha2", "JobSet")
"""``(apiVersion, kind)`` of ``crds/jobset.x-k8s.io_jobsets.yaml``."""

POD_GROUPS: Final[dict[Flavour, tuple[str, str]]] = {
    # crds/scheduling.volcano.sh_podgroups.yaml
    "volcano": ("scheduling.volcano.sh/v1beta1", "PodGroup"),
    # crds/scheduling.x-k8s.io_podgroups.yaml
    "scheduler-plugins": ("scheduling.x-k8s.io/v1alpha1", "PodGroup"),
}
"""``(apiVersion, kind)`` of each gang scheduler's PodGroup CRD."""


def job_set_gvk() -> tuple[str, str]:
    """``(apiVersion, kind)`` of the JobSet CRD in ``crds/``."""
    return JOB_SET


def pod_group_gvk(flavour: Flavour) -> tuple[str, str]:
    """``(apiVersion, kind)`` of ``flavour``'s PodGroup CRD in ``crds/``.

    Raises:
        ValueError: ``flavour`` is not a gang scheduler this library knows; the options
            refuse such a value first, so reaching this is a bug in the caller.
    """
    try:
        return POD_GROUPS[flavour]
    except KeyError:
        raise ValueError(
            f"gang_scheduler: {flavour!r} has no PodGroup CRD; expected one of {sorted(POD_GROUPS)}"
        ) from None
