"""Quotation spans inside a body passage, with the speaker when the text names one.

Later stages use this to say "Gouldner, quoting Nock" instead of putting Nock's words in
Gouldner's mouth. Precision over recall: a speaker is recorded only when a narrow pattern names
one (``Nock observed: "…"``, ``as Lenin wrote, "…"``, ``"…," Deutscher writes``,
``according to Ciliga, "…"``, a quote whose footnote opens with its author's name); otherwise
the span is kept with ``speaker=None``.

Example::

    >>> [(text[q.start:q.end], q.speaker) for text in ['As Lenin wrote, "All power."']
    ...  for q in find_quotes(text)]
    [('"All power."', 'Lenin')]
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from corpus.passage import QuoteSpan

_OPEN_CLOSE = {"“": "”", '"': '"', "«": "»", "„": "“"}
_VERBS = (
    r"(?:observed|observes|wrote|writes|said|says|remarked|remarks|declared|declares|noted|notes|"
    r"argued|argues|asserted|asserts|stated|states|added|adds|insisted|insists|maintained|"
    r"maintains|concluded|concludes|exclaimed|warned|warns|complained|admitted|admits|explained|"
    r"explains|recalled|recalls|proclaimed|proclaims|replied|answered|put it|puts it|"
    r"characterized|described|confessed|announced|emphasized|stressed|reported|reports|"
    r"comments|commented|affirmed|affirms|acknowledged|contended|contends|predicted|"
    r"reiterated|testified|pointed out|points out|has written|had written|has said|had said|"
    r"has observed|had observed|has noted|had noted|has argued|has remarked|has spoken of|"
    r"spoke of|held|holds|wrote in|said in)"
)
_ADVERB = r"(?:also|later|once|then|himself|herself|again|still|even|further|[a-z]+ly)"
_WORD = r"(?:[A-Z][a-z]+(?:[-'][A-Z]?[a-z]+)*)"
_INITIAL = r"(?:[A-Z]\.(?:\s?[A-Z]\.)*)"
_NAME = (
    rf"(?:(?:{_WORD}|{_INITIAL})\s(?:(?:{_WORD}|{_INITIAL}|de|von|van)\s){{0,2}}{_WORD}|{_WORD})"
)
# Capitalised words that start sentences or name groups, never a speaker.
NOT_NAMES = frozenset(
    [
        "The",
        "This",
        "That",
        "These",
        "Those",
        "It",
        "He",
        "She",
        "They",
        "We",
        "I",
        "You",
        "One",
        "Its",
        "His",
        "Her",
        "Their",
        "Our",
        "Thus",
        "Hence",
        "Yet",
        "But",
        "And",
        "Or",
        "So",
        "As",
        "If",
        "In",
        "On",
        "At",
        "By",
        "For",
        "From",
        "With",
        "Without",
        "When",
        "Where",
        "While",
        "Whence",
        "Here",
        "There",
        "Such",
        "Some",
        "Many",
        "Most",
        "All",
        "Each",
        "Every",
        "Both",
        "Neither",
        "Either",
        "No",
        "Not",
        "Nor",
        "Party",
        "Soviet",
        "Soviets",
        "Bolshevik",
        "Bolsheviks",
        "Communist",
        "Communists",
        "Central",
        "Committee",
        "Congress",
        "Opposition",
        "Left",
        "Right",
        "Politburo",
        "Politbiuro",
        "Pravda",
        "Marxism",
        "Leninism",
        "Stalinism",
        "Trotskyism",
        "Russia",
        "Russian",
        "Russians",
        "Chinese",
        "Government",
        "State",
        "Revolution",
        "October",
        "February",
        "Program",
        "Resolution",
        "Manifesto",
        "Plan",
        "Constitution",
        "Izvestia",
        "Times",
        "Review",
        "Even",
        "Only",
        "Also",
        "Still",
        "Indeed",
        "Later",
        "Earlier",
        "Today",
        "Now",
        "Then",
        "Ibid",
        "Cf",
        "See",
        "Note",
        "Elsewhere",
        "Moreover",
        "However",
        "Although",
        "Though",
        "Because",
        "Since",
        "After",
        "Before",
        "Until",
        "Whatever",
        "Whoever",
        "What",
        "Who",
        "Why",
        "How",
    ]
)
_DISCARD_NOTE = re.compile(
    r"^(?:ibid|op\.?\s?cit|cited|quoted|see|cf|for |on |in |the |this )", re.I
)


def _is_name(s: str) -> bool:
    words = s.split()
    return bool(words) and words[-1] not in NOT_NAMES and words[0] not in NOT_NAMES


def epigraph_attribution(text: str) -> str | None:
    """The attribution after an epigraph (a paragraph that opens with a quotation and ends with
    a few words naming its source), else ``None``.

    Example::

        >>> epigraph_attribution('"Lay bare the colonized relationships." Marcus G. Raskin')
        'Marcus G. Raskin'
        >>> epigraph_attribution('"Yes," he said, and left the room at once without a word.') is None
        True
    """
    t = text.strip()
    if t[:1] not in _OPEN_CLOSE:
        return None
    close = _OPEN_CLOSE[t[0]]
    end = t.rfind(close)
    if end <= 0:
        return None
    tail = t[end + 1 :].strip()
    if not tail or len(tail.split()) > 10 or tail[0].islower():
        return None
    return tail


def quote_spans(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` of each double-quoted span (quote marks included), in order.

    Straight quotes pair up left to right; an unclosed quote yields nothing.

    Example::

        >>> quote_spans('a "b" c “d” e')
        [(2, 5), (8, 11)]
    """
    spans: list[tuple[int, int]] = []
    i = 0
    while i < len(text):
        ch = text[i]
        close = _OPEN_CLOSE.get(ch)
        if close is None:
            i += 1
            continue
        j = text.find(close, i + 1)
        if j < 0:
            i += 1
            continue
        if j - i > 1:
            spans.append((i, j + 1))
        i = j + 1
    return spans


