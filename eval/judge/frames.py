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

from eval.judge.lexicon import STOPWORDS, normalize_text

_NAME = r"[A-Z][\w'.-]*(?:\s+(?:[A-Z][\w'.-]*|de|von|van))*"
_VIEW_VERBS = r"""argue[sd]?|interpret(?:s|ed)?|define[sd]?|agree[sd]?|assess(?:es|ed)?|reveal(?:s|ed)?|contend(?:s|ed)?|claim(?:s|ed)?|believe[sd]?|think(?:s)?|thought|hold(?:s)?|held|maintain(?:s|ed)?|insist(?:s|ed)?|says?|said|writes?|wrote|conclude[sd]?|suggest(?:s|ed)?|assert(?:s|ed)?|state[sd]?|stress(?:es|ed)?|sees?|saw|treat(?:s|ed)?|reject(?:s|ed)?|find(?:s)?|found|calls?|called|predict(?:s|ed)?|explain(?:s|ed)?|describe[sd]?|consider(?:s|ed)?|regard(?:s|ed)?|views?|viewed|dismiss(?:es|ed)?|estimate[sd]?|emphasi[sz]e[sd]?|accept(?:s|ed)?|den(?:y|ies|ied)|attribute[sd]?|blame[sd]?|compare[sd]?|contrast(?:s|ed)?|liken(?:s|ed)?|present(?:s|ed)?|portray(?:s|ed)?|expect(?:s|ed)?|warn(?:s|ed)?|observe[sd]?|remark(?:s|ed)?|expressed|told|tells?|puts?|traces?|traced|links?|linked|sums? up|characteri[sz]e[sd]?|put it|doubt(?:s|ed)?|questions?"""
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
    rf"^(?P<x>{_NAME}?(?:\s+and\s+{_NAME})?)(?:'s?\s+(?:own\s+)?(?P<noun>[a-z]+(?:\s+[a-z]+){{0,2}}))?"
    rf"(?:\s*,\s*(?:in|on|at)\s+(?:their|his|her|the)\s+[\w\s-]{{1,30}}?,)?\s*,?\s+"
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
AUTHOR = "the author"  # the speaker of "The author/essay/chapter ... argues" and "He argues"
_RE_PREAMBLE = re.compile(
    r"^(?:(?:(?:yes|no)\s*[.,!:;]\s*)+|(?:the\s+)?answer(?:\s+to\s+(?:this|the)\s+question)?"
    r"\s+is(?:\s*:?\s*(?:yes|no))?\s*[:,.]\s*|(?:according\s+to|based\s+on|in)\s+the\s+"
    r"(?:provided\s+|given\s+|above\s+|cited\s+)?(?:excerpts?|passages?|texts?|essay|article)\s*,\s*)",
    re.I,
)
_RE_AUTHOR_REF = re.compile(
    r"^(?:the|this)\s+(?:author|writer|essay|article|chapter|text|excerpt|passage)"
    r"(?:\s+(?:of|on|about)\s+(?:the\s+)?[\w' -]+?)?(?=\s+(?:also\s+)?(?:"
    + _VIEW_VERBS
    + "|"
    + _REPORT_VERBS
    + r")\b)",
    re.I,
)
_VIEW_NOUNS = (
    r"view|views|claim|idea|notion|theory|thesis|argument|picture|contention|assertion|"
    r"explanation|interpretation|belief|position|assumption|doctrine|account"
)
_RE_REJECT = re.compile(
    rf"^(?P<x>{_NAME})\s+(?:also\s+|explicitly\s+|firmly\s+)?"
    r"(?:rejects|rejected|dismisses|dismissed|denies|denied|disputes|disputed|refutes|refuted|"
    r"(?:does|did)\s+not\s+(?:accept|share|agree\s+with)|disagrees?\s+with|criticizes|"
    r"criticises|criticized|criticised|is\s+critical\s+of)\s+"
    rf"(?:(?:(?:the|a|an)\s+)?(?:(?P<y>{_NAME}?)(?:'s?)?\s+)?(?:[a-z-]+\s+){{0,2}}?"
    rf"(?:{_VIEW_NOUNS})\s+(?:that|of)|that)\s+(?P<body>.+)$",
    re.S,
)
_RE_TRAIL_ACCORDING = re.compile(
    rf"^(?P<pre>.+?),?\s+according\s+to\s+(?:the\s+(?P<noun>\w+)\s+)?(?P<x>{_NAME})"
    r"(?:'s?\s+(?P<noun2>\w+))?(?:\s+(?P<verb>\w+))?(?:\s*,\s*(?P<post>.+)|\s*[.!]?)$",
    re.S,
)
_RE_CITING = re.compile(
    rf"^(?P<x>{_NAME}),\s+(?:citing|quoting)\s+(?P<y>{_NAME}),\s+(?:{_VIEW_VERBS}|{_REPORT_VERBS})"
    r"\s+(?:that\s+)?(?P<body>.+)$",
    re.S,
)
_RE_LISTENER = re.compile(rf"^(?:{_NAME})\s+that\s+(?P<body>.+)$", re.S)


