"""Turns options plus the contract into Kubernetes objects, as plain YAML-shaped dicts.

One pod-template builder serves every role, so a knob added once reaches all of them.
Objects are plain data rather than jsii L1 instances: building typed L1 structs cost about
7 ms per object here (runtime type checks plus a Node round-trip each), which multiplied
across releases blew the synthesis budget. :mod:`mxnet_construct._tree` puts each document
into the construct tree as a ``cdk8s.ApiObject``, and :mod:`mxnet_construct._derive` fills
in, at synthesis, what depends on other objects. Nothing in this module makes a decision
the options or contract didn't make.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from . import _pod_parts
from . import contract as c
from ._validate import thaw
from .contract import Component, Names
from .options import ExistingConfigMap, GitRepository, LocalFiles, MXNetOptions, Resources
from .options._code import git_transport

Doc = dict[str, Any]

# How a pod joins its PodGroup, per gang scheduler, and the scheduler that must place it.
# Volcano reads the annotation (pkg/apis/scheduling KubeGroupNameAnnotationKey); the
# scheduler-plugins Coscheduling plugin reads the label (PodGroupLabel). The scheduler name
# is the default of each project's install (scheduler-plugins as a second scheduler).
GANG_MEMBERSHIP: dict[str, tuple[str, str]] = {
    "volcano": ("scheduling.k8s.io/group-name", "annotation"),
    "scheduler-plugins": ("scheduling.x-k8s.io/pod-group", "label"),
}
VOLUME_PERMISSIONS = "volume-permissions"
GANG_SCHEDULER_NAMES: dict[str, str] = {"volcano": "volcano", "scheduler-plugins": "scheduler-plugins-scheduler"}


def canonical(value: Any) -> Any:
    """Sorted keys at every level, as cdk8s writes its own objects, so output is byte-stable."""
    # Exact-type checks first: this runs on every node of every document, and isinstance
    # against the Mapping ABC made it most of the Python time of a synthesis.
    cls = type(value)
    if cls is str or cls is int or cls is bool or value is None:
        return value
    if cls is dict:
        return {k: canonical(value[k]) for k in sorted(value)}
    if cls is list:
        return [canonical(x) for x in value]
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
    sources = [options.global_image_pull_secret_names, options.image.pull_secret_names]
    if with_git:
        sources.append(options.git_image.pull_secret_names)
    if volume_permissions_on(options):
        sources.append(options.volume_permissions.image.pull_secret_names)
    for group in sources:
        for name in group:
            seen.setdefault(name, None)
    return [{"name": name} for name in seen]


def base_resources(options: MXNetOptions, component: Component) -> Resources:
    """The CPU/memory resources of ``component``: the role's own, else the release's."""
    role = options.role(component)
    return role.resources if role.resources is not None else options.resources


def resources(options: MXNetOptions, component: Component) -> Doc:
    role = options.role(component)
    out = base_resources(options, component).to_json()
    if role.gpus:
        # Written as a number in the dict itself: a JSON patch through cdk8s L1 objects
        # turns nvidia.com/gpu into null.
        out["limits"] = {**out.get("limits", {}), "nvidia.com/gpu": role.gpus}
    return out


def merge_defaults(defaults: Doc, chosen: Mapping[str, Any]) -> Doc:
    """``defaults`` overlaid field by field with what the user ``chosen``, at every depth.

    A sidecar that adds ``capabilities.add: [NET_BIND_SERVICE]`` keeps the default
    ``capabilities.drop: [ALL]``; only a field the user writes replaces the default's.
    """
    merged = dict(defaults)
    for key, value in chosen.items():
        base = merged.get(key)
        if isinstance(base, Mapping) and isinstance(value, Mapping):
            merged[key] = merge_defaults(dict(base), value)
        else:
            merged[key] = value
    return merged


def harden_container(options: MXNetOptions, container: Doc) -> Doc:
    """A container with the restricted defaults for every setting it left out.

    Every container of a release goes through this, however it was added (``sidecars=``,
    the ``pod_template()`` hook, ``add_container``), except the documented root one.
    """
    if container.get("name") == VOLUME_PERMISSIONS:
        return container
    merged = dict(container)
    merged["securityContext"] = merge_defaults(
        options.security_context.container_json(), container.get("securityContext") or {}
    )
    return merged


def harden(options: MXNetOptions, template: Doc) -> Doc:
    """``template`` (a pod template) with :func:`harden_container` applied to every container."""
    spec = template.get("spec") or {}
    fixed = {
        key: [harden_container(options, x) for x in spec[key]]
        for key in ("containers", "initContainers")
        if key in spec
    }
    return canonical({**template, "spec": {**spec, **fixed}}) if fixed else template


def probes(options: MXNetOptions, component: Component) -> Doc:
    if c.TRAITS[component].binds_root:
        action: Doc = {"tcpSocket": {"port": options.scheduler_port}}
    else:
        action = {"exec": {"command": list(c.IMPORTABLE_PROBE)}}
    out: Doc = {}
    if options.liveness_probe.enabled:
        out["livenessProbe"] = {**action, **options.liveness_probe.timing()}
    if options.readiness_probe.enabled:
        out["readinessProbe"] = {**action, **options.readiness_probe.timing()}
    return out


def volumes(
    names: Names, options: MXNetOptions, component: Component, *, claim_template: bool
) -> tuple[list[Doc], list[Doc]]:
    """The pod's volumes and the main container's mounts, in matching order."""
    vols: list[Doc] = []
    mounts: list[Doc] = []
    code = options.code
    code_volume = c.code_volume_name(options)
    if code_volume is not None:
        if isinstance(code, ExistingConfigMap):
            vols.append({"name": code_volume, "configMap": {"name": code.name}})
        elif isinstance(code, LocalFiles):
            vols.append({"name": code_volume, "configMap": {"name": names.files}})
        else:
            vols.append({"name": code_volume, "emptyDir": {}})
        mounts.append({"name": code_volume, "mountPath": c.CODE_MOUNT})
    vols += git_auth_volumes(options)
    if not options.persistence.enabled:
        vols.append({"name": c.DATA_VOLUME, "emptyDir": {}})
    elif not claim_template:
        vols.append({"name": c.DATA_VOLUME, "persistentVolumeClaim": {"claimName": names.data_claim(component)}})
    elif options.lifecycle != "long-running":
        # Jobs have no volumeClaimTemplates: each pod gets a claim of its own that lives
        # as long as the pod (a generic ephemeral volume), which is what a pod that never
        # restarts can use. Results meant to outlive the job belong on the scheduler's
        # claim or in object storage.
        template = data_claim_template(names, options, c.labels(names, component))
        vols.append({"name": c.DATA_VOLUME, "ephemeral": {"volumeClaimTemplate": template}})
    mounts.append({"name": c.DATA_VOLUME, "mountPath": options.persistence.mount_path})
    if options.existing_secret:
        vols.append({"name": c.SECRET_VOLUME, "secret": {"secretName": options.existing_secret}})
        mounts.append({"name": c.SECRET_VOLUME, "mountPath": c.SECRETS_MOUNT, "readOnly": True})
    role = options.role(component)
    if role.gpus:
        vols.append({"name": "dshm", "emptyDir": {"medium": "Memory", "sizeLimit": role.shm_size}})
        mounts.append({"name": "dshm", "mountPath": "/dev/shm"})
    return vols, mounts


def init_containers(options: MXNetOptions, component: Component) -> list[Doc]:
    out: list[Doc] = []
    sc = options.security_context
    vp = options.volume_permissions
    # Init containers run before the main container, so giving them its CPU/memory (never
    # its GPUs) leaves the pod's effective request unchanged while making every container
    # of the pod sized once the user sizes the role.
    role_resources = base_resources(options, component).to_json()
    if volume_permissions_on(options):
        owner = f"{sc.run_as_user}:{sc.fs_group}"
        container: Doc = {
            "name": VOLUME_PERMISSIONS,
            "image": vp.image.reference(options.global_image_registry),
            "imagePullPolicy": vp.image.pull_policy,
            "command": ["chown", "-R", owner, options.persistence.mount_path],
            # The one container allowed root: chown needs it. Everything else is dropped.
            "securityContext": {
                "allowPrivilegeEscalation": False,
                "capabilities": {"add": ["CHOWN", "FOWNER", "DAC_OVERRIDE"], "drop": ["ALL"]},
                # chown writes only the data volume.
                "readOnlyRootFilesystem": True,
                "runAsNonRoot": False,
                "runAsUser": 0,
            },
            "volumeMounts": [{"name": c.DATA_VOLUME, "mountPath": options.persistence.mount_path}],
        }
        vp_resources = vp.resources.to_json() if vp.resources is not None else role_resources
        if vp_resources:
            container["resources"] = vp_resources
        out.append(container)
    if isinstance(options.code, GitRepository):
        out.append(git_clone_container(options, options.code, role_resources))
    out += [harden_container(options, _pod_parts.as_dict(ic)) for ic in options.init_containers]
    return out


# Where the clone container finds its credentials. The paths are fixed so that the ssh
# command and the credential helper below are constant text that no user input reaches.
GIT_AUTH_VOLUME = "git-auth"
GIT_SSH_DIR = "/etc/git-ssh"
GIT_CREDENTIALS_DIR = "/etc/git-credentials"
GIT_PASSWD_VOLUME = "git-passwd"
GIT_PASSWD_ANNOTATION = "mxnet-construct/git-passwd"
# -F /dev/null: no ssh_config from the image can turn host key checking off. BatchMode: a
# missing or wrong key fails at once instead of waiting for a prompt nobody answers.
GIT_SSH_COMMAND = (
    "ssh -F /dev/null -o BatchMode=yes -o IdentitiesOnly=yes -o StrictHostKeyChecking=yes"
    f" -o UserKnownHostsFile={GIT_SSH_DIR}/known_hosts -o GlobalKnownHostsFile=/dev/null"
    f" -i {GIT_SSH_DIR}/ssh-privatekey"
)
# git runs a helper starting with '!' through sh with the operation as "$1". The token goes
# from the mounted file down a pipe to git: never into argv, the URL or the environment.
# Backquotes rather than $(...), which the kubelet would try to expand as a variable.
GIT_CREDENTIAL_HELPER = (
    '!f() { test "$1" = get || return 0; printf "%s\\n"'
    f' "username=`cat {GIT_CREDENTIALS_DIR}/username`" "password=`cat {GIT_CREDENTIALS_DIR}/password`"; }}; f'
)
_SECRET_FILE_MODE = 0o400


def git_clone_container(options: MXNetOptions, git: GitRepository, resources: Doc) -> Doc:
    """The ``git-clone-repository`` init container: the only container that mounts the
    repository's Secret, read-only, and the only one with the ssh or helper settings."""
    command = ["git", "clone", "--depth", "1", "--branch", git.revision, "--", git.repository, c.CODE_MOUNT]
    # git wants a writable HOME for its config; the image's may not be ours. No prompts:
    # a clone that can't authenticate fails instead of hanging the pod's start.
    env: list[Doc] = [{"name": "HOME", "value": "/tmp"}, {"name": "GIT_TERMINAL_PROMPT", "value": "0"}]
    mounts: list[Doc] = [{"name": c.GIT_VOLUME, "mountPath": c.CODE_MOUNT}]
    if git.ssh_secret is not None:
        env.append({"name": "GIT_SSH_COMMAND", "value": GIT_SSH_COMMAND})
        mounts.append({"name": GIT_AUTH_VOLUME, "mountPath": GIT_SSH_DIR, "readOnly": True})
        if options.security_context.enabled:
            # ssh exits with "No user exists for uid" unless the uid has a passwd entry, and
            # Bitnami images have none for 1001 (left unnamed so OpenShift's random uids work alike).
            mounts.append(
                {"name": GIT_PASSWD_VOLUME, "mountPath": "/etc/passwd", "subPath": "passwd", "readOnly": True}
            )
    elif git.token_secret is not None:
        # An empty helper first drops any helper the image configures.
        command[1:1] = ["-c", "credential.helper=", "-c", f"credential.helper={GIT_CREDENTIAL_HELPER}"]
        mounts.append({"name": GIT_AUTH_VOLUME, "mountPath": GIT_CREDENTIALS_DIR, "readOnly": True})
    else:
        env = env[:1]
    clone: Doc = {
        "name": "git-clone-repository",
        "image": options.git_image.reference(options.global_image_registry),
        "imagePullPolicy": options.git_image.pull_policy,
        "command": command,
        "env": env,
        "securityContext": options.security_context.container_json(),
        "volumeMounts": mounts,
    }
    if resources:
        clone["resources"] = resources
    return clone


