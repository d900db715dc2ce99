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
from rag.text.names import AuthorNames, detect_authors, find_authors, surname


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

    Control characters (NUL included) are removed, whitespace collapsed; an empty question or
    one longer than ``settings.max_question_chars`` is refused with a message saying why.

    Example::

        >>> clean_question("  Who was\\x00 Kirov?\\n ")
        'Who was Kirov?'
    """
    s = get_settings(settings)
    if text is None:
        text = ""
    text = unicodedata.normalize("NFC", str(text))
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


_PRONOUNS = {
    "he": "{name}",
    "him": "{name}",
    "his": "{name}'s",
    "she": "{name}",
    "her": "{name}'s",
    "hers": "{name}'s",
    "they": "{name}",
    "them": "{name}",
    "their": "{name}'s",
}
_PRONOUN_RE = re.compile(r"\b(he|him|his|she|her|hers|they|them|their)\b", re.I)
_TOPIC_REF = re.compile(
    r"\b(that|this|the same) (argument|view|claim|idea|point|thesis|explanation|account|position)\b",
    re.I,
)
_WHAT_ABOUT = re.compile(r"^\s*(?:and\s+)?(?:what|how)\s+about\s+(.+?)\s*\??\s*$", re.I)


def _join_names(names: Sequence[str]) -> str:
    short = [surname(n) for n in names]
    if len(short) <= 1:
        return "".join(short)
    return ", ".join(short[:-1]) + " and " + short[-1]


_LEAD = (
    "what why how who which when where does did do is was were according to think thinks thought "
    "say says said write writes wrote argue argues argued explain explains believe believes "
    "view views account of in"
)
_LEAD_WORDS = frozenset(_LEAD.split())


def _topic(question: str, authors: AuthorNames) -> str:
    """The previous question minus its question words, author names and reporting verbs.

    Example::

        >>> _topic("Why did Ticktin think the purges happened?", [("Hillel H. Ticktin", ["Ticktin"])])
        'the purges happened'
    """
    text = question.strip().rstrip(" ?.!")
    for name, aliases in authors:
        for alias in sorted({name, *aliases}, key=len, reverse=True):
            text = re.sub(
                r"(?<![\w])" + re.escape(alias) + r"(?:'s|’s)?(?![\w])", " ", text, flags=re.I
            )
    words = text.split()
    while words and words[0].lower().strip(",") in _LEAD_WORDS:
        words.pop(0)
    return " ".join(words) or question.strip().rstrip(" ?")


def resolve_followup(text: str, history: Sequence[str], authors: AuthorNames) -> tuple[str, bool]:
    """Rewrite a follow-up into a standalone question using the previous (standalone) question.

    Rules: "what about X?" re-asks the previous question with X's name in place of the previous
    author(s) (or about topic X for the same author); pronouns (he, his, they...) become the
    previous author(s) when the question names none; "that argument", "this view"... get the
    previous author and topic. Returns ``(standalone, was_rewritten)``.

    Example::

        >>> names = [("Leon Trotsky", ["Trotsky"]), ("Robert C. Tucker", ["Tucker"])]
        >>> resolve_followup("What about Tucker?", ["Why did Trotsky think Stalin won?"], names)
        ('Why did Tucker think Stalin won?', True)
        >>> resolve_followup("Why did he oppose it?", ["What did Trotsky write about Kirov?"], names)
        ('Why did Trotsky oppose it?', True)
    """
    if not history:
        return text, False
    previous = history[-1]
    prev_authors = find_authors(previous, authors)
    named = find_authors(text, authors)

    m = _WHAT_ABOUT.match(text)
    if m:
        target = m.group(1)
        target_authors = find_authors(target, authors)
        if target_authors and prev_authors:
            rewritten = previous
            # Replace every alias of the previous author(s) by the new author's surname.
            new = _join_names(target_authors)
            for name, aliases in authors:
                if name not in prev_authors:
                    continue
                for alias in sorted({name, *aliases}, key=len, reverse=True):
                    rewritten = re.sub(
                        r"(?<![\w])" + re.escape(alias) + r"(?![\w])", new, rewritten, flags=re.I
                    )
            # Several previous authors collapse into repeated names; keep the first.
            rewritten = re.sub(rf"\b({re.escape(new)})(?:,? and \1)+\b", r"\1", rewritten)
            return rewritten, True
        if target_authors:
            return f"{text.rstrip(' ?')}: {_topic(previous, authors)}?", True
        if prev_authors:
            return f"What does {_join_names(prev_authors)} say about {target.rstrip(' ?')}?", True
        return f"{_topic(previous, authors)}: what about {target.rstrip(' ?')}?", True

    rewritten = text
    changed = False
    if not named and prev_authors:
        who = _join_names(prev_authors)
        if _TOPIC_REF.search(rewritten):
            rewritten = _TOPIC_REF.sub(
                f"{who}'s argument (on: {_topic(previous, authors)})", rewritten, count=1
            )
            changed = True

        plural_ok = len(prev_authors) > 1
        for match in _PRONOUN_RE.finditer(rewritten):
            word = match.group(1).lower()
            if (word in {"they", "them", "their"}) != plural_ok:
                # "they" after a one-author turn more likely means the Bolsheviks than the author.
                continue
            # Only the first reference: later ones may well be about someone else.
            repl = _PRONOUNS[word].format(name=who)
            rewritten = rewritten[: match.start()] + repl + rewritten[match.end() :]
            changed = True
            break
    elif not named and _TOPIC_REF.search(text):
        rewritten = _TOPIC_REF.sub(f"the argument (on: {_topic(previous, authors)})", text, count=1)
        changed = True
    return rewritten, changed


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
