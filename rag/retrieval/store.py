"""The search index on disk: FAISS vectors + chunks as JSON + a manifest; BM25 in memory.

Layout of the index folder (``settings.resolved_index_dir``)::

    vectors.faiss   FAISS index (inner product over L2-normalised embeddings)
    chunks.json     the chunks, in FAISS id order (never pickle)
    manifest.json   schema version, model name and dim, corpus fingerprint, chunking settings,
                    faiss factory and version, chunk count, created time, build seconds,
                    and the size and sha256 of the two files above (verified on load)

Builds are atomic: everything is written and fsynced into a temporary sibling folder that is
then renamed into place, so a crash mid-build leaves the previous index usable. Loading checks
the manifest schema, each file's size and sha256, the chunk count against FAISS ``ntotal`` and the dimension against the
embedder; a broken file raises :class:`~corpus.errors.IndexFileError` naming the file and the fix
(``attest index --rebuild``). An index built from another corpus, chunking or model is *stale*
and :func:`ensure_index` rebuilds it with a one-line message.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
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
from rag.retrieval.bm25 import LexicalIndex
from rag.retrieval.chunking import CHUNKER_VERSION, Chunk, chunk_passages

SCHEMA_VERSION = 1
FAISS_FILE = "vectors.faiss"
CHUNKS_FILE = "chunks.json"
MANIFEST_FILE = "manifest.json"
PICKLE_MAGIC = b"\x80"
REBUILD_HINT = "run `attest index --rebuild`"

Log = Callable[[str], Any]


# --- fingerprints ------------------------------------------------------------------------------


def corpus_fingerprint(passages: Sequence[Passage]) -> str:
    """A hash of everything chunking reads from the passages (so a cleaning change counts too).

    Example::

        >>> corpus_fingerprint([]) == corpus_fingerprint([])
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
    """The fingerprint an index of this corpus must carry.

    Explicit ``passages`` (tests, other corpora) are hashed themselves; otherwise the catalog's
    fingerprint (file hashes + catalog entries + cleaner version) is used, which is cheap
    because it needs no parsing.
    """
    if passages is not None:
        return corpus_fingerprint(passages)
    from corpus.catalog import corpus_fingerprint as catalog_fingerprint
    from corpus.catalog import load_catalog

    return "catalog:" + catalog_fingerprint(load_catalog(settings))


def chunking_config(settings: Settings) -> dict[str, Any]:
    """The settings that change chunk boundaries (part of the staleness check)."""
    return {
        "chunker_version": CHUNKER_VERSION,
        "chunk_target_words": settings.chunk_target_words,
        "chunk_max_words": settings.chunk_max_words,
        "chunk_overlap_sentences": settings.chunk_overlap_sentences,
    }


def load_corpus_passages(settings: Settings) -> list[Passage]:
    """The corpus passages per the catalog in ``settings.corpus_dir``."""
    from corpus.load import load_passages

    return list(load_passages(settings))


# --- (de)serialising chunks ----------------------------------------------------------------------


def chunk_to_dict(chunk: Chunk) -> dict[str, Any]:
    d = dataclasses.asdict(chunk)
    d["quotes"] = [[q.start, q.end, q.speaker] for q in chunk.quotes]
    return d


