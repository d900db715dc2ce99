"""Shared fixtures. Tests write only to tmp_path; the real corpus is read, never written."""

from __future__ import annotations

import pytest

from corpus.settings import PROJECT_ROOT, Settings, get_settings


@pytest.fixture
def settings(tmp_path) -> Settings:
    """Settings whose writable folders are inside tmp_path, with the fake generator.

    The learned answerability threshold is off (``select_min_score=0``): it is calibrated for
    the real embedder, and fast tests use a fake one; the slow tests keep it.
    """
    return get_settings(
        None, data_dir=tmp_path / "data", generator_backend="fake", select_min_score=0.0
    )


@pytest.fixture
def dev_questions_path():
    return PROJECT_ROOT / "eval" / "data" / "dev.jsonl"


@pytest.fixture(scope="session")
def corpus_chunks():
    """The bundled corpus chunked with default settings (sentences carry their voices)."""
    from corpus.load import load_passages
    from rag.retrieval.chunking import chunk_passages

    return chunk_passages(load_passages(), get_settings())
