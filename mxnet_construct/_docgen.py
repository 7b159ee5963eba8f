"""Generates the options reference and the topology picture in docs/, so they can't drift.

    python -m mxnet_construct._docgen           # rewrite the generated blocks (and docs/topology.svg)
    python -m mxnet_construct._docgen --check   # exit 1 if a generated block is stale

The options reference lives in ``docs/options.md``, the Mermaid topology in
``docs/diagram.md``; each between ``<!-- NAME:start -->`` and ``<!-- NAME:end -->`` markers.

The options reference is rendered from the dataclasses in :mod:`mxnet_construct.options`:
field names, types and defaults from the fields themselves, meanings from each class's
``Args:`` docstring section. A field without a description is an error, so a new option
can't ship undocumented. The topology block is ``mxnet-construct diagram`` run on the
default app's ``dist/`` output; ``docs/topology.svg`` is the same picture drawn by Graphviz.
"""

from __future__ import annotations

import argparse
import ast
import dataclasses
import inspect
import re
import sys
import types
import typing
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from . import options as o

ROOT = Path(__file__).resolve().parent.parent
OPTIONS_DOC = ROOT / "docs" / "options.md"
DIAGRAM_DOC = ROOT / "docs" / "diagram.md"
TOPOLOGY_SOURCE = ROOT / "dist" / "mxnet-example.k8s.yaml"
TOPOLOGY_SVG = ROOT / "docs" / "topology.svg"
REGENERATE = "python -m mxnet_construct._docgen"

# What MXNetChart's own arguments (besides the options) mean. The list of arguments, their
# types and defaults are read from chart.py's source, not imported (importing cdk8s starts
# Node); an argument without a meaning here is an error, so none can be left out.
CHART_SOURCE = Path(__file__).with_name("chart.py")
CHART_MEANINGS: Mapping[str, str] = {
    "scope": "The parent construct, normally a `cdk8s.App()`.",
    "id": "The release name (Helm's release name): it prefixes every object name and is the "
    "`app.kubernetes.io/instance` label.",
    "namespace": "`metadata.namespace` of every object; None leaves it to `kubectl apply -n` or the GitOps tool.",
    "labels": "Extra labels on every object and on every pod template (the release's own labels win on a "
    "clash; selectors never include them).",
    "checkov_skips": "True writes `checkov.io/skip<N>` annotations for the checks the release fails on "
    "purpose, computed at synthesis from each object's final document (after hooks and patches); "
    "see [security.md](security.md#checkov).",
}


class DocError(Exception):
    """An option without a description, or a page without its generated-block markers."""


# --- docstrings ------------------------------------------------------------------------


def _args_section(cls: type) -> dict[str, str]:
    """``Args:`` entries of a Google-style docstring; ``a, b: text`` documents both."""
    doc = inspect.cleandoc(cls.__doc__ or "")
    out: dict[str, str] = {}
    lines = doc.splitlines()
    try:
        start = next(i for i, line in enumerate(lines) if line.strip() == "Args:")
    except StopIteration:
        return out
    names: list[str] = []
    for line in lines[start + 1 :]:
        if not line.strip():
            continue
        indent = len(line) - len(line.lstrip())
        if indent == 0:
            break
        match = re.match(r"^ {4}([a-z_][a-z0-9_, ]*):\s*(.*)$", line)
        if match and indent == 4:
            names = [n.strip() for n in match.group(1).split(",")]
            for name in names:
                out[name] = match.group(2)
        else:
            for name in names:
                out[name] = f"{out[name]} {line.strip()}".strip()
    return out


def _summary(cls: type) -> str:
    doc = inspect.cleandoc(cls.__doc__ or "")
    paragraphs = doc.split("\n\n")
    kept = []
    for para in paragraphs:
        if para.strip().startswith(("Args:", "Attributes:")):
            break
        kept.append(" ".join(para.split()))
    return _md("\n\n".join(kept))


def _md(text: str) -> str:
    """reStructuredText roles and literals as Markdown."""
    text = re.sub(r":(?:class|meth|attr|mod|func):`~?([^`]+)`", lambda m: f"`{m.group(1).split('.')[-1]}`", text)
    return text.replace("``", "`")


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