def git_auth_volumes(options: MXNetOptions) -> list[Doc]:
    """The clone's Secret (and, for ssh, its passwd file); no container but the clone mounts them."""
    git = options.code
    if not isinstance(git, GitRepository) or (git.ssh_secret is None and git.token_secret is None):
        return []
    name = git.ssh_secret if git.ssh_secret is not None else git.token_secret
    keys = ("ssh-privatekey", "known_hosts") if git.ssh_secret is not None else ("username", "password")
    # Listing the keys makes a Secret without one fail the pod's start with the key named,
    # rather than a clone that fails later with a vaguer error. Under fsGroup the kubelet
    # adds group read (0440, owned by root); ssh checks the mode only of a key its own uid owns.
    items = [{"key": k, "path": k, "mode": _SECRET_FILE_MODE} for k in keys]
    vols: list[Doc] = [
        {"name": GIT_AUTH_VOLUME, "secret": {"secretName": name, "defaultMode": _SECRET_FILE_MODE, "items": items}}
    ]
    if git.ssh_secret is not None and options.security_context.enabled:
        field = f"metadata.annotations['{GIT_PASSWD_ANNOTATION}']"
        vols.append(
            {
                "name": GIT_PASSWD_VOLUME,
                "downwardAPI": {"items": [{"path": "passwd", "fieldRef": {"fieldPath": field}}]},
            }
        )
    return vols


