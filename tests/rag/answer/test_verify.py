"""Verification: citation parsing and repair, invented sentences, negation, authors, quotes."""

from __future__ import annotations

import pytest

from corpus.passage import QuoteSpan
from rag.answer.draft import parse_markers, split_draft
from rag.answer.select import EvidenceSentence, Excerpt
from rag.answer.verify import (
    negation_mismatch,
    number_mismatch,
    quote_is_verbatim,
    trim_tail,
    verify_sentences,
)
from rag.retrieval.chunking import Chunk
from rag.retrieval.search import Hit

AUTHORS = (
    ("Leon Trotsky", ("Trotsky",)),
    ("Hillel H. Ticktin", ("Ticktin",)),
    ("Alvin W. Gouldner", ("Gouldner",)),
)


def excerpt(n: int, text: str, author: str = "Leon Trotsky", quotes=()) -> Excerpt:
    chunk = Chunk(
        id=f"c{n}",
        work_id=f"w{n}",
        author=author,
        title="A Work",
        year=1936,
        section="I",
        kind="body",
        anchor=f"w{n} ¶{n}",
        text=text,
        header="",
        file="f.txt",
        raw_start=0,
        raw_end=len(text),
        quotes=tuple(quotes),
    )
    speaker = next((q.speaker for q in quotes if q.start <= 0 and q.end >= len(text)), None)
    return Excerpt(n, Hit(chunk, 1.0), (EvidenceSentence(text, 0, len(text), 1.0, speaker),))


EX = [
    excerpt(
        1, "The demobilization of the Red Army played no small role in forming the bureaucracy."
    ),
    excerpt(
        2,
        "The KGB figure of around 780,000 killed is self-serving and can be dismissed.",
        "Hillel H. Ticktin",
    ),
]


def verify(sentences, excerpts=EX, settings=None):
    return verify_sentences(sentences, excerpts, settings, authors=AUTHORS)


@pytest.mark.parametrize(
    ("text", "n", "expected"),
    [
        ("Stalin won [1].", 3, ("Stalin won.", (1,))),
        ("Stalin won [1, 2].", 3, ("Stalin won.", (1, 2))),
        ("Stalin won [1][2].", 3, ("Stalin won.", (1, 2))),
        ("Stalin won [2] [9].", 3, ("Stalin won.", (2,))),
        ("Stalin won [0].", 3, ("Stalin won.", ())),
        ("Stalin won [1-3].", 3, ("Stalin won.", (1, 2, 3))),
        ("", 3, ("", ())),
        ("Сталин победил [1].", 1, ("Сталин победил.", (1,))),
    ],
)
def test_parse_markers(text, n, expected):
    assert parse_markers(text, n) == expected


def test_split_draft_keeps_markers_after_full_stop_with_their_sentence():
    draft = "1. Trotsky blamed the army. [1] He wrote more [2].\n\n- A third one."
    assert split_draft(draft) == [
        "Trotsky blamed the army [1].",
        "He wrote more [2].",
        "A third one.",
    ]


def test_split_draft_one_giant_paragraph():
    draft = " ".join(f"Sentence number {i} is here [1]." for i in range(300))
    assert len(split_draft(draft)) == 300


def test_copied_sentence_is_supported_and_invented_one_dropped():
    v = verify(
        [
            "Trotsky says the demobilization of the Red Army played no small role in forming the bureaucracy [1].",
            "The moon is made of green cheese, as every essay agrees [1].",
        ]
    )
    assert v[0].supported and v[0].citations == (1,)
    assert not v[1].supported and "unsupported" in v[1].flags


def test_sentence_bringing_in_a_name_the_excerpt_never_uses_is_dropped():
    # Every other word is the excerpt's; "Bukharin" is not: the sentence says more than it.
    v = verify(
        [
            "The demobilization of the Red Army under Bukharin played no small role in forming the bureaucracy [1]."
        ]
    )
    assert not v[0].supported
    assert "unnamed-entity" in v[0].flags


