"""Restart semantics as Kubernetes applies them, one rule per case, read from the YAML."""

from __future__ import annotations

from typing import Any

import pytest

from mxnet_construct import Entrypoint, JobOptions
from mxnet_construct.manifests import Manifests
from mxnet_construct.policies.restart import (
    Decision,
    Deleted,
    Exited,
    JobFinished,
    JobSetFinished,
    JobSetRestarting,
    PodFinished,
    RestartContainer,
    RestartMachine,
    StartPod,
    StopPod,
    Tick,
)
from tests.helpers import make_chart, synth


def pod_spec(
    policy: str | None = None, containers: tuple[str, ...] = ("main",), init: tuple[str, ...] = ()
) -> dict[str, Any]:
    spec: dict[str, Any] = {"containers": [{"name": c, "image": "x"} for c in containers]}
    if init:
        spec["initContainers"] = [{"name": c, "image": "x"} for c in init]
    if policy:
        spec["restartPolicy"] = policy
    return spec


def bare_pod(name: str = "p", **kwargs: Any) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name}, "spec": pod_spec(**kwargs)}


def controller(kind: str, name: str = "d", policy: str | None = None, replicas: int = 1) -> dict[str, Any]:
    spec = {"replicas": replicas, "template": {"metadata": {"labels": {"a": "b"}}, "spec": pod_spec(policy)}}
    return {"apiVersion": "apps/v1", "kind": kind, "metadata": {"name": name}, "spec": spec}


def job(name: str = "j", policy: str = "Never", **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": name},
        "spec": {**spec, "template": {"spec": pod_spec(policy)}},
    }


def jobset(
    rjobs: list[tuple[str, int]], *, failure: dict[str, Any] | None = None, success: dict[str, Any] | None = None
) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "replicatedJobs": [
            {
                "name": rname,
                "replicas": replicas,
                "template": {
                    "spec": {
                        "backoffLimit": 0,
                        "completions": 1,
                        "parallelism": 1,
                        "template": {"spec": pod_spec("Never")},
                    }
                },
            }
            for rname, replicas in rjobs
        ]
    }
    if failure is not None:
        spec["failurePolicy"] = failure
    if success is not None:
        spec["successPolicy"] = success
    return {"apiVersion": "jobset.x-k8s.io/v1alpha2", "kind": "JobSet", "metadata": {"name": "js"}, "spec": spec}


def machine(*docs: dict[str, Any]) -> tuple[RestartMachine, Manifests, list[Decision]]:
    model = Manifests.of(docs)
    m = RestartMachine(model)
    return m, model, m.start(0.0)


def kinds(decisions: list[Decision]) -> list[str]:
    return [type(d).__name__ for d in decisions]


# --- pod restartPolicy -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("policy", "code", "expected", "phase"),
    [
        ("Always", 0, RestartContainer, "Running"),
        ("Always", 3, RestartContainer, "Running"),
        ("OnFailure", 0, PodFinished, "Succeeded"),
        ("OnFailure", 3, RestartContainer, "Running"),
        ("Never", 0, PodFinished, "Succeeded"),
        ("Never", 3, PodFinished, "Failed"),
    ],
)
def test_restart_policy_decides_what_an_exit_does(policy: str, code: int, expected: type, phase: str) -> None:
    m, _, started = machine(bare_pod(policy=policy))
    assert started == [StartPod("p", 0, 0.0, "created")]
    decisions = m.handle(Exited(5.0, "p", "main", code))
    assert [type(d) for d in decisions] == [expected]
    assert m.phase("p") == phase


def test_a_bare_pod_defaults_to_always_and_nothing_recreates_it_when_deleted() -> None:
    m, _, _ = machine(bare_pod())
    assert isinstance(m.handle(Exited(1.0, "p", "main", 0))[0], RestartContainer)
    assert m.handle(Deleted(2.0, "p")) == [PodFinished("p", "Failed")]
    assert m.outcome == "Failed"


