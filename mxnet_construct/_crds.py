"""The typed CRD bindings in ``_imports/`` (``cdk8s import`` of ``crds/``), used where cheap.

Loading a binding starts its jsii assembly in the Node process (measured: ~25-45 ms for a
PodGroup binding, ~380 ms for the much larger JobSet one), so this module is imported only
by releases that use gang scheduling or the ``jobset`` lifecycle, and each binding is
loaded at most once per process.

* For both kinds only the group/version/kind is taken from the binding (one jsii call per
  process); the body is a plain dict, validated against the CRD schema by the tests.
  Building a PodGroup through the binding's typed structs (``PodGroupSpecMinResources
  .from_string`` per quantity, then ``PodGroup.manifest``) took four synchronous jsii round
  trips per release: about 5 ms per release on an idle 2-core machine and 20-30 ms while
  other processes kept both cores busy, which alone broke the per-release synthesis
  budget (see docs/performance.md). The output is byte-identical; a test compares it with
  the typed binding's own ``PodGroup.manifest``.
* A JobSet holds whole pod templates; typing them as jsii structs would cost several ms
  per nested struct.

The bindings were generated with a module-name prefix (``mxc_*``) so their jsii assembly
names differ from those of an application's own ``cdk8s import`` of the same CRDs: jsii
keeps the first assembly loaded under a name, so a shared name would let one shadow the
other.
"""

from __future__ import annotations

import functools
from types import ModuleType
from typing import Literal

Flavour = Literal["volcano", "scheduler-plugins"]


@functools.cache
def _pod_group_module(flavour: Flavour) -> ModuleType:
    if flavour == "volcano":
        from ._imports.mxc_volcano.sh.volcano import scheduling as volcano

        module: ModuleType = volcano
    else:
        from ._imports.mxc_scheduler_plugins.io.x_k8s import scheduling as plugins

        module = plugins
    return module


@functools.cache
def job_set_gvk() -> tuple[str, str]:
    """``(apiVersion, kind)`` of the JobSet CRD the bindings were generated from."""
    from ._imports.mxc_jobset.io.x_k8s import jobset

    gvk = jobset.JobSet.GVK
    return str(gvk.api_version), str(gvk.kind)


@functools.cache
def pod_group_gvk(flavour: Flavour) -> tuple[str, str]:
    """``(apiVersion, kind)`` of ``flavour``'s PodGroup CRD, from its binding."""
    gvk = _pod_group_module(flavour).PodGroup.GVK
    return str(gvk.api_version), str(gvk.kind)
