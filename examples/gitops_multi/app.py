"""A GitOps repository with several MXNet releases in their own namespaces.

``python examples/gitops_multi/app.py`` writes one file per release into
``examples/gitops_multi/dist/`` plus a ``kustomization.yaml`` listing them, so the
directory is a kustomize base. Commit ``dist/``: Argo CD or Flux then applies exactly the
reviewed YAML, and ``overlays/production/`` changes it per environment without touching
Python. Review a change with ``git diff dist/`` like any other code change.
"""

import os
from pathlib import Path

import cdk8s

from mxnet_construct import Entrypoint, EnvVar, GitRepository, LocalFiles, MXNetChart, Resources, RoleOptions

HERE = Path(__file__).parent
TRAIN_SCRIPT = """import mxnet as mx

kv = mx.kv.create("dist_sync")
print("worker", kv.rank, "of", kv.num_workers)
"""

app = cdk8s.App(outdir=os.environ.get("CDK8S_OUTDIR", str(HERE / "dist")))

# Team A trains a vision model on a long-running parameter-server cluster.
MXNetChart(
    app,
    "vision",
    namespace="team-a",
    mode="distributed",
    server_count=2,
    worker_count=4,
    code=GitRepository(repository="https://github.com/apache/incubator-mxnet.git", revision="1.9.1"),
    entrypoint=Entrypoint(
        file="image_classification.py", args=["--kvstore", "dist_sync"], work_dir="/app/example/gluon/"
    ),
    worker=RoleOptions(
        resources=Resources(requests={"cpu": "2", "memory": "4Gi"}),
        extra_env=[EnvVar(name="OMP_NUM_THREADS", value="2")],
    ),
)

# Team B ships a small script in a ConfigMap and runs it to completion.
MXNetChart(
    app,
    "kvstore-smoke",
    namespace="team-b",
    mode="distributed",
    server_count=1,
    worker_count=2,
    lifecycle="job",
    code=LocalFiles(files={"train.py": TRAIN_SCRIPT}),
    entrypoint=Entrypoint(file="train.py"),
)

# A shared dev pod for both teams.
MXNetChart(app, "mxnet-sandbox", namespace="ml-shared")

app.synth()

# The kustomize base: every file this app wrote, in a stable order.
outdir = Path(app.outdir)
files = sorted(f"{chart.node.id}{app.output_file_extension}" for chart in app.charts)
(outdir / "kustomization.yaml").write_text(
    "# Written by app.py: the synthesized releases as a kustomize base.\n"
    "apiVersion: kustomize.config.k8s.io/v1beta1\n"
    "kind: Kustomization\n"
    "resources:\n" + "".join(f"  - {name}\n" for name in files)
)
