from __future__ import annotations

from types import SimpleNamespace

import pytest

from rag.answer.abstain import UNKNOWN_PHRASE_FACTOR, evidence_strength
from rag.retrieval.chunking import Chunk
from rag.retrieval.search import Hit
from rag.retrieval.stats import corpus_stats
from rag.text.names import proper_phrases


def _chunk(text: str, i: int = 0) -> Chunk:
    return Chunk(f"c{i}", "w", "Robert C. Tucker", "T", 1977, "", "body", f"w ¶{i}", text,
                 "Robert C. Tucker — T (1977)", "f.txt", 0, len(text))  # fmt: skip


CORPUS = [
    _chunk(
        "Foreign policy in the 1930s sought collective security with Western nations and American diplomats.",
        0,
    ),
    _chunk("The Soviets' Indians lived on a continental reservation, the countryside.", 1),
    _chunk("Kirov was murdered in Leningrad in December 1934.", 2),
]
INDEX = SimpleNamespace(chunks=CORPUS, stats=corpus_stats(CORPUS))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", []),
        ("Kirov?", []),
        ("What did he say of the League of Nations?", ["League of Nations"]),
        ("Compare Trotsky and Tucker.", []),  # "Compare" opens the sentence; "and" joins nothing
        ("Was it the Red Army? Walter Duranty said so.", ["Red Army"]),
        ("Did the Nazi-Soviet pact matter?", []),  # punctuation ends a name
        ("Ask about Nadezhda Alliluyeva, please", ["Nadezhda Alliluyeva"]),
        ("Спросите про Иван Грозный", ["Иван Грозный"]),
    ],
)
def test_proper_phrases(text: str, expected: list[str]) -> None:
    assert proper_phrases(text) == expected


def test_unknown_name_absent_from_the_evidence_means_no_evidence() -> None:
    hits = [Hit(CORPUS[0], 1.0)]
    strength = evidence_strength(
        "What was the policy toward the League of Nations?", hits, index=INDEX
    )
    assert strength.unknown_phrases == ("League of Nations",)
    assert strength.score == 0.0
    assert strength.coverage > 0.0  # the words "policy"... are there; the name is not


def test_paraphrased_name_only_weakens_the_evidence() -> None:
    # "American Indians" never occurs (though both words do), and the evidence names "Indians":
    # maybe a paraphrase.
    hits = [Hit(CORPUS[1], 1.0)]
    strength = evidence_strength("Who compared peasants to American Indians on a reservation?",
                                 hits, index=INDEX)  # fmt: skip
    assert strength.unknown_phrases == ("American Indians",)
    assert strength.score == pytest.approx(strength.coverage * UNKNOWN_PHRASE_FACTOR, abs=1e-3)
    assert strength.score > 0.0


def test_known_names_keep_full_strength() -> None:
    hits = [Hit(CORPUS[2], 1.0)]
    strength = evidence_strength("When was Kirov murdered in Leningrad?", hits, index=INDEX)
    assert strength.unknown_phrases == ()
    assert strength.score == strength.coverage == 1.0


def test_no_hits_is_no_evidence() -> None:
    assert evidence_strength("Anything at all?", [], index=INDEX).score == 0.0
