"""Adding and removing a work with an incremental index update (rag.retrieval.update)."""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path

import numpy as np
import pytest

from corpus.catalog import load_catalog
from corpus.errors import InputError
from corpus.settings import get_settings
from corpus.testing import (
    ADDED_AUTHOR,
    ADDED_TITLE,
    added_essay_text,
    scanned_pdf,
    write_tiny_corpus,
)
from embeddings.fake import FakeEmbedder
from rag.retrieval.search import plan_query
from rag.retrieval.store import clear_index_cache, ensure_index, get_index
from rag.retrieval.update import add_text, latest, remove_work


class CountingEmbedder(FakeEmbedder):
    """The fake embedder, remembering every text it was asked to embed."""

    def __init__(self) -> None:
        super().__init__(dim=32)
        self.seen: list[str] = []

    def encode(self, texts):  # type: ignore[no-untyped-def]
        self.seen.extend(texts)
        return super().encode(texts)


@pytest.fixture
def emb() -> CountingEmbedder:
    return CountingEmbedder()


@pytest.fixture
def s(tmp_path):
    clear_index_cache()
    yield get_settings(
        None,
        corpus_dir=write_tiny_corpus(tmp_path / "corpus"),
        data_dir=tmp_path / "data",
        generator_backend="fake",
    )
    clear_index_cache()


@pytest.fixture
def base(s, emb):
    index = ensure_index(s, embedder=emb, log=lambda _m: None)
    emb.seen.clear()
    return index


def essay_file(tmp_path: Path, fmt: str = "txt", name: str = "essay") -> Path:
    data = added_essay_text(fmt)
    path = tmp_path / f"{name}.{fmt}"
    path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    return path


def _add(s, path, emb, **kw):
    kw.setdefault("author", ADDED_AUTHOR)
    kw.setdefault("title", ADDED_TITLE)
    return add_text(s, path, embedder=emb, **kw)


def snapshot(*folders: Path) -> dict[str, str]:
    out = {}
    for folder in folders:
        for p in sorted(folder.rglob("*")) if folder.exists() else ():
            if p.is_file() and p.name != ".lock":
                out[str(p)] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def test_add_embeds_only_the_new_chunks_and_equals_a_rebuild(s, base, emb, tmp_path):
    result = _add(s, essay_file(tmp_path), emb, year=1962)
    new = [c for c in result.index.chunks if c.work_id == result.work.work_id]
    assert result.chunks_changed == len(new) > 0 and not result.rebuilt
    # Only the new work's chunks and their sentences went through the embedder.
    expected = [c.indexed_text for c in new] + [
        c.text[v.start : v.end] for c in new for v in c.sentences
    ]
    assert sorted(emb.seen) == sorted(expected) and result.embedded == len(expected)
    # The updated index is what a full build of the new catalog gives.
    clear_index_cache()
    logs: list[str] = []
    loaded = ensure_index(s, embedder=emb, log=logs.append)
    assert logs == []  # current: no rebuild
    assert [c.id for c in loaded.chunks] == [c.id for c in result.index.chunks]
    rebuilt = ensure_index(s, embedder=emb, rebuild=True, log=lambda _m: None)
    assert [c.id for c in rebuilt.chunks] == [c.id for c in loaded.chunks]
    assert np.allclose(rebuilt.vectors(), loaded.vectors(), atol=1e-6)
    assert np.allclose(rebuilt.sentence_matrix, loaded.sentence_matrix, atol=1e-6)
    assert loaded.manifest["last_edit"] == {"added": result.work.work_id, "embedded": len(expected)}


def test_the_added_text_is_stored_and_catalogued(s, base, emb, tmp_path):
    result = _add(s, essay_file(tmp_path, "pdf"), emb)
    folder = s.resolved_user_corpus_dir
    work = load_catalog(s).work(result.work.work_id)
    assert work.added and work.author == ADDED_AUTHOR
    stored = (folder / work.file).read_bytes()
    assert hashlib.sha256(stored).hexdigest() == work.sha256
    raw = (folder / "catalog.toml").read_text()
    assert 'original_file = "essay.pdf"' in raw and 'original_format = "pdf"' in raw
    assert not list(folder.glob(".staging-*")) and not (folder / ".journal.json").exists()


def test_remove_gives_back_the_index_before_the_add(s, base, emb, tmp_path):
    added = _add(s, essay_file(tmp_path), emb)
    emb.seen.clear()
    removed = remove_work(s, added.work.work_id, embedder=emb)
    assert emb.seen == []  # nothing embedded
    assert [c.id for c in removed.index.chunks] == [c.id for c in base.chunks]
    assert np.allclose(removed.index.vectors(), base.vectors())
    assert removed.removed_author == ADDED_AUTHOR and removed.chunks_changed == added.chunks_changed
    folder = s.resolved_user_corpus_dir
    assert list((folder / "texts").iterdir()) == []
    assert load_catalog(s).author(ADDED_AUTHOR) is None
    clear_index_cache()
    logs: list[str] = []
    assert len(ensure_index(s, embedder=emb, log=logs.append)) == len(base) and logs == []


def test_a_known_author_keeps_their_entry_on_remove(s, base, emb, tmp_path):
    added = _add(s, essay_file(tmp_path), emb, author="Sample", title="More on the Grain Levy")
    assert added.work.author == "Ben Sample" and added.new_author is None
    removed = remove_work(s, added.work.work_id, embedder=emb)
    assert removed.removed_author is None and load_catalog(s).author("Sample") is not None


def test_without_an_index_the_add_builds_it_whole(s, emb, tmp_path):
    result = _add(s, essay_file(tmp_path), emb)
    assert result.rebuilt and any(c.author == ADDED_AUTHOR for c in result.index.chunks)
    clear_index_cache()
    logs: list[str] = []
    ensure_index(s, embedder=emb, log=logs.append)
    assert logs == []


