"""The answer pipeline: question -> retrieval -> evidence -> prompt -> draft -> verified Answer."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

from corpus.settings import Settings, get_settings
from rag.retrieval.chunking import Chunk
from rag.text.lexicon import content_words

AnswerMode = Literal["grounded", "extractive", "free"]


@dataclass(frozen=True)
class Citation:
    """Excerpt ``[n]`` of an answer: a retrieved chunk and the span that supports the sentence(s)."""

    n: int
    chunk: Chunk
    author: str
    work: str
    year: int | None
    anchor: str
    excerpt: str
    supporting_span: tuple[int, int] | None = None  # offsets into ``excerpt``
    quoted_speaker: str | None = None


@dataclass(frozen=True)
class AnswerSentence:
    """One sentence of the answer with the excerpt numbers it cites and its verification result."""

    text: str
    citations: tuple[int, ...]
    support: float
    supported: bool
    author: str | None = None
    flags: tuple[str, ...] = ()  # why a sentence failed: "unsupported", "unverbatim-quote", ...


@dataclass(frozen=True)
class Answer:
    question: str
    standalone_question: str
    sentences: tuple[AnswerSentence, ...]
    citations: tuple[Citation, ...]
    by_author: dict[str, list[int]] = field(default_factory=dict)
    abstained: bool = False
    mode: AnswerMode = "grounded"
    model: str = ""
    timings: dict[str, float] = field(default_factory=dict)
    dropped: tuple[AnswerSentence, ...] = ()  # unverified sentences, shown only on request
    message: str | None = None  # a plain-language notice (refused input, abstention, fallback)


@dataclass(frozen=True)
class Draft:
    """A streamed piece of the model's unverified draft."""

    text: str


@dataclass(frozen=True)
class Status:
    """A progress notice while answering (e.g. loading the model)."""

    text: str


# --- pipeline ---------------------------------------------------------------------------------

ABSTAIN_MESSAGE = (
    "The essays do not appear to address this question. The closest passages are listed below."
)
FALLBACK_MESSAGE = (
    "The model's draft could not be verified against the excerpts, so the answer quotes them."
)
LOADING_MESSAGE = "Loading the language model…"
_ENDS_SENTENCE = re.compile(r"[.!?][\"'”’)\]]*(?:\s*\[[^\]]*\])*\s*$")
# A further quote of an author must reach this share of their best quote's relevance.
QUOTE_RELEVANCE_FLOOR = 0.8
# Passages offered when abstaining.
CLOSEST_PASSAGES = 3


@dataclass(frozen=True)
class _Item:
    """A sentence on its way into the answer; excerpt numbers are the prompt's."""

    text: str
    excerpts: tuple[int, ...]
    support: float
    supported: bool
    author: str | None
    flags: tuple[str, ...] = ()
    span: tuple[int, int, int] | None = None  # (excerpt n, start, end) in Excerpt.text


def _history_questions(history) -> list[str]:
    """Earlier standalone questions from ``(question, Answer)`` pairs, strings or chat dicts."""
    out: list[str] = []
    for turn in history or ():
        if isinstance(turn, str):
            out.append(turn)
        elif isinstance(turn, dict):
            if turn.get("role") == "user" and isinstance(turn.get("content"), str):
                out.append(turn["content"])
        elif isinstance(turn, (tuple, list)) and turn:
            ans = turn[1] if len(turn) > 1 else None
            if isinstance(ans, Answer) and ans.standalone_question:
                out.append(ans.standalone_question)
            elif isinstance(turn[0], str):
                out.append(turn[0])
    return [q for q in out if q.strip()]


def _quote_item(excerpt, k: int) -> _Item:
    """``Author (Work, year)[, quoting X]: "sentence"`` for kept sentence ``k`` of ``excerpt``."""
    from rag.answer.select import work_citation

    es = excerpt.sentences[k]
    who = excerpt.author
    if es.speaker:
        who = f"{who} ({work_citation(excerpt.chunk)}), quoting {es.speaker}"
    else:
        who = f"{who} ({work_citation(excerpt.chunk)})"
    a, b = excerpt.offsets()[k]
    return _Item(
        text=f'{who}: "{es.text}"',
        excerpts=(excerpt.n,),
        support=1.0,
        supported=True,
        author=excerpt.author,
        flags=("quote",),
        span=(excerpt.n, a, b),
    )


