"""`attest remove WORK_ID`: remove a text added with `attest add`."""

from __future__ import annotations

import argparse
import sys

from attest.commands.common import settings_from_args


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "remove",
        help="remove a work added with `attest add` (its text, catalog entry and chunks)",
    )
    p.add_argument("work_id", metavar="WORK_ID", help="the work's id, as `attest corpus` lists it")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from rag.retrieval.update import remove_work

    result = remove_work(
        settings_from_args(args), args.work_id, log=lambda m: print(m, file=sys.stderr)
    )
    print(result.summary())
    return 0
