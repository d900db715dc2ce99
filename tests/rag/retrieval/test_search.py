from __future__ import annotations

import pytest

from corpus.settings import get_settings
from rag.retrieval.search import lexical_query, retrieve
from rag.retrieval.store import build_index, ensure_index

ADA = dict(work_id="ada-grain", author="Ada Example", title="The Grain Question", year=1990)
BEN = dict(work_id="ben-bureau", author="Ben Sample", title="Bureaucracy and Power", year=1985)


@pytest.fixture
def index(settings, make, fake_embedder):
    ps = [
        make("The grain procurement crisis forced coercion on the village.", n=1, **ADA),
        make("The famine killed millions of peasants in the grain regions.", section="II", n=2,
             **ADA),
        make("Collectivization broke the village commune and the peasants.", section="III", n=3,
             **ADA),
        make("The bureaucracy grew because the revolution remained isolated.", n=4, **BEN),
        make("Terror replaced persuasion once the purges began.", section="II", n=5, **BEN),
        make("Peasants were treated like a colonised population by the bureaucracy.",
             section="III", n=6, **BEN),
        make("See the standard accounts of the grain crisis and the famine.", kind="footnote",
             note_no=1, n=7, **ADA),
    ]  # fmt: skip
    return build_index(settings, embedder=fake_embedder, passages=ps, log=lambda m: None)


def _authors(hits):
    return [h.chunk.author for h in hits]


def test_finds_the_passage(settings, index, fake_embedder) -> None:
    hits = retrieve("What caused the famine?", 3, settings=settings, index=index,
                    embedder=fake_embedder)  # fmt: skip
    assert hits[0].chunk.text.startswith("The famine")
    assert hits[0].dense_rank is not None and hits[0].lexical_rank == 1
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


@pytest.mark.parametrize("mode", ["bm25", "dense", "hybrid"])
@pytest.mark.parametrize("fusion", ["rrf", "weighted"])
def test_modes_and_fusions(settings, index, fake_embedder, mode, fusion) -> None:
    s = get_settings(settings, fusion=fusion)
    hits = retrieve("terror persuasion purges", 2, settings=s, index=index,
                    embedder=fake_embedder, mode=mode)  # fmt: skip
    assert hits[0].chunk.text.startswith("Terror replaced")


def test_explicit_author_filter_restricts(settings, index, fake_embedder) -> None:
    hits = retrieve("peasants", 5, authors=["Ben Sample"], settings=settings, index=index,
                    embedder=fake_embedder)  # fmt: skip
    assert set(_authors(hits)) == {"Ben Sample"}
    hits = retrieve("peasants", 5, authors=["Sample"], settings=settings, index=index,
                    embedder=fake_embedder)  # fmt: skip
    assert set(_authors(hits)) == {"Ben Sample"}
    hits = retrieve("peasants", 5, works=["ada-grain"], settings=settings, index=index,
                    embedder=fake_embedder)  # fmt: skip
    assert {h.chunk.work_id for h in hits} == {"ada-grain"}


def test_detected_author_restricts_or_boosts(settings, index, fake_embedder) -> None:
    q = "What does Sample say about the peasants and the famine?"
    hits = retrieve(q, 5, settings=settings, index=index, embedder=fake_embedder)
    assert set(_authors(hits)) == {"Ben Sample"}
    boost = get_settings(settings, detected_authors="boost", author_boost=5.0)
    hits = retrieve(q, 5, settings=boost, index=index, embedder=fake_embedder)
    assert hits[0].chunk.author == "Ben Sample"
    assert "Ada Example" in _authors(hits)  # boosted, not restricted
    off = get_settings(settings, detected_authors="ignore")
    hits = retrieve(q, 2, settings=off, index=index, embedder=fake_embedder)
    assert hits[0].chunk.author == "Ada Example"  # the famine passage wins on content


