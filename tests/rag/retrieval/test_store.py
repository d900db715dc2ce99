from __future__ import annotations

import json
import pickle

import numpy as np
import pytest

from corpus.errors import IndexFileError
from embeddings.fake import FakeEmbedder
from rag.retrieval import files as files_mod
from rag.retrieval import store as index_mod
from rag.retrieval.store import (
    CHUNKS_FILE,
    FAISS_FILE,
    MANIFEST_FILE,
    build_index,
    ensure_index,
    load_index,
)


@pytest.fixture
def passages(make):
    return [
        make("The grain crisis of 1928 forced a choice. Coercion won.", n=1),
        make("The famine of 1932 killed millions of peasants.", section="II", n=2),
        make("The bureaucracy grew in isolation. Privileges rested on scarcity.",
             work_id="w2", author="Ben Sample", title="Bureaucracy", n=3),
        make("A footnote on sources.", kind="footnote", note_no=1, n=4),
    ]  # fmt: skip


def _quiet(_msg: str) -> None:
    pass


def _rewrite(path, data: bytes) -> None:
    """Replace an index file and re-record its checksum, so the deeper checks are reached."""
    path.write_bytes(data)
    mpath = path.parent / MANIFEST_FILE
    m = json.loads(mpath.read_text())
    m["files"][path.name] = files_mod.file_record(data)
    mpath.write_text(json.dumps(m))


def test_round_trip(settings, passages, fake_embedder) -> None:
    built = build_index(settings, embedder=fake_embedder, passages=passages, log=_quiet)
    loaded = load_index(settings, embedder=fake_embedder)
    assert [c.id for c in loaded.chunks] == [c.id for c in built.chunks]
    assert loaded.chunks == built.chunks
    assert loaded.faiss.ntotal == len(passages)
    m = loaded.manifest
    assert m["schema_version"] == index_mod.SCHEMA_VERSION
    assert m["embedding_model"] == fake_embedder.name and m["dim"] == 64
    assert m["count"] == len(loaded)
    np.testing.assert_allclose(loaded.vectors(), built.vectors(), atol=1e-6)
    q = fake_embedder.encode(["famine peasants"])[0]
    _scores, ids = loaded.dense_search(q, 1)
    assert loaded.chunks[int(ids[0])].text.startswith("The famine")
    assert loaded.chunks[int(np.argmax(loaded.lexical_scores("famine")))].text.startswith(
        "The famine"
    )
    # Never pickle: the chunk file is plain JSON.
    assert isinstance(json.loads((loaded.path / CHUNKS_FILE).read_text()), list)


def test_stale_detection_rebuilds(settings, passages, fake_embedder) -> None:
    messages: list[str] = []
    ensure_index(settings, embedder=fake_embedder, passages=passages, log=messages.append)
    assert len(messages) == 1 and "built" in messages[0]
    messages.clear()
    ensure_index(settings, embedder=fake_embedder, passages=passages, log=messages.append)
    assert messages == []  # current: just loaded
    changed = [*passages[:-1], passages[-1].__class__(**{**passages[-1].__dict__, "text": "New."})]
    idx = ensure_index(settings, embedder=fake_embedder, passages=changed, log=messages.append)
    assert any("stale (corpus changed)" in m for m in messages)
    assert any(c.text == "New." for c in idx.chunks)
    messages.clear()
    other = FakeEmbedder(dim=32)
    idx = ensure_index(settings, embedder=other, passages=changed, log=messages.append)
    assert "embedding model changed" in messages[0] and idx.dim == 32
    messages.clear()
    s2 = settings.model_copy(update={"chunk_target_words": 25})
    ensure_index(s2, embedder=other, passages=changed, log=messages.append)
    assert "chunking settings changed" in messages[0]


def test_new_voice_rules_make_the_stored_voices_stale(
    settings, passages, fake_embedder, monkeypatch
) -> None:
    import rag.retrieval.store as store_mod

    ensure_index(settings, embedder=fake_embedder, passages=passages, log=_quiet)
    messages: list[str] = []
    monkeypatch.setattr(store_mod, "VOICE_RULES_VERSION", store_mod.VOICE_RULES_VERSION + 1)
    ensure_index(settings, embedder=fake_embedder, passages=passages, log=messages.append)
    assert any("chunking settings changed" in m for m in messages), messages


def test_crash_mid_write_keeps_old_index(settings, passages, fake_embedder, monkeypatch) -> None:
    old = build_index(settings, embedder=fake_embedder, passages=passages, log=_quiet)

    def crash(tmp, blobs, manifest):
        tmp.mkdir(parents=True)
        (tmp / FAISS_FILE).write_bytes(b"partial")
        raise OSError("disk full")

    monkeypatch.setattr(files_mod, "write_folder", crash)
    with pytest.raises(OSError, match=r"disk full"):
        build_index(settings, embedder=fake_embedder, passages=passages[:2], log=_quiet)
    monkeypatch.undo()
    again = load_index(settings, embedder=fake_embedder)
    assert [c.id for c in again.chunks] == [c.id for c in old.chunks]
    leftovers = [p.name for p in settings.resolved_index_dir.parent.iterdir() if ".tmp-" in p.name]
    assert leftovers == []


def test_interrupted_swap_is_recovered(settings, passages, fake_embedder) -> None:
    build_index(settings, embedder=fake_embedder, passages=passages, log=_quiet)
    folder = settings.resolved_index_dir
    # Crash between the two renames: the old folder was moved aside, the new one not yet in.
    folder.rename(folder.with_name(f".{folder.name}.old-deadbeef"))
    assert len(load_index(settings, embedder=fake_embedder)) == len(passages)


