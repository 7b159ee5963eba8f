"""Every example is a cdk8s project of its own, run as a user runs it, with schema-valid output.

The apps run in a throwaway git clone of ``examples/`` laid out like the repository (with
``.venv`` and ``node_modules`` linked in): ``python examples/NAME/app.py`` from the root,
then ``make examples`` (``cdk8s synth`` in each folder). Each must write its own folder's
``dist/`` only: the clone's ``git status`` stays clean and no root ``dist/`` appears. A
broken import, a rejected option or an invalid object fails here rather than in a reader's
terminal.
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
CDK8S = ROOT / "node_modules" / ".bin" / "cdk8s"
# Settings an example reads; a developer's shell must not change what the test synthesizes.
UNSET = ("CDK8S_OUTDIR", "MXNET_SERVERS", "MXNET_WORKERS", "MXNET_LIFECYCLE", "MXNET_TRAIN_ARGS")


def user_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in UNSET}
    env["CDK8S_CHECK_UPGRADE"] = "false"
    return env


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=True).stdout


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A git clone of the examples, the Makefile and .gitignore, with the venv and Node linked."""
    clone = tmp_path_factory.mktemp("clone")
    # Tracked files and new ones not yet committed: the working tree as a clone would see it.
    files = git(
        ROOT, "ls-files", "--cached", "--others", "--exclude-standard", "examples", "Makefile", ".gitignore"
    ).split()
    for name in (f for f in files if (ROOT / f).is_file()):
        (clone / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, clone / name)
    for link in (".venv", "node_modules"):
        (clone / link).symlink_to(ROOT / link)
    git(clone, "init", "-q")
    git(clone, "add", "-A")
    git(clone, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "clone")
    return clone


def run_app(name: str, clone: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, f"examples/{name}/app.py"],
        cwd=clone,
        env=user_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )


def dist_of(name: str, clone: Path) -> Path:
    return clone / "examples" / name / "dist"


@functools.cache
def in_clone(name: str, clone: str) -> dict[str, list[dict[str, Any]]]:
    """``python examples/NAME/app.py`` run from the clone's root: what it wrote to its own dist/."""
    proc = run_app(name, Path(clone))
    assert proc.returncode == 0, f"examples/{name}/app.py failed:\n{proc.stderr}"
    assert proc.stderr == "", f"examples/{name}/app.py printed noise:\n{proc.stderr}"
    files = sorted(dist_of(name, Path(clone)).glob("*.k8s.yaml"))
    assert files, f"examples/{name}/app.py wrote no manifests into its own dist/"
    return {f.name: [d for d in yaml.safe_load_all(f.read_text()) if d] for f in files}


@functools.cache
def synthesized(name: str, outdir: str) -> dict[str, list[dict[str, Any]]]:
    """The example's documents by file, synthesized into ``outdir`` (for other test modules)."""
    env = {**user_env(), "CDK8S_OUTDIR": outdir}
    proc = subprocess.run(
        [sys.executable, str(EXAMPLES / name / "app.py")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, f"examples/{name}/app.py failed:\n{proc.stderr}"
    files = sorted(Path(outdir).glob("*.k8s.yaml"))
    assert files, f"examples/{name}/app.py wrote no manifests"
    return {f.name: [d for d in yaml.safe_load_all(f.read_text()) if d] for f in files}


def docs_of(name: str, out: Path) -> list[dict[str, Any]]:
    return [d for docs in in_clone(name, str(out)).values() for d in docs]


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
    files = in_clone("gitops_multi", str(out))
    assert sorted(files) == ["kvstore-smoke.k8s.yaml", "mxnet-sandbox.k8s.yaml", "vision.k8s.yaml"]
    namespaces = {name: {d["metadata"]["namespace"] for d in docs} for name, docs in files.items()}
    assert namespaces == {
        "kvstore-smoke.k8s.yaml": {"team-b"},
        "mxnet-sandbox.k8s.yaml": {"ml-shared"},
        "vision.k8s.yaml": {"team-a"},
    }
    kustomization = yaml.safe_load((dist_of("gitops_multi", out) / "kustomization.yaml").read_text())
    assert kustomization["resources"] == sorted(files)


def test_gitops_multi_committed_dist_is_up_to_date(out: Path) -> None:
    in_clone("gitops_multi", str(out))
    fresh = {p.name: p.read_text() for p in dist_of("gitops_multi", out).iterdir()}
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
    in_clone("gitops_multi", str(out))
    shutil.copytree(dist_of("gitops_multi", out), tmp_path / "dist")
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


def test_running_every_example_both_ways_leaves_the_clone_clean(out: Path) -> None:
    # 1. `python examples/NAME/app.py` from the root, as the README says.
    by_python = {}
    for name in APPS:
        in_clone(name, str(out))
        by_python[name] = {p.name: p.read_bytes() for p in dist_of(name, out).iterdir()}
    # 2. `make examples`: `cdk8s synth` inside each folder, which empties dist/ first.
    proc = subprocess.run(
        ["make", "-o", "setup", "examples"], cwd=out, env=user_env(), capture_output=True, text=True, timeout=600
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "end-of-life" not in proc.stdout + proc.stderr
    for name in APPS:
        assert (out / "examples" / name / "cdk8s.yaml").is_file(), f"examples/{name} is not a cdk8s project"
        by_make = {p.name: p.read_bytes() for p in dist_of(name, out).iterdir()}
        assert by_make == by_python[name], f"examples/{name}: cdk8s synth and python app.py disagree"
    assert not (out / "dist").exists(), "an example wrote into the root dist/"
    assert git(out, "status", "--porcelain") == "", "running the examples dirtied the tree"


def cdk8s_projects() -> list[Path]:
    return [ROOT / "cdk8s.yaml", *sorted(EXAMPLES.glob("*/cdk8s.yaml"))]


@pytest.mark.parametrize("config", cdk8s_projects(), ids=lambda p: str(p.relative_to(ROOT)))
def test_a_refused_stdout_synth_keeps_dist(config: Path, tmp_path: Path) -> None:
    # With `output:` in cdk8s.yaml the CLI deleted dist/ even for --stdout, then refused helm.
    assert "output" not in yaml.safe_load(config.read_text()), f"{config}: an output key makes --stdout delete dist/"
    shutil.copy(config, tmp_path / "cdk8s.yaml")
    (tmp_path / "dist").mkdir()
    (tmp_path / "dist" / "committed.k8s.yaml").write_text("kind: ConfigMap\n")
    proc = subprocess.run(
        [str(CDK8S), "synth", "--format", "helm", "--chart-version", "0.1.0", "--stdout"],
        cwd=tmp_path,
        env=user_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode != 0
    assert "does not support 'stdout'" in proc.stderr
    assert (tmp_path / "dist" / "committed.k8s.yaml").read_text() == "kind: ConfigMap\n"


def test_other_refused_synths_still_delete_the_output_dir_as_the_docs_say(tmp_path: Path) -> None:
    # cdk8s-cli 2.207.60 removes the output directory before it validates these options;
    # docs/helm-format.md says so. If a new CLI stops doing it, update the docs.
    shutil.copy(ROOT / "cdk8s.yaml", tmp_path / "cdk8s.yaml")
    (tmp_path / "dist").mkdir()
    proc = subprocess.run(
        [str(CDK8S), "synth", "--format", "helm"], cwd=tmp_path, env=user_env(), capture_output=True, text=True
    )
    assert proc.returncode != 0 and "--chart-version" in proc.stderr
    assert not (tmp_path / "dist").exists()
    assert "deletes `dist/` before it checks the options" in (ROOT / "docs" / "helm-format.md").read_text()
