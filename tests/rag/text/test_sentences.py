from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rag.text.sentences import sentences, split_sentences


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", []),
        ("   \n ", []),
        ("One sentence without end", ["One sentence without end"]),
        ("Mr. Smith came. He left.", ["Mr. Smith came.", "He left."]),
        ("See op. cit. p. 4 for that. Next.", ["See op. cit. p. 4 for that.", "Next."]),
        (
            "That is, i.e. the peasants, e.g. the kulaks. Then.",
            ["That is, i.e. the peasants, e.g. the kulaks.", "Then."],
        ),
        ("In vol. 2 he wrote. Then.", ["In vol. 2 he wrote.", "Then."]),
        (
            "T. H. Rigby and Robert C. Tucker agree. Yes.",
            ["T. H. Rigby and Robert C. Tucker agree.", "Yes."],
        ),
        ("Growth was 1.5 per cent. Next.", ["Growth was 1.5 per cent.", "Next."]),
        ("It ended... Then it began.", ["It ended...", "Then it began."]),
        ('He said "no." Then left.', ['He said "no."', "Then left."]),
        ("(As noted.) Then.", ["(As noted.)", "Then."]),
        ("The purges ended.12 Then came war.", ["The purges ended.12", "Then came war."]),
        ("Was it planned? No!", ["Was it planned?", "No!"]),
        ("Пётр сказал. Потом ушёл.", ["Пётр сказал.", "Потом ушёл."]),
        ("In 1937. The year of terror.", ["In 1937.", "The year of terror."]),
    ],
)
def test_sentences_cases(text: str, expected: list[str]) -> None:
    assert sentences(text) == expected


def test_one_giant_paragraph_is_split_into_many() -> None:
    text = " ".join(f"Sentence number {i} is here." for i in range(2000))
    spans = split_sentences(text)
    assert len(spans) == 2000
    assert text[spans[-1][0] : spans[-1][1]] == "Sentence number 1999 is here."


@given(st.text(alphabet=st.sampled_from(list("ab .?!\"')\n1A.T")), max_size=200))
def test_spans_cover_text_without_loss(text: str) -> None:
    spans = split_sentences(text)
    pos = 0
    for a, b in spans:
        assert pos <= a < b <= len(text)
        assert text[pos:a].strip() == ""
        assert not text[a].isspace() and not text[b - 1].isspace()
        pos = b
    assert text[pos:].strip() == ""
