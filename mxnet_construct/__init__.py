"""mxnet-construct: cdk8s constructs for Apache MXNet, standalone or distributed.

    import cdk8s
    from mxnet_construct import MXNetChart

    app = cdk8s.App()
    MXNetChart(app, "demo", mode="distributed", server_count=2, worker_count=3)
    app.synth()

Importing this package is cheap: the cdk8s-backed constructs (which start a Node
process) load on first use, and so do the optional features.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ._version import __version__
from .options import (
    PRODUCTION,
    Entrypoint,
    EnvVar,
    ExistingConfigMap,
    GitRepository,
    Image,
    JobOptions,
    LocalFiles,
    MXNetOptions,
    NamedObject,
    NetworkPolicyOptions,
    OptionError,
    OptionTypeError,
    Persistence,
    Probe,
    Resources,
    RoleOptions,
    SecurityContext,
    VolumePermissions,
)

if TYPE_CHECKING:
    from .chart import MXNetChart
    from .k8s_types import PodTemplateSpec
    from .roles import RoleConstruct, Scheduler, ServerPool, Standalone, WorkerPool

_LAZY = {
    "MXNetChart": "chart",
    "PodTemplateSpec": "k8s_types",
    "RoleConstruct": "roles",
    "Scheduler": "roles",
    "ServerPool": "roles",
    "Standalone": "roles",
    "WorkerPool": "roles",
}

__all__ = [
    "PRODUCTION",
    "Entrypoint",
    "EnvVar",
    "ExistingConfigMap",
    "GitRepository",
    "Image",
    "JobOptions",
    "LocalFiles",
    "MXNetChart",
    "MXNetOptions",
    "NamedObject",
    "NetworkPolicyOptions",
    "OptionError",
    "OptionTypeError",
    "Persistence",
    "PodTemplateSpec",
    "Probe",
    "Resources",
    "RoleConstruct",
    "RoleOptions",
    "Scheduler",
    "SecurityContext",
    "ServerPool",
    "Standalone",
    "VolumePermissions",
    "WorkerPool",
    "__version__",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'mxnet_construct' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
