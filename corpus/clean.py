"""Raw OCR/markup text of one work -> ordered, cleaned :class:`~corpus.passage.Passage` list.

Pure functions only: no file access (see :mod:`corpus.load`). The rules, each driven by the
catalog's per-work hints (:class:`corpus.catalog.Work`):

* hidden characters (zero-width, bidi controls, soft hyphen, C0 controls) are removed;
* lines before ``body_start`` (title, byline, bibliographic header) and ``drop_lines`` (running
  page headers) are removed;
* footnote markers (``<sup>12</sup>``, ``^{12.}``, superscript digits, ``**12**``, and a bare
  number right after a sentence's end when it continues the note sequence) are removed from the
  text and kept in ``footnote_refs``; markdown ``#``/``*`` marks are removed;
* section headings (see ``headings`` in the catalog) set ``section``/``section_label`` of the
  passages that follow;
* footnote paragraphs (``12. ...``, ``^{12.} ...``) become ``kind="footnote"`` passages;
* a paragraph cut by a page end (and maybe a footnote block) is rejoined with its continuation:
  a block starting in lower case continues the earliest still-open paragraph, and the block
  between a page's body and its numbered footnotes continues the open footnote of the page before;
* OCR debris (a run repeating itself, a truncated duplicate of the next paragraph) is dropped.

``raw_start``/``raw_end`` are offsets into the whole decoded file, so ``raw[raw_start:raw_end]``
shows a passage in its source; a rejoined paragraph's span encloses what it was rejoined across.

Example::

    >>> from corpus.catalog import Work
    >>> w = Work("w", "A. Author", "T", None, "t.txt", "", headings="caps", drop_lines=("Header",))
    >>> raw = "INTRO\\n\\nThe text<sup>1</sup> goes\\n\\nHeader\\n\\non here.\\n\\n1. A note.\\n"
    >>> ps = clean_work(w, raw)
    >>> [(p.kind, p.anchor, p.text) for p in ps]
    [('body', 'w §1 ¶1', 'The text goes on here.'), ('footnote', 'w n.1', 'A note.')]
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

from corpus.catalog import Work, find_marker_line, work_span
from corpus.passage import Passage
from corpus.quotes import epigraph_attribution

# Bump when the cleaning output changes: the index fingerprint includes it.
CLEANER_VERSION = "1"

_HIDDEN = re.compile(
    "[\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff"
    "\x00-\x08\x0b\x0c\x0e-\x1f\x7f]"
)
_SUPERSCRIPTS = "⁰¹²³⁴⁵⁶⁷⁸⁹"
_PUA_BASE = 0xE000
_PRIVATE_USE = re.compile("[\ue000-\uf8ff]")
_SUP_TO_DIGIT = str.maketrans(_SUPERSCRIPTS, "0123456789")
_TERMINAL = tuple(".!?…:;\"”’')]")

_HTML_ENTITY = re.compile(r"&(?:[a-zA-Z]{2,8}|#\d{1,6}|#x[0-9a-fA-F]{1,6});")
_SUP_TAG = re.compile(r"\s?<sup>\s*([^<]{0,40}?)\s*</sup>", re.IGNORECASE)
_LATEX_MARK = re.compile(r"\s?\^\{([^{}]{0,40})\}")
_MATHBF = re.compile(r"\\math(?:bf|rm|it)\{([^{}]*)\}")
_SUP_DIGITS = re.compile(rf"\s?([{_SUPERSCRIPTS}]+)")
_BOLD_NUMBER = re.compile(r"\s?\*\*(\d{1,3})\*\*")
# A bare note number just after a sentence's end: `Leninist." 1 From`, `Revolution.53`.
_BARE_NUMBER = re.compile(
    r"(?<=[.!?\"”’)])\s?(\d{1,3})(?=\s+[A-Z\"“‘]|\s*$)|(?<=[A-Za-z)\"”’][.,;:])(\d{1,3})(?=\s|$)"
)
_ABBREV_BEFORE = re.compile(r"(?:\b(?:p|pp|vol|vols|no|nos|ch|chap|art|fig|ed|n|nn)\.)$", re.I)
_MARKDOWN_HEADING = re.compile(r"^#{1,6}\s+")
_EMPHASIS = re.compile(r"\*+")
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
_SPACE_NEWLINE = re.compile(r"\s*\n\s*")

_ROMAN = re.compile(r"^M{0,3}(CM|CD|D?C{0,3})(XC|XL|L?X{0,3})(IX|IV|V?I{0,3})$")
_ROMAN_LINE = re.compile(r"^(?:\\mathbf\{\s*([^{}]{1,8}?)\s*\}|([IVXLCШШIl1|]{1,6}))$")
_NUMBERED = re.compile(r"^(\d{1,3})\.\s+(?=\S)")
_LATEX_NOTE = re.compile(r"^\^\{\s*(\d{1,3})\s*\.?\s*(&?)\s*\}\s*(quot;)?")
_LIST_ITEM = re.compile(r"^[a-z]\)\s")
_PAGE_NUMBER = re.compile(r"^(\d{1,3})\s+(?=[a-z])")


def strip_hidden(text: str) -> str:
    """Remove zero-width, bidi-control, soft-hyphen and C0 control characters (not \\n, \\t).

    Example::

        >>> strip_hidden("Sta\\u200blin\\u00ad\\x07")
        'Stalin'
    """
    return _HIDDEN.sub("", text)


def to_roman(n: int) -> str:
    """Roman numeral of ``n`` (1..3999).

    Example::

        >>> to_roman(4), to_roman(1977)
        ('IV', 'MCMLXXVII')
    """
    out = []
    for value, sym in (
        (1000, "M"),
        (900, "CM"),
        (500, "D"),
        (400, "CD"),
        (100, "C"),
        (90, "XC"),
        (50, "L"),
        (40, "XL"),
        (10, "X"),
        (9, "IX"),
        (5, "V"),
        (4, "IV"),
        (1, "I"),
    ):
        while n >= value:
            out.append(sym)
            n -= value
    return "".join(out)


def from_roman(s: str) -> int | None:
    """Value of a roman numeral, or ``None`` when ``s`` is not one.

    Example::

        >>> from_roman("VIII"), from_roman("IIII")
        (8, None)
    """
    if not s or not _ROMAN.match(s):
        return None
    values = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100, "D": 500, "M": 1000}
    total = 0
    for a, b in zip(s, s[1:] + " ", strict=True):
        v = values[a]
        total += -v if b != " " and values[b] > v else v
    return total


def is_terminated(text: str) -> bool:
    """Whether a paragraph's text ends like a finished sentence (else a page cut it).

    Example::

        >>> is_terminated('he said "no."'), is_terminated("and the")
        (True, False)
    """
    return text.rstrip().endswith(_TERMINAL)


@dataclass
class _RefState:
    """Running footnote-reference counter of one work (bare-number markers must follow it)."""

    last: int = 0
    seen: set[int] = field(default_factory=set)

    def plausible(self, n: int) -> bool:
        # Other marker kinds in the same block are read first, so a bare number may lag a little.
        return n not in self.seen and self.last - 4 < n <= self.last + 6 and n > 0

    def see(self, n: int) -> None:
        self.last = max(self.last, n)
        self.seen.add(n)


def _digits(s: str) -> list[int]:
    return [int(x) for x in re.findall(r"\d{1,3}", s)]


def clean_inline(
    text: str, *, body: bool = True, refs: _RefState | None = None
) -> tuple[str, list[int], list[int]]:
    """Clean one block's text: hidden chars, entities, footnote markers, markdown marks, spaces.

    Returns ``(text, note_numbers, marker_positions)``; ``marker_positions[i]`` is where the
    marker of ``note_numbers[i]`` stood in the returned text. Bare-number markers are removed
    only in body text and only when they continue the running note sequence ``refs``.

    Example::

        >>> clean_inline('the *man*<sup>3</sup> said "so." 4 Then ^{5.}')
        ('the man said "so." Then', [3, 5, 4], [7, 23, 18])
    """
    state = refs if refs is not None else _RefState()
    t = strip_hidden(text)
    t = _HTML_ENTITY.sub(lambda m: html.unescape(m.group(0)), t)
    t = _MATHBF.sub(lambda m: m.group(1), t)
    t = _MARKDOWN_HEADING.sub("", t)
    t = _SPACE_NEWLINE.sub(" ", t)
    t = _SPACES.sub(" ", t)

    # Each marker becomes its own private-use character, so its position survives the later
    # deletions and stays paired with its number whatever order the rules ran in.
    t = _PRIVATE_USE.sub("", t)
    found: list[int] = []

    def mark(nums: list[int]) -> str:
        out = ""
        for n in nums:
            out += chr(_PUA_BASE + len(found))
            found.append(n)
            state.see(n)
        return out

    t = _SUP_TAG.sub(lambda m: mark(_digits(m.group(1))), t)
    t = _LATEX_MARK.sub(lambda m: mark(_digits(m.group(1))), t)
    t = _SUP_DIGITS.sub(lambda m: mark([int(m.group(1).translate(_SUP_TO_DIGIT))]), t)
    t = _BOLD_NUMBER.sub(lambda m: mark([int(m.group(1))]), t)
    if body:

        def bare(m: re.Match[str]) -> str:
            n = int(m.group(1) or m.group(2))
            before = t[: m.start()]
            if not state.plausible(n) or _ABBREV_BEFORE.search(before.rstrip('"”’)')):
                return m.group(0)
            return mark([n])

        t = _BARE_NUMBER.sub(bare, t)
    t = _EMPHASIS.sub("", t)
    t = _SPACES.sub(" ", t)
    # Drop the space a marker leaves before closing punctuation or at the end.
    t = re.sub(r" ([\ue000-\uf8ff]+)(?=[ .,;:]|$)", r"\1", t)
    # Remove the markers (noting where they stood) and the double spaces they leave.
    chars: list[str] = []
    where: dict[int, int] = {}
    for ch in t:
        if _PUA_BASE <= ord(ch) <= 0xF8FF:
            where[ord(ch) - _PUA_BASE] = len(chars)
        elif not (ch == " " and chars and chars[-1] == " "):
            chars.append(ch)
    lead = 0
    while lead < len(chars) and chars[lead] == " ":
        lead += 1
    stripped = "".join(chars).strip()
    positions = [min(max(where.get(i, 0) - lead, 0), len(stripped)) for i in range(len(found))]
    return stripped, found, positions


# --- block segmentation --------------------------------------------------------------------


@dataclass(frozen=True)
class _Block:
    """A run of non-blank raw lines: its text (hidden chars removed) and its raw span."""

    text: str
    start: int
    end: int


def _blocks(raw: str, start: int, end: int, drop: frozenset[str]) -> list[_Block]:
    blocks: list[_Block] = []
    cur_lines: list[str] = []
    cur_start = cur_end = start
    pos = start
    while pos < end:
        nl = raw.find("\n", pos, end)
        line_end = end if nl < 0 else nl
        line = strip_hidden(raw[pos:line_end]).strip()
        if line and line not in drop:
            if not cur_lines:
                cur_start = pos + (len(raw[pos:line_end]) - len(raw[pos:line_end].lstrip()))
            cur_lines.append(line)
            cur_end = pos + len(raw[pos:line_end].rstrip())
        elif cur_lines:
            blocks.append(_Block("\n".join(cur_lines), cur_start, cur_end))
            cur_lines = []
        pos = line_end + 1
    if cur_lines:
        blocks.append(_Block("\n".join(cur_lines), cur_start, cur_end))
    return blocks


def _is_debris(text: str) -> bool:
    """OCR run-away repetition: a long block whose 4-grams mostly repeat."""
    words = text.split()
    if len(words) < 16:
        return False
    grams = [tuple(words[i : i + 4]) for i in range(len(words) - 3)]
    return len(set(grams)) / len(grams) < 0.5


# --- paragraph assembly ----------------------------------------------------------------------


@dataclass
class _Para:
    kind: str
    raw_start: int
    raw_end: int
    section: str
    section_label: str
    text: str = ""
    note_no: int | None = None
    refs: list[int] = field(default_factory=list)
    ref_pos: list[int] = field(default_factory=list)
    block_index: int = 0

    @property
    def open(self) -> bool:
        # An epigraph ends with its attribution ("..." Marcus G. Raskin), not with a stop.
        return (
            bool(self.text)
            and not is_terminated(self.text)
            and epigraph_attribution(self.text) is None
        )

    def append(self, text: str, refs: list[int], positions: list[int], raw_end: int) -> None:
        if not text:
            self.raw_end = max(self.raw_end, raw_end)
            self.refs.extend(refs)
            self.ref_pos.extend([len(self.text)] * len(refs))
            return
        if (
            self.text.endswith("-")
            and len(self.text) > 1
            and self.text[-2].isalpha()
            and text[0].islower()
        ):
            # A word hyphenated across the page end: "predomi-" + "nantly".
            joined, offset = self.text[:-1] + text, len(self.text) - 1
        elif self.text:
            joined, offset = self.text + " " + text, len(self.text) + 1
        else:
            joined, offset = text, 0
        self.text = joined
        self.refs.extend(refs)
        self.ref_pos.extend(offset + p for p in positions)
        self.raw_end = max(self.raw_end, raw_end)


def _continuation_start(text: str) -> str | None:
    """The block's text if it continues a cut paragraph (lower-case start), minus a stray
    page number; else ``None``."""
    t = text.lstrip("*_ ")
    m = _PAGE_NUMBER.match(t)
    if m:
        t = t[m.end() :]
    if t[:1].islower() and not _LIST_ITEM.match(t):
        return t
    return None


def _heading(block: _Block, style: str, last_label: str) -> tuple[str, str, str] | None:
    """``(section_title, label, rest_of_block)`` when ``block`` is a heading in ``style``."""
    text = block.text
    one_line = "\n" not in text
    if style == "caps":
        letters = [c for c in text if c.isalpha()]
        if (
            one_line
            and len(text) <= 120
            and len(letters) >= 3
            and all(c.isupper() for c in letters)
        ):
            return text, "", ""
    elif style == "markdown":
        if one_line and _MARKDOWN_HEADING.match(text):
            return _EMPHASIS.sub("", _MARKDOWN_HEADING.sub("", text)).strip(), "", ""
        if (
            one_line
            and len(text) <= 100
            and re.fullmatch(r"\*[^*\s][^*]*\*", text)
            and not text[1:-1].rstrip().endswith((".", ","))
        ):
            return text.strip("* "), "", ""
    elif style == "roman":
        m = _ROMAN_LINE.match(text.strip()) if one_line else None
        if m:
            token = (m.group(1) or m.group(2) or "").strip()
            if from_roman(token) is not None:
                return token, token, ""
            # OCR confusions ("Ш" for III, "1" for V): the numeral is the next in sequence.
            previous = from_roman(last_label) or 0
            label = to_roman(previous + 1)
            return label, label, ""
    elif style == "numbered":
        m = _NUMBERED.match(text)
        if m:
            rest = text[m.end() :]
            cut = re.search(r"…|\.\s", rest[:120])
            if cut:
                title = rest[: cut.start()].strip()
                body = rest[cut.end() :].strip()
                return title, m.group(1), body
    return None


def _note_start(block: _Block, style: str, last_note: int) -> tuple[int, str] | None:
    """``(note_no, text_after_the_number)`` when ``block`` opens a footnote."""
    if style == "none":
        return None
    text = block.text
    if style == "latex":
        m = _LATEX_NOTE.match(text)
        if m:
            rest = text[m.end() :]
            if m.group(3):
                rest = '"' + rest
            return int(m.group(1)), rest
    m = _NUMBERED.match(text)
    if m and last_note < int(m.group(1)) <= last_note + 10:
        return int(m.group(1)), text[m.end() :]
    return None


def _raw_offset_of(raw: str, needle: str, start: int, end: int) -> int:
    """Where ``needle``'s first words begin in ``raw[start:end]`` (``start`` if not found)."""
    probe = needle[:24]
    found = raw.find(probe, start, end) if probe else -1
    return found if found >= 0 else start


