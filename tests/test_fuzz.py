"""Property-based tests: any input either synthesizes into schema-valid, parseable YAML, or
fails while the chart is built with a ValueError/TypeError naming the offending field.

Never a jsii RuntimeError, never a RecursionError, never a manifest the API server would
refuse. The inputs mix valid values with near misses (wrong types, negative numbers, bad
names, odd characters) and with the shapes a hostile input uses: valid names with a
newline or a Unicode look-alike appended, integers beyond int32/int64, deep nesting,
values files with YAML aliases, and ``filesDir`` paths that try to leave their directory.
``make test`` runs the "default" hypothesis profile; ``make fuzz`` runs "fuzz" (see
tests/conftest.py).
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import cdk8s
import pytest
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
from mxnet_construct.helm import chart_kwargs_from_values, load_values_file, parse_values_text
from tests.helpers import validate_documents

# --- building blocks ---------------------------------------------------------------------

ODD = "aZ09-._/:@ \n$é*"
text = st.text(alphabet=ODD, max_size=12)
dns = st.from_regex(r"[a-z]([a-z0-9-]{0,10}[a-z0-9])?", fullmatch=True)
# What `$`-anchored or `\d`/`\w` patterns let through: a valid value plus a line break, a
# NUL, or a non-ASCII digit or letter that looks like an ASCII one.
SUFFIXES = ["\n", "\r\n", "\x00", " ", "\u0661", "\uff11", "\u0435", "é", "\u200b"]
suffixed = st.builds(lambda s, suffix: s + suffix, dns, st.sampled_from(SUFFIXES))
name_like = st.one_of(dns, dns, text, suffixed)
# Kubernetes' integer limits and the values JSON cannot carry exactly through jsii.
huge_int = st.one_of(
    st.sampled_from([2**31 - 1, 2**31, 2**53, 2**53 + 1, 2**63, -(2**31) - 1]),
    st.integers(-(2**80), 2**80),
)
small_int = st.one_of(st.integers(-2, 5), st.integers(-(2**33), 2**33), huge_int)
port = st.one_of(st.integers(1, 65535), st.integers(-5, 70000))
quantity = st.one_of(
    st.sampled_from(["500m", "1", "2", "8Gi", "1.5G", "0", "100Mi", "1e3", "1Gi\n", "\uff11Gi", "\u0661"]),
    st.integers(-3, 10**6),
    huge_int,
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


# --- hostile shapes: deep nesting, YAML aliases, paths that try to leave ---------------------


def nested(depth: int, as_list: bool) -> Any:
    """Valid-looking Kubernetes data wrapped ``depth`` levels deep in lists or mappings."""
    value: Any = {"key": "zone", "operator": "In", "values": ["a"]}
    for _ in range(depth):
        value = [value] if as_list else {"podAffinity": value}
    return value


# Where deep data can go, and the field the refusal must name.
DEEP_PLACES: dict[str, tuple[str, Callable[[Any], dict[str, Any]]]] = {
    "affinity": ("affinity", lambda deep: {"affinity": {"podAffinity": deep}}),
    "tolerations": (
        "tolerations[0]",
        lambda deep: {"tolerations": [{"key": "a", "operator": "Exists", "value": deep}]},
    ),
    "network_policy": (
        "network_policy.extra_egress[0]",
        lambda deep: {"network_policy": NetworkPolicyOptions(extra_egress=[{"to": deep}])},
    ),
    "extra_env": ("env[A].value_from", lambda deep: {"extra_env": [EnvVar(name="A", value_from={"fieldRef": deep})]}),
    "worker": (
        "worker.affinity",
        lambda deep: {"mode": "distributed", "worker": RoleOptions(affinity={"nodeAffinity": deep})},
    ),
    "sidecars": ("sidecars[0]", lambda deep: {"sidecars": [{"name": "s", "image": "busybox:1.36", "env": deep}]}),
}


@given(depth=st.integers(65, 3000), as_list=st.booleans(), place=st.sampled_from(sorted(DEEP_PLACES)))
def test_deep_nesting_is_refused_by_name_never_a_recursion_error(depth: int, as_list: bool, place: str) -> None:
    field, build = DEEP_PLACES[place]
    with pytest.raises((ValueError, TypeError)) as info:
        MXNetChart(cdk8s.Testing.app(), "deep", **build(nested(depth, as_list)))
    assert not isinstance(info.value, RecursionError)
    assert str(info.value).startswith(f"{field}: '<65 levels>' is not valid; YAML data nests at most 64"), str(
        info.value
    )


@given(depth=st.integers(65, 3000), as_list=st.booleans())
def test_deep_helm_values_are_refused_by_key(depth: int, as_list: bool) -> None:
    with pytest.raises(ValueError) as info:
        chart_kwargs_from_values({"affinity": {"nodeAffinity": nested(depth, as_list)}})
    assert str(info.value).startswith("affinity"), str(info.value)


yaml_leaf = st.one_of(st.booleans(), st.integers(-5, 5), st.sampled_from(["x", "1.9.1", "a b", ""]))
yaml_tree = st.recursive(
    yaml_leaf,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.sampled_from(["a", "b", "image", "tag"]), inner, max_size=3)
    ),
    max_leaves=8,
)


@st.composite
def shared_values(draw: st.DrawFn) -> tuple[dict[str, Any], bool]:
    """A values mapping, sometimes holding one object at several keys (dumped as an alias)."""
    shared = draw(st.one_of(st.lists(yaml_tree, min_size=1, max_size=3), st.dictionaries(st.just("k"), yaml_tree)))
    keys = draw(st.lists(st.sampled_from(["affinity", "tolerations", "nodeSelector", "x", "y"]), unique=True))
    data: dict[str, Any] = {k: shared for k in keys}
    data.update(draw(st.dictionaries(st.sampled_from(["mode", "image", "z"]), yaml_tree, max_size=2)))
    return data, len(keys) > 1


@given(case=shared_values())
def test_values_with_aliases_are_refused_quickly_naming_the_file(case: tuple[dict[str, Any], bool]) -> None:
    data, aliased = case
    text = yaml.safe_dump(data)  # emits &id001 / *id001 for the shared object
    start = time.perf_counter()
    try:
        parsed = parse_values_text(text, "hostile.yaml")
    except ValueError as err:
        assert aliased and "*id" in text
        assert str(err).startswith("hostile.yaml: ") and "aliases" in str(err), str(err)
        event("refused: alias")
    else:
        assert "*id" not in text and parsed == data
        event("parsed")
    assert time.perf_counter() - start < 1.0


@given(
    text=st.text(alphabet="ab: -[]{}&*,\n'\"|>!%@`\t", max_size=60),
)
def test_any_values_text_parses_or_is_a_one_line_error_naming_the_file(text: str) -> None:
    try:
        parsed = parse_values_text(text, "junk.yaml")
    except ValueError as err:
        assert str(err).startswith("junk.yaml"), str(err)
        assert "\n" not in str(err) and "<unicode string>" not in str(err)
        return
    assert isinstance(parsed, dict)


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Path]:
    """release/{values.yaml, code_ok/, code_bad/ (a symlink out), link_dir -> outside}, outside/credentials."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        outside, release = root / "outside", root / "release"
        outside.mkdir()
        (outside / "credentials").write_text("hunter2\n")
        for name in ("code_ok", "code_bad"):
            (release / name).mkdir(parents=True)
            (release / name / "train.py").write_text("print('train')\n")
        (release / "code_bad" / "creds").symlink_to(outside / "credentials")
        (release / "link_dir").symlink_to(outside, target_is_directory=True)
        yield root


