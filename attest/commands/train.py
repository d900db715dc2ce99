"""`attest train selector|embedder|writer`: rebuild a learned part from data in the repository.

Each runs with a fixed seed on the training questions (eval/data/train.jsonl), reports its
figures on them and on the dev set (never trained on), and writes its weights where attest
loads them from.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from attest.commands.common import settings_from_args
from corpus.settings import PROJECT_ROOT

TRAIN = PROJECT_ROOT / "eval" / "data" / "train.jsonl"
DEV = PROJECT_ROOT / "eval" / "data" / "dev.jsonl"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("train", help="rebuild a learned part (selector, ...) from the training set")
    what = p.add_subparsers(dest="what", required=True, metavar="PART")
    s = what.add_parser(
        "selector",
        help="the answer-sentence ranker (logistic regression over interpretable features)",
    )
    s.add_argument("--train", type=Path, default=TRAIN, metavar="FILE")
    s.add_argument("--dev", type=Path, default=DEV, metavar="FILE")
    s.add_argument(
        "--out", type=Path, default=None, metavar="FILE", help="default: the shipped weights"
    )
    s.set_defaults(handler=run_selector)


def run_selector(args: argparse.Namespace) -> int:
    from eval.questions import load_questions
    from rag.answer.ranker import DEFAULT_MODEL
    from train.selector import train_selector

    settings = settings_from_args(args)
    train_selector(
        load_questions(args.train),
        load_questions(args.dev),
        settings,
        out=args.out or DEFAULT_MODEL,
    )
    return 0
