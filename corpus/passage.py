"""The unit every later stage cites: one paragraph (or footnote) of one work."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

PassageKind = Literal["body", "footnote"]


@dataclass(frozen=True)
class QuoteSpan:
    """A quotation inside a passage's text, with the person the essay says spoke it.

    ``start``/``end`` are character offsets into ``Passage.text``; ``speaker`` is ``None`` when
    the text does not name one (a wrong speaker is worse than none).
    """

    start: int
    end: int
    speaker: str | None = None


@dataclass(frozen=True)
class Passage:
    """One cleaned paragraph of a work, with enough provenance to cite it and show it in its source.

    ``raw_start``/``raw_end`` are character offsets into the original file (decoded UTF-8 text);
    every word of ``text`` appears, in order, in ``raw_text[raw_start:raw_end]``.
    ``footnote_refs`` are the footnote numbers whose markers were removed from a body passage;
    ``note_no`` is the number of a footnote passage.
    ``paragraph_no`` is the 0-based position of the passage in its work's list (body and
    footnotes interleaved in file order); ``section_label`` is the short section label used in
    ``anchor`` (a roman numeral when the text numbers its sections, else a running number;
    ``""`` before the first heading).
    """

    work_id: str
    author: str
    title: str
    year: int | None
    section: str
    paragraph_no: int
    anchor: str
    text: str
    kind: PassageKind
    raw_start: int
    raw_end: int
    file: str = ""
    footnote_refs: tuple[int, ...] = ()
    note_no: int | None = None
    quotes: tuple[QuoteSpan, ...] = field(default=())
    section_label: str = ""
