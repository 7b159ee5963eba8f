"""``MXNetChart``: one MXNet release as a cdk8s chart."""

from __future__ import annotations

import difflib
import os
from collections.abc import Mapping
from typing import Any, ClassVar, Unpack, cast

import cdk8s
from constructs import Construct

from . import _batch
from . import _render as r
from . import _validate as v
from . import contract as c
from ._derive import Release
from .options import LocalFiles, MXNetKwargs, MXNetOptions
from .roles import RoleConstruct, Scheduler, ServerPool, Standalone, WorkerPool

_OPTION_NAMES = tuple(MXNetOptions.__dataclass_fields__)


def _check_option_names(kwargs: Mapping[str, Any]) -> None:
    for key in kwargs:
        if key not in MXNetOptions.__dataclass_fields__:
            close = difflib.get_close_matches(key, _OPTION_NAMES, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise TypeError(f"MXNetChart: unknown keyword argument {key!r}{hint}")


class MXNetChart(cdk8s.Chart):
    """An Apache MXNet release: a standalone pod or a distributed parameter-server job.

    ``id`` is the release name. Keyword arguments are the fields of
    :class:`~mxnet_construct.options.MXNetOptions` (documented there, with their Helm
    chart equivalents), plus ``namespace`` and ``labels`` for the chart itself.

    Objects (``fullname`` is ``<release>-mxnet``, or ``<release>`` when the release name
    contains ``mxnet``):

    * standalone: Deployment ``<fullname>``;
    * distributed: Deployment and Service ``<fullname>-scheduler``, StatefulSets
      ``<fullname>-server`` and ``<fullname>-worker``, headless Service
      ``<fullname>-headless``, a PodDisruptionBudget;
    * both: ServiceAccount and NetworkPolicy ``<fullname>``, ConfigMap ``<fullname>-files`` for
      :class:`~mxnet_construct.options.LocalFiles`, and claims when persistence is on.

    ``lifecycle="job"`` replaces the Deployments and StatefulSets with batch/v1 Jobs of the
    same names (the workers' Job is Indexed); ``lifecycle="jobset"`` replaces all of them
    with one JobSet ``<fullname>``. ``gang_scheduler`` adds a PodGroup ``<fullname>``.

    All input is validated before anything reaches cdk8s: bad input raises ``ValueError``
    (or ``TypeError`` for a wrong type) naming the field and the value.

    To customise a role, subclass it and set the matching class attribute on a subclass
    of this chart (see :mod:`mxnet_construct.roles`).

    Every object is a ``cdk8s.ApiObject`` in the construct tree: the roles' objects under
    their role constructs (``cdk8s.ApiObject.of(chart.workers)`` is the workers' workload),
    the shared ones under the chart, with the construct ids in parentheses below. cdk8s's
    own synthesis emits them, so JSON patches, the metadata API, dependencies, every
    ``YamlOutputType`` and org-wide ``node.find_all()`` walks work on them.

    ``checkov_skips=True`` writes ``checkov.io/skip<N>`` annotations at synthesis, computed
    from each object's final document (after hooks and patches); off by default.

    Attributes:
        options: The validated options.
        names: Every object name of the release.
        standalone: The ``Standalone`` construct, or None in distributed mode.
        scheduler: The ``Scheduler`` construct, or None in standalone mode.
        servers: The ``ServerPool`` construct, or None in standalone mode.
        workers: The ``WorkerPool`` construct, or None in standalone mode.
        service_account: The ServiceAccount (``ServiceAccount``), or None when
            ``service_account`` is False or names an existing account.
        files_config_map: The ConfigMap of ``LocalFiles`` (``FilesConfigMap``), or None.
        headless_service: The headless Service (``HeadlessService``), or None in standalone mode.
        network_policy: The release's NetworkPolicy (``NetworkPolicy``), or None when off.
        pod_disruption_budget: The PodDisruptionBudget (``PodDisruptionBudget``), or None.
        pod_group: The gang scheduler's PodGroup (``PodGroup``), or None.
        job_set: The JobSet of ``lifecycle="jobset"`` (``JobSet``), or None.
    """

    standalone_class: ClassVar[type[Standalone]] = Standalone
    scheduler_class: ClassVar[type[Scheduler]] = Scheduler
    server_pool_class: ClassVar[type[ServerPool]] = ServerPool
    worker_pool_class: ClassVar[type[WorkerPool]] = WorkerPool

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        namespace: str | None = None,
        labels: Mapping[str, str] | None = None,
        checkov_skips: bool = False,
        **options: Unpack[MXNetKwargs],
    ) -> None:
        # Everything is checked before the first jsii call, so bad input is a clear
        # Python error rather than a stack trace from Node.
        if not isinstance(scope, Construct):
            raise TypeError(f"MXNetChart: scope must be a construct (e.g. cdk8s.App()), got {type(scope).__name__}")
        _check_option_names(options)
        if not isinstance(checkov_skips, bool):
            raise TypeError(f"checkov_skips: expected True or False, got {checkov_skips!r}")
        # The keywords also take k8s/cdk8s-plus types, which MXNetOptions stores converted.
        opts = MXNetOptions(**cast(dict[str, Any], options))
        names = c.names(id, opts)
        if namespace is not None:
            v.check_dns_label("namespace", namespace)
        chart_labels = v.check_str_mapping("labels", labels or {}, keys="label", values="label")
        try:
            # Name hashes stay on: the release's own objects carry explicit names, and the
            # objects a user adds to the chart get cdk8s's usual unique names.
            super().__init__(scope, id, namespace=namespace, labels=chart_labels or None)
        except RuntimeError as err:
            if "already a Construct" in str(err):
                raise ValueError(
                    f"release name: {id!r} is used twice in this app; each MXNetChart needs its own id"
                ) from None
            raise
        self.options: MXNetOptions = opts
        self.names: c.Names = names
        self.standalone: Standalone | None = None
        self.scheduler: Scheduler | None = None
        self.servers: ServerPool | None = None
        self.workers: WorkerPool | None = None
        self.service_account: cdk8s.ApiObject | None = None
        self.files_config_map: cdk8s.ApiObject | None = None
        self.headless_service: cdk8s.ApiObject | None = None
        self.network_policy: cdk8s.ApiObject | None = None
        self.pod_disruption_budget: cdk8s.ApiObject | None = None
        self.pod_group: cdk8s.ApiObject | None = None
        self.job_set: cdk8s.ApiObject | None = None
        self._release = Release(
            names,
            opts,
            checkov=checkov_skips,
            collisions=self._name_collisions,
            namespace=namespace,
            chart_labels=chart_labels,
        )
        self._build()

    def _build(self) -> None:
        """Creates every object of the release, in output order.

        cdk8s emits a chart's objects in construct-tree order (then by dependencies), so
        objects are created in the order they should be applied: the ServiceAccount and the
        PodGroup before any pod exists, workloads before the objects that only refer to them.
        """
        opts, names, release = self.options, self.names, self._release
        if opts.creates_service_account:
            self.service_account = release.static(self, "ServiceAccount", r.service_account(names))
        if opts.gang_scheduler is not None:
            # Created here for its place in the output; its body sums the final pods.
            self.pod_group = release.derived_object(self, "PodGroup", "pod-group")
        if isinstance(opts.code, LocalFiles):
            self.files_config_map = release.static(self, "FilesConfigMap", r.files_config_map(names, opts.code))
        role_args: dict[str, Any] = {"names": names, "options": opts}
        if opts.mode == "standalone":
            self.standalone = self.standalone_class(self, "standalone", **role_args)
        else:
            self.scheduler = self.scheduler_class(self, "scheduler", **role_args)
            self.servers = self.server_pool_class(self, "servers", **role_args)
            self.workers = self.worker_pool_class(self, "workers", **role_args)
        for role in self.roles:
            role._build(release)
        if opts.mode == "distributed":
            self.headless_service = release.static(self, "HeadlessService", r.headless_service(names, opts))
            if opts.lifecycle == "jobset":
                roles = self.roles
                self.job_set = release.lazy(
                    self,
                    "JobSet",
                    lambda: _batch.job_set(names, opts, [role._replicated_job_doc() for role in roles]),
                    "workload",
                )
                for role in roles:
                    role.node.default_child = self.job_set
        if opts.network_policy.enabled:
            self.network_policy = release.static(self, "NetworkPolicy", r.network_policy(names, opts))
        if opts.mode == "distributed" and opts.pod_disruption_budget:
            self.pod_disruption_budget = release.derived_object(self, "PodDisruptionBudget", "pdb")

    @classmethod
    def from_helm_values(
        cls,
        scope: Construct,
        id: str,
        values: Mapping[str, Any],
        *,
        chart_version: str | None = None,
        **chart_kwargs: Any,
    ) -> MXNetChart:
        """A release from a mapping in the Bitnami chart's values schema.

        Every key of the parameter table of chart 1.4.26, 2.4.17 or 3.5.1 is accepted with
        that version's meaning and default; ``chart_version`` names the version (else the
        keys tell it, see :func:`mxnet_construct.helm.chart_kwargs_from_values`), and a
        live release of it can be adopted in place. ``extraDeploy`` objects are added as
        they are. Every bad key or value is reported at once, as a ``ValueError`` naming
        each key path. ``chart_kwargs`` (``namespace``, ``labels`` or any option) win over
        the values.
        """
        from .helm import add_extra_objects, translate

        translation = translate(values, chart_version)
        chart = cls(scope, id, **{**translation.kwargs, **chart_kwargs})
        add_extra_objects(chart, translation.extra_objects)
        return chart

    @classmethod
    def from_values_file(
        cls,
        scope: Construct,
        id: str,
        path: str | os.PathLike[str],
        *,
        chart_version: str | None = None,
        **chart_kwargs: Any,
    ) -> MXNetChart:
        """Like :meth:`from_helm_values`, reading a ``values.yaml`` file."""
        from .helm import load_values_file

        return cls.from_helm_values(scope, id, load_values_file(path), chart_version=chart_version, **chart_kwargs)

    @property
    def roles(self) -> list[RoleConstruct]:
        """The role constructs of this release, in output order."""
        found = [self.standalone, self.scheduler, self.servers, self.workers]
        return [role for role in found if role is not None]

    def api_objects_of_release(self) -> list[cdk8s.ApiObject]:
        """Every ``ApiObject`` this release created; objects other code added are not included."""
        return [obj for obj in self._own_objects() if obj is not None]

    def _name_collisions(self) -> list[str]:
        """Two objects of this chart with one kind, namespace and name, named by path."""
        own = self._release.identities
        seen: dict[tuple[str, str, str | None, str], cdk8s.ApiObject] = {}
        out: list[str] = []
        namespace = self._release.namespace
        for node in self.node.find_all():
            if not isinstance(node, cdk8s.ApiObject):
                continue
            # The release's own objects are known in Python; only a user's object costs
            # Node calls (and one in a nested chart is that chart's business).
            known = own.get(id(node))
            if known is not None:
                key = (known[0], known[1], namespace, known[2])
            elif cdk8s.Chart.of(node) is self:
                key = (node.api_group, node.kind, node.metadata.namespace, node.name)
            else:
                continue
            first = seen.setdefault(key, node)
            if first is not node:
                where = key[2] or "the chart's default namespace"
                out.append(
                    f"{key[1]} {key[3]!r} is defined twice in {where}: at {first.node.path} and at "
                    f"{node.node.path}; give one of them another name"
                )
        return out

    def _own_objects(self) -> list[cdk8s.ApiObject | None]:
        out: list[cdk8s.ApiObject | None] = [self.service_account, self.pod_group, self.files_config_map]
        for role in self.roles:
            out += [role.deployment, role.stateful_set, role.job]
            if isinstance(role, Scheduler):
                out += [role.service, role.network_policy]
            out.append(role.persistent_volume_claim)
        out += [self.headless_service, self.job_set, self.network_policy, self.pod_disruption_budget]
        return out
