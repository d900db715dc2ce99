"""The normalising matcher (locate_quote, coverage) and quotation/speaker detection."""

from __future__ import annotations

import pytest

from corpus.catalog import Work
from corpus.clean import clean_work
from corpus.locate import coverage, locate_quote, normalize_for_match, words_in_order
from corpus.quotes import epigraph_attribution, find_quotes


def test_normalize_for_match() -> None:
    raw = "the *man*<sup>3</sup>  said “No”—^{4.} **so** ¹²\u200b"
    assert normalize_for_match(raw) == 'the man said "no"- so'
    assert normalize_for_match("") == ""


@pytest.mark.parametrize(
    ("quote", "text", "expected"),
    [
        ("", "anything", 0.0),
        ("anything", "", 0.0),
        ("Stalin killed Kirov", "We know that Stalin killed Kirov and", 1.0),
        ("Stalin^{1.} killed  *Kirov*", "We know that Stalin killed Kirov and", 1.0),
        ("entirely different words here", "We know that Stalin killed Kirov", 0.0),
        ("Ünïcödé “quote” ok", 'an ünïcödé "quote" ok.', 1.0),
    ],
)
def test_coverage_cases(quote: str, text: str, expected: float) -> None:
    assert coverage(quote, text) == pytest.approx(expected)


def test_coverage_partial_and_giant() -> None:
    text = "alpha beta gamma delta " * 5000
    assert coverage("alpha beta gamma delta", text) == 1.0
    half = coverage("alpha beta gamma omega psi chi", "alpha beta gamma delta")
    assert 0.4 < half < 0.7


def _work(wid: str, author: str) -> Work:
    return Work(wid, author, "T", None, f"{wid}.txt", "", footnotes="numbered")


def test_locate_quote_single_and_spanning() -> None:
    a = clean_work(_work("a", "Ann"), "First paragraph ends here.\n\nSecond one starts here.\n")
    b = clean_work(_work("b", "Bob"), "Something else entirely.\n")
    passages = a + b
    one = locate_quote("paragraph ends", passages)
    assert [(x.work_id, x.anchors) for x in one] == [("a", ("a ¶1",))]
    span = locate_quote("ends here. Second one", passages)
    assert [(x.work_id, x.anchors) for x in span] == [("a", ("a ¶1", "a ¶2"))]
    assert locate_quote("not in any text at all", passages) == []
    assert locate_quote("entirely", passages, file="a.txt") == []
    assert locate_quote("entirely", passages, file="texts/b.txt")[0].author == "Bob"


def test_words_in_order() -> None:
    assert words_in_order("a b c", "a x b y c")
    assert not words_in_order("c b", "b c")
    assert words_in_order("", "anything")


@pytest.mark.parametrize(
    ("text", "quoted", "speaker"),
    [
        ('Nock observed: "The State is the enemy."', '"The State is the enemy."', "Nock"),
        ('As Lenin wrote, "All power to the Soviets."', '"All power to the Soviets."', "Lenin"),
        ('Stalin said that "life has become better."', '"life has become better."', "Stalin"),
        ('"This directive," says Krushchev, "was the basis."', '"This directive,"', "Krushchev"),
        ("According to Sakharov, “millions perished.”", "“millions perished.”", "Sakharov"),
        (
            "Trotsky expressed the truth when he later said: 'We plundered all Russia.' Then.",
            "'We plundered all Russia.'",
            "Trotsky",
        ),
        ('The term "revolution from above" was used.', '"revolution from above"', None),
        ('Meantime the bureaucracy asserted: "We build."', '"We build."', None),
        (
            'Citing Boris Pilniak\'s statement that "dark waters swept," Vakar has argued it.',
            '"dark waters swept,"',
            None,
        ),
    ],
)
def test_speaker_detection(text: str, quoted: str, speaker: str | None) -> None:
    spans = find_quotes(text)
    match = [q for q in spans if text[q.start : q.end] == quoted]
    assert match, spans
    assert match[0].speaker == speaker


def test_full_name_used_when_written_nearby() -> None:
    text = 'Albert Jay Nock wrote a book. Nock observed: "The State is the enemy."'
    assert find_quotes(text)[0].speaker == "Albert Jay Nock"


def test_speaker_from_footnote() -> None:
    notes = {1: "Alfred G. Meyer, Leninism (Cambridge, Mass., 1957), pp. 282-83."}
    text = 'we may cite the following: "Stalinism is Leninism."'
    (q,) = find_quotes(text, markers=[(len(text), 1)], notes=notes)
    assert q.speaker == "Alfred G. Meyer"
    editor = {1: "Irving Howe, ed., The Basic Writings of Trotsky (New York, 1976), p. 140."}
    (q,) = find_quotes(text, markers=[(len(text), 1)], notes=editor)
    assert q.speaker is None
    (q,) = find_quotes(text, markers=[(len(text), 1)], notes={1: "Ibid., p. 3."})
    assert q.speaker is None


def test_epigraph_attribution() -> None:
    assert epigraph_attribution('"Quote here." Moishe Lewin') == "Moishe Lewin"
    assert epigraph_attribution("No quote here.") is None
    assert epigraph_attribution("") is None


LONG = "x " * 25_000


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", []),
        ("no quotes at all", []),
        ('an "unclosed quote', []),
        ("“" * 3, []),
        ('a "" b', []),
        ("x " * 50000, []),
        ('He said "the State is theft" once.', ['"the State is theft"']),
        ("“Stalinism is Leninism.”", ["“Stalinism is Leninism.”"]),
        (LONG + '"found at the end"' + LONG, ['"found at the end"']),
    ],
)
def test_find_quotes_edge_cases(text: str, expected: list[str]) -> None:
    found = find_quotes(text)
    assert [text[q.start : q.end] for q in found] == expected
    assert all(0 <= q.start < q.end <= len(text) for q in found)