def test_balanced_two_author_retrieval(settings, index, fake_embedder) -> None:
    q = "How do Example and Sample differ on the peasants?"
    hits = retrieve(q, 4, settings=settings, index=index, embedder=fake_embedder)
    assert _authors(hits) == ["Ada Example", "Ben Sample", "Ada Example", "Ben Sample"]
    unbalanced = get_settings(settings, balanced_authors=False)
    hits = retrieve(q, 4, settings=unbalanced, index=index, embedder=fake_embedder)
    assert set(_authors(hits)) == {"Ada Example", "Ben Sample"}


def test_no_author_named_searches_everything(settings, index, fake_embedder) -> None:
    hits = retrieve("Who argued that terror replaced persuasion?", 3, settings=settings,
                    index=index, embedder=fake_embedder)  # fmt: skip
    assert hits[0].chunk.author == "Ben Sample"


def test_footnote_penalty(settings, index, fake_embedder) -> None:
    q = "standard accounts grain crisis famine"
    none = get_settings(settings, footnote_penalty=1.0)
    top = retrieve(q, 1, settings=none, index=index, embedder=fake_embedder)[0]
    assert top.chunk.kind == "footnote"
    damped = get_settings(settings, footnote_penalty=0.1)
    hits = retrieve(q, 3, settings=damped, index=index, embedder=fake_embedder)
    assert hits[0].chunk.kind == "body"


def test_mmr_diversifies(settings, make, fake_embedder) -> None:
    same = "The famine killed millions of peasants in the grain regions."
    ps = [make(same, n=i, section=str(i)) for i in range(3)] + [
        make("Famine peasants and the commune elsewhere.", n=9, section="9")
    ]
    idx = build_index(settings, embedder=fake_embedder, passages=ps, log=lambda m: None)
    plain = retrieve("famine peasants", 2, settings=settings, index=idx, embedder=fake_embedder)
    assert plain[1].chunk.text == same
    mmr = get_settings(settings, mmr_lambda=0.3)
    hits = retrieve("famine peasants", 2, settings=mmr, index=idx, embedder=fake_embedder)
    assert hits[1].chunk.text != same


def test_empty_query_and_k(settings, index, fake_embedder) -> None:
    assert retrieve("   ", settings=settings, index=index, embedder=fake_embedder) == []
    assert len(retrieve("peasants", 2, settings=settings, index=index,
                        embedder=fake_embedder)) == 2  # fmt: skip
    assert len(retrieve("peasants", 50, settings=settings, index=index,
                        embedder=fake_embedder)) == 7  # fmt: skip


def test_unicode_query(settings, index, fake_embedder) -> None:
    assert retrieve("крестьяне — famine", 1, settings=settings, index=index,
                    embedder=fake_embedder)  # fmt: skip


def test_lexical_query_cleanup() -> None:
    assert lexical_query("According to Ticktin, why?") == "why?"
    assert lexical_query("In Gouldner's essay, why?") == "why?"
    assert lexical_query("Why did Ticktin say so?") == "Why did Ticktin say so?"


def test_tiny_corpus_end_to_end(tiny_settings, fake_embedder, monkeypatch) -> None:
    idx = ensure_index(tiny_settings, embedder=fake_embedder, log=lambda m: None)
    hits = retrieve("What does Sample say about the State?", 2, settings=tiny_settings,
                    index=idx, embedder=fake_embedder)  # fmt: skip
    assert hits and all(h.chunk.author == "Ben Sample" for h in hits)
    assert "Nock observed" in hits[0].chunk.text

    # Repeated searches are cheap because nothing but the candidates is read back: the whole
    # vector matrix is never touched, and the answer is the same every time.
    def whole_matrix():
        raise AssertionError("retrieve read every vector")

    monkeypatch.setattr(idx, "vectors", whole_matrix)
    first = retrieve("grain famine", 3, settings=tiny_settings, index=idx, embedder=fake_embedder)
    for _ in range(20):
        again = retrieve("grain famine", 3, settings=tiny_settings, index=idx,
                         embedder=fake_embedder)  # fmt: skip
        assert [h.chunk.id for h in again] == [h.chunk.id for h in first]
