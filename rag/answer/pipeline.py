"""The answer pipeline, stage by stage: question -> retrieve -> select -> abstain? -> write ->
verify -> compose. :func:`stream_answer` reads as that list; each stage lives in its own module."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace

from corpus.settings import Settings, get_settings
from rag.answer import compose as C
from rag.answer.abstain import evidence_strength, routing_words
from rag.answer.draft import is_complete, parse_markers, split_draft
from rag.answer.question import Question, catalog_works, history_questions, names_of, understand
from rag.answer.select import Excerpt, select_evidence
from rag.answer.types import Answer, AnswerMode, Draft, Flag, Status
from rag.answer.verify import verify_sentences
from rag.answer.write import build_messages, stream_draft

ABSTAIN_MESSAGE = (
    "The essays do not appear to address this question. The closest passages are listed below."
)
FALLBACK_MESSAGE = (
    "The model's draft could not be verified against the excerpts, so the answer quotes them."
)


@dataclass
class _Run:
    """One call's question, timings and the way to finish it with an :class:`Answer`."""

    question: Question
    started: float = field(default_factory=time.perf_counter)
    timings: dict[str, float] = field(default_factory=dict)

    def finish(self, composed: C.Composed, mode: AnswerMode, model: str, **kw) -> Answer:
        self.timings["total_s"] = time.perf_counter() - self.started
        return Answer(
            question=self.question.text,
            standalone_question=self.question.standalone,
            sentences=composed.sentences,
            citations=composed.citations,
            by_author=composed.by_author,
            dropped=composed.dropped,
            mode=mode,
            model=model,
            timings={k: round(v, 4) for k, v in self.timings.items()},
            **kw,
        )


def _retrieve(run: _Run, s: Settings, authors, works, index, embedder):
    """Stages 2-3: the chunks that may answer, then their most relevant sentences."""
    from rag.retrieval.search import retrieve

    t = time.perf_counter()
    hits = retrieve(
        run.question.standalone,
        s.retrieval_k,
        authors=list(authors) if authors else None,
        works=list(works) if works else None,
        settings=s,
        index=index,
        embedder=embedder,
    )
    run.timings["retrieve_s"] = time.perf_counter() - t
    t = time.perf_counter()
    excerpts = select_evidence(run.question.standalone, hits, s, embedder=embedder)
    run.timings["evidence_s"] = time.perf_counter() - t
    return hits, excerpts


def _extractive(run: _Run, excerpts: list[Excerpt], s: Settings, note: str | None = None):
    items = C.quotes_for(run.question, excerpts, s.fallback_quotes)
    composed = C.compose(items, excerpts, run.question)
    return run.finish(composed, AnswerMode.EXTRACTIVE, "extractive", message=note)


def _free(run: _Run, sentences: list[str], excerpts: list[Excerpt], model: str, message):
    items = []
    for text in sentences:
        clean, ids = parse_markers(text, len(excerpts))
        author = excerpts[ids[0] - 1].author if ids else None
        items.append(C.Item(clean, ids, 0.0, False, author, (Flag.UNVERIFIED,)))
    composed = replace(C.compose(items, excerpts, run.question), by_author={})
    return run.finish(composed, AnswerMode.FREE, model, message=message)


def _grounded(run, sentences, excerpts, s, embedder, author_names, show_unverified, model, message):
    """Stages 6-7: verify every drafted sentence, then compose; quotes fill what did not verify."""
    t = time.perf_counter()
    verdicts = verify_sentences(sentences, excerpts, s, embedder=embedder, authors=author_names)
    run.timings["verify_s"] = time.perf_counter() - t
    as_item = lambda v: C.Item(v.text, v.citations, v.support, v.supported, v.author, v.flags, v.span)  # noqa: E731
    kept = [as_item(v) for v in verdicts if v.supported]
    dropped = [as_item(v) for v in verdicts if not v.supported and Flag.NO_CLAIM not in v.flags]
    used = {
        (it.span[0], k)
        for it in kept
        if it.span
        for k, (a, b) in enumerate(excerpts[it.span[0] - 1].offsets())
        if a <= it.span[1] < b
    }
    items = list(kept)
    if not kept:
        message = message or FALLBACK_MESSAGE
        items.extend(C.quotes_for(run.question, excerpts, s.fallback_quotes, used))
    else:
        # Every required author gets at least one verified sentence, quoted if need be.
        covered = {it.author for it in kept}
        missing = [a for a in C.required_authors(run.question, excerpts) if a not in covered]
        items.extend(C.quotes_for(run.question, excerpts, 1, used, authors=missing))
    if show_unverified:
        items.extend(replace(d, supported=False) for d in dropped)
    composed = C.compose(items, excerpts, run.question, dropped)
    return run.finish(composed, AnswerMode.GROUNDED, model, message=message)


