"""Workloads expanded into the pods their controllers would create."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ._base import Doc, ManifestError, count, meta, string_map

MAIN_CONTAINER = "mxnet"
WORKLOAD_KINDS = ("Pod", "Deployment", "ReplicaSet", "DaemonSet", "StatefulSet", "Job", "JobSet")
PS_ROLES = ("scheduler", "server", "worker")
# The alphabet Kubernetes uses for generated name suffixes (no vowels, no look-alikes).
_NAME_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"


def name_suffix(seed: str, length: int) -> str:
    """A stable stand-in for the random suffix a controller appends to a generated name."""
    digest = hashlib.sha256(seed.encode()).digest()
    return "".join(_NAME_ALPHABET[b % len(_NAME_ALPHABET)] for b in digest[:length])


def main_container(pod_spec: Mapping[str, Any]) -> Mapping[str, Any]:
    """The container named ``mxnet``, else the first one with ``DMLC_ROLE``, else the first."""
    containers = [c for c in pod_spec.get("containers") or [] if isinstance(c, Mapping)]
    for c in containers:
        if c.get("name") == MAIN_CONTAINER:
            return c
    for c in containers:
        if "DMLC_ROLE" in env_of(c):
            return c
    return containers[0] if containers else {}


def template_env(pod_spec: Mapping[str, Any]) -> dict[str, str | None]:
    """The main container's env as written in a pod spec."""
    return env_of(main_container(pod_spec))


def ps_role(env: Mapping[str, str | None]) -> str | None:
    """``DMLC_ROLE`` when it is one of scheduler, server, worker."""
    role = env.get("DMLC_ROLE")
    return role if role in PS_ROLES else None


def env_of(container: Mapping[str, Any]) -> dict[str, str | None]:
    """A container's env: literal values, None for ``valueFrom`` (known only on the cluster)."""
    out: dict[str, str | None] = {}
    for e in container.get("env") or []:
        if isinstance(e, Mapping) and isinstance(e.get("name"), str):
            value = e.get("value")
            out[e["name"]] = None if "valueFrom" in e else ("" if value is None else str(value))
    return out


@dataclass(frozen=True)
class ContainerPort:
    """A declared container port (named ports are what Services and policies can refer to)."""

    container: str
    port: int
    name: str | None = None
    protocol: str = "TCP"


@dataclass(frozen=True)
class Pod:
    """One pod a workload runs, with the names, labels and env its controller gives it."""

    name: str
    namespace: str
    workload: str
    hostname: str
    subdomain: str
    labels: Mapping[str, str]
    annotations: Mapping[str, str]
    spec: Mapping[str, Any]
    index: int | None = None
    job: str | None = None
    job_index: int | None = None
    extra_env: Mapping[str, str] = field(default_factory=dict)
    claims: Mapping[str, str] = field(default_factory=dict)

    @property
    def containers(self) -> tuple[Mapping[str, Any], ...]:
        return tuple(c for c in self.spec.get("containers") or [] if isinstance(c, Mapping))

    @property
    def main_container(self) -> Mapping[str, Any]:
        """The container named ``mxnet``, else the first one with ``DMLC_ROLE``, else the first."""
        return main_container(self.spec)

    @property
    def env(self) -> dict[str, str | None]:
        """The main container's env, plus what the controller adds (``JOB_COMPLETION_INDEX``)."""
        return {**env_of(self.main_container), **self.extra_env}

    @property
    def role(self) -> str | None:
        """``DMLC_ROLE`` when it is one of scheduler, server, worker."""
        return ps_role(self.env)

    @property
    def restart_policy(self) -> str:
        return str(self.spec.get("restartPolicy") or "Always")

    @property
    def ports(self) -> tuple[ContainerPort, ...]:
        out: list[ContainerPort] = []
        for c in self.containers:
            for p in c.get("ports") or []:
                if isinstance(p, Mapping) and isinstance(p.get("containerPort"), int):
                    out.append(
                        ContainerPort(str(c.get("name")), p["containerPort"], p.get("name"), p.get("protocol") or "TCP")
                    )
        return tuple(out)

    def named_port(self, name: str, protocol: str | None = None) -> int | None:
        """The number of the container port called ``name`` (and ``protocol``, when given)."""
        for p in self.ports:
            if p.name == name and (protocol is None or p.protocol == protocol):
                return p.port
        return None

    def dns_names(self) -> list[str]:
        """Names that resolve to this pod: ``<hostname>.<subdomain>[.<ns>[.svc[.cluster.local]]]``."""
        if not self.subdomain:
            return []
        base = f"{self.hostname}.{self.subdomain}"
        return [
            base,
            f"{base}.{self.namespace}",
            f"{base}.{self.namespace}.svc",
            f"{base}.{self.namespace}.svc.cluster.local",
        ]


