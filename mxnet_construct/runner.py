"""``run-local``: run every pod of synthesized manifests as local processes.

Schema-valid YAML can still hang on a cluster (a wrong port, a missing ``DMLC_*``
variable, a scheduler that cannot bind). This module runs exactly what was synthesized,
so the wiring is proven before anything is pushed:

* workloads are expanded into pods as their controllers would (Deployment, ReplicaSet and
  StatefulSet replicas, batch/v1 Jobs with completions, parallelism and Indexed
  completion, jobset.x-k8s.io JobSets, bare Pods);
* every container gets the command, args, env (``fieldRef``, ``secretKeyRef``,
  ``configMapKeyRef``, ``envFrom``, ``$(VAR)`` expansion), ``workingDir`` and volumes of
  its manifest; init containers run first, in order;
* ConfigMap and Secret volumes become files, emptyDirs fresh directories, and they are
  mounted where the pod expects them;
* Service and pod names resolve to per-pod loopback addresses.

Nothing about the job is given to the runner a second time. Where a local process has to
differ from a real pod, the runner says so in its output (``notes``).

Isolation (``--isolation``):

``namespaces`` (needs root and util-linux ``unshare``/``nsenter``)
    All pods share one private network namespace holding only ``lo``. Each container gets
    private mount, PID and UTS namespaces and a root that mirrors the host's, with its
    volumes bind-mounted at their real paths (``/app``, ``/bitnami/mxnet``), an
    ``/etc/hosts`` naming every Service and pod, and the pod's hostname. Nothing is
    created or changed on the host outside a temporary directory.
``none``
    Plain processes in the host network. Absolute mount paths in ``workingDir``, command,
    args and env are rewritten into a temporary directory and Service/pod names into
    their loopback addresses; every rewrite is reported.
``auto`` (default)
    ``namespaces`` when possible, otherwise ``none``.

ps-lite never times out, so every wait is bounded: a run still going at ``timeout`` is
killed (each container's whole PID namespace, or process group) and reported as a failure
naming the pods that were still running.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import dataclasses
import hashlib
import json
import os
import posixpath
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import IO, Any, Literal, TypeAlias

Isolation: TypeAlias = Literal["auto", "namespaces", "none"]
ISOLATIONS: tuple[Isolation, ...] = ("auto", "namespaces", "none")
PodStatus: TypeAlias = Literal["Succeeded", "Failed", "Running", "Hung", "Stopped", "Pending"]

DEFAULT_TIMEOUT = 120.0
# Where, inside a namespaced container, the runner's own files appear. A path at the root
# of the container's private tmpfs, so no volume or host directory can shadow it.
INNER_DIR = "/.mxnet-construct"
BASE_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
# The alphabet Kubernetes uses for generated name suffixes (no vowels, no look-alikes).
_NAME_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"
_ENV_REF = re.compile(r"\$\$|\$\(([-._a-zA-Z][-._a-zA-Z0-9]*)\)")
_FINISHING_KINDS = ("Job", "JobSet")


class RunLocalError(ValueError):
    """The manifests cannot be run locally as given (the message says why and what to do)."""


# --------------------------------------------------------------------------------------
# The plan: pods, containers and volumes, resolved from the manifests alone.


@dataclasses.dataclass(frozen=True)
class Volume:
    """One pod volume as the runner materialises it.

    ``kind`` is ``files`` (ConfigMap or Secret, with ``files`` to write), ``emptyDir``,
    ``claim`` (a PVC: a directory shared by every pod naming the same ``claim``) or
    ``hostPath``.
    """

    name: str
    kind: Literal["files", "emptyDir", "claim", "hostPath"]
    files: Mapping[str, tuple[bytes, int | None]] = dataclasses.field(default_factory=dict)
    claim: str = ""
    host_path: str = ""
    memory: bool = False
    size: str | None = None
    read_only: bool = False


@dataclasses.dataclass(frozen=True)
class Mount:
    """A volumeMount: ``volume`` at absolute ``path`` (optionally only ``sub_path`` of it)."""

    volume: str
    path: str
    sub_path: str = ""
    read_only: bool = False


@dataclasses.dataclass(frozen=True)
class ContainerPlan:
    """One container: argv (command + args, ``$(VAR)`` expanded), env, working dir, mounts."""

    name: str
    argv: tuple[str, ...]
    env: Mapping[str, str]
    working_dir: str | None
    mounts: tuple[Mount, ...]
    init: bool = False


@dataclasses.dataclass(frozen=True)
class PodPlan:
    """One pod of the release, with everything its containers need."""

    name: str
    namespace: str
    workload: str
    hostname: str
    subdomain: str
    ip: str
    labels: Mapping[str, str]
    annotations: Mapping[str, str]
    init_containers: tuple[ContainerPlan, ...]
    containers: tuple[ContainerPlan, ...]
    volumes: Mapping[str, Volume]
    finishing: bool
    restart_policy: str
    group: str
    group_slots: int
    after: tuple[str, ...] = ()
    deadline_seconds: float | None = None

    @property
    def component(self) -> str:
        return self.labels.get("app.kubernetes.io/component", "")

    def dns_names(self) -> list[str]:
        """The names this pod answers to: its name, hostname and subdomain FQDNs."""
        names = [self.name, self.hostname]
        if self.subdomain:
            base = f"{self.hostname}.{self.subdomain}"
            names += [
                base,
                f"{base}.{self.namespace}",
                f"{base}.{self.namespace}.svc",
                f"{base}.{self.namespace}.svc.cluster.local",
            ]
        return list(dict.fromkeys(names))


@dataclasses.dataclass(frozen=True)
class ServiceName:
    """A DNS name resolved to one pod's address, for ``/etc/hosts``."""

    names: tuple[str, ...]
    ip: str


@dataclasses.dataclass(frozen=True)
class Plan:
    """Everything one run does: pods in start order, DNS, and what differs from a cluster."""

    pods: tuple[PodPlan, ...]
    services: tuple[ServiceName, ...]
    notes: tuple[str, ...]

    def hosts_file(self) -> str:
        """The ``/etc/hosts`` every pod sees: loopback, each pod, then each Service."""
        lines = ["127.0.0.1\tlocalhost", "::1\tlocalhost ip6-localhost ip6-loopback", "# pods"]
        lines += [f"{p.ip}\t{' '.join(p.dns_names())}" for p in self.pods]
        lines.append("# services")
        lines += [f"{s.ip}\t{' '.join(s.names)}" for s in self.services]
        return "\n".join(lines) + "\n"

    def addresses(self) -> dict[str, str]:
        """Every name in the hosts file mapped to its address (first entry wins, as in libc)."""
        out: dict[str, str] = {}
        for pod in self.pods:
            for name in pod.dns_names():
                out.setdefault(name, pod.ip)
        for svc in self.services:
            for name in svc.names:
                out.setdefault(name, svc.ip)
        return out


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


def _suffix(seed: str, length: int) -> str:
    digest = hashlib.sha256(seed.encode()).digest()
    return "".join(_NAME_ALPHABET[b % len(_NAME_ALPHABET)] for b in digest[:length])


def _loopback(index: int) -> str:
    # Every pod gets its own 127.x address (all of 127/8 is local on Linux), so a Service
    # resolves to the pod it selects, as on a cluster.
    return f"127.0.{1 + index // 250}.{1 + index % 250}"


