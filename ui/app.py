"""The chat as a Gradio Blocks app: chat, citation lookup and corpus tabs, and its safe serving.

``build_app`` composes one builder per tab (:mod:`ui.tabs`: chat, lookup, corpus) and the JSON
API (:mod:`ui.api`); they wire :mod:`ui.callbacks` to components. ``launch`` warms the index and
embedder, optionally loads the generator, and serves on loopback with no share link, no extra
served paths and temp files inside the data dir. Outermost, :class:`ui.origin.ServerGuard` refuses
any Host but the allowed ones (DNS rebinding), any foreign Origin, bodies over
``max_request_bytes`` and uploads (the app has no upload widget); conversation exports are
written on demand and served by :class:`ui.exports.ExportRoute`. Serving beyond loopback needs a
login (``settings.auth``) unless ``no_auth`` is given, and says so.

Generation shares one concurrency slot (``concurrency_id="generate"``, limit 1: one CPU-bound
model) behind a queue bounded by ``settings.queue_size``; lookup and corpus events run outside
the queue so they answer while a question is being generated.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from corpus.errors import AttestError
from corpus.settings import Settings, get_settings
from lookup.library import Library, get_library
from ui.callbacks import AnswerFn
from ui.theme import HEADER_HTML, PAGE_CSS, make_theme
from ui.warm import Warmup, state_html

__all__ = [
    "EXAMPLES",
    "LoginRequired",
    "build_app",
    "launch",
    "launch_kwargs",
    "parse_auth",
    "prepare",
    "public_url",
    "temp_dir",
    "uses_uploads",
]


class LoginRequired(AttestError):
    """The chat would listen beyond this machine without a login."""


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


def _default_answer_fn(index: Any, embedder: Any, generator: Any, warm: Any = None) -> AnswerFn:
    def answer_fn(question: str, history: Any, settings: Settings, **kwargs: Any) -> Iterator[Any]:
        from rag.answer.pipeline import stream_answer
        from rag.answer.types import Status
        from rag.retrieval.update import latest

        nonlocal index, embedder, generator
        if warm is not None:
            # Asked before the warm-up is done: wait, saying what is still loading.
            for state in warm.wait():
                yield Status(f"Getting ready: {state}…")
            index = index or warm.index
            embedder = embedder or warm.embedder
            generator = generator or warm.generator
        yield from stream_answer(
            question,
            history,
            settings,
            index=latest(index, settings) if index is not None else None,  # the newest one
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
    warm: Any = None,
) -> Any:
    """The Blocks app (not launched). Inject ``answer_fn`` or models/index to test with fakes;
    ``warm`` (a :class:`ui.warm.Warmup`) supplies the models once loaded and its state badge."""
    import gradio as gr

    from corpus.catalog import CatalogWorks
    from ui.api import add_json_api
    from ui.exports import ExportStore
    from ui.runs import Runs
    from ui.tabs.chat import build_chat_tab
    from ui.tabs.common import work_choices
    from ui.tabs.corpus import build_corpus_tab
    from ui.tabs.lookup import build_lookup_tab

    s = get_settings(settings)
    _use_temp_dir(s)
    # Beside Gradio's temp dir, not in it: Gradio's file route never reaches an export.
    exports = ExportStore(Path(s.data_dir) / "chat-exports", s.export_retention_s)
    lib = library if library is not None else get_library(s)
    answer = answer_fn or _default_answer_fn(index, embedder, generator, warm)
    works = work_choices(lib)
    catalog = CatalogWorks(s)  # follows texts added or removed while the chat runs

    with gr.Blocks(title="attest — who said what about Stalinism", analytics_enabled=False) as demo:
        with gr.Row(elem_id="attest-top", equal_height=False):
            gr.HTML(HEADER_HTML, js_on_load=None)
            # A function as value: the badge shows the state as of each page load (no flash of
            # "starting" on a page opened long after the models loaded).
            state = gr.HTML(lambda: state_html(warm), elem_id="attest-model-state")
        if warm is not None:
            timer = gr.Timer(1.0)

            def tick():
                done = warm.ready.is_set()
                return state_html(warm), gr.Timer(active=not done)

            timer.tick(tick, outputs=[state, timer], queue=False, show_progress="hidden")
            demo.load(lambda: state_html(warm), outputs=state, queue=False, show_progress="hidden")
        with gr.Tabs():
            chat_tab = build_chat_tab(
                demo,
                settings=s,
                answer=answer,
                runs=Runs(),
                exports=exports,
                authors=lib.authors(),
                works=works,
                examples=EXAMPLES,
                catalog=catalog,
            )
            build_lookup_tab(lib)
            build_corpus_tab(lib, works, settings=s, embedder=embedder, chat=chat_tab)
        add_json_api(answer, s, lib, catalog)

    demo.queue(max_size=s.queue_size, default_concurrency_limit=None)
    demo.attest_exports = exports  # served by ExportRoute once launched
    return demo


def uses_uploads(demo: Any) -> bool:
    """Whether any component of ``demo`` takes files from the browser (then uploads are served)."""
    import gradio as gr

    takes_files = tuple(
        getattr(gr, name)
        for name in (
            "File",
            "UploadButton",
            "Image",
            "ImageEditor",
            "Audio",
            "Video",
            "Model3D",
            "MultimodalTextbox",
            "Gallery",
            "ImageSlider",
        )
        if hasattr(gr, name)
    )
    return any(
        isinstance(b, takes_files) and getattr(b, "interactive", None) is not False
        for b in demo.blocks.values()
    )


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
            str(Path(s.resolved_user_corpus_dir).resolve()),
        ],
        "max_file_size": s.max_upload_bytes,
        # Static file workers would serve on ports of their own, outside the guard.
        "num_workers": 0,
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


def parse_auth(settings: Settings) -> tuple[str, str] | None:
    """The ``(user, password)`` of ``settings.auth`` ('user:password'), or None when unset.

    The message of a malformed value never repeats it (it holds a password).
    """
    if settings.auth is None:
        return None
    user, sep, password = settings.auth.get_secret_value().partition(":")
    if not sep or not user.strip() or not password:
        raise AttestError(
            "the login (setting auth, ATTEST_AUTH) must be 'user:password' with a non-empty "
            "user and password"
        )
    return user.strip(), password


def public_url(host: str, port: int) -> str:
    """The URL other machines use to reach a chat bound to ``host`` (its LAN address for
    ``0.0.0.0``).

    Example::

        >>> public_url("192.168.1.20", 7860), public_url("::1", 80)
        ('http://192.168.1.20:7860/', 'http://[::1]:80/')
    """
    import socket

    from ui.origin import WILDCARDS, primary_address

    name = host
    if host in WILDCARDS:
        name = primary_address() or socket.gethostname() or "localhost"
    if ":" in name:
        name = f"[{name}]"
    return f"http://{name}:{port}/"


def _login(s: Settings, no_auth: bool, log: Callable[[str], None]) -> tuple[str, str] | None:
    """The login to require, refusing to serve beyond loopback without one (unless ``no_auth``)."""
    from ui.origin import is_loopback

    auth = parse_auth(s)
    if auth is None and not no_auth and not is_loopback(s.host):
        raise LoginRequired(
            f"serving on {s.host} makes the chat reachable from other machines, so it needs a "
            "login: set ATTEST_AUTH='user:password' (or the setting auth) and start again, or "
            "pass --no-auth to serve without one"
        )
    return auth


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
    no_auth: bool = False,
    log: Callable[[str], None] = print,
) -> tuple[Any, str]:
    """Serve the chat; returns ``(app, local_url)`` (blocks unless ``prevent_thread_lock``).

    ``port=0`` picks a free port. Never creates a share link; refuses other hosts and
    cross-origin requests. A host other than loopback needs ``settings.auth`` (a login) unless
    ``no_auth``; :class:`LoginRequired` is raised before anything starts otherwise.
    """
    s = get_settings(settings, host=host, port=port if port else None)
    auth = _login(s, no_auth, log)
    eager = s.eager_model_load if eager is None else eager
    warmup = None
    if warm and answer_fn is None:
        if eager:
            # Serve at once; load in the background, the page shows the state.
            warmup = Warmup(s, index=index, embedder=embedder, generator=generator, log=log)
        else:
            index, embedder, generator = prepare(
                s, index=index, embedder=embedder, generator=generator, eager=False, log=log
            )
    demo = build_app(
        s, answer_fn=answer_fn, index=index, embedder=embedder, generator=generator, warm=warmup
    )
    kwargs = launch_kwargs(s)
    if port == 0:
        kwargs["server_port"] = _free_port(kwargs["server_name"])
    guard = _guard_middleware(demo, s, kwargs["server_port"])
    # The guard is in the app from its creation (so no request ever passes unguarded); once
    # Gradio has added its own middleware it is moved outermost.
    kwargs["app_kwargs"] = {"middleware": [guard]}
    if auth is not None:
        kwargs["auth"] = auth
    # Gradio's own banner suggests share=True; attest never shares, so it prints its own line.
    _, url, _ = demo.launch(prevent_thread_lock=True, quiet=True, **kwargs)
    _move_outermost(demo, guard)
    if warmup is not None:
        warmup.start()
        demo.attest_warmup = warmup
    if not quiet:
        _banner(s, kwargs["server_port"], url, auth, log)
    if not prevent_thread_lock:
        demo.block_thread()
    return demo, url


def _banner(
    s: Settings, port: int, url: str, auth: tuple[str, str] | None, log: Callable[[str], None]
) -> None:
    from ui.origin import is_loopback

    if is_loopback(s.host):
        login = f"; login required (user {auth[0]!r})" if auth else ""
        log(f"chat: serving on {url} (this machine only{login})")
        return
    log(f"chat: serving on {public_url(s.host, port)} (also {url} on this machine)")
    if auth is None:
        log(
            f"chat: WARNING: listening on {s.host} with NO login (--no-auth): anyone who can "
            f"reach this machine on port {port} can use the chat"
        )
    else:
        log(
            f"chat: WARNING: listening on {s.host}: reachable from other machines; login "
            f"required (user {auth[0]!r}); traffic is plain HTTP"
        )


def _free_port(host: str) -> int:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host if host not in ("", "0.0.0.0") else "127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _guard_middleware(demo: Any, s: Settings, port: int) -> Any:
    """The guard (with the export route inside it) as one Starlette middleware entry."""
    from starlette.middleware import Middleware

    from ui.exports import ExportRoute
    from ui.origin import ServerGuard, allowed_host_names

    store = demo.attest_exports
    hosts = allowed_host_names(s.host, s.allowed_hosts)
    uploads = uses_uploads(demo)

    def logged_in(scope: dict) -> bool:
        # The chat's login (Gradio's auth) covers the export downloads too.
        if not getattr(demo, "auth", None):
            return True
        from starlette.requests import HTTPConnection

        cookies = HTTPConnection(scope).cookies
        cookie_id = demo.app.cookie_id
        token = cookies.get(f"access-token-{cookie_id}") or cookies.get(
            f"access-token-unsecure-{cookie_id}"
        )
        return token is not None and token in demo.app.tokens

    class Guarded:
        # Gradio's own CORS check grants any origin once the server is reached by a
        # non-loopback name (a LAN address); this guard, outermost, refuses first.
        def __init__(self, app: Any) -> None:
            self.app = ServerGuard(
                ExportRoute(app, store=store, allowed=logged_in),
                hosts=hosts,
                max_body=s.max_request_bytes,
                uploads=uploads,
                max_upload=s.max_upload_bytes,
            )

        async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
            await self.app(scope, receive, send)

    return Middleware(Guarded)


def _move_outermost(demo: Any, guard: Any) -> None:
    app = demo.app
    stack = app.user_middleware
    if guard in stack:
        stack.remove(guard)
    stack.insert(0, guard)
    app.middleware_stack = None  # rebuilt on the next request, now with the guard outermost
