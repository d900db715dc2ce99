"""Whose voice each sentence of an essay speaks in, and whose view it gives.

An essay says many things that are not its author's claims. Each sentence gets a :class:`Voice`:

- ``own``: the essay author's claim or narration;
- ``quoting``: inside a quotation attributed to someone else (speaker recorded when named);
- ``reporting``: someone else's view in the author's words ("Carr and Davies find...",
  "it has been argued that...");
- ``rejecting``: a view presented in order to be refuted ("it is a myth that...", a theory the
  next sentence calls apologetic);
- ``epigraph``: a quoted block heading a section, followed by an attribution line; the line
  itself is marked ``attribution`` and is never a sentence of the essay;
- ``footnote``: a sentence of a footnote.

The rules are data: cue lists below, each a regular expression with a comment saying what it
catches. :func:`passage_voices` applies them to one paragraph; :func:`chunk_voices` to a chunk.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from corpus.passage import QuoteSpan


class Voice(StrEnum):
    OWN = "own"
    QUOTING = "quoting"
    REPORTING = "reporting"
    REJECTING = "rejecting"
    EPIGRAPH = "epigraph"
    FOOTNOTE = "footnote"


@dataclass(frozen=True)
class SentenceVoice:
    """The voice of ``text[start:end]``; ``attribution`` marks an epigraph's source line."""

    start: int
    end: int
    voice: Voice = Voice.OWN
    speaker: str | None = None
    attribution: bool = False


_NAME = r"(?:[A-Z][\w'’.-]+(?:\s+(?:and\s+|&\s+|de\s+|von\s+)?[A-Z][\w'’.-]+){0,3})"
_REPORT_VERB = (
    r"(?:argues?|argued|holds?|held|maintains?|maintained|claims?|claimed|contends?|contended|"
    r"finds?|found|sees?|saw|regards?|regarded|views?|viewed|believes?|believed|suggests?|"
    r"suggested|insists?|insisted|asserts?|asserted|describes?|described|calls?|called|"
    r"characteri[sz]es?|characteri[sz]ed|portrays?|portrayed|interprets?|interpreted|explains?|"
    r"explained|attributes?|attributed|thinks?|thought|emphasi[sz]es?|emphasi[sz]ed|stresses|"
    r"stressed|treats?|treated|depicts?|depicted|presents?|presented|writes?|wrote|says?|said|"
    r"notes?|noted|observes?|observed|points? out|pointed out|reports?|reported|concludes?|"
    r"concluded|proposes?|proposed|speaks? of|spoke of|has (?:argued|written|suggested|shown|"
    r"noted|pointed out|called|described|maintained)|have (?:argued|written|suggested|shown|"
    r"noted|pointed out|described|maintained))"
)
# Someone else's view in the author's words: a named or generic holder, then a reporting verb.
REPORTING_CUES: tuple[tuple[str, re.Pattern[str]], ...] = (
    # "Carr and Davies find that...", "Deutscher calls Stalin..."
    ("named holder", re.compile(rf"^(?:\W*(?:But|And|Thus|So|Yet|Here|Now|Indeed),?\s+)?(?P<who>{_NAME})(?:'s?|’s?)?\s+(?:\w+ly\s+)?{_REPORT_VERB}\b")),
    # "According to Ciliga, ...", "In Deutscher's view, ...", "For Lenin, ..."
    ("according to", re.compile(rf"\b(?:[Aa]ccording to|[Ii]n (?:the )?(?:view|eyes|opinion|words|account|version|interpretation) of|[Ii]n (?P<who2>{_NAME})(?:'s|’s) (?:view|account|version|interpretation|words|opinion|analysis))\b")),
    # "it has been argued", "it is often said", "some historians believe", "many scholars hold"
    ("impersonal", re.compile(r"\b(?:it (?:has|had) (?:been|often been|long been) (?:argued|said|suggested|claimed|maintained|held|asserted|contended)|it is (?:often |sometimes |commonly |widely |usually )?(?:argued|said|suggested|claimed|maintained|held|believed|assumed|asserted)|(?:some|many|most|other|several) (?:historians|scholars|writers|authors|analysts|observers|commentators|critics|western scholars|interpreters|sovietologists|people|marxists)\b)", re.I)),
    # "In this interpretation, ...", "This school holds...", "the Thermidor interpretation"
    ("school", re.compile(r"\b(?:[Ii]n (?:this|that|their|his|such an?) (?:interpretation|view|account|version|explanation|theory|perspective|analysis|reading)|(?:the|this|that|a|one) (?:\w+ ){0,3}(?:theory|interpretation|school|explanation|thesis|hypothesis|paradigm|argument|view) (?:holds?|maintains?|argues?|sees?|claims?|suggests?|asserts?|is that|was that|regards?|treats?|explains?|runs?|states?))")),
)
# A view presented to be refuted: the sentence itself dismisses what it states.
REJECTING_CUES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("myth", re.compile(r"\b(?:(?:it is|is) a (?:myth|legend|fallacy|misconception)|the (?:myth|legend) (?:of|that)|mistaken(?:ly)? (?:belief|view|idea|notion|assumption)|erroneous(?:ly)?|wrongly|falsely|mistakenly)\b", re.I)),
    ("oversimplifying", re.compile(r"\b(?:it would be (?:an? )?(?:over-?simplif\w*|wrong|mistaken|misleading|naive|absurd|false)|(?:apologists?|apologetic|apologia)|untenable|cannot be (?:sustained|accepted|taken seriously)|does not (?:hold|stand up)|will not do)\b", re.I)),
)
# A dismissal that refers back ("This is apologetic.", "Such a view is mistaken."): the view it
# dismisses, stated in the sentences before it in the paragraph, is being rejected.
DISMISSAL_CUES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("refers back", re.compile(r"^\W*(?:But |Yet |However,? )?(?:this|that|such|these|those|the (?:first|second|third|fourth|fifth|last|latter|former|other))\b.{0,80}\b(?:apologetic|mistaken|wrong|false|untenable|dubious|misleading|myth|fallacy|flawed|superficial|naive|inadequate|unconvincing|absurd|nonsense|cannot be|does not (?:explain|hold|stand)|fails?|will not do|not (?:persuasive|convincing|tenable|valid|true|correct))\b", re.I)),
)


