"""Property-based tests: any input either synthesizes into schema-valid, parseable YAML, or
fails while the chart is built with a ValueError/TypeError naming the offending field.

Never a jsii RuntimeError, never a manifest the API server would refuse. The inputs mix
valid values with near misses (wrong types, negative numbers, bad names, odd characters).
``make test`` runs the "default" hypothesis profile; ``make fuzz`` runs "fuzz" (see
tests/conftest.py).
"""

from __future__ import annotations

import dataclasses
import json
import re
import warnings
from collections.abc import Callable, Mapping
from typing import Any

import cdk8s
import yaml
from hypothesis import event, given
from hypothesis import strategies as st

from mxnet_construct import (
    Entrypoint,
    EnvVar,
    ExistingConfigMap,
    GitRepository,
    Image,
    JobOptions,
    LocalFiles,
    MXNetChart,
    NetworkPolicyOptions,
    Persistence,
    Probe,
    Resources,
    RoleOptions,
    SecurityContext,
)
from tests.helpers import validate_documents

# --- building blocks ---------------------------------------------------------------------

ODD = "aZ09-._/:@ \n$é*"
text = st.text(alphabet=ODD, max_size=12)
dns = st.from_regex(r"[a-z]([a-z0-9-]{0,10}[a-z0-9])?", fullmatch=True)
name_like = st.one_of(dns, dns, text)
small_int = st.one_of(st.integers(-2, 5), st.integers(-(2**33), 2**33))
port = st.one_of(st.integers(1, 65535), st.integers(-5, 70000))
quantity = st.one_of(
    st.sampled_from(["500m", "1", "2", "8Gi", "1.5G", "0", "100Mi", "1e3"]),
    st.integers(-3, 10**6),
    st.floats(allow_nan=True, allow_infinity=True),
    text,
)
weird = st.one_of(st.none(), st.booleans(), st.integers(-3, 3), text, st.lists(st.integers(), max_size=2))


class Spec:
    """A recipe for an option object, built inside the test so its errors are caught there."""

    def __init__(self, cls: Callable[..., Any], kwargs: dict[str, Any]) -> None:
        self.cls, self.kwargs = cls, kwargs

    def build(self) -> Any:
        return self.cls(**{k: build(v) for k, v in self.kwargs.items()})

    def __repr__(self) -> str:
        return f"{getattr(self.cls, '__name__', self.cls)}({self.kwargs!r})"


def build(value: Any) -> Any:
    if isinstance(value, Spec):
        return value.build()
    if isinstance(value, list):
        return [build(v) for v in value]
    return value


def spec_of(
    cls: Callable[..., Any], required: tuple[str, ...] = (), **fields: st.SearchStrategy[Any]
) -> st.SearchStrategy[Spec]:
    """A Spec with the ``required`` fields and any subset of the other ``fields`` set."""
    must = {k: fields.pop(k) for k in required}
    return st.fixed_dictionaries(must, optional=fields).map(lambda kw: Spec(cls, kw))


