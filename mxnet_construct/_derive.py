"""What depends on other objects, worked out from the final objects when the app is synthesized.

The ``DMLC_NUM_*`` counts must equal the pods that actually run, ``DMLC_PS_ROOT_*`` must
name the scheduler Service as emitted, and the PodGroup, the PDB and the JobSet's success
policy must match the workloads. All of them are computed here, in one place, from each
object's document after hooks, methods and every JSON patch, when cdk8s renders the
release (:class:`~mxnet_construct._tree.LazyObject`). Nothing is written back into any
object: rendering is a pure function of the tree, so rendering twice gives the same YAML.

A value the user set on purpose (a patch that writes ``DMLC_NUM_WORKER`` itself) is never
overwritten: when it disagrees with the objects, synthesis fails naming both.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from constructs import Construct

from . import _checkov, _profile
from . import contract as c
from ._render import disruption_budget, harden
from ._tree import LazyObject, apply_patches
from .options import MXNetOptions

Doc = dict[str, Any]
COMPONENT_LABEL = "app.kubernetes.io/component"
# Objects whose body is itself derived, so it is never reused across changes.
_FROM_DERIVED = frozenset({"pod-group", "pdb"})


@dataclass
class Derived:
    """The derived values of one release, and what disagrees with them."""

    env: dict[str, str]
    pods: int
    workload_docs: list[Doc]
    problems: list[str] = field(default_factory=list)


def pod_specs(doc: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """Every pod spec of a workload document, with its JSON path."""
    spec = doc.get("spec")
    if not isinstance(spec, Mapping):
        return
    if doc.get("kind") == "JobSet":
        for i, rjob in enumerate(spec.get("replicatedJobs") or []):
            job_spec = ((rjob or {}).get("template") or {}).get("spec") or {}
            pod = (job_spec.get("template") or {}).get("spec")
            if isinstance(pod, Mapping):
                yield f"/spec/replicatedJobs/{i}/template/spec/template/spec", pod
        return
    pod = (spec.get("template") or {}).get("spec")
    if isinstance(pod, Mapping):
        yield "/spec/template/spec", pod


def _replace_pod_specs(doc: Doc, fix: Callable[[Mapping[str, Any]], Mapping[str, Any]]) -> Doc:
    """A copy of ``doc`` with every pod spec passed through ``fix``; copies only what changes."""

    def in_template(holder: Mapping[str, Any]) -> Mapping[str, Any]:
        template = holder.get("template") or {}
        pod = template.get("spec")
        if not isinstance(pod, Mapping):
            return holder
        fixed = fix(pod)
        if fixed is pod:
            return holder
        return {**holder, "template": {**template, "spec": fixed}}

    spec = doc.get("spec")
    if not isinstance(spec, Mapping):
        return doc
    if doc.get("kind") == "JobSet":
        rjobs = []
        for rjob in spec.get("replicatedJobs") or []:
            template = (rjob or {}).get("template") or {}
            job_spec = template.get("spec") or {}
            new_job_spec = in_template(job_spec)
            rjobs.append(rjob if new_job_spec is job_spec else {**rjob, "template": {**template, "spec": new_job_spec}})
        new_spec: Mapping[str, Any] = {**spec, "replicatedJobs": rjobs}
    else:
        new_spec = in_template(spec)
    return doc if new_spec is spec else {**doc, "spec": new_spec}


def fill_env(doc: Doc, expected: Mapping[str, str], built: Mapping[str, str]) -> tuple[Doc, list[str]]:
    """``doc`` with every derived env value the user left as built set to ``expected``.

    Returns the new document and one message per value the user set to something else.
    """
    problems: list[str] = []

    def fix_containers(pod: Mapping[str, Any], key: str) -> list[Any] | None:
        changed = False
        out: list[Any] = []
        for container in pod.get(key) or []:
            env = container.get("env") if isinstance(container, Mapping) else None
            new_env = []
            for entry in env or []:
                name = entry.get("name") if isinstance(entry, Mapping) else None
                if isinstance(name, str) and name in expected and "value" in entry and entry["value"] != expected[name]:
                    if entry["value"] == built[name]:
                        entry = {**entry, "value": expected[name]}
                        changed = True
                    else:
                        problems.append(
                            f"container {container.get('name')!r} sets {name}={entry['value']!r}, "
                            f"but the release's objects say {expected[name]!r}"
                        )
                new_env.append(entry)
            out.append({**container, "env": new_env} if env else container)
        return out if changed else None

    def fix(pod: Mapping[str, Any]) -> Mapping[str, Any]:
        new_pod = pod
        for key in ("initContainers", "containers"):
            fixed = fix_containers(pod, key)
            if fixed is not None:
                new_pod = {**new_pod, key: fixed}
        return new_pod

    return _replace_pod_specs(doc, fix), problems


def _harden_pod(options: MXNetOptions, pod: Mapping[str, Any]) -> Mapping[str, Any]:
    spec: Mapping[str, Any] = harden(options, {"spec": dict(pod)})["spec"]
    return spec


def _service_values(doc: Mapping[str, Any] | None, built: Mapping[str, str]) -> dict[str, str]:
    if doc is None:
        return {}
    out = {"DMLC_PS_ROOT_URI": str(doc["metadata"].get("name", built["DMLC_PS_ROOT_URI"]))}
    ports = (doc.get("spec") or {}).get("ports") or []
    port = next((p for p in ports if p.get("name") == c.PORT_NAME), ports[0] if ports else None)
    if port is not None and "port" in port:
        out["DMLC_PS_ROOT_PORT"] = str(port["port"])
    return out


def _number(value: object, default: int) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def _job_pods(spec: Mapping[str, Any]) -> int:
    """Pods a Job runs at once: its parallelism, never more than its completions."""
    parallelism = _number(spec.get("parallelism"), 1)
    completions = spec.get("completions")
    return min(parallelism, _number(completions, parallelism))


def _component(template: Mapping[str, Any]) -> str:
    return str(((template.get("metadata") or {}).get("labels") or {}).get(COMPONENT_LABEL, ""))


def _counts(docs: list[Doc]) -> tuple[dict[str, int], int]:
    """Pods running at once per component label, and in all, read from workload documents.

    A direct reading of the few fields that count (replicas, parallelism, completions):
    the full manifest model expands every pod, which cost more than the rest of a render.
    """
    counts: dict[str, int] = {}
    for doc in docs:
        spec = doc.get("spec") or {}
        parts: list[tuple[Mapping[str, Any], int]] = []
        if doc.get("kind") == "JobSet":
            for rjob in spec.get("replicatedJobs") or []:
                job_spec = ((rjob or {}).get("template") or {}).get("spec") or {}
                parts.append((job_spec.get("template") or {}, _number(rjob.get("replicas"), 1) * _job_pods(job_spec)))
        elif doc.get("kind") == "Job":
            parts.append((spec.get("template") or {}, _job_pods(spec)))
        else:
            parts.append((spec.get("template") or {}, _number(spec.get("replicas"), 1)))
        for template, pods in parts:
            component = _component(template)
            counts[component] = counts.get(component, 0) + pods
    return counts, sum(counts.values())


def _job_set_problems(doc: Mapping[str, Any]) -> list[str]:
    spec = doc.get("spec") or {}
    present = {rjob.get("name") for rjob in spec.get("replicatedJobs") or [] if isinstance(rjob, Mapping)}
    targets = (spec.get("successPolicy") or {}).get("targetReplicatedJobs") or []
    missing = [name for name in targets if name not in present]
    if not missing:
        return []
    return [
        f"successPolicy.targetReplicatedJobs names {missing}, "
        f"but the JobSet's replicated jobs are {sorted(str(p) for p in present)}"
    ]


def identity(doc: Mapping[str, Any]) -> tuple[str, str, str]:
    """(API group, kind, name) of a document, as cdk8s's ``ApiObject`` spells them."""
    version = str(doc["apiVersion"])
    group = version.split("/")[0] if "/" in version else "core"
    return group, str(doc["kind"]), str(doc["metadata"]["name"])


