"""The writer's training targets: quoted spans, attribution by voice, the rejecting frame that
the verifier reads as attribution (real corpus passages), and the shipped training data."""

from __future__ import annotations

import json
import re

import pytest

from rag.answer.verify import rejected_view
from rag.answer.write import WRITER_ABSTAIN
from tests.rag.answer.test_verify_voices import excerpt_of, verify
from train.writer import DATA, attributed, quote_span


def test_a_rejecting_frame_verifies_against_the_rejected_view_itself(corpus_chunks):
    ex = excerpt_of(corpus_chunks, "There is a fifth theory")
    assert ex.sentences[0].voice == "rejecting"
    target = attributed(
        ex.author, "rejecting", None, "the rise of Fascism and the problem of Soviet weakness", 1
    )
    assert target.startswith("Ticktin rejects the view that")
    v = verify(target, ex)
    assert v.supported, v.flags
    # Given as his own view it is still dropped.
    own = verify(
        'Ticktin writes: "the rise of Fascism and the problem of Soviet weakness" [1].', ex
    )
    assert not own.supported and "wrong-voice" in own.flags


def test_the_frame_is_not_stripped_against_the_authors_own_sentence(corpus_chunks):
    ex = excerpt_of(corpus_chunks, "This was an apologetic theory of the time")
    assert ex.sentences[0].voice == "own"
    v = verify('Ticktin rejects the view that "This was an apologetic theory of the time" [1].', ex)
    assert not v.supported  # "rejects" still reads as a negation of what he says himself


def test_rejected_view_only_for_rejecting_frames():
    assert rejected_view("Ticktin dismisses the claim that war caused it.") == "war caused it."
    assert rejected_view("Ticktin writes: war caused it.") is None
    assert rejected_view("War caused it.") is None


def test_quote_spans_are_short_verbatim_and_hold_the_short_answer():
    s = (
        "Of the 139 members and candidates of the Central Committee elected at the Seventeenth "
        "Party Congress, 98 persons, i.e., 70 per cent, were arrested and shot."
    )
    span = quote_span(s, "98 persons", "", 12)
    assert "98 persons" in span and span in s and len(span.split()) <= 12
    long = quote_span(s, None, "arrested and shot central committee", 25)
    assert long in s and len(long.split()) <= 25
    # No quotation marks or brackets inside a quoted span.
    inner = 'He said in 1941: "We are all servants of the state." [12]'
    assert quote_span(inner, None, "servants state", 25) == "We are all servants of the state"


@pytest.mark.parametrize(
    ("voice", "speaker", "lead"),
    [
        ("own", None, 'Ticktin writes: "'),
        ("quoting", "Trotsky", 'Ticktin quotes Trotsky: "'),
        ("epigraph", "Marcus G. Raskin", 'Ticktin quotes Marcus G. Raskin: "'),
        ("reporting", "Carr and Davies", 'Ticktin notes that, according to Carr and Davies, "'),
        ("rejecting", None, 'Ticktin rejects the view that "'),
    ],
)
def test_attribution_follows_the_voice(voice, speaker, lead):
    assert attributed("Hillel H. Ticktin", voice, speaker, "a b c", 2) == f'{lead}a b c" [2].'


def test_the_shipped_training_data_is_clean():
    if not DATA.exists():
        pytest.skip("no writer training data (run `attest train writer`)")
    rows = [json.loads(line) for line in DATA.read_text().splitlines() if line.strip()]
    assert rows and not any(r["id"].startswith("dev-") for r in rows)
    positives = [r for r in rows if not r["negative"]]
    negatives = [r for r in rows if r["negative"]]
    assert positives and negatives
    assert all(r["target"] == WRITER_ABSTAIN for r in negatives)
    for r in positives:
        lines = r["prompt"].splitlines()
        for quote in re.findall(r'"([^"]+)"', r["target"]):
            # Every quoted span is copied from a sentence shown in the prompt ...
            assert any(quote in line for line in lines), (r["id"], quote)
        for n in re.findall(r"\[(\d+)\]", r["target"]):
            # ... and every marker names a sentence the prompt numbers.
            assert any(line.startswith(f"[{n}] ") for line in lines), (r["id"], n)