def _best_quotes(excerpts, author: str, count: int, used: set[tuple[int, int]]) -> list[_Item]:
    """The ``count`` most relevant evidence sentences of ``author`` (distinct excerpts first)."""
    ranked = sorted(
        (
            (es.relevance, ex.n, k, ex)
            for ex in excerpts
            if ex.author == author
            for k, es in enumerate(ex.sentences)
            if (ex.n, k) not in used
        ),
        key=lambda t: (-t[0], t[1], t[2]),
    )
    items: list[_Item] = []
    seen_excerpts: set[int] = set()
    floor = QUOTE_RELEVANCE_FLOOR * ranked[0][0] if ranked else 0.0
    for pass_no in (0, 1):
        for rel, n, k, ex in ranked:
            if len(items) >= count:
                break
            if items and rel < floor:
                continue  # a second quote must be nearly as relevant as the first
            if (n, k) in used or (pass_no == 0 and n in seen_excerpts):
                continue
            used.add((n, k))
            seen_excerpts.add(n)
            items.append(_quote_item(ex, k))
    return items


def _required_authors(question, excerpts) -> list[str]:
    """Authors the answer must quote: those the question names, else the top excerpt's."""
    present = list(dict.fromkeys(ex.author for ex in excerpts))
    if question.authors:
        return [a for a in question.authors if a in present]
    if question.is_comparison:
        return present[:3]
    return present[:1]


def _compose(items: Sequence[_Item], excerpts, question, dropped: Sequence[_Item] = ()):
    """Renumber citations by first use and build the answer's sentences, citations, by_author."""
    by_n = {ex.n: ex for ex in excerpts}
    if question.is_comparison and question.authors:
        order = {a: i for i, a in enumerate(question.authors)}
        items = sorted(items, key=lambda it: order.get(it.author or "", len(order)))
    numbering: dict[int, int] = {}
    spans: dict[int, tuple[int, int]] = {}
    for it in items:
        for n in it.excerpts:
            if n not in numbering:
                numbering[n] = len(numbering) + 1
            if it.span and it.span[0] == n and n not in spans:
                spans[n] = (it.span[1], it.span[2])
    sentences = tuple(
        AnswerSentence(
            text=it.text,
            citations=tuple(numbering[n] for n in it.excerpts),
            support=round(float(it.support), 4),
            supported=it.supported,
            author=it.author,
            flags=it.flags,
        )
        for it in items
    )
    citations = []
    for n, new in sorted(numbering.items(), key=lambda kv: kv[1]):
        ex = by_n[n]
        span = spans.get(n)
        speaker = None
        if span is not None:
            for es, (a, b) in zip(ex.sentences, ex.offsets(), strict=True):
                if a <= span[0] < b:
                    speaker = es.speaker
                    break
        else:
            speaker = ex.quoted_speaker
        citations.append(
            Citation(
                n=new,
                chunk=ex.chunk,
                author=ex.author,
                work=ex.chunk.title,
                year=ex.chunk.year,
                anchor=ex.chunk.anchor,
                excerpt=ex.text,
                supporting_span=span,
                quoted_speaker=speaker,
            )
        )
    by_author: dict[str, list[int]] = {}
    for i, it in enumerate(items):
        if it.author and it.supported:
            by_author.setdefault(it.author, []).append(i)
    dropped_sentences = tuple(
        AnswerSentence(
            text=it.text,
            citations=(),
            support=round(float(it.support), 4),
            supported=False,
            author=it.author,
            flags=it.flags,
        )
        for it in dropped
    )
    return sentences, tuple(citations), by_author, dropped_sentences


