"""Question understanding: input validation, author detection, comparisons, follow-ups."""

from __future__ import annotations

from types import SimpleNamespace as W

import pytest

from corpus.errors import InputError
from corpus.settings import get_settings
from rag.answer.question import clean_question, is_comparison, resolve_followup, understand

WORKS = [
    W(
        work_id="t",
        author="Leon Trotsky",
        title="The Soviet Thermidor",
        year=1936,
        aliases=("Trotsky",),
    ),
    W(work_id="k", author="Hillel H. Ticktin", title="Purges", year=None, aliases=("Ticktin",)),
    W(
        work_id="u",
        author="Robert C. Tucker",
        title="Revolution from Above",
        year=1977,
        aliases=("Tucker",),
    ),
]
NAMES = [(w.author, w.aliases) for w in WORKS]


@pytest.mark.parametrize("text", ["", "   ", "\n\t", "\x00\x00", None])
def test_empty_question_is_refused(text):
    with pytest.raises(InputError, match="empty"):
        clean_question(text)


def test_control_characters_are_stripped():
    assert clean_question("Who\x00 killed\x07 Kirov?\r\n") == "Who killed Kirov?"


def test_unicode_question_is_kept():
    assert clean_question("Что писал Троцкий — «термидор»?") == "Что писал Троцкий — «термидор»?"


def test_too_long_question_states_the_cap(settings):
    s = get_settings(settings, max_question_chars=50)
    with pytest.raises(InputError, match="limit is 50"):
        clean_question("why " * 100, s)


def test_understand_detects_authors_and_comparison():
    q = understand("How do Trotsky and Ticktin differ on the purges?", works=WORKS)
    assert q.authors == ("Leon Trotsky", "Hillel H. Ticktin")
    assert q.is_comparison and not q.is_followup


@pytest.mark.parametrize(
    ("text", "authors", "expected"),
    [
        ("Compare the essays on the famine", (), True),
        ("How does Gouldner contrast Maoist and Stalinist terror?", ("Alvin W. Gouldner",), False),
        ("What did Trotsky say?", ("Leon Trotsky",), False),
        ("Trotsky and Tucker on Stalin", ("Leon Trotsky", "Robert C. Tucker"), True),
    ],
)
def test_is_comparison(text, authors, expected):
    assert is_comparison(text, authors) is expected


@pytest.mark.parametrize(
    ("question", "previous", "expected"),
    [
        (
            "What about Tucker?",
            "Why did Trotsky think Stalin won?",
            "Why did Tucker think Stalin won?",
        ),
        (
            "Why did he say that?",
            "What did Trotsky write about Kirov?",
            "Why did Trotsky say that?",
        ),
        ("What did his critics say?", "What did Ticktin write?", "What did Ticktin's critics say?"),
        (
            "Is that argument convincing?",
            "Why did Ticktin think the purges happened?",
            "Is Ticktin's argument (on: the purges happened) convincing?",
        ),
        (
            "What about the famine?",
            "What did Tucker write about Kirov?",
            "What does Tucker say about the famine?",
        ),
        (
            "Did they agree?",
            "How do Trotsky and Tucker see Stalin?",
            "Did Trotsky and Tucker agree?",
        ),
    ],
)
def test_followups_are_rewritten(question, previous, expected):
    standalone, changed = resolve_followup(question, [previous], NAMES)
    assert changed
    assert standalone == expected


def test_no_history_no_rewrite():
    assert resolve_followup("Why did he do it?", [], NAMES) == ("Why did he do it?", False)


def test_question_naming_an_author_keeps_its_pronouns():
    out, changed = resolve_followup("Did Tucker agree with him?", ["What did Trotsky say?"], NAMES)
    assert not changed and out == "Did Tucker agree with him?"


def test_understand_resolves_followup_into_authors():
    q = understand("What about Tucker?", ["Why did Trotsky think Stalin won?"], works=WORKS)
    assert q.is_followup
    assert q.authors == ("Robert C. Tucker",)