def chunk_from_dict(d: dict[str, Any]) -> Chunk:
    d = dict(d)
    d["quotes"] = tuple(QuoteSpan(int(a), int(b), s) for a, b, s in d.get("quotes", ()))
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

    def __post_init__(self) -> None:
        self.by_id = {c.id: i for i, c in enumerate(self.chunks)}
        self.authors = sorted({c.author for c in self.chunks})
        self._vectors: np.ndarray | None = None
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self.chunks)

    @property
    def dim(self) -> int:
        return int(self.faiss.d)

    def vectors(self) -> np.ndarray:
        """All chunk vectors (n, dim), reconstructed once from FAISS (used for MMR and scoring)."""
        with self._lock:
            if self._vectors is None:
                self._vectors = _reconstruct_all(self.faiss, len(self.chunks))
            return self._vectors

    def dense_search(
        self, query_vector: np.ndarray, k: int, ids: Sequence[int] | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Top-``k`` (scores, chunk ids) by inner product, optionally only among ``ids``."""
        import faiss

        q = np.ascontiguousarray(np.asarray(query_vector, dtype=np.float32).reshape(1, -1))
        n = len(self.chunks) if ids is None else len(ids)
        k = min(k, n)
        if k <= 0:
            return np.zeros(0, dtype=np.float32), np.zeros(0, dtype=np.int64)
        params = None
        if ids is not None:
            sel = faiss.IDSelectorBatch(np.asarray(ids, dtype=np.int64))
            params = faiss.SearchParameters(sel=sel)
        scores, found = self.faiss.search(q, k, params=params)
        keep = found[0] >= 0
        return scores[0][keep], found[0][keep]

    def dense_scores(self, query_vector: np.ndarray) -> np.ndarray:
        """Inner product of the query with every chunk (exact, from the reconstructed vectors)."""
        q = np.asarray(query_vector, dtype=np.float32).reshape(-1)
        return self.vectors() @ q

    def lexical_scores(self, query: str) -> np.ndarray:
        """BM25 score of every chunk."""
        return self.bm25.scores(query)


def _reconstruct_all(index: Any, n: int) -> np.ndarray:
    import faiss

    if n == 0:
        return np.zeros((0, index.d), dtype=np.float32)
    try:
        return np.asarray(index.reconstruct_n(0, n), dtype=np.float32)
    except RuntimeError:
        # IVF indexes need a direct map before vectors can be read back.
        ivf = faiss.extract_index_ivf(index)
        ivf.make_direct_map()
        return np.asarray(index.reconstruct_n(0, n), dtype=np.float32)


def _make_lexical(chunks: Sequence[Chunk]) -> LexicalIndex:
    return LexicalIndex([c.indexed_text for c in chunks])


# --- building ----------------------------------------------------------------------------------


def _make_faiss(vectors: np.ndarray, factory: str) -> Any:
    import faiss

    n, dim = vectors.shape
    try:
        index = faiss.index_factory(dim, factory, faiss.METRIC_INNER_PRODUCT)
    except Exception as exc:
        raise IndexFileError(
            f"faiss_factory {factory!r} is not a valid FAISS index-factory string ({exc}); "
            "set faiss_factory to e.g. 'Flat' or 'HNSW32'"
        ) from exc
    if not index.is_trained:
        try:
            index.train(vectors)
        except Exception as exc:
            raise IndexFileError(
                f"cannot train FAISS index {factory!r} on {n} chunks ({exc}); use fewer lists "
                "(e.g. 'IVF16,Flat') or faiss_factory='Flat' for a small corpus"
            ) from exc
    if n:
        index.add(vectors)
    return index


def _file_record(data: bytes) -> dict[str, Any]:
    return {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}


def _verify_file(path: Path, data: bytes, manifest: dict[str, Any]) -> None:
    """Raise IndexFileError unless ``data`` matches the size and sha256 the manifest records."""
    record = (manifest.get("files") or {}).get(path.name)
    if not isinstance(record, dict):
        raise IndexFileError(
            f"index file {path} has no checksum in {path.parent / MANIFEST_FILE}; {REBUILD_HINT}"
        )
    if len(data) != record.get("bytes"):
        raise IndexFileError(
            f"index file {path} is {len(data)} bytes but the manifest recorded "
            f"{record.get('bytes')} (truncated or replaced); {REBUILD_HINT}"
        )
    if hashlib.sha256(data).hexdigest() != record.get("sha256"):
        raise IndexFileError(
            f"index file {path} does not match its checksum in the manifest (corrupt or "
            f"modified); {REBUILD_HINT}"
        )


def _fsync_write(path: Path, data: bytes) -> None:
    with open(path, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):  # not every platform can open a directory
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _write_files(tmp: Path, chunks: Sequence[Chunk], index: Any, manifest: dict) -> None:
    import faiss

    tmp.mkdir(parents=True)
    faiss_bytes = faiss.serialize_index(index).tobytes()
    _fsync_write(tmp / FAISS_FILE, faiss_bytes)
    chunks_json = json.dumps([chunk_to_dict(c) for c in chunks], ensure_ascii=False)
    chunks_bytes = chunks_json.encode("utf-8")
    _fsync_write(tmp / CHUNKS_FILE, chunks_bytes)
    # A flipped byte in a vector or a chunk's text still parses; only a checksum catches it.
    manifest["files"] = {
        FAISS_FILE: _file_record(faiss_bytes),
        CHUNKS_FILE: _file_record(chunks_bytes),
    }
    # The manifest goes last: a folder with a manifest is a complete one.
    _fsync_write(tmp / MANIFEST_FILE, json.dumps(manifest, indent=2).encode("utf-8"))
    _fsync_dir(tmp)


def _swap_into_place(tmp: Path, target: Path) -> None:
    """Replace ``target`` by ``tmp`` with renames only; ``target`` is never half-written."""
    old = target.with_name(f".{target.name}.old-{uuid.uuid4().hex[:8]}")
    if target.exists():
        os.replace(target, old)
    os.replace(tmp, target)
    _fsync_dir(target.parent)
    if old.exists():
        shutil.rmtree(old, ignore_errors=True)


def _sweep_abandoned_builds(target: Path) -> None:
    """Remove temp build folders left by builders that died (e.g. SIGKILL mid-build).

    A folder whose builder is still running is left alone, so two concurrent builds never delete
    each other's work.
    """
    for tmp in target.parent.glob(f".{target.name}.tmp-*"):
        pid_text = tmp.name.rsplit(".tmp-", 1)[1].split("-", 1)[0]
        if not pid_text.isdigit() or _pid_alive(int(pid_text)):
            continue
        shutil.rmtree(tmp, ignore_errors=True)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _recover_swap(target: Path) -> None:
    """Finish a swap interrupted between its two renames (target gone, old copy present)."""
    if target.exists() or not target.parent.exists():
        return
    olds = sorted(target.parent.glob(f".{target.name}.old-*"), key=lambda p: p.stat().st_mtime)
    if olds and (olds[-1] / MANIFEST_FILE).exists():
        os.replace(olds[-1], target)


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
    if embedder is None:
        from embeddings.factory import get_embedder

        embedder = get_embedder(s)
    t0 = time.perf_counter()
    fingerprint = expected_fingerprint(s, passages)
    if passages is None:
        passages = load_corpus_passages(s)
    chunks = chunk_passages(passages, s)
    vectors = embedder.encode([c.indexed_text for c in chunks])
    if vectors.shape != (len(chunks), embedder.dim):
        raise IndexFileError(
            f"embedder {embedder.name!r} returned shape {vectors.shape} for {len(chunks)} chunks "
            f"(expected dim {embedder.dim}); check the embedding_model setting"
        )
    index = _make_faiss(np.ascontiguousarray(vectors, dtype=np.float32), s.faiss_factory)
    import faiss

    manifest = {
        "schema_version": SCHEMA_VERSION,
        "embedding_model": embedder.name,
        "dim": int(embedder.dim),
        "corpus_fingerprint": fingerprint,
        "chunking": chunking_config(s),
        "faiss_factory": s.faiss_factory,
        "faiss_version": faiss.__version__,
        "count": len(chunks),
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "build_seconds": 0.0,
    }
    target = s.resolved_index_dir
    target.parent.mkdir(parents=True, exist_ok=True)
    _sweep_abandoned_builds(target)
    # The builder's pid in the name lets a later build tell an abandoned folder from a live one.
    tmp = target.with_name(f".{target.name}.tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}")
    try:
        manifest["build_seconds"] = round(time.perf_counter() - t0, 3)
        _write_files(tmp, chunks, index, manifest)
        _swap_into_place(tmp, target)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    result = Index(chunks, index, manifest, _make_lexical(chunks), target)
    log(f"index: {len(chunks)} chunks built in {time.perf_counter() - t0:.1f} s -> {target}")
    return result


# --- loading -----------------------------------------------------------------------------------


def _read_bytes(path: Path) -> bytes:
    try:
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise IndexFileError(f"index file {path} is missing; {REBUILD_HINT}") from exc
    except OSError as exc:
        raise IndexFileError(f"cannot read index file {path} ({exc}); {REBUILD_HINT}") from exc
    if data[:1] == PICKLE_MAGIC:
        # Unpickling runs arbitrary code: a pickle is refused unread, whatever it claims to be.
        raise IndexFileError(
            f"index file {path} is a Python pickle, which attest never loads; {REBUILD_HINT}"
        )
    return data


def _read_json(path: Path) -> Any:
    return _parse_json(path, _read_bytes(path))


def _parse_json(path: Path, data: bytes) -> Any:
    try:
        return json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise IndexFileError(
            f"index file {path} is not valid JSON (truncated or corrupt: {exc}); {REBUILD_HINT}"
        ) from exc


def read_manifest(settings: Settings | None = None) -> dict[str, Any]:
    """The manifest of the index on disk (raises IndexFileError when missing or corrupt)."""
    s = get_settings(settings)
    path = s.resolved_index_dir / MANIFEST_FILE
    manifest = _read_json(path)
    if not isinstance(manifest, dict):
        raise IndexFileError(f"index file {path} is not a manifest object; {REBUILD_HINT}")
    version = manifest.get("schema_version")
    if version != SCHEMA_VERSION:
        raise IndexFileError(
            f"index file {path} has schema version {version!r}, this attest reads "
            f"{SCHEMA_VERSION}; {REBUILD_HINT}"
        )
    return manifest


def load_index(settings: Settings | None = None, *, embedder: Embedder | None = None) -> Index:
    """Load and validate the index folder (no staleness check; see :func:`ensure_index`)."""
    import faiss

    s = get_settings(settings)
    folder = s.resolved_index_dir
    _recover_swap(folder)
    if not (folder / MANIFEST_FILE).exists():
        raise IndexFileError(f"no index at {folder}; run `attest index`")
    manifest = read_manifest(s)
    chunks_path = folder / CHUNKS_FILE
    chunks_bytes = _read_bytes(chunks_path)
    _verify_file(chunks_path, chunks_bytes, manifest)
    raw_chunks = _parse_json(chunks_path, chunks_bytes)
    try:
        chunks = [chunk_from_dict(d) for d in raw_chunks]
    except (TypeError, ValueError, KeyError) as exc:
        raise IndexFileError(
            f"index file {folder / CHUNKS_FILE} has malformed chunks ({exc}); {REBUILD_HINT}"
        ) from exc
    faiss_path = folder / FAISS_FILE
    blob = _read_bytes(faiss_path)
    _verify_file(faiss_path, blob, manifest)
    try:
        index = faiss.deserialize_index(np.frombuffer(blob, dtype=np.uint8))
    except Exception as exc:
        raise IndexFileError(
            f"index file {faiss_path} is truncated or corrupt ({type(exc).__name__}); {REBUILD_HINT}"
        ) from exc
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
    return Index(chunks, index, manifest, _make_lexical(chunks), folder)


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
    if embedder is None:
        from embeddings.factory import get_embedder

        embedder = get_embedder(s)
    folder = s.resolved_index_dir
    _recover_swap(folder)
    if rebuild or not (folder / MANIFEST_FILE).exists():
        return build_index(s, embedder=embedder, log=log, passages=passages)
    manifest = read_manifest(s)
    reason = staleness(manifest, s, embedder.name, passages)
    if reason is not None:
        log(f"index: stale ({reason}); rebuilding")
        return build_index(s, embedder=embedder, log=log, passages=passages)
    return load_index(s, embedder=embedder)


_CACHE: dict[tuple, Index] = {}
_CACHE_LOCK = threading.Lock()


def get_index(settings: Settings | None = None, embedder: Embedder | None = None) -> Index:
    """The process-wide index for these settings, ensured (loaded or built) once."""
    s = get_settings(settings)
    if embedder is None:
        from embeddings.factory import get_embedder

        embedder = get_embedder(s)
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
        return index


def clear_index_cache() -> None:
    """Forget cached indexes (after a rebuild in the same process, and in tests)."""
    with _CACHE_LOCK:
        _CACHE.clear()