@dataclass(frozen=True)
class Workload:
    """A pod-producing object, or one replicated job of a JobSet (``part``)."""

    kind: str
    name: str
    namespace: str
    doc: Mapping[str, Any]
    template: Mapping[str, Any]
    pods: tuple[Pod, ...]
    concurrent: int
    part: str | None = None
    replicas: int = 1
    job_spec: Mapping[str, Any] | None = None
    claim_templates: tuple[str, ...] = ()

    @property
    def id(self) -> str:
        """``Kind/name`` or ``JobSet/name/replicated job``; also every pod's ``workload``."""
        return f"{self.kind}/{self.name}" + (f"/{self.part}" if self.part else "")

    @property
    def pod_spec(self) -> Mapping[str, Any]:
        spec: Mapping[str, Any] = self.template.get("spec") or {}
        return spec

    @property
    def labels(self) -> Mapping[str, str]:
        labels: Mapping[str, str] = (self.template.get("metadata") or {}).get("labels") or {}
        return labels

    @property
    def first(self) -> Pod | None:
        return self.pods[0] if self.pods else None

    @property
    def role(self) -> str | None:
        """The pods' ``DMLC_ROLE`` (every pod of a workload shares one template)."""
        return ps_role(template_env(self.pod_spec))

    @property
    def env(self) -> dict[str, str | None]:
        """The main container's env as written in the template."""
        return template_env(self.pod_spec)


def _template(spec_root: Mapping[str, Any], where: str) -> Mapping[str, Any]:
    template = spec_root.get("template")
    if not isinstance(template, Mapping) or not isinstance(template.get("spec"), Mapping):
        raise ManifestError(f"{where}: spec.template.spec is missing")
    return template


def _template_meta(template: Mapping[str, Any], where: str) -> tuple[dict[str, str], dict[str, str]]:
    md = template.get("metadata") or {}
    return string_map(md.get("labels"), f"{where} template labels"), string_map(
        md.get("annotations"), f"{where} template annotations"
    )


