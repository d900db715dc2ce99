"""`attest add FILE --author NAME --title TITLE`: add a text of one's own to the corpus."""

from __future__ import annotations

import argparse
import sys

from attest.commands.common import settings_from_args


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "add",
        help="add a text (.txt, .md, .html, .pdf) as a new work; only its chunks are embedded",
        description="Copy FILE into the added-texts folder (<data_dir>/corpus), catalogue it with "
        "its sha256, clean it like the bundled essays and add its chunks to the index. Nothing "
        "changes when the file is refused.",
    )
    p.add_argument("file", metavar="FILE", help="the text: .txt, .md, .html or .pdf (text layer)")
    p.add_argument(
        "--author", required=True, help="author's name; a known name or alias joins that author"
    )
    p.add_argument("--title", required=True, help="title of the work")
    p.add_argument("--year", default=None, help="year of publication")
    p.add_argument(
        "--work-id",
        default=None,
        help="id for anchors and `attest remove` (default: surname-title)",
    )
    p.add_argument(
        "--split-marker",
        default=None,
        metavar="TEXT",
        help="the work begins at the first line starting with TEXT (front matter before it is "
        "left out)",
    )
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from rag.retrieval.update import add_text

    settings = settings_from_args(args)
    result = add_text(
        settings,
        args.file,
        author=args.author,
        title=args.title,
        year=args.year,
        work_id=args.work_id,
        split_marker=args.split_marker,
        log=lambda m: print(m, file=sys.stderr),
    )
    print(result.summary())
    return 0
