"""Typed pod parts: the generated k8s_types module, the runtime checks, cdk8s-plus structs.

- ``mxnet_construct/k8s_types.py`` is what ``scripts/gen_k8s_types.py`` writes today, and its
  TypedDicts agree with its runtime table;
- a misspelt or wrongly typed field of a dict pod part is an error naming the path, with a
  suggestion;
- ``cdk8s_plus_27.k8s`` structs convert to exactly the JSON cdk8s itself writes for them,
  without a Node round trip per field;
- ``sidecars``/``init_containers`` take ``k8s.Container`` as well as dicts;
- a typo in a typed ``pod_template()`` override fails ``mypy --strict``.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import typing
from pathlib import Path
from typing import Any

import cdk8s
import jsii
import pytest
from cdk8s_plus_27 import k8s

from mxnet_construct import MXNetChart, MXNetOptions, _pod_parts, k8s_types
from tests.helpers import ROOT, find, mypy_strict, pod_spec, synth, validate_documents
from tests.k8s_wide_structs import wide_container, wide_pod_spec

GENERATOR = ROOT / "scripts" / "gen_k8s_types.py"


def chart() -> cdk8s.Chart:
    return cdk8s.Chart(cdk8s.Testing.app(), "c")


# --- the generated module -------------------------------------------------------------


def test_committed_k8s_types_is_what_the_generator_writes(tmp_path: Path) -> None:
    fresh = tmp_path / "k8s_types.py"
    subprocess.run([sys.executable, str(GENERATOR), "--output", str(fresh)], check=True, cwd=ROOT)
    assert fresh.read_text() == (ROOT / "mxnet_construct" / "k8s_types.py").read_text(), "run `make k8s-types`"
    # --check is what `make k8s-types` users and CI can run; it notices a stale file.
    fresh.write_text(fresh.read_text().replace("volumeMounts", "volume_mounts"))
    stale = subprocess.run(
        [sys.executable, str(GENERATOR), "--check", "--output", str(fresh)], capture_output=True, text=True, cwd=ROOT
    )
    assert stale.returncode == 1 and "out of date" in stale.stderr


def test_generated_module_is_formatted_and_lint_clean() -> None:
    path = str(ROOT / "mxnet_construct" / "k8s_types.py")
    ruff = str(Path(sys.executable).parent / "ruff")
    subprocess.run([ruff, "format", "--check", path], check=True, capture_output=True)
    subprocess.run([ruff, "check", path], check=True, capture_output=True)


def typed_dicts() -> dict[str, Any]:
    return {
        name: obj
        for name, obj in vars(k8s_types).items()
        if isinstance(obj, type) and typing.is_typeddict(obj) and obj.__module__ == k8s_types.__name__
    }


def test_typed_dicts_and_runtime_table_describe_the_same_fields() -> None:
    classes = typed_dicts()
    assert set(classes) == set(k8s_types.FIELDS)
    for name, cls in classes.items():
        table = _pod_parts.fields(name)
        assert set(typing.get_type_hints(cls)) == set(table), name
        assert cls.__required_keys__ == {f for f, (_, required) in table.items() if required}, name


def test_reaches_everything_a_pod_template_uses() -> None:
    wanted = {
        "PodTemplateSpec",
        "ObjectMeta",
        "PodSpec",
        "Container",
        "EphemeralContainer",
        "Volume",
        "VolumeMount",
        "EnvVar",
        "EnvFromSource",
        "Probe",
        "SecurityContext",
        "PodSecurityContext",
        "ResourceRequirements",
        "Affinity",
        "Toleration",
        "TopologySpreadConstraint",
        "PersistentVolumeClaimSpec",
        "LabelSelector",
    }
    assert wanted <= set(k8s_types.FIELDS)
    assert len(k8s_types.FIELDS) >= 100  # the whole closure, not a hand-picked list


@pytest.mark.parametrize(
    ("cls", "field", "annotation"),
    [
        (k8s_types.Container, "name", typing.Required[str]),
        # The pod's and the containers' parts also take the k8s struct (a stand-in at run time).
        (k8s_types.Container, "volumeMounts", list[k8s_types.VolumeMount | k8s_types.k8s.VolumeMount]),
        (k8s_types.Container, "ports", list[k8s_types.ContainerPort | k8s_types.k8s.ContainerPort]),
        (k8s_types.Container, "resources", k8s_types.ResourceRequirements | k8s_types.k8s.ResourceRequirements),
        (k8s_types.PodSpec, "dnsConfig", k8s_types.PodDNSConfig | k8s_types.k8s.PodDnsConfig),
        # Deeper types, and the template's own metadata and spec, stay dicts: reading needs no narrowing.
        (k8s_types.Affinity, "nodeAffinity", k8s_types.NodeAffinity),
        (k8s_types.PodTemplateSpec, "spec", k8s_types.PodSpec),
        (k8s_types.PodTemplateSpec, "metadata", k8s_types.ObjectMeta),
        (k8s_types.ContainerPort, "containerPort", typing.Required[int]),
        (k8s_types.ResourceRequirements, "limits", dict[str, str | int | float]),
        (k8s_types.HTTPGetAction, "port", typing.Required[int | str]),
        (k8s_types.ObjectMeta, "labels", dict[str, str]),
        (k8s_types.ObjectMeta, "creationTimestamp", str),
        (k8s_types.PodSpec, "containers", typing.Required[list[k8s_types.Container | k8s_types.k8s.Container]]),
        (k8s_types.PodSpec, "priorityClassName", str),
        (k8s_types.PodSpec, "priority", int),
        (k8s_types.PodSpec, "hostNetwork", bool),
        (k8s_types.PodSpec, "overhead", dict[str, str | int | float]),
        (k8s_types.ManagedFieldsEntry, "fieldsV1", dict[str, Any]),
    ],
)
def test_value_types(cls: Any, field: str, annotation: Any) -> None:
    assert cls.__annotations__[field] == annotation


def test_runtime_table_specs() -> None:
    container = _pod_parts.fields("Container")
    assert container["name"] == ("str", True)
    assert container["volumeMounts"] == ("[VolumeMount]", False)
    assert _pod_parts.fields("ResourceRequirements")["limits"] == ("{quantity}", False)
    assert _pod_parts.fields("ContainerPort")["containerPort"] == ("int32", True)
    assert _pod_parts.fields("PodSpec")["activeDeadlineSeconds"] == ("int64", False)
    assert _pod_parts.fields("HTTPGetAction")["port"] == ("int-or-string", True)


# --- checking dict pod parts --------------------------------------------------------------


@pytest.mark.parametrize(
    ("container", "error", "message"),
    [
        ({"volume_mounts": []}, ValueError, r"^c\.volume_mounts: 'volume_mounts' .*did you mean 'volumeMounts'\?"),
        ({"resource": {}}, ValueError, r"^c\.resource: .*did you mean 'resources'\?"),
        ({"ImagePullPolicy": "Always"}, ValueError, r"did you mean 'imagePullPolicy'\?"),
        ({"imagePullPolicyy": "Always"}, ValueError, r"did you mean 'imagePullPolicy'\?"),
        ({"zzz": 1}, ValueError, r"^c\.zzz: .*its fields are args, command, .*workingDir$"),
        (
            {"env": [{"name": "A", "value_from": {}}]},
            ValueError,
            r"^c\.env\[0\]\.value_from: .*EnvVar.*did you mean 'valueFrom'\?",
        ),
        (
            {"livenessProbe": {"httpGet": {"port": 80, "pth": "/"}}},
            ValueError,
            r"^c\.livenessProbe\.httpGet\.pth: .*HTTPGetAction.*did you mean 'path'\?",
        ),
        (
            {"ports": [{"containerPort": "80"}]},
            TypeError,
            r"^c\.ports\[0\]\.containerPort: expected an integer, got str",
        ),
        ({"ports": [{"containerPort": True}]}, TypeError, r"containerPort: expected an integer, got bool"),
        ({"ports": [{"containerPort": 2**31}]}, ValueError, r"containerPort: 2147483648 .*int32"),
        ({"ports": [{"name": "http"}]}, ValueError, r"^c\.ports\[0\]\.containerPort: .*requires containerPort"),
        ({"tty": 1}, TypeError, r"^c\.tty: expected true or false, got int 1"),
        ({"args": "run"}, TypeError, r"^c\.args: expected a list, got str"),
        ({"args": [1]}, TypeError, r"^c\.args\[0\]: expected a string, got int"),
        ({"resources": {"limits": {"cpu": "lots"}}}, ValueError, r"^c\.resources\.limits\['cpu'\]: 'lots'"),
        ({"resources": {"limits": ["1"]}}, TypeError, r"^c\.resources\.limits: expected a mapping"),
        ({"livenessProbe": {"httpGet": {"port": 1.5}}}, TypeError, r"port: expected an integer or a string"),
        ({"securityContext": "restricted"}, TypeError, r"^c\.securityContext: expected a SecurityContext"),
        ({"name": None}, ValueError, r"^c\.name: None .*Container\.name is required"),
    ],
)
def test_check_names_the_path_and_the_fix(container: dict[str, Any], error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        _pod_parts.check({"name": "x", **container}, "Container", "c")


def test_check_returns_a_fresh_plain_copy() -> None:
    given: dict[str, Any] = {
        "name": "x",
        "args": ("a", "b"),
        "env": [{"name": "A", "value": "1"}],
        "resources": {"limits": {"cpu": "1", "memory": 1024, "nvidia.com/gpu": 1}},
        "livenessProbe": {"httpGet": {"port": "http"}, "periodSeconds": 5},
        "securityContext": None,
    }
    out = _pod_parts.check(given, "Container", "c")
    assert out == {**given, "args": ["a", "b"]}
    out["env"][0]["value"] = "changed"
    assert given["env"][0]["value"] == "1"


def test_check_walks_a_whole_pod_template() -> None:
    template: dict[str, Any] = {
        "metadata": {"labels": {"app": "x"}, "annotations": {"a": "b"}},
        "spec": {
            "containers": [{"name": "x", "volumeMounts": [{"name": "v", "mountPath": "/v"}]}],
            "volumes": [{"name": "v", "emptyDir": {"sizeLimit": "1Gi"}}],
            "tolerations": [{"key": "k", "operator": "Exists", "tolerationSeconds": 30}],
        },
    }
    assert _pod_parts.check(template, "PodTemplateSpec", "t") == template
    template["spec"]["volumes"][0]["emptyDir"]["size_limit"] = "1Gi"
    with pytest.raises(ValueError, match=r"^t\.spec\.volumes\[0\]\.emptyDir\.size_limit: .*'sizeLimit'"):
        _pod_parts.check(template, "PodTemplateSpec", "t")
    with pytest.raises(TypeError, match=r"^t\.metadata\.labels\['app'\]: expected a string, got int 1"):
        _pod_parts.check({"metadata": {"labels": {"app": 1}}}, "PodTemplateSpec", "t")
    with pytest.raises(ValueError, match=r"^t\.spec\.containers: .*PodSpec requires containers"):
        _pod_parts.check({"spec": {}}, "PodTemplateSpec", "t")


def pod_templates(node: Any) -> list[dict[str, Any]]:
    """Every pod template inside a document, however deep (a JobSet nests them twice)."""
    found = []
    if isinstance(node, dict):
        template = node.get("template")
        if isinstance(template, dict) and "containers" in template.get("spec", {}):
            found.append(template)
        for value in node.values():
            found += pod_templates(value)
    elif isinstance(node, list):
        for item in node:
            found += pod_templates(item)
    return found


@pytest.mark.parametrize(
    ("mode", "lifecycle"),
    [
        ("standalone", "long-running"),
        ("standalone", "job"),
        ("distributed", "long-running"),
        ("distributed", "job"),
        ("distributed", "jobset"),
    ],
)
def test_every_pod_template_the_library_writes_passes_the_check(mode: str, lifecycle: str) -> None:
    # So the check can run on what a pod_template() override returns without false alarms.
    from tests.test_chart import everything

    options = {**everything(mode), "lifecycle": lifecycle, "gang_scheduler": "volcano"}
    templates = [t for doc in synth(MXNetChart(cdk8s.Testing.app(), "full", **options)) for t in pod_templates(doc)]
    assert len(templates) == (1 if mode == "standalone" else 3)
    for template in templates:
        assert _pod_parts.check(template, "PodTemplateSpec", "template") == template


# --- cdk8s-plus structs -------------------------------------------------------------------


def covered(doc: Any, type_name: str, seen: set[tuple[str, str]]) -> set[tuple[str, str]]:
    """The (type, field) pairs set in a converted document."""
    for key, value in doc.items():
        seen.add((type_name, key))
        spec = _pod_parts.fields(type_name)[key][0].strip("[]{}")
        for item in value if isinstance(value, list) else value.values() if spec[:1] == "{" else [value]:
            if spec in k8s_types.FIELDS and isinstance(item, dict):
                covered(item, spec, seen)
    return seen


def test_structs_convert_to_the_json_cdk8s_writes() -> None:
    meta = k8s.ObjectMeta(name="p", labels={"app": "x"}, annotations={"note": "n"}, namespace="ns", finalizers=["f"])
    spec = wide_pod_spec()
    pod = k8s.KubePod(chart(), "pod", metadata=meta, spec=spec).to_json()
    assert _pod_parts.from_struct(spec) == pod["spec"]
    assert _pod_parts.from_struct(meta) == pod["metadata"]
    for container, expected in zip(spec.containers, pod["spec"]["containers"], strict=True):
        assert _pod_parts.check(container, "Container", "c") == expected
    # The comparison is wide: most fields of the containers and the pod spec are exercised.
    seen = covered(pod["spec"], "PodSpec", set())
    assert len(seen) >= 250, len(seen)
    for type_name in ("Container", "PodSpec", "Probe", "SecurityContext", "ResourceRequirements"):
        missing = {f for f in _pod_parts.fields(type_name) if (type_name, f) not in seen}
        assert missing <= {"grpc", "exec"}, (type_name, missing)


def test_a_pod_template_struct_converts_like_the_deployment_writes_it() -> None:
    template = k8s.PodTemplateSpec(
        metadata=k8s.ObjectMeta(labels={"app": "x"}), spec=k8s.PodSpec(containers=[wide_container("main")])
    )
    deployment = k8s.KubeDeployment(
        chart(), "d", spec=k8s.DeploymentSpec(selector=k8s.LabelSelector(match_labels={"app": "x"}), template=template)
    ).to_json()
    assert _pod_parts.from_struct(template) == deployment["spec"]["template"]
    assert _pod_parts.check(template, "PodTemplateSpec", "t") == deployment["spec"]["template"]


def test_conversion_reads_python_values_not_node(monkeypatch: pytest.MonkeyPatch) -> None:
    spec = wide_pod_spec()
    calls: list[str] = []
    for name in ("get", "invoke", "sinvoke", "sget", "create"):
        original = getattr(jsii, name)

        def counting(*args: Any, _name: str = name, _original: Any = original) -> Any:
            calls.append(_name)
            return _original(*args)

        monkeypatch.setattr(jsii, name, counting)
    converted = _pod_parts.from_struct(spec)
    # Only the Quantity and IntOrString objects hold their value in Node: one get each.
    text = json.dumps(converted)
    quantities_and_ports = 18
    assert calls == ["get"] * quantities_and_ports, calls
    assert '"500m"' in text and '"http"' in text


def test_struct_of_the_wrong_type_or_a_python_named_dict_is_refused() -> None:
    with pytest.raises(TypeError, match=r"^c: expected a Container \(a dict or k8s.Container\), got k8s.Volume$"):
        _pod_parts.check(k8s.Volume(name="v"), "Container", "c")
    # cdk8s itself would drop value_from without a word; here it is an error.
    env = [{"name": "A", "value_from": {"field_ref": {"field_path": "x"}}}]
    with pytest.raises(ValueError, match=r"^c\.env\[0\]\.value_from: .*did you mean 'valueFrom'\?"):
        _pod_parts.check(k8s.Container(name="x", env=env), "Container", "c")
    with pytest.raises(TypeError, match=r"^v: expected a cdk8s_plus_27.k8s struct, got dict"):
        _pod_parts.from_struct({"name": "x"}, "v")
    with pytest.raises(TypeError, match=r"expected a struct of a Kubernetes pod type, got k8s.KubePodProps"):
        _pod_parts.from_struct(k8s.KubePodProps())


# --- sidecars and init containers ---------------------------------------------------------


def test_typed_sidecars_and_init_containers_land_in_every_pod() -> None:
    tracer = k8s.Container(
        name="tracer",
        image="tracer:1",
        ports=[k8s.ContainerPort(container_port=9411)],
        resources=k8s.ResourceRequirements(limits={"cpu": k8s.Quantity.from_string("100m")}),
    )
    fetch = k8s.Container(name="fetch", image="busybox:1.36", command=["true"])
    c = MXNetChart(
        cdk8s.Testing.app(),
        "typed",
        mode="distributed",
        sidecars=[tracer, {"name": "log", "image": "busybox:1.36"}],
        init_containers=[fetch],
    )
    docs = synth(c)
    validate_documents(docs)
    for kind, name in (("Deployment", "typed-mxnet-scheduler"), ("StatefulSet", "typed-mxnet-worker")):
        spec = pod_spec(find(docs, kind, name))
        by_name = {container["name"]: container for container in spec["containers"]}
        assert list(by_name) == ["mxnet", "tracer", "log"]
        assert by_name["tracer"]["ports"] == [{"containerPort": 9411}]
        assert by_name["tracer"]["resources"] == {"limits": {"cpu": "100m"}}
        # User containers still get the restricted securityContext defaults.
        assert by_name["tracer"]["securityContext"]["allowPrivilegeEscalation"] is False
        assert spec["initContainers"][-1]["name"] == "fetch" and spec["initContainers"][-1]["command"] == ["true"]


def test_options_store_checked_plain_copies() -> None:
    sidecar = {"name": "log", "image": "busybox:1.36", "args": ("a",)}
    options = MXNetOptions(sidecars=[sidecar], init_containers=[k8s.Container(name="i", image="busybox")])
    sidecar["image"] = "changed"
    assert options.sidecars == ({"name": "log", "image": "busybox:1.36", "args": ["a"]},)
    assert options.init_containers == ({"name": "i", "image": "busybox"},)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        (
            {"sidecars": [{"name": "t", "image": "t:1", "volume_mounts": []}]},
            ValueError,
            r"^sidecars\[0\]\.volume_mounts: .*did you mean 'volumeMounts'\?",
        ),
        (
            {
                "init_containers": [
                    {"name": "t", "image": "t:1"},
                    k8s.Container(name="u", image="u", env=[{"name": "A", "value": 1}]),
                ]
            },
            TypeError,
            r"^init_containers\[1\]\.env\[0\]\.value: expected a string, got int 1",
        ),
        ({"sidecars": [k8s.Volume(name="v")]}, TypeError, r"^sidecars\[0\]: expected a Container .*got k8s.Volume"),
        ({"sidecars": [k8s.Container(name="t")]}, TypeError, r"^sidecars\[0\]\.image: expected a string"),
        (
            {"sidecars": [k8s.Container(name="t", image="a"), {"name": "t", "image": "b"}]},
            ValueError,
            r"^sidecars\[1\]\.name: 't'.*unique",
        ),
        ({"sidecars": [k8s.Container(name="Bad_Name", image="a")]}, ValueError, r"^sidecars\[0\]\.name: 'Bad_Name'"),
    ],
)
def test_bad_sidecars_fail_on_construction(kwargs: dict[str, Any], error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        MXNetOptions(**kwargs)


def run_fresh(body: str) -> str:
    proc = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(body)], capture_output=True, text=True, cwd=ROOT, timeout=300
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_dict_sidecars_and_type_hints_need_no_jsii() -> None:
    out = run_fresh(
        """
        import sys, typing
        import mxnet_construct
        print("k8s_types" in str(sorted(sys.modules)))
        from mxnet_construct.options import MXNetKwargs, MXNetOptions
        hints = typing.get_type_hints(MXNetOptions)
        typing.get_type_hints(MXNetKwargs)
        print(hints["sidecars"])
        MXNetOptions(sidecars=[{"name": "a", "image": "b"}])
        print(sorted(m for m in sys.modules if m.split(".")[0] in ("cdk8s", "cdk8s_plus_27", "jsii")))
        """
    )
    # Importing the package does not even build the TypedDicts; checking a dict loads no jsii.
    assert out.splitlines() == ["False", "collections.abc.Sequence[mxnet_construct._pod_parts.ContainerSpec]", "[]"]


# --- mypy ---------------------------------------------------------------------------------

STUB_BASE = """
from cdk8s_plus_27 import k8s

