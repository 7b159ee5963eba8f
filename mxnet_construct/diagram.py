"""The ``diagram`` subcommand: draw a release's topology from synthesized YAML.

    mxnet-construct diagram dist/mxnet-example.k8s.yaml                # Mermaid text
    mxnet-construct diagram dist/mxnet-example.k8s.yaml --format svg -o docs/topology.svg

The picture is read from the manifests, never from the options, so it shows what will
really be deployed, hand edits and kustomize output included. Everything MXNet needs to
agree on is taken from the pods' own env: ``DMLC_ROLE`` says what a workload is,
``DMLC_PS_ROOT_URI``/``DMLC_PS_ROOT_PORT`` say where it dials the scheduler, and
``DMLC_NUM_SERVER``/``DMLC_NUM_WORKER`` are compared with the replica counts. A disagreement
(a count that does not match, a URI that names nothing in the file, a port the Service does
not expose) would hang the job on the cluster, so it is drawn as a warning.

SVG and PNG go through the ``graphviz`` package, which needs Graphviz's ``dot`` program
(Debian: ``apt-get install graphviz``); Mermaid text needs neither.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypeAlias

from .manifests import (
    WORKLOAD_KINDS,
    LabelSelector,
    Manifests,
    Pod,
    Service,
    Workload,
    main_container,
    parse_documents,
    read_text,
)

Format: TypeAlias = Literal["mermaid", "svg", "png", "dot"]
FORMATS: tuple[Format, ...] = ("mermaid", "svg", "png", "dot")
NodeKind: TypeAlias = Literal["workload", "service", "storage", "config", "policy", "warning"]
EdgeKind: TypeAlias = Literal["dial", "selects", "dns", "data", "mounts", "warning"]

INSTANCE = "app.kubernetes.io/instance"


@dataclass
class Node:
    """One box of the picture."""

    id: str
    kind: NodeKind
    title: str
    detail: list[str] = field(default_factory=list)


@dataclass
class Edge:
    """One arrow; ``both`` draws it in both directions."""

    src: str
    dst: str
    label: str
    kind: EdgeKind
    both: bool = False


@dataclass
class Group:
    """The objects of one release (``app.kubernetes.io/instance``) in one namespace."""

    id: str
    title: str
    nodes: list[Node] = field(default_factory=list)


@dataclass
class Topology:
    """Everything the renderers draw: grouped nodes, edges, and the problems found."""

    groups: list[Group] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def node(self, node_id: str) -> Node:
        """The node with id ``node_id``; ``KeyError`` when there is none."""
        for group in self.groups:
            for node in group.nodes:
                if node.id == node_id:
                    return node
        raise KeyError(node_id)


@dataclass
class _PodSource:
    """A workload, with the picture's node and group it belongs to."""

    node_id: str
    workload: Workload
    group: Group

    @property
    def name(self) -> str:
        return self.workload.name

    @property
    def namespace(self) -> str:
        return self.workload.namespace

    @property
    def role(self) -> str | None:
        return self.workload.role or self.workload.labels.get("app.kubernetes.io/component")

    @property
    def pod(self) -> Mapping[str, Any]:
        return self.workload.pod_spec

    @property
    def container_ports(self) -> set[str]:
        """Declared ports of the main container, by number and by name."""
        container = main_container(self.pod)
        out: set[str] = set()
        for p in container.get("ports", []) or []:
            out.add(str(p["containerPort"]))
            if "name" in p:
                out.add(str(p["name"]))
        return out


# --- reading ---------------------------------------------------------------------------


def load_documents(path: str | Path) -> list[dict[str, Any]]:
    """The Kubernetes objects in a multi-document YAML file (see :mod:`mxnet_construct.manifests`)."""
    return parse_documents(read_text(path), str(path))


