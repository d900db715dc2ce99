"""`attest bench load`: N simultaneous chat clients against the chat on this machine."""

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
        from rag.generators.base import FakeGenerator

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
