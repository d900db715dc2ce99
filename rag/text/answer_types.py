"""What kind of fact a question asks for, and whether a sentence holds one.

A question asking "how many", "what share" or "roughly how" wants a number; "when" or "which
year" a date; "who", "whose" or "which author" a name. The selector prefers a sentence that
states such a fact *the question does not already contain*: the sentence that echoes the
question's words while the figure sits in the next one is the commonest miss.
"""

from __future__ import annotations

import re
from enum import StrEnum

from rag.text.names import proper_name_stems
from rag.text.tokens import content_words, words


class AnswerType(StrEnum):
    NUMBER = "number"
    DATE = "date"
    NAME = "name"
    OTHER = "other"


_NUMBER_Q = re.compile(
    r"\b(how\s+(many|much|large|big|high|deep|far|long|often|widespread|extensive)|"
    r"what\s+(number|share|proportion|percentage|fraction|figure|figures|percent|part|size|"
    r"scale|toll|count|sum|amount)|roughly\s+how|estimates?\b|toll\b|death\s+toll|figures?\b|"
    r"percent|per\s+cent)",
    re.I,
)
_DATE_Q = re.compile(
    r"\b(when\b|what\s+year|which\s+year|in\s+what\s+year|what\s+date|which\s+decade)", re.I
)
_NAME_Q = re.compile(
    r"^\s*(who|whom|whose)\b|\b(who|whom|whose)\s+(said|wrote|argued|remarked|claimed|called|"
    r"likened|quoted|described|coined|is|was|were|did|had|made|led|compared)\b|"
    r"\bwhich\s+(author|writer|essay|scholar|historian|person|leader|man|men|bolshevik|thinker|"
    r"critic|economist|sociologist|figure|official|politician|commentator|journalist|people|"
    r"paper|newspaper|publication|journal|book|work|article|speech|document|thinkers?|"
    r"participant|associate|oppositionists?|revolutionar(?:y|ies)|party|parties|country|city|"
    r"scholars?|historians?|writers?|leaders?|critics?)\b|"
    r"^\s*where\b|\bin\s+which\s+(publication|paper|book|speech|work|document|city|country)\b|"
    r"\bname\s+(the|of)\b",
    re.I,
)
_NUMBER_WORDS = frozenset(
    [
        "one",
        "two",
        "three",
        "four",
        "five",
        "six",
        "seven",
        "eight",
        "nine",
        "ten",
        "eleven",
        "twelve",
        "thirteen",
        "fourteen",
        "fifteen",
        "sixteen",
        "seventeen",
        "eighteen",
        "nineteen",
        "twenty",
        "thirty",
        "forty",
        "fifty",
        "sixty",
        "seventy",
        "eighty",
        "ninety",
        "hundred",
        "hundreds",
        "thousand",
        "thousands",
        "million",
        "millions",
        "billion",
        "half",
        "third",
        "thirds",
        "quarter",
        "quarters",
        "percent",
        "dozen",
        "dozens",
    ]
)
_DIGITS = re.compile(r"\d")
_YEAR = re.compile(r"(?<!\d)(1[6-9]\d\d|20\d\d)(?!\d)")
_MONTH = re.compile(
    r"\b(January|February|March|April|May|June|July|August|September|October|November|December)\b"
)


def answer_type(question: str) -> AnswerType:
    """The kind of fact ``question`` asks for.

    Example::

        >>> [answer_type(q) for q in ["Roughly how many died?", "When was Kirov shot?",
        ...  "Who likened peasants to Indians?", "Why did the purges happen?"]]
        [<AnswerType.NUMBER: 'number'>, <AnswerType.DATE: 'date'>, <AnswerType.NAME: 'name'>, <AnswerType.OTHER: 'other'>]
    """
    if _DATE_Q.search(question):
        return AnswerType.DATE
    if _NUMBER_Q.search(question):
        return AnswerType.NUMBER
    if _NAME_Q.search(question):
        return AnswerType.NAME
    return AnswerType.OTHER


_AUTHOR_Q = re.compile(
    r"\b(?:which|what)\s+(?:author|writer|essay|essayist|contributor|scholar\s+of\s+these)\b"
    r"(?!['’]s)|\bwhose\s+(?:essay|chapter|article)\b|\bwho\s+wrote\s+(?:it|this|that|the)\b|"
    r"^\s*who\s+(?:argued|argues|claimed|claims|concluded|concludes|likened|likens|traces|traced|"
    r"observes|observed|wrote|writes|holds|held|maintains|maintained|insists|insisted|sees|saw|"
    r"describes|described|calls|called|compares|compared)\b",
    re.I,
)


def asks_for_author(question: str) -> bool:
    """Whether the question asks which of the essays' authors made a claim.

    Example::

        >>> asks_for_author("Which author concludes that the purges were revenge?")
        True
        >>> asks_for_author("Which writer's book glorified the civil war?")
        False
    """
    return bool(_AUTHOR_Q.search(question))


_SHARE_Q = re.compile(r"\b(share|proportion|percentage|fraction|percent|what part)\b", re.I)


def asks_for_share(question: str) -> bool:
    """Whether a number question asks for a share (then a percentage or fraction answers).

    Example::

        >>> asks_for_share("What share of the Central Committee was shot?")
        True
    """
    return bool(_SHARE_Q.search(question))


def numbers_in(text: str) -> set[str]:
    """Numbers a text states, digits or words, years excluded.

    Example::

        >>> sorted(numbers_in("In 1937 about twenty million, i.e. 70 percent, died."))
        ['70', 'percent', 'twenty million']
    """
    plain = _YEAR.sub(" ", text)
    found = {m.group(0) for m in re.finditer(r"\d[\d,.]*\d|\d", plain)}
    run: list[str] = []
    for w in [*words(plain), ""]:
        if w in _NUMBER_WORDS or (run and w in {"and", "a"}):
            run.append(w)
            continue
        while run and run[-1] in {"and", "a"}:
            run.pop()
        if run:
            found.add(" ".join(run))
        run = []
    return found


def has_new_fact(question: str, sentence: str, kind: AnswerType) -> bool:
    """Whether ``sentence`` states a fact of ``kind`` that ``question`` does not already hold.

    Example::

        >>> has_new_fact("How many generals were killed?", "13 of the 15 generals died.", AnswerType.NUMBER)
        True
        >>> has_new_fact("What happened in 1937?", "The purge peaked in 1937.", AnswerType.DATE)
        False
        >>> has_new_fact("Who called it a reservation?", "Gouldner sees a reservation.", AnswerType.NAME)
        True
    """
    if kind == AnswerType.NUMBER:
        return bool(numbers_in(sentence) - numbers_in(question))
    if kind == AnswerType.DATE:
        years = set(_YEAR.findall(sentence)) - set(_YEAR.findall(question))
        return bool(years) or bool(set(_MONTH.findall(sentence)) - set(_MONTH.findall(question)))
    if kind == AnswerType.NAME:
        asked = proper_name_stems(question) | set(content_words(question))
        # A name may open the sentence ("Gouldner sees..."): count its first word too.
        return bool(proper_name_stems("x " + sentence) - asked)
    return False