@dataclass(frozen=True)
class Frame:
    """Who a sentence says holds its content, and how (``view``, ``report`` or ``quote``)."""

    speaker: str | None
    kind: str | None
    quoted: str | None
    body: str


def parse_frame(sentence: str) -> Frame:
    """Split an attribution frame off a sentence.

    An answer's preamble ("No, ...", "The answer is no: ...") is dropped. "The author/essay/
    chapter ... argues" and a pronoun subject ("He also mentions ...": in an answer, the essay's
    author) give the speaker :data:`AUTHOR`; "they", "it" and "this" name nobody, so there is no
    frame and the content alone is judged (as the author's).

    Example::

        >>> parse_frame("Gouldner quotes Nock, who observed that the state is criminal.")
        Frame(speaker='Gouldner', kind='quote', quoted='Nock', body='the state is criminal.')
        >>> parse_frame("According to Ticktin, workers were tied to factories.").kind
        'view'
        >>> parse_frame('Leon Trotsky (The Soviet Thermidor, 1936), quoting Krupskaia: "If..."')
        Frame(speaker='Leon Trotsky', kind='quote', quoted='Krupskaia', body='"If..."')
        >>> parse_frame("He also mentions the KGB figure.")
        Frame(speaker='the author', kind='report', quoted=None, body='the KGB figure.')
        >>> parse_frame("No. Trotsky rejects the Pravda claim that exploitation has ended.")
        Frame(speaker='Trotsky', kind='reject', quoted='Pravda', body='exploitation has ended.')
        >>> parse_frame("Ten million died, according to the figures Gouldner cites.")
        Frame(speaker='Gouldner', kind='report', quoted=None, body='Ten million died.')
    """
    s = _RE_PREAMBLE.sub("", normalize_text(sentence), count=1)
    s = s[:1].upper() + s[1:]
    m = _RE_AUTHOR_REF.match(s)
    if m:
        frame = _parse_frame("Author" + s[m.end() :])
        if frame.speaker == "Author":
            return Frame(AUTHOR, frame.kind, frame.quoted, frame.body)
    frame = _parse_frame(s)
    if frame.speaker and frame.speaker.lower() in {"he", "she"}:
        return Frame(AUTHOR, frame.kind, frame.quoted, frame.body)
    if frame.speaker and (
        frame.speaker.lower() in _PRONOUNS or frame.speaker.split()[0].lower() in STOPWORDS
    ):
        return Frame(None, None, None, s)
    return frame


def is_author(speaker: str | None, author: str) -> bool:
    """Whether a frame's speaker is the passage's author (:data:`AUTHOR` always is).

    Example::

        >>> is_author(AUTHOR, "Leon Trotsky"), is_author("Trotsky", "Leon Trotsky")
        (True, True)
    """
    return speaker == AUTHOR or same_person(speaker, author)


