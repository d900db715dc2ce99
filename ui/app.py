"""The chat as a Gradio Blocks app: chat, citation lookup and corpus tabs, and its safe serving.

``build_app`` composes one builder per tab (:mod:`ui.tabs`: chat, lookup, corpus) and the JSON
API (:mod:`ui.api`); they wire :mod:`ui.callbacks` to components. ``launch`` warms the index and
embedder, optionally loads the generator, and serves on loopback with no share link, strict
same-origin CORS, no extra served paths, temp files inside the data dir and an upload cap.

Generation shares one concurrency slot (``concurrency_id="generate"``, limit 1: one CPU-bound
model) behind a queue bounded by ``settings.queue_size``; lookup and corpus events run outside
the queue so they answer while a question is being generated.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from corpus.settings import Settings, get_settings
from lookup.library import Library, get_library
from ui.callbacks import AnswerFn
from ui.theme import HEADER_HTML, PAGE_CSS, make_theme

__all__ = ["EXAMPLES", "build_app", "launch", "launch_kwargs", "prepare", "temp_dir"]

# One question per author, one comparison, one the essays cannot answer.
EXAMPLES: tuple[str, ...] = (
    "How, according to Ticktin, did the purges atomise the Soviet working class?",
    "Why does Gouldner call Stalinism a form of internal colonialism?",
    "What reasons does Trotsky give for the victory of the bureaucracy over the Left Opposition?",
    "What does Rigby mean by a mono-organizational society?",
    "In what sense does Tucker see Stalinism as a revolution from above?",
    "How do Trotsky and Tucker differ in explaining the rise of Stalin?",
    "What did the essays say about the Soviet space programme of the 1960s?",
)


def temp_dir(settings: Settings) -> Path:
    """Where the chat keeps its temporary files (inside the data dir, never the system temp)."""
    return Path(settings.data_dir) / "chat-tmp"


def _use_temp_dir(settings: Settings) -> Path:
    folder = temp_dir(settings).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    # Gradio reads this when components and the server app are created, so set it first.
    os.environ["GRADIO_TEMP_DIR"] = str(folder)
    return folder


def _default_answer_fn(index: Any, embedder: Any, generator: Any) -> AnswerFn:
    def answer_fn(question: str, history: Any, settings: Settings, **kwargs: Any) -> Iterator[Any]:
        from rag.answer.pipeline import stream_answer

        yield from stream_answer(
            question,
            history,
            settings,
            index=index,
            embedder=embedder,
            generator=generator,
            **kwargs,
        )

    return answer_fn


def build_app(
    settings: Settings | None = None,
    *,
    answer_fn: AnswerFn | None = None,
    index: Any = None,
    embedder: Any = None,
    generator: Any = None,
    library: Library | None = None,
) -> Any:
    """The Blocks app (not launched). Inject ``answer_fn`` or models/index to test with fakes."""
    import gradio as gr

    from ui.api import add_json_api
    from ui.runs import Runs
    from ui.tabs.chat import build_chat_tab
    from ui.tabs.common import work_choices
    from ui.tabs.corpus import build_corpus_tab
    from ui.tabs.lookup import build_lookup_tab

    s = get_settings(settings)
    exports = _use_temp_dir(s) / "exports"
    lib = library if library is not None else get_library(s)
    answer = answer_fn or _default_answer_fn(index, embedder, generator)
    works = work_choices(lib)

    with gr.Blocks(title="attest — who said what about Stalinism", analytics_enabled=False) as demo:
        gr.HTML(HEADER_HTML, js_on_load=None)
        with gr.Tabs():
            build_chat_tab(
                demo,
                settings=s,
                answer=answer,
                runs=Runs(),
                exports=exports,
                authors=lib.authors(),
                works=works,
                examples=EXAMPLES,
            )
            build_lookup_tab(lib)
            build_corpus_tab(lib, works)
        add_json_api(answer, s, lib)

    demo.queue(max_size=s.queue_size, default_concurrency_limit=None)
    return demo


def launch_kwargs(settings: Settings | None = None) -> dict[str, Any]:
    """The serving options ``launch`` uses (safe defaults; callers may override host/port)."""
    s = get_settings(settings)
    return {
        "server_name": s.host,
        "server_port": s.port,
        "share": False,
        "strict_cors": True,
        "allowed_paths": [],
        "blocked_paths": [
            str(Path(s.resolved_index_dir).resolve()),
            str(Path(s.corpus_dir).resolve()),
        ],
        "max_file_size": s.max_upload_bytes,
        "show_error": False,
        "footer_links": [],
        "run_history": False,
        "enable_monitoring": False,
        "mcp_server": False,
        "ssr_mode": False,
        "pwa": False,
        "theme": make_theme(),
        "css": PAGE_CSS,
    }


def prepare(
    settings: Settings | None = None,
    *,
    index: Any = None,
    embedder: Any = None,
    generator: Any = None,
    eager: bool | None = None,
    log: Callable[[str], None] = print,
) -> tuple[Any, Any, Any]:
    """Warm what the first question needs: the embedder and index (built if missing or stale);
    the generator too when ``eager`` (default ``settings.eager_model_load``)."""
    s = get_settings(settings)
    if embedder is None:
        from embeddings import get_embedder

        log("chat: loading the embedder…")
        embedder = get_embedder(s)
    if index is None:
        from rag.retrieval.store import get_index

        log("chat: checking the index (built now if missing or stale)…")
        index = get_index(s, embedder=embedder)
    eager = s.eager_model_load if eager is None else eager
    if eager and generator is None:
        from rag.generators.base import get_generator

        generator = get_generator(s)
        if generator is not None and hasattr(generator, "load"):
            log("chat: loading the language model…")
            seconds = generator.load()
            log(f"chat: model loaded in {seconds:.1f} s")
    return index, embedder, generator


def launch(
    settings: Settings | None = None,
    *,
    host: str | None = None,
    port: int | None = None,
    eager: bool | None = None,
    prevent_thread_lock: bool = False,
    answer_fn: AnswerFn | None = None,
    index: Any = None,
    embedder: Any = None,
    generator: Any = None,
    warm: bool = True,
    quiet: bool = False,
    log: Callable[[str], None] = print,
) -> tuple[Any, str]:
    """Serve the chat; returns ``(app, local_url)`` (blocks unless ``prevent_thread_lock``).

    ``port=0`` picks a free port. Never creates a share link; refuses cross-origin requests.
    """
    s = get_settings(settings, host=host, port=port if port else None)
    if warm and answer_fn is None:
        index, embedder, generator = prepare(
            s, index=index, embedder=embedder, generator=generator, eager=eager, log=log
        )
    demo = build_app(s, answer_fn=answer_fn, index=index, embedder=embedder, generator=generator)
    kwargs = launch_kwargs(s)
    if port == 0:
        kwargs["server_port"] = _free_port(kwargs["server_name"])
    # Gradio's own banner suggests share=True; attest never shares, so it prints its own line.
    _, url, _ = demo.launch(prevent_thread_lock=True, quiet=True, **kwargs)
    _install_same_origin_guard(demo)
    if not quiet:
        log(
            f"chat: serving on {url} (local only)"
            if s.host in ("127.0.0.1", "localhost")
            else f"chat: serving on {url}"
        )
    if not prevent_thread_lock:
        demo.block_thread()
    return demo, url


def _free_port(host: str) -> int:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host if host not in ("", "0.0.0.0") else "127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _install_same_origin_guard(demo: Any) -> None:
    # Gradio's own CORS check grants any origin once the server is reached by a non-loopback
    # name (a LAN address). This guard, outermost, refuses every cross-origin request outright.
    from starlette.middleware import Middleware

    from ui.origin import SameOriginMiddleware

    app = demo.app
    app.user_middleware.insert(0, Middleware(SameOriginMiddleware))
    app.middleware_stack = None  # rebuilt on the next request, now with the guard outermost
