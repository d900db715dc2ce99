"""Each cleaning rule on a small synthetic snippet, edge cases, and a hypothesis property."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from corpus.catalog import Work
from corpus.clean import clean_inline, clean_work, from_roman, is_terminated, strip_hidden, to_roman
from corpus.locate import words_in_order


def work(**hints: object) -> Work:
    return Work("w", "A. Author", "T", 2000, "t.txt", "", **hints)  # type: ignore[arg-type]


def texts(ps) -> list[str]:
    return [p.text for p in ps]


def test_running_header_removed_and_paragraph_rejoined() -> None:
    raw = "Some text that runs to the\n\nRunning Head\n\nnext page here.\n"
    ps = clean_work(work(drop_lines=("Running Head",)), raw)
    assert texts(ps) == ["Some text that runs to the next page here."]


def test_body_start_drops_bibliographic_header() -> None:
    raw = (
        "Author > 1939 >\n\nAuthor: Title\n\nJune 10, 1939\n\n[Writings, p. 3]\n\nWalter said it.\n"
    )
    ps = clean_work(work(body_start="Walter"), raw)
    assert texts(ps) == ["Walter said it."]
    assert raw[ps[0].raw_start : ps[0].raw_end] == "Walter said it."


def test_markdown_marks_removed_and_headings_recognised() -> None:
    raw = "Intro.\n\n### *Defining Things*\n\nThe **bold** and *italic* words.\n\n*A Subheading*\n\nMore.\n"
    ps = clean_work(work(headings="markdown"), raw)
    assert [(p.section, p.section_label, p.text) for p in ps] == [
        ("", "", "Intro."),
        ("Defining Things", "1", "The bold and italic words."),
        ("A Subheading", "2", "More."),
    ]


def test_caps_headings() -> None:
    ps = clean_work(
        work(headings="caps"), "INTRODUCTION\n\nOne.\n\nTHE QUESTION OF NUMBERS\n\nTwo.\n"
    )
    assert [(p.section, p.anchor) for p in ps] == [
        ("INTRODUCTION", "w §1 ¶1"),
        ("THE QUESTION OF NUMBERS", "w §2 ¶1"),
    ]


@pytest.mark.parametrize(
    ("marker", "note"),
    [("<sup>12</sup>", 12), ("^{12.}", 12), ("¹²", 12), ("**12**", 12)],
)
def test_footnote_markers_removed_and_kept(marker: str, note: int) -> None:
    text, refs, pos = clean_inline(f'He wrote "so."{marker} Then more.', refs=None)
    assert text == 'He wrote "so." Then more.'
    assert refs == [note]
    assert pos == [len('He wrote "so."')]


def test_bare_number_marker_only_when_in_sequence() -> None:
    text, refs, _ = clean_inline('a "Leninist." 1 From such a view, in 1917. 12 men came.')
    assert text == 'a "Leninist." From such a view, in 1917. 12 men came.'
    assert refs == [1]
    # After a page abbreviation a number is a page, not a note.
    assert clean_inline("see p. 2 The")[0] == "see p. 2 The"


def test_mathbf_and_ocr_roman_headings() -> None:
    raw = "I\n\nOne.\n\n \\mathbf{II}\n\nTwo.\n\nШ\n\nThree.\n\nIV\n\nFour.\n\n1\n\nFive.\n"
    ps = clean_work(work(headings="roman"), raw)
    assert [p.anchor for p in ps] == ["w §I ¶1", "w §II ¶1", "w §III ¶1", "w §IV ¶1", "w §V ¶1"]
    assert all("mathbf" not in p.text for p in ps)


def test_numbered_inline_sections() -> None:
    raw = "1. Why It Happened … A struggle of forces.\n\nMore of it.\n\n2. The Party. The party grew.\n"
    ps = clean_work(work(headings="numbered", footnotes="none"), raw)
    assert [(p.section, p.anchor, p.text) for p in ps] == [
        ("Why It Happened", "w §1 ¶1", "A struggle of forces."),
        ("Why It Happened", "w §1 ¶2", "More of it."),
        ("The Party", "w §2 ¶1", "The party grew."),
    ]


def test_footnote_block_becomes_footnote_passages_and_body_rejoins() -> None:
    raw = (
        "The heretics were\n\n"
        "^{1.} Alfred G. Meyer, Leninism (1957), p. 282.\n\n"
        "pursuing the line.\n\n"
        "2. Cited in Cohen, op.cit.\n"
    )
    ps = clean_work(work(footnotes="latex"), raw)
    body = [p for p in ps if p.kind == "body"]
    notes = [p for p in ps if p.kind == "footnote"]
    assert texts(body) == ["The heretics were pursuing the line."]
    assert [(p.note_no, p.anchor, p.text) for p in notes] == [
        (1, "w n.1", "Alfred G. Meyer, Leninism (1957), p. 282."),
        (2, "w n.2", "Cited in Cohen, op.cit."),
    ]
    # The rejoined span encloses the footnote block it was rejoined across.
    assert body[0].raw_start == 0 and body[0].raw_end > raw.index("pursuing")


def test_footnote_continued_on_next_page() -> None:
    raw = (
        "Body text that ends.\n\n"
        "1. A note whose text runs to the\n\n"
        "Next page body starts here and stops\n\n"
        "following page of notes.\n\n"
        "2. Second note.\n\n"
        "in mid sentence.\n"
    )
    ps = clean_work(work(footnotes="numbered"), raw)
    assert [(p.kind, p.text) for p in ps] == [
        ("body", "Body text that ends."),
        ("footnote", "A note whose text runs to the following page of notes."),
        ("body", "Next page body starts here and stops in mid sentence."),
        ("footnote", "Second note."),
    ]


def test_hyphenated_word_across_page_rejoined() -> None:
    ps = clean_work(
        work(drop_lines=("Header",)), "in a predomi-\n\nHeader\n\nnantly peasant land.\n"
    )
    assert texts(ps) == ["in a predominantly peasant land."]


def test_list_items_are_not_continuations() -> None:
    ps = clean_work(work(), "Consider these.\n\na) The first.\n\nb) The second.\n")
    assert len(ps) == 3


def test_epigraph_attribution_kept_with_quote() -> None:
    raw = '"Lay bare the colonized relationships."\n\nMarcus G. Raskin\n\nThe study begins.\n'
    ps = clean_work(work(), raw)
    assert texts(ps) == [
        '"Lay bare the colonized relationships." Marcus G. Raskin',
        "The study begins.",
    ]
    assert ps[0].quotes[0].speaker == "Marcus G. Raskin"


def test_hidden_characters_stripped() -> None:
    assert strip_hidden("Sta\u200blin\u202e\u00ad\ufeff\x07 ok\n\t") == "Stalin ok\n\t"
    ps = clean_work(work(), "Sta\u200blin ruled\u2060.\n")
    assert texts(ps) == ["Stalin ruled."]


def test_truncated_ocr_duplicate_dropped() -> None:
    para = "It was not, however, by mere caprice or accident that this happened in the way it did."
    raw = f"{para}<sup>42</sup>\n\nOther.\n\n{para} And it went on much longer than that.\n"
    ps = clean_work(work(), raw)
    assert texts(ps) == ["Other.", f"{para} And it went on much longer than that."]
    assert 42 in ps[1].footnote_refs


def test_ocr_runaway_repetition_dropped() -> None:
    junk = "At this point " + "and the circumstantial " * 12
    ps = clean_work(work(), f"{junk}\n\nAt this point, a real paragraph.\n")
    assert texts(ps) == ["At this point, a real paragraph."]


def test_roman_helpers() -> None:
    assert [to_roman(n) for n in (1, 4, 9, 14, 40)] == ["I", "IV", "IX", "XIV", "XL"]
    assert from_roman("XIV") == 14 and from_roman("Ш") is None and from_roman("") is None
    assert is_terminated("end.") and not is_terminated("and the")


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "\n\n\n",
        "   \t  ",
        "Ünïcödé — “quotes” ‘single’ 日本語 текст ½.\n",
        "word " * 20000 + ".\n",  # one giant paragraph
        "a\n" * 500,
    ],
    ids=["empty", "blank-lines", "whitespace", "unicode", "giant", "many-lines"],
)
def test_edge_cases(raw: str) -> None:
    ps = clean_work(work(headings="caps"), raw)
    assert all(p.text and p.text == p.text.strip() for p in ps)
    assert all(words_in_order(p.text, raw[p.raw_start : p.raw_end]) for p in ps)
    if not raw.strip():
        assert ps == []
    else:
        assert len({p.anchor for p in ps}) == len(ps)


_alphabet = st.sampled_from(
    [
        *"abcXYZ .,;:\"'“”-*#^{}<>/\n\n\n0123456789ШⅡ¹²\u200b\u00ad",
        *("<sup>", "</sup>", "^{3.}", "\\mathbf{"),
    ]
)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(_alphabet, max_size=120).map("".join),
    st.sampled_from(["none", "caps", "markdown", "roman", "numbered"]),
)
def test_cleaning_never_crashes_nor_invents_characters(raw: str, headings: str) -> None:
    ps = clean_work(work(headings=headings, footnotes="latex"), raw)
    allowed = set(raw) | {" ", '"'}  # spaces join lines; &quot;-style entities decode to '"'
    for p in ps:
        assert set(p.text) <= allowed, (raw, p.text)
        assert 0 <= p.raw_start <= p.raw_end <= len(raw)
