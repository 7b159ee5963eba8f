"""The ``pod_template()`` hook's types take ``cdk8s_plus_27.k8s`` structs, and so does run time.

- the fields of ``PodSpec``, ``Container`` and ``EphemeralContainer`` admit the matching
  k8s struct, under a name that exists in ``cdk8s_plus_27.k8s``;
- every place the types admit a struct converts it at run time to the JSON cdk8s writes;
- the documented hook example (the ``roles`` module docstring) and a hook that adds
  ``k8s.Container``, ``k8s.Volume``, ``k8s.EnvVar`` and ``k8s.Toleration`` structs pass
  ``mypy --strict`` and synthesize the expected pods; a misspelt key or a struct in the
  wrong place is still a mypy error.
"""

from __future__ import annotations

import importlib.util
import re
import textwrap
import typing
from pathlib import Path
from types import ModuleType
from typing import Any

import cdk8s
import pytest
from cdk8s_plus_27 import k8s

from mxnet_construct import _pod_parts, k8s_types, roles
from tests.helpers import find, mypy_strict, pod_spec, synth, validate_documents
from tests.k8s_wide_structs import wide_container, wide_pod_spec

HOLDERS = ("PodSpec", "Container", "EphemeralContainer")


def struct_fields(type_name: str) -> dict[str, str]:
    """JSON field -> k8s struct class name, for each field of a type that admits a struct."""
    out = {}
    for field, hint in typing.get_type_hints(getattr(k8s_types, type_name)).items():
        names = re.findall(r"cdk8s_plus_27\.k8s\.(\w+)", str(hint))
        if names:
            out[field] = names[0]
    return out


def test_the_pod_parts_admit_their_k8s_struct() -> None:
    admitted = {(holder, field) for holder in HOLDERS for field in struct_fields(holder)}
    wanted = {
        ("PodSpec", f)
        for f in ("containers", "initContainers", "volumes", "tolerations", "affinity", "securityContext")
    } | {
        ("Container", f)
        for f in ("env", "volumeMounts", "securityContext", "resources", "livenessProbe", "readinessProbe")
    }
    assert wanted <= admitted
    # Only the holders' own fields: deeper types stay plain TypedDicts.
    for name in k8s_types.FIELDS:
        if name not in HOLDERS:
            assert struct_fields(name) == {}, name


def test_the_struct_names_are_the_real_k8s_structs() -> None:
    for holder in HOLDERS:
        for field, struct in struct_fields(holder).items():
            spec = _pod_parts.fields(holder)[field][0].strip("[]")
            cls = getattr(k8s, struct)
            # The struct the types name is the one the runtime check takes for that field.
            assert _pod_parts._schema_name(cls.__name__, field, None) == spec, (holder, field)
            assert isinstance(cls.__jsii_type__, str), struct


def wide_ephemeral_container() -> k8s.EphemeralContainer:
    """An ephemeral container with every field the wide container sets."""
    values = dict(_pod_parts.struct_items(wide_container("debug")))
    return k8s.EphemeralContainer(**values, target_container_name="main")


def wide_struct(holder: str) -> tuple[Any, dict[str, Any]]:
    """A wide struct of ``holder`` and the JSON cdk8s writes for it inside a pod."""
    struct: Any
    if holder == "PodSpec":
        struct = pod = wide_pod_spec()
    elif holder == "Container":
        struct = wide_container("main")
        pod = k8s.PodSpec(containers=[struct])
    else:
        struct = wide_ephemeral_container()
        pod = k8s.PodSpec(containers=[wide_container("main")], ephemeral_containers=[struct])
    spec: dict[str, Any] = k8s.KubePod(cdk8s.Chart(cdk8s.Testing.app(), "c"), "pod", spec=pod).to_json()["spec"]
    if holder == "PodSpec":
        return struct, spec
    return struct, spec["containers" if holder == "Container" else "ephemeralContainers"][0]


@pytest.mark.parametrize("holder", HOLDERS)
def test_every_place_that_admits_a_struct_converts_it(holder: str) -> None:
    """A dict holder with a struct in each admitted field checks to what cdk8s writes."""
    source, expected = wide_struct(holder)
    by_python = {name.replace("_", "").lower(): value for name, value in _pod_parts.struct_items(source)}
    admitted = struct_fields(holder)
    holder_dict = {key: value for key, value in expected.items() if key not in admitted}
    for field in admitted:
        value = by_python.get(field.lower())
        assert value is not None, f"the wide {holder} sets no {field}: the test would not cover it"
        holder_dict[field] = value
    assert _pod_parts.check(holder_dict, holder, holder) == expected


# --- the documented example and a hook full of structs: mypy and synthesis ----------------

HEADER = "from mxnet_construct import MXNetChart, PodTemplateSpec, WorkerPool\n"


def docstring_example() -> str:
    """The ``pod_template()`` example of the roles module docstring, as written there."""
    doc = roles.__doc__ or ""
    block = doc.split("(``worker_pool_class`` and so on)::\n", 1)[1]
    return HEADER + "\n" + textwrap.dedent(block)


