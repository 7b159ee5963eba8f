"""The local runner: pods expanded and wired from the YAML alone, and real MXNet training on them.

Tests marked ``mxnet`` run the synthesized example release with MXNet 1.9.1 from
``.mxnet-venv`` (``make test`` creates it). The others use the dev venv's Python and small
shell/Python commands, so they check the runner's own behaviour in a second or two.
The runc sandbox (``--isolation namespaces``) needs root and runc, as in CI; tests that need
it skip elsewhere, naming what is missing. tests/test_sandbox.py attacks the sandbox itself.
"""

from __future__ import annotations

import copy
import importlib.util
import io
import re
import sys
import time
from pathlib import Path
from types import ModuleType
from typing import Any

import cdk8s
import pytest
import yaml

from mxnet_construct import GitRepository, cli
from mxnet_construct.runner import RunLocalError, RunResult, plan, run_local
from mxnet_construct.runner.sandbox import sandbox_available
from tests.helpers import ROOT, make_chart, synth, synth_yaml

SANDBOX, WHY_NOT = sandbox_available()
# The runc sandbox needs root and runc (`make test` installs runc); elsewhere say why not.
needs_sandbox = pytest.mark.skipif(not SANDBOX, reason=f"the runc sandbox cannot run here: {WHY_NOT}")

EXAMPLE = ROOT / "examples" / "distributed_training"
MXNET_PYTHON = ROOT / ".mxnet-venv" / "bin" / "python"
FINAL = re.compile(r"^FINAL rank=(\d+) workers=(\d+) loss=([0-9.eE+-]+) params=([0-9a-f]+)$", re.M)
EPOCH = re.compile(r"^epoch (\d+) loss ([0-9.eE+-]+)$", re.M)


