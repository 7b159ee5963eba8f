"""Reading a code directory into ConfigMap data, without ever leaving it.

Helm's ``.Files`` cannot read outside the chart. ``filesDir`` gives the same guarantee: the
directory must lie inside a root (the values file's directory, or the current directory
for a values mapping), and no entry may be a symlink that leads out of the directory, so
a hostile values file cannot copy ``~/.aws/credentials`` into a plain ConfigMap.
"""

from __future__ import annotations

import os
from pathlib import Path

from . import _validate as v

# A ConfigMap holds at most 1 MiB; anything larger fails later at the API server anyway.
MAX_TOTAL = 1_000_000


def read_directory(
    path: str | os.PathLike[str], *, root: str | os.PathLike[str] | None = None, field: str = "code directory"
) -> dict[str, str]:
    """Every regular file directly in ``path`` (names starting with '.' skipped), sorted.

    With ``root``, ``path`` (relative paths are taken from ``root``) must resolve to a
    directory inside ``root``. In every case a symlinked entry must resolve inside the
    directory itself. Errors are :class:`~mxnet_construct.options.OptionError` naming
    ``field`` and the offending path.
    """
    given = Path(path)
    if "\x00" in str(given):
        # The OS cannot name such a file; os.path raises a bare "embedded null byte".
        v.fail(field, str(path), "a path has no NUL character")
    if root is not None:
        base = Path(root).resolve()
        directory = (base / given).resolve()
        if directory != base and not directory.is_relative_to(base):
            v.fail(
                field,
                str(path),
                f"the directory must stay inside {str(base)!r} (no absolute path, '..' or symlink leading out)",
            )
    else:
        directory = given.resolve()
    if not directory.is_dir():
        v.fail(field, str(path), "give an existing directory")
    files: dict[str, str] = {}
    total = 0
    for entry in sorted(directory.iterdir()):
        if entry.name.startswith("."):
            continue
        target = entry.resolve()
        if entry.is_symlink() and not target.is_relative_to(directory):
            v.fail(field, str(entry), "a file in the code directory is a symlink leading out of it; copy the file in")
        if not target.is_file():
            continue
        total += target.stat().st_size
        if total > MAX_TOTAL:
            v.fail(field, str(path), "its files exceed 1 MiB, the most a ConfigMap holds; clone large code from git")
        try:
            files[entry.name] = target.read_bytes().decode("utf-8")
        except UnicodeDecodeError as err:
            v.fail(field, str(entry), f"files must be UTF-8 text (byte {err.start} is not)")
    return files
