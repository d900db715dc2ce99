"""Adding and removing a work without rebuilding the index.

:func:`add_text` reads a file (:mod:`corpus.ingest`), checks it against the catalog
(:func:`corpus.user.plan_add`), cleans and chunks the new work only, embeds only its chunks and
their sentences, and writes a new index folder from the stored vectors of the other chunks plus
the new ones (FAISS and BM25 rebuilt from them: a second or less for this corpus). :func:`remove_work`
drops a work's chunks and vectors the same way, embedding nothing.

Both are all-or-nothing (see :mod:`corpus.user`): the new text, the new user catalog and the new
index folder are staged beside their targets, then a journal is written (the commit point) and
each is renamed into place; a process killed before the journal leaves everything as it was, one
killed after it has its renames finished by the next reader. The new index carries the same
manifest checks as a full build (its corpus fingerprint is the new catalog's, so it is current).

Chunks keep the order a full build gives them (body chunks work by work in catalog order, then
footnote chunks), so an index updated this way equals a rebuilt one (same chunk ids in the same
order). When the index on disk is missing or not current, the edit builds it whole instead.

In one process, :func:`latest` hands out the newest index of a folder: an answer started before an
update finishes on the index it started with, the next one gets the new index (never a mix).
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np

from corpus.catalog import Catalog, Work, load_catalog
from corpus.errors import IndexFileError
from corpus.ingest import Ingested, read_source
from corpus.load import corpus_fingerprint, load_passages
from corpus.passage import Passage
from corpus.settings import Settings, get_settings
from corpus.user import (
    TEXTS,
    AddPlan,
    Step,
    commit,
    edit_lock,
    plan_add,
    plan_remove,
    recover_pending,
    staging_dir,
    sweep,
)
from embeddings.base import Embedder
from rag.retrieval import files
from rag.retrieval.chunking import Chunk, chunk_passages
from rag.retrieval.files import MANIFEST_FILE
from rag.retrieval.store import (
    Index,
    embed_chunks,
    embed_sentences,
    load_index,
    replace_cached,
    stage_index,
    staleness,
)

__all__ = ["EditResult", "add_source", "add_text", "latest", "remove_work"]

Progress = Callable[[float, str], Any]
Log = Callable[[str], Any]
EMBED_BATCH = 64  # texts per progress step while embedding


@dataclass(frozen=True)
class EditResult:
    """What an add or remove did: the work, what was embedded, the index now served."""

    action: str  # "added" | "removed"
    work: Work
    passages: int
    words: int
    chunks_changed: int
    chunks_total: int
    embedded: int  # texts embedded (chunks + sentences); 0 for a removal
    seconds: float
    embed_seconds: float
    rebuilt: bool  # the index was (re)built whole: it was missing or not current
    new_author: str | None
    removed_author: str | None
    index: Index

    def summary(self) -> str:
        """One line for the terminal or the chat."""
        w = self.work
        year = f" ({w.year})" if w.year else ""
        what = f"{w.work_id}: {w.author}, {w.title}{year}"
        if self.action == "added":
            how = (
                "index rebuilt whole (it was missing or not current)"
                if self.rebuilt
                else f"{self.chunks_changed} new chunks embedded ({self.embedded} texts, "
                f"{self.embed_seconds:.1f} s), the other chunks reused"
            )
            author = f"; new author {self.new_author}" if self.new_author else ""
            return (
                f"added {what} — {self.passages} passages, {self.words} words; {how}; "
                f"index now {self.chunks_total} chunks ({self.seconds:.1f} s){author}"
            )
        author = f"; author {self.removed_author} has no work left" if self.removed_author else ""
        return (
            f"removed {what} — {self.chunks_changed} chunks dropped; index now "
            f"{self.chunks_total} chunks ({self.seconds:.1f} s){author}"
        )


def _quiet(*_: Any) -> None:
    return None


# --- the newest index of a folder, in this process ------------------------------------------------

_LATEST: dict[str, Index] = {}


def _key(index: Index) -> str | None:
    return str(Path(index.path).resolve()) if index.path is not None else None


def publish(index: Index) -> None:
    """Make ``index`` the one :func:`latest` and the process cache hand out for its folder."""
    key = _key(index)
    if key is None:
        return
    index.stamp = files.stamp(Path(index.path))
    _LATEST[key] = index
    replace_cached(index)


def latest(index: Any, settings: Settings | None = None) -> Any:
    """The newest index of ``index``'s folder: ``index`` itself, or the one an add/remove in
    this process published since, or (given ``settings``) the one another process put on disk.

    One ``stat`` of the manifest per call. An index object is never changed, so a search that
    holds one sees a whole index, old or new.
    """
    if not isinstance(index, Index) or index.path is None or index.stamp is None:
        return index  # not read from or written to a folder: nothing newer to look for
    disk = files.stamp(Path(index.path))
    if disk is None or index.stamp == disk:
        return index
    newer = _LATEST.get(_key(index) or "")
    if newer is not None and newer.stamp == disk:
        return newer
    if settings is None:
        return newer if newer is not None else index
    try:
        fresh = load_index(settings)
    except Exception:  # a folder mid-swap or damaged: keep serving what we have
        return newer if newer is not None else index
    if Path(fresh.path or "").resolve() != Path(index.path).resolve():
        return index
    publish(fresh)
    return fresh


# --- shared steps --------------------------------------------------------------------------------


def _embed_texts(
    texts: Sequence[str], embedder: Embedder, progress: Progress, start: float, span: float
) -> np.ndarray:
    """Embeddings of ``texts`` (in their order), computed longest first in slices of
    :data:`EMBED_BATCH` (similar lengths pad least), reporting progress after each slice."""
    if not texts:
        return np.zeros((0, embedder.dim), dtype=np.float32)
    order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
    out: np.ndarray | None = None
    for i in range(0, len(order), EMBED_BATCH):
        part = order[i : i + EMBED_BATCH]
        vectors = np.asarray(embedder.encode([texts[j] for j in part]), dtype=np.float32)
        if out is None:
            out = np.zeros((len(texts), vectors.shape[1]), dtype=np.float32)
        out[part] = vectors
        done = min(len(texts), i + EMBED_BATCH)
        progress(start + span * done / len(texts), f"embedding {done} of {len(texts)} texts")
    assert out is not None
    return out


def _canonical(chunks: Sequence[Chunk], catalog: Catalog) -> list[int]:
    """Positions of ``chunks`` in the order a full build gives them: body chunks work by work
    in catalog order, then footnote chunks likewise (stable within a work)."""
    rank = {w.work_id: i for i, w in enumerate(catalog.works)}
    return sorted(
        range(len(chunks)),
        key=lambda i: (chunks[i].kind == "footnote", rank.get(chunks[i].work_id, len(rank)), i),
    )


def _current_index(s: Settings, embedder_name: str) -> Index | None:
    """The index on disk when it is current for the catalog as it is now; else None."""
    folder = s.resolved_index_dir
    files.recover_swap(folder)
    if not (folder / MANIFEST_FILE).exists():
        return None
    try:
        raw = files.read_json(folder / MANIFEST_FILE)
        if not isinstance(raw, dict) or staleness(raw, s, embedder_name) is not None:
            return None
        return load_index(s)
    except IndexFileError:
        return None


def _sentence_blocks(index: Index) -> list[np.ndarray]:
    m = index.sentence_matrix
    if m is None:
        raise IndexFileError(f"the index at {index.path} has no sentence vectors; rebuild it")
    o = index.sentence_offsets
    return [m[o[i] : o[i + 1]] for i in range(len(index.chunks))]


def _assemble(
    chunks: list[Chunk],
    vectors: np.ndarray,
    blocks: list[np.ndarray],
    catalog: Catalog,
    dim: int,
) -> tuple[list[Chunk], np.ndarray, np.ndarray]:
    order = _canonical(chunks, catalog)
    ordered = [chunks[i] for i in order]
    matrix = vectors[order] if len(order) else np.zeros((0, dim), np.float32)
    parts = [blocks[i] for i in order]
    sentences = np.concatenate(parts) if parts else np.zeros((0, dim), np.float32)
    assert sentences.shape[0] == sum(len(c.sentences) for c in ordered)
    return ordered, matrix, sentences


def _fingerprint(catalog: Catalog) -> str:
    return "catalog:" + corpus_fingerprint(catalog)


def _finish(
    s: Settings, folder: Path, steps: list[Step], tmp_index: Path, index: Index, staging: Path
) -> Index:
    target = s.resolved_index_dir
    old = target.with_name(f".{target.name}.old-edit-{tmp_index.name[-8:]}")
    steps.append(Step(dst=str(target), src=str(tmp_index), old=str(old)))
    commit(folder, steps)
    shutil.rmtree(staging, ignore_errors=True)
    publish(index)
    return index


# --- adding ----------------------------------------------------------------------------------------


def add_text(
    settings: Settings | None,
    path: Path | str,
    *,
    author: str | None,
    title: str | None,
    year: int | str | None = None,
    work_id: str | None = None,
    split_marker: str | None = None,
    name: str | None = None,
    embedder: Embedder | None = None,
    log: Log = _quiet,
    progress: Progress = _quiet,
) -> EditResult:
    """Add the file at ``path`` (``name``: its original name) as a new work; see the module
    docstring. Bad input raises :class:`~corpus.errors.InputError` and changes nothing."""
    s = get_settings(settings)
    progress(0.02, "reading the file")
    source = read_source(path, max_bytes=s.add_max_bytes, name=name)
    return add_source(
        s,
        source,
        author=author,
        title=title,
        year=year,
        work_id=work_id,
        split_marker=split_marker,
        embedder=embedder,
        log=log,
        progress=progress,
    )


def add_source(
    settings: Settings | None,
    source: Ingested,
    *,
    author: str | None,
    title: str | None,
    year: int | str | None = None,
    work_id: str | None = None,
    split_marker: str | None = None,
    embedder: Embedder | None = None,
    log: Log = _quiet,
    progress: Progress = _quiet,
) -> EditResult:
    """Add already converted text (:class:`~corpus.ingest.Ingested`) as a new work."""
    s = get_settings(settings)
    t0 = time.perf_counter()
    folder = s.resolved_user_corpus_dir
    with edit_lock(folder):
        recover_pending(folder)
        sweep(folder)
        progress(0.05, "checking the text against the catalog")
        old_catalog = load_catalog(s)
        plan = plan_add(
            s,
            source,
            author=author,
            title=title,
            year=year,
            work_id=work_id,
            split_marker=split_marker,
            catalog=old_catalog,
        )
        if embedder is None:
            from embeddings.factory import get_embedder

            embedder = get_embedder(s)
        progress(0.1, f"cleaned into {len(plan.passages)} passages; chunking")
        new_chunks = chunk_passages(plan.passages, s)
        old = _current_index(s, embedder.name)
        staging = staging_dir(folder)
        try:
            text_file = staging / Path(plan.work.file).name
            text_file.write_bytes(plan.text.encode("utf-8"))
            (staging / "catalog.toml").write_text(plan.catalog_text, encoding="utf-8")
            steps = [
                Step(dst=str(folder / TEXTS / text_file.name), src=str(text_file)),
                Step(dst=str(folder / "catalog.toml"), src=str(staging / "catalog.toml")),
            ]
            (folder / TEXTS).mkdir(parents=True, exist_ok=True)
            t_embed = time.perf_counter()
            if old is not None:
                tmp, index, embedded = _stage_added(
                    s, old, new_chunks, plan, embedder, progress, t0
                )
            else:
                log("index: missing or not current; building it whole with the new text")
                tmp, index, embedded = _stage_whole(s, old_catalog, plan, embedder, progress, t0)
            embed_s = time.perf_counter() - t_embed
            progress(0.95, "putting the new text and index in place")
            index = _finish(s, folder, steps, tmp, index, staging)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
    progress(1.0, "done")
    return EditResult(
        action="added",
        work=plan.work,
        passages=len(plan.passages),
        words=sum(len(p.text.split()) for p in plan.passages),
        chunks_changed=len(new_chunks),
        chunks_total=len(index.chunks),
        embedded=embedded,
        seconds=time.perf_counter() - t0,
        embed_seconds=embed_s,
        rebuilt=old is None,
        new_author=plan.new_author.name if plan.new_author else None,
        removed_author=None,
        index=index,
    )


def _stage_added(
    s: Settings,
    old: Index,
    new_chunks: list[Chunk],
    plan: AddPlan,
    embedder: Embedder,
    progress: Progress,
    t0: float,
) -> tuple[Path, Index, int]:
    texts = [c.indexed_text for c in new_chunks]
    sentence_texts = [c.text[v.start : v.end] for c in new_chunks for v in c.sentences]
    total = len(texts) + len(sentence_texts)
    # Chunks and their sentences in one pass, so batches of similar length form across both.
    both = _embed_texts([*texts, *sentence_texts], embedder, progress, 0.15, 0.75)
    vectors, sentence_vectors = both[: len(texts)], both[len(texts) :]
    if vectors.shape != (len(new_chunks), old.dim):
        raise IndexFileError(
            f"embedder {embedder.name!r} returned {vectors.shape} for {len(new_chunks)} chunks; "
            f"the index has dim {old.dim}: run `attest index --rebuild`"
        )
    blocks = _sentence_blocks(old)
    offset = 0
    for c in new_chunks:
        blocks.append(sentence_vectors[offset : offset + len(c.sentences)])
        offset += len(c.sentences)
    chunks, matrix, sentences = _assemble(
        [*old.chunks, *new_chunks],
        np.concatenate([old.vectors(), vectors]),
        blocks,
        plan.catalog,
        old.dim,
    )
    progress(0.9, "writing the index")
    extra = {"last_edit": {"added": plan.work.work_id, "embedded": total}}
    tmp, index = stage_index(
        s, chunks, matrix, sentences, embedder, _fingerprint(plan.catalog), t0, extra
    )
    return tmp, index, total


def _stage_whole(
    s: Settings,
    old_catalog: Catalog,
    plan: AddPlan,
    embedder: Embedder,
    progress: Progress,
    t0: float,
) -> tuple[Path, Index, int]:
    passages: list[Passage] = [*load_passages(s, catalog=old_catalog), *plan.passages]
    chunks = chunk_passages(passages, s)
    progress(0.15, f"embedding {len(chunks)} chunks (the whole corpus)")
    matrix = embed_chunks(chunks, embedder)
    sentence_texts = [c.text[v.start : v.end] for c in chunks for v in c.sentences]
    sentences = _embed_texts(sentence_texts, embedder, progress, 0.4, 0.5)
    progress(0.9, "writing the index")
    tmp, index = stage_index(s, chunks, matrix, sentences, embedder, _fingerprint(plan.catalog), t0)
    return tmp, index, len(chunks) + len(sentence_texts)


# --- removing --------------------------------------------------------------------------------------


def remove_work(
    settings: Settings | None,
    work_id: str,
    *,
    embedder: Embedder | None = None,
    log: Log = _quiet,
    progress: Progress = _quiet,
) -> EditResult:
    """Remove an added work: its text, its catalog entry (and its author's, when no other work
    is theirs) and its chunks. Works of the corpus folder cannot be removed."""
    s = get_settings(settings)
    t0 = time.perf_counter()
    folder = s.resolved_user_corpus_dir
    with edit_lock(folder):
        recover_pending(folder)
        sweep(folder)
        progress(0.1, "checking the catalog")
        plan = plan_remove(s, work_id)
        if embedder is None:
            from embeddings.factory import get_embedder

            embedder = get_embedder(s)  # its name only; the model is not loaded
        old = _current_index(s, embedder.name)
        staging = staging_dir(folder)
        try:
            (staging / "catalog.toml").write_text(plan.catalog_text, encoding="utf-8")
            steps = [Step(dst=str(folder / "catalog.toml"), src=str(staging / "catalog.toml"))]
            if plan.delete_file is not None:
                steps.append(Step(dst=str(plan.delete_file)))
            progress(0.4, "dropping its chunks")
            if old is not None:
                keep = [i for i, c in enumerate(old.chunks) if c.work_id != plan.work.work_id]
                blocks = _sentence_blocks(old)
                chunks, matrix, sentences = _assemble(
                    [old.chunks[i] for i in keep],
                    old.vectors_of(np.asarray(keep, dtype=np.int64)),
                    [blocks[i] for i in keep],
                    plan.catalog,
                    old.dim,
                )
                like = SimpleNamespace(name=old.manifest["embedding_model"], dim=old.dim)
                extra = {"last_edit": {"removed": plan.work.work_id, "embedded": 0}}
                tmp, index = stage_index(
                    s, chunks, matrix, sentences, like, _fingerprint(plan.catalog), t0, extra
                )
                dropped = len(old.chunks) - len(keep)
            else:
                log("index: missing or not current; building it whole without the work")
                passages = load_passages(s, catalog=plan.catalog)
                chunks = chunk_passages(passages, s)
                tmp, index = stage_index(
                    s,
                    chunks,
                    embed_chunks(chunks, embedder),
                    embed_sentences(chunks, embedder),
                    embedder,
                    _fingerprint(plan.catalog),
                    t0,
                )
                dropped = 0
            progress(0.9, "putting the new catalog and index in place")
            index = _finish(s, folder, steps, tmp, index, staging)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
    progress(1.0, "done")
    return EditResult(
        action="removed",
        work=plan.work,
        passages=0,
        words=0,
        chunks_changed=dropped,
        chunks_total=len(index.chunks),
        embedded=0,
        seconds=time.perf_counter() - t0,
        embed_seconds=0.0,
        rebuilt=old is None,
        new_author=None,
        removed_author=plan.removed_author,
        index=index,
    )
