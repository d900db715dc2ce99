"""Whose voice each part of a passage is in: the author's own, a reported view, or an epigraph.

An essay does not only state its author's views. It reports other people's ("Nicholas Vakar has
argued that ...", "Some take the view that ...", "it has been stated many times by left
oppositionists that ...", "the Weber-Habermas thesis, according to which ..."), often to reject
them ("This was an apologetic theory", "is a myth", "I do not find them altogether
persuasive"), and it may open with an epigraph (a quotation and a short attribution line). A
sentence that gives such text to the author puts words in the wrong mouth.

:func:`voices` finds these spans. Each :class:`Voice` has a ``holder`` (a name, a resolved "he",
or a generic holder such as "some", "theory", "studies") and a ``kind``: ``reported``,
``rejected`` (a dismissal cue follows in the same or the next sentence) or ``epigraph``. What no
span covers (and no quotation of another speaker) is the author's own voice. Reporting verbs
of fact (reports, notes, records) do not open a span: the author relies on such testimony.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from eval.judge.holders import OWN, clean_name, holder, is_author_name, resolve
from eval.judge.lexicon import normalize_text

_VIEW = (
    r"argue[sd]?|arguing|contend(?:s|ed)?|claim(?:s|ed)?|believe[sd]?|think|thinks|thought|"
    r"hold|holds|held|maintain(?:s|ed)?|insist(?:s|ed)?|assert(?:s|ed)?|state[sd]?|"
    r"suggest(?:s|ed)?|says?|said|sees?|saw|seen|regard(?:s|ed)?|consider(?:s|ed)?|"
    r"interpret(?:s|ed)?|characteri[sz]e[sd]?|calls?|called|declare[sd]?|allege[sd]?|"
    r"imply|implies|implied|conclude[sd]?|predict(?:s|ed)?|den(?:y|ies|ied)|writes?|wrote|"
    r"tells?|told|asserts?|describe[sd]?|"
    r"(?:take|takes|took|taken|taking)\s+the\s+(?:view|position)"
)
_VIEW_RE = re.compile(rf"\b(?:{_VIEW})\b")
_NOUN_VIEW_RE = re.compile(
    r"(?:\b(?:the|a|an|this|that|these|those|such|another|any|(?P<own>his|her|their|our|my))"
    r"|(?P<own2>[A-Z][\w-]*(?:\s+[A-Z][\w-]*)*)'s?)\s+(?:[\w-]+\s+){0,4}?"
    r"(?P<noun>theory|thesis|view|doctrine|notion|idea|claim|interpretation|argument|"
    r"explanation|version|standpoint|contention|assumption|belief|picture)\b"
    r"(?P<tail>(?:,[^,;]{1,60},)?\s+that\b|\s*:|,?\s+according\s+to\s+which\b|\s+of\b|"
    r"\s+(?:in|among|of)\s+[^,;]{1,40}?\s+(?:is|was|were)\s+that\b|(?<=version),|(?<=view),)"
)
_IMPERSONAL_RE = re.compile(
    r"\b(?i:it)\s+(?:is|was|has\s+been|had\s+been)\s+"
    r"(?:\w+ly\s+|many\s+times\s+|sometimes\s+|often\s+|also\s+|even\s+)*"
    r"(?:said|argued|claimed|stated|suggested|held|maintained|asserted|believed|thought|"
    r"contended|alleged)\b(?:\s+(?:\w+ly|many\s+times))*(?:\s+by\s+(?P<by>[^,;]+?))?\s+that\b"
)
_IN_VIEW_RE = re.compile(
    r"\b[Ii]n\s+(?P<x>[A-Z][\w-]*(?:\s+[A-Z][\w-]*)*)'s?\s+(?:own\s+)?"
    r"(?:view|version|account|interpretation|opinion|words|judgment|analysis)\b"
)
_COMMONLY_RE = re.compile(
    r"\b(?:is|are|was|were|been)\s+(?:often|sometimes|usually|commonly|generally|widely|"
    r"frequently|traditionally|still)\s+(?:seen|viewed|regarded|considered|treated|described|"
    r"thought|taken|understood)\s+(?:as|to)\b"
)
_OFTEN_RE = re.compile(
    r"^\W*(?:Often|Sometimes|Usually|Commonly|Generally|Frequently|Traditionally)\b,?\s.*?"
    r"\b(?:is|are|was|were)\s+(?:seen|viewed|regarded|considered|treated|described|taken)\s+as\b"
)
_FOR_X_RE = re.compile(r"^\W*For\s+(?P<x>[A-Z][\w-]*(?:\s+(?:and\s+)?[\w-]+){0,4}?),")
_CONCEPTION_RE = re.compile(
    r"\b(?:in|by|under)\s+which\s+[^,;]*?\b(?:is|are|was|were)\s+"
    r"(?:seen|regarded|viewed|considered|treated|portrayed|depicted)\s+as\b"
)
_ALLEGED_RE = re.compile(r"\b(?:alleged(?:ly)?|supposedly|reputedly|purportedly)\b")
_ACCORDING_RE = re.compile(r"\b[Aa]ccording\s+to\s+(?P<x>(?:[A-Z][\w'-]*\s*)+)")
DISMISSAL = re.compile(
    r"\b(?:apologetic|apology|myths?|mytholog\w*|mistaken|untenable|dubious|unbelievable|"
    r"misconception|fallac\w+|erroneous|false|absurd|implausible|unconvincing|unpersuasive|"
    r"not\s+(?:\w+\s+){0,2}persuasive|not\s+historically\s+exact|fails?\s+to|oversimplif\w*|"
    r"strained|unsatisfactory|does\s+not\s+suffice|lied|nonsense|na[iï]ve|piety|"
    r"(?:difficult|hard)\s+to\s+see|hardly\s+squares|obfuscates|legend|compulsi\w+|"
    r"stick\s+to\s+beat|another\s+matter|wrong|incorrect|cannot\s+be\s+(?:accepted|sustained)|"
    r"no\s+(?:real\s+)?(?:evidence|basis)|ingenuously|flawed|misleading|sterile|specious|"
    r"unhistorical|untrue|unfounded|groundless)\b",
    re.I,
)
_WORD = re.compile(r"[A-Za-z][\w'-]*")
_OPEN, _CLOSE = "\"“'‘", "\"”'’"


@dataclass(frozen=True)
class Voice:
    """A span of passage text in a voice other than the author's own."""

    start: int
    end: int
    holder: str
    kind: str  # "reported", "rejected" or "epigraph"


