"""The short answer: the few words of the answering sentence that hold the asked-for fact.

Only copied text, never composed: a number with its approximator and the noun it counts
("about twenty million Soviet citizens"), a date, or a name. For a question that asks for no
such fact there is no short answer; the answering sentence itself leads.
"""

from __future__ import annotations

import re

from corpus.quotes import NOT_NAMES
from rag.text.answer_types import AnswerType, asks_for_share, numbers_in
from rag.text.lexicon import STOPWORDS
from rag.text.names import proper_name_stems
from rag.text.tokens import content_words

_APPROX = r"(?:(?:about|around|roughly|some|nearly|almost|over|more than|less than|fewer than|at least|up to|approximately|perhaps|only|just)\s+)?"
_NUMBER_WORD = (
    r"(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|"
    r"fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|"
    r"eighty|ninety|hundred|hundreds|thousand|thousands|million|millions|billion|half|"
    r"one-third|two-thirds|one-half|one-quarter|three-quarters|third|thirds|quarter|dozen)(?![\w-])"
)
_NUMBER = rf"(?:\d[\d,.]*(?:\s*(?:%|percent|per cent))?|{_NUMBER_WORD}(?:[\s-]+(?:and\s+)?{_NUMBER_WORD})*(?:\s+(?:percent|per cent))?)"
_NUMBER_PHRASE = re.compile(
    rf"\b{_APPROX}{_NUMBER}(?:\s+(?:of\s+)?(?:the\s+)?[A-Za-z][\w-]*){{0,3}}", re.I
)
_YEAR = re.compile(r"(?<!\d)(1[6-9]\d\d|20\d\d)(?!\d)")
_SHARE_WORDS = re.compile(r"%|percent|per cent|half|third|quarter|fifth|tenth", re.I)
_DATE = re.compile(
    r"\b(?:(?:early|late|mid-|the end of|the summer of|the autumn of|the spring of|the winter of)\s*)?"
    r"(?:(?:January|February|March|April|May|June|July|August|September|October|November|"
    r"December)\s+(?:\d{1,2},?\s+)?)?(?:1[6-9]\d\d|20\d\d)(?:'?s)?\b"
)
# Words that open sentences and are not names (capitalised only because they come first).
_OPENER_WORDS = (
    "meanwhile however thus hence therefore moreover furthermore indeed still yet instead "
    "nevertheless nonetheless also then later earlier finally first second third here there now "
    "today elsewhere accordingly consequently similarly likewise again perhaps certainly clearly "
    "in on at for from as by with without after before during since until when while where "
    "although though because if unless what which who whose why how this that these those such "
    "it its they their he his she her we our one some many most all both each every no none "
    "between among under over against toward towards about above below"
)
_OPENERS = frozenset(_OPENER_WORDS.split())
_STOP_AT = re.compile(
    r"[,;:.()\[\]—–]|\b(?:were|was|is|are|had|have|has|who|which|that|and|or|but)\b", re.I
)


def _trim(phrase: str) -> str:
    """Cut a phrase at the first clause break; drop trailing function words."""
    m = _STOP_AT.search(phrase, 1)
    if m:
        phrase = phrase[: m.start()]
    words = phrase.split()
    while words and words[-1].lower() in STOPWORDS:
        words.pop()
    return " ".join(words)


def short_answer(question: str, sentence: str, kind: AnswerType) -> str | None:
    """The span of ``sentence`` that answers a question of ``kind``, copied verbatim; None when
    the sentence holds no such fact that the question lacks.

    Example::

        >>> q = "Roughly how many Soviet citizens died by the end of the 1930s?"
        >>> short_answer(q, "Between 1929 and 1939 about twenty million Soviet citizens were killed.", AnswerType.NUMBER)
        'about twenty million Soviet citizens'
        >>> short_answer("When was Kirov killed?", "Kirov was murdered in December 1934.", AnswerType.DATE)
        'December 1934'
        >>> short_answer("What share was shot?", "Of 139 members, 98 persons, i.e., 70 percent, were shot.",
        ...              AnswerType.NUMBER)
        '70 percent'
        >>> short_answer("Who said so?", "As Bukharin put it, all was lost.", AnswerType.NAME)
        'Bukharin'
        >>> short_answer("Who admitted it?", "Trotsky said: 'We plundered all Russia.'", AnswerType.NAME)
        'Trotsky'
        >>> short_answer("Who quoted it?", "Whence their saying, quoted by Lenin once.", AnswerType.NAME)
        'Lenin'
        >>> short_answer("Who?", "Meanwhile it ran into a crisis, wrote Trotsky.", AnswerType.NAME)
        'Trotsky'
        >>> short_answer("Why?", "Because.", AnswerType.OTHER) is None
        True
    """
    if kind == AnswerType.NUMBER:
        asked = numbers_in(question)
        found_spans = []
        for m in _NUMBER_PHRASE.finditer(_YEAR.sub(lambda y: "#" * len(y.group()), sentence)):
            found = numbers_in(m.group())
            if found and not found <= asked:
                span = _trim(sentence[m.start() : m.end()])
                if span:
                    found_spans.append(span)
        if asks_for_share(question):
            # "What share...?" is answered by the percentage or fraction, not a head count.
            shares = [x for x in found_spans if _SHARE_WORDS.search(x)]
            found_spans = shares or found_spans
        return found_spans[0] if found_spans else None
    if kind == AnswerType.DATE:
        asked = set(_YEAR.findall(question))
        for m in _DATE.finditer(sentence):
            if not set(_YEAR.findall(m.group())) <= asked:
                return m.group().strip()
        return None
    if kind == AnswerType.NAME:
        asked = proper_name_stems("x " + question) | set(content_words(question))
        run: list[str] = []
        best: list[str] = []
        words = re.findall(r"[\w'’.-]+|[^\w\s]", sentence)
        for i, w in enumerate(words):
            bare = re.sub(r"['’]s$", "", w).strip("'’.,")
            # A capitalised opener may be an ordinary word ("Meanwhile", "Thus"), not a name.
            low = bare.lower()
            opener = i == 0 and (low in _OPENERS or low in STOPWORDS or low.endswith(("ly", "ing")))
            is_name = bare[:1].isupper() and bare.lower() not in STOPWORDS and len(bare) > 1
            # Capitalised words that name no person ("Whence", "Party", "Soviet"): one list.
            is_name = is_name and not opener and bare not in NOT_NAMES
            if is_name or (run and bare in {"de", "von", "van"}):
                run.append(bare)
                continue
            if run and not (set(content_words(" ".join(run))) <= asked) and not best:
                best = run
            run = []
        if run and not best and not set(content_words(" ".join(run))) <= asked:
            best = run
        return " ".join(best) or None
    return None