def _example() -> ModuleType:
    spec = importlib.util.spec_from_file_location("example_distributed_training_app", EXAMPLE / "app.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def example_docs(servers: int, workers: int) -> list[dict[str, Any]]:
    chart = _example().build(cdk8s.Testing.app(), servers=servers, workers=workers)
    return synth(chart)


def write_example(tmp_path: Path, servers: int, workers: int, **options: Any) -> Path:
    chart = _example().build(cdk8s.Testing.app(), servers=servers, workers=workers, **options)
    path = tmp_path / "train.k8s.yaml"
    path.write_text(synth_yaml(chart))
    return path


def write_docs(tmp_path: Path, docs: list[dict[str, Any]], name: str = "m.k8s.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump_all(docs, sort_keys=False))
    return path


def pod(name: str, containers: list[dict[str, Any]], **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "labels": {"app": name}},
        "spec": {"restartPolicy": "Never", "containers": containers, **spec},
    }


def sh(name: str, script: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "image": "busybox", "command": ["sh", "-c", script], **extra}


def run(docs: list[dict[str, Any]], **kwargs: Any) -> tuple[RunResult, str]:
    out = io.StringIO()
    kwargs.setdefault("timeout", 20)
    kwargs.setdefault("python", sys.executable)
    result = run_local(documents=docs, out=out, **kwargs)
    return result, out.getvalue()


# ---------------------------------------------------------------------------------------
# Planning: replicas, names, env, DNS (no processes)


def test_replicas_expand_into_controller_pod_names() -> None:
    the_plan = plan(example_docs(servers=2, workers=3))
    names = [p.name for p in the_plan.pods]
    assert re.fullmatch(r"train-mxnet-scheduler-[a-z0-9]{10}-[a-z0-9]{5}", names[0])
    assert names[1:] == [
        "train-mxnet-server-0",
        "train-mxnet-server-1",
        "train-mxnet-worker-0",
        "train-mxnet-worker-1",
        "train-mxnet-worker-2",
    ]
    assert [p.component for p in the_plan.pods] == ["scheduler", "server", "server", "worker", "worker", "worker"]
    assert len({p.ip for p in the_plan.pods}) == 6
    worker = the_plan.pods[4]
    assert worker.labels["statefulset.kubernetes.io/pod-name"] == "train-mxnet-worker-1"
    assert worker.subdomain == "train-mxnet-headless"
    # The rank wrapper (sh -c SCRIPT worker ...) runs the entrypoint as given.
    assert worker.containers[0].argv[:2] == ("sh", "-c") and worker.containers[0].argv[4:] == ("python3", "train.py")
    assert worker.containers[0].working_dir == "/app"


def test_field_refs_resolve_to_the_pod() -> None:
    the_plan = plan(example_docs(servers=1, workers=2))
    for p in the_plan.pods[1:]:
        env = p.containers[0].env
        assert env["POD_NAME"] == p.name
        assert env["DMLC_PS_ROOT_URI"] == "train-mxnet-scheduler"
    docs = [
        pod(
            "p",
            [
                sh(
                    "c",
                    "true",
                    env=[
                        {"name": "IP", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}},
                        {"name": "NS", "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}}},
                        {"name": "APP", "valueFrom": {"fieldRef": {"fieldPath": "metadata.labels['app']"}}},
                        {"name": "URL", "value": "http://$(IP):80/$(NS)/$$(IP)/$(MISSING)"},
                    ],
                )
            ],
        )
    ]
    (p,) = plan(docs).pods
    env = p.containers[0].env
    assert env["IP"] == p.ip and p.ip.startswith("127.")
    assert env["NS"] == "default"
    assert env["APP"] == "p"
    assert env["URL"] == f"http://{p.ip}:80/default/$(IP)/$(MISSING)"


def test_unsupported_field_ref_is_a_clear_error() -> None:
    docs = [pod("p", [sh("c", "true", env=[{"name": "X", "valueFrom": {"fieldRef": {"fieldPath": "status.phase"}}}])])]
    with pytest.raises(RunLocalError, match=r"pod p container 'c' env X: fieldRef 'status.phase' is not supported"):
        plan(docs)


def test_secret_and_config_map_refs_come_from_the_manifests() -> None:
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}, "data": {"token": "c2VjcmV0"}}
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cm"}, "data": {"A": "1", "B": "2"}}
    container = sh(
        "c",
        "true",
        envFrom=[{"configMapRef": {"name": "cm"}, "prefix": "CM_"}],
        env=[
            {"name": "TOKEN", "valueFrom": {"secretKeyRef": {"name": "s", "key": "token"}}},
            {"name": "A", "valueFrom": {"configMapKeyRef": {"name": "cm", "key": "A"}}},
            {"name": "OPT", "valueFrom": {"secretKeyRef": {"name": "nope", "key": "k", "optional": True}}},
        ],
    )
    (p,) = plan([secret, cm, pod("p", [container])]).pods
    env = p.containers[0].env
    assert (env["TOKEN"], env["A"], env["CM_A"], env["CM_B"]) == ("secret", "1", "1", "2")
    assert "OPT" not in env
    with pytest.raises(RunLocalError, match=r"Secret 's' \(namespace 'default'\) is not in the given manifests"):
        plan([cm, pod("p", [container])])
    bad_key = sh("c", "true", env=[{"name": "A", "valueFrom": {"configMapKeyRef": {"name": "cm", "key": "Z"}}}])
    with pytest.raises(RunLocalError, match=r"ConfigMap 'cm' has no key 'Z' \(keys: A, B\)"):
        plan([cm, pod("p", [bad_key])])


def test_hosts_file_maps_services_and_pods_to_their_pod_addresses() -> None:
    the_plan = plan(example_docs(servers=1, workers=2))
    by_name = {p.name: p for p in the_plan.pods}
    scheduler = the_plan.pods[0]
    hosts = the_plan.hosts_file()
    lines = {line for line in hosts.splitlines() if not line.startswith("#")}
    assert "127.0.0.1\tlocalhost" in lines
    assert (
        f"{scheduler.ip}\ttrain-mxnet-scheduler train-mxnet-scheduler.default train-mxnet-scheduler.default.svc train-mxnet-scheduler.default.svc.cluster.local"
        in lines
    )
    worker = by_name["train-mxnet-worker-1"]
    assert any(
        line.startswith(f"{worker.ip}\ttrain-mxnet-worker-1 ") and " train-mxnet-worker-1.train-mxnet-headless " in line
        for line in lines
    )
    # The headless Service selects every pod of the release.
    assert sum(1 for line in lines if "\ttrain-mxnet-headless " in line) == 4
    addresses = the_plan.addresses()
    assert addresses["train-mxnet-scheduler"] == scheduler.ip
    assert (
        addresses["train-mxnet-server-0.train-mxnet-headless.default.svc.cluster.local"]
        == by_name["train-mxnet-server-0"].ip
    )