def stream_answer(
    question: str,
    history: tuple | list = (),
    settings: Settings | None = None,
    *,
    authors: list[str] | None = None,
    works: list[str] | None = None,
    mode: AnswerMode | str | None = None,
    stop_event: threading.Event | None = None,
    show_unverified: bool = False,
    index=None,
    embedder=None,
    generator=None,
) -> Iterator[Status | Draft | Answer]:
    """Yield ``Status`` and ``Draft`` events while answering, then the final verified ``Answer``.

    ``history`` holds earlier turns as ``(question, Answer)`` pairs, used to resolve follow-ups.
    Invalid input (empty, too long) raises :class:`corpus.errors.InputError` before any model
    runs. ``authors``/``works`` restrict retrieval. ``show_unverified`` keeps unverified drafted
    sentences in ``Answer.sentences`` (``supported=False``); they are always in ``Answer.dropped``.
    ``generator`` overrides the configured one (``False`` = none: extractive).
    """
    s = get_settings(settings)
    mode = AnswerMode(mode or s.answer_mode)
    works_catalog = catalog_works(s)
    # 1. understand the question
    run = _Run(understand(question, history_questions(history), s, works=works_catalog))
    q = run.question
    if embedder is None:
        from embeddings.factory import get_embedder

        embedder = get_embedder(s)
    if index is None:
        from rag.retrieval.store import get_index

        yield Status("Searching the essays…")
        index = get_index(s, embedder)
    # 2-3. retrieve chunks, select the evidence sentences
    hits, excerpts = _retrieve(run, s, authors, works, index, embedder)
    # 4. abstain when the evidence does not cover the question
    ignore = routing_words(q, works_catalog)
    strength = evidence_strength(q.standalone, hits, index=index, ignore_words=ignore)
    run.timings["evidence_strength"] = strength.score
    if mode != AnswerMode.FREE and (not excerpts or strength.score < s.abstain_threshold):
        composed = C.compose(C.closest(excerpts), excerpts, q)
        composed = replace(composed, sentences=(), by_author={})
        yield run.finish(composed, mode, "", abstained=True, message=ABSTAIN_MESSAGE)
        return
    if generator is None and mode != AnswerMode.EXTRACTIVE:
        from rag.generators.base import get_generator

        generator = get_generator(s)
    if mode == AnswerMode.EXTRACTIVE or not generator:
        yield _extractive(run, excerpts, s)
        return
    # 5. write: the model drafts from the numbered excerpts
    drafted = yield from stream_draft(
        generator, build_messages(q.standalone, excerpts), s, stop_event, run.timings, run.started
    )
    if drafted.failed:
        yield _extractive(run, excerpts, s, drafted.message)
        return
    sentences = C.dedupe(split_draft(drafted.text))
    if sentences and not is_complete(drafted.text):
        sentences.pop()  # cut off by max_new_tokens or the deadline: half a sentence is no claim
    if mode == AnswerMode.FREE:
        yield _free(run, sentences, excerpts, generator.name, drafted.message)
        return
    # 6-7. verify each drafted sentence, compose the answer
    yield _grounded(
        run,
        sentences,
        excerpts,
        s,
        embedder,
        names_of(works_catalog),
        show_unverified,
        generator.name,
        drafted.message,
    )


def answer(question: str, history=(), settings=None, **kwargs) -> Answer:
    """Run :func:`stream_answer` to completion and return the final ``Answer``."""
    final = None
    for event in stream_answer(question, history, settings, **kwargs):
        if isinstance(event, Answer):
            final = event
    assert final is not None
    return final
