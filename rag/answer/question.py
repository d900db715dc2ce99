"""Question understanding: validate the input, find named authors, spot comparisons, resolve follow-ups.

All rule-based and pure (the catalog of authors is passed in or read from the settings), so a
question never costs a model call before it is known to be answerable input.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from corpus.errors import InputError
from corpus.settings import Settings, get_settings
from rag.answer.followup import resolve_followup
from rag.text.names import detect_authors
from rag.text.unicode import utf8_safe


@dataclass(frozen=True)
class Question:
    """A question as the pipeline understands it.

    ``standalone`` is ``text`` with follow-up references resolved against the previous turn;
    ``authors`` are full names of corpus authors named in ``standalone`` (in order of mention).
    """

    text: str
    standalone: str
    authors: tuple[str, ...] = ()
    works: tuple[str, ...] = ()
    is_comparison: bool = False
    is_followup: bool = False


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_question(text: str | None, settings: Settings | None = None) -> str:
    """Normalise a question or refuse it with :class:`InputError` (no model is ever called).

    Lone surrogates become U+FFFD, control characters (NUL included) are removed, whitespace
    collapsed; an empty question or one longer than ``settings.max_question_chars`` is refused
    with a message saying why.

    Example::

        >>> clean_question("  Who was\\x00 Kirov?\\n ")
        'Who was Kirov?'
    """
    s = get_settings(settings)
    text = unicodedata.normalize("NFC", utf8_safe(text))
    text = _CONTROL.sub("", text)
    text = " ".join(text.split())
    if not text:
        raise InputError("the question is empty; type a question about the essays")
    if len(text) > s.max_question_chars:
        raise InputError(
            f"the question is {len(text)} characters long; the limit is {s.max_question_chars} "
            "(max_question_chars): shorten it"
        )
    return text


_COMPARE_WORDS = re.compile(
    r"\b(differ\w*|difference\w*|compar\w*|contrast\w*|agree\w*|disagree\w*|versus|vs\.?|"
    r"similar\w*|both|each)\b",
    re.I,
)


def is_comparison(text: str, authors: Sequence[str]) -> bool:
    """Whether a question compares authors: two or more named, or a comparison word and none named
    ("how do the essays differ on...").

    Example::

        >>> is_comparison("How do Ticktin and Tucker differ on NEP?", ["Hillel H. Ticktin", "Robert C. Tucker"])
        True
        >>> is_comparison("What did Trotsky say about Kirov?", ["Leon Trotsky"])
        False
    """
    if len(set(authors)) >= 2:
        return True
    return not authors and bool(_COMPARE_WORDS.search(text))


def catalog_works(settings: Settings | None = None) -> tuple:
    """The corpus catalog's works (empty if the catalog cannot be read)."""
    from corpus.catalog import load_catalog
    from corpus.errors import CatalogError

    try:
        return load_catalog(settings, verify=False).works
    except CatalogError:
        return ()


def names_of(works: Sequence) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """``(author, aliases)`` pairs of the authors of ``works`` (catalog order, no repeats)."""
    out: dict[str, tuple[str, ...]] = {}
    for w in works:
        out.setdefault(w.author, tuple(getattr(w, "aliases", ()) or ()))
    return tuple(out.items())


def understand(
    text: str,
    history: Sequence[str] = (),
    settings: Settings | None = None,
    *,
    works: Sequence | None = None,
) -> Question:
    """Validate ``text`` and build the :class:`Question` (``history`` = earlier standalone questions).

    ``works`` are catalog works (``work_id``, ``author``, ``title``, ``year``, ``aliases``); by
    default the corpus catalog's. Authors named only as editors do not count.

    Example::

        >>> from types import SimpleNamespace as W
        >>> ws = [W(work_id="t", author="Leon Trotsky", title="Thermidor", year=1936, aliases=("Trotsky",)),
        ...       W(work_id="k", author="Hillel H. Ticktin", title="Purges", year=None, aliases=("Ticktin",))]
        >>> q = understand("Contrast Trotsky and Ticktin on the terror", works=ws)
        >>> q.authors, q.is_comparison
        (('Leon Trotsky', 'Hillel H. Ticktin'), True)
    """
    s = get_settings(settings)
    works = catalog_works(s) if works is None else works
    names = names_of(works)
    text = clean_question(text, s)
    standalone, followup = resolve_followup(text, list(history), names)
    detection = detect_authors(standalone, works)
    return Question(
        text=text,
        standalone=standalone,
        authors=tuple(detection.authors),
        works=tuple(detection.works),
        is_comparison=is_comparison(standalone, detection.authors),
        is_followup=followup,
    )


def history_questions(history) -> list[str]:
    """Earlier standalone questions from ``(question, Answer)`` pairs, strings or chat dicts.

    Example::

        >>> history_questions(["Who was Kirov?", {"role": "user", "content": "Why?"}, " "])
        ['Who was Kirov?', 'Why?']
    """
    out: list[str] = []
    for turn in history or ():
        if isinstance(turn, str):
            out.append(turn)
        elif isinstance(turn, dict):
            if turn.get("role") == "user" and isinstance(turn.get("content"), str):
                out.append(turn["content"])
        elif isinstance(turn, (tuple, list)) and turn:
            standalone = getattr(turn[1], "standalone_question", "") if len(turn) > 1 else ""
            if standalone:
                out.append(standalone)
            elif isinstance(turn[0], str):
                out.append(turn[0])
    return [q for q in out if q.strip()]