def test_a_service_that_selects_nothing_is_reported() -> None:
    docs = example_docs(servers=1, workers=1)
    service = next(d for d in docs if d["kind"] == "Service" and d["metadata"]["name"] == "train-mxnet-scheduler")
    service["spec"]["selector"]["app.kubernetes.io/component"] = "schedulr"
    the_plan = plan(docs)
    assert "train-mxnet-scheduler" not in the_plan.addresses()
    assert any("Service train-mxnet-scheduler selects no pod" in n for n in the_plan.notes)


def test_worker_count_disagreeing_with_replicas_is_warned_about() -> None:
    docs = example_docs(servers=1, workers=2)
    next(d for d in docs if d["kind"] == "StatefulSet" and d["metadata"]["name"] == "train-mxnet-worker")["spec"][
        "replicas"
    ] = 1
    notes = plan(docs).notes
    assert any("WARNING: train-mxnet-worker: DMLC_NUM_WORKER=2 but the file runs 1 worker pods" in n for n in notes)
    assert not any("WARNING" in n for n in plan(example_docs(servers=1, workers=2)).notes)


def job(name: str, *, completions: int | None, parallelism: int | None, indexed: bool = False) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "template": {
            "metadata": {"labels": {"app": name}},
            "spec": {"restartPolicy": "Never", "subdomain": "net", "containers": [sh("c", "true")]},
        }
    }
    if completions is not None:
        spec["completions"] = completions
    if parallelism is not None:
        spec["parallelism"] = parallelism
    if indexed:
        spec["completionMode"] = "Indexed"
    return {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": name}, "spec": spec}


def test_indexed_job_pods_get_their_completion_index() -> None:
    pods = plan([job("w", completions=3, parallelism=3, indexed=True)]).pods
    assert [re.sub(r"-[a-z0-9]{5}$", "", p.name) for p in pods] == ["w-0", "w-1", "w-2"]
    assert [p.containers[0].env["JOB_COMPLETION_INDEX"] for p in pods] == ["0", "1", "2"]
    assert [p.hostname for p in pods] == ["w-0", "w-1", "w-2"]
    assert pods[2].labels["batch.kubernetes.io/job-completion-index"] == "2"
    assert pods[0].labels["job-name"] == "w"
    assert "w-1.net" in pods[1].dns_names()
    assert all(p.finishing and p.group_slots == 3 for p in pods)


def test_job_completions_run_at_most_parallelism_at_a_time() -> None:
    pods = plan([job("q", completions=4, parallelism=2)]).pods
    assert len(pods) == 4 and {p.group_slots for p in pods} == {2}
    assert len(plan([job("d", completions=None, parallelism=None)]).pods) == 1
    with pytest.raises(RunLocalError, match=r"an Indexed Job needs spec\.completions"):
        plan([job("x", completions=None, parallelism=2, indexed=True)])


def test_jobset_expands_replicated_jobs_with_dns_and_order() -> None:
    def rjob(name: str, replicas: int, pods: int) -> dict[str, Any]:
        template = job(name, completions=pods, parallelism=pods, indexed=True)
        return {"name": name, "replicas": replicas, "template": {"spec": template["spec"]}}

    jobset = {
        "apiVersion": "jobset.x-k8s.io/v1alpha2",
        "kind": "JobSet",
        "metadata": {"name": "js"},
        "spec": {
            "startupPolicy": {"startupPolicyOrder": "InOrder"},
            "replicatedJobs": [rjob("scheduler", 1, 1), rjob("worker", 2, 2)],
        },
    }
    pods = plan([jobset]).pods
    assert [p.hostname for p in pods] == [
        "js-scheduler-0-0",
        "js-worker-0-0",
        "js-worker-0-1",
        "js-worker-1-0",
        "js-worker-1-1",
    ]
    assert pods[3].labels["jobset.sigs.k8s.io/replicatedjob-name"] == "worker"
    assert pods[3].labels["jobset.sigs.k8s.io/job-index"] == "1"
    assert pods[3].containers[0].env["JOB_COMPLETION_INDEX"] == "0"
    # InOrder: workers start only once the scheduler has.
    assert pods[1].after == (pods[0].name,)
    addresses = plan([jobset]).addresses()
    assert addresses["js-worker-1-1.js"] == pods[4].ip
    assert addresses["js-scheduler-0-0.js.default.svc.cluster.local"] == pods[0].ip


@needs_sandbox
def test_git_clone_init_container_needs_an_explicit_skip() -> None:
    code = GitRepository(repository="https://github.com/apache/incubator-mxnet.git", revision="1.9.1")
    docs_list = synth(make_chart(mode="distributed", code=code))
    with pytest.raises(
        RunLocalError, match=r"runs `git clone .*pods have no network.*--skip-init git-clone-repository"
    ):
        run_local(documents=docs_list, timeout=5, python=sys.executable, isolation="namespaces")
    the_plan = plan(docs_list, skip_init=["git-clone-repository"])
    assert all(not p.init_containers for p in the_plan.pods)
    assert any("init containers skipped as asked: git-clone-repository" in n for n in the_plan.notes)
    with pytest.raises(RunLocalError, match="--skip-init 'nope': no pod has an init container of that name"):
        plan(docs_list, skip_init=["nope"])


def test_bad_input_is_refused_before_anything_runs(tmp_path: Path) -> None:
    with pytest.raises(RunLocalError, match=r"manifest: cannot read '.*missing\.yaml'"):
        run_local([tmp_path / "missing.yaml"])
    (tmp_path / "cm.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n")
    with pytest.raises(RunLocalError, match="no pods to run: the manifests hold ConfigMap"):
        run_local([tmp_path / "cm.yaml"])
    with pytest.raises(RunLocalError, match="option --timeout: 0: give a finite number of seconds above 0"):
        run_local([tmp_path / "cm.yaml"], timeout=0)
    with pytest.raises(RunLocalError, match="no command; the image's entrypoint is unknown"):
        plan([pod("p", [{"name": "c", "image": "x"}])])


# ---------------------------------------------------------------------------------------
# Running small pods (root: namespaces), no MXNet


def files_pod() -> list[dict[str, Any]]:
    cm = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "code"},
        "data": {"hello.txt": "from a configmap\n"},
    }
    svc = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "peer-svc"},
        "spec": {"selector": {"app": "peer"}, "ports": [{"port": 80}]},
    }
    check = (
        "import os, socket; "
        "print('cwd', os.getcwd()); "
        "print('file', open('/app/hello.txt').read().strip()); "
        "print('init', open('/data/init.txt').read().strip()); "
        "print('peer', socket.gethostbyname('peer-svc')); "
        "print('host', socket.gethostname()); "
        "print('pod', os.environ['POD_NAME'])"
    )
    main = {
        "name": "main",
        "image": "x",
        "command": ["python3", "-c", check],
        "workingDir": "/app",
        "env": [{"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}],
        "volumeMounts": [{"name": "code", "mountPath": "/app"}, {"name": "data", "mountPath": "/data"}],
    }
    init = sh("prepare", "echo written-by-init > /data/init.txt", volumeMounts=[{"name": "data", "mountPath": "/data"}])
    return [
        cm,
        svc,
        pod(
            "checker",
            [main],
            initContainers=[init],
            volumes=[{"name": "code", "configMap": {"name": "code"}}, {"name": "data", "emptyDir": {}}],
        ),
        pod("peer", [sh("c", "true")]),
    ]


@pytest.mark.parametrize("isolation", [pytest.param("namespaces", marks=needs_sandbox), "none"])
def test_volumes_init_containers_and_names_work_in_the_pod(isolation: str) -> None:
    result, out = run(files_pod(), isolation=isolation)
    assert result.ok, out
    assert result.isolation == isolation
    checker = result.pod("checker")
    peer_ip = result.pod("peer").ip
    log = checker.log.splitlines()
    assert "file from a configmap" in log
    assert "init written-by-init" in log
    # In the sandbox the ClusterIP Service resolves to its virtual IP, as on a cluster.
    assert f"peer {peer_ip}" in log if isolation == "none" else "peer 10.96.1.1" in log
    assert "pod checker" in log
    if isolation == "namespaces":
        # Real paths and a private hostname: the pod sees exactly what its YAML says.
        assert "cwd /app" in log
        assert "host checker" in log
        assert not Path("/data/init.txt").exists()
    else:
        assert any(line.startswith("cwd /") and line.endswith("/pods/checker/volumes/code") for line in log)
    assert re.search(r"^checker +\| file from a configmap$", out, re.M)
    assert re.search(r"^checker/prepare +\| ", out, re.M) is None  # the init container printed nothing
    assert "Succeeded" in out and f"isolation: {isolation}" in out


@needs_sandbox
def test_config_map_volumes_are_read_only_and_emptydirs_private_per_pod() -> None:
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "code"}, "data": {"f": "x"}}
    script = (
        "touch /app/new 2>/dev/null && echo writable || echo read-only; ls /scratch | wc -l; touch /scratch/$(hostname)"
    )
    pods = [
        pod(
            name,
            [
                sh(
                    "c",
                    script,
                    volumeMounts=[{"name": "code", "mountPath": "/app"}, {"name": "s", "mountPath": "/scratch"}],
                )
            ],
            volumes=[{"name": "code", "configMap": {"name": "code"}}, {"name": "s", "emptyDir": {}}],
        )
        for name in ("a", "b")
    ]
    result, out = run([cm, *pods], isolation="namespaces")
    assert result.ok, out
    for name in ("a", "b"):
        assert result.pod(name).log.splitlines() == ["read-only", "0"]


