"""Reciprocal-rank fusion (rag.retrieval.fusion.rrf) alone and as the search's fusion setting."""

from __future__ import annotations

import pytest

from corpus.settings import get_settings
from rag.retrieval import fusion
from rag.retrieval.search import retrieve
from rag.retrieval.store import build_index


def test_rrf_is_the_sum_of_reciprocal_ranks():
    fused = fusion.rrf([1, 2, 3], {1: 1, 2: 2}, {2: 1, 3: 3}, k=60)
    assert fused[1] == pytest.approx(1 / 61)  # dense only
    assert fused[2] == pytest.approx(1 / 62 + 1 / 61)  # both
    assert fused[3] == pytest.approx(1 / 63)  # lexical only
    assert fusion.rrf([9], {}, {}, k=60) == {9: 0.0}  # ranked by neither


def test_rrf_rewards_agreement_over_one_first_place():
    # 2 is second in both rankings; 1 and 3 are each first in one ranking only.
    fused = fusion.rrf([1, 2, 3], {1: 1, 2: 2}, {3: 1, 2: 2}, k=60)
    assert max(fused, key=fused.get) == 2
    assert fused[1] == fused[3]  # symmetric: the same rank in either list counts the same


def test_rrf_damping_constant_matters():
    dense, lexical = {1: 1, 3: 3}, {1: 10, 3: 3}
    sharp = fusion.rrf([1, 3], dense, lexical, k=1)
    flat = fusion.rrf([1, 3], dense, lexical, k=1000)
    # With little damping a first place dominates; with much, the steady second place wins.
    assert sharp[1] > sharp[3] and flat[3] > flat[1]


def test_rrf_uses_ranks_not_scores():
    ranks = fusion.ranks({10: 0.9, 11: 0.5, 12: 0.1}, 3)
    scaled = fusion.ranks({10: 900.0, 11: 500.0, 12: 100.0}, 3)
    assert ranks == scaled == {10: 1, 11: 2, 12: 3}
    assert fusion.ranks({5: 1.0, 4: 1.0}, 2) == {4: 1, 5: 2}  # ties by id


def test_search_with_rrf_ranks_by_fused_reciprocal_ranks(settings, make, fake_embedder):
    ada = dict(work_id="ada", author="Ada Example", title="Grain", year=1990)
    texts = [
        "The grain procurement crisis forced coercion on the village.",
        "The famine killed millions of peasants in the grain regions.",
        "Collectivization broke the village commune.",
        "The bureaucracy grew because the revolution remained isolated.",
        "Terror replaced persuasion once the purges began.",
    ]
    # One section each, so that every passage is a chunk of its own.
    ps = [make(t, section="ABCDE"[i], n=i + 1, **ada) for i, t in enumerate(texts)]
    s = get_settings(settings, fusion="rrf", rrf_k=60, footnote_penalty=1.0)
    index = build_index(s, embedder=fake_embedder, passages=ps, log=lambda m: None)
    hits = retrieve("famine grain peasants", 5, settings=s, index=index, embedder=fake_embedder)
    assert hits[0].chunk.text.startswith("The famine")
    for h in hits:
        expected = (1 / (60 + h.dense_rank) if h.dense_rank else 0.0) + (
            1 / (60 + h.lexical_rank) if h.lexical_rank else 0.0
        )
        assert h.score == pytest.approx(expected)
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
