"""The chat as a Gradio Blocks app: chat, citation lookup and corpus tabs, and its safe serving.

``build_app`` wires :mod:`ui.callbacks` to components; ``launch`` warms the index and embedder,
optionally loads the generator, and serves on loopback with no share link, strict same-origin
CORS, no extra served paths, temp files inside the data dir and an upload cap.

Generation shares one concurrency slot (``concurrency_id="generate"``, limit 1: one CPU-bound
model) behind a queue bounded by ``settings.queue_size``; lookup and corpus events run outside
the queue so they answer while a question is being generated.
"""

# No `from __future__ import annotations` here: Gradio reads the callbacks' annotations
# (gr.Request) at wiring time, and `gr` is imported inside build_app.
import os
import threading
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from corpus.settings import Settings, get_settings
from lookup.library import Library, get_library
from rag.answer.types import Answer, Draft, Status
from ui import callbacks
from ui.theme import CHAT_JS, CONTENT_CSS, HEADER_HTML, LOOKUP_JS, PAGE_CSS, make_theme

__all__ = ["EXAMPLES", "build_app", "launch", "launch_kwargs", "prepare", "temp_dir"]

GENERATE = "generate"

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

AnswerFn = Callable[..., Iterator[Status | Draft | Answer]]


def temp_dir(settings: Settings) -> Path:
    """Where the chat keeps its temporary files (inside the data dir, never the system temp)."""
    return Path(settings.data_dir) / "chat-tmp"


def _use_temp_dir(settings: Settings) -> Path:
    folder = temp_dir(settings).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    # Gradio reads this when components and the server app are created, so set it first.
    os.environ["GRADIO_TEMP_DIR"] = str(folder)
    return folder


