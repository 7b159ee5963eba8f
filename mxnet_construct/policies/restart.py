"""Kubernetes restart semantics as a pure state machine: exits in, decisions out.

The machine knows nothing about processes or clocks. Its caller (run-local's supervisor)
starts what :meth:`RestartMachine.start` says, reports every container exit or pod deletion
as an event with a time, and carries out the decisions that come back. The same input
always gives the same decisions, so every rule is tested without running anything.

What is read from the manifests, and what it does (Kubernetes 1.27+, JobSet v1alpha2):

Pod ``spec.restartPolicy`` (bare Pods default to ``Always``; the JobSet webhook defaults
replicated jobs to ``OnFailure``, which :mod:`mxnet_construct.manifests` applies):

* ``Always``: any exit, 0 included, restarts the container in place
  (:class:`RestartContainer`); the pod never finishes on its own.
* ``OnFailure``: a non-zero exit restarts the container in place; exit 0 ends it.
* ``Never``: an exit ends the container.
* A pod whose containers have all ended is ``Succeeded`` if every one exited 0, else
  ``Failed``. A failed init container fails the pod under ``Never`` and is restarted
  otherwise. A restarted container keeps the pod's emptyDirs; only a new pod
  (:class:`StartPod` with ``attempt > 0``) gets fresh ones.
* Container restart delay: the kubelet's back-off, 10 s doubling to 300 s, reset once a
  container has run for 10 minutes.

Controllers:

* Deployment, ReplicaSet, StatefulSet, DaemonSet: the template must say ``Always`` (the
  API server refuses anything else). A deleted pod is recreated (fresh emptyDirs).
* Bare Pod: nothing recreates it.
* Job ``spec.backoffLimit`` (default 6), ``completions``, ``parallelism``,
  ``completionMode``, ``activeDeadlineSeconds``: failures are failed pods (a deleted pod
  that had not succeeded counts as failed) plus, under ``OnFailure``, container restarts
  of the Job's active pods. The Job fails when failed pods exceed ``backoffLimit`` or the
  restarts reach it (any restart when it is 0). Indexed Jobs count one global total, as
  Kubernetes does without ``backoffLimitPerIndex``, and recreate the failed index. A
  failed pod is replaced after the Job controller's back-off, 10 s doubling to 360 s. At
  most ``parallelism`` pods run at once; the next index starts when one succeeds. The Job
  succeeds when every index (Indexed) or ``completions`` pods (NonIndexed) succeeded, or,
  without ``completions``, when one pod succeeded and none is still running. Pods still
  running when a Job ends are stopped (:class:`StopPod`). ``activeDeadlineSeconds``
  fails the Job once that long has passed since it started (checked on every event and
  on :class:`Tick`).
* JobSet ``spec.failurePolicy.maxRestarts``: any failed child Job restarts the whole
  JobSet, every replicated job's pods recreated fresh, until the restarts reach
  ``maxRestarts`` (no failurePolicy: the first failed Job fails the JobSet).
  ``spec.successPolicy``: ``operator`` ``All`` (default) needs every Job of the
  ``targetReplicatedJobs`` (default: all replicated jobs) to succeed, ``Any`` one of
  them. A finished JobSet stops its remaining pods.

Refused with a :class:`ValueError` naming the field, rather than silently ignored: Job
``podFailurePolicy``, ``backoffLimitPerIndex``, ``maxFailedIndexes`` and ``successPolicy``,
and JobSet ``failurePolicy.rules``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, TypeAlias

from ..manifests import Manifests, Pod, Workload

Phase: TypeAlias = Literal["Pending", "Running", "Succeeded", "Failed", "Stopped"]
RESTART_POLICIES = ("Always", "OnFailure", "Never")
LONG_RUNNING_KINDS = ("Deployment", "ReplicaSet", "StatefulSet", "DaemonSet")
DEFAULT_BACKOFF_LIMIT = 6
CONTAINER_BACKOFF = (10.0, 300.0)  # kubelet: first delay, cap
BACKOFF_RESET_AFTER = 600.0
JOB_BACKOFF = (10.0, 360.0)  # Job controller: first delay, cap
_REFUSED_JOB_FIELDS = ("podFailurePolicy", "backoffLimitPerIndex", "maxFailedIndexes", "successPolicy")


# --- events in -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Exited:
    """Container ``container`` of pod ``pod`` exited with ``code`` at time ``t`` (seconds).

    ``attempt`` is the pod attempt the process belonged to (from :class:`StartPod`); an
    exit of an earlier attempt, which the caller was told to stop, changes nothing.
    """

    t: float
    pod: str
    container: str
    code: int
    attempt: int | None = None


@dataclass(frozen=True)
class Deleted:
    """Pod ``pod`` was deleted or evicted as a whole at ``t`` (its containers are gone)."""

    t: float
    pod: str


@dataclass(frozen=True)
class Tick:
    """Time passed; lets deadlines fire while nothing exits."""

    t: float


Event: TypeAlias = Exited | Deleted | Tick


# --- decisions out -----------------------------------------------------------------------------


@dataclass(frozen=True)
class StartPod:
    """Start ``pod`` at ``at``. ``attempt`` > 0 is a new pod: fresh processes and emptyDirs."""

    pod: str
    attempt: int
    at: float
    reason: str


@dataclass(frozen=True)
class RestartContainer:
    """Restart one container in place at ``at``; the pod and its emptyDirs stay."""

    pod: str
    container: str
    restarts: int
    at: float


@dataclass(frozen=True)
class StopPod:
    """Kill a pod that is still running, because its owner finished or restarts."""

    pod: str
    reason: str


@dataclass(frozen=True)
class PodFinished:
    pod: str
    phase: Phase


@dataclass(frozen=True)
class JobFinished:
    """A Job succeeded or failed; ``pod`` is the pod whose failure decided it, if any."""

    job: str
    succeeded: bool
    reason: str
    pod: str | None = None


@dataclass(frozen=True)
class JobSetRestarting:
    jobset: str
    restarts: int
    failed_job: str


@dataclass(frozen=True)
class JobSetFinished:
    jobset: str
    succeeded: bool
    reason: str


Decision: TypeAlias = (
    StartPod | RestartContainer | StopPod | PodFinished | JobFinished | JobSetRestarting | JobSetFinished
)


# --- state ---------------------------------------------------------------------------------------


@dataclass
class _Container:
    name: str
    init: bool
    state: Literal["running", "ended"] = "running"
    code: int | None = None
    restarts: int = 0
    streak: int = 0
    started: float = 0.0


@dataclass
class _Pod:
    pod: Pod
    owner: _Owner
    phase: Phase = "Pending"
    attempt: int = -1
    containers: dict[str, _Container] = field(default_factory=dict)

    @property
    def active(self) -> bool:
        return self.phase in ("Pending", "Running")

    def start(self, at: float) -> None:
        self.attempt += 1
        self.phase = "Running"
        spec = self.pod.spec
        names = [(c, True) for c in spec.get("initContainers") or []] + [
            (c, False) for c in spec.get("containers") or []
        ]
        self.containers = {str(c.get("name")): _Container(str(c.get("name")), init, started=at) for c, init in names}


@dataclass
class _Owner:
    """What decides a pod's fate once it ends: a controller, a Job, or nothing (bare Pod)."""

    id: str
    kind: Literal["pod", "controller", "job"]
    pods: list[_Pod] = field(default_factory=list)
    backoff_limit: int = DEFAULT_BACKOFF_LIMIT
    parallelism: int = 1
    completions: int | None = None
    indexed: bool = False
    deadline: float | None = None
    started: float = 0.0
    failures: int = 0
    succeeded: set[str] = field(default_factory=set)
    finished: bool | None = None
    jobset: _JobSet | None = None