@needs_sandbox
def test_a_hung_pod_is_killed_at_the_timeout_and_named() -> None:
    docs = [pod("stuck", [sh("c", "echo waiting; sleep 60")]), pod("quick", [sh("c", "true")])]
    start = time.monotonic()
    result, out = run(docs, timeout=2, isolation="namespaces")
    assert time.monotonic() - start < 10
    assert not result.ok and result.exit_code == 1
    assert result.pod("stuck").status == "Hung"
    assert result.pod("quick").status == "Succeeded"
    assert "timed out after 2s with pods hung (alive, silent): stuck" in result.reason
    assert "stuck | waiting" in out.replace("  ", " ").replace("  ", " ")


@needs_sandbox
def test_a_failing_container_fails_the_run_at_once_and_stops_the_rest() -> None:
    docs = [pod("bad", [sh("c", "echo oops; exit 3")]), pod("waiter", [sh("c", "sleep 60")])]
    start = time.monotonic()
    result, _ = run(docs, timeout=30, isolation="namespaces")
    assert time.monotonic() - start < 10
    assert not result.ok
    assert result.pod("bad").status == "Failed" and result.pod("bad").exit_code == 3
    assert result.pod("waiter").status == "Stopped"
    assert result.reason == "pod bad: container c exited 3"