def git_auth_annotations(options: MXNetOptions) -> dict[str, str]:
    """The passwd line the ssh clone's uid needs, as the pod annotation its downwardAPI file reads."""
    git = options.code
    sc = options.security_context
    if not isinstance(git, GitRepository) or git.ssh_secret is None or not sc.enabled:
        return {}
    return {GIT_PASSWD_ANNOTATION: f"git:x:{sc.run_as_user}:{sc.fs_group}:git clone:/tmp:/usr/sbin/nologin\n"}


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
    if c.TRAITS[component].declares_port:
        # The chart's standalone pod declared the scheduler port too, under the same name;
        # a Service or probe written for the chart may target it by that name.
        container["ports"] = [{"name": c.PORT_NAME, "containerPort": options.scheduler_port, "protocol": "TCP"}]
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
        "containers": [
            main_container(names, options, component, mounts),
            *(harden_container(options, _pod_parts.as_dict(s)) for s in options.sidecars),
        ],
        "securityContext": options.security_context.pod_json(),
    }
    if options.service_account:
        spec["serviceAccountName"] = options.service_account_name or names.fullname
    inits = init_containers(options, component)
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
        spec["affinity"] = thaw(affinity)
    if options.host_network:
        spec["hostNetwork"] = True
        spec["dnsPolicy"] = "ClusterFirstWithHostNet"
    if options.lifecycle != "long-running":
        # ps-lite can't take a restarted node back into a running job, so a pod that
        # fails stays failed and the Job (or the JobSet, as a whole) decides what next.
        spec["restartPolicy"] = "Never"
        if options.mode == "distributed":
            spec["subdomain"] = names.headless
    pod_meta: Doc = {"labels": c.labels(names, component)}
    if git_notes := git_auth_annotations(options):
        pod_meta["annotations"] = git_notes
    if options.gang_scheduler is not None:
        key, kind = GANG_MEMBERSHIP[options.gang_scheduler]
        if kind == "annotation":
            pod_meta["annotations"] = {**pod_meta.get("annotations", {}), key: names.fullname}
        else:
            pod_meta["labels"] = {**pod_meta["labels"], key: names.fullname}
        spec["schedulerName"] = GANG_SCHEDULER_NAMES[options.gang_scheduler]
    return {"metadata": pod_meta, "spec": spec}


