"""How attest cites a passage: the one citation format, used by answers, lookup, UI and export.

``Author, "Title" (year), §II ¶4`` — :func:`format_citation` builds it; :func:`locator` gives
the part after the title from an anchor; :func:`citation_string` cites a whole passage.
"""

from __future__ import annotations

from corpus.passage import Passage


def locator(anchor: str, work_id: str) -> str:
    """The part of an anchor after its work id (``§II ¶4``); the anchor itself otherwise.

    Example::

        >>> locator("tucker-revolution-from-above §II ¶4", "tucker-revolution-from-above")
        '§II ¶4'
        >>> locator("note 3", "w")
        'note 3'
    """
    anchor = anchor.strip()
    if work_id and anchor.startswith(work_id):
        rest = anchor[len(work_id) :].strip()
        if rest:
            return rest
    return anchor


def format_citation(author: str, title: str, year: int | None, where: str = "") -> str:
    """``Author, "Title" (year), where`` — the one citation format of attest.

    Example::

        >>> format_citation("Leon Trotsky", "The Soviet Thermidor", 1936, "§1 ¶2")
        'Leon Trotsky, "The Soviet Thermidor" (1936), §1 ¶2'
        >>> format_citation("A", "T", None)
        'A, "T"'
    """
    when = f" ({year})" if year is not None else ""
    tail = f", {where}" if where else ""
    return f'{author}, "{title}"{when}{tail}'


def citation_string(passage: Passage) -> str:
    """The full, copyable citation of one passage.

    Example::

        >>> p = Passage("tucker-revolution-from-above", "Robert C. Tucker",
        ...             "Stalinism as Revolution from Above", 1977, "II", 4,
        ...             "tucker-revolution-from-above §II ¶4", "...", "body", 0, 3)
        >>> citation_string(p)
        'Robert C. Tucker, "Stalinism as Revolution from Above" (1977), §II ¶4'
    """
    where = locator(passage.anchor, passage.work_id)
    if where == passage.anchor.strip() and passage.kind == "footnote" and passage.note_no:
        where = f"note {passage.note_no}"
    return format_citation(passage.author, passage.title, passage.year, where)