def _hash(value: object) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def _job_pods(
    job_spec: Mapping[str, Any],
    job_name: str,
    namespace: str,
    workload: str,
    seed: str,
    labels: Mapping[str, str],
    annotations: Mapping[str, str],
    *,
    jobset: bool,
    subdomain: str = "",
    job_index: int | None = None,
) -> tuple[list[Pod], int]:
    """The pods of one batch/v1 Job and how many of them run at once."""
    template = _template(job_spec, workload)
    spec = dict(template["spec"])
    if jobset and not spec.get("restartPolicy"):
        spec["restartPolicy"] = "OnFailure"  # the JobSet webhook's default
    parallelism = count(job_spec.get("parallelism"), f"{workload} spec.parallelism", 1)
    mode = job_spec.get("completionMode") or ("Indexed" if jobset else "NonIndexed")
    if mode not in ("Indexed", "NonIndexed"):
        raise ManifestError(f"{workload} spec.completionMode: {mode!r} is not Indexed or NonIndexed")
    indexed = mode == "Indexed"
    if indexed and job_spec.get("completions") is None:
        raise ManifestError(f"{workload}: an Indexed Job needs spec.completions (the API server refuses it without)")
    completions = count(job_spec.get("completions"), f"{workload} spec.completions", parallelism)
    uid = name_suffix(f"uid/{seed}", 8)
    base = {
        **labels,
        "job-name": job_name,
        "batch.kubernetes.io/job-name": job_name,
        "controller-uid": uid,
        "batch.kubernetes.io/controller-uid": uid,
    }
    pods: list[Pod] = []
    for i in range(completions):
        pod_labels, pod_annotations = dict(base), dict(annotations)
        extra: dict[str, str] = {}
        hostname = str(spec.get("hostname") or "")
        if indexed:
            name = f"{job_name}-{i}-{name_suffix(f'{seed}/{i}', 5)}"
            pod_labels["batch.kubernetes.io/job-completion-index"] = str(i)
            pod_annotations["batch.kubernetes.io/job-completion-index"] = str(i)
            extra["JOB_COMPLETION_INDEX"] = str(i)
            hostname = hostname or f"{job_name}-{i}"
        else:
            name = f"{job_name}-{name_suffix(f'{seed}/{i}', 5)}"
        pods.append(
            Pod(
                name,
                namespace,
                workload,
                hostname or name,
                subdomain or str(spec.get("subdomain") or ""),
                pod_labels,
                pod_annotations,
                spec,
                index=i if indexed else None,
                job=job_name,
                job_index=job_index,
                extra_env=extra,
            )
        )
    return pods, min(parallelism, completions)


def _simple_workload(doc: Doc, kind: str, name: str, namespace: str) -> Workload:
    """Deployment, ReplicaSet, DaemonSet and StatefulSet."""
    where = f"{kind}/{name}"
    spec_root = doc.get("spec") or {}
    template = _template(spec_root, where)
    labels, annotations = _template_meta(template, where)
    spec = template["spec"]
    replicas = 1 if kind == "DaemonSet" else count(spec_root.get("replicas"), f"{where} spec.replicas", 1)
    template_hash = name_suffix(_hash(spec_root.get("template")), 10)
    pods: list[Pod] = []
    claims: tuple[str, ...] = ()
    if kind == "StatefulSet":
        start = count((spec_root.get("ordinals") or {}).get("start"), f"{where} spec.ordinals.start", 0)
        claims = tuple(str((t.get("metadata") or {}).get("name")) for t in spec_root.get("volumeClaimTemplates") or [])
        for ordinal in range(start, start + replicas):
            pod_name = f"{name}-{ordinal}"
            pod_labels = {
                **labels,
                "statefulset.kubernetes.io/pod-name": pod_name,
                "apps.kubernetes.io/pod-index": str(ordinal),
                "controller-revision-hash": f"{name}-{template_hash}",
            }
            pods.append(
                Pod(
                    pod_name,
                    namespace,
                    where,
                    pod_name,
                    str(spec_root.get("serviceName") or ""),
                    pod_labels,
                    annotations,
                    spec,
                    index=ordinal,
                    claims={t: f"{t}-{pod_name}" for t in claims},
                )
            )
    else:
        for i in range(replicas):
            suffix = name_suffix(f"{where}/{i}", 5)
            if kind == "Deployment":
                pod_name, pod_labels = (
                    f"{name}-{template_hash}-{suffix}",
                    {**labels, "pod-template-hash": template_hash},
                )
            else:
                pod_name, pod_labels = f"{name}-{suffix}", dict(labels)
            pods.append(
                Pod(
                    pod_name,
                    namespace,
                    where,
                    str(spec.get("hostname") or pod_name),
                    str(spec.get("subdomain") or ""),
                    pod_labels,
                    annotations,
                    spec,
                )
            )
    return Workload(
        kind, name, namespace, doc, template, tuple(pods), replicas, replicas=replicas, claim_templates=claims
    )


