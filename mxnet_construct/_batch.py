"""Run-to-completion workloads and gang scheduling, as plain YAML-shaped dicts.

* ``job`` lifecycle: one batch/v1 Job per role. Pods never restart in place
  (``restartPolicy: Never``): ps-lite has no way to let a restarted worker rejoin a running
  ``dist_sync`` job, so an in-place restart would hang the group instead of failing it.
* ``jobset`` lifecycle: one JobSet with a replicated job per role; it succeeds when every
  worker succeeds and recreates the whole group, a bounded number of times, when any Job
  fails.
* gang scheduling: a PodGroup that Volcano or the scheduler-plugins Coscheduling plugin
  honours, so either every pod of the release is placed or none is.

Like :mod:`mxnet_construct._render`, nothing here creates jsii objects per Kubernetes
object; :mod:`mxnet_construct._crds` lends the typed CRD bindings where they are cheap.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from . import _quantity
from . import contract as c
from ._render import Doc, document, metadata
from .contract import Component, Names
from .options import MXNetOptions

# The JobSet replicated-job names; they are part of every child Job and pod name.
REPLICATED_JOB_NAMES: dict[Component, str] = {"scheduler": "scheduler", "server": "server", "worker": "worker"}


def _job_spec(options: MXNetOptions, component: Component, template: Doc, *, indexed: bool) -> Doc:
    count = c.replicas(options, component)
    job = options.job
    spec: Doc = {
        "backoffLimit": job.backoff_limit,
        "completions": count,
        "parallelism": count,
        "template": template,
    }
    if indexed:
        spec["completionMode"] = "Indexed"
    if job.active_deadline_seconds is not None:
        spec["activeDeadlineSeconds"] = job.active_deadline_seconds
    return spec


def _with_run_options(spec: Doc, options: MXNetOptions) -> Doc:
    """Adds the settings a Job and a JobSet share at their top level, when set."""
    if options.job.ttl_seconds_after_finished is not None:
        spec["ttlSecondsAfterFinished"] = options.job.ttl_seconds_after_finished
    if options.job.suspend:
        spec["suspend"] = True
    return spec


def job(names: Names, options: MXNetOptions, component: Component, template: Doc) -> Doc:
    """The batch/v1 Job of one role (``job`` lifecycle).

    Workers are an Indexed Job, so each worker pod has a stable hostname
    ``<fullname>-worker-<index>`` under the headless Service. ps-lite still assigns ranks
    in order of arrival; the index is for logs and for user scripts (``JOB_COMPLETION_INDEX``).
    """
    spec = _with_run_options(_job_spec(options, component, template, indexed=c.TRAITS[component].indexed_job), options)
    return document("batch/v1", "Job", metadata(names, names.workload(component), component), spec=spec)


def replicated_job(names: Names, options: MXNetOptions, component: Component, template: Doc) -> Doc:
    """One entry of the JobSet's ``replicatedJobs``: a single Job running the role's pods."""
    # Indexed is what the JobSet webhook defaults to; writing it keeps the output equal to
    # what the API server stores and gives every pod a stable hostname.
    spec = _job_spec(options, component, template, indexed=True)
    return {
        "name": REPLICATED_JOB_NAMES[component],
        "replicas": 1,
        "template": {"metadata": {"labels": c.labels(names, component)}, "spec": spec},
    }


def job_set(names: Names, options: MXNetOptions, replicated_jobs: list[Doc]) -> Doc:
    """The release's JobSet (``jobset`` lifecycle)."""
    from . import _crds

    api_version, kind = _crds.job_set_gvk()
    spec: Doc = {
        # Our headless Service (emitted before the JobSet) is the subdomain, so the JobSet
        # controller adopts it instead of creating a second one named after the JobSet.
        "network": {"enableDNSHostnames": True, "subdomain": names.headless},
        "replicatedJobs": replicated_jobs,
        # Scheduler and servers exit 0 once the workers finish; the workers decide.
        "successPolicy": {"operator": "All", "targetReplicatedJobs": [REPLICATED_JOB_NAMES["worker"]]},
        # One dead worker stalls dist_sync for everyone, so a failure recreates every Job.
        "failurePolicy": {"maxRestarts": options.job.max_restarts},
        # InOrder would create the servers and workers only after the scheduler is Ready,
        # which buys nothing (they wait for the scheduler anyway) and deadlocks under gang
        # scheduling: the group can't be placed until all of its pods exist.
        "startupPolicy": {"startupPolicyOrder": "AnyOrder"},
    }
    return document(api_version, kind, metadata(names, names.fullname, None), spec=_with_run_options(spec, options))


# ---------------------------------------------------------------------------------------
# Gang scheduling


def parse_quantity(value: str | int | float) -> Decimal:
    """A Kubernetes quantity as an exact number; a pod template's resources, read back."""
    try:
        return _quantity.parse_quantity(value)
    except _quantity.QuantityError as err:
        raise ValueError(f"resources: {err}") from None


def pod_requests(pod_spec: Mapping[str, Any]) -> dict[str, Decimal]:
    """What the scheduler reserves for one pod: the larger of the app containers' sum and the
    biggest init container, per resource. Extended resources (GPUs) request their limit."""

    def requests(container: Mapping[str, Any]) -> dict[str, Decimal]:
        res = container.get("resources", {})
        out = {k: parse_quantity(v) for k, v in res.get("limits", {}).items() if "/" in k}
        out.update({k: parse_quantity(v) for k, v in res.get("requests", {}).items()})
        return out

    total: dict[str, Decimal] = {}
    for container in pod_spec.get("containers", []):
        for key, qty in requests(container).items():
            total[key] = total.get(key, Decimal(0)) + qty
    for container in pod_spec.get("initContainers", []):
        for key, qty in requests(container).items():
            total[key] = max(total.get(key, Decimal(0)), qty)
    return total


def gang_totals(docs: Iterable[Mapping[str, Any]]) -> tuple[int, dict[str, str]]:
    """The pods of ``docs`` that run at once, and the sum of their requests by resource name."""
    from .manifests import Manifests

    members = 0
    total: dict[str, Decimal] = {}
    for workload in Manifests.of(docs).workloads:
        count = workload.concurrent
        members += count
        for key, qty in pod_requests(workload.pod_spec).items():
            total[key] = total.get(key, Decimal(0)) + qty * count
    return members, {key: _quantity.format_quantity(total[key]) for key in sorted(total) if total[key]}


def pod_group(names: Names, options: MXNetOptions, docs: Iterable[Mapping[str, Any]]) -> Doc:
    """The PodGroup of the release: every pod, or none, gets scheduled.

    ``docs`` are the release's final workload documents (after hooks, methods and JSON
    patches): ``minMember`` counts the pods they run and ``minResources`` sums what those
    pods request, so the group always matches what is emitted.
    """
    assert options.gang_scheduler is not None
    members, resources = gang_totals(docs)
    spec: Doc = {"minMember": members}
    if resources:
        spec["minResources"] = resources
    from . import _crds

    api_version, kind = _crds.pod_group_gvk(options.gang_scheduler)
    return document(api_version, kind, metadata(names, names.fullname, None), spec=spec)
