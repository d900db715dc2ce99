"""Attribution frames: who a sentence says holds its content, and whether two names match.

A frame is split off the sentence ("Gouldner argues that C" -> speaker Gouldner, kind ``view``,
body C) so the attribution rule can choose the evidence and the content rules judge only C:

* ``view``   -- argues, says, believes, writes, ... , "According to X", "In X's view";
* ``report`` -- reports, notes, mentions, records, ..., "According to X's essay";
* ``quote``  -- "X quotes/cites Y ...", and the answer stage's ``Author (Work), quoting Y: "..."``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from eval.judge.lexicon import normalize_text

_NAME = r"[A-Z][\w'.-]*(?:\s+(?:[A-Z][\w'.-]*|de|von|van))*"
_VIEW_VERBS = r"""argue[sd]?|contend(?:s|ed)?|claim(?:s|ed)?|believe[sd]?|think(?:s)?|thought|hold(?:s)?|held|maintain(?:s|ed)?|insist(?:s|ed)?|says?|said|writes?|wrote|conclude[sd]?|suggest(?:s|ed)?|assert(?:s|ed)?|state[sd]?|stress(?:es|ed)?|sees?|saw|treat(?:s|ed)?|reject(?:s|ed)?|find(?:s)?|found|calls?|called|predict(?:s|ed)?|explain(?:s|ed)?|describe[sd]?|consider(?:s|ed)?|regard(?:s|ed)?|views?|viewed|dismiss(?:es|ed)?|estimate[sd]?|emphasi[sz]e[sd]?|accept(?:s|ed)?|den(?:y|ies|ied)|attribute[sd]?|blame[sd]?|compare[sd]?|contrast(?:s|ed)?|liken(?:s|ed)?|present(?:s|ed)?|portray(?:s|ed)?|expect(?:s|ed)?|warn(?:s|ed)?|observe[sd]?|remark(?:s|ed)?|expressed|told|tells?|puts?|traces?|traced|links?|linked|sums? up|characteri[sz]e[sd]?|put it|doubt(?:s|ed)?|questions?"""
_REPORT_VERBS = r"""reports?|reported|notes?|noted|mentions?|mentioned|records?|recorded|recounts?|recounted|relates?|related|recalls?|recalled|documents?|documented|points? out|pointed out|gives?|gave|lists?|listed"""
_QUOTE_VERBS = r"quotes?|quoted|cites?|cited|invokes?|invoked"

_RE_QUOTES = re.compile(
    rf"^(?P<x>{_NAME}?)(?:'s\s+\w+)?\s+(?:{_QUOTE_VERBS})\s+(?P<y>{_NAME})(?:'s?\s+\w+)?"
    rf"(?:\s*[,:]?\s*(?:who|as\s+(?:saying|writing|arguing|stating))?\s*(?:{_VIEW_VERBS}|{_REPORT_VERBS})?)?"
    rf"\s*[,:]?\s*(?:that\s+)?(?P<body>.+)$",
    re.S,
)
_RE_ACCORDING = re.compile(
    rf"^(?P<lead>According\s+to|In\s+the\s+view\s+of|For|In)\s+(?P<x>{_NAME}?)(?P<poss>'s?\s+(?:own\s+)?(?P<noun>\w+)(?:\s+\w+)?)?\s*,\s*(?P<body>.+)$",
    re.S,
)
_RE_SUBJECT = re.compile(
    rf"^(?P<x>{_NAME}?)(?:'s?\s+(?:own\s+)?(?P<noun>[a-z]+(?:\s+[a-z]+){{0,2}}))?\s*,?\s+"
    rf"(?:(?:also|further|then|later|explicitly|even|rightly)\s+)?"
    rf"(?P<verb>{_REPORT_VERBS}|{_VIEW_VERBS})\b\s*(?:[,:]\s*)?(?:that\s+)?(?P<body>.+)$",
    re.S,
)
_RE_TRAILING = re.compile(
    rf"^(?P<body>.+?),\s*(?P<x>{_NAME})\s+(?P<verb>{_REPORT_VERBS}|{_VIEW_VERBS})\s*[.!]?$", re.S
)
# A quoted excerpt as the answer stage shows it: 'Author (Work, 1936), quoting X: "..."'.
_RE_CITED_QUOTE = re.compile(
    rf"^(?P<x>{_NAME})\s*\((?P<work>[^()]*(?:\([^()]*\)[^()]*)*)\)"
    rf"(?:,\s*quoting\s+(?P<y>[^:]+?))?\s*:\s*(?P<body>.+)$",
    re.S,
)
_REPORT_NOUNS = frozenset({"essay", "account", "article", "chapter", "text", "book", "report"})
_PRONOUNS = frozenset({"he", "she", "they", "it", "this", "that", "these", "those", "who"})


@dataclass(frozen=True)
class Frame:
    """Who a sentence says holds its content, and how (``view``, ``report`` or ``quote``)."""

    speaker: str | None
    kind: str | None
    quoted: str | None
    body: str


def parse_frame(sentence: str) -> Frame:
    """Split an attribution frame off a sentence.

    A pronoun subject ("He also mentions ...") names nobody the judge can check, so it is no
    frame: the content alone is judged (the sentence that introduced the person is judged on
    its own attribution).

    Example::

        >>> parse_frame("Gouldner quotes Nock, who observed that the state is criminal.")
        Frame(speaker='Gouldner', kind='quote', quoted='Nock', body='the state is criminal.')
        >>> parse_frame("According to Ticktin, workers were tied to factories.").kind
        'view'
        >>> parse_frame('Leon Trotsky (The Soviet Thermidor, 1936), quoting Krupskaia: "If..."')
        Frame(speaker='Leon Trotsky', kind='quote', quoted='Krupskaia', body='"If..."')
        >>> parse_frame("He also mentions the KGB figure.").speaker is None
        True
    """
    frame = _parse_frame(normalize_text(sentence))
    if frame.speaker and frame.speaker.lower() in _PRONOUNS:
        return Frame(None, None, None, normalize_text(sentence))
    return frame


def _parse_frame(s: str) -> Frame:
    """The first frame pattern that matches ``s``, most specific first; no frame otherwise."""
    m = _RE_CITED_QUOTE.match(s)
    if m:
        # Without "quoting X" the words are presented as the author's own: a view.
        if m.group("y"):
            return Frame(m.group("x"), "quote", m.group("y").strip(), m.group("body"))
        return Frame(m.group("x"), "view", None, m.group("body"))
    m = _RE_QUOTES.match(s)
    if m and m.group("x") and m.group("y"):
        return Frame(m.group("x"), "quote", m.group("y"), m.group("body"))
    m = _RE_ACCORDING.match(s)
    # "In Russia, ..." is no frame; "In Trotsky's view, ..." and "For Gouldner, ..." are.
    bare_in = m is not None and m.group("lead") == "In" and not m.group("poss")
    if m and m.group("x") and not bare_in:
        noun = (m.group("noun") or "").lower()
        kind = "report" if noun in _REPORT_NOUNS else "view"
        return Frame(m.group("x"), kind, None, m.group("body"))
    m = _RE_SUBJECT.match(s)
    if m and m.group("x"):
        return _subject_frame(m)
    m = _RE_TRAILING.match(s)
    if m:
        verb = m.group("verb").lower()
        kind = "report" if re.fullmatch(_REPORT_VERBS, verb) else "view"
        return Frame(m.group("x"), kind, None, m.group("body"))
    return Frame(None, None, None, s)


def _subject_frame(m: re.Match[str]) -> Frame:
    """The frame of "X [also] <verb> [that] C" and "X's <noun> <verb> C"."""
    verb = m.group("verb").lower()
    noun = (m.group("noun") or "").lower()
    kind = "report" if re.fullmatch(_REPORT_VERBS, verb) or noun in _REPORT_NOUNS else "view"
    body = m.group("body")
    if noun and noun not in _REPORT_NOUNS and noun not in {"view", "views"}:
        # "Gouldner's internal colonialism thesis sees ..." -> the noun is content.
        body = f"{noun} {verb} {body}"
    return Frame(m.group("x"), kind, None, body)


def name_keys(name: str) -> set[str]:
    """Lower-cased name parts that identify a person (surname and longer given names).

    Example::

        >>> sorted(name_keys("Alvin W. Gouldner's"))
        ['alvin', 'gouldner']
    """
    parts = [p for p in re.split(r"[\s.]+", normalize_text(name).lower()) if len(p) > 2]
    return {re.sub(r"'s?$", "", p) for p in parts}


def same_person(a: str | None, b: str | None) -> bool:
    """Whether two names refer to the same person (they share the surname).

    Example::

        >>> same_person("Gouldner", "Alvin W. Gouldner"), same_person("Trotsky", "Leon Trotsky's")
        (True, True)
        >>> same_person("Tucker", "T. H. Rigby")
        False
    """
    if not a or not b:
        return False
    ka, kb = name_keys(a), name_keys(b)
    if not ka or not kb:
        return False
    sa = re.sub(r"'s?$", "", normalize_text(a).split()[-1].lower())
    sb = re.sub(r"'s?$", "", normalize_text(b).split()[-1].lower())
    return sa == sb or sa in kb or sb in ka
