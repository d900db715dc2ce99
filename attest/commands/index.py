"""`attest index [--rebuild]`: build or refresh the search index."""

from __future__ import annotations

import argparse
import time

from attest.commands.common import settings_from_args


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("index", help="build or refresh the search index (chunks, FAISS, BM25)")
    p.add_argument("--rebuild", action="store_true", help="rebuild even when the index is current")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from rag.retrieval.store import clear_index_cache, ensure_index

    settings = settings_from_args(args)
    t0 = time.perf_counter()
    index = ensure_index(settings, rebuild=args.rebuild)
    clear_index_cache()
    m = index.manifest
    print(
        f"index: {len(index)} chunks, model {m.get('embedding_model')} (dim {m.get('dim')}), "
        f"{m.get('faiss_factory')} at {index.path} ({time.perf_counter() - t0:.1f} s)"
    )
    return 0