HOSTILE_PATHS = [
    "/etc",
    "//etc",
    "~/.aws",
    "..",
    "../outside",
    "code_ok/../../outside",
    "link_dir",
    "code_bad",
    "code_ok\n",
    "code_ok\x00",
    "./code_ok",
    "code_ok/",
    "code_ok/../code_ok",
    ".",
]
path_parts = st.lists(st.sampled_from(["..", ".", "code_ok", "code_bad", "link_dir", "outside", "release", ""]))


@given(files_dir=st.one_of(st.sampled_from(HOSTILE_PATHS), path_parts.map("/".join)))
def test_files_dir_never_reads_outside_its_directory(sandbox: Path, files_dir: str) -> None:
    values_file = sandbox / "release" / "values.yaml"
    values_file.write_text(yaml.safe_dump({"filesDir": files_dir}))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            kwargs = chart_kwargs_from_values(load_values_file(values_file))
    except (ValueError, OSError) as err:
        assert str(err).startswith(("filesDir", str(values_file))), str(err)
        event("refused")
        return
    files = dict(kwargs["code"].files) if "code" in kwargs else {}
    assert "hunter2\n" not in files.values()
    real = Path(os.path.realpath(values_file.parent / files_dir))
    assert real.is_relative_to((sandbox / "release").resolve()), real
    event("read" if files else "no files")
