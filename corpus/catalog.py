"""The corpus catalog: which works exist, who wrote them, and where their text lies.

``catalog.toml`` (format documented at the top of the bundled file) is the only source of truth
for authorship: a text file may never name its author, and one file may hold several works,
separated by text markers. :func:`load_catalog` validates the catalog against the files on disk;
:func:`check_catalog` lists every problem instead of stopping at the first.

Texts the user adds (``attest add``, :mod:`corpus.user`) have a catalog of their own, in the same
format, under ``settings.resolved_user_corpus_dir``; the corpus folder itself is never written.
Read through the settings, the catalog is the corpus folder's works followed by the added ones
(``Work.added``); an added work may name an author of the corpus catalog. Read with an explicit
``corpus_dir``, it is that folder's catalog alone.

Example::

    >>> cat = load_catalog()
    >>> cat.work("tucker-revolution-from-above").author
    'Robert C. Tucker'
"""

from __future__ import annotations

import hashlib
import tomllib
from collections.abc import Iterator, Sequence
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
    added: bool = False
    path: Path = field(default=Path(), compare=False)


@dataclass(frozen=True)
class Catalog:
    """All works (in catalog order) and authors of one corpus folder."""

    corpus_dir: Path
    works: tuple[Work, ...]
    authors: tuple[Author, ...]
    user_dir: Path | None = None

    @property
    def added(self) -> tuple[Work, ...]:
        """The works added by the user (``attest add``), in the order they were added."""
        return tuple(w for w in self.works if w.added)

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


def _parse(
    data: dict[str, Any],
    corpus_dir: Path,
    problems: list[str],
    *,
    known: Catalog | None = None,
) -> Catalog:
    """Build a Catalog from parsed TOML, appending every structural problem to ``problems``.

    With ``known`` (the corpus folder's catalog) ``data`` is the added texts' catalog: its works
    may name ``known``'s authors, may not reuse its work ids, may be none, and come back
    appended to ``known``'s, marked ``added``.
    """
    where = corpus_dir / CATALOG_FILE
    base_authors = known.authors if known is not None else ()
    authors: list[Author] = []
    for i, raw in enumerate(data.get("author", []) or []):
        name = str(raw.get("name", "")).strip() if isinstance(raw, dict) else ""
        if not name:
            problems.append(f'{where}: [[author]] #{i + 1} has no name: add name = "..."')
            continue
        if any(a.name == name for a in base_authors):
            continue  # the corpus catalog lists this author too: its entry wins
        if any(a.name == name for a in authors):
            problems.append(f"{where}: author {name!r} is listed twice: keep one [[author]] entry")
            continue
        authors.append(Author(name=name, aliases=_str_list(raw.get("aliases"))))
    by_name = {a.name: a for a in (*base_authors, *authors)}

    works: list[Work] = []
    seen: set[str] = {w.work_id for w in known.works} if known is not None else set()
    raw_works = data.get("work", []) or []
    if not raw_works and known is None:
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
                + (" (the corpus catalog has it too)" if known is not None else "")
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
                added=known is not None,
                path=(corpus_dir / file).resolve(),
            )
        )
    if known is not None:
        return Catalog(
            corpus_dir=known.corpus_dir,
            works=(*known.works, *works),
            authors=(*known.authors, *authors),
            user_dir=corpus_dir,
        )
    return Catalog(corpus_dir=corpus_dir, works=tuple(works), authors=tuple(authors))


def parse_catalog_text(
    text: str, folder: Path, *, known: Catalog | None = None
) -> tuple[Catalog, list[str]]:
    """Parse catalog TOML ``text`` as if it were ``folder``'s catalog (files are not read);
    with ``known``, as the added texts' catalog merged after ``known`` (see :func:`_parse`).
    Returns the catalog and its structural problems."""
    problems: list[str] = []
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CatalogError(
            f"{folder / CATALOG_FILE} is not valid TOML ({exc}): fix the syntax"
        ) from exc
    return _parse(data, folder, problems, known=known), problems


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
    # Keyed by path: an added text and a corpus text may have the same relative name.
    texts: dict[Path, str | None] = {}
    for w in catalog.works:
        if w.path not in texts:
            texts[w.path] = None
            if not w.path.is_file():
                folder = catalog.user_dir if w.added else catalog.corpus_dir
                fix = (
                    f"remove it with `attest remove {w.work_id}` and add the text again"
                    if w.added
                    else "put the text there or fix 'file' in the catalog"
                )
                problems.append(f"work {w.work_id!r}: file {w.file} not found in {folder}: {fix}")
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
                texts[w.path] = decode_text(data, name=f"work {w.work_id!r}: {w.file}")
            except CatalogError as exc:
                problems.append(str(exc))
                continue
        elif verify:
            # Works sharing a file must agree on its hash, or the catalog contradicts itself.
            first = next(x for x in catalog.works if x.path == w.path)
            if first.sha256 != w.sha256 and texts[w.path] is not None:
                problems.append(
                    f"work {w.work_id!r}: sha256 differs from work {first.work_id!r} for the same "
                    f"file {w.file}: make them equal"
                )
        text = texts.get(w.path)
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
        catalog = _parse(data, directory, problems)
        if corpus_dir is None:
            catalog = _with_added(catalog, get_settings(settings), problems)
    except CatalogError as exc:
        return [*problems, str(exc)]
    _check_files(catalog, problems, verify)
    return problems


