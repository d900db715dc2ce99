"""What the judge reads and what it answers: :class:`JudgePassage` and :class:`Verdict`."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from corpus.passage import QuoteSpan


@dataclass(frozen=True)
class JudgePassage:
    """Evidence for the judge: passage text, its essay's author, and its quotations.

    ``quotes`` are offsets into ``text`` with the speaker the corpus names (``None`` = unknown).
    """

    text: str
    author: str
    quotes: tuple[QuoteSpan, ...] = ()
    title: str = ""


@dataclass(frozen=True)
class Verdict:
    """The judge's answer: ``supported``, the rule that decided it, and a readable reason."""

    supported: bool
    reason: str
    rule: str = "ok"
    coverage: float = 0.0
    missing: tuple[str, ...] = field(default=())


def find_quote_spans(text: str, speaker: str | None) -> tuple[QuoteSpan, ...]:
    """Quotation spans of ``text`` (offsets into ``text``) all attributed to ``speaker``.

    For hand-made evidence that names one quoted speaker; the corpus gives real spans.

    Example::

        >>> find_quote_spans('He wrote: "We won." Then he left.', "Lenin")
        (QuoteSpan(start=10, end=19, speaker='Lenin'),)
        >>> find_quote_spans('He wrote: "We won. … And then', "Lenin")
        (QuoteSpan(start=10, end=29, speaker='Lenin'),)
    """
    spans = []
    for m in re.finditer(
        r"[\"“”]([^\"“”]{2,})[\"“”]|(?:(?<=\s)|(?<=^)|(?<=:))['‘]([^'‘’]{2,}?)['’](?=[\s.,;:!?)]|$)",
        text,
    ):
        spans.append(QuoteSpan(m.start(), m.end(), speaker))
    last = spans[-1].end if spans else 0
    opened = re.search(r"(?:(?<=\s)|(?<=^)|(?<=:))[\"“](?=\w|\.\.\.)", text[last:])
    if opened and not re.search(r"[\"”]", text[last + opened.end() :]):
        # An excerpt cut inside a quotation: the quotation runs to the end.
        spans.append(QuoteSpan(last + opened.start(), len(text), speaker))
    return tuple(spans)
