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
catches. :func:`passage_voices` applies them to one paragraph (chunking stores the result).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from corpus.passage import QuoteSpan
from corpus.quotes import NOT_NAMES
from rag.text.lexicon import STOPWORDS

# Bump when the voice rules change: voices are stored with each chunk's sentences, so an index
# built by the old rules counts as stale and is rebuilt.
VOICE_RULES_VERSION = 3


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
# Words that open sentences or name groups and institutions, never a view's holder: the words
# that are never a quotation's speaker (one list), and a few more.
_NOT_HOLDERS = NOT_NAMES | {"Marxist", "Stalinist", "Of"}
_REPORT_VERB = (
    r"(?:argues?|argued|holds?|held|maintains?|maintained|claims?|claimed|contends?|contended|"
    r"finds?|found|sees?|saw|regards?|regarded|views?|viewed|believes?|believed|suggests?|"
    r"suggested|insists?|insisted|asserts?|asserted|describes?|described|calls?|called|"
    r"characteri[sz]es?|characteri[sz]ed|portrays?|portrayed|interprets?|interpreted|"
    r"attributes?|attributed|thinks?|thought|emphasi[sz]es?|emphasi[sz]ed|stresses|stressed|"
    r"depicts?|depicted|presents?|presented|writes?|wrote|says?|said|states?|stated|notes?|noted|"
    r"observes?|observed|points? out|pointed out|reports?|reported|concludes?|concluded|"
    r"proposes?|proposed|speaks? of|spoke of|considers?|considered|foresaw|foresees|expects?|"
    r"expected|envisaged|envisioned|predicted|recommends?|recommended|defined|defines|"
    r"dwelt|dwells|mentions?|mentioned|"
    r"(?:has|have|had) (?:argued|written|suggested|shown|noted|pointed out|called|described|"
    r"maintained|claimed|contended|held|emphasi[sz]ed|stressed|insisted|found|seen|said))"
)
# Someone else's view in the author's words: a named or generic holder, then a reporting verb.
REPORTING_CUES: tuple[tuple[str, re.Pattern[str]], ...] = (
    # "Carr and Davies find that...", "Citing Stalin's statistics, Deutscher states that..."
    (
        "named holder",
        re.compile(
            rf"(?<![\w'’])(?P<who>{_NAME})\s+(?:\w+ly\s+|also\s+|does\s+|did\s+|thus\s+|then\s+|later\s+|himself\s+)?{_REPORT_VERB}\b"
        ),
    ),
    # "According to Ciliga, ...", "In Deutscher's view, ...", "In Trotsky's view, ..."
    (
        "according to",
        re.compile(
            rf"\b(?:[Aa]ccording to (?P<who3>{_NAME})|[Ii]n (?:the )?(?:view|eyes|opinion|words|account|version|interpretation) of (?P<who4>{_NAME})|[Ii]n (?P<who2>{_NAME})(?:'s|’s) (?:\w+ )?(?:view|account|version|interpretation|words|opinion|analysis|thinking|conception|scheme|plan))\b"
        ),
    ),
    # "it has been argued", "it is often said", "some historians believe", "many scholars hold"
    (
        "impersonal",
        re.compile(
            r"\b(?:it (?:has|had) (?:been|often been|long been) (?:argued|said|suggested|claimed|maintained|held|asserted|contended)|it is (?:often |sometimes |commonly |widely |usually )?(?:argued|said|suggested|claimed|maintained|held|believed|assumed|asserted)|(?:some|many|most|other|several|recent) (?:\w+ )?(?:historians|scholars|writers|authors|analysts|observers|commentators|critics|interpreters|sovietologists|socialists|researches|appraisals|studies|marxists)\b|(?:is|are|was|were) (?:often |widely |commonly |usually |generally )?(?:seen|viewed|regarded|described|interpreted|understood|treated|portrayed|depicted) as\b)",
            re.I,
        ),
    ),
    # "In this interpretation, ...", "This school holds...", "the Thermidor interpretation"
    (
        "school",
        re.compile(
            r"\b(?:[Ii]n (?:this|that|their|his|such an?) (?:interpretation|view|account|version|explanation|theory|perspective|analysis|reading)|(?:the|this|that|a|one) (?:\w+ ){0,3}(?:theory|interpretation|school|explanation|thesis|hypothesis|paradigm|argument|view|doctrine|appraisals?) (?:holds?|maintains?|argues?|sees?|claims?|suggests?|asserts?|is that|was that|regards?|treats?|explains?|runs?|states?|stresses|minimi[sz]es|focuses|assumes))"
        ),
    ),
)
# A view presented to be refuted: the sentence itself dismisses what it states.
REJECTING_CUES: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "myth",
        re.compile(
            r"\b(?:(?:it is|is) a (?:myth|legend|fallacy|misconception)|the (?:myth|legend) (?:of|that)|mistaken(?:ly)? (?:belief|view|idea|notion|assumption)|erroneous(?:ly)?|wrongly|falsely|mistakenly|so-called)\b",
            re.I,
        ),
    ),
    (
        "verdict",
        re.compile(
            r"\b(?:it would be (?:an? )?(?:over-?simplif\w*|wrong|mistaken|misleading|naive|absurd|false)|apologists?|apologetic|apologia|untenable|cannot be (?:sustained|accepted|taken seriously|interpreted as)|does not (?:hold|stand up)|will not do|questionable|dubious|obfuscation|conceit|is another matter|fails to|fatally flawed|misconception|not (?:a )?persuasive|unpersuasive)\b",
            re.I,
        ),
    ),
)
# A dismissal that refers back ("This is apologetic.", "Such a view is mistaken."): the view it
# dismisses, stated in the sentences before it in the paragraph, is being rejected.
DISMISSAL_CUES: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "refers back",
        re.compile(
            r"^\W*(?:But |Yet |However,? )?(?:this|that|such|these|those|the (?:first|second|third|fourth|fifth|last|latter|former|other)|the (?:[\w-]+ ){0,3}(?:theory|explanation|interpretation|view|argument|thesis|approach|paradigm|version))\b.{0,80}\b(?:apologetic|mistaken|wrong|false|untenable|dubious|misleading|myth|fallacy|flawed|superficial|naive|inadequate|unconvincing|absurd|nonsense|cannot be|does not (?:explain|hold|stand)|fails?|will not do|not (?:persuasive|convincing|tenable|valid|true|correct))\b",
            re.I,
        ),
    ),
)
# The author speaking in person or turning against what was reported: a frame ends here.
AUTHOR_MARKERS = re.compile(
    r"\b(?:I|we|my|our|us|me|in fact|in reality|actually|to my knowledge|in my view|on the contrary)\b|^\W*(?:But|Yet|However|Nevertheless|Still)\b"
)
# A quotation introduced inside the sentence: 'Carr notes: "The costs were heavy.' / ', wrote Lenin'.
QUOTE_INTRO = re.compile(
    rf"\b{_REPORT_VERB}\b[^\"“]{{0,60}}[:,]\s*[\"“]|[\"”],?\s*(?:wrote|said|writes|says|declared|added)\s+[A-Z]"
)
# The author's own earlier argument, not someone else's: "it has been argued here".
OWN_REPORT = re.compile(
    r"\b(?:argued|noted|shown|suggested|seen) (?:here|above|earlier|before)\b|\bwe have (?:argued|seen|noted|shown)\b|\bas (?:has been|was) (?:noted|argued|shown|seen)\b",
    re.I,
)
# "he argued that...", "they stress that...": a pronoun holding a view.
PRONOUN_HOLDER = re.compile(
    rf"^\W*(?:[\w,'’-]+\s+){{0,8}}?(?:he|she|they)\s+(?:\w+ly\s+|also\s+|did\s+|had\s+)?{_REPORT_VERB}\b"
)
# A sentence that continues a reported view: it speaks of the holder by pronoun.
_CONTINUES = re.compile(
    r"^\W*(?:He|She|They|His|Her|Their|In (?:his|her|their) (?:view|account|version|words|opinion))\b"
)


