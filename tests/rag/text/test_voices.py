"""Voices on real corpus passages: epigraphs, rejected views, reported views, quotations."""

from __future__ import annotations

import pytest

from corpus.load import load_passages
from rag.text.sentences import split_sentences
from rag.text.voices import Stance, Voice, claim_frame, passage_voices


@pytest.fixture(scope="module")
def passages():
    return {p.anchor: p for p in load_passages()}


def voices(p):
    return [
        (v.voice, v.speaker, v.attribution, p.text[v.start : v.end])
        for v in passage_voices(p.text, split_sentences(p.text), kind=p.kind, quotes=p.quotes)
    ]


def test_an_epigraph_and_its_name_line(passages):
    p = passages["gouldner-internal-colonialism §1 ¶1"]
    vs = voices(p)
    assert all(v == Voice.EPIGRAPH and s == "Marcus G. Raskin" for v, s, _a, _t in vs)
    # The name line is the epigraph's attribution, never a sentence of the essay.
    assert [t for _v, _s, attribution, t in vs if attribution] == ["Marcus G. Raskin"]


@pytest.mark.parametrize(
    ("anchor", "speaker"),
    [
        ("gouldner-internal-colonialism ¶1", "Czarist Police Description of Stalin, May 1, 1904"),
        ("gouldner-internal-colonialism §2 ¶1", "Communist Manifesto"),
        ("gouldner-internal-colonialism §3 ¶1", "Moishe Lewin"),
    ],
)
def test_every_epigraph_of_the_corpus(passages, anchor, speaker):
    vs = voices(passages[anchor])
    assert {v for v, *_ in vs} == {Voice.EPIGRAPH} and {s for _v, s, *_ in vs} == {speaker}


def test_the_external_threat_theory_is_rejected_not_ticktins(passages):
    vs = voices(passages["ticktin-purges §3 ¶7"])
    assert vs[0][0] == Voice.REJECTING and vs[0][3].startswith("There is a fifth theory")
    assert vs[1][0] == Voice.OWN and "apologetic" in vs[1][3]  # his own verdict


def test_quotations_keep_their_speaker(passages):
    vs = voices(passages["ticktin-purges §3 ¶8"])
    quoted = [(v, s) for v, s, _a, t in vs if t.startswith("Trotsky, at one level")]
    assert quoted == [(Voice.QUOTING, "Trotsky")]


def test_footnotes_are_footnotes(passages):
    note = next(p for p in passages.values() if p.kind == "footnote")
    assert {v for v, *_ in voices(note)} == {Voice.FOOTNOTE}


@pytest.mark.parametrize(
    ("text", "voice"),
    [
        ("Carr and Davies find the explanation in the grain crisis.", Voice.REPORTING),
        ("It has been argued that the purges were inevitable.", Voice.REPORTING),
        ("It is a myth that the peasants welcomed collectivization.", Voice.REJECTING),
        ("It has been argued here that the idea had a Leninist pedigree.", Voice.OWN),
        ("The purges killed millions.", Voice.OWN),
    ],
)
def test_cues(text, voice):
    assert passage_voices(text, split_sentences(text))[0].voice == voice


@pytest.mark.parametrize(
    ("claim", "holder", "stance"),
    [
        ("Ticktin argues the purges were a response to war.", "Ticktin", Stance.HOLDS),
        ("According to Bukharin, the course was ruinous.", "Bukharin", Stance.HOLDS),
        ("Tucker rejects the Thermidor interpretation.", "Tucker", Stance.REJECTS),
        ("Gouldner quotes Trotsky on the plunder of Russia.", "Gouldner", Stance.REPORTS),
        ("The purges killed millions.", None, Stance.NONE),
    ],
)
def test_claim_frames(claim, holder, stance):
    f = claim_frame(claim)
    assert (f.holder, f.stance) == (holder, stance)
