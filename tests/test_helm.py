"""Helm values → MXNetChart: every chart README example and parameter, strictness, the migration table.

The chart README (a copy lives in tests/data) is read at test time: its parameter table
and its examples are the spec, so a key or an example this library misses fails here.
"""

from __future__ import annotations

import copy
import dataclasses
import re
import shlex
import warnings
from pathlib import Path
from typing import Any

import cdk8s
import pytest
import yaml

from app import DISTRIBUTED_TRAINING_EXAMPLE
from mxnet_construct import (
    PRODUCTION,
    Entrypoint,
    EnvVar,
    MXNetChart,
    MXNetOptions,
    Resources,
)
from mxnet_construct.helm import (
    PARAMS,
    UNMAPPED,
    ValuesTypeError,
    ValuesWarning,
    chart_kwargs_from_values,
    load_values_file,
    migration_table,
    update_migration_doc,
)
from mxnet_construct.helm_cli import merge_values, parse_set
from tests.helpers import ROOT, env_of, find, make_chart, pod_spec, synth, synth_yaml, validate_documents

README = ROOT / "tests" / "data" / "bitnami-mxnet-chart-README.md"
RELEASE = "my-release"
WORKLOADS = ("Deployment", "StatefulSet", "Job", "JobSet")


def readme_keys() -> list[str]:
    return re.findall(r"^\| `([^`]+)`\s*\|", README.read_text(), flags=re.MULTILINE)


def readme_console_blocks() -> list[list[str]]:
    """The README's ```console blocks that are lists of key=value settings (no `$` prompt)."""
    blocks = re.findall(r"```console\n(.*?)```", README.read_text(), flags=re.DOTALL)
    return [block.splitlines() for block in blocks if block.startswith("mode=")]


def readme_yaml_block(key: str) -> Any:
    block = next(
        b for b in re.findall(r"```yaml\n(.*?)```", README.read_text(), flags=re.DOTALL) if b.startswith(f"{key}:")
    )
    # The README indents `containerPort` one space short, which YAML rejects; the intent
    # (a port with a name and a number) is evident.
    fixed = block.replace("\n   containerPort:", "\n    containerPort:")
    return yaml.safe_load(fixed)


def from_set_lines(lines: list[str]) -> dict[str, Any]:
    """The values `helm install --set LINE ...` builds; each README line is shell-quoted."""
    values: dict[str, Any] = {}
    for line in lines:
        (word,) = shlex.split(line)
        parse_set(word, values)
    return values


def nested(dotted: str, value: Any) -> dict[str, Any]:
    out: Any = value
    for part in reversed(dotted.split(".")):
        out = {part: out}
    result: dict[str, Any] = out
    return result


def helm_chart(values: Any, release: str = RELEASE, **kwargs: Any) -> MXNetChart:
    return MXNetChart.from_helm_values(cdk8s.Testing.app(), release, values, **kwargs)


def replicas(docs: list[dict[str, Any]]) -> dict[str, int]:
    return {d["metadata"]["name"]: d["spec"]["replicas"] for d in docs if d["kind"] in WORKLOADS}


def main_container(doc: dict[str, Any]) -> dict[str, Any]:
    return next(c for c in pod_spec(doc)["containers"] if c["name"] == "mxnet")


# --- the README's examples ---------------------------------------------------------------


def test_tldr_defaults_are_one_standalone_deployment() -> None:
    docs = synth(helm_chart({}))
    validate_documents(docs)
    assert replicas(docs) == {"my-release-mxnet": 1}
    deployment = find(docs, "Deployment", "my-release-mxnet")
    assert main_container(deployment)["command"] == ["sleep", "infinity"]
    assert synth_yaml(helm_chart({})) == synth_yaml(make_chart(release=RELEASE))


def test_set_distributed_two_servers_three_workers_makes_six_pods() -> None:
    values = from_set_lines(["mode=distributed", "serverCount=2", "workerCount=3"])
    docs = synth(helm_chart(values))
    validate_documents(docs)
    assert replicas(docs) == {
        "my-release-mxnet-scheduler": 1,
        "my-release-mxnet-server": 2,
        "my-release-mxnet-worker": 3,
    }
    assert sum(replicas(docs).values()) == 6
    worker_env = env_of(main_container(find(docs, "StatefulSet", "my-release-mxnet-worker")))
    assert (worker_env["DMLC_NUM_SERVER"], worker_env["DMLC_NUM_WORKER"]) == ("2", "3")
    assert find(docs, "Service", "my-release-mxnet-scheduler")["spec"]["type"] == "ClusterIP"
    assert find(docs, "Service", "my-release-mxnet-headless")["spec"]["clusterIP"] == "None"


def test_production_configuration(tmp_path: Path) -> None:
    # The README's values-production.yaml diff, as a values file.
    diffs = re.findall(r"^\+ (\w+): (\S+)$", README.read_text(), flags=re.MULTILINE)
    assert dict(diffs) == {"mode": "distributed", "serverCount": "2", "workerCount": "4"}
    values_file = tmp_path / "values-production.yaml"
    values_file.write_text("".join(f"{key}: {value}\n" for key, value in diffs))
    chart = MXNetChart.from_values_file(cdk8s.Testing.app(), RELEASE, values_file)
    docs = synth(chart)
    validate_documents(docs)
    assert replicas(docs) == {
        "my-release-mxnet-scheduler": 1,
        "my-release-mxnet-server": 2,
        "my-release-mxnet-worker": 4,
    }
    assert synth_yaml(chart) == synth_yaml(make_chart(release=RELEASE, **PRODUCTION))


