"""`attest bench load` (N simultaneous chat clients against the chat on this machine) and
`attest bench retrieval --synthetic N` (FAISS index types at scale) and `attest bench page`
(page ready → first answer in a real browser, cold and warm)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from attest.commands.common import settings_from_args
from corpus.settings import PROJECT_ROOT

DEFAULT_QUESTIONS = PROJECT_ROOT / "eval" / "data" / "dev.jsonl"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("bench", help="measure the chat under load")
    bench = p.add_subparsers(dest="bench", required=True, metavar="BENCH")
    load = bench.add_parser(
        "load",
        help="N simultaneous chat clients (loopback only): latency, errors, queue rejections, "
        "peak server memory",
        description="Send N simultaneous gradio_client clients to the chat's /ask endpoint. "
        "Without --url the chat is started in this process on 127.0.0.1 (a free port) with "
        "the model loaded first, and its memory is measured; with --url an already running "
        "chat on this machine is used (give --pid to measure its memory).",
    )
    load.add_argument("--clients", type=int, default=20, help="simultaneous clients (default 20)")
    load.add_argument(
        "--questions",
        type=Path,
        default=DEFAULT_QUESTIONS,
        help="JSON lines with a 'question' field, or one question per line (default: dev set)",
    )
    load.add_argument(
        "--requests-per-client", type=int, default=1, help="questions each client asks in turn"
    )
    load.add_argument(
        "--fake", action="store_true", help="use the deterministic fake generator (no model)"
    )
    load.add_argument(
        "--fake-delay",
        type=float,
        default=0.02,
        help="with --fake: seconds per drafted word, to stand in for generation (default 0.02)",
    )
    load.add_argument(
        "--timeout", type=float, default=600.0, help="deadline of the whole run in seconds"
    )
    load.add_argument("--url", default=None, help="a running chat on this machine")
    load.add_argument("--pid", type=int, default=None, help="with --url: the server's process id")
    load.add_argument("--queue-size", type=int, default=None, help="override setting queue_size")
    load.add_argument("--json", type=Path, default=None, help="also write the figures here")
    load.set_defaults(handler=run_load_bench)
    register_retrieval(bench)
    register_page(bench)


def run_load_bench(args: argparse.Namespace) -> int:
    from eval.load import read_questions, run_load

    questions = read_questions(args.questions)
    if args.url:
        report = run_load(
            args.url,
            questions,
            clients=args.clients,
            requests_per_client=args.requests_per_client,
            timeout_s=args.timeout,
            server_pid=args.pid,
        )
    else:
        settings = settings_from_args(
            args,
            host="127.0.0.1",
            generator_backend="fake" if args.fake else None,
            queue_size=args.queue_size,
        )
        demo, url = _serve(settings, fake_delay=args.fake_delay if args.fake else None)
        try:
            report = run_load(
                url,
                questions,
                clients=args.clients,
                requests_per_client=args.requests_per_client,
                timeout_s=args.timeout,
            )
        finally:
            demo.close()
    print(report.summary())
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report.to_dict(), indent=2), encoding="utf-8")
        print(f"bench: figures written to {args.json}")
    return 0 if report.errors == 0 and report.timeouts == 0 else 1


def _serve(settings, *, fake_delay: float | None):
    """Start the chat in this process on a free loopback port, model loaded first."""
    from ui.app import launch

    generator = None
    if fake_delay is not None:
        from rag.generators.fake import FakeGenerator

        generator = FakeGenerator(delay_s=fake_delay)
    return launch(
        settings,
        host="127.0.0.1",
        port=0,
        eager=True,
        prevent_thread_lock=True,
        generator=generator,
        quiet=True,
    )


def register_retrieval(bench: argparse._SubParsersAction) -> None:
    p = bench.add_parser(
        "retrieval",
        help="FAISS index types at scale: build time, search latency, recall@10 vs exact",
        description="Build Flat, HNSW32 and IVF indexes over the corpus's chunk vectors plus N "
        "random unit vectors, search them with the embeddings of real questions, and print "
        "build seconds, p50/p95 latency of one query and recall@10 against exact search.",
    )
    p.add_argument("--synthetic", type=int, required=True, metavar="N", help="random vectors added")
    p.add_argument(
        "--questions", type=Path, default=DEFAULT_QUESTIONS, help="questions used as queries"
    )
    p.add_argument(
        "--factory", action="append", default=None, help="factory string(s) (default: all three)"
    )
    p.add_argument("--json", type=Path, default=None, help="also write the rows here")
    p.set_defaults(handler=run_retrieval_bench)


def run_retrieval_bench(args: argparse.Namespace) -> int:
    import dataclasses

    import faiss

    from embeddings.factory import get_embedder
    from eval.load import read_questions
    from eval.scale import run_scale
    from rag.retrieval.store import get_index

    if args.synthetic < 0:
        raise SystemExit("attest: error: --synthetic must be 0 or more")
    settings = settings_from_args(args)
    embedder = get_embedder(settings)
    index = get_index(settings, embedder)
    queries = embedder.encode(read_questions(args.questions))
    print(f"{len(queries)} queries, {faiss.omp_get_max_threads()} threads, k=10")
    print(
        f"{'factory':<16} {'effort':<13} {'vectors':>10} {'build s':>8} {'p50 ms':>8} "
        f"{'p95 ms':>8} {'recall@10':>9}"
    )
    rows = []
    for row in run_scale(index.vectors(), queries, args.synthetic, args.factory, log=print):
        rows.append(dataclasses.asdict(row))
        print(
            f"{row.factory:<16} {row.effort:<13} {row.n:>10,} {row.build_s:>8.1f} "
            f"{row.p50_ms:>8.2f} {row.p95_ms:>8.2f} {row.recall_at_10:>9.3f}",
            flush=True,
        )
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))
    return 0


def register_page(bench: argparse._SubParsersAction) -> None:
    p = bench.add_parser(
        "page",
        help="page ready -> first answer in headless chromium, cold (just started) and warm",
        description="Start `attest chat` on a free loopback port, open it in headless chromium "
        "and time page ready -> the answer's turn done: once right after start (cold, the "
        "models still loading in the background) and then for each question with the models "
        "ready (warm). Needs Debian's chromium and the dev extra (playwright).",
    )
    p.add_argument(
        "--questions",
        type=Path,
        default=DEFAULT_QUESTIONS,
        help="JSON lines with a 'question' field, or one question per line (default: dev set)",
    )
    p.add_argument("--limit", type=int, default=5, help="warm questions asked (default 5)")
    p.add_argument(
        "--lazy", action="store_true", help="start the chat with --lazy (no background loading)"
    )
    p.add_argument(
        "--ask-after",
        type=float,
        default=0.0,
        metavar="S",
        help="ask the cold question S seconds after the page is ready (default 0: at once)",
    )
    p.add_argument("--json", type=Path, default=None, help="also write the timings here")
    p.set_defaults(handler=run_page_bench)


def run_page_bench(args: argparse.Namespace) -> int:
    import dataclasses

    from eval.load import read_questions
    from eval.metrics import percentile
    from eval.page import run_page_bench as run

    questions = read_questions(args.questions)[: max(1, args.limit)]
    extra = []
    if args.corpus:
        extra += ["--corpus", str(args.corpus)]
    if args.data_dir:
        extra += ["--data-dir", str(args.data_dir)]
    settings_from_args(args)  # refuse a bad configuration here, not in the child
    rows = run(
        questions,
        extra_args=extra,
        chat_args=["--lazy"] if args.lazy else [],
        ask_after_s=max(0.0, args.ask_after),
    )
    warm = [r.first_answer_s for r in rows if r.phase == "warm"]
    cold = [r.first_answer_s for r in rows if r.phase == "cold"]
    print(
        f"cold: answer {cold[0]:.2f} s after asking; warm: p50 "
        f"{percentile(warm, 50):.2f} s, p95 {percentile(warm, 95):.2f} s over {len(warm)}"
    )
    if args.json:
        args.json.write_text(json.dumps([dataclasses.asdict(r) for r in rows], indent=2))
    return 0
