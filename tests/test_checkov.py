"""checkov finds nothing: zero failed checks on the default app and on an app with every
feature on, and every suppression the library writes carries a reason.

checkov runs from its own venv (``make checkov-venv``), because its pins clash with the dev
extra. Without that venv these tests fail and say how to create it.
"""

from __future__ import annotations

import json
import subprocess
from collections import Counter
from pathlib import Path
from typing import Any

import cdk8s
import pytest
import yaml

from app import DISTRIBUTED_TRAINING_EXAMPLE
from mxnet_construct import (
    Entrypoint,
    EnvVar,
    GitRepository,
    Image,
    MXNetChart,
    Persistence,
    Probe,
    Resources,
    RoleOptions,
    SecurityContext,
    VolumePermissions,
)
from tests.helpers import ROOT, synth_yaml

CHECKOV = ROOT / ".checkov-venv" / "bin" / "checkov"
SIZED = {"requests": {"cpu": "50m", "memory": "64Mi"}, "limits": {"cpu": "100m", "memory": "128Mi"}}
DIGEST = "sha256:" + "ab" * 32
# Suppressions never cover a user's container, so the test's own containers pass on merit.
USER_HARDENED = {"readOnlyRootFilesystem": True, "runAsUser": 10001}


def everything(app: cdk8s.App, release: str, **overrides: Any) -> MXNetChart:
    """Every feature on: persistence, git, secrets, sidecars, GPUs, per-role env, NodePort..."""
    kwargs: dict[str, Any] = {
        "mode": "distributed",
        "server_count": 2,
        "worker_count": 3,
        "code": GitRepository(repository="https://github.com/apache/incubator-mxnet.git", revision="v1.9.x"),
        "entrypoint": Entrypoint(file="train.py", args=["--epochs", "1"]),
        "existing_secret": "train-credentials",
        "extra_env": [
            EnvVar.from_secret("AWS_SECRET_ACCESS_KEY", "s3", "secret-key"),
            EnvVar(name="OMP_NUM_THREADS", value="4"),
        ],
        "persistence": Persistence(enabled=True, size="20Gi"),
        "volume_permissions": VolumePermissions(enabled=True),
        "resources": Resources(requests={"cpu": "1", "memory": "2Gi"}, limits={"cpu": "2", "memory": "4Gi"}),
        "worker": RoleOptions(gpus=1, extra_env=[EnvVar.from_secret("HF_TOKEN", "hf", "token")]),
        # User containers are the user's to harden: these are sized and probed, as checkov asks.
        "sidecars": [
            {
                "name": "metrics",
                "image": f"docker.io/prom/statsd-exporter:v0.26.0@{DIGEST}",
                "securityContext": USER_HARDENED,
                "ports": [{"containerPort": 9102}],
                "resources": SIZED,
                "livenessProbe": {"tcpSocket": {"port": 9102}},
                "readinessProbe": {"tcpSocket": {"port": 9102}},
            }
        ],
        "init_containers": [
            {
                "name": "wait",
                "image": f"docker.io/library/busybox:1.36@{DIGEST}",
                "command": ["true"],
                "resources": SIZED,
                "securityContext": USER_HARDENED,
            }
        ],
        "image": Image(pull_secrets=["regcred"]),
        "service_type": "NodePort",
        "publish_not_ready_addresses": True,
        "ps_verbose": 1,
        "dmlc_interface": "eth0",
        "node_selector": {"pool": "train"},
        "tolerations": [{"key": "gpu", "operator": "Exists", "effect": "NoSchedule"}],
    }
    kwargs.update(overrides)
    return MXNetChart(app, release, checkov_skips=True, **kwargs)


def hardened(app: cdk8s.App) -> MXNetChart:
    """Every check-tripping default changed: no suppression may remain."""
    return MXNetChart(
        app,
        "hardened",
        checkov_skips=True,
        namespace="training",
        mode="distributed",
        code=GitRepository(repository="https://github.com/apache/incubator-mxnet.git"),
        image=Image(digest=DIGEST),
        git_image=Image(repository="bitnami/git", digest=DIGEST),
        resources=Resources(requests={"cpu": "1", "memory": "2Gi"}, limits={"cpu": "2", "memory": "4Gi"}),
        security_context=SecurityContext(run_as_user=10001, fs_group=10001, read_only_root_filesystem=True),
    )


def readme_example(app: cdk8s.App) -> MXNetChart:
    """The default app's release (app.py), with the suppressions asked for."""
    return MXNetChart(app, "mxnet-example", checkov_skips=True, **DISTRIBUTED_TRAINING_EXAMPLE)