def distributed_training_python() -> cdk8s.Chart:
    return make_chart(release=RELEASE, **DISTRIBUTED_TRAINING_EXAMPLE)


def test_distributed_training_example() -> None:
    training, _ = readme_console_blocks()
    docs = synth(helm_chart(from_set_lines(training)))
    validate_documents(docs)
    worker = find(docs, "StatefulSet", "my-release-mxnet-worker")
    main = main_container(worker)
    assert main["command"][:4] == ["sh", "-c", 'export WORKER_RANK=$((${POD_NAME##*-} + 1)) && exec "$@"', "worker"]
    assert main["command"][4:] == [
        "python3",
        DISTRIBUTED_TRAINING_EXAMPLE["entrypoint"].file,
        *DISTRIBUTED_TRAINING_EXAMPLE["entrypoint"].args,
    ]
    assert main["workingDir"] == "/app/example/gluon/"
    clone = pod_spec(worker)["initContainers"][0]
    assert clone["name"] == "git-clone-repository"
    assert clone["command"][-3:] == ["--", "https://github.com/apache/incubator-mxnet.git", "/app"]
    assert "master" in clone["command"]
    assert synth_yaml(helm_chart(from_set_lines(training))) == synth_yaml(distributed_training_python())


def test_ps_verbose_example_sets_the_variable_on_every_role() -> None:
    training, verbose = readme_console_blocks()
    assert "commonExtraEnvVars[0].value=1" in verbose
    values = from_set_lines(verbose)
    # --set types `1` as an integer, exactly as Helm does; the env value is still text.
    assert values["commonExtraEnvVars"] == [{"name": "PS_VERBOSE", "value": 1}]
    docs = synth(helm_chart(values))
    validate_documents(docs)
    for name in ("scheduler", "server", "worker"):
        assert (
            env_of(
                main_container(
                    find(docs, WORKLOADS[0] if name == "scheduler" else "StatefulSet", f"my-release-mxnet-{name}")
                )
            )["PS_VERBOSE"]
            == "1"
        )
    without = synth(helm_chart(from_set_lines(training)))
    assert "PS_VERBOSE" not in env_of(main_container(find(without, "StatefulSet", "my-release-mxnet-worker")))


@pytest.mark.parametrize(("key", "spec_field"), [("sidecars", "containers"), ("initContainers", "initContainers")])
@pytest.mark.parametrize("mode", ["standalone", "distributed"])
def test_sidecars_and_init_containers_examples(key: str, spec_field: str, mode: str) -> None:
    values = readme_yaml_block(key)
    assert values[key][0]["ports"] == [{"name": "portname", "containerPort": 1234}]
    docs = synth(helm_chart({**values, "mode": mode}))
    validate_documents(docs)
    workloads = [d for d in docs if d["kind"] in WORKLOADS]
    assert len(workloads) == (1 if mode == "standalone" else 3)
    for doc in workloads:
        added = [c for c in pod_spec(doc)[spec_field] if c["name"] == "your-image-name"]
        assert len(added) == 1, doc["metadata"]["name"]
        assert added[0]["image"] == "your-image"
        assert added[0]["imagePullPolicy"] == "Always"
        assert added[0]["ports"] == [{"containerPort": 1234, "name": "portname"}]


# --- every parameter -----------------------------------------------------------------------

GIT = {"cloneFilesFromGit": {"enabled": True, "repository": "https://example.com/ml/code.git"}}
DIST = {"mode": "distributed"}
PERSIST = {"persistence": {"enabled": True}}
# The chown init container exists only with claims to chown (as in the chart).
VOLPERM = {"volumePermissions": {"enabled": True}, **PERSIST}
DIGEST = "sha256:" + "ab" * 32
TOLERATION = [{"key": "ml", "operator": "Exists", "effect": "NoSchedule"}]
AFFINITY = {
    "nodeAffinity": {
        "requiredDuringSchedulingIgnoredDuringExecution": {
            "nodeSelectorTerms": [{"matchExpressions": [{"key": "zone", "operator": "In", "values": ["a"]}]}]
        }
    }
}
ENV = [{"name": "OMP_NUM_THREADS", "value": "4"}]

