"""Fixtures of the UI tests: a tiny corpus with a hostile passage, its library, a fake answerer."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from corpus.load import load_passages
from corpus.passage import Passage
from corpus.settings import Settings, get_settings
from corpus.testing import write_tiny_corpus
from lookup.library import Library
from rag.answer.types import Answer, AnswerSentence, Citation, Draft, Status
from rag.retrieval.chunking import Chunk

HOSTILE = (
    "Hostile text <img src=x onerror=alert(1)> then <script>alert(2)</script> then "
    "![x](http://example.invalid/?q=leak) and a [link](http://example.invalid/l) end."
)


def chunk_of(p: Passage) -> Chunk:
    return Chunk(
        id=p.anchor,
        work_id=p.work_id,
        author=p.author,
        title=p.title,
        year=p.year,
        section=p.section,
        kind=p.kind,
        anchor=p.anchor,
        text=p.text,
        header="",
        file=p.file,
        raw_start=p.raw_start,
        raw_end=p.raw_end,
    )


def citation_of(p: Passage, n: int, span: tuple[int, int] | None = None, speaker=None) -> Citation:
    return Citation(
        n=n,
        chunk=chunk_of(p),
        author=p.author,
        work=p.title,
        year=p.year,
        anchor=p.anchor,
        excerpt=p.text,
        supporting_span=span,
        quoted_speaker=speaker,
    )


@dataclass
class FakeAnswerer:
    """A deterministic stand-in for ``rag.answer.stream_answer`` that records its calls.

    Yields a Status, then ``draft_words`` Drafts (``delay`` s apart, stopping early when the stop
    event is set), then an Answer citing the first body passage of each requested author (or of
    the first two authors); ``fail`` makes it raise instead.
    """

    passages: list[Passage]
    delay: float = 0.0
    draft_words: tuple[str, ...] = ("A", "draft", "that", "streams.")
    fail: BaseException | None = None
    calls: list[dict[str, Any]] = field(default_factory=list)
    stop_events: list[threading.Event] = field(default_factory=list)
    threads: list[threading.Thread] = field(default_factory=list)
    drafted: int = 0

    def __call__(self, question, history, settings, **kw) -> Iterator[Any]:
        self.calls.append({"question": question, "history": history, "settings": settings, **kw})
        self.threads.append(threading.current_thread())
        stop = kw.get("stop_event")
        if stop is not None:
            self.stop_events.append(stop)
        yield Status("Loading the language model…")
        if self.fail is not None:
            raise self.fail
        for w in self.draft_words:
            if stop is not None and stop.is_set():
                break
            if self.delay:
                time.sleep(self.delay)
            self.drafted += 1
            yield Draft(w + " ")
        authors = kw.get("authors") or list(dict.fromkeys(p.author for p in self.passages))[:2]
        picked = [
            next(p for p in self.passages if p.author == a and p.kind == "body") for a in authors
        ]
        cits = tuple(citation_of(p, i, (0, min(20, len(p.text)))) for i, p in enumerate(picked, 1))
        sents = tuple(
            AnswerSentence(
                text=f"{p.author} writes about {p.text.split()[1]}.",
                citations=(i,),
                support=0.9,
                supported=True,
                author=p.author,
            )
            for i, p in enumerate(picked, 1)
        )
        yield Answer(
            question=question,
            standalone_question=question,
            sentences=sents,
            citations=cits,
            mode=kw.get("mode") or "grounded",
            model="fake",
            dropped=(
                AnswerSentence(
                    text="An unsupported claim.",
                    citations=(1,),
                    support=0.1,
                    supported=False,
                    flags=("unsupported",),
                ),
            ),
        )


@pytest.fixture
def tiny_corpus(tmp_path) -> Any:
    return write_tiny_corpus(tmp_path / "corpus", extra_passage_text=HOSTILE)


@pytest.fixture
def ui_settings(settings: Settings, tiny_corpus) -> Settings:
    return get_settings(settings, corpus_dir=tiny_corpus)


@pytest.fixture
def tiny_passages(ui_settings) -> list[Passage]:
    return load_passages(ui_settings)


@pytest.fixture
def library(tiny_passages) -> Library:
    return Library(tiny_passages)


@pytest.fixture
def answerer(tiny_passages) -> FakeAnswerer:
    return FakeAnswerer(tiny_passages)


@pytest.fixture
def make_answerer(tiny_passages):
    def make(**kw: Any) -> FakeAnswerer:
        return FakeAnswerer(tiny_passages, **kw)

    return make


@pytest.fixture
def hostile() -> str:
    return HOSTILE


@pytest.fixture
def make_citation():
    return citation_of


# --- a served app (real pipeline, fake embedder and a slowed fake generator) ----------------


@dataclass
class Served:
    url: str
    demo: Any
    settings: Settings
    generator: Any
    spans: list[tuple[float, float]]


class RecordingGenerator:
    """Wraps the fake generator and records when each generation ran (to check concurrency)."""

    def __init__(self, delay_s: float) -> None:
        from rag.generators.fake import FakeGenerator

        self.inner = FakeGenerator(delay_s=delay_s)
        self.name = "fake"
        self.loaded = True
        self.load_s = 0.0
        self.spans: list[tuple[float, float]] = []

    def stream(self, messages, max_new_tokens, stop_event=None):
        start = time.monotonic()
        try:
            yield from self.inner.stream(messages, max_new_tokens, stop_event)
        finally:
            self.spans.append((start, time.monotonic()))


def serve(
    tmp: Any, *, delay_s: float = 0.05, extra: str | None = HOSTILE, **overrides: Any
) -> Served:
    """Launch the chat in-process on a free loopback port (caller closes ``served.demo``)."""
    from embeddings import FakeEmbedder
    from rag.retrieval.store import ensure_index
    from ui.app import launch

    corpus = write_tiny_corpus(tmp / "corpus", extra_passage_text=extra)
    # The answerability threshold is calibrated for the real embedder (see tests/conftest.py).
    overrides.setdefault("select_min_score", 0.0)
    s = get_settings(
        None, corpus_dir=corpus, data_dir=tmp / "data", generator_backend="fake", **overrides
    )
    embedder = FakeEmbedder()
    index = ensure_index(s, embedder=embedder, log=lambda _m: None)
    gen = RecordingGenerator(delay_s)
    demo, url = launch(
        s,
        port=0,
        prevent_thread_lock=True,
        index=index,
        embedder=embedder,
        generator=gen,
        quiet=True,
        log=lambda _m: None,
    )
    return Served(url=url, demo=demo, settings=s, generator=gen, spans=gen.spans)


@pytest.fixture(scope="module")
def served(tmp_path_factory) -> Iterator[Served]:
    import os

    old = os.environ.get("GRADIO_TEMP_DIR")
    app = serve(tmp_path_factory.mktemp("served"))
    try:
        yield app
    finally:
        app.demo.close()
        if old is None:
            os.environ.pop("GRADIO_TEMP_DIR", None)
        else:
            os.environ["GRADIO_TEMP_DIR"] = old


@pytest.fixture
def serve_app():
    """A factory for apps with their own settings (closed after the test)."""
    import os

    old = os.environ.get("GRADIO_TEMP_DIR")
    apps: list[Served] = []

    def make(tmp: Any, **kw: Any) -> Served:
        app = serve(tmp, **kw)
        apps.append(app)
        return app

    yield make
    for app in apps:
        app.demo.close()
    if old is None:
        os.environ.pop("GRADIO_TEMP_DIR", None)
    else:
        os.environ["GRADIO_TEMP_DIR"] = old
