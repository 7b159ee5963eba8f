"""The role constructs: ``Standalone``, ``Scheduler``, ``ServerPool`` and ``WorkerPool``.

Each is a ``constructs.Construct`` that owns the Kubernetes objects of one role as real
``cdk8s.ApiObject`` children, like a cdk8s-plus construct owns its L1 object:

* ``Resource``: the workload (Deployment, StatefulSet or Job), so
  ``cdk8s.ApiObject.of(role)`` returns it. Under ``lifecycle="jobset"`` the role's pods run
  in the chart's JobSet, ``ApiObject.of(role)`` returns that, and :attr:`RoleConstruct.resource`
  patches the role's own entry in it;
* ``Service`` (scheduler): the scheduler Service;
* ``PersistentVolumeClaim`` (scheduler, standalone): the data claim when persistence is on.

Construct ids are public API: renaming one renames the construct path.

Like cdk8s-plus workloads, roles take methods after construction (``add_container``,
``add_init_container``, ``add_volume``, ``add_env``, ``pod_metadata``, ``scheduling``,
``connections``), and their documents are produced when the app is synthesized, so every
method call and JSON patch is honoured and the values that depend on other objects
(``DMLC_NUM_*``, the PodGroup, the PDB) follow the final objects (:mod:`._derive`).

Roles are also cdk8s-plus pod selectors and network-policy peers in the release's
namespace, so ``kplus.NetworkPolicy(scope, "np", selector=chart.workers)`` and
``policy.add_ingress_rule(chart.scheduler, ...)`` select exactly this role's pods.

Subclassing: override :meth:`RoleConstruct.pod_template` to change the pod for every chart
that uses the subclass. It is called once, when the chart builds the role's objects, after
every role's ``__init__`` has run, so state a subclass sets after ``super().__init__`` is
visible. Point a chart at your subclass with the ``MXNetChart`` class attributes
(``worker_pool_class`` and so on)::

    class TracedWorkers(WorkerPool):
        def pod_template(self) -> PodTemplateSpec:
            pod = super().pod_template()
            pod["spec"]["containers"].append({"name": "tracer", "image": "tracer:1"})
            return pod

    class MyChart(MXNetChart):
        worker_pool_class = TracedWorkers
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, cast

import cdk8s
import cdk8s_plus_27 as kplus
import jsii
from constructs import Construct

from . import _batch as b
from . import _pod_parts
from . import _render as r
from . import contract as c
from ._workload_api import PodEdits, ReplicatedJobHandle, RoleConnections, RoleScheduling
from .contract import Component, Names
from .k8s_types import PodTemplateSpec
from .options import MXNetOptions

if TYPE_CHECKING:
    from ._derive import Release

Doc = dict[str, Any]


@jsii.implements(kplus.IPodSelector, kplus.INetworkPolicyPeer)
class RoleConstruct(PodEdits, Construct):
    """Shared base of the four roles. Not used directly.

    Like a cdk8s-plus workload, a role is configured by its options and then by methods
    (:meth:`add_container`, :meth:`add_init_container`, :meth:`add_volume`, :meth:`add_env`,
    :attr:`pod_metadata`, :attr:`scheduling`, :attr:`connections`), which act on this
    role's pods only, under every lifecycle.

    Args:
        scope: The parent construct (normally an ``MXNetChart``).
        id: Construct id; ``MXNetChart`` uses ``standalone``, ``scheduler``, ``servers``
            and ``workers``. Ids are public API: renaming one renames the construct path.
        names: The release's object names.
        options: The release's validated options.
    """

    traits: ClassVar[c.RoleTraits]
    """What this role is and how it differs from the others (see :class:`~mxnet_construct.contract.RoleTraits`)."""

    def __init__(self, scope: Construct, id: str, *, names: Names, options: MXNetOptions) -> None:
        super().__init__(scope, id)
        self._names = names
        self._options = options
        self._deployment: cdk8s.ApiObject | None = None
        self._stateful_set: cdk8s.ApiObject | None = None
        self._job: cdk8s.ApiObject | None = None
        self._claim: cdk8s.ApiObject | None = None
        self._template: Doc | None = None
        self._handle: ReplicatedJobHandle | None = None
        self._release: Release | None = None
        self._init_edits()

    @property
    def component(self) -> Component:
        """The ``app.kubernetes.io/component`` label of this role's objects and pods."""
        return self.traits.component

    @property
    def names(self) -> Names:
        """Every object name of the release."""
        return self._names

    @property
    def options(self) -> MXNetOptions:
        """The release's options (frozen)."""
        return self._options

    @property
    def name(self) -> str:
        """Name of this role's workload object."""
        return self._names.workload(self.component)

    @property
    def namespace(self) -> str | None:
        """The namespace of this role's pods (the chart's), or None when chosen at apply time."""
        return self._release.namespace if self._release is not None else cdk8s.Chart.of(self).namespace

    @property
    def replicas(self) -> int:
        """Pods this role runs as the options say; a JSON patch may change the emitted count,
        and ``DMLC_NUM_*`` follows what is emitted."""
        return c.replicas(self._options, self.component)

    @property
    def labels(self) -> dict[str, str]:
        """Labels of this role's objects and pods."""
        return c.labels(self._names, self.component)

    @property
    def selector(self) -> dict[str, str]:
        """The label selector of this role's pods (includes the component)."""
        return c.selector_labels(self._names, self.component)

    @property
    def deployment(self) -> cdk8s.ApiObject | None:
        """The role's Deployment (``long-running`` standalone and scheduler), else None."""
        return self._deployment

    @property
    def stateful_set(self) -> cdk8s.ApiObject | None:
        """The role's StatefulSet (``long-running`` servers and workers), else None."""
        return self._stateful_set

    @property
    def job(self) -> cdk8s.ApiObject | None:
        """The role's batch/v1 Job (``lifecycle="job"``), else None."""
        return self._job

    @property
    def resource(self) -> cdk8s.ApiObject | ReplicatedJobHandle:
        """The escape hatch of this role's pods, under every lifecycle.

        The role's workload (``cdk8s.ApiObject.of(role)``) for ``long-running`` and ``job``.
        Under ``jobset`` the role's pods live in one entry of the JobSet's
        ``replicatedJobs``: this is then a :class:`ReplicatedJobHandle` whose
        ``add_json_patch`` takes paths of a batch/v1 Job (``/spec/template/spec/nodeSelector``)
        and applies them to that entry alone.
        """
        workload = self._deployment or self._stateful_set or self._job
        if workload is not None:
            return workload
        assert self._handle is not None, "the chart builds the role's objects"
        return self._handle

    @property
    def persistent_volume_claim(self) -> cdk8s.ApiObject | None:
        """The data claim of a standalone or scheduler pod when persistence is on, else None.

        Servers and workers get one claim per pod from their StatefulSet's claim template.
        """
        return self._claim

    @property
    def scheduling(self) -> RoleScheduling:
        """cdk8s-plus ``scheduling``: ``attract``, ``colocate``, ``separate``, ``tolerate``."""
        return RoleScheduling(self)

    @property
    def connections(self) -> RoleConnections:
        """cdk8s-plus ``connections``: ``allow_from``, ``allow_to``, ``isolate``."""
        return RoleConnections(self)

    # cdk8s-plus interop: the role's own labels, so a policy never selects another role,
    # and the release's namespace, so a peer in another namespace gets a namespaceSelector
    # and the opposite policy lands where these pods run (as a cdk8s-plus workload does).
    def to_pod_selector_config(self) -> kplus.PodSelectorConfig:
        """cdk8s-plus ``IPodSelector``: this role's pods by :attr:`selector`, in its namespace."""
        namespace = self.namespace
        namespaces = kplus.NamespaceSelectorConfig(names=[namespace]) if namespace else None
        return kplus.PodSelectorConfig(
            label_selector=kplus.LabelSelector.of(labels=self.selector), namespaces=namespaces
        )

    def to_network_policy_peer_config(self) -> kplus.NetworkPolicyPeerConfig:
        """cdk8s-plus ``INetworkPolicyPeer``: this role's pods, in the release's namespace."""
        return kplus.NetworkPolicyPeerConfig(pod_selector=self.to_pod_selector_config())

    def to_pod_selector(self) -> kplus.IPodSelector | None:
        """cdk8s-plus ``INetworkPolicyPeer``: the role is its own pod selector."""
        return cast(kplus.IPodSelector, self)

    def pod_template(self) -> PodTemplateSpec:
        """Hook: the pod template (``{"metadata": ..., "spec": ...}``) of this role.

        Override it and edit what ``super().pod_template()`` returns. It is typed with the
        Kubernetes TypedDicts of :mod:`mxnet_construct.k8s_types`, in the YAML spelling, so
        mypy flags ``volume_mounts`` or ``priorityClassName: 5``. The pod's and the containers'
        parts also take the matching ``cdk8s_plus_27.k8s`` struct (``k8s.Container(...)`` in
        ``containers``, ``k8s.Toleration`` in ``tolerations``); a read of such a field is typed
        as either, so narrow an entry with ``isinstance(c, dict)`` before indexing it. What the hook
        returns is checked (a misspelt key is a ``ValueError`` naming it) and converted to
        plain JSON, and every container in it gets the restricted securityContext defaults.
        It is called once, when the chart builds the role's objects. The result is a fresh
        dict on every call, so editing it in place is safe.
        """
        template = r.pod_template(self._names, self._options, self.component, claim_template=self._uses_claim_template)
        # cdk8s puts the chart's labels on each object's metadata only; teams select pods by
        # them too. Ours win a clash, and selectors never include them, so they can change.
        chart_labels = self._release.chart_labels if self._release is not None else cdk8s.Chart.of(self).labels
        if chart_labels:
            template["metadata"]["labels"] = {**chart_labels, **template["metadata"]["labels"]}
        return cast(PodTemplateSpec, template)

    def _checked_pod_template(self) -> Doc:
        """The hook's result, checked, converted to plain JSON and hardened.

        Only an overridden hook is checked: the base template is built from validated
        options, and checking it again would cost every release about a tenth of its
        synthesis time (benchmarks/).
        """
        template = self.pod_template()
        if type(self).pod_template is RoleConstruct.pod_template:
            return cast(Doc, template)
        checked = _pod_parts.check(template, "PodTemplateSpec", f"{type(self).__name__}.pod_template()")
        return r.harden(self._options, checked)

    def _final_template(self) -> Doc:
        """The pod template as it stands: the hook's, then every method call."""
        assert self._template is not None, "the chart builds the role's objects"
        return self._apply_edits(self._template)

    @property
    def _uses_claim_template(self) -> bool:
        return self.traits.pool

    def replicated_job(self) -> dict[str, Any]:
        """Hook: this role's entry in the JobSet's ``replicatedJobs`` (``jobset`` lifecycle)."""
        return b.replicated_job(self._names, self._options, self.component, self._final_template())

    def _replicated_job_doc(self) -> Doc:
        entry = self.replicated_job()
        return self._handle.apply(entry) if self._handle is not None else entry

    def _workload_doc(self) -> Doc:
        template = self._final_template()
        if self._options.lifecycle == "job":
            return b.job(self._names, self._options, self.component, template)
        if self.traits.pool:
            return r.stateful_set(self._names, self._options, self.component, template)
        return r.deployment(self._names, self._options, self.component, template)

    def _changed(self) -> None:
        if self._release is not None:
            self._release.changed()

    def _build(self, release: Release) -> None:
        """Creates this role's objects (called once by the chart).

        The workload comes first: it is the construct's default child.
        """
        self._release = release
        self._template = self._checked_pod_template()
        lifecycle = self._options.lifecycle
        if lifecycle == "jobset":
            self._handle = ReplicatedJobHandle(b.REPLICATED_JOB_NAMES[self.component], release)
        else:
            obj = release.lazy(self, "Resource", self._workload_doc, "workload")
            if lifecycle == "job":
                self._job = obj
            elif self.traits.pool:  # the rule _workload_doc builds by
                self._stateful_set = obj
            else:
                self._deployment = obj
        self._build_extras(release)

    def _build_extras(self, release: Release) -> None:
        pass

    def _build_claim(self, release: Release) -> None:
        if self._options.persistence.enabled:
            doc = r.claim(self._names, self._options, self.component)
            self._claim = release.static(self, "PersistentVolumeClaim", doc)