# key -> (values the key needs to matter, a non-default value). Every key of PARAMS must be
# here, so a key that reaches nothing in the output can't go unnoticed.
EFFECTS: dict[str, tuple[dict[str, Any], Any]] = {
    "global.imageRegistry": ({}, "mirror.local"),
    "global.imagePullSecrets": ({}, ["globalcred"]),
    "global.storageClass": (PERSIST, "standard"),
    "image.registry": ({}, "registry.local:5000"),
    "image.repository": ({}, "ml/mxnet"),
    "image.tag": ({}, "1.9.1-r7"),
    "image.digest": ({}, DIGEST),
    "image.pullPolicy": ({}, "Always"),
    "image.pullSecrets": ({}, ["regcred"]),
    "image.debug": ({}, True),
    "git.registry": (GIT, "registry.local"),
    "git.repository": (GIT, "tools/git"),
    "git.tag": (GIT, "2.44.0"),
    "git.digest": (GIT, DIGEST),
    "git.pullPolicy": (GIT, "Always"),
    "git.pullSecrets": (GIT, ["gitcred"]),
    "nameOverride": ({}, "mx"),
    "fullnameOverride": ({}, "trainer"),
    "volumePermissions.enabled": (PERSIST, True),
    "volumePermissions.image.registry": (VOLPERM, "registry.local"),
    "volumePermissions.image.repository": (VOLPERM, "bitnami/os-shell"),
    "volumePermissions.image.tag": (VOLPERM, "12"),
    "volumePermissions.image.digest": (VOLPERM, DIGEST),
    "volumePermissions.image.pullPolicy": (VOLPERM, "IfNotPresent"),
    "volumePermissions.image.pullSecrets": (VOLPERM, ["permcred"]),
    "volumePermissions.resources": (VOLPERM, {"requests": {"cpu": "10m"}}),
    "service.type": (DIST, "NodePort"),
    "service.port": (DIST, 9091),
    "service.nodePort": ({"mode": "distributed", "service": {"type": "NodePort"}}, 30092),
    "service.annotations": (DIST, {"example.com/exposure": "internal"}),
    "entrypoint.file": ({}, "train.py"),
    "entrypoint.args": ({"entrypoint": {"file": "train.py"}}, "--epochs 2"),
    "entrypoint.workDir": ({}, "/app/src"),
    "podManagementPolicy": (DIST, "OrderedReady"),
    "mode": ({}, "distributed"),
    "serverCount": (DIST, 2),
    "workerCount": (DIST, 3),
    "schedulerPort": (DIST, 9091),
    "configMap": ({}, "my-code"),
    "cloneFilesFromGit.enabled": ({"cloneFilesFromGit": {"repository": "https://example.com/a.git"}}, True),
    "cloneFilesFromGit.repository": (
        {"cloneFilesFromGit": {"enabled": True, "repository": "https://example.com/a.git"}},
        "https://example.com/b.git",
    ),
    "cloneFilesFromGit.revision": (GIT, "v1"),
    "cloneFilesFromGit.sshSecret": (
        {"cloneFilesFromGit": {"enabled": True, "repository": "git@example.com:ml/code.git"}},
        "deploy-key",
    ),
    "cloneFilesFromGit.tokenSecret": (GIT, "git-token"),
    "commonExtraEnvVars": ({}, ENV),
    "workerExtraEnvVars": (DIST, ENV),
    "serverExtraEnvVars": (DIST, ENV),
    "schedulerExtraEnvVars": (DIST, ENV),
    "existingSecret": ({}, "training-secrets"),
    "nodeSelector": ({}, {"pool": "ml"}),
    "tolerations": ({}, TOLERATION),
    "affinity": ({}, AFFINITY),
    "resources": ({}, {"requests": {"cpu": "1"}, "limits": {"memory": "4Gi"}}),
    "securityContext.enabled": ({}, False),
    "securityContext.fsGroup": ({}, 2000),
    "securityContext.runAsUser": ({}, 2000),
    "securityContext.runAsNonRoot": ({}, False),
    "securityContext.seccompProfile": ({}, ""),
    "securityContext.allowPrivilegeEscalation": ({}, True),
    "securityContext.dropCapabilities": ({}, ["NET_RAW"]),
    "securityContext.readOnlyRootFilesystem": ({}, True),
    **{
        f"{probe}.{field}": ({}, value)
        for probe in ("livenessProbe", "readinessProbe")
        for field, value in (
            ("enabled", False),
            ("initialDelaySeconds", 30),
            ("periodSeconds", 20),
            ("timeoutSeconds", 3),
            ("failureThreshold", 9),
        )
    },
    "livenessProbe.successThreshold": ({}, 1),
    "readinessProbe.successThreshold": ({}, 2),
    "persistence.enabled": ({}, True),
    "persistence.mountPath": ({}, "/data"),
    "persistence.storageClass": (PERSIST, "fast"),
    "persistence.accessMode": (PERSIST, "ReadWriteOnce"),
    "persistence.accessModes": (PERSIST, ["ReadWriteMany"]),
    "persistence.size": (PERSIST, "20Gi"),
    "persistence.annotations": (PERSIST, {"backup": "daily"}),
    "sidecars": ({}, [{"name": "exporter", "image": "exporter:1"}]),
    "initContainers": ({}, [{"name": "fetch", "image": "busybox:1"}]),
    # filesDir in a values mapping is relative to (and confined to) the current directory.
    "filesDir": ({}, "tests/data"),
    **{
        f"{role}.{field}": (DIST, value)
        for role in ("scheduler", "server", "worker")
        for field, value in (
            ("resources", {"limits": {"cpu": "2"}}),
            ("nodeSelector", {"pool": role}),
            ("tolerations", TOLERATION),
            ("affinity", AFFINITY),
            ("gpus", 1),
        )
    },
    **{
        f"{role}.shmSize": ({"mode": "distributed", role: {"gpus": 1}}, "4Gi")
        for role in ("scheduler", "server", "worker")
    },
    "lifecycle": ({"entrypoint": {"file": "train.py"}}, "job"),
    "job.backoffLimit": ({"lifecycle": "job", "entrypoint": {"file": "train.py"}}, 2),
    "job.activeDeadlineSeconds": ({"lifecycle": "job", "entrypoint": {"file": "train.py"}}, 3600),
    "job.ttlSecondsAfterFinished": ({"lifecycle": "job", "entrypoint": {"file": "train.py"}}, 600),
    "job.suspend": ({"lifecycle": "job", "entrypoint": {"file": "train.py"}}, True),
    "job.maxRestarts": ({"mode": "distributed", "lifecycle": "jobset", "entrypoint": {"file": "train.py"}}, 5),
    "gangScheduler": (DIST, "volcano"),
    "networkPolicy.enabled": (DIST, False),
    "networkPolicy.allowAllEgress": (DIST, True),
    "networkPolicy.extraEgress": (DIST, [{"ports": [{"port": 9000, "protocol": "TCP"}]}]),
    "podDisruptionBudget.enabled": (DIST, False),
    "serviceAccount.create": ({}, False),
    "dmlcInterface": (DIST, "eth0"),
    "dmlcNodeHostFromPodIP": (DIST, True),
    "hostNetwork": ({}, True),
    "publishNotReadyAddresses": (DIST, True),
    "psVerbose": ({}, 1),
}