# --- types and defaults ----------------------------------------------------------------


def _type_name(tp: Any) -> str:
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if tp is type(None):
        return "None"
    if origin is typing.Literal:
        return " | ".join(f'"{a}"' if isinstance(a, str) else repr(a) for a in args)
    if origin in (typing.Union, types.UnionType):
        return " | ".join(_type_name(a) for a in args)
    if origin is not None:
        name = getattr(origin, "__name__", str(origin))
        return f"{name}[{', '.join(_type_name(a) for a in args)}]"
    if tp is Any:
        return "Any"
    return getattr(tp, "__name__", str(tp))


def _default_text(value: Any) -> str:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changed = []
        for f in dataclasses.fields(value):
            base = _field_default(f)
            current = getattr(value, f.name)
            if base is dataclasses.MISSING or current != base:
                changed.append(f"{f.name}={_python_literal(current)}")
        return f"{type(value).__name__}({', '.join(changed)})"
    return _python_literal(value)


def _python_literal(value: Any) -> str:
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{_python_literal(k)}: {_python_literal(v)}" for k, v in value.items()) + "}"
    if isinstance(value, tuple | list):
        inner = ", ".join(_python_literal(v) for v in value)
        return f"({inner},)" if isinstance(value, tuple) and len(value) == 1 else f"({inner})"
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _default_text(value)
    return repr(value)


def _field_default(f: dataclasses.Field[Any]) -> Any:
    if f.default is not dataclasses.MISSING:
        return f.default
    if f.default_factory is not dataclasses.MISSING:
        return f.default_factory()
    return dataclasses.MISSING


def _nested_classes(cls: type) -> Iterator[type]:
    """The option dataclasses that ``cls``'s fields use, depth first, each once."""
    seen: set[type] = set()

    def walk(tp: Any) -> Iterator[type]:
        if isinstance(tp, type) and dataclasses.is_dataclass(tp):
            if tp not in seen:
                seen.add(tp)
                yield tp
                for hint in typing.get_type_hints(tp).values():
                    yield from walk(hint)
            return
        for arg in typing.get_args(tp):
            yield from walk(arg)

    for hint in typing.get_type_hints(cls).values():
        yield from walk(hint)


def _option_classes(tp: Any) -> list[type]:
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        return [tp]
    return [c for arg in typing.get_args(tp) for c in _option_classes(arg)]


def _table(cls: type) -> list[str]:
    docs = _args_section(cls)
    hints = typing.get_type_hints(cls)
    missing = [f.name for f in dataclasses.fields(cls) if not docs.get(f.name)]
    if missing:
        raise DocError(f"{cls.__name__}: no description in its docstring's Args section for {', '.join(missing)}")
    rows = ["| Argument | Type | Default | Meaning |", "|---|---|---|---|"]
    for f in dataclasses.fields(cls):
        default = _field_default(f)
        default_text = "required" if default is dataclasses.MISSING else f"`{_cell(_default_text(default))}`"
        meaning = _md(docs[f.name])
        linked = [c.__name__ for c in _option_classes(hints[f.name])]
        if linked:
            meaning += " See " + " / ".join(f"[`{name}`](#{name.lower()})" for name in linked) + "."
        rows.append(f"| `{f.name}` | `{_cell(_type_name(hints[f.name]))}` | {default_text} | {_cell(meaning)} |")
    return rows


def chart_arguments(source: Path | None = None) -> list[tuple[str, str, str | None]]:
    """``(name, type, default)`` of each argument of ``MXNetChart.__init__`` but ``self`` and
    ``**options``, read from the source; the default is None for a required argument."""
    tree = ast.parse((source or CHART_SOURCE).read_text())
    init = next(
        node
        for cls in tree.body
        if isinstance(cls, ast.ClassDef) and cls.name == "MXNetChart"
        for node in cls.body
        if isinstance(node, ast.FunctionDef) and node.name == "__init__"
    )
    spec = init.args
    positional = [(a, None) for a in spec.args[1:]]
    out: list[tuple[str, str, str | None]] = []
    for arg, default in [*positional, *zip(spec.kwonlyargs, spec.kw_defaults, strict=True)]:
        annotation = ast.unparse(arg.annotation) if arg.annotation else "Any"
        out.append((arg.arg, annotation, None if default is None else ast.unparse(default)))
    return out