@dataclass
class _JobSet:
    name: str
    max_restarts: int
    has_policy: bool
    operator: str
    targets: set[str]
    jobs: list[tuple[str, _Owner]] = field(default_factory=list)
    restarts: int = 0
    finished: bool | None = None


def _spec_int(spec: Mapping[str, Any], key: str, where: str, default: int | None) -> int | None:
    value = spec.get(key)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{where} spec.{key}: {value!r} is not a whole number >= 0")
    return value


def _job_owner(owner_id: str, spec: Mapping[str, Any], where: str) -> _Owner:
    for key in _REFUSED_JOB_FIELDS:
        if key in spec:
            raise ValueError(
                f"{where} spec.{key}: not modelled by the local restart semantics; remove it to run locally"
            )
    deadline = spec.get("activeDeadlineSeconds")
    if deadline is not None and (isinstance(deadline, bool) or not isinstance(deadline, int | float) or deadline <= 0):
        raise ValueError(f"{where} spec.activeDeadlineSeconds: {deadline!r} is not a positive number of seconds")
    return _Owner(
        owner_id,
        "job",
        backoff_limit=_spec_int(spec, "backoffLimit", where, DEFAULT_BACKOFF_LIMIT) or 0,
        parallelism=_spec_int(spec, "parallelism", where, 1) or 0,
        completions=_spec_int(spec, "completions", where, None),
        indexed=(spec.get("completionMode") or ("Indexed" if where.startswith("JobSet/") else "NonIndexed"))
        == "Indexed",
        deadline=float(deadline) if deadline is not None else None,
    )


