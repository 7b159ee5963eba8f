"""Schema validation of run-local's input, as the API server's strict field validation does.

Built-in kinds are checked against the Kubernetes 1.27 OpenAPI schemas that
``kubernetes-validate`` ships (offline, the ``-strict`` flavour: an unknown field is an
error, as ``kubectl apply --validate=strict`` makes it). The CRD kinds the library emits
(JobSet, the PodGroups) are checked against schemas derived from ``crds/`` and shipped in
``crd_schemas.yaml``; their embedded Job templates against the built-in JobTemplateSpec.

Every error is returned, not just the first, each with the field path as a dotted string.
"""

from __future__ import annotations

import copy
import functools
import importlib.resources
import re
from collections.abc import Iterator, Mapping
from typing import Any

from .model import RunLocalError

K8S_VERSION = "1.27.0"
_DEFS_ID = "https://kubernetes.io/api/_definitions.json"
_SCHEMA_DIR = "kubernetes-json-schema/v1.27.0-local-strict"
_KIND = re.compile(r"[A-Za-z][A-Za-z0-9]{0,62}")
_API_VERSION = re.compile(r"([a-z0-9]([-a-z0-9.]*[a-z0-9])?/)?v[0-9]+([a-z]+[0-9]+)?")


class Issue:
    """One schema error: where (a dotted field path), the value found and the rule broken."""

    __slots__ = ("path", "rule", "value")

    def __init__(self, path: str, value: object, rule: str) -> None:
        self.path, self.value, self.rule = path, value, rule


def dotted(parts: Iterator[Any] | list[Any] | tuple[Any, ...], prefix: str = "") -> str:
    """``['spec', 'containers', 0, 'name']`` as ``spec.containers[0].name``."""
    out = prefix
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _library() -> Any:
    try:
        from kubernetes_validate import utils  # type: ignore[import-untyped]
    except ImportError:
        raise RunLocalError(
            "run-local validates every manifest against the Kubernetes schema and needs the package "
            "kubernetes-validate: install mxnet-construct[local]"
        ) from None
    return utils


@functools.cache
def _registry() -> Any:
    from referencing import Registry, Resource

    defs = _library().schema_contents(f"{_SCHEMA_DIR}/_definitions.json", K8S_VERSION)
    return Resource.from_contents(defs) @ Registry()


@functools.cache
def _validator(key: str) -> Any:
    """A validator for a built-in kind (``kind:apiVersion``), a definition (``#Name``) or a CRD."""
    import jsonschema  # type: ignore[import-untyped]

    if key.startswith("#"):
        schema: Any = {"$ref": f"{_DEFS_ID}#/$defs/{key[1:]}"}
    elif key in crd_schemas():
        schema = crd_schemas()[key]
    else:
        kind, api_version = key.split(":", 1)
        group = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
        try:
            schema = _library().schema_contents(f"{_SCHEMA_DIR}/{kind.lower()}-{group}.json", K8S_VERSION)
        except FileNotFoundError:
            return None
    return jsonschema.Draft202012Validator(schema, registry=_registry())


@functools.lru_cache(maxsize=1)
def crd_schemas() -> dict[str, Any]:
    """``apiVersion:kind`` -> the strict schema of each CRD kind the library emits."""
    import yaml

    text = importlib.resources.files(__package__).joinpath("crd_schemas.yaml").read_text()
    loaded: dict[str, Any] = yaml.safe_load(text)
    return loaded


def strict_crd_schema(crd: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    """``(key, schema)`` of a CRD's stored version, made strict as ``--validate=strict`` is.

    The API server prunes unknown fields of a structural schema; strict validation refuses
    them instead, so every object with ``properties`` gets ``additionalProperties: false``.
    A JobSet's Job templates are left open here: the built-in JobTemplateSpec checks them.
    """
    spec = crd["spec"]
    version = next(v for v in spec["versions"] if v.get("storage"))
    schema = copy.deepcopy(version["schema"]["openAPIV3Schema"])
    schema.setdefault("properties", {})["metadata"] = {"type": "object"}

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            open_ended = "additionalProperties" in node or node.get("x-kubernetes-preserve-unknown-fields")
            if "properties" in node and not open_ended:
                node["additionalProperties"] = False
            for key in list(node):
                if key.startswith("x-kubernetes-") or key == "description":
                    del node[key]
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    jobs = schema.get("properties", {}).get("spec", {}).get("properties", {}).get("replicatedJobs")
    if jobs is not None:
        jobs["items"]["properties"]["template"] = {"type": "object"}
    walk(schema)
    return f"{spec['group']}/{version['name']}:{spec['names']['kind']}", schema


def _issues(validator: Any, instance: object, prefix: str) -> list[Issue]:
    out: list[Issue] = []
    for err in validator.iter_errors(instance):
        path = dotted(list(err.absolute_path), prefix)
        if err.validator == "additionalProperties" and isinstance(err.instance, Mapping):
            known = set(err.schema.get("properties", {}))
            for key in sorted(str(k) for k in err.instance if k not in known):
                out.append(Issue(dotted([key], path), err.instance[key], "unknown field"))
        elif err.validator == "required":
            missing = re.match(r"'([^']*)'", err.message)
            field = missing.group(1) if missing else "?"
            out.append(Issue(dotted([field], path), None, "required field missing"))
        elif err.validator == "type":
            wanted = err.validator_value if isinstance(err.validator_value, list) else [err.validator_value]
            kinds = " or ".join(t for t in wanted if t != "null")
            out.append(Issue(path, err.instance, f"must be {'an' if kinds[:1] in 'aeiou' else 'a'} {kinds}"))
        elif err.validator == "enum":
            allowed = ", ".join(repr(v) for v in err.validator_value if v is not None)
            out.append(Issue(path, err.instance, f"must be one of {allowed}"))
        else:
            out.append(Issue(path, err.instance, err.message))
    return out


def validate(doc: Mapping[str, Any]) -> list[Issue]:
    """Every schema error of one document (empty when it is valid)."""
    kind, api_version = doc.get("kind"), doc.get("apiVersion")
    if not isinstance(api_version, str) or not api_version:
        return [Issue("apiVersion", api_version, "required field missing")]
    key = f"{api_version}:{kind}"
    # The kind and group name a schema file: nothing else may reach that lookup.
    plain = isinstance(kind, str) and _KIND.fullmatch(kind) and _API_VERSION.fullmatch(api_version)
    validator = _validator(key if key in crd_schemas() else f"{kind}:{api_version}") if plain else None
    if validator is None:
        known = "is known to Kubernetes 1.27 or the library's CRDs"
        return [Issue("kind", kind, f"no kind {kind!r} in {api_version!r} {known}")]
    issues = _issues(validator, doc, "")
    if key in crd_schemas():
        meta = _validator("#io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta")
        issues += _issues(meta, doc.get("metadata"), "metadata")
        jobs = (doc.get("spec") or {}).get("replicatedJobs") if isinstance(doc.get("spec"), Mapping) else None
        for i, job in enumerate(jobs if isinstance(jobs, list) else []):
            if isinstance(job, Mapping) and "template" in job:
                where = f"spec.replicatedJobs[{i}].template"
                issues += _issues(_validator("#io.k8s.api.batch.v1.JobTemplateSpec"), job["template"], where)
    return sorted(issues, key=lambda i: i.path)
