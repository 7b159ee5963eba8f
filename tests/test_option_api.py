"""The options' API contract: structured errors, immutability, cdk8s-plus objects for names,
mode-specific options and misspelt keywords (issues 13 and 16).

Each test here failed on main before the change it covers.
"""

from __future__ import annotations

import copy
import dataclasses
import pickle
import typing
from types import MappingProxyType
from typing import Any

import cdk8s
import pytest

import mxnet_construct
from mxnet_construct import (
    PRODUCTION,
    Entrypoint,
    EnvVar,
    ExistingConfigMap,
    GitRepository,
    Image,
    JobOptions,
    LocalFiles,
    MXNetChart,
    MXNetOptions,
    NetworkPolicyOptions,
    OptionError,
    OptionTypeError,
    Persistence,
    Probe,
    Resources,
    RoleOptions,
    SecurityContext,
    VolumePermissions,
    contract,
)
from mxnet_construct.helm import ValuesTypeError, chart_kwargs_from_values, load_values_file
from mxnet_construct.options import MXNetKwargs
from tests.helpers import ROOT, find, make_chart, pod_spec, synth

DIST: dict[str, Any] = {"mode": "distributed"}

# --- structured errors ---------------------------------------------------------------------------


def test_option_error_is_exported_and_carries_field_and_value() -> None:
    assert mxnet_construct.OptionError is OptionError and "OptionError" in mxnet_construct.__all__
    with pytest.raises(OptionError) as info:
        Persistence(size="lots")
    assert (info.value.field, info.value.value) == ("persistence.size", "lots")
    assert isinstance(info.value, ValueError) and not isinstance(info.value, TypeError)
    with pytest.raises(OptionTypeError) as type_info:
        Persistence(size=[8])  # type: ignore[arg-type]
    assert (type_info.value.field, type_info.value.value) == ("persistence.size", [8])
    assert isinstance(type_info.value, TypeError) and isinstance(type_info.value, OptionError)


def test_option_errors_survive_pickling() -> None:
    err = OptionError("a.b", 1, "bad").labelled("a.b (helm)")
    copy = pickle.loads(pickle.dumps(err))
    assert (type(copy), copy.field, copy.value, str(copy)) == (OptionError, "a.b", 1, "a.b (helm): bad")


def test_helm_errors_carry_the_helm_key_as_field() -> None:
    with pytest.raises(OptionError) as info:
        chart_kwargs_from_values({"persistence": {"size": "lots"}})
    assert (info.value.field, info.value.value) == ("persistence.size", "lots")
    with pytest.raises(ValuesTypeError) as type_info:
        chart_kwargs_from_values({"workerCount": "3"})
    assert isinstance(type_info.value, OptionTypeError) and type_info.value.field == "workerCount"
    with pytest.raises(OptionError) as unknown:
        chart_kwargs_from_values({"image": {"tagg": "1"}})
    assert unknown.value.field == "image.tagg"


def test_helm_keys_come_from_the_field_not_from_the_message(monkeypatch: pytest.MonkeyPatch) -> None:
    validate = Persistence.validate

    def refuse(self: Persistence, where: str) -> None:
        if self.mount_path == "/x":
            raise OptionError(f"{where}.mount_path", "/x", "refused", label="words that name no field")
        validate(self, where)

    monkeypatch.setattr(Persistence, "validate", refuse)
    with pytest.raises(OptionError) as info:
        chart_kwargs_from_values({"persistence": {"mountPath": "/x"}})
    assert str(info.value) == "persistence.mountPath: refused"


def test_python_users_still_see_the_helm_key_of_git_and_configmap_errors() -> None:
    with pytest.raises(OptionError, match=r"^code\.revision \(cloneFilesFromGit\.revision\): ") as info:
        GitRepository(repository="https://x/y.git", revision="-x")
    assert info.value.field == "code.revision"
    with pytest.raises(OptionError, match=r"^cloneFilesFromGit\.revision: '-x'"):
        chart_kwargs_from_values(
            {"cloneFilesFromGit": {"enabled": True, "repository": "https://x/y", "revision": "-x"}}
        )


# --- immutable options ---------------------------------------------------------------------------


def test_changing_the_callers_dicts_after_construction_changes_nothing() -> None:
    selector = {"pool": "ml"}
    affinity: dict[str, Any] = {
        "nodeAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": {
                "nodeSelectorTerms": [{"matchExpressions": [{"key": "zone", "operator": "In", "values": ["a"]}]}]
            }
        }
    }
    tolerations = [{"key": "gpu", "operator": "Exists"}]
    chart = make_chart(node_selector=selector, affinity=affinity, tolerations=tolerations)
    before = pod_spec(find(synth(chart), "Deployment"))
    selector["pool"] = "not a label value!"
    affinity["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"].clear()
    tolerations.append({"key": "evil", "operator": "Exists"})
    assert pod_spec(find(synth(chart), "Deployment")) == before
    assert before["nodeSelector"] == {"pool": "ml"} and before["affinity"]["nodeAffinity"]