def test_container_back_off_doubles_to_five_minutes_and_resets_after_ten_minutes_of_running() -> None:
    m, _, _ = machine(bare_pod(policy="Always"))
    delays, t = [], 0.0
    for _ in range(7):
        (d,) = m.handle(Exited(t, "p", "main", 1))
        assert isinstance(d, RestartContainer)
        delays.append(d.at - t)
        t = d.at + 1.0  # it crashes a second after each restart
    assert delays == [10, 20, 40, 80, 160, 300, 300]
    (d,) = m.handle(Exited(t + 600, "p", "main", 1))  # ran ten minutes: back-off starts over
    assert isinstance(d, RestartContainer) and d.at - (t + 600) == 10 and d.restarts == 8


def test_a_pod_finishes_only_when_every_container_ended_and_fails_if_any_failed() -> None:
    m, _, _ = machine(bare_pod(policy="Never", containers=("a", "b")))
    assert m.handle(Exited(1.0, "p", "a", 0)) == []
    assert m.phase("p") == "Running"
    assert m.handle(Exited(2.0, "p", "b", 2)) == [PodFinished("p", "Failed")]


@pytest.mark.parametrize(("policy", "expected"), [("Never", PodFinished), ("OnFailure", RestartContainer)])
def test_a_failed_init_container_fails_the_pod_only_under_never(policy: str, expected: type) -> None:
    m, _, _ = machine(bare_pod(policy=policy, init=("setup",)))
    assert m.handle(Exited(0.5, "p", "setup", 0)) == []
    m2, _, _ = machine(bare_pod(policy=policy, init=("setup",)))
    assert [type(d) for d in m2.handle(Exited(0.5, "p", "setup", 1))] == [expected]


def test_unknown_pods_and_containers_and_double_exits_are_errors() -> None:
    m, _, _ = machine(bare_pod(policy="Never", containers=("a", "b")))
    with pytest.raises(ValueError, match="pod 'nope' is not in the manifests; known pods: p"):
        m.handle(Exited(1.0, "nope", "a", 0))
    with pytest.raises(ValueError, match="pod p has no container 'c'; it has a, b"):
        m.handle(Exited(1.0, "p", "c", 0))
    m.handle(Exited(1.0, "p", "a", 0))
    with pytest.raises(ValueError, match="pod p container a is not running"):
        m.handle(Exited(2.0, "p", "a", 0))


# --- controllers ------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["Deployment", "StatefulSet", "ReplicaSet", "DaemonSet"])
def test_controllers_restart_containers_in_place_and_recreate_deleted_pods_fresh(kind: str) -> None:
    m, model, _ = machine(controller(kind))
    name = model.pods[0].name
    (restart,) = m.handle(Exited(1.0, name, "main", 0))
    assert isinstance(restart, RestartContainer) and m.attempt(name) == 0  # same pod, same emptyDirs
    decisions = m.handle(Deleted(2.0, name))
    assert decisions[0] == PodFinished(name, "Failed")
    assert isinstance(decisions[1], StartPod) and decisions[1].attempt == 1  # a new pod: fresh emptyDirs
    assert m.outcome == "Running"


@pytest.mark.parametrize("policy", ["Never", "OnFailure"])
def test_controllers_refuse_a_restart_policy_other_than_always(policy: str) -> None:
    with pytest.raises(
        ValueError, match=rf"Deployment/d template spec.restartPolicy: '{policy}'; a Deployment allows only Always"
    ):
        machine(controller("Deployment", policy=policy))


def test_jobs_refuse_restart_policy_always() -> None:
    with pytest.raises(
        ValueError, match=r"Job/j template spec.restartPolicy: 'Always'; a Job allows only OnFailure or Never"
    ):
        machine(job(policy="Always"))


# --- Jobs ---------------------------------------------------------------------------------------------


