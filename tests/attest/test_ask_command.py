"""`attest ask` over a tiny corpus with the fake embedder and fake generator."""

from __future__ import annotations

import json

import pytest

from attest.cli import main
from corpus.testing import write_tiny_corpus
from embeddings.fake import FakeEmbedder


@pytest.fixture
def cli(tmp_path, monkeypatch):
    import embeddings.factory
    from rag.retrieval.store import clear_index_cache

    emb = FakeEmbedder(dim=32)
    monkeypatch.setattr(embeddings.factory, "get_embedder", lambda settings=None: emb)
    monkeypatch.setenv("ATTEST_GENERATOR_BACKEND", "fake")
    corpus = write_tiny_corpus(tmp_path / "corpus")
    clear_index_cache()
    base = ["--corpus", str(corpus), "--data-dir", str(tmp_path / "data")]
    assert main([*base, "index"]) == 0
    yield base
    clear_index_cache()


def test_ask_prints_verified_answer_sources_and_timings(cli, capsys):
    capsys.readouterr()
    assert main([*cli, "ask", "Why did the bureaucracy grow, according to Sample?"]) == 0
    out = capsys.readouterr().out
    assert "[1]" in out and "Sources:" in out
    assert "Ben Sample" in out and "»" in out  # supporting span marked
    assert "green cheese" not in out
    assert "total" in out


def test_ask_show_unverified_lists_dropped_sentences(cli, capsys):
    capsys.readouterr()
    main([*cli, "ask", "Why did the bureaucracy grow, according to Sample?", "--show-unverified"])
    assert "(unverified)" in capsys.readouterr().out


def test_ask_json(cli, capsys):
    capsys.readouterr()
    assert (
        main([*cli, "ask", "Why did the bureaucracy grow?", "--json", "--mode", "extractive"]) == 0
    )
    data = json.loads(capsys.readouterr().out)
    assert data["mode"] == "extractive" and data["citations"][0]["n"] == 1


@pytest.mark.parametrize("question", ["", "   "])
def test_ask_bad_input_is_one_line(cli, capsys, question):
    capsys.readouterr()
    assert main([*cli, "ask", question]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "empty" in err