def _single_quote_spans(text: str) -> list[tuple[int, int]]:
    """Single-quoted speech right after a speech verb (``said: 'We plundered…'``)."""
    spans = []
    for m in re.finditer(rf"\b{_VERBS}(?: that)?[:,]?\s+(['‘])", text):
        start = m.end() - 1
        close = "’" if m.group(1) == "‘" else "'"
        # The closing mark is the first one followed by a non-letter (apostrophes are inside words).
        for k in range(start + 1, len(text)):
            if text[k] == close and (k + 1 == len(text) or not text[k + 1].isalpha()):
                if k - start > 1:
                    spans.append((start, k + 1))
                break
    return spans


def _sentence_prefix(text: str, start: int) -> str:
    """Text from the start of the sentence holding position ``start`` up to it."""
    before = text[:start]
    cut = max(before.rfind(". "), before.rfind("? "), before.rfind("! "), before.rfind("; "))
    return before[cut + 2 :] if cut >= 0 else before


def _full_name(text: str, name: str, upto: int) -> str:
    """The longest form of ``name`` (same surname) written earlier in ``text``."""
    surname = name.split()[-1]
    best = name
    for m in re.finditer(
        rf"\b((?:(?:{_WORD}|{_INITIAL})\s){{1,3}}){re.escape(surname)}\b", text[:upto]
    ):
        candidate = (m.group(1) + surname).strip()
        first = candidate.split()[0]
        if first in NOT_NAMES or not _is_name(candidate):
            continue
        if len(candidate) > len(best):
            best = candidate
    return best


def _speaker_before(text: str, start: int) -> str | None:
    prefix = _sentence_prefix(text, start)
    patterns = (
        # Nock observed: "..."  /  Stalin said that "..."  /  Lenin actually contended that "..."
        # /  Krupskaia said, in a circle of Left Oppositionists: "..."
        rf"(?:^|[\s(,;])(?P<name>{_NAME}),?\s(?:{_ADVERB}\s){{0,2}}{_VERBS}"
        rf"(?:\s(?:in|on|at)\s\d{{4}})?(?:,\s[^,\"“”:;()]{{1,60}}:|(?:\sthat)?[:,]?)\s*$",
        # Trotsky, at one level, also argued this point: "..."
        rf"^(?P<name>{_NAME})(?:,\s[^,\"“”]{{1,40}},)?\s(?:{_ADVERB}\s){{0,2}}"
        rf"(?:argued|made|put|expressed|stated|summed up|formulated)\s(?:\w+\s){{0,3}}\w+:\s*$",
        # as Lenin wrote, "..."
        rf"\b[Aa]s\s(?P<name>{_NAME})\s(?:{_ADVERB}\s)?{_VERBS}(?:,?\sthat)?[:,]?\s*$",
        # According to Ciliga, "..."
        rf"\b[Aa]ccording to\s(?P<name>{_NAME}),?\s*$",
        # Trotsky expressed the truth ... when he later said: "..."
        rf"^(?P<name>{_NAME})\s[^\"“”.;:]{{0,120}}\b(?:he|she)\s(?:\w+\s)?{_VERBS}(?:\sthat)?[:,]?\s*$",
    )
    for pat in patterns:
        m = re.search(pat, prefix)
        if m and _is_name(m.group("name")):
            return m.group("name")
    return None