def test_never_job_replaces_failed_pods_with_back_off_until_failures_exceed_backoff_limit() -> None:
    m, model, _ = machine(job(backoffLimit=2, completions=2, parallelism=2))
    a, b = (p.name for p in model.pods)
    first = m.handle(Exited(1.0, a, "main", 1))
    assert first[0] == PodFinished(a, "Failed")
    assert isinstance(first[1], StartPod) and (first[1].pod, first[1].attempt, first[1].at) == (a, 1, 11.0)
    second = m.handle(Exited(20.0, a, "main", 1))
    assert isinstance(second[1], StartPod) and second[1].at == 40.0  # 20 s: the back-off doubled
    third = m.handle(Exited(50.0, a, "main", 1))
    assert third == [
        PodFinished(a, "Failed"),
        StopPod(b, "Job/j failed"),
        JobFinished("Job/j", False, "BackoffLimitExceeded", a),
    ]
    assert m.outcome == "Failed"


def test_backoff_limit_zero_fails_the_job_on_the_first_failure_naming_the_pod() -> None:
    m, model, _ = machine(job(backoffLimit=0))
    name = model.pods[0].name
    assert m.handle(Exited(3.0, name, "main", 137))[-1] == JobFinished("Job/j", False, "BackoffLimitExceeded", name)


def test_backoff_limit_defaults_to_six() -> None:
    m, model, _ = machine(job())
    name = model.pods[0].name
    for i in range(6):
        assert not any(isinstance(d, JobFinished) for d in m.handle(Exited(1000.0 * i, name, "main", 1)))
    assert isinstance(m.handle(Exited(9000.0, name, "main", 1))[-1], JobFinished)


@pytest.mark.parametrize(("limit", "restarts_before_failing"), [(0, 0), (1, 0), (2, 1), (3, 2)])
def test_on_failure_jobs_count_container_restarts_against_backoff_limit(
    limit: int, restarts_before_failing: int
) -> None:
    m, model, _ = machine(job(policy="OnFailure", backoffLimit=limit))
    name = model.pods[0].name
    for i in range(restarts_before_failing):
        assert kinds(m.handle(Exited(100.0 * i, name, "main", 1))) == ["RestartContainer"]
    final = m.handle(Exited(1000.0, name, "main", 1))
    assert final[-1] == JobFinished("Job/j", False, "BackoffLimitExceeded", name)


def test_indexed_jobs_recreate_the_failed_index_and_count_failures_globally() -> None:
    m, model, _ = machine(job(backoffLimit=1, completions=3, parallelism=3, completionMode="Indexed"))
    p0, p1, _ = (p.name for p in model.pods)
    again = m.handle(Exited(1.0, p0, "main", 1))
    assert isinstance(again[1], StartPod) and again[1].pod == p0 and m.attempt(p0) == 1
    # A different index failing once more exceeds the Job's one global backoffLimit.
    assert m.handle(Exited(2.0, p1, "main", 1))[-1] == JobFinished("Job/j", False, "BackoffLimitExceeded", p1)


def test_parallelism_bounds_running_pods_and_completions_decide_success() -> None:
    m, model, started = machine(job(completions=3, parallelism=1, completionMode="Indexed"))
    names = [p.name for p in model.pods]
    assert [d.pod for d in started if isinstance(d, StartPod)] == names[:1]
    assert m.handle(Exited(1.0, names[0], "main", 0)) == [
        PodFinished(names[0], "Succeeded"),
        StartPod(names[1], 0, 1.0, "next completion"),
    ]
    m.handle(Exited(2.0, names[1], "main", 0))
    assert m.handle(Exited(3.0, names[2], "main", 0))[-1] == JobFinished("Job/j", True, "Completed")
    assert m.outcome == "Succeeded"


def test_a_work_queue_job_succeeds_once_one_pod_succeeded_and_none_is_running() -> None:
    m, model, _ = machine(job(parallelism=2))
    a, b = (p.name for p in model.pods)
    assert m.handle(Exited(1.0, a, "main", 0)) == [PodFinished(a, "Succeeded")]
    assert m.handle(Exited(2.0, b, "main", 0))[-1] == JobFinished("Job/j", True, "Completed")


