"""Every ``examples/*/app.py`` synthesizes in a fresh process, and every object is schema-valid.

Each app runs exactly as a user runs it (``python examples/NAME/app.py`` with
``CDK8S_OUTDIR`` set), so a broken import, a rejected option or an invalid object fails
here rather than in a reader's terminal.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from mxnet_construct import diagram
from tests.helpers import ROOT, find, pod_spec, validate_documents

EXAMPLES = ROOT / "examples"
APPS = sorted(p.parent.name for p in EXAMPLES.glob("*/app.py"))
REQUIRED = ("standalone_dev", "gpu_training", "gang_jobset", "gitops_multi")
GITOPS = EXAMPLES / "gitops_multi"


def run_app(name: str, outdir: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CDK8S_OUTDIR": str(outdir), "CDK8S_CHECK_UPGRADE": "false"}
    return subprocess.run(
        [sys.executable, str(EXAMPLES / name / "app.py")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


@functools.cache
def synthesized(name: str, outdir: str) -> dict[str, list[dict[str, Any]]]:
    proc = run_app(name, Path(outdir))
    assert proc.returncode == 0, f"examples/{name}/app.py failed:\n{proc.stderr}"
    files = sorted(Path(outdir).glob("*.k8s.yaml"))
    assert files, f"examples/{name}/app.py wrote no manifests"
    return {f.name: [d for d in yaml.safe_load_all(f.read_text()) if d] for f in files}


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("examples")


def docs_of(name: str, out: Path) -> list[dict[str, Any]]:
    return [d for docs in synthesized(name, str(out / name)).values() for d in docs]


def test_the_promised_examples_exist() -> None:
    assert set(REQUIRED) <= set(APPS)


@pytest.mark.parametrize("name", APPS)
def test_example_synthesizes_to_valid_objects_with_consistent_wiring(name: str, out: Path) -> None:
    docs = docs_of(name, out)
    validate_documents(docs)
    # The diagram reads the YAML: no count mismatch, unreachable scheduler or port mismatch.
    assert diagram.build(docs).warnings == []


def test_standalone_dev_is_one_sleeping_pod_with_a_claim(out: Path) -> None:
    docs = docs_of("standalone_dev", out)
    pod = pod_spec(find(docs, "Deployment", "mxnet-dev"))
    assert pod["containers"][0]["command"] == ["sleep", "infinity"]
    claim = find(docs, "PersistentVolumeClaim", "mxnet-dev")
    assert claim["spec"]["resources"]["requests"]["storage"] == "20Gi"
    assert {v["persistentVolumeClaim"]["claimName"] for v in pod["volumes"] if "persistentVolumeClaim" in v} == {
        "mxnet-dev"
    }


def test_gpu_training_runs_jobs_with_one_gpu_per_worker(out: Path) -> None:
    docs = docs_of("gpu_training", out)
    kinds = {(d["kind"], d["metadata"]["name"]) for d in docs}
    assert ("Job", "cifar-gpu-mxnet-worker") in kinds, sorted(kinds)
    worker = pod_spec(find(docs, "Job", "cifar-gpu-mxnet-worker"))
    assert worker["containers"][0]["resources"]["limits"]["nvidia.com/gpu"] == 1
    assert any(v.get("emptyDir", {}).get("medium") == "Memory" for v in worker["volumes"])
    server = pod_spec(find(docs, "Job", "cifar-gpu-mxnet-server"))
    assert "nvidia.com/gpu" not in server["containers"][0].get("resources", {}).get("limits", {})


def test_gang_jobset_is_one_jobset_with_a_volcano_pod_group(out: Path) -> None:
    docs = docs_of("gang_jobset", out)
    jobset = find(docs, "JobSet")
    assert jobset["spec"]["failurePolicy"]["maxRestarts"] == 3
    group = find(docs, "PodGroup")
    assert group["apiVersion"].startswith("scheduling.volcano.sh/")
    assert group["spec"]["minMember"] == 1 + 2 + 4


def test_gitops_multi_puts_each_release_in_its_namespace(out: Path) -> None:
    files = synthesized("gitops_multi", str(out / "gitops_multi"))
    assert sorted(files) == ["kvstore-smoke.k8s.yaml", "mxnet-sandbox.k8s.yaml", "vision.k8s.yaml"]
    namespaces = {name: {d["metadata"]["namespace"] for d in docs} for name, docs in files.items()}
    assert namespaces == {
        "kvstore-smoke.k8s.yaml": {"team-b"},
        "mxnet-sandbox.k8s.yaml": {"ml-shared"},
        "vision.k8s.yaml": {"team-a"},
    }
    kustomization = yaml.safe_load((out / "gitops_multi" / "kustomization.yaml").read_text())
    assert kustomization["resources"] == sorted(files)


def test_gitops_multi_committed_dist_is_up_to_date(out: Path) -> None:
    synthesized("gitops_multi", str(out / "gitops_multi"))
    fresh = {p.name: p.read_text() for p in (out / "gitops_multi").iterdir()}
    committed = {p.name: p.read_text() for p in (GITOPS / "dist").iterdir()}
    assert committed == fresh, "examples/gitops_multi/dist is stale: run `python examples/gitops_multi/app.py`"


def kustomize(path: Path) -> list[dict[str, Any]]:
    kubectl = shutil.which("kubectl")
    assert kubectl, "kubectl is needed to build the kustomize overlay"
    proc = subprocess.run([kubectl, "kustomize", str(path)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return [d for d in yaml.safe_load_all(proc.stdout) if d]


def test_production_overlay_builds_to_valid_objects(out: Path, tmp_path: Path) -> None:
    # Build over a fresh synthesis laid out like the repository, so the overlay is checked
    # against what app.py writes now; the committed dist/ is checked by the freshness test.
    synthesized("gitops_multi", str(out / "gitops_multi"))
    shutil.copytree(out / "gitops_multi", tmp_path / "dist")
    shutil.copytree(GITOPS / "overlays", tmp_path / "overlays")
    built = kustomize(tmp_path / "overlays" / "production")
    base = docs_of("gitops_multi", out)
    assert sorted((d["kind"], d["metadata"]["name"]) for d in built) == sorted(
        (d["kind"], d["metadata"]["name"]) for d in base
    )
    validate_documents(built)
    assert diagram.build(built).warnings == []
    assert all(d["metadata"]["annotations"]["example.com/environment"] == "production" for d in built)
    images = {
        c["image"]
        for d in built
        if d["kind"] in ("Deployment", "StatefulSet", "Job")
        for c in pod_spec(d)["containers"] + pod_spec(d).get("initContainers", [])
    }
    assert images and all(i.startswith("registry.example.com/mirror/bitnami/") for i in images), images
    workers = [
        d
        for d in built
        if d["kind"] == "StatefulSet" and d["metadata"]["labels"]["app.kubernetes.io/component"] == "worker"
    ]
    assert workers and all(pod_spec(d)["priorityClassName"] == "ml-training" for d in workers)


def test_production_overlay_builds_from_the_committed_dist() -> None:
    built = kustomize(GITOPS / "overlays" / "production")
    validate_documents(built)
    assert {d["metadata"]["namespace"] for d in built} == {"team-a", "team-b", "ml-shared"}
