"""Composition: from kept sentences (verified drafts, quotes) to the answer's numbered citations.

Items carry the prompt's excerpt numbers; :func:`compose` renumbers citations by first use, keeps
each cited excerpt's supporting span and groups sentence indices by author. :func:`best_quotes`
picks an author's most relevant evidence sentences when the answer must quote.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from rag.answer.question import Question
from rag.answer.select import Excerpt
from rag.answer.types import AnswerSentence, Citation, Flag

# A further quote of an author must reach this share of their best quote's relevance.
QUOTE_RELEVANCE_FLOOR = 0.8
# Passages offered when abstaining.
CLOSEST_PASSAGES = 3


@dataclass(frozen=True)
class Item:
    """A sentence on its way into the answer; excerpt numbers are the prompt's."""

    text: str
    excerpts: tuple[int, ...]
    support: float
    supported: bool
    author: str | None
    flags: tuple[Flag, ...] = ()
    span: tuple[int, int, int] | None = None  # (excerpt n, start, end) in Excerpt.text


@dataclass(frozen=True)
class Composed:
    """The parts of an :class:`~rag.answer.types.Answer` that composition decides."""

    sentences: tuple[AnswerSentence, ...]
    citations: tuple[Citation, ...]
    by_author: dict[str, list[int]]
    dropped: tuple[AnswerSentence, ...] = ()


def quote_item(excerpt: Excerpt, k: int) -> Item:
    """Kept sentence ``k`` of ``excerpt`` as a verbatim quote (its author block names the source)."""
    es = excerpt.sentences[k]
    a, b = excerpt.offsets()[k]
    return Item(es.text, (excerpt.n,), 1.0, True, excerpt.author, (Flag.QUOTE,), (excerpt.n, a, b))


def best_quotes(
    excerpts: Sequence[Excerpt], author: str, count: int, used: set[tuple[int, int]]
) -> list[Item]:
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
    items: list[Item] = []
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
            items.append(quote_item(ex, k))
    return items


def required_authors(question: Question, excerpts: Sequence[Excerpt]) -> list[str]:
    """Authors the answer must quote: those the question names, else the top excerpt's."""
    present = list(dict.fromkeys(ex.author for ex in excerpts))
    if question.authors:
        return [a for a in question.authors if a in present]
    if question.is_comparison:
        return present[:3]
    return present[:1]


def quotes_for(
    question: Question,
    excerpts: Sequence[Excerpt],
    per_author: int,
    used: set[tuple[int, int]] | None = None,
    authors: Sequence[str] | None = None,
) -> list[Item]:
    """Quotes of every required author (or of ``authors``), ``per_author`` each."""
    used = set() if used is None else used
    items: list[Item] = []
    for a in required_authors(question, excerpts) if authors is None else authors:
        items.extend(best_quotes(excerpts, a, per_author, used))
    return items


def closest(excerpts: Sequence[Excerpt]) -> list[Item]:
    """One item per closest excerpt (for abstentions): not claims, so marked unsupported."""
    items = []
    for ex in list(excerpts)[:CLOSEST_PASSAGES]:
        k = max(range(len(ex.sentences)), key=lambda i: ex.sentences[i].relevance)
        a, b = ex.offsets()[k]
        items.append(Item("", (ex.n,), 0.0, False, ex.author, (Flag.CLOSEST,), (ex.n, a, b)))
    return items


def dedupe(texts: Sequence[str]) -> list[str]:
    """Texts without repeats (case, punctuation and citation markers ignored).

    Example::

        >>> dedupe(["Stalin won [1].", "stalin won.", "Trotsky lost."])
        ['Stalin won [1].', 'Trotsky lost.']
    """
    seen: set[str] = set()
    out = []
    for t in texts:
        key = re.sub(r"\W+", " ", re.sub(r"\[[^\]]*\]", " ", t.lower())).strip()
        if key and key not in seen:
            seen.add(key)
            out.append(t)
    return out


def _citation(ex: Excerpt, n: int, span: tuple[int, int] | None) -> Citation:
    speaker = ex.quoted_speaker
    if span is not None:
        speaker = next(
            (es.speaker for es, (a, b) in zip(ex.sentences, ex.offsets(), strict=True) if a <= span[0] < b),
            None,
        )
    return Citation(
        n=n,
        chunk=ex.chunk,
        author=ex.author,
        work=ex.chunk.title,
        year=ex.chunk.year,
        anchor=ex.chunk.anchor,
        excerpt=ex.text,
        supporting_span=span,
        quoted_speaker=speaker,
    )


def compose(
    items: Sequence[Item],
    excerpts: Sequence[Excerpt],
    question: Question,
    dropped: Sequence[Item] = (),
) -> Composed:
    """Renumber citations by first use and build the answer's sentences, citations, by_author."""
    by_n = {ex.n: ex for ex in excerpts}
    if question.is_comparison and question.authors:
        order = {a: i for i, a in enumerate(question.authors)}
        items = sorted(items, key=lambda it: order.get(it.author or "", len(order)))
    numbering: dict[int, int] = {}
    spans: dict[int, tuple[int, int]] = {}
    for it in items:
        for n in it.excerpts:
            numbering.setdefault(n, len(numbering) + 1)
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
    citations = tuple(
        _citation(by_n[n], new, spans.get(n))
        for n, new in sorted(numbering.items(), key=lambda kv: kv[1])
    )
    by_author: dict[str, list[int]] = {}
    for i, it in enumerate(items):
        if it.author and it.supported:
            by_author.setdefault(it.author, []).append(i)
    dropped_sentences = tuple(
        AnswerSentence(it.text, (), round(float(it.support), 4), False, it.author, it.flags)
        for it in dropped
    )
    return Composed(sentences, citations, by_author, dropped_sentences)
