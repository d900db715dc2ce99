"""``attest`` command line: a thin layer over library functions.

This package is the top of the import graph: it may import ``ui`` and ``eval``; nothing imports it.
Each subcommand lives in ``attest/commands/<name>.py`` with ``register(subparsers)``; heavy
imports stay inside the handlers so ``attest corpus`` never loads torch or gradio.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from corpus.errors import AttestError

# Order = order in --help.
COMMANDS = (
    "corpus",
    "add",
    "remove",
    "index",
    "search",
    "ask",
    "chat",
    "eval",
    "bench",
    "train",
    "settings",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="attest",
        description="Answer questions about essays on Stalinism; every sentence cited and verified.",
    )
    parser.add_argument(
        "--corpus", metavar="DIR", default=None, help="corpus folder (catalog.toml + texts)"
    )
    parser.add_argument("--data-dir", metavar="DIR", default=None, help="index and data folder")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(f"attest.commands.{name}").register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args) or 0)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except AttestError as exc:
        # A user-fixable problem: one clear line naming the file/entry and the fix, no traceback.
        print(f"attest: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
