"""Helm values (being split into modules by concern; see _params.py)."""

from ._params import *  # noqa: F403
from ._params import parse_values_text  # noqa: F401