from mxnet_construct import k8s_types


class Base:
    def pod_template(self) -> k8s_types.PodTemplateSpec:
        return {"metadata": {"labels": {"a": "b"}}, "spec": {"containers": [{"name": "mxnet", "image": "x"}]}}
"""

GOOD_OVERRIDE = """

class Traced({base}):
    def pod_template(self) -> k8s_types.PodTemplateSpec:
        pod = super().pod_template()
        main = pod["spec"]["containers"][0]
        assert isinstance(main, dict)  # the list may also hold k8s.Container structs
        main["volumeMounts"] = []
        pod["spec"]["priorityClassName"] = "high"
        pod["spec"]["containers"].append({{"name": "tracer", "image": "t:1", "resources": {{"limits": {{"cpu": "1"}}}}}})
        pod["spec"]["containers"].append(k8s.Container(name="k", image="k:1"))
        return pod
"""

BAD_OVERRIDE = """

class Traced({base}):
    def pod_template(self) -> k8s_types.PodTemplateSpec:
        pod = super().pod_template()
        main = pod["spec"]["containers"][0]
        main["image"] = "unnarrowed"  # BAD
        assert isinstance(main, dict)
        main["volume_mounts"] = []  # BAD
        pod["spec"]["priorityClassName"] = 5  # BAD
        pod["spec"]["containers"].append({{"name": "tracer", "image": "t:1", "resource": {{}}}})  # BAD
        pod["spec"]["containers"].append(k8s.Volume(name="v"))  # BAD
        pod["spec"]["volumes"] = [k8s.Container(name="c")]  # BAD
        pod["metadata"]["labels"] = {{"a": 1}}  # BAD
        return pod