images = spec_of(
    Image,
    registry=st.one_of(st.sampled_from(["docker.io", "registry.local:5000", ""]), text),
    repository=st.one_of(st.sampled_from(["bitnami/mxnet", "org/Team", "a/b/c"]), text),
    tag=st.one_of(st.sampled_from(["1.9.1", "latest", "-x"]), text),
    digest=st.one_of(st.none(), st.just("sha256:" + "a" * 64), text),
    pull_policy=st.one_of(st.sampled_from(["Always", "IfNotPresent", "Never"]), text),
    pull_secrets=st.lists(name_like, max_size=2),
)
env_vars = st.one_of(
    spec_of(
        EnvVar,
        ("name",),
        name=st.one_of(st.sampled_from(["OMP_NUM_THREADS", "HF_TOKEN", "A.B", "1X"]), text),
        value=st.one_of(st.none(), text),
        not_secret=st.booleans(),
    ),
    st.builds(
        lambda n, s, k: Spec(EnvVar.from_secret, {"name": n, "secret": s, "key": k}),
        st.sampled_from(["S3_KEY", "X"]),
        name_like,
        name_like,
    ),
    st.builds(
        lambda n, v: Spec(EnvVar, {"name": n, "value_from": v}),
        st.sampled_from(["POD_IP", "X"]),
        st.one_of(
            st.just({"fieldRef": {"fieldPath": "status.podIP"}}),
            st.dictionaries(st.sampled_from(["fieldRef", "secretKeyRef", "bogus"]), st.just({}), max_size=2),
        ),
    ),
)
resources = spec_of(
    Resources,
    requests=st.dictionaries(st.sampled_from(["cpu", "memory", "nvidia.com/gpu", "bad key!"]), quantity, max_size=3),
    limits=st.dictionaries(st.sampled_from(["cpu", "memory", "ephemeral-storage"]), quantity, max_size=3),
)
probes = spec_of(
    Probe,
    enabled=st.one_of(st.booleans(), weird),
    initial_delay_seconds=small_int,
    period_seconds=small_int,
    timeout_seconds=small_int,
    success_threshold=small_int,
    failure_threshold=small_int,
)
containers = st.fixed_dictionaries(
    {"name": name_like, "image": st.one_of(st.just("busybox:1.36"), text)},
    optional={
        "command": st.lists(text, max_size=2),
        "ports": st.lists(st.fixed_dictionaries({"containerPort": port}), max_size=1),
        "env": st.lists(
            st.fixed_dictionaries({"name": st.sampled_from(["A", "B_C"]), "value": text}),
            max_size=2,
            unique_by=lambda e: e["name"],
        ),
        "securityContext": st.fixed_dictionaries(
            {}, optional={"runAsUser": st.integers(1, 70000), "readOnlyRootFilesystem": st.booleans()}
        ),
        "imagePullPolicy": st.sampled_from(["Always", "IfNotPresent"]),
        "bogusField": st.just(1),
    },
)
roles = spec_of(
    RoleOptions,
    resources=st.one_of(st.none(), resources),
    gpus=st.one_of(st.integers(0, 4), small_int),
    shm_size=quantity,
    extra_env=st.lists(env_vars, max_size=2),
    node_selector=st.one_of(st.none(), st.dictionaries(name_like, name_like, max_size=2)),
)
code = st.one_of(
    st.none(),
    spec_of(
        GitRepository,
        ("repository",),
        repository=st.one_of(st.just("https://github.com/apache/mxnet.git"), text),
        revision=st.one_of(st.just("v1.9.x"), text),
    ),
    spec_of(ExistingConfigMap, ("name",), name=name_like),
    spec_of(LocalFiles, ("files",), files=st.dictionaries(st.one_of(st.just("train.py"), text), text, max_size=2)),
)