def _not_holder(word: str) -> bool:
    """A capitalised word that opens a sentence but names nobody ("At", "Any", "The")."""
    return word in _NOT_HOLDERS or word.lower() in STOPWORDS


def _report_speaker(sentence: str) -> tuple[bool, str | None]:
    for name, pat in REPORTING_CUES:
        for m in pat.finditer(sentence):
            groups = m.groupdict()
            who = (
                groups.get("who") or groups.get("who2") or groups.get("who3") or groups.get("who4")
            )
            if name == "named holder" and (not who or _not_holder(who.split()[0])):
                continue  # "The peasants saw..." names no holder of a view
            who = who.strip(" .'’") if who else None
            if who and _not_holder(who.split()[0]):
                who = None
            return True, who
    return False, None


def _open_quote_before(text: str, pos: int) -> bool:
    """Whether ``text[pos]`` lies inside a quotation opened earlier in the paragraph (curly
    quotes counted by kind, straight ones by parity)."""
    before = text[:pos]
    if before.count("“") > before.count("”"):
        return True
    return before.count('"') % 2 == 1


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


def _sentence_voice(
    text: str, a: int, b: int, quotes: Sequence[QuoteSpan], previous: SentenceVoice | None
) -> SentenceVoice:
    """One sentence's voice from its own cues, its quotation marks and the sentence before."""
    sentence = text[a:b]
    cover, speaker = _quote_cover(a, b, quotes)
    if cover >= 0.6 or (cover >= 0.3 and QUOTE_INTRO.search(sentence)):
        return SentenceVoice(a, b, Voice.QUOTING, speaker or _report_speaker(sentence)[1])
    if previous is not None and previous.voice == Voice.QUOTING and _open_quote_before(text, a):
        return SentenceVoice(a, b, Voice.QUOTING, previous.speaker)  # a quotation runs on
    if _matches(DISMISSAL_CUES, sentence):
        return SentenceVoice(a, b, Voice.OWN)  # the author's own verdict on what came before
    if OWN_REPORT.search(sentence):
        return SentenceVoice(a, b, Voice.OWN)
    reported, who = _report_speaker(sentence)
    if not reported and PRONOUN_HOLDER.search(sentence):
        reported = True
        who = previous.speaker if previous is not None else None
    if _matches(REJECTING_CUES, sentence) and not AUTHOR_MARKERS.search(sentence):
        return SentenceVoice(a, b, Voice.REJECTING, who)
    if reported:
        return SentenceVoice(a, b, Voice.REPORTING, who)
    framed = previous is not None and previous.voice in (Voice.REPORTING, Voice.REJECTING)
    if framed and _CONTINUES.search(sentence) and not AUTHOR_MARKERS.search(sentence):
        return SentenceVoice(a, b, previous.voice, previous.speaker)  # "He saw..." goes on
    return SentenceVoice(a, b, Voice.OWN)


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
    if epi is not None:
        start, speaker = epi
        return [SentenceVoice(a, b, Voice.EPIGRAPH, speaker, a >= start) for a, b in spans]
    out: list[SentenceVoice] = []
    for a, b in spans:
        out.append(_sentence_voice(text, a, b, quotes, out[-1] if out else None))
    # A dismissal referring back turns the reported view before it into a rejected one.
    for i, v in enumerate(out):
        if v.voice == Voice.OWN and _matches(DISMISSAL_CUES, text[v.start : v.end]):
            j = i - 1
            while j >= 0 and out[j].voice in (Voice.REPORTING, Voice.OWN) and i - j <= 3:
                if out[j].voice == Voice.REPORTING or j == i - 1:
                    out[j] = SentenceVoice(
                        out[j].start, out[j].end, Voice.REJECTING, out[j].speaker
                    )
                j -= 1
    return out


