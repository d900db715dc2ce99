"""A file the user wants to add -> the plain text attest stores, and cleaning hints for it.

Pure conversion, no corpus state (see :mod:`corpus.user` for the catalog). Formats:

* ``.txt`` and ``.md``/``.markdown``: UTF-8 (a byte-order mark, UTF-16 with its mark, or
  Windows-1252 are accepted too), stored with ``\\n`` line ends;
* ``.html``/``.htm``: rendered to text by `inscriptis <https://github.com/weblyzard/inscriptis>`_
  (scripts, styles and markup dropped, block layout kept); headings become ``#`` lines and
  superscripts ``<sup>`` markers, so the cleaner finds sections and footnote references;
* ``.pdf``: the text layer read by `pypdf <https://pypdf.readthedocs.io>`_ page by page (layout
  mode, so paragraphs are told apart by blank lines and first-line indents); page numbers and
  running headers/footers (the same first or last line on most pages) are dropped, a word
  hyphenated at a line end is rejoined. A PDF without a text layer (a scan) is refused: it needs
  OCR first.

The stored text is then cleaned by the same rules as the bundled texts (:mod:`corpus.clean`),
with hints guessed here: heading style, footnote style and ``drop_lines`` (short lines repeated
on many pages, bare page numbers). Every refusal is an :class:`~corpus.errors.InputError` whose
message says what is wrong and what to do; nothing is written here.

Example::

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "essay.md"
    >>> _ = p.write_bytes(b"# One\\r\\n\\r\\nThe text.\\r\\n")
    >>> got = read_source(p, max_bytes=1000)
    >>> got.text, got.headings, got.format
    ('# One\\n\\nThe text.\\n', 'markdown', 'markdown')
"""

from __future__ import annotations

import hashlib
import io
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from corpus.errors import InputError

FORMATS: dict[str, str] = {
    ".txt": "text",
    ".md": "markdown",
    ".markdown": "markdown",
    ".html": "html",
    ".htm": "html",
    ".pdf": "pdf",
}
SUPPORTED = ", ".join(sorted({".txt", ".md", ".html", ".pdf"}))

_CONTROL = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f\x80-\x9f]")
_MARKDOWN_HEADING = re.compile(r"^#{1,6}\s+\S")
_ROMAN = re.compile(r"^(?:M{0,3}(?:CM|CD|D?C{0,3})(?:XC|XL|L?X{0,3})(?:IX|IV|V?I{0,3}))\.?$")
_NOTE_MARKER = re.compile(r"<sup>\s*\d|[¹²³⁴⁵⁶⁷⁸⁹]|\^\{\s*\d")
_NOTES_HEADING = re.compile(
    r"^(?:#+\s*)?(?:notes|endnotes|footnotes|references and notes)\s*$", re.I
)
_PAGE_NUMBER_LINE = re.compile(
    r"^[\s\-–—.·•|\[\](){}]*(?:(?:page|p\.)\s*)?(?:\d{1,4}|[ivxlcdm]{1,7})"
    r"(?:\s*(?:of|/)\s*\d{1,4})?[\s\-–—.·•|\[\](){}]*$",
    re.I,
)
_HYPHEN_END = re.compile(r"(?<=[^\W\d_])-$")
_COLUMN_GAP = re.compile(r"\S {6,}\S")
_LETTER = re.compile(r"[^\W\d_]")


@dataclass(frozen=True)
class Ingested:
    """A converted file: the ``text`` to store and how to clean it.

    ``original_*`` describe the file as given (its name, size and sha256, for provenance and
    duplicate checks); ``headings``, ``footnotes`` and ``drop_lines`` are catalog hints
    (:class:`corpus.catalog.Work`); ``pages`` is the PDF's page count (None for other formats).
    """

    text: str
    format: str
    original_name: str
    original_bytes: int
    original_sha256: str
    headings: str = "none"
    footnotes: str = "none"
    drop_lines: tuple[str, ...] = ()
    pages: int | None = None

    @property
    def words(self) -> int:
        return len(self.text.split())


