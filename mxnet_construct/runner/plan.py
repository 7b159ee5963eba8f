"""Pods -> a :class:`Plan`: every container's argv, env, mounts and security resolved.

The pods themselves come from the shared manifest model (:mod:`mxnet_construct.manifests`),
the same expansion the diagram and the gang maths read, so the three cannot disagree about
what a file runs. Env (``fieldRef``, ``secretKeyRef``, ``configMapKeyRef``, ``envFrom``, ``$(VAR)``),
volumes and securityContexts are resolved from the manifests alone, and every name and
path is validated (:mod:`.validate`) before the runner creates anything from it.
"""

from __future__ import annotations

import base64
import dataclasses
import os
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from ..manifests import ManifestError, Manifests, Pod, Workload, load_files, name_suffix
from .admission import unique_pod_names
from .model import ContainerPlan, Mount, Plan, PodPlan, RunLocalError, ServiceName, Volume
from .security import container_security, quantity
from .validate import absolute_path, config_key, dns_label, dns_subdomain, env_name, hostname, relative_path

_FINISHING_KINDS = ("Job", "JobSet")


def loopback(index: int) -> str:
    """The address of the ``index``-th pod of a run.

    Every pod gets its own 127.x address (all of 127/8 is local on Linux), so a Service
    resolves to the pod it selects, as on a cluster.
    """
    return f"127.0.{1 + index // 250}.{1 + index % 250}"


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


@dataclasses.dataclass(frozen=True)
class PodSeed:
    """A pod of the manifest model plus what the runner schedules by: whether it runs to
    completion, its Job (``group``) and how many pods of it run at once, its JobSet start
    order and its Job's ``activeDeadlineSeconds``."""

    pod: Pod
    finishing: bool
    group: str
    group_slots: int
    after: tuple[str, ...] = ()
    deadline_seconds: float | None = None

    @property
    def name(self) -> str:
        return self.pod.name

    @property
    def namespace(self) -> str:
        return self.pod.namespace

    @property
    def spec(self) -> Mapping[str, Any]:
        return self.pod.spec

    @property
    def labels(self) -> Mapping[str, str]:
        return self.pod.labels

    @property
    def annotations(self) -> Mapping[str, str]:
        return self.pod.annotations


def _job_slots(job_spec: Mapping[str, Any]) -> int:
    parallelism = job_spec.get("parallelism")
    completions = job_spec.get("completions")
    slots = parallelism if isinstance(parallelism, int) else 1
    return min(slots, completions) if isinstance(completions, int) else slots


def _deadline(job_spec: Mapping[str, Any]) -> float | None:
    value = job_spec.get("activeDeadlineSeconds")
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def seeds(model: Manifests) -> list[PodSeed]:
    """Every pod of ``model`` in workload order, with what the supervisor schedules by."""
    out: list[PodSeed] = []
    started: dict[str, list[str]] = {}  # JobSet name -> pods of the replicated jobs so far
    for w in model.workloads:
        out += _workload_seeds(w, started)
    return out


def _workload_seeds(w: Workload, started: dict[str, list[str]]) -> list[PodSeed]:
    if w.kind == "Pod":
        (pod,) = w.pods
        return [PodSeed(pod, pod.restart_policy != "Always", w.id, 1)]
    if w.kind not in _FINISHING_KINDS:
        return [PodSeed(p, False, f"{w.id}#{i}", 1) for i, p in enumerate(w.pods)]
    job_spec = w.job_spec or {}
    in_order = False
    previous: list[str] = []
    if w.kind == "JobSet":
        policy = ((w.doc.get("spec") or {}).get("startupPolicy") or {}).get("startupPolicyOrder")
        in_order = policy == "InOrder"
        previous = started.setdefault(w.name, [])
    after = tuple(previous) if in_order else ()
    out = [PodSeed(p, True, f"{w.id}/{p.job}", _job_slots(job_spec), after, _deadline(job_spec)) for p in w.pods]
    previous += [p.name for p in w.pods]
    return out


