"""MXNetChart core: modes, the MXNet contract, every chart parameter, validation, subclassing."""

from __future__ import annotations

from typing import Any

import cdk8s
import pytest
from cdk8s_plus_27 import k8s
from constructs import Construct

from mxnet_construct import (
    PRODUCTION,
    Entrypoint,
    EnvVar,
    ExistingConfigMap,
    GitRepository,
    Image,
    LocalFiles,
    MXNetChart,
    Persistence,
    PodTemplateSpec,
    Probe,
    Resources,
    RoleOptions,
    Scheduler,
    SecurityContext,
    ServerPool,
    Standalone,
    VolumePermissions,
    WorkerPool,
)
from tests.helpers import env_of, find, make_chart, pod_spec, synth, synth_yaml, validate_documents

WORKLOAD_KINDS = {"Deployment", "StatefulSet"}
RANK_FROM_POD_NAME = 'export {}=$((${{POD_NAME##*-}} + 1)) && exec "$@"'


# Options only a distributed release uses; standalone mode refuses them (issue 16).
DISTRIBUTED_ONLY = (
    "server_count",
    "worker_count",
    "pod_management_policy",
    "scheduler",
    "server",
    "worker",
)


def everything(mode: str) -> dict[str, Any]:
    """Every chart parameter that ``mode`` uses set to a non-default value."""
    values = _everything(mode)
    return values if mode == "distributed" else {k: v for k, v in values.items() if k not in DISTRIBUTED_ONLY}


def _everything(mode: str) -> dict[str, Any]:
    return {
        "mode": mode,
        "server_count": 2,
        "worker_count": 3,
        "scheduler_port": 9091,
        "image": Image(
            registry="registry.local:5000",
            repository="ml/mxnet",
            tag="1.9.1-r7",
            pull_policy="Always",
            pull_secrets=["regcred"],
            debug=True,
        ),
        "git_image": Image(repository="bitnami/git", tag="2.44.0", pull_secrets=["gitcred"]),
        "global_image_registry": "mirror.local",
        "global_image_pull_secrets": ["globalcred"],
        "global_storage_class": "standard",
        "name_override": "mx",
        "volume_permissions": VolumePermissions(enabled=True, resources=Resources(requests={"cpu": "10m"})),
        "service_type": "NodePort",
        "service_node_port": 30091,
        "service_annotations": {"example.com/exposure": "internal"},
        "entrypoint": Entrypoint(file="train.py", args=["--epochs", "2"], work_dir="/app/src"),
        "pod_management_policy": "OrderedReady",
        "code": GitRepository(repository="https://example.com/ml/code.git", revision="v1"),
        "extra_env": [EnvVar(name="OMP_NUM_THREADS", value="4"), EnvVar.from_secret("S3_TOKEN", "s3", "token")],
        "existing_secret": "training-secrets",
        "node_selector": {"pool": "ml"},
        "tolerations": [{"key": "ml", "operator": "Exists", "effect": "NoSchedule"}],
        "affinity": {
            "nodeAffinity": {
                "requiredDuringSchedulingIgnoredDuringExecution": {
                    "nodeSelectorTerms": [{"matchExpressions": [{"key": "zone", "operator": "In", "values": ["a"]}]}]
                }
            }
        },
        "resources": Resources(requests={"cpu": "1", "memory": "2Gi"}, limits={"memory": "4Gi"}),
        "security_context": SecurityContext(fs_group=2000, run_as_user=2000),
        "liveness_probe": Probe(initial_delay_seconds=10, period_seconds=20, timeout_seconds=3, failure_threshold=6),
        "readiness_probe": Probe(
            initial_delay_seconds=1, period_seconds=2, timeout_seconds=2, success_threshold=2, failure_threshold=3
        ),
        "persistence": Persistence(
            enabled=True,
            mount_path="/data",
            storage_class="fast",
            access_mode="ReadWriteMany",
            size="20Gi",
            annotations={"backup": "daily"},
        ),
        "sidecars": [
            {
                "name": "metrics",
                "image": "prom/statsd-exporter:v0.26.0",
                "ports": [{"name": "metrics", "containerPort": 9102}],
            }
        ],
        "init_containers": [{"name": "fetch", "image": "busybox:1.36", "command": ["true"]}],
        "scheduler": RoleOptions(
            resources=Resources(requests={"cpu": "250m"}), extra_env=[EnvVar(name="ROLE_NOTE", value="sched")]
        ),
        "server": RoleOptions(
            node_selector={"pool": "cpu"}, extra_env=[EnvVar(name="MXNET_KVSTORE_BIGARRAY_BOUND", value="1000000")]
        ),
        "worker": RoleOptions(
            tolerations=[{"key": "gpu", "operator": "Exists"}],
            affinity={},
            extra_env=[EnvVar(name="MXNET_CPU_WORKER_NTHREADS", value="2")],
        ),
    }


