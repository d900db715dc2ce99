"""Citation lookup: exact phrase, keywords, anchors, context, footnotes, citations, reader."""

from __future__ import annotations

import json

import pytest

from corpus.cite import citation_string, format_citation, locator
from corpus.errors import InputError
from corpus.load import load_passages
from corpus.passage import Passage
from corpus.settings import get_settings
from corpus.testing import write_tiny_corpus
from lookup.library import Library, fold_with_map


@pytest.fixture
def lib(tmp_path) -> Library:
    d = write_tiny_corpus(tmp_path / "c")
    return Library(load_passages(get_settings(None, corpus_dir=d, data_dir=tmp_path / "data")))


def _p(text: str, n: int = 1, work: str = "w", author: str = "A", **kw) -> Passage:
    return Passage(
        work_id=work,
        author=author,
        title="T",
        year=kw.pop("year", 1977),
        section="I",
        paragraph_no=n,
        anchor=kw.pop("anchor", f"{work} §I ¶{n}"),
        text=text,
        kind=kw.pop("kind", "body"),
        raw_start=0,
        raw_end=len(text),
        **kw,
    )


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("", ""),
        ("   ", ""),
        ("“Quoted” — ‘single’", "\"quoted\"-'single'"),
        ("a\u00a0 b\n\tc", "a b c"),
        ("*em* _x_", "em x"),
        ("Ünïcödé ﬁ…", "ünïcödé fi..."),
        ("word " * 5000, ("word " * 5000).strip()),
    ],
)
def test_fold_with_map_edges(text, folded):
    out, where = fold_with_map(text)
    assert out == folded
    assert len(where) == len(out)
    assert all(0 <= i < len(text) for i in where)
    assert where == sorted(where)


def test_citation_string_matches_the_house_format():
    p = _p("x", anchor="tucker-revolution-from-above §II ¶4", work="tucker-revolution-from-above")
    p = Passage(
        **{
            **p.__dict__,
            "author": "Robert C. Tucker",
            "title": "Stalinism as Revolution from Above",
        }
    )
    assert (
        citation_string(p)
        == 'Robert C. Tucker, "Stalinism as Revolution from Above" (1977), §II ¶4'
    )
    assert format_citation("A", "T", None, "") == 'A, "T"'
    note = _p("n", anchor="w n.3", kind="footnote", note_no=3)
    assert locator(note.anchor, note.work_id) == "n.3"


def test_exact_phrase_finds_verbatim_text_and_highlights_it(lib):
    r = lib.search("the requisitions that followed broke the village commune", "phrase")
    assert [x.passage.anchor for x in r.results] == ["example-grain §I ¶2"]
    hit = r.results[0]
    start, end = hit.spans[0]
    assert hit.passage.text[start:end] == "the requisitions that followed broke the village commune"
    assert hit.exact and hit.how == "phrase"


def test_phrase_forgives_typography_case_and_spacing(lib):
    r = lib.by_phrase("NOCK observed:  “The State is the  organization of the political means.”")
    assert r.results and r.results[0].passage.anchor == "sample-bureaucracy ¶2"


def test_phrase_running_over_a_paragraph_break_is_found(lib):
    r = lib.by_phrase("privileges rested on scarcity. Nock observed")
    assert r.results[0].passage.anchor == "sample-bureaucracy ¶1"


def test_phrase_with_a_footnote_marker_from_the_raw_file_still_matches(lib):
    r = lib.by_phrase("between the market and coercion.<sup>1</sup> The peasants withheld")
    assert r.results and r.results[0].passage.anchor == "example-grain §I ¶1"


def test_absent_phrase_says_so(lib):
    r = lib.by_phrase("the tractors of Magnitogorsk sang")
    assert r.results == () and "does not occur" in (r.message or "")


def test_phrase_respects_author_filter(lib):
    assert lib.by_phrase("bureaucracy", authors=["Ada Example"]).results == ()
    assert lib.by_phrase("bureaucracy", authors=["Ben Sample"]).results


