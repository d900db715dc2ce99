"""`attest search "question"`: ranked passages with author, work, anchor and scores."""

from __future__ import annotations

import argparse
import textwrap

from attest.commands.common import checked_filters, settings_from_args


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("search", help="print the passages retrieved for a question")
    p.add_argument("query", help="the question or search words")
    p.add_argument(
        "--author", action="append", metavar="NAME", help="only this author (repeatable)"
    )
    p.add_argument("--work", action="append", metavar="ID", help="only this work id (repeatable)")
    p.add_argument("-k", type=int, default=None, metavar="N", help="passages to show")
    p.add_argument(
        "--mode", choices=("hybrid", "dense", "bm25"), default="hybrid", help="ranking signal"
    )
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from corpus.errors import InputError
    from rag.retrieval.search import retrieve

    if not args.query.strip():
        raise InputError('the search query is empty: pass some words, e.g. attest search "purges"')
    if args.k is not None and args.k < 1:
        raise InputError(f"-k must be at least 1 (got {args.k})")
    settings = settings_from_args(args)
    authors, works = checked_filters(args.author, args.work, settings)
    hits = retrieve(
        args.query, args.k, authors=authors, works=works, settings=settings, mode=args.mode
    )
    if not hits:
        print("no passages found")
        return 1
    for rank, h in enumerate(hits, start=1):
        c = h.chunk
        year = f" ({c.year})" if c.year else ""
        dr = h.dense_rank if h.dense_rank is not None else "-"
        lr = h.lexical_rank if h.lexical_rank is not None else "-"
        kind = " [footnote]" if c.kind == "footnote" else ""
        print(f"{rank}. {c.author} — {c.title}{year} — {c.anchor}{kind}")
        print(
            f"   score {h.score:.4f} | dense {h.dense_score:.3f} (#{dr}) | "
            f"bm25 {h.lexical_score:.2f} (#{lr})"
        )
        snippet = c.text if len(c.text) <= 400 else c.text[:400].rsplit(" ", 1)[0] + " …"
        print(textwrap.indent(textwrap.fill(snippet, 96), "   "))
    return 0