class _Runs:
    """The stop event of each session's running answer (Stop and disconnect set it)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._events: dict[str, threading.Event] = {}

    def start(self, session: str) -> threading.Event:
        event = threading.Event()
        with self._lock:
            old = self._events.get(session)
            if old is not None:
                old.set()
            self._events[session] = event
        return event

    def stop(self, session: str) -> bool:
        with self._lock:
            event = self._events.get(session)
        if event is None:
            return False
        event.set()
        return True

    def finish(self, session: str, event: threading.Event) -> None:
        with self._lock:
            if self._events.get(session) is event:
                del self._events[session]


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


def _session(request: Any) -> str:
    return str(getattr(request, "session_hash", None) or "anonymous")


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

    s = get_settings(settings)
    tmp = _use_temp_dir(s)
    exports = tmp / "exports"
    lib = library if library is not None else get_library(s)
    answer = answer_fn or _default_answer_fn(index, embedder, generator)
    runs = _Runs()

    works = lib.works_table()
    all_authors = lib.authors()
    all_work_ids = [w.work_id for w in works]
    work_choices = [
        (f"{w.author.split()[-1]} — {w.title}" + (f" ({w.year})" if w.year else ""), w.work_id)
        for w in works
    ]
    modes = [
        ("Grounded: drafted, then verified", "grounded"),
        ("Extractive: quotations only", "extractive"),
    ]
    default_mode = s.answer_mode if s.answer_mode in ("grounded", "extractive") else "grounded"

    def html(value: str, elem_id: str, **kw: Any) -> Any:
        return gr.HTML(value, elem_id=elem_id, css_template=CONTENT_CSS, **kw)

    with gr.Blocks(title="attest — who said what about Stalinism", analytics_enabled=False) as demo:
        turns_state = gr.State(())
        gr.HTML(HEADER_HTML, js_on_load=None)
        with gr.Tabs():
            with gr.Tab("Chat", id="chat"), gr.Row(equal_height=False):
                with gr.Column(scale=3, min_width=420):
                    chat = html(
                        callbacks.rerender((), False).chat_html,
                        "attest-chat",
                        js_on_load=CHAT_JS,
                        autoscroll=True,
                    )
                    with gr.Row(equal_height=True, elem_id="attest-ask-row"):
                        question = gr.Textbox(
                            placeholder="Ask the essays a question…",
                            show_label=False,
                            lines=1,
                            max_lines=6,
                            max_length=s.max_question_chars,
                            scale=6,
                            elem_id="attest-question",
                            autofocus=True,
                        )
                        ask_btn = gr.Button(
                            "Ask",
                            variant="primary",
                            scale=0,
                            min_width=90,
                            elem_id="attest-ask",
                        )
                        stop_btn = gr.Button(
                            "Stop",
                            variant="secondary",
                            scale=0,
                            min_width=90,
                            elem_id="attest-stop",
                        )
                    gr.Examples(
                        examples=[[q] for q in EXAMPLES],
                        inputs=[question],
                        label="Try a question",
                        examples_per_page=len(EXAMPLES),
                    )
                    with gr.Accordion("Filters and answer mode", open=False):
                        author_filter = gr.CheckboxGroup(
                            choices=all_authors,
                            value=all_authors,
                            label="Authors",
                            elem_id="attest-authors",
                        )
                        work_filter = gr.CheckboxGroup(
                            choices=work_choices,
                            value=all_work_ids,
                            label="Works",
                            elem_id="attest-works",
                        )
                        mode = gr.Radio(
                            choices=modes,
                            value=default_mode,
                            label="Answer mode",
                            elem_id="attest-mode",
                        )
                    with gr.Row():
                        show_unverified = gr.Checkbox(
                            value=False,
                            label="Show dropped sentences (not verified)",
                            elem_id="attest-show-unverified",
                        )
                        clear_btn = gr.Button("Clear", variant="secondary", size="sm")
                        download = gr.DownloadButton(
                            "Export conversation (Markdown)",
                            value=None,
                            size="sm",
                            visible=False,
                            elem_id="attest-export",
                        )
                with gr.Column(scale=2, min_width=320, elem_id="attest-sources-col"):
                    sources = html(
                        callbacks.rerender((), False).sources_html,
                        "attest-sources",
                        js_on_load=None,
                    )

            with gr.Tab("Citation lookup", id="lookup"):
                with gr.Row(equal_height=True):
                    lookup_q = gr.Textbox(
                        placeholder="A verbatim phrase, some keywords, or an anchor such as "
                        "tucker-revolution-from-above §II ¶4",
                        show_label=False,
                        scale=6,
                        elem_id="attest-lookup-query",
                        max_length=2000,
                    )
                    lookup_btn = gr.Button(
                        "Find", variant="primary", scale=1, elem_id="attest-lookup-go"
                    )
                lookup_how = gr.Radio(
                    choices=[
                        ("Automatic", "auto"),
                        ("Exact phrase", "phrase"),
                        ("Keywords", "keyword"),
                        ("Anchor", "anchor"),
                    ],
                    value="auto",
                    show_label=False,
                    elem_id="attest-lookup-how",
                )
                lookup_out = html(
                    '<div class="attest-lookup"><div class="empty">Paste a quotation to find where it '
                    "comes from, search by keywords, or open an anchor; each result shows the "
                    "paragraphs around it, its notes and a citation to copy.</div></div>",
                    "attest-lookup",
                    js_on_load=LOOKUP_JS,
                )

            with gr.Tab("Corpus", id="corpus"):
                gr.Dataframe(
                    value=callbacks.works_rows(lib),
                    headers=["Author", "Title", "Year", "Passages", "Words"],
                    interactive=False,
                    elem_id="attest-works-table",
                )
                with gr.Row(equal_height=False):
                    work_pick = gr.Dropdown(
                        choices=work_choices,
                        value=all_work_ids[0] if all_work_ids else None,
                        label="Read",
                        scale=4,
                        elem_id="attest-reader-work",
                    )
                    prev_btn = gr.Button("◀ Previous", scale=1, size="sm")
                    page_label = gr.Markdown("")
                    next_btn = gr.Button("Next ▶", scale=1, size="sm")
                page_state = gr.State(0)
                first_html, _, first_label = (
                    callbacks.read_work(all_work_ids[0], 0, library=lib)
                    if all_work_ids
                    else ('<div class="attest-reader"></div>', 0, "")
                )
                page_label.value = first_label
                reader = html(first_html, "attest-reader", js_on_load=None)

        # --- chat events ------------------------------------------------------------------

        def on_accept(q: str, turns: tuple, show: bool) -> tuple:
            queue = getattr(demo, "_queue", None)
            waiting = len(queue) if queue is not None else 0
            if queue is not None and queue.max_size is not None and waiting >= queue.max_size:
                raise gr.Error(
                    f"The chat is busy: {waiting} questions are already waiting for the model. "
                    "Please try again in a minute.",
                    duration=8,
                )
            view = callbacks.accept(q, turns, settings=s, show_unverified=show)
            return view.turns, view.chat_html, "", gr.skip()

        def on_respond(
            q: str,
            turns: tuple,
            authors: list[str],
            work_ids: list[str],
            answer_mode: str,
            show: bool,
            request: gr.Request,
        ) -> Iterator[tuple]:
            session = _session(request)
            event = runs.start(session)
            try:
                for view in callbacks.respond(
                    q,
                    turns,
                    answer_fn=answer,
                    settings=s,
                    authors=_filter(authors, all_authors),
                    works=_filter(work_ids, all_work_ids),
                    mode=answer_mode,
                    show_unverified=show,
                    stop_event=event,
                    export_dir=exports / uuid.uuid4().hex,
                ):
                    if view.heartbeat:
                        yield gr.skip(), gr.skip(), gr.skip(), gr.skip()
                        continue
                    file = (
                        gr.DownloadButton(value=view.export_path, visible=True)
                        if view.export_path
                        else gr.skip()
                    )
                    yield view.turns, view.chat_html, view.sources_html, file
            finally:
                runs.finish(session, event)

        def on_stop(request: gr.Request) -> None:
            runs.stop(_session(request))

        def on_unload(request: gr.Request) -> None:
            runs.stop(_session(request))

        def on_clear(request: gr.Request) -> tuple:
            runs.stop(_session(request))
            view = callbacks.clear()
            return (
                view.turns,
                view.chat_html,
                view.sources_html,
                gr.DownloadButton(value=None, visible=False),
            )

        def on_toggle(turns: tuple, show: bool) -> str:
            return callbacks.rerender(turns, show).chat_html

        chat_outputs = [turns_state, chat, sources, download]
        respond_inputs = [question, turns_state, author_filter, work_filter, mode, show_unverified]
        triggers = [ask_btn.click, question.submit]
        accepted = [
            trigger(
                on_accept,
                [question, turns_state, show_unverified],
                [turns_state, chat, question, download],
                queue=False,
                api_visibility="private",
            )
            for trigger in triggers
        ]
        respond_events = [
            a.success(
                on_respond,
                respond_inputs,
                chat_outputs,
                concurrency_limit=1,
                concurrency_id=GENERATE,
                show_progress="minimal",
                api_name="respond" if i == 0 else None,
                api_visibility="public" if i == 0 else "private",
            )
            for i, a in enumerate(accepted)
        ]
        stop_btn.click(on_stop, None, None, queue=False, api_name="stop")
        clear_btn.click(
            on_clear,
            None,
            chat_outputs,
            queue=False,
            cancels=respond_events,
            api_visibility="private",
        )
        show_unverified.change(
            on_toggle, [turns_state, show_unverified], chat, queue=False, api_visibility="private"
        )
        demo.unload(on_unload)

        # --- lookup and corpus: outside the generation queue ------------------------------

        def on_lookup(query: str, how: str) -> str:
            return callbacks.lookup(query, how, library=lib)[1]

        for trigger in (lookup_btn.click, lookup_q.submit):
            trigger(
                on_lookup,
                [lookup_q, lookup_how],
                lookup_out,
                queue=False,
                api_name="lookup_html" if trigger == lookup_btn.click else None,
                api_visibility="public" if trigger == lookup_btn.click else "private",
            )

        def on_read(work_id: str, page: int) -> tuple:
            html_, shown, label = callbacks.read_work(work_id, page, library=lib)
            return html_, shown, label

        work_pick.change(
            lambda w: on_read(w, 0),
            work_pick,
            [reader, page_state, page_label],
            queue=False,
            api_visibility="private",
        )
        prev_btn.click(
            lambda w, p: on_read(w, p - 1),
            [work_pick, page_state],
            [reader, page_state, page_label],
            queue=False,
            api_visibility="private",
        )
        next_btn.click(
            lambda w, p: on_read(w, p + 1),
            [work_pick, page_state],
            [reader, page_state, page_label],
            queue=False,
            api_name="read",
        )

        # --- plain JSON API (scripts, load tests) -----------------------------------------

        def ask(
            question: str,
            authors: list[str] | None = None,
            works: list[str] | None = None,
            mode: str = "grounded",
        ) -> dict:
            """Answer a question; the verified answer with its citations as JSON."""
            event = threading.Event()
            final = None
            for view in callbacks.respond(
                question,
                (),
                answer_fn=answer,
                settings=s,
                authors=authors or None,
                works=works or None,
                mode=mode,
                stop_event=event,
            ):
                final = view
            turn = final.turns[-1] if final and final.turns else None
            if turn is not None and turn.answer is not None:
                return callbacks.answer_to_dict(turn.answer)
            return {
                "question": question,
                "message": turn.notice if turn else None,
                "sentences": [],
                "citations": [],
            }

        def lookup(query: str, how: str = "auto") -> dict:
            """Find passages by phrase, keywords or anchor, with context and citation."""
            return callbacks.lookup_to_dict(callbacks.lookup(query, how, library=lib)[0])

        gr.api(ask, api_name="ask", concurrency_limit=1, concurrency_id=GENERATE)
        gr.api(lookup, api_name="lookup", queue=False)

    demo.queue(max_size=s.queue_size, default_concurrency_limit=None)
    return demo


def _filter(selected: list[str] | None, every: list[str]) -> list[str] | None:
    chosen = [x for x in (selected or []) if x in every]
    return None if set(chosen) == set(every) else chosen


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