@needs_sandbox
def test_a_failing_init_container_keeps_the_main_container_from_starting() -> None:
    docs = [pod("p", [sh("main", "echo should-not-run")], initContainers=[sh("first", "exit 1"), sh("second", "true")])]
    result, _ = run(docs, isolation="namespaces")
    assert not result.ok
    p = result.pod("p")
    assert p.reason == "init container first exited 1"
    assert not p.containers["second"].started and not p.containers["main"].started


@needs_sandbox
def test_long_running_pods_need_allow_running() -> None:
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "dev"},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": "dev"}},
            "template": {"metadata": {"labels": {"app": "dev"}}, "spec": {"containers": [sh("c", "sleep infinity")]}},
        },
    }
    result, _ = run([deployment], timeout=1.5, isolation="namespaces")
    assert not result.ok and {p.status for p in result.pods} == {"Hung"}
    result, out = run([deployment], timeout=1.5, isolation="namespaces", allow_running=True)
    assert result.ok, out
    assert {p.status for p in result.pods} == {"Running"}
    assert "2 still running (allowed)" in result.reason


@needs_sandbox
def test_allow_running_ends_once_the_jobs_are_done() -> None:
    server = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "srv"},
        "spec": {
            "selector": {"matchLabels": {"app": "srv"}},
            "template": {"metadata": {"labels": {"app": "srv"}}, "spec": {"containers": [sh("c", "sleep infinity")]}},
        },
    }
    start = time.monotonic()
    result, out = run(
        [server, job("client", completions=2, parallelism=1)], timeout=30, isolation="namespaces", allow_running=True
    )
    assert time.monotonic() - start < 10
    assert result.ok, out
    assert [p.status for p in result.pods] == ["Running", "Succeeded", "Succeeded"]


