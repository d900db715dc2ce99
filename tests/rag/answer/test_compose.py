"""Choosing the sentences a select-mode answer shows."""

from __future__ import annotations

from types import SimpleNamespace as W

from rag.answer.candidates import Candidate
from rag.answer.compose import choose_sentences
from rag.answer.question import understand
from rag.answer.select import Ranked
from rag.retrieval.search import Hit
from tests.rag.answer.test_select_write import chunk

WORKS = [W(work_id="g", author="Alvin W. Gouldner", title="Stalinism", year=1978, aliases=())]
SENTENCES = (
    "The peasants were treated as an internal colony.",
    "Grain was taken from the villages by force.",
    "The weather was fine that year.",
)


def ranked(texts: list[str], scores: list[float]) -> list[Ranked]:
    """Each text as sentence 0 of its own chunk (chunks may overlap and repeat a sentence)."""
    out = []
    for n, (text, score) in enumerate(zip(texts, scores, strict=True)):
        hit = Hit(chunk(text, n=n), 1.0)
        out.append(Ranked(Candidate(hit, n, 0, 0, len(text)), score))
    return out


def test_a_sentence_repeated_by_overlapping_chunks_is_shown_once():
    q = understand("How were the peasants treated?", works=WORKS)
    texts = [SENTENCES[0], SENTENCES[0].replace(" ", "  "), SENTENCES[1], SENTENCES[2]]
    chosen = choose_sentences(q, ranked(texts, [0.9, 0.9, 0.85, 0.8]))
    shown = [" ".join(r.candidate.text.split()) for r, _further in chosen]
    assert len(shown) == len(set(shown)) == 3
    assert shown[0] == SENTENCES[0]
