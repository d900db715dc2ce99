"""The attribution rule: which text each cited passage may contribute, given the frame.

A sentence framed as X's view is checked only against what can carry X's view:

* X is the passage's author: the whole passage for a ``report`` frame; for a ``view`` frame the
  passage with other speakers' quotations masked (unless the sentence names that speaker);
* "X quotes Y": passages by X that quote Y (or name Y, when they have no speaker spans);
* X is a quoted speaker: the sentences carrying X's quotations, with their neighbours;
* X is named outside a negation (reported speech): the sentences naming X, with neighbours.

No passage left is an ``attribution`` verdict.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from corpus.passage import QuoteSpan
from eval.judge.frames import Frame, name_keys, same_person
from eval.judge.lexicon import split_into_sentences
from eval.judge.polarity import annotate
from eval.judge.types import JudgePassage, Verdict


@dataclass(frozen=True)
class Evidence:
    """The text the content rules may use, and the names a sentence may mention freely."""

    texts: tuple[str, ...]  # one per passage, already restricted by the attribution rule
    names: tuple[str, ...]  # authors/speakers whose names may appear in the sentence


@dataclass(frozen=True)
class QuotedOnly:
    """Evidence with other speakers' quotations masked (kept apart to explain a failure)."""

    evidence: Evidence


def route(frame: Frame, passages: Sequence[JudgePassage]) -> Evidence | QuotedOnly | Verdict:
    """Choose the text each passage may contribute, given who the sentence says speaks.

    Example::

        >>> p = JudgePassage("The KGB figure is self-serving.", "Hillel H. Ticktin")
        >>> route(Frame(None, None, None, "The figure is self-serving."), [p]).texts
        ('The KGB figure is self-serving.',)
        >>> route(Frame("Tucker", "view", None, "The figure is self-serving."), [p]).rule
        'attribution'
    """
    names = tuple(p.author for p in passages) + tuple(
        q.speaker for p in passages for q in p.quotes if q.speaker
    )
    if frame.speaker is None:
        return Evidence(tuple(p.text for p in passages), names)
    if frame.kind == "quote":
        return _route_quote(frame, passages, names)
    return _route_speaker(frame, passages, names)


def _route_quote(
    frame: Frame, passages: Sequence[JudgePassage], names: tuple[str, ...]
) -> Evidence | Verdict:
    """ "X quotes Y": the passages by X that quote (or, lacking speaker spans, name) Y."""
    x, y = frame.speaker, frame.quoted
    texts = [p.text for p in passages if same_person(x, p.author) and _quotes(p, y)]
    if not texts:
        return Verdict(
            False,
            f"says {x} quotes {y}, but no cited passage by {x} quotes {y}",
            "attribution",
        )
    return Evidence(tuple(texts), (*names, x or "", y or ""))


def _quotes(p: JudgePassage, speaker: str | None) -> bool:
    speakers = [q.speaker for q in p.quotes if q.speaker]
    return any(same_person(speaker, s) for s in speakers) or (
        not speakers and _named_unnegated(p.text, speaker or "")
    )


def _route_speaker(
    frame: Frame, passages: Sequence[JudgePassage], names: tuple[str, ...]
) -> Evidence | QuotedOnly | Verdict:
    """A ``view`` or ``report`` frame: each passage's text that can carry the speaker's view."""
    x = frame.speaker or ""
    texts: list[str] = []
    quoted_only = False
    for p in passages:
        text, masked = _speaker_text(frame, p)
        quoted_only = quoted_only or masked
        if text is not None:
            texts.append(text)
    texts = [t for t in texts if t.strip()]
    if not texts:
        authors = ", ".join(sorted({p.author for p in passages})) or "nobody"
        return Verdict(
            False,
            f"attributes the claim to {x}, but the cited passage is by {authors} and "
            f"neither quotes nor reports {x}",
            "attribution",
        )
    ev = Evidence(tuple(texts), (*names, x))
    return QuotedOnly(ev) if quoted_only else ev


def _speaker_text(frame: Frame, p: JudgePassage) -> tuple[str | None, bool]:
    """The text of ``p`` that can carry the frame speaker's view (``None``: none).

    The flag says whether other speakers' quotations were masked out of that text.
    """
    x = frame.speaker or ""
    if same_person(x, p.author):
        if frame.kind == "report":
            return p.text, False
        # A quotation whose speaker the sentence itself names is attributed correctly
        # ("Gouldner writes that Trotsky said ..."); only the unnamed ones are masked.
        body_words = {t.word for t in annotate(frame.body)}
        others = [
            q
            for q in p.quotes
            if q.speaker
            and not same_person(q.speaker, p.author)
            and not (name_keys(q.speaker) & body_words)
        ]
        return _mask(p.text, others), bool(others)
    own = [q for q in p.quotes if same_person(x, q.speaker)]
    if own:

        def overlaps_own(a: int, b: int, _s: str) -> bool:
            return any(q.start < b and a < q.end for q in own)

        return _sentences_around(p.text, overlaps_own), False
    if name_keys(x) & {t.word for t in annotate(p.text)}:
        return _sentences_around(p.text, lambda _a, _b, s: _named_unnegated(s, x)), False
    return None, False


def _mask(text: str, spans: Sequence[QuoteSpan]) -> str:
    """``text`` with the non-space characters inside ``spans`` replaced by ``#``."""
    chars = list(text)
    for q in spans:
        for i in range(max(0, q.start), min(len(chars), q.end)):
            if not chars[i].isspace():
                chars[i] = "#"
    return "".join(chars)


def _sentences_around(text: str, pred: Callable[[int, int, str], bool]) -> str:
    """The sentences for which ``pred(start, end, sentence)`` holds, each with its neighbours."""
    spans = split_into_sentences(text) or [(0, len(text))]
    keep: set[int] = set()
    for i, (a, b) in enumerate(spans):
        if pred(a, b, text[a:b]):
            keep.update({i - 1, i, i + 1})
    return " ".join(text[a:b] for i, (a, b) in enumerate(spans) if i in keep)


def _named_unnegated(text: str, name: str) -> bool:
    """Whether ``text`` names the person outside a negation's scope."""
    keys = name_keys(name)
    return any(t.word in keys and not t.negated for t in annotate(text))
