from __future__ import annotations

import itertools
import re

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from corpus.passage import QuoteSpan
from corpus.settings import get_settings
from rag.retrieval.chunking import chunk_passages, make_header, word_count
from rag.text.sentences import split_sentences


def _sentence(i: int, words: int = 9) -> str:
    return " ".join(["word"] * (words - 2) + [f"s{i}", "end."]).capitalize()


def test_golden_merge_and_headers(make) -> None:
    ps = [
        make("Short one. Still short.", n=1),
        make("Another short paragraph.", n=2),
        make("A new section starts.", section="II", n=3),
        make("A note.", kind="footnote", note_no=4, n=4),
    ]
    chunks = chunk_passages(ps, get_settings(None))
    assert [(c.kind, c.section, c.text) for c in chunks] == [
        ("body", "I", "Short one. Still short.\n\nAnother short paragraph."),
        ("body", "II", "A new section starts."),
        ("footnote", "I", "A note."),
    ]
    assert chunks[0].header == "Ada Example — The Grain Question (1990) — I"
    assert chunks[0].passage_anchors == ("w1 §I ¶1", "w1 §I ¶2")
    assert chunks[0].raw_start == ps[0].raw_start and chunks[0].raw_end == ps[1].raw_end
    assert chunks[2].header.endswith("— note 4")
    assert chunks[0].indexed_text.startswith(chunks[0].header + "\n")


def test_header_example(make) -> None:
    p = make("x", author="Leon Trotsky", title="The Soviet Thermidor", year=1936,
             section="Why Stalin Triumphed")  # fmt: skip
    assert make_header(p) == "Leon Trotsky — The Soviet Thermidor (1936) — Why Stalin Triumphed"
    assert make_header(make("x", year=None, section="")) == "Ada Example — The Grain Question"


def test_long_paragraph_split_at_sentences_with_overlap(make) -> None:
    text = " ".join(_sentence(i) for i in range(60))  # 540 words
    s = get_settings(None, chunk_target_words=100, chunk_max_words=150, chunk_overlap_sentences=1)
    chunks = chunk_passages([make(text)], s)
    assert len(chunks) >= 4
    for c in chunks:
        assert word_count(c.text) <= 150
        assert c.text in text  # a contiguous run of whole sentences
        assert c.text.endswith("end.")
    # One sentence repeated between consecutive pieces.
    for a, b in itertools.pairwise(chunks):
        last = a.text[split_sentences(a.text)[-1][0] :]
        assert b.text.startswith(last)
    assert chunks[0].clean_start == 0 and chunks[-1].clean_end == len(text)


def test_quote_spans_follow_into_chunk_text(make) -> None:
    p1 = make("First paragraph here.", n=1)
    text = 'Nock observed: "The State is power." Fine.'
    q = QuoteSpan(text.index('"'), text.index('."') + 2, "Nock")
    p2 = make(text, n=2, quotes=(q,))
    (chunk,) = chunk_passages([p1, p2])
    (cq,) = chunk.quotes
    assert chunk.text[cq.start : cq.end] == '"The State is power."'
    assert cq.speaker == "Nock"


def test_ids_stable_and_depend_on_settings(make) -> None:
    ps = [make(f"Paragraph {i}. More text here.", n=i) for i in range(5)]
    a = [c.id for c in chunk_passages(ps)]
    b = [c.id for c in chunk_passages(list(ps))]
    assert a == b and len(set(a)) == len(a)
    c = [c.id for c in chunk_passages(ps, get_settings(None, chunk_target_words=21))]
    assert set(a).isdisjoint(c)


def test_footnote_between_body_paragraphs_does_not_break_merge(make) -> None:
    ps = [make("Body one.", n=1), make("Note.", kind="footnote", note_no=1, n=2),
          make("Body two.", n=3)]  # fmt: skip
    chunks = chunk_passages(ps)
    assert chunks[0].text == "Body one.\n\nBody two."
    assert chunks[1].kind == "footnote"


@pytest.mark.parametrize("text", ["", "   ", "\n"])
def test_empty_passages_are_skipped(make, text: str) -> None:
    assert chunk_passages([make(text)]) == []


def test_unicode_and_giant_single_sentence(make) -> None:
    giant = " ".join(["слово"] * 1000) + "."
    (chunk,) = chunk_passages([make(giant)])  # never split inside a sentence
    assert chunk.text == giant


_WORDS = st.lists(st.sampled_from(["stalin", "purge", "Mr.", "1.5", "e.g.", "T.", "party"]),
                  min_size=1, max_size=12)  # fmt: skip


def _paragraphs():
    sentence = _WORDS.map(lambda ws: " ".join(ws).capitalize() + ".")
    return st.lists(sentence, min_size=1, max_size=30).map(" ".join)


@hsettings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    paras=st.lists(
        st.tuples(
            _paragraphs(),
            st.sampled_from(["w1", "w2"]),
            st.sampled_from(["I", "II"]),
            st.booleans(),
        ),
        min_size=1,
        max_size=12,
    ),
    target=st.integers(20, 80),
)
def test_chunk_properties(make, paras, target) -> None:
    make_passage = make
    ps = [
        make_passage(text, work_id=w, section=sec, n=i,
                     kind="footnote" if note else "body", note_no=i if note else None)
        for i, (text, w, sec, note) in enumerate(paras)
    ]  # fmt: skip
    s = get_settings(None, chunk_target_words=target, chunk_max_words=target + 40)
    chunks = chunk_passages(ps, s)
    by_anchor = {p.anchor: p for p in ps}
    covered: dict[str, list[tuple[int, int]]] = {}
    for c in chunks:
        srcs = [by_anchor[a] for a in c.passage_anchors]
        # never crosses a work or a section
        assert {p.work_id for p in srcs} == {c.work_id}
        assert {p.section for p in srcs} == {c.section}
        assert {p.kind for p in srcs} == {c.kind}
        for piece, p in zip(c.text.split("\n\n"), srcs, strict=True):
            start = p.text.find(piece)
            assert start >= 0
            # never splits a sentence: piece boundaries are sentence boundaries of the passage
            bounds = (
                {0, len(p.text)}
                | {a for a, _ in split_sentences(p.text)}
                | {b for _, b in split_sentences(p.text)}
            )
            assert start in bounds and start + len(piece) in bounds
            covered.setdefault(p.anchor, []).append((start, start + len(piece)))
    # every passage's text is covered
    for p in ps:
        spans = sorted(covered[p.anchor])
        pos = 0
        for a, b in spans:
            assert a <= pos or p.text[pos:a].strip() == ""
            pos = max(pos, b)
        assert p.text[pos:].strip() == ""
    assert len({c.id for c in chunks}) == len(chunks)
    assert all(re.fullmatch(r"w[12]-[0-9a-f]{12}", c.id) for c in chunks)


def test_no_piece_is_only_the_overlap(make) -> None:
    # Sentence sizes chosen so a greedy splitter would emit the overlap sentence alone.
    text = " ".join([_sentence(0, 50), _sentence(1, 45), _sentence(2, 60), _sentence(3, 40)])
    s = get_settings(None, chunk_target_words=60, chunk_max_words=100, chunk_overlap_sentences=1)
    chunks = chunk_passages([make(text)], s)
    assert len(chunks) >= 2
    for a, b in itertools.pairwise(chunks):
        assert len(split_sentences(b.text)) >= 2 or not b.text.startswith(
            a.text[split_sentences(a.text)[-1][0] :]
        )