def _report_speaker(sentence: str) -> tuple[bool, str | None]:
    for _name, pat in REPORTING_CUES:
        m = pat.search(sentence)
        if m:
            who = m.groupdict().get("who") or m.groupdict().get("who2")
            if who and who.split()[0] in {"The", "This", "That", "It", "He", "She", "They", "We", "I", "One", "Such", "These", "Those", "There", "In", "For", "As", "His", "Their", "Its"}:
                who = None
            return True, who
    return False, None


def _matches(cues, sentence: str) -> bool:
    return any(p.search(sentence) for _n, p in cues)


def _quote_cover(a: int, b: int, quotes: Sequence[QuoteSpan]) -> tuple[float, str | None]:
    best, speaker = 0.0, None
    for q in quotes:
        overlap = min(b, q.end) - max(a, q.start)
        if overlap > 0:
            share = overlap / max(1, b - a)
            if share > best:
                best, speaker = share, q.speaker
    return best, speaker


def _epigraph(text: str, quotes: Sequence[QuoteSpan]) -> tuple[int, str] | None:
    """``(attribution start, speaker)`` when the paragraph is an epigraph, else None."""
    from corpus.quotes import epigraph_attribution

    tail = epigraph_attribution(text)
    if tail is None:
        return None
    start = text.rstrip().rfind(tail)
    return (start, tail) if start > 0 else None


def passage_voices(
    text: str,
    spans: Sequence[tuple[int, int]],
    *,
    kind: str = "body",
    quotes: Sequence[QuoteSpan] = (),
) -> list[SentenceVoice]:
    """The voice of each sentence ``text[a:b]`` of one paragraph (see the module docstring).

    Example::

        >>> t = "Some historians argue that war caused it. This is apologetic. Stalin ruled."
        >>> from rag.text.sentences import split_sentences
        >>> [v.voice.value for v in passage_voices(t, split_sentences(t))]
        ['rejecting', 'own', 'own']
    """
    if kind == "footnote":
        return [SentenceVoice(a, b, Voice.FOOTNOTE) for a, b in spans]
    epi = _epigraph(text, quotes)
    out: list[SentenceVoice] = []
    for a, b in spans:
        sentence = text[a:b]
        if epi is not None:
            attribution = a >= epi[0] or text[a:b].strip() == epi[1]
            out.append(SentenceVoice(a, b, Voice.EPIGRAPH, epi[1], attribution))
            continue
        cover, speaker = _quote_cover(a, b, quotes)
        if cover >= 0.6:
            out.append(SentenceVoice(a, b, Voice.QUOTING, speaker))
            continue
        reported, who = _report_speaker(sentence)
        if _matches(DISMISSAL_CUES, sentence):
            out.append(SentenceVoice(a, b, Voice.OWN))  # the author's own verdict
        elif _matches(REJECTING_CUES, sentence):
            out.append(SentenceVoice(a, b, Voice.REJECTING, who))
        elif reported:
            out.append(SentenceVoice(a, b, Voice.REPORTING, who))
        else:
            out.append(SentenceVoice(a, b, Voice.OWN))
    # A dismissal referring back turns the reported view before it into a rejected one.
    for i, v in enumerate(out):
        if v.voice == Voice.OWN and _matches(DISMISSAL_CUES, text[v.start : v.end]):
            j = i - 1
            while j >= 0 and out[j].voice in (Voice.REPORTING, Voice.OWN) and i - j <= 3:
                if out[j].voice == Voice.REPORTING or j == i - 1:
                    out[j] = SentenceVoice(out[j].start, out[j].end, Voice.REJECTING, out[j].speaker)
                j -= 1
    return out


def chunk_voices(chunk, spans: Sequence[tuple[int, int]]) -> list[SentenceVoice]:
    """:func:`passage_voices` over a chunk: each passage of the chunk (joined by a blank line)
    is read on its own, with the chunk's quotation spans."""
    from rag.retrieval.chunking import PASSAGE_SEP

    out: list[SentenceVoice] = []
    text = chunk.text
    bounds: list[tuple[int, int]] = []
    pos = 0
    for part in text.split(PASSAGE_SEP):
        bounds.append((pos, pos + len(part)))
        pos += len(part) + len(PASSAGE_SEP)
    for pa, pb in bounds:
        inner = [(a - pa, b - pa) for a, b in spans if pa <= a < pb]
        quotes = [QuoteSpan(q.start - pa, q.end - pa, q.speaker) for q in chunk.quotes if pa <= q.start < pb]
        kind = chunk.kind
        for v in passage_voices(text[pa:pb], inner, kind=kind, quotes=quotes):
            out.append(SentenceVoice(v.start + pa, v.end + pa, v.voice, v.speaker, v.attribution))
    return out
