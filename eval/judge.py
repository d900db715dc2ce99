"""An independent support judge: does a passage (or a set of passages) support a sentence?

This judge exists so that evaluation never lets the runtime verifier grade itself. It shares no
code with the answer stage's scorer and is deliberately stricter and rule-based, so every verdict
comes with a reason a reader can check by eye.

Rules, applied in order (the first failing rule gives the verdict):

1. **Attribution.** A sentence framed as someone's view ("X argues/says/believes that ...",
   "According to X, ...") is checked only against passages that can carry X's view:

   - X is the passage's author: the content must be found in the author's *own* words; text
     inside a quotation the corpus attributes to another speaker is masked out. "Gouldner
     argues <Nock's words>" is unsupported (``quoted-speaker``).
   - "X quotes/cites Y ...": X must be the author and Y a speaker quoted in the passage (or, when
     the passage has no speaker spans, Y must be named in it); quoted words then count.
   - X is a quoted speaker of the passage: the content must be found in the sentences that
     carry X's quotations (plus their neighbours).
   - X is named in the passage (reported speech, "Trotsky, at one level, also argued ...")
     and not inside a negation ("it never occurred to Krushchev"): the content must be found
     in the sentences that name X.
   - Otherwise the sentence is unsupported (``attribution``).

   Reporting frames ("X reports/notes/cites/mentions", "According to X's essay") accept quoted
   words; view frames (argues, says, believes, writes, ...) do not.
2. **Quoted strings** in the sentence must occur word for word in the evidence.
3. **Numbers** (digits, number words, ordinals, years) must each occur in the evidence with the
   same value ("twenty million" = "20 million" = 20000000).
4. **Names**: capitalised words (other than the first word) must occur in the evidence or in its
   author's name.
5. **Coverage**: at least ``judge_min_coverage`` of the sentence's content words (after light
   stemming) occur in the best window of up to three consecutive sentences of each passage.
6. **Polarity**: every content word found in the evidence must be found at least once with the
   same negation status (inside or outside the scope of not/no/never/without/fails to ...), and a
   direction word (more/less, rose/declined, intensifies/weakens ...) must be matched by one of
   the same direction, never only by the opposite one.
7. Optionally, an NLI cross-encoder (setting ``judge_nli_model``) must also find entailment with
   probability at least ``judge_nli_threshold``. It can only make the judge stricter.

Example::

    >>> p = JudgePassage("The KGB figure is self-serving and can be dismissed.", "Hillel H. Ticktin")
    >>> judge("Ticktin dismisses the KGB figure as self-serving.", [p]).supported
    True
    >>> judge("Gouldner dismisses the KGB figure as self-serving.", [p]).rule
    'attribution'
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field

from corpus.passage import QuoteSpan
from corpus.settings import Settings, get_settings

# --- the data the judge sees ------------------------------------------------------------------


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


# --- text normalisation -------------------------------------------------------------------------

_QUOTE_CHARS = str.maketrans(
    {
        "“": '"',
        "”": '"',
        "„": '"',
        "«": '"',
        "»": '"',
        "‘": "'",
        "’": "'",
        "`": "'",
        "´": "'",
        "—": " - ",
        "–": "-",
        "\u00a0": " ",
    }
)
_TOKEN_RE = re.compile(r"[A-Za-z0-9]+(?:[.,][0-9]{3})*(?:\.[0-9]+)?|[.,;:!?()\"-]")
_CITATION_MARK = re.compile(r"\s*\[\s*\d+(?:\s*[,;–-]\s*\d+)*\s*\]")

STOPWORDS = frozenset(
    [
        "a",
        "about",
        "above",
        "after",
        "again",
        "against",
        "all",
        "also",
        "am",
        "an",
        "and",
        "any",
        "are",
        "as",
        "at",
        "be",
        "because",
        "been",
        "before",
        "being",
        "below",
        "between",
        "both",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "doing",
        "down",
        "during",
        "each",
        "either",
        "else",
        "even",
        "ever",
        "every",
        "few",
        "for",
        "from",
        "further",
        "had",
        "has",
        "have",
        "having",
        "he",
        "her",
        "here",
        "hers",
        "herself",
        "him",
        "himself",
        "his",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "itself",
        "just",
        "may",
        "me",
        "might",
        "more",
        "most",
        "must",
        "my",
        "myself",
        "now",
        "of",
        "off",
        "on",
        "once",
        "only",
        "or",
        "other",
        "our",
        "ours",
        "ourselves",
        "out",
        "over",
        "own",
        "same",
        "shall",
        "she",
        "should",
        "so",
        "some",
        "such",
        "than",
        "that",
        "the",
        "their",
        "theirs",
        "them",
        "themselves",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "through",
        "thus",
        "to",
        "too",
        "under",
        "until",
        "up",
        "upon",
        "us",
        "very",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "while",
        "who",
        "whom",
        "whose",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
        "yours",
        "yourself",
        "i.e",
        "e.g",
        "etc",
        "indeed",
        "already",
        "still",
        "yet",
        "often",
        "much",
        "many",
        "well",
        "one",
        "s",
        "t",
        "its",
        "another",
        "whether",
        "whereas",
        "however",
        "therefore",
        "hence",
        "namely",
        "rather",
        "quite",
    ]
)
# Frame words: they say who holds a view, not what the view is.
FRAME_WORDS = frozenset(
    [
        "according",
        "view",
        "views",
        "essay",
        "essays",
        "article",
        "chapter",
        "account",
        "author",
        "writer",
        "argue",
        "argues",
        "argued",
        "arguing",
        "say",
        "says",
        "said",
        "saying",
        "write",
        "writes",
        "wrote",
        "written",
        "claim",
        "claims",
        "claimed",
        "hold",
        "holds",
        "held",
        "believe",
        "believes",
        "believed",
        "think",
        "thinks",
        "thought",
        "contend",
        "contends",
        "contended",
        "maintain",
        "maintains",
        "maintained",
        "insist",
        "insists",
        "insisted",
        "conclude",
        "concludes",
        "concluded",
        "suggest",
        "suggests",
        "suggested",
        "assert",
        "asserts",
        "asserted",
        "state",
        "states",
        "stated",
        "stress",
        "stresses",
        "stressed",
        "note",
        "notes",
        "noted",
        "report",
        "reports",
        "reported",
        "mention",
        "mentions",
        "mentioned",
        "cite",
        "cites",
        "cited",
        "quote",
        "quotes",
        "quoted",
        "observe",
        "observes",
        "observed",
        "remark",
        "remarks",
        "remarked",
        "describe",
        "describes",
        "described",
        "explain",
        "explains",
        "explained",
        "call",
        "calls",
        "called",
        "see",
        "sees",
        "saw",
        "treat",
        "treats",
        "treated",
        "find",
        "finds",
        "found",
        "consider",
        "considers",
        "considered",
        "regard",
        "regards",
        "regarded",
        "estimate",
        "estimates",
        "estimated",
        "predict",
        "predicts",
        "predicted",
        "point",
        "points",
        "tell",
        "tells",
        "told",
        "record",
        "records",
        "recorded",
        "relate",
        "relates",
        "related",
        "recount",
        "recounts",
        "recounted",
    ]
)
NEGATIONS = frozenset(
    [
        "not",
        "no",
        "never",
        "n't",
        "cannot",
        "neither",
        "nor",
        "none",
        "nothing",
        "nobody",
        "nowhere",
        "without",
        "fail",
        "fails",
        "failed",
        "failing",
        "unable",
        "lack",
        "lacks",
        "lacking",
    ]
)
_SCOPE_BREAK = frozenset([",", ";", ":", ".", "!", "?", "(", ")", '"', "-", "but", "and", "yet"])
_NEGATION_SCOPE = 8
_DIRECTION_WINDOW = 2

_UP = [
    "more",
    "greater",
    "larger",
    "bigger",
    "higher",
    "increase",
    "increases",
    "increased",
    "increasing",
    "rise",
    "rises",
    "rose",
    "risen",
    "rising",
    "grow",
    "grows",
    "grew",
    "grown",
    "growing",
    "exceed",
    "exceeds",
    "exceeded",
    "intensify",
    "intensifies",
    "intensified",
    "sharper",
    "sharpen",
    "sharpens",
    "deeper",
    "expand",
    "expands",
    "expanded",
]
_DOWN = [
    "less",
    "fewer",
    "smaller",
    "lower",
    "decrease",
    "decreases",
    "decreased",
    "decreasing",
    "decline",
    "declines",
    "declined",
    "declining",
    "fall",
    "falls",
    "fell",
    "fallen",
    "drop",
    "drops",
    "dropped",
    "reduce",
    "reduces",
    "reduced",
    "shrink",
    "shrank",
    "weaken",
    "weakens",
    "weakened",
    "diminish",
    "diminishes",
    "diminished",
    "lessen",
    "lessens",
]
DIRECTION = {w: "up" for w in _UP} | {w: "down" for w in _DOWN}

_UNITS = {
    "zero": 0,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
}
_ORDINALS = {
    "first": 1,
    "second": 2,
    "third": 3,
    "fourth": 4,
    "fifth": 5,
    "sixth": 6,
    "seventh": 7,
    "eighth": 8,
    "ninth": 9,
    "tenth": 10,
    "eleventh": 11,
    "twelfth": 12,
    "thirteenth": 13,
    "fourteenth": 14,
    "fifteenth": 15,
    "sixteenth": 16,
    "seventeenth": 17,
    "eighteenth": 18,
    "nineteenth": 19,
    "twentieth": 20,
}
_SCALES = {"hundred": 100, "thousand": 1_000, "million": 1_000_000, "billion": 1_000_000_000}
# "first"/"second" are too often not numbers ("second serfdom", "at first"); only digit ordinals
# ("17th") and the rarer ordinal words count.
_AMBIGUOUS_ORDINALS = frozenset({"first", "second"})


def normalize_text(text: str) -> str:
    """Unicode-normalised text with typographic quotes, dashes and citation marks made plain.

    Example::

        >>> normalize_text("Il’ich said “no” [2].")
        'Il\\'ich said "no".'
    """
    text = unicodedata.normalize("NFKC", text).translate(_QUOTE_CHARS)
    return _CITATION_MARK.sub("", text).strip()


def tokens(text: str) -> list[str]:
    """Lower-cased word, number and punctuation tokens (possessive 's dropped, "n't" split).

    Example::

        >>> tokens("Stalin's plan wasn't 780,000-strong.")
        ['stalin', 'plan', 'was', "n't", '780,000', '-', 'strong', '.']
    """
    text = normalize_text(text)
    text = re.sub(r"(\w)'s\b", r"\1", text)
    text = re.sub(r"(\w)s'(\W|$)", r"\1s\2", text)
    text = re.sub(r"\b(\w+)n't\b", r"\1 n't", text)
    text = re.sub(r"(\w)'(?!t\b)(\w)", r"\1\2", text)  # Il'ich -> Ilich, but keep "n't"
    out: list[str] = []
    for m in re.finditer(r"n't|" + _TOKEN_RE.pattern, text):
        out.append(m.group(0).lower())
    return out


def stem(word: str) -> str:
    """A light, rule-based stem: plural, past, gerund and adverb endings removed.

    Example::

        >>> [stem(w) for w in ["purges", "killed", "collectivization", "studies", "freely"]]
        ['purg', 'kill', 'collectiviz', 'study', 'free']
    """
    w = word.lower()
    if len(w) <= 3 or not w.isalpha():
        return w
    for suffix, repl in (
        ("ational", "ate"),
        ("ization", "iz"),
        ("isation", "iz"),
        ("ies", "y"),
        ("ied", "y"),
        ("sses", "ss"),
        ("ness", ""),
        ("ment", ""),
        ("ingly", ""),
        ("edly", ""),
        ("ing", ""),
        ("ed", ""),
        ("ly", ""),
        ("es", ""),
        ("s", ""),
        ("e", ""),
    ):
        if w.endswith(suffix) and len(w) - len(suffix) + len(repl) >= 3:
            if suffix == "s" and w.endswith(("ss", "us", "is")):
                continue
            return w[: len(w) - len(suffix)] + repl
    return w


def stems_match(a: str, b: str) -> bool:
    """Whether two stems are the same word up to derivation (shared prefix of 6, or prefix of 4+).

    Example::

        >>> stems_match("prohibit", "prohibition"), stems_match("kill", "skill")
        (True, False)
    """
    if a == b:
        return True
    if not (a.isalpha() and b.isalpha()):
        return False
    short, long_ = (a, b) if len(a) <= len(b) else (b, a)
    if len(short) >= 4 and long_.startswith(short):
        return True
    common = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        common += 1
    return common >= 6


# --- numbers -------------------------------------------------------------------------------------


def _digit_value(tok: str) -> float | None:
    t = tok.replace(",", "")
    try:
        return float(t)
    except ValueError:
        m = re.fullmatch(r"(\d+)(st|nd|rd|th|s)", tok)
        return float(m.group(1)) if m else None


def numbers_in(text: str) -> list[float]:
    """Every number the text states, as a value: digits, number words, ordinals, scales.

    Example::

        >>> numbers_in("about twenty-five million farms, 13 of the 15 generals, the 17th Congress")
        [25000000.0, 13.0, 15.0, 17.0]
    """
    toks = [t for t in tokens(text.replace("-", " ")) if t not in {"-"}]
    values: list[float] = []
    i = 0
    while i < len(toks):
        t = toks[i]
        value: float | None = None
        if t[0].isdigit():
            value = _digit_value(t)
            i += 1
        elif t in _UNITS or (t in _ORDINALS and t not in _AMBIGUOUS_ORDINALS):
            value = float(_UNITS.get(t, _ORDINALS.get(t, 0)))
            i += 1
            while i < len(toks) and toks[i] in _UNITS and _UNITS[toks[i]] < 10 <= value:
                value += _UNITS[toks[i]]
                i += 1
        else:
            i += 1
            continue
        while value is not None and i < len(toks) and toks[i] in _SCALES:
            value *= _SCALES[toks[i]]
            i += 1
        if value is not None:
            values.append(value)
    return values


def _same_number(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b))


# --- sentences, windows, polarity --------------------------------------------------------------

_SENT_END = re.compile(r"(?<=[.!?])[\"')\]]*\s+(?=[\"'(\[]?[A-Z0-9])")


def split_into_sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) offsets of the sentences of ``text`` (abbreviations may split; harmless here).

    Example::

        >>> t = "One fact. Two facts! Three"
        >>> [t[a:b] for a, b in split_into_sentences(t)]
        ['One fact.', 'Two facts!', 'Three']
    """
    spans: list[tuple[int, int]] = []
    start = 0
    for m in _SENT_END.finditer(text):
        end = m.start()
        if text[start:end].strip():
            spans.append((start, end))
        start = m.end()
    if text[start:].strip():
        spans.append((start, len(text.rstrip())))
    return spans


@dataclass(frozen=True)
class _Tok:
    stem: str
    word: str
    negated: bool
    direction: str | None  # direction word within the few tokens before it


def _annotate(text: str) -> list[_Tok]:
    toks = tokens(text)
    out: list[_Tok] = []
    scope = 0
    for i, t in enumerate(toks):
        if t in _SCOPE_BREAK:
            scope = 0
        negated = scope > 0
        if scope > 0:
            scope -= 1
        if t in NEGATIONS:
            scope = _NEGATION_SCOPE
        direction = None
        for j in range(max(0, i - _DIRECTION_WINDOW), i):
            if toks[j] in DIRECTION:
                direction = DIRECTION[toks[j]]
        out.append(_Tok(stem(t), t, negated, direction))
    return out


def _is_number_word(word: str) -> bool:
    return (
        word[0].isdigit()
        or word in _UNITS
        or word in _SCALES
        or (word in _ORDINALS and word not in _AMBIGUOUS_ORDINALS)
    )


def _is_content(word: str) -> bool:
    # Numbers are checked by value, not as words ("thirteen" = "13").
    return (
        len(word) > 1
        and not _is_number_word(word)
        and word not in STOPWORDS
        and word not in NEGATIONS
        and word not in DIRECTION
        and any(c.isalnum() for c in word)
    )


def _windows(text: str, size: int = 3) -> list[str]:
    sents = [text[a:b] for a, b in split_into_sentences(text)] or [text]
    if len(sents) <= size:
        return [" ".join(sents)]
    return [" ".join(sents[i : i + size]) for i in range(len(sents) - size + 1)]


# --- attribution frames -------------------------------------------------------------------------

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


@dataclass(frozen=True)
class Frame:
    """Who a sentence says holds its content, and how (``view``, ``report`` or ``quote``)."""

    speaker: str | None
    kind: str | None
    quoted: str | None
    body: str


_PRONOUNS = frozenset({"he", "she", "they", "it", "this", "that", "these", "those", "who"})


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
        verb = m.group("verb").lower()
        noun = (m.group("noun") or "").lower()
        kind = "report" if re.fullmatch(_REPORT_VERBS, verb) or noun in _REPORT_NOUNS else "view"
        body = m.group("body")
        if noun and noun not in _REPORT_NOUNS and noun not in {"view", "views"}:
            # "Gouldner's internal colonialism thesis sees ..." -> the noun is content.
            body = f"{noun} {verb} {body}"
        return Frame(m.group("x"), kind, None, body)
    m = _RE_TRAILING.match(s)
    if m:
        verb = m.group("verb").lower()
        kind = "report" if re.fullmatch(_REPORT_VERBS, verb) else "view"
        return Frame(m.group("x"), kind, None, m.group("body"))
    return Frame(None, None, None, s)


def _name_keys(name: str) -> set[str]:
    """Lower-cased name parts that identify a person (surname and longer given names)."""
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
    ka, kb = _name_keys(a), _name_keys(b)
    if not ka or not kb:
        return False
    sa = re.sub(r"'s?$", "", normalize_text(a).split()[-1].lower())
    sb = re.sub(r"'s?$", "", normalize_text(b).split()[-1].lower())
    return sa == sb or sa in kb or sb in ka


# --- quotations -----------------------------------------------------------------------------------

_QUOTED = re.compile(r'"([^"]{2,}?)"|(?:(?<=\s)|(?<=^)|(?<=:))\'([^\']{2,}?)\'(?=[\s.,;:!?)]|$)')


def quoted_strings(text: str) -> list[str]:
    """Strings in double (or paired single) quotation marks.

    Example::

        >>> quoted_strings("He said: 'We plundered all Russia' and called it “second serfdom”.")
        ['We plundered all Russia', 'second serfdom']
    """
    t = normalize_text(text)
    return [(m.group(1) or m.group(2)).strip() for m in _QUOTED.finditer(t)]


def find_quote_spans(text: str, speaker: str | None) -> tuple[QuoteSpan, ...]:
    """Quotation spans of ``text`` (offsets into ``text``) all attributed to ``speaker``.

    For hand-made evidence that names one quoted speaker; the corpus gives real spans.

    Example::

        >>> find_quote_spans('He wrote: "We won." Then he left.', "Lenin")
        (QuoteSpan(start=10, end=19, speaker='Lenin'),)
    """
    spans = []
    for m in re.finditer(
        r"[\"“”]([^\"“”]{2,})[\"“”]|(?:(?<=\s)|(?<=^)|(?<=:))['‘]([^'‘’]{2,}?)['’](?=[\s.,;:!?)]|$)",
        text,
    ):
        spans.append(QuoteSpan(m.start(), m.end(), speaker))
    return tuple(spans)


# --- the judge ------------------------------------------------------------------------------------


def _mask(text: str, spans: Sequence[QuoteSpan]) -> str:
    chars = list(text)
    for q in spans:
        for i in range(max(0, q.start), min(len(chars), q.end)):
            if not chars[i].isspace():
                chars[i] = "#"
    return "".join(chars)


def _sentences_around(text: str, pred) -> str:
    """The sentences for which ``pred(start, end, sentence)`` holds, each with its neighbours."""
    spans = split_into_sentences(text) or [(0, len(text))]
    keep: set[int] = set()
    for i, (a, b) in enumerate(spans):
        if pred(a, b, text[a:b]):
            keep.update({i - 1, i, i + 1})
    return " ".join(text[a:b] for i, (a, b) in enumerate(spans) if i in keep)


def _named_unnegated(text: str, name: str) -> bool:
    keys = _name_keys(name)
    return any(t.word in keys and not t.negated for t in _annotate(text))


@dataclass(frozen=True)
class _Evidence:
    texts: tuple[str, ...]  # one per passage, already restricted by the attribution rule
    names: tuple[str, ...]  # authors/speakers whose names may appear in the sentence


def _route(frame: Frame, passages: Sequence[JudgePassage]) -> _Evidence | Verdict:
    """Choose the text each passage may contribute, given who the sentence says speaks."""
    names = tuple(p.author for p in passages) + tuple(
        q.speaker for p in passages for q in p.quotes if q.speaker
    )
    if frame.speaker is None:
        return _Evidence(tuple(p.text for p in passages), names)
    x = frame.speaker
    if frame.kind == "quote":
        texts = []
        for p in passages:
            if not same_person(x, p.author):
                continue
            speakers = [q.speaker for q in p.quotes if q.speaker]
            if any(same_person(frame.quoted, s) for s in speakers) or (
                not speakers and _named_unnegated(p.text, frame.quoted or "")
            ):
                texts.append(p.text)
        if not texts:
            return Verdict(
                False,
                f"says {x} quotes {frame.quoted}, but no cited passage by {x} quotes {frame.quoted}",
                "attribution",
            )
        return _Evidence(tuple(texts), (*names, x, frame.quoted or ""))
    texts = []
    quoted_only = False
    for p in passages:
        if same_person(x, p.author):
            if frame.kind == "report":
                texts.append(p.text)
            else:
                # A quotation whose speaker the sentence itself names is attributed correctly
                # ("Gouldner writes that Trotsky said ..."); only the unnamed ones are masked.
                body_words = {t.word for t in _annotate(frame.body)}
                others = [
                    q
                    for q in p.quotes
                    if q.speaker
                    and not same_person(q.speaker, p.author)
                    and not (_name_keys(q.speaker) & body_words)
                ]
                texts.append(_mask(p.text, others))
                quoted_only = quoted_only or bool(others)
            continue
        own = [q for q in p.quotes if same_person(x, q.speaker)]
        if own:
            texts.append(
                _sentences_around(
                    p.text, lambda a, b, _s, own=own: any(q.start < b and a < q.end for q in own)
                )
            )
            continue
        if _name_keys(x) & {t.word for t in _annotate(p.text)}:
            texts.append(_sentences_around(p.text, lambda _a, _b, s, x=x: _named_unnegated(s, x)))
    texts = [t for t in texts if t.strip()]
    if not texts:
        authors = ", ".join(sorted({p.author for p in passages})) or "nobody"
        return Verdict(
            False,
            f"attributes the claim to {x}, but the cited passage is by {authors} and "
            f"neither quotes nor reports {x}",
            "attribution",
        )
    ev = _Evidence(tuple(texts), (*names, x))
    if quoted_only:
        return _QuotedOnly(ev)  # type: ignore[return-value]
    return ev


@dataclass(frozen=True)
class _QuotedOnly:
    """Evidence with other speakers' quotations masked (kept apart to explain a failure)."""

    evidence: _Evidence


def _content_check(body: str, ev: _Evidence, min_coverage: float) -> Verdict:
    body_toks = _annotate(body)
    content = [t for t in body_toks if _is_content(t.word) and t.word not in FRAME_WORDS]
    name_words = set().union(*(_name_keys(n) for n in ev.names if n)) if ev.names else set()
    content = [t for t in content if t.word not in name_words or not t.word.isalpha()]
    full = " ".join(ev.texts)

    # Quoted strings: word for word.
    full_words = [t for t in tokens(full) if t.isalnum() or t[0].isdigit()]
    joined = " " + " ".join(full_words) + " "
    for q in quoted_strings(body):
        qw = [t for t in tokens(q) if t.isalnum() or t[0].isdigit()]
        if qw and (" " + " ".join(qw) + " ") not in joined:
            return Verdict(False, f'quotes "{q}", which the passage does not contain', "quote")

    # Numbers: the same values.
    have = numbers_in(full)
    for n in numbers_in(body):
        if not any(_same_number(n, h) for h in have):
            shown = int(n) if n == int(n) else n
            return Verdict(False, f"states the number {shown}, absent from the passage", "number")

    # Windows: per passage, the run of up to three sentences that covers the most content.
    chosen: list[list[_Tok]] = []
    for text in ev.texts:
        best: list[_Tok] = []
        best_cov = -1
        for w in _windows(text):
            ann = _annotate(w)
            cov = sum(1 for c in content if any(stems_match(c.stem, a.stem) for a in ann))
            if cov > best_cov:
                best, best_cov = ann, cov
        chosen.append(best)
    evidence = [t for w in chosen for t in w]
    author_words = name_words

    # Names: capitalised words after the first must be in the evidence (or be its authors).
    raw_words = re.findall(r"[A-Za-z][\w'-]*", normalize_text(body))
    for i, w in enumerate(raw_words):
        if i == 0 or not w[0].isupper():
            continue
        lw = tokens(w)[0] if tokens(w) else w.lower()
        if lw in STOPWORDS or lw in FRAME_WORDS:
            continue
        if lw in author_words or any(stems_match(stem(lw), a.stem) for a in evidence):
            continue
        if any(stems_match(stem(lw), stem(t)) for t in tokens(full)):
            continue
        return Verdict(False, f"names {w}, who is not in the passage", "entity")

    if not content:
        return Verdict(False, "the sentence makes no checkable claim", "empty")

    matched: list[tuple[_Tok, list[_Tok]]] = []
    missing: list[str] = []
    for c in content:
        occ = [a for a in evidence if stems_match(c.stem, a.stem)]
        if occ:
            matched.append((c, occ))
        else:
            missing.append(c.word)
    coverage = len(matched) / len(content)

    for c, occ in matched:
        if not any(a.negated == c.negated for a in occ):
            how = "negated" if c.negated else "affirmed"
            return Verdict(
                False,
                f'"{c.word}" is {how} in the sentence but not in the passage',
                "negation",
                coverage,
                tuple(missing),
            )
        opposite = any(a.direction and a.direction != c.direction for a in occ)
        if c.direction and opposite and not any(a.direction == c.direction for a in occ):
            return Verdict(
                False,
                f'"{c.word}" goes {c.direction} in the sentence but the other way in the passage',
                "direction",
                coverage,
                tuple(missing),
            )
    for t in body_toks:
        if t.word in DIRECTION:
            group = DIRECTION[t.word]
            if not any(DIRECTION.get(a.word) == group for a in evidence):
                return Verdict(
                    False,
                    f'says "{t.word}", but the passage states no such direction',
                    "direction",
                    coverage,
                    tuple(missing),
                )

    if coverage < min_coverage:
        return Verdict(
            False,
            f"only {coverage:.0%} of its content words are in the passage (missing: "
            f"{', '.join(missing)})",
            "coverage",
            coverage,
            tuple(missing),
        )
    return Verdict(
        True,
        f"{coverage:.0%} of content words found; numbers, names, polarity agree",
        "ok",
        coverage,
        tuple(missing),
    )


def judge(
    sentence: str,
    passages: Sequence[JudgePassage],
    settings: Settings | None = None,
    *,
    nli=None,
) -> Verdict:
    """Whether ``passages`` (jointly) support ``sentence``; see the module docstring for the rules.

    ``nli`` is an injected scorer ``(premise, hypothesis) -> entailment probability``; when it is
    ``None`` and the setting ``judge_nli_model`` names a model, that model is loaded lazily.

    Example::

        >>> p = JudgePassage("About twenty million citizens were killed.", "Alvin W. Gouldner")
        >>> judge("About 20 million citizens were killed.", [p]).supported
        True
        >>> judge("About 2 million citizens were killed.", [p]).rule
        'number'
    """
    s = get_settings(settings)
    sentence = normalize_text(sentence)
    if not sentence or not passages:
        return Verdict(False, "no sentence or no cited passage", "empty")
    frame = parse_frame(sentence)
    routed = _route(frame, passages)
    if isinstance(routed, Verdict):
        return routed
    if isinstance(routed, _QuotedOnly):
        verdict = _content_check(frame.body, routed.evidence, s.judge_min_coverage)
        if not verdict.supported:
            full = _route(Frame(frame.speaker, "report", None, frame.body), passages)
            if (
                isinstance(full, _Evidence)
                and _content_check(frame.body, full, s.judge_min_coverage).supported
            ):
                return Verdict(
                    False,
                    f"presents words the passage quotes from another speaker as {frame.speaker}'s "
                    "own view",
                    "quoted-speaker",
                    verdict.coverage,
                    verdict.missing,
                )
    else:
        verdict = _content_check(frame.body, routed, s.judge_min_coverage)
    if not verdict.supported:
        return verdict
    scorer = nli if nli is not None else _nli_scorer(s.judge_nli_model, s.torch_threads)
    if scorer is not None:
        premise = "\n".join(p.text for p in passages)
        p_entail = float(scorer(premise, frame.body))
        if p_entail < s.judge_nli_threshold:
            return Verdict(
                False,
                f"NLI entailment {p_entail:.2f} below {s.judge_nli_threshold}",
                "nli",
                verdict.coverage,
                verdict.missing,
            )
    return verdict


@functools.lru_cache(maxsize=2)
def _nli_scorer(model: str | None, threads: int):
    """A cached ``(premise, hypothesis) -> P(entailment)`` from a cross-encoder, or ``None``."""
    if not model:
        return None
    import torch
    from sentence_transformers import CrossEncoder

    torch.set_num_threads(threads)
    enc = CrossEncoder(model, device="cpu")
    labels = {v.lower(): k for k, v in getattr(enc.model.config, "id2label", {}).items()}
    idx = labels.get("entailment", 1)

    def score(premise: str, hypothesis: str) -> float:
        logits = enc.predict([(premise, hypothesis)], apply_softmax=True)
        return float(logits[0][idx])

    return score
