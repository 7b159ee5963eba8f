"""The release's documents as cdk8s ``ApiObject`` children in the construct tree.

Every object of a release is a ``cdk8s.ApiObject``, so everything cdk8s and cdk8s-plus do
with objects works on ours: ``ApiObject.of``, ``add_json_patch``, the metadata API, chart
labels and namespace, ``add_dependency``, every ``YamlOutputType`` and org-wide
``find_all()`` walks. Only public jsii API is used (the generated constructors and methods).

Two kinds, settled by measurement (benchmarks/synth.py):

* :class:`LazyObject`: every object of a release. Like a cdk8s-plus workload's ``Lazy``
  spec, its document is produced when cdk8s renders it, by the release's
  :class:`Producer`, from the state at that moment: hooks, methods, JSON patches, then the
  values derived from the other objects. ``ApiObjectProps`` has no room for a spec (the
  jsii kernel drops unknown struct keys) and patch values are never resolved, so the
  object overrides ``to_json``, the method cdk8s calls to render it, as cdk8s's own typed
  L1 classes do. One callback per object costs less than handing cdk8s a body as a JSON
  patch (two round trips), so objects whose body never changes are rendered this way too.
  Its metadata is what cdk8s would render (the chart's namespace and labels added), worked
  out in Python, until someone reads ``metadata``: from then on it is asked of cdk8s, so
  edits through the metadata API are rendered.
* :func:`api_object`: a plain ``ApiObject`` for a document given as it is (the Helm
  values' ``extraDeploy``). The body goes in as JSON patches added first, so a user's later
  patches apply on top of it; Node renders it without calling back into Python.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

import cdk8s
from constructs import Construct

HEADER = ("apiVersion", "kind", "metadata")
_METADATA_FIELDS = {"name": "name", "labels": "labels", "annotations": "annotations", "namespace": "namespace"}


def _metadata(meta: Mapping[str, Any]) -> dict[str, Any]:
    # A dict where the struct goes is public jsii API (the generated signatures accept
    # ``ApiObjectMetadata | dict``) and skips building and type-checking a struct instance.
    return {py: meta[key] for key, py in _METADATA_FIELDS.items() if key in meta}


def body_patches(doc: Mapping[str, Any]) -> list[cdk8s.JsonPatch]:
    """One ``add`` patch per top-level field of ``doc`` but the header, in ``doc``'s order."""
    return [cdk8s.JsonPatch.add(f"/{key}", value) for key, value in doc.items() if key not in HEADER]


def api_object(scope: Construct, id: str, doc: Mapping[str, Any]) -> cdk8s.ApiObject:
    """A plain cdk8s ``ApiObject`` child ``id`` of ``scope`` that synthesizes to ``doc``."""
    obj = cdk8s.ApiObject(
        scope, id, api_version=doc["apiVersion"], kind=doc["kind"], metadata=_metadata(doc["metadata"])
    )
    ops = body_patches(doc)
    if ops:
        obj.add_json_patch(*ops)
    return obj


class Producer(Protocol):
    """Renders the :class:`LazyObject` s of one release (see ``_derive.Release``)."""

    namespace: str | None
    """The chart's namespace, which cdk8s gives every object that names none."""
    chart_labels: dict[str, str]
    """The chart's labels, which cdk8s adds to every object's own."""

    def render(self, obj: LazyObject) -> dict[str, Any]:
        """The final document of ``obj``."""
        ...

    def changed(self) -> None:
        """Something an object's document depends on changed (a patch, a method call)."""
        ...


class LazyObject(cdk8s.ApiObject):
    """An ``ApiObject`` whose document is produced when cdk8s renders it.

    JSON patches behave as on any ``ApiObject``: they apply, in order, to the document
    the release built (after hooks and methods), and what depends on other objects is
    worked out after them.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        header: Mapping[str, Any],
        producer: Producer,
    ) -> None:
        meta: Any = _metadata(header["metadata"])
        # Node is given only what cdk8s reads without asking the object (the name, an explicit
        # namespace). The labels and annotations reach the document when it is rendered, and
        # reach Node's metadata only if someone reads ``metadata`` (they would cross twice
        # otherwise: about 0.3 KB and a type-checked struct per object).
        self._created_with: dict[str, Any] = meta
        self._metadata_in_node = False
        node_meta = {key: meta[key] for key in ("name", "namespace") if key in meta}
        super().__init__(scope, id, api_version=header["apiVersion"], kind=header["kind"], metadata=node_meta)
        self._producer = producer
        self._patches: list[cdk8s.JsonPatch] = []

    @property
    def metadata(self) -> cdk8s.ApiObjectMetadataDefinition:
        """The object's metadata, as on any ``ApiObject`` (labels, annotations, ...)."""
        definition = super().metadata
        if not self._metadata_in_node:
            # From now on cdk8s renders the metadata, so it must hold what the object was
            # created with before anyone reads or edits it (ours win over the chart's
            # labels, as when cdk8s merges them at construction).
            self._metadata_in_node = True
            for key, value in (self._created_with.get("labels") or {}).items():
                definition.add_label(key, value)
            for key, value in (self._created_with.get("annotations") or {}).items():
                definition.add_annotation(key, value)
        return definition

    @property
    def json_patches(self) -> tuple[cdk8s.JsonPatch, ...]:
        """The JSON patches added to this object, in order."""
        return tuple(self._patches)

    def add_json_patch(self, *ops: cdk8s.JsonPatch) -> None:
        """Applies RFC 6902 JSON patch operations to this object's document (as cdk8s does)."""
        self._patches.extend(ops)
        self._producer.changed()

    def to_json(self) -> Any:
        """The object's final document (cdk8s calls this to render it)."""
        return self._producer.render(self)

    def metadata_json(self) -> dict[str, Any]:
        """The object's metadata as cdk8s renders it: chart labels and namespace, and every
        edit made through :attr:`metadata`.

        Until someone reads :attr:`metadata` it is worked out in Python from what the object
        was created with; from then on one Node call asks cdk8s for it.
        """
        if not self._metadata_in_node:
            return rendered_metadata(self._created_with, self._producer.namespace, self._producer.chart_labels)
        header: dict[str, Any] = super().to_json()
        rendered: dict[str, Any] = header["metadata"]
        return rendered


def _sorted(value: Any) -> Any:
    """``value`` as cdk8s sanitizes metadata: keys sorted, nulls and empty maps/lists dropped."""
    if isinstance(value, Mapping):
        out = {k: v for k, v in ((k, _sorted(value[k])) for k in sorted(value)) if v is not None}
        return out or None
    if isinstance(value, list):
        return [_sorted(v) for v in value] or None
    return value


def rendered_metadata(
    meta: Mapping[str, Any], namespace: str | None, chart_labels: Mapping[str, str]
) -> dict[str, Any]:
    """The metadata cdk8s renders for an ``ApiObject`` created with ``meta`` in a chart with
    ``namespace`` and ``chart_labels`` (the object's own namespace and labels win)."""
    merged = {
        **meta,
        "namespace": meta.get("namespace", namespace),
        "labels": {**chart_labels, **(meta.get("labels") or {})},
    }
    rendered: dict[str, Any] = _sorted(merged) or {}
    return rendered


def apply_patches(doc: dict[str, Any], ops: tuple[cdk8s.JsonPatch, ...]) -> dict[str, Any]:
    """``doc`` with ``ops`` applied by cdk8s's own ``JsonPatch.apply``; ``doc`` itself when none."""
    if not ops:
        return doc
    patched: dict[str, Any] = cdk8s.JsonPatch.apply(doc, *ops)
    return patched
