"""A gang-scheduled JobSet: ``lifecycle="jobset"`` with ``gang_scheduler="volcano"``.

The whole release is one JobSet whose failure policy recreates every Job when any pod
fails (one dead worker stalls ``dist_sync`` forever, so a partial restart never helps).
A Volcano PodGroup with ``minMember`` equal to all pods makes the scheduler place the
release all at once or not at all, so a half-placed job never holds GPUs while it waits.

Needs the JobSet controller and Volcano in the cluster (their CRDs are in ``crds/``).

    python examples/gang_jobset/app.py               # writes examples/gang_jobset/dist/
"""

import os
from pathlib import Path

import cdk8s

from mxnet_construct import Entrypoint, GitRepository, JobOptions, MXNetChart

app = cdk8s.App(outdir=os.environ.get("CDK8S_OUTDIR", str(Path(__file__).parent / "dist")))
MXNetChart(
    app,
    "gang-train",
    mode="distributed",
    server_count=2,
    worker_count=4,
    lifecycle="jobset",
    gang_scheduler="volcano",
    job=JobOptions(max_restarts=3, active_deadline_seconds=4 * 3600),
    code=GitRepository(repository="https://github.com/apache/incubator-mxnet.git", revision="1.9.1"),
    entrypoint=Entrypoint(
        file="image_classification.py",
        args=["--dataset", "cifar10", "--model", "vgg11", "--epochs", "1", "--kvstore", "dist_sync"],
        work_dir="/app/example/gluon/",
    ),
)
app.synth()
