"""Values of chart 2.4.17 and 3.5.1 (and 1.4.26 beside them): each version's keys with its
meaning and defaults, version detection, and every problem of a values file in one run,
told in values vocabulary.

The facts come from tests/data/bitnami-mxnet-{2.4.17,3.5.1}: the shipped values.yaml, the
chart README's parameter tables and "Upgrading" notes, and helm's renderings.
"""

from __future__ import annotations

import re
from typing import Any

import cdk8s
import pytest
import yaml

from mxnet_construct import MXNetChart, Persistence
from mxnet_construct.helm import CHART_VERSIONS, PARAMS, ValuesErrors, translate
from mxnet_construct.helm._versions import KEYS, TABLES
from tests.helpers import ROOT, find, synth

LATER = ("2.4.17", "3.5.1")


def data(version: str) -> Any:
    return ROOT / "tests" / "data" / f"bitnami-mxnet-{version}"


def shipped(version: str) -> dict[str, Any]:
    values: dict[str, Any] = yaml.safe_load((data(version) / "values.yaml").read_text())
    return values


def table_keys(version: str) -> list[str]:
    """The keys of the chart README's "Parameters" tables."""
    text = (data(version) / "chart-README.md").read_text()
    return re.findall(r"^\| `([^`]+)`\s*\|", text, flags=re.MULTILINE)


def error_of(values: dict[str, Any], version: str | None = None) -> str:
    with pytest.raises(ValueError) as info:
        translate(values, version)
    return str(info.value)


def docs_of(values: dict[str, Any], version: str | None = None, release: str = "rel") -> list[dict[str, Any]]:
    return synth(MXNetChart.from_helm_values(cdk8s.Testing.app(), release, values, chart_version=version))


# --- each version's values.yaml and parameter table ------------------------------------


@pytest.mark.parametrize("version", LATER)
@pytest.mark.parametrize("mode", ["standalone", "distributed"])
def test_each_versions_values_yaml_is_accepted_as_shipped_and_detected(version: str, mode: str) -> None:
    values = {**shipped(version), "mode": mode}
    assert translate(values).chart_version == version
    assert translate(values, version).chart_version == version
    docs_of(values, version)


@pytest.mark.parametrize("version", LATER)
def test_every_key_of_the_parameter_table_is_a_key_of_that_version(version: str) -> None:
    keys = table_keys(version)
    assert len(keys) > 100
    known = KEYS[version]
    # `entrypoint` stands for its object; `resources.limits` for the resources map.
    missing = [k for k in keys if k not in known and not any(k.startswith(f"{p}.") for p in known)]
    assert [k for k in missing if not any(j.startswith(f"{k}.") for j in known)] == []


def test_later_versions_read_the_replica_counts_and_ports_by_their_own_names() -> None:
    values = {"mode": "distributed", "server": {"replicaCount": 2}, "worker": {"replicaCount": 3}}
    for version, port in (
        ("2.4.17", {"scheduler": {"port": 9100}}),
        ("3.5.1", {"scheduler": {"containerPorts": {"mxnet": 9100}}}),
    ):
        merged = {**values, **{k: {**values.get(k, {}), **v} for k, v in port.items()}}
        kwargs = translate(merged, version).kwargs
        assert (kwargs["server_count"], kwargs["worker_count"], kwargs["scheduler_port"]) == (2, 3, 9100)


def test_3_5_1_defaults_are_its_own() -> None:
    # Not the library's defaults: what a 3.5.1 release without values runs.
    docs = docs_of({"mode": "distributed"}, "3.5.1")
    for role in ("server", "worker"):
        assert find(docs, "StatefulSet", f"rel-mxnet-{role}")["spec"]["podManagementPolicy"] == "OrderedReady"
    scheduler = find(docs, "Deployment", "rel-mxnet-scheduler")["spec"]["template"]["spec"]["containers"][0]
    assert scheduler["image"] == "docker.io/bitnami/mxnet:1.9.1-debian-11-r410"
    assert scheduler["ports"][0]["containerPort"] == 9092


def test_the_python_api_keeps_its_own_defaults() -> None:
    chart = MXNetChart(cdk8s.Testing.app(), "rel", mode="distributed", persistence=Persistence(enabled=True))
    docs = synth(chart)
    assert find(docs, "StatefulSet", "rel-mxnet-worker")["spec"]["podManagementPolicy"] == "Parallel"
    assert find(docs, "PersistentVolumeClaim", "rel-mxnet-scheduler")
    template = find(docs, "StatefulSet", "rel-mxnet-worker")["spec"]["volumeClaimTemplates"][0]
    assert template["metadata"]["labels"] == {"app.kubernetes.io/instance": "rel", "app.kubernetes.io/name": "mxnet"}


# --- keys the chart only passed through: implemented, or refused with the reason -------------


def test_extra_deploy_objects_are_emitted_as_they_are() -> None:
    obj = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "extra"}, "data": {"a": "b"}}
    text = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\nstringData:\n  k: v\n"
    docs = docs_of({"extraDeploy": [obj, text]}, "3.5.1")
    assert find(docs, "ConfigMap", "extra")["data"] == {"a": "b"}
    assert find(docs, "Secret", "s")["stringData"] == {"k": "v"}