def test_option_fields_are_deeply_read_only() -> None:
    opts = MXNetOptions(
        node_selector={"a": "b"},
        affinity={"podAffinity": {"x": [{"y": 1}]}},
        extra_env=[EnvVar(name="A", value="1")],
        global_image_pull_secrets=["r"],
    )
    assert isinstance(opts.node_selector, MappingProxyType)
    assert isinstance(opts.affinity["podAffinity"]["x"], tuple)
    assert isinstance(opts.extra_env, tuple) and isinstance(opts.global_image_pull_secrets, tuple)
    with pytest.raises(TypeError):
        opts.affinity["podAffinity"]["x"][0]["y"] = 2  # type: ignore[index]
    with pytest.raises(TypeError):
        Resources(limits={"cpu": "1"}).limits["cpu"] = "2"  # type: ignore[index]
    for frozen in (
        LocalFiles(files={"a.py": "x"}).files,
        Persistence(annotations={"a": "b"}).annotations,
        MXNetOptions(mode="distributed", worker=RoleOptions(node_selector={"a": "b"})).worker.node_selector,
        EnvVar(name="A", value_from={"fieldRef": {"fieldPath": "status.podIP"}}).value_from,
        NetworkPolicyOptions(extra_egress=[{"to": []}]).extra_egress[0],
    ):
        with pytest.raises(TypeError):
            frozen["x"] = "y"  # type: ignore[index]
    assert isinstance(Image(pull_secrets=["a"]).pull_secrets, tuple)
    assert isinstance(SecurityContext(drop_capabilities=["ALL"]).drop_capabilities, tuple)
    assert isinstance(Entrypoint(args=["a"]).args, tuple)


def test_frozen_options_still_copy_and_pickle() -> None:
    opts = MXNetOptions(
        **DIST,
        node_selector={"a": "b"},
        affinity={"podAffinity": {"x": [{"y": 1}]}},
        extra_env=[EnvVar.from_secret("HF_TOKEN", "hf", "token")],
        worker=RoleOptions(tolerations=[{"key": "gpu", "operator": "Exists"}]),
        code=LocalFiles(files={"a.py": "x"}),
        service_account="runner",
    )
    assert copy.deepcopy(opts) is opts and copy.copy(opts) is opts
    again = pickle.loads(pickle.dumps(opts))
    assert again == opts and isinstance(again.affinity, MappingProxyType)


def test_production_is_frozen() -> None:
    with pytest.raises(TypeError):
        PRODUCTION["worker_count"] = 100  # type: ignore[index]
    assert dict(PRODUCTION) == {"mode": "distributed", "server_count": 2, "worker_count": 4}


def test_mxnet_kwargs_matches_mxnet_options_field_for_field() -> None:
    options = typing.get_type_hints(MXNetOptions)
    kwargs = typing.get_type_hints(MXNetKwargs)
    assert list(kwargs) == [f.name for f in dataclasses.fields(MXNetOptions)]
    # These keywords also take k8s/cdk8s-plus types; the options store them converted.
    wider = {"extra_env", "tolerations", "affinity", "resources"}
    assert {k: t for k, t in kwargs.items() if k not in wider} == {k: t for k, t in options.items() if k not in wider}


# --- cdk8s-plus objects where an option takes a name ---------------------------------------------


def test_cdk8s_plus_objects_are_taken_by_name() -> None:
    import cdk8s_plus_27 as kplus

    app = cdk8s.Testing.app()
    deps = cdk8s.Chart(app, "deps")
    secret, pull = kplus.Secret(deps, "creds"), kplus.Secret(deps, "regcred")
    config_map, account = kplus.ConfigMap(deps, "code"), kplus.ServiceAccount(deps, "runner")
    chart = MXNetChart(
        app,
        "rel",
        existing_secret=secret,
        code=ExistingConfigMap(name=config_map),
        image=Image(pull_secrets=[pull]),
        global_image_pull_secrets=[pull],
        service_account=account,
    )
    opts = chart.options
    assert (opts.existing_secret, opts.code.name, opts.image.pull_secrets) == (  # type: ignore[union-attr]
        secret.name,
        config_map.name,
        (pull.name,),
    )
    assert opts.service_account_name == account.name and not opts.creates_service_account
    docs = synth(chart)
    spec = pod_spec(find(docs, "Deployment"))
    assert spec["serviceAccountName"] == account.name
    assert spec["imagePullSecrets"] == [{"name": pull.name}]
    volumes = {v["name"]: v for v in spec["volumes"]}
    assert volumes[contract.SECRET_VOLUME]["secret"]["secretName"] == secret.name
    assert volumes[contract.CONFIG_MAP_VOLUME]["configMap"]["name"] == config_map.name
    assert not [d for d in docs if d["kind"] == "ServiceAccount"]


def test_env_from_a_cdk8s_plus_secret() -> None:
    import cdk8s_plus_27 as kplus

    secret = kplus.Secret(cdk8s.Chart(cdk8s.Testing.app(), "deps"), "hf")
    var = EnvVar.from_secret("HF_TOKEN", secret, "token")
    assert var.to_json() == {"name": "HF_TOKEN", "valueFrom": {"secretKeyRef": {"name": secret.name, "key": "token"}}}
    ok = EnvVar(name="M", value_from={"resourceFieldRef": {"resource": "limits.ephemeral-storage"}})
    assert ok.value_from is not None
    assert EnvVar.from_field("L", "metadata.labels['app.kubernetes.io/name']").value_from is not None


