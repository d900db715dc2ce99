"""The texts a user adds: their catalog and files under ``settings.resolved_user_corpus_dir``,
and edits of them that are all-or-nothing.

Layout of the user corpus folder (the corpus folder itself is never written)::

    catalog.toml      same format as the bundled catalog; written only by attest
    texts/            the added texts as stored (UTF-8), named added-<sha256 prefix>.txt
    .lock             held (flock) by the one edit running at a time
    .journal.json     present only between an edit's commit point and its end
    .staging-<pid>-*  an edit's new files before its commit

An edit (:mod:`rag.retrieval.update` adds and removes works) stages everything it will change (the
text, the new catalog, the new index folder) beside its target, then writes the journal — the
commit point — and then moves each staged thing into place with renames. A process killed before
the journal leaves the old state (its staging is swept later); killed after it, the next reader
finishes the renames (:func:`recover_pending`, run by every catalog and index load), so the
catalog, the texts folder and the index are all old or all new.

Example::

    >>> import tempfile, pathlib
    >>> from corpus.settings import get_settings
    >>> s = get_settings(data_dir=pathlib.Path(tempfile.mkdtemp()))
    >>> text = "The purges struck the party first. Then the army. Then everyone."
    >>> plan = plan_add(s, read_text_source(text), author="Trotsky",
    ...                 title="A Note on the Purges", year=1937)
    >>> plan.work.work_id, plan.work.author, plan.new_author
    ('trotsky-note-purges', 'Leon Trotsky', None)
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import hashlib
import json
import os
import re
import shutil
import threading
import tomllib
import unicodedata
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from corpus.catalog import (
    CATALOG_FILE,
    Author,
    Catalog,
    Work,
    find_marker_line,
    load_catalog,
    parse_catalog_text,
    work_span,
)
from corpus.errors import CatalogError, InputError
from corpus.ingest import Ingested
from corpus.settings import Settings, get_settings

TEXTS = "texts"
JOURNAL = ".journal.json"
LOCK = ".lock"
STAGING = ".staging-"
WORK_ID = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}[a-z0-9]$")
MAX_FIELD = 300

CATALOG_HEADER = """\
# Texts added with `attest add` (written by attest: use `attest add` and `attest remove`).
# Same format as the bundled corpus/catalog.toml; each added work also records where it came
# from: added (when), original_file, original_sha256 (the file as given) and original_format.
"""

# Test hook: called with a step name at each point of an edit where a kill matters.
checkpoint: Callable[[str], None] = lambda step: None  # noqa: E731


# --- locking and the journal --------------------------------------------------------------------


def user_dir(settings: Settings | None = None) -> Path:
    """The user corpus folder of these settings."""
    return get_settings(settings).resolved_user_corpus_dir


_HELD = threading.local()


@contextlib.contextmanager
def edit_lock(folder: Path) -> Iterator[None]:
    """Hold the user corpus folder's edit lock (one edit at a time, across processes and
    threads; re-entrant in the thread that holds it)."""
    key = str(folder.resolve())
    held: set[str] = getattr(_HELD, "folders", set())
    if key in held:
        yield
        return
    folder.mkdir(parents=True, exist_ok=True)
    fd = os.open(folder / LOCK, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        _HELD.folders = held | {key}
        yield
    finally:
        _HELD.folders = getattr(_HELD, "folders", set()) - {key}
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def corpus_stamp(settings: Settings | None = None) -> tuple:
    """A cheap identity of the corpus as it is now (the catalogs' inode, size and mtime): it
    changes with every add or remove, so caches of passages or authors can key on it."""
    s = get_settings(settings)
    out: list[object] = [str(s.corpus_dir)]
    for path in (s.corpus_dir / CATALOG_FILE, s.resolved_user_corpus_dir / CATALOG_FILE):
        try:
            st = path.stat()
            out.append((st.st_ino, st.st_size, st.st_mtime_ns))
        except OSError:
            out.append(None)
    return tuple(out)


def wait_for_edit(folder: Path) -> None:
    """Return once no edit of ``folder`` is running (an edit in progress is waited for)."""
    if (folder / LOCK).exists():
        with edit_lock(folder):
            pass
    recover_pending(folder)


@dataclass(frozen=True)
class Step:
    """One move of a commit: ``src`` replaces ``dst`` (a file or a folder; ``old`` is where a
    replaced folder is parked), or, with ``src`` None, ``dst`` is deleted."""

    dst: str
    src: str | None = None
    old: str | None = None


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``path`` through a temporary sibling and a rename (never half-written)."""
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}")
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    _fsync_dir(path.parent)