def volume_permissions_on(options: MXNetOptions) -> bool:
    """The root chown init container exists only for a claim: an emptyDir is already
    writable by the pod's fsGroup, and the chart added none without persistence."""
    return options.volume_permissions.enabled and options.persistence.enabled


def pvc_spec(options: MXNetOptions) -> Doc:
    """A claim's spec. Every field is immutable on a live claim (except growing the size),
    so each is written as chart 1.4.x wrote it."""
    p = options.persistence
    spec: Doc = {"accessModes": p.modes(), "resources": {"requests": {"storage": p.size}}}
    # The chart's storage-class rule: the global class, when set, wins over the claim's own.
    storage_class = options.global_storage_class if options.global_storage_class is not None else p.storage_class
    if storage_class is not None:
        spec["storageClassName"] = "" if storage_class == "-" else storage_class
    return spec


def data_claim_template(
    names: Names, options: MXNetOptions, labels: dict[str, str] | None, *, name: str | None = None
) -> Doc:
    """A per-pod claim of the data volume (StatefulSet ``volumeClaimTemplates``, ephemeral volumes)."""
    meta: Doc = {} if labels is None else {"labels": labels}
    if name is not None:
        meta["name"] = name
    if options.persistence.annotations:
        meta["annotations"] = dict(options.persistence.annotations)
    return {"metadata": meta, "spec": pvc_spec(options)}


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
            "selector": {"matchLabels": c.workload_selector(names, options, component)},
            # One scheduler (or dev pod) at a time, and a ReadWriteOnce claim can't be
            # attached by the old and the new pod together: replace, don't roll.
            "strategy": {"type": "Recreate"},
            "template": template,
        },
    )