def test_truncated_faiss_file(settings, passages, fake_embedder) -> None:
    build_index(settings, embedder=fake_embedder, passages=passages, log=_quiet)
    path = settings.resolved_index_dir / FAISS_FILE
    blob = path.read_bytes()
    path.write_bytes(blob[:100])
    with pytest.raises(
        IndexFileError, match=r"vectors\.faiss is 100 bytes.*attest index --rebuild"
    ):
        load_index(settings, embedder=fake_embedder)
    _rewrite(path, blob[:100])  # checksum agrees: FAISS itself must notice
    with pytest.raises(IndexFileError, match=r"vectors\.faiss is truncated or corrupt.*--rebuild"):
        load_index(settings, embedder=fake_embedder)
    with pytest.raises(IndexFileError):  # a corrupt index is never silently replaced
        ensure_index(settings, embedder=fake_embedder, passages=passages, log=_quiet)
    idx = ensure_index(settings, embedder=fake_embedder, passages=passages, rebuild=True,
                       log=_quiet)  # fmt: skip
    assert len(idx) == len(passages)


def test_count_mismatch(settings, passages, fake_embedder) -> None:
    build_index(settings, embedder=fake_embedder, passages=passages, log=_quiet)
    path = settings.resolved_index_dir / CHUNKS_FILE
    _rewrite(path, json.dumps(json.loads(path.read_text())[:-1]).encode())
    with pytest.raises(IndexFileError, match=r"holds 4 vectors but .*chunks\.json 3 chunks"):
        load_index(settings, embedder=fake_embedder)


def test_dim_mismatch(settings, passages, fake_embedder) -> None:
    build_index(settings, embedder=fake_embedder, passages=passages, log=_quiet)
    with pytest.raises(IndexFileError, match=r"dimension 64 but embedder .* produces 32"):
        load_index(settings, embedder=FakeEmbedder(dim=32))
    path = settings.resolved_index_dir / MANIFEST_FILE
    m = json.loads(path.read_text())
    path.write_text(json.dumps({**m, "dim": 10}))
    with pytest.raises(IndexFileError, match=r"dimension 64 but the manifest says 10"):
        load_index(settings)


@pytest.mark.parametrize("name", [CHUNKS_FILE, MANIFEST_FILE, FAISS_FILE])
def test_pickle_is_refused_unread(settings, passages, fake_embedder, monkeypatch, name) -> None:
    build_index(settings, embedder=fake_embedder, passages=passages, log=_quiet)
    path = settings.resolved_index_dir / name
    path.write_bytes(pickle.dumps({"evil": True}))
    monkeypatch.setattr(pickle, "loads", lambda *a, **k: pytest.fail("unpickled"))
    with pytest.raises(IndexFileError, match=rf"{name} is a Python pickle"):
        load_index(settings, embedder=fake_embedder)


def test_unknown_schema_and_bad_json(settings, passages, fake_embedder) -> None:
    build_index(settings, embedder=fake_embedder, passages=passages, log=_quiet)
    path = settings.resolved_index_dir / MANIFEST_FILE
    path.write_text(json.dumps({"schema_version": 99}))
    with pytest.raises(IndexFileError, match=r"schema version 99"):
        load_index(settings)
    path.write_text('{"schema_version": 1, "cou')
    with pytest.raises(IndexFileError, match=r"manifest.json is not valid JSON"):
        load_index(settings)


def test_missing_index(settings) -> None:
    with pytest.raises(IndexFileError, match=r"no index at .*attest index"):
        load_index(settings)


def test_trained_factory(settings, make, fake_embedder) -> None:
    ps = [make(f"Paragraph {i} about topic {i % 7}.", section=str(i), n=i) for i in range(60)]
    s = settings.model_copy(update={"faiss_factory": "IVF4,Flat"})
    idx = build_index(s, embedder=fake_embedder, passages=ps, log=_quiet)
    assert idx.faiss.is_trained and idx.faiss.ntotal == 60
    assert load_index(s, embedder=fake_embedder).vectors().shape == (60, 64)


def test_bad_factory_string(settings, passages, fake_embedder) -> None:
    s = settings.model_copy(update={"faiss_factory": "NoSuchIndex"})
    with pytest.raises(IndexFileError, match=r"faiss_factory 'NoSuchIndex'"):
        build_index(s, embedder=fake_embedder, passages=passages, log=_quiet)


def test_tiny_corpus_from_catalog(tiny_settings, fake_embedder) -> None:
    msgs: list[str] = []
    idx = ensure_index(tiny_settings, embedder=fake_embedder, log=msgs.append)
    assert {c.author for c in idx.chunks} == {"Ada Example", "Ben Sample"}
    assert idx.manifest["corpus_fingerprint"].startswith("catalog:")
    msgs.clear()
    ensure_index(tiny_settings, embedder=fake_embedder, log=msgs.append)
    assert msgs == []


def test_abandoned_build_folders_are_swept_but_live_ones_kept(
    settings, passages, fake_embedder
) -> None:
    import os
    import subprocess
    import sys

    target = settings.resolved_index_dir
    target.parent.mkdir(parents=True)
    # A pid that certainly exited: a child we started and reaped.
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()  # fmt: skip
    abandoned = target.with_name(f".{target.name}.tmp-{dead}-0000abcd")
    live = target.with_name(f".{target.name}.tmp-{os.getpid()}-0000beef")
    for folder in (abandoned, live):
        folder.mkdir()
        (folder / FAISS_FILE).write_bytes(b"partial")
    build_index(settings, embedder=fake_embedder, passages=passages, log=_quiet)
    assert not abandoned.exists()
    assert live.exists()
