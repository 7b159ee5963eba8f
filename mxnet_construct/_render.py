"""Turns options plus the contract into Kubernetes objects, as plain YAML-shaped dicts.

One pod-template builder serves every role, so a knob added once reaches all of them.
Objects are plain data rather than jsii L1 instances: building typed L1 structs cost about
7 ms per object here (runtime type checks plus a Node round-trip each), which multiplied
across releases blew the synthesis budget. ``MXNetChart.to_json`` hands the dicts to cdk8s
in one call. Nothing in this module makes a decision the options or contract didn't make.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from . import contract as c
from .contract import Component, Names
from .options import ExistingConfigMap, GitRepository, LocalFiles, MXNetOptions, Resources

Doc = dict[str, Any]


def canonical(value: Any) -> Any:
    """Sorted keys at every level, as cdk8s writes its own objects, so output is byte-stable."""
    if isinstance(value, Mapping):
        return {k: canonical(value[k]) for k in sorted(value)}
    if isinstance(value, list | tuple):
        return [canonical(x) for x in value]
    return value


def document(api_version: str, kind: str, metadata: Doc, **body: Any) -> Doc:
    doc: Doc = {"apiVersion": api_version, "kind": kind, "metadata": canonical(metadata)}
    for key, value in body.items():
        doc[key] = canonical(value)
    return doc


def metadata(names: Names, name: str, component: Component | None, **extra: Any) -> Doc:
    meta: Doc = {"name": name, "labels": c.labels(names, component)}
    meta.update({k: v for k, v in extra.items() if v})
    return meta


def image_pull_secrets(options: MXNetOptions, *, with_git: bool) -> list[Doc]:
    seen: dict[str, None] = {}
    sources = [options.global_image_pull_secrets, options.image.pull_secrets]
    if with_git:
        sources.append(options.git_image.pull_secrets)
    if options.volume_permissions.enabled:
        sources.append(options.volume_permissions.image.pull_secrets)
    for group in sources:
        for name in group:
            seen.setdefault(name, None)
    return [{"name": name} for name in seen]


def resources(options: MXNetOptions, component: Component) -> Doc:
    role = options.role(component)
    base: Resources = role.resources if role.resources is not None else options.resources
    out = base.to_json()
    if role.gpus:
        # Written as a number in the dict itself: a JSON patch through cdk8s L1 objects
        # turns nvidia.com/gpu into null.
        out["limits"] = {**out.get("limits", {}), "nvidia.com/gpu": role.gpus}
    return out


def _restricted(options: MXNetOptions, container: Doc) -> Doc:
    """User containers get the restricted defaults for any setting they left out."""
    merged = dict(container)
    merged["securityContext"] = {**options.security_context.container_json(), **container.get("securityContext", {})}
    return merged


def probes(options: MXNetOptions, component: Component) -> Doc:
    if component == "scheduler":
        action: Doc = {"tcpSocket": {"port": options.scheduler_port}}
    else:
        action = {"exec": {"command": list(c.IMPORTABLE_PROBE)}}
    out: Doc = {}
    if options.liveness_probe.enabled:
        out["livenessProbe"] = {**action, **options.liveness_probe.timing()}
    if options.readiness_probe.enabled:
        out["readinessProbe"] = {**action, **options.readiness_probe.timing()}
    return out


def volumes(names: Names, options: MXNetOptions, component: Component, *, claim_template: bool) -> tuple[list[Doc], list[Doc]]:
    """The pod's volumes and the main container's mounts, in matching order."""
    vols: list[Doc] = []
    mounts: list[Doc] = []
    code = options.code
    if code is not None:
        if isinstance(code, ExistingConfigMap):
            vols.append({"name": "code", "configMap": {"name": code.name}})
        elif isinstance(code, LocalFiles):
            vols.append({"name": "code", "configMap": {"name": names.files}})
        else:
            vols.append({"name": "code", "emptyDir": {}})
        mounts.append({"name": "code", "mountPath": c.CODE_MOUNT})
    if not options.persistence.enabled:
        vols.append({"name": "data", "emptyDir": {}})
    elif not claim_template:
        vols.append({"name": "data", "persistentVolumeClaim": {"claimName": names.data_claim(component)}})
    mounts.append({"name": "data", "mountPath": options.persistence.mount_path})
    if options.existing_secret:
        vols.append({"name": "secrets", "secret": {"secretName": options.existing_secret}})
        mounts.append({"name": "secrets", "mountPath": c.SECRETS_MOUNT, "readOnly": True})
    role = options.role(component)
    if role.gpus:
        vols.append({"name": "dshm", "emptyDir": {"medium": "Memory", "sizeLimit": role.shm_size}})
        mounts.append({"name": "dshm", "mountPath": "/dev/shm"})
    return vols, mounts


def init_containers(options: MXNetOptions) -> list[Doc]:
    out: list[Doc] = []
    sc = options.security_context
    vp = options.volume_permissions
    if vp.enabled:
        owner = f"{sc.run_as_user}:{sc.fs_group}"
        container: Doc = {
            "name": "volume-permissions",
            "image": vp.image.reference(options.global_image_registry),
            "imagePullPolicy": vp.image.pull_policy,
            "command": ["chown", "-R", owner, options.persistence.mount_path],
            # The one container allowed root: chown needs it. Everything else is dropped.
            "securityContext": {
                "allowPrivilegeEscalation": False,
                "capabilities": {"add": ["CHOWN", "FOWNER", "DAC_OVERRIDE"], "drop": ["ALL"]},
                "runAsNonRoot": False,
                "runAsUser": 0,
            },
            "volumeMounts": [{"name": "data", "mountPath": options.persistence.mount_path}],
        }
        if vp.resources is not None:
            container["resources"] = vp.resources.to_json()
        out.append(container)
    if isinstance(options.code, GitRepository):
        git = options.code
        out.append({
            "name": "git-clone-repository",
            "image": options.git_image.reference(options.global_image_registry),
            "imagePullPolicy": options.git_image.pull_policy,
            "command": ["git", "clone", "--depth", "1", "--branch", git.revision, "--", git.repository, c.CODE_MOUNT],
            # git wants a writable HOME for its config; the image's may not be ours.
            "env": [{"name": "HOME", "value": "/tmp"}],
            "securityContext": sc.container_json(),
            "volumeMounts": [{"name": "code", "mountPath": c.CODE_MOUNT}],
        })
    out += [_restricted(options, dict(ic)) for ic in options.init_containers]
    return out


def main_container(names: Names, options: MXNetOptions, component: Component, mounts: list[Doc]) -> Doc:
    container: Doc = {
        "name": c.MAIN_CONTAINER,
        "image": options.image.reference(options.global_image_registry),
        "imagePullPolicy": options.image.pull_policy,
        "command": c.command(options, component),
        "workingDir": options.entrypoint.work_dir,
        "securityContext": options.security_context.container_json(),
        "volumeMounts": mounts,
    }
    env = c.dmlc_env(names, options, component) + c.common_env(options, component)
    if env:
        container["env"] = env
    if component == "scheduler":
        container["ports"] = [{"name": "scheduler", "containerPort": options.scheduler_port, "protocol": "TCP"}]
    res = resources(options, component)
    if res:
        container["resources"] = res
    container.update(probes(options, component))
    return container


def pod_template(names: Names, options: MXNetOptions, component: Component, *, claim_template: bool = False) -> Doc:
    """The pod template every workload of ``component`` uses: ``{"metadata", "spec"}``."""
    role = options.role(component)
    vols, mounts = volumes(names, options, component, claim_template=claim_template)
    spec: Doc = {
        "automountServiceAccountToken": False,
        "containers": [main_container(names, options, component, mounts), *(_restricted(options, dict(s)) for s in options.sidecars)],
        "securityContext": options.security_context.pod_json(),
    }
    if options.service_account:
        spec["serviceAccountName"] = names.fullname
    inits = init_containers(options)
    if inits:
        spec["initContainers"] = inits
    if vols:
        spec["volumes"] = vols
    secrets = image_pull_secrets(options, with_git=isinstance(options.code, GitRepository))
    if secrets:
        spec["imagePullSecrets"] = secrets
    node_selector = role.node_selector if role.node_selector is not None else options.node_selector
    if node_selector:
        spec["nodeSelector"] = dict(node_selector)
    tolerations = role.tolerations if role.tolerations is not None else options.tolerations
    if tolerations:
        spec["tolerations"] = [dict(t) for t in tolerations]
    affinity = role.affinity if role.affinity is not None else options.affinity
    if affinity:
        spec["affinity"] = dict(affinity)
    if options.host_network:
        spec["hostNetwork"] = True
        spec["dnsPolicy"] = "ClusterFirstWithHostNet"
    return {"metadata": {"labels": c.labels(names, component)}, "spec": spec}


def pvc_spec(options: MXNetOptions) -> Doc:
    p = options.persistence
    spec: Doc = {"accessModes": [p.access_mode], "resources": {"requests": {"storage": p.size}}}
    storage_class = p.storage_class if p.storage_class is not None else options.global_storage_class
    if storage_class is not None:
        spec["storageClassName"] = "" if storage_class == "-" else storage_class
    return spec


def claim(names: Names, options: MXNetOptions, component: Component) -> Doc:
    meta = metadata(names, names.data_claim(component), component, annotations=dict(options.persistence.annotations))
    return document("v1", "PersistentVolumeClaim", meta, spec=pvc_spec(options))


def deployment(names: Names, options: MXNetOptions, component: Component, template: Doc) -> Doc:
    return document(
        "apps/v1",
        "Deployment",
        metadata(names, names.workload(component), component),
        spec={
            "replicas": 1,
            "selector": {"matchLabels": c.selector_labels(names, component)},
            # One scheduler (or dev pod) at a time, and a ReadWriteOnce claim can't be
            # attached by the old and the new pod together: replace, don't roll.
            "strategy": {"type": "Recreate"},
            "template": template,
        },
    )


def stateful_set(names: Names, options: MXNetOptions, component: Component, template: Doc) -> Doc:
    spec: Doc = {
        "podManagementPolicy": options.pod_management_policy,
        "replicas": c.replicas(options, component),
        "selector": {"matchLabels": c.selector_labels(names, component)},
        "serviceName": names.headless,
        "template": template,
    }
    if options.persistence.enabled:
        meta: Doc = {"name": "data", "labels": c.labels(names, component)}
        if options.persistence.annotations:
            meta["annotations"] = dict(options.persistence.annotations)
        spec["volumeClaimTemplates"] = [{"metadata": meta, "spec": pvc_spec(options)}]
    return document("apps/v1", "StatefulSet", metadata(names, names.workload(component), component), spec=spec)


def scheduler_service(names: Names, options: MXNetOptions) -> Doc:
    port = options.scheduler_port
    return document(
        "v1",
        "Service",
        metadata(names, names.scheduler, "scheduler"),
        spec={
            "type": options.service_type,
            "selector": c.selector_labels(names, "scheduler"),
            "ports": [{"name": "scheduler", "port": port, "targetPort": port, "protocol": "TCP"}],
        },
    )


def headless_service(names: Names, options: MXNetOptions) -> Doc:
    spec: Doc = {"clusterIP": "None", "selector": c.release_selector(names)}
    if options.publish_not_ready_addresses:
        spec["publishNotReadyAddresses"] = True
    return document("v1", "Service", metadata(names, names.headless, None), spec=spec)


def files_config_map(names: Names, files: LocalFiles) -> Doc:
    return document("v1", "ConfigMap", metadata(names, names.files, None), data=dict(files.files))


def service_account(names: Names) -> Doc:
    return document("v1", "ServiceAccount", metadata(names, names.fullname, None), automountServiceAccountToken=False)


def network_policy(names: Names, options: MXNetOptions) -> Doc:
    peers = [{"podSelector": {"matchLabels": c.release_selector(names)}}]
    ingress: list[Doc] = [{"from": peers}]
    if options.service_type != "ClusterIP":
        # A NodePort or LoadBalancer scheduler is meant to be reached from outside.
        ingress.append({"ports": [{"port": options.scheduler_port, "protocol": "TCP"}]})
    np = options.network_policy
    egress: list[Doc]
    if np.allow_all_egress:
        egress = [{}]
    else:
        dns_ports = [{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"}]
        egress = [{"to": peers}, {"ports": dns_ports}]
        if isinstance(options.code, GitRepository):
            egress.append({"ports": [{"port": p, "protocol": "TCP"} for p in (22, 80, 443, 9418)]})
        egress += [dict(rule) for rule in np.extra_egress]
    return document(
        "networking.k8s.io/v1",
        "NetworkPolicy",
        metadata(names, names.fullname, None),
        spec={
            "podSelector": {"matchLabels": c.release_selector(names)},
            "policyTypes": ["Ingress", "Egress"],
            "ingress": ingress,
            "egress": egress,
        },
    )


def disruption_budget(names: Names, options: MXNetOptions) -> Doc:
    # minAvailable as a whole number works across controllers of any kind (Jobs have no
    # scale subresource, which maxUnavailable would need).
    return document(
        "policy/v1",
        "PodDisruptionBudget",
        metadata(names, names.fullname, None),
        spec={"minAvailable": c.pods(options), "selector": {"matchLabels": c.release_selector(names)}},
    )