def _node_id(*parts: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", "_".join(p for p in parts if p))


def build(docs: Iterable[Mapping[str, Any]]) -> Topology:
    """Reads the objects and works out who talks to whom."""
    model = Manifests.of(docs)
    topo = Topology()
    groups: dict[tuple[str, str], Group] = {}

    def group_of(doc: Mapping[str, Any]) -> Group:
        meta = doc["metadata"]
        release = (meta.get("labels") or {}).get(INSTANCE, "")
        namespace = meta.get("namespace", "")
        key = (release, namespace)
        if key not in groups:
            title = f"release {release}" if release else "objects without a release label"
            if namespace:
                title += f" (namespace {namespace})"
            groups[key] = Group(id=_node_id("g", release or "none", namespace or "default"), title=title)
            topo.groups.append(groups[key])
        return groups[key]

    def add(doc: Mapping[str, Any], kind: NodeKind, title: str, detail: list[str], suffix: str = "") -> Node:
        meta = doc["metadata"]
        node = Node(_node_id(doc["kind"], meta.get("namespace", ""), meta["name"], suffix), kind, title, detail)
        group_of(doc).nodes.append(node)
        return node

    by_doc: dict[int, list[Workload]] = {}
    for workload in model.workloads:
        by_doc.setdefault(id(workload.doc), []).append(workload)
    sources: list[_PodSource] = []
    services: list[tuple[Node, Service]] = []
    storage: dict[tuple[str, str, str], str] = {}
    others: list[tuple[Node, Mapping[str, Any]]] = []
    service_of = {id(svc.doc): svc for svc in model.services}

    # Objects first, so the edges below can find the things they point at.
    for doc in model.documents:
        kind, meta = doc["kind"], doc["metadata"]
        name, ns = meta["name"], meta.get("namespace") or "default"
        if kind in WORKLOAD_KINDS:
            for workload in by_doc.get(id(doc), []):
                sources.append(
                    _workload_node(workload, add(doc, "workload", "", [], workload.part or ""), group_of(doc))
                )
        elif kind == "Service":
            spec = doc.get("spec") or {}
            headless = spec.get("clusterIP") == "None"
            port_text = ", ".join(f"{p.get('name', '')}:{p['port']}".lstrip(":") for p in spec.get("ports", []) or [])
            detail = ["headless (pod DNS)" if headless else spec.get("type", "ClusterIP")]
            if port_text:
                detail.append(f"port {port_text}")
            services.append((add(doc, "service", f"Service {name}", detail), service_of[id(doc)]))
        elif kind in ("ConfigMap", "PersistentVolumeClaim", "Secret"):
            detail = []
            if kind == "PersistentVolumeClaim":
                size = (((doc.get("spec") or {}).get("resources") or {}).get("requests") or {}).get("storage")
                detail.append(f"{size}" if size else "")
            elif kind == "ConfigMap":
                detail.append(", ".join(sorted((doc.get("data") or {}).keys())))
            node = add(
                doc,
                "storage" if kind == "PersistentVolumeClaim" else "config",
                f"{kind} {name}",
                [d for d in detail if d],
            )
            storage[(kind, ns, name)] = node.id
        elif kind in ("NetworkPolicy", "PodDisruptionBudget", "PodGroup"):
            spec = doc.get("spec") or {}
            if kind == "NetworkPolicy":
                detail = ["restricts " + " and ".join(spec.get("policyTypes", []) or ["Ingress"])]
            elif kind == "PodDisruptionBudget":
                detail = [
                    f"minAvailable {spec['minAvailable']}"
                    if "minAvailable" in spec
                    else f"maxUnavailable {spec.get('maxUnavailable')}"
                ]
            elif kind == "PodGroup":
                detail = [f"gang of {spec.get('minMember', '?')} pods ({doc['apiVersion'].split('/')[0]})"]
            others.append((add(doc, "policy", f"{kind} {name}", detail), doc))

    _wire_scheduler(topo, model, sources, services)
    _wire_services(topo, model, sources, services)
    _wire_data_plane(topo, sources)
    _wire_volumes(topo, sources, storage)
    _wire_policies(topo, sources, others)
    _check_counts(topo, model, sources)
    return topo


def _workload_node(workload: Workload, node: Node, group: Group) -> _PodSource:
    """Titles the workload's node: kind, name, role, pod count and GPUs."""
    source = _PodSource(node.id, workload, group)
    count = workload.concurrent
    node.title = f"{workload.kind} {workload.name}" + (f"/{workload.part}" if workload.part else "")
    node.detail = [f"{source.role or 'pod'}: {count} {'pod' if count == 1 else 'pods'}"]
    gpus = ((main_container(workload.pod_spec).get("resources") or {}).get("limits") or {}).get("nvidia.com/gpu")
    if gpus:
        node.detail.append(f"{gpus} GPU per pod")
    return source


def _warn(topo: Topology, source: _PodSource, text: str) -> None:
    topo.warnings.append(text)
    node_id = _node_id("warn", str(len(topo.warnings)))
    source.group.nodes.append(Node(node_id, "warning", "⚠ " + text))
    topo.edges.append(Edge(source.node_id, node_id, "", "warning"))


def _wire_scheduler(
    topo: Topology, model: Manifests, sources: list[_PodSource], services: list[tuple[Node, Service]]
) -> None:
    node_of_pod = {p.name: s.node_id for s in sources for p in s.workload.pods}
    for src in sources:
        env = src.workload.env
        if "DMLC_PS_ROOT_URI" not in env or src.role == "scheduler":
            continue
        uri, port = env["DMLC_PS_ROOT_URI"], env.get("DMLC_PS_ROOT_PORT")
        if uri is None:
            _warn(topo, src, f"{src.name}: DMLC_PS_ROOT_URI comes from a field reference, not a scheduler name")
            continue
        target = model.resolve(uri, src.namespace)
        if isinstance(target, Service):
            target_id = next(node.id for node, svc in services if svc is target)
            svc_ports = [p.port for p in target.ports]
            if svc_ports and str(port) not in {str(p) for p in svc_ports}:
                _warn(
                    topo,
                    src,
                    f"{src.name} dials port {port}, but Service {target.name} exposes {', '.join(map(str, svc_ports))}",
                )
        elif isinstance(target, Pod):
            target_id = node_of_pod[target.name]
        else:
            _warn(topo, src, f"{src.name}: DMLC_PS_ROOT_URI={uri} names nothing in this file")
            continue
        topo.edges.append(Edge(src.node_id, target_id, f"DMLC_PS_ROOT_URI {uri}:{port}", "dial"))


def _wire_services(
    topo: Topology, model: Manifests, sources: list[_PodSource], services: list[tuple[Node, Service]]
) -> None:
    for node, svc in services:
        for src in sources:
            endpoints = svc.endpoints(src.workload.pods[:1])
            if not endpoints and not (svc.headless and src.workload.pods and svc.selects(src.workload.pods[0])):
                continue
            if svc.headless:
                topo.edges.append(Edge(node.id, src.node_id, "pod DNS", "dns"))
                continue
            for ep in endpoints:
                topo.edges.append(Edge(node.id, src.node_id, f"{ep.port.port} → {ep.port.target}", "selects"))
                if ep.target is None or str(ep.port.target) not in src.container_ports:
                    _warn(
                        topo,
                        src,
                        f"Service {svc.name} targets port {ep.port.target}, which {src.name} does not declare",
                    )


def _wire_data_plane(topo: Topology, sources: list[_PodSource]) -> None:
    # ps-lite workers push gradients to and pull weights from every server, on addresses
    # the scheduler hands out (pod IPs), so no Service sits in between.
    for worker in (s for s in sources if s.role == "worker"):
        for server in (s for s in sources if s.role == "server" and s.group is worker.group):
            topo.edges.append(Edge(worker.node_id, server.node_id, "push / pull (pod IPs)", "data", both=True))


def _wire_volumes(topo: Topology, sources: list[_PodSource], storage: dict[tuple[str, str, str], str]) -> None:
    for src in sources:
        mounts = {m["name"]: m.get("mountPath", "") for m in main_container(src.pod).get("volumeMounts", []) or []}
        for vol in src.pod.get("volumes", []) or []:
            for key, kind, ref in (
                ("configMap", "ConfigMap", "name"),
                ("persistentVolumeClaim", "PersistentVolumeClaim", "claimName"),
                ("secret", "Secret", "secretName"),
            ):
                if key not in vol:
                    continue
                ref_name = vol[key].get(ref, "")
                node_id = storage.get((kind, src.namespace, ref_name))
                if node_id is None:
                    node_id = _node_id("ext", kind, src.namespace, ref_name)
                    if not any(n.id == node_id for g in topo.groups for n in g.nodes):
                        src.group.nodes.append(
                            Node(
                                node_id,
                                "storage" if key == "persistentVolumeClaim" else "config",
                                f"{kind} {ref_name}",
                                ["not in this file"],
                            )
                        )
                    storage[(kind, src.namespace, ref_name)] = node_id
                topo.edges.append(Edge(src.node_id, node_id, f"mounts {mounts.get(vol['name'], '')}".strip(), "mounts"))
        for claim in src.workload.claim_templates:
            node_id = _node_id("claims", src.node_id, claim)
            src.group.nodes.append(
                Node(node_id, "storage", f"PVC {claim}-{src.name}-N", ["one per pod (volumeClaimTemplate)"])
            )
            topo.edges.append(Edge(src.node_id, node_id, f"mounts {mounts.get(claim, '')}".strip(), "mounts"))


def _wire_policies(topo: Topology, sources: list[_PodSource], others: list[tuple[Node, Mapping[str, Any]]]) -> None:
    for node, doc in others:
        spec = doc.get("spec") or {}
        where = f"{doc['kind']}/{doc['metadata']['name']}"
        if doc["kind"] == "NetworkPolicy":
            selector = LabelSelector.parse(spec.get("podSelector"), f"{where} spec.podSelector")
        elif doc["kind"] == "PodDisruptionBudget":
            selector = LabelSelector.parse(spec.get("selector"), f"{where} spec.selector")
        else:
            continue
        namespace = doc["metadata"].get("namespace") or "default"
        guarded = [
            s
            for s in sources
            if s.namespace == namespace and s.workload.pods and selector.matches(s.workload.pods[0].labels)
        ]
        if guarded:
            node.detail.append("covers " + ", ".join(s.role or s.name for s in guarded))


def _check_counts(topo: Topology, model: Manifests, sources: list[_PodSource]) -> None:
    source_of = {id(s.workload): s for s in sources}
    for problem in model.ps_lite_problems():
        _warn(topo, source_of[id(problem.workload)], problem.message)


# --- rendering -------------------------------------------------------------------------

_MERMAID_SHAPES: dict[NodeKind, tuple[str, str]] = {
    "workload": ("[", "]"),
    "service": ("([", "])"),
    "storage": ("[(", ")]"),
    "config": ("[/", "/]"),
    "policy": ("{{", "}}"),
    "warning": (">", "]"),
}
_MERMAID_ARROWS: dict[EdgeKind, str] = {
    "dial": "-->",
    "selects": "-->",
    "dns": "-.->",
    "data": "==>",
    "mounts": "-.->",
    "warning": "-.-",
}


def _mermaid_text(text: str) -> str:
    return text.replace('"', "#quot;").replace("<", "#lt;").replace(">", "#gt;")


def to_mermaid(topo: Topology) -> str:
    """Mermaid ``flowchart`` text (GitHub renders it inside a ```` ```mermaid ```` block)."""
    lines = ["flowchart LR"]
    for group in topo.groups:
        lines.append(f'  subgraph {group.id}["{_mermaid_text(group.title)}"]')
        for node in group.nodes:
            left, right = _MERMAID_SHAPES[node.kind]
            label = "<br/>".join(_mermaid_text(t) for t in [node.title, *node.detail])
            lines.append(f'    {node.id}{left}"{label}"{right}')
        lines.append("  end")
    for edge in topo.edges:
        arrow = _MERMAID_ARROWS[edge.kind]
        if edge.both:
            arrow = "<" + arrow
        label = f'|"{_mermaid_text(edge.label)}"|' if edge.label else ""
        lines.append(f"  {edge.src} {arrow}{label} {edge.dst}")
    lines.append("  classDef warning fill:#fde2e1,stroke:#c0392b,color:#7b241c")
    warned = [n.id for g in topo.groups for n in g.nodes if n.kind == "warning"]
    if warned:
        lines.append(f"  class {','.join(warned)} warning")
    return "\n".join(lines) + "\n"


_DOT_SHAPES: dict[NodeKind, dict[str, str]] = {
    "workload": {"shape": "box", "style": "rounded,filled", "fillcolor": "#dbe9f6"},
    "service": {"shape": "ellipse", "style": "filled", "fillcolor": "#e4f3e0"},
    "storage": {"shape": "cylinder", "style": "filled", "fillcolor": "#f6efd9"},
    "config": {"shape": "note", "style": "filled", "fillcolor": "#f6efd9"},
    "policy": {"shape": "hexagon", "style": "filled", "fillcolor": "#eeeeee"},
    "warning": {"shape": "box", "style": "filled", "fillcolor": "#fde2e1", "color": "#c0392b"},
}
_DOT_EDGES: dict[EdgeKind, dict[str, str]] = {
    "dial": {"color": "#1f618d", "penwidth": "1.6"},
    "selects": {"color": "#1e8449"},
    "dns": {"style": "dashed", "color": "#7f8c8d"},
    "data": {"color": "#b9770e", "penwidth": "2.2"},
    "mounts": {"style": "dotted", "color": "#7f8c8d"},
    "warning": {"style": "dashed", "color": "#c0392b", "arrowhead": "none"},
}


def to_dot(topo: Topology) -> str:
    """Graphviz DOT source of the picture."""
    import graphviz  # type: ignore[import-untyped]

    graph = graphviz.Digraph(
        "topology",
        graph_attr={"rankdir": "TB", "newrank": "true", "fontname": "Helvetica", "fontsize": "11"},
        node_attr={"fontname": "Helvetica", "fontsize": "10"},
        edge_attr={"fontname": "Helvetica", "fontsize": "9"},
    )
    for group in topo.groups:
        with graph.subgraph(name=f"cluster_{group.id}") as sub:
            sub.attr(label=group.title, style="rounded", color="#999999")
            for node in group.nodes:
                sub.node(node.id, "\n".join([node.title, *node.detail]), **_DOT_SHAPES[node.kind])
    for edge in topo.edges:
        attrs = dict(_DOT_EDGES[edge.kind])
        if edge.both:
            attrs["dir"] = "both"
        graph.edge(edge.src, edge.dst, edge.label, **attrs)
    source: str = graph.source
    return source


def render(topo: Topology, fmt: Format) -> bytes:
    """The picture as bytes: Mermaid or DOT text, or an SVG/PNG image drawn by Graphviz."""
    if fmt == "mermaid":
        return to_mermaid(topo).encode()
    source = to_dot(topo)
    if fmt == "dot":
        return source.encode()
    import graphviz

    try:
        data: bytes = graphviz.Source(source).pipe(format=fmt)
    except graphviz.ExecutableNotFound:
        from .cli import UsageError

        raise UsageError(
            f"--format {fmt} needs Graphviz's 'dot' program on PATH (Debian/Ubuntu: apt-get install graphviz); "
            "--format mermaid works without it"
        ) from None
    return data


# --- command line ----------------------------------------------------------------------


def register(subparsers: Any) -> None:
    """Adds the ``diagram`` subcommand."""
    parser = subparsers.add_parser(
        "diagram",
        help="draw a release's topology from synthesized YAML",
        description="Draw the scheduler, servers, workers, Services, storage and policies in a "
        "synthesized manifest file, and who talks to whom, as read from the pods' DMLC_* env.",
    )
    parser.add_argument("file", help="a synthesized manifest, e.g. dist/mxnet-example.k8s.yaml ('-' reads stdin)")
    parser.add_argument(
        "--format",
        choices=FORMATS,
        default=None,
        help="output format (default: from the -o suffix: .svg, .png, .dot/.gv, .mmd/.mermaid; else mermaid); "
        "svg and png need Graphviz's dot",
    )
    parser.add_argument("-o", "--output", help="write here instead of stdout, and print the path written")
    parser.add_argument("--strict", action="store_true", help="exit 1 when the picture shows a wiring problem")
    parser.set_defaults(func=run)


# What ``-o`` suffixes mean when ``--format`` is not given.
SUFFIX_FORMATS: dict[str, Format] = {
    ".svg": "svg",
    ".png": "png",
    ".dot": "dot",
    ".gv": "dot",
    ".mmd": "mermaid",
    ".mermaid": "mermaid",
}


def output_format(output: str | None, requested: Format | None) -> Format:
    """The format to write: ``--format`` if given, else read from the ``-o`` file's suffix.

    No ``-o``, or an ``-o`` without a suffix, means Mermaid text. A suffix this command
    cannot draw (``x.jpg``) is refused rather than filled with text under an image's name,
    and so is a known suffix that contradicts ``--format`` (``--format png -o x.svg``).
    """
    suffix = Path(output).suffix.lower() if output else ""
    known = ", ".join(SUFFIX_FORMATS)
    if not suffix:
        return requested or "mermaid"
    implied = SUFFIX_FORMATS.get(suffix)
    if requested is None:
        if implied is None:
            from .cli import UsageError

            raise UsageError(
                f"-o {output}: cannot draw a {suffix!r} file; use one of {known}, "
                f"or name the format with --format ({', '.join(FORMATS)})"
            )
        return implied
    if implied is not None and implied != requested:
        from .cli import UsageError

        raise UsageError(f"-o {output}: the suffix {suffix!r} means {implied}, but --format is {requested}")
    return requested


def run(args: argparse.Namespace) -> int:
    """Runs ``diagram``: read, build, render, write."""
    fmt = output_format(args.output, args.format)
    docs = load_documents(args.file)
    if not docs:
        raise ValueError(f"{args.file!r} holds no Kubernetes objects")
    topo = build(docs)
    data = render(topo, fmt)
    if args.output:
        Path(args.output).write_bytes(data)
        print(f"wrote {args.output} ({fmt})", file=sys.stderr)
    elif fmt == "png":
        sys.stdout.buffer.write(data)
    else:
        sys.stdout.write(data.decode())
    for text in topo.warnings:
        print(f"mxnet-construct diagram: warning: {text}", file=sys.stderr)
    return 1 if args.strict and topo.warnings else 0