# --- whose view a drafted sentence claims to give ---------------------------------------------


class Stance(StrEnum):
    """What a sentence says its holder does with a view."""

    HOLDS = "holds"  # "X argues that...", "according to X, ..."
    REJECTS = "rejects"  # "X rejects / dismisses / calls apologetic the view that..."
    REPORTS = "reports"  # "X reports / notes / cites / summarises / quotes ..."
    NONE = "none"  # no attribution: a plain statement (shown under an author, it is theirs)


@dataclass(frozen=True)
class ClaimFrame:
    holder: str | None
    stance: Stance


_HOLD_VERBS = (
    r"argues?|argued|holds?|held|believes?|believed|thinks?|thought|claims?|claimed|maintains?|"
    r"maintained|contends?|contended|insists?|insisted|asserts?|asserted|sees?|saw|views?|"
    r"regards?|regarded|considers?|considered|concludes?|concluded|says?|said|writes?|wrote|"
    r"suggests?|suggested|explains?|explained|attributes?|attributed|calls?|called|describes?|"
    r"described|emphasi[sz]es?|stresses|traces?|traced|finds?|found|sees"
)
_REJECT_VERBS = (
    r"rejects?|rejected|dismisses|dismissed|denies|denied|disputes?|disputed|refutes?|refuted|"
    r"criticises|criticizes|criticised|criticized|challenges?|challenged|opposes?|opposed|"
    r"doubts?|doubted|questions?|questioned|calls? .{0,40}(?:apologetic|mistaken|a myth|wrong)"
)
_REPORT_VERBS = (
    r"reports?|reported|notes?|noted|cites?|cited|quotes?|quoted|summari[sz]es?|summari[sz]ed|"
    r"mentions?|mentioned|recounts?|recounted|describes how|relates?|related|surveys?|surveyed|"
    r"discusses|discussed|presents?|presented|outlines?|outlined"
)
_FRAME_AFTER = re.compile(
    rf"^\W*(?P<who>{_NAME}|[Hh]e|[Ss]he|[Tt]hey)(?:['’]s? (?:view|position|argument|account) is)?"
    rf"\s+(?:\w+ly\s+|also\s+|further\s+)?(?P<verb>{_REJECT_VERBS}|{_REPORT_VERBS}|{_HOLD_VERBS})\b"
)
_FRAME_BEFORE = re.compile(
    rf"^\W*(?:[Aa]ccording to|[Ii]n the view of|[Ff]or|[Aa]s) (?P<who>{_NAME})(?:['’]s (?:view|account|words))?\s*(?:puts it|says|writes|notes|argues)?,"
)