@pytest.fixture(scope="module")
def scanned(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    if not CHECKOV.exists():
        pytest.fail(f"checkov is not installed at {CHECKOV}: run `make checkov-venv` first", pytrace=False)
    out = tmp_path_factory.mktemp("checkov")
    charts = {
        "mxnet-example": readme_example,
        "everything": lambda app: everything(app, "everything"),
        "everything-job": lambda app: everything(app, "everything-job", lifecycle="job", gang_scheduler="volcano"),
        "everything-jobset": lambda app: everything(app, "everything-jobset", lifecycle="jobset"),
        "standalone": lambda app: MXNetChart(app, "standalone", checkov_skips=True),
        "hardened": hardened,
        "probes-off": lambda app: MXNetChart(
            app,
            "probes-off",
            checkov_skips=True,
            mode="distributed",
            liveness_probe=Probe(enabled=False),
            readiness_probe=Probe(enabled=False),
        ),
    }
    for name, build in charts.items():
        (out / f"{name}.k8s.yaml").write_text(synth_yaml(build(cdk8s.Testing.app())))
    result = subprocess.run(
        [str(CHECKOV), "--framework", "kubernetes", "--skip-download", "-o", "json", "-d", str(out)],
        capture_output=True,
        text=True,
    )
    # checkov exits 1 when a check fails; anything else that is not 0 is a crash.
    assert result.returncode in (0, 1), result.stderr[-2000:]
    report = json.loads(result.stdout)
    reports = report if isinstance(report, list) else [report]
    checks: dict[str, list[dict[str, Any]]] = {"passed": [], "failed": [], "skipped": []}
    for part in reports:
        for state in checks:
            checks[state] += part["results"][f"{state}_checks"]
    files = sorted(p.name for p in out.glob("*.yaml"))
    return {"checks": checks, "files": files, "dir": out}


def by_file(results: list[dict[str, Any]]) -> Counter[str]:
    return Counter(Path(r["file_path"]).name for r in results)


def test_checkov_scanned_every_app(scanned: dict[str, Any]) -> None:
    assert "mxnet-example.k8s.yaml" in scanned["files"]
    passed = by_file(scanned["checks"]["passed"])
    for name in scanned["files"]:
        assert passed[name] > 0, f"checkov ran no check on {name}"


def test_checkov_finds_nothing(scanned: dict[str, Any]) -> None:
    failed = [
        f"{Path(r['file_path']).name}: {r['check_id']} {r['check_name']} ({r['resource']})"
        for r in scanned["checks"]["failed"]
    ]
    assert failed == [], "checkov failed checks:\n" + "\n".join(failed)


def test_every_suppression_has_a_reason(scanned: dict[str, Any]) -> None:
    skipped = scanned["checks"]["skipped"]
    assert skipped, "the default app trips checks by design; none were suppressed"
    for result in skipped:
        reason = result.get("check_result", {}).get("suppress_comment", "")
        assert reason and reason != "No comment provided", result["check_id"]


def test_changing_the_defaults_removes_every_suppression(scanned: dict[str, Any]) -> None:
    skipped = by_file(scanned["checks"]["skipped"])
    assert skipped["hardened.k8s.yaml"] == 0
    assert skipped["mxnet-example.k8s.yaml"] > 0


def test_suppressions_are_written_only_where_they_apply(scanned: dict[str, Any]) -> None:
    ids = {(Path(r["file_path"]).name, r["check_id"]) for r in scanned["checks"]["skipped"]}
    # Volume permissions (added capabilities) and secret env only where they are used.
    assert ("everything.k8s.yaml", "CKV_K8S_25") in ids
    assert ("mxnet-example.k8s.yaml", "CKV_K8S_25") not in ids
    assert ("everything.k8s.yaml", "CKV_K8S_35") in ids
    assert ("mxnet-example.k8s.yaml", "CKV_K8S_35") not in ids
    # Sized pods need no resource suppression; unsized ones do.
    assert ("everything.k8s.yaml", "CKV_K8S_10") not in ids
    assert ("mxnet-example.k8s.yaml", "CKV_K8S_10") in ids
    # Probes are suppressed only when switched off.
    assert ("probes-off.k8s.yaml", "CKV_K8S_8") in ids
    assert ("mxnet-example.k8s.yaml", "CKV_K8S_8") not in ids


def test_without_opting_in_nothing_is_suppressed(scanned: dict[str, Any]) -> None:
    # dist/ is what app.py writes, without asking for suppressions: checkov reports the
    # chart's deliberate defaults there, and nothing hides them.
    for doc in yaml.safe_load_all((ROOT / "dist" / "mxnet-example.k8s.yaml").read_text()):
        assert not any(key.startswith("checkov.io/") for key in doc["metadata"].get("annotations", {}))


def test_suppression_annotations_parse_as_checkov_expects(scanned: dict[str, Any]) -> None:
    for path in sorted(Path(scanned["dir"]).glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            for key, value in doc["metadata"].get("annotations", {}).items():
                if key.startswith("checkov.io/skip"):
                    # checkov splits the value on "=": exactly one, between id and reason.
                    check, reason = value.split("=")
                    assert check.startswith("CKV_K8S_") and reason.strip(), value
