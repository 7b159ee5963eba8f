"""Synthesis and validation helpers every test module uses.

``synth_yaml`` returns exactly the text ``cdk8s synth`` writes to ``dist/``, so snapshots
and the dist/ freshness test compare like with like.
"""

from __future__ import annotations

import functools
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import cdk8s
import kubernetes_validate
import kubernetes_validate.utils
import yaml

# kubernetes_validate re-reads and re-parses its JSON schemas (megabytes) on every call;
# caching them makes validation about 20x faster, which the property-based tests need.
kubernetes_validate.utils.schema_contents = functools.cache(kubernetes_validate.utils.schema_contents)

ROOT = Path(__file__).resolve().parent.parent
CRD_DIR = ROOT / "crds"
# The oldest Kubernetes we target (cdk8s-plus-27) and the newest schemas shipped.
SCHEMA_VERSIONS = ("1.27.0", kubernetes_validate.latest_version())


def synth(chart: cdk8s.Chart) -> list[dict[str, Any]]:
    """The chart's documents, as cdk8s renders them (through ``Chart.to_json``)."""
    return [json.loads(json.dumps(doc)) for doc in cdk8s.Testing.synth(chart)]


def synth_yaml(chart: cdk8s.Chart) -> str:
    """The YAML text ``cdk8s synth`` would write for this chart."""
    return cdk8s.Yaml.stringify(*cdk8s.Testing.synth(chart))


def find(docs: Iterable[dict[str, Any]], kind: str, name: str | None = None) -> dict[str, Any]:
    matches = [d for d in docs if d["kind"] == kind and (name is None or d["metadata"]["name"] == name)]
    assert len(matches) == 1, f"expected one {kind} {name or ''}, found {[d['metadata']['name'] for d in matches]}"
    return matches[0]


def pod_spec(doc: dict[str, Any]) -> dict[str, Any]:
    """The pod spec of any workload kind we emit."""
    spec = doc["spec"]
    if doc["kind"] == "JobSet":
        raise ValueError("a JobSet has one pod spec per replicated job")
    return spec["template"]["spec"]


def env_of(container: dict[str, Any]) -> dict[str, Any]:
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in container.get("env", [])}


@functools.cache
def _crd_schemas() -> dict[tuple[str, str], dict[str, Any]]:
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for path in sorted(CRD_DIR.glob("*.yaml")):
        for crd in yaml.safe_load_all(path.read_text()):
            group, kind = crd["spec"]["group"], crd["spec"]["names"]["kind"]
            for version in crd["spec"]["versions"]:
                out[(f"{group}/{version['name']}", kind)] = version["schema"]["openAPIV3Schema"]
    return out


def _strict(schema: dict[str, Any]) -> dict[str, Any]:
    """CRD schemas allow unknown fields by omission; make them strict like the built-ins."""
    schema = dict(schema)
    if (
        schema.get("type") == "object"
        and "properties" in schema
        and not schema.get("x-kubernetes-preserve-unknown-fields")
    ):
        schema.setdefault("additionalProperties", False)
        schema["properties"] = {k: _strict(v) for k, v in schema["properties"].items()}
    if isinstance(schema.get("items"), dict):
        schema["items"] = _strict(schema["items"])
    if isinstance(schema.get("additionalProperties"), dict):
        schema["additionalProperties"] = _strict(schema["additionalProperties"])
    return schema


def validate_document(doc: dict[str, Any]) -> None:
    """Raises when ``doc`` is not valid, unknown fields included, for every target version."""
    key = (doc.get("apiVersion", ""), doc.get("kind", ""))
    crd = _crd_schemas().get(key)
    if crd is not None:
        import jsonschema

        jsonschema.validate(doc, _strict(crd))
        return
    for version in SCHEMA_VERSIONS:
        kubernetes_validate.validate(doc, version, strict=True)


def validate_documents(docs: Iterable[dict[str, Any]]) -> None:
    for doc in docs:
        try:
            validate_document(doc)
        except Exception as err:  # re-raised with the object's identity for a readable failure
            raise AssertionError(f"{doc.get('kind')} {doc.get('metadata', {}).get('name')}: {err}") from err


def make_chart(factory: Callable[..., cdk8s.Chart] | None = None, release: str = "test", **kwargs: Any) -> cdk8s.Chart:
    """A chart in a fresh app; ``factory`` defaults to ``MXNetChart``."""
    from mxnet_construct import MXNetChart

    app = cdk8s.Testing.app()
    return (factory or MXNetChart)(app, release, **kwargs)


def mypy_strict(snippets: dict[str, str], workdir: Path) -> dict[str, list[str]]:
    """Runs ``mypy --strict`` once over Python snippets against this checkout.

    Returns each snippet's errors as ``"<source line>  <- <message>"``, so a test can
    assert which lines fail and why. One run for all snippets: mypy's start-up dominates.
    """
    for name, text in snippets.items():
        (workdir / f"{name}.py").write_text(text)
    mypy = [sys.executable, "-m", "mypy", "--strict", "--no-error-summary", "--config-file", "/dev/null"]
    proc = subprocess.run(
        [*mypy, "--cache-dir", str(workdir / ".cache"), *(str(workdir / f"{name}.py") for name in snippets)],
        capture_output=True,
        text=True,
        cwd=workdir,
        env=dict(os.environ, MYPYPATH=str(ROOT)),
        timeout=600,
    )
    assert proc.returncode in (0, 1), proc.stdout + proc.stderr
    errors: dict[str, list[str]] = {name: [] for name in snippets}
    for line in proc.stdout.splitlines():
        match = re.match(r".*?(\w+)\.py:(\d+): (error|note): (.*)", line)
        assert match, line
        name, lineno, level, message = match.groups()
        if level == "error":
            errors[name].append(f"{snippets[name].splitlines()[int(lineno) - 1].strip()}  <- {message}")
    return errors
