"""Scenarios 5 and 6: a damaged or foreign index on disk is refused with a message naming the
file and the fix, or rebuilt when it was made by another embedding model; never silently
used, never unpickled."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import pytest

from attest.cli import main
from corpus.errors import IndexFileError
from embeddings.fake import FakeEmbedder
from rag.retrieval.store import (
    CHUNKS_FILE,
    FAISS_FILE,
    MANIFEST_FILE,
    clear_index_cache,
    ensure_index,
)

FIX = "attest index --rebuild"


def _flip(path: Path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))


def _truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _edit_manifest(path: Path, **changes) -> None:
    manifest = json.loads(path.read_text())
    manifest.update(changes)
    path.write_text(json.dumps(manifest))


def _damage(folder: Path, how: str, index) -> Path:
    """Apply one kind of damage; return the file the error must name."""
    faiss_path, chunks_path = folder / FAISS_FILE, folder / CHUNKS_FILE
    if how == "truncated-faiss":
        _truncate(faiss_path)
        return faiss_path
    if how == "flipped-byte-faiss-vector":
        # The last byte lies inside the stored vectors: FAISS would load it without complaint.
        _flip(faiss_path, faiss_path.stat().st_size - 1)
        return faiss_path
    if how == "flipped-byte-chunk-text":
        # Change one letter of a chunk's text: still valid JSON, silently wrong without a checksum.
        data = chunks_path.read_bytes()
        pos = data.index(b"grain")
        _flip(chunks_path, pos)
        return chunks_path
    if how == "truncated-chunks":
        _truncate(chunks_path)
        return chunks_path
    if how == "manifest-count":
        _edit_manifest(folder / MANIFEST_FILE, count=len(index) + 1)
        return faiss_path
    if how == "manifest-dim":
        _edit_manifest(folder / MANIFEST_FILE, dim=index.dim * 2)
        return faiss_path
    if how == "truncated-manifest":
        _truncate(folder / MANIFEST_FILE)
        return folder / MANIFEST_FILE
    if how == "missing-chunks":
        chunks_path.unlink()
        return chunks_path
    raise AssertionError(how)


DAMAGE = [
    "truncated-faiss",
    "flipped-byte-faiss-vector",
    "flipped-byte-chunk-text",
    "truncated-chunks",
    "manifest-count",
    "manifest-dim",
    "truncated-manifest",
    "missing-chunks",
]


@pytest.mark.parametrize("how", DAMAGE)
def test_damaged_index_is_refused_naming_file_and_fix(built_index, rel_settings, fake_emb, how):
    folder = rel_settings.resolved_index_dir
    named = _damage(folder, how, built_index)
    clear_index_cache()
    with pytest.raises(IndexFileError) as err:
        ensure_index(rel_settings, embedder=fake_emb, log=lambda _m: None)
    msg = str(err.value)
    assert str(named) in msg
    assert FIX in msg


@pytest.mark.parametrize("how", ["flipped-byte-faiss-vector", "manifest-count", "truncated-faiss"])
def test_cli_prints_one_line_and_exits_2(
    built_index, rel_settings, rel_corpus, fake_emb, how, capsys
):
    folder = rel_settings.resolved_index_dir
    named = _damage(folder, how, built_index)
    clear_index_cache()
    argv = [
        "--corpus",
        str(rel_corpus),
        "--data-dir",
        str(rel_settings.data_dir),
        "search",
        "grain",
    ]
    rc = main(argv)
    err = capsys.readouterr().err
    assert rc == 2
    assert err.startswith("attest: error: ")
    assert err.strip().count("\n") == 0, err  # one line, no traceback
    assert str(named) in err and FIX in err


def test_intact_index_loads_and_flipped_byte_would_otherwise_go_unnoticed(
    built_index, rel_settings
):
    """Guards the test above: FAISS itself accepts the flipped vector byte, so only the
    manifest checksum can catch it."""
    import faiss
    import numpy as np

    path = rel_settings.resolved_index_dir / FAISS_FILE
    _flip(path, path.stat().st_size - 1)
    index = faiss.deserialize_index(np.frombuffer(path.read_bytes(), dtype=np.uint8))
    assert index.ntotal == len(built_index)


def test_index_from_another_model_is_rebuilt_with_a_message(built_index, rel_settings):
    other = FakeEmbedder(dim=48, name="other-model")
    logs: list[str] = []
    clear_index_cache()
    index = ensure_index(rel_settings, embedder=other, log=logs.append)
    assert any("embedding model changed" in m for m in logs), logs
    assert index.dim == 48
    assert index.manifest["embedding_model"] == other.name
    # ... and the rebuilt index answers with the new model's vectors, not the old ones.
    for i, chunk in enumerate(index.chunks):
        _scores, ids = index.dense_search(other.encode([chunk.indexed_text])[0], 1)
        assert int(ids[0]) == i


def test_same_dim_other_model_is_not_used_silently(built_index, rel_settings, fake_emb):
    """Same dimension, different model: vectors would compare but mean nothing."""
    other = FakeEmbedder(dim=fake_emb.dim, name="same-dim-other")
    logs: list[str] = []
    clear_index_cache()
    index = ensure_index(rel_settings, embedder=other, log=logs.append)
    assert any("embedding model changed" in m for m in logs)
    assert index.manifest["embedding_model"] == other.name


def test_manifest_without_checksums_is_rebuilt(built_index, rel_settings, fake_emb):
    path = rel_settings.resolved_index_dir / MANIFEST_FILE
    manifest = json.loads(path.read_text())
    del manifest["files"]
    path.write_text(json.dumps(manifest))
    logs: list[str] = []
    clear_index_cache()
    index = ensure_index(rel_settings, embedder=fake_emb, log=logs.append)
    assert any("checksum" in m for m in logs), logs
    assert "files" in index.manifest


# --- scenario 6: pickles ------------------------------------------------------------------------


class _Payload:
    """Unpickling this creates ``marker``: proof that code ran."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


@pytest.mark.parametrize("protocol", [0, 2, pickle.HIGHEST_PROTOCOL])
@pytest.mark.parametrize("name", [CHUNKS_FILE, FAISS_FILE, MANIFEST_FILE])
def test_pickle_in_place_of_an_index_file_is_refused_unexecuted(
    built_index, rel_settings, fake_emb, tmp_path, name, protocol
):
    payload = pickle.dumps(_Payload(tmp_path / "probe"), protocol=protocol)
    # The payload is live: unpickling it really does create a file.
    pickle.loads(payload)
    assert (tmp_path / "probe").exists()

    marker = tmp_path / "pwned"
    target = rel_settings.resolved_index_dir / name
    target.write_bytes(pickle.dumps(_Payload(marker), protocol=protocol))
    clear_index_cache()
    with pytest.raises(IndexFileError) as err:
        ensure_index(rel_settings, embedder=fake_emb, log=lambda _m: None)
    assert str(target) in str(err.value)
    assert FIX in str(err.value)
    assert not marker.exists()
