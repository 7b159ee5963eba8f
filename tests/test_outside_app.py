"""Issue 13's table, row by row: cdk8s idioms on an MXNet release, from an outside app.

Each row runs ``tests/consumer_app/interop.py ROW`` with the wheel installed in a fresh
venv outside the repository (``tests/wheel_env.py``), then asserts on the YAML it wrote.
So what is tested is what a cdk8s user gets: the installed package, the public API, and
cdk8s's own synthesis (no ``Testing.synth`` shortcut).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.helpers import find, pod_spec

pytest.register_assert_rewrite("tests.wheel_env")  # before its import: its asserts explain failures
from tests.wheel_env import Consumer, Dists, clean_env, run  # noqa: E402

pytest_plugins = ["tests.wheel_env"]

RELEASE, FULLNAME = "rel", "rel-mxnet"
ROLE_LABELS = ("app.kubernetes.io/name", "app.kubernetes.io/instance", "app.kubernetes.io/component")


def synthesize(consumer: Consumer, row: str, out: Path, output_type: str | None = None) -> Path:
    """Runs one row of interop.py in the consumer venv; returns its output directory."""
    extra = [output_type] if output_type else []
    run([consumer.python, "interop.py", row, out, *extra], cwd=consumer.app_dir)
    return out


def documents(out: Path) -> list[dict[str, Any]]:
    """Every document the app wrote, in output order (files in name order)."""
    docs: list[dict[str, Any]] = []
    for path in sorted((out / "dist").rglob("*.k8s.yaml")):
        docs += [d for d in yaml.safe_load_all(path.read_text()) if d]
    return docs


def selects(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    """Whether a LabelSelector matches a pod with ``labels``."""
    if not selector.get("matchLabels", {}).items() <= labels.items():
        return False
    for expr in selector.get("matchExpressions", []):
        key, op, values = expr["key"], expr["operator"], expr.get("values", [])
        ok = {
            "In": key in labels and labels[key] in values,
            "NotIn": key not in labels or labels[key] not in values,
            "Exists": key in labels,
            "DoesNotExist": key not in labels,
        }[op]
        if not ok:
            return False
    return bool(selector.get("matchLabels") or selector.get("matchExpressions"))


def pod_labels(docs: list[dict[str, Any]], kind: str, name: str) -> dict[str, str]:
    labels: dict[str, str] = find(docs, kind, name)["spec"]["template"]["metadata"]["labels"]
    return labels


def containers(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["name"]: c for c in pod_spec(doc)["containers"]}


# --- ApiObject.of(role).add_json_patch ---------------------------------------------------


def test_escape_hatch_patch_lands_in_the_workers_only(consumer: Consumer, tmp_path: Path) -> None:
    docs = documents(synthesize(consumer, "escape-hatch", tmp_path))
    assert pod_spec(find(docs, "StatefulSet", f"{FULLNAME}-worker"))["priorityClassName"] == "high"
    assert "priorityClassName" not in pod_spec(find(docs, "StatefulSet", f"{FULLNAME}-server"))


# --- an org-wide walk of every ApiObject -------------------------------------------------


def test_walking_the_tree_reaches_every_document(consumer: Consumer, tmp_path: Path) -> None:
    out = synthesize(consumer, "org-walk", tmp_path)
    docs = documents(out)
    walked = json.loads((out / "walked.json").read_text())
    assert len(docs) >= 8, [d["kind"] for d in docs]
    assert sorted(map(tuple, walked)) == sorted((d["kind"], d["metadata"]["name"]) for d in docs)
    unlabelled = [
        (d["kind"], d["metadata"]["name"]) for d in docs if d["metadata"]["labels"].get("cost-center") != "ml"
    ]
    assert not unlabelled


# --- add_dependency orders the output ----------------------------------------------------


def test_dependency_puts_the_secret_before_the_workers(consumer: Consumer, tmp_path: Path) -> None:
    docs = documents(synthesize(consumer, "dependency", tmp_path))
    order = [(d["kind"], d["metadata"]["name"]) for d in docs]
    secrets = [i for i, (kind, _) in enumerate(order) if kind == "Secret"]
    assert len(secrets) == 1, order
    assert secrets[0] < order.index(("StatefulSet", f"{FULLNAME}-worker")), order


# --- every YamlOutputType writes every object --------------------------------------------


@pytest.fixture(scope="module")
def reference_objects(consumer: Consumer, tmp_path_factory: pytest.TempPathFactory) -> list[tuple[str, str]]:
    """The release's objects, from the default output type (FILE_PER_CHART)."""
    docs = documents(synthesize(consumer, "output-type", tmp_path_factory.mktemp("reference")))
    objects = sorted((d["kind"], d["metadata"]["name"]) for d in docs)
    # The public names of DESIGN.md, so the reference itself cannot be empty or wrong.
    for kind, suffix in (
        ("Deployment", "-scheduler"),
        ("Service", "-scheduler"),
        ("StatefulSet", "-server"),
        ("StatefulSet", "-worker"),
        ("Service", "-headless"),
        ("ServiceAccount", ""),
    ):
        assert (kind, FULLNAME + suffix) in objects
    return objects