CHART_VALUES = ROOT / "tests" / "data" / "bitnami-mxnet-1.4.26"
# Keys the chart's own values.yaml (1.4.26) has and its README table doesn't.
VALUES_FILE_ONLY = ["service.port", "service.nodePort", "service.annotations", "persistence.accessModes"]


def test_the_chart_params_are_the_readme_table_plus_the_values_file_keys() -> None:
    keys = readme_keys()
    assert len(keys) == 67, "the README table parsed differently than expected"
    chart = [p.key for p in PARAMS if p.chart]
    assert [k for k in chart if k in keys] == keys
    assert [k for k in chart if k not in keys] == VALUES_FILE_ONLY


def leaf_keys(values: Any, prefix: str = "") -> set[str]:
    if not isinstance(values, dict) or not values:
        return {prefix.rstrip(".")}
    out: set[str] = set()
    for key, value in values.items():
        out |= leaf_keys(value, f"{prefix}{key}.")
    return out


@pytest.mark.parametrize("name", ["values.yaml", "values-production.yaml"])
def test_every_key_of_the_charts_values_files_is_a_param(name: str) -> None:
    values = yaml.safe_load((CHART_VALUES / name).read_text())
    keys = leaf_keys(values)
    # Empty maps ({}) are leaves here: annotations, nodeSelector, affinity, resources.limits...
    known = {p.key for p in PARAMS}
    assert {k for k in keys if k not in known and not any(k.startswith(f"{p}.") for p in known)} == set()
    # values.yaml ships service.nodePort commented out; the other three are set.
    assert set(VALUES_FILE_ONLY) - {"service.nodePort"} <= keys
    chart_kwargs_from_values(values)


def test_service_port_is_the_scheduler_port() -> None:
    docs = synth(helm_chart({"mode": "distributed", "service": {"port": 9092}}))
    svc = find(docs, "Service", "my-release-mxnet-scheduler")["spec"]["ports"][0]
    assert (svc["port"], svc["targetPort"]) == (9092, 9092)
    for doc in docs:
        if doc["kind"] in WORKLOADS:
            assert env_of(main_container(doc))["DMLC_PS_ROOT_PORT"] == "9092"
    same = chart_kwargs_from_values({"schedulerPort": 9092, "service": {"port": 9092}})
    assert same == {"scheduler_port": 9092}


def test_a_service_port_unlike_the_scheduler_port_is_an_error() -> None:
    # The chart's clients dialled schedulerPort on a Service listening on service.port: a hang.
    with pytest.raises(ValueError, match=r"^service.port: 9093 differs from schedulerPort 9092; .*same port"):
        chart_kwargs_from_values({"schedulerPort": 9092, "service": {"port": 9093}})


def test_node_port_with_a_cluster_ip_service_is_an_error_naming_the_helm_key() -> None:
    with pytest.raises(
        ValueError, match=r"^service.nodePort: 30092 is not valid; a ClusterIP Service has no node port"
    ):
        chart_kwargs_from_values({"mode": "distributed", "service": {"nodePort": 30092}})


@pytest.mark.parametrize(
    ("persistence", "expected"),
    [
        ({"accessModes": ["ReadWriteMany"]}, ["ReadWriteMany"]),
        ({"accessMode": "ReadWriteOnce"}, ["ReadWriteOnce"]),
        (
            {"accessMode": "ReadWriteMany", "accessModes": ["ReadWriteOnce", "ReadWriteMany"]},
            ["ReadWriteOnce", "ReadWriteMany"],
        ),
        ({}, ["ReadWriteOnce"]),
    ],
)
def test_access_modes_follow_the_chart(persistence: dict[str, Any], expected: list[str]) -> None:
    docs = synth(helm_chart({"persistence": {"enabled": True, **persistence}}))
    assert find(docs, "PersistentVolumeClaim", "my-release-mxnet")["spec"]["accessModes"] == expected


