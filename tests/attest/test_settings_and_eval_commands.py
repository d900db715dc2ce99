"""`attest settings` and `attest eval retrieval`, run through the command line."""

from __future__ import annotations

import json

import pytest

from attest.cli import main
from corpus.settings import Settings
from corpus.testing import write_tiny_corpus
from embeddings.fake import FakeEmbedder


def test_settings_prints_every_setting_with_its_value_and_description(monkeypatch, capsys,
                                                                      tmp_path):  # fmt: skip
    monkeypatch.chdir(tmp_path)  # no attest.toml of the checkout is read
    monkeypatch.setenv("ATTEST_RETRIEVAL_K", "7")
    monkeypatch.setenv("ATTEST_ALLOWED_HOSTS", '["attest.lan"]')
    monkeypatch.setenv("ATTEST_AUTH", "reader:never-print-me")
    assert main(["settings"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    names = [line.split(" = ", 1)[0] for line in lines if not line.startswith(" ")]
    assert names == list(Settings.model_fields)  # every setting, in order
    for name, field in Settings.model_fields.items():
        i = lines.index(next(line for line in lines if line.startswith(f"{name} = ")))
        assert lines[i + 1].strip() == field.description, name
    assert "retrieval_k = 7" in out and "allowed_hosts = ('attest.lan',)" in out
    assert "never-print-me" not in out and "auth = SecretStr('**********')" in out


@pytest.fixture
def tiny_cli(tmp_path, monkeypatch):
    import embeddings
    import embeddings.factory
    from rag.retrieval.store import clear_index_cache

    emb = FakeEmbedder(dim=32)
    monkeypatch.setattr(embeddings.factory, "get_embedder", lambda settings=None: emb)
    monkeypatch.setattr(embeddings, "get_embedder", lambda settings=None: emb)
    monkeypatch.chdir(tmp_path)
    corpus = write_tiny_corpus(tmp_path / "corpus")
    clear_index_cache()
    yield ["--corpus", str(corpus), "--data-dir", str(tmp_path / "data")]
    clear_index_cache()


QUESTIONS = [
    {
        "id": "t-1",
        "question": "How many peasants did the famine of 1932 kill in the grain regions?",
        "kind": "factual",
        "answer": "Millions.",
        "authors": ["Ada Example"],
        "evidence": [
            {
                "file": "a_grain.txt",
                "quote": "The famine of 1932 killed millions of peasants in the grain regions.",
            }
        ],
    },
    {
        "id": "t-2",
        "question": "Why did the bureaucracy grow, according to Sample?",
        "kind": "author_view",
        "answer": "Isolation.",
        "authors": ["Ben Sample"],
        "evidence": [
            {
                "file": "b_bureaucracy.txt",
                "quote": "The bureaucracy grew because the revolution remained isolated",
            },
            {"file": "b_bureaucracy.txt", "quote": "A sentence that is in no essay at all."},
        ],
    },
    {
        "id": "t-3",
        "question": "What did the essays say about tractors?",
        "kind": "unanswerable",
        "answer": "-",
    },
]


def test_eval_retrieval_scores_bm25_dense_and_hybrid(tiny_cli, tmp_path, capsys):
    qfile = tmp_path / "q.jsonl"
    qfile.write_text("\n".join(json.dumps(q) for q in QUESTIONS) + "\n", encoding="utf-8")
    out_json = tmp_path / "out" / "retrieval.json"
    rc = main([*tiny_cli, "eval", "retrieval", "--questions", str(qfile), "-k", "3",
               "--json", str(out_json)])  # fmt: skip
    assert rc == 0
    out = capsys.readouterr().out
    assert "retrieval @ k=3: 2 answerable questions" in out and "unlocatable gold quotes: 1" in out
    assert f"figures written to {out_json}" in out
    data = json.loads(out_json.read_text(encoding="utf-8"))
    assert data["k"] == 3 and data["questions"] == 2 and data["unlocatable"] == 1
    assert set(data["variants"]) == {"bm25", "dense", "hybrid"}
    bm25 = {r["id"]: r for r in data["variants"]["bm25"]["per_question"]}
    # The question repeats its gold sentence's words: BM25 ranks it first.
    assert bm25["t-1"]["mrr"] == 1.0 and bm25["t-1"]["recall"] == 1.0
    assert bm25["t-1"]["ranked"][0] == "example-grain §II ¶1"
    assert bm25["t-2"]["hit"] == 1.0 and bm25["t-2"]["recall"] == 0.5  # one quote is in no essay
    for variant in data["variants"].values():
        rows = variant["per_question"]
        assert [r["id"] for r in rows] == ["t-1", "t-2"]  # the unanswerable one is not scored
        for metric in ("hit", "recall", "mrr", "ndcg"):  # overall = mean over the questions
            mean = sum(r[metric] for r in rows) / 2
            assert variant["overall"][metric] == pytest.approx(mean), metric
        assert variant["overall"]["n"] == 2
    assert data["variants"]["bm25"]["overall"]["recall"] == 0.75


def test_eval_retrieval_refuses_a_bad_cut_off(tiny_cli, capsys):
    assert main([*tiny_cli, "eval", "retrieval", "-k", "0"]) == 2
    assert "-k must be at least 1" in capsys.readouterr().err