def test_bad_input_changes_nothing(s, base, emb, tmp_path):
    first = _add(s, essay_file(tmp_path), emb)
    folders = (s.resolved_user_corpus_dir, s.resolved_index_dir)
    before = snapshot(*folders)
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "empty.txt").write_bytes(b"")
    (bad / "binary.txt").write_bytes(bytes(range(256)) * 4)
    (bad / "scan.pdf").write_bytes(scanned_pdf())
    (bad / "essay.docx").write_bytes(b"PK\x03\x04")
    (bad / "big.txt").write_text("word " * 5000)
    cases = [
        (bad / "empty.txt", {}, "empty"),
        (bad / "binary.txt", {}, "binary"),
        (bad / "scan.pdf", {}, "OCR"),
        (bad / "essay.docx", {}, "not a format"),
        (essay_file(tmp_path), {}, "already in the corpus"),  # same sha256
        (essay_file(tmp_path, "md"), {"work_id": first.work.work_id}, "already in the corpus"),
        (essay_file(tmp_path, "md"), {"author": ""}, "author is missing"),
        (essay_file(tmp_path, "md"), {"title": "  "}, "title is missing"),
    ]
    for path, kw, message in cases:
        with pytest.raises(InputError, match=message):
            _add(s, path, emb, **kw)
    with pytest.raises(InputError, match="add_max_bytes"):
        _add(get_settings(s, add_max_bytes=10_000), bad / "big.txt", emb)
    assert snapshot(*folders) == before
    assert not list(s.resolved_user_corpus_dir.glob(".staging-*"))


def test_a_failure_while_embedding_changes_nothing(s, base, tmp_path):
    class Broken(FakeEmbedder):
        def encode(self, texts):  # type: ignore[no-untyped-def]
            raise RuntimeError("out of memory")

    folders = (s.resolved_user_corpus_dir, s.resolved_index_dir)
    before = snapshot(*folders)
    with pytest.raises(RuntimeError):
        _add(s, essay_file(tmp_path), Broken(dim=32))
    assert snapshot(*folders) == before
    assert not [p for p in s.resolved_index_dir.parent.iterdir() if ".tmp-" in p.name]


def test_a_search_holding_the_old_index_sees_it_whole(s, base, emb, tmp_path):
    served = get_index(s, emb)
    before = [c.id for c in served.chunks]
    result = _add(s, essay_file(tmp_path), emb)
    # The object a running search holds is never changed...
    assert [c.id for c in served.chunks] == before and served.faiss.ntotal == len(before)
    # ...the next one gets the new index, from the process cache and from latest().
    assert latest(served, s) is result.index
    assert get_index(s, emb) is result.index


def test_searches_during_an_add_see_old_or_new_never_half(s, base, emb, tmp_path):
    from rag.retrieval.search import retrieve

    seen: list[tuple[int, int, int]] = []
    stop = threading.Event()

    def searcher() -> None:
        while not stop.is_set():
            index = latest(get_index(s, emb), s)
            hits = retrieve("grain brigade", 3, settings=s, index=index, embedder=emb)
            seen.append((len(index.chunks), index.faiss.ntotal, len(index.bm25.scores("grain"))))
            assert all(0 <= index.by_id[h.chunk.id] < len(index.chunks) for h in hits)

    threads = [threading.Thread(target=searcher) for _ in range(2)]
    for t in threads:
        t.start()
    try:
        result = _add(s, essay_file(tmp_path), emb)
    finally:
        stop.set()
        for t in threads:
            t.join(10)
    assert seen and all(a == b == c for a, b, c in seen)
    assert {a for a, _, _ in seen} <= {len(base), result.chunks_total}


def test_two_adds_at_once_both_land(s, base, emb, tmp_path):
    other = tmp_path / "other.txt"
    other.write_text("The kulak was a category the census never used. Officials made it up.\n")
    errors: list[BaseException] = []

    def run(path, author, title):  # type: ignore[no-untyped-def]
        try:
            _add(s, path, FakeEmbedder(dim=32), author=author, title=title)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [
        threading.Thread(target=run, args=(essay_file(tmp_path), ADDED_AUTHOR, ADDED_TITLE)),
        threading.Thread(target=run, args=(other, "Ivan Census", "Categories")),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    authors = {w.author for w in load_catalog(s).added}
    assert authors == {ADDED_AUTHOR, "Ivan Census"}
    clear_index_cache()
    index = ensure_index(s, embedder=emb, log=lambda _m: None)
    assert {ADDED_AUTHOR, "Ivan Census"} <= set(index.authors)


def test_a_question_naming_the_new_author_is_restricted_to_them(s, base, emb, tmp_path):
    result = _add(s, essay_file(tmp_path), emb)
    plan = plan_query("What does Lindqvist say about the sowing?", result.index, s)
    assert plan.detection.authors == (ADDED_AUTHOR,)
    ids = plan.groups[0]
    assert ids is not None and {result.index.chunks[i].author for i in ids} == {ADDED_AUTHOR}


def test_quotation_speakers_and_voices_of_the_added_text(s, base, emb, tmp_path):
    result = _add(s, essay_file(tmp_path), emb)
    chunks = [c for c in result.index.chunks if c.work_id == result.work.work_id]
    quotes = [q for c in chunks for q in c.quotes]
    assert [q.speaker for q in quotes] == ["Molotov"]
    voiced = [(c.text[v.start : v.end], v.speaker) for c in chunks for v in c.sentences]
    # The sentence giving Molotov's words is in Molotov's voice, not the author's.
    assert any(sp == "Molotov" and "whatever it costs" in text for text, sp in voiced)
