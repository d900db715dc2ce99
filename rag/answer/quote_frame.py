"""Drafted quotations checked against where their words stand in the source.

The writer drafts sentences like ``Gouldner writes: "…"`` or ``Trotsky quotes Stalin: "…"``.
Sentence-level voices are not enough to check them: one sentence of an essay often mixes the
author's narration with a third party's words in quotation marks (``Krushchev's account … reveals
…: "of the 139 members …"``). So the quoted span is found in the source, and:

- ``X writes: "…"`` must not quote words that stand inside quotation marks in the source (they
  are someone else's);
- ``X quotes …: "…"`` must quote words that do (or a sentence whose voice is a quotation), not the
  author's own narration;
- a quotation must say something: three content words at least, not stopping on a dangling
  word, an abbreviation or a comma (``"98 persons, i.e"``, ``"The"``).

Pure functions over strings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from corpus.quotes import quote_spans
from rag.text.lexicon import STOPWORDS
from rag.text.tokens import words
from rag.text.voices import Voice


class FrameKind(StrEnum):
    """How a drafted sentence presents its quotation."""

    WRITES = "writes"  # the essay author's own words
    QUOTES = "quotes"  # words the essay author quotes from someone else


@dataclass(frozen=True)
class QuoteFrame:
    """``holder`` (as written) presents ``quote`` as their own words or as a quotation."""

    holder: str
    kind: FrameKind
    quote: str


_NAME = r"[A-Z][\w'’.-]*(?:\s+[A-Z][\w'’.-]*){0,3}"
_FRAME = re.compile(
    rf"^\s*(?P<who>{_NAME})(?:\s*,)?\s+(?P<verb>writes|wrote|says|notes|argues|quotes|quoting)"
    r"\b[^:\"“”]{0,60}:\s*[\"“](?P<quote>[^\"“”]+)[\"”]"
)


def quote_frame(claim: str) -> QuoteFrame | None:
    """The frame of a drafted quotation, or None when the sentence is not one.

    Example::

        >>> quote_frame('Gouldner writes: "cattle declined from 60 million to 34 million".')
        QuoteFrame(holder='Gouldner', kind=<FrameKind.WRITES: 'writes'>, quote='cattle declined from 60 million to 34 million')
        >>> quote_frame('Ticktin quotes Trotsky: "the bureaucracy won".').kind
        <FrameKind.QUOTES: 'quotes'>
        >>> quote_frame("Ticktin argues the purges were a response to war.") is None
        True
    """
    m = _FRAME.match(claim)
    if not m:
        return None
    kind = FrameKind.QUOTES if m.group("verb").startswith("quot") else FrameKind.WRITES
    return QuoteFrame(m.group("who"), kind, m.group("quote").strip())


def _span_pattern(quote: str) -> re.Pattern[str] | None:
    tokens = re.findall(r"\w+", quote)
    if not tokens:
        return None
    return re.compile(r"\W+".join(re.escape(t) for t in tokens), re.I)


def _locate(quote: str, text: str) -> re.Match[str] | None:
    pattern = _span_pattern(quote)
    return pattern.search(text) if pattern else None


def in_quotation(quote: str, text: str) -> bool | None:
    """Whether ``quote`` stands inside quotation marks in ``text`` (None: not found there).

    Example::

        >>> src = 'Stalin put it bluntly: "we must overcome our own bourgeoisie." He meant it.'
        >>> in_quotation("we must overcome our own bourgeoisie", src)
        True
        >>> in_quotation("He meant it", src)
        False
        >>> in_quotation("nothing like this", src) is None
        True
    """
    m = _locate(quote, text)
    return None if m is None else _inside(m, text)


def _inside(m: re.Match[str], text: str) -> bool:
    middle = (m.start() + m.end()) / 2
    return any(a < middle < b for a, b in quote_spans(text))


def _sentence_has_marks(m: re.Match[str], text: str) -> bool:
    """Whether the sentence of ``text`` holding the match ``m`` has double quotation marks at
    all (if it has none, a quotation in it is a block quotation the voices know about)."""
    start = max(text.rfind(". ", 0, m.start()), text.rfind("\n", 0, m.start())) + 1
    stops = [i for i in (text.find(". ", m.end()), text.find("\n", m.end())) if i >= 0]
    end = min(stops) if stops else len(text)
    return any(c in text[start:end] for c in '"“”')


def frame_conflict(frame: QuoteFrame, source: str, voice: Voice) -> bool:
    """Whether the frame misplaces the quotation: the author "writes" words that stand in
    quotation marks in ``source``, or "quotes" the author's own narration (``voice`` is the
    voice of the source sentence: a block quotation has no marks but a quoting voice).

    Example::

        >>> src = 'Stalin put it bluntly: "we must overcome our own bourgeoisie." He meant it.'
        >>> frame_conflict(quote_frame('Tucker writes: "we must overcome our own bourgeoisie".'), src, Voice.OWN)
        True
        >>> frame_conflict(quote_frame('Tucker quotes Stalin: "we must overcome our own bourgeoisie".'), src, Voice.OWN)
        False
        >>> frame_conflict(quote_frame('Tucker quotes: "Stalin put it bluntly".'), src, Voice.OWN)
        True
        >>> frame_conflict(quote_frame('Tucker quotes: "Stalin put it bluntly".'), src, Voice.QUOTING)
        True
    """
    m = _locate(frame.quote, source)
    if m is None:  # not found in the source: the verbatim check speaks to that
        return False
    if frame.kind is FrameKind.WRITES:
        return _inside(m, source)
    if _inside(m, source):
        return False
    # Outside the marks of a sentence that has them: the author's own lead-in ("Trotsky, at one
    # level, also argued this point: …"), whatever the sentence's voice.
    return _sentence_has_marks(m, source) or voice not in (
        Voice.QUOTING,
        Voice.EPIGRAPH,
    )


_ABBREVIATION_END = re.compile(r"\b(?:i\.?e|e\.?g|cf|etc|viz|ibid|op|vol|pp?|ch|no)\.?$", re.I)


_NO_START = frozenset({"of", "and", "or", "nor", "than"})


def fragment_quote(quote: str) -> bool:
    """Whether a quotation is too short, or cut off, to say anything by itself.

    Example::

        >>> fragment_quote("98 persons, i.e")
        True
        >>> fragment_quote("The")
        True
        >>> fragment_quote("Hence, every Marxist needed to be killed or incarcerated though non-Marxists such as Pasternak,")
        True
        >>> fragment_quote("of the kolkhoz system gave special point to this perception")
        True
        >>> fragment_quote("cattle declined from 60 million to 34 million")
        False
    """
    text = quote.strip()
    tokens = words(text)
    content = [t for t in tokens if t.lower() not in STOPWORDS]
    if len(content) < 3:
        return True
    if text.endswith((",", ";", ":", "-", "—", "–")) or _ABBREVIATION_END.search(text):
        return True
    if tokens[0] in _NO_START:  # "of the kolkhoz system gave …": the subject is cut off
        return True
    return bool(tokens) and tokens[-1].lower() in STOPWORDS
