"""Distributed GPU training that runs to completion: ``lifecycle="job"``.

One scheduler, two parameter servers (CPU only) and two workers with one NVIDIA GPU each.
Each role is a batch/v1 Job, so a finished worker stays finished instead of training again,
and ``active_deadline_seconds`` turns a hung ``dist_sync`` run into a visible failure.

The Bitnami image is built for CPUs; for real GPU training point ``image`` at a CUDA build
of MXNet 1.9.1 that your cluster can pull (the reference below is an example).

    python examples/gpu_training/app.py              # writes examples/gpu_training/dist/
"""

import os
from pathlib import Path

import cdk8s

from mxnet_construct import Entrypoint, GitRepository, Image, JobOptions, MXNetChart, Resources, RoleOptions

GPU_NODES = RoleOptions(
    gpus=1,  # nvidia.com/gpu: 1, plus a memory-backed /dev/shm for the data loaders
    shm_size="2Gi",
    resources=Resources(requests={"cpu": "4", "memory": "16Gi"}, limits={"memory": "16Gi"}),
    node_selector={"nvidia.com/gpu.present": "true"},
    tolerations=[{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}],
)

app = cdk8s.App(outdir=os.environ.get("CDK8S_OUTDIR", str(Path(__file__).parent / "dist")))
MXNetChart(
    app,
    "cifar-gpu",
    mode="distributed",
    server_count=2,
    worker_count=2,
    lifecycle="job",
    job=JobOptions(active_deadline_seconds=6 * 3600, ttl_seconds_after_finished=24 * 3600),
    image=Image(registry="registry.example.com", repository="ml/mxnet-cu112", tag="1.9.1"),
    worker=GPU_NODES,
    code=GitRepository(repository="https://github.com/apache/incubator-mxnet.git", revision="1.9.1"),
    entrypoint=Entrypoint(
        file="image_classification.py",
        args=[
            "--dataset",
            "cifar10",
            "--model",
            "resnet18_v1",
            "--epochs",
            "10",
            "--kvstore",
            "dist_sync",
            "--gpus",
            "0",
        ],
        work_dir="/app/example/gluon/",
    ),
)
app.synth()
