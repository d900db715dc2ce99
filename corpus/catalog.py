"""The corpus catalog: which works exist, who wrote them, and where their text lies.

``catalog.toml`` (format documented at the top of the bundled file) is the only source of truth
for authorship: a text file may never name its author, and one file may hold several works,
separated by text markers. :func:`load_catalog` validates the catalog against the files on disk;
:func:`check_catalog` lists every problem instead of stopping at the first.

Example::

    >>> cat = load_catalog()
    >>> cat.work("tucker-revolution-from-above").author
    'Robert C. Tucker'
"""

from __future__ import annotations

import hashlib
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from corpus.errors import CatalogError
from corpus.settings import Settings, get_settings

CATALOG_FILE = "catalog.toml"
HEADING_STYLES = ("none", "caps", "markdown", "roman", "numbered")
FOOTNOTE_STYLES = ("none", "numbered", "latex")


@dataclass(frozen=True)
class Author:
    """An author and the short names that identify them in a question."""

    name: str
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Work:
    """One work of the corpus: its authorship, its file and how to clean it.

    ``file`` is relative to the catalog's folder; ``path`` is absolute. ``aliases`` are the
    author's. The cleaning hints (``body_start``, ``drop_lines``, ``headings``, ``footnotes``)
    are data from the catalog, so a new corpus needs no code change.
    """

    work_id: str
    author: str
    title: str
    year: int | None
    file: str
    sha256: str
    source: str = ""
    aliases: tuple[str, ...] = ()
    start_marker: str | None = None
    end_marker: str | None = None
    body_start: str | None = None
    drop_lines: tuple[str, ...] = ()
    headings: str = "none"
    footnotes: str = "numbered"
    path: Path = field(default=Path(), compare=False)


@dataclass(frozen=True)
class Catalog:
    """All works (in catalog order) and authors of one corpus folder."""

    corpus_dir: Path
    works: tuple[Work, ...]
    authors: tuple[Author, ...]

    def work(self, work_id: str) -> Work:
        """The work with this id; :class:`CatalogError` when there is none."""
        for w in self.works:
            if w.work_id == work_id:
                return w
        known = ", ".join(w.work_id for w in self.works)
        raise CatalogError(
            f"no work {work_id!r} in {self.corpus_dir / CATALOG_FILE}; known: {known}"
        )

    def works_by_author(self, name: str) -> tuple[Work, ...]:
        """Works whose author has ``name`` as full name or alias (case-insensitive)."""
        author = self.author(name)
        if author is None:
            return ()
        return tuple(w for w in self.works if w.author == author.name)

    def author(self, name: str) -> Author | None:
        """The author with this full name or alias (case-insensitive), else ``None``."""
        key = name.strip().casefold()
        for a in self.authors:
            if key == a.name.casefold() or key in (x.casefold() for x in a.aliases):
                return a
        return None

    @property
    def files(self) -> tuple[str, ...]:
        """Distinct text files, in catalog order."""
        return tuple(dict.fromkeys(w.file for w in self.works))


# --- reading ----------------------------------------------------------------------------------


def _corpus_dir(settings: Settings | None, corpus_dir: Path | str | None) -> Path:
    if corpus_dir is not None:
        return Path(corpus_dir).expanduser()
    return get_settings(settings).corpus_dir