def _pod_management_policy(options: MXNetOptions, component: Component) -> str:
    role = options.server if component == "server" else options.worker
    return role.pod_management_policy or options.pod_management_policy


def stateful_set(names: Names, options: MXNetOptions, component: Component, template: Doc) -> Doc:
    spec: Doc = {
        "podManagementPolicy": _pod_management_policy(options, component),
        "replicas": c.replicas(options, component),
        "selector": {"matchLabels": c.workload_selector(names, options, component)},
        "serviceName": names.headless,
        "template": template,
    }
    if options.persistence.enabled:
        labels = c.claim_template_labels(names) if options.claim_template_labels else None
        spec["volumeClaimTemplates"] = [data_claim_template(names, options, labels, name=c.DATA_VOLUME)]
    return document("apps/v1", "StatefulSet", metadata(names, names.workload(component), component), spec=spec)


def scheduler_service(names: Names, options: MXNetOptions) -> Doc:
    port = options.scheduler_port
    service_port: Doc = {"name": c.PORT_NAME, "port": port, "targetPort": port, "protocol": "TCP"}
    if options.service_node_port is not None:
        service_port["nodePort"] = options.service_node_port
    return document(
        "v1",
        "Service",
        metadata(names, names.scheduler, "scheduler", annotations=dict(options.service_annotations)),
        spec={
            "type": options.service_type,
            # A Service selector is mutable, so unlike the scheduler Deployment's it names
            # the component and selects the scheduler pod alone.
            "selector": c.selector_labels(names, "scheduler"),
            "ports": [service_port],
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


_GIT_DEFAULT_PORTS = {"https": 443, "http": 80, "git": 9418, "ssh": 22}


def git_ports(repository: str) -> list[int]:
    """The TCP ports a clone of ``repository`` connects to: the one its transport uses.

    A NetworkPolicy can't open a port for one container or for the clone's few seconds,
    so the least it can do is open only the port the URL needs. An unknown transport
    keeps every git port (22, 80, 443, 9418); a local path needs none.
    """
    transport = git_transport(repository)
    if transport == "file":
        return []
    default = _GIT_DEFAULT_PORTS.get(transport)
    if default is None:
        return [22, 80, 443, 9418]
    if "://" not in repository:
        return [default]  # scp-like git@host:path: no place for a port
    try:
        return [urlsplit(repository).port or default]
    except ValueError:
        return [default]


def scheduler_network_policy(names: Names, options: MXNetOptions) -> Doc | None:
    """Lets the outside reach the scheduler's port when its Service is a NodePort or a
    LoadBalancer; None for a ClusterIP Service.

    NetworkPolicies add up, so this opens the port on the scheduler's pods only, never on
    the servers and workers that the release-wide policy also selects.
    """
    if options.mode != "distributed" or options.service_type == "ClusterIP":
        return None
    return document(
        "networking.k8s.io/v1",
        "NetworkPolicy",
        metadata(names, names.scheduler, "scheduler"),
        spec={
            "podSelector": {"matchLabels": c.selector_labels(names, "scheduler")},
            "policyTypes": ["Ingress"],
            "ingress": [{"ports": [{"port": options.scheduler_port, "protocol": "TCP"}]}],
        },
    )


def network_policy(names: Names, options: MXNetOptions) -> Doc:
    peers = [{"podSelector": {"matchLabels": c.release_selector(names)}}]
    ingress: list[Doc] = [{"from": peers}]
    np = options.network_policy
    egress: list[Doc]
    if np.open_egress(options.mode):
        egress = [{}]
    else:
        dns_ports = [{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"}]
        egress = [{"to": peers}, {"ports": dns_ports}]
        if isinstance(options.code, GitRepository) and (ports := git_ports(options.code.repository)):
            egress.append({"ports": [{"port": p, "protocol": "TCP"} for p in ports]})
        egress += thaw(np.extra_egress)
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


def disruption_budget(names: Names, options: MXNetOptions, pods: int) -> Doc:
    """What a node drain may do to the release's ``pods`` pods (the count the final objects
    run); the reasons are in docs/security.md."""
    # Long-running pods never finish, so keeping all of them would block every drain
    # forever: drains go one pod at a time (Deployments and StatefulSets have the scale
    # subresource maxUnavailable needs). A Job's pods finish, so a drain waits for the run
    # to end rather than stall it; Jobs have no scale subresource, so that is a minAvailable.
    long_running = options.lifecycle == "long-running"
    budget: Doc = {"maxUnavailable": 1} if long_running else {"minAvailable": pods}
    return document(
        "policy/v1",
        "PodDisruptionBudget",
        metadata(names, names.fullname, None),
        spec={
            **budget,
            "selector": {"matchLabels": c.release_selector(names)},
            # A pod that is not ready has already stalled the job; letting a drain evict it
            # keeps a broken job from blocking node maintenance forever.
            "unhealthyPodEvictionPolicy": "AlwaysAllow",
        },
    )