def test_access_modes_win_over_a_disagreeing_access_mode_with_a_warning() -> None:
    # `helm get values --all` of a release installed with the README's accessMode gives both.
    values = {"persistence": {"enabled": True, "accessMode": "ReadWriteMany", "accessModes": ["ReadWriteOnce"]}}
    with pytest.warns(ValuesWarning, match=r"persistence.accessMode 'ReadWriteMany' ignored: persistence.accessModes"):
        docs = synth(helm_chart(values))
    assert find(docs, "PersistentVolumeClaim", "my-release-mxnet")["spec"]["accessModes"] == ["ReadWriteOnce"]


def test_access_mode_alone_that_the_chart_ignored_is_an_error() -> None:
    with pytest.raises(ValueError, match=r"^persistence.accessMode: 'ReadWriteMany' is ambiguous: chart 1.4.x ignored"):
        chart_kwargs_from_values({"persistence": {"accessMode": "ReadWriteMany"}})


def check_effect(key: str) -> None:
    assert key in EFFECTS, f"{key}: add a case to EFFECTS"
    context, value = EFFECTS[key]
    with warnings.catch_warnings():
        # Some contexts (a repository without `enabled`) warn on purpose.
        warnings.simplefilter("ignore", ValuesWarning)
        base = synth_yaml(helm_chart(context))
        chart = helm_chart(merge_values(copy.deepcopy(context), nested(key, value)))
    param = next(p for p in PARAMS if p.key == key)
    if param.no_effect:
        assert synth_yaml(chart) == base
        assert param.note.startswith("no effect"), f"{key}: say in the note why it has no effect"
        assert f"| {param.note} |" in migration_table()
    else:
        assert synth_yaml(chart) != base, f"{key}={value!r} changed nothing"
    validate_documents(synth(chart))


@pytest.mark.parametrize("key", readme_keys())
def test_every_readme_key_is_accepted_and_changes_the_output_or_is_documented_inert(key: str) -> None:
    check_effect(key)


@pytest.mark.parametrize("key", [p.key for p in PARAMS if not p.chart])
def test_every_extension_key_changes_the_output(key: str) -> None:
    check_effect(key)


def test_only_the_liveness_success_threshold_and_the_ignored_access_mode_are_inert() -> None:
    assert [p.key for p in PARAMS if p.no_effect] == ["livenessProbe.successThreshold", "persistence.accessMode"]


def test_effects_table_has_no_stale_keys() -> None:
    assert set(EFFECTS) == {p.key for p in PARAMS}


def _option_leaves(obj: Any, prefix: str = "") -> set[str]:
    out: set[str] = set()
    for f in dataclasses.fields(obj):
        path = f"{prefix}{f.name}"
        value = getattr(obj, f.name)
        if dataclasses.is_dataclass(value) and not isinstance(value, Resources):
            out |= _option_leaves(value, f"{path}.")
        else:
            out.add(path)
    return out


def test_every_option_field_is_reachable_from_values() -> None:
    reachable = {p.target for p in PARAMS}
    assert _option_leaves(MXNetOptions()) - reachable - set(UNMAPPED) == set()
    assert set(UNMAPPED) <= _option_leaves(MXNetOptions())


def test_every_env_var_field_is_reachable() -> None:
    entry = {"name": "WANDB_API_KEY", "value": "not-a-key", "notSecret": True}
    (var,) = chart_kwargs_from_values({"commonExtraEnvVars": [entry]})["extra_env"]
    assert var == EnvVar(name="WANDB_API_KEY", value="not-a-key", not_secret=True)
    source = {"secretKeyRef": {"name": "s3", "key": "token"}}
    (var,) = chart_kwargs_from_values({"commonExtraEnvVars": [{"name": "TOKEN", "valueFrom": source}]})["extra_env"]
    assert var == EnvVar(name="TOKEN", value_from=source)
    assert {f.name for f in dataclasses.fields(EnvVar)} == {"name", "value", "value_from", "not_secret"}


# --- defaults, nulls and the forms the README uses ---------------------------------------


def test_only_keys_that_are_set_become_arguments() -> None:
    assert chart_kwargs_from_values({}) == {}
    assert chart_kwargs_from_values({"image": {"tag": "2.0.0"}, "readinessProbe": {"periodSeconds": 3}}) == {
        "image": dataclasses.replace(MXNetOptions().image, tag="2.0.0"),
        # The readiness default (timeout 1 s) survives a change to another field.
        "readiness_probe": dataclasses.replace(MXNetOptions().readiness_probe, period_seconds=3),
    }


def test_null_means_default_at_any_level() -> None:
    values = {
        "image": None,
        "workerCount": None,
        "livenessProbe": {"enabled": None},
        "git": {"tag": None},
        "commonExtraEnvVars": None,
    }
    assert chart_kwargs_from_values(values) == {}
    assert synth_yaml(helm_chart(values)) == synth_yaml(make_chart(release=RELEASE))
    assert chart_kwargs_from_values(from_set_lines(["workerCount=null"])) == {}