def test_cli_run_local_prints_prefixed_lines_and_a_summary(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_docs(tmp_path, [pod("hello", [sh("c", "echo hi from $(hostname)")])])
    code = cli.main(["run-local", str(path), "--timeout", "20", "--python", sys.executable])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "hello | hi from hello" in out
    assert re.search(r"^POD +WORKLOAD +IP +STATUS +EXIT +TIME", out, re.M)
    # The pod network's first address in the sandbox, the first loopback one without it.
    assert re.search(r"^hello +Pod/hello +(10\.244\.0\.2|127\.0\.1\.1) +Succeeded +0 ", out, re.M)
    assert "run-local: note: images are ignored" in out
    fail = write_docs(tmp_path, [pod("bye", [sh("c", "exit 4")])], "fail.yaml")
    assert cli.main(["run-local", str(fail), "--timeout", "20", "--python", sys.executable]) == 1
    assert cli.main(["run-local", str(tmp_path / "nope.yaml")]) == 2
    assert "mxnet-construct run-local: error: manifest" in capsys.readouterr().err


# ---------------------------------------------------------------------------------------
# Real MXNet: the synthesized example release trains


@pytest.fixture(scope="module")
def mxnet_python() -> str:
    if not MXNET_PYTHON.exists():
        pytest.fail(f"{MXNET_PYTHON} is missing: create it with `make mxnet-venv` (make test does)")
    return str(MXNET_PYTHON)


def final_lines(result: RunResult) -> list[tuple[int, int, float, str]]:
    out = []
    for worker in result.by_component("worker"):
        matches = FINAL.findall(worker.log)
        assert len(matches) == 1, f"{worker.name} printed no FINAL line:\n{worker.log}"
        rank, workers, loss, params = matches[0]
        out.append((int(rank), int(workers), float(loss), params))
    return out


@pytest.mark.mxnet
@needs_sandbox
@pytest.mark.parametrize(
    ("servers", "workers", "lifecycle"),
    [(1, 1, "long-running"), (2, 3, "long-running"), (1, 2, "job"), (1, 2, "jobset")],
)
def test_example_release_trains_with_real_mxnet(
    tmp_path: Path, mxnet_python: str, servers: int, workers: int, lifecycle: str
) -> None:
    path = write_example(tmp_path, servers, workers, lifecycle=lifecycle)
    out = io.StringIO()
    result = run_local([path], timeout=120, python=mxnet_python, out=out, isolation="namespaces")
    text = out.getvalue()
    assert result.ok, text
    assert len(result.pods) == 1 + servers + workers
    assert {(p.status, p.exit_code) for p in result.pods} == {("Succeeded", 0)}, text
    finals = final_lines(result)
    assert sorted(rank for rank, _, _, _ in finals) == list(range(workers))
    assert {n for _, n, _, _ in finals} == {workers}
    assert all(loss < 0.01 for _, _, loss, _ in finals), finals
    assert len({params for _, _, _, params in finals}) == 1, f"workers ended with different parameters: {finals}"
    for worker in result.by_component("worker"):
        epochs = [float(loss) for _, loss in EPOCH.findall(worker.log)]
        assert len(epochs) >= 2 and epochs[-1] < epochs[0] / 10, worker.log
    assert (
        "DMLC_INTERFACE=eth0" in text
        and "run .mxnet-venv/bin/python (given with --python; mxnet 1.9.1, numpy 1.23.5)" in text
    )


@pytest.mark.mxnet
@needs_sandbox
def test_worker_count_disagreeing_with_replicas_is_reported_as_a_hang(tmp_path: Path, mxnet_python: str) -> None:
    docs = example_docs(servers=1, workers=2)
    broken = copy.deepcopy(docs)
    workers = next(d for d in broken if d["kind"] == "StatefulSet" and d["metadata"]["name"] == "train-mxnet-worker")
    workers["spec"]["replicas"] = 1
    path = write_docs(tmp_path, broken)
    out = io.StringIO()
    start = time.monotonic()
    result = run_local([path], timeout=20, python=mxnet_python, out=out, isolation="namespaces")
    # 20 s of run, plus the interpreter check (an mxnet import) and the start-up on a busy machine.
    assert time.monotonic() - start < 60
    assert not result.ok and result.exit_code == 1
    hung = {p.name for p in result.pods if p.status == "Hung"}
    assert "train-mxnet-worker-0" in hung and any(name.startswith("train-mxnet-scheduler-") for name in hung)
    assert "timed out after 20s with pods hung (alive, silent)" in result.reason
    assert "DMLC_NUM_WORKER=2 but the file runs 1 worker pods; the job would hang" in out.getvalue()
