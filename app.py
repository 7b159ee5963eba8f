"""The default app: the chart README's "Distributed training example".

The gluon ``image_classification.py`` example is cloned from MXNet's repository and run on
one scheduler, one server and one worker with the dist_sync kvstore.
"""

import cdk8s

from mxnet_construct import Entrypoint, GitRepository, MXNetChart

app = cdk8s.App()
MXNetChart(
    app,
    "mxnet-example",
    mode="distributed",
    code=GitRepository(repository="https://github.com/apache/incubator-mxnet.git", revision="master"),
    entrypoint=Entrypoint(
        file="image_classification.py",
        args=["--dataset", "cifar10", "--model", "vgg11", "--epochs", "1", "--kvstore", "dist_sync"],
        work_dir="/app/example/gluon/",
    ),
)
app.synth()