def test_chart_default_values_file_gives_the_defaults(tmp_path: Path) -> None:
    # A values.yaml written out with the README's defaults (minus the placeholders the
    # library replaces on purpose) renders the same as no values at all.
    text = """
    global: {imageRegistry: ~, imagePullSecrets: [], storageClass: ~}
    image: {registry: docker.io, pullPolicy: IfNotPresent, pullSecrets: [], debug: false}
    git: {registry: docker.io, repository: bitnami/git, pullPolicy: IfNotPresent, pullSecrets: []}
    nameOverride: ~
    fullnameOverride: ~
    volumePermissions:
      enabled: false
      image: {registry: docker.io, repository: bitnami/minideb, tag: buster, pullPolicy: Always}
      resources: ~
    service: {type: ClusterIP}
    entrypoint: {file: '', args: ~, workDir: /app}
    podManagementPolicy: Parallel
    mode: standalone
    serverCount: 1
    workerCount: 1
    schedulerPort: 49875
    configMap: ~
    cloneFilesFromGit: {enabled: false, repository: ~, revision: master}
    commonExtraEnvVars: ~
    existingSecret: ~
    nodeSelector: {}
    tolerations: []
    affinity: {}
    resources: {}
    securityContext: {enabled: true, fsGroup: 1001, runAsUser: 1001}
    livenessProbe: {enabled: true, initialDelaySeconds: 5, periodSeconds: 5, timeoutSeconds: 5, successThreshold: 1, failureThreshold: 5}
    readinessProbe: {enabled: true, initialDelaySeconds: 5, periodSeconds: 5, timeoutSeconds: 1, successThreshold: 1, failureThreshold: 5}
    persistence: {enabled: false, mountPath: /bitnami/mxnet, storageClass: ~, accessMode: ReadWriteOnce, size: 8Gi, annotations: {}}
    sidecars: []
    initContainers: []
    """
    values_file = tmp_path / "values.yaml"
    values_file.write_text(text.replace("\n    ", "\n"))
    chart = MXNetChart.from_values_file(cdk8s.Testing.app(), RELEASE, values_file)
    assert synth_yaml(chart) == synth_yaml(make_chart(release=RELEASE))


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ("--dataset cifar10 --epochs 1", ("--dataset", "cifar10", "--epochs", "1")),
        ("--name 'two words' --x=\"a b\"", ("--name", "two words", "--x=a b")),
        (["--epochs", 1, "--name", "a b"], ("--epochs", "1", "--name", "a b")),
        ("", ()),
    ],
)
def test_entrypoint_args_as_a_shell_string_or_a_list(args: Any, expected: tuple[str, ...]) -> None:
    kwargs = chart_kwargs_from_values({"entrypoint": {"file": "train.py", "args": args}})
    assert kwargs["entrypoint"] == Entrypoint(file="train.py", args=expected)


def test_entrypoint_args_with_an_unbalanced_quote_is_an_error() -> None:
    with pytest.raises(ValueError, match=r"entrypoint\.args: .*cannot be split like a shell"):
        chart_kwargs_from_values({"entrypoint": {"args": "--name 'oops"}})


def test_env_scalars_are_written_as_text() -> None:
    values = {
        "commonExtraEnvVars": [{"name": "A", "value": 1}, {"name": "B", "value": True}, {"name": "C", "value": "x"}]
    }
    assert [v.value for v in chart_kwargs_from_values(values)["extra_env"]] == ["1", "true", "x"]


def test_pull_secrets_as_names_or_name_maps() -> None:
    kwargs = chart_kwargs_from_values({"image": {"pullSecrets": ["a", {"name": "b"}]}})
    assert tuple(kwargs["image"].pull_secrets) == ("a", "b")


def test_python_arguments_win_over_values() -> None:
    chart = helm_chart({"mode": "distributed", "workerCount": 2}, worker_count=5, namespace="ml")
    docs = synth(chart)
    assert replicas(docs)["my-release-mxnet-worker"] == 5
    assert {d["metadata"].get("namespace") for d in docs} == {"ml"}


# --- code sources ----------------------------------------------------------------------------


def code_volume(docs: list[dict[str, Any]]) -> dict[str, Any]:
    workload = next(d for d in docs if d["kind"] in WORKLOADS)
    mount = next(m for m in main_container(workload)["volumeMounts"] if m["mountPath"] == "/app")
    return next(v for v in pod_spec(workload)["volumes"] if v["name"] == mount["name"])


def test_configmap_wins_over_files_and_git_and_says_what_it_ignored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "train.py").write_text("print('hi')\n")
    monkeypatch.chdir(tmp_path)
    values = {"configMap": "my-code", "filesDir": ".", **GIT}
    with pytest.warns(
        ValuesWarning, match="filesDir, cloneFilesFromGit.enabled, cloneFilesFromGit.repository ignored: configMap"
    ):
        docs = synth(helm_chart(values))
    assert code_volume(docs) == {"name": "ext-files", "configMap": {"name": "my-code"}}
    assert not [d for d in docs if d["kind"] == "ConfigMap"]


def test_files_win_over_git(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "train.py").write_text("print('hi')\n")
    monkeypatch.chdir(tmp_path)
    with pytest.warns(
        ValuesWarning, match=r"cloneFilesFromGit\.enabled, cloneFilesFromGit\.repository ignored: filesDir"
    ):
        docs = synth(helm_chart({"filesDir": ".", **GIT}))
    assert find(docs, "ConfigMap", "my-release-mxnet-files")["data"] == {"train.py": "print('hi')\n"}
    assert code_volume(docs) == {"name": "local-files", "configMap": {"name": "my-release-mxnet-files"}}
    validate_documents(docs)


