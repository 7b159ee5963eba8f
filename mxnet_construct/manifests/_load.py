"""Reading manifests safely: no aliases, bounded nesting, errors that name the file."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ._base import ManifestError

# Deeper than any real Kubernetes object (a pod template inside a JobSet is about 15
# levels), and far below the depth at which the composer would hit Python's recursion limit.
MAX_DEPTH = 100


def _loader(source: str) -> Any:
    """A SafeLoader subclass that refuses aliases and bounds the nesting depth."""
    import yaml

    class Loader(yaml.SafeLoader):
        depth = 0

        def compose_node(self, parent: Any, index: Any) -> Any:
            if self.check_event(yaml.AliasEvent):
                mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
                raise ManifestError(
                    f"{source!r} line {mark.line + 1}: YAML aliases (*name) are not allowed in manifests; "
                    "write the value out (this refuses alias bombs)"
                )
            self.depth += 1
            if self.depth > MAX_DEPTH:
                mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
                raise ManifestError(
                    f"{source!r} line {mark.line + 1}: nested more than {MAX_DEPTH} levels deep; "
                    "no Kubernetes object needs that"
                )
            try:
                return super().compose_node(parent, index)
            finally:
                self.depth -= 1

    return Loader


def parse_documents(text: str, source: str = "<text>") -> list[dict[str, Any]]:
    """The Kubernetes objects in multi-document YAML ``text`` (empty documents dropped).

    Raises:
        ManifestError: the text is not YAML, uses aliases, nests too deep, or a document
            is not a Kubernetes object (a mapping with ``kind`` and ``metadata``).
    """
    import yaml

    try:
        loaded = list(yaml.load_all(text, Loader=_loader(source)))
    except yaml.YAMLError as err:
        raise ManifestError(f"{source!r} is not valid YAML: {err}") from None
    docs: list[dict[str, Any]] = []
    for i, doc in enumerate(loaded):
        if doc is None:
            continue
        if (
            not isinstance(doc, dict)
            or not isinstance(doc.get("kind"), str)
            or not isinstance(doc.get("metadata"), dict)
        ):
            raise ManifestError(f"{source!r}: document {i + 1} is not a Kubernetes object (it needs kind and metadata)")
        if doc["kind"] == "List":
            items = doc.get("items") or []
            for j, item in enumerate(items if isinstance(items, list) else [None]):
                if not isinstance(item, dict) or not isinstance(item.get("kind"), str):
                    raise ManifestError(f"{source!r}: document {i + 1} items[{j}] is not a Kubernetes object")
                docs.append(item)
            continue
        docs.append(doc)
    return docs


def read_text(path: str | Path) -> str:
    """A manifest file's text; ``-`` reads stdin. Errors name the file."""
    import sys

    if str(path) == "-":
        return sys.stdin.read()
    try:
        data = Path(path).read_bytes()
    except OSError as err:
        raise ManifestError(f"cannot read {str(path)!r}: {err.strerror or err}") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise ManifestError(f"{str(path)!r} is not UTF-8 text (byte {err.start}): {err.reason}") from None


def load_files(paths: Iterable[str | Path]) -> list[dict[str, Any]]:
    """Every Kubernetes object of ``paths``, in order."""
    docs: list[dict[str, Any]] = []
    for path in paths:
        docs += parse_documents(read_text(path), str(path))
    return docs
