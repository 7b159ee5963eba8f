"""What the benchmark synthesizes: the releases, and the naive tree-native baseline.

* :func:`build_library`: N distributed releases of ``MXNetChart`` (2 servers and 3 workers
  with default options, or every feature switched on);
* :func:`build_baseline`: the *same documents*, handed to cdk8s the naive tree-native way:
  one ``cdk8s.Chart`` per release, one plain ``cdk8s.ApiObject`` per document (apiVersion,
  kind and metadata as its props), and one ``JsonPatch.add`` per other top-level field
  (``spec``, ``data``, ``automountServiceAccountToken``, ...). Its documents are dumped
  from the library first (:func:`dump_documents`), and :func:`check_baseline` proves that
  it emits exactly what the library emits;
* :func:`probe_features`: which optional features of the everything-enabled release work.

Everything here runs in the measured child processes; the parent never imports cdk8s.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

# The release the budgets are about: distributed, 2 servers + 3 workers, defaults otherwise.
DEFAULT_RELEASE: dict[str, Any] = {"mode": "distributed", "server_count": 2, "worker_count": 3}
# Features that other work may not have landed yet: each is tried on its own and dropped
# (with the reason printed) if constructing or synthesizing a release with it fails.
OPTIONAL_FEATURES: dict[str, dict[str, Any]] = {
    "lifecycle=jobset": {"lifecycle": "jobset"},
    "gang_scheduler=volcano": {"gang_scheduler": "volcano"},
}
# Object kinds that show an optional feature is rendered, not only accepted.
FEATURE_KINDS = {"lifecycle=jobset": "JobSet", "gang_scheduler=volcano": "PodGroup"}
# The metadata fields cdk8s.ApiObjectMetadata takes, by their YAML names.
_METADATA_FIELDS = {"name": "name", "namespace": "namespace", "labels": "labels", "annotations": "annotations"}


def everything_kwargs(features: Sequence[str]) -> dict[str, Any]:
    """Keyword arguments of an "everything enabled" distributed release."""
    from mxnet_construct import (
        Entrypoint,
        EnvVar,
        GitRepository,
        Image,
        NetworkPolicyOptions,
        Persistence,
        Probe,
        Resources,
        RoleOptions,
        VolumePermissions,
    )

    gpu_tolerations = [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}]
    kwargs: dict[str, Any] = {
        "mode": "distributed",
        "server_count": 2,
        "worker_count": 4,
        "image": Image(tag="1.9.1", pull_secrets=("regcred",)),
        "code": GitRepository(repository="https://github.com/apache/incubator-mxnet.git", revision="v1.9.x"),
        "entrypoint": Entrypoint(
            file="image_classification.py",
            args=["--epochs", "1", "--kvstore", "dist_sync"],
            work_dir="/app/example/gluon",
        ),
        "persistence": Persistence(
            enabled=True, storage_class="fast-ssd", size="50Gi", annotations={"backup": "daily"}
        ),
        "volume_permissions": VolumePermissions(enabled=True),
        "existing_secret": "mxnet-credentials",
        "extra_env": (
            EnvVar(name="MXNET_ENGINE_TYPE", value="ThreadedEnginePerDevice"),
            EnvVar.from_secret("S3_TOKEN", "s3", "token"),
        ),
        "sidecars": ({"name": "log-shipper", "image": "fluent/fluent-bit:2.2", "args": ["-i", "tail"]},),
        "init_containers": ({"name": "fetch-data", "image": "busybox:1.36", "command": ["sh", "-c", "true"]},),
        "node_selector": {"pool": "training"},
        "affinity": {
            "podAntiAffinity": {
                "preferredDuringSchedulingIgnoredDuringExecution": [
                    {
                        "weight": 50,
                        "podAffinityTerm": {
                            "topologyKey": "kubernetes.io/hostname",
                            "labelSelector": {"matchLabels": {"app.kubernetes.io/name": "mxnet"}},
                        },
                    }
                ]
            }
        },
        "resources": Resources(requests={"cpu": "500m", "memory": "1Gi"}),
        "scheduler": RoleOptions(
            resources=Resources(requests={"cpu": "250m", "memory": "256Mi"}, limits={"memory": "512Mi"})
        ),
        "server": RoleOptions(
            resources=Resources(requests={"cpu": "2", "memory": "4Gi"}, limits={"memory": "8Gi"}),
            extra_env=(EnvVar(name="MXNET_KVSTORE_BIGARRAY_BOUND", value="1000000"),),
        ),
        "worker": RoleOptions(
            resources=Resources(requests={"cpu": "4", "memory": "16Gi"}, limits={"memory": "16Gi"}),
            gpus=1,
            tolerations=gpu_tolerations,
            node_selector={"pool": "gpu"},
        ),
        "liveness_probe": Probe(initial_delay_seconds=30, period_seconds=10, failure_threshold=6),
        "readiness_probe": Probe(initial_delay_seconds=10, timeout_seconds=2),
        "network_policy": NetworkPolicyOptions(
            extra_egress=({"to": [{"ipBlock": {"cidr": "10.0.0.0/8"}}], "ports": [{"port": 443, "protocol": "TCP"}]},)
        ),
        "dmlc_interface": "eth0",
        "dmlc_node_host_from_pod_ip": True,
        "publish_not_ready_addresses": True,
        "ps_verbose": 1,
    }
    for feature in features:
        kwargs.update(OPTIONAL_FEATURES[feature])
    return kwargs


def release_kwargs(variant: str, features: Sequence[str]) -> dict[str, Any]:
    """Keyword arguments of one release of ``variant`` (``default`` or ``everything``)."""
    return dict(DEFAULT_RELEASE) if variant == "default" else everything_kwargs(features)


def build_library(app: Any, variant: str, count: int, features: Sequence[str]) -> list[Any]:
    """``count`` releases named ``release-<i>``, as the library builds them."""
    from mxnet_construct import MXNetChart

    kwargs = release_kwargs(variant, features)
    return [MXNetChart(app, f"release-{i}", **kwargs) for i in range(count)]


def build_baseline(app: Any, releases: Sequence[Sequence[dict[str, Any]]]) -> list[Any]:
    """One chart per release, one ``ApiObject`` per document, one ``JsonPatch.add`` per field."""
    import cdk8s

    charts = []
    for i, docs in enumerate(releases):
        chart = cdk8s.Chart(app, f"release-{i}")
        for j, doc in enumerate(docs):
            meta = doc["metadata"]
            unknown = set(meta) - set(_METADATA_FIELDS)
            if unknown:
                raise ValueError(f"baseline: metadata fields {sorted(unknown)} of {doc['kind']} are not mapped")
            obj = cdk8s.ApiObject(
                chart,
                f"{doc['kind']}{j}",
                api_version=doc["apiVersion"],
                kind=doc["kind"],
                metadata=cdk8s.ApiObjectMetadata(**{_METADATA_FIELDS[k]: v for k, v in meta.items()}),
            )
            for key, value in doc.items():
                if key not in ("apiVersion", "kind", "metadata"):
                    obj.add_json_patch(cdk8s.JsonPatch.add(f"/{key}", value))
        charts.append(chart)
    return charts


def dump_documents(variant: str, count: int, features: Sequence[str]) -> list[list[dict[str, Any]]]:
    """The documents of each of ``count`` library releases, in output order."""
    import cdk8s

    charts = build_library(cdk8s.App(), variant, count, features)
    return [list(cdk8s.Testing.synth(chart)) for chart in charts]


def check_baseline(releases: Sequence[Sequence[dict[str, Any]]]) -> None:
    """Raises if the baseline does not emit exactly the library's documents (as YAML, too)."""
    import cdk8s

    charts = build_baseline(cdk8s.App(), releases)
    for chart, docs in zip(charts, releases, strict=True):
        got = list(cdk8s.Testing.synth(chart))
        if got != list(docs) or cdk8s.Yaml.stringify(*got) != cdk8s.Yaml.stringify(*docs):
            raise AssertionError(f"the baseline's {chart.node.id} differs from the library's documents")


def probe_features() -> dict[str, Any]:
    """Which optional features work yet (constructed and rendered), with the reason."""
    import cdk8s

    from mxnet_construct import MXNetChart

    report: dict[str, Any] = {}
    for i, feature in enumerate(OPTIONAL_FEATURES):
        try:
            app = cdk8s.App()
            chart = MXNetChart(app, f"probe-{i}", **everything_kwargs([feature]))
            kinds = sorted({doc["kind"] for doc in cdk8s.Testing.synth(chart)})
        except Exception as err:  # any failure means "not usable yet"
            report[feature] = {"included": False, "reason": f"{type(err).__name__}: {err}"[:200]}
            continue
        rendered = FEATURE_KINDS[feature] in kinds
        report[feature] = {
            "included": True,
            "reason": "rendered" if rendered else f"accepted, but no {FEATURE_KINDS[feature]} in the output yet",
        }
    return report