def voices(text: str, author: str = "") -> tuple[Voice, ...]:
    """The reported, rejected and epigraph spans of ``text`` (offsets into ``text``).

    Example::

        >>> t = ("Some take the view that the purges were a retribution. This view is "
        ...      "apologetic. The purges atomised the population.")
        >>> [(v.holder, v.kind, t[v.start:v.end]) for v in voices(t)]
        [('some', 'rejected', 'Some take the view that the purges were a retribution.'), \
('it', 'rejected', 'This view')]
        >>> t = '"We plundered all Russia." Leon Trotsky'
        >>> [(v.holder, v.kind) for v in voices(t)]
        [('Leon Trotsky', 'epigraph')]
    """
    out = list(_epigraphs(text))
    sents = sentence_spans(text)
    for i, (a, b) in enumerate(sents):
        nxt = text[sents[i + 1][0] : sents[i + 1][1]] if i + 1 < len(sents) else ""
        found = []
        for s, e, h in sorted(_sentence_voices(text, a, b, author)):
            prior = [(v.start, v.holder) for v in out] + [(fs, fh) for fs, _fe, fh in found]
            who = resolve(h, text, s, prior, author)
            if who is not None:
                found.append((s, e, who))
        rejected = bool(DISMISSAL.search(text[a:b])) or bool(
            re.match(r"\W*(?:this|that|these|those|such|it|neither|but|yet)\b", nxt, re.I)
            and DISMISSAL.search(nxt)
        )
        for s, e, who in found:
            out.append(Voice(s, e, who, "rejected" if rejected else "reported"))
    return tuple(_merge(out))


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Sentence offsets, an excerpt gap ("…") and a paragraph break counting as boundaries.

    Example::

        >>> t = "One. … Two is here. Three\\n\\nFour"
        >>> [t[a:b] for a, b in sentence_spans(t)]
        ['One.', 'Two is here.', 'Three', 'Four']
    """
    spans = []
    for m in re.finditer(r"[^\n…]+", text):
        start = m.start()
        for s in re.finditer(r".+?(?:[.!?][\"'”’)\]]*(?=\s+[\"'“‘(\[]?[A-Z0-9])|$)", m.group(0)):
            seg = s.group(0)
            if seg.strip():
                lead = len(seg) - len(seg.lstrip())
                trail = len(seg) - len(seg.rstrip())
                spans.append((start + s.start() + lead, start + s.end() - trail))
    return [(a, b) for a, b in spans if text[a:b].strip(" .")]


def _epigraphs(text: str) -> list[Voice]:
    """An opening quotation followed by a short attribution line, and a leading bare attribution
    line (the tail of an epigraph cut off by the excerpt)."""
    out = []
    t = text.rstrip()
    if t[:1] in _OPEN:
        end = max(t.rfind(c) for c in _CLOSE)
        tail = t[end + 1 :].strip() if end > 0 else ""
        if tail and _attribution_line(tail):
            out.append(Voice(0, len(t), tail.rstrip(" ."), "epigraph"))
    first, sep, _rest = text.partition("\n")
    if sep and first.strip() and _attribution_line(first.strip()) and first[:1] not in _OPEN:
        out.append(Voice(0, len(first), first.strip(), "epigraph"))
    for m in re.finditer(r"[^\n]+", text):
        # A paragraph cut by the excerpt that ends with a quotation and its attribution line.
        close = max(m.group(0).rfind(c) for c in _CLOSE)
        tail = m.group(0)[close + 1 :].strip() if close > 0 else ""
        if tail and _attribution_line(tail, strict=True) and not out:
            out.append(Voice(m.start(), m.end(), tail.rstrip(" ."), "epigraph"))
    return out


def _attribution_line(line: str, strict: bool = False) -> bool:
    """A short line naming a source ("Moishe Lewin", "Czarist Police Description of Stalin, May
    1, 1904"); ``strict``: every word capitalised, a number or a particle."""
    words = line.split()
    caps = [
        w[0].isupper() or w[0].isdigit() or w in {"of", "the", "and", "de", "von"} for w in words
    ]
    return (
        0 < len(words) <= 10
        and line[0].isupper()
        and not line.rstrip().endswith((".", "!", "?", ":"))
        and (all(caps) if strict else sum(caps) * 2 >= len(words))
    )


def _sentence_voices(text: str, a: int, b: int, author: str) -> list[tuple[int, int, str]]:
    """(start, end, holder) of the reported views opened in the sentence ``text[a:b]``."""
    sent = text[a:b]
    out: list[tuple[int, int, str]] = []
    for m in _VIEW_RE.finditer(sent):
        found = holder(text, a, a + m.start(), m.group(0), author)
        if found is not None:
            who, h_at = found
            out.append((*_extent(text, a, b, h_at, a + m.end()), who))
    for m in _IMPERSONAL_RE.finditer(sent):
        out.append((a + m.start(), b, (m.group("by") or "it").strip()))
    for m in _ALLEGED_RE.finditer(sent):
        out.append((_clause_start(sent, m.start()) + a, _clause_end(sent, m.end()) + a, "alleged"))
    for m in _ACCORDING_RE.finditer(sent):
        x = m.group("x").strip()
        if not is_author_name(x, author):
            out.append((a + m.start(), b, x))
    out += _noun_views(text, a, b, author) + _dismissed(sent, a)
    for m in _CONCEPTION_RE.finditer(sent):
        out.append((a + m.start(), b, "it"))
    if _COMMONLY_RE.search(sent) or _OFTEN_RE.match(sent):
        out.append((a, b, "it"))  # "these responses are often seen as ...": a common view
    m = _FOR_X_RE.match(sent)
    if m and (x := clean_name(m.group("x"))) and not is_author_name(x, author):
        out.append((a, b, x))  # "For Ustrialov and his fellows, the NEP was ..."
    for m in _IN_VIEW_RE.finditer(sent):
        x = clean_name(m.group("x"))
        if x and not is_author_name(x, author):
            out.append((a + m.start(), b, x))
    return out


def _noun_views(text: str, a: int, b: int, author: str) -> list[tuple[int, int, str]]:
    """Views named by a noun: "the second theory: ...", "Trotsky's interpretation of ... is
    dubious", "in his thesis that ...", "In Deutscher's version, ..."."""
    sent = text[a:b]
    out = []
    cue = DISMISSAL.search(sent)
    for m in _NOUN_VIEW_RE.finditer(sent):
        owner = m.group("own") or clean_name(m.group("own2") or "")
        if (owner and owner.lower() in OWN) or (owner and is_author_name(owner, author)):
            continue
        who = owner or m.group("noun").lower()
        if owner and owner.lower() in {"his", "her"}:
            who = "he"
        tail = m.group("tail").strip()
        if tail == "," and not owner:
            continue
        if tail == "of":
            if not cue or cue.start() < m.end():
                continue
            end = cue.start() if cue else len(sent)
            out.append((a + m.start(), a + end, who))
        else:
            out.append((a + m.start(), b, who))
    return out


def _dismissed(sent: str, a: int) -> list[tuple[int, int, str]]:
    """Views the sentence itself dismisses: "it is wholly unbelievable that C" (C), and "C is
    another matter / a myth / dubious" (the subject C, up to the copula).

    Example::

        >>> s = "Yet, to understand this as a panic is another matter."
        >>> [s[x:y] for x, y, _h in _dismissed(s, 0)]
        ['to understand this as a panic']
    """
    out = []
    for m in DISMISSAL.finditer(sent):
        before, after = sent[: m.start()], sent[m.end() :]
        that = re.match(r"\s+that\s+", after)
        if re.search(
            r"\b(?:it|this)\s+(?:is|was|seems|would\s+be)\s+(?:\w+\s+){0,2}$", before, re.I
        ):
            if that:
                out.append((a + m.end() + that.end(), a + len(sent), "it"))
            continue
        cop = re.search(r"\s(?:is|was|are|were)\s+(?:\w+\s+){0,3}$", before)
        if cop:
            start = max(before.rfind(c, 0, cop.start()) for c in ";:") + 1
            lead = re.match(
                r"\s*(?:(?:yet|but|and|so|thus|however)\b\s*,?\s*)?", before[start:], re.I
            )
            start += lead.end() if lead else 0
            if cop.start() > start:
                out.append((a + start, a + cop.start(), "it"))
    return out


def _extent(text: str, a: int, b: int, h_at: int, ve: int) -> tuple[int, int]:
    """The span a view verb opens: normally from its holder to the sentence end; the whole
    sentence after an opening phrase ("Citing ..., Deutscher states") or for a trailing
    attribution ("C, Gerschenkron asserts, and ..."); for a parenthetical "as X tells us,
    "..."," only the adjacent quotation (the rest of the sentence is the author's)."""
    before = text[a:h_at]
    if re.search(r"\bas\s*$", before):
        rest = text[ve:b]
        m = re.match(r"(?:\s+(?:us|me|them|him))?\s*[,:]?\s*([\"“'‘])", rest)
        if m:
            close = {"“": "”", "‘": "’"}.get(m.group(1), m.group(1))
            end = rest.find(close, m.end())
            return h_at - 3, ve + (end + 1 if end >= 0 else len(rest))
        return h_at - 3, ve + _clause_end(rest, 0)
    if before.rstrip().endswith(","):
        cut = max(before.rfind(";"), before.rfind(":"))
        return (a + cut + 1 if cut >= 0 else a), b
    return h_at, b


def _clause_start(sent: str, at: int) -> int:
    cut = max(sent.rfind(c, 0, at) for c in ",;:")
    return cut + 1 if cut >= 0 else 0


def _clause_end(sent: str, at: int) -> int:
    ends = [i for i in (sent.find(c, at) for c in ",;:") if i >= 0]
    return min(ends) if ends else len(sent)


def _merge(vs: list[Voice]) -> list[Voice]:
    """Spans in order, without those inside an earlier (longer) one."""
    out: list[Voice] = []
    for v in sorted(vs, key=lambda v: (v.start, -v.end)):
        if not any(o.start <= v.start and v.end <= o.end for o in out):
            out.append(v)
    return out


def mask(text: str, spans: list[tuple[int, int]]) -> str:
    """``text`` with the non-space characters inside ``spans`` replaced by ``#``.

    Example::

        >>> mask("ab cd ef", [(3, 5)])
        'ab ## ef'
    """
    chars = list(text)
    for s, e in spans:
        for i in range(max(0, s), min(len(chars), e)):
            if not chars[i].isspace():
                chars[i] = "#"
    return "".join(chars)


def voice_words(text: str) -> set[str]:
    """Lower-cased words of ``text`` (to see whether a sentence names a holder).

    Example::

        >>> sorted(voice_words("Left oppositionists said it."))
        ['it', 'left', 'oppositionists', 'said']
    """
    return {w.lower() for w in _WORD.findall(normalize_text(text))}
