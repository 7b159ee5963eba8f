"""Reading ``values.yaml`` files with a YAML loader that refuses what only an attack needs."""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any

import yaml

from ..options import OptionError
from ._errors import ValuesTypeError, _describe

# Values files are plain data: real ones nest under 20 levels. The bound turns a hostile
# file into a clear error instead of a RecursionError.
MAX_YAML_DEPTH = 64


class _StrictLoader(yaml.SafeLoader):
    """A safe YAML loader for values files that refuses what only an attack needs.

    - duplicate keys, which PyYAML would silently collapse;
    - aliases (``*name``): a few hundred bytes of nested aliases expand to gigabytes (an
      "alias bomb"), and Helm users rarely need them;
    - nesting deeper than :data:`MAX_YAML_DEPTH`.
    """

    _depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()  # type: ignore[no-untyped-call]
            raise yaml.composer.ComposerError(
                None,
                None,
                f"alias *{event.anchor} refused: values files may not use YAML aliases (anchors and *references); "
                "write the value out",
                event.start_mark,
            )
        self._depth += 1
        try:
            if self._depth > MAX_YAML_DEPTH:
                raise yaml.composer.ComposerError(
                    None,
                    None,
                    f"values nest deeper than {MAX_YAML_DEPTH} levels",
                    self.peek_event().start_mark,  # type: ignore[no-untyped-call]
                )
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def _construct_mapping(loader: Any, node: Any, deep: bool = False) -> dict[Any, Any]:
    loader.flatten_mapping(node)
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        try:
            duplicate = key in seen
        except TypeError:  # an unhashable key such as a list (`? [a]`)
            raise yaml.constructor.ConstructorError(
                None, None, f"a key must be a string, got {key!r}", key_node.start_mark
            ) from None
        if duplicate:
            raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r}", key_node.start_mark)
        seen.add(key)
    return dict(loader.construct_pairs(node, deep=deep))


_StrictLoader.add_constructor("tag:yaml.org,2002:map", _construct_mapping)

# libyaml parses a long values.yaml (3.5.1's has 1,285 lines, mostly comments) several
# times faster than the pure-Python parser; its composer is C, so the checks the Python
# composer makes above are made on libyaml's event stream first.
_CSafeLoader: Any = getattr(yaml, "CSafeLoader", None)


class _NamedText(io.StringIO):
    """Text whose YAML marks name ``name`` (libyaml reads the stream's ``name``)."""

    def __init__(self, text: str, name: str) -> None:
        super().__init__(text)
        self.name = name


def _check_events(text: str, source: str) -> None:
    """Refuses aliases and nesting deeper than :data:`MAX_YAML_DEPTH`, as ``_StrictLoader`` does."""
    depth = 0
    for event in yaml.parse(_NamedText(text, source), Loader=_CSafeLoader):
        mark: Any = event.start_mark  # libyaml's Mark, which PyYAML's stubs don't list
        if isinstance(event, yaml.AliasEvent):
            raise yaml.composer.ComposerError(
                None,
                None,
                f"alias *{event.anchor} refused: values files may not use YAML aliases (anchors and *references); "
                "write the value out",
                mark,
            )
        if isinstance(event, yaml.NodeEvent | yaml.CollectionStartEvent) and depth + 1 > MAX_YAML_DEPTH:
            raise yaml.composer.ComposerError(None, None, f"values nest deeper than {MAX_YAML_DEPTH} levels", mark)
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1


if _CSafeLoader is not None:

    class _FastStrictLoader(_CSafeLoader):  # type: ignore[misc]
        """libyaml's parser and composer with ``_StrictLoader``'s duplicate-key check."""

    _FastStrictLoader.add_constructor("tag:yaml.org,2002:map", _construct_mapping)


def _load(text: str, source: str) -> Any:
    if _CSafeLoader is None:
        loader = _StrictLoader(text)
        loader.name = source  # marks then say the file name, not "<unicode string>"
    else:
        _check_events(text, source)
        loader = _FastStrictLoader(_NamedText(text, source))
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


def parse_values_text(text: str, source: str = "values") -> dict[str, Any]:
    """A values mapping from YAML text; an empty document is no values, as in Helm.

    Raises:
        ValueError: the text is not YAML, uses aliases or nests too deep; the message
            names ``source`` (and the line), on one line.
    """
    try:
        data = _load(text, source)
    except yaml.YAMLError as err:
        one_line = " ".join(str(err).split())
        raise ValueError(f"{source}: not valid YAML: {one_line}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ValuesTypeError(source, data, f"expected a mapping of values at the top level, got {_describe(data)}")
    return data


class _FilesDir(str):
    """A ``filesDir`` read from a values file: the path, plus the directory it must stay in."""

    root: Path

    def __new__(cls, path: str, root: Path) -> _FilesDir:
        self = super().__new__(cls, path)
        self.root = root
        return self

    def __reduce__(self) -> tuple[Any, ...]:
        return (_FilesDir, (str(self), self.root))


def load_values_file(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Reads a ``values.yaml``. A relative ``filesDir`` is resolved against the file's directory.

    ``filesDir`` must stay inside that directory, as Helm's ``.Files`` stays inside the
    chart: an absolute path is refused here, and ``..`` or a symlink leading out is
    refused when the files are read.

    Raises:
        OSError: the file can't be read (one line naming the file).
        ValueError: it is not UTF-8, not YAML, uses aliases, nests too deep, is not a
            mapping at the top level, or its ``filesDir`` is absolute; each names the file.
    """
    file = Path(path)
    try:
        raw = file.read_bytes()
    except OSError as err:
        raise type(err)(f"{file}: cannot read the values file: {err.strerror or err}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise ValueError(
            f"{file}: not UTF-8 text (byte {err.start} is {raw[err.start]:#04x}); save it as UTF-8"
        ) from None
    data = parse_values_text(text, str(file))
    files_dir = data.get("filesDir")
    if isinstance(files_dir, str) and files_dir:
        if Path(files_dir).is_absolute():
            raise OptionError(
                "filesDir",
                files_dir,
                f"{files_dir!r} is not valid; give a path relative to the directory of {str(file)!r}",
            )
        data["filesDir"] = _FilesDir(str(file.parent / files_dir), file.parent)
    return data