def claim_frame(claim: str) -> ClaimFrame:
    """Whose view a drafted sentence gives, and with what stance.

    Example::

        >>> claim_frame("Ticktin argues the purges were a response to war.")
        ClaimFrame(holder='Ticktin', stance=<Stance.HOLDS: 'holds'>)
        >>> claim_frame("According to Bukharin, the policy was ruinous.").holder
        'Bukharin'
        >>> claim_frame("Ticktin dismisses the external-threat explanation as apologetic.").stance
        <Stance.REJECTS: 'rejects'>
        >>> claim_frame("The purges killed millions.")
        ClaimFrame(holder=None, stance=<Stance.NONE: 'none'>)
    """
    m = _FRAME_BEFORE.search(claim)
    if m:
        return ClaimFrame(m.group("who"), Stance.HOLDS)
    m = _FRAME_AFTER.search(claim)
    if not m:
        return ClaimFrame(None, Stance.NONE)
    who = m.group("who")
    who = None if who.lower() in {"he", "she", "they"} else who
    verb = m.group("verb")
    if re.fullmatch(_REJECT_VERBS, verb) or re.match(_REJECT_VERBS, verb):
        return ClaimFrame(who, Stance.REJECTS)
    if re.fullmatch(_REPORT_VERBS, verb):
        return ClaimFrame(who, Stance.REPORTS)
    return ClaimFrame(who, Stance.HOLDS)


def _possessive(name: str) -> str:
    return f"{name}’" if name.endswith("s") else f"{name}’s"


def voice_phrase(voice: Voice | str | None, speaker: str | None, author: str) -> str | None:
    """How a reader is told whose words a quoted sentence gives (None: the author's own).

    Reported and rejected views are worded so that they stay true when the sentence is the
    author's own verdict on the view ("…is a myth"), which the voice rules cannot always tell
    apart from the view itself: "on X’s view", "rejecting a view".

    Example::

        >>> voice_phrase(Voice.REPORTING, "Carr and Davies", "Robert C. Tucker")
        'Tucker, on Carr and Davies’ view'
        >>> voice_phrase(Voice.REPORTING, "Bolsheviks", "Robert C. Tucker")
        'Tucker, on Bolsheviks’ view'
        >>> voice_phrase(Voice.REJECTING, None, "Hillel H. Ticktin")
        'Ticktin, rejecting a view'
        >>> voice_phrase(Voice.QUOTING, "Krushchev", "Alvin W. Gouldner")
        'Gouldner, quoting Krushchev'
        >>> voice_phrase(Voice.EPIGRAPH, "Marcus G. Raskin", "Alvin W. Gouldner")
        'epigraph by Marcus G. Raskin (in Gouldner)'
        >>> voice_phrase(Voice.OWN, None, "Leon Trotsky") is None
        True
    """
    who = author.split()[-1] if author else "the author"
    v = Voice(voice) if voice else Voice.OWN
    if v == Voice.QUOTING:
        return f"{who}, quoting {speaker}" if speaker else f"{who}, quoting"
    if v == Voice.REPORTING:
        return f"{who}, on {_possessive(speaker)} view" if speaker else f"{who}, discussing a view"
    if v == Voice.REJECTING:
        return (
            f"{who}, rejecting {_possessive(speaker)} view"
            if speaker
            else f"{who}, rejecting a view"
        )
    if v == Voice.EPIGRAPH:
        return f"epigraph by {speaker} (in {who})" if speaker else f"epigraph (in {who})"
    if v == Voice.FOOTNOTE:
        return f"{who}, in a footnote"
    return None
