"""A standalone MXNet dev pod: one Deployment that runs ``sleep infinity``.

Nothing is trained here: the pod stays up so you can ``kubectl exec`` into it, try code
against the same image the distributed jobs use, and keep notebooks and datasets on a
PersistentVolumeClaim that outlives the pod.

    python examples/standalone_dev/app.py            # writes examples/standalone_dev/dist/
    kubectl apply -f examples/standalone_dev/dist/
    kubectl exec -it deploy/mxnet-dev -- python3 -c "import mxnet; print(mxnet.__version__)"
"""

import os
from pathlib import Path

import cdk8s

from mxnet_construct import MXNetChart, Persistence, Resources

app = cdk8s.App(outdir=os.environ.get("CDK8S_OUTDIR", str(Path(__file__).parent / "dist")))
MXNetChart(
    app,
    "mxnet-dev",  # contains "mxnet", so the Deployment is named just "mxnet-dev"
    mode="standalone",  # no entrypoint file: the container runs `sleep infinity`
    persistence=Persistence(enabled=True, size="20Gi"),  # PVC mxnet-dev-data at /bitnami/mxnet
    resources=Resources(requests={"cpu": "1", "memory": "4Gi"}, limits={"memory": "4Gi"}),
)
app.synth()
