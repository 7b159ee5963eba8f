"""``MXNetChart``: one MXNet release as a cdk8s chart."""

from __future__ import annotations

import difflib
import os
import weakref
from collections.abc import Mapping
from typing import Any, ClassVar, Unpack

import cdk8s
from constructs import Construct

from . import _batch
from . import _render as r
from . import _validate as v
from . import contract as c
from .options import LocalFiles, MXNetKwargs, MXNetOptions
from .roles import RoleConstruct, Scheduler, ServerPool, Standalone, WorkerPool

_OPTION_NAMES = tuple(MXNetOptions.__dataclass_fields__)
# Apps already checked for an output type that would drop our objects; one jsii call per
# app rather than per chart keeps the per-release cost flat.
_CHECKED_APPS: weakref.WeakKeyDictionary[Construct, bool] = weakref.WeakKeyDictionary()


def _check_output_type(scope: Construct) -> None:
    """Refuses the one cdk8s output mode that would silently lose this chart's objects.

    ``FOLDER_PER_CHART_FILE_PER_RESOURCE`` writes ApiObject children directly instead of
    asking the chart for its documents (``Chart.to_json``), which is how every object of
    an MXNet release is emitted.
    """
    app = scope if isinstance(scope, cdk8s.App) else scope.node.root
    if app in _CHECKED_APPS or not isinstance(app, cdk8s.App):
        return
    if app.yaml_output_type == cdk8s.YamlOutputType.FOLDER_PER_CHART_FILE_PER_RESOURCE:
        raise ValueError(
            "yaml_output_type: FOLDER_PER_CHART_FILE_PER_RESOURCE is not supported by MXNetChart "
            "(it would skip the release's objects); use FILE_PER_RESOURCE, FILE_PER_CHART or FILE_PER_APP"
        )
    _CHECKED_APPS[app] = True


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

    Attributes:
        options: The validated options.
        names: Every object name of the release.
        standalone: The ``Standalone`` construct, or None in distributed mode.
        scheduler: The ``Scheduler`` construct, or None in standalone mode.
        servers: The ``ServerPool`` construct, or None in standalone mode.
        workers: The ``WorkerPool`` construct, or None in standalone mode.
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
        **options: Unpack[MXNetKwargs],
    ) -> None:
        # Everything is checked before the first jsii call, so bad input is a clear
        # Python error rather than a stack trace from Node.
        if not isinstance(scope, Construct):
            raise TypeError(f"MXNetChart: scope must be a construct (e.g. cdk8s.App()), got {type(scope).__name__}")
        _check_option_names(options)
        opts = MXNetOptions(**options)
        names = c.names(id, opts)
        if namespace is not None:
            v.check_dns_label("namespace", namespace)
        chart_labels = v.check_str_mapping("labels", labels or {}, keys="label", values="label")
        _check_output_type(scope)
        try:
            super().__init__(
                scope, id, namespace=namespace, labels=chart_labels or None, disable_resource_name_hashes=True
            )
        except RuntimeError as err:
            if "already a Construct" in str(err):
                raise ValueError(
                    f"release name: {id!r} is used twice in this app; each MXNetChart needs its own id"
                ) from None
            raise
        self.options: MXNetOptions = opts
        self.names: c.Names = names
        self._namespace = namespace
        self._chart_labels = chart_labels
        self.standalone: Standalone | None = None
        self.scheduler: Scheduler | None = None
        self.servers: ServerPool | None = None
        self.workers: WorkerPool | None = None
        role_args: dict[str, Any] = {"names": names, "options": opts}
        if opts.mode == "standalone":
            self.standalone = self.standalone_class(self, "standalone", **role_args)
        else:
            self.scheduler = self.scheduler_class(self, "scheduler", **role_args)
            self.servers = self.server_pool_class(self, "servers", **role_args)
            self.workers = self.worker_pool_class(self, "workers", **role_args)

    @classmethod
    def from_helm_values(cls, scope: Construct, id: str, values: Mapping[str, Any], **chart_kwargs: Any) -> MXNetChart:
        """A release from a mapping in the Bitnami chart's values schema.

        Every key of the chart README's parameter table is accepted with the same meaning
        and default. An unknown key or a wrong type raises ``ValueError`` naming the full
        key path. ``chart_kwargs`` (``namespace``, ``labels`` or any option) win over the
        values.
        """
        from .helm import chart_kwargs_from_values

        kwargs = chart_kwargs_from_values(values)
        kwargs.update(chart_kwargs)
        return cls(scope, id, **kwargs)

    @classmethod
    def from_values_file(
        cls, scope: Construct, id: str, path: str | os.PathLike[str], **chart_kwargs: Any
    ) -> MXNetChart:
        """Like :meth:`from_helm_values`, reading a ``values.yaml`` file."""
        from .helm import load_values_file

        return cls.from_helm_values(scope, id, load_values_file(path), **chart_kwargs)

    @property
    def roles(self) -> list[RoleConstruct]:
        """The role constructs of this release, in output order."""
        found = [self.standalone, self.scheduler, self.servers, self.workers]
        return [role for role in found if role is not None]

    def manifests(self) -> list[dict[str, Any]]:
        """Every object this release emits, as YAML-shaped dicts, in output order.

        Objects that other code adds to the chart as cdk8s ``ApiObject`` children are not
        included here; :meth:`to_json` appends them.
        """
        opts, names = self.options, self.names
        docs: list[dict[str, Any]] = []
        if opts.creates_service_account:
            docs.append(r.service_account(names))
        if isinstance(opts.code, LocalFiles):
            docs.append(r.files_config_map(names, opts.code))
        for role in self.roles:
            docs += role.manifests()
        if opts.mode == "distributed":
            docs.append(r.headless_service(names, opts))
            if opts.lifecycle == "jobset":
                docs.append(_batch.job_set(names, opts, [role.replicated_job() for role in self.roles]))
        if opts.network_policy.enabled:
            docs.append(r.network_policy(names, opts))
        if opts.mode == "distributed" and opts.pod_disruption_budget:
            docs.append(r.disruption_budget(names, opts))
        if opts.gang_scheduler is not None:
            # Before the workloads, so the group exists when the first pod is created.
            docs.insert(1 if opts.service_account else 0, _batch.pod_group(names, opts, docs))
        for doc in docs:
            meta = doc["metadata"]
            if self._chart_labels:
                meta["labels"] = dict(sorted({**self._chart_labels, **meta.get("labels", {})}.items()))
            if self._namespace:
                meta["namespace"] = self._namespace
            r.add_checkov_skips(doc, opts, namespaced=self._namespace is not None)
        return docs

    def to_json(self) -> list[Any]:
        """All documents of the chart: this release's objects, then any ``ApiObject`` children."""
        return [*self.manifests(), *super().to_json()]
