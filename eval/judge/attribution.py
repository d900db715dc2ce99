"""The attribution rule: which text each cited passage may contribute, given the frame.

A sentence is always somebody's claim. With no frame, or a frame naming the passage's author
("Ticktin argues", "According to Gouldner", "The essay says", "He notes"), it is the author's;
with "X argues ..." it is X's; with "X rejects the view that ..." it is a view X rejects.

* The author's view: the passage's own voice only. Masked out are quotations of other speakers
  (not for a report frame: "Gouldner notes that ..." may use quoted words and reported views)
  and the spans
  :func:`eval.judge.voices.voices` finds: reported views ("Vakar has argued that ..."), rejected
  ones ("This was an apologetic theory") and epigraphs. A span stays when the sentence names
  its holder ("Ticktin reports that some take the view that ...") or itself marks the content
  as a view ("the theory that ...", "dubious", "rejects").
* "X rejects [Y's] view that C": C must be found outside the author's own voice.
* "X quotes Y": passages by X that quote Y (or name Y, when they have no speaker spans).
* X is a quoted speaker or the holder of a reported view: X's quotations and X's reported
  sentences (with their neighbours), other voices masked; only X's
  quotation for a parenthetical "as X tells us, "..."," (the rest is the author's).
* X is only mentioned: ``role``. X absent: ``attribution``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from eval.judge.frames import Frame, is_author, name_keys, same_person
from eval.judge.lexicon import one_edit
from eval.judge.polarity import annotate
from eval.judge.types import JudgePassage, Verdict
from eval.judge.voices import DISMISSAL, Voice, mask, sentence_spans, voice_words, voices

_MARKERS = re.compile(
    r"\b(?:view|views|claim|claims|claimed|theory|theories|thesis|doctrine|notion|idea|"
    r"argument|interpretation|explanation|school|picture|position|standpoint|alleged|"
    r"allegedly|critics|others|reports?|reported|"
    r"some\s+(?:\w+\s+)?(?:take|argue|hold|say|claim|believe|see|think|scholars|historians))\b",
    re.I,
)
_REJECTING = re.compile(
    r"\b(?:rejects?|rejected|dismiss\w*|den(?:y|ies|ied)|refutes?|disputes?|accept|accepts|"
    r"disagrees?|criticiz\w*|criticis\w*)\b",
    re.I,
)
_ORDER = ("epigraph", "quote", "rejected", "reported")


@dataclass(frozen=True)
class Evidence:
    """The text the content rules may use, and the names a sentence may mention freely."""

    texts: tuple[str, ...]  # one per passage, already restricted by the attribution rule
    names: tuple[str, ...]  # authors/speakers whose names may appear in the sentence


@dataclass(frozen=True)
class Masked:
    """Evidence with other voices masked, and, to explain a failure, the evidence with each
    kind of masked span restored (``epigraph``, ``quote``, ``rejected``, ``reported``, or
    ``own`` for a rejection whose content is the author's own)."""

    evidence: Evidence
    restored: tuple[tuple[str, Evidence], ...]


def route(frame: Frame, passages: Sequence[JudgePassage]) -> Evidence | Masked | Verdict:
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
    if frame.kind == "quote" and frame.speaker is not None:
        return _route_quote(frame, passages, names)
    if frame.speaker is None or all(is_author(frame.speaker, p.author) for p in passages):
        return _route_author(frame, passages, names)
    return _route_speaker(frame, passages, names)


def _route_quote(
    frame: Frame, passages: Sequence[JudgePassage], names: tuple[str, ...]
) -> Evidence | Verdict:
    """ "X quotes Y": the passages by X that quote (or, lacking speaker spans, name) Y."""
    x, y = frame.speaker, frame.quoted
    texts = [p.text for p in passages if is_author(x, p.author) and _quotes(p, y)]
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


def _route_author(
    frame: Frame, passages: Sequence[JudgePassage], names: tuple[str, ...]
) -> Evidence | Masked:
    """The author's view (or, for ``reject``, a view the author rejects), per passage."""
    words = voice_words(frame.body) | set(name_keys(frame.quoted or ""))
    rejecting = bool(_REJECTING.search(frame.body) or DISMISSAL.search(frame.body))
    marked = {"reported"} | ({"rejected"} if rejecting else set())
    marked = marked if rejecting or _MARKERS.search(frame.body) else set()
    spans = [_other_spans(frame, p, words, marked) for p in passages]
    names = (*names, frame.quoted or "", *(v[2] for s in spans for v in s if v[2][:1].isupper()))
    full = Evidence(tuple(p.text for p in passages), names)
    if frame.kind == "reject":
        others = tuple(mask(p.text, _own_spans(p, s)) for p, s in zip(passages, spans, strict=True))
        return Masked(Evidence(others, names), (("own", full),))
    hidden = [[v for v in s if v[3] != "named"] for s in spans]
    if not any(hidden):
        return full
    masked = Evidence(
        _masked_texts(passages, [[(a, b) for a, b, _h, _k in s] for s in hidden]), names
    )
    return Masked(masked, _restorations(passages, hidden, names))


def _restorations(
    passages: Sequence[JudgePassage],
    hidden: list[list[tuple[int, int, str, str]]],
    names: tuple[str, ...],
) -> tuple[tuple[str, Evidence], ...]:
    """For each holder of masked text, the evidence with that holder's spans restored (its
    kind: quotation before epigraph, rejected, reported), then with everything restored."""
    groups: dict[str, set[str]] = {}
    for s in hidden:
        for _a, _b, h, k in s:
            groups.setdefault(_holder_key(h), set()).add(k)
    out = []
    for key, kinds in groups.items():
        keep = [[(a, b) for a, b, h, _k in s if _holder_key(h) != key] for s in hidden]
        kind = next(k for k in _ORDER if k in kinds)
        out.append((kind, Evidence(_masked_texts(passages, keep), names)))
    every = {k for kinds in groups.values() for k in kinds}
    out.append(
        (next(k for k in _ORDER if k in every), Evidence(tuple(p.text for p in passages), names))
    )
    return tuple(out)


def _holder_key(holder: str) -> str:
    head = re.split(r",|\bof\b", holder)[0].split()
    return re.sub(r"'s?$", "", head[-1].lower()) if head else holder


def _other_spans(
    frame: Frame, p: JudgePassage, words: set[str], marked: set[str]
) -> list[tuple[int, int, str, str]]:
    """(start, end, holder, kind) of the passage's text not in its author's own voice; kind
    ``named`` when the sentence itself gives that text to its holder."""
    out = []
    for q in p.quotes:
        if q.speaker and not same_person(q.speaker, p.author):
            named = _names(holder_keys(q.speaker), words)
            kind = "named" if named or frame.kind == "report" else "quote"
            out.append((q.start, q.end, q.speaker, kind))
    for v in voices(p.text, p.author):
        named = _names(holder_keys(v.holder), words) or v.kind in marked
        named = named or (frame.kind == "report" and v.kind == "reported")
        out.append((v.start, v.end, v.holder, "named" if named else v.kind))
    return out


def _names(keys: set[str], words: set[str]) -> bool:
    """Whether the sentence's words name a holder (spelling variants of long names included).

    Example::

        >>> _names({"krushchev"}, {"khrushchev", "figures"}), _names({"lenin"}, {"stalin"})
        (True, False)
    """
    return bool(keys & words) or any(
        len(k) >= 6 and one_edit(k, w) for k in keys for w in words if len(w) >= 6
    )


def holder_keys(holder: str) -> set[str]:
    """The words by which a sentence names a holder ("Czarist Police Description of Stalin,
    May 1, 1904" is named by "Czarist", "Police" or "Description", not by "Stalin").

    Example::

        >>> sorted(holder_keys("Czarist Police Description of Stalin, May 1, 1904"))
        ['czarist', 'description', 'police']
    """
    head = re.split(r",|\bof\b", holder)[0]
    return name_keys(head) if head.strip() else set()


def _own_spans(p: JudgePassage, spans: list[tuple[int, int, str, str]]) -> list[tuple[int, int]]:
    """The complement of the other voices' spans: the author's own text."""
    cuts = sorted((a, b) for a, b, _h, _k in spans)
    out, pos = [], 0
    for a, b in cuts:
        if a > pos:
            out.append((pos, a))
        pos = max(pos, b)
    out.append((pos, len(p.text)))
    return out


def _masked_texts(passages: Sequence[JudgePassage], spans: list[list[tuple[int, int]]]):
    return tuple(mask(p.text, s) for p, s in zip(passages, spans, strict=True))


def _route_speaker(
    frame: Frame, passages: Sequence[JudgePassage], names: tuple[str, ...]
) -> Evidence | Verdict:
    """A ``view``/``report``/``reject`` frame whose speaker is not the passage's author."""
    x = frame.speaker or ""
    texts, mentioned = [], False
    for p in passages:
        if is_author(x, p.author):
            texts.append(p.text)
            continue
        text = _holder_text(x, p)
        if text:
            texts.append(text)
        mentioned = mentioned or _named_unnegated(p.text, x)
    if texts:
        return Evidence(tuple(texts), (*names, x))
    if mentioned:
        return Verdict(
            False,
            f"gives the claim to {x}, but the passage only mentions {x}: it reports no words "
            f"or view of {x}'s",
            "role",
        )
    authors = ", ".join(sorted({p.author for p in passages})) or "nobody"
    return Verdict(
        False,
        f"attributes the claim to {x}, but the cited passage is by {authors} and "
        f"neither quotes nor reports {x}",
        "attribution",
    )


def _holder_text(x: str, p: JudgePassage) -> str:
    """X's quotations and reported sentences in ``p`` (see the module docstring)."""
    vs = voices(p.text, p.author)
    quoter = re.search(rf"\bquoted\s+by\s+(?:\w+\s+)?{re.escape(x.split()[-1])}\b", p.text)
    # "their saying, quoted by Lenin": Lenin quotes it, the words are not his.
    mine = [] if quoter else [(q.start, q.end) for q in p.quotes if same_person(x, q.speaker)]
    mine += [(v.start, v.end) for v in vs if same_person(x, v.holder)]
    if not mine:
        return ""
    others = [
        (s.start, s.end)
        for s in [*p.quotes, *vs]
        if not any(a < s.end and s.start < b for a, b in mine)
        and (isinstance(s, Voice) or (s.speaker and not same_person(x, s.speaker)))
    ]
    sents = sentence_spans(p.text) or [(0, len(p.text))]
    pieces = []
    for i, (a, b) in enumerate(sents):
        here = [(s, e) for s, e in mine if s < b and a < e]
        if not here:
            continue
        if all(e < b - 1 and s > a for s, e in here):  # parenthetical: only X's own words
            pieces += [mask(p.text[s:e], []) for s, e in here]
            continue
        near = [sents[j] for j in (i - 1, i + 1) if 0 <= j < len(sents)]
        for s, e in sorted([(a, b), *near]):
            local = [(max(s, u) - s, min(e, w) - s) for u, w in others if u < e and s < w]
            pieces.append(mask(p.text[s:e], local))
    return " ".join(dict.fromkeys(pieces))


def _named_unnegated(text: str, name: str) -> bool:
    """Whether ``text`` names the person outside a negation's scope."""
    keys = name_keys(name)
    return any(t.word in keys and not t.negated for t in annotate(text))