def _apply(steps: list[Step]) -> None:
    """Carry out ``steps`` in order; each is skipped when already done (so rerunnable)."""
    for i, step in enumerate(steps):
        dst = Path(step.dst)
        if step.src is None:
            if dst.is_dir():
                shutil.rmtree(dst, ignore_errors=True)
            else:
                dst.unlink(missing_ok=True)
        else:
            src = Path(step.src)
            if src.exists():
                if src.is_dir() and dst.exists():
                    os.replace(dst, Path(step.old or f"{dst}.old"))
                    checkpoint(f"commit:{i}:parked")
                os.replace(src, dst)
            if step.old:
                shutil.rmtree(step.old, ignore_errors=True)
        _fsync_dir(dst.parent)
        checkpoint(f"commit:{i}")


def commit(folder: Path, steps: list[Step]) -> None:
    """Apply ``steps`` all-or-nothing: the journal written first is the commit point; a
    process killed after it has its steps finished by the next :func:`recover_pending`.
    Call with :func:`edit_lock` held."""
    checkpoint("before-journal")
    record = {"version": 1, "steps": [step.__dict__ for step in steps]}
    write_atomic(folder / JOURNAL, json.dumps(record, indent=1).encode("utf-8"))
    checkpoint("journal")
    _apply(steps)
    (folder / JOURNAL).unlink(missing_ok=True)
    _fsync_dir(folder)
    checkpoint("committed")


def recover_pending(folder: Path) -> bool:
    """Finish an edit of the user corpus ``folder`` that was killed after its commit point.
    Cheap when there is nothing to do (one ``stat``); True when something was finished."""
    journal = folder / JOURNAL
    if not journal.exists():
        return False
    with edit_lock(folder):
        if not journal.exists():  # finished by another process meanwhile
            return False
        try:
            record = json.loads(journal.read_text(encoding="utf-8"))
            steps = [Step(**s) for s in record["steps"]]
        except (ValueError, KeyError, TypeError, OSError) as exc:
            raise CatalogError(
                f"{journal} is unreadable ({exc}): an add or remove was interrupted; delete the "
                "file and check the texts with `attest corpus --check`"
            ) from exc
        _apply(steps)
        journal.unlink(missing_ok=True)
        _fsync_dir(folder)
    return True


def staging_dir(folder: Path) -> Path:
    """A fresh staging folder for one edit (swept by :func:`sweep` once its process is gone)."""
    path = folder / f"{STAGING}{os.getpid()}-{uuid.uuid4().hex[:8]}"
    path.mkdir(parents=True)
    return path


def sweep(folder: Path) -> None:
    """Remove staging folders of edits whose process died, and temporary files they left."""
    for tmp in folder.glob(f"{STAGING}*"):
        pid = tmp.name[len(STAGING) :].split("-", 1)[0]
        if pid.isdigit() and not pid_alive(int(pid)):
            shutil.rmtree(tmp, ignore_errors=True)
    for tmp in folder.glob(f".{CATALOG_FILE}.tmp-*"):
        pid = tmp.name.rsplit(".tmp-", 1)[1].split("-", 1)[0]
        if pid.isdigit() and not pid_alive(int(pid)):
            tmp.unlink(missing_ok=True)


def pid_alive(pid: int) -> bool:
    """Whether a process ``pid`` exists (whose temporary files must not be swept)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


# --- the user catalog as data -----------------------------------------------------------------


def read_user_data(folder: Path) -> dict[str, Any]:
    """The user catalog's TOML as data (empty tables when there is none yet)."""
    path = folder / CATALOG_FILE
    if not path.is_file():
        return {"author": [], "work": []}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise CatalogError(f"{path} is not valid TOML ({exc}): fix the syntax") from exc
    return {"author": list(data.get("author", []) or []), "work": list(data.get("work", []) or [])}