"""

POOL_HEADER = "from cdk8s_plus_27 import k8s\n\nfrom mxnet_construct import k8s_types\nfrom mxnet_construct.roles import WorkerPool\n"

SIDECARS = """
import cdk8s
from cdk8s_plus_27 import k8s

from mxnet_construct import MXNetChart, MXNetOptions, k8s_types

app = cdk8s.App()
typed: k8s_types.Container = {"name": "b", "image": "b"}
MXNetChart(app, "a", sidecars=[k8s.Container(name="a", image="a"), typed, {"name": "c", "image": "c"}])
MXNetOptions(init_containers=[k8s.Container(name="a", image="a")])
MXNetChart(app, "b", sidecars=[k8s.Volume(name="v")])  # BAD
wrong: k8s_types.Container = {"name": "b", "image": "b", "volume_mounts": []}  # BAD
"""


@pytest.fixture(scope="module")
def mypy_results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[str]]:
    """Runs ``mypy --strict`` once over every snippet; errors per file, by line."""
    src = tmp_path_factory.mktemp("typed_hooks")
    snippets = {
        "stub_good": STUB_BASE + GOOD_OVERRIDE.format(base="Base"),
        "stub_bad": STUB_BASE + BAD_OVERRIDE.format(base="Base"),
        "pool_good": POOL_HEADER + GOOD_OVERRIDE.format(base="WorkerPool"),
        "pool_bad": POOL_HEADER + BAD_OVERRIDE.format(base="WorkerPool"),
        "sidecars": SIDECARS,
    }
    results = mypy_strict(snippets, src)
    results["__sources__"] = [json.dumps(snippets)]
    return results


def bad_lines(snippet: str) -> list[str]:
    return [line.strip() for line in snippet.splitlines() if line.endswith("# BAD")]


def assert_flags_exactly_the_bad_lines(errors: list[str], snippet: str) -> None:
    flagged = {e.split("  <- ")[0] for e in errors}
    assert flagged == set(bad_lines(snippet)), "\n".join(errors)


def test_mypy_accepts_a_correct_override_of_a_typed_hook(mypy_results: dict[str, list[str]]) -> None:
    assert mypy_results["stub_good"] == []


def test_mypy_catches_typos_in_a_typed_hook(mypy_results: dict[str, list[str]]) -> None:
    assert_flags_exactly_the_bad_lines(mypy_results["stub_bad"], STUB_BASE + BAD_OVERRIDE.format(base="Base"))
    text = "\n".join(mypy_results["stub_bad"])
    assert '"Container" has no key "volume_mounts"' in text
    assert 'Value of "priorityClassName" has incompatible type "int"; expected "str"' in text


def test_mypy_checks_typed_sidecars(mypy_results: dict[str, list[str]]) -> None:
    assert_flags_exactly_the_bad_lines(mypy_results["sidecars"], SIDECARS)


def test_mypy_catches_typos_in_a_worker_pool_override(mypy_results: dict[str, list[str]]) -> None:
    assert mypy_results["pool_good"] == []
    assert_flags_exactly_the_bad_lines(mypy_results["pool_bad"], POOL_HEADER + BAD_OVERRIDE.format(base="WorkerPool"))
