"""Admission: everything run-local refuses, found before anything runs, all at once.

run-local is a node that runs other people's manifests as root, so it admits them as an
API server with Pod Security Admission would, and more strictly where a local run cannot
keep a promise the manifests make:

1. the YAML itself: duplicate keys are refused (a second ``seccompProfile`` must not
   quietly win);
2. every document against the Kubernetes 1.27 schema (:mod:`.schema`): wrong shapes,
   unknown fields and missing required fields;
3. the size of the run: at most :data:`MAX_PODS` pods, counted from the replica fields
   before a single pod is expanded;
4. each pod template against the baseline Pod Security Standard and the fields run-local
   cannot honour (:mod:`.pss`), plus what the API server checks beyond the schema
   (container names unique in a pod, one source per ``valueFrom``);
5. the pods of the whole run: names unique, since run-local keys its pods by name.

Each problem names the document (``Kind/name``), the field path, the value and the rule;
:class:`AdmissionError` carries them all. The command exits 2 for it (a failed run is 1).
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from ..manifests import ManifestError, Manifests
from ..manifests._load import parse_documents, read_text
from . import pss, schema
from .model import RunLocalError

MAX_PODS = 250
"""Pods per run: what one machine holds (each pod is at least one runc container and its
processes), and what fits one /24 of pod addresses."""
MAX_TIMEOUT = 7 * 24 * 3600.0
_POD_TEMPLATES = {
    "Deployment": ("spec", "template"),
    "ReplicaSet": ("spec", "template"),
    "StatefulSet": ("spec", "template"),
    "DaemonSet": ("spec", "template"),
    "Job": ("spec", "template"),
}


class Problem:
    """One refused thing: the document, the field path, the value and the rule."""

    __slots__ = ("document", "path", "rule", "value")

    def __init__(self, document: str, path: str, value: object, rule: str) -> None:
        self.document, self.path, self.value, self.rule = document, path, value, rule

    def __str__(self) -> str:
        shown = repr(self.value)
        shown = shown if len(shown) <= 80 else shown[:77] + "..."
        value = [] if self.value is None and "missing" in self.rule else [shown]
        return ": ".join([f"{self.document} {self.path}", *value, self.rule])


class AdmissionError(RunLocalError):
    """The manifests (or the options) are refused; ``problems`` lists every reason."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        lines = "\n".join(f"  {p}" for p in self.problems)
        count = f"{len(self.problems)} problem{'s' if len(self.problems) != 1 else ''}"
        super().__init__(f"refused before anything ran ({count}):\n{lines}")


# -- YAML --------------------------------------------------------------------------------


def _duplicate_keys(text: str, source: str) -> Iterator[Problem]:
    import yaml

    def walk(node: Any, path: str) -> Iterator[Problem]:
        if isinstance(node, yaml.MappingNode):
            seen: dict[str, int] = {}
            for key, value in node.value:
                name = str(key.value)
                line = key.start_mark.line + 1
                if name in seen:
                    rule = f"duplicate key (first at line {seen[name]}); YAML keys must be unique, remove one"
                    yield Problem(f"{source} line {line}", schema.dotted([name], path), name, rule)
                seen.setdefault(name, line)
                yield from walk(value, schema.dotted([name], path))
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                yield from walk(item, schema.dotted([i], path))

    # parse_documents ran first and refused aliases, so this walk is linear in the text.
    for node in yaml.compose_all(text, Loader=yaml.SafeLoader):
        yield from walk(node, "")


def load(paths: Iterable[str | os.PathLike[str]]) -> list[dict[str, Any]]:
    """Every object of the manifest files, refusing duplicate keys (all of them at once)."""
    docs: list[dict[str, Any]] = []
    problems: list[Problem] = []
    for path in paths:
        try:
            text = read_text(Path(path))
            docs += parse_documents(text, str(path))
        except ManifestError as err:
            raise RunLocalError(f"manifest: {err}") from None
        problems += _duplicate_keys(text, str(path))
    if problems:
        raise AdmissionError(problems)
    return docs


# -- options -----------------------------------------------------------------------------


def timing_problems(timeout: object, stall: object) -> list[Problem]:
    """``--timeout`` and ``--stall`` finite, positive and bounded (``--kill`` times: :mod:`.faults`)."""
    problems = []
    for name, value in (("--timeout", timeout), ("--stall", stall)):
        number = value if isinstance(value, int | float) and not isinstance(value, bool) else None
        if number is None or not math.isfinite(number) or not 0 < number <= MAX_TIMEOUT:
            rule = f"give a finite number of seconds above 0 and at most {MAX_TIMEOUT:g} (7 days)"
            problems.append(Problem("option", name, value, rule))
    return problems


# -- documents ---------------------------------------------------------------------------


def describe(doc: Mapping[str, Any]) -> str:
    """``Kind/name`` (with its namespace when not ``default``), for messages."""
    meta = doc.get("metadata") if isinstance(doc.get("metadata"), Mapping) else {}
    assert isinstance(meta, Mapping)
    ns = meta.get("namespace")
    return f"{doc.get('kind')}/{meta.get('name')}" + (f" (namespace {ns})" if ns and ns != "default" else "")