def test_common_labels_and_namespace_override_reach_every_object() -> None:
    docs = docs_of({"commonLabels": {"team": "ml"}, "namespaceOverride": "train"}, "3.5.1")
    assert docs
    for doc in docs:
        assert doc["metadata"]["labels"]["team"] == "ml"
        assert doc["metadata"]["namespace"] == "train"


def test_service_account_name_runs_the_pods_as_that_account() -> None:
    docs = docs_of({"serviceAccount": {"name": "trainer"}})
    assert find(docs, "Deployment", "rel-mxnet")["spec"]["template"]["spec"]["serviceAccountName"] == "trainer"
    assert not [d for d in docs if d["kind"] == "ServiceAccount"]


def test_a_shipped_default_is_accepted_and_another_value_refused_with_the_reason() -> None:
    translate({"diagnosticMode": {"enabled": False}, "kubeVersion": "", "clusterDomain": "cluster.local"}, "3.5.1")
    message = error_of({"diagnosticMode": {"enabled": True}}, "3.5.1")
    assert message.startswith("diagnosticMode.enabled: true is not supported: diagnostic mode replaces every command")
    assert "only false, the chart's default, is accepted" in message


# --- versions -------------------------------------------------------------------------------


def test_a_file_that_mixes_versions_is_refused_naming_a_key_of_each() -> None:
    message = error_of({"serverCount": 2, "extraEnvVars": []})
    assert "mix chart versions: serverCount is a key of chart 1.4.26, extraEnvVars of chart 3.5.1" in message


def test_keys_that_fit_two_later_versions_need_the_version_named() -> None:
    message = error_of({"server": {"replicaCount": 2}})
    assert "fit chart 2.4.17 and 3.5.1 alike; name the version" in message
    assert message.endswith("(for chart 1.4.26, write serverCount for server.replicaCount)")
    assert translate({"server": {"replicaCount": 2}, "mode": "distributed"}, "2.4.17").kwargs["server_count"] == 2


def test_keys_every_version_has_are_read_as_1_4_26_as_before() -> None:
    assert translate({"mode": "distributed"}).chart_version == "1.4.26"


def test_the_chart_label_spelling_of_a_version_is_accepted_and_others_refused() -> None:
    assert translate({}, "mxnet-3.5.1").chart_version == "3.5.1"
    message = error_of({}, "4.0.0")
    assert message.startswith("chart_version: '4.0.0' is not a chart version read here; use 1.4.26, 2.4.17, 3.5.1")
    assert CHART_VERSIONS == ("1.4.26", "2.4.17", "3.5.1")


# --- one test per error class -------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "version", "message"),
    [
        (
            {"server": {"replicaCount": 2}},
            "1.4.26",
            "server.replicaCount: not a key of chart 1.4.26; chart 1.4.26 calls it serverCount",
        ),
        (
            {"serverCount": 2},
            "3.5.1",
            "serverCount: not a key of chart 3.5.1; chart 3.5.1 calls it server.replicaCount",
        ),
        (
            {"serverCount": 2},
            "2.4.17",
            "serverCount: not a key of chart 2.4.17; chart 2.4.17 calls it server.replicaCount",
        ),
        (
            {"service": {"port": 1}},
            "3.5.1",
            "service.port: not a key of chart 3.5.1; chart 3.5.1 calls it scheduler.service.ports.mxnet",
        ),
        (
            {"scheduler": {"service": {"ports": {"mxnet": 1}}}},
            "1.4.26",
            "scheduler.service.ports.mxnet: not a key of chart 1.4.26; chart 1.4.26 calls it service.port",
        ),
        (
            {"commonExtraEnvVars": []},
            "3.5.1",
            "commonExtraEnvVars: not a key of chart 3.5.1; chart 3.5.1 calls it extraEnvVars",
        ),
        (
            {"extraEnvVars": []},
            "1.4.26",
            "extraEnvVars: not a key of chart 1.4.26; chart 1.4.26 calls it commonExtraEnvVars",
        ),
    ],
)
def test_a_key_of_another_version_names_this_versions_key(values: dict[str, Any], version: str, message: str) -> None:
    assert error_of(values, version) == message


def test_an_unknown_key_names_the_closest_key_of_that_version() -> None:
    assert (
        error_of({"worker": {"replicaCont": 2}}, "3.5.1")
        == "worker.replicaCont: unknown key in chart 3.5.1; did you mean worker.replicaCount?"
    )


def test_a_key_of_a_role_the_mode_does_not_render_is_refused_unless_default() -> None:
    translate({"standalone": {"resources": {"limits": {}, "requests": {}}}, "mode": "distributed"}, "3.5.1")
    message = error_of({"standalone": {"resources": {"limits": {"cpu": 1}}}, "mode": "distributed"}, "3.5.1")
    assert message == (
        "standalone.resources: {limits: {cpu: 1}} has no effect with mode: distributed (the chart renders no such "
        "workload then, and ignores it); remove it, or set mode: standalone"
    )