@pytest.mark.parametrize(
    "output_type",
    [
        "FILE_PER_CHART",
        "FILE_PER_APP",
        "FILE_PER_RESOURCE",
        "FOLDER_PER_CHART_FILE_PER_RESOURCE",
    ],
)
def test_every_output_type_writes_every_object(
    consumer: Consumer, tmp_path: Path, reference_objects: list[tuple[str, str]], output_type: str
) -> None:
    out = synthesize(consumer, "output-type", tmp_path, output_type)
    files = sorted(p.relative_to(out / "dist").as_posix() for p in (out / "dist").rglob("*.k8s.yaml"))
    docs = documents(out)
    assert sorted((d["kind"], d["metadata"]["name"]) for d in docs) == reference_objects
    if output_type == "FILE_PER_CHART":
        assert files == [f"{RELEASE}.k8s.yaml"]
    elif output_type == "FILE_PER_APP":
        assert files == ["app.k8s.yaml"]
    else:
        # One file per object, in a folder per chart for the last type.
        assert len(files) == len(reference_objects)
        assert all(f.startswith(f"{RELEASE}/") == (output_type != "FILE_PER_RESOURCE") for f in files)


# --- cdk8s-plus interop: roles as pod selectors and network peers ------------------------


def test_kplus_network_policies_select_the_roles_pods(consumer: Consumer, tmp_path: Path) -> None:
    docs = documents(synthesize(consumer, "kplus-network", tmp_path))
    workers = pod_labels(docs, "StatefulSet", f"{FULLNAME}-worker")
    servers = pod_labels(docs, "StatefulSet", f"{FULLNAME}-server")
    scheduler = pod_labels(docs, "Deployment", f"{FULLNAME}-scheduler")
    # The release's own policy admits the whole release; the rows' policies come on top.
    policies = [d for d in docs if d["kind"] == "NetworkPolicy" and d["metadata"]["name"] != FULLNAME]

    def peers(policy: dict[str, Any], direction: str, side: str) -> list[dict[str, Any]]:
        return [p["podSelector"] for rule in policy["spec"].get(direction, []) for p in rule.get(side, [])]

    # NetworkPolicy(selector=chart.workers) + add_ingress_rule(chart.scheduler, tcp 9092)
    mine = [p for p in policies if any(selects(s, scheduler) for s in peers(p, "ingress", "from"))]
    assert len(mine) == 1, policies
    selector = mine[0]["spec"]["podSelector"]
    assert selects(selector, workers) and not selects(selector, servers) and not selects(selector, scheduler)
    assert set(ROLE_LABELS) <= set(selector.get("matchLabels", {}))
    (rule,) = mine[0]["spec"]["ingress"]
    assert rule["ports"] == [{"port": 9092, "protocol": "TCP"}]
    assert all(not selects(s, workers) for s in peers(mine[0], "ingress", "from"))

    # board.connections.allow_from(chart.workers): the board admits the worker pods only.
    board = next(d for d in docs if d["kind"] == "Deployment" and d["metadata"]["name"] != f"{FULLNAME}-scheduler")
    board_pods = board["spec"]["template"]["metadata"]["labels"]
    admits = [p for p in policies if selects(p["spec"]["podSelector"], board_pods)]
    from_workers = [s for p in admits for s in peers(p, "ingress", "from") if selects(s, workers)]
    assert from_workers, admits
    for peer in from_workers:
        assert not selects(peer, servers) and not selects(peer, scheduler)
        assert set(ROLE_LABELS) <= set(peer.get("matchLabels", {}))