def _chart_rows() -> tuple[str, list[str]]:
    args = chart_arguments()
    missing = [name for name, _, _ in args if name not in CHART_MEANINGS]
    if missing:
        raise DocError(f"MXNetChart arguments without a meaning in _docgen.CHART_MEANINGS: {', '.join(missing)}")
    keywords = ", ".join(f"{name}={default}" for name, _, default in args if default is not None)
    positional = ", ".join(name for name, _, default in args if default is None)
    heading = f"### `MXNetChart({positional}, *, {keywords}, **options)`"
    rows = [
        f"| `{name}` | `{_cell(tp)}` | {'required' if default is None else f'`{default}`'} | {CHART_MEANINGS[name]} |"
        for name, tp, default in args
    ]
    return heading, rows


def options_markdown() -> str:
    """The options reference: ``MXNetChart``'s arguments, then every option class."""
    heading, rows = _chart_rows()
    out = [
        f"<!-- Generated by `{REGENERATE}` from the docstrings in mxnet_construct/options/; do not edit. -->",
        "",
        heading,
        "",
        _summary(o.MXNetOptions),
        "",
        "| Argument | Type | Default | Meaning |",
        "|---|---|---|---|",
        *rows,
    ]
    out += _table(o.MXNetOptions)[2:]
    for cls in _nested_classes(o.MXNetOptions):
        out += ["", f"### `{cls.__name__}`", "", _summary(cls), "", *_table(cls)]
    return "\n".join(out) + "\n"


def topology_markdown(source: Path = TOPOLOGY_SOURCE) -> str:
    """The Mermaid picture of ``dist/``, as a fenced block GitHub renders."""
    from . import diagram

    rel = source.relative_to(ROOT) if source.is_relative_to(ROOT) else source
    mermaid = diagram.to_mermaid(diagram.build(diagram.load_documents(source)))
    return (
        f"<!-- Generated by `{REGENERATE}` with `mxnet-construct diagram {rel}`; do not edit. -->\n\n"
        f"```mermaid\n{mermaid}```\n"
    )


# --- generated blocks ------------------------------------------------------------------


def replace_block(text: str, name: str, body: str) -> str:
    """``text`` with the part between ``<!-- name:start -->`` and ``<!-- name:end -->`` replaced."""
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    if text.count(start) != 1 or text.count(end) != 1 or text.index(start) > text.index(end):
        raise DocError(f"the page needs exactly one {start} ... {end} pair")
    head, rest = text.split(start)
    _, tail = rest.split(end)
    return f"{head}{start}\n{body}{end}{tail}"


def blocks() -> dict[Path, dict[str, str]]:
    """Every generated block, by page and marker name (read at call time, so tests can redirect)."""
    return {OPTIONS_DOC: {"options": options_markdown()}, DIAGRAM_DOC: {"topology": topology_markdown()}}


def render_page(text: str, page_blocks: Mapping[str, str]) -> str:
    """``text`` with every generated block of ``page_blocks`` refreshed."""
    for name, body in page_blocks.items():
        text = replace_block(text, name, body)
    return text


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=REGENERATE, description="Regenerate the generated blocks of docs/.")
    parser.add_argument("--check", action="store_true", help="only report whether every page is up to date")
    parser.add_argument("--no-svg", action="store_true", help="skip docs/topology.svg (it needs Graphviz's dot)")
    args = parser.parse_args(argv)
    stale = []
    for page, page_blocks in blocks().items():
        current = page.read_text()
        fresh = render_page(current, page_blocks)
        if fresh == current:
            continue
        stale.append(page)
        if not args.check:
            page.write_text(fresh)
    if args.check:
        for page in stale:
            print(
                f"{page.relative_to(ROOT) if page.is_relative_to(ROOT) else page} is stale; run `{REGENERATE}`",
                file=sys.stderr,
            )
        return 1 if stale else 0
    if not args.no_svg:
        from . import diagram

        TOPOLOGY_SVG.parent.mkdir(exist_ok=True)
        TOPOLOGY_SVG.write_bytes(diagram.render(diagram.build(diagram.load_documents(TOPOLOGY_SOURCE)), "svg"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
