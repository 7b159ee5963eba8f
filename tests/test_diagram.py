"""``mxnet-construct diagram``: the picture is read from the YAML, so it shows what will run."""

from __future__ import annotations

import html
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from mxnet_construct import Entrypoint, LocalFiles, Persistence, RoleOptions, diagram
from mxnet_construct.cli import main
from tests.helpers import ROOT, make_chart, synth_yaml


def distributed_yaml(**kwargs: Any) -> str:
    return synth_yaml(make_chart(release="demo", mode="distributed", **kwargs))


def mermaid_of(text: str) -> str:
    return diagram.to_mermaid(diagram.build(diagram.parse_documents(text)))


def write(tmp_path: Path, text: str, name: str = "release.k8s.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def edit_docs(text: str, edit: Any) -> str:
    docs = list(yaml.safe_load_all(text))
    for doc in docs:
        edit(doc)
    return yaml.safe_dump_all(docs)


def worker_container(doc: dict[str, Any]) -> dict[str, Any]:
    container: dict[str, Any] = doc["spec"]["template"]["spec"]["containers"][0]
    return container


def test_mermaid_names_every_workload_service_and_the_scheduler_port() -> None:
    text = mermaid_of(distributed_yaml(server_count=2, worker_count=3, scheduler_port=9091))
    assert text.startswith("flowchart")
    for title in (
        "Deployment demo-mxnet-scheduler<br/>scheduler: 1 pod",
        "StatefulSet demo-mxnet-server<br/>server: 2 pods",
        "StatefulSet demo-mxnet-worker<br/>worker: 3 pods",
        "Service demo-mxnet-scheduler",
        "Service demo-mxnet-headless",
        "NetworkPolicy demo-mxnet",
        "PodDisruptionBudget demo-mxnet",
    ):
        assert title in text
    dials = [line for line in text.splitlines() if "DMLC_PS_ROOT_URI demo-mxnet-scheduler:9091" in line]
    # servers and workers dial the scheduler Service, which forwards to the scheduler pod
    assert len(dials) == 2
    assert all(line.rstrip().endswith("Service_demo_mxnet_scheduler") for line in dials)
    assert '-->|"9091 → 9091"| Deployment_demo_mxnet_scheduler' in text
    assert 'StatefulSet_demo_mxnet_worker <==>|"push / pull (pod IPs)"| StatefulSet_demo_mxnet_server' in text
    assert "⚠" not in text


def test_the_committed_dist_draws_without_warnings() -> None:
    topo = diagram.build(diagram.load_documents(ROOT / "dist" / "mxnet-example.k8s.yaml"))
    assert topo.warnings == []
    roles = sorted(n.detail[0] for g in topo.groups for n in g.nodes if n.kind == "workload")
    assert roles == ["scheduler: 1 pod", "server: 1 pod", "worker: 1 pod"]


def test_a_hand_edited_replica_count_is_drawn_with_the_hang_it_causes() -> None:
    def scale_workers(doc: dict[str, Any]) -> None:
        if doc["kind"] == "StatefulSet" and doc["metadata"]["name"] == "demo-mxnet-worker":
            doc["spec"]["replicas"] = 5

    text = mermaid_of(edit_docs(distributed_yaml(worker_count=2), scale_workers))
    assert "worker: 5 pods" in text
    assert "worker: 2 pods" not in text
    assert "DMLC_NUM_WORKER=2 but the file runs 5 worker pods" in text
    assert "class " in text and "warning" in text


def test_a_hand_edited_port_and_address_are_what_the_picture_shows() -> None:
    def rewire(doc: dict[str, Any]) -> None:
        if doc["kind"] != "StatefulSet":
            return
        for env in worker_container(doc)["env"]:
            if env["name"] == "DMLC_PS_ROOT_PORT" and doc["metadata"]["name"] == "demo-mxnet-server":
                env["value"] = "1234"
            if env["name"] == "DMLC_PS_ROOT_URI" and doc["metadata"]["name"] == "demo-mxnet-worker":
                env["value"] = "elsewhere"

    topo = diagram.build(diagram.parse_documents(edit_docs(distributed_yaml(), rewire)))
    assert "demo-mxnet-server dials port 1234, but Service demo-mxnet-scheduler exposes 49875" in topo.warnings
    assert "demo-mxnet-worker: DMLC_PS_ROOT_URI=elsewhere names nothing in this file" in topo.warnings
    labels = {e.label for e in topo.edges if e.kind == "dial"}
    assert labels == {"DMLC_PS_ROOT_URI demo-mxnet-scheduler:1234"}


def test_a_service_that_targets_an_undeclared_port_is_flagged() -> None:
    def retarget(doc: dict[str, Any]) -> None:
        if doc["kind"] == "Service" and doc["metadata"]["name"] == "demo-mxnet-scheduler":
            doc["spec"]["ports"][0]["targetPort"] = 7777

    topo = diagram.build(diagram.parse_documents(edit_docs(distributed_yaml(), retarget)))
    assert topo.warnings == [
        "Service demo-mxnet-scheduler targets port 7777, which demo-mxnet-scheduler does not declare"
    ]


def test_config_maps_claims_and_claim_templates_are_drawn_as_mounts() -> None:
    text = mermaid_of(
        distributed_yaml(code=LocalFiles(files={"train.py": "print(1)"}), persistence=Persistence(enabled=True))
    )
    assert "ConfigMap demo-mxnet-files<br/>train.py" in text
    assert "PersistentVolumeClaim demo-mxnet-scheduler<br/>8Gi" in text
    assert "PVC data-demo-mxnet-worker-N" in text and "PVC data-demo-mxnet-server-N" in text
    mounts = [line for line in text.splitlines() if '"mounts /app"' in line]
    assert len(mounts) == 3
    assert (
        'Deployment_demo_mxnet_scheduler -.->|"mounts /bitnami/mxnet"| PersistentVolumeClaim_demo_mxnet_scheduler'
        in text
    )


def test_gpus_show_on_the_role_that_has_them() -> None:
    topo = diagram.build(diagram.parse_documents(distributed_yaml(worker=RoleOptions(gpus=2))))
    details = {n.title: n.detail for g in topo.groups for n in g.nodes}
    assert details["StatefulSet demo-mxnet-worker"] == ["worker: 1 pod", "2 GPU per pod"]
    assert details["StatefulSet demo-mxnet-server"] == ["server: 1 pod"]


def test_releases_are_grouped_by_instance_and_namespace() -> None:
    a = synth_yaml(make_chart(release="alpha", mode="distributed", namespace="team-a"))
    b = synth_yaml(make_chart(release="mxnet-solo", namespace="team-b"))
    topo = diagram.build(diagram.parse_documents(a + "---\n" + b))
    assert [g.title for g in topo.groups] == [
        "release alpha (namespace team-a)",
        "release mxnet-solo (namespace team-b)",
    ]
    assert [n.title for n in topo.groups[1].nodes if n.kind == "workload"] == ["Deployment mxnet-solo"]
    assert not any("alpha" in n.title for n in topo.groups[1].nodes)
    assert topo.warnings == []


def test_jobset_replicas_multiply_replicated_jobs_by_parallelism() -> None:
    def job(role: str, replicas: int, parallelism: int) -> dict[str, Any]:
        env = [
            {"name": "DMLC_ROLE", "value": role},
            {"name": "DMLC_PS_ROOT_URI", "value": "js-scheduler-0-0.js"},
            {"name": "DMLC_PS_ROOT_PORT", "value": "9000"},
            {"name": "DMLC_NUM_WORKER", "value": "4"},
        ]
        pod = {"metadata": {"labels": {}}, "spec": {"containers": [{"name": "mxnet", "image": "x", "env": env}]}}
        # The JobSet webhook makes replicated jobs Indexed, which needs completions.
        job_spec = {"parallelism": parallelism, "completions": parallelism, "template": pod}
        return {"name": role, "replicas": replicas, "template": {"spec": job_spec}}

    doc = {
        "apiVersion": "jobset.x-k8s.io/v1alpha2",
        "kind": "JobSet",
        "metadata": {"name": "js", "labels": {"app.kubernetes.io/instance": "js"}},
        "spec": {"replicatedJobs": [job("scheduler", 1, 1), job("worker", 2, 2)]},
    }
    topo = diagram.build([doc])
    titles = {n.title: n.detail for n in topo.groups[0].nodes}
    assert titles["JobSet js/worker"] == ["worker: 4 pods"]
    # the worker dials the scheduler pod by its pod DNS name, which the picture resolves
    assert [(e.src, e.dst) for e in topo.edges if e.kind == "dial"] == [("JobSet_js_worker", "JobSet_js_scheduler")]
    assert topo.warnings == []


def test_cli_writes_mermaid_to_stdout_and_exits_nonzero_only_with_strict(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = write(tmp_path, distributed_yaml())
    assert main(["diagram", str(good)]) == 0
    assert "Deployment demo-mxnet-scheduler" in capsys.readouterr().out

    bad = write(
        tmp_path,
        edit_docs(distributed_yaml(), lambda d: d["spec"].update(replicas=3) if d["kind"] == "StatefulSet" else None),
        "bad.yaml",
    )
    assert main(["diagram", str(bad)]) == 0
    assert "warning: demo-mxnet-scheduler: DMLC_NUM_SERVER=1 but the file runs 3 server pods" in capsys.readouterr().err
    assert main(["diagram", str(bad), "--strict"]) == 1


@pytest.mark.parametrize(("suffix", "magic"), [(".svg", b"<svg"), (".png", b"\x89PNG"), (".dot", b"digraph topology")])
def test_cli_draws_images_through_graphviz(tmp_path: Path, suffix: str, magic: bytes) -> None:
    out = tmp_path / f"topology{suffix}"
    assert main(["diagram", str(write(tmp_path, distributed_yaml())), "-o", str(out)]) == 0
    data = out.read_bytes()
    assert magic in data[:400]
    if suffix != ".png":
        text = html.unescape(data.decode())  # Graphviz writes '-' as &#45; in SVG
        assert "StatefulSet demo-mxnet-worker" in text and "Service demo-mxnet-scheduler" in text


def test_cli_reads_stdin() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "mxnet_construct", "diagram", "-"],
        input=distributed_yaml(),
        capture_output=True,
        text=True,
        check=True,
    )
    assert "StatefulSet demo-mxnet-worker" in proc.stdout


