"""The answer pipeline, stage by stage: question -> retrieve -> select -> abstain? -> write ->
verify -> compose. :func:`stream_answer` reads as that list; each stage lives in its own module.

In ``select`` mode (the default for the bundled model) there is no writing: the answer is the
selected sentences themselves, led by the asked-for fact copied from the best one.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any

from corpus.settings import Settings, get_settings
from rag.answer import compose as C
from rag.answer.abstain import should_abstain
from rag.answer.draft import is_complete, parse_markers, split_draft
from rag.answer.filters import validate_filters
from rag.answer.question import Question, catalog_works, history_questions, names_of, understand
from rag.answer.ranker import answerability_model
from rag.answer.select import (
    Excerpt,
    Ranked,
    build_excerpts,
    excerpts_from,
    rank_candidates,
    retrieve_candidates,
)
from rag.answer.types import Answer, AnswerMode, Draft, Flag, Status
from rag.answer.verify import verify_sentences
from rag.answer.write import build_messages, stream_draft

ABSTAIN_MESSAGE = (
    "The essays do not appear to address this question. The closest passages are shown with the "
    "sources; none of them answers it."
)
FALLBACK_MESSAGE = (
    "The model's draft could not be verified against the excerpts, so the answer quotes them."
)
STOPPED_MESSAGE = "Stopped."
# Best candidate sentences reported with an answer.
CANDIDATES_KEPT = 10


class _Stopped(Exception):
    """The reader pressed Stop (or went away) between two stages."""


@dataclass
class _Run:
    """One call's question, timings, stop event, and the way to finish it with an Answer."""

    question: Question
    stop: threading.Event | None = None
    started: float = field(default_factory=time.perf_counter)
    timings: dict[str, float] = field(default_factory=dict)
    ranked: list = field(default_factory=list)
    min_score: float = 0.0
    answerability: Any = None

    def checkpoint(self) -> None:
        """Give up between stages once Stop is pressed: no stage runs for a reader who left."""
        if self.stop is not None and self.stop.is_set():
            raise _Stopped

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
            candidates=tuple(
                (r.candidate.text, r.candidate.author, round(r.score, 4))
                for r in self.ranked[:CANDIDATES_KEPT]
            ),
            **kw,
        )


def _retrieve_and_select(run: _Run, s: Settings, authors, works, index, embedder):
    """Stages 2-3: the chunks that may answer, their sentences ranked, the cited excerpts."""
    q = run.question
    t = time.perf_counter()
    hits = retrieve_candidates(q, s, index=index, embedder=embedder, authors=authors, works=works)
    run.timings["retrieve_s"] = time.perf_counter() - t
    run.checkpoint()
    t = time.perf_counter()
    from rag.answer.ranker import load_ranker

    ranker = load_ranker(str(s.selector_model) if s.selector_model else None)
    asked = q.authors or tuple(authors or ())
    ranked = rank_candidates(
        q.standalone, hits, embedder=embedder, ranker=ranker, index=index, asked_authors=asked
    )
    must = C.answer_authors(q, ranked) if q.is_comparison or q.authors else ()
    excerpts = build_excerpts(ranked, s, must)
    run.ranked = ranked
    run.answerability = answerability_model(ranker)
    run.min_score = (
        s.select_min_score
        if s.select_min_score is not None
        else float(ranker.meta.get("abstain", {}).get("threshold", 0.0))
    )
    run.timings["evidence_s"] = time.perf_counter() - t
    run.checkpoint()
    return hits, ranked, excerpts


def _abstain(run: _Run, excerpts: list[Excerpt], mode: AnswerMode) -> Answer:
    composed = C.compose(C.closest(excerpts), excerpts, run.question)
    composed = replace(composed, sentences=(), by_author={})
    return run.finish(composed, mode, "", abstained=True, message=ABSTAIN_MESSAGE)


def _selected(run: _Run, ranked: list[Ranked]) -> Answer:
    chosen = C.choose_sentences(run.question, ranked)
    excerpts = excerpts_from([r for r, _further in chosen])
    items = C.selection_items(run.question, chosen, excerpts)
    composed = C.compose(items, excerpts, run.question)
    return run.finish(composed, AnswerMode.SELECT, "selector")


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


def _as_item(v) -> C.Item:
    return C.Item(v.text, v.citations, v.support, v.supported, v.author, v.flags, v.span)


def _grounded(run, sentences, excerpts, s, embedder, author_names, show_unverified, model, message):
    """Stages 6-7: verify every drafted sentence, then compose; quotes fill what did not verify."""
    t = time.perf_counter()
    verdicts = verify_sentences(sentences, excerpts, s, embedder=embedder, authors=author_names)
    run.timings["verify_s"] = time.perf_counter() - t
    kept = [_as_item(v) for v in verdicts if v.supported]
    dropped = [_as_item(v) for v in verdicts if not v.supported and Flag.NO_CLAIM not in v.flags]
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
    """Yield ``Status`` and ``Draft`` events while answering, then the final ``Answer``.

    ``history`` holds earlier turns as ``(question, Answer)`` pairs, used to resolve follow-ups.
    Invalid input (empty, too long) raises :class:`corpus.errors.InputError` before any model
    runs. ``authors``/``works`` restrict retrieval. ``show_unverified`` keeps unverified drafted
    sentences in ``Answer.sentences`` (``supported=False``); they are always in ``Answer.dropped``.
    ``generator`` overrides the configured one (``False`` = none: extractive). ``stop_event``
    ends the work at the next stage (or token) once set.
    """
    s = get_settings(settings)
    mode = AnswerMode(mode or s.resolved_answer_mode)
    works_catalog = catalog_works(s)
    if authors is not None or works is not None:
        authors, works = validate_filters(authors, works, works_catalog)
    # 1. understand the question
    run = _Run(understand(question, history_questions(history), s, works=works_catalog), stop_event)
    try:
        yield from _stages(
            run, s, mode, works_catalog, authors, works, show_unverified, index, embedder, generator
        )
    except _Stopped:
        yield run.finish(C.Composed((), (), {}), mode, "", message=STOPPED_MESSAGE)


def _stages(
    run, s, mode, works_catalog, authors, works, show_unverified, index, embedder, generator
):
    q = run.question
    if embedder is None:
        from embeddings.factory import get_embedder

        embedder = get_embedder(s)
    if index is None:
        from rag.retrieval.store import get_index

        yield Status("Searching the essays…")
        index = get_index(s, embedder)
    # 2-3. retrieve chunks, rank their sentences, keep the best as numbered excerpts
    hits, ranked, excerpts = _retrieve_and_select(run, s, authors, works, index, embedder)
    # 4. abstain when the evidence does not cover the question or no sentence answers it
    if mode != AnswerMode.FREE and should_abstain(
        q,
        hits,
        ranked,
        excerpts,
        works_catalog,
        s,
        index,
        run.timings,
        run.answerability,
        run.min_score,
    ):
        yield _abstain(run, excerpts, mode)
        return
    if mode == AnswerMode.SELECT:
        yield _selected(run, ranked)
        return
    if generator is None and mode != AnswerMode.EXTRACTIVE:
        from rag.generators.base import get_generator

        generator = get_generator(s)
    if mode == AnswerMode.EXTRACTIVE or not generator:
        yield _extractive(run, excerpts, s)
        return
    # 5. write: the model drafts from the numbered excerpts
    messages = build_messages(q.standalone, excerpts)
    drafted = yield from stream_draft(generator, messages, s, run.stop, run.timings, run.started)
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
    names = names_of(works_catalog)
    yield _grounded(
        run,
        sentences,
        excerpts,
        s,
        embedder,
        names,
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
