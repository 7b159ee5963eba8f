"""Lifecycles: long-running (the chart), job (batch/v1 Jobs) and jobset (one JobSet)."""

from __future__ import annotations

import subprocess
from typing import Any

import pytest

from mxnet_construct import (
    Entrypoint,
    JobOptions,
    LocalFiles,
    MXNetChart,
    Persistence,
    PodTemplateSpec,
    Resources,
    RoleOptions,
    WorkerPool,
)
from tests.helpers import ROOT, env_of, find, make_chart, synth, synth_yaml, validate_documents

TRAIN = Entrypoint(file="train.py", args=["--kvstore", "dist_sync"])
# Run-to-completion lifecycles need an entrypoint file.
DIST = {"mode": "distributed", "server_count": 2, "worker_count": 3, "entrypoint": TRAIN}
JOB_EVERYTHING = JobOptions(
    backoff_limit=2, active_deadline_seconds=7200, ttl_seconds_after_finished=600, suspend=True, max_restarts=5
)


def pods_of(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Pod templates of a Job or JobSet, keyed by component."""
    if doc["kind"] == "JobSet":
        return {rj["name"]: rj["template"]["spec"]["template"] for rj in doc["spec"]["replicatedJobs"]}
    template = doc["spec"]["template"]
    return {template["metadata"]["labels"]["app.kubernetes.io/component"]: template}


# --- snapshots and schemas -------------------------------------------------------------

CASES: dict[str, dict[str, Any]] = {
    "job-standalone": {"lifecycle": "job", "entrypoint": TRAIN},
    "job-distributed": {**DIST, "lifecycle": "job", "entrypoint": TRAIN},
    "job-everything": {
        **DIST,
        "lifecycle": "job",
        "entrypoint": TRAIN,
        "job": JOB_EVERYTHING,
        "persistence": Persistence(enabled=True),
    },
    "jobset-distributed": {**DIST, "lifecycle": "jobset", "entrypoint": TRAIN},
    "jobset-everything": {
        **DIST,
        "lifecycle": "jobset",
        "entrypoint": TRAIN,
        "job": JOB_EVERYTHING,
        "persistence": Persistence(enabled=True),
    },
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_snapshot(case: str, yaml_snapshot: Any) -> None:
    assert synth_yaml(make_chart(**CASES[case])) == yaml_snapshot


@pytest.mark.parametrize("case", sorted(CASES))
def test_schema_valid(case: str) -> None:
    validate_documents(synth(make_chart(**CASES[case])))


# --- job -------------------------------------------------------------------------------


def test_job_lifecycle_emits_one_job_per_role_and_keeps_the_services() -> None:
    docs = synth(make_chart(**DIST, lifecycle="job"))
    kinds = [(d["kind"], d["metadata"]["name"]) for d in docs]
    assert ("Job", "test-mxnet-scheduler") in kinds
    assert ("Job", "test-mxnet-server") in kinds
    assert ("Job", "test-mxnet-worker") in kinds
    assert ("Service", "test-mxnet-scheduler") in kinds
    assert ("Service", "test-mxnet-headless") in kinds
    assert not {"Deployment", "StatefulSet", "JobSet"} & {k for k, _ in kinds}


def test_job_counts_completion_modes_and_pod_policy() -> None:
    docs = synth(make_chart(**DIST, lifecycle="job"))
    expected = {"scheduler": 1, "server": 2, "worker": 3}
    for component, count in expected.items():
        spec = find(docs, "Job", f"test-mxnet-{component}")["spec"]
        assert spec["completions"] == spec["parallelism"] == count
        assert spec["backoffLimit"] == 0
        assert spec.get("completionMode") == ("Indexed" if component == "worker" else None)
        pod = spec["template"]["spec"]
        # A pod restarted in place could not rejoin the running ps-lite job.
        assert pod["restartPolicy"] == "Never"
        assert pod["subdomain"] == "test-mxnet-headless"
        env = env_of(pod["containers"][0])
        assert env["DMLC_NUM_SERVER"] == "2" and env["DMLC_NUM_WORKER"] == "3"
        assert env["DMLC_PS_ROOT_URI"] == "test-mxnet-scheduler"


def test_job_scheduler_service_selects_the_scheduler_job_pods_only() -> None:
    docs = synth(make_chart(**DIST, lifecycle="job"))
    selector = find(docs, "Service", "test-mxnet-scheduler")["spec"]["selector"]
    for component in ("scheduler", "server", "worker"):
        labels = find(docs, "Job", f"test-mxnet-{component}")["spec"]["template"]["metadata"]["labels"]
        assert (selector.items() <= labels.items()) == (component == "scheduler")


def test_job_options_are_written_only_when_set() -> None:
    default = find(synth(make_chart(**DIST, lifecycle="job")), "Job", "test-mxnet-worker")["spec"]
    assert not {"activeDeadlineSeconds", "ttlSecondsAfterFinished", "suspend"} & set(default)
    docs = synth(make_chart(**DIST, lifecycle="job", job=JOB_EVERYTHING))
    for component in ("scheduler", "server", "worker"):
        spec = find(docs, "Job", f"test-mxnet-{component}")["spec"]
        assert spec["backoffLimit"] == 2
        assert spec["activeDeadlineSeconds"] == 7200
        assert spec["ttlSecondsAfterFinished"] == 600
        assert spec["suspend"] is True


def test_standalone_job_is_one_job_without_subdomain() -> None:
    docs = synth(make_chart(lifecycle="job", entrypoint=TRAIN))
    job = find(docs, "Job", "test-mxnet")
    assert [d["kind"] for d in docs if d["kind"] in ("Job", "Deployment", "Service")] == ["Job"]
    pod = job["spec"]["template"]["spec"]
    assert pod["restartPolicy"] == "Never"
    assert "subdomain" not in pod
    assert pod["containers"][0]["command"] == ["python3", "train.py", "--kvstore", "dist_sync"]


def test_job_persistence_uses_ephemeral_claims_for_pools_and_a_claim_for_the_scheduler() -> None:
    docs = synth(
        make_chart(
            **DIST,
            lifecycle="job",
            persistence=Persistence(enabled=True, size="20Gi", storage_class="fast", annotations={"a": "b"}),
        )
    )
    assert find(docs, "PersistentVolumeClaim", "test-mxnet-scheduler")
    scheduler_vols = {
        v["name"]: v for v in find(docs, "Job", "test-mxnet-scheduler")["spec"]["template"]["spec"]["volumes"]
    }
    assert scheduler_vols["data"] == {
        "name": "data",
        "persistentVolumeClaim": {"claimName": "test-mxnet-scheduler"},
    }
    for component in ("server", "worker"):
        spec = find(docs, "Job", f"test-mxnet-{component}")["spec"]
        vols = {v["name"]: v for v in spec["template"]["spec"]["volumes"]}
        claim = vols["data"]["ephemeral"]["volumeClaimTemplate"]
        assert claim["spec"] == {
            "accessModes": ["ReadWriteOnce"],
            "resources": {"requests": {"storage": "20Gi"}},
            "storageClassName": "fast",
        }
        assert claim["metadata"]["annotations"] == {"a": "b"}
        assert claim["metadata"]["labels"]["app.kubernetes.io/component"] == component


def test_long_running_is_untouched_by_the_job_settings() -> None:
    docs = synth(make_chart(**DIST, job=JOB_EVERYTHING))
    for kind, name in (
        ("Deployment", "test-mxnet-scheduler"),
        ("StatefulSet", "test-mxnet-server"),
        ("StatefulSet", "test-mxnet-worker"),
    ):
        pod = find(docs, kind, name)["spec"]["template"]["spec"]
        assert "restartPolicy" not in pod and "subdomain" not in pod
    assert not [d for d in docs if d["kind"] in ("Job", "JobSet")]


def test_job_names_are_not_held_to_the_statefulset_limit() -> None:
    # StatefulSet names carry an 11-character revision-hash suffix in a label value; Job
    # names don't, so the job lifecycle takes the longer name, up to the 63-character
    # <fullname>-scheduler Job and claim name.
    name = "a" * 53
    make_chart(**DIST, lifecycle="job", fullname_override=name)
    with pytest.raises(ValueError, match=r"-server"):
        make_chart(**DIST, fullname_override=name)
    with pytest.raises(ValueError, match=r"-scheduler.*fullname_override of at most 53"):
        make_chart(**DIST, lifecycle="job", fullname_override=name + "a")


def test_subclass_hooks_reach_the_jobs() -> None:
    class Tagged(WorkerPool):
        def pod_template(self) -> PodTemplateSpec:
            pod = super().pod_template()
            pod["metadata"]["labels"]["team"] = "vision"
            return pod

    class Chart(MXNetChart):
        worker_pool_class = Tagged

    for lifecycle in ("job", "jobset"):
        docs = synth(make_chart(Chart, **DIST, lifecycle=lifecycle))
        workload = find(docs, "Job", "test-mxnet-worker") if lifecycle == "job" else find(docs, "JobSet")
        assert pods_of(workload)["worker"]["metadata"]["labels"]["team"] == "vision"


# --- jobset ----------------------------------------------------------------------------


def test_jobset_is_one_object_with_a_replicated_job_per_role() -> None:
    docs = synth(make_chart(**DIST, lifecycle="jobset"))
    assert not [d for d in docs if d["kind"] in ("Deployment", "StatefulSet", "Job")]
    js = find(docs, "JobSet", "test-mxnet")
    assert js["apiVersion"] == "jobset.x-k8s.io/v1alpha2"
    rjobs = {rj["name"]: rj for rj in js["spec"]["replicatedJobs"]}
    assert list(rjobs) == ["scheduler", "server", "worker"]
    for name, count in (("scheduler", 1), ("server", 2), ("worker", 3)):
        assert rjobs[name]["replicas"] == 1
        job = rjobs[name]["template"]["spec"]
        assert job["completions"] == job["parallelism"] == count
        assert job["completionMode"] == "Indexed"
        assert job["template"]["spec"]["restartPolicy"] == "Never"
        assert job["template"]["metadata"]["labels"]["app.kubernetes.io/component"] == name


def test_jobset_succeeds_on_workers_and_restarts_as_a_whole() -> None:
    spec = find(synth(make_chart(**DIST, lifecycle="jobset", job=JobOptions(max_restarts=7))), "JobSet")["spec"]
    assert spec["successPolicy"] == {"operator": "All", "targetReplicatedJobs": ["worker"]}
    assert spec["failurePolicy"] == {"maxRestarts": 7}
    # InOrder would deadlock with gang scheduling and gains nothing: pods wait for the scheduler.
    assert spec["startupPolicy"] == {"startupPolicyOrder": "AnyOrder"}


def test_jobset_job_options() -> None:
    spec = find(synth(make_chart(**DIST, lifecycle="jobset", job=JOB_EVERYTHING)), "JobSet")["spec"]
    assert spec["suspend"] is True
    assert spec["ttlSecondsAfterFinished"] == 600
    for rj in spec["replicatedJobs"]:
        assert rj["template"]["spec"]["backoffLimit"] == 2
        assert rj["template"]["spec"]["activeDeadlineSeconds"] == 7200
    default = find(synth(make_chart(**DIST, lifecycle="jobset")), "JobSet")["spec"]
    assert "suspend" not in default and "ttlSecondsAfterFinished" not in default


def test_jobset_dns_and_scheduler_service_wiring() -> None:
    docs = synth(make_chart(**DIST, lifecycle="jobset"))
    js = find(docs, "JobSet")
    headless = find(docs, "Service", "test-mxnet-headless")
    # Our headless Service is the JobSet's subdomain and is created before the JobSet,
    # so the controller adopts it instead of making its own.
    assert js["spec"]["network"] == {"enableDNSHostnames": True, "subdomain": "test-mxnet-headless"}
    assert docs.index(headless) < docs.index(js)
    selector = find(docs, "Service", "test-mxnet-scheduler")["spec"]["selector"]
    pods = pods_of(js)
    for component, pod in pods.items():
        assert pod["spec"]["subdomain"] == "test-mxnet-headless"
        assert (selector.items() <= pod["metadata"]["labels"].items()) == (component == "scheduler")
        assert headless["spec"]["selector"].items() <= pod["metadata"]["labels"].items()
        env = env_of(pod["spec"]["containers"][0])
        assert env["DMLC_PS_ROOT_URI"] == "test-mxnet-scheduler"
        assert env["DMLC_NUM_SERVER"] == "2" and env["DMLC_NUM_WORKER"] == "3"


def test_jobset_refused_in_standalone_mode() -> None:
    with pytest.raises(ValueError, match="lifecycle: 'jobset'"):
        make_chart(lifecycle="jobset")


def test_unknown_lifecycle_is_refused() -> None:
    with pytest.raises(ValueError, match="lifecycle: 'cron'"):
        make_chart(**DIST, lifecycle="cron")


@pytest.mark.parametrize(
    ("field", "value", "match"),
    [
        ("backoff_limit", -1, "job.backoff_limit"),
        ("active_deadline_seconds", 0, "job.active_deadline_seconds"),
        ("ttl_seconds_after_finished", -5, "job.ttl_seconds_after_finished"),
        ("suspend", "yes", "job.suspend"),
        ("max_restarts", -1, "job.max_restarts"),
    ],
)
def test_job_options_validation(field: str, value: object, match: str) -> None:
    with pytest.raises((ValueError, TypeError), match=match):
        JobOptions(**{field: value})  # type: ignore[arg-type]


def test_jobset_name_limit_follows_the_jobset_webhook() -> None:
    # Longest generated pod name: <fullname>-scheduler-0-0-<5 random>, at most 63.
    ok = "a" * 43
    make_chart(**DIST, lifecycle="jobset", fullname_override=ok)
    with pytest.raises(ValueError, match=r"fullname_override of at most 43"):
        make_chart(**DIST, lifecycle="jobset", fullname_override=ok + "b")
    # The same name is fine for the other lifecycles, whose limits are looser.
    make_chart(**DIST, lifecycle="job", fullname_override=ok + "b")


def test_jobset_pod_name_limit_counts_worker_digits() -> None:
    # 10000 workers: <fullname>-worker-0-9999-xxxxx is 20 characters past the fullname,
    # the same as the scheduler's; 43 still fits.
    make_chart(
        mode="distributed", worker_count=10_000, lifecycle="jobset", entrypoint=TRAIN, fullname_override="a" * 43
    )


def test_gpu_workers_in_jobs_keep_the_numeric_limit() -> None:
    chart = make_chart(
        **DIST, lifecycle="jobset", worker=RoleOptions(gpus=2, resources=Resources(requests={"cpu": "2"}))
    )
    text = synth_yaml(chart)
    assert "nvidia.com/gpu: 2\n" in text
    assert "nvidia.com/gpu: null" not in text


# --- a real run with MXNet ---------------------------------------------------------------

EXAMPLE = ROOT / "examples" / "distributed_training"


def example_release(lifecycle: str) -> MXNetChart:
    """examples/distributed_training (train.py shipped as LocalFiles) with ``lifecycle``."""
    return make_chart(
        release="train",
        mode="distributed",
        server_count=2,
        worker_count=2,
        lifecycle=lifecycle,
        code=LocalFiles(files={"train.py": (EXAMPLE / "train.py").read_text()}),
        entrypoint=Entrypoint(file="train.py", args=["--epochs", "2"], work_dir="/app"),
    )


@pytest.mark.mxnet
@pytest.mark.parametrize("lifecycle", ["job", "jobset"])
def test_finishing_lifecycle_runs_to_completion_with_real_mxnet(lifecycle: str) -> None:
    from mxnet_construct import runner

    python = runner.default_python()
    assert subprocess.run([python, "-c", "import mxnet"], capture_output=True, check=False).returncode == 0, (
        f"{python} cannot import mxnet: run `make mxnet-venv`"
    )
    docs = synth(example_release(lifecycle))
    result = runner.run_local(documents=docs, timeout=300)
    assert result.ok, result.summary()
    assert sorted(p.component for p in result.pods) == ["scheduler", "server", "server", "worker", "worker"]
    for pod in result.pods:
        # Scheduler and servers end by themselves once the workers are done: the Jobs complete.
        assert (pod.status, pod.exit_code) == ("Succeeded", 0), result.summary()
    finals = [line for p in result.by_component("worker") for line in p.log.splitlines() if "FINAL" in line]
    assert len(finals) == 2, result.summary()
    # dist_sync: every worker ends with the same parameters.
    assert len({line.split("params=")[1] for line in finals}) == 1, finals
