"""Property tests across the text stages: never crash, never lose text, on inputs wider than the
stage's own unit tests use (the whole of Unicode, hidden characters inside words, hostile
markers). Complements tests/corpus/test_clean_rules.py, tests/rag/test_chunking.py and
tests/rag/test_sentences.py, which hold each stage's own properties."""

from __future__ import annotations

import re
from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st

from corpus.catalog import Work
from corpus.clean import clean_work, strip_hidden
from corpus.passage import Passage
from corpus.settings import get_settings
from rag.answer.draft import parse_markers, split_draft
from rag.retrieval.chunking import PASSAGE_SEP, chunk_passages
from rag.text.sentences import split_sentences

HIDDEN = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad", "\u202e", "\u2066", "\x07"]
_non_space = re.compile(r"\S")


def _letters(text: str) -> list[str]:
    return _non_space.findall(text)


# --- sentence splitter --------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.text(max_size=30),
            st.sampled_from(
                ["Mr. ", "op. cit. ", "T. H. Rigby. ", "1.5 ", "... ", '." ', "?\u201d ", "\n\n"]
            ),
        ),
        max_size=20,
    ).map("".join)
)
def test_sentence_spans_cover_any_unicode_text(text: str) -> None:
    spans = split_sentences(text)
    pos = 0
    for a, b in spans:
        assert pos <= a < b <= len(text)
        assert text[pos:a].strip() == ""  # only whitespace between sentences: nothing lost
        assert text[a:b] == text[a:b].strip()
        pos = b
    assert text[pos:].strip() == ""


# --- cleaner ------------------------------------------------------------------------------------

_word = st.text(alphabet="abcdefghijklmnopqrstuvwxyzäéşжщ", min_size=2, max_size=9)


@st.composite
def _prose_with_hidden_chars(draw) -> tuple[str, list[list[str]]]:
    """Plain paragraphs (capitalised sentences, blank-line separated) with hidden characters
    sprinkled inside words; returns (raw, the words of each paragraph)."""
    paragraphs: list[list[str]] = []
    raw_paras: list[str] = []
    for _ in range(draw(st.integers(1, 5))):
        words = draw(st.lists(_word, min_size=1, max_size=25))
        words[0] = words[0].capitalize()
        paragraphs.append(words)
        dirty = []
        for w in words:
            cut = draw(st.integers(0, len(w)))
            junk = draw(st.lists(st.sampled_from(HIDDEN), max_size=2))
            dirty.append(w[:cut] + "".join(junk) + w[cut:])
        raw_paras.append(" ".join(dirty) + ".")
    return "\n\n".join(raw_paras) + "\n", paragraphs


@settings(max_examples=150, deadline=None)
@given(_prose_with_hidden_chars())
def test_cleaner_strips_hidden_chars_and_loses_no_word(case) -> None:
    raw, paragraphs = case
    w = Work("w", "A. Author", "T", None, "t.txt", "", headings="none", footnotes="none")
    passages = clean_work(w, raw)
    text = " ".join(p.text for p in passages)
    assert strip_hidden(text) == text
    assert not any(h in text for h in HIDDEN)
    words = re.findall(r"\w+", text)
    expected = [x for para in paragraphs for x in para]
    assert words == expected


# --- chunker ------------------------------------------------------------------------------------


def _passage(text: str, n: int, section: str) -> Passage:
    return Passage(
        work_id="w",
        author="A. Author",
        title="T",
        year=None,
        section=section,
        paragraph_no=n,
        anchor=f"w §{section} ¶{n}",
        text=text,
        kind="body",
        raw_start=n * 10_000,
        raw_end=n * 10_000 + len(text),
        file="t.txt",
    )


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.text(st.characters(blacklist_characters="\n\r"), min_size=1, max_size=400).filter(
                lambda t: t.strip() == t and t
            ),
            st.sampled_from(["I", "II"]),
        ),
        min_size=1,
        max_size=8,
    ),
    st.integers(20, 60),
)
def test_chunker_keeps_every_character_of_any_unicode_passage(paras, target) -> None:
    ps = [_passage(t, i, sec) for i, (t, sec) in enumerate(paras)]
    s = get_settings(None, chunk_target_words=target, chunk_max_words=target + 10)
    chunks = chunk_passages(ps, s)
    seen: dict[str, list[str]] = {}
    for c in chunks:
        pieces = c.text.split(PASSAGE_SEP)
        assert len(pieces) == len(c.passage_anchors)
        for anchor, piece in zip(c.passage_anchors, pieces, strict=True):
            seen.setdefault(anchor, []).append(piece)
    for p in ps:
        # Overlap repeats sentences between pieces, so compare as multisets: every non-space
        # character of the passage is in some chunk at least as often as in the passage.
        got = Counter(_letters(" ".join(seen.get(p.anchor, []))))
        want = Counter(_letters(p.text))
        assert not (want - got), (p.text, seen.get(p.anchor))


# --- citation parser ----------------------------------------------------------------------------

_marker = st.builds(
    lambda ids, sep: "[" + sep.join(str(i) for i in ids) + "]",
    st.lists(st.integers(0, 30), min_size=1, max_size=4),
    st.sampled_from([",", ", ", ";", "-", " and "]),
)
_draft_piece = st.one_of(
    st.text(max_size=20),
    _marker,
    st.sampled_from([". ", "! ", "? ", "\n", "\n- ", "\n1. ", "[", "]", " [1", "2]", "[-]"]),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_draft_piece, max_size=25).map("".join), st.integers(0, 12))
def test_citation_parser_never_crashes_and_keeps_non_marker_text(text: str, n: int) -> None:
    clean, ids = parse_markers(text, n)
    assert len(set(ids)) == len(ids)
    assert all(1 <= i <= n for i in ids)
    # Nothing but the [n] markers and whitespace is removed.
    kept = re.sub(r"\[\s*\d+(?:\s*(?:,|;|-|–|and)\s*\d+)*\s*\]", "", text)
    assert _letters(clean) == _letters(kept)


@settings(max_examples=300, deadline=None)
@given(st.lists(_draft_piece, max_size=25).map("".join))
def test_draft_splitter_never_crashes_and_loses_no_text(draft: str) -> None:
    out = split_draft(draft)
    assert all(s == s.strip() and s for s in out)
    lead = re.compile(r"^\s*(?:\d{1,2}[.)]|[-*•])\s+", re.M)
    # Markers written after the full stop move before it, so compare as multisets.
    assert Counter(_letters(" ".join(out))) == Counter(_letters(lead.sub("", draft)))


def test_citation_parser_survives_absurd_marker() -> None:
    """A marker with thousands of digits (model run-away) is not an excerpt id and no crash."""
    text = "Stalin won [" + "9" * 5000 + "]."
    clean, ids = parse_markers(text, 5)
    assert ids == ()
    assert "Stalin won" in clean
