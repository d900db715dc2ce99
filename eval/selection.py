"""Does the answer show the sentence that answers? Metrics of the answer-selection work.

- ``gold_sentence_shown``: a shown sentence (a quote, or a drafted sentence's supporting span)
  overlaps a gold evidence quote; for a comparison, one for each gold author.
- ``gold_sentence_lead``: the same within the first two sentences shown (a short-answer line
  does not count as one of the two).
- ``short_answer_match``: for factual questions, the lead answer (the short-answer line, else
  the first sentence when it is short) states the reference answer's key fact: a number the
  reference gives, or most of a short reference's content words.
- ``selector_gold_at_k``: among the selector's ranked candidates, a gold sentence in the top k.

Overlap uses :func:`eval.gold.overlaps_gold` (word trigrams). Pure functions over plain values.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from eval.gold import overlaps_gold

LEAD_SENTENCES = 2
# A first sentence longer than this is not a short answer.
SHORT_WORDS = 20
_NUMBER_WORDS = {
    "one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6", "seven": "7",
    "eight": "8", "nine": "9", "ten": "10", "eleven": "11", "twelve": "12", "thirteen": "13",
    "fifteen": "15", "twenty": "20", "thirty": "30", "forty": "40", "fifty": "50",
    "hundred": "100", "thousand": "1000", "million": "1000000", "third": "1/3", "half": "1/2",
}  # fmt: skip
_STOP = frozenset(
    [
        "a",
        "an",
        "the",
        "of",
        "in",
        "on",
        "at",
        "to",
        "for",
        "by",
        "and",
        "or",
        "but",
        "with",
        "from",
        "as",
        "is",
        "was",
        "were",
        "be",
        "been",
        "his",
        "her",
        "their",
        "its",
        "this",
        "that",
        "these",
        "those",
        "it",
        "he",
        "she",
        "they",
        "about",
        "around",
        "some",
    ]
)


def _shown_texts(answer: Any) -> list[tuple[str, bool, str | None]]:
    """(text to compare, is-short-answer, author) of each shown sentence, in order; a drafted
    sentence is compared through the excerpt span that supports it."""
    by_n = {c.n: c for c in answer.citations}
    out = []
    for s in answer.sentences:
        if not s.supported:
            continue
        flags = {str(f) for f in s.flags}
        text = s.text
        if "quote" not in flags and "short-answer" not in flags and s.citations:
            c = by_n.get(s.citations[0])
            if c is not None and c.supporting_span:
                a, b = c.supporting_span
                text = f"{s.text} {c.excerpt[a:b]}"
        out.append((text, "short-answer" in flags, s.author))
    return out


def _gold_by_author(question) -> dict[str, list[str]]:
    from corpus.load import load_passages
    from corpus.locate import locate_quote

    by: dict[str, list[str]] = {}
    passages = load_passages()
    for file, quote in question.evidence:
        loc = locate_quote(quote, passages, file=file)
        author = loc[0].author if loc else ""
        by.setdefault(author, []).append(quote)
    return by


def gold_shown(question, answer: Any, *, lead: bool = False) -> bool | None:
    """Whether the answer shows a gold sentence (each gold author's, for a comparison);
    ``lead`` looks only at the first two sentences. None for unanswerable questions."""
    if not question.answerable:
        return None
    shown = [(t, a) for t, short, a in _shown_texts(answer) if not short]
    if lead:
        shown = shown[:LEAD_SENTENCES] if question.kind != "comparative" else shown
    gold = _gold_by_author(question)
    if question.kind == "comparative" and len(gold) > 1:
        # Each author's position, each in that author's block (its first two sentences).
        def first(author):
            mine = [t for t, a in shown if a == author]
            return mine[:LEAD_SENTENCES] if lead else mine

        return all(any(overlaps_gold(t, qs) for t in first(a)) for a, qs in gold.items())
    quotes = [q for qs in gold.values() for q in qs]
    return any(overlaps_gold(t, quotes) for t, _a in shown)


def _key_tokens(text: str) -> set[str]:
    words = re.findall(r"[a-z0-9]+(?:[.,][0-9]+)*", text.lower().replace("-", " "))
    return {_NUMBER_WORDS.get(w, w.replace(",", "")) for w in words if w not in _STOP}


def _numbers(tokens: set[str]) -> set[str]:
    return {t for t in tokens if re.fullmatch(r"[0-9][0-9./]*", t)}


def short_match(short: str, reference: str) -> bool:
    """Whether a short answer states the reference's key fact.

    Example::

        >>> short_match("about twenty million Soviet citizens", "About twenty million, who were shot.")
        True
        >>> short_match("139 members", "Of the 139 members, 98 (about 70 percent) were shot.")
        True
        >>> short_match("Yezhov", "Leon Trotsky.")
        False
    """
    s, r = _key_tokens(short), _key_tokens(reference)
    if not s:
        return False
    numbers = _numbers(s)
    if numbers:
        return bool(numbers & _numbers(r))
    return len(s & r) / len(s) >= 0.5


def short_answer_match(question, answer: Any) -> bool | None:
    """For a factual question: the lead answer matches the reference (see :func:`short_match`).
    None for other kinds."""
    if question.kind != "factual" or not question.answerable:
        return None
    shown = _shown_texts(answer)
    if not shown:
        return False
    short = next((t for t, is_short, _a in shown if is_short), None)
    if short is None:
        first = answer.sentences[0].text if answer.sentences else ""
        if len(first.split()) > SHORT_WORDS:
            return False
        short = first
    return short_match(short, question.answer)


def selector_gold_at(
    question, answer: Any, ks: Sequence[int] = (1, 3, 5)
) -> dict[int, bool] | None:
    """For each k, whether a gold sentence is among the selector's top k candidates."""
    candidates = getattr(answer, "candidates", ()) or ()
    if not question.answerable or not candidates:
        return None
    quotes = [q for _f, q in question.evidence]
    hits = [overlaps_gold(text, quotes) for text, _author, _score in candidates]
    return {k: any(hits[:k]) for k in ks}
