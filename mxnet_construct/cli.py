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
import sys
from collections.abc import Sequence

from ._version import __version__

# subcommand -> module that registers it
SUBCOMMANDS = {
    "template": "mxnet_construct.helm_cli",
    "run-local": "mxnet_construct.runner",
    "diagram": "mxnet_construct.diagram",
}


class UsageError(Exception):
    """A problem with the command line or its inputs, reported as one line."""


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mxnet-construct",
        description="Synthesize, dry-run and draw Apache MXNet releases for Kubernetes.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, module in SUBCOMMANDS.items():
        if only is not None and name != only:
            # Keep unrelated modules unloaded, but still list the command in --help.
            subparsers.add_parser(name, help=f"see `mxnet-construct {name} --help`")
            continue
        importlib.import_module(module).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    chosen = next((a for a in args_list if not a.startswith("-")), None)
    parser = build_parser(chosen if chosen in SUBCOMMANDS else None)
    args = parser.parse_args(args_list)
    try:
        code: int = args.func(args)
    except (UsageError, ValueError, TypeError, OSError) as err:
        print(f"mxnet-construct {args.command}: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
