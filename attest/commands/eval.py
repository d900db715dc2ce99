"""`attest eval`: answer evaluation (default), `attest eval retrieval` and `attest eval compare`.

attest eval --questions FILE [--mode grounded extractive free ...] [--limit N] [--out DIR] [--json OUT]
attest eval retrieval [--questions FILE] [-k 5] [--json OUT]
attest eval voices [--labels FILE] [--misses]
attest eval compare A.json B.json
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from attest.commands.common import settings_from_args
from corpus.settings import PROJECT_ROOT

DEV_QUESTIONS = PROJECT_ROOT / "eval" / "data" / "dev.jsonl"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "eval",
        help="evaluate answers (default), retrieval, or compare two runs",
        description="Run the answer pipeline over a question file in one or more modes side by "
        "side, judge every sentence with an independent judge, and report faithfulness, "
        "citations, attribution, abstention and latency. Modes: select (the default for the "
        "bundled model), grounded, extractive, free, optionally with a retrieval variant or "
        "setting override: grounded@lexical, grounded@dense, "
        "grounded@noauthors, grounded@boost, grounded@mmr, grounded@k3, grounded@k8, or "
        "grounded@SETTING=VALUE[,SETTING=VALUE]. Definitions: eval/README.md.",
    )
    p.add_argument(
        "--questions", type=Path, default=DEV_QUESTIONS, metavar="FILE", help="JSON-lines questions"
    )
    p.add_argument(
        "--mode",
        nargs="+",
        default=None,
        metavar="MODE",
        help="modes evaluated side by side (default: select)",
    )
    p.add_argument("--limit", type=int, default=None, metavar="N", help="first N questions only")
    p.add_argument("--out", type=Path, default=None, metavar="DIR", help="write report.md + plots")
    p.add_argument("--json", type=Path, default=None, metavar="OUT", help="write the results")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(handler=run)
    evsub = p.add_subparsers(dest="eval_command", required=False, metavar="WHAT")

    r = evsub.add_parser("retrieval", help="hit@k, recall@k, MRR@k, nDCG@k for bm25/dense/hybrid")
    r.add_argument(
        "--questions", type=Path, default=DEV_QUESTIONS, metavar="FILE", help="JSON-lines questions"
    )
    r.add_argument("-k", type=int, default=5, metavar="N", help="cut-off rank (default 5)")
    r.add_argument("--json", type=Path, default=None, metavar="OUT", help="also write the figures")
    r.set_defaults(handler=run_retrieval)

    v = evsub.add_parser(
        "voices", help="per-voice precision/recall of sentence voices against hand labels"
    )
    v.add_argument(
        "--labels",
        type=Path,
        default=PROJECT_ROOT / "eval" / "data" / "voices.jsonl",
        metavar="FILE",
        help="hand-labelled sentences (default: eval/data/voices.jsonl)",
    )
    v.add_argument("--misses", action="store_true", help="also list every wrong voice")
    v.set_defaults(handler=run_voices)

    c = evsub.add_parser("compare", help="print the differences between two `--json` results")
    c.add_argument("a", type=Path, metavar="A.json")
    c.add_argument("b", type=Path, metavar="B.json")
    c.set_defaults(handler=run_compare)


def run(args: argparse.Namespace) -> int:
    return _run_answer_eval(args)


def _run_answer_eval(args: argparse.Namespace) -> int:
    from corpus.errors import InputError
    from eval.questions import load_questions
    from eval.report import build_json, format_summary, write_json, write_report
    from eval.run import run_eval

    if args.limit is not None and args.limit < 1:
        raise InputError(f"--limit must be at least 1 (got {args.limit})")
    settings = settings_from_args(args)
    questions = load_questions(args.questions)
    result = run_eval(
        questions,
        args.mode or ["select"],
        settings,
        limit=args.limit,
        progress=not args.no_progress,
    )
    data = build_json(result)
    print(format_summary(data))
    if args.json is not None:
        print(f"results written to {write_json(data, args.json)}")
    if args.out is not None:
        print(f"report written to {write_report(data, args.out)}")
    return 0


def run_retrieval(args: argparse.Namespace) -> int:
    from corpus.errors import InputError
    from eval.questions import load_questions
    from eval.retrieval import evaluate_retrieval, format_retrieval_report
    from rag.retrieval.store import ensure_index

    if args.k < 1:
        raise InputError(f"-k must be at least 1 (got {args.k})")
    settings = settings_from_args(args)
    questions = load_questions(args.questions)
    index = ensure_index(settings)
    result = evaluate_retrieval(questions, k=args.k, settings=settings, index=index)
    print(format_retrieval_report(result))
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2), encoding="utf-8")
        print(f"figures written to {args.json}")
    return 0


def run_compare(args: argparse.Namespace) -> int:
    from eval.compare import compare, format_comparison, load_result

    diff = compare(load_result(args.a), load_result(args.b))
    print(format_comparison(diff, str(args.a), str(args.b)))
    return 0


def run_voices(args: argparse.Namespace) -> int:
    from corpus.load import load_passages
    from eval.voices import evaluate_voices, format_voice_report

    report = evaluate_voices(args.labels, load_passages(settings_from_args(args)))
    print(format_voice_report(report))
    if args.misses:
        print()
        for gold, pred, sentence in report.misses:
            print(f"  {gold:>9} -> {pred:<9} {sentence}")
    return 0