def _assemble(work: Work, raw: str) -> list[_Para]:
    start, end = work_span(work, raw)
    if work.body_start:
        body = find_marker_line(raw[:end], work.body_start, start)
        start = body if body is not None else start
    blocks = [
        b for b in _blocks(raw, start, end, frozenset(work.drop_lines)) if not _is_debris(b.text)
    ]

    paras: list[_Para] = []
    refs = _RefState()
    section, label, section_count = "", "", 0
    last_note = 0
    prev_kind = ""  # kind of the paragraph the previous block went to ("heading" for headings)

    def last_footnote() -> _Para | None:
        for p in reversed(paras):
            if p.kind == "footnote":
                return p
        return None

    def new_para(kind: str, block: _Block, text: str, index: int, note: int | None = None) -> _Para:
        cleaned, found, pos = clean_inline(text, body=kind == "body", refs=refs)
        raw_start = (
            block.start if text is block.text else _raw_offset_of(raw, text, block.start, block.end)
        )
        p = _Para(kind, raw_start, block.end, section, label, note_no=note, block_index=index)
        p.append(cleaned, found, pos, block.end)
        paras.append(p)
        return p

    for i, block in enumerate(blocks):
        nxt = blocks[i + 1] if i + 1 < len(blocks) else None
        heading = _heading(block, work.headings, label)
        if heading is not None:
            title, hlabel, rest = heading
            section_count += 1
            section = _EMPHASIS.sub("", strip_hidden(title)).strip()
            label = hlabel or str(section_count)
            if rest:
                new_para("body", block, rest, i)
                prev_kind = "body"
            else:
                prev_kind = "heading"
            continue

        note = _note_start(block, work.footnotes, last_note)
        if note is not None:
            last_note = note[0]
            new_para("footnote", block, note[1], i, note=note[0])
            prev_kind = "footnote"
            continue

        # Between a page's body and its numbered footnotes: the note the previous page left
        # open, or a note whose number the OCR lost.
        next_note = None
        if nxt is not None and work.footnotes != "none":
            nn = _note_start(nxt, work.footnotes, last_note)
            next_note = nn[0] if nn else None
        if prev_kind == "body" and next_note is not None:
            if next_note == last_note + 2:
                last_note += 1
                new_para("footnote", block, block.text, i, note=last_note)
                prev_kind = "footnote"
                continue
            open_note = last_footnote()
            if open_note is not None and open_note.open and next_note == last_note + 1:
                cleaned, found, pos = clean_inline(block.text, body=False, refs=refs)
                open_note.append(cleaned, found, pos, block.end)
                prev_kind = "footnote"
                continue

        cont = _continuation_start(block.text)
        if cont is None and prev_kind == "body" and nxt is not None and work.footnotes != "none":
            # The page's last block is the open note's continuation when the next page
            # opens by continuing the body: `...the body` / `Note text.` / `continued body`.
            open_note = last_footnote()
            cleaned_probe = clean_inline(block.text, body=False, refs=_RefState(refs.last))[0]
            if (
                open_note is not None
                and open_note.open
                and is_terminated(cleaned_probe)
                and _continuation_start(nxt.text) is not None
                and any(p.open and p.kind == "body" for p in paras[-3:])
            ):
                cleaned, found, pos = clean_inline(block.text, body=False, refs=refs)
                open_note.append(cleaned, found, pos, block.end)
                prev_kind = "footnote"
                continue

        if cont is not None:
            # After a footnote block the next page's body resumes, so an open body paragraph
            # is the better target; right after body text the page's footnote block begins,
            # so the earliest open paragraph (a note the previous page left open) comes first.
            candidates = [p for p in paras if p.open and i - p.block_index <= 10]
            if prev_kind != "body" and any(p.kind == "body" for p in candidates):
                candidates = [p for p in candidates if p.kind == "body"]
            target = candidates[0] if candidates else None
            if target is not None:
                cleaned, found, pos = clean_inline(cont, body=target.kind == "body", refs=refs)
                target.append(cleaned, found, pos, block.end)
                target.block_index = i
                prev_kind = target.kind
                continue

        # A page cut the last body paragraph mid-sentence and its continuation opens the next
        # page's body with a capital ("...against the" / notes / "Japanese; it ...").
        if cont is None and prev_kind == "footnote":
            last_body = next((p for p in reversed(paras) if p.kind == "body"), None)
            if last_body is not None and last_body.open and i - last_body.block_index <= 10:
                cleaned, found, pos = clean_inline(block.text, body=True, refs=refs)
                last_body.append(cleaned, found, pos, block.end)
                last_body.block_index = i
                prev_kind = "body"
                continue

        # An epigraph's attribution line ("Marcus G. Raskin") belongs to the quotation above it.
        if paras and prev_kind == "body" and _is_attribution(block.text, paras[-1].text):
            cleaned, found, pos = clean_inline(block.text, body=True, refs=refs)
            paras[-1].append(cleaned, found, pos, block.end)
            continue

        new_para("body", block, block.text, i)
        prev_kind = "body"
    return [p for p in _drop_truncated_duplicates(paras) if p.text]