def _parse_frame(s: str) -> Frame:
    """The first frame pattern that matches ``s``, most specific first; no frame otherwise."""
    m = _RE_CITED_QUOTE.match(s)
    if m:
        # Without "quoting X" the words are presented as the author's own: a view.
        if m.group("y"):
            return Frame(m.group("x"), "quote", m.group("y").strip(), m.group("body"))
        return Frame(m.group("x"), "view", None, m.group("body"))
    for rx, kind in ((_RE_QUOTES, "quote"), (_RE_CITING, "quote"), (_RE_REJECT, "reject")):
        m = rx.match(s)
        if m and m.group("x") and (m.group("y") or kind == "reject"):
            y = re.sub(r"'s?$", "", m.group("y") or "") or None
            return Frame(m.group("x"), kind, y, m.group("body"))
    m = _RE_ACCORDING.match(s)
    # "In Russia, ..." is no frame; "In Trotsky's view, ..." and "For Gouldner, ..." are.
    bare_in = m is not None and m.group("lead") == "In" and not m.group("poss")
    if m and m.group("x") and not bare_in:
        noun = (m.group("noun") or "").lower()
        kind = "report" if noun in _REPORT_NOUNS else "view"
        return Frame(m.group("x"), kind, None, m.group("body"))
    m = _RE_TRAIL_ACCORDING.match(s)
    if m:
        return _trailing_according(m)
    m = _RE_SUBJECT.match(s)
    if m and m.group("x"):
        return _subject_frame(m)
    m = _RE_TRAILING.match(s)
    if m:
        verb = m.group("verb").lower()
        kind = "report" if re.fullmatch(_REPORT_VERBS, verb) else "view"
        return Frame(m.group("x"), kind, None, m.group("body"))
    return Frame(None, None, None, s)


def _trailing_according(m: re.Match[str]) -> Frame:
    """ "C, according to X[, C2]" and "C, according to the figures X cites"."""
    nouns = {(m.group("noun") or "").lower(), (m.group("noun2") or "").lower()}
    verb = (m.group("verb") or "").lower()
    report = bool(nouns & (_REPORT_NOUNS | {"figures", "figure", "data", "sources"}))
    report = report or bool(verb and re.fullmatch(rf"{_REPORT_VERBS}|{_QUOTE_VERBS}", verb))
    body = m.group("pre").rstrip(",") + (" " + m.group("post") if m.group("post") else ".")
    return Frame(m.group("x"), "report" if report else "view", None, body)


def _subject_frame(m: re.Match[str]) -> Frame:
    """The frame of "X [also] <verb> [that] C" and "X's <noun> <verb> C"."""
    verb = m.group("verb").lower()
    noun = (m.group("noun") or "").lower()
    kind = "report" if re.fullmatch(_REPORT_VERBS, verb) or noun in _REPORT_NOUNS else "view"
    body = m.group("body")
    lm = _RE_LISTENER.match(body)
    if lm and verb in {"told", "tells", "tell"}:
        body = lm.group("body")  # "X told Nikolaevskii that C": C is X's
    if noun and noun not in _REPORT_NOUNS and noun not in {"view", "views"}:
        # "Gouldner's internal colonialism thesis sees ..." -> the noun is content.
        body = f"{noun} {verb} {body}"
    return Frame(m.group("x"), kind, None, body)


def _head(name: str) -> str:
    """A source's head: "Czarist Police Description of Stalin, May 1, 1904" -> "Czarist Police
    Description" (such a source is not Stalin)."""
    return re.split(r",|\s+of\s+", name)[0].strip()


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
        >>> same_person("Tucker", "T. H. Rigby"), same_person("Stalin", "Police Description of Stalin")
        (False, False)
    """
    if not a or not b:
        return False
    a, b = _head(a), _head(b)
    ka, kb = name_keys(a), name_keys(b)
    if not ka or not kb:
        return False
    sa = re.sub(r"'s?$", "", normalize_text(a).split()[-1].lower())
    sb = re.sub(r"'s?$", "", normalize_text(b).split()[-1].lower())
    return sa == sb or sa in kb or sb in ka
