"""A team's own cdk8s app that depends on the installed ``mxnet-construct`` wheel.

It stands for a user outside this repository: it imports only the public API, customises
the workers through the documented ``pod_template()`` hook and runs two releases in two
namespaces. ``tests/test_packaging.py`` copies this directory out of the repository,
installs the wheel into a fresh venv, synthesizes the app there and type-checks it with
``mypy --strict`` against the installed package.
"""

from __future__ import annotations

import cdk8s

from mxnet_construct import MXNetChart, PodTemplateSpec, WorkerPool
from mxnet_construct.k8s_types import Container, ResourceRequirements


# Workers train; servers only hold parameters. So only the workers get more CPU/memory
# and the metrics sidecar, which is why this is a WorkerPool subclass and not an option.
def worker_resources() -> ResourceRequirements:
    return {"requests": {"cpu": "3", "memory": "6Gi"}, "limits": {"cpu": "3", "memory": "6Gi"}}


def metrics_sidecar() -> Container:
    """A small exporter container that meets the restricted Pod Security profile."""
    return {
        "name": "metrics",
        "image": "docker.io/prom/node-exporter:v1.8.2",
        "args": ["--web.listen-address=:9100"],
        "ports": [{"name": "metrics", "containerPort": 9100}],
        "resources": {"requests": {"cpu": "50m", "memory": "32Mi"}, "limits": {"memory": "64Mi"}},
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "capabilities": {"drop": ["ALL"]},
            "readOnlyRootFilesystem": True,
        },
    }


class MeteredWorkers(WorkerPool):
    """Workers with more resources and a metrics sidecar."""

    def pod_template(self) -> PodTemplateSpec:
        pod = super().pod_template()
        containers = pod["spec"]["containers"]
        main = next(c for c in containers if isinstance(c, dict) and c["name"] == "mxnet")
        main["resources"] = worker_resources()
        containers.append(metrics_sidecar())
        return pod


class TeamChart(MXNetChart):
    """An MXNet release whose workers are :class:`MeteredWorkers`."""

    worker_pool_class = MeteredWorkers


def build(app: cdk8s.App) -> list[TeamChart]:
    """Two teams, each with its own release in its own namespace."""
    return [
        TeamChart(app, "vision", namespace="team-vision", mode="distributed", server_count=1, worker_count=2),
        TeamChart(app, "speech", namespace="team-speech", mode="distributed", server_count=2, worker_count=3),
    ]


if __name__ == "__main__":
    app = cdk8s.App()
    build(app)
    app.synth()