def test_a_single_code_source_gives_no_warning(recwarn: pytest.WarningsRecorder) -> None:
    chart_kwargs_from_values(GIT)
    chart_kwargs_from_values({"configMap": "my-code", "cloneFilesFromGit": {"enabled": False, "revision": "master"}})
    assert not [w for w in recwarn if issubclass(w.category, ValuesWarning)]


def test_git_enabled_without_a_repository_is_an_error() -> None:
    with pytest.raises(
        ValueError, match=r"cloneFilesFromGit\.repository: not set, but cloneFilesFromGit\.enabled is true"
    ):
        chart_kwargs_from_values({"cloneFilesFromGit": {"enabled": True}})
    with pytest.raises(ValueError, match=r"cloneFilesFromGit\.repository"):
        chart_kwargs_from_values({"cloneFilesFromGit": {"enabled": True, "repository": ""}})


def test_git_repository_without_enabled_clones_nothing_and_says_so() -> None:
    with pytest.warns(ValuesWarning, match="cloneFilesFromGit.enabled is not true, so nothing is cloned"):
        kwargs = chart_kwargs_from_values({"cloneFilesFromGit": {"repository": "https://example.com/a.git"}})
    assert "code" not in kwargs


def test_files_dir_is_relative_to_the_values_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "release" / "code").mkdir(parents=True)
    (tmp_path / "release" / "code" / "train.py").write_text("print('train')\n")
    values_file = tmp_path / "release" / "values.yaml"
    values_file.write_text("filesDir: code\n")
    monkeypatch.chdir(tmp_path)
    docs = synth(MXNetChart.from_values_file(cdk8s.Testing.app(), RELEASE, values_file))
    assert find(docs, "ConfigMap", "my-release-mxnet-files")["data"] == {"train.py": "print('train')\n"}


def test_a_missing_files_dir_names_the_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ValueError, match=r"^filesDir: .*give an existing directory"):
        chart_kwargs_from_values({"filesDir": "nope"})


# --- strictness ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"workerCont": 3}, "workerCont: unknown key; did you mean workerCount?"),
        ({"image": {"tagg": "1"}}, "image.tagg: unknown key; did you mean image.tag?"),
        (
            {"volumePermissions": {"image": {"pullPolicyy": "Always"}}},
            "volumePermissions.image.pullPolicyy: unknown key; did you mean volumePermissions.image.pullPolicy?",
        ),
        (
            {"commonExtraEnvVars": [{"name": "A", "valu": "1"}]},
            "commonExtraEnvVars[0].valu: unknown key; did you mean commonExtraEnvVars[0].value?",
        ),
        ({"resources": {"limit": {"cpu": 1}}}, "resources.limit: unknown key; did you mean resources.limits?"),
        (
            {"tag": "1.9.1"},
            "tag: unknown key; known keys with that name: image.tag, git.tag, volumePermissions.image.tag",
        ),
        ({"zzz": 1}, "zzz: unknown key; known keys here: global, image,"),
    ],
)
def test_unknown_keys_name_the_full_path_and_the_closest_key(values: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError) as info:
        chart_kwargs_from_values(values)
    assert str(info.value).startswith(message)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"workerCount": "3"}, "workerCount: expected an integer, got string '3'"),
        ({"workerCount": True}, "workerCount: expected an integer, got boolean True"),
        (
            {"persistence": {"enabled": "true"}},
            "persistence.enabled: expected true or false, got string 'true'; write true or false without quotes",
        ),
        ({"image": "bitnami/mxnet:1.9.1"}, "image: expected a mapping with keys registry, repository, tag"),
        ({"image": {"tag": 1.10}}, "image.tag: expected a string, got number 1.1; quote it"),
        ({"nodeSelector": {"gpu": True}}, "nodeSelector.gpu: expected a string, got boolean True"),
        ({"sidecars": {"name": "x"}}, "sidecars: expected a list, got a mapping"),
        ({"commonExtraEnvVars": [["A", "1"]]}, "commonExtraEnvVars[0]: expected a mapping, got a list"),
        ({"entrypoint": {"args": {"a": 1}}}, "entrypoint.args: expected a list, got a mapping"),
        ({"persistence": {"size": [8]}}, "persistence.size: expected a Kubernetes quantity"),
        ({"scheduler": {"gpus": "1"}}, "scheduler.gpus: expected an integer, got string '1'"),
    ],
)
def test_wrong_types_name_the_full_path(values: dict[str, Any], message: str) -> None:
    with pytest.raises(ValuesTypeError) as info:
        chart_kwargs_from_values(values)
    assert str(info.value).startswith(message)
    assert isinstance(info.value, ValueError) and isinstance(info.value, TypeError)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"mode": "dist"}, "mode: 'dist' is not valid; allowed: 'standalone', 'distributed'"),
        ({"mode": "distributed", "workerCount": 0}, "workerCount: 0 is not valid; it must be at least 1"),
        ({"git": {"tag": "-x"}}, "git.tag: '-x' is not valid"),
        ({"image": {"repository": "bitnami/MXNet"}}, "image.repository: 'bitnami/MXNet' is not valid"),
        (
            {"volumePermissions": {"image": {"pullPolicy": "Sometimes"}}},
            "volumePermissions.image.pullPolicy: 'Sometimes' is not valid",
        ),
        (
            {"livenessProbe": {"successThreshold": 2}},
            "livenessProbe.successThreshold: 2 is not valid; Kubernetes requires 1",
        ),
        (
            {"readinessProbe": {"periodSeconds": 0}},
            "readinessProbe.periodSeconds: 0 is not valid; it must be at least 1",
        ),
        ({"resources": {"limits": {"cpu": "lots"}}}, "resources.limits['cpu']: 'lots' is not valid"),
        ({"worker": {"resources": {"limits": {"cpu": "lots"}}}}, "worker.resources.limits['cpu']: 'lots' is not valid"),
        ({"commonExtraEnvVars": [{"name": "1X", "value": "a"}]}, "commonExtraEnvVars[0].name: '1X' is not valid"),
        (
            {"commonExtraEnvVars": [{"name": "DMLC_ROLE", "value": "a"}]},
            "commonExtraEnvVars[DMLC_ROLE]: 'DMLC_ROLE' is not valid",
        ),
        (
            {"workerExtraEnvVars": [{"name": "A", "value": "1"}, {"name": "A", "value": "2"}]},
            "workerExtraEnvVars[A]: 'A' is not valid; each variable may be given once",
        ),
        ({"securityContext": {"runAsUser": 0}}, "securityContext.runAsUser: 0 is not valid"),
        ({"persistence": {"accessMode": "ReadWrite"}}, "persistence.accessMode: 'ReadWrite' is not valid"),
        ({"nameOverride": "My_Name"}, "nameOverride: 'My_Name' is not valid"),
        ({"sidecars": [{"name": "x"}]}, "sidecars[0].image: expected a string"),
        ({"job": {"backoffLimit": -1}}, "job.backoffLimit: -1 is not valid"),
        ({"networkPolicy": {"extraEgress": [{"too": []}]}}, "networkPolicy.extraEgress[0]: ['too'] is not valid"),
        (
            {"cloneFilesFromGit": {"enabled": True, "repository": "-x"}},
            "cloneFilesFromGit.repository: '-x' is not valid",
        ),
        (
            {"cloneFilesFromGit": {"enabled": True, "repository": "https://x/y.git", "revision": "a b"}},
            "cloneFilesFromGit.revision: 'a b' is not valid",
        ),
        ({"configMap": "Bad_Name"}, "configMap: 'Bad_Name' is not valid"),
    ],
)
def test_values_the_options_refuse_are_reported_with_the_helm_key(values: dict[str, Any], message: str) -> None:
    with pytest.raises((ValueError, TypeError)) as info:
        chart_kwargs_from_values(values)
    assert str(info.value).startswith(message), str(info.value)


