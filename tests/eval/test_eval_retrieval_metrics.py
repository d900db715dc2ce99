from __future__ import annotations

import json
from types import SimpleNamespace as C

import pytest

from eval.questions import Question, QuestionFileError, load_questions
from eval.retrieval import evaluate_retrieval, format_retrieval_report, score_ranking


def _chunk(i: str, text: str, file: str = "texts/a.txt"):
    return C(id=i, file=file, text=text)


def test_score_ranking_metrics() -> None:
    q = Question("q", "?", "comparative", "", (), (("a.txt", "alpha beta gamma delta"),
                                                    ("b.txt", "epsilon zeta eta theta")))  # fmt: skip
    ranking = [
        _chunk("1", "unrelated words"),
        _chunk("2", "x alpha beta gamma delta y"),
        _chunk("3", "alpha beta gamma delta again"),  # same quote again: no new gain
        _chunk("4", "epsilon zeta eta theta", file="texts/a.txt"),  # wrong file: no hit
    ]
    m = score_ranking(q, ranking, 5)
    assert m["hit"] == 1.0 and m["recall"] == 0.5 and m["mrr"] == 0.5
    assert 0 < m["ndcg"] < 1
    assert score_ranking(q, ranking[:1], 5) == {"hit": 0.0, "recall": 0.0, "mrr": 0.0, "ndcg": 0.0}


def test_load_questions_validates_with_line_numbers(tmp_path) -> None:
    good = {"id": "a", "question": "Q?", "kind": "factual", "answer": "A", "authors": ["X"],
            "evidence": [{"file": "f.txt", "quote": "text"}]}  # fmt: skip
    p = tmp_path / "q.jsonl"
    p.write_text(json.dumps(good) + "\n\n" + json.dumps({**good, "id": "b", "kind": "bad"}) + "\n")
    with pytest.raises(QuestionFileError, match=r"q\.jsonl:3: kind 'bad'"):
        load_questions(p)
    p.write_text(json.dumps(good) + "\n{not json\n")
    with pytest.raises(QuestionFileError, match=r"q\.jsonl:2: not valid JSON"):
        load_questions(p)
    p.write_text(json.dumps({**good, "evidence": []}) + "\n")
    with pytest.raises(QuestionFileError, match="needs at least one evidence quote"):
        load_questions(p)
    p.write_text(json.dumps(good) + "\n")
    (q,) = load_questions(p)
    assert q.evidence == (("f.txt", "text"),) and q.answerable


def test_evaluate_on_tiny_corpus(tiny_settings_eval, fake_embedder_eval) -> None:
    from rag.retrieval.store import ensure_index

    idx = ensure_index(tiny_settings_eval, embedder=fake_embedder_eval, log=lambda m: None)
    qs = [
        Question("t1", "What does Sample say about the State?", "factual", "", ("Ben Sample",),
                 (("b_bureaucracy.txt", "The State is the organization of the political means"),)),
        Question("t2", "What caused the famine?", "factual", "", (),
                 (("a_grain.txt", "The famine of 1932 killed millions of peasants"),)),
        Question("t3", "Unanswerable?", "unanswerable", "", (), ()),
    ]  # fmt: skip
    r = evaluate_retrieval(qs, k=3, settings=tiny_settings_eval, index=idx,
                           embedder=fake_embedder_eval)  # fmt: skip
    assert r["questions"] == 2 and r["unlocatable"] == 0
    assert set(r["variants"]) == {"bm25", "dense", "hybrid"}
    assert r["variants"]["hybrid"]["overall"]["hit"] == 1.0
    assert "sample-bureaucracy" in r["variants"]["bm25"]["by_work"]
    text = format_retrieval_report(r)
    assert "hybrid" in text and "latency (warm)" in text
    json.dumps(r)  # --json must be serialisable


@pytest.fixture
def tiny_settings_eval(settings, tmp_path):
    from corpus.testing import write_tiny_corpus

    return settings.model_copy(update={"corpus_dir": write_tiny_corpus(tmp_path / "corpus")})


@pytest.fixture
def fake_embedder_eval():
    from embeddings.fake import FakeEmbedder

    return FakeEmbedder(dim=64)
