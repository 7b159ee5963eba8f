"""Writes ``mxnet_construct/k8s_types.py``: typed Kubernetes 1.27 pod parts, offline.

Run it as ``make k8s-types`` (or ``python scripts/gen_k8s_types.py``). The source is the
Kubernetes 1.27 JSON schema that the ``kubernetes-validate`` package ships (already in the dev
environment), so no network is needed and the output depends only on that package's version
and on the struct class names of the installed ``cdk8s-plus-27`` (read from its source text:
nothing is imported, so no Node process starts).

The generated module holds, for ``PodTemplateSpec`` and every type reachable from it:

- a ``TypedDict`` (``total=False``, required fields as ``Required[...]``) in the Kubernetes
  JSON spelling, so a typo in a subclass hook is a mypy error. The fields of the pod and its
  containers (:data:`STRUCT_HOLDERS`) also admit the matching ``cdk8s_plus_27.k8s`` struct
  (``containers: list[Container | k8s.Container]``), because the hook's result is converted
  at run time wherever a struct stands;
- one line of a runtime table, ``FIELDS``, that :mod:`mxnet_construct._pod_parts` parses to
  check dicts and convert cdk8s-plus structs. The table is a string per type rather than
  nested dicts, so importing the module stays cheap: it is parsed only when first used.

``--check`` exits 1 when the committed file differs from what would be written.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "mxnet_construct" / "k8s_types.py"
KUBERNETES_VERSION = "v1.27.0"
ROOT_TYPE = "io.k8s.api.core.v1.PodTemplateSpec"

# Types whose object-typed fields also take a cdk8s_plus_27.k8s struct: the parts a
# ``pod_template()`` hook adds (containers, volumes, tolerations, env, probes, ...). Deeper
# types stay dict-only so reading them needs no narrowing; PodTemplateSpec's metadata and
# spec stay dicts so ``pod["spec"]["containers"]`` needs none either.
STRUCT_HOLDERS = ("io.k8s.api.core.v1.PodSpec", "io.k8s.api.core.v1.Container", "io.k8s.api.core.v1.EphemeralContainer")

# Schema types with no properties of their own, and how each is written in Python and in
# the runtime table.
SCALAR_REFS = {
    "io.k8s.apimachinery.pkg.api.resource.Quantity": ("Quantity", "quantity"),
    "io.k8s.apimachinery.pkg.util.intstr.IntOrString": ("IntOrString", "int-or-string"),
    "io.k8s.apimachinery.pkg.apis.meta.v1.Time": ("str", "str"),
    "io.k8s.apimachinery.pkg.apis.meta.v1.FieldsV1": ("dict[str, Any]", "any"),
}


def schema_path() -> Path:
    """The strict 1.27 definitions inside the installed kubernetes-validate package."""
    import kubernetes_validate

    base = Path(kubernetes_validate.__file__).parent / "kubernetes-json-schema"
    return base / f"{KUBERNETES_VERSION}-local-strict" / "_definitions.json"


def load_definitions(path: Path) -> dict[str, Any]:
    """Every schema definition of the file, by its full name."""
    defs: dict[str, Any] = json.loads(path.read_text())["$defs"]
    return defs


def short(name: str) -> str:
    """``io.k8s.api.core.v1.Container`` -> ``Container``."""
    return name.rsplit(".", 1)[-1]


def ref_name(prop: dict[str, Any]) -> str | None:
    ref = prop.get("$ref")
    return ref.rsplit("/", 1)[-1] if isinstance(ref, str) else None


def _refs(node: Any) -> list[str]:
    """Names of the object types a schema node refers to, in order, each once."""
    found: list[str] = []
    if isinstance(node, dict):
        name = ref_name(node)
        if name is not None and name not in SCALAR_REFS:
            found.append(name)
        for value in node.values():
            found += _refs(value)
    elif isinstance(node, list):
        for item in node:
            found += _refs(item)
    return list(dict.fromkeys(found))


def reachable(defs: dict[str, Any], root: str) -> list[str]:
    """Object types reachable from ``root`` (itself included), each after the types it uses.

    That order lets the module define its TypedDicts without ``from __future__ import
    annotations``: string annotations would each be compiled into a ForwardRef when the
    class is made, which made importing the module about five times slower.
    """
    names: list[str] = []
    visiting: set[str] = set()

    def visit(name: str) -> None:
        if name in names:
            return
        if name in visiting:
            raise SystemExit(f"recursive schema type {name}: needs forward references")
        visiting.add(name)
        for dep in sorted(_refs(defs[name]), key=short):
            visit(dep)
        visiting.discard(name)
        names.append(name)

    visit(root)
    shorts = [short(n) for n in names]
    clashes = sorted({s for s in shorts if shorts.count(s) > 1})
    if clashes:
        raise SystemExit(f"short type names clash: {clashes}")
    return names


def k8s_struct_names() -> dict[str, str]:
    """Lowercased name -> class name of every class in ``cdk8s_plus_27.k8s``.

    jsii spells acronyms as words (``PodDnsConfig`` for ``PodDNSConfig``); the lowercase
    forms agree. Read from the module's source so the generator never starts Node.
    """
    import importlib.util

    spec = importlib.util.find_spec("cdk8s_plus_27")
    if spec is None or spec.origin is None:
        raise SystemExit("cdk8s-plus-27 is not installed: run `make setup`")
    source = (Path(spec.origin).parent / "k8s" / "__init__.py").read_text()
    return {name.lower(): name for name in re.findall(r"^class (\w+)\b", source, flags=re.MULTILINE)}


def _types(prop: dict[str, Any]) -> list[str]:
    kind = prop.get("type", [])
    return [kind] if isinstance(kind, str) else list(kind)


def field_type(prop: dict[str, Any], structs: dict[str, str] | None = None) -> tuple[str, str]:
    """(Python annotation, runtime table spec) of one schema property.

    With ``structs`` (see :func:`k8s_struct_names`), an object type, or a list of one, also
    admits its ``cdk8s_plus_27.k8s`` struct.
    """
    name = ref_name(prop)
    if name is not None:
        if name in SCALAR_REFS:
            return SCALAR_REFS[name]
        if structs is None:
            return short(name), short(name)
        struct = structs.get(short(name).lower())
        if struct is None:
            raise SystemExit(f"cdk8s_plus_27.k8s has no struct for {short(name)}")
        return f"{short(name)} | k8s.{struct}", short(name)
    kinds = _types(prop)
    if "array" in kinds:
        py, spec = field_type(prop["items"], structs)
        return f"list[{py}]", f"[{spec}]"
    if "object" in kinds:
        values = prop.get("additionalProperties")
        if not isinstance(values, dict):
            return "dict[str, Any]", "any"
        py, spec = field_type(values)
        return f"dict[str, {py}]", f"{{{spec}}}"
    if "string" in kinds:
        return "str", "str"
    if "boolean" in kinds:
        return "bool", "bool"
    if "integer" in kinds:
        return "int", prop.get("format", "int64")
    if "number" in kinds:
        return "float", "float"
    raise SystemExit(f"no Python type for schema property {prop}")


def summary(description: str) -> str:
    """The first sentence of a schema description, safe inside a docstring."""
    text = " ".join(description.split())
    cut = text.find(". ")
    sentence = text if cut < 0 else text[: cut + 1]
    sentence = sentence.replace("\\", "\\\\").replace('"""', "'''").strip()
    if not sentence.endswith("."):
        sentence += "."
    return sentence


