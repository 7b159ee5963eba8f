"""The role constructs: ``Standalone``, ``Scheduler``, ``ServerPool`` and ``WorkerPool``.

Each is a ``constructs.Construct`` that owns the Kubernetes objects of one role. They make
no decisions of their own: names, labels and env come from :mod:`mxnet_construct.contract`
and the pod template from one shared builder.

Subclassing: override :meth:`RoleConstruct.pod_template` to change the pod (add a sidecar,
change resources), or :meth:`RoleConstruct.manifests` to add objects. Both are called when
the chart is synthesized, so state set in a subclass ``__init__`` after ``super().__init__``
is visible. Point a chart at your subclass with the ``MXNetChart`` class attributes
(``worker_pool_class`` and so on)::

    class TracedWorkers(WorkerPool):
        def pod_template(self) -> dict[str, Any]:
            pod = super().pod_template()
            pod["spec"]["containers"].append({"name": "tracer", "image": "tracer:1"})
            return pod

    class MyChart(MXNetChart):
        worker_pool_class = TracedWorkers
"""

from __future__ import annotations

from typing import Any, ClassVar

from constructs import Construct

from . import _batch as b
from . import _render as r
from . import contract as c
from .contract import Component, Names
from .options import MXNetOptions


class RoleConstruct(Construct):
    """Shared base of the four roles. Not used directly.

    Args:
        scope: The parent construct (normally an ``MXNetChart``).
        id: Construct id; ``MXNetChart`` uses ``standalone``, ``scheduler``, ``servers``
            and ``workers``. Ids are public API: renaming one renames the construct path.
        names: The release's object names.
        options: The release's validated options.
    """

    component: ClassVar[Component]

    def __init__(self, scope: Construct, id: str, *, names: Names, options: MXNetOptions) -> None:
        super().__init__(scope, id)
        self._names = names
        self._options = options

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
    def replicas(self) -> int:
        """Pods this role runs; equals the ``DMLC_NUM_*`` count the other roles expect."""
        return c.replicas(self._options, self.component)

    @property
    def labels(self) -> dict[str, str]:
        """Labels of this role's objects and pods."""
        return c.labels(self._names, self.component)

    @property
    def selector(self) -> dict[str, str]:
        """The label selector of this role's pods (includes the component)."""
        return c.selector_labels(self._names, self.component)

    def pod_template(self) -> dict[str, Any]:
        """Hook: the pod template (``{"metadata": ..., "spec": ...}``) of this role.

        Override it and edit what ``super().pod_template()`` returns. Keys use the
        Kubernetes YAML spelling (``volumeMounts``, not ``volume_mounts``). The result is
        a fresh dict on every call, so editing it in place is safe.
        """
        return r.pod_template(self._names, self._options, self.component, claim_template=self._uses_claim_template)

    @property
    def _uses_claim_template(self) -> bool:
        return False

    def manifests(self) -> list[dict[str, Any]]:
        """Hook: every Kubernetes object of this role, in output order."""
        raise NotImplementedError

    def workloads(self) -> list[dict[str, Any]]:
        """The object that runs this role's pods, per ``lifecycle``.

        ``long-running``: a Deployment or StatefulSet; ``job``: a batch/v1 Job;
        ``jobset``: nothing, because the chart's single JobSet runs every role (see
        :meth:`replicated_job`).
        """
        lifecycle = self._options.lifecycle
        if lifecycle == "jobset":
            return []
        if lifecycle == "job":
            return [b.job(self._names, self._options, self.component, self.pod_template())]
        return [self._long_running_workload(self.pod_template())]

    def _long_running_workload(self, template: dict[str, Any]) -> dict[str, Any]:
        return r.deployment(self._names, self._options, self.component, template)

    def replicated_job(self) -> dict[str, Any]:
        """Hook: this role's entry in the JobSet's ``replicatedJobs`` (``jobset`` lifecycle)."""
        return b.replicated_job(self._names, self._options, self.component, self.pod_template())


class Standalone(RoleConstruct):
    """Standalone mode: one Deployment (or, with ``lifecycle="job"``, one Job) ``<fullname>``
    running the entrypoint (or ``sleep infinity``)."""

    component: ClassVar[Component] = "standalone"

    def manifests(self) -> list[dict[str, Any]]:
        docs = self.workloads()
        if self._options.persistence.enabled:
            docs.append(r.claim(self._names, self._options, self.component))
        return docs


class Scheduler(RoleConstruct):
    """The ps-lite scheduler: Deployment (or Job) and Service ``<fullname>-scheduler``.

    With ``lifecycle="jobset"`` its pods are the JobSet's ``scheduler`` replicated job and
    the Service selects them by our labels.

    Every other role finds it at :attr:`service_name`:\\ :attr:`port`.
    """

    component: ClassVar[Component] = "scheduler"

    @property
    def service_name(self) -> str:
        """DNS name of the scheduler Service (``DMLC_PS_ROOT_URI``)."""
        return self._names.scheduler

    @property
    def port(self) -> int:
        """Service port, targetPort, container port and ``DMLC_PS_ROOT_PORT``."""
        return self._options.scheduler_port

    def manifests(self) -> list[dict[str, Any]]:
        docs = [*self.workloads(), r.scheduler_service(self._names, self._options)]
        if self._options.persistence.enabled:
            docs.append(r.claim(self._names, self._options, self.component))
        return docs


class _Pool(RoleConstruct):
    @property
    def service_name(self) -> str:
        """The headless Service that gives the pool's pods DNS names."""
        return self._names.headless

    @property
    def _uses_claim_template(self) -> bool:
        return True

    def _long_running_workload(self, template: dict[str, Any]) -> dict[str, Any]:
        return r.stateful_set(self._names, self._options, self.component, template)

    def manifests(self) -> list[dict[str, Any]]:
        return self.workloads()


class ServerPool(_Pool):
    """The parameter servers: StatefulSet (or Job) ``<fullname>-server`` with ``server_count`` pods."""

    component: ClassVar[Component] = "server"


class WorkerPool(_Pool):
    """The workers: StatefulSet (or Indexed Job) ``<fullname>-worker`` with ``worker_count`` pods
    running the entrypoint."""

    component: ClassVar[Component] = "worker"