# --- typed structs and hooks -------------------------------------------------------------


def test_typed_sidecar_lands_as_a_container(consumer: Consumer, tmp_path: Path) -> None:
    docs = documents(synthesize(consumer, "typed-sidecar", tmp_path))
    for kind, name in (
        ("StatefulSet", f"{FULLNAME}-worker"),
        ("StatefulSet", f"{FULLNAME}-server"),
        ("Deployment", f"{FULLNAME}-scheduler"),
    ):
        by_name = containers(find(docs, kind, name))
        assert list(by_name) == ["mxnet", "tracer"], (kind, name)
        assert by_name["tracer"]["image"] == "tracer:1"


def test_typed_hook_changes_the_workers_pods(consumer: Consumer, tmp_path: Path) -> None:
    docs = documents(synthesize(consumer, "typed-hook", tmp_path))
    workers = find(docs, "StatefulSet", f"{FULLNAME}-worker")
    assert {"name": "traces", "mountPath": "/traces"} in containers(workers)["mxnet"]["volumeMounts"]
    assert {"name": "traces", "emptyDir": {}} in pod_spec(workers)["volumes"]
    # k8s structs in the hook's result land as plain Kubernetes JSON.
    assert {"name": "TRACE_DIR", "value": "/traces"} in containers(workers)["mxnet"]["env"]
    assert {"key": "tracing", "operator": "Exists"} in pod_spec(workers)["tolerations"]
    servers = find(docs, "StatefulSet", f"{FULLNAME}-server")
    assert "traces" not in {v["name"] for v in pod_spec(servers).get("volumes", [])}


