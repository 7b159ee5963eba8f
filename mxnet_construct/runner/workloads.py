"""YAML -> pods: workloads expanded as their controllers would expand them.

Deployments, ReplicaSets, DaemonSets, StatefulSets, batch/v1 Jobs (completions,
parallelism, Indexed) and JobSets become :class:`PodSeed` objects: a pod's name, labels,
DNS identity and template, before its env and volumes are resolved (:mod:`.plan`).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from .model import RunLocalError
from .validate import dns_label, dns_subdomain

# The alphabet Kubernetes uses for generated name suffixes (no vowels, no look-alikes).
_NAME_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"


def load_manifests(paths: Iterable[str | os.PathLike[str]]) -> list[dict[str, Any]]:
    """Every YAML document of ``paths``, in order (empty documents are dropped)."""
    import yaml

    docs: list[dict[str, Any]] = []
    for path in paths:
        p = Path(path)
        try:
            text = p.read_text()
        except OSError as err:
            raise RunLocalError(f"manifest {str(p)!r}: cannot read it ({err.strerror})") from None
        try:
            loaded = list(yaml.safe_load_all(text))
        except yaml.YAMLError as err:
            raise RunLocalError(f"manifest {str(p)!r}: not valid YAML: {err}") from None
        for i, doc in enumerate(loaded):
            if doc is None:
                continue
            if not isinstance(doc, dict) or "kind" not in doc:
                raise RunLocalError(f"manifest {str(p)!r}: document {i} is not a Kubernetes object (no 'kind')")
            docs.append(doc)
    return docs


def suffix(seed: str, length: int) -> str:
    digest = hashlib.sha256(seed.encode()).digest()
    return "".join(_NAME_ALPHABET[b % len(_NAME_ALPHABET)] for b in digest[:length])


def loopback(index: int) -> str:
    # Every pod gets its own 127.x address (all of 127/8 is local on Linux), so a Service
    # resolves to the pod it selects, as on a cluster.
    return f"127.0.{1 + index // 250}.{1 + index % 250}"


@dataclasses.dataclass
class PodSeed:
    """A pod before its env is resolved (that needs every pod's address)."""

    name: str
    namespace: str
    workload: str
    spec: dict[str, Any]
    labels: dict[str, str]
    annotations: dict[str, str]
    hostname: str
    subdomain: str
    finishing: bool
    group: str
    group_slots: int
    extra_env: dict[str, str] = dataclasses.field(default_factory=dict)
    claim_templates: dict[str, str] = dataclasses.field(default_factory=dict)
    after: tuple[str, ...] = ()
    deadline_seconds: float | None = None


def object_meta(doc: Mapping[str, Any]) -> tuple[str, str]:
    """The object's name and namespace, each checked as the API server would."""
    m = doc.get("metadata") or {}
    name = m.get("name")
    if not isinstance(name, str) or not name:
        raise RunLocalError(f"{doc.get('kind')}: metadata.name is missing")
    dns_subdomain(name, f"{doc.get('kind')} metadata.name")
    namespace = m.get("namespace") or "default"
    dns_label(namespace, f"{doc.get('kind')}/{name} metadata.namespace")
    return name, str(namespace)


def _template(doc: Mapping[str, Any], where: str) -> tuple[dict[str, Any], dict[str, str], dict[str, str]]:
    template = (doc.get("spec") or {}).get("template")
    if not isinstance(template, dict) or not isinstance(template.get("spec"), dict):
        raise RunLocalError(f"{where}: spec.template.spec is missing")
    meta = template.get("metadata") or {}
    return template["spec"], dict(meta.get("labels") or {}), dict(meta.get("annotations") or {})


def _replicas(value: object, where: str, default: int = 1) -> int:
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise RunLocalError(f"{where}: {value!r} is not a replica count; use a whole number >= 0")
    return value


def _job_pods(
    job: Mapping[str, Any],
    job_name: str,
    namespace: str,
    workload: str,
    labels: dict[str, str],
    annotations: dict[str, str],
    spec: dict[str, Any],
    *,
    subdomain: str = "",
) -> list[PodSeed]:
    """The pods a batch/v1 Job runs to completion (no retries: a failure fails the run)."""
    jspec = job.get("spec") or {}
    parallelism = _replicas(jspec.get("parallelism"), f"{workload} spec.parallelism")
    completions_raw = jspec.get("completions")
    indexed = jspec.get("completionMode") == "Indexed"
    if indexed and completions_raw is None:
        raise RunLocalError(f"{workload}: an Indexed Job needs spec.completions")
    # Without completions a Job is a work queue: it runs `parallelism` pods, done when they end.
    completions = _replicas(completions_raw, f"{workload} spec.completions", default=parallelism)
    deadline = jspec.get("activeDeadlineSeconds")
    uid = suffix(f"uid/{workload}", 8)
    base_labels = {
        **labels,
        "job-name": job_name,
        "batch.kubernetes.io/job-name": job_name,
        "controller-uid": uid,
        "batch.kubernetes.io/controller-uid": uid,
    }
    pods: list[PodSeed] = []
    for i in range(completions):
        pod_labels = dict(base_labels)
        pod_annotations = dict(annotations)
        extra_env: dict[str, str] = {}
        hostname = str(spec.get("hostname") or "")
        if indexed:
            name = f"{job_name}-{i}-{suffix(f'{workload}/{i}', 5)}"
            pod_labels["batch.kubernetes.io/job-completion-index"] = str(i)
            pod_annotations["batch.kubernetes.io/job-completion-index"] = str(i)
            extra_env["JOB_COMPLETION_INDEX"] = str(i)
            hostname = hostname or f"{job_name}-{i}"
        else:
            name = f"{job_name}-{suffix(f'{workload}/{i}', 5)}"
        pods.append(
            PodSeed(
                name=name,
                namespace=namespace,
                workload=workload,
                spec=spec,
                labels=pod_labels,
                annotations=pod_annotations,
                hostname=hostname or name,
                subdomain=subdomain or str(spec.get("subdomain") or ""),
                finishing=True,
                group=workload,
                group_slots=max(parallelism, 0),
                extra_env=extra_env,
                deadline_seconds=float(deadline)
                if isinstance(deadline, int | float) and not isinstance(deadline, bool)
                else None,
            )
        )
    return pods


def workload_pods(doc: Mapping[str, Any]) -> list[PodSeed]:
    kind = doc.get("kind")
    name, namespace = object_meta(doc)
    workload = f"{kind}/{name}"
    spec_root = doc.get("spec") or {}
    if kind == "Pod":
        meta = doc.get("metadata") or {}
        spec = dict(spec_root)
        policy = spec.get("restartPolicy", "Always")
        return [
            PodSeed(
                name,
                namespace,
                workload,
                spec,
                dict(meta.get("labels") or {}),
                dict(meta.get("annotations") or {}),
                str(spec.get("hostname") or name),
                str(spec.get("subdomain") or ""),
                policy != "Always",
                workload,
                1,
            )
        ]
    if kind in ("Deployment", "ReplicaSet", "DaemonSet"):
        spec, labels, annotations = _template(doc, workload)
        count = 1 if kind == "DaemonSet" else _replicas(spec_root.get("replicas"), f"{workload} spec.replicas")
        template_hash = suffix(json.dumps(spec_root.get("template"), sort_keys=True), 10)
        pods = []
        for i in range(count):
            if kind == "Deployment":
                pod_name = f"{name}-{template_hash}-{suffix(f'{workload}/{i}', 5)}"
                pod_labels = {**labels, "pod-template-hash": template_hash}
            else:
                pod_name = f"{name}-{suffix(f'{workload}/{i}', 5)}"
                pod_labels = dict(labels)
            pods.append(
                PodSeed(
                    pod_name,
                    namespace,
                    workload,
                    spec,
                    pod_labels,
                    dict(annotations),
                    str(spec.get("hostname") or pod_name),
                    str(spec.get("subdomain") or ""),
                    False,
                    f"{workload}#{i}",
                    1,
                )
            )
        return pods
    if kind == "StatefulSet":
        spec, labels, annotations = _template(doc, workload)
        count = _replicas(spec_root.get("replicas"), f"{workload} spec.replicas")
        start = _replicas((spec_root.get("ordinals") or {}).get("start"), f"{workload} spec.ordinals.start", default=0)
        templates = [t.get("metadata", {}).get("name") for t in spec_root.get("volumeClaimTemplates") or []]
        revision = f"{name}-{suffix(json.dumps(spec_root.get('template'), sort_keys=True), 10)}"
        pods = []
        for ordinal in range(start, start + count):
            pod_name = f"{name}-{ordinal}"
            pod_labels = {
                **labels,
                "statefulset.kubernetes.io/pod-name": pod_name,
                "apps.kubernetes.io/pod-index": str(ordinal),
                "controller-revision-hash": revision,
            }
            seed = PodSeed(
                pod_name,
                namespace,
                workload,
                spec,
                pod_labels,
                dict(annotations),
                pod_name,
                str(spec_root.get("serviceName") or ""),
                False,
                f"{workload}#{ordinal}",
                1,
            )
            seed.claim_templates = {t: f"{t}-{pod_name}" for t in templates if t}
            pods.append(seed)
        return pods
    if kind == "Job":
        spec, labels, annotations = _template(doc, workload)
        return _job_pods(doc, name, namespace, workload, labels, annotations, spec)
    if kind == "JobSet":
        return _jobset_pods(doc, name, namespace)
    return []


def _jobset_pods(doc: Mapping[str, Any], name: str, namespace: str) -> list[PodSeed]:
    spec_root = doc.get("spec") or {}
    network = spec_root.get("network") or {}
    # JobSet creates a headless Service named after the subdomain (default: its own name)
    # so pods reach each other as <jobset>-<rjob>-<job index>-<pod index>.<subdomain>.
    subdomain = str(network.get("subdomain") or name) if network.get("enableDNSHostnames", True) else ""
    in_order = (spec_root.get("startupPolicy") or {}).get("startupPolicyOrder") == "InOrder"
    pods: list[PodSeed] = []
    previous: list[str] = []
    for rjob in spec_root.get("replicatedJobs") or []:
        rname = rjob.get("name")
        if not isinstance(rname, str) or not rname:
            raise RunLocalError(f"JobSet/{name}: a replicatedJobs entry has no name")
        template = rjob.get("template") or {}
        jmeta = template.get("metadata") or {}
        job = {"spec": template.get("spec") or {}}
        pod_template = (template.get("spec") or {}).get("template") or {}
        spec = pod_template.get("spec")
        if not isinstance(spec, dict):
            raise RunLocalError(f"JobSet/{name} replicatedJob {rname}: template.spec.template.spec is missing")
        pmeta = pod_template.get("metadata") or {}
        this_job: list[str] = []
        for j in range(_replicas(rjob.get("replicas"), f"JobSet/{name} replicatedJob {rname} replicas")):
            job_name = f"{name}-{rname}-{j}"
            labels = {
                **(jmeta.get("labels") or {}),
                **(pmeta.get("labels") or {}),
                "jobset.sigs.k8s.io/jobset-name": name,
                "jobset.sigs.k8s.io/replicatedjob-name": rname,
                "jobset.sigs.k8s.io/job-index": str(j),
            }
            annotations = {
                **(jmeta.get("annotations") or {}),
                **(pmeta.get("annotations") or {}),
                "jobset.sigs.k8s.io/jobset-name": name,
                "jobset.sigs.k8s.io/replicatedjob-name": rname,
                "jobset.sigs.k8s.io/job-index": str(j),
            }
            for seed in _job_pods(
                job, job_name, namespace, f"JobSet/{name}/{job_name}", labels, annotations, spec, subdomain=subdomain
            ):
                if in_order:
                    seed.after = tuple(previous)
                this_job.append(seed.name)
                pods.append(seed)
        previous = previous + this_job
    return pods
