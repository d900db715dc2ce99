"""Fixtures for the retrieval tests: synthetic passages, the tiny corpus, a fake embedder."""

from __future__ import annotations

import pytest

from corpus.passage import Passage, QuoteSpan
from embeddings.fake import FakeEmbedder


def make_passage(
    text: str,
    *,
    work_id: str = "w1",
    author: str = "Ada Example",
    title: str = "The Grain Question",
    year: int | None = 1990,
    section: str = "I",
    n: int = 0,
    kind: str = "body",
    note_no: int | None = None,
    quotes: tuple[QuoteSpan, ...] = (),
    raw_start: int | None = None,
) -> Passage:
    start = n * 1000 if raw_start is None else raw_start
    anchor = f"{work_id} n.{note_no}" if kind == "footnote" else f"{work_id} §{section} ¶{n}"
    return Passage(
        work_id=work_id,
        author=author,
        title=title,
        year=year,
        section=section,
        paragraph_no=n,
        anchor=anchor,
        text=text,
        kind=kind,  # type: ignore[arg-type]
        raw_start=start,
        raw_end=start + len(text),
        file=f"texts/{work_id}.txt",
        note_no=note_no,
        quotes=quotes,
    )


@pytest.fixture
def make():
    return make_passage


@pytest.fixture
def fake_embedder() -> FakeEmbedder:
    return FakeEmbedder(dim=64)


@pytest.fixture
def tiny_settings(settings, tmp_path):
    """Settings over the tiny test corpus, index in tmp_path."""
    from corpus.testing import write_tiny_corpus

    corpus = write_tiny_corpus(tmp_path / "corpus")
    return settings.model_copy(update={"corpus_dir": corpus})
