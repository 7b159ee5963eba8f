"""Example app: ship ``train.py`` into a distributed MXNet release and train with dist_sync.

``train.py`` travels in the chart's ``<fullname>-files`` ConfigMap (``LocalFiles``),
mounted at ``/app``; the workers run ``python3 train.py``, the scheduler and servers
import mxnet with their ``DMLC_ROLE``. Counts come from the environment so the same app
synthesizes any shape::

    cd examples/distributed_training
    MXNET_SERVERS=2 MXNET_WORKERS=3 python app.py      # writes dist/train.k8s.yaml here
    MXNET_LIFECYCLE=job python app.py                   # batch/v1 Jobs (or jobset)
    sudo mxnet-construct run-local dist/train.k8s.yaml  # or python -m mxnet_construct

``python examples/distributed_training/app.py`` from the repository root, or ``cdk8s synth``
in this folder, writes the same ``examples/distributed_training/dist/`` (git-ignored).

Tests call :func:`build` in-process instead.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import cdk8s

from mxnet_construct import Entrypoint, LocalFiles, MXNetChart

HERE = Path(__file__).resolve().parent
RELEASE = "train"


def build(
    app: cdk8s.App,
    release: str = RELEASE,
    *,
    servers: int = 1,
    workers: int = 1,
    args: Sequence[str] = (),
    **options: Any,
) -> MXNetChart:
    """The example release: ``servers`` parameter servers, ``workers`` workers running train.py.

    ``options`` are further ``MXNetChart`` keyword arguments, e.g. ``lifecycle="job"``.
    """
    return MXNetChart(
        app,
        release,
        mode="distributed",
        server_count=servers,
        worker_count=workers,
        code=LocalFiles(files={"train.py": (HERE / "train.py").read_text()}),
        entrypoint=Entrypoint(file="train.py", args=list(args), work_dir="/app"),
        **options,
    )


def main() -> None:
    # This folder's dist/, wherever the app is started from (`cdk8s synth` sets CDK8S_OUTDIR).
    app = cdk8s.App(outdir=os.environ.get("CDK8S_OUTDIR", str(HERE / "dist")))
    extra = os.environ.get("MXNET_TRAIN_ARGS", "").split()
    build(
        app,
        servers=int(os.environ.get("MXNET_SERVERS", "1")),
        workers=int(os.environ.get("MXNET_WORKERS", "1")),
        args=extra,
        lifecycle=os.environ.get("MXNET_LIFECYCLE", "long-running"),
    )
    app.synth()


if __name__ == "__main__":
    main()