def _with_added(base: Catalog, settings: Settings, problems: list[str]) -> Catalog:
    """``base`` followed by the texts the user added (none when there is no such catalog)."""
    from corpus.user import recover_pending

    folder = settings.resolved_user_corpus_dir
    if folder.resolve() == base.corpus_dir.resolve():
        return base
    recover_pending(folder)  # finish an add/remove interrupted after its commit point
    path = folder / CATALOG_FILE
    if not path.is_file():
        return base
    return _parse(_read_toml(path), folder, problems, known=base)


def load_catalog(
    settings: Settings | None = None,
    *,
    corpus_dir: Path | str | None = None,
    verify: bool = True,
) -> Catalog:
    """Read and validate ``catalog.toml`` of ``corpus_dir`` (default: ``settings.corpus_dir``,
    followed by the texts added under ``settings.resolved_user_corpus_dir``).

    Raises :class:`CatalogError` with the first problem (naming the entry and the fix):
    missing file, sha256 mismatch (when ``verify``), marker not found, duplicate work id,
    unknown author, binary or non-UTF-8 text.

    Example::

        >>> [w.work_id for w in load_catalog().works][:2]
        ['ticktin-purges', 'gouldner-internal-colonialism']
    """
    directory = _corpus_dir(settings, corpus_dir)
    if corpus_dir is None:
        s = get_settings(settings)
        stamp = _added_stamp(s)
        try:
            return _load(directory, s, verify)
        except CatalogError:
            if _added_stamp(s) == stamp:
                raise
            # A text was added or removed while this read: read the catalog as it is now.
            return _load(directory, s, verify)
    return _load(directory, None, verify)


def _added_stamp(s: Settings) -> tuple[int, int, int] | None:
    try:
        st = (s.resolved_user_corpus_dir / CATALOG_FILE).stat()
    except OSError:
        return None
    return (st.st_ino, st.st_size, st.st_mtime_ns)


def _load(directory: Path, with_added: Settings | None, verify: bool) -> Catalog:
    problems: list[str] = []
    catalog = _parse(_read_toml(directory / CATALOG_FILE), directory, problems)
    if with_added is not None:
        catalog = _with_added(catalog, with_added, problems)
    _check_files(catalog, problems, verify)
    if problems:
        more = (
            f" (and {len(problems) - 1} more: run `attest corpus --check`)"
            if len(problems) > 1
            else ""
        )
        raise CatalogError(problems[0] + more)
    return catalog


class CatalogWorks(Sequence[Work]):
    """The works of the configured catalog as they are at each use (texts added or removed
    since show up), for code that keeps "the catalog's works" for a long time (the chat).

    An unreadable catalog reads as no works, like ``rag.answer.question.catalog_works``.
    """

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = get_settings(settings)
        self._cache: tuple[tuple, tuple[Work, ...]] | None = None

    def _works(self) -> tuple[Work, ...]:
        from corpus.user import corpus_stamp

        stamp = corpus_stamp(self.settings)
        cached = self._cache
        if cached is not None and cached[0] == stamp:
            return cached[1]
        try:
            works = load_catalog(self.settings, verify=False).works
        except CatalogError:
            works = ()
        self._cache = (stamp, works)
        return works

    def __getitem__(self, i):  # type: ignore[no-untyped-def]
        return self._works()[i]

    def __len__(self) -> int:
        return len(self._works())

    def __iter__(self) -> Iterator[Work]:
        return iter(self._works())