def test_svg_without_graphviz_is_a_one_line_error(tmp_path: Path) -> None:
    env = {**os.environ, "PATH": str(tmp_path)}  # no `dot` on PATH
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "mxnet_construct",
            "diagram",
            str(ROOT / "dist" / "mxnet-example.k8s.yaml"),
            "--format",
            "svg",
        ],
        capture_output=True,
        text=True,
        env=env,
    )
    assert proc.returncode == 2
    assert "apt-get install graphviz" in proc.stderr and "Traceback" not in proc.stderr


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("kind: [", "is not valid YAML"),
        ("- just\n- a list\n", "document 1 is not a Kubernetes object"),
        ("", "holds no Kubernetes objects"),
    ],
)
def test_bad_input_is_a_one_line_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, message: str
) -> None:
    assert main(["diagram", str(write(tmp_path, content))]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_a_missing_file_is_a_one_line_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["diagram", str(tmp_path / "nope.yaml")]) == 2
    assert "cannot read" in capsys.readouterr().err


@pytest.mark.parametrize("lifecycle", ["job", "jobset"])
def test_batch_lifecycles_draw_with_their_pod_counts(lifecycle: str) -> None:
    topo = diagram.build(
        diagram.parse_documents(
            distributed_yaml(
                lifecycle=lifecycle, entrypoint=Entrypoint(file="train.py"), server_count=2, worker_count=3
            )
        )
    )
    assert topo.warnings == []
    details = {n.title: n.detail for g in topo.groups for n in g.nodes if n.kind == "workload"}
    sep = "/" if lifecycle == "jobset" else "-"
    kind = "JobSet demo-mxnet" if lifecycle == "jobset" else "Job demo-mxnet"
    assert details == {
        f"{kind}{sep}scheduler": ["scheduler: 1 pod"],
        f"{kind}{sep}server": ["server: 2 pods"],
        f"{kind}{sep}worker": ["worker: 3 pods"],
    }
    assert len([e for e in topo.edges if e.kind == "dial"]) == 2


