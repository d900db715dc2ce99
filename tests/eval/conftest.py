"""Fixtures for the evaluation tests: a fake embedder and an index of the real corpus in tmp."""

from __future__ import annotations

import pytest


@pytest.fixture
def fake_embedder():
    from embeddings import FakeEmbedder

    return FakeEmbedder()


@pytest.fixture
def tmp_index(settings, fake_embedder):
    from rag.retrieval.store import get_index

    return get_index(settings, fake_embedder)