def test_values_must_be_a_mapping() -> None:
    with pytest.raises(ValuesTypeError, match="values: expected a mapping"):
        chart_kwargs_from_values(["mode=distributed"])  # type: ignore[arg-type]


# --- values files --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("mode: distributed\nmode: standalone\n", "duplicate key 'mode'"),
        ("image: [unclosed\n", "not valid YAML"),
        ("- mode: distributed\n", "expected a mapping of values at the top level, got a list"),
    ],
)
def test_bad_values_files_are_one_line_errors(tmp_path: Path, text: str, message: str) -> None:
    values_file = tmp_path / "values.yaml"
    values_file.write_text(text)
    with pytest.raises(ValueError, match=re.escape(message)) as info:
        load_values_file(values_file)
    assert "\n" not in str(info.value)
    assert str(values_file) in str(info.value)


def test_an_empty_values_file_is_no_values(tmp_path: Path) -> None:
    values_file = tmp_path / "values.yaml"
    values_file.write_text("# nothing set\n")
    assert load_values_file(values_file) == {}


# --- the migration table ----------------------------------------------------------------------


@pytest.mark.parametrize("doc_name", ["docs/migration.md"])
def test_the_migration_doc_is_up_to_date(tmp_path: Path, doc_name: str) -> None:
    doc = ROOT / doc_name
    copy_of_doc = tmp_path / "doc.md"
    copy_of_doc.write_text(doc.read_text())
    changed = update_migration_doc(copy_of_doc)
    assert not changed, f"{doc_name} is stale: run `python -m mxnet_construct.helm --write-doc {doc_name}`"


def test_the_migration_table_lists_every_key_with_its_python_argument() -> None:
    table = migration_table()
    rows = [line for line in table.splitlines() if line.startswith("| `")]
    assert [re.match(r"\| `([^`]+)`", row).group(1) for row in rows] == [
        p.key for p in sorted(PARAMS, key=lambda p: not p.chart)
    ]  # type: ignore[union-attr]
    assert "| `image.tag` | `image=Image(tag=...)` | `1.9.1` |" in table
    assert "| `readinessProbe.timeoutSeconds` | `readiness_probe=Probe(timeout_seconds=...)` | `1` |" in table
    assert "| `configMap` | `code=ExistingConfigMap(name=...)` |" in table
    assert "| `workerExtraEnvVars` | `worker=RoleOptions(extra_env=[EnvVar(...)])` |" in table


def test_update_migration_doc_needs_the_markers(tmp_path: Path) -> None:
    doc = tmp_path / "doc.md"
    doc.write_text("# no markers\n")
    with pytest.raises(ValueError, match="markers"):
        update_migration_doc(doc)