def test_keyword_search_ranks_and_highlights(lib):
    r = lib.search("grain famine quota", "keyword")
    assert r.results[0].passage.anchor == "example-grain §II ¶1"
    assert all(r.results[i].score >= r.results[i + 1].score for i in range(len(r.results) - 1))
    p = r.results[0].passage
    assert {p.text[s:e].lower() for s, e in r.results[0].spans} >= {"famine", "quota"}


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("", "Type a phrase, some keywords or an anchor."),
        ("   ", "Type a phrase, some keywords or an anchor."),
        ("the of and", "Type at least one word that is not a common word"),
        ("zzzqqq quibbleflump", "None of those words occur in the essays."),
    ],
)
def test_keyword_search_edge_queries_find_nothing_and_say_why(lib, query, message):
    r = lib.search(query, "keyword")
    assert r.results == () and r.how == "keyword"
    assert r.message is not None and r.message.startswith(message)


def test_anchor_lookup_with_context_and_footnotes(lib):
    r = lib.search("example-grain §I ¶1")
    assert r.how == "anchor"
    hit = r.results[0]
    assert hit.previous is None
    assert hit.next is not None and hit.next.anchor == "example-grain §I ¶2"
    assert [f.note_no for f in hit.footnotes] == [1]
    assert hit.citation == 'Ada Example, "The Grain Question" (1990), §I ¶1'


@pytest.mark.parametrize("query", ["EXAMPLE-GRAIN § I ¶ 2", "example-grain  §I   ¶2"])
def test_anchor_spacing_and_case_are_forgiven(lib, query):
    assert lib.by_anchor(query).results[0].passage.anchor == "example-grain §I ¶2"


def test_anchor_prefixes_and_unknowns(lib):
    assert [x.passage.anchor for x in lib.by_anchor("example-grain §II").results] == [
        "example-grain §II ¶1"
    ]
    assert len(lib.by_anchor("sample-bureaucracy").results) == 3
    unknown_work = lib.by_anchor("nobody-essay §I ¶1")
    assert unknown_work.results == () and "example-grain" in (unknown_work.message or "")
    unknown_par = lib.by_anchor("example-grain §I ¶99")
    assert unknown_par.results == () and "Anchors look like" in (unknown_par.message or "")


def test_last_passage_has_no_next(lib):
    last = lib.by_anchor("sample-terror ¶1").results[0]
    assert last.next is None and last.previous is None


def test_works_table_and_reader(lib):
    rows = {r.work_id: r for r in lib.works_table()}
    assert rows["sample-terror"].passages == 1
    assert rows["sample-terror"].words == 15  # "Terror is a mechanism ... with command."
    assert rows["example-grain"].year == 1990 and rows["sample-terror"].year is None
    page = lib.read("example-grain", start=1, count=2)
    assert [p.anchor for p in page.passages] == ["example-grain §I ¶2", "example-grain n.1"]
    assert (page.start, page.end, page.total) == (1, 3, 4)
    assert page.citations[0].endswith("§I ¶2")
    assert lib.read("example-grain", start=99).start == 3
    with pytest.raises(InputError, match="example-grain"):
        lib.read("nope")


def test_one_giant_paragraph_is_searchable():
    giant = " ".join(f"word{i}" for i in range(20000))
    lib = Library([_p(giant)])
    r = lib.by_phrase("word19998 word19999")
    s, e = r.results[0].spans[0]
    assert giant[s:e] == "word19998 word19999"


def test_every_dev_evidence_quote_is_found_verbatim(dev_questions_path):
    lib = Library(load_passages())
    quotes = [
        ev["quote"]
        for line in dev_questions_path.read_text(encoding="utf-8").splitlines()
        if line.strip()
        for ev in json.loads(line)["evidence"]
    ]
    assert quotes
    missing = [q for q in quotes if not lib.by_phrase(q).results]
    assert missing == []