def _jobset(doc: Mapping[str, Any], name: str) -> _JobSet:
    spec = doc.get("spec") or {}
    policy = spec.get("failurePolicy")
    where = f"JobSet/{name}"
    if policy is not None and not isinstance(policy, Mapping):
        raise ValueError(f"{where} spec.failurePolicy: {policy!r} is not a mapping")
    if policy and policy.get("rules"):
        raise ValueError(
            f"{where} spec.failurePolicy.rules: not modelled by the local restart semantics; remove them to run locally"
        )
    max_restarts = _spec_int(policy or {}, "maxRestarts", f"{where} failurePolicy", 0) or 0
    success = spec.get("successPolicy") or {}
    operator = success.get("operator") or "All"
    if operator not in ("All", "Any"):
        raise ValueError(f"{where} spec.successPolicy.operator: {operator!r} is not All or Any")
    names = [str(r.get("name")) for r in spec.get("replicatedJobs") or []]
    targets = set(success.get("targetReplicatedJobs") or [])
    unknown = sorted(targets - set(names))
    if unknown:
        raise ValueError(
            f"{where} spec.successPolicy.targetReplicatedJobs: {unknown} name no replicated job; have {names}"
        )
    return _JobSet(name, max_restarts, policy is not None, operator, targets or set(names))


