"""The project's foundation: dist/ is fresh, every document is schema-valid, the validator bites."""

from __future__ import annotations

import copy
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from app import DISTRIBUTED_TRAINING_EXAMPLE
from tests.helpers import ROOT, validate_document, validate_documents


def synth_app(tmp_path: Path) -> dict[str, str]:
    env = {**os.environ, "CDK8S_OUTDIR": str(tmp_path)}
    subprocess.run([sys.executable, "app.py"], cwd=ROOT, env=env, check=True, capture_output=True)
    return {p.name: p.read_text() for p in sorted(tmp_path.glob("*.yaml"))}


@pytest.fixture(scope="module")
def app_output(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    return synth_app(tmp_path_factory.mktemp("app"))


def test_dist_equals_what_app_py_synthesizes(app_output: dict[str, str]) -> None:
    committed = {p.name: p.read_text() for p in sorted((ROOT / "dist").glob("*.yaml"))}
    assert app_output, "app.py synthesized nothing"
    assert committed == app_output, "dist/ is stale: run `make synth` and commit dist/"


def test_app_output_is_schema_valid(app_output: dict[str, str]) -> None:
    docs = [d for text in app_output.values() for d in yaml.safe_load_all(text)]
    assert {d["kind"] for d in docs} >= {"Deployment", "Service", "StatefulSet"}
    validate_documents(docs)


def test_app_is_the_readme_distributed_training_example(app_output: dict[str, str]) -> None:
    docs = [d for text in app_output.values() for d in yaml.safe_load_all(text)]
    worker = next(d for d in docs if d["kind"] == "StatefulSet" and d["metadata"]["name"].endswith("-worker"))
    main = worker["spec"]["template"]["spec"]["containers"][0]
    # After the wrapper that exports WORKER_RANK (sh -c SCRIPT worker ...), the entrypoint as given.
    assert main["command"][:2] == ["sh", "-c"] and main["command"][3] == "worker"
    assert main["command"][4:] == [
        "python3",
        DISTRIBUTED_TRAINING_EXAMPLE["entrypoint"].file,
        *DISTRIBUTED_TRAINING_EXAMPLE["entrypoint"].args,
    ]
    assert main["workingDir"] == "/app/example/gluon/"
    clone = worker["spec"]["template"]["spec"]["initContainers"][0]
    assert clone["name"] == "git-clone-repository"
    assert "https://github.com/apache/incubator-mxnet.git" in clone["command"]


def _deployment() -> dict[str, object]:
    text = (ROOT / "dist" / "mxnet-example.k8s.yaml").read_text()
    return next(d for d in yaml.safe_load_all(text) if d["kind"] == "Deployment")


def test_validator_accepts_the_committed_deployment() -> None:
    validate_document(_deployment())


def test_validator_rejects_an_unknown_field() -> None:
    doc = copy.deepcopy(_deployment())
    doc["spec"]["template"]["spec"]["containers"][0]["imagePullPolicyy"] = "Always"  # type: ignore[index]
    with pytest.raises(Exception, match="imagePullPolicyy"):
        validate_document(doc)


def test_validator_rejects_a_wrong_type() -> None:
    doc = copy.deepcopy(_deployment())
    doc["spec"]["replicas"] = "three"  # type: ignore[index]
    with pytest.raises(Exception, match="three"):
        validate_document(doc)


def test_validator_rejects_crd_objects_with_unknown_fields() -> None:
    podgroup = {
        "apiVersion": "scheduling.volcano.sh/v1beta1",
        "kind": "PodGroup",
        "metadata": {"name": "x"},
        "spec": {"minMember": 3},
    }
    validate_document(podgroup)
    podgroup["spec"]["minMembers"] = 3  # type: ignore[index]
    with pytest.raises(Exception, match="minMembers"):
        validate_document(podgroup)


def test_synth_output_has_no_node_banner(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION"}
    result = subprocess.run(
        ["make", "-s", "--no-print-directory", "synth", f"OUT={tmp_path}"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert "end-of-life" not in (result.stdout + result.stderr).lower()
    assert "node" not in result.stderr.lower(), result.stderr