def render(defs: dict[str, Any], source: str, structs: dict[str, str]) -> str:
    """The whole text of ``k8s_types.py``."""
    names = reachable(defs, ROOT_TYPE)
    annotations = {
        (name, prop_name): field_type(prop, structs if name in STRUCT_HOLDERS else None)
        for name in names
        for prop_name, prop in defs[name]["properties"].items()
    }
    used = sorted({m for py, _ in annotations.values() for m in re.findall(r"\bk8s\.(\w+)", py)})
    out = [
        f'"""Typed Kubernetes {KUBERNETES_VERSION[1:]} pod parts: ``PodTemplateSpec`` and every type it reaches.',
        "",
        "GENERATED by scripts/gen_k8s_types.py (``make k8s-types``) from the Kubernetes",
        f"{KUBERNETES_VERSION[1:]} JSON schema shipped in {source}. Do not edit by hand.",
        "",
        "Each ``TypedDict`` uses the Kubernetes JSON field names (``volumeMounts``, not",
        "``volume_mounts``), so mypy catches a misspelt key or a wrongly typed value in a",
        "``pod_template()`` override. :data:`FIELDS` is the same information for checks at run",
        "time (see :mod:`mxnet_construct._pod_parts`).",
        "",
        "The fields of ``PodSpec``, ``Container`` and ``EphemeralContainer`` also take the",
        "matching ``cdk8s_plus_27.k8s`` struct (``containers: list[Container | k8s.Container]``):",
        "the hook's result is converted to JSON wherever one stands. Reading such a field back",
        "gives the union, so narrow an entry with ``isinstance(c, dict)`` before indexing it.",
        '"""',
        "",
        "from typing import TYPE_CHECKING, Any, Final, Required, TypeAlias, TypedDict",
        "",
        "if TYPE_CHECKING:",
        "    from cdk8s_plus_27 import k8s",
        "else:",
        "    # Importing jsii here would start Node for every user of the package. At run time",
        "    # ``k8s`` names inert stand-ins, so the annotations still evaluate and",
        "    # ``typing.get_type_hints`` works; only type checkers see the real structs.",
        "    from types import SimpleNamespace",
        "",
        "    k8s = SimpleNamespace(",
        "        **{",
        '            name: type(name, (), {"__module__": "cdk8s_plus_27.k8s"})',
        "            for name in (",
        *(f'                "{name}",' for name in used),
        "            )",
        "        }",
        "    )",
        "",
        "Quantity: TypeAlias = str | int | float",
        '"""A resource quantity: ``"500m"``, ``"1Gi"``, ``2`` or ``0.5``."""',
        "IntOrString: TypeAlias = int | str",
        '"""A port number or name, or an integer or percentage such as ``"25%"``."""',
    ]
    table: dict[str, str] = {}
    for name in names:
        schema = defs[name]
        required = set(schema.get("required", []))
        out += ["", "", f"class {short(name)}(TypedDict, total=False):"]
        out += [f'    """{summary(schema.get("description", short(name)))}"""', ""]
        specs = []
        for prop_name in schema["properties"]:
            py, spec = annotations[name, prop_name]
            mark = "!" if prop_name in required else ""
            out.append(f"    {prop_name}: {f'Required[{py}]' if mark else py}")
            specs.append(f"{prop_name}{mark}:{spec}")
        table[short(name)] = f'    "{short(name)}": "{" ".join(specs)}",'
    out += [
        "",
        "",
        "# The runtime table: for each type, its fields as ``name:spec``, space-separated. A",
        "# ``!`` after the name marks a required field. A spec is a type name above, ``str``,",
        "# ``bool``, ``int32``, ``int64``, ``float``, ``quantity``, ``int-or-string``, ``any``",
        "# (free-form JSON object), ``[spec]`` (a list) or ``{spec}`` (a map from strings).",
        "FIELDS: Final[dict[str, str]] = {",
        *(table[key] for key in sorted(table)),
        "}",
        "",
    ]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="fail if the committed file is out of date")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    import kubernetes_validate.version

    source = f"kubernetes-validate {kubernetes_validate.version.__version__}"
    text = render(load_definitions(schema_path()), source, k8s_struct_names())
    if args.check:
        current = args.output.read_text() if args.output.exists() else ""
        if current != text:
            print(f"{args.output} is out of date; run `make k8s-types`", file=sys.stderr)
            return 1
        return 0
    args.output.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