def _mypy(consumer: Consumer, *files: str) -> tuple[int, str]:
    result = subprocess.run(
        [str(consumer.python), "-m", "mypy", "--strict", "--no-incremental", *files],
        cwd=consumer.app_dir,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    return result.returncode, result.stdout + result.stderr


def test_idioms_pass_mypy_strict_against_the_installed_package(consumer: Consumer) -> None:
    code, output = _mypy(consumer, "interop.py", "typed_hook.py")
    assert code == 0 and "Success" in output, output


def test_mypy_strict_catches_a_typo_in_the_typed_hook(consumer: Consumer) -> None:
    source = (consumer.app_dir / "typed_hook.py").read_text()
    assert source.count('main["volumeMounts"] =') == 1
    typo = consumer.app_dir / "typed_hook_typo.py"
    typo.write_text(source.replace('main["volumeMounts"] =', 'main["volume_mounts"] ='))
    try:
        code, output = _mypy(consumer, typo.name)
    finally:
        typo.unlink()
    assert code == 1, output
    assert '"volume_mounts"' in output and "TypedDict" in output, output
    assert "Found 1 error in 1 file" in output, output


# --- construct metadata ------------------------------------------------------------------


def test_construct_metadata_names_each_objects_construct_path(consumer: Consumer, tmp_path: Path) -> None:
    out = synthesize(consumer, "construct-metadata", tmp_path)
    resources = json.loads((out / "dist" / "construct-metadata.json").read_text())["resources"]
    assert resources[f"{FULLNAME}-worker"]["path"] == f"{RELEASE}/workers/Resource"
    assert resources[f"{FULLNAME}-server"]["path"] == f"{RELEASE}/servers/Resource"
    missing = {d["metadata"]["name"] for d in documents(out)} - set(resources)
    assert not missing


# --- roles as cdk8s-plus workloads (issue 23) ----------------------------------------------


def env_of(container: dict[str, Any]) -> dict[str, str]:
    return {e["name"]: e.get("value", "") for e in container.get("env", [])}


def test_a_patched_worker_count_reaches_every_pod(consumer: Consumer, tmp_path: Path) -> None:
    docs = documents(synthesize(consumer, "scale-workers", tmp_path))
    assert find(docs, "StatefulSet", f"{FULLNAME}-worker")["spec"]["replicas"] == 6
    for kind, name in (("Deployment", "scheduler"), ("StatefulSet", "server"), ("StatefulSet", "worker")):
        assert env_of(containers(find(docs, kind, f"{FULLNAME}-{name}"))["mxnet"])["DMLC_NUM_WORKER"] == "6"
    # A long-running budget drains one pod at a time, whatever the count.
    budget = find(docs, "PodDisruptionBudget")["spec"]
    assert budget["maxUnavailable"] == 1 and "minAvailable" not in budget


def test_role_methods_and_k8s_types_from_an_outside_app(consumer: Consumer, tmp_path: Path) -> None:
    docs = documents(synthesize(consumer, "workload-methods", tmp_path))
    workers = find(docs, "StatefulSet", f"{FULLNAME}-worker")
    by_name = containers(workers)
    assert env_of(by_name["exporter"]) == {"LEVEL": "debug"}
    assert by_name["exporter"]["securityContext"] == {
        "allowPrivilegeEscalation": False,
        "capabilities": {"drop": ["ALL"]},
    }
    assert env_of(by_name["mxnet"])["MODE"] == "fast"
    assert by_name["mxnet"]["resources"] == {"requests": {"cpu": "500m"}}
    assert workers["spec"]["template"]["metadata"]["labels"]["team"] == "vision"
    spec = pod_spec(workers)
    assert spec["tolerations"] == [{"effect": "NoSchedule", "key": "gpu", "operator": "Exists"}]
    assert "nodeAffinity" in spec["affinity"]
    servers = find(docs, "StatefulSet", f"{FULLNAME}-server")
    assert list(containers(servers)) == ["mxnet"] and "nodeAffinity" not in pod_spec(servers).get("affinity", {})
    egress = [
        d
        for d in docs
        if d["kind"] == "NetworkPolicy"
        and d["spec"]["podSelector"].get("matchLabels", {}).get("app.kubernetes.io/component") == "worker"
        and d["spec"].get("egress")
    ]
    assert any(r.get("ports") == [{"port": 6379, "protocol": "TCP"}] for d in egress for r in d["spec"]["egress"])


def test_a_peer_in_another_namespace_gets_a_namespace_selector(consumer: Consumer, tmp_path: Path) -> None:
    docs = documents(synthesize(consumer, "cross-namespace", tmp_path))
    policies = [d for d in docs if d["kind"] == "NetworkPolicy" and d["metadata"]["name"] != FULLNAME]
    egress = next(d for d in policies if d["spec"].get("egress") and d["metadata"]["namespace"] == "monitoring")
    assert egress["spec"]["egress"][0]["to"][0]["namespaceSelector"] == {
        "matchLabels": {"kubernetes.io/metadata.name": "ml"}
    }
    ingress = next(d for d in policies if d["spec"].get("ingress"))
    assert ingress["metadata"]["namespace"] == "ml"


def test_users_objects_keep_cdk8s_names(consumer: Consumer, tmp_path: Path) -> None:
    docs = documents(synthesize(consumer, "users-objects", tmp_path))
    names = [d["metadata"]["name"] for d in docs if d["kind"] == "NetworkPolicy"]
    assert len(names) == len(set(names)) == 2 and FULLNAME in names


def test_jobset_role_handle_from_an_outside_app(consumer: Consumer, tmp_path: Path) -> None:
    docs = documents(synthesize(consumer, "jobset-handle", tmp_path))
    jobs = {
        r["name"]: r["template"]["spec"]["template"]["spec"] for r in find(docs, "JobSet")["spec"]["replicatedJobs"]
    }
    assert jobs["worker"]["nodeSelector"] == {"gpu": "true"}
    assert "nodeSelector" not in jobs["server"] and "nodeSelector" not in jobs["scheduler"]


# --- dependency resolution next to an app's own pins -------------------------------------


def test_wheel_installs_next_to_cdk8s_plus_27_2_9_4(dists: Dists, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    run([sys.executable, "-m", "venv", "--without-pip", venv], cwd=tmp_path)
    report = tmp_path / "report.json"
    run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            venv / "bin" / "python",
            "install",
            "--quiet",
            "--dry-run",
            "--report",
            report,
            dists.wheel,
            "cdk8s-plus-27==2.9.4",
        ],
        cwd=tmp_path,
    )
    chosen = {
        item["metadata"]["name"].lower(): item["metadata"]["version"]
        for item in json.loads(report.read_text())["install"]
    }
    assert chosen["cdk8s-plus-27"] == "2.9.4"
    assert "mxnet-construct" in chosen and "cdk8s" in chosen
