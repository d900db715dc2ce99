"""The user corpus (corpus.user): checks of an addition or removal, and the merged catalog."""

from __future__ import annotations

import pytest

from corpus.catalog import check_catalog, load_catalog
from corpus.errors import InputError
from corpus.ingest import read_source
from corpus.settings import get_settings
from corpus.testing import ADDED_AUTHOR, ADDED_TITLE, added_essay_text, write_tiny_corpus
from corpus.user import catalog_toml, plan_add, plan_remove, read_text_source, suggest_work_id


@pytest.fixture
def s(tmp_path):
    return get_settings(
        None, corpus_dir=write_tiny_corpus(tmp_path / "corpus"), data_dir=tmp_path / "data"
    )


@pytest.fixture
def essay(tmp_path):
    path = tmp_path / "essay.txt"
    path.write_text(added_essay_text("txt"), encoding="utf-8")
    return read_source(path, max_bytes=10**6)


def test_plan_add_makes_a_work_like_the_bundled_ones(s, essay):
    plan = plan_add(s, essay, author=ADDED_AUTHOR, title=ADDED_TITLE, year="1962")
    w = plan.work
    assert (w.work_id, w.author, w.year, w.added) == (
        "lindqvist-grain-levy-belyi-district",
        ADDED_AUTHOR,
        1962,
        True,
    )
    assert w.headings == "roman" and w.body_start == "I"  # title and byline are not body
    assert plan.new_author is not None and plan.new_author.aliases == ("Lindqvist", ADDED_AUTHOR)
    anchors = [p.anchor for p in plan.passages]
    assert anchors == [
        "lindqvist-grain-levy-belyi-district §I ¶1",
        "lindqvist-grain-levy-belyi-district §I ¶2",
        "lindqvist-grain-levy-belyi-district §II ¶1",
    ]
    # The quotation keeps its speaker, as in every other work.
    quote = plan.passages[1].quotes[0]
    assert quote.speaker == "Molotov"
    assert [w.work_id for w in plan.catalog.works][-1] == w.work_id
    assert not (s.resolved_user_corpus_dir / "catalog.toml").exists()  # nothing written


def test_a_known_author_or_alias_attaches_the_work(s):
    text = read_text_source("The grain was taken by force in the spring. Nobody resisted.")
    for name in ("Sample", "ben sample", "Ben  Sample", "B.Sample"):
        plan = plan_add(s, text, author=name, title="Later Notes")
        if name == "B.Sample":
            assert plan.new_author is not None  # not an alias: a new author
            continue
        assert plan.work.author == "Ben Sample" and plan.new_author is None


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"author": "", "title": "T"}, "author is missing"),
        ({"author": "  ", "title": "T"}, "author is missing"),
        ({"author": "A. Person", "title": None}, "title is missing"),
        ({"author": "A. Person", "title": "T", "year": "soon"}, "not a year"),
        ({"author": "A. Person", "title": "T", "year": 99}, "out of range"),
        ({"author": "A. Person", "title": "T", "work_id": "Bad Id!"}, "not valid"),
        (
            {"author": "A. Person", "title": "T", "work_id": "example-grain"},
            "already in the corpus",
        ),
        ({"author": "A. Person", "title": "T", "split_marker": "NO SUCH LINE"}, "split marker"),
        ({"author": "x" * 400, "title": "T"}, "at most"),
    ],
)
def test_bad_fields_are_refused(s, essay, kw, message):
    with pytest.raises(InputError, match=message):
        plan_add(s, essay, **kw)


def test_duplicates_are_refused_by_sha256(s, tmp_path):
    bundled = s.corpus_dir / "texts" / "b_bureaucracy.txt"
    with pytest.raises(InputError, match="already in the corpus as 'sample-bureaucracy'"):
        plan_add(s, read_source(bundled, max_bytes=10**6), author="Ben Sample", title="Again")


def test_split_marker_starts_the_work(s, essay):
    plan = plan_add(s, essay, author="V. L.", title="Part", split_marker="II")
    assert [p.anchor.split(" ", 1)[1] for p in plan.passages] == ["§II ¶1"]


def test_suggested_ids_are_unique_slugs():
    assert suggest_work_id("Émile Zola", "J'accuse…!") == "zola-j-accuse"
    assert suggest_work_id("A", "The Of") == "a"
    assert suggest_work_id("A B", "T", {"b-t", "b-t-2"}) == "b-t-3"


def test_catalog_text_round_trips_awkward_strings():
    tricky = 'Quote " backslash \\ tab \t del \x7f newline \n ünïcödé'
    text = catalog_toml({"author": [], "work": [{"id": "w", "title": tricky, "year": 1}]})
    import tomllib

    assert tomllib.loads(text)["work"][0]["title"] == tricky


def test_merged_catalog_lists_added_works_after_the_corpus(s, essay):
    plan = plan_add(s, essay, author=ADDED_AUTHOR, title=ADDED_TITLE)
    folder = s.resolved_user_corpus_dir
    (folder / "texts").mkdir(parents=True)
    (folder / plan.work.file).write_text(plan.text, encoding="utf-8")
    (folder / "catalog.toml").write_text(plan.catalog_text, encoding="utf-8")
    cat = load_catalog(s)
    assert [w.added for w in cat.works] == [False, False, False, True]
    assert cat.author(ADDED_AUTHOR) is not None and cat.added[0].work_id == plan.work.work_id
    assert check_catalog(s) == []
    # Read by folder, the corpus is its own catalog alone.
    assert len(load_catalog(corpus_dir=s.corpus_dir).works) == 3
    # A changed added text is caught like a changed bundled one.
    (folder / plan.work.file).write_text(plan.text + "tampered", encoding="utf-8")
    problems = check_catalog(s)
    assert len(problems) == 1 and "sha256" in problems[0] and plan.work.work_id in problems[0]


def test_only_added_works_can_be_removed(s):
    with pytest.raises(InputError, match="never changes"):
        plan_remove(s, "example-grain")
    with pytest.raises(InputError, match="no work 'nope'"):
        plan_remove(s, "nope")
    with pytest.raises(InputError, match="say which work"):
        plan_remove(s, " ")
