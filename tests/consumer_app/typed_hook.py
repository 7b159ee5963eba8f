"""A subclass hook written against the typed pod template (``mxnet_construct.k8s_types``).

``pod_template()`` returns a ``PodTemplateSpec`` TypedDict, so a misspelt field
(``volume_mounts`` for ``volumeMounts``) is a ``mypy --strict`` error in the user's app
instead of YAML that the API server rejects or, worse, silently ignores. Pod parts may
also be ``cdk8s_plus_27.k8s`` structs, as a cdk8s user writes them elsewhere.
``tests/test_outside_app.py`` type-checks this file as it is, and a copy with that typo.
"""

from __future__ import annotations

from cdk8s_plus_27 import k8s

from mxnet_construct import MXNetChart, WorkerPool, k8s_types


class TracedWorkers(WorkerPool):
    """Workers whose main container mounts a scratch directory for traces."""

    def pod_template(self) -> k8s_types.PodTemplateSpec:
        pod = super().pod_template()
        spec = pod["spec"]
        spec["volumes"] = [*spec.get("volumes", []), {"name": "traces", "emptyDir": {}}]
        # The list also admits k8s.Container structs, so narrow to a dict before indexing.
        main = next(c for c in spec["containers"] if isinstance(c, dict) and c["name"] == "mxnet")
        main["volumeMounts"] = [*main.get("volumeMounts", []), {"name": "traces", "mountPath": "/traces"}]
        main.setdefault("env", []).append(k8s.EnvVar(name="TRACE_DIR", value="/traces"))
        spec.setdefault("tolerations", []).append(k8s.Toleration(key="tracing", operator="Exists"))
        return pod


class TracedChart(MXNetChart):
    """A release whose workers are :class:`TracedWorkers`."""

    worker_pool_class = TracedWorkers