@dataclasses.dataclass
class _PodSeed:
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


def _meta(doc: Mapping[str, Any]) -> tuple[str, str]:
    meta = doc.get("metadata") or {}
    name = meta.get("name")
    if not isinstance(name, str) or not name:
        raise RunLocalError(f"{doc.get('kind')}: metadata.name is missing")
    return name, str(meta.get("namespace") or "default")


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
) -> list[_PodSeed]:
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
    uid = _suffix(f"uid/{workload}", 8)
    base_labels = {
        **labels,
        "job-name": job_name,
        "batch.kubernetes.io/job-name": job_name,
        "controller-uid": uid,
        "batch.kubernetes.io/controller-uid": uid,
    }
    pods: list[_PodSeed] = []
    for i in range(completions):
        pod_labels = dict(base_labels)
        pod_annotations = dict(annotations)
        extra_env: dict[str, str] = {}
        hostname = str(spec.get("hostname") or "")
        if indexed:
            name = f"{job_name}-{i}-{_suffix(f'{workload}/{i}', 5)}"
            pod_labels["batch.kubernetes.io/job-completion-index"] = str(i)
            pod_annotations["batch.kubernetes.io/job-completion-index"] = str(i)
            extra_env["JOB_COMPLETION_INDEX"] = str(i)
            hostname = hostname or f"{job_name}-{i}"
        else:
            name = f"{job_name}-{_suffix(f'{workload}/{i}', 5)}"
        pods.append(
            _PodSeed(
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


def _workload_pods(doc: Mapping[str, Any]) -> list[_PodSeed]:
    kind = doc.get("kind")
    name, namespace = _meta(doc)
    workload = f"{kind}/{name}"
    spec_root = doc.get("spec") or {}
    if kind == "Pod":
        meta = doc.get("metadata") or {}
        spec = dict(spec_root)
        policy = spec.get("restartPolicy", "Always")
        return [
            _PodSeed(
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
        template_hash = _suffix(json.dumps(spec_root.get("template"), sort_keys=True), 10)
        pods = []
        for i in range(count):
            if kind == "Deployment":
                pod_name = f"{name}-{template_hash}-{_suffix(f'{workload}/{i}', 5)}"
                pod_labels = {**labels, "pod-template-hash": template_hash}
            else:
                pod_name = f"{name}-{_suffix(f'{workload}/{i}', 5)}"
                pod_labels = dict(labels)
            pods.append(
                _PodSeed(
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
        revision = f"{name}-{_suffix(json.dumps(spec_root.get('template'), sort_keys=True), 10)}"
        pods = []
        for ordinal in range(start, start + count):
            pod_name = f"{name}-{ordinal}"
            pod_labels = {
                **labels,
                "statefulset.kubernetes.io/pod-name": pod_name,
                "apps.kubernetes.io/pod-index": str(ordinal),
                "controller-revision-hash": revision,
            }
            seed = _PodSeed(
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


def _jobset_pods(doc: Mapping[str, Any], name: str, namespace: str) -> list[_PodSeed]:
    spec_root = doc.get("spec") or {}
    network = spec_root.get("network") or {}
    # JobSet creates a headless Service named after the subdomain (default: its own name)
    # so pods reach each other as <jobset>-<rjob>-<job index>-<pod index>.<subdomain>.
    subdomain = str(network.get("subdomain") or name) if network.get("enableDNSHostnames", True) else ""
    in_order = (spec_root.get("startupPolicy") or {}).get("startupPolicyOrder") == "InOrder"
    pods: list[_PodSeed] = []
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


class _EnvContext:
    """Looks up ConfigMaps and Secrets in the manifests, with clear errors when absent."""

    def __init__(self, docs: Sequence[Mapping[str, Any]]) -> None:
        self.config_maps: dict[tuple[str, str], dict[str, bytes]] = {}
        self.secrets: dict[tuple[str, str], dict[str, bytes]] = {}
        for doc in docs:
            if doc.get("kind") not in ("ConfigMap", "Secret"):
                continue
            name, namespace = _meta(doc)
            data: dict[str, bytes] = {}
            if doc["kind"] == "ConfigMap":
                data.update({k: str(v).encode() for k, v in (doc.get("data") or {}).items()})
                data.update({k: base64.b64decode(v) for k, v in (doc.get("binaryData") or {}).items()})
                self.config_maps[(namespace, name)] = data
            else:
                data.update({k: base64.b64decode(v) for k, v in (doc.get("data") or {}).items()})
                data.update({k: str(v).encode() for k, v in (doc.get("stringData") or {}).items()})
                self.secrets[(namespace, name)] = data

    def source(self, kind: str, namespace: str, name: str, where: str, *, optional: bool) -> dict[str, bytes] | None:
        table = self.config_maps if kind == "ConfigMap" else self.secrets
        found = table.get((namespace, name))
        if found is None and not optional:
            raise RunLocalError(
                f"{where}: {kind} {name!r} (namespace {namespace!r}) is not in the given manifests; "
                f"pass a file that defines it (e.g. a {kind} you would kubectl apply alongside)"
            )
        return found

    def key(self, kind: str, namespace: str, ref: Mapping[str, Any], where: str) -> str | None:
        optional = bool(ref.get("optional", False))
        data = self.source(kind, namespace, str(ref.get("name", "")), where, optional=optional)
        if data is None:
            return None
        key = str(ref.get("key", ""))
        if key not in data:
            if optional:
                return None
            raise RunLocalError(
                f"{where}: {kind} {ref.get('name')!r} has no key {key!r} (keys: {', '.join(sorted(data)) or 'none'})"
            )
        return data[key].decode(errors="replace")


def expand_refs(text: str, env: Mapping[str, str]) -> str:
    """Kubernetes ``$(VAR)`` expansion: known names are replaced, ``$$`` escapes, others stay."""

    def sub(m: re.Match[str]) -> str:
        if m.group(0) == "$$":
            return "$"
        return env.get(m.group(1), m.group(0))

    return _ENV_REF.sub(sub, text)


def _field_ref(seed: _PodSeed, ip: str, path: str, where: str) -> str:
    simple = {
        "metadata.name": seed.name,
        "metadata.namespace": seed.namespace,
        "metadata.uid": _suffix(f"pod-uid/{seed.name}", 8) + "-local",
        "spec.nodeName": "localhost",
        "spec.serviceAccountName": str(seed.spec.get("serviceAccountName") or "default"),
        "status.podIP": ip,
        "status.podIPs": ip,
        "status.hostIP": "127.0.0.1",
        "status.hostIPs": "127.0.0.1",
    }
    if path in simple:
        return simple[path]
    m = re.fullmatch(r"metadata\.(labels|annotations)\['([^']*)'\]", path)
    if m:
        table = seed.labels if m.group(1) == "labels" else seed.annotations
        return table.get(m.group(2), "")
    raise RunLocalError(
        f"{where}: fieldRef {path!r} is not supported by the local runner (supported: {', '.join(sorted(simple))}, metadata.labels['k'], metadata.annotations['k'])"
    )


def _container_env(
    seed: _PodSeed, ip: str, container: Mapping[str, Any], ctx: _EnvContext, where: str
) -> dict[str, str]:
    env: dict[str, str] = {}
    for source in container.get("envFrom") or []:
        prefix = str(source.get("prefix") or "")
        for kind, key in (("ConfigMap", "configMapRef"), ("Secret", "secretRef")):
            ref = source.get(key)
            if ref is None:
                continue
            data = ctx.source(
                kind,
                seed.namespace,
                str(ref.get("name", "")),
                f"{where} envFrom",
                optional=bool(ref.get("optional", False)),
            )
            for k, v in (data or {}).items():
                env[prefix + k] = v.decode(errors="replace")
    env.update(seed.extra_env)
    for var in container.get("env") or []:
        name = var.get("name")
        if not isinstance(name, str) or not name:
            raise RunLocalError(f"{where}: an env entry has no name")
        var_where = f"{where} env {name}"
        if "valueFrom" in var:
            source = var["valueFrom"] or {}
            value: str | None
            if "fieldRef" in source:
                value = _field_ref(seed, ip, str(source["fieldRef"].get("fieldPath", "")), var_where)
            elif "secretKeyRef" in source:
                value = ctx.key("Secret", seed.namespace, source["secretKeyRef"], var_where)
            elif "configMapKeyRef" in source:
                value = ctx.key("ConfigMap", seed.namespace, source["configMapKeyRef"], var_where)
            else:
                raise RunLocalError(
                    f"{var_where}: valueFrom {sorted(source)} is not supported by the local runner (fieldRef, secretKeyRef and configMapKeyRef are)"
                )
            if value is None:
                continue
            env[name] = value
        else:
            env[name] = expand_refs(str(var.get("value", "")), env)
    return env


def _volumes(seed: _PodSeed, ctx: _EnvContext) -> dict[str, Volume]:
    out: dict[str, Volume] = {}
    for vol in seed.spec.get("volumes") or []:
        name = str(vol.get("name"))
        where = f"pod {seed.name} volume {name!r}"
        if "configMap" in vol or "secret" in vol:
            is_cm = "configMap" in vol
            src = vol["configMap" if is_cm else "secret"] or {}
            ref = str(src.get("name" if is_cm else "secretName", ""))
            data = (
                ctx.source(
                    "ConfigMap" if is_cm else "Secret",
                    seed.namespace,
                    ref,
                    where,
                    optional=bool(src.get("optional", False)),
                )
                or {}
            )
            default_mode = src.get("defaultMode")
            files: dict[str, tuple[bytes, int | None]] = {}
            items = src.get("items")
            if items:
                for item in items:
                    key = item.get("key")
                    if key not in data:
                        raise RunLocalError(f"{where}: key {key!r} is not in {ref!r}")
                    files[str(item.get("path") or key)] = (data[key], item.get("mode", default_mode))
            else:
                files = {k: (v, default_mode) for k, v in data.items()}
            out[name] = Volume(name, "files", files=files, read_only=True)
        elif "emptyDir" in vol:
            ed = vol["emptyDir"] or {}
            size = ed.get("sizeLimit")
            out[name] = Volume(
                name, "emptyDir", memory=ed.get("medium") == "Memory", size=str(size) if size is not None else None
            )
        elif "persistentVolumeClaim" in vol:
            claim = str((vol["persistentVolumeClaim"] or {}).get("claimName", ""))
            out[name] = Volume(
                name, "claim", claim=claim, read_only=bool((vol["persistentVolumeClaim"] or {}).get("readOnly", False))
            )
        elif "hostPath" in vol:
            out[name] = Volume(name, "hostPath", host_path=str((vol["hostPath"] or {}).get("path", "")))
        else:
            kinds = sorted(k for k in vol if k != "name")
            raise RunLocalError(
                f"{where}: volume type {kinds} is not supported by the local runner (configMap, secret, emptyDir, persistentVolumeClaim and hostPath are)"
            )
    for template, claim in seed.claim_templates.items():
        out.setdefault(template, Volume(template, "claim", claim=claim))
    return out


def _container(
    seed: _PodSeed, ip: str, spec: Mapping[str, Any], ctx: _EnvContext, volumes: Mapping[str, Volume], *, init: bool
) -> ContainerPlan:
    cname = str(spec.get("name"))
    where = f"pod {seed.name} container {cname!r}"
    command = [str(x) for x in spec.get("command") or []]
    args = [str(x) for x in spec.get("args") or []]
    if not command:
        raise RunLocalError(
            f"{where}: no command; the image's entrypoint is unknown to the local runner, so give the container a command"
        )
    env = _container_env(seed, ip, spec, ctx, where)
    argv = tuple(expand_refs(x, env) for x in command + args)
    mounts = []
    for m in spec.get("volumeMounts") or []:
        vname = str(m.get("name"))
        if vname not in volumes:
            raise RunLocalError(
                f"{where}: volumeMount {vname!r} names no volume of the pod (volumes: {', '.join(sorted(volumes)) or 'none'})"
            )
        path = str(m.get("mountPath", ""))
        if not path.startswith("/"):
            raise RunLocalError(f"{where}: mountPath {path!r} is not absolute")
        sub = str(m.get("subPath") or "") or expand_refs(str(m.get("subPathExpr") or ""), env)
        mounts.append(
            Mount(vname, posixpath.normpath(path), sub, bool(m.get("readOnly", False)) or volumes[vname].read_only)
        )
    wd = spec.get("workingDir")
    return ContainerPlan(cname, argv, env, posixpath.normpath(str(wd)) if wd else None, tuple(mounts), init)


def _dmlc_warnings(pods: Sequence[PodPlan]) -> list[str]:
    """Counts every ps-lite node expects that disagree with the pods there are."""
    nodes = [c.env for p in pods for c in p.containers if "DMLC_ROLE" in c.env]
    have = {role: sum(1 for env in nodes if env["DMLC_ROLE"] == role) for role in ("scheduler", "server", "worker")}
    out: list[str] = []
    for var, role in (("DMLC_NUM_WORKER", "worker"), ("DMLC_NUM_SERVER", "server")):
        for expected in sorted({env[var] for env in nodes if var in env}):
            if expected != str(have[role]):
                out.append(
                    f"WARNING: containers expect {var}={expected} but {have[role]} have DMLC_ROLE={role}: ps-lite will wait forever for the missing ones"
                )
    if nodes and have["scheduler"] != 1:
        out.append(f"WARNING: {have['scheduler']} containers have DMLC_ROLE=scheduler; a ps-lite job needs exactly one")
    return out


def _selects(selector: Mapping[str, str], pod: PodPlan) -> bool:
    return bool(selector) and all(pod.labels.get(k) == v for k, v in selector.items())


def _service_names(name: str, namespace: str) -> tuple[str, ...]:
    return (name, f"{name}.{namespace}", f"{name}.{namespace}.svc", f"{name}.{namespace}.svc.cluster.local")


def plan(docs: Sequence[Mapping[str, Any]], *, skip_init: Sequence[str] = ()) -> Plan:
    """Expand the manifests into pods, resolve every container and every DNS name.

    Args:
        docs: Kubernetes objects as loaded from YAML.
        skip_init: Names of init containers not to run (each skip becomes a note).

    Raises:
        RunLocalError: something in the manifests cannot be run locally; the message
            names the pod, container and field.
    """
    seeds: list[_PodSeed] = []
    for doc in docs:
        seeds += _workload_pods(doc)
    if not seeds:
        kinds = sorted({str(d.get("kind")) for d in docs})
        raise RunLocalError(
            f"no pods to run: the manifests hold {', '.join(kinds) or 'nothing'} but no Pod, Deployment, ReplicaSet, StatefulSet, DaemonSet, Job or JobSet"
        )
    ctx = _EnvContext(docs)
    notes: list[str] = []
    skip = set(skip_init)
    skipped: set[str] = set()
    pods: list[PodPlan] = []
    for i, seed in enumerate(seeds):
        ip = _loopback(i)
        volumes = _volumes(seed, ctx)
        inits = []
        for spec in seed.spec.get("initContainers") or []:
            if spec.get("name") in skip:
                skipped.add(str(spec.get("name")))
                continue
            if spec.get("restartPolicy") == "Always":
                raise RunLocalError(
                    f"pod {seed.name} init container {spec.get('name')!r}: native sidecars (restartPolicy: Always) are not supported by the local runner"
                )
            inits.append(_container(seed, ip, spec, ctx, volumes, init=True))
        mains = tuple(
            _container(seed, ip, spec, ctx, volumes, init=False) for spec in seed.spec.get("containers") or []
        )
        if not mains:
            raise RunLocalError(f"pod {seed.name}: spec.containers is empty")
        pods.append(
            PodPlan(
                name=seed.name,
                namespace=seed.namespace,
                workload=seed.workload,
                hostname=seed.hostname,
                subdomain=seed.subdomain,
                ip=ip,
                labels=seed.labels,
                annotations=seed.annotations,
                init_containers=tuple(inits),
                containers=mains,
                volumes=volumes,
                finishing=seed.finishing,
                restart_policy=str(seed.spec.get("restartPolicy") or ("Never" if seed.finishing else "Always")),
                group=seed.group,
                group_slots=seed.group_slots,
                after=seed.after,
                deadline_seconds=seed.deadline_seconds,
            )
        )
    for name in sorted(skip - skipped):
        raise RunLocalError(f"--skip-init {name!r}: no pod has an init container of that name")
    if skipped:
        notes.append(
            f"init containers skipped as asked: {', '.join(sorted(skipped))} (their volumes stay as the pod declares them, e.g. an empty emptyDir)"
        )
    services: list[ServiceName] = []
    for doc in docs:
        if doc.get("kind") != "Service":
            continue
        name, namespace = _meta(doc)
        spec = doc.get("spec") or {}
        selector = spec.get("selector") or {}
        targets = [p for p in pods if p.namespace == namespace and _selects(selector, p)]
        if not selector:
            notes.append(f"Service {name} has no selector, so its name does not resolve locally")
            continue
        if not targets:
            notes.append(
                f"Service {name} selects no pod of these manifests (selector {selector}): its name does not resolve, as on a cluster with no endpoints"
            )
            continue
        for port in spec.get("ports") or []:
            target = port.get("targetPort", port.get("port"))
            if target != port.get("port"):
                notes.append(
                    f"Service {name} maps port {port.get('port')} to targetPort {target}; locally the name resolves to the pod itself, so clients must dial {target}"
                )
        services += [ServiceName(_service_names(name, namespace), p.ip) for p in targets]
    notes += _dmlc_warnings(pods)
    for pod in pods:
        # The headless Service a JobSet creates for its pods is not in the manifests.
        if pod.workload.startswith("JobSet/") and pod.subdomain:
            services.append(ServiceName(_service_names(pod.subdomain, pod.namespace), pod.ip))
    return Plan(tuple(pods), tuple(services), tuple(notes))


# --------------------------------------------------------------------------------------
# Running


@dataclasses.dataclass
class ContainerResult:
    """What one container did: exit code (None if it never ended) and its output lines."""

    name: str
    init: bool
    exit_code: int | None = None
    lines: list[str] = dataclasses.field(default_factory=list)
    started: bool = False


@dataclasses.dataclass
class PodResult:
    """The outcome of one pod.

    ``status`` is ``Succeeded`` (every container exited 0), ``Failed`` (one exited
    non-zero or could not start), ``Hung`` (still running at the timeout, killed),
    ``Running`` (a long-running pod still up at the end while ``allow_running`` is set),
    ``Stopped`` (killed because another pod failed) or ``Pending`` (never started).
    """

    name: str
    workload: str
    component: str
    ip: str
    status: PodStatus = "Pending"
    exit_code: int | None = None
    seconds: float = 0.0
    containers: dict[str, ContainerResult] = dataclasses.field(default_factory=dict)
    reason: str = ""

    @property
    def log(self) -> str:
        """Output of the pod's first (main) container."""
        main = next((c for c in self.containers.values() if not c.init), None)
        return "\n".join(main.lines) if main else ""


@dataclasses.dataclass
class RunResult:
    """The outcome of a run: ``ok`` only if every pod that must finish exited 0."""

    ok: bool
    reason: str
    pods: list[PodResult]
    notes: list[str]
    isolation: Literal["namespaces", "none"]
    seconds: float

    @property
    def exit_code(self) -> int:
        return 0 if self.ok else 1

    def pod(self, name: str) -> PodResult:
        for p in self.pods:
            if p.name == name:
                return p
        raise KeyError(f"no pod {name!r}; pods: {', '.join(p.name for p in self.pods)}")

    def by_component(self, component: str) -> list[PodResult]:
        return [p for p in self.pods if p.component == component]

    def summary(self) -> str:
        """The summary table printed at the end of a run."""
        rows = [("POD", "WORKLOAD", "IP", "STATUS", "EXIT", "TIME", "DETAIL")]
        for p in self.pods:
            rows.append(
                (
                    p.name,
                    p.workload,
                    p.ip,
                    p.status,
                    "" if p.exit_code is None else str(p.exit_code),
                    f"{p.seconds:.1f}s",
                    p.reason,
                )
            )
        widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]) - 1)]
        lines = [
            "  ".join(cell.ljust(w) for cell, w in zip(r[:-1], widths, strict=True)) + ("  " + r[-1] if r[-1] else "")
            for r in rows
        ]
        verdict = "OK" if self.ok else "FAILED"
        lines.append(f"{verdict}: {self.reason} ({self.seconds:.1f}s, isolation: {self.isolation})")
        return "\n".join(line.rstrip() for line in lines)


def default_python() -> str:
    """The interpreter ``python3`` maps to: the project's ``.mxnet-venv`` if it exists."""
    for root in (Path.cwd(), Path(__file__).resolve().parent.parent):
        candidate = root / ".mxnet-venv" / "bin" / "python"
        if candidate.exists():
            return str(candidate)
    return shutil.which("python3") or "python3"


def namespaces_available() -> tuple[bool, str]:
    """Whether this process can create the namespaces ``--isolation namespaces`` needs."""
    if sys.platform != "linux":
        return False, f"namespaces need Linux, this is {sys.platform}"
    if os.geteuid() != 0:
        return False, "namespaces need root (mount, network and PID namespaces; bind mounts)"
    missing = [
        tool for tool in ("unshare", "nsenter", "ip", "timeout", "chroot", "mount") if shutil.which(tool) is None
    ]
    if missing:
        return False, f"missing tools: {', '.join(missing)} (util-linux, iproute2, coreutils)"
    probe = subprocess.run(
        ["unshare", "-m", "-n", "-u", "-p", "-f", "--kill-child", "true"], capture_output=True, text=True, timeout=10
    )
    if probe.returncode != 0:
        return False, f"`unshare -m -n -u -p -f` failed: {probe.stderr.strip() or probe.returncode}"
    return True, ""


def _tmpfs_size(size: str | None) -> str:
    if not size:
        return ""
    m = re.fullmatch(r"(\d+)(Ki|Mi|Gi|Ti|k|M|G|T)?", size)
    if not m:
        return ""
    unit = {"Ki": "k", "Mi": "m", "Gi": "g", "Ti": "t", "k": "k", "M": "m", "G": "g", "T": "t"}.get(
        m.group(2) or "", ""
    )
    return f",size={m.group(1)}{unit}"


class _Workspace:
    """The run's temporary directory: volumes, hosts file, interpreter shims, scripts."""

    def __init__(self, the_plan: Plan, python: str, keep: bool) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="mxnet-run-local-"))
        self.keep = keep
        self.plan = the_plan
        self.bin = self.root / "bin"
        self.bin.mkdir()
        for name in ("python3", "python"):
            shim = self.bin / name
            shim.write_text(f'#!/bin/sh\nexec {shlex.quote(python)} "$@"\n')
            shim.chmod(0o755)
        self.hosts = self.root / "hosts"
        self.hosts.write_text(the_plan.hosts_file())
        self.claims = self.root / "claims"
        self.claims.mkdir()

    def pod_dir(self, pod: PodPlan) -> Path:
        return self.root / "pods" / pod.name

    def volume_dir(self, pod: PodPlan, volume: Volume) -> Path:
        if volume.kind == "claim":
            return self.claims / volume.claim
        if volume.kind == "hostPath":
            return Path(volume.host_path)
        return self.pod_dir(pod) / "volumes" / volume.name

    def materialise(self, pod: PodPlan) -> None:
        pd = self.pod_dir(pod)
        (pd / "home").mkdir(parents=True, exist_ok=True)
        for volume in pod.volumes.values():
            if volume.kind == "hostPath":
                continue
            target = self.volume_dir(pod, volume)
            target.mkdir(parents=True, exist_ok=True)
            for rel, (data, mode) in volume.files.items():
                path = target / rel
                if not path.resolve().is_relative_to(target.resolve()):
                    raise RunLocalError(f"pod {pod.name} volume {volume.name!r}: item path {rel!r} leaves the volume")
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(data)
                path.chmod(mode if isinstance(mode, int) else 0o644)

    def cleanup(self) -> None:
        if not self.keep:
            shutil.rmtree(self.root, ignore_errors=True)


def _host_resolve(path: str) -> str:
    """``path`` with the symlinks of its existing prefix resolved on the host."""
    parts = [p for p in path.split("/") if p]
    for i in range(len(parts), -1, -1):
        prefix = "/" + "/".join(parts[:i])
        if os.path.lexists(prefix):
            return posixpath.normpath(posixpath.join(os.path.realpath(prefix), *parts[i:]))
    return path


def _dirs_to_mirror(targets: Iterable[str]) -> list[str]:
    """Host directories that must be mirrored into a tmpfs so a missing mount point can be
    created inside the container's root without creating it on the host."""
    mirror: set[str] = set()
    for target in targets:
        parts = [p for p in target.split("/") if p]
        for i in range(len(parts)):
            parent = "/" + "/".join(parts[:i])
            child = "/" + "/".join(parts[: i + 1])
            if not os.path.isdir(parent):
                break
            if not os.path.lexists(child):
                if parent != "/":
                    mirror.add(parent)
                break
    return sorted(mirror, key=lambda d: (d.count("/"), d))


_SETUP_FUNCTIONS = r"""set -eu
R="$1"; shift
mirror() {  # mirror HOSTDIR: a tmpfs at $R/HOSTDIR holding binds of HOSTDIR's entries
  src="$1"; dst="$R$1"
  mount -t tmpfs -o mode=755 mxnet-local "$dst"
  for e in "$src"/* "$src"/.[!.]* "$src"/..?*; do
    [ -e "$e" ] || [ -L "$e" ] || continue
    n="$dst/${e##*/}"
    if [ "$e" = /proc ]; then mkdir "$n"; mount -t proc proc "$n"
    elif [ -L "$e" ]; then cp -P "$e" "$n"
    elif [ -d "$e" ]; then mkdir "$n"; mount --rbind "$e" "$n"
    else : > "$n"; mount --bind "$e" "$n"
    fi
  done
}
bindto() {  # bindto SRC TARGET RO
  if [ -d "$1" ]; then mkdir -p "$R$2"; else mkdir -p "$(dirname "$R$2")"; [ -e "$R$2" ] || : > "$R$2"; fi
  mount --bind "$1" "$R$2"
  if [ "$3" = ro ]; then mount -o remount,bind,ro "$R$2"; fi
}
"""


class _Launcher:
    """Builds the argv that starts one container in the chosen isolation."""

    def __init__(self, isolation: Literal["namespaces", "none"], ws: _Workspace, timeout: float) -> None:
        self.isolation = isolation
        self.ws = ws
        self.hard_limit = int(timeout) + 30
        self.netns_holder: subprocess.Popen[str] | None = None
        self.netns_pid = 0
        self.rewrites = 0

    def start_network(self) -> None:
        if self.isolation != "namespaces":
            return
        # One network namespace for the whole run, holding only lo: pods reach each other
        # on loopback and nothing else. `timeout` bounds the holder even if we are killed.
        self.netns_holder = subprocess.Popen(
            [
                "timeout",
                "-s",
                "KILL",
                str(self.hard_limit),
                "unshare",
                "-n",
                "--",
                "sh",
                "-c",
                "ip link set lo up && echo $$ && exec sleep infinity",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        assert self.netns_holder.stdout is not None
        line = self.netns_holder.stdout.readline().strip()
        if not line.isdigit():
            err = self.netns_holder.stderr.read() if self.netns_holder.stderr else ""
            raise RunLocalError(f"could not create the run's network namespace: {err.strip() or 'no pid reported'}")
        self.netns_pid = int(line)

    def stop_network(self) -> None:
        if self.netns_holder is not None and self.netns_holder.poll() is None:
            _kill_group(self.netns_holder)
            self.netns_holder.wait(timeout=10)

    def env(self, pod: PodPlan, container: ContainerPlan) -> dict[str, str]:
        home = f"{INNER_DIR}/home" if self.isolation == "namespaces" else str(self.ws.pod_dir(pod) / "home")
        shims = f"{INNER_DIR}/bin" if self.isolation == "namespaces" else str(self.ws.bin)
        env = {"PATH": BASE_PATH, "HOME": home, "HOSTNAME": pod.hostname, "PYTHONUNBUFFERED": "1"}
        env.update(container.env)
        env["PATH"] = f"{shims}:{env['PATH']}"
        if "DMLC_ROLE" in container.env:
            env["DMLC_INTERFACE"] = "lo"
        if self.isolation == "none":
            env.update({k: self._rewrite(pod, v) for k, v in container.env.items()})
        return env

    def _rewrite(self, pod: PodPlan, value: str) -> str:
        """``none`` isolation: mount paths into the pod's directory, DNS names into IPs."""
        out = value
        for mount in sorted(
            {m.path for c in (*pod.init_containers, *pod.containers) for m in c.mounts}, key=len, reverse=True
        ):
            fake = str(self.ws.pod_dir(pod) / "fs") + mount
            # A function replacement, so backslashes in the path are not read as escapes.
            out = re.sub(rf"(?<![\w/.-]){re.escape(mount)}(?=/|$|[\s:;,'\"])", _literal(fake), out)
        # Service names and pod FQDNs only: a bare pod name is as often an identity
        # (POD_NAME) as an address, and an identity must stay as it is.
        addresses = {
            n: ip
            for n, ip in self.ws.plan.addresses().items()
            if "." in n or any(n in s.names for s in self.ws.plan.services)
        }
        for name in sorted(addresses, key=len, reverse=True):
            out = re.sub(rf"(?<![\w.-]){re.escape(name)}(?![\w.-])", addresses[name], out)
        if out != value:
            self.rewrites += 1
        return out

    def argv(self, pod: PodPlan, container: ContainerPlan) -> tuple[list[str], str | None]:
        """The command line and (for ``none``) the working directory of one container."""
        if self.isolation == "none":
            fs = self.ws.pod_dir(pod) / "fs"
            for mount in container.mounts:
                link = Path(str(fs) + mount.path)
                link.parent.mkdir(parents=True, exist_ok=True)
                if not link.is_symlink():
                    source = (
                        self.ws.volume_dir(pod, pod.volumes[mount.volume]) / mount.sub_path
                        if mount.sub_path
                        else self.ws.volume_dir(pod, pod.volumes[mount.volume])
                    )
                    if mount.sub_path and not source.exists():
                        source.mkdir(parents=True)
                    link.symlink_to(source)
            cwd = None
            if container.working_dir:
                cwd_path = Path(str(fs) + container.working_dir)
                cwd_path.mkdir(parents=True, exist_ok=True)
                cwd = str(cwd_path)
            argv = [self._rewrite(pod, a) for a in container.argv]
            return ["timeout", "-s", "KILL", str(self.hard_limit), *argv], cwd
        script = self._setup_script(pod, container)
        path = self.ws.pod_dir(pod) / f"start-{'init-' if container.init else ''}{container.name}.sh"
        path.write_text(script)
        root = self.ws.pod_dir(pod) / f"root-{container.name}"
        root.mkdir(exist_ok=True)
        return [
            "timeout", "-s", "KILL", str(self.hard_limit),
            "nsenter", f"--net=/proc/{self.netns_pid}/ns/net", "--",
            "unshare", "-m", "-u", "-p", "-f", "--kill-child", "--propagation", "private", "--",
            "sh", str(path), str(root), *container.argv,
        ], None  # fmt: skip

    def _setup_script(self, pod: PodPlan, container: ContainerPlan) -> str:
        targets = [_host_resolve(m.path) for m in container.mounts]
        workdir = _host_resolve(container.working_dir) if container.working_dir else None
        lines = [_SETUP_FUNCTIONS, "mirror /"]
        lines += [f"mirror {shlex.quote(d)}" for d in _dirs_to_mirror([*targets, *([workdir] if workdir else [])])]
        pd = self.ws.pod_dir(pod)
        lines.append(f'mkdir -p "$R{INNER_DIR}/bin" "$R{INNER_DIR}/home"')
        lines.append(f"bindto {shlex.quote(str(self.ws.bin))} {INNER_DIR}/bin ro")
        lines.append(f"bindto {shlex.quote(str(pd / 'home'))} {INNER_DIR}/home rw")
        for mount, target in sorted(zip(container.mounts, targets, strict=True), key=lambda mt: mt[1].count("/")):
            volume = pod.volumes[mount.volume]
            source = self.ws.volume_dir(pod, volume)
            mode = "ro" if mount.read_only else "rw"
            if volume.kind == "emptyDir" and volume.memory and not mount.sub_path:
                lines.append(
                    f'mkdir -p "$R"{shlex.quote(target)} && mount -t tmpfs -o mode=1777{_tmpfs_size(volume.size)} {shlex.quote(volume.name)} "$R"{shlex.quote(target)}'
                )
                continue
            if mount.sub_path:
                sub = source / mount.sub_path
                if not sub.exists():
                    sub.mkdir(parents=True)
                source = sub
            lines.append(f"bindto {shlex.quote(str(source))} {shlex.quote(target)} {mode}")
        lines.append(f'mount --bind {shlex.quote(str(self.ws.hosts))} "$R/etc/hosts"')
        lines.append(f"printf %s {shlex.quote(pod.hostname[:64])} > /proc/sys/kernel/hostname")
        if workdir:
            lines.append(f'mkdir -p "$R"{shlex.quote(workdir)}')
        cd = shlex.quote(workdir or "/")
        lines.append(f'exec chroot "$R" /bin/sh -c \'cd {cd} && exec "$@"\' {shlex.quote(container.name)} "$@"')
        return "\n".join(lines) + "\n"


def _literal(text: str) -> Callable[[re.Match[str]], str]:
    return lambda _m: text


def _kill_group(proc: subprocess.Popen[Any]) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)


class _Output:
    """Prefixes each line with its pod (and container) and writes it atomically."""

    def __init__(self, stream: IO[str] | None, width: int) -> None:
        self.stream = stream
        self.width = width
        self.lock = threading.Lock()

    def line(self, prefix: str, text: str) -> None:
        if self.stream is None:
            return
        with self.lock:
            self.stream.write(f"{prefix.ljust(self.width)} | {text}\n")
            self.stream.flush()

    def note(self, text: str) -> None:
        if self.stream is None:
            return
        with self.lock:
            self.stream.write(f"run-local: {text}\n")
            self.stream.flush()


@dataclasses.dataclass
class _Running:
    pod: PodPlan
    result: PodResult
    pending: list[ContainerPlan]
    procs: dict[str, subprocess.Popen[bytes]] = dataclasses.field(default_factory=dict)
    readers: list[threading.Thread] = dataclasses.field(default_factory=list)
    started_at: float = 0.0
    phase: Literal["pending", "init", "main", "done"] = "pending"


def _reader(proc: subprocess.Popen[bytes], sink: ContainerResult, prefix: str, out: _Output) -> None:
    assert proc.stdout is not None
    with proc.stdout:
        for raw in proc.stdout:
            text = raw.decode(errors="replace").rstrip("\n")
            sink.lines.append(text)
            out.line(prefix, text)


def run_local(
    paths: Sequence[str | os.PathLike[str]] = (),
    *,
    documents: Sequence[Mapping[str, Any]] | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    python: str | None = None,
    skip_init: Sequence[str] = (),
    allow_running: bool = False,
    isolation: Isolation = "auto",
    out: IO[str] | None = None,
    keep_dir: bool = False,
) -> RunResult:
    """Run every pod of the manifests in ``paths`` (or ``documents``) as local processes.

    Args:
        paths: Synthesized manifest files (``dist/*.k8s.yaml``).
        documents: Already-loaded objects, instead of (or in addition to) ``paths``.
        timeout: Seconds the whole run may take. Pods still running then are killed and
            the run fails naming them (ps-lite itself never times out).
        python: Interpreter that ``python3`` and ``python`` run in the pods; default
            :func:`default_python` (the project's ``.mxnet-venv`` when present).
        skip_init: Init containers (by name) not to run, e.g. ``git-clone-repository``,
            which cannot clone without a network.
        allow_running: Pods of long-running workloads (Deployment, StatefulSet, ...)
            still running when the wait ends count as ``Running`` rather than a failure.
            The wait then ends once every Job/JobSet pod has finished, or at ``timeout``.
        isolation: ``namespaces``, ``none`` or ``auto`` (see the module docs).
        out: Where pod output (prefixed with the pod name), notes and the summary go;
            None prints nothing (the result still holds every line).
        keep_dir: Keep the run's temporary directory (volumes, hosts file, scripts).

    Returns:
        A :class:`RunResult`; ``ok`` is true only if every pod that has to finish exited 0.

    Raises:
        RunLocalError: the manifests cannot be run locally (before anything started).
    """
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout <= 0:
        raise RunLocalError(f"timeout: {timeout!r} is not valid; give a number of seconds > 0")
    if isolation not in ISOLATIONS:
        raise RunLocalError(f"isolation: {isolation!r} is not valid; use one of {', '.join(ISOLATIONS)}")
    docs = load_manifests(paths) + [dict(d) for d in documents or ()]
    the_plan = plan(docs, skip_init=skip_init)
    interpreter = python or default_python()
    if shutil.which(interpreter) is None and not Path(interpreter).is_file():
        raise RunLocalError(
            f"python: {interpreter!r} is not an executable; create the MXNet venv with `make mxnet-venv` or pass --python"
        )
    chosen: Literal["namespaces", "none"]
    notes = list(the_plan.notes)
    if isolation == "none":
        chosen = "none"
    else:
        can, why = namespaces_available()
        if can:
            chosen = "namespaces"
        elif isolation == "namespaces":
            raise RunLocalError(
                f"isolation 'namespaces' is not available: {why}; use --isolation none to run plain processes"
            )
        else:
            chosen = "none"
            notes.append(
                f"no private namespaces ({why}): running plain processes in the host network with rewritten paths and names"
            )
    if chosen == "namespaces":
        for pod in the_plan.pods:
            for c in pod.init_containers:
                if _is_git_clone(c.argv):
                    raise RunLocalError(
                        f"pod {pod.name} init container {c.name!r} runs `{' '.join(c.argv)}`, but pods have no network in a local run; "
                        f"skip it with --skip-init {c.name} (its volume then stays empty) or ship the code in the manifests (LocalFiles or an existing ConfigMap)"
                    )
    notes += _differences(the_plan, interpreter, chosen)
    ws = _Workspace(the_plan, interpreter, keep_dir)
    width = max(
        len(p.name) + max((len(c.name) + 1 for c in (*p.init_containers, *p.containers[1:])), default=0)
        for p in the_plan.pods
    )
    output = _Output(out, width)
    launcher = _Launcher(chosen, ws, timeout)
    try:
        workloads = sorted({p.workload for p in the_plan.pods})
        output.note(f"{len(the_plan.pods)} pods from {len(workloads)} workloads: {', '.join(workloads)}")
        for note in notes:
            output.note(f"note: {note}")
        if keep_dir:
            output.note(f"run directory (kept): {ws.root}")
        result = _execute(the_plan, ws, launcher, output, timeout=float(timeout), allow_running=allow_running)
        if launcher.rewrites:
            rewritten = f"{launcher.rewrites} values rewritten (mount paths into {ws.root}/pods/*/fs, Service names and pod FQDNs into loopback addresses)"
            notes.append(rewritten)
            output.note(f"note: {rewritten}")
        result.notes = notes
        if out is not None:
            out.write(result.summary() + "\n")
            out.flush()
        return result
    finally:
        launcher.stop_network()
        ws.cleanup()


def _is_git_clone(argv: Sequence[str]) -> bool:
    words = " ".join(argv).split()
    return any(
        posixpath.basename(w) == "git" and i + 1 < len(words) and "clone" in words[i + 1 : i + 6]
        for i, w in enumerate(words)
    )


def _differences(the_plan: Plan, python: str, isolation: str) -> list[str]:
    notes = [
        f"images are ignored: `python3` and `python` run {python}; other commands are the host's",
        "DMLC_INTERFACE=lo on ps-lite containers (those with DMLC_ROLE): there is no eth0 here",
        f"pod IPs are loopback addresses ({the_plan.pods[0].ip} ...); Service and pod names resolve to them",
        "probes, resources, securityContext (users, capabilities) and restart policies are not applied: processes run as "
        + ("root" if os.geteuid() == 0 else "the current user")
        + ", each container once",
        "PYTHONUNBUFFERED=1 and a fresh HOME per pod, so output shows up live",
    ]
    if isolation == "none":
        notes.append(
            "no namespaces: pods share the host network (ports may collide with other programs) and /etc/hosts is the host's"
        )
    if isolation == "namespaces":
        notes.append(
            "each container has private mount/PID/UTS namespaces with volumes at their real paths; all pods share one network namespace holding only lo"
        )
    claims = sorted({v.claim for p in the_plan.pods for v in p.volumes.values() if v.kind == "claim"})
    if claims:
        notes.append(f"persistent volume claims are fresh empty directories: {', '.join(claims)}")
    return notes


def _execute(
    the_plan: Plan, ws: _Workspace, launcher: _Launcher, out: _Output, *, timeout: float, allow_running: bool
) -> RunResult:
    start = time.monotonic()
    deadline = start + timeout
    launcher.start_network()
    running = [
        _Running(
            p,
            PodResult(
                p.name,
                p.workload,
                p.component,
                p.ip,
                containers={c.name: ContainerResult(c.name, c.init) for c in (*p.init_containers, *p.containers)},
            ),
            list(p.init_containers),
        )
        for p in the_plan.pods
    ]
    by_name = {r.pod.name: r for r in running}
    failure = ""

    def prefix(r: _Running, c: ContainerPlan) -> str:
        return r.pod.name if c is r.pod.containers[0] else f"{r.pod.name}/{c.name}"

    def launch(r: _Running, c: ContainerPlan) -> None:
        argv, cwd = launcher.argv(r.pod, c)
        env = launcher.env(r.pod, c)
        sink = r.result.containers[c.name]
        try:
            proc = subprocess.Popen(
                argv,
                env=env,
                cwd=cwd,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        except OSError as err:
            sink.exit_code = 127
            sink.lines.append(f"cannot start: {err}")
            out.line(prefix(r, c), f"cannot start: {err}")
            return
        sink.started = True
        r.procs[c.name] = proc
        t = threading.Thread(target=_reader, args=(proc, sink, prefix(r, c), out), daemon=True)
        t.start()
        r.readers.append(t)

    def slots_free(r: _Running) -> bool:
        active = sum(1 for o in running if o.pod.group == r.pod.group and o.phase in ("init", "main"))
        return active < r.pod.group_slots

    def ready_to_start(r: _Running) -> bool:
        return all(by_name[a].phase != "pending" for a in r.pod.after) and slots_free(r)

    def fail_pod(r: _Running, reason: str) -> None:
        r.result.status = "Failed"
        r.result.reason = reason
        r.phase = "done"
        r.result.seconds = time.monotonic() - r.started_at

    try:
        while True:
            now = time.monotonic()
            for r in running:
                if r.phase == "pending" and ready_to_start(r) and not failure:
                    ws.materialise(r.pod)
                    r.started_at = now
                    r.phase = "init" if r.pending else "main"
                    if r.pending:
                        launch(r, r.pending.pop(0))
                    else:
                        for c in r.pod.containers:
                            launch(r, c)
                if r.phase not in ("init", "main"):
                    continue
                for cname, proc in list(r.procs.items()):
                    code = proc.poll()
                    if code is None:
                        continue
                    del r.procs[cname]
                    sink = r.result.containers[cname]
                    sink.exit_code = code
                    if code != 0:
                        kind = "init container" if sink.init else "container"
                        signame = (
                            f" (signal {signal.Signals(-code).name})"
                            if code < 0 and -code in signal.Signals._value2member_map_
                            else ""
                        )
                        r.result.exit_code = code
                        for other in r.procs.values():
                            _kill_group(other)
                        r.procs.clear()
                        fail_pod(r, f"{kind} {cname} exited {code}{signame}")
                        failure = failure or f"pod {r.pod.name}: {kind} {cname} exited {code}{signame}"
                        break
                if r.phase == "init" and not r.procs:
                    if r.pending:
                        launch(r, r.pending.pop(0))
                    else:
                        r.phase = "main"
                        for c in r.pod.containers:
                            launch(r, c)
                elif (
                    r.phase == "main"
                    and not r.procs
                    and all(r.result.containers[c.name].exit_code is not None for c in r.pod.containers)
                ):
                    r.phase = "done"
                    r.result.status = "Succeeded"
                    r.result.exit_code = 0
                    r.result.seconds = time.monotonic() - r.started_at
                    if r.pod.restart_policy == "Always":
                        r.result.reason = "exited 0; Kubernetes would restart it (restartPolicy Always)"
                if (
                    r.phase in ("init", "main")
                    and r.pod.deadline_seconds is not None
                    and now - r.started_at > r.pod.deadline_seconds
                ):
                    for proc in r.procs.values():
                        _kill_group(proc)
                    r.procs.clear()
                    fail_pod(r, f"activeDeadlineSeconds {r.pod.deadline_seconds:g} exceeded")
                    failure = failure or f"pod {r.pod.name}: activeDeadlineSeconds exceeded"
            if failure:
                break
            active = [r for r in running if r.phase != "done"]
            if not active:
                break
            if (
                allow_running
                and any(r.pod.finishing for r in running)
                and all(r.phase == "done" for r in running if r.pod.finishing)
            ):
                break
            if now >= deadline:
                break
            time.sleep(0.05)

    except BaseException:
        # Ctrl-C or a bug in the loop must not leave ps-lite processes waiting forever.
        for r in running:
            for proc in r.procs.values():
                _kill_group(proc)
        raise
    end = time.monotonic()
    leftover = [r for r in running if r.phase in ("init", "main")]
    for r in leftover:
        for proc in r.procs.values():
            _kill_group(proc)
    for r in leftover:
        for proc in r.procs.values():
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=10)
        r.result.seconds = end - r.started_at
        if failure:
            r.result.status, r.result.reason = "Stopped", "killed after another pod failed"
        elif allow_running and not r.pod.finishing:
            r.result.status, r.result.reason = "Running", "still running at the end (allowed)"
        else:
            r.result.status, r.result.reason = "Hung", f"still running after {timeout:g}s, killed"
    for r in running:
        for t in r.readers:
            t.join(timeout=5)
        if r.phase == "pending":
            r.result.reason = "never started"
    seconds = time.monotonic() - start
    hung = [r.pod.name for r in running if r.result.status == "Hung"]
    never = [r.pod.name for r in running if r.result.status == "Pending"]
    if failure:
        ok, reason = False, failure
    elif hung:
        ok = False
        reason = f"timed out after {timeout:g}s with pods still running: {', '.join(hung)} (ps-lite never times out: check DMLC_NUM_WORKER/DMLC_NUM_SERVER against the replicas, and the scheduler address)"
    elif never:
        ok, reason = False, f"pods never started: {', '.join(never)}"
    else:
        ok = True
        done = sum(1 for r in running if r.result.status == "Succeeded")
        up = sum(1 for r in running if r.result.status == "Running")
        reason = f"{done} pods exited 0" + (f", {up} still running (allowed)" if up else "")
    return RunResult(ok, reason, [r.result for r in running], [], launcher.isolation, seconds)


# --------------------------------------------------------------------------------------
# Command line


def register(subparsers: Any) -> None:
    """Adds ``run-local`` to the ``mxnet-construct`` command."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "run-local",
        help="run the pods of synthesized manifests as local processes (needs root for namespaces)",
        description=(
            "Run every pod of synthesized manifests as local processes, taking everything from the YAML. "
            "As root on Linux each container gets private namespaces with its volumes at their real paths; "
            "otherwise paths and names are rewritten. Exit code 0 only if every pod that must finish exited 0."
        ),
    )
    parser.add_argument(
        "files", nargs="+", metavar="FILE.k8s.yaml", help="synthesized manifests (e.g. dist/*.k8s.yaml)"
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=DEFAULT_TIMEOUT,
        help="seconds before a still-running job is killed and reported as hung (default %(default)g)",
    )
    parser.add_argument(
        "--python",
        default=None,
        help="interpreter for `python3` in pod commands (default: ./.mxnet-venv/bin/python if present, else python3)",
    )
    parser.add_argument(
        "--skip-init",
        action="append",
        default=[],
        metavar="NAME",
        help="do not run the init container NAME (repeatable), e.g. git-clone-repository",
    )
    parser.add_argument(
        "--allow-running",
        action="store_true",
        help="long-running pods (Deployment, StatefulSet) still up at the end are not a failure",
    )
    parser.add_argument(
        "--isolation",
        choices=ISOLATIONS,
        default="auto",
        help="namespaces (root), none (rewritten paths) or auto (default)",
    )
    parser.add_argument("--keep-dir", action="store_true", help="keep the run's temporary directory for inspection")
    parser.set_defaults(func=_main)


def _main(args: argparse.Namespace, stream: IO[str] | None = None) -> int:
    result = run_local(
        args.files,
        timeout=args.timeout,
        python=args.python,
        skip_init=args.skip_init,
        allow_running=args.allow_running,
        isolation=args.isolation,
        out=stream or sys.stdout,
        keep_dir=args.keep_dir,
    )
    return result.exit_code


__all__ = [
    "ContainerPlan",
    "ContainerResult",
    "Mount",
    "Plan",
    "PodPlan",
    "PodResult",
    "RunLocalError",
    "RunResult",
    "ServiceName",
    "Volume",
    "default_python",
    "expand_refs",
    "load_manifests",
    "namespaces_available",
    "plan",
    "register",
    "run_local",
]