class Standalone(RoleConstruct):
    """Standalone mode: one Deployment (or, with ``lifecycle="job"``, one Job) ``<fullname>``
    running the entrypoint (or ``sleep infinity``)."""

    traits: ClassVar[c.RoleTraits] = c.STANDALONE

    def _build_extras(self, release: Release) -> None:
        self._build_claim(release)


class Scheduler(RoleConstruct):
    """The ps-lite scheduler: Deployment (or Job) and Service ``<fullname>-scheduler``.

    With ``lifecycle="jobset"`` its pods are the JobSet's ``scheduler`` replicated job and
    the Service selects them by our labels.

    Every other role finds it at :attr:`service_name`:\\ :attr:`port`.
    """

    traits: ClassVar[c.RoleTraits] = c.SCHEDULER

    def __init__(self, scope: Construct, id: str, *, names: Names, options: MXNetOptions) -> None:
        super().__init__(scope, id, names=names, options=options)
        self._service: cdk8s.ApiObject | None = None
        self._network_policy: cdk8s.ApiObject | None = None

    @property
    def service_name(self) -> str:
        """DNS name of the scheduler Service (``DMLC_PS_ROOT_URI``)."""
        return self._names.scheduler

    @property
    def port(self) -> int:
        """Service port, targetPort, container port and ``DMLC_PS_ROOT_PORT``."""
        return self._options.scheduler_port

    @property
    def service(self) -> cdk8s.ApiObject:
        """The scheduler Service (construct id ``Service``)."""
        assert self._service is not None, "the chart builds the scheduler's objects"
        return self._service

    @property
    def network_policy(self) -> cdk8s.ApiObject | None:
        """The NetworkPolicy that lets the outside reach a NodePort or LoadBalancer scheduler
        (construct id ``NetworkPolicy``); None for a ClusterIP Service or without policies."""
        return self._network_policy

    def _build_extras(self, release: Release) -> None:
        # Lazy, so DMLC_PS_ROOT_* follow the Service as emitted (a patched port, say).
        service = r.scheduler_service(self._names, self._options)
        self._service = release.lazy(self, "Service", lambda: service, "service")
        self._build_claim(release)
        external = r.scheduler_network_policy(self._names, self._options)
        if external is not None and self._options.network_policy.enabled:
            self._network_policy = release.static(self, "NetworkPolicy", external)


class _Pool(RoleConstruct):
    @property
    def service_name(self) -> str:
        """The headless Service that gives the pool's pods DNS names."""
        return self._names.headless


class ServerPool(_Pool):
    """The parameter servers: StatefulSet (or Job) ``<fullname>-server`` with ``server_count`` pods."""

    traits: ClassVar[c.RoleTraits] = c.SERVER


class WorkerPool(_Pool):
    """The workers: StatefulSet (or Indexed Job) ``<fullname>-worker`` with ``worker_count`` pods
    running the entrypoint."""

    traits: ClassVar[c.RoleTraits] = c.WORKER
