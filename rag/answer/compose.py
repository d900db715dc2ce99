"""Composition: from kept sentences (verified drafts, quotes) to the answer's numbered citations.

Items carry the prompt's excerpt numbers; :func:`compose` renumbers citations by first use, keeps
each cited excerpt's supporting span and groups sentence indices by author. :func:`best_quotes`
picks an author's most relevant evidence sentences when the answer must quote.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from rag.answer.question import Question
from rag.answer.select import Excerpt, Ranked
from rag.answer.types import AnswerSentence, Citation, Flag
from rag.text.answer_types import AnswerType, answer_type, asks_for_author
from rag.text.short_answer import short_answer
from rag.text.voices import Voice

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
    voice: Voice | None = None
    speaker: str | None = None


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
    return Item(
        es.text,
        (excerpt.n,),
        1.0,
        True,
        excerpt.author,
        (Flag.QUOTE,),
        (excerpt.n, a, b),
        es.voice,
        es.speaker,
    )


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
    at = ex.sentences[0] if ex.sentences else None
    if span is not None:
        at = next(
            (es for es, (a, b) in zip(ex.sentences, ex.offsets(), strict=True) if a <= span[0] < b),
            None,
        )
        quoting = at is not None and at.voice in (Voice.QUOTING, Voice.EPIGRAPH)
        speaker = at.speaker if quoting else None
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
        voice=at.voice if at is not None else Voice.OWN,
        speaker=at.speaker if at is not None else None,
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
            voice=it.voice,
            speaker=it.speaker,
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


# --- select mode: the answering sentences, led by the short answer ----------------------------

# A second sentence of an author is shown when it is nearly as likely to answer as the first.
SECOND_SENTENCE_SHARE = 0.6
# Further sentences, shown apart after the answer, for a reader who wants to look on.
FURTHER_SHARE = 0.5
FURTHER_PER_AUTHOR = 2


def _locate(excerpts: Sequence[Excerpt]) -> dict[tuple[str, int], tuple[Excerpt, int]]:
    return {
        (ex.chunk.id, es.start): (ex, k) for ex in excerpts for k, es in enumerate(ex.sentences)
    }


def answer_authors(question: Question, ranked: Sequence[Ranked]) -> list[str]:
    """Whose answering sentences are shown: the authors the question names (in its order), each
    once; else, for a comparison, the authors of the best sentences; else the best one's."""
    present = list(dict.fromkeys(r.candidate.author for r in ranked))
    if question.authors:
        named = [a for a in question.authors if a in present]
        if named:
            return named
    if question.is_comparison:
        return present[:3]
    return present[:1]


def choose_sentences(question: Question, ranked: Sequence[Ranked]) -> list[tuple[Ranked, bool]]:
    """The sentences a select-mode answer shows, as ``(sentence, further)``: per author, the
    best one (and the second when nearly as likely), then up to :data:`FURTHER_PER_AUTHOR`
    more that are at least :data:`FURTHER_SHARE` as likely, marked ``further``."""
    authors = answer_authors(question, ranked)
    further_n = 1 if len(authors) > 1 else FURTHER_PER_AUTHOR
    chosen: list[tuple[Ranked, bool]] = []
    for author in authors:
        mine = _distinct([r for r in ranked if r.candidate.author == author])
        if not mine:
            continue
        best = mine[0].score
        main = [mine[0]]
        if len(mine) > 1 and mine[1].score >= SECOND_SENTENCE_SHARE * best:
            main.append(mine[1])
        more = [r for r in mine[len(main) :] if r.score >= FURTHER_SHARE * best][:further_n]
        chosen += [(r, False) for r in main] + [(r, True) for r in more]
    return chosen


def _distinct(ranked: Sequence[Ranked]) -> list[Ranked]:
    """``ranked`` without repeats: overlapping chunks hold the same sentence twice."""
    seen: set[str] = set()
    out = []
    for r in ranked:
        key = " ".join(r.candidate.text.split()).casefold()
        if key not in seen:
            seen.add(key)
            out.append(r)
    return out


def selection_items(
    question: Question, chosen: Sequence[tuple[Ranked, bool]], excerpts: Sequence[Excerpt]
) -> list[Item]:
    """The chosen sentences as quotes (the answering ones first, the further ones after),
    preceded by the short answer copied from the best sentence when the question asks for a
    number, a date or a name (or who said it)."""
    where = _locate(excerpts)

    def item(r: Ranked, further: bool) -> Item:
        ex, k = where[(r.candidate.hit.chunk.id, r.candidate.start)]
        it = replace(quote_item(ex, k), support=round(r.score, 4))
        return replace(it, flags=(*it.flags, Flag.FURTHER)) if further else it

    items = [item(r, f) for r, f in chosen if not f] + [item(r, f) for r, f in chosen if f]
    if items and not question.is_comparison:
        lead = _lead(question.standalone, items[0])
        if lead is not None:
            items.insert(0, lead)
    return items


def _lead(question: str, top: Item) -> Item | None:
    """The short answer as an item: who said it, for "which author...?" questions (the
    sentence's speaker when it gives someone else's words, else its author), otherwise the
    asked-for fact copied from the sentence."""
    if asks_for_author(question):
        # "Which author...?" asks about the essays' authors: the essay's author answers.
        return replace(top, text=top.author, flags=(Flag.SHORT_ANSWER,)) if top.author else None
    kind = answer_type(question)
    if kind == AnswerType.NAME and top.speaker and top.voice != Voice.OWN:
        # "Whose words...?" / "Who said...?": the person the sentence quotes or reports.
        return replace(top, text=top.speaker, flags=(Flag.SHORT_ANSWER,))
    lead = short_answer(question, top.text, kind)
    if not lead or top.span is None:
        return None
    n, a, _b = top.span
    start = a + top.text.find(lead)
    return replace(top, text=lead, flags=(Flag.SHORT_ANSWER,), span=(n, start, start + len(lead)))