def test_roles_that_disagree_on_a_release_wide_setting_are_refused() -> None:
    message = error_of({"mode": "distributed", "worker": {"livenessProbe": {"timeoutSeconds": 30}}}, "3.5.1")
    assert message.startswith(
        "worker.livenessProbe.timeoutSeconds: 30 at worker.livenessProbe.timeoutSeconds but 15 at"
    )


def test_an_options_error_speaks_values_with_this_versions_key() -> None:
    message = error_of({"worker": {"replicaCount": 3}}, "3.5.1")
    assert message == (
        "worker.replicaCount: 3 only applies to a distributed release, but mode is 'standalone'; "
        "set mode: distributed, or leave worker.replicaCount unset"
    )
    assert "worker_count" not in error_of({"workerCount": 3}) and "mode: distributed" in error_of({"workerCount": 3})


@pytest.mark.parametrize(("version", "key"), [("1.4.26", "commonExtraEnvVars"), ("3.5.1", "extraEnvVars")])
def test_a_secret_like_literal_names_value_from_and_not_secret(version: str, key: str) -> None:
    message = error_of({key: [{"name": "DB_PASSWORD", "value": "x"}]}, version)
    assert message.startswith(f"{key}[0].value: a literal value for a credential-like name")
    assert "valueFrom.secretKeyRef: {name: <secret name>, key: <key>}" in message and "notSecret: true" in message
    assert "EnvVar(" not in message and "EnvVar." not in message and "not_secret" not in message


def test_a_helm_template_in_extra_deploy_is_refused() -> None:
    assert error_of({"extraDeploy": ["kind: {{ .Values.x }}"]}, "3.5.1") == (
        "extraDeploy[0]: Helm templates are not evaluated here; write the object out as YAML"
    )


@pytest.mark.parametrize(
    ("version", "values", "keys"),
    [
        (
            "1.4.26",
            {
                "mode": "distributed",
                "service": {"nodePort": 30000},
                "workerCount": -1,
                "image": {"tag": 1.5},
                "bogus": 1,
            },
            ["image.tag", "bogus", "workerCount", "service.nodePort"],
        ),
        (
            "3.5.1",
            {
                "diagnosticMode": {"enabled": True},
                "serverCount": 2,
                "worker": {"replicaCount": 0},
                "mode": "distributed",
                "extraEnvVars": [{"name": "API_TOKEN", "value": "t"}],
            },
            ["diagnosticMode.enabled", "serverCount", "extraEnvVars[0].value", "worker.replicaCount"],
        ),
    ],
)
def test_every_problem_of_a_values_file_is_reported_in_one_run(
    version: str, values: dict[str, Any], keys: list[str]
) -> None:
    with pytest.raises(ValuesErrors) as info:
        translate(values, version)
    assert sorted(e.field for e in info.value.errors) == sorted(keys)
    assert str(info.value).startswith(f"{len(keys)} problems in the values\n  1) ")


def test_the_tables_only_map_to_keys_of_the_1_4_26_schema() -> None:
    special = {"extraDeploy", "namespaceOverride", "commonLabels"}
    for table in TABLES.values():
        for rule in table.values():
            assert not rule.to or rule.to in {p.key for p in PARAMS} | special, rule


def test_3_5_1_claim_templates_are_labelled_only_with_common_labels() -> None:
    values: dict[str, Any] = {"mode": "distributed", "persistence": {"enabled": True}}
    bare = find(docs_of(values, "3.5.1"), "StatefulSet", "rel-mxnet-worker")["spec"]["volumeClaimTemplates"][0]
    assert "labels" not in bare["metadata"]
    labelled = find(docs_of({**values, "commonLabels": {"team": "ml"}}, "3.5.1"), "StatefulSet", "rel-mxnet-worker")
    assert labelled["spec"]["volumeClaimTemplates"][0]["metadata"]["labels"] == {
        "app.kubernetes.io/instance": "rel",
        "app.kubernetes.io/name": "mxnet",
    }


def test_the_values_benchmark_reads_every_version_and_judges_each_against_1_4_26() -> None:
    import sys

    sys.path.insert(0, str(ROOT / "benchmarks"))
    import values_versions

    assert values_versions.VERSIONS == CHART_VERSIONS
    assert all(values_versions.values_file(v).is_file() for v in CHART_VERSIONS)
    by_version = values_versions.ratios({"1.4.26": 2.0, "2.4.17": 2.1, "3.5.1": 2.3})
    assert by_version == pytest.approx({"1.4.26": 1.0, "2.4.17": 1.05, "3.5.1": 1.15})
    assert not values_versions.within_budget(by_version)
    assert values_versions.within_budget({"1.4.26": 1.0, "3.5.1": 1.1})


def test_keyword_arguments_alone_say_that_they_leave_extra_deploy_out() -> None:
    from mxnet_construct.helm import ValuesWarning, chart_kwargs_from_values

    obj = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "extra"}}
    with pytest.warns(ValuesWarning, match="extraDeploy objects are not keyword arguments"):
        assert chart_kwargs_from_values({"extraDeploy": [obj]}, "3.5.1")["claim_names"] == "chart-3"
