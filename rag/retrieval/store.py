"""The search index: FAISS vectors + chunks as JSON + a manifest on disk; BM25 in memory.

Layout of the index folder (``settings.resolved_index_dir``)::

    vectors.faiss   FAISS index (inner product over L2-normalised chunk embeddings)
    sentences.npy   one embedding per sentence of every chunk, in chunk then sentence order
                    (the answer-sentence selector reads these; NumPy format, no pickle)
    chunks.json     the chunks with their sentences and voices, in FAISS id order (never pickle)
    manifest.json   schema version, model name and dim, corpus fingerprint, chunking settings,
                    faiss factory and version, chunk count, created time, build seconds,
                    and the size and sha256 of the files above (verified on load)

Writes are atomic (:mod:`rag.retrieval.files`); adding or removing one work updates the index
without re-embedding the others (:mod:`rag.retrieval.update`). Loading checks the manifest schema, each file's
size and sha256, the chunk count against FAISS ``ntotal`` and the dimension against the
embedder; a broken file raises :class:`~corpus.errors.IndexFileError` naming the file and the fix
(``attest index --rebuild``). An index built from another corpus, chunking or model is *stale*
and :func:`ensure_index` rebuilds it with a one-line message.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import os
import shutil
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from corpus.errors import IndexFileError
from corpus.passage import Passage, QuoteSpan
from corpus.settings import Settings, get_settings
from embeddings.base import Embedder
from rag.retrieval import files, vectors
from rag.retrieval.bm25 import LexicalIndex
from rag.retrieval.chunking import CHUNKER_VERSION, Chunk, chunk_passages
from rag.retrieval.files import CHUNKS_FILE, FAISS_FILE, MANIFEST_FILE, REBUILD_HINT, SENTENCES_FILE
from rag.retrieval.stats import CorpusStats, corpus_stats
from rag.text.voices import VOICE_RULES_VERSION, SentenceVoice, Voice

SCHEMA_VERSION = 2

Log = Callable[[str], Any]


# --- fingerprints ------------------------------------------------------------------------------


def passages_fingerprint(passages: Sequence[Passage]) -> str:
    """A hash of everything chunking reads from explicit passages (tests, other corpora); the
    catalog's own corpus uses the cheaper :func:`corpus.load.corpus_fingerprint`.

    Example::

        >>> passages_fingerprint([]) == passages_fingerprint([])
        True
    """
    h = hashlib.sha256()
    for p in passages:
        record = [
            p.work_id, p.author, p.title, p.year, p.section, p.paragraph_no, p.anchor, p.kind,
            p.text, p.raw_start, p.raw_end, p.file, list(p.footnote_refs), p.note_no,
            [[q.start, q.end, q.speaker] for q in p.quotes],
        ]  # fmt: skip
        h.update(json.dumps(record, ensure_ascii=False).encode("utf-8"))
        h.update(b"\n")
    return h.hexdigest()[:32]


def expected_fingerprint(settings: Settings, passages: Sequence[Passage] | None) -> str:
    """The fingerprint an index of this corpus must carry (explicit ``passages`` are hashed
    themselves; otherwise the catalog's fingerprint, which needs no parsing)."""
    if passages is not None:
        return passages_fingerprint(passages)
    from corpus.catalog import load_catalog
    from corpus.load import corpus_fingerprint

    return "catalog:" + corpus_fingerprint(load_catalog(settings))


def chunking_config(settings: Settings) -> dict[str, Any]:
    """The settings that change chunk boundaries (part of the staleness check)."""
    return {
        "chunker_version": CHUNKER_VERSION,
        "voice_rules_version": VOICE_RULES_VERSION,
        "chunk_target_words": settings.chunk_target_words,
        "chunk_max_words": settings.chunk_max_words,
        "chunk_overlap_sentences": settings.chunk_overlap_sentences,
    }


# --- (de)serialising chunks ----------------------------------------------------------------------


def chunk_to_dict(chunk: Chunk) -> dict[str, Any]:
    d = dataclasses.asdict(chunk)
    d["quotes"] = [[q.start, q.end, q.speaker] for q in chunk.quotes]
    d["sentences"] = [
        [v.start, v.end, v.voice.value, v.speaker, v.attribution] for v in chunk.sentences
    ]
    return d


def chunk_from_dict(d: dict[str, Any]) -> Chunk:
    d = dict(d)
    d["quotes"] = tuple(QuoteSpan(int(a), int(b), s) for a, b, s in d.get("quotes", ()))
    d["sentences"] = tuple(
        SentenceVoice(int(a), int(b), Voice(v), sp, bool(at))
        for a, b, v, sp, at in d.get("sentences", ())
    )
    d["passage_anchors"] = tuple(d.get("passage_anchors", ()))
    d["footnote_refs"] = tuple(int(r) for r in d.get("footnote_refs", ()))
    return Chunk(**d)


# --- the Index ---------------------------------------------------------------------------------


@dataclasses.dataclass
class Index:
    """Chunks with their FAISS vectors, a BM25 index over the same texts, and the manifest."""

    chunks: list[Chunk]
    faiss: Any
    manifest: dict[str, Any]
    bm25: LexicalIndex
    path: Path | None = None
    nprobe: int = 16
    ef_search: int = 64

    sentence_matrix: np.ndarray | None = None
    # Identity of the manifest file this index was read from or written as (see files.stamp):
    # rag.retrieval.update.latest compares it with the disk to notice a newer index.
    stamp: tuple[int, ...] | None = None

    def __post_init__(self) -> None:
        self.by_id = {c.id: i for i, c in enumerate(self.chunks)}
        counts = [len(c.sentences) for c in self.chunks]
        self.sentence_offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        self.authors = sorted({c.author for c in self.chunks})
        self._stats: CorpusStats | None = None
        self._stats_lock = threading.Lock()

    @property
    def stats(self) -> CorpusStats:
        """Document frequencies and phrase text of the chunks, computed on first use."""
        with self._stats_lock:
            if self._stats is None:
                self._stats = corpus_stats(self.chunks)
            return self._stats

    def __len__(self) -> int:
        return len(self.chunks)

    @property
    def dim(self) -> int:
        return int(self.faiss.d)

    def dense_search(
        self, query_vector: np.ndarray, k: int, ids: Sequence[int] | np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Top-``k`` (scores, chunk ids) by inner product, searched by FAISS, only among ``ids``
        when given."""
        return vectors.search(
            self.faiss, query_vector, k, ids, nprobe=self.nprobe, ef=self.ef_search
        )

    def vectors_of(self, ids: Sequence[int] | np.ndarray) -> np.ndarray:
        """The stored vectors of a few chunks (for exact scores and MMR)."""
        return vectors.reconstruct(self.faiss, ids)

    def vectors(self) -> np.ndarray:
        """Every chunk vector, read back from FAISS (an incremental update reuses them)."""
        return self.vectors_of(np.arange(len(self.chunks)))

    def lexical_scores(self, query: str) -> np.ndarray:
        """BM25 score of every chunk."""
        return self.bm25.scores(query)

    def sentence_vectors(self, chunk: Chunk) -> np.ndarray | None:
        """The stored embeddings of ``chunk``'s sentences (None when this index has none)."""
        i = self.by_id.get(chunk.id)
        if self.sentence_matrix is None or i is None:
            return None
        return self.sentence_matrix[self.sentence_offsets[i] : self.sentence_offsets[i + 1]]


def _make_index(
    chunks: list[Chunk], faiss_index: Any, sentences: np.ndarray, manifest: dict, s: Settings, path
) -> Index:
    bm25 = LexicalIndex([c.indexed_text for c in chunks])
    return Index(
        chunks, faiss_index, manifest, bm25, path, s.faiss_nprobe, s.faiss_ef_search, sentences
    )


def _npy_bytes(matrix: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, np.ascontiguousarray(matrix, dtype=np.float32), allow_pickle=False)
    return buf.getvalue()


# --- building ----------------------------------------------------------------------------------


def write_index(
    s: Settings,
    chunks: list[Chunk],
    matrix: np.ndarray,
    sentences: np.ndarray,
    embedder: Embedder,
    fingerprint: str,
    started: float,
) -> Index:
    """Build FAISS over ``matrix`` (one row per chunk), store ``sentences`` (one row per chunk
    sentence) and swap the index folder in atomically."""
    tmp, result = stage_index(s, chunks, matrix, sentences, embedder, fingerprint, started)
    target = s.resolved_index_dir
    try:
        files.swap_into_place(tmp, target)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    result.stamp = files.stamp(target)
    return result


def stage_index(
    s: Settings,
    chunks: list[Chunk],
    matrix: np.ndarray,
    sentences: np.ndarray,
    embedder: Embedder,
    fingerprint: str,
    started: float,
    extra: dict[str, Any] | None = None,
) -> tuple[Path, Index]:
    """Write a complete index folder beside the index folder (not yet in place): returns its
    temporary path, for the caller to rename into place, and the :class:`Index` it holds
    (``path`` already the final folder). ``extra`` is added to the manifest."""
    import faiss

    index = vectors.make_faiss(np.ascontiguousarray(matrix, dtype=np.float32), s.faiss_factory)
    manifest = {
        "schema_version": SCHEMA_VERSION,
        "embedding_model": embedder.name,
        "dim": int(embedder.dim),
        "corpus_fingerprint": fingerprint,
        "chunking": chunking_config(s),
        "faiss_factory": s.faiss_factory,
        "faiss_version": faiss.__version__,
        "count": len(chunks),
        "sentences": len(sentences),
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "build_seconds": round(time.perf_counter() - started, 3),
        **(extra or {}),
    }
    blobs = {
        FAISS_FILE: faiss.serialize_index(index).tobytes(),
        SENTENCES_FILE: _npy_bytes(sentences),
        CHUNKS_FILE: json.dumps([chunk_to_dict(c) for c in chunks], ensure_ascii=False).encode(),
    }
    target = s.resolved_index_dir
    target.parent.mkdir(parents=True, exist_ok=True)
    files.sweep_abandoned_builds(target)
    # The builder's pid in the name lets a later build tell an abandoned folder from a live one.
    tmp = target.with_name(f".{target.name}.tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}")
    try:
        files.write_folder(tmp, blobs, manifest)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return tmp, _make_index(chunks, index, sentences, manifest, s, target)


def embed_sentences(chunks: Sequence[Chunk], embedder: Embedder) -> np.ndarray:
    """One embedding per sentence of every chunk (chunk order, then sentence order)."""
    texts = [c.text[v.start : v.end] for c in chunks for v in c.sentences]
    if not texts:
        return np.zeros((0, embedder.dim), dtype=np.float32)
    return np.asarray(embedder.encode(texts), dtype=np.float32)


def embed_chunks(chunks: Sequence[Chunk], embedder: Embedder) -> np.ndarray:
    """The embeddings of ``chunks`` (header + text), checked for the embedder's dimension."""
    matrix = embedder.encode([c.indexed_text for c in chunks])
    if matrix.shape != (len(chunks), embedder.dim):
        raise IndexFileError(
            f"embedder {embedder.name!r} returned shape {matrix.shape} for {len(chunks)} chunks "
            f"(expected dim {embedder.dim}); check the embedding_model setting"
        )
    return matrix


def build_index(
    settings: Settings | None = None,
    *,
    embedder: Embedder | None = None,
    log: Log = print,
    passages: Sequence[Passage] | None = None,
) -> Index:
    """Chunk the corpus, embed the chunks and write the index folder atomically.

    ``passages`` defaults to the corpus named by ``settings.corpus_dir``.
    """
    s = get_settings(settings)
    embedder = embedder or _default_embedder(s)
    t0 = time.perf_counter()
    _recover_edits(s)
    fingerprint = expected_fingerprint(s, passages)
    if passages is None:
        from corpus.load import load_passages

        passages = load_passages(s)
    chunks = chunk_passages(passages, s)
    result = write_index(
        s,
        chunks,
        embed_chunks(chunks, embedder),
        embed_sentences(chunks, embedder),
        embedder,
        fingerprint,
        t0,
    )
    log(f"index: {len(chunks)} chunks built in {time.perf_counter() - t0:.1f} s -> {result.path}")
    return result


# --- loading -----------------------------------------------------------------------------------


def read_manifest(settings: Settings | None = None) -> dict[str, Any]:
    """The manifest of the index on disk (raises IndexFileError when missing or corrupt)."""
    s = get_settings(settings)
    path = s.resolved_index_dir / MANIFEST_FILE
    manifest = files.read_json(path)
    if not isinstance(manifest, dict):
        raise IndexFileError(f"index file {path} is not a manifest object; {REBUILD_HINT}")
    version = manifest.get("schema_version")
    if version != SCHEMA_VERSION:
        raise IndexFileError(
            f"index file {path} has schema version {version!r}, this attest reads "
            f"{SCHEMA_VERSION}; {REBUILD_HINT}"
        )
    return manifest


def _read_chunks(folder: Path, manifest: dict[str, Any]) -> list[Chunk]:
    path = folder / CHUNKS_FILE
    data = files.read_bytes(path)
    files.verify_file(path, data, manifest)
    try:
        return [chunk_from_dict(d) for d in files.parse_json(path, data)]
    except (TypeError, ValueError, KeyError) as exc:
        raise IndexFileError(
            f"index file {path} has malformed chunks ({exc}); {REBUILD_HINT}"
        ) from exc


def _read_faiss(folder: Path, manifest: dict[str, Any]) -> Any:
    import faiss

    path = folder / FAISS_FILE
    blob = files.read_bytes(path)
    files.verify_file(path, blob, manifest)
    try:
        return faiss.deserialize_index(np.frombuffer(blob, dtype=np.uint8))
    except Exception as exc:
        raise IndexFileError(
            f"index file {path} is truncated or corrupt ({type(exc).__name__}); {REBUILD_HINT}"
        ) from exc


def _read_sentences(folder: Path, manifest: dict[str, Any], chunks: list[Chunk], dim: int):
    path = folder / SENTENCES_FILE
    data = files.read_bytes(path)
    files.verify_file(path, data, manifest)
    try:
        matrix = np.load(io.BytesIO(data), allow_pickle=False)
    except ValueError as exc:
        raise IndexFileError(
            f"index file {path} is not a NumPy array ({exc}); {REBUILD_HINT}"
        ) from exc
    expected = (sum(len(c.sentences) for c in chunks), dim)
    if matrix.shape != expected:
        raise IndexFileError(
            f"index file {path} holds {matrix.shape} sentence vectors, the chunks need "
            f"{expected}; {REBUILD_HINT}"
        )
    return matrix


def load_index(settings: Settings | None = None, *, embedder: Embedder | None = None) -> Index:
    """Load and validate the index folder (no staleness check; see :func:`ensure_index`).

    A folder swapped in by another process while it was being read is read again, once."""
    s = get_settings(settings)
    _recover_edits(s)
    before = files.stamp(s.resolved_index_dir)
    try:
        return _load_index(s, embedder)
    except IndexFileError:
        if files.stamp(s.resolved_index_dir) == before:
            raise
        return _load_index(s, embedder)


def _recover_edits(s: Settings) -> None:
    """Finish an add/remove of a text killed after its commit point (it moves the index too)."""
    from corpus.user import recover_pending

    recover_pending(s.resolved_user_corpus_dir)


def _load_index(s: Settings, embedder: Embedder | None) -> Index:
    folder = s.resolved_index_dir
    files.recover_swap(folder)
    stamp = files.stamp(folder)
    if not (folder / MANIFEST_FILE).exists():
        raise IndexFileError(f"no index at {folder}; run `attest index`")
    manifest = read_manifest(s)
    chunks = _read_chunks(folder, manifest)
    index = _read_faiss(folder, manifest)
    faiss_path = folder / FAISS_FILE
    if index.ntotal != len(chunks) or manifest.get("count") != len(chunks):
        raise IndexFileError(
            f"index file {faiss_path} holds {index.ntotal} vectors but {folder / CHUNKS_FILE} "
            f"{len(chunks)} chunks (manifest says {manifest.get('count')}); {REBUILD_HINT}"
        )
    if index.d != manifest.get("dim"):
        raise IndexFileError(
            f"index file {faiss_path} has dimension {index.d} but the manifest says "
            f"{manifest.get('dim')}; {REBUILD_HINT}"
        )
    if embedder is not None and embedder.dim != index.d:
        raise IndexFileError(
            f"index file {faiss_path} has dimension {index.d} but embedder "
            f"{embedder.name!r} produces {embedder.dim}; {REBUILD_HINT}"
        )
    sentences = _read_sentences(folder, manifest, chunks, index.d)
    result = _make_index(chunks, index, sentences, manifest, s, folder)
    result.stamp = stamp
    return result


def staleness(
    manifest: dict[str, Any],
    settings: Settings,
    embedder_name: str,
    passages: Sequence[Passage] | None = None,
) -> str | None:
    """Why the index described by ``manifest`` no longer matches (None when it is current)."""
    if not isinstance(manifest.get("files"), dict):
        return "index predates per-file checksums"
    if manifest.get("embedding_model") != embedder_name:
        return f"embedding model changed ({manifest.get('embedding_model')} -> {embedder_name})"
    if manifest.get("chunking") != chunking_config(settings):
        return "chunking settings changed"
    if manifest.get("faiss_factory") != settings.faiss_factory:
        return (
            f"faiss_factory changed ({manifest.get('faiss_factory')} -> {settings.faiss_factory})"
        )
    if manifest.get("corpus_fingerprint") != expected_fingerprint(settings, passages):
        return "corpus changed"
    return None


def _default_embedder(s: Settings) -> Embedder:
    from embeddings.factory import get_embedder

    return get_embedder(s)


def ensure_index(
    settings: Settings | None = None,
    *,
    embedder: Embedder | None = None,
    rebuild: bool = False,
    log: Log = print,
    passages: Sequence[Passage] | None = None,
) -> Index:
    """A current index: loaded when up to date, (re)built when missing, stale or ``rebuild``.

    A corrupt index is not silently replaced: its IndexFileError says how to rebuild.
    """
    s = get_settings(settings)
    embedder = embedder or _default_embedder(s)
    folder = s.resolved_index_dir
    _recover_edits(s)
    files.recover_swap(folder)
    if rebuild or not (folder / MANIFEST_FILE).exists():
        return build_index(s, embedder=embedder, log=log, passages=passages)
    raw = files.read_json(folder / MANIFEST_FILE)
    if isinstance(raw, dict) and raw.get("schema_version") != SCHEMA_VERSION:
        # An index written by another version of attest is out of date, not corrupt.
        log(f"index: written by another attest (schema {raw.get('schema_version')!r}); rebuilding")
        return build_index(s, embedder=embedder, log=log, passages=passages)
    reason = staleness(read_manifest(s), s, embedder.name, passages)
    if reason == "corpus changed" and passages is None:
        # An add or remove of a text may be between its catalog and its index rename: wait for
        # it to finish, then look again.
        from corpus.user import wait_for_edit

        wait_for_edit(s.resolved_user_corpus_dir)
        reason = staleness(read_manifest(s), s, embedder.name, passages)
    if reason is not None:
        log(f"index: stale ({reason}); rebuilding")
        return build_index(s, embedder=embedder, log=log, passages=passages)
    return load_index(s, embedder=embedder)


_CACHE: dict[tuple, Index] = {}
_CACHE_LOCK = threading.Lock()


def get_index(settings: Settings | None = None, embedder: Embedder | None = None) -> Index:
    """The process-wide index for these settings, ensured (loaded or built) once."""
    s = get_settings(settings)
    embedder = embedder or _default_embedder(s)
    key = (
        str(s.resolved_index_dir.resolve()),
        str(s.corpus_dir),
        embedder.name,
        s.faiss_factory,
        tuple(chunking_config(s).values()),
    )
    with _CACHE_LOCK:
        index = _CACHE.get(key)
        if index is None:
            index = _CACHE[key] = ensure_index(s, embedder=embedder)
    from rag.retrieval.update import latest

    return latest(index, s)


def replace_cached(index: Index) -> None:
    """Serve ``index`` wherever the process cache holds an index of the same folder."""
    if index.path is None:
        return
    path = str(Path(index.path).resolve())
    with _CACHE_LOCK:
        for key in list(_CACHE):
            if key[0] == path:
                _CACHE[key] = index


def clear_index_cache() -> None:
    """Forget cached indexes (after a rebuild in the same process, and in tests)."""
    with _CACHE_LOCK:
        _CACHE.clear()
