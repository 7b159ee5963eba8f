"""Options: the only place where defaults live and input is checked.

Everything here is plain Python (no jsii), so building and validating options is fast and
testable without Node. Each option group is a frozen, keyword-only dataclass that checks
itself in ``__post_init__``; :class:`MXNetOptions` composes them and checks the rules that
span groups. Defaults follow the Bitnami ``bitnami/mxnet`` chart README unless that default
is broken; each deviation is stated where it happens.

The groups live in modules by concern: images (``_images``), pod parts (``_pod``), code
sources (``_code``) and the release (``_release``), with the shared vocabulary in
``_common``. Import them from here; the module layout is not part of the API.
``__all__`` is the public API; the ``X as X`` imports re-export the rest of what the
single module had (value vocabularies, defaults, mount paths) under the same names.
"""

from __future__ import annotations

from .._pod_parts import ContainerSpec as ContainerSpec
from .._validate import OptionError, OptionTypeError
from ._code import CodeSource as CodeSource
from ._code import Entrypoint, ExistingConfigMap, GitRepository, LocalFiles
from ._common import ACCESS_MODES as ACCESS_MODES
from ._common import GANG_SCHEDULERS as GANG_SCHEDULERS
from ._common import LIFECYCLES as LIFECYCLES
from ._common import MODES as MODES
from ._common import POD_MANAGEMENT_POLICIES as POD_MANAGEMENT_POLICIES
from ._common import PULL_POLICIES as PULL_POLICIES
from ._common import SERVICE_TYPES as SERVICE_TYPES
from ._common import AccessMode as AccessMode
from ._common import GangScheduler as GangScheduler
from ._common import Lifecycle as Lifecycle
from ._common import Mode as Mode
from ._common import NamedObject
from ._common import PodManagementPolicy as PodManagementPolicy
from ._common import PullPolicy as PullPolicy
from ._common import Quantity as Quantity
from ._common import ServiceType as ServiceType
from ._common import _rebuild_option as _rebuild_option  # named by pickles made before the split
from ._images import DEFAULT_GIT_IMAGE as DEFAULT_GIT_IMAGE
from ._images import DEFAULT_VOLUME_PERMISSIONS_IMAGE as DEFAULT_VOLUME_PERMISSIONS_IMAGE
from ._images import Image
from ._pod import VALUE_FROM_KINDS as VALUE_FROM_KINDS
from ._pod import VALUE_FROM_REQUIRED as VALUE_FROM_REQUIRED
from ._pod import EnvVar, Persistence, Probe, Resources, RoleOptions, SecurityContext, VolumePermissions
from ._release import CODE_MOUNT as CODE_MOUNT
from ._release import DEFAULT_SCHEDULER_PORT as DEFAULT_SCHEDULER_PORT
from ._release import PRODUCTION, JobOptions, MXNetKwargs, MXNetOptions, NetworkPolicyOptions
from ._release import SECRETS_MOUNT as SECRETS_MOUNT
from ._release import SHM_MOUNT as SHM_MOUNT

__all__ = [
    "PRODUCTION",
    "Entrypoint",
    "EnvVar",
    "ExistingConfigMap",
    "GitRepository",
    "Image",
    "JobOptions",
    "LocalFiles",
    "MXNetKwargs",
    "MXNetOptions",
    "NamedObject",
    "NetworkPolicyOptions",
    "OptionError",
    "OptionTypeError",
    "Persistence",
    "Probe",
    "Resources",
    "RoleOptions",
    "SecurityContext",
    "VolumePermissions",
]
