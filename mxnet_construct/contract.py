"""The MXNet/ps-lite wiring as pure functions: names, labels, ports and ``DMLC_*`` env.

If anything here is wrong the job hangs silently on the cluster, so it is small, has no
jsii in it, and is tested directly. The facts behind it were measured with MXNet 1.9.1
(see DESIGN.md):

* every role needs ``DMLC_ROLE``, ``DMLC_PS_ROOT_URI``, ``DMLC_PS_ROOT_PORT`` and the two
  counts, which must equal the replica counts exactly;
* the scheduler binds its own ``DMLC_PS_ROOT_URI``; with a DNS name that fails unless
  ``DMLC_USE_KUBERNETES=1`` makes it bind 0.0.0.0;
* importing mxnet with ``DMLC_ROLE`` set to scheduler or server runs that node's loop and
  exits 0 when the workers finish.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, TypeAlias

from . import _validate as v
from .options import ExistingConfigMap, LocalFiles, MXNetOptions

Component: TypeAlias = Literal["standalone", "scheduler", "server", "worker"]
COMPONENTS: tuple[Component, ...] = ("standalone", "scheduler", "server", "worker")
MANAGED_BY = "mxnet-construct"
MAIN_CONTAINER = "mxnet"
CODE_MOUNT = "/app"
SECRETS_MOUNT = "/secrets"
# The chart's names for the pod's volumes and the scheduler port. Sidecars and init
# containers written for the chart mount these volumes by name, and the API server
# rejects a pod whose mount names a volume that doesn't exist.
DATA_VOLUME = "data"
CONFIG_MAP_VOLUME = "ext-files"
LOCAL_FILES_VOLUME = "local-files"
GIT_VOLUME = "git-cloned-files"
SECRET_VOLUME = "secret-data"
PORT_NAME = "mxnet"
PS_NODE_COMMAND = ["python3", "-c", "import mxnet"]
# Checks that MXNet is installed without importing it: importing it is slow and, with
# DMLC_ROLE=server, would start a second parameter server inside the probe.
IMPORTABLE_PROBE = ["python3", "-c", "import importlib.util,sys; sys.exit(importlib.util.find_spec('mxnet') is None)"]


@dataclass(frozen=True)
class RoleTraits:
    """Everything that differs between the four roles, as data.

    Each role construct owns one of these (``Scheduler.traits`` ...); the contract and the
    pod builder read the traits instead of comparing role names, so a difference between
    roles is stated once, here.

    Attributes:
        component: The ``app.kubernetes.io/component`` label and ``DMLC_ROLE``.
        ps_node: Joins the ps-lite job, so it gets the ``DMLC_*`` wiring.
        binds_root: Binds ``DMLC_PS_ROOT_URI`` (the scheduler): ``DMLC_USE_KUBERNETES`` and a
            TCP probe on the port; it needs no ``POD_NAME`` or ``DMLC_NODE_HOST``.
        runs_entrypoint: Runs the user's entrypoint; otherwise only ``import mxnet``, which
            with ``DMLC_ROLE`` set runs the node's loop.
        declares_port: The main container declares the scheduler port (the scheduler, and
            the standalone pod as the chart did).
        count_option: The option holding the replica count; None means one pod.
        pool: Runs as a StatefulSet with per-pod claims (servers, workers); otherwise a
            Deployment with one claim.
        indexed_job: Its batch/v1 Job is Indexed (``job`` lifecycle).
        rank_variable: The chart's ``<ROLE>_RANK`` variable (ordinal + 1), if any.
        chart_selects_component: Chart 1.4.x put the component into this role's
            long-running workload selector (all but the scheduler's Deployment), which can't
            change on a live object.
    """

    component: Component
    ps_node: bool
    binds_root: bool
    runs_entrypoint: bool
    declares_port: bool
    count_option: Literal["server_count", "worker_count"] | None
    pool: bool
    indexed_job: bool
    rank_variable: str | None
    chart_selects_component: bool = True


STANDALONE = RoleTraits(
    component="standalone",
    ps_node=False,
    binds_root=False,
    runs_entrypoint=True,
    declares_port=True,
    count_option=None,
    pool=False,
    indexed_job=False,
    rank_variable=None,
)
SCHEDULER = RoleTraits(
    component="scheduler",
    ps_node=True,
    binds_root=True,
    runs_entrypoint=False,
    declares_port=True,
    count_option=None,
    pool=False,
    indexed_job=False,
    rank_variable=None,
    chart_selects_component=False,
)
# The chart exported SERVER_RANK / WORKER_RANK (pod ordinal + 1) to its pods, and user
# scripts read them. ps-lite's own rank is assigned in order of arrival and is unrelated.
SERVER = RoleTraits(
    component="server",
    ps_node=True,
    binds_root=False,
    runs_entrypoint=False,
    declares_port=False,
    count_option="server_count",
    pool=True,
    indexed_job=False,
    rank_variable="SERVER_RANK",
)
WORKER = RoleTraits(
    component="worker",
    ps_node=True,
    binds_root=False,
    runs_entrypoint=True,
    declares_port=False,
    count_option="worker_count",
    pool=True,
    indexed_job=True,
    rank_variable="WORKER_RANK",
)
TRAITS: dict[Component, RoleTraits] = {t.component: t for t in (STANDALONE, SCHEDULER, SERVER, WORKER)}

# A StatefulSet's pods carry controller-revision-hash=<name>-<10 chars>, a label value.
STATEFULSET_NAME_MAX = v.MAX_NAME - 11


@dataclass(frozen=True)
class Names:
    """Every object name of one release, computed once so no construct rebuilds a name."""

    release: str
    name: str
    fullname: str
    chart_3_claims: bool = False

    @property
    def standalone(self) -> str:
        """The standalone Deployment: ``<fullname>``."""
        return self.fullname

    @property
    def scheduler(self) -> str:
        """The scheduler Deployment and Service: ``<fullname>-scheduler``."""
        return f"{self.fullname}-scheduler"

    @property
    def server(self) -> str:
        """The servers' workload (StatefulSet, Job or replicated job): ``<fullname>-server``."""
        return f"{self.fullname}-server"

    @property
    def worker(self) -> str:
        """The workers' workload (StatefulSet, Job or replicated job): ``<fullname>-worker``."""
        return f"{self.fullname}-worker"

    @property
    def headless(self) -> str:
        """The headless Service that gives pods DNS names: ``<fullname>-headless``."""
        return f"{self.fullname}-headless"

    @property
    def files(self) -> str:
        """The ConfigMap made from ``LocalFiles``: ``<fullname>-files``."""
        return f"{self.fullname}-files"

    def workload(self, component: Component) -> str:
        """The workload object of ``component`` (Deployment, StatefulSet, Job...)."""
        return self.fullname if component == "standalone" else f"{self.fullname}-{component}"

    def data_claim(self, component: Component) -> str:
        """The PVC a scheduler or standalone pod mounts: its workload's name, ``<fullname>``
        or ``<fullname>-scheduler``, as charts 1.x and 2.x named it (3.x swapped them, see
        ``claim_names``), so an adopted release keeps its data. The pod's claimName uses
        this too."""
        if self.chart_3_claims:
            return f"{self.fullname}-scheduler" if component == "standalone" else self.fullname
        return self.workload(component)


def names(release: str, options: MXNetOptions) -> Names:
    """Helm's ``mxnet.fullname`` rule, with limits checked instead of silently truncated."""
    v.check_dns_label("release name (chart id)", release, rfc1035=True)
    name = options.name_override or "mxnet"
    if options.fullname_override:
        fullname = options.fullname_override
    elif name in release:
        fullname = release
    else:
        fullname = f"{release}-{name}"
    result = Names(
        release=release,
        name=name,
        fullname=fullname,
        chart_3_claims=options.claim_names == "chart-3",
    )
    _check_name_lengths(result, options)
    return result


def _check_name_lengths(n: Names, options: MXNetOptions) -> None:
    if options.mode == "standalone":
        longest = [(n.standalone, v.MAX_NAME), (n.data_claim("standalone"), v.MAX_NAME)]
    elif options.lifecycle == "long-running":
        # Pod names become hostnames (<statefulset>-<ordinal>), and StatefulSet names are
        # also label values with an 11-character suffix, which is the tighter limit.
        ordinal_len = len(str(max(options.server_count, options.worker_count) - 1)) + 1
        longest = [
            (n.scheduler, v.MAX_NAME),
            (n.data_claim("scheduler"), v.MAX_NAME),
            (n.headless, v.MAX_NAME),
            (n.server, min(STATEFULSET_NAME_MAX, v.MAX_NAME - ordinal_len)),
            (n.worker, min(STATEFULSET_NAME_MAX, v.MAX_NAME - ordinal_len)),
        ]
    else:
        longest = [(n.scheduler, v.MAX_NAME), (n.data_claim("scheduler"), v.MAX_NAME), (n.headless, v.MAX_NAME)]
        longest += [(name, v.MAX_NAME) for name in _job_child_names(n, options)]
    for obj_name, limit in longest:
        if len(obj_name) > limit:
            spare = limit - (len(obj_name) - len(n.fullname))
            if options.fullname_override:
                fix = f"use a fullname_override of at most {spare} characters"
            else:
                fix = f"use a release name of at most {spare - (len(n.fullname) - len(n.release))} characters, or a shorter fullname_override"
            v.fail(
                "release name",
                n.release,
                f"it makes the object name {obj_name!r} ({len(obj_name)} characters, limit {limit}); {fix}",
            )
    v.check_dns_label("fullname", n.fullname, rfc1035=True)
    if len(n.release) > v.MAX_NAME:
        v.fail("release name", n.release, "label values are at most 63 characters")


def _job_child_names(n: Names, options: MXNetOptions) -> list[str]:
    """The longest names the Job or JobSet controllers derive from ours (each at most 63).

    * batch/v1 Job names are label values (``batch.kubernetes.io/job-name``); an Indexed
      Job's pods get the hostname ``<job>-<index>``.
    * The JobSet webhook (jobset.x-k8s.io/v1alpha2) refuses a JobSet whose child Job name
      ``<jobset>-<replicatedJob>-<jobIndex>`` or pod name
      ``<jobset>-<replicatedJob>-<jobIndex>-<podIndex>-<5 random>`` exceeds 63 characters
      (it checks Indexed jobs, the default). With one Job per role the scheduler's pod
      name is the longest: ``<fullname>`` may have at most 43 characters.
    """
    if options.lifecycle == "job":
        return [n.scheduler, n.server, f"{n.worker}-{options.worker_count - 1}"]
    out: list[str] = []
    roles: tuple[Component, ...] = ("scheduler", "server", "worker")
    for role in roles:
        last_pod = replicas(options, role) - 1
        out += [f"{n.fullname}-{role}-0", f"{n.fullname}-{role}-0-{last_pod}-xxxxx"]
    return out


def selector_labels(n: Names, component: Component) -> dict[str, str]:
    """The pods of one role: Service, policy and PDB selectors, which include the component."""
    return {
        "app.kubernetes.io/component": component,
        "app.kubernetes.io/instance": n.release,
        "app.kubernetes.io/name": n.name,
    }


def workload_selector(n: Names, options: MXNetOptions, component: Component) -> dict[str, str]:
    """``spec.selector.matchLabels`` of a Deployment or StatefulSet, as chart 1.4.x wrote it.

    A workload's selector can't change on a live object, so a release adopted from the chart
    must keep the chart's: the scheduler Deployment selects ``{name, instance}`` only (it
    overlaps the server and worker pods, but a Deployment acts only on pods of its own
    ReplicaSets, whose selectors add ``pod-template-hash``); every other workload adds its
    component. The Python API uses the same layout, so moving from ``template`` to Python
    never changes a selector.
    """
    if not TRAITS[component].chart_selects_component and options.lifecycle == "long-running":
        return release_selector(n)
    return selector_labels(n, component)


def claim_template_labels(n: Names) -> dict[str, str]:
    """Labels of the StatefulSets' ``data`` claim template: ``{name, instance}``, as in the
    chart, because ``volumeClaimTemplates`` can't change on a live StatefulSet."""
    return release_selector(n)


def release_selector(n: Names) -> dict[str, str]:
    """Matches every pod of the release (headless Service DNS, NetworkPolicy peers)."""
    return {"app.kubernetes.io/instance": n.release, "app.kubernetes.io/name": n.name}


def labels(n: Names, component: Component | None) -> dict[str, str]:
    out = release_selector(n)
    if component is not None:
        out["app.kubernetes.io/component"] = component
    out["app.kubernetes.io/managed-by"] = MANAGED_BY
    return dict(sorted(out.items()))


def replicas(options: MXNetOptions, component: Component) -> int:
    count_option = TRAITS[component].count_option
    return 1 if count_option is None else int(getattr(options, count_option))


def derived_env(n: Names, options: MXNetOptions) -> dict[str, str]:
    """The ``DMLC_*`` values that depend on other objects, as the options predict them.

    The chart writes these, and at synthesis ``_derive`` replaces each with what the final
    objects say (a patched replica count, a renamed Service), so they can never disagree.
    """
    return {
        "DMLC_PS_ROOT_URI": n.scheduler,
        "DMLC_PS_ROOT_PORT": str(options.scheduler_port),
        "DMLC_NUM_SERVER": str(options.server_count),
        "DMLC_NUM_WORKER": str(options.worker_count),
    }


def dmlc_env(n: Names, options: MXNetOptions, component: Component) -> list[dict[str, Any]]:
    """The ``DMLC_*`` variables of one role, in a fixed order."""
    traits = TRAITS[component]
    if not traits.ps_node:
        return []
    env: list[dict[str, Any]] = []
    if not traits.binds_root:
        env.append({"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}})
    # Clients dial the Service, so they use the Service port; the Service maps it to the
    # same container port. One number, so they can never disagree.
    env.append({"name": "DMLC_ROLE", "value": component})
    env += [{"name": key, "value": value} for key, value in derived_env(n, options).items()]
    if traits.binds_root:
        # ps-lite binds DMLC_PS_ROOT_URI literally; a Service name is not a local address,
        # so without this the scheduler dies with "bind failed" and everyone else waits.
        env.append({"name": "DMLC_USE_KUBERNETES", "value": "1"})
    if options.dmlc_interface:
        env.append({"name": "DMLC_INTERFACE", "value": options.dmlc_interface})
    if options.dmlc_node_host_from_pod_ip and not traits.binds_root:
        env.append({"name": "DMLC_NODE_HOST", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}})
    return env


def code_volume_name(options: MXNetOptions) -> str | None:
    """The chart's name for the volume at ``/app``, per code source; None without one."""
    code = options.code
    if code is None:
        return None
    if isinstance(code, ExistingConfigMap):
        return CONFIG_MAP_VOLUME
    if isinstance(code, LocalFiles):
        return LOCAL_FILES_VOLUME
    return GIT_VOLUME


def common_env(options: MXNetOptions, component: Component) -> list[dict[str, Any]]:
    """User and debug env of one role, after the wiring so it reads top-down."""
    env: list[dict[str, Any]] = []
    if options.ps_verbose is not None:
        env.append({"name": "PS_VERBOSE", "value": str(options.ps_verbose)})
    if options.image.debug:
        env.append({"name": "BITNAMI_DEBUG", "value": "true"})
    env += [e.to_json() for e in options.extra_env]
    env += [e.to_json() for e in options.role(component).extra_env]
    return env


RANK_VARIABLES: dict[Component, str] = {
    t.component: t.rank_variable for t in TRAITS.values() if t.rank_variable is not None
}
# Where a pod's ordinal comes from: the StatefulSet pod name's last dash-separated part, or
# the index Kubernetes gives every pod of an Indexed Job. Both are fixed text, never user
# input; the user's command follows as the script's positional parameters ("$@"), so no
# user text is ever parsed by the shell. `$((` is left alone by Kubernetes' $(VAR)
# expansion, which only replaces the names of variables that exist.
_ORDINAL_FROM_POD_NAME = "${POD_NAME##*-}"
_ORDINAL_FROM_JOB_INDEX = "${JOB_COMPLETION_INDEX}"
_RANK_SCRIPT = 'export {variable}=$(({ordinal} + 1)) && exec "$@"'


def rank_script(options: MXNetOptions, component: Component) -> str | None:
    """The ``sh -c`` script that exports the chart's rank variable, or None for a role without one.

    StatefulSet pods (``long-running``) take the ordinal from ``POD_NAME``; Indexed Job pods
    (``job`` workers, every ``jobset`` role) from ``JOB_COMPLETION_INDEX``. The servers' Job
    of the ``job`` lifecycle is not Indexed, so its pods have no ordinal and no rank.
    """
    traits = TRAITS[component]
    variable = traits.rank_variable
    if variable is None:
        return None
    if options.lifecycle == "long-running":
        ordinal = _ORDINAL_FROM_POD_NAME
    elif options.lifecycle == "jobset" or traits.indexed_job:
        ordinal = _ORDINAL_FROM_JOB_INDEX
    else:
        return None
    return _RANK_SCRIPT.format(variable=variable, ordinal=ordinal)


def command(options: MXNetOptions, component: Component) -> list[str]:
    """Scheduler and servers only import mxnet; workers and standalone run the entrypoint.

    Servers and workers run it through :func:`rank_script` (``sh -c SCRIPT ROLE ARGV...``),
    which sets their rank variable and then replaces itself with the command (``exec``).
    """
    argv = options.entrypoint.command() if TRAITS[component].runs_entrypoint else list(PS_NODE_COMMAND)
    script = rank_script(options, component)
    if script is None:
        return argv
    return ["sh", "-c", script, component, *argv]


def pods(options: MXNetOptions) -> int:
    """How many pods one release runs (the gang size)."""
    if options.mode == "standalone":
        return 1
    return 1 + options.server_count + options.worker_count


def components(options: MXNetOptions) -> tuple[Component, ...]:
    if options.mode == "standalone":
        return ("standalone",)
    return ("scheduler", "server", "worker")
