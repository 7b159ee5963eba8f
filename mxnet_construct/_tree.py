"""Turns one rendered document into a cdk8s ``ApiObject`` in the construct tree.

Every object of a release is a plain ``cdk8s.ApiObject``, so everything cdk8s and
cdk8s-plus do with objects works on ours unchanged: ``ApiObject.of``, ``add_json_patch``,
the metadata API, chart labels and namespace, ``add_dependency``, every
``YamlOutputType``, construct metadata and org-wide ``find_all()`` walks.

How the body gets into the object was settled by measurement (benchmarks/, and
docs/performance.md):

* The metadata goes in as the constructor's ``metadata`` prop, so cdk8s merges chart
  labels and the namespace itself, and ``metadata.add_label`` edits what is emitted.
* Everything else (``spec``, ``data``...) goes in as JSON patches added first, in one
  ``add_json_patch`` call. ``ApiObjectProps`` has no room for arbitrary fields (the jsii
  kernel drops unknown struct keys), typed L1 structs cost several ms each in runtime type
  checks, and a Python ``to_json`` override costs a Node-to-Python callback per object
  plus another call to fetch the metadata. Patches are applied after cdk8s's sanitizer,
  so ``emptyDir: {}`` survives, and a user's later patches apply on top of ours, exactly
  as on any cdk8s object.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import cdk8s
import jsii
from constructs import Construct

HEADER = ("apiVersion", "kind", "metadata")


def api_object(scope: Construct, id: str, doc: Mapping[str, Any]) -> cdk8s.ApiObject:
    """A cdk8s ``ApiObject`` child ``id`` of ``scope`` that synthesizes to ``doc``."""
    obj = cdk8s.ApiObject.__new__(cdk8s.ApiObject)
    # What the generated ``ApiObject.__init__`` sends, minus its runtime type checks: the
    # document was validated and built by this package, and the checks cost more per
    # release than the Node round trip itself (benchmarks/, docs/performance.md).
    props = {"apiVersion": doc["apiVersion"], "kind": doc["kind"], "metadata": doc["metadata"]}
    jsii.create(cdk8s.ApiObject, obj, [scope, id, props])
    set_body(obj, doc)
    return obj


def set_body(obj: cdk8s.ApiObject, doc: Mapping[str, Any]) -> None:
    """Adds every top-level field of ``doc`` but the header to ``obj``, in ``doc``'s order."""
    ops = [jsii.sinvoke(cdk8s.JsonPatch, "add", [f"/{key}", value]) for key, value in doc.items() if key not in HEADER]
    if ops:
        jsii.invoke(obj, "addJsonPatch", ops)