class RestartMachine:
    """The restart state of every pod of some manifests (see the module docstring)."""

    def __init__(self, manifests: Manifests) -> None:
        self._pods: dict[str, _Pod] = {}
        self._owners: list[_Owner] = []
        self._jobsets: dict[str, _JobSet] = {}
        for workload in manifests.workloads:
            self._add(workload)

    def _add(self, workload: Workload) -> None:
        for pod in workload.pods:
            policy = pod.restart_policy
            if policy not in RESTART_POLICIES:
                raise ValueError(
                    f"pod {pod.name} spec.restartPolicy: {policy!r} is not one of {', '.join(RESTART_POLICIES)}"
                )
            if workload.kind in LONG_RUNNING_KINDS and policy != "Always":
                raise ValueError(
                    f"{workload.id} template spec.restartPolicy: {policy!r}; a {workload.kind} allows only Always"
                )
            if workload.kind in ("Job", "JobSet") and policy == "Always":
                raise ValueError(
                    f"{workload.id} template spec.restartPolicy: 'Always'; a Job allows only OnFailure or Never"
                )
        if workload.kind in ("Pod", *LONG_RUNNING_KINDS):
            owner = _Owner(workload.id, "pod" if workload.kind == "Pod" else "controller")
            self._owners.append(owner)
            for pod in workload.pods:
                self._track(pod, owner)
            return
        jobset = None
        if workload.kind == "JobSet":
            jobset = self._jobsets.get(workload.name) or _jobset(workload.doc, workload.name)
            self._jobsets[workload.name] = jobset
        by_job: dict[str, list[Pod]] = {}
        for pod in workload.pods:
            by_job.setdefault(str(pod.job), []).append(pod)
        for job_name, pods in by_job.items():
            owner = _job_owner(f"Job/{job_name}", workload.job_spec or {}, workload.id)
            owner.jobset = jobset
            if jobset is not None:
                jobset.jobs.append((str(workload.part), owner))
            self._owners.append(owner)
            for pod in pods:
                self._track(pod, owner)

    def _track(self, pod: Pod, owner: _Owner) -> None:
        state = _Pod(pod, owner)
        self._pods[pod.name] = state
        owner.pods.append(state)

    # --- queries ------------------------------------------------------------------------------

    def phase(self, pod: str) -> Phase:
        return self._get(pod).phase

    def attempt(self, pod: str) -> int:
        """How many times the pod was recreated (0: the first pod)."""
        return self._get(pod).attempt

    def restarts(self, pod: str, container: str) -> int:
        return self._get(pod).containers[container].restarts

    @property
    def outcome(self) -> Literal["Running", "Succeeded", "Failed"]:
        """Failed once anything that runs to completion failed; Succeeded once all of it
        succeeded. Deployments and friends never finish, so with only those it stays Running."""
        results = [js.finished for js in self._jobsets.values()]
        results += [o.finished for o in self._owners if o.kind == "job" and o.jobset is None]
        results += [self._bare_result(o) for o in self._owners if o.kind == "pod"]
        if any(r is False for r in results):
            return "Failed"
        if results and all(r is True for r in results):
            return "Succeeded"
        return "Running"

    def _bare_result(self, owner: _Owner) -> bool | None:
        phase = owner.pods[0].phase
        return {"Succeeded": True, "Failed": False, "Stopped": False}.get(phase)

    def _get(self, pod: str) -> _Pod:
        if pod not in self._pods:
            raise ValueError(f"pod {pod!r} is not in the manifests; known pods: {', '.join(sorted(self._pods))}")
        return self._pods[pod]

    # --- transitions --------------------------------------------------------------------------

    def start(self, t: float = 0.0) -> list[Decision]:
        """The pods to start first: every pod, except Job indexes beyond ``parallelism``."""
        out: list[Decision] = []
        for owner in self._owners:
            owner.started = t
            out += self._fill(owner, t, "created")
        return out

    def _fill(self, owner: _Owner, t: float, reason: str, delay: float = 0.0) -> list[Decision]:
        """Starts pending pods while the owner has room for them."""
        out: list[Decision] = []
        limit = owner.parallelism if owner.kind == "job" else len(owner.pods)
        if owner.kind == "job" and owner.completions is None and owner.succeeded:
            return out  # a work-queue Job starts nothing once one pod succeeded
        for state in owner.pods:
            if sum(1 for p in owner.pods if p.phase == "Running") >= limit:
                break
            if state.phase == "Pending" and state.pod.name not in owner.succeeded:
                state.start(t + delay)
                out.append(StartPod(state.pod.name, state.attempt, t + delay, reason))
        return out

    def handle(self, event: Event) -> list[Decision]:
        """Applies one event; returns what the cluster would do about it, in order."""
        out: list[Decision] = []
        if isinstance(event, Exited):
            out += self._exited(event)
        elif isinstance(event, Deleted):
            state = self._get(event.pod)
            if state.active:
                state.phase = "Failed"
                out.append(PodFinished(state.pod.name, "Failed"))
                out += self._pod_ended(state, event.t, "deleted")
        out += self._deadlines(event.t)
        return out

    def _exited(self, event: Exited) -> list[Decision]:
        state = self._get(event.pod)
        stale = event.attempt is not None and event.attempt != state.attempt
        if stale or state.phase == "Stopped":
            return []  # the exit of a pod this machine stopped or already replaced
        if event.container not in state.containers:
            raise ValueError(
                f"pod {event.pod} has no container {event.container!r}; it has {', '.join(state.containers)}"
            )
        container = state.containers[event.container]
        if container.state != "running":
            raise ValueError(f"pod {event.pod} container {event.container} is not running ({container.state})")
        policy = state.pod.restart_policy
        restart = policy == "Always" or (policy == "OnFailure" and event.code != 0)
        if container.init and event.code == 0:
            container.state, container.code = "ended", 0
            return []
        if restart:
            return self._restart_container(state, container, event.t)
        container.state, container.code = "ended", event.code
        if container.init:
            state.phase = "Failed"
        elif all(c.state == "ended" for c in state.containers.values() if not c.init):
            failed = any(c.code != 0 for c in state.containers.values() if not c.init)
            state.phase = "Failed" if failed else "Succeeded"
        else:
            return []
        return [PodFinished(state.pod.name, state.phase), *self._pod_ended(state, event.t, f"exit code {event.code}")]

    def _restart_container(self, state: _Pod, container: _Container, t: float) -> list[Decision]:
        owner = state.owner
        if owner.kind == "job":
            # Under OnFailure the Job counts container restarts of its active pods.
            total = 1 + sum(c.restarts for p in owner.pods if p.active for c in p.containers.values())
            # The Job controller fails the Job once the restart counts reach backoffLimit
            # (any restart when it is 0), after the kubelet made the restart.
            if total >= max(owner.backoff_limit, 1):
                container.state = "ended"
                return self._finish_job(owner, False, "BackoffLimitExceeded", t, state.pod.name)
        if t - container.started >= BACKOFF_RESET_AFTER:
            container.streak = 0
        delay = min(CONTAINER_BACKOFF[0] * 2**container.streak, CONTAINER_BACKOFF[1])
        container.streak += 1
        container.restarts += 1
        container.started = t + delay
        return [RestartContainer(state.pod.name, container.name, container.restarts, t + delay)]

    def _pod_ended(self, state: _Pod, t: float, why: str) -> list[Decision]:
        owner = state.owner
        if owner.kind == "pod":
            return []
        if owner.kind == "controller":
            state.start(t)
            return [StartPod(state.pod.name, state.attempt, t, f"recreated by {owner.id} after {why}")]
        if state.phase == "Succeeded":
            owner.succeeded.add(state.pod.name)
            if self._job_complete(owner):
                return self._finish_job(owner, True, "Completed", t, None)
            return self._fill(owner, t, "next completion")
        owner.failures += 1
        if owner.failures > owner.backoff_limit:
            return self._finish_job(owner, False, "BackoffLimitExceeded", t, state.pod.name)
        delay = min(JOB_BACKOFF[0] * 2 ** (owner.failures - 1), JOB_BACKOFF[1])
        state.phase = "Pending"
        return self._fill(owner, t, f"replaces the pod that failed ({why})", delay)

    def _job_complete(self, owner: _Owner) -> bool:
        if owner.completions is not None:
            return len(owner.succeeded) >= owner.completions
        return not any(p.phase == "Running" for p in owner.pods)

    def _finish_job(self, owner: _Owner, ok: bool, reason: str, t: float, pod: str | None) -> list[Decision]:
        owner.finished = ok
        out: list[Decision] = [*self._stop(owner.pods, f"{owner.id} {'succeeded' if ok else 'failed'}")]
        out.append(JobFinished(owner.id, ok, reason, pod))
        jobset = owner.jobset
        if jobset is None or jobset.finished is not None:
            return out
        if ok:
            done = [o for rjob, o in jobset.jobs if rjob in jobset.targets and o.finished]
            needed = 1 if jobset.operator == "Any" else sum(1 for rjob, _ in jobset.jobs if rjob in jobset.targets)
            if len(done) >= needed:
                out += self._finish_jobset(
                    jobset, True, "AllJobsCompleted" if jobset.operator == "All" else "AnyJobCompleted"
                )
            return out
        if jobset.restarts >= jobset.max_restarts:
            return out + self._finish_jobset(jobset, False, "ReachedMaxRestarts" if jobset.has_policy else "FailedJobs")
        jobset.restarts += 1
        out.append(JobSetRestarting(jobset.name, jobset.restarts, owner.id))
        for _, job in jobset.jobs:
            out += self._stop(job.pods, f"JobSet {jobset.name} restarts")
            job.failures, job.succeeded, job.finished, job.started = 0, set(), None, t
            for p in job.pods:
                p.phase = "Pending"
        for _, job in jobset.jobs:
            out += self._fill(job, t, f"JobSet {jobset.name} restart {jobset.restarts}")
        return out

    def _finish_jobset(self, jobset: _JobSet, ok: bool, reason: str) -> list[Decision]:
        jobset.finished = ok
        out: list[Decision] = []
        for _, job in jobset.jobs:
            out += self._stop(job.pods, f"JobSet {jobset.name} {'succeeded' if ok else 'failed'}")
        return [*out, JobSetFinished(jobset.name, ok, reason)]

    def _stop(self, pods: Iterable[_Pod], reason: str) -> list[Decision]:
        out: list[Decision] = []
        for p in pods:
            if p.phase == "Running":
                p.phase = "Stopped"
                out.append(StopPod(p.pod.name, reason))
        return out

    def _deadlines(self, t: float) -> list[Decision]:
        out: list[Decision] = []
        for owner in self._owners:
            expired = owner.deadline is not None and t - owner.started >= owner.deadline
            if owner.kind == "job" and owner.finished is None and expired:
                out += self._finish_job(owner, False, "DeadlineExceeded", t, None)
        return out


__all__ = [
    "Decision",
    "Deleted",
    "Event",
    "Exited",
    "JobFinished",
    "JobSetFinished",
    "JobSetRestarting",
    "PodFinished",
    "RestartContainer",
    "RestartMachine",
    "StartPod",
    "StopPod",
    "Tick",
]
