from __future__ import annotations

from types import SimpleNamespace as W

import pytest

from rag.text.names import author_variants, detect_authors, title_variants

WORKS = [
    W(work_id="trotsky-thermidor", author="Leon Trotsky", year=1936,
      title="The Soviet Thermidor (ch. 5 of The Revolution Betrayed)", aliases=("Trotsky",)),
    W(work_id="trotsky-balance", author="Leon Trotsky", year=1939,
      title="Toward a Balance Sheet of the Purges", aliases=("Trotsky",)),
    W(work_id="ticktin", author="Hillel H. Ticktin", year=None,
      title="The Political-Economic Nature of the Purges", aliases=()),
    W(work_id="gouldner", author="Alvin W. Gouldner", year=1978,
      title="Stalinism: A Study of Internal Colonialism", aliases=()),
    W(work_id="rigby", author="T. H. Rigby", year=1977, title="Mono-Organizational Society",
      source="Stalinism: Essays, ed. Robert C. Tucker"),
    W(work_id="tucker", author="Robert C. Tucker", year=1977,
      title="Stalinism as Revolution from Above", source="Stalinism: Essays, Tucker, Robert C., ed."),
]  # fmt: skip


@pytest.mark.parametrize(
    ("question", "authors", "works"),
    [
        ("What does Trotsky argue about the bureaucracy?", ("Leon Trotsky",), ()),
        ("Trotsky’s view of Thermidor?", ("Leon Trotsky",), ()),
        ("According to Leon Trotsky, why did Stalin win?", ("Leon Trotsky",), ()),
        ("In The Soviet Thermidor, who won?", ("Leon Trotsky",), ("trotsky-thermidor",)),
        ("What does the Balance Sheet of the Purges say?", ("Leon Trotsky",), ("trotsky-balance",)),
        ("What did Trotsky say in the 1939 article?", ("Leon Trotsky",), ("trotsky-balance",)),
        ("What is in The Revolution Betrayed?", ("Leon Trotsky",), ("trotsky-thermidor",)),
        ("How do Trotsky and Tucker differ?", ("Leon Trotsky", "Robert C. Tucker"), ()),
        ("Compare Gouldner with Ticktin.", ("Alvin W. Gouldner", "Hillel H. Ticktin"), ()),
        ("What did R. C. Tucker write?", ("Robert C. Tucker",), ()),
        ("What does H. Ticktin's essay say?", ("Hillel H. Ticktin",), ()),
        ("Who argued that the purges were planned?", (), ()),
        ("What about Tuckerman?", (), ()),
        ("What does the internal colonialism essay say?", ("Alvin W. Gouldner",), ("gouldner",)),
    ],
)
def test_detect_phrasings(question, authors, works) -> None:
    d = detect_authors(question, WORKS)
    assert d.authors == authors
    assert d.works == works


@pytest.mark.parametrize(
    "question",
    [
        "One essay in the Tucker-edited volume says so. Whose essay is it?",
        "An essay edited by Robert C. Tucker says so. Whose?",
        "In the volume Tucker edited, who says so?",
        "In Tucker's edited volume, who says so?",
    ],
)
def test_editor_is_not_an_author_restriction(question) -> None:
    d = detect_authors(question, WORKS)
    assert "Robert C. Tucker" not in d.authors
    if "Tucker" in question and "edited" in question:
        assert "Robert C. Tucker" in d.editors
        # The editor's volume: every essay in it, whoever wrote it.
        assert set(d.works) == {"rigby", "tucker"}


def test_year_needs_a_work_noun_and_a_unique_match() -> None:
    assert detect_authors("What happened in 1939?", WORKS).works == ()
    assert detect_authors("the 1977 essay", WORKS).works == ()  # two works of 1977
    assert detect_authors("Tucker's 1977 essay", WORKS).works == ("tucker",)


def test_variants() -> None:
    assert "Tucker" in author_variants("Robert C. Tucker")
    assert "R. C. Tucker" in author_variants("Robert C. Tucker")
    assert title_variants("The Purges") == ["The Purges"]  # the whole title still counts
    assert "Purges" not in title_variants("The Purges")  # a topic word alone does not
    assert "" not in title_variants("")
