"""Tokenisers, one per purpose, all built on :mod:`rag.text.lexicon`.

- :func:`words`: folded surface words and numbers (negation cues, number words, name checks);
- :func:`content_words`: stems of the words that carry a claim's content (evidence relevance,
  verification, abstention): stopwords and reporting verbs dropped, negations kept;
- :func:`search_terms`: stems a search engine indexes (BM25, keyword lookup): stopwords,
  negations and question framing ("according to", "describe") dropped too;
- :func:`numbers`: the numbers a text states; :func:`normalise_for_match`: text reduced to words
  for verbatim-quote checks.
"""

from __future__ import annotations

import re

from rag.text.lexicon import NEGATIONS, QUESTION_FRAMING, REPORTING_VERBS, STOPWORDS, fold, stem

_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?|\d+(?:[.,]\d+)*")
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
_SEARCH_STOP = STOPWORDS | NEGATIONS | QUESTION_FRAMING
_CONTENT_STOP = STOPWORDS | REPORTING_VERBS


def words(text: str) -> list[str]:
    """Words and numbers of ``text``, folded.

    Example::

        >>> words("In 1937, 70% of Trotsky’s allies died.")
        ['in', '1937', '70', 'of', "trotsky's", 'allies', 'died']
    """
    return _WORD.findall(fold(text))


def _stems(text: str, stop: frozenset[str], extra_stop: frozenset[str] = frozenset()) -> list[str]:
    out = []
    for t in words(text):
        base = t[:-2] if t.endswith("'s") else t
        if base in stop or base in extra_stop or (len(base) < 2 and not base.isdigit()):
            continue
        out.append(stem(base))
    return out


def content_words(text: str, extra_stop: frozenset[str] = frozenset()) -> list[str]:
    """Stems of the words that carry content (no stopwords, no reporting verbs; negations kept).

    Example::

        >>> content_words("Trotsky argues that the bureaucracy was not inevitable.")
        ['trotski', 'bureaucraci', 'not', 'inevit']
    """
    return _stems(text, _CONTENT_STOP, extra_stop)


def search_terms(text: str) -> list[str]:
    """The stems a search index holds for ``text`` (also without negations and question framing).

    Example::

        >>> search_terms("According to Trotsky's account, the purges were not planned.")
        ['trotski', 'purg', 'plan']
    """
    return _stems(text, _SEARCH_STOP)


def numbers(text: str) -> set[str]:
    """Numbers in ``text`` (digits, and small number words), normalised without separators.

    Example::

        >>> sorted(numbers("Thirteen of 15 generals; 780,000 killed"))
        ['13', '15', '780000']
    """
    found = {m.group(0).replace(",", "") for m in _NUMBER.finditer(text)}
    found |= {_NUMBER_WORDS[t] for t in words(text) if t in _NUMBER_WORDS}
    return found


def normalise_for_match(text: str) -> str:
    """Text reduced to folded words separated by single spaces, for verbatim-quote checks.

    Example::

        >>> normalise_for_match("“The  KGB figure — is self-serving.”")
        'the kgb figure is self serving'
    """
    return " ".join(re.findall(r"[a-z0-9]+", fold(text)))