def _read_toml(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise CatalogError(
            f"no catalog at {path}: create {CATALOG_FILE} there (see the bundled corpus/"
            f"{CATALOG_FILE} for the format) or point --corpus at a folder that has one"
        )
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise CatalogError(f"{path} is not valid TOML ({exc}): fix the syntax") from exc


def _str_list(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(str(v) for v in value)


def _parse(data: dict[str, Any], corpus_dir: Path, problems: list[str]) -> Catalog:
    """Build a Catalog from parsed TOML, appending every structural problem to ``problems``."""
    where = corpus_dir / CATALOG_FILE
    authors: list[Author] = []
    for i, raw in enumerate(data.get("author", []) or []):
        name = str(raw.get("name", "")).strip() if isinstance(raw, dict) else ""
        if not name:
            problems.append(f'{where}: [[author]] #{i + 1} has no name: add name = "..."')
            continue
        if any(a.name == name for a in authors):
            problems.append(f"{where}: author {name!r} is listed twice: keep one [[author]] entry")
            continue
        authors.append(Author(name=name, aliases=_str_list(raw.get("aliases"))))
    by_name = {a.name: a for a in authors}

    works: list[Work] = []
    seen: set[str] = set()
    raw_works = data.get("work", []) or []
    if not raw_works:
        problems.append(f"{where}: no [[work]] entries: add one per work")
    for i, raw in enumerate(raw_works):
        if not isinstance(raw, dict):
            problems.append(f"{where}: [[work]] #{i + 1} is not a table")
            continue
        wid = str(raw.get("id", "")).strip()
        label = f"work {wid!r}" if wid else f"[[work]] #{i + 1}"
        missing = [k for k in ("id", "author", "title", "file", "sha256") if not raw.get(k)]
        if missing:
            problems.append(f"{where}: {label} lacks {', '.join(missing)}: add the missing keys")
            continue
        if wid in seen:
            problems.append(
                f"{where}: duplicate work id {wid!r} (entry #{i + 1}): give each work a unique id"
            )
            continue
        seen.add(wid)
        author_name = str(raw["author"]).strip()
        author = by_name.get(author_name)
        if author is None:
            problems.append(
                f"{where}: {label} names unknown author {author_name!r}: add an [[author]] entry "
                f"with that name or fix the spelling (known: {', '.join(by_name) or 'none'})"
            )
            continue
        year = raw.get("year")
        if year is not None and (not isinstance(year, int) or isinstance(year, bool)):
            problems.append(f"{where}: {label} has year {year!r}: use an integer or omit it")
            year = None
        headings = str(raw.get("headings", "none"))
        if headings not in HEADING_STYLES:
            problems.append(
                f"{where}: {label} has headings = {headings!r}: use one of {', '.join(HEADING_STYLES)}"
            )
            headings = "none"
        footnotes = str(raw.get("footnotes", "numbered"))
        if footnotes not in FOOTNOTE_STYLES:
            problems.append(
                f"{where}: {label} has footnotes = {footnotes!r}: use one of "
                f"{', '.join(FOOTNOTE_STYLES)}"
            )
            footnotes = "numbered"
        file = str(raw["file"])
        works.append(
            Work(
                work_id=wid,
                author=author.name,
                title=str(raw["title"]),
                year=year,
                file=file,
                sha256=str(raw["sha256"]).strip().lower(),
                source=str(raw.get("source", "") or ""),
                aliases=author.aliases,
                start_marker=raw.get("start_marker") or None,
                end_marker=raw.get("end_marker") or None,
                body_start=raw.get("body_start") or None,
                drop_lines=_str_list(raw.get("drop_lines")),
                headings=headings,
                footnotes=footnotes,
                path=(corpus_dir / file).resolve(),
            )
        )
    return Catalog(corpus_dir=corpus_dir, works=tuple(works), authors=tuple(authors))


# --- validation of the files ------------------------------------------------------------------


def decode_text(data: bytes, *, name: str) -> str:
    """Decode a corpus file's bytes as UTF-8 text; :class:`CatalogError` for binary or non-UTF-8.

    Example::

        >>> decode_text("Stalin".encode(), name="x.txt")
        'Stalin'
    """
    if b"\x00" in data:
        raise CatalogError(
            f"{name} contains NUL bytes (a binary file?): replace it with the plain-text essay"
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CatalogError(
            f"{name} is not valid UTF-8 (byte {exc.start}): re-save it as UTF-8 and update its sha256"
        ) from exc
    # A byte-order mark is an encoding artefact, not text; offsets are counted without it.
    return text[1:] if text.startswith("\ufeff") else text


def _line_starts(text: str) -> list[int]:
    starts = [0]
    starts.extend(i + 1 for i, ch in enumerate(text) if ch == "\n")
    return starts


def find_marker_line(text: str, marker: str, start: int = 0) -> int | None:
    """Offset of the first line at or after ``start`` that starts with ``marker`` (leading
    whitespace of the line ignored), or ``None``.

    Example::

        >>> find_marker_line("a\\n  Tucker, R.\\nb", "Tucker")
        2
    """
    for pos in _line_starts(text):
        if pos < start:
            continue
        line_end = text.find("\n", pos)
        line = text[pos : len(text) if line_end < 0 else line_end]
        if line.lstrip().startswith(marker):
            return pos
    return None


def work_span(work: Work, text: str) -> tuple[int, int]:
    """``(start, end)`` offsets of ``work`` inside its file's decoded ``text``.

    Raises :class:`CatalogError` naming the work when a marker is not found.

    Example::

        >>> w = Work("w", "A", "T", None, "f.txt", "", start_marker="B:")
        >>> work_span(w, "intro\\nB: body\\n")
        (6, 14)
    """
    start, end = 0, len(text)
    if work.start_marker:
        found = find_marker_line(text, work.start_marker)
        if found is None:
            raise CatalogError(
                f"work {work.work_id!r}: start_marker {work.start_marker!r} begins no line of "
                f"{work.file}: fix the marker in the catalog"
            )
        start = found
    if work.end_marker:
        found = find_marker_line(text, work.end_marker, start + 1 if work.start_marker else start)
        if found is None:
            raise CatalogError(
                f"work {work.work_id!r}: end_marker {work.end_marker!r} begins no line of "
                f"{work.file} after the work's start: fix the marker in the catalog"
            )
        end = found
    if work.body_start:
        body = find_marker_line(text[:end], work.body_start, start)
        if body is None:
            raise CatalogError(
                f"work {work.work_id!r}: body_start {work.body_start!r} begins no line of the "
                f"work in {work.file}: fix the marker in the catalog"
            )
    return start, end


def _check_files(catalog: Catalog, problems: list[str], verify: bool) -> None:
    texts: dict[str, str | None] = {}
    for w in catalog.works:
        if w.file not in texts:
            texts[w.file] = None
            if not w.path.is_file():
                problems.append(
                    f"work {w.work_id!r}: file {w.file} not found in {catalog.corpus_dir}: "
                    "put the text there or fix 'file' in the catalog"
                )
                continue
            data = w.path.read_bytes()
            if verify:
                digest = hashlib.sha256(data).hexdigest()
                if digest != w.sha256:
                    problems.append(
                        f"work {w.work_id!r}: sha256 of {w.file} is {digest}, catalog says "
                        f"{w.sha256}: restore the original file, or if the change is intended "
                        "update sha256 in the catalog"
                    )
            try:
                texts[w.file] = decode_text(data, name=f"work {w.work_id!r}: {w.file}")
            except CatalogError as exc:
                problems.append(str(exc))
                continue
        elif verify:
            # Works sharing a file must agree on its hash, or the catalog contradicts itself.
            first = next(x for x in catalog.works if x.file == w.file)
            if first.sha256 != w.sha256 and texts[w.file] is not None:
                problems.append(
                    f"work {w.work_id!r}: sha256 differs from work {first.work_id!r} for the same "
                    f"file {w.file}: make them equal"
                )
        text = texts.get(w.file)
        if text is None:
            continue
        try:
            start, end = work_span(w, text)
        except CatalogError as exc:
            problems.append(str(exc))
            continue
        if not text[start:end].strip():
            problems.append(
                f"work {w.work_id!r}: its span of {w.file} is empty: check start/end markers"
            )


def check_catalog(
    settings: Settings | None = None,
    *,
    corpus_dir: Path | str | None = None,
    verify: bool = True,
) -> list[str]:
    """Every problem of the catalog and its files, one message each (empty list = valid).

    Example::

        >>> check_catalog()
        []
    """
    directory = _corpus_dir(settings, corpus_dir)
    problems: list[str] = []
    try:
        data = _read_toml(directory / CATALOG_FILE)
    except CatalogError as exc:
        return [str(exc)]
    catalog = _parse(data, directory, problems)
    _check_files(catalog, problems, verify)
    return problems


def load_catalog(
    settings: Settings | None = None,
    *,
    corpus_dir: Path | str | None = None,
    verify: bool = True,
) -> Catalog:
    """Read and validate ``catalog.toml`` of ``corpus_dir`` (default: ``settings.corpus_dir``).

    Raises :class:`CatalogError` with the first problem (naming the entry and the fix):
    missing file, sha256 mismatch (when ``verify``), marker not found, duplicate work id,
    unknown author, binary or non-UTF-8 text.

    Example::

        >>> [w.work_id for w in load_catalog().works][:2]
        ['ticktin-purges', 'gouldner-internal-colonialism']
    """
    directory = _corpus_dir(settings, corpus_dir)
    problems: list[str] = []
    catalog = _parse(_read_toml(directory / CATALOG_FILE), directory, problems)
    _check_files(catalog, problems, verify)
    if problems:
        more = (
            f" (and {len(problems) - 1} more: run `attest corpus --check`)"
            if len(problems) > 1
            else ""
        )
        raise CatalogError(problems[0] + more)
    return catalog
