"""``mxnet-construct template``: ``helm template`` for people leaving the Bitnami chart.

    python -m mxnet_construct template RELEASE -f values.yaml [-f more.yaml] \\
        [--set key=value ...] [--set-string key=value ...] [-o DIR] [--namespace NS]

Flags mean what they mean in ``helm template``: ``-f`` files merge in order (maps merge
deeply, anything else is replaced), then every ``--set`` is applied on top, then every
``--set-string``. ``--set`` follows Helm's syntax: dotted paths, list indexes
(``commonExtraEnvVars[0].name=PS_VERBOSE``), several assignments separated by commas,
``{a,b}`` lists, backslash escapes, and Helm's typing (``true``/``false``, integers,
``null``; everything else is a string). The YAML written is byte-for-byte what the cdk8s
app path writes: stdout by default, ``DIR/RELEASE.k8s.yaml`` with ``-o``.
"""

from __future__ import annotations

import argparse
import copy
import re
import sys
import warnings
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

MAX_INDEX = 65536
MAX_DEPTH = 30
_INT = re.compile(r"[+-]?[0-9]+", re.ASCII)


class SetSyntaxError(ValueError):
    """A ``--set`` argument that does not follow Helm's syntax."""


def register(subparsers: Any) -> None:
    """Adds the ``template`` subcommand (see :mod:`mxnet_construct.cli`)."""
    parser = subparsers.add_parser(
        "template",
        help="render manifests from a Bitnami mxnet chart values.yaml, like `helm template`",
        description=(
            "Render the manifests of release RELEASE from values in the Bitnami mxnet chart's "
            "schema. -f files merge in order; --set and then --set-string override them."
        ),
    )
    parser.add_argument("release", metavar="RELEASE", help="release name (the chart id)")
    parser.add_argument(
        "-f", "--values", action="append", default=[], metavar="FILE", help="values file ('-' reads stdin); repeatable"
    )
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE[,KEY=VALUE]",
        help="set values, Helm syntax; repeatable",
    )
    parser.add_argument(
        "--set-string", action="append", default=[], metavar="KEY=VALUE", help="like --set, but every value is a string"
    )
    parser.add_argument(
        "-o", "--output-dir", metavar="DIR", help="write DIR/RELEASE.k8s.yaml instead of printing to stdout"
    )
    parser.add_argument("-n", "--namespace", metavar="NS", help="namespace written into every object")
    parser.add_argument(
        "--chart-version",
        metavar="VERSION",
        help="the Bitnami chart version the values are written for: 1.4.26, 2.4.17 or 3.5.1 "
        "(default: read from the keys)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Runs ``template``; user errors surface as ``ValueError``/``OSError`` for ``cli.main``."""
    values = collect_values(args.values, args.set, args.set_string)
    text, path = render(
        args.release,
        values,
        namespace=args.namespace,
        output_dir=args.output_dir,
        on_warning=_print_warning,
        chart_version=args.chart_version,
    )
    if path is None:
        sys.stdout.write(text)
    else:
        print(f"wrote {path}", file=sys.stderr)
    return 0


def _print_warning(message: str) -> None:
    print(f"mxnet-construct template: warning: {message}", file=sys.stderr)


def collect_values(files: Sequence[str], sets: Sequence[str] = (), set_strings: Sequence[str] = ()) -> dict[str, Any]:
    """The values ``helm template`` would see: files merged in order, then the ``--set`` flags."""
    from .helm import load_values_file, parse_values_text

    values: dict[str, Any] = {}
    for name in files:
        layer = parse_values_text(sys.stdin.read(), "<stdin>") if name == "-" else load_values_file(name)
        merge_values(values, layer)
    for line in sets:
        parse_set(line, values)
    for line in set_strings:
        parse_set(line, values, strings=True)
    return values


def render(
    release: str,
    values: Mapping[str, Any],
    *,
    namespace: str | None = None,
    output_dir: str | None = None,
    on_warning: Callable[[str], None] | None = None,
    chart_version: str | None = None,
) -> tuple[str, Path | None]:
    """The release's YAML, and the file written when ``output_dir`` is given.

    Values are checked before cdk8s starts, so bad input fails fast. Warnings about the
    values (e.g. a shadowed code source) go to ``on_warning`` when given, else to
    :mod:`warnings`.
    """
    from .helm import add_extra_objects, translate

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        translation = translate(values, chart_version)
    kwargs = translation.kwargs
    for warning in caught:
        if on_warning is None:
            warnings.warn(warning.message, warning.category, stacklevel=2)
        else:
            on_warning(str(warning.message))

    import cdk8s

    from .chart import MXNetChart

    if namespace is not None:
        kwargs["namespace"] = namespace
    app = cdk8s.App(outdir=output_dir) if output_dir else cdk8s.App()
    add_extra_objects(MXNetChart(app, release, **kwargs), translation.extra_objects)
    if output_dir is None:
        return app.synth_yaml(), None
    Path(output_dir).mkdir(parents=True, exist_ok=True)
    app.synth()
    path = Path(output_dir) / f"{release}.k8s.yaml"
    return path.read_text(encoding="utf-8"), path


def merge_values(base: dict[str, Any], layer: dict[str, Any]) -> dict[str, Any]:
    """Helm's merge of a later values file into an earlier one: maps merge, the rest is replaced."""
    for key, value in layer.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            merge_values(base[key], value)
        else:
            base[key] = copy.deepcopy(value)
    return base


def typed_value(text: str) -> Any:
    """Helm's typing of a ``--set`` value: booleans, ``null``, integers, else the text.

    As in Helm, only whole numbers without a leading zero are converted (``0755`` and
    ``1.10`` stay strings), and ``true``/``false``/``null`` ignore case.
    """
    lowered = text.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if lowered == "null":
        return None
    if text == "0":
        return 0
    if _INT.fullmatch(text) and not text.startswith("0") and -(2**63) <= int(text) < 2**63:
        return int(text)
    return text


class _Reader:
    """Reads one ``--set`` line the way Helm's strvals parser does."""

    def __init__(self, line: str, strings: bool) -> None:
        self.line = line
        self.pos = 0
        self.strings = strings

    def fail(self, message: str) -> SetSyntaxError:
        return SetSyntaxError(f"--set {self.line!r}: {message}")

    def until(self, stops: str) -> tuple[str, str | None]:
        """Text up to the first unescaped stop character, and that character (None at the end)."""
        out: list[str] = []
        while self.pos < len(self.line):
            ch = self.line[self.pos]
            self.pos += 1
            if ch in stops:
                return "".join(out), ch
            if ch == "\\":
                if self.pos >= len(self.line):
                    raise self.fail("it ends with a lone backslash")
                ch = self.line[self.pos]
                self.pos += 1
            out.append(ch)
        return "".join(out), None

    def value(self, key: str) -> Any:
        if self.line.startswith("{", self.pos):
            self.pos += 1
            items: list[Any] = []
            while True:
                text, stop = self.until(",}")
                if stop is None:
                    raise self.fail(f"the list given to {key!r} must end with '}}'")
                items.append(self.typed(text))
                if stop == "}":
                    if self.line.startswith(",", self.pos):
                        self.pos += 1
                    elif self.pos < len(self.line):
                        raise self.fail(f"unexpected text after the list given to {key!r}: {self.line[self.pos :]!r}")
                    return items
        text, _ = self.until(",")
        return self.typed(text)

    def typed(self, text: str) -> Any:
        return text if self.strings else typed_value(text)

    def assignments(self, data: dict[str, Any]) -> None:
        while self.pos < len(self.line):
            self.key(data, "", 0)

    def key(self, data: dict[str, Any], path: str, depth: int) -> None:
        if depth > MAX_DEPTH:
            raise self.fail(f"keys nest deeper than {MAX_DEPTH} levels")
        name, stop = self.until("=[,.")
        full = f"{path}{name}"
        if not name:
            raise self.fail(f"an empty key name after {path!r}" if path else "an assignment has no key name")
        if stop is None or stop == ",":
            raise self.fail(f"key {full!r} has no value; write {full}=VALUE")
        if stop == "=":
            data[name] = self.value(full)
        elif stop == ".":
            inner = data.get(name)
            if inner is None:
                inner = data[name] = {}
            elif not isinstance(inner, dict):
                raise self.fail(f"{full!r} is a {type(inner).__name__} in the values, so {full}.<key> cannot be set")
            self.key(inner, f"{full}.", depth + 1)
        else:
            current = data.get(name)
            if current is None:
                current = []
            elif not isinstance(current, list):
                raise self.fail(f"{full!r} is a {type(current).__name__} in the values, so {full}[i] cannot be set")
            data[name] = self.item(current, full, depth)

    def index(self, path: str) -> int:
        text, stop = self.until("]")
        if stop is None:
            raise self.fail(f"the index after {path!r} has no closing ']'")
        if not re.fullmatch(r"[0-9]+", text.strip()):
            raise self.fail(f"the index after {path!r} must be a whole number >= 0, got {text!r}")
        index = int(text)
        if index > MAX_INDEX:
            raise self.fail(f"index {index} is above the maximum of {MAX_INDEX}")
        return index

    def item(self, items: list[Any], path: str, depth: int) -> list[Any]:
        i = self.index(path)
        full = f"{path}[{i}]"
        while len(items) <= i:
            items.append(None)
        text, stop = self.until("[.=")
        if text:
            raise self.fail(f"unexpected text {text!r} after {full}")
        if stop is None:
            raise self.fail(f"key {full!r} has no value; write {full}=VALUE")
        if stop == "=":
            items[i] = self.value(full)
        elif stop == "[":
            inner = items[i]
            if inner is None:
                inner = []
            elif not isinstance(inner, list):
                raise self.fail(f"{full!r} is a {type(inner).__name__} in the values, so {full}[i] cannot be set")
            items[i] = self.item(inner, full, depth)
        else:
            inner = items[i]
            if not isinstance(inner, dict):
                # Helm replaces a non-map element here rather than failing.
                inner = items[i] = {}
            self.key(inner, f"{full}.", depth + 1)
        return items


def parse_set(line: str, values: dict[str, Any] | None = None, *, strings: bool = False) -> dict[str, Any]:
    """Applies one ``--set`` argument to ``values`` (a new dict when None) and returns it.

    Raises:
        SetSyntaxError: (a ``ValueError``) naming the argument and what is wrong with it.
    """
    data: dict[str, Any] = {} if values is None else values
    if not line:
        raise SetSyntaxError("--set '': give KEY=VALUE")
    _Reader(line, strings).assignments(data)
    return data