CHART_FIELDS: dict[str, st.SearchStrategy[Any]] = {
    "mode": st.one_of(st.sampled_from(["standalone", "distributed"]), weird),
    "server_count": st.one_of(st.integers(0, 4), small_int, weird),
    "worker_count": st.one_of(st.integers(0, 4), small_int, weird),
    "scheduler_port": st.one_of(port, weird),
    "image": images,
    "git_image": images,
    "global_image_registry": st.one_of(st.none(), text),
    "global_image_pull_secrets": st.lists(name_like, max_size=2),
    "name_override": st.one_of(st.none(), name_like),
    "fullname_override": st.one_of(st.none(), name_like),
    "service_type": st.one_of(st.sampled_from(["ClusterIP", "NodePort", "LoadBalancer"]), text),
    "entrypoint": spec_of(
        Entrypoint, file=text, args=st.lists(text, max_size=3), work_dir=st.one_of(st.just("/app"), text)
    ),
    "pod_management_policy": st.one_of(st.sampled_from(["Parallel", "OrderedReady"]), text),
    "code": code,
    "extra_env": st.lists(env_vars, max_size=3),
    "existing_secret": st.one_of(st.none(), name_like),
    "node_selector": st.dictionaries(name_like, name_like, max_size=2),
    "tolerations": st.lists(
        st.fixed_dictionaries(
            {"key": name_like},
            optional={
                "operator": st.sampled_from(["Exists", "Equal"]),
                "effect": st.sampled_from(["NoSchedule", "Bogus"]),
                "extra": st.just(1),
            },
        ),
        max_size=2,
    ),
    "resources": resources,
    "security_context": spec_of(
        SecurityContext,
        enabled=st.booleans(),
        fs_group=small_int,
        run_as_user=st.one_of(st.integers(0, 70000), small_int),
        run_as_non_root=st.booleans(),
        seccomp_profile=st.one_of(st.sampled_from([None, "RuntimeDefault", "Unconfined"]), text),
        allow_privilege_escalation=st.one_of(st.booleans(), weird),
        drop_capabilities=st.lists(st.one_of(st.just("ALL"), text), max_size=2),
        read_only_root_filesystem=st.booleans(),
    ),
    "liveness_probe": probes,
    "readiness_probe": probes,
    "persistence": spec_of(
        Persistence,
        enabled=st.booleans(),
        mount_path=st.one_of(st.just("/data"), text),
        storage_class=st.one_of(st.none(), st.just("-"), name_like),
        access_mode=st.one_of(st.sampled_from(["ReadWriteOnce", "ReadWriteMany"]), text),
        size=quantity,
        annotations=st.dictionaries(name_like, text, max_size=2),
    ),
    "sidecars": st.lists(containers, max_size=2),
    "init_containers": st.lists(containers, max_size=2),
    "scheduler": roles,
    "server": roles,
    "worker": roles,
    "lifecycle": st.one_of(st.sampled_from(["long-running", "job", "jobset"]), text),
    "job": spec_of(
        JobOptions,
        backoff_limit=small_int,
        active_deadline_seconds=st.one_of(st.none(), small_int),
        max_restarts=small_int,
    ),
    "gang_scheduler": st.one_of(st.sampled_from([None, "volcano", "scheduler-plugins"]), text),
    "network_policy": spec_of(
        NetworkPolicyOptions,
        enabled=st.booleans(),
        allow_all_egress=st.one_of(st.none(), st.booleans()),
        extra_egress=st.lists(
            st.one_of(
                st.just({"to": [{"ipBlock": {"cidr": "10.0.0.0/8"}}], "ports": [{"port": 443, "protocol": "TCP"}]}),
                st.dictionaries(st.sampled_from(["to", "ports", "from"]), st.just([]), max_size=2),
            ),
            max_size=2,
        ),
    ),
    "pod_disruption_budget": st.one_of(st.booleans(), weird),
    "service_account": st.booleans(),
    "dmlc_interface": st.one_of(st.none(), st.just("eth0"), text),
    "dmlc_node_host_from_pod_ip": st.booleans(),
    "host_network": st.booleans(),
    "publish_not_ready_addresses": st.booleans(),
    "ps_verbose": st.one_of(st.none(), st.integers(-1, 3)),
    "namespace": st.one_of(st.none(), name_like),
    "labels": st.dictionaries(name_like, name_like, max_size=2),
    "bogus_option": st.just(1),
}
releases = st.one_of(dns, dns, dns, dns, st.from_regex(r"[a-z][a-z0-9-]{30,70}[a-z]", fullmatch=True), text)


def some_of(fields: dict[str, st.SearchStrategy[Any]]) -> st.SearchStrategy[dict[str, Any]]:
    """A few fields (often all valid, so synthesis gets exercised) or any subset of them."""
    few = st.sets(st.sampled_from(sorted(fields)), max_size=3).flatmap(
        lambda keys: st.fixed_dictionaries({k: fields[k] for k in sorted(keys)})
    )
    return st.one_of(few, few, st.fixed_dictionaries({}, optional=fields))


def keys_of(value: Any) -> set[str]:
    """Every field name and mapping key in the generated input, however deeply nested."""
    if isinstance(value, Spec):
        return (
            set(value.kwargs)
            | {k for v in value.kwargs.values() for k in keys_of(v)}
            | {str(value.kwargs.get("name", ""))}
        )
    if isinstance(value, Mapping):
        return {str(k) for k in value} | {k for v in value.values() for k in keys_of(v)}
    if isinstance(value, list | tuple):
        return {k for v in value for k in keys_of(v)}
    return set()


FIELD_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def assert_names_a_field(err: Exception, known: set[str]) -> None:
    message = str(err)
    assert not isinstance(err, RuntimeError), message
    head = message.split(": ", 1)[0] if ": " in message else message
    words = set(FIELD_WORD.findall(head)) | {head}
    assert words & (known | {"release", "MXNetChart", "fullname"}), (
        f"{type(err).__name__} names no input field: {message}"
    )


def assert_synthesizes(chart: cdk8s.Chart) -> None:
    raw = cdk8s.Testing.synth(chart)
    docs = [json.loads(json.dumps(doc)) for doc in raw]
    assert docs
    validate_documents(docs)
    parsed = list(yaml.safe_load_all(cdk8s.Yaml.stringify(*raw)))
    assert parsed == docs, "the YAML text does not parse back to the documents"