def _without_nulls(value: Any) -> Any:
    # The API server reads an explicit null as "unset": drop them, so the planner only
    # ever sees the shapes the schema promised.
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_nulls(v) for v in value]
    return value


def _templates(doc: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any], int]]:
    """``(path, pod template, pods it makes)`` of each pod template of ``doc``."""
    spec = doc.get("spec") or {}
    kind = doc.get("kind")
    if kind == "Pod":
        yield "", doc, 1
    elif kind in _POD_TEMPLATES:
        replicas = spec.get("replicas", 1) if kind != "DaemonSet" else 1
        if kind == "Job":
            replicas = max(spec.get("completions") or 1, spec.get("parallelism") or 1)
        yield "spec.template", spec.get("template") or {}, replicas
    elif kind == "JobSet":
        for i, job in enumerate(spec.get("replicatedJobs") or []):
            job_spec = (job.get("template") or {}).get("spec") or {}
            per_job = max(job_spec.get("completions") or 1, job_spec.get("parallelism") or 1)
            count = job.get("replicas", 1) * per_job
            yield f"spec.replicatedJobs[{i}].template.spec.template", job_spec.get("template") or {}, count


def _api_server_rules(spec: Mapping[str, Any], at: str) -> Iterator[pss.Finding]:
    """What the API server checks beyond the schema and the planner relies on."""
    seen: dict[str, str] = {}
    for key in ("initContainers", "containers"):
        for i, c in enumerate(spec.get(key) or []):
            where = f"{at}.{key}[{i}]"
            name = c.get("name")
            if name in seen:
                yield f"{where}.name", name, f"container names must be unique in a pod: {seen[name]}.name has it too"
            seen.setdefault(name, where)
            for j, var in enumerate(c.get("env") or []):
                sources = sorted(var.get("valueFrom") or {})
                if "valueFrom" in var and len(sources) != 1:
                    rule = "valueFrom needs exactly one of configMapKeyRef, fieldRef, resourceFieldRef, secretKeyRef"
                    yield f"{where}.env[{j}].valueFrom", var["valueFrom"], rule


def _check_document(doc: Mapping[str, Any], name: str) -> tuple[list[Problem], int]:
    problems: list[Problem] = []
    pods = 0
    for at, template, count in _templates(doc):
        pods += count
        spec = template.get("spec") or {}
        annotations = (template.get("metadata") or {}).get("annotations") or {}
        spec_at = f"{at}.spec" if at else "spec"
        meta_at = f"{at}.metadata" if at else "metadata"
        for rules in (pss.baseline, pss.unsupported):
            problems += [Problem(name, *f) for f in rules(spec, annotations, spec_at, meta_at)]
        problems += [Problem(name, *f) for f in _api_server_rules(spec, spec_at)]
    return problems, pods


def admit(docs: Sequence[Mapping[str, Any]], options: Sequence[Problem] = ()) -> list[dict[str, Any]]:
    """The documents, admitted (explicit nulls dropped), or :class:`AdmissionError` with every
    problem, those of the run's ``options`` (:func:`timing_problems`) first."""
    problems: list[Problem] = list(options)
    admitted: list[dict[str, Any]] = []
    pods = 0
    for doc in docs:
        name = describe(doc)
        issues = schema.validate(doc)
        problems += [Problem(name, i.path, i.value, i.rule) for i in issues]
        if issues:
            continue  # the shapes are wrong: the rules below would read garbage
        clean = _without_nulls(dict(doc))
        found, count = _check_document(clean, name)
        problems += found
        pods += count
        admitted.append(clean)
    if pods > MAX_PODS:
        rule = f"at most {MAX_PODS} pods per run (what one machine holds); lower the replicas"
        problems.append(Problem("run", "pods", pods, rule))
    elif len(admitted) == len(docs):
        problems += _duplicate_pods(admitted)
    if problems:
        raise AdmissionError(problems)
    return admitted


def _duplicate_pods(docs: Sequence[Mapping[str, Any]]) -> list[Problem]:
    try:
        model = Manifests.of(docs)
    except ManifestError:
        return []  # the planner names what the model cannot expand
    try:
        unique_pod_names((p.name, f"{p.workload} (namespace {p.namespace})") for p in model.pods)
    except AdmissionError as err:
        return err.problems
    return []


def unique_pod_names(pods: Iterable[tuple[str, str]]) -> None:
    """``(pod name, workload)`` pairs: two pods of one name are refused, naming both owners.

    Kubernetes keys pods by namespace and name; run-local keys them by name alone (its
    directories, its log prefixes), so a name may be used once per run.
    """
    owner: dict[str, str] = {}
    problems = []
    for name, workload in pods:
        if name in owner:
            rule = f"a pod of {owner[name]} has this name too; pod names must be unique in a run (namespaces included)"
            problems.append(Problem(workload, "pod name", name, rule))
        owner.setdefault(name, workload)
    if problems:
        raise AdmissionError(problems)
