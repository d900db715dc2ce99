"""Author and work filters, checked against the catalog before anything searches.

Every caller that restricts a search (``attest ask``/``attest search``, the chat's filters, the
JSON ``/ask`` endpoint) passes its filters through :func:`validate_filters` first, so a bad filter
is a clear :class:`~corpus.errors.InputError` ("Unknown author 'Nobody'. Known: ...") and never a
failure deep in retrieval. The checks cost O(1) before they cost O(n): a list longer than the
catalog's authors (works) is refused before any element is read, each name is length-checked
before it is looked up, and the result is de-duplicated.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from corpus.errors import InputError

__all__ = ["MAX_NAME_CHARS", "validate_filters"]

MAX_NAME_CHARS = 200  # longer than any author name, alias, work id or title
_SHOWN_CHARS = 60  # at most this much of a refused name is repeated in a message


def _field(work: Any, name: str, default: Any = None) -> Any:
    if isinstance(work, dict):
        return work.get(name, default)
    return getattr(work, name, default)


def _shown(value: str) -> str:
    """A name as it may appear in a message: cut short, non-printable characters replaced."""
    cut = value[:_SHOWN_CHARS]
    safe = "".join(c if c.isprintable() else "?" for c in cut)
    return f"'{safe}…'" if len(value) > _SHOWN_CHARS else f"'{safe}'"


def _as_sequence(values: Any, what: str) -> Sequence[Any]:
    if isinstance(values, str):
        return [values]
    if not isinstance(values, (list, tuple)):
        raise InputError(f"The {what} filter must be a list of names.")
    return values


def _resolve(
    values: Any, what: str, table: dict[str, str], known: Sequence[str], plural: str
) -> list[str]:
    """Canonical names for ``values`` (de-duplicated, in order) or InputError saying why not."""
    items = _as_sequence(values, what)  # not copied: its length is checked first
    listing = ", ".join(known) if known else "(none: the catalog could not be read)"
    if not items:
        raise InputError(f"No {what} is selected: choose at least one {what} to search.")
    if len(items) > len(known):
        raise InputError(
            f"{len(items):,} {plural} were given but the catalog has {len(known)}: "
            f"name each {what} at most once. Known: {listing}."
        )
    out: dict[str, None] = {}
    for value in items:
        if not isinstance(value, str):
            raise InputError(f"Each {what} must be given as text. Known: {listing}.")
        name = value.strip()
        if not name:
            raise InputError(f"An empty {what} name was given. Known: {listing}.")
        if len(name) > MAX_NAME_CHARS:
            article = "An" if what[0] in "aeiou" else "A"
            raise InputError(
                f"{article} {what} name of {len(name):,} characters was given (at most "
                f"{MAX_NAME_CHARS}). Known: {listing}."
            )
        found = table.get(" ".join(name.split()).casefold())
        if found is None:
            raise InputError(f"Unknown {what} {_shown(name)}. Known: {listing}.")
        out[found] = None
    return list(out)


def _author_table(works: Iterable[Any]) -> dict[str, str]:
    """Lower-cased full names, aliases and surnames -> the catalog's full name."""
    table: dict[str, str] = {}
    surnames: dict[str, set[str]] = {}
    for w in works:
        author = str(_field(w, "author", ""))
        if not author:
            continue
        for alias in (author, *(_field(w, "aliases", ()) or ())):
            table.setdefault(" ".join(str(alias).split()).casefold(), author)
        surnames.setdefault(author.split()[-1].casefold(), set()).add(author)
    for surname, authors in surnames.items():
        if len(authors) == 1:  # a surname two authors share names neither
            table.setdefault(surname, next(iter(authors)))
    return table


def _work_table(works: Iterable[Any]) -> dict[str, str]:
    """Lower-cased work ids and titles -> the work id."""
    table: dict[str, str] = {}
    for w in works:
        work_id = str(_field(w, "work_id", ""))
        table.setdefault(work_id.casefold(), work_id)
        title = _field(w, "title", None)
        if title:
            table.setdefault(" ".join(str(title).split()).casefold(), work_id)
    return table


def validate_filters(
    authors: Sequence[str] | None,
    works: Sequence[str] | None,
    catalog_works: Sequence[Any],
) -> tuple[list[str] | None, list[str] | None]:
    """Check ``authors`` and ``works`` against the catalog; return them as catalog names.

    ``None`` means no filter and stays ``None``. Authors may be given by full name, alias or
    surname; works by id or title (any case). The result is de-duplicated, in the order given.
    With both filters, an author none of whose works is among the chosen works (or a work by none
    of the chosen authors) is left out, since it could add no passage; when nothing is left,
    the combination matches no passage and is refused, naming the filter.

    ``catalog_works`` are catalog works (``work_id``, ``author``, ``title``, ``aliases``), as
    objects or dicts. Raises :class:`~corpus.errors.InputError` with a message saying what is wrong
    and what is known: an empty list (nothing selected), more names than the catalog has, an
    empty or over-long name, an unknown name, or a combination with no passages.

    Example::

        >>> from types import SimpleNamespace as W
        >>> cat = [W(work_id="t-thermidor", author="Leon Trotsky", title="The Soviet Thermidor",
        ...          aliases=("Trotsky",)),
        ...        W(work_id="k-purges", author="Hillel H. Ticktin", title="The Purges", aliases=())]
        >>> validate_filters(["trotsky", "Leon Trotsky"], None, cat)
        (['Leon Trotsky'], None)
        >>> validate_filters(None, ["K-PURGES"], cat)
        (None, ['k-purges'])
        >>> validate_filters(["Nobody"], None, cat)
        Traceback (most recent call last):
        ...
        corpus.errors.InputError: Unknown author 'Nobody'. Known: Leon Trotsky, Hillel H. Ticktin.
        >>> validate_filters(["Ticktin"], ["t-thermidor"], cat)
        Traceback (most recent call last):
        ...
        corpus.errors.InputError: No passage matches this filter: author Hillel H. Ticktin with work t-thermidor (by Leon Trotsky). Choose a work by one of the chosen authors, or another author.
    """
    works_list = list(catalog_works)
    known_authors = list(dict.fromkeys(str(_field(w, "author", "")) for w in works_list))
    known_works = [str(_field(w, "work_id", "")) for w in works_list]
    chosen_authors = (
        None
        if authors is None
        else _resolve(authors, "author", _author_table(works_list), known_authors, "authors")
    )
    chosen_works = (
        None
        if works is None
        else _resolve(works, "work", _work_table(works_list), known_works, "works")
    )
    if chosen_authors is None or chosen_works is None:
        return chosen_authors, chosen_works
    by_work = {str(_field(w, "work_id", "")): str(_field(w, "author", "")) for w in works_list}
    both_authors = [a for a in chosen_authors if any(by_work[w] == a for w in chosen_works)]
    both_works = [w for w in chosen_works if by_work[w] in chosen_authors]
    if not both_authors:
        who = ", ".join(chosen_authors)
        which = ", ".join(f"{w} (by {by_work[w]})" for w in chosen_works)
        raise InputError(
            f"No passage matches this filter: author{'s' if len(chosen_authors) > 1 else ''} "
            f"{who} with work{'s' if len(chosen_works) > 1 else ''} {which}. Choose a work by "
            "one of the chosen authors, or another author."
        )
    return both_authors, both_works