STRUCT_HOOK = (
    "from cdk8s_plus_27 import k8s\n\n"
    + HEADER
    + """

class StructWorkers(WorkerPool):
    def pod_template(self) -> PodTemplateSpec:
        pod = super().pod_template()
        spec = pod["spec"]
        mount = k8s.VolumeMount(name="traces", mount_path="/traces")
        tracer = k8s.Container(name="tracer", image="tracer:1", volume_mounts=[mount])
        spec["containers"].append(tracer)
        spec.setdefault("volumes", []).append(k8s.Volume(name="traces", empty_dir=k8s.EmptyDirVolumeSource()))
        spec.setdefault("tolerations", []).append(k8s.Toleration(key="gpu", operator="Exists", effect="NoSchedule"))
        main = next(c for c in spec["containers"] if isinstance(c, dict) and c["name"] == "mxnet")
        main.setdefault("env", []).append(k8s.EnvVar(name="TRACE_DIR", value="/traces"))
        main.setdefault("volumeMounts", []).append({"name": "traces", "mountPath": "/traces"})
        main["startupProbe"] = k8s.Probe(exec=k8s.ExecAction(command=["true"]), period_seconds=5)
        return pod


class StructChart(MXNetChart):
    worker_pool_class = StructWorkers
"""
)

BAD_HOOK = (
    "from cdk8s_plus_27 import k8s\n\n"
    + HEADER
    + """

class BadWorkers(WorkerPool):
    def pod_template(self) -> PodTemplateSpec:
        pod = super().pod_template()
        pod["spec"]["containers"].append({"name": "t", "image": "t:1", "volume_mounts": []})  # BAD
        pod["spec"]["containers"].append(k8s.Volume(name="v"))  # BAD
        pod["spec"]["tolerations"] = [k8s.EnvVar(name="A")]  # BAD
        pod["spec"]["containers"].append(k8s.Container(name="k", image="k:1", env=[k8s.Toleration()]))  # BAD
        return pod
"""
)

SNIPPETS = {"documented": docstring_example(), "structs": STRUCT_HOOK, "bad": BAD_HOOK}


@pytest.fixture(scope="module")
def mypy_errors(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[str]]:
    """``mypy --strict`` once over every snippet, against this checkout; error lines per snippet."""
    return mypy_strict(SNIPPETS, tmp_path_factory.mktemp("hook_types"))


def test_the_documented_example_passes_mypy_strict(mypy_errors: dict[str, list[str]]) -> None:
    assert "pod_template" in SNIPPETS["documented"]
    assert mypy_errors["documented"] == []


def test_a_hook_adding_k8s_structs_passes_mypy_strict(mypy_errors: dict[str, list[str]]) -> None:
    assert mypy_errors["structs"] == []


def test_typos_and_structs_in_the_wrong_place_still_fail_mypy(mypy_errors: dict[str, list[str]]) -> None:
    flagged = {error.split("  <- ")[0] for error in mypy_errors["bad"]}
    assert flagged == {line.strip() for line in BAD_HOOK.splitlines() if line.endswith("# BAD")}
    text = "\n".join(mypy_errors["bad"])
    assert '"volume_mounts"' in text and '"Volume"' in text and '"EnvVar"' in text, text


def load(name: str, tmp_path: Path) -> ModuleType:
    """Imports a snippet as a module, so synthesis runs exactly the text mypy checked."""
    path = tmp_path / f"{name}.py"
    path.write_text(SNIPPETS[name])
    spec = importlib.util.spec_from_file_location(f"hook_types_{name}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def workers_and_servers(chart: cdk8s.Chart) -> tuple[dict[str, Any], dict[str, Any]]:
    docs = synth(chart)
    validate_documents(docs)
    return pod_spec(find(docs, "StatefulSet", "t-mxnet-worker")), pod_spec(find(docs, "StatefulSet", "t-mxnet-server"))


def test_the_documented_example_synthesizes_a_hardened_tracer(tmp_path: Path) -> None:
    module = load("documented", tmp_path)
    workers, servers = workers_and_servers(module.MyChart(cdk8s.Testing.app(), "t", mode="distributed"))
    tracer = workers["containers"][-1]
    assert (tracer["name"], tracer["image"]) == ("tracer", "tracer:1")
    assert tracer["securityContext"]["allowPrivilegeEscalation"] is False
    assert [c["name"] for c in servers["containers"]] == ["mxnet"]


def test_k8s_structs_from_the_hook_land_as_kubernetes_json(tmp_path: Path) -> None:
    module = load("structs", tmp_path)
    workers, servers = workers_and_servers(module.StructChart(cdk8s.Testing.app(), "t", mode="distributed"))
    by_name = {c["name"]: c for c in workers["containers"]}
    assert list(by_name) == ["mxnet", "tracer"]
    assert by_name["tracer"]["image"] == "tracer:1"
    assert by_name["tracer"]["volumeMounts"] == [{"name": "traces", "mountPath": "/traces"}]
    # A struct container gets the restricted defaults like any other.
    assert by_name["tracer"]["securityContext"]["capabilities"] == {"drop": ["ALL"]}
    assert {"name": "traces", "emptyDir": {}} in workers["volumes"]
    assert {"key": "gpu", "operator": "Exists", "effect": "NoSchedule"} in workers["tolerations"]
    main = by_name["mxnet"]
    assert {"name": "TRACE_DIR", "value": "/traces"} in main["env"]
    assert {"name": "traces", "mountPath": "/traces"} in main["volumeMounts"]
    assert main["startupProbe"] == {"exec": {"command": ["true"]}, "periodSeconds": 5}
    # Derived values still reach the edited pods.
    assert any(e["name"] == "DMLC_NUM_WORKER" for e in main["env"])
    assert [c["name"] for c in servers["containers"]] == ["mxnet"]
    assert all(t.get("key") != "gpu" for t in servers.get("tolerations", []))