def pods_of(docs: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    return [(d["metadata"]["name"], d["spec"]["template"]) for d in docs if d["kind"] in WORKLOAD_KINDS]


# --- snapshots -------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["standalone", "distributed"])
def test_snapshot_defaults(mode: str, yaml_snapshot: Any) -> None:
    chart = make_chart(release="demo", mode=mode)
    text = synth_yaml(chart)
    assert text == yaml_snapshot
    validate_documents(synth(chart))


@pytest.mark.parametrize("mode", ["standalone", "distributed"])
def test_snapshot_everything_set(mode: str, yaml_snapshot: Any) -> None:
    chart = make_chart(release="full", **everything(mode))
    assert synth_yaml(chart) == yaml_snapshot
    validate_documents(synth(chart))


def test_synthesis_is_byte_stable() -> None:
    assert synth_yaml(make_chart(release="full", **everything("distributed"))) == synth_yaml(
        make_chart(release="full", **everything("distributed"))
    )


# --- modes and names ---------------------------------------------------------------------


def test_standalone_is_one_deployment_running_sleep_infinity() -> None:
    docs = synth(make_chart(release="dev"))
    workloads = [d for d in docs if d["kind"] in WORKLOAD_KINDS]
    assert [(d["kind"], d["metadata"]["name"]) for d in workloads] == [("Deployment", "dev-mxnet")]
    main = pod_spec(workloads[0])["containers"][0]
    assert main["name"] == "mxnet"
    assert main["command"] == ["sleep", "infinity"]
    assert workloads[0]["spec"]["replicas"] == 1
    assert not [d for d in docs if d["kind"] == "Service"]


def test_distributed_objects_and_names() -> None:
    docs = synth(make_chart(release="job", mode="distributed", server_count=2, worker_count=3))
    kinds = {(d["kind"], d["metadata"]["name"]) for d in docs}
    assert {
        ("Deployment", "job-mxnet-scheduler"),
        ("Service", "job-mxnet-scheduler"),
        ("StatefulSet", "job-mxnet-server"),
        ("StatefulSet", "job-mxnet-worker"),
        ("Service", "job-mxnet-headless"),
    } <= kinds
    assert find(docs, "StatefulSet", "job-mxnet-server")["spec"]["replicas"] == 2
    assert find(docs, "StatefulSet", "job-mxnet-worker")["spec"]["replicas"] == 3
    for sts in ("job-mxnet-server", "job-mxnet-worker"):
        assert find(docs, "StatefulSet", sts)["spec"]["serviceName"] == "job-mxnet-headless"
    headless = find(docs, "Service", "job-mxnet-headless")
    assert headless["spec"]["clusterIP"] == "None"
    assert "ports" not in headless["spec"]


@pytest.mark.parametrize(
    ("release", "kwargs", "fullname"),
    [
        ("demo", {}, "demo-mxnet"),
        ("my-mxnet-job", {}, "my-mxnet-job"),
        ("demo", {"name_override": "trainer"}, "demo-trainer"),
        ("demo", {"fullname_override": "custom"}, "custom"),
    ],
)
def test_fullname_follows_helm(release: str, kwargs: dict[str, Any], fullname: str) -> None:
    docs = synth(make_chart(release=release, mode="distributed", **kwargs))
    find(docs, "Deployment", f"{fullname}-scheduler")
    find(docs, "StatefulSet", f"{fullname}-worker")


def test_labels_and_name_override_label() -> None:
    docs = synth(make_chart(release="demo", mode="distributed", name_override="trainer"))
    dep = find(docs, "Deployment", "demo-trainer-scheduler")
    assert dep["metadata"]["labels"] == {
        "app.kubernetes.io/component": "scheduler",
        "app.kubernetes.io/instance": "demo",
        "app.kubernetes.io/managed-by": "mxnet-construct",
        "app.kubernetes.io/name": "trainer",
    }
    assert dep["spec"]["template"]["metadata"]["labels"] == dep["metadata"]["labels"]


def test_workload_selectors_are_the_charts_and_the_scheduler_service_selects_only_the_scheduler() -> None:
    docs = synth(make_chart(mode="distributed", server_count=2, worker_count=2))
    pods = pods_of(docs)

    def selected_by(selector: dict[str, str]) -> list[str]:
        return [name for name, tpl in pods if selector.items() <= tpl["metadata"]["labels"].items()]

    # Immutable on a live object, so exactly chart 1.4.x's: the scheduler Deployment's
    # selector has no component and overlaps every pod of the release.
    scheduler = find(docs, "Deployment", "test-mxnet-scheduler")["spec"]["selector"]["matchLabels"]
    assert scheduler == {"app.kubernetes.io/instance": "test", "app.kubernetes.io/name": "mxnet"}
    assert selected_by(scheduler) == ["test-mxnet-scheduler", "test-mxnet-server", "test-mxnet-worker"]
    for role in ("server", "worker"):
        selector = find(docs, "StatefulSet", f"test-mxnet-{role}")["spec"]["selector"]["matchLabels"]
        assert selector["app.kubernetes.io/component"] == role
        assert selected_by(selector) == [f"test-mxnet-{role}"]
    # A Service selector is mutable, so the chart's fault is fixed there.
    svc = find(docs, "Service", "test-mxnet-scheduler")
    assert selected_by(svc["spec"]["selector"]) == ["test-mxnet-scheduler"]
    standalone = find(synth(make_chart()), "Deployment")["spec"]["selector"]["matchLabels"]
    assert standalone["app.kubernetes.io/component"] == "standalone"


def test_production_preset() -> None:
    chart = make_chart(**PRODUCTION)
    docs = synth(chart)
    assert chart.options.mode == "distributed"
    assert find(docs, "StatefulSet", "test-mxnet-server")["spec"]["replicas"] == 2
    assert find(docs, "StatefulSet", "test-mxnet-worker")["spec"]["replicas"] == 4


def test_chart_attributes_are_the_role_constructs() -> None:
    dist = make_chart(mode="distributed")
    assert isinstance(dist.scheduler, Scheduler)
    assert isinstance(dist.servers, ServerPool)
    assert isinstance(dist.workers, WorkerPool)
    assert dist.standalone is None
    assert dist.scheduler.service_name == "test-mxnet-scheduler"
    assert dist.scheduler.port == 49875
    assert dist.workers.replicas == 1
    alone = make_chart()
    assert isinstance(alone.standalone, Standalone)
    assert alone.scheduler is None and alone.servers is None and alone.workers is None


# --- the MXNet contract --------------------------------------------------------------------


@pytest.mark.parametrize("port", [1, 9091, 49875, 65535])
def test_scheduler_ports_and_root_port_always_agree(port: int) -> None:
    docs = synth(make_chart(mode="distributed", scheduler_port=port, service_type="NodePort"))
    svc = find(docs, "Service", "test-mxnet-scheduler")["spec"]["ports"]
    assert len(svc) == 1
    assert svc[0]["port"] == port and svc[0]["targetPort"] == port
    sched = pod_spec(find(docs, "Deployment", "test-mxnet-scheduler"))["containers"][0]
    assert sched["ports"][0]["containerPort"] == port
    for _, tpl in pods_of(docs):
        assert env_of(tpl["spec"]["containers"][0])["DMLC_PS_ROOT_PORT"] == str(port)


def test_dmlc_env_per_role() -> None:
    docs = synth(make_chart(mode="distributed", server_count=2, worker_count=5))
    expected_common = {
        "DMLC_PS_ROOT_URI": "test-mxnet-scheduler",
        "DMLC_PS_ROOT_PORT": "49875",
        "DMLC_NUM_SERVER": "2",
        "DMLC_NUM_WORKER": "5",
    }
    sched = env_of(pod_spec(find(docs, "Deployment", "test-mxnet-scheduler"))["containers"][0])
    assert sched == {**expected_common, "DMLC_ROLE": "scheduler", "DMLC_USE_KUBERNETES": "1"}
    for role in ("server", "worker"):
        env = env_of(pod_spec(find(docs, "StatefulSet", f"test-mxnet-{role}"))["containers"][0])
        assert env == {**expected_common, "DMLC_ROLE": role, "POD_NAME": {"fieldRef": {"fieldPath": "metadata.name"}}}


def test_counts_in_env_equal_replicas() -> None:
    docs = synth(make_chart(mode="distributed", server_count=3, worker_count=7))
    replicas = {d["metadata"]["name"]: d["spec"]["replicas"] for d in docs if d["kind"] in WORKLOAD_KINDS}
    for _, tpl in pods_of(docs):
        env = env_of(tpl["spec"]["containers"][0])
        assert int(env["DMLC_NUM_SERVER"]) == replicas["test-mxnet-server"]
        assert int(env["DMLC_NUM_WORKER"]) == replicas["test-mxnet-worker"]


@pytest.mark.parametrize(
    ("entrypoint", "command"),
    [
        (Entrypoint(), ["sleep", "infinity"]),
        (Entrypoint(file="train.py", args=["--lr", "0.1 0.2"]), ["python3", "train.py", "--lr", "0.1 0.2"]),
        (Entrypoint(file="run.sh", args=["a"]), ["bash", "run.sh", "a"]),
    ],
)
def test_commands_per_role(entrypoint: Entrypoint, command: list[str]) -> None:
    docs = synth(make_chart(mode="distributed", entrypoint=entrypoint))
    ps_node = ["python3", "-c", "import mxnet"]
    assert pod_spec(find(docs, "Deployment", "test-mxnet-scheduler"))["containers"][0]["command"] == ps_node
    # Servers and workers export the chart's rank variable, then exec the command unchanged.
    server = pod_spec(find(docs, "StatefulSet", "test-mxnet-server"))["containers"][0]
    assert server["command"] == ["sh", "-c", RANK_FROM_POD_NAME.format("SERVER_RANK"), "server", *ps_node]
    worker = pod_spec(find(docs, "StatefulSet", "test-mxnet-worker"))["containers"][0]
    assert worker["command"] == ["sh", "-c", RANK_FROM_POD_NAME.format("WORKER_RANK"), "worker", *command]
    assert worker["workingDir"] == entrypoint.work_dir
    standalone = pod_spec(find(synth(make_chart(entrypoint=entrypoint)), "Deployment"))["containers"][0]
    assert standalone["command"] == command


def test_extra_env_common_and_per_role_including_value_from() -> None:
    docs = synth(make_chart(release="full", **everything("distributed")))
    sched = env_of(pod_spec(find(docs, "Deployment", "full-mx-scheduler"))["containers"][0])
    server = env_of(pod_spec(find(docs, "StatefulSet", "full-mx-server"))["containers"][0])
    worker = env_of(pod_spec(find(docs, "StatefulSet", "full-mx-worker"))["containers"][0])
    for env in (sched, server, worker):
        assert env["OMP_NUM_THREADS"] == "4"
        assert env["S3_TOKEN"] == {"secretKeyRef": {"name": "s3", "key": "token"}}
        assert env["BITNAMI_DEBUG"] == "true"
    assert sched["ROLE_NOTE"] == "sched" and "ROLE_NOTE" not in worker
    assert server["MXNET_KVSTORE_BIGARRAY_BOUND"] == "1000000" and "MXNET_KVSTORE_BIGARRAY_BOUND" not in worker
    # The 2020 chart dropped the worker's extra env through a template typo.
    assert worker["MXNET_CPU_WORKER_NTHREADS"] == "2"


# --- parameters ------------------------------------------------------------------------


def test_images_registry_and_pull_secrets() -> None:
    docs = synth(make_chart(release="full", **everything("distributed")))
    spec = pod_spec(find(docs, "StatefulSet", "full-mx-worker"))
    assert spec["containers"][0]["image"] == "mirror.local/ml/mxnet:1.9.1-r7"
    assert spec["containers"][0]["imagePullPolicy"] == "Always"
    inits = {c["name"]: c for c in spec["initContainers"]}
    assert inits["git-clone-repository"]["image"] == "mirror.local/bitnami/git:2.44.0"
    assert inits["volume-permissions"]["image"] == "mirror.local/bitnami/minideb:buster"
    assert [s["name"] for s in spec["imagePullSecrets"]] == ["globalcred", "regcred", "gitcred"]


def test_image_digest_replaces_tag() -> None:
    digest = "sha256:" + "a" * 64
    docs = synth(make_chart(image=Image(digest=digest)))
    assert pod_spec(find(docs, "Deployment"))["containers"][0]["image"] == f"docker.io/bitnami/mxnet@{digest}"


def test_code_sources_in_chart_order() -> None:
    cm = synth(make_chart(code=ExistingConfigMap(name="my-code")))
    assert pod_spec(find(cm, "Deployment"))["volumes"][0] == {"name": "ext-files", "configMap": {"name": "my-code"}}
    assert not [d for d in cm if d["kind"] == "ConfigMap"]

    files = synth(make_chart(code=LocalFiles(files={"train.py": "print('hi')\n"})))
    config_map = find(files, "ConfigMap", "test-mxnet-files")
    assert config_map["data"] == {"train.py": "print('hi')\n"}
    assert pod_spec(find(files, "Deployment"))["volumes"][0] == {
        "name": "local-files",
        "configMap": {"name": "test-mxnet-files"},
    }

    git = synth(make_chart(code=GitRepository(repository="https://example.com/r.git")))
    spec = pod_spec(find(git, "Deployment"))
    assert spec["volumes"][0] == {"name": "git-cloned-files", "emptyDir": {}}
    clone = spec["initContainers"][0]
    assert clone["name"] == "git-clone-repository"
    assert clone["command"][-3:] == ["--", "https://example.com/r.git", "/app"]
    assert "master" in clone["command"]
    assert {"name": "git-cloned-files", "mountPath": "/app"} in spec["containers"][0]["volumeMounts"]
    assert clone["volumeMounts"] == [{"name": "git-cloned-files", "mountPath": "/app"}]


def test_local_files_from_directory(tmp_path: Any) -> None:
    (tmp_path / "b.py").write_text("b")
    (tmp_path / "a.sh").write_text("a")
    (tmp_path / ".hidden").write_text("x")
    assert dict(LocalFiles.from_directory(tmp_path).files) == {"a.sh": "a", "b.py": "b"}
    with pytest.raises(ValueError, match="code directory"):
        LocalFiles.from_directory(tmp_path / "missing")


def test_existing_secret_mounted_read_only() -> None:
    spec = pod_spec(find(synth(make_chart(existing_secret="creds")), "Deployment"))
    assert {"name": "secret-data", "secret": {"secretName": "creds"}} in spec["volumes"]
    assert {"name": "secret-data", "mountPath": "/secrets", "readOnly": True} in spec["containers"][0]["volumeMounts"]


def test_persistence_claims_match_the_pods_mounts() -> None:
    docs = synth(make_chart(release="full", **everything("distributed")))
    claims = {d["metadata"]["name"]: d for d in docs if d["kind"] == "PersistentVolumeClaim"}
    sched_spec = pod_spec(find(docs, "Deployment", "full-mx-scheduler"))
    data = next(v for v in sched_spec["volumes"] if v["name"] == "data")
    # The chart's claim names: the scheduler's is <fullname>-scheduler, the standalone's <fullname>.
    assert data["persistentVolumeClaim"]["claimName"] == "full-mx-scheduler"
    claim = claims[data["persistentVolumeClaim"]["claimName"]]
    assert claim["spec"] == {
        "accessModes": ["ReadWriteMany"],
        "resources": {"requests": {"storage": "20Gi"}},
        "storageClassName": "standard",  # global_storage_class wins, as in the chart
    }
    assert claim["metadata"]["annotations"] == {"backup": "daily"}
    for sts in ("full-mx-server", "full-mx-worker"):
        doc = find(docs, "StatefulSet", sts)
        templates = doc["spec"]["volumeClaimTemplates"]
        assert [t["metadata"]["name"] for t in templates] == ["data"]
        assert templates[0]["spec"]["storageClassName"] == "standard"
        assert templates[0]["metadata"]["labels"] == {
            "app.kubernetes.io/instance": "full",
            "app.kubernetes.io/name": "mx",
        }
        assert not [v for v in pod_spec(doc)["volumes"] if v["name"] == "data"]
        assert {"name": "data", "mountPath": "/data"} in pod_spec(doc)["containers"][0]["volumeMounts"]
    standalone = synth(make_chart(persistence=Persistence(enabled=True)))
    claim_name = next(v for v in pod_spec(find(standalone, "Deployment"))["volumes"] if v["name"] == "data")[
        "persistentVolumeClaim"
    ]["claimName"]
    assert claim_name == "test-mxnet"
    assert find(standalone, "PersistentVolumeClaim", claim_name)["spec"]["resources"]["requests"]["storage"] == "8Gi"


@pytest.mark.parametrize(
    ("persistence", "global_class", "expected"),
    # The chart's rule: global.storageClass, when set, wins over persistence.storageClass.
    [
        (None, "standard", "standard"),
        ("-", "standard", "standard"),
        ("fast", "standard", "standard"),
        ("standard", "-", ""),
        ("fast", None, "fast"),
        ("-", None, ""),
        (None, None, None),
    ],
)
def test_storage_class_resolution(persistence: str | None, global_class: str | None, expected: str | None) -> None:
    docs = synth(
        make_chart(persistence=Persistence(enabled=True, storage_class=persistence), global_storage_class=global_class)
    )
    spec = find(docs, "PersistentVolumeClaim")["spec"]
    assert spec.get("storageClassName") == expected


def test_persistence_disabled_uses_empty_dir_at_mount_path() -> None:
    spec = pod_spec(find(synth(make_chart(persistence=Persistence(mount_path="/scratch"))), "Deployment"))
    assert {"name": "data", "emptyDir": {}} in spec["volumes"]
    assert {"name": "data", "mountPath": "/scratch"} in spec["containers"][0]["volumeMounts"]


def test_volume_permissions_init_container() -> None:
    spec = pod_spec(find(synth(make_chart(release="full", **everything("standalone"))), "Deployment"))
    vp = spec["initContainers"][0]
    assert vp["name"] == "volume-permissions"
    assert vp["command"] == ["chown", "-R", "2000:2000", "/data"]
    assert vp["securityContext"]["runAsUser"] == 0
    assert vp["resources"] == {"requests": {"cpu": "10m"}}
    assert "initContainers" not in pod_spec(find(synth(make_chart()), "Deployment"))


def test_volume_permissions_without_persistence_adds_no_root_container() -> None:
    # An emptyDir is already writable through fsGroup; the chart added no init container here.
    docs = synth(make_chart(mode="distributed", volume_permissions=VolumePermissions(enabled=True)))
    for _, tpl in pods_of(docs):
        assert "initContainers" not in tpl["spec"]
        assert all(c.get("securityContext", {}).get("runAsUser") != 0 for c in tpl["spec"]["containers"])
    with_claims = synth(
        make_chart(volume_permissions=VolumePermissions(enabled=True), persistence=Persistence(enabled=True))
    )
    assert [c["name"] for c in pod_spec(find(with_claims, "Deployment"))["initContainers"]] == ["volume-permissions"]


@pytest.mark.parametrize(
    ("persistence", "expected"),
    [
        (Persistence(enabled=True), ["ReadWriteOnce"]),
        (Persistence(enabled=True, access_mode="ReadWriteMany"), ["ReadWriteMany"]),
        (Persistence(enabled=True, access_modes=["ReadWriteOnce", "ReadOnlyMany"]), ["ReadWriteOnce", "ReadOnlyMany"]),
        (
            Persistence(enabled=True, access_mode="ReadOnlyMany", access_modes=["ReadWriteOnce", "ReadOnlyMany"]),
            ["ReadWriteOnce", "ReadOnlyMany"],
        ),
    ],
)
def test_access_modes_list_replaces_the_single_mode(persistence: Persistence, expected: list[str]) -> None:
    docs = synth(make_chart(mode="distributed", persistence=persistence))
    assert find(docs, "PersistentVolumeClaim", "test-mxnet-scheduler")["spec"]["accessModes"] == expected
    for role in ("server", "worker"):
        template = find(docs, "StatefulSet", f"test-mxnet-{role}")["spec"]["volumeClaimTemplates"][0]
        assert template["spec"]["accessModes"] == expected


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"access_modes": ["ReadWriteOnce", "ReadWriteOnce"]}, r"persistence.access_modes.*list each access mode once"),
        ({"access_modes": ["ReadWriteAll"]}, r"persistence.access_modes\[0\].*ReadWriteAll"),
        ({"access_modes": "ReadWriteOnce"}, r"persistence.access_modes"),
        (
            {"access_mode": "ReadWriteMany", "access_modes": ["ReadOnlyMany"]},
            r"persistence.access_mode.*'ReadWriteMany'.*not in access_modes",
        ),
    ],
)
def test_access_modes_refused(kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises((ValueError, TypeError), match=match):
        Persistence(enabled=True, **kwargs)


def test_scheduler_service_node_port_and_annotations() -> None:
    docs = synth(
        make_chart(
            mode="distributed",
            service_type="NodePort",
            service_node_port=30092,
            service_annotations={"networking.gke.io/load-balancer-type": "Internal"},
        )
    )
    svc = find(docs, "Service", "test-mxnet-scheduler")
    assert svc["spec"]["ports"] == [
        {"name": "mxnet", "nodePort": 30092, "port": 49875, "protocol": "TCP", "targetPort": 49875}
    ]
    assert svc["metadata"]["annotations"]["networking.gke.io/load-balancer-type"] == "Internal"
    headless = find(docs, "Service", "test-mxnet-headless")
    assert "networking.gke.io/load-balancer-type" not in headless["metadata"].get("annotations", {})


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"service_node_port": 30092}, r"service_node_port: 30092.*ClusterIP Service has no node port"),
        ({"service_type": "NodePort", "service_node_port": 0}, r"service_node_port"),
        ({"service_type": "NodePort", "service_node_port": "30092"}, r"service_node_port"),
        ({"service_annotations": {"bad key!": "x"}}, r"service_annotations"),
    ],
)
def test_service_extras_refused(kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises((ValueError, TypeError), match=match):
        make_chart(mode="distributed", **kwargs)


def test_standalone_pod_declares_the_charts_port() -> None:
    container = pod_spec(find(synth(make_chart(scheduler_port=9092)), "Deployment"))["containers"][0]
    assert container["ports"] == [{"containerPort": 9092, "name": "mxnet", "protocol": "TCP"}]


def test_scheduling_knobs_and_role_overrides() -> None:
    docs = synth(make_chart(release="full", **everything("distributed")))
    sched = pod_spec(find(docs, "Deployment", "full-mx-scheduler"))
    server = pod_spec(find(docs, "StatefulSet", "full-mx-server"))
    worker = pod_spec(find(docs, "StatefulSet", "full-mx-worker"))
    assert sched["nodeSelector"] == {"pool": "ml"} and server["nodeSelector"] == {"pool": "cpu"}
    assert worker["tolerations"] == [{"key": "gpu", "operator": "Exists"}]
    assert sched["tolerations"][0]["key"] == "ml"
    assert "nodeAffinity" in sched["affinity"] and "affinity" not in worker  # an empty override clears it
    assert sched["containers"][0]["resources"] == {"requests": {"cpu": "250m"}}
    assert worker["containers"][0]["resources"] == {
        "limits": {"memory": "4Gi"},
        "requests": {"cpu": "1", "memory": "2Gi"},
    }


def test_probes_all_five_numbers() -> None:
    docs = synth(make_chart(release="full", **everything("distributed")))
    sched = pod_spec(find(docs, "Deployment", "full-mx-scheduler"))["containers"][0]
    assert sched["livenessProbe"] == {
        "tcpSocket": {"port": 9091},
        "initialDelaySeconds": 10,
        "periodSeconds": 20,
        "timeoutSeconds": 3,
        "successThreshold": 1,
        "failureThreshold": 6,
    }
    assert sched["readinessProbe"]["successThreshold"] == 2
    worker = pod_spec(find(docs, "StatefulSet", "full-mx-worker"))["containers"][0]
    assert "exec" in worker["livenessProbe"] and "import mxnet" not in " ".join(
        worker["livenessProbe"]["exec"]["command"]
    )
    off = synth(make_chart(liveness_probe=Probe(enabled=False), readiness_probe=Probe(enabled=False)))
    main = pod_spec(find(off, "Deployment"))["containers"][0]
    assert "livenessProbe" not in main and "readinessProbe" not in main


def test_readme_probe_defaults() -> None:
    main = pod_spec(find(synth(make_chart(mode="distributed")), "Deployment"))["containers"][0]
    timing = ("initialDelaySeconds", "periodSeconds", "timeoutSeconds", "successThreshold", "failureThreshold")
    assert [main["livenessProbe"][k] for k in timing] == [5, 5, 5, 1, 5]
    assert [main["readinessProbe"][k] for k in timing] == [5, 5, 1, 1, 5]


def test_security_context_chart_values() -> None:
    spec = pod_spec(find(synth(make_chart()), "Deployment"))
    assert spec["securityContext"]["fsGroup"] == 1001 and spec["securityContext"]["runAsUser"] == 1001
    off = pod_spec(find(synth(make_chart(security_context=SecurityContext(enabled=False))), "Deployment"))
    assert "fsGroup" not in off["securityContext"] and "runAsUser" not in off["securityContext"]


def test_sidecars_and_init_containers_in_every_pod() -> None:
    docs = synth(make_chart(release="full", **everything("distributed")))
    for _, tpl in pods_of(docs):
        spec = tpl["spec"]
        assert [c["name"] for c in spec["containers"]] == ["mxnet", "metrics"]
        assert [c["name"] for c in spec["initContainers"]] == ["volume-permissions", "git-clone-repository", "fetch"]


def test_service_type_and_pod_management_policy() -> None:
    docs = synth(make_chart(release="full", **everything("distributed")))
    assert find(docs, "Service", "full-mx-scheduler")["spec"]["type"] == "NodePort"
    assert find(docs, "StatefulSet", "full-mx-worker")["spec"]["podManagementPolicy"] == "OrderedReady"
    default = synth(make_chart(mode="distributed"))
    assert find(default, "StatefulSet", "test-mxnet-worker")["spec"]["podManagementPolicy"] == "Parallel"
    assert find(default, "Service", "test-mxnet-scheduler")["spec"]["type"] == "ClusterIP"


def test_namespace_and_chart_labels_reach_every_object() -> None:
    chart = make_chart(mode="distributed", namespace="ml", labels={"team": "vision"})
    for doc in synth(chart):
        assert doc["metadata"]["namespace"] == "ml"
        assert doc["metadata"]["labels"]["team"] == "vision"


def test_objects_added_to_the_chart_are_kept() -> None:
    chart = make_chart(mode="distributed")
    k8s.KubeConfigMap(chart, "extra", metadata=k8s.ObjectMeta(name="extra"), data={"a": "b"})
    docs = synth(chart)
    assert find(docs, "ConfigMap", "extra")["data"] == {"a": "b"}
    assert docs[-1]["metadata"]["name"] == "extra"


# --- subclassing ---------------------------------------------------------------------------


class TracedWorkers(WorkerPool):
    def pod_template(self) -> PodTemplateSpec:
        pod = super().pod_template()
        pod["spec"]["containers"].append({"name": "tracer", "image": "tracer:1"})
        pod["spec"]["containers"][0]["resources"] = {"limits": {"cpu": "3"}}
        return pod


class TracedChart(MXNetChart):
    worker_pool_class = TracedWorkers


def test_subclass_changes_the_worker_pod_template_through_the_hook() -> None:
    chart = make_chart(TracedChart, mode="distributed")
    assert isinstance(chart.workers, TracedWorkers)
    docs = synth(chart)
    worker = pod_spec(find(docs, "StatefulSet", "test-mxnet-worker"))
    assert [c["name"] for c in worker["containers"]] == ["mxnet", "tracer"]
    assert worker["containers"][0]["resources"] == {"limits": {"cpu": "3"}}
    server = pod_spec(find(docs, "StatefulSet", "test-mxnet-server"))
    assert [c["name"] for c in server["containers"]] == ["mxnet"]
    validate_documents(docs)


def test_subclass_can_add_objects_as_constructs() -> None:
    class WithConfig(Scheduler):
        def __init__(self, scope: Construct, id: str, **kwargs: Any) -> None:
            super().__init__(scope, id, **kwargs)
            cdk8s.ApiObject(
                self, "Notes", api_version="v1", kind="ConfigMap", metadata={"name": f"{self.name}-notes"}
            ).add_json_patch(cdk8s.JsonPatch.add("/data", {"port": str(self.port)}))

    class Chart(MXNetChart):
        scheduler_class = WithConfig

    docs = synth(make_chart(Chart, mode="distributed"))
    assert find(docs, "ConfigMap", "test-mxnet-scheduler-notes")["data"] == {"port": "49875"}


# --- validation: one test per rule -------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"mode": "cluster"}, ValueError, r"mode: 'cluster'.*'standalone', 'distributed'"),
        ({"mode": "distributed", "worker_count": 0}, ValueError, r"worker_count: 0 .*at least 1"),
        ({"mode": "distributed", "server_count": -1}, ValueError, r"server_count: -1 .*at least 1"),
        ({"server_count": "2"}, TypeError, r"server_count: expected an integer, got str"),
        ({"worker_count": True}, TypeError, r"worker_count: expected an integer, got bool"),
        ({"scheduler_port": 0}, ValueError, r"scheduler_port: 0 .*at least 1"),
        ({"scheduler_port": 70000}, ValueError, r"scheduler_port: 70000 .*at most 65535"),
        ({"service_type": "ExternalName"}, ValueError, r"service_type: 'ExternalName'"),
        ({"pod_management_policy": "Serial"}, ValueError, r"pod_management_policy: 'Serial'"),
        ({"name_override": "Bad_Name"}, ValueError, r"name_override: 'Bad_Name'"),
        ({"existing_secret": "UPPER"}, ValueError, r"existing_secret: 'UPPER'"),
        ({"node_selector": {"pool": "a b"}}, ValueError, r"node_selector\['pool'\]: 'a b'"),
        ({"tolerations": [{"key": "a", "opertor": "Exists"}]}, ValueError, r"tolerations\[0\].*opertor"),
        ({"affinity": {"nodeAfinity": {}}}, ValueError, r"affinity.*nodeAfinity"),
        ({"sidecars": [{"name": "x"}]}, TypeError, r"sidecars\[0\].image: expected a string"),
        (
            {"sidecars": [{"name": "x", "image": "y", "imagePullPolicyy": "Always"}]},
            ValueError,
            r"sidecars\[0\].*imagePullPolicyy",
        ),
        (
            {"init_containers": [{"name": "a", "image": "b"}, {"name": "a", "image": "c"}]},
            ValueError,
            r"init_containers\[1\].name: 'a'.*unique",
        ),
        ({"extra_env": [EnvVar(name="DMLC_NUM_WORKER", value="9")]}, ValueError, r"extra_env\[DMLC_NUM_WORKER\]"),
        ({"extra_env": [{"name": "A", "value": "b"}]}, TypeError, r"extra_env\[0\]: expected an EnvVar"),
        ({"lifecycle": "cron"}, ValueError, r"lifecycle: 'cron'"),
        ({"gang_scheduler": "kueue"}, ValueError, r"gang_scheduler: 'kueue'"),
        ({"lifecycle": "job"}, ValueError, r"lifecycle: 'job'.*needs entrypoint.file"),
        ({"ps_verbose": 3}, ValueError, r"ps_verbose: 3 .*at most 2"),
        ({"dmlc_interface": "eth0; rm"}, ValueError, r"dmlc_interface: 'eth0; rm'"),
        ({"image": "bitnami/mxnet"}, TypeError, r"image: expected an Image"),
    ],
)
def test_chart_validation(kwargs: dict[str, Any], error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        make_chart(**kwargs)


@pytest.mark.parametrize(
    ("build", "match"),
    [
        (lambda: Image(repository="bitnami/MXNet"), r"image.repository: 'bitnami/MXNet'.*lowercase"),
        (lambda: Image(tag="-bad"), r"image.tag: '-bad'"),
        (lambda: Image(registry="http://docker.io"), r"image.registry: 'http://docker.io'"),
        (lambda: Image(pull_policy="Sometimes"), r"image.pull_policy: 'Sometimes'.*'Always', 'IfNotPresent', 'Never'"),
        (lambda: Image(digest="md5:abc"), r"image.digest"),
        (lambda: Probe(period_seconds=0), r"probe.period_seconds: 0 .*at least 1"),
        (lambda: Probe(timeout_seconds=0), r"probe.timeout_seconds: 0 .*at least 1"),
        (lambda: Probe(initial_delay_seconds=-1), r"probe.initial_delay_seconds: -1 .*at least 0"),
        (lambda: Probe(failure_threshold=0), r"probe.failure_threshold: 0"),
        (lambda: Probe(success_threshold=0), r"probe.success_threshold: 0"),
        (lambda: Persistence(size="8 GB"), r"persistence.size: '8 GB'.*quantity"),
        (lambda: Persistence(size="-1Gi"), r"persistence.size: '-1Gi'"),
        (lambda: Persistence(mount_path="data"), r"persistence.mount_path: 'data'.*absolute"),
        (lambda: Persistence(access_mode="ReadWrite"), r"persistence.access_mode: 'ReadWrite'"),
        (lambda: Resources(limits={"cpu": "lots"}), r"resources.limits\['cpu'\]: 'lots'"),
        (
            lambda: Resources(requests={"memory": [1]}),
            r"resources.requests\['memory'\]: expected a Kubernetes quantity",
        ),
        (lambda: GitRepository(repository=""), r"cloneFilesFromGit.repository.*needs a repository"),
        (
            lambda: GitRepository(repository="https://x/r.git", revision="--upload-pack=evil"),
            r"cloneFilesFromGit.revision",
        ),
        (lambda: EnvVar(name="1BAD", value="x"), r"env.name: '1BAD'"),
        (lambda: EnvVar(name="BAD NAME", value="x"), r"env.name: 'BAD NAME'"),
        (lambda: EnvVar(name="A"), r"env\[A\].*exactly one of value and value_from"),
        (lambda: EnvVar(name="A", value_from={"secretRef": {}}), r"env\[A\].value_from.*exactly one of"),
        (
            lambda: EnvVar(name="A", value_from={"fieldRef": {}}),
            r"env\[A\].value_from.fieldRef.fieldPath: expected a string",
        ),
        (lambda: EnvVar(name="A", value_from={"secretKeyRef": {"name": "s"}}), r"env\[A\].value_from.secretKeyRef.key"),
        (lambda: Entrypoint(work_dir="app"), r"entrypoint.work_dir: 'app'"),
        (lambda: Entrypoint(args="--epochs 1"), r"entrypoint.args: expected a list"),
        (lambda: SecurityContext(run_as_user=0), r"security_context.run_as_user: 0"),
        (lambda: LocalFiles(files={"dir/train.py": "x"}), r"code.files key: 'dir/train.py'"),
        (lambda: make_chart(mode="distributed", worker=RoleOptions(gpus=-1)), r"worker.gpus: -1"),
    ],
)
def test_option_validation(build: Any, match: str) -> None:
    with pytest.raises((ValueError, TypeError), match=match):
        build()


def test_liveness_success_threshold_must_be_one() -> None:
    with pytest.raises(ValueError, match=r"liveness_probe.success_threshold: 2 .*requires 1"):
        make_chart(liveness_probe=Probe(success_threshold=2))


@pytest.mark.parametrize("release", ["Upper", "under_score", "1starts-with-digit", "-dash", "a" * 64, ""])
def test_release_name_must_be_a_dns_label(release: str) -> None:
    with pytest.raises((ValueError, TypeError), match="release name"):
        make_chart(release=release)


def test_release_name_too_long_for_statefulsets() -> None:
    ok = "r" * 39  # r...-mxnet-worker is 52 characters, the StatefulSet limit
    validate_documents(synth(make_chart(release=ok, mode="distributed")))
    with pytest.raises(
        ValueError,
        match=r"release name: .*'r{40}-mxnet-server' \(53 characters, limit 52\); use a release name of at most 39 characters",
    ):
        make_chart(release="r" * 40, mode="distributed")


def test_unknown_keyword_suggests_the_closest() -> None:
    with pytest.raises(TypeError, match=r"unknown keyword argument 'worker_cont'; did you mean 'worker_count'\?"):
        make_chart(worker_cont=2)


def test_duplicate_release_in_one_app() -> None:
    app = cdk8s.Testing.app()
    MXNetChart(app, "twice")
    with pytest.raises(ValueError, match="'twice' is used twice"):
        MXNetChart(app, "twice")


def test_scope_must_be_a_construct() -> None:
    with pytest.raises(TypeError, match="scope must be a construct"):
        MXNetChart("app", "x")  # type: ignore[arg-type]