def test_wrong_citation_is_repaired():
    v = verify(["The KGB figure of around 780,000 killed is self-serving [1]."])
    assert v[0].supported
    assert v[0].citations == (2,)
    assert "repaired" in v[0].flags


def test_out_of_range_citation_is_removed_then_repaired():
    v = verify(["The KGB figure of around 780,000 killed is self-serving [7]."])
    assert v[0].cited == ()
    assert v[0].citations == (2,)


def test_negation_case_denied_vs_affirmed():
    ex = [excerpt(1, "Trotsky affirmed that the purge was planned in advance by Stalin.")]
    assert verify(["Trotsky affirmed that the purge was planned in advance by Stalin [1]."], ex)[
        0
    ].supported
    assert not verify(["Trotsky denied that the purge was planned in advance by Stalin [1]."], ex)[
        0
    ].supported


@pytest.mark.parametrize(
    ("claim", "evidence", "mismatch"),
    [
        ("The purge was not planned.", "The purge was planned.", True),
        ("The purge was planned.", "The purge was never planned.", True),
        ("Ticktin dismisses the KGB figure.", "The KGB figure can be dismissed.", False),
        ("", "", False),
    ],
)
def test_negation_mismatch(claim, evidence, mismatch):
    assert negation_mismatch(claim, evidence) is mismatch


def test_number_mismatch_makes_sentence_unsupported():
    assert number_mismatch("About 900,000 were killed.", "around 780,000 killed")
    v = verify(["Ticktin cites the KGB figure of around 900,000 killed [2]."])
    assert not v[0].supported


def test_sentence_naming_the_wrong_author_is_unsupported():
    v = verify(["Gouldner says the KGB figure of around 780,000 killed is self-serving [2]."])
    assert not v[0].supported
    assert v[0].citations == ()


def test_sentence_naming_the_right_author_is_supported():
    v = verify(["Ticktin says the KGB figure of around 780,000 killed is self-serving [2]."])
    assert v[0].supported and v[0].author == "Hillel H. Ticktin"


def test_quoted_text_must_be_verbatim():
    ok = verify(['Ticktin calls the KGB figure "self-serving and can be dismissed" [2].'])
    bad = verify(['Ticktin calls the KGB figure "a self-serving lie" [2].'])
    assert ok[0].supported
    assert "unverbatim-quote" in bad[0].flags and not bad[0].supported


def test_quote_is_verbatim_ignores_case_and_punctuation():
    assert quote_is_verbatim("The KGB Figure, of around", ["the KGB figure of around 780,000"])
    assert not quote_is_verbatim("KGB figure of about", ["the KGB figure of around 780,000"])


def test_quoted_speakers_words_are_not_the_essay_authors_view():
    text = "The whole country was plundered to beat the Whites."
    ex = [excerpt(1, text, "Alvin W. Gouldner", quotes=[QuoteSpan(0, len(text), "Bukharin")])]
    as_author = verify(
        ["Gouldner argues that the whole country was plundered to beat the Whites [1]."], ex
    )
    as_speaker = verify(
        ["Gouldner quotes Bukharin: the whole country was plundered to beat the Whites [1]."], ex
    )
    assert "speaker-as-author" in as_author[0].flags and not as_author[0].supported
    assert as_speaker[0].supported


def test_trailing_commentary_is_trimmed_not_kept():
    v = verify(
        [
            "Ticktin mentions the KGB figure of around 780,000 killed, which is the most reliable "
            "estimate ever produced [2]."
        ]
    )
    assert v[0].supported and "trimmed" in v[0].flags
    assert "reliable" not in v[0].text
    assert trim_tail("Nothing to trim.") is None


@pytest.mark.parametrize(
    "text",
    [
        "[1]",
        "Answer:",
        "",
        "The essays do not address this.",
        "The KGB figure is dismissed for two reasons:",
    ],
)
def test_non_claims_are_not_supported(text):
    assert not verify([text])[0].supported


def test_verification_is_strict_about_added_content(settings):
    # Every word but the last two is in the excerpt: the added claim must sink it.
    v = verify(
        ["The demobilization of the Red Army created an enormous secret police [1]."],
        settings=settings,
    )
    assert not v[0].supported
