"""The real bundled embedder on the dev set: retrieval must stay above a measured floor.

Measured with default settings: hybrid hit@5 1.000, recall@5 0.986, MRR@5 0.859. The floors sit
a little lower so small, legitimate changes do not fail the build, while a regression does.
"""

from __future__ import annotations

import pytest

from eval.questions import load_questions
from eval.retrieval import evaluate_retrieval, format_retrieval_report
from rag.retrieval.store import ensure_index


@pytest.mark.slow
def test_dev_set_hybrid_retrieval_floor(settings, dev_questions_path) -> None:
    index = ensure_index(settings, log=lambda m: None)
    result = evaluate_retrieval(
        load_questions(dev_questions_path), k=5, variants=("hybrid",), settings=settings,
        index=index,
    )  # fmt: skip
    report = format_retrieval_report(result)
    assert result["unlocatable"] == 0, report
    hybrid = result["variants"]["hybrid"]["overall"]
    assert hybrid["hit"] >= 0.94, report
    assert hybrid["recall"] >= 0.90, report
    assert hybrid["mrr"] >= 0.80, report
