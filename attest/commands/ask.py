"""`attest ask "question"`: a verified answer with citations, then the cited excerpts and timings."""

from __future__ import annotations

import argparse
import json
import sys
import textwrap
from dataclasses import asdict
from typing import Any

from attest.commands.common import checked_filters, settings_from_args


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("ask", help="answer a question; every sentence cited and verified")
    p.add_argument("question", help="the question, in quotes")
    p.add_argument(
        "--mode",
        choices=("select", "grounded", "extractive", "free"),
        default=None,
        help="select = the passages that answer, quoted per author (default with the bundled "
        "model); grounded = model draft verified (default with any other model); extractive = "
        "quotes only; free = raw model output, unverified (for comparison)",
    )
    p.add_argument(
        "--author", action="append", metavar="NAME", help="only this author (repeatable)"
    )
    p.add_argument("--work", action="append", metavar="ID", help="only this work id (repeatable)")
    p.add_argument(
        "--show-unverified",
        action="store_true",
        help="also print drafted sentences that failed verification (marked)",
    )
    p.add_argument("--json", action="store_true", help="print the Answer as JSON")
    p.set_defaults(handler=run)


def _answer_dict(ans) -> dict[str, Any]:
    d = asdict(ans)
    for c in d["citations"]:
        chunk = c.pop("chunk")
        c["chunk_id"] = chunk["id"]
        c["file"] = chunk["file"]
    return d


def _marked(excerpt: str, span: tuple[int, int] | None) -> str:
    """The excerpt with its supporting span between »guillemets«."""
    if not span:
        return excerpt
    a, b = span
    return f"{excerpt[:a]}»{excerpt[a:b]}«{excerpt[b:]}"


def run(args: argparse.Namespace) -> int:
    from rag.answer.pipeline import stream_answer
    from rag.answer.types import Answer, Draft, Status

    settings = settings_from_args(args)
    authors, works = checked_filters(args.author, args.work, settings)
    final: Answer | None = None
    for event in stream_answer(
        args.question,
        settings=settings,
        authors=authors,
        works=works,
        mode=args.mode,
        show_unverified=args.show_unverified,
    ):
        if isinstance(event, Status) and not args.json:
            print(f"[{event.text}]", file=sys.stderr, flush=True)
        elif isinstance(event, Draft):
            continue
        elif isinstance(event, Answer):
            final = event
    assert final is not None
    if args.json:
        print(json.dumps(_answer_dict(final), ensure_ascii=False, indent=2))
        return 0
    if final.message:
        print(final.message)
        print()
    for s in final.sentences:
        marks = "".join(f"[{n}]" for n in s.citations)
        prefix = "" if s.supported else "(unverified) "
        print(textwrap.fill(f"{prefix}{s.text} {marks}".strip(), 100))
    if args.show_unverified and final.dropped and not any(not s.supported for s in final.sentences):
        print("\nNot verified (dropped):")
        for s in final.dropped:
            print(textwrap.fill(f"- {s.text} ({', '.join(s.flags)})", 100))
    if final.citations:
        print("\nSources:" if not final.abstained else "\nClosest passages:")
    for c in final.citations:
        year = f", {c.year}" if c.year else ""
        who = f"{c.author}, quoting {c.quoted_speaker}" if c.quoted_speaker else c.author
        print(f"[{c.n}] {who} — {c.work}{year} — {c.anchor}")
        print(textwrap.indent(textwrap.fill(_marked(c.excerpt, c.supporting_span), 96), "    "))
    t = final.timings
    shown = ("ttft_s", "total_s", "load_s", "retrieve_s", "generate_s", "verify_s")
    parts = [f"{k[:-2]} {t[k]:.2f}s" for k in shown if k in t]
    print(f"\n{final.model or final.mode} · " + " · ".join(parts))
    return 0
