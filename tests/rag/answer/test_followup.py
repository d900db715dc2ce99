"""Follow-ups become standalone questions that keep the topic and swap or keep the author."""

from __future__ import annotations

import pytest

from rag.answer.followup import resolve_followup

NAMES = [
    ("Hillel H. Ticktin", ["Ticktin"]),
    ("Alvin W. Gouldner", ["Gouldner"]),
    ("Leon Trotsky", ["Trotsky"]),
    ("T. H. Rigby", ["Rigby"]),
    ("Robert C. Tucker", ["Tucker"]),
]
CMP = "How do Trotsky and Tucker differ on whether Stalinism continued the revolution?"
ONE = "Why did Ticktin think the purges happened?"
FACT = "How many officers does Gouldner say were killed?"


# (follow-up, previous question, exact standalone question)
EXACT = [
    ("What about Tucker?", ONE, "Why did Tucker think the purges happened?"),
    ("And Gouldner?", ONE, "Why did Gouldner think the purges happened?"),
    ("And what did Gouldner think?", ONE, "Why did Gouldner think the purges happened?"),
    ("How about Trotsky's view?", ONE, "Why did Trotsky think the purges happened?"),
    ("Tucker?", ONE, "Why did Tucker think the purges happened?"),
    ("And Trotsky?", FACT, "How many officers does Trotsky say were killed?"),
    (
        "And what did Gouldner think?",
        CMP,
        "What does Gouldner say about whether Stalinism continued the revolution?",
    ),
    (
        "And Ticktin?",
        CMP,
        "What does Ticktin say about whether Stalinism continued the revolution?",
    ),
    (
        "What about Rigby?",
        CMP,
        "What does Rigby say about whether Stalinism continued the revolution?",
    ),
    ("Tell me more", ONE, ONE),
    ("Give me more on that", ONE, ONE),
    ("More?", CMP, CMP),
    ("Go on.", FACT, FACT),
    ("What else?", ONE, ONE),
    ("Can you elaborate?", ONE, "Can you elaborate?"),  # not elliptical enough: kept as asked
    ("Why?", ONE, "Why, according to Ticktin, the purges happened?"),
    ("Why is that?", FACT, "Why, according to Gouldner, many officers were killed?"),
    ("Did he agree?", ONE, "Did Ticktin agree?"),
    ("Did they agree?", CMP, "Did Trotsky and Tucker agree?"),
    ("Why did he say that?", "What did Trotsky write about Kirov?", "Why did Trotsky say that?"),
    ("What did his critics say?", "What did Ticktin write?", "What did Ticktin's critics say?"),
    (
        "What about the famine?",
        "What did Tucker write about Kirov?",
        "What does Tucker say about the famine?",
    ),
]


@pytest.mark.parametrize(("question", "previous", "expected"), EXACT)
def test_followups_rewrite_exactly(question, previous, expected):
    standalone, _changed = resolve_followup(question, [previous], NAMES)
    assert standalone == expected


# (follow-up, previous, author surname that must be named, topic words that must be kept)
KEEPS = [
    ("And Gouldner?", CMP, "Gouldner", ["Stalinism", "revolution"]),
    ("What did Tucker think?", ONE, "Tucker", ["purges"]),
    ("What about Ticktin?", FACT, "Ticktin", ["officers", "killed"]),
    ("Why?", CMP, "Trotsky", ["Stalinism", "revolution"]),
    ("Is that argument convincing?", ONE, "Ticktin", ["purges"]),
    ("Does Rigby agree?", CMP, "Rigby", []),
    ("His view on that?", "What did Trotsky write about the Thermidor?", "Trotsky", []),
    ("And Rigby's take?", ONE, "Rigby", ["purges"]),
]


@pytest.mark.parametrize(("question", "previous", "who", "topic"), KEEPS)
def test_followups_keep_the_topic_and_name_the_author(question, previous, who, topic):
    standalone, _changed = resolve_followup(question, [previous], NAMES)
    assert who in standalone
    for word in topic:
        assert word in standalone


@pytest.mark.parametrize(
    "question",
    [
        "What did Tucker say about the famine of 1932?",
        "How many peasants did Gouldner say were deported?",
        "Did Tucker agree with him?",
    ],
)
def test_full_questions_are_left_alone(question):
    assert resolve_followup(question, [ONE], NAMES)[0] == question


def test_no_history_no_rewrite():
    assert resolve_followup("Why?", [], NAMES) == ("Why?", False)