def _is_attribution(text: str, previous: str) -> bool:
    words = text.split()
    return (
        0 < len(words) <= 5
        and len(text) <= 50
        and not is_terminated(text)
        and all(w[:1].isupper() or w[:1] in "*" for w in words)
        and previous[:1] in "\"“'"
        and previous.rstrip()[-1:] in "\"”'"
    )


def _drop_truncated_duplicates(paras: list[_Para]) -> list[_Para]:
    """Drop a body paragraph that the OCR also gives, complete, a few paragraphs later."""
    out = []
    for i, p in enumerate(paras):
        key = p.text.rstrip('."” ')
        keeper = None
        if p.kind == "body" and len(key) >= 80:
            keeper = next(
                (
                    q
                    for q in paras[i + 1 : i + 12]
                    if q.kind == "body" and q.text.startswith(key) and len(q.text) > len(p.text)
                ),
                None,
            )
        if keeper is None:
            out.append(p)
        else:
            # Its note markers are the only thing the fuller copy may lack.
            extra = [n for n in p.refs if n not in keeper.refs]
            keeper.refs.extend(extra)
            keeper.ref_pos.extend([len(key)] * len(extra))
    return out


def clean_work(work: Work, raw: str) -> list[Passage]:
    """All passages of ``work`` from its file's decoded text ``raw`` (the whole file).

    Body paragraphs and footnotes come in file order; ``paragraph_no`` is the 0-based position
    in this list. Anchors: ``{id} §{label} ¶{n}`` (n counts body paragraphs of the section from
    1), ``{id} ¶{n}`` before any heading, ``{id} n.{note}`` for footnotes (a letter suffix tells
    apart notes with the same number).

    Example::

        >>> from corpus.catalog import Work
        >>> w = Work("w", "A", "T", 1999, "t.txt", "", headings="roman")
        >>> [p.anchor for p in clean_work(w, "I\\n\\nOne.\\n\\nII\\n\\nTwo.\\n")]
        ['w §I ¶1', 'w §II ¶1']
    """
    from corpus.quotes import find_quotes

    paras = sorted(_assemble(work, raw), key=lambda p: p.raw_start)
    notes: dict[int, str] = {}
    for p in paras:
        if p.kind == "footnote" and p.note_no is not None:
            notes.setdefault(p.note_no, p.text)
    out: list[Passage] = []
    body_counts: dict[str, int] = {}
    note_counts: dict[str, int] = {}
    for idx, p in enumerate(paras):
        if p.kind == "body":
            body_counts[p.section_label] = body_counts.get(p.section_label, 0) + 1
            n = body_counts[p.section_label]
            anchor = (
                f"{work.work_id} §{p.section_label} ¶{n}"
                if p.section_label
                else f"{work.work_id} ¶{n}"
            )
            marks = tuple(zip(p.ref_pos, p.refs, strict=True))
            quotes = find_quotes(p.text, markers=marks, notes=notes)
        else:
            base = str(p.note_no) if p.note_no is not None else "x"
            k = note_counts.get(base, 0)
            note_counts[base] = k + 1
            suffix = "" if k == 0 else chr(ord("a") + k) if k < 26 else f"-{k}"
            anchor = f"{work.work_id} n.{base}{suffix}"
            quotes = ()
        out.append(
            Passage(
                work_id=work.work_id,
                author=work.author,
                title=work.title,
                year=work.year,
                section=p.section,
                paragraph_no=idx,
                anchor=anchor,
                text=p.text,
                kind="body" if p.kind == "body" else "footnote",
                raw_start=p.raw_start,
                raw_end=p.raw_end,
                file=work.file,
                footnote_refs=tuple(dict.fromkeys(p.refs)),
                note_no=p.note_no,
                quotes=quotes,
                section_label=p.section_label,
            )
        )
    return out