@given(release=releases, fields=some_of(CHART_FIELDS))
def test_python_api_synthesizes_or_names_the_bad_field(release: str, fields: dict[str, Any]) -> None:
    known = (
        keys_of(fields)
        | set(fields)
        | {
            f.name
            for cls in (
                Image,
                Resources,
                Probe,
                Persistence,
                SecurityContext,
                RoleOptions,
                JobOptions,
                NetworkPolicyOptions,
                EnvVar,
                Entrypoint,
                GitRepository,
                ExistingConfigMap,
                LocalFiles,
            )
            for f in dataclasses.fields(cls)
        }
    )
    known |= {"env", "code", "role", "probe", "security_context", "network_policy", "volume_permissions", "job"}
    try:
        kwargs = {k: build(v) for k, v in fields.items()}
        chart = MXNetChart(cdk8s.Testing.app(), release, **kwargs)
    except (ValueError, TypeError) as err:
        assert_names_a_field(err, known)
        event(f"refused: {str(err).split(':', 1)[0][:40]}")
        return
    event("synthesized")
    assert_synthesizes(chart)


# --- Helm values ----------------------------------------------------------------------------

helm_scalar = st.one_of(
    st.none(), st.booleans(), st.integers(-3, 70000), text, st.floats(allow_nan=False, allow_infinity=False)
)
probe_values = st.fixed_dictionaries(
    {},
    optional={
        k: st.one_of(small_int, helm_scalar)
        for k in (
            "enabled",
            "initialDelaySeconds",
            "periodSeconds",
            "timeoutSeconds",
            "successThreshold",
            "failureThreshold",
        )
    },
)
helm_env = st.lists(
    st.one_of(
        st.fixed_dictionaries(
            {
                "name": st.sampled_from(["OMP_NUM_THREADS", "HF_TOKEN", "bad name"]),
                "value": st.one_of(text, helm_scalar),
            },
            optional={"notSecret": st.booleans()},
        ),
        st.fixed_dictionaries(
            {"name": st.just("S3_KEY"), "valueFrom": st.just({"secretKeyRef": {"name": "s3", "key": "k"}})}
        ),
        st.dictionaries(st.sampled_from(["name", "value", "valueFrom", "extra"]), helm_scalar, max_size=3),
    ),
    max_size=2,
)
HELM_FIELDS: dict[str, st.SearchStrategy[Any]] = {
    "mode": st.one_of(st.sampled_from(["standalone", "distributed"]), helm_scalar),
    "serverCount": st.one_of(st.integers(0, 4), helm_scalar),
    "workerCount": st.one_of(st.integers(0, 4), helm_scalar),
    "schedulerPort": st.one_of(port, helm_scalar),
    "image": st.fixed_dictionaries(
        {},
        optional={
            "registry": st.one_of(st.just("docker.io"), helm_scalar),
            "repository": st.one_of(st.just("bitnami/mxnet"), helm_scalar),
            "tag": st.one_of(st.just("1.9.1"), helm_scalar),
            "pullPolicy": st.one_of(st.just("Always"), helm_scalar),
            "pullSecrets": st.one_of(st.lists(name_like, max_size=2), helm_scalar),
            "debug": st.one_of(st.booleans(), helm_scalar),
        },
    ),
    "git": st.fixed_dictionaries(
        {}, optional={"tag": st.one_of(st.just("2.43.0"), helm_scalar), "pullPolicy": helm_scalar}
    ),
    "nameOverride": st.one_of(name_like, helm_scalar),
    "fullnameOverride": st.one_of(name_like, helm_scalar),
    "volumePermissions": st.fixed_dictionaries(
        {},
        optional={
            "enabled": st.one_of(st.booleans(), helm_scalar),
            "resources": st.one_of(st.none(), st.just({"limits": {"cpu": "100m"}}), helm_scalar),
        },
    ),
    "service": st.one_of(
        st.fixed_dictionaries(
            {}, optional={"type": st.one_of(st.sampled_from(["ClusterIP", "NodePort"]), helm_scalar)}
        ),
        helm_scalar,
    ),
    "entrypoint": st.fixed_dictionaries(
        {},
        optional={
            "file": st.one_of(st.just("train.py"), helm_scalar),
            "args": st.one_of(st.lists(text, max_size=2), helm_scalar),
            "workDir": st.one_of(st.just("/app"), helm_scalar),
        },
    ),
    "podManagementPolicy": st.one_of(st.just("OrderedReady"), helm_scalar),
    "configMap": st.one_of(name_like, helm_scalar),
    "cloneFilesFromGit": st.fixed_dictionaries(
        {},
        optional={
            "enabled": st.one_of(st.booleans(), helm_scalar),
            "repository": st.one_of(st.just("https://github.com/apache/mxnet.git"), helm_scalar),
            "revision": st.one_of(st.just("master"), helm_scalar),
        },
    ),
    "commonExtraEnvVars": st.one_of(helm_env, helm_scalar),
    "workerExtraEnvVars": helm_env,
    "existingSecret": st.one_of(name_like, helm_scalar),
    "nodeSelector": st.one_of(st.dictionaries(name_like, st.one_of(name_like, helm_scalar), max_size=2), helm_scalar),
    "tolerations": st.one_of(
        st.lists(st.fixed_dictionaries({"key": name_like, "operator": st.just("Exists")}), max_size=1), helm_scalar
    ),
    "resources": st.one_of(
        st.fixed_dictionaries(
            {},
            optional={
                "limits": st.dictionaries(
                    st.sampled_from(["cpu", "memory"]), st.one_of(quantity, helm_scalar), max_size=2
                ),
                "requests": st.dictionaries(st.sampled_from(["cpu", "memory"]), quantity, max_size=2),
            },
        ),
        helm_scalar,
    ),
    "securityContext": st.fixed_dictionaries(
        {},
        optional={
            "enabled": st.one_of(st.booleans(), helm_scalar),
            "fsGroup": st.one_of(st.integers(0, 70000), helm_scalar),
            "runAsUser": st.one_of(st.integers(0, 70000), helm_scalar),
        },
    ),
    "livenessProbe": probe_values,
    "readinessProbe": probe_values,
    "persistence": st.fixed_dictionaries(
        {},
        optional={
            "enabled": st.one_of(st.booleans(), helm_scalar),
            "mountPath": st.one_of(st.just("/data"), helm_scalar),
            "storageClass": st.one_of(st.just("-"), name_like, helm_scalar),
            "accessMode": st.one_of(st.just("ReadWriteOnce"), helm_scalar),
            "size": st.one_of(quantity, helm_scalar),
            "annotations": st.one_of(st.dictionaries(name_like, text, max_size=1), helm_scalar),
        },
    ),
    "sidecars": st.one_of(st.lists(containers, max_size=1), helm_scalar),
    "initContainers": st.lists(containers, max_size=1),
    "lifecycle": st.one_of(st.sampled_from(["long-running", "job", "jobset"]), helm_scalar),
    "gangScheduler": st.one_of(st.sampled_from(["volcano", "scheduler-plugins"]), helm_scalar),
    "networkPolicy": st.fixed_dictionaries(
        {},
        optional={
            "enabled": st.one_of(st.booleans(), helm_scalar),
            "allowAllEgress": st.one_of(st.booleans(), helm_scalar),
        },
    ),
    "unknownKey": helm_scalar,
}


def paths_of(values: Any, prefix: str = "") -> set[str]:
    """Every key path in a values mapping (``image.tag``) and every bare key."""
    out: set[str] = set()
    if isinstance(values, Mapping):
        for key, sub in values.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            out |= {path, str(key)} | paths_of(sub, path)
    elif isinstance(values, list):
        for item in values:
            out |= paths_of(item, prefix)
    return out


@given(release=releases, values=some_of(HELM_FIELDS))
def test_helm_values_synthesize_or_name_the_bad_key(release: str, values: dict[str, Any]) -> None:
    known = paths_of(values) | {"env"}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            chart = MXNetChart.from_helm_values(cdk8s.Testing.app(), release, values)
    except (ValueError, TypeError) as err:
        message = str(err)
        assert not isinstance(err, RuntimeError), message
        head = message.split(": ", 1)[0]
        named = (
            head in known
            or any(path in head for path in known if "." in path)
            or set(FIELD_WORD.findall(head)) & (known | {"release", "fullname"})
        )
        assert named, f"{type(err).__name__} names no values key: {message}"
        event(f"refused: {head[:40]}")
        return
    event("synthesized")
    assert_synthesizes(chart)
