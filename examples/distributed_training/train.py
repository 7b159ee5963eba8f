"""A small Gluon regression trained with the dist_sync kvstore, on synthetic data.

Every worker builds the same seeded data set and trains on its own equal shard: dist_sync
waits for a push from every worker at every step, so a worker with one batch more than
the others would wait forever. At the end each worker prints one line:

    FINAL rank=<r> workers=<n> loss=<loss on the whole data set> params=<sha256 of the parameters>

With dist_sync every worker pulls the same parameters after each step, so the hashes of
all workers must match; a mismatch means the workers did not train one model together.

Run it through the chart (see app.py): the DMLC_* variables the pods get make
``mx.kv.create("dist_sync")`` join the job.
"""

from __future__ import annotations

import argparse
import hashlib
import os

import mxnet as mx
import numpy as np
from mxnet import autograd, gluon


def parse_args() -> argparse.Namespace:
    env = os.environ.get
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=int(env("TRAIN_EPOCHS", "8")))
    parser.add_argument("--batch-size", type=int, default=int(env("TRAIN_BATCH_SIZE", "16")))
    parser.add_argument("--samples", type=int, default=int(env("TRAIN_SAMPLES", "960")))
    parser.add_argument("--features", type=int, default=8)
    parser.add_argument("--lr", type=float, default=float(env("TRAIN_LR", "0.1")))
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--kvstore", default="dist_sync")
    return parser.parse_args()


def synthetic_data(samples: int, features: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """y = tanh(X w) + X v / 4 + noise: learnable by a small MLP, identical on every worker."""
    rng = np.random.RandomState(seed)
    x = rng.uniform(-1, 1, size=(samples, features)).astype("float32")
    w = rng.normal(size=(features, 1)).astype("float32")
    v = rng.normal(size=(features, 1)).astype("float32")
    y = np.tanh(x @ w) + (x @ v) / 4 + rng.normal(scale=0.01, size=(samples, 1)).astype("float32")
    return x, y.astype("float32")


def params_digest(net: gluon.Block) -> str:
    digest = hashlib.sha256()
    for name, param in sorted(net.collect_params().items()):
        digest.update(name.encode())
        digest.update(param.data().asnumpy().tobytes())
    return digest.hexdigest()[:16]


def main() -> None:
    args = parse_args()
    kv = mx.kv.create(args.kvstore)
    rank, workers = kv.rank, kv.num_workers
    mx.random.seed(args.seed)
    np.random.seed(args.seed)

    x, y = synthetic_data(args.samples, args.features, args.seed)
    # Equal batches per worker: each takes the same number of whole batches, the rest
    # of the data is dropped rather than given to some workers only.
    batches = args.samples // workers // args.batch_size
    if batches < 1:
        raise SystemExit(
            f"--samples {args.samples} is too small for {workers} workers with --batch-size {args.batch_size}"
        )
    per_worker = batches * args.batch_size
    shard = slice(rank * per_worker, (rank + 1) * per_worker)
    loader = gluon.data.DataLoader(
        gluon.data.ArrayDataset(x[shard], y[shard]), batch_size=args.batch_size, shuffle=False
    )

    net = gluon.nn.Sequential()
    net.add(gluon.nn.Dense(16, activation="tanh"), gluon.nn.Dense(1))
    net.initialize(mx.init.Xavier())
    # With a dist kvstore the servers take worker 0's initial values and every worker
    # pulls them, so all workers start from the same parameters.
    trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": args.lr, "momentum": 0.9}, kvstore=kv)
    loss_fn = gluon.loss.L2Loss()
    print(f"rank {rank} of {workers} workers: {batches} batches of {args.batch_size} per epoch", flush=True)

    for epoch in range(1, args.epochs + 1):
        total = 0.0
        for data, label in loader:
            with autograd.record():
                loss = loss_fn(net(data), label)
            loss.backward()
            # The servers sum the gradients of all workers: scale by the global batch.
            trainer.step(args.batch_size * workers)
            total += float(loss.mean().asscalar())
        print(f"epoch {epoch} loss {total / batches:.6f}", flush=True)

    final = float(loss_fn(net(mx.nd.array(x)), mx.nd.array(y)).mean().asscalar())
    print(f"FINAL rank={rank} workers={workers} loss={final:.6f} params={params_digest(net)}", flush=True)


if __name__ == "__main__":
    main()
