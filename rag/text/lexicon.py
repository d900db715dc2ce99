"""Word-level text normalisation shared by evidence selection, verification and abstention.

Pure functions: content words (stop words removed, lightly stemmed), negation cues and numbers.
"""

from __future__ import annotations

import re
import unicodedata

_STOPWORDS = """
    a about above after again against all also although am an and any are aren't as at be because
    been before being below between both but by can could did do does doing down during each either
    few for from further had has have having here how however i if in into is it its itself just
    least less more most much must my neither nor of off on once one only or other our out over own
    per rather same shall should so some such than that the their theirs them themselves then there
    these they this those though through thus to too under until up upon very was we were what when
    where whether which while who whom whose why will with within without would yet you your he him
    his she her hers also even ever still may might many made make makes making become became like
    well another among whose whereby therefore indeed mr
    """
STOPWORDS = frozenset(_STOPWORDS.split())

# Verbs that report a view rather than carry content: "Trotsky argues that..." must not need
# "argues" to appear in the excerpt. Nouns ("view", "claim", "author") still count: a sentence
# about "the author's claim" says more than the excerpt does.
_REPORTING = """
    according argue argued argues arguing say says said saying write writes wrote written
    writing notes noted noting claims claimed states stated suggest suggests suggested think
    thinks thought believe believes believed maintains maintained contends contended points
    pointed observe observes observed remarks remarked describes described explains explained
    mentions mentioned emphasizes emphasized stresses stressed insists insisted quote quotes
    quoted quoting cite cites cited citing
    """
REPORTING = frozenset(_REPORTING.split())

_NEGATIONS = """
    not no never none nothing neither nor cannot can't won't didn't doesn't don't isn't wasn't
    weren't aren't hasn't haven't hadn't shouldn't wouldn't couldn't without deny denies denied
    denying reject rejects rejected rejecting refute refutes refuted dismiss dismisses dismissed
    false untrue
    """
NEGATIONS = frozenset(_NEGATIONS.split())

_WORD = re.compile(r"[A-Za-zÀ-ÿ]+(?:['’][A-Za-z]+)?|\d+(?:[.,]\d+)*")
_NUMBER = re.compile(r"\b\d+(?:[.,]\d+)*\b")
_NUMBER_WORDS = {
    "two": "2",
    "three": "3",
    "four": "4",
    "five": "5",
    "six": "6",
    "seven": "7",
    "eight": "8",
    "nine": "9",
    "ten": "10",
    "eleven": "11",
    "twelve": "12",
    "thirteen": "13",
    "fifteen": "15",
    "twenty": "20",
    "thirty": "30",
    "fifty": "50",
    "hundred": "100",
    "thousand": "1000",
    "million": "1000000",
}


def fold(text: str) -> str:
    """Lower-case, accents removed, curly quotes and dashes made plain.

    Example::

        >>> fold("Trotsky’s “Thermidor” — Café")
        'trotsky\\'s "thermidor" - cafe'
    """
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    table = str.maketrans(
        {"’": "'", "‘": "'", "“": '"', "”": '"', "—": "-", "–": "-", "«": '"', "»": '"'}
    )
    return text.translate(table).lower()


def stem(word: str) -> str:
    """A light suffix-stripping stem so "purges", "purged" and "purge" meet.

    Example::

        >>> [stem(w) for w in ["purges", "purged", "purge", "denied", "killing", "class", "planned"]]
        ['purg', 'purg', 'purg', 'deny', 'kill', 'class', 'plan']
    """
    w = word.lower().replace("’", "'")
    if w.endswith("'s"):
        w = w[:-2]
    w = w.strip("'")
    if len(w) <= 3:
        return w
    if w.endswith("ied") or w.endswith("ies"):
        return w[:-3] + "y"
    for suffix in ("ing", "ed"):
        if w.endswith(suffix) and len(w) - len(suffix) >= 3:
            w = w[: -len(suffix)]
            # "planned" -> "plan", but "killed" -> "kill".
            if len(w) > 3 and w[-1] == w[-2] and w[-1] not in "lsz" and w[-1].isalpha():
                w = w[:-1]
            break
    else:
        if w.endswith("s") and not w.endswith("ss") and len(w) > 3:
            w = w[:-1]
    if w.endswith("e") and len(w) > 3:
        w = w[:-1]
    return w


def tokens(text: str) -> list[str]:
    """Words and numbers of ``text``, folded.

    Example::

        >>> tokens("In 1937, 70% of Trotsky’s allies died.")
        ['in', '1937', '70', 'of', "trotsky's", 'allies', 'died']
    """
    return _WORD.findall(fold(text))


def content_words(text: str, extra_stop: frozenset[str] = frozenset()) -> list[str]:
    """Stems of the words that carry content (no stop words, no reporting verbs).

    Example::

        >>> content_words("Trotsky argues that the bureaucracy was not inevitable.")
        ['trotsky', 'bureaucracy', 'not', 'inevitabl']
    """
    out = []
    for t in tokens(text):
        base = t[:-2] if t.endswith("'s") else t
        if base in STOPWORDS or base in REPORTING or base in extra_stop:
            continue
        if len(base) < 2 and not base.isdigit():
            continue
        out.append(stem(base))
    return out


def negation_count(text: str) -> int:
    """How many negation cues ``text`` holds ("not", "never", "denied", "n't"...).

    Example::

        >>> negation_count("He did not deny it; he never would.")
        3
    """
    return sum(1 for t in tokens(text) if t in NEGATIONS or t.endswith("n't"))


def numbers(text: str) -> set[str]:
    """Numbers in ``text`` (digits, and small number words), normalised without separators.

    Example::

        >>> sorted(numbers("Thirteen of 15 generals; 780,000 killed"))
        ['13', '15', '780000']
    """
    found = {m.group(0).replace(",", "") for m in _NUMBER.finditer(text)}
    found |= {_NUMBER_WORDS[t] for t in tokens(text) if t in _NUMBER_WORDS}
    return found


def normalise_for_match(text: str) -> str:
    """Text reduced to folded words separated by single spaces, for verbatim-quote checks.

    Example::

        >>> normalise_for_match("“The  KGB figure — is self-serving.”")
        'the kgb figure is self serving'
    """
    return " ".join(re.findall(r"[a-z0-9]+", fold(text)))
