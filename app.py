"""The default app: the chart README's "Distributed training example".

The gluon ``image_classification.py`` example is cloned from MXNet's repository and run on
one scheduler, one server and one worker with the dist_sync kvstore.
"""

from typing import Any

import cdk8s

from mxnet_construct import Entrypoint, GitRepository, MXNetChart

# The README's values, as MXNetChart arguments (the tests reuse them).
DISTRIBUTED_TRAINING_EXAMPLE: dict[str, Any] = {
    "mode": "distributed",
    "code": GitRepository(repository="https://github.com/apache/incubator-mxnet.git", revision="master"),
    "entrypoint": Entrypoint(
        file="image_classification.py",
        args=["--dataset", "cifar10", "--model", "vgg11", "--epochs", "1", "--kvstore", "dist_sync"],
        work_dir="/app/example/gluon/",
    ),
}


def main() -> None:
    app = cdk8s.App()
    MXNetChart(app, "mxnet-example", **DISTRIBUTED_TRAINING_EXAMPLE)
    app.synth()


if __name__ == "__main__":
    main()
