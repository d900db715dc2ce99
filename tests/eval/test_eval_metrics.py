"""Metric functions against hand-computed examples, including empty answers and abstentions."""

from __future__ import annotations

import math

import pytest

from eval.metrics import (
    QuestionOutcome,
    SentenceOutcome,
    attribution,
    citation_precision,
    citation_recall,
    cosine,
    faithfulness,
    gold_citation_rate,
    mean_similarity,
    percentile,
    precise_citations,
    quoted_speaker_errors,
    refusal_rates,
    summarize,
    token_f1,
)


def S(verified=True, judged=True, n=1, precise=None, qs=False):
    return SentenceOutcome(verified, judged, n, n if precise is None else precise, qs)


def Q(id="q", kind="factual", answerable=True, refused=False, sentences=(), **kw):
    return QuestionOutcome(id, kind, answerable, refused, tuple(sentences), **kw)


def _finite(d):
    return all(not isinstance(v, float) or math.isfinite(v) for v in d.values())


def test_hand_computed_run():
    # q1: 3 shown sentences (2 verified: one judged supported, one not; 1 unverified, supported)
    #     citations: 2 + 1 + 1 = 4, precise: 1 + 0 + 1 = 2
    q1 = Q(
        "q1",
        sentences=[S(True, True, 2, 1), S(True, False, 1, 0), S(False, True, 1, 1)],
        cited_authors=frozenset({"A", "B"}),
        gold_authors=frozenset({"A"}),
        gold_cited=True,
        similarity=0.8,
        token_f1=0.6,
        ttft_s=1.0,
        total_s=2.0,
    )
    # q2: answerable, abstained
    q2 = Q("q2", refused=True, gold_authors=frozenset({"C"}), total_s=0.5)
    # q3, q4: unanswerable; q3 refused, q4 answered with one verified, unsupported sentence
    q3 = Q("q3", "unanswerable", False, True, total_s=0.3)
    q4 = Q("q4", "unanswerable", False, False, [S(True, False, 1, 0)], total_s=4.0)
    qs = [q1, q2, q3, q4]
    assert faithfulness(qs).value == pytest.approx(1 / 3)  # 1 of 3 verified sentences
    assert citation_recall(qs).value == pytest.approx(2 / 4)  # 2 of 4 shown sentences
    assert citation_precision(qs).value == pytest.approx(2 / 5)  # 2 precise of 5 citations
    assert gold_citation_rate(qs).value == pytest.approx(1 / 2)
    p, r = attribution(qs)
    assert (p.value, r.value) == (pytest.approx(1 / 2), pytest.approx(1 / 2))
    ru, fr = refusal_rates(qs)
    assert (ru.value, fr.value) == (0.5, 0.5)
    sim, f1 = mean_similarity(qs)
    assert (sim.value, f1.value) == (pytest.approx(0.4), pytest.approx(0.3))
    s = summarize(qs)
    assert s["total_p50_s"] == pytest.approx(1.25)  # between 0.5 and 2.0
    assert s["ttft_p50_s"] == 1.0 and s["n_verified_sentences"] == 3
    assert _finite(s)


@pytest.mark.parametrize(
    "outcomes",
    [
        [],  # empty run
        [Q(refused=True)],  # one abstention, nothing shown
        [Q("u", "unanswerable", False, True)],  # only unanswerable
        [Q(sentences=[S(False, False, 0, 0)])],  # a shown, uncited, unverified sentence
    ],
    ids=["empty", "abstention", "unanswerable-only", "uncited"],
)
def test_edge_cases_never_nan(outcomes):
    s = summarize(outcomes)
    assert _finite(s)
    assert all(isinstance(v, int | float) for v in s.values())


def test_vacuous_values_are_documented_constants():
    s = summarize([Q(refused=True)])
    assert s["faithfulness"] == 1.0 and s["citation_recall"] == 1.0  # nothing shown
    assert s["citation_precision"] == 1.0 and s["attribution_precision"] == 1.0
    assert s["gold_citation_rate"] == 0.0 and s["false_refusal_rate"] == 1.0
    assert s["refusal_rate_unanswerable"] == 0.0  # empty class
    # shown sentences without any citation: precision is 0 (ALCE), recall 0
    s = summarize([Q(sentences=[S(True, True, 0, 0)])])
    assert s["citation_precision"] == 0.0 and s["citation_recall"] == 0.0


def test_alce_precise_citations():
    assert precise_citations(True, [True], [False]) == 1
    assert precise_citations(True, [True, True], [True, True]) == 2  # each supports alone
    assert precise_citations(True, [False, True], [True, False]) == 1  # first is irrelevant
    assert precise_citations(True, [False, False], [False, False]) == 2  # needed jointly
    assert precise_citations(False, [False, False], [False, False]) == 0


def test_quoted_speaker_errors_count_answers_and_sentences():
    qs = [
        Q("a", sentences=[S(qs=True), S(qs=True)]),
        Q("b", sentences=[S()]),
        Q("c", sentences=[S(qs=True)]),
    ]
    assert quoted_speaker_errors(qs) == (2, 3)


@pytest.mark.parametrize(
    ("pred", "ref", "expected"),
    [
        ("", "", 1.0),
        ("", "x", 0.0),
        ("the purges", "the purges", 1.0),
        ("twenty million killed", "about twenty million", 2 / 3),
        ("Трудодни — work-days", "трудодни", 2 / 3),
        ("word " * 5000, "word", 2 / 5001),
    ],
)
def test_token_f1(pred, ref, expected):
    assert token_f1(pred, ref) == pytest.approx(expected)


def test_percentile_and_cosine_edges():
    assert percentile([], 95) == 0.0
    assert percentile([3.0], 95) == 3.0
    assert percentile([1.0, 2.0, 3.0, 4.0, 5.0], 95) == pytest.approx(4.8)
    assert cosine([0.0, 0.0], [0.0, 0.0]) == 0.0
