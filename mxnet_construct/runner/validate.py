"""Names and paths from manifests, checked as the API server would check them.

The runner turns pod names, volume names, claim names and mount paths into directories
and mount points. A name the API server would refuse (``/tmp/x``, ``..``) must therefore
be refused here too, before anything is created, and every path the runner writes is
checked once more, after symlinks are resolved, to lie inside the run directory.
"""

from __future__ import annotations

import os
import posixpath
import re
from pathlib import Path

from .model import RunLocalError

# ASCII only and anchored at both ends (re.fullmatch): `$` alone would accept a trailing
# newline, and \w or \d would accept Unicode letters and digits.
_DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")
_DNS_SUBDOMAIN_PART = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
# Kubernetes 1.30+ takes any printable ASCII except '=' in an env name.
_ENV_NAME = re.compile(r"[\x20-\x3c\x3e-\x7e]+")
_CONFIG_KEY = re.compile(r"[-._a-zA-Z0-9]+")


def dns_label(value: object, field: str) -> str:
    """``value`` if it is an RFC 1123 label (volume, container and port names, hostnames)."""
    if not isinstance(value, str) or not _DNS_LABEL.fullmatch(value):
        raise RunLocalError(
            f"{field}: {value!r} is not a valid name; Kubernetes wants an RFC 1123 label: "
            "at most 63 characters, lowercase a-z, 0-9 and '-', starting and ending alphanumeric"
        )
    return value


def dns_subdomain(value: object, field: str) -> str:
    """``value`` if it is an RFC 1123 subdomain (pod, ConfigMap, Secret and claim names)."""
    if not isinstance(value, str) or not (
        0 < len(value) <= 253 and all(_DNS_SUBDOMAIN_PART.fullmatch(part) for part in value.split("."))
    ):
        raise RunLocalError(
            f"{field}: {value!r} is not a valid name; Kubernetes wants an RFC 1123 subdomain: "
            "at most 253 characters of lowercase a-z, 0-9, '-' and '.', each dot-separated part starting and ending alphanumeric"
        )
    return value


def env_name(value: object, field: str) -> str:
    """``value`` if Kubernetes accepts it as an environment variable name."""
    if not isinstance(value, str) or not _ENV_NAME.fullmatch(value):
        raise RunLocalError(
            f"{field}: {value!r} is not a valid environment variable name; use printable ASCII characters other than '='"
        )
    return value


def config_key(value: object, field: str) -> str:
    """A ConfigMap or Secret key (it becomes a file name): ``[-._a-zA-Z0-9]+``, not ``.``/``..``."""
    if not isinstance(value, str) or not _CONFIG_KEY.fullmatch(value) or value in (".", "..") or len(value) > 253:
        raise RunLocalError(
            f"{field}: {value!r} is not a valid key; Kubernetes wants at most 253 characters of a-z, A-Z, 0-9, "
            "'-', '_' and '.', and not '.' or '..'"
        )
    return value


def hostname(value: str) -> str:
    """A pod's hostname as the kubelet derives it: the first 63 characters, no trailing '-' or '.'."""
    return value[:63].rstrip("-.")


def absolute_path(value: object, field: str) -> str:
    """A normalised absolute container path (mountPath, workingDir): no ``..``, no NUL."""
    if not isinstance(value, str) or not value.startswith("/") or "\0" in value:
        raise RunLocalError(f"{field}: {value!r} is not an absolute path; give one starting with '/'")
    if ".." in value.split("/"):
        raise RunLocalError(f"{field}: {value!r} contains '..'; give the path without it")
    if ":" in value and field.endswith("mountPath"):
        raise RunLocalError(f"{field}: {value!r} contains ':', which Kubernetes refuses in a mountPath")
    return posixpath.normpath(value)


def relative_path(value: object, field: str) -> str:
    """A relative path inside a volume (subPath, item path): not absolute, no ``..`` part."""
    if not isinstance(value, str) or "\0" in value:
        raise RunLocalError(f"{field}: {value!r} is not a path")
    if value.startswith("/"):
        raise RunLocalError(f"{field}: {value!r} is absolute; Kubernetes wants a path relative to the volume")
    if ".." in value.split("/"):
        raise RunLocalError(
            f"{field}: {value!r} contains '..'; Kubernetes refuses it, so a pod cannot leave its volume"
        )
    return posixpath.normpath(value) if value else ""


def inside(root: Path, path: Path, what: str) -> Path:
    """``path`` with every symlink resolved, if that lies within ``root`` (resolved too).

    Raises RunLocalError otherwise: a symlink (made by a container, say, in a volume it
    shares) must not lead the runner, which runs as root, out of its directory.
    """
    real_root = Path(os.path.realpath(root))
    real = Path(os.path.realpath(path))
    if real != real_root and not real.is_relative_to(real_root):
        raise RunLocalError(f"{what}: {str(path)!r} resolves to {str(real)!r}, outside {str(real_root)!r}; refused")
    return real
