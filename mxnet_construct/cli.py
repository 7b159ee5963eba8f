"""The ``mxnet-construct`` command (also ``python -m mxnet_construct``).

Each subcommand lives in its own module, imported only when that subcommand runs, so
``--help`` stays fast. A module registers itself with ``register(subparsers)``, which adds
its parser and sets ``func`` to a callable taking the parsed arguments and returning an
exit code.

Errors the user can fix (bad values, unreadable files) end the command with one line on
stderr and a non-zero exit code, never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import os
import subprocess
import sys
from collections.abc import Sequence
from typing import NoReturn

from ._version import __version__

# subcommand -> module that registers it
SUBCOMMANDS = {
    "template": "mxnet_construct.helm_cli",
    "run-local": "mxnet_construct.runner",
    "diagram": "mxnet_construct.diagram",
}
# Optional Python packages and the pyproject extra that installs each, so a command that
# needs one says how to get it instead of printing a ModuleNotFoundError traceback.
EXTRAS = {"graphviz": "diagram"}
# The top-level --help lists every command from here, so it imports none of their modules.
SUMMARIES = {
    "template": "render a release from a Helm values.yaml, like `helm template`",
    "run-local": "run synthesized manifests as local processes with real MXNet",
    "diagram": "draw a release's topology from synthesized YAML",
}


# jsii prints an 11-line end-of-life banner on every run under a Node release it no longer
# supports (Node 20 since 2026-10-30), even when the run succeeds. Setting this variable to the
# running Node major before jsii starts its Node process silences exactly that banner.
SILENCE_NODE_BANNER = "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION"


class UsageError(Exception):
    """A problem with the command line or its inputs, reported as one line."""


class _Parser(argparse.ArgumentParser):
    # argparse prints the whole usage block before an error; one line is easier to read
    # in CI logs and to grep. Subparsers inherit this class.
    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see `{self.prog} --help`)\n")


def _one_line(err: BaseException) -> str:
    return "; ".join(line.strip() for line in str(err).splitlines() if line.strip()) or type(err).__name__


def silence_node_banner() -> None:
    """Sets jsii's banner-silencing variable to the running Node major, if it is unset.

    Called before a subcommand runs, so jsii's Node process inherits it; ``--help`` and
    ``--version`` never start Node. A user's own setting wins. When ``node`` is missing or
    answers oddly nothing is set: jsii then reports the real problem itself.
    """
    if os.environ.get(SILENCE_NODE_BANNER):
        return
    try:
        proc = subprocess.run(
            ["node", "-p", "process.versions.node"], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return
    major = proc.stdout.strip().split(".")[0]
    if proc.returncode == 0 and major.isdigit():
        os.environ[SILENCE_NODE_BANNER] = major


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The command-line parser; only the ``only`` subcommand's module is imported.

    The other subcommands get a placeholder parser, so they are still listed in
    ``--help`` and accepted as choices.
    """
    parser = _Parser(
        prog="mxnet-construct",
        description="Synthesize, dry-run and draw Apache MXNet releases for Kubernetes.",
    )
    parser.add_argument("-V", "--version", action="version", version=f"%(prog)s {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, module in SUBCOMMANDS.items():
        if name != only:
            subparsers.add_parser(name, help=SUMMARIES[name])
            continue
        importlib.import_module(module).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Runs the command line ``argv`` (default ``sys.argv[1:]``) and returns the exit code."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    chosen = next((a for a in args_list if not a.startswith("-")), None)
    parser = build_parser(chosen)
    if not args_list:
        parser.print_help(sys.stderr)
        return 2
    args, extra = parser.parse_known_args(args_list)
    if extra:
        # argparse would blame the top-level command; name the subcommand whose options
        # the user got wrong.
        parser.exit(
            2,
            f"{parser.prog} {args.command}: error: unrecognized arguments: {' '.join(extra)} "
            f"(see `{parser.prog} {args.command} --help`)\n",
        )
    silence_node_banner()
    try:
        code: int = args.func(args)
    except (UsageError, ValueError, TypeError, OSError) as err:
        print(f"mxnet-construct {args.command}: error: {_one_line(err)}", file=sys.stderr)
        return 2
    except ModuleNotFoundError as err:
        needed = EXTRAS.get((err.name or "").partition(".")[0])
        if needed is None:
            raise
        print(
            f"mxnet-construct {args.command}: error: this needs the {err.name!r} package; "
            f'install the extra: pip install "mxnet-construct[{needed}]"',
            file=sys.stderr,
        )
        return 2
    except KeyboardInterrupt:
        return 130
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
