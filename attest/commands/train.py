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
    for name, helptext in (
        ("embedder", "adapt the bundled MiniLM embedder to the training questions (experiment)"),
        ("cross-encoder", "fine-tune MiniLM as a (question, sentence) cross-encoder (experiment)"),
    ):
        e = what.add_parser(name, help=helptext)
        e.add_argument("--train", type=Path, default=TRAIN, metavar="FILE")
        e.add_argument("--out", type=Path, required=True, metavar="DIR", help="where to save it")
        e.add_argument("--epochs", type=int, default=2)
        e.set_defaults(handler=run_embedder if name == "embedder" else run_cross_encoder)
    w = what.add_parser(
        "writer",
        help="the LoRA adapter that teaches the bundled model to write short, attributed, cited "
        "answers (CPU, fixed seed; about an hour on 2 cores)",
    )
    w.add_argument("--train", type=Path, default=TRAIN, metavar="FILE")
    w.add_argument(
        "--out", type=Path, default=None, metavar="DIR", help="default: the shipped adapter"
    )
    w.add_argument(
        "--data",
        type=Path,
        default=None,
        metavar="FILE",
        help="where the examples are written (default: train/data/writer.jsonl)",
    )
    w.add_argument(
        "--from-data",
        action="store_true",
        help="train on the examples already in --data instead of rebuilding them",
    )
    w.add_argument("--limit", type=int, default=None, help="only the first N questions (a trial)")
    w.add_argument("--epochs", type=int, default=None, help="default: 2")
    w.set_defaults(handler=run_writer)


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


def run_writer(args: argparse.Namespace) -> int:
    from train.writer import DATA, EPOCHS, train_writer

    settings = settings_from_args(args)
    train_writer(
        args.train,
        settings,
        out=args.out,
        data=args.data or DATA,
        from_data=args.from_data,
        limit=args.limit,
        epochs=args.epochs or EPOCHS,
    )
    return 0


def run_embedder(args: argparse.Namespace) -> int:
    """Fine-tune the embedder; use it with ``embedding_model = "<DIR>"`` (the index rebuilds)."""
    from embeddings.factory import get_embedder
    from embeddings.sentence_transformer import resolve_model
    from eval.questions import load_questions
    from rag.retrieval.store import get_index
    from train.embedder import embedder_pairs, fit_embedder

    settings = settings_from_args(args)
    index = get_index(settings, get_embedder(settings))
    pairs = embedder_pairs(load_questions(args.train), index.chunks)
    seconds = fit_embedder(pairs, resolve_model("bundled"), args.out, epochs=args.epochs)
    print(f"{len(pairs)} pairs, {seconds:.0f} s -> {args.out}")
    return 0


def run_cross_encoder(args: argparse.Namespace) -> int:
    """Fine-tune a cross-encoder on the selector's candidates (hard negatives: its top-ranked)."""
    from embeddings.factory import get_embedder
    from embeddings.sentence_transformer import resolve_model
    from eval.questions import load_questions
    from rag.answer.ranker import load_ranker
    from rag.retrieval.store import get_index
    from train.cross import fit_cross_encoder, training_pairs
    from train.selector import build_groups

    settings = settings_from_args(args)
    embedder = get_embedder(settings)
    index = get_index(settings, embedder)
    groups = build_groups(load_questions(args.train), settings, index=index, embedder=embedder)
    ranker = load_ranker()
    pairs = training_pairs(groups, [ranker.probabilities(g.x) for g in groups])
    seconds = fit_cross_encoder(pairs, resolve_model("bundled"), args.out, epochs=args.epochs)
    print(f"{len(pairs)} pairs, {seconds:.0f} s -> {args.out}")
    return 0