def file_format(name: str) -> str:
    """The format of a file name by its extension; :class:`InputError` when unsupported.

    Example::

        >>> file_format("Essay.PDF")
        'pdf'
    """
    ext = Path(name).suffix.lower()
    fmt = FORMATS.get(ext)
    if fmt is None:
        shown = f"'{ext}'" if ext else "no extension"
        raise InputError(
            f"{Path(name).name}: {shown} is not a format attest can add; use one of {SUPPORTED} "
            "(save a Word or EPUB file as .txt, .html or .pdf first)"
        )
    return fmt


def read_source(path: Path | str, *, max_bytes: int, name: str | None = None) -> Ingested:
    """Read and convert the file at ``path`` (``name``: its original name, for the format and
    messages; default the path's own name). Refuses, with a message saying what to do: an
    unknown extension, a missing, empty or oversized file, binary content, undecodable text, a
    PDF without a text layer (OCR needed) or an encrypted one."""
    path = Path(path)
    shown = Path(name).name if name else path.name
    fmt = file_format(shown)
    if not path.is_file():
        raise InputError(f"{shown}: no such file")
    size = path.stat().st_size
    if size == 0:
        raise InputError(f"{shown} is empty: choose the file that holds the text")
    if size > max_bytes:
        raise InputError(
            f"{shown} is {_mb(size)}, over the limit of {_mb(max_bytes)} (setting add_max_bytes): "
            "split the text or raise the limit"
        )
    data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if fmt == "pdf":
        text, pages, dropped = _pdf_text(data, shown)
    else:
        _refuse_other_formats(data, shown, fmt)
        raw = _decode(data, shown)
        text = _html_text(raw, shown) if fmt == "html" else raw
        pages, dropped = None, ()
    text = _normalise(text)
    if not _LETTER.search(text):
        raise InputError(
            f"{shown} holds no text (no letters at all): choose the file with the essay"
        )
    headings = "markdown" if fmt in ("markdown", "html") else guess_headings(text)
    if fmt == "html" and not any(_MARKDOWN_HEADING.match(x) for x in text.splitlines()):
        headings = guess_headings(text)
    return Ingested(
        text=text,
        format=fmt,
        original_name=shown,
        original_bytes=size,
        original_sha256=digest,
        headings=headings,
        footnotes=guess_footnotes(text),
        drop_lines=tuple(dict.fromkeys([*dropped, *guess_drop_lines(text, headings)])),
        pages=pages,
    )


def _mb(n: int) -> str:
    return f"{n / 1_000_000:.1f} MB" if n >= 100_000 else f"{n:,} bytes"


# --- text -------------------------------------------------------------------------------------


def _refuse_other_formats(data: bytes, name: str, fmt: str) -> None:
    head = data[:8]
    if head.startswith(b"%PDF"):
        raise InputError(f"{name} is a PDF file: give it the extension .pdf")
    if head.startswith(b"PK\x03\x04"):
        raise InputError(
            f"{name} is a ZIP archive (a Word, OpenDocument or EPUB file?), not {fmt}: save the "
            "text as .txt, .html or .pdf and add that"
        )