def test_service_account_by_name_true_or_false() -> None:
    named = MXNetOptions(service_account="runner")
    assert (named.service_account_name, named.creates_service_account) == ("runner", False)
    assert (MXNetOptions().service_account_name, MXNetOptions().creates_service_account) == (None, True)
    off = MXNetOptions(service_account=False)
    assert (off.service_account_name, off.creates_service_account) == (None, False)
    with pytest.raises(OptionError, match="service_account: 'Runner' is not valid"):
        MXNetOptions(service_account="Runner")


def test_an_object_without_a_name_is_a_type_error() -> None:
    with pytest.raises(OptionTypeError, match=r"existing_secret: expected a Secret name or a Secret object"):
        MXNetOptions(existing_secret=object())  # type: ignore[arg-type]


# --- distributed-only options and misspelt keywords ----------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"worker_count": 4}, "worker_count"),
        ({"server_count": 2}, "server_count"),
        ({"worker": RoleOptions(gpus=1)}, "worker.gpus"),
        ({"scheduler": RoleOptions(extra_env=[EnvVar(name="A", value="1")])}, "scheduler.extra_env"),
        ({"pod_management_policy": "OrderedReady"}, "pod_management_policy"),
        ({"publish_not_ready_addresses": True}, "publish_not_ready_addresses"),
    ],
)
def test_distributed_only_options_in_standalone_mode_name_mode(kwargs: dict[str, Any], field: str) -> None:
    with pytest.raises(OptionError, match=rf"^{field}: .* only applies to a distributed release, but mode is") as info:
        make_chart(**kwargs)
    assert info.value.field == field and "mode='distributed'" in str(info.value)
    make_chart(**DIST, **kwargs)  # the same options are fine in distributed mode


def test_distributed_only_values_in_standalone_mode_name_the_helm_key() -> None:
    with pytest.raises(OptionError, match=r"^workerCount: 4 only applies to a distributed release"):
        chart_kwargs_from_values({"workerCount": 4})
    # A role's part names its own key, not the role (found by the fuzz test).
    env = [{"name": "S3_KEY", "valueFrom": {"secretKeyRef": {"name": "s3", "key": "k"}}}]
    with pytest.raises(OptionError, match=r"^workerExtraEnvVars: .* only applies to a distributed release"):
        chart_kwargs_from_values({"workerExtraEnvVars": env})


def test_the_charts_own_values_file_still_renders_standalone() -> None:
    # The Bitnami chart's values.yaml sets every key, schedulerPort 9092 included, in
    # standalone mode; the standalone pod declares that port, so it must not be an error.
    values = load_values_file(ROOT / "tests" / "data" / "bitnami-mxnet-1.4.26" / "values.yaml")
    keys = ("mode", "serverCount", "workerCount", "schedulerPort", "podManagementPolicy")
    assert [values[k] for k in keys] == ["standalone", 1, 1, 9092, "Parallel"]
    assert chart_kwargs_from_values({k: values[k] for k in keys}) == {
        "mode": "standalone",
        "pod_management_policy": "Parallel",
        "scheduler_port": 9092,
        "server_count": 1,
        "worker_count": 1,
    }
    with pytest.raises(OptionError, match=r"^workerCount: 3 only applies to a distributed release"):
        chart_kwargs_from_values({**{k: values[k] for k in keys}, "workerCount": 3})


OPTION_CLASSES = [
    Image,
    Resources,
    EnvVar,
    Probe,
    Persistence,
    SecurityContext,
    VolumePermissions,
    Entrypoint,
    ExistingConfigMap,
    LocalFiles,
    GitRepository,
    RoleOptions,
    NetworkPolicyOptions,
    JobOptions,
    MXNetOptions,
]


@pytest.mark.parametrize("cls", OPTION_CLASSES, ids=lambda cls: cls.__name__)
def test_a_misspelt_keyword_suggests_the_field(cls: type) -> None:
    field = dataclasses.fields(cls)[-1].name
    typo = field[:-1] + ("x" if field[-1] != "x" else "y")
    with pytest.raises(
        TypeError, match=rf"^{cls.__name__}: unexpected keyword argument '{typo}'; did you mean '{field}'\?"
    ):
        cls(**{typo: 1})


def test_persistence_sise_is_the_example_from_the_issue() -> None:
    with pytest.raises(TypeError, match=r"Persistence: unexpected keyword argument 'sise'; did you mean 'size'\?"):
        Persistence(sise="8Gi")  # type: ignore[call-arg]


def test_a_keyword_nothing_resembles_lists_the_fields() -> None:
    with pytest.raises(TypeError, match=r"it takes enabled, initial_delay_seconds, period_seconds"):
        Probe(zzz=1)  # type: ignore[call-arg]
