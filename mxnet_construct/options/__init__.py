"""Options (being split into modules by concern; see _release.py)."""

from ._release import *  # noqa: F403
from ._release import ACCESS_MODES, CODE_MOUNT, SECRETS_MOUNT, SHM_MOUNT, _rebuild_option  # noqa: F401
