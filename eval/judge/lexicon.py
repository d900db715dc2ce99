"""The judge's own text primitives: normalisation, tokens, stems, sentences, word lists.

The judge keeps these apart from the runtime stack's lexicon (``rag/text``) on purpose: a change
to how the answer stage tokenises or stems must not silently change how its answers are graded.
Nothing here imports from ``rag``.
"""

from __future__ import annotations

import re
import unicodedata


def word_set(text: str) -> frozenset[str]:
    """The words of a space-separated list.

    Example::

        >>> sorted(word_set("nor not  no"))
        ['no', 'nor', 'not']
    """
    return frozenset(text.split())


STOPWORDS = word_set(
    "a about above after again against all also am an and any are as at be because been before "
    "being below between both but by can could did do does doing down during each either else "
    "even ever every few for from further had has have having he her here hers herself him "
    "himself his how i if in into is it its itself just may me might more most must my myself "
    "now of off on once only or other our ours ourselves out over own same shall she should so "
    "some such than that the their theirs them themselves then there these they this those "
    "through thus to too under until up upon us very was we were what when where which while "
    "who whom whose why will with would you your yours yourself i.e e.g etc indeed already "
    "still yet often much many well one s t another whether whereas however therefore hence "
    "namely rather quite"
)
# Frame words: they say who holds a view, not what the view is.
FRAME_WORDS = word_set(
    "according view views essay essays article chapter account author writer argue argues "
    "argued arguing say says said saying write writes wrote written claim claims claimed hold "
    "holds held believe believes believed think thinks thought contend contends contended "
    "maintain maintains maintained insist insists insisted conclude concludes concluded suggest "
    "suggests suggested assert asserts asserted state states stated stress stresses stressed "
    "note notes noted report reports reported mention mentions mentioned cite cites cited quote "
    "quotes quoted observe observes observed remark remarks remarked describe describes "
    "described explain explains explained call calls called calling see sees saw treat treats treated "
    "find finds found consider considers considered regard regards regarded estimate estimates "
    "estimated predict predicts predicted point points tell tells told record records recorded "
    "relate relates related recount recounts recounted agree agrees agreed"
)
# Irregular past forms, so that "took" finds "take" and "saw" finds "see".
_IRREGULAR = {
    "took": "take",
    "taken": "take",
    "saw": "see",
    "seen": "see",
    "gave": "give",
    "given": "give",
    "made": "make",
    "held": "hold",
    "led": "lead",
    "fell": "fall",
    "fallen": "fall",
    "rose": "rise",
    "risen": "rise",
    "grew": "grow",
    "grown": "grow",
    "began": "begin",
    "begun": "begin",
    "drove": "drive",
    "driven": "drive",
    "wrote": "write",
    "written": "write",
    "told": "tell",
    "brought": "bring",
    "sent": "send",
    "won": "win",
    "lost": "lose",
    "shot": "shoot",
    "fought": "fight",
    "built": "build",
    "kept": "keep",
    "met": "meet",
    "paid": "pay",
    "ran": "run",
    "sold": "sell",
    "stood": "stand",
    "thought": "think",
    "chose": "choose",
    "chosen": "choose",
    "knew": "know",
    "known": "know",
    "spoke": "speak",
    "spoken": "speak",
    "broke": "break",
    "broken": "break",
}

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
_SENT_END = re.compile(r"(?<=[.!?])[\"')\]]*\s+(?=[\"'(\[]?[A-Z0-9])")
_QUOTED = re.compile(r'"([^"]{2,}?)"|(?:(?<=\s)|(?<=^)|(?<=:))\'([^\']{2,}?)\'(?=[\s.,;:!?)]|$)')
_SUFFIXES = (
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
)


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
        >>> stem("took") == stem("take")
        True
    """
    w = word.lower()
    if w in _IRREGULAR:
        return stem(_IRREGULAR[w])
    if len(w) <= 3 or not w.isalpha():
        return w
    for suffix, repl in _SUFFIXES:
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


def quoted_strings(text: str) -> list[str]:
    """Strings in double (or paired single) quotation marks.

    Example::

        >>> quoted_strings("He said: 'We plundered all Russia' and called it “second serfdom”.")
        ['We plundered all Russia', 'second serfdom']
    """
    t = normalize_text(text)
    return [(m.group(1) or m.group(2)).strip() for m in _QUOTED.finditer(t)]


def one_edit(a: str, b: str) -> bool:
    """Whether ``a`` becomes ``b`` by one inserted, deleted or changed letter (possessive aside).

    Example::

        >>> one_edit("khrushchev's", "krushchev"), one_edit("stalin", "lenin")
        (True, False)
    """
    a, b = re.sub(r"'s?$", "", a), re.sub(r"'s?$", "", b)
    if a == b or abs(len(a) - len(b)) > 1:
        return a == b
    i = 0
    while i < min(len(a), len(b)) and a[i] == b[i]:
        i += 1
    return a[i + 1 :] == b[i + 1 :] or a[i + 1 :] == b[i:] or a[i:] == b[i + 1 :]