def load_manifests(paths: Iterable[str | os.PathLike[str]]) -> list[dict[str, Any]]:
    """Every Kubernetes object of ``paths``, read by the manifest model's safe loader."""
    try:
        return load_files([Path(p) for p in paths])
    except ManifestError as err:
        raise RunLocalError(f"manifest: {err}") from None


def model_of(docs: Sequence[Mapping[str, Any]]) -> Manifests:
    """The manifest model of ``docs``; its errors become :class:`RunLocalError`."""
    try:
        return Manifests.of(docs)
    except ManifestError as err:
        raise RunLocalError(str(err)) from None


_ENV_REF = re.compile(r"\$\$|\$\(([-._a-zA-Z][-._a-zA-Z0-9]*)\)")


class _EnvContext:
    """Looks up ConfigMaps and Secrets in the manifests, with clear errors when absent."""

    def __init__(self, docs: Sequence[Mapping[str, Any]]) -> None:
        self.config_maps: dict[tuple[str, str], dict[str, bytes]] = {}
        self.secrets: dict[tuple[str, str], dict[str, bytes]] = {}
        for doc in docs:
            if doc.get("kind") not in ("ConfigMap", "Secret"):
                continue
            name, namespace = object_meta(doc)
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


def _field_ref(seed: PodSeed, ip: str, path: str, where: str) -> str:
    simple = {
        "metadata.name": seed.name,
        "metadata.namespace": seed.namespace,
        "metadata.uid": name_suffix(f"pod-uid/{seed.name}", 8) + "-local",
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
    seed: PodSeed, ip: str, container: Mapping[str, Any], ctx: _EnvContext, where: str
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
    env.update(seed.pod.extra_env)
    for var in container.get("env") or []:
        name = var.get("name")
        if not isinstance(name, str) or not name:
            raise RunLocalError(f"{where}: an env entry has no name")
        env_name(name, f"{where} env")
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


def _volumes(seed: PodSeed, ctx: _EnvContext) -> dict[str, Volume]:
    out: dict[str, Volume] = {}
    for vol in seed.spec.get("volumes") or []:
        name = dns_label(vol.get("name"), f"pod {seed.name} volumes[].name")
        where = f"pod {seed.name} volume {name!r}"
        if name in out:
            raise RunLocalError(f"{where}: two volumes have this name; Kubernetes wants them unique")
        if "configMap" in vol or "secret" in vol:
            is_cm = "configMap" in vol
            src = vol["configMap" if is_cm else "secret"] or {}
            ref_field = "configMap.name" if is_cm else "secret.secretName"
            ref = dns_subdomain(src.get("name" if is_cm else "secretName", ""), f"{where} {ref_field}")
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
                    rel = relative_path(item.get("path") or key, f"{where} items path")
                    if not rel or rel == ".":
                        raise RunLocalError(f"{where}: item path {item.get('path')!r} is empty; name a file")
                    files[rel] = (data[key], item.get("mode", default_mode))
            else:
                files = {config_key(k, f"{where} key"): (v, default_mode) for k, v in data.items()}
            out[name] = Volume(name, "files", files=files, read_only=True)
        elif "emptyDir" in vol:
            ed = vol["emptyDir"] or {}
            size = ed.get("sizeLimit")
            if size is not None:
                quantity(size, f"{where} emptyDir.sizeLimit")
            out[name] = Volume(
                name, "emptyDir", memory=ed.get("medium") == "Memory", size=str(size) if size is not None else None
            )
        elif "persistentVolumeClaim" in vol:
            claim = dns_subdomain(
                (vol["persistentVolumeClaim"] or {}).get("claimName", ""), f"{where} persistentVolumeClaim.claimName"
            )
            out[name] = Volume(
                name, "claim", claim=claim, read_only=bool((vol["persistentVolumeClaim"] or {}).get("readOnly", False))
            )
        elif "hostPath" in vol:
            # Never the host's directory: the sandbox does not hand a pod the host.
            out[name] = Volume(name, "hostPath", host_path=str((vol["hostPath"] or {}).get("path", "")))
        else:
            kinds = sorted(k for k in vol if k != "name")
            raise RunLocalError(
                f"{where}: volume type {kinds} is not supported by the local runner (configMap, secret, emptyDir, persistentVolumeClaim and hostPath are)"
            )
    for template, claim in seed.pod.claims.items():
        dns_label(template, f"pod {seed.name} volumeClaimTemplates[].metadata.name")
        out.setdefault(template, Volume(template, "claim", claim=dns_subdomain(claim, f"pod {seed.name} claim")))
    return out


def _container(
    seed: PodSeed, ip: str, spec: Mapping[str, Any], ctx: _EnvContext, volumes: Mapping[str, Volume], *, init: bool
) -> ContainerPlan:
    cname = dns_label(spec.get("name"), f"pod {seed.name} container name")
    where = f"pod {seed.name} container {cname!r}"
    command = [str(x) for x in spec.get("command") or []]
    args = [str(x) for x in spec.get("args") or []]
    if not command:
        raise RunLocalError(
            f"{where}: no command; the image's entrypoint is unknown to the local runner, so give the container a command"
        )
    env = _container_env(seed, ip, spec, ctx, where)
    argv = tuple(expand_refs(x, env) for x in command + args)
    mounts: list[Mount] = []
    for m in spec.get("volumeMounts") or []:
        vname = str(m.get("name"))
        mwhere = f"{where} volumeMount {vname!r}"
        if vname not in volumes:
            raise RunLocalError(
                f"{where}: volumeMount {vname!r} names no volume of the pod (volumes: {', '.join(sorted(volumes)) or 'none'})"
            )
        path = absolute_path(m.get("mountPath", ""), f"{mwhere} mountPath")
        if path in {mount.path for mount in mounts}:
            raise RunLocalError(f"{mwhere}: mountPath {path!r} is already mounted by another volumeMount")
        if m.get("subPath"):
            sub = relative_path(m["subPath"], f"{mwhere} subPath")
        else:
            sub = relative_path(expand_refs(str(m.get("subPathExpr") or ""), env), f"{mwhere} subPathExpr")
        mounts.append(Mount(vname, path, sub, bool(m.get("readOnly", False)) or volumes[vname].read_only))
    wd = spec.get("workingDir")
    working_dir = absolute_path(wd, f"{where} workingDir") if wd else None
    security = container_security(seed.spec, spec, where)
    return ContainerPlan(cname, argv, env, working_dir, tuple(mounts), init, security)


def _ps_lite_warnings(model: Manifests) -> list[str]:
    """Counts every ps-lite node expects that disagree with the pods there are."""
    return [f"WARNING: {p.message} (ps-lite will wait forever for the missing ones)" for p in model.ps_lite_problems()]


def _service_names(name: str, namespace: str) -> tuple[str, ...]:
    return (name, f"{name}.{namespace}", f"{name}.{namespace}.svc", f"{name}.{namespace}.svc.cluster.local")


def plan(
    docs: Sequence[Mapping[str, Any]], *, skip_init: Sequence[str] = (), address: Callable[[int], str] = loopback
) -> Plan:
    """Expand the manifests into pods, resolve every container and every DNS name.

    Args:
        docs: Kubernetes objects as loaded from YAML.
        skip_init: Names of init containers not to run (each skip becomes a note).
        address: The IP of the pod with a given index (the sandbox's pod network gives
            its own; without it, :func:`loopback`).

    Raises:
        RunLocalError: something in the manifests cannot be run locally; the message
            names the pod, container and field.
    """
    model = model_of(docs)
    for doc in docs:
        if doc.get("kind") in ("ConfigMap", "Secret", "Service", *_POD_KINDS):
            object_meta(doc)
    pod_seeds = seeds(model)
    unique_pod_names((s.name, f"{s.pod.workload} (namespace {s.namespace})") for s in pod_seeds)
    if not pod_seeds:
        kinds = sorted({str(d.get("kind")) for d in docs})
        raise RunLocalError(
            f"no pods to run: the manifests hold {', '.join(kinds) or 'nothing'} but no Pod, Deployment, ReplicaSet, StatefulSet, DaemonSet, Job or JobSet"
        )
    ctx = _EnvContext(docs)
    notes: list[str] = []
    skip = set(skip_init)
    skipped: set[str] = set()
    pods: list[PodPlan] = []
    for i, seed in enumerate(pod_seeds):
        pods.append(_pod_plan(seed, address(i), ctx, skip, skipped))
    for name in sorted(skip - skipped):
        raise RunLocalError(f"--skip-init {name!r}: no pod has an init container of that name")
    if skipped:
        notes.append(
            f"init containers skipped as asked: {', '.join(sorted(skipped))} (their volumes stay as the pod declares them, e.g. an empty emptyDir)"
        )
    by_name = {p.name: p for p in pods}
    services: list[ServiceName] = []
    for svc in model.services:
        targets = [by_name[p.name] for p in model.pods if svc.selects(p)]
        if not svc.selector:
            notes.append(f"Service {svc.name} has no selector, so its name does not resolve locally")
            continue
        if not targets:
            notes.append(
                f"Service {svc.name} selects no pod of these manifests (selector {dict(svc.selector)}): its name does not resolve, as on a cluster with no endpoints"
            )
            continue
        for port in svc.ports:
            if port.target != port.port and address is loopback:
                notes.append(
                    f"Service {svc.name} maps port {port.port} to targetPort {port.target}; locally the name resolves to the pod itself, so clients must dial {port.target}"
                )
        services += [ServiceName(tuple(svc.dns_names()), p.ip) for p in targets]
    notes += _ps_lite_warnings(model)
    for pod in pods:
        # The headless Service a JobSet creates for its pods is not in the manifests.
        if pod.workload.startswith("JobSet/") and pod.subdomain:
            services.append(ServiceName(_service_names(pod.subdomain, pod.namespace), pod.ip))
    return Plan(tuple(pods), tuple(services), tuple(notes), model)


_POD_KINDS = ("Pod", "Deployment", "ReplicaSet", "DaemonSet", "StatefulSet", "Job", "JobSet")


def _pod_plan(seed: PodSeed, ip: str, ctx: _EnvContext, skip: set[str], skipped: set[str]) -> PodPlan:
    pod = seed.pod
    dns_subdomain(pod.name, f"{pod.workload}: pod name")
    dns_label(pod.namespace, f"{pod.workload} metadata.namespace")
    dns_label(hostname(pod.hostname), f"pod {pod.name} hostname")
    if pod.subdomain:
        dns_label(pod.subdomain, f"pod {pod.name} subdomain")
    volumes = _volumes(seed, ctx)
    inits = []
    for spec in seed.spec.get("initContainers") or []:
        if spec.get("name") in skip:
            skipped.add(str(spec.get("name")))
            continue
        if spec.get("restartPolicy") == "Always":
            raise RunLocalError(
                f"pod {pod.name} init container {spec.get('name')!r}: native sidecars (restartPolicy: Always) are not supported by the local runner"
            )
        inits.append(_container(seed, ip, spec, ctx, volumes, init=True))
    mains = tuple(_container(seed, ip, spec, ctx, volumes, init=False) for spec in seed.spec.get("containers") or [])
    if not mains:
        raise RunLocalError(f"pod {pod.name}: spec.containers is empty")
    return PodPlan(
        name=pod.name,
        namespace=pod.namespace,
        workload=pod.workload,
        hostname=pod.hostname,
        subdomain=pod.subdomain,
        ip=ip,
        labels=pod.labels,
        annotations=pod.annotations,
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