def _closest(excerpts) -> list[_Item]:
    """One item per closest excerpt (for abstentions): not claims, so marked unsupported."""
    items = []
    for ex in list(excerpts)[:CLOSEST_PASSAGES]:
        k = max(range(len(ex.sentences)), key=lambda i: ex.sentences[i].relevance)
        a, b = ex.offsets()[k]
        items.append(_Item("", (ex.n,), 0.0, False, ex.author, ("closest",), (ex.n, a, b)))
    return items


def _verdict_item(v) -> _Item:
    return _Item(v.text, v.citations, v.support, v.supported, v.author, v.flags, v.span)


def _dedupe(texts: Sequence[str]) -> list[str]:
    seen: set[str] = set()
    out = []
    for t in texts:
        key = re.sub(r"\[[^\]]*\]|\W+", " ", t.lower()).strip()
        if key and key not in seen:
            seen.add(key)
            out.append(t)
    return out


def stream_answer(
    question: str,
    history: tuple[tuple[str, Answer], ...] | list = (),
    settings: Settings | None = None,
    *,
    authors: list[str] | None = None,
    works: list[str] | None = None,
    mode: AnswerMode | None = None,
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
    from rag.answer.abstain import evidence_strength
    from rag.answer.select import select_evidence
    from rag.answer.write import build_messages
    from rag.answer.question import catalog_works, names_of, understand
    from rag.answer.verify import split_draft, verify_sentences

    s = get_settings(settings)
    mode = mode or s.answer_mode
    started = time.perf_counter()
    timings: dict[str, float] = {}
    works_catalog = catalog_works(s)
    q = understand(question, _history_questions(history), s, works=works_catalog)
    author_names = names_of(works_catalog)

    # --- retrieve -------------------------------------------------------------------------
    from rag.retrieval.search import retrieve

    if embedder is None:
        from embeddings.factory import get_embedder

        embedder = get_embedder(s)
    if index is None:
        from rag.retrieval.store import get_index

        yield Status("Searching the essays…")
        index = get_index(s, embedder)
    t = time.perf_counter()
    hits = retrieve(
        q.standalone,
        s.retrieval_k,
        authors=list(authors) if authors else None,
        works=list(works) if works else None,
        settings=s,
        index=index,
        embedder=embedder,
    )
    timings["retrieve_s"] = time.perf_counter() - t
    t = time.perf_counter()
    excerpts = select_evidence(q.standalone, hits, s, embedder=embedder)
    timings["evidence_s"] = time.perf_counter() - t

    def finish(**kw) -> Answer:
        timings["total_s"] = time.perf_counter() - started
        return Answer(
            question=q.text,
            standalone_question=q.standalone,
            timings={k: round(v, 4) for k, v in timings.items()},
            **kw,
        )

    # --- abstain? ------------------------------------------------------------------------
    ignore = {
        w
        for name, aliases in author_names
        for alias in (name, *aliases)
        for w in content_words(alias)
    }
    for w in works_catalog:
        if w.work_id in q.works:
            ignore.update(content_words(w.title))
    strength = evidence_strength(q.standalone, hits, index=index, ignore_words=ignore)
    timings["evidence_strength"] = strength.score
    if mode != "free" and (not excerpts or strength.score < s.abstain_threshold):
        sentences, citations, _, _ = _compose(_closest(excerpts), excerpts, q)
        yield finish(
            sentences=(),
            citations=citations,
            abstained=True,
            mode=mode,
            model="",
            message=ABSTAIN_MESSAGE,
        )
        return

    # --- generate --------------------------------------------------------------------------
    if generator is None and mode != "extractive":
        from rag.generators.base import get_generator

        generator = get_generator(s)

    def extractive(note: str | None = None) -> Answer:
        items: list[_Item] = []
        used: set[tuple[int, int]] = set()
        for a in _required_authors(q, excerpts):
            items.extend(_best_quotes(excerpts, a, s.fallback_quotes, used))
        sentences, citations, by_author, _ = _compose(items, excerpts, q)
        return finish(
            sentences=sentences,
            citations=citations,
            by_author=by_author,
            mode="extractive",
            model="extractive",
            message=note,
        )

    if mode == "extractive" or not generator:
        yield extractive()
        return

    from rag.generators.base import GeneratorError

    message = None
    if not getattr(generator, "loaded", True):
        yield Status(LOADING_MESSAGE)
        load = getattr(generator, "load", None)
        if callable(load):
            try:
                timings["load_s"] = float(load())
            except GeneratorError as exc:
                yield extractive(f"{exc} — answering with quotes instead.")
                return
    messages = build_messages(q.standalone, excerpts)
    draft_parts: list[str] = []
    t = time.perf_counter()
    try:
        for piece in generator.stream(messages, s.max_new_tokens, stop_event):
            if "ttft_s" not in timings:
                timings["ttft_s"] = time.perf_counter() - started
            draft_parts.append(piece)
            yield Draft(piece)
            if stop_event is not None and stop_event.is_set():
                message = "Stopped before the draft was finished."
                break
    except GeneratorError as exc:
        message = f"{exc} — answering with quotes instead."
    timings["generate_s"] = time.perf_counter() - t
    # Only a load paid by this call counts; a warm model costs nothing here.
    timings.setdefault("load_s", 0.0)
    draft = "".join(draft_parts)
    raw_sentences = _dedupe(split_draft(draft))
    truncated: list[_Item] = []
    if raw_sentences and not _ENDS_SENTENCE.search(draft):
        # Cut off by max_new_tokens or the deadline: half a sentence is not a claim.
        last = raw_sentences.pop()
        truncated.append(_Item(last, (), 0.0, False, None, ("truncated",)))

    if mode == "free":
        from rag.answer.verify import parse_markers

        items = []
        for text in raw_sentences:
            clean, ids = parse_markers(text, len(excerpts))
            author = excerpts[ids[0] - 1].author if ids else None
            items.append(_Item(clean, ids, 0.0, False, author, ("unverified",)))
        sentences, citations, by_author, _ = _compose(items, excerpts, q)
        yield finish(
            sentences=sentences,
            citations=citations,
            by_author={},
            mode="free",
            model=generator.name,
            message=message,
        )
        return

    # --- verify ------------------------------------------------------------------------------
    t = time.perf_counter()
    verdicts = verify_sentences(raw_sentences, excerpts, s, embedder=embedder, authors=author_names)
    timings["verify_s"] = time.perf_counter() - t
    kept = [_verdict_item(v) for v in verdicts if v.supported]
    dropped = [_verdict_item(v) for v in verdicts if not v.supported and "no-claim" not in v.flags]
    used: set[tuple[int, int]] = set()
    for it in kept:
        if it.span:
            n, a, _b = it.span
            ex = excerpts[n - 1]
            for k, (sa, sb) in enumerate(ex.offsets()):
                if sa <= a < sb:
                    used.add((n, k))
    items = list(kept)
    if not kept:
        if message is None:
            message = FALLBACK_MESSAGE
        for a in _required_authors(q, excerpts):
            items.extend(_best_quotes(excerpts, a, s.fallback_quotes, used))
    else:
        # Every required author gets at least one verified sentence, quoted if need be.
        covered = {it.author for it in kept}
        for a in _required_authors(q, excerpts):
            if a not in covered:
                items.extend(_best_quotes(excerpts, a, 1, used))
    if show_unverified:
        items.extend(replace(d, supported=False) for d in dropped)
    sentences, citations, by_author, dropped_sentences = _compose(items, excerpts, q, dropped)
    yield finish(
        sentences=sentences,
        citations=citations,
        by_author=by_author,
        mode="grounded",
        model=generator.name,
        dropped=dropped_sentences,
        message=message,
    )


def answer(question: str, history=(), settings=None, **kwargs) -> Answer:
    """Run :func:`stream_answer` to completion and return the final ``Answer``."""
    final = None
    for event in stream_answer(question, history, settings, **kwargs):
        if isinstance(event, Answer):
            final = event
    assert final is not None
    return final