def _decode(data: bytes, name: str) -> str:
    """Bytes of a text file -> str, refusing binary content."""
    if data.startswith(b"\xef\xbb\xbf"):
        text = data[3:].decode("utf-8", errors="strict") if _utf8(data[3:]) else None
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError:
            text = None
    elif b"\x00" in data:
        raise InputError(
            f"{name} contains NUL bytes, so it is a binary file, not text: choose the text itself "
            f"(formats: {SUPPORTED})"
        )
    elif _utf8(data):
        text = data.decode("utf-8")
    else:
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError:
            text = None
    if text is None:
        raise InputError(
            f"{name} is not readable text (neither UTF-8 nor Windows-1252): save it as UTF-8"
        )
    controls = len(_CONTROL.findall(text))
    if controls > max(2, len(text) // 100):
        raise InputError(
            f"{name} looks like a binary file ({controls} control characters), not text: choose "
            f"the text itself (formats: {SUPPORTED})"
        )
    return text


def _utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _normalise(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = text[1:] if text.startswith("\ufeff") else text
    lines = [line.rstrip() for line in text.split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    while lines and not lines[0]:
        lines.pop(0)
    return "\n".join(lines) + "\n" if lines else ""


# --- HTML -------------------------------------------------------------------------------------


def _html_text(html: str, name: str) -> str:
    """Rendered text of an HTML page: headings as ``#`` lines, superscripts as ``<sup>`` marks."""
    from inscriptis import get_annotated_text
    from inscriptis.model.config import ParserConfig

    rules = {f"h{i}": ["heading"] for i in range(1, 7)}
    rules["sup"] = ["sup"]
    try:
        out = get_annotated_text(html, ParserConfig(annotation_rules=rules))
    except Exception as exc:  # lxml refuses some inputs outright
        raise InputError(f"{name} could not be read as HTML ({type(exc).__name__})") from exc
    text: str = out.get("text", "")
    edits: list[tuple[int, int, str]] = []
    for start, end, label in out.get("label", []):
        inner = text[start:end]
        # Only the span's text is marked: the line breaks around it stay where they are.
        lo = start + len(inner) - len(inner.lstrip())
        hi = start + len(inner.rstrip())
        if hi <= lo:
            continue
        if label == "sup":
            edits.append((lo, hi, f"<sup>{text[lo:hi]}</sup>"))
        elif label == "heading" and "\n" not in text[lo:hi]:
            line_start = text.rfind("\n", 0, lo) + 1
            if not text[line_start:lo].strip():
                edits.append((line_start, hi, "# " + text[lo:hi]))
    for start, end, new in sorted(edits, reverse=True):
        text = text[:start] + new + text[end:]
    return text


# --- PDF --------------------------------------------------------------------------------------


def _pdf_text(data: bytes, name: str) -> tuple[str, int, tuple[str, ...]]:
    """``(text, pages, ())`` of a PDF's text layer, page furniture removed."""
    try:
        from pypdf import PdfReader

        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise InputError(
                f"{name} is encrypted with a password: save an unprotected copy and add that"
            )
        raw_pages = [_page_text(page) for page in reader.pages]
    except InputError:
        raise
    except Exception as exc:  # pypdf raises many kinds on a damaged file
        raise InputError(
            f"{name} could not be read as a PDF ({type(exc).__name__}): check that it opens in a "
            "PDF viewer, or add its text as .txt"
        ) from exc
    letters = sum(len(_LETTER.findall(p)) for p in raw_pages)
    if letters < 20 * max(1, min(len(raw_pages), 3)):
        raise InputError(
            f"{name} has no text layer ({len(raw_pages)} page(s) of images, a scan?): it needs "
            "OCR first (e.g. `ocrmypdf in.pdf out.pdf`), then add the OCR'd PDF or its text"
        )
    pages = _drop_page_furniture([_page_lines(p) for p in raw_pages])
    body = "\n\n".join("\n".join(lines) for lines in pages if any(x.strip() for x in lines))
    return body, len(raw_pages), ()


def _page_text(page) -> str:  # type: ignore[no-untyped-def]
    text = page.extract_text(extraction_mode="layout") or ""
    lines = [x for x in text.splitlines() if x.strip()]
    if lines and sum(bool(_COLUMN_GAP.search(x.strip())) for x in lines) > 0.3 * len(lines):
        # Two columns side by side: layout mode would interleave them; read in stream order.
        return _paragraphs_by_length(page.extract_text() or "")
    return text


def _paragraphs_by_length(text: str) -> str:
    """Plain extraction has no blank lines: a short line ending a sentence ends a paragraph."""
    lines = [x.strip() for x in text.splitlines()]
    width = max((len(x) for x in lines), default=0)
    out: list[str] = []
    for line in lines:
        out.append(line)
        if line.endswith((".", "!", "?", '"', "”", ":")) and len(line) < 0.8 * width:
            out.append("")
    return "\n".join(out)


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _page_lines(text: str) -> list[str]:
    """Layout text of one page -> lines with a blank line between paragraphs."""
    raw = [x.rstrip() for x in text.replace("\t", "    ").splitlines()]
    indents = [_indent(x) for x in raw if x.strip()]
    if not indents:
        return []
    margin = Counter(indents).most_common(1)[0][0]
    margin = min(margin, min(indents)) if indents.count(margin) < 2 else margin
    out: list[str] = []
    prev_indented_run = 0  # how many lines in a row (just before) were indented past the margin
    for line in raw:
        if not line.strip():
            if out and out[-1]:
                out.append("")
            prev_indented_run = 0
            continue
        indented = _indent(line) > margin + 1
        starts = (indented and prev_indented_run == 0) or (not indented and prev_indented_run >= 2)
        if starts and out and out[-1]:
            out.append("")
        prev_indented_run = prev_indented_run + 1 if indented else 0
        clean = re.sub(r" {2,}", " ", line.strip())
        if out and out[-1] and _HYPHEN_END.search(out[-1]) and clean[:1].islower():
            # A word hyphenated at the line end: "predomi-" + "nantly ..." -> one word.
            first, _, rest = clean.partition(" ")
            out[-1] = out[-1][:-1] + first
            if rest:
                out.append(rest)
            continue
        out.append(clean)
    while out and not out[-1]:
        out.pop()
    return out


def _furniture_key(line: str) -> str:
    return re.sub(r"\d+", "#", line.strip().casefold())


def _drop_page_furniture(pages: list[list[str]]) -> list[list[str]]:
    """Remove page numbers and running headers/footers (first or last lines repeated, digits
    aside, on at least half of three or more pages)."""

    def edges(lines: list[str]) -> list[int]:
        filled = [i for i, x in enumerate(lines) if x.strip()]
        return filled[:2] + filled[-2:] if filled else []

    counts: Counter[str] = Counter()
    for lines in pages:
        counts.update({_furniture_key(lines[i]) for i in edges(lines)})
    repeated = {
        k
        for k, n in counts.items()
        if len(pages) >= 3 and n >= max(3, len(pages) // 2) and len(k) <= 120
    }
    out = []
    for lines in pages:
        drop = {
            i
            for i in edges(lines)
            if _PAGE_NUMBER_LINE.match(lines[i]) or _furniture_key(lines[i]) in repeated
        }
        kept = [x for i, x in enumerate(lines) if i not in drop]
        while kept and not kept[0]:
            kept.pop(0)
        out.append(kept)
    return out


# --- cleaning hints ---------------------------------------------------------------------------


def _single_line_blocks(text: str) -> list[str]:
    return [b.strip() for b in re.split(r"\n\s*\n", text) if b.strip() and "\n" not in b.strip()]


def guess_headings(text: str) -> str:
    """The catalog heading style that fits ``text`` best (``"none"`` when unsure).

    Example::

        >>> guess_headings("I\\n\\nOne.\\n\\nII\\n\\nTwo.\\n")
        'roman'
        >>> guess_headings("THE PLAN\\n\\nText.\\n\\nTHE TERROR\\n\\nMore.\\n")
        'caps'
    """
    lines = text.splitlines()
    if sum(bool(_MARKDOWN_HEADING.match(x)) for x in lines) >= 1:
        return "markdown"
    singles = _single_line_blocks(text)
    if sum(bool(_ROMAN.match(b)) and b.strip(".") != "" for b in singles) >= 2:
        return "roman"
    caps = 0
    for b in singles:
        letters = [c for c in b if c.isalpha()]
        if len(b) <= 100 and len(letters) >= 3 and all(c.isupper() for c in letters):
            caps += 1
    return "caps" if caps >= 2 else "none"


def guess_footnotes(text: str) -> str:
    """``"numbered"`` when the text has footnote markers or a Notes heading, else ``"none"``
    (so a numbered list in a text without notes stays body text).

    Example::

        >>> guess_footnotes("A claim.<sup>1</sup>\\n\\n1. The source.\\n"), guess_footnotes("1. A list.")
        ('numbered', 'none')
    """
    if _NOTE_MARKER.search(text):
        return "numbered"
    if any(_NOTES_HEADING.match(x.strip()) for x in text.splitlines()):
        return "numbered"
    return "none"


def guess_drop_lines(text: str, headings: str = "none") -> tuple[str, ...]:
    """Lines the cleaner should drop: a short line standing alone three or more times (a
    running header) and bare page numbers standing alone (unless numbers are section headings).

    Example::

        >>> guess_drop_lines("Essay\\n\\nOne.\\n\\nEssay\\n\\n12\\n\\nTwo.\\n\\nEssay\\n")
        ('Essay', '12')
    """
    singles = _single_line_blocks(text)
    counts = Counter(singles)
    out = [
        b
        for b, n in counts.items()
        if n >= 3 and len(b) <= 80 and not b.endswith((".", "!", "?", ":")) and not _ROMAN.match(b)
    ]
    if headings != "roman":
        out += [b for b in counts if re.fullmatch(r"\d{1,4}", b)]
    return tuple(dict.fromkeys(out))