id_of = id


class Release:
    """Renders the lazy objects of one release (the ``_tree.Producer`` of an ``MXNetChart``).

    Bodies come from callables that build a document from the current state (hook
    results, method calls). The derived values are recomputed whenever a patch is added
    or a method is called (:meth:`changed`), and otherwise reused, so a synthesis computes
    them once however many objects it renders.
    """

    def __init__(
        self,
        names: c.Names,
        options: MXNetOptions,
        *,
        checkov: bool,
        collisions: Callable[[], list[str]],
        namespace: str | None,
        chart_labels: Mapping[str, str],
    ) -> None:
        self._names = names
        # The chart's namespace and labels, kept in Python: reading them back from the
        # chart costs a Node round trip per read.
        self.namespace = namespace
        self.chart_labels: dict[str, str] = dict(chart_labels)
        self._options = options
        self._checkov = checkov
        self._bodies: dict[LazyObject, Callable[[], Doc]] = {}
        self._kinds: dict[LazyObject, str] = {}
        self._generation = 0
        self._cache: tuple[int, Derived] | None = None
        self._body_cache: dict[LazyObject, tuple[int, Doc]] = {}
        self._volatile = False
        self._collisions = collisions
        self._first: LazyObject | None = None
        # id(object) -> (API group, kind, name) of every object the release made.
        self.identities: dict[int, tuple[str, str, str]] = {}
        self.built_env = c.derived_env(names, options)

    def lazy(self, scope: Construct, id: str, body: Callable[[], Doc], kind: str) -> LazyObject:
        """A :class:`LazyObject` child ``id`` of ``scope`` whose body ``body()`` builds.

        ``kind`` says what the release derives for it: ``workload`` (the ``DMLC_*`` env),
        ``service`` (the scheduler Service the env names), ``static`` (nothing; checkov
        annotations only), or ``pod-group`` and ``pdb`` (:meth:`derived_object`: ``body``
        gives only the object's header, its body is built from the derived values).
        """
        doc = body()
        obj = LazyObject(scope, id, doc, self)
        if self._first is None:
            self._first = obj
        self.identities[id_of(obj)] = identity(doc)
        self._bodies[obj] = body
        self._kinds[obj] = kind
        if kind not in _FROM_DERIVED:
            self._body_cache[obj] = (self._generation, doc)
        return obj

    def static(self, scope: Construct, id: str, doc: Doc) -> LazyObject:
        """An object whose body never changes after construction.

        Rendered like the others: handing cdk8s its body as a JSON patch costs two Node
        round trips (``JsonPatch.add``, ``add_json_patch``), rendering it costs one callback
        (benchmarks/paired.py, this together with metadata kept in Python until read: 1.29-1.31x
        the naive baseline before, 1.21-1.22x after).
        """
        return self.lazy(scope, id, lambda: doc, "static")

    def derived_object(self, scope: Construct, id: str, kind: str) -> LazyObject:
        """The PodGroup (``kind="pod-group"``) or the PDB (``"pdb"``): built from the
        derived values when rendered, and at creation from what the options say."""
        return self.lazy(scope, id, lambda: self._derived_body(kind, [], c.pods(self._options)), kind)

    def _derived_body(self, kind: str, workload_docs: list[Doc], pods: int) -> Doc:
        if kind == "pod-group":
            from . import _batch

            return _batch.pod_group(self._names, self._options, workload_docs)
        return disruption_budget(self._names, self._options, pods)

    @property
    def volatile(self) -> bool:
        """True once some state can change without :meth:`changed` being called (cdk8s-plus
        objects a method handed out); then nothing is reused between renders."""
        return self._volatile

    def make_volatile(self) -> None:
        self._volatile = True

    def changed(self) -> None:
        self._generation += 1

    def _body(self, obj: LazyObject) -> Doc:
        cached = self._body_cache.get(obj)
        if cached is not None and cached[0] == self._generation and not self._volatile:
            return cached[1]
        kind = self._kinds[obj]
        if kind in _FROM_DERIVED:
            derived = self.derived()
            body = self._derived_body(kind, derived.workload_docs, derived.pods)
        else:
            body = self._bodies[obj]()
        self._body_cache[obj] = (self._generation, body)
        return body

    def derived(self) -> Derived:
        """The derived values for the tree as it is now."""
        if self._cache is not None and self._cache[0] == self._generation and not self._volatile:
            return self._cache[1]
        patched: list[tuple[LazyObject, Doc]] = []
        service: Doc | None = None
        for obj, kind in self._kinds.items():
            if kind == "workload":
                patched.append((obj, self._patched_workload(self._body(obj), obj)))
            elif kind == "service":
                service = apply_patches(self._body(obj), obj.json_patches)
        counts, total = _counts([doc for _, doc in patched])
        env = dict(self.built_env)
        if self._options.mode == "distributed":
            env.update(_service_values(service, self.built_env))
            env["DMLC_NUM_SERVER"] = str(counts.get("server", 0))
            env["DMLC_NUM_WORKER"] = str(counts.get("worker", 0))
        derived = Derived(env=env, pods=total, workload_docs=[])
        for obj, doc in patched:
            filled, problems = fill_env(doc, env, self.built_env)
            derived.workload_docs.append(filled)
            for path, pod in pod_specs(filled):
                problems += [f"{path}: {p}" for p in _profile.pod_problems(self._options, pod)]
            if doc.get("kind") == "JobSet":
                problems += _job_set_problems(doc)
            if problems:
                # The construct path is a Node call: only an error pays for it.
                where = f"{obj.node.path} ({doc['kind']} {doc['metadata'].get('name')})"
                derived.problems += [f"{where}: {p}" for p in problems]
        self._cache = (self._generation, derived)
        return derived

    @property
    def options(self) -> MXNetOptions:
        return self._options

    def _patched_workload(self, doc: Doc, obj: LazyObject) -> Doc:
        """A workload document with ``obj``'s patches applied; a container a patch added
        gets the restricted defaults like any other (the body's already have them)."""
        ops = obj.json_patches
        if not ops:
            return doc
        options = self._options
        return _replace_pod_specs(apply_patches(doc, ops), lambda pod: _harden_pod(options, pod))

    def render(self, obj: LazyObject) -> dict[str, Any]:
        """The final document of ``obj``: body, real metadata, patches, derived values.

        Rendering the release's first object checks the whole release first and fails
        synthesis with every problem at once. Not a cdk8s validation: cdk8s validates the
        whole app again for every chart it renders, which made each release cost as many
        checks as the app has charts (benchmarks/synth.py measured 17x the baseline at 100).
        """
        if obj is self._first:
            problems = self.problems() + self._collisions()
            if problems:
                raise ValueError("the release's final objects disagree:\n  " + "\n  ".join(problems))
        body = self._body(obj)
        doc: Doc = {**body, "metadata": obj.metadata_json()}
        if self._kinds[obj] == "workload":
            doc, _ = fill_env(self._patched_workload(doc, obj), self.derived().env, self.built_env)
        else:
            doc = apply_patches(doc, obj.json_patches)
        if self._checkov:
            skips = _checkov.skip_annotations(doc)
            if skips:
                meta = doc["metadata"]
                doc = {**doc, "metadata": {**meta, "annotations": {**(meta.get("annotations") or {}), **skips}}}
        return doc

    def problems(self) -> list[str]:
        """What disagrees in the tree as it is now (for the chart's validation)."""
        return list(self.derived().problems)