def _other_names(prefix: str) -> list[str]:
    """Capitalised words of a sentence prefix that may name someone (its first word aside)."""
    return [w for w in re.findall(r"\b[A-Z][a-z]+", prefix)[1:] if w not in NOT_NAMES]


def _speaker_after(text: str, start: int, end: int) -> str | None:
    # Only `"...," Deutscher writes` / `"...?" asked Lenin`: after a full stop the next
    # sentence's subject is usually introducing the NEXT quote.
    if text[end - 2 : end - 1] not in (",", "?", "!") and text[end : end + 1] != ",":
        return None
    # `Citing Boris Pilniak's statement that "...," Vakar has argued`: Pilniak spoke.
    prefix = _sentence_prefix(text, start).strip()
    if prefix and (_other_names(prefix) or prefix.endswith("that")):
        return None
    after = text[end : end + 80]
    for pat in (
        rf"^\s*,?\s*(?P<name>{_NAME})\s(?:also\s)?{_VERBS}\b",
        rf"^\s*,?\s*{_VERBS}\s(?P<name>{_NAME})\b",
    ):
        m = re.match(pat, after)
        if m and _is_name(m.group("name")):
            return m.group("name")
    return None


def _speaker_from_note(
    text: str,
    start: int,
    end: int,
    markers: Sequence[tuple[int, int]],
    notes: Mapping[int, str],
) -> str | None:
    """The author a quote's footnote opens with (``Alfred G. Meyer, Leninism (...)``), when the
    sentence names nobody else (``Citing Boris Pilniak's statement`` + a note on Vakar's book
    means Pilniak spoke, not Vakar) or names that author."""
    for pos, n in markers:
        if end <= pos <= end + 2:
            note = notes.get(n, "").strip()
            if not note or _DISCARD_NOTE.match(note):
                return None
            m = re.match(
                rf"^(?P<name>(?:{_WORD}|{_INITIAL})(?:\s(?:{_WORD}|{_INITIAL})){{1,3}}),\s", note
            )
            if not m or not _is_name(m.group("name")):
                return None
            if re.match(r"^,\s*(?:ed|eds|trans|comp)\.", note[m.end("name") :]):
                return None  # an editor or translator, not the speaker
            name = m.group("name")
            surname = name.split()[-1]
            prefix = _sentence_prefix(text, start)
            if surname in text[:start] or not _other_names(prefix):
                return name
            return None
    return None


def find_quotes(
    text: str,
    *,
    markers: Sequence[tuple[int, int]] = (),
    notes: Mapping[int, str] | None = None,
) -> tuple[QuoteSpan, ...]:
    """Quotation spans of a body passage's ``text``, each with its speaker or ``None``.

    ``markers`` are ``(position_in_text, note_number)`` of removed footnote markers and
    ``notes`` maps note numbers to footnote texts, so a quote whose note opens with a name
    ("Alfred G. Meyer, Leninism ...") gets that speaker.

    Example::

        >>> t = 'Albert Jay Nock knew it. Nock observed: "The State is the enemy."'
        >>> [(q.speaker, t[q.start:q.end]) for q in find_quotes(t)]
        [('Albert Jay Nock', '"The State is the enemy."')]
    """
    notes = notes or {}
    spans = sorted(set(quote_spans(text)) | set(_single_quote_spans(text)))
    tail = epigraph_attribution(text)
    epigraph_speaker = tail if tail and re.fullmatch(_NAME, tail) and _is_name(tail) else None
    out: list[QuoteSpan] = []
    for start, end in spans:
        # A single-quoted span inside a double-quoted one is kept: it is a quote within a quote.
        speaker = _speaker_before(text, start) or _speaker_after(text, start, end)
        if speaker is None and epigraph_speaker and start == 0:
            speaker = epigraph_speaker
        if speaker is None:
            speaker = _speaker_from_note(text, start, end, markers, notes)
        elif len(speaker.split()) == 1:
            speaker = _full_name(text, speaker, start)
        out.append(QuoteSpan(start=start, end=end, speaker=speaker))
    return tuple(out)