def test_active_deadline_fails_the_job_and_stops_its_pods() -> None:
    m, model, _ = machine(job(activeDeadlineSeconds=30))
    name = model.pods[0].name
    assert m.handle(Tick(29.0)) == []
    assert m.handle(Tick(30.0)) == [StopPod(name, "Job/j failed"), JobFinished("Job/j", False, "DeadlineExceeded")]


def test_a_deleted_job_pod_counts_as_a_failure() -> None:
    m, model, _ = machine(job(backoffLimit=0))
    name = model.pods[0].name
    assert m.handle(Deleted(1.0, name))[-1] == JobFinished("Job/j", False, "BackoffLimitExceeded", name)


@pytest.mark.parametrize("field", ["podFailurePolicy", "backoffLimitPerIndex", "maxFailedIndexes", "successPolicy"])
def test_job_fields_the_model_does_not_implement_are_refused(field: str) -> None:
    with pytest.raises(ValueError, match=rf"Job/j spec.{field}: not modelled"):
        machine(job(**{field: 1}))


# --- JobSets ----------------------------------------------------------------------------------------


def js_pods(model: Manifests, rjob: str) -> list[str]:
    return [p.name for p in model.pods if p.workload == f"JobSet/js/{rjob}"]


def test_a_failed_child_job_restarts_every_replicated_job_with_fresh_pods_until_max_restarts() -> None:
    m, model, started = machine(jobset([("scheduler", 1), ("worker", 2)], failure={"maxRestarts": 1}))
    assert len(started) == 3
    (sched,), (w0, w1) = js_pods(model, "scheduler"), js_pods(model, "worker")
    out = m.handle(Exited(5.0, w1, "main", 137))
    assert JobFinished("Job/js-worker-1", False, "BackoffLimitExceeded", w1) in out
    assert JobSetRestarting("js", 1, "Job/js-worker-1") in out
    assert {d.pod for d in out if isinstance(d, StopPod)} == {sched, w0}
    assert {(d.pod, d.attempt) for d in out if isinstance(d, StartPod)} == {(sched, 1), (w0, 1), (w1, 1)}
    # The killed processes of the first attempt may still report; that changes nothing.
    assert m.handle(Exited(6.0, w0, "main", 137, attempt=0)) == []
    final = m.handle(Exited(9.0, w0, "main", 1, attempt=1))
    assert final[-1] == JobSetFinished("js", False, "ReachedMaxRestarts")
    assert m.outcome == "Failed"


def test_without_a_failure_policy_the_first_failed_job_fails_the_jobset() -> None:
    m, model, _ = machine(jobset([("worker", 1)]))
    out = m.handle(Exited(1.0, js_pods(model, "worker")[0], "main", 1))
    assert out[-1] == JobSetFinished("js", False, "FailedJobs")
    assert not any(isinstance(d, JobSetRestarting) for d in out)


def test_success_policy_all_with_targets_finishes_when_the_target_jobs_succeed_and_stops_the_rest() -> None:
    m, model, _ = machine(
        jobset([("scheduler", 1), ("worker", 2)], success={"operator": "All", "targetReplicatedJobs": ["worker"]})
    )
    (sched,), (w0, w1) = js_pods(model, "scheduler"), js_pods(model, "worker")
    assert not any(isinstance(d, JobSetFinished) for d in m.handle(Exited(1.0, w0, "main", 0)))
    out = m.handle(Exited(2.0, w1, "main", 0))
    assert out[-2:] == [StopPod(sched, "JobSet js succeeded"), JobSetFinished("js", True, "AllJobsCompleted")]
    assert m.outcome == "Succeeded"


def test_success_policy_defaults_to_all_replicated_jobs() -> None:
    m, model, _ = machine(jobset([("scheduler", 1), ("worker", 1)]))
    assert not any(isinstance(d, JobSetFinished) for d in m.handle(Exited(1.0, js_pods(model, "worker")[0], "main", 0)))
    assert m.handle(Exited(2.0, js_pods(model, "scheduler")[0], "main", 0))[-1] == JobSetFinished(
        "js", True, "AllJobsCompleted"
    )


