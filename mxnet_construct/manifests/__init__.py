"""One model of synthesized manifests: documents, workloads expanded into pods, selectors,
Services and their endpoints, and the ps-lite counts. The runner, the diagram and the gang
maths all read YAML through this module, so they cannot disagree about what a file runs.

Loading (:func:`parse_documents`, :func:`load_files`): ``yaml.safe_load_all`` with two
limits, because a manifest is untrusted input: aliases (``*name``, including ``<<: *x``
merges) are refused, so an alias bomb fails at once instead of growing to gigabytes, and
nesting deeper than :data:`MAX_DEPTH` is refused instead of ending in ``RecursionError``.
Errors name the file and the document number. ``kind: List`` documents are flattened.

Workloads become pods as their controllers would make them (:meth:`Manifests.workloads`):

* ``Pod``: itself;
* ``Deployment``: ``spec.replicas`` (default 1) pods ``<name>-<template hash>-<5>``;
* ``ReplicaSet``: ``spec.replicas`` pods ``<name>-<5>``;
* ``DaemonSet``: one pod, as on a one-node cluster;
* ``StatefulSet``: ``<name>-<ordinal>`` for ordinals ``spec.ordinals.start`` (default 0)
  onwards; the hostname is the pod name and the subdomain ``spec.serviceName``; each
  ``volumeClaimTemplates`` entry becomes the claim ``<template>-<pod>``;
* ``Job``: one pod per completion (``completions`` defaults to ``parallelism``, which
  defaults to 1); ``completionMode: Indexed`` pods are ``<job>-<index>-<5>`` with hostname
  ``<job>-<index>``, the completion-index label and annotation and ``JOB_COMPLETION_INDEX``
  in their env. At most ``min(parallelism, completions)`` run at once (``concurrent``);
* ``JobSet`` (jobset.x-k8s.io): each ``replicatedJobs`` entry is ``replicas`` Jobs named
  ``<jobset>-<replicated job>-<job index>``, defaulted as the JobSet webhook does (Indexed
  completion, ``restartPolicy: OnFailure``, DNS hostnames on, subdomain = the JobSet's
  name unless ``network.subdomain`` says otherwise), so pod hostnames are
  ``<jobset>-<replicated job>-<job index>-<pod index>``.

Pod names that a controller would randomise are derived from a hash of the manifest
instead, so every run of the same file names its pods the same way.

Label selectors (:class:`LabelSelector`) implement ``matchLabels`` and
``matchExpressions`` with ``In``, ``NotIn`` (true when the key is absent), ``Exists`` and
``DoesNotExist``. A Service's ``spec.selector`` is a plain map; an absent or empty one
selects nothing (a Service without a selector has no automatic endpoints).

Names (:meth:`Manifests.resolve`) resolve as a pod's DNS would: a Service as ``<name>``
(same namespace only), ``<name>.<ns>``, ``<name>.<ns>.svc`` and
``<name>.<ns>.svc.cluster.local``; a pod with a subdomain as ``<hostname>.<subdomain>``
and the same longer forms.

ps-lite (:meth:`Manifests.ps_lite_problems`): the nodes whose ``DMLC_PS_ROOT_URI`` leads
(through a Service's endpoints or a pod DNS name) to the same scheduler pod form one job,
the scheduler included. Its ``DMLC_NUM_SERVER``/``DMLC_NUM_WORKER`` must equal the number of
server and worker pods running at once, and it needs exactly one scheduler pod, or ps-lite
waits forever. A node whose address leads nowhere in the file leaves the counts of its
namespace unknown, so they are not checked (the diagram and runner report the address).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ._base import Doc, ManifestError
from ._load import MAX_DEPTH, load_files, parse_documents, read_text
from ._pods import (
    MAIN_CONTAINER,
    PS_ROLES,
    WORKLOAD_KINDS,
    ContainerPort,
    Pod,
    Workload,
    env_of,
    main_container,
    name_suffix,
    ps_role,
    template_env,
    workloads_of,
)
from ._selectors import LabelSelector, Requirement, map_selects
from ._services import Endpoint, Service, ServicePort


@dataclass(frozen=True)
class PsLiteProblem:
    """A ps-lite job that would wait forever; ``workload`` is the one whose env disagrees."""

    workload: Workload
    message: str


@dataclass(frozen=True)
class Manifests:
    """Every object of some manifests, with workloads expanded and Services read."""

    documents: tuple[Mapping[str, Any], ...]
    workloads: tuple[Workload, ...]
    services: tuple[Service, ...]

    @classmethod
    def of(cls, docs: Iterable[Doc]) -> Manifests:
        documents = tuple(docs)
        workloads = tuple(w for d in documents for w in workloads_of(d))
        services = tuple(Service.of(d) for d in documents if d.get("kind") == "Service")
        return cls(documents, workloads, services)

    @classmethod
    def load(cls, paths: Iterable[str | Path]) -> Manifests:
        return cls.of(load_files(paths))

    @property
    def pods(self) -> tuple[Pod, ...]:
        return tuple(p for w in self.workloads for p in w.pods)

    def by_role(self, role: str) -> list[Pod]:
        """The pods whose ``DMLC_ROLE`` (else ``app.kubernetes.io/component``) is ``role``, in
        workload and index order, so ``by_role("worker")[1]`` is the worker with index 1."""
        return [p for p in self.pods if (p.role or p.labels.get("app.kubernetes.io/component")) == role]

    def workload(self, workload_id: str) -> Workload:
        for w in self.workloads:
            if w.id == workload_id:
                return w
        raise KeyError(workload_id)

    def of_kind(self, *kinds: str) -> list[Mapping[str, Any]]:
        return [d for d in self.documents if d.get("kind") in kinds]

    def resolve(self, host: str, namespace: str) -> Service | Pod | None:
        """What ``host`` names for a client in ``namespace``: a Service or a pod DNS name."""
        host = host.rstrip(".")
        for svc in self.services:
            names = svc.dns_names()[1:] if svc.namespace != namespace else svc.dns_names()
            if host in names:
                return svc
        for pod in self.pods:
            names = pod.dns_names()
            if host in (names[1:] if pod.namespace != namespace else names):
                return pod
        return None

    def scheduler_of(self, workload: Workload) -> Workload | None:
        """The scheduler workload whose ps-lite job ``workload``'s pods join, if this file has it.

        A scheduler joins its own job. Other nodes resolve ``DMLC_PS_ROOT_URI`` as their
        pods' DNS would: a Service leads to the scheduler pods it selects, a pod DNS name
        to that pod. None when the address is computed on the cluster (``valueFrom``) or
        names nothing in the file. Ports are not compared here: a node dialing the wrong
        port is a wiring fault the callers report in their own terms.
        """
        if workload.role == "scheduler":
            return workload
        uri = workload.env.get("DMLC_PS_ROOT_URI")
        target = self.resolve(uri, workload.namespace) if uri else None
        pods = (
            [target] if isinstance(target, Pod) else target.endpoints(self.pods) if isinstance(target, Service) else []
        )
        for item in pods:
            pod = item if isinstance(item, Pod) else item.pod
            if pod.role == "scheduler":
                return self.workload(pod.workload)
        return None

    def ps_lite_problems(self) -> list[PsLiteProblem]:
        """Counts that disagree with the pods there are, per ps-lite job (see the module doc).

        Nodes whose scheduler is not in these manifests are not counted, and neither is any
        job of their namespace, since they might belong to it.
        """
        jobs: dict[str, list[Workload]] = {}
        unknown: set[str] = set()
        for w in self.workloads:
            scheduler = self.scheduler_of(w) if w.role is not None else None
            if scheduler is not None:
                jobs.setdefault(scheduler.id, []).append(w)
            elif w.role is not None:
                unknown.add(w.namespace)
        # A node whose scheduler cannot be resolved may belong to any job of its namespace,
        # so those jobs' counts are unknown; callers report the unresolved address instead.
        jobs = {k: v for k, v in jobs.items() if v[0].namespace not in unknown}
        problems: list[PsLiteProblem] = []
        for members in jobs.values():
            have = {role: sum(w.concurrent for w in members if w.role == role) for role in PS_ROLES}
            for w in members:
                env = w.env
                for var, role in (("DMLC_NUM_SERVER", "server"), ("DMLC_NUM_WORKER", "worker")):
                    expected = env.get(var)
                    if expected is not None and expected != str(have[role]):
                        problems.append(
                            PsLiteProblem(
                                w,
                                f"{w.name}: {var}={expected} but the file runs {have[role]} {role} pods; the job would hang",
                            )
                        )
            schedulers = [w for w in members if w.role == "scheduler"]
            if len(schedulers) == 1 and have["scheduler"] != 1:
                problems.append(
                    PsLiteProblem(
                        schedulers[0],
                        f"{schedulers[0].name}: {have['scheduler']} scheduler pods; a ps-lite job needs exactly one",
                    )
                )
            elif len(schedulers) > 1:
                for s in schedulers:
                    problems.append(
                        PsLiteProblem(
                            s, f"{s.name}: one of {len(schedulers)} schedulers of one ps-lite job; it needs exactly one"
                        )
                    )
        return problems


__all__ = [
    "MAIN_CONTAINER",
    "MAX_DEPTH",
    "PS_ROLES",
    "WORKLOAD_KINDS",
    "ContainerPort",
    "Doc",
    "Endpoint",
    "LabelSelector",
    "ManifestError",
    "Manifests",
    "Pod",
    "PsLiteProblem",
    "Requirement",
    "Service",
    "ServicePort",
    "Workload",
    "env_of",
    "load_files",
    "main_container",
    "map_selects",
    "name_suffix",
    "parse_documents",
    "ps_role",
    "read_text",
    "template_env",
    "workloads_of",
]