def test_daemonsets_and_replicasets_are_drawn_from_the_shared_model() -> None:
    def workload(kind: str, replicas: int) -> dict[str, Any]:
        pod = {"metadata": {"labels": {"app": kind}}, "spec": {"containers": [{"name": "mxnet", "image": "x"}]}}
        spec = {"replicas": replicas, "selector": {"matchLabels": {"app": kind}}, "template": pod}
        return {"apiVersion": "apps/v1", "kind": kind, "metadata": {"name": kind.lower()}, "spec": spec}

    topo = diagram.build([workload("DaemonSet", 5), workload("ReplicaSet", 2)])
    details = {n.title: n.detail for g in topo.groups for n in g.nodes}
    # A DaemonSet runs one pod per node; the picture assumes one node, as run-local does.
    assert details == {"DaemonSet daemonset": ["pod: 1 pod"], "ReplicaSet replicaset": ["pod: 2 pods"]}


def test_a_replica_count_that_is_not_a_number_is_a_one_line_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = edit_docs(
        distributed_yaml(), lambda d: d["spec"].update(replicas="two") if d["kind"] == "StatefulSet" else None
    )
    assert main(["diagram", str(write(tmp_path, text))]) == 2
    err = capsys.readouterr().err
    assert "StatefulSet/demo-mxnet-server spec.replicas: 'two' is not a count" in err and err.count("\n") == 1


def test_an_alias_in_the_file_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = "kind: ConfigMap\nmetadata: &m {name: a}\ndata: *m\n"
    assert main(["diagram", str(write(tmp_path, text))]) == 2
    assert "YAML aliases (*name) are not allowed" in capsys.readouterr().err


@pytest.mark.parametrize("suffix", [".png", ".svg"])
def test_images_without_the_diagram_extra_are_a_one_line_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, suffix: str
) -> None:
    # None in sys.modules makes `import graphviz` raise ModuleNotFoundError, as when the
    # extra is not installed.
    monkeypatch.setitem(sys.modules, "graphviz", None)
    out = tmp_path / f"x{suffix}"
    assert main(["diagram", str(ROOT / "dist" / "mxnet-example.k8s.yaml"), "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert err == (
        "mxnet-construct diagram: error: this needs the 'graphviz' package; "
        'install the extra: pip install "mxnet-construct[diagram]"\n'
    )
    assert not out.exists()


def test_mermaid_needs_no_extra(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "graphviz", None)
    assert main(["diagram", str(ROOT / "dist" / "mxnet-example.k8s.yaml")]) == 0
    assert capsys.readouterr().out.startswith("flowchart")
