"""Pure policy engines for run-local: Kubernetes restart semantics and NetworkPolicy evaluation.

Each module takes the manifest model (:mod:`mxnet_construct.manifests`) plus events or
connections, and returns decisions or verdicts; neither starts a process or opens a socket.
"""