def added_records(settings: Settings | None = None) -> dict[str, dict[str, Any]]:
    """The user catalog's raw entry of each added work (with ``added``, ``original_file``...),
    by work id; empty when nothing was added."""
    try:
        data = read_user_data(user_dir(settings))
    except CatalogError:
        return {}
    return {str(w.get("id")): w for w in data["work"] if isinstance(w, dict)}


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    # JSON string escapes are valid TOML basic-string escapes; DEL must be escaped too.
    return json.dumps(str(value), ensure_ascii=False).replace("\x7f", "\\u007f")


def catalog_toml(data: dict[str, Any]) -> str:
    """The user catalog ``data`` as TOML text (round-trips through ``tomllib``).

    Example::

        >>> text = catalog_toml({"author": [{"name": 'A "B"', "aliases": ["B"]}], "work": []})
        >>> tomllib.loads(text)["author"][0]["name"]
        'A "B"'
    """
    out = [CATALOG_HEADER.rstrip("\n")]
    for table in ("author", "work"):
        for entry in data.get(table, []):
            out.append(f"\n[[{table}]]")
            for key, value in entry.items():
                if value is None:
                    continue
                out.append(f"{key} = {_toml_value(value)}")
    text = "\n".join(out) + "\n"
    if tomllib.loads(text).get("work", []) != [
        {k: (list(v) if isinstance(v, tuple) else v) for k, v in w.items() if v is not None}
        for w in data.get("work", [])
    ]:
        raise CatalogError("the added texts' catalog did not survive writing as TOML")
    return text


# --- adding -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class AddPlan:
    """A checked addition: the new work, the new catalog (old works + it), what to write."""

    work: Work
    catalog: Catalog
    text: str
    catalog_text: str
    new_author: Author | None
    source: Ingested
    passages: tuple = field(default=(), compare=False)


def read_text_source(text: str, name: str = "pasted.txt") -> Ingested:
    """An :class:`Ingested` for text given directly (tests, scripts).

    Example::

        >>> read_text_source("One.\\n\\nTwo.").words
        2
    """
    from corpus.ingest import _normalise, guess_drop_lines, guess_footnotes, guess_headings

    body = _normalise(text)
    data = body.encode("utf-8")
    headings = guess_headings(body)
    return Ingested(
        text=body,
        format="text",
        original_name=name,
        original_bytes=len(data),
        original_sha256=hashlib.sha256(data).hexdigest(),
        headings=headings,
        footnotes=guess_footnotes(body),
        drop_lines=guess_drop_lines(body, headings),
    )


def _clean_field(value: str | None, what: str, flag: str) -> str:
    text = unicodedata.normalize("NFC", " ".join(str(value or "").split()))
    text = "".join(ch for ch in text if unicodedata.category(ch)[0] != "C")
    if not text:
        raise InputError(f"the {what} is missing: give it with {flag}")
    if len(text) > MAX_FIELD:
        raise InputError(f"the {what} is {len(text)} characters long; at most {MAX_FIELD}")
    return text