def test_success_policy_any_finishes_on_the_first_target_job() -> None:
    m, model, _ = machine(jobset([("worker", 2)], success={"operator": "Any"}))
    w0, w1 = js_pods(model, "worker")
    out = m.handle(Exited(1.0, w0, "main", 0))
    assert out[-2:] == [StopPod(w1, "JobSet js succeeded"), JobSetFinished("js", True, "AnyJobCompleted")]


@pytest.mark.parametrize(
    ("failure", "success", "message"),
    [
        ({"maxRestarts": 1, "rules": [{"action": "FailJobSet"}]}, None, "spec.failurePolicy.rules: not modelled"),
        (None, {"operator": "Some"}, "spec.successPolicy.operator: 'Some' is not All or Any"),
        (None, {"targetReplicatedJobs": ["wrker"]}, r"targetReplicatedJobs: \['wrker'\] name no replicated job"),
        ({"maxRestarts": -1}, None, "maxRestarts: -1 is not a whole number"),
    ],
)
def test_jobset_policies_the_model_cannot_honour_are_refused(failure: Any, success: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        machine(jobset([("worker", 1)], failure=failure, success=success))


def test_replicated_jobs_default_to_on_failure_as_the_jobset_webhook_does() -> None:
    doc = jobset([("worker", 1)])
    del doc["spec"]["replicatedJobs"][0]["template"]["spec"]["template"]["spec"]["restartPolicy"]
    m, model, _ = machine(doc)
    (name,) = js_pods(model, "worker")
    # OnFailure: the kubelet restarts the container (no PodFinished, as Never would give),
    # which reaches backoffLimit 0, so the Job fails and its restarted pod is stopped.
    assert kinds(m.handle(Exited(1.0, name, "main", 1))) == ["StopPod", "JobFinished", "JobSetFinished"]


# --- the releases this library synthesizes -----------------------------------------------------------


def release(lifecycle: str, **kwargs: Any) -> Manifests:
    chart = make_chart(
        release="demo", mode="distributed", server_count=1, worker_count=2, lifecycle=lifecycle,
        entrypoint=Entrypoint(file="train.py"), **kwargs,
    )  # fmt: skip
    return Manifests.of(synth(chart))


def worker(model: Manifests, index: int) -> str:
    return [p.name for p in model.pods if p.role == "worker"][index]


def test_jobset_release_a_killed_worker_restarts_the_group_and_then_succeeds() -> None:
    model = release("jobset", job=JobOptions(max_restarts=2))
    m = RestartMachine(model)
    m.start(0.0)
    out = m.handle(Exited(10.0, worker(model, 1), "mxnet", 137))
    assert JobSetRestarting("demo-mxnet", 1, "Job/demo-mxnet-worker-0") in out
    assert sorted(d.pod for d in out if isinstance(d, StartPod)) == sorted(p.name for p in model.pods)
    for name in (worker(model, 0), worker(model, 1)):
        out = m.handle(Exited(60.0, name, "mxnet", 0, attempt=1))
    assert out[-1] == JobSetFinished("demo-mxnet", True, "AllJobsCompleted")
    assert m.outcome == "Succeeded"


def test_job_release_with_backoff_limit_zero_fails_naming_the_killed_worker() -> None:
    model = release("job")
    m = RestartMachine(model)
    m.start(0.0)
    killed = worker(model, 1)
    out = m.handle(Exited(10.0, killed, "mxnet", 137))
    assert JobFinished("Job/demo-mxnet-worker", False, "BackoffLimitExceeded", killed) in out
    assert m.outcome == "Failed"


def test_long_running_release_restarts_the_killed_worker_in_place_and_never_finishes() -> None:
    model = release("long-running")
    m = RestartMachine(model)
    m.start(0.0)
    killed = worker(model, 1)
    assert killed == "demo-mxnet-worker-1"
    (d,) = m.handle(Exited(10.0, killed, "mxnet", 137))
    assert isinstance(d, RestartContainer) and d.pod == killed and m.attempt(killed) == 0
    assert m.outcome == "Running"