def _jobset_workloads(doc: Doc, name: str, namespace: str) -> list[Workload]:
    spec_root = doc.get("spec") or {}
    network = spec_root.get("network") or {}
    dns = network.get("enableDNSHostnames", True) is not False
    subdomain = str(network.get("subdomain") or name) if dns else ""
    out: list[Workload] = []
    for i, rjob in enumerate(spec_root.get("replicatedJobs") or []):
        rname = rjob.get("name") if isinstance(rjob, Mapping) else None
        if not isinstance(rname, str) or not rname:
            raise ManifestError(f"JobSet/{name} spec.replicatedJobs[{i}]: name is missing")
        where = f"JobSet/{name}/{rname}"
        job_template = rjob.get("template") or {}
        job_spec = job_template.get("spec") or {}
        jmeta = job_template.get("metadata") or {}
        template = _template(job_spec, where)
        labels, annotations = _template_meta(template, where)
        replicas = count(rjob.get("replicas"), f"{where} replicas", 1)
        pods: list[Pod] = []
        concurrent = 0
        for j in range(replicas):
            job_name = f"{name}-{rname}-{j}"
            marks = {
                "jobset.sigs.k8s.io/jobset-name": name,
                "jobset.sigs.k8s.io/replicatedjob-name": rname,
                "jobset.sigs.k8s.io/job-index": str(j),
            }
            job_labels = {**string_map(jmeta.get("labels"), f"{where} labels"), **labels, **marks}
            job_annotations = {**string_map(jmeta.get("annotations"), f"{where} annotations"), **annotations, **marks}
            job_pods, running = _job_pods(
                job_spec,
                job_name,
                namespace,
                where,
                f"JobSet/{name}/{job_name}",
                job_labels,
                job_annotations,
                jobset=True,
                subdomain=subdomain,
                job_index=j,
            )
            pods += job_pods
            concurrent += running
        out.append(
            Workload(
                "JobSet",
                name,
                namespace,
                doc,
                template,
                tuple(pods),
                concurrent,
                part=rname,
                replicas=replicas,
                job_spec=job_spec,
            )
        )
    return out


def workloads_of(doc: Doc) -> list[Workload]:
    """The workloads one document describes (none for kinds that run no pods)."""
    kind = doc.get("kind")
    if kind not in WORKLOAD_KINDS:
        return []
    name, namespace = meta(doc)
    if kind == "Pod":
        md = doc.get("metadata") or {}
        spec = doc.get("spec")
        if not isinstance(spec, Mapping):
            raise ManifestError(f"Pod/{name}: spec is missing")
        labels = string_map(md.get("labels"), f"Pod/{name} metadata.labels")
        annotations = string_map(md.get("annotations"), f"Pod/{name} metadata.annotations")
        pod = Pod(
            name,
            namespace,
            f"Pod/{name}",
            str(spec.get("hostname") or name),
            str(spec.get("subdomain") or ""),
            labels,
            annotations,
            spec,
        )
        return [Workload("Pod", name, namespace, doc, {"metadata": {"labels": labels}, "spec": spec}, (pod,), 1)]
    if kind == "Job":
        spec_root = doc.get("spec") or {}
        template = _template(spec_root, f"Job/{name}")
        labels, annotations = _template_meta(template, f"Job/{name}")
        pods, concurrent = _job_pods(
            spec_root, name, namespace, f"Job/{name}", f"Job/{name}", labels, annotations, jobset=False
        )
        return [
            Workload("Job", name, namespace, doc, template, tuple(pods), concurrent, replicas=1, job_spec=spec_root)
        ]
    if kind == "JobSet":
        return _jobset_workloads(doc, name, namespace)
    return [_simple_workload(doc, str(kind), name, namespace)]