def _slug(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", folded).strip("-")


_SLUG_SKIP = frozenset(
    ["a", "an", "the", "of", "on", "and", "in", "to", "for", "from", "as", "at", "by", "with"]
)


def suggest_work_id(author: str, title: str, taken: set[str] | frozenset[str] = frozenset()) -> str:
    """A work id like the bundled ones: author's surname + a few title words, made unique.

    Example::

        >>> suggest_work_id("Isaac Deutscher", "Stalin: A Political Biography")
        'deutscher-stalin-political-biography'
        >>> suggest_work_id("Isaac Deutscher", "Stalin", {"deutscher-stalin"})
        'deutscher-stalin-2'
    """
    surname = _slug(author.split()[-1]) if author.split() else "work"
    words = [w for w in _slug(title).split("-") if w and w not in _SLUG_SKIP][:4]
    base = "-".join([surname or "work", *words])[:56].strip("-") or "work"
    wid, n = base, 2
    while wid in taken:
        wid, n = f"{base}-{n}", n + 1
    return wid


def _check_year(year: int | str | None) -> int | None:
    if year is None or (isinstance(year, str) and not year.strip()):
        return None
    try:
        value = int(str(year).strip())
    except ValueError:
        raise InputError(
            f"the year {str(year)[:20]!r} is not a year: give it as e.g. 1949"
        ) from None
    if not 1000 <= value <= dt.date.today().year + 1:
        raise InputError(f"the year {value} is out of range: give the year of publication")
    return value


def _author_entry(catalog: Catalog, name: str) -> tuple[str, Author | None]:
    """The catalog spelling of ``name`` (a known name or alias), or a new author entry."""
    known = catalog.author(name)
    if known is None:
        squeezed = re.sub(r"[\s.]+", "", name).casefold()
        known = next(
            (
                a
                for a in catalog.authors
                if squeezed in {re.sub(r"[\s.]+", "", x).casefold() for x in (a.name, *a.aliases)}
            ),
            None,
        )
    if known is not None:
        return known.name, None
    surname = name.split()[-1]
    taken = {x.casefold() for a in catalog.authors for x in (a.name, *a.aliases)}
    aliases = [x for x in dict.fromkeys([surname, name]) if x.casefold() not in taken or x == name]
    return name, Author(name=name, aliases=tuple(aliases))


def _header_lines(text: str, title: str, author: str) -> str | None:
    """``body_start`` for a text opening with its own title and byline (maybe after a running
    header): the first line after them; None when the text opens with its body."""
    names = {_slug(title), _slug(author), _slug("by " + author), _slug(author.split()[-1])}
    names |= {_slug(f"{title} {author}"), _slug(f"{author} {title}")}
    blocks = [b for b in re.split(r"\n\s*\n", text) if b.strip()]
    last = None
    for i, block in enumerate(blocks[:5]):
        if _slug(block.replace("#", " ").replace("*", " ")) in names:
            last = i
    if last is None or last + 1 >= len(blocks):
        return None
    body = blocks[last + 1]
    marker = body.strip().splitlines()[0].strip()[:60]
    pos = find_marker_line(text, marker)
    return marker if pos is not None and pos >= text.find(body) - 1 else None


def plan_add(
    settings: Settings | None,
    source: Ingested,
    *,
    author: str | None,
    title: str | None,
    year: int | str | None = None,
    work_id: str | None = None,
    split_marker: str | None = None,
    catalog: Catalog | None = None,
) -> AddPlan:
    """Check an addition against the current catalog and work out the new one (nothing is
    written). Refuses: a missing author or title, a bad or existing work id, a text already in
    the corpus (same sha256 of the file or of its text), a marker that starts no line, a text
    in which cleaning finds no passage."""
    from corpus.clean import clean_work

    s = get_settings(settings)
    author_name = _clean_field(author, "author", "--author")
    title_text = _clean_field(title, "title", "--title")
    year_value = _check_year(year)
    current = catalog if catalog is not None else load_catalog(s)
    folder = s.resolved_user_corpus_dir
    data = read_user_data(folder)

    text_sha = hashlib.sha256(source.text.encode("utf-8")).hexdigest()
    for w in current.works:
        originals = {w.sha256}
        if w.added:
            raw = next((x for x in data["work"] if x.get("id") == w.work_id), {})
            originals.add(str(raw.get("original_sha256", "")))
        if source.original_sha256 in originals or text_sha in originals:
            raise InputError(
                f"{source.original_name} is already in the corpus as {w.work_id!r} "
                f"({w.author}, {w.title}): nothing added"
                + (f"; remove it first with `attest remove {w.work_id}`" if w.added else "")
            )

    taken = {w.work_id for w in current.works}
    if work_id is not None and str(work_id).strip():
        wid = str(work_id).strip()
        if not WORK_ID.match(wid):
            raise InputError(
                f"the work id {wid[:70]!r} is not valid: use 3-64 lower-case letters, digits and "
                "hyphens, e.g. deutscher-stalin"
            )
        if wid in taken:
            raise InputError(
                f"a work with id {wid!r} is already in the corpus: choose another --work-id"
            )
    else:
        wid = suggest_work_id(author_name, title_text, taken)

    canonical, new_author = _author_entry(current, author_name)
    rel = f"{TEXTS}/added-{text_sha[:16]}.txt"
    marker = " ".join(split_marker.split()) if split_marker and split_marker.strip() else None
    entry: dict[str, Any] = {
        "id": wid,
        "author": canonical,
        "title": title_text,
        "year": year_value,
        "file": rel,
        "sha256": text_sha,
        "source": "",
        "start_marker": marker,
        "body_start": None if marker else _header_lines(source.text, title_text, canonical),
        "drop_lines": list(source.drop_lines) or None,
        "headings": source.headings,
        "footnotes": source.footnotes,
        "added": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "original_file": source.original_name,
        "original_sha256": source.original_sha256,
        "original_format": source.format,
    }
    new_data = {
        "author": [
            *data["author"],
            *(
                [{"name": new_author.name, "aliases": list(new_author.aliases)}]
                if new_author
                else []
            ),
        ],
        "work": [*data["work"], entry],
    }
    text = catalog_toml(new_data)
    base = _base_catalog(current)
    new_catalog, problems = parse_catalog_text(text, folder, known=base)
    if problems:
        raise CatalogError(problems[0])
    work = new_catalog.work(wid)
    try:
        work_span(work, source.text)
    except CatalogError:
        raise InputError(
            f"the split marker {marker!r} begins no line of {source.original_name}: give the "
            "exact start of the line where the work begins"
        ) from None
    passages = tuple(clean_work(work, source.text))
    if not any(p.kind == "body" for p in passages):
        raise InputError(
            f"{source.original_name}: no paragraph of text was found in it after cleaning: "
            "check that it holds the essay itself"
        )
    return AddPlan(work, new_catalog, source.text, text, new_author, source, passages)


def _base_catalog(catalog: Catalog) -> Catalog:
    """``catalog`` without its added works and their authors (the corpus folder's own)."""
    added_authors = {w.author for w in catalog.works if w.added} - {
        w.author for w in catalog.works if not w.added
    }
    return Catalog(
        corpus_dir=catalog.corpus_dir,
        works=tuple(w for w in catalog.works if not w.added),
        authors=tuple(a for a in catalog.authors if a.name not in added_authors),
    )


# --- removing ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class RemovePlan:
    """A checked removal: the work, the catalog without it, and what to write and delete."""

    work: Work
    catalog: Catalog
    catalog_text: str
    delete_file: Path | None
    removed_author: str | None


def plan_remove(
    settings: Settings | None, work_id: str, *, catalog: Catalog | None = None
) -> RemovePlan:
    """Check a removal (only added works can be removed) and work out the new catalog."""
    s = get_settings(settings)
    current = catalog if catalog is not None else load_catalog(s, verify=False)
    wid = str(work_id or "").strip()
    if not wid:
        raise InputError("say which work to remove (its id, from `attest corpus`)")
    found = next((w for w in current.works if w.work_id == wid), None)
    if found is None:
        added = ", ".join(w.work_id for w in current.added) or "none"
        raise InputError(f"no work {wid[:70]!r} in the corpus; added works: {added}")
    if not found.added:
        raise InputError(
            f"{wid!r} is part of the corpus in {current.corpus_dir}, which attest never changes; "
            "only works added with `attest add` can be removed"
        )
    folder = s.resolved_user_corpus_dir
    data = read_user_data(folder)
    works = [w for w in data["work"] if w.get("id") != wid]
    still = {w.get("author") for w in works} | {w.author for w in current.works if not w.added}
    authors = [a for a in data["author"] if a.get("name") in still]
    removed_author = found.author if found.author not in still else None
    text = catalog_toml({"author": authors, "work": works})
    new_catalog, problems = parse_catalog_text(text, folder, known=_base_catalog(current))
    if problems:
        raise CatalogError(problems[0])
    shared = any(w.path == found.path for w in new_catalog.works)
    return RemovePlan(found, new_catalog, text, None if shared else found.path, removed_author)
