"""Author and work filters checked against the catalog (rag.answer.filters.validate_filters)."""

from __future__ import annotations

import pytest

from corpus.catalog import load_catalog
from corpus.errors import InputError
from rag.answer.filters import MAX_NAME_CHARS, validate_filters


@pytest.fixture(scope="module")
def works():
    return load_catalog(verify=False).works  # the bundled corpus: 6 works, 5 authors


KNOWN_AUTHORS = "Hillel H. Ticktin, Alvin W. Gouldner, Leon Trotsky, T. H. Rigby, Robert C. Tucker"


def test_no_filter_stays_no_filter(works):
    assert validate_filters(None, None, works) == (None, None)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (["Leon Trotsky"], ["Leon Trotsky"]),
        (["trotsky"], ["Leon Trotsky"]),  # surname, any case
        (["L. Trotsky", "Trotskii"], ["Leon Trotsky"]),  # catalog aliases, de-duplicated
        (["  Robert   C.  Tucker "], ["Robert C. Tucker"]),  # spacing forgiven
        (["Tucker", "Ticktin", "Tucker"], ["Robert C. Tucker", "Hillel H. Ticktin"]),  # in order
        ("Rigby", ["T. H. Rigby"]),  # one name given as text
    ],
)
def test_authors_resolve_to_catalog_names(works, given, expected):
    assert validate_filters(given, None, works) == (expected, None)


def test_works_resolve_by_id_or_title(works):
    assert validate_filters(None, ["TICKTIN-PURGES"], works) == (None, ["ticktin-purges"])
    title = "Toward a Balance Sheet of the Purges"
    assert validate_filters(None, [title.lower()], works) == (None, ["trotsky-balance-sheet"])


@pytest.mark.parametrize(
    ("authors", "works_given", "message"),
    [
        (["Nobody"], None, f"Unknown author 'Nobody'. Known: {KNOWN_AUTHORS}."),
        ([""], None, f"An empty author name was given. Known: {KNOWN_AUTHORS}."),
        (["   "], None, "An empty author name was given."),
        (None, ["nope"], "Unknown work 'nope'. Known: ticktin-purges, gouldner-internal-"),
        (None, [""], "An empty work name was given. Known: ticktin-purges"),
        ([], None, "No author is selected: choose at least one author to search."),
        (None, [], "No work is selected: choose at least one work to search."),
        ([1], None, "Each author must be given as text."),
        ({"a": 1}, None, "The author filter must be a list of names."),
        (["Trotsky"] * 6, None, "6 authors were given but the catalog has 5: name each author"),
        (None, ["ticktin-purges"] * 7, "7 works were given but the catalog has 6"),
        (["x" * (MAX_NAME_CHARS + 1)], None, "An author name of 201 characters was given"),
    ],
)
def test_bad_filters_are_refused_with_a_specific_message(works, authors, works_given, message):
    with pytest.raises(InputError) as err:
        validate_filters(authors, works_given, works)
    assert str(err.value).startswith(message)


def test_a_refused_name_is_repeated_short_and_printable(works):
    with pytest.raises(InputError) as err:
        validate_filters(["\x1b[31m" + "z" * 100], None, works)
    text = str(err.value)
    assert "\x1b" not in text and "'?[31m" + "z" * 55 + "…'" in text  # 60 characters shown


def test_a_long_list_is_refused_before_it_is_read(works):
    class Poisoned(list):
        def __iter__(self):
            raise AssertionError("the list was read")

        def __getitem__(self, i):
            raise AssertionError("the list was read")

    with pytest.raises(InputError, match="200,000 authors were given"):
        validate_filters(Poisoned(["Trotsky"] * 200_000), None, works)


def test_author_and_work_with_no_passage_together_are_refused(works):
    with pytest.raises(InputError) as err:
        validate_filters(["Ticktin"], ["trotsky-balance-sheet"], works)
    assert str(err.value) == (
        "No passage matches this filter: author Hillel H. Ticktin with work trotsky-balance-sheet "
        "(by Leon Trotsky). Choose a work by one of the chosen authors, or another author."
    )


def test_combination_keeps_only_what_can_match(works):
    # Ticktin has no work among these; the Balance Sheet's author is chosen: only Trotsky's
    # passages in that work can match, so that is the filter passed on.
    assert validate_filters(
        ["Ticktin", "Trotsky"], ["trotsky-balance-sheet", "gouldner-internal-colonialism"], works
    ) == (["Leon Trotsky"], ["trotsky-balance-sheet"])


def test_works_as_dicts_and_a_shared_surname(works):
    cat = [
        {"work_id": "a1", "author": "Ann Smith", "title": "One"},
        {"work_id": "b1", "author": "Bob Smith", "title": "Two"},
    ]
    assert validate_filters(["bob smith"], ["ONE", "b1"], cat) == (["Bob Smith"], ["b1"])
    with pytest.raises(InputError, match="Unknown author 'Smith'"):
        validate_filters(["Smith"], None, cat)  # two authors share it: it names neither
