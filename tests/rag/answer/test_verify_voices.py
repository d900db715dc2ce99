"""The verifier knows voices: real corpus passages, drafted sentences that put a view in the
wrong mouth (a rejected view as the author's, an epigraph as the author's, "according to X"
where X is only mentioned) are dropped with a flag that says why."""

from __future__ import annotations

import pytest

from corpus.settings import get_settings
from rag.answer.select import EvidenceSentence, Excerpt
from rag.answer.verify import verify_sentences
from rag.retrieval.search import Hit

AUTHORS = (
    ("Hillel H. Ticktin", ("Ticktin",)),
    ("Alvin W. Gouldner", ("Gouldner",)),
    ("Robert C. Tucker", ("Tucker",)),
    ("Leon Trotsky", ("Trotsky",)),
)


def excerpt_of(chunks, starts_with: str, n: int = 1) -> Excerpt:
    """An excerpt holding the chunk sentence that starts with ``starts_with`` (and its voice)."""
    for c in chunks:
        for v in c.sentences:
            if c.text[v.start : v.end].startswith(starts_with):
                es = EvidenceSentence(
                    c.text[v.start : v.end], v.start, v.end, 1.0, v.speaker, v.voice
                )
                return Excerpt(n, Hit(c, 1.0), (es,))
    raise AssertionError(f"no sentence starts with {starts_with!r}")


def verify(sentence: str, ex: Excerpt):
    return verify_sentences([sentence], [ex], get_settings(), authors=AUTHORS)[0]


def test_a_rejected_view_given_as_the_authors_own_is_dropped(corpus_chunks):
    ex = excerpt_of(corpus_chunks, "There is a fifth theory")
    v = verify(
        "Ticktin argues that there was an external threat, the rise of Fascism and the problem "
        "of Soviet weakness [1].",
        ex,
    )
    assert not v.supported and "wrong-voice" in v.flags
    plain = verify("There was an external threat: the rise of Fascism and Soviet weakness [1].", ex)
    assert not plain.supported and "wrong-voice" in plain.flags


def test_the_authors_own_verdict_on_it_still_verifies(corpus_chunks):
    ex = excerpt_of(corpus_chunks, "This was an apologetic theory of the time")
    v = verify("Ticktin calls it an apologetic theory of the time [1].", ex)
    assert v.supported, v.flags


def test_an_epigraph_given_to_the_essay_author_is_dropped(corpus_chunks):
    ex = excerpt_of(corpus_chunks, '"The reconstructive philosopher does not stand in judgment')
    v = verify(
        "Gouldner says the reconstructive philosopher does not stand in judgment as the vanguard "
        "of another class [1].",
        ex,
    )
    assert not v.supported and {"wrong-voice", "speaker-as-author"} & set(v.flags)
    named = verify(
        "Raskin says the reconstructive philosopher does not stand in judgment as the vanguard "
        "of another class [1].",
        ex,
    )
    assert named.supported, named.flags


def test_according_to_someone_only_mentioned_is_a_role_swap(corpus_chunks):
    ex = excerpt_of(corpus_chunks, "In the final analysis, the purges were the final revenge")
    v = verify(
        "According to Bukharin, the purges were the final revenge of the bourgeoisie on the "
        "revolution [1].",
        ex,
    )
    assert not v.supported and {"wrong-voice", "unnamed-entity"} & set(v.flags)
    own = verify("Ticktin holds that the purges were the final revenge of the bourgeoisie [1].", ex)
    assert own.supported, own.flags


# The writer's quotation frames, checked where the quoted words stand in the source: a
# third party's words inside quotation marks are not the author's, the author's narration is not
# a quotation, and a cut-off scrap is no answer.


def test_words_in_quotation_marks_are_not_written_by_the_author(corpus_chunks):
    ex = excerpt_of(corpus_chunks, "When Stalin in December 1926")
    v = verify(
        'Tucker writes: "building socialism in the USSR means overcoming our own Soviet '
        'bourgeoisie by our own forces in the course of a struggle" [1].',
        ex,
    )
    assert not v.supported and "wrong-voice" in v.flags
    quoted = verify(
        'Tucker quotes Stalin: "building socialism in the USSR means overcoming our own Soviet '
        'bourgeoisie by our own forces in the course of a struggle" [1].',
        ex,
    )
    assert "wrong-voice" not in quoted.flags and "fragment-quote" not in quoted.flags


def test_the_authors_narration_is_not_a_quotation(corpus_chunks):
    ex = excerpt_of(corpus_chunks, "When Stalin in December 1926")
    v = verify('Tucker quotes: "he was simply drawing upon the Lenin and Leninism" [1].', ex)
    assert not v.supported and "wrong-voice" in v.flags


@pytest.mark.parametrize("scrap", ["98 persons, i.e", "of the 139 members and candidates"])
def test_a_cut_off_quotation_is_dropped(corpus_chunks, scrap):
    ex = excerpt_of(corpus_chunks, "Krushchev's account of the fate")
    v = verify(f'Gouldner quotes Krushchev: "{scrap}" [1].', ex)
    assert not v.supported and "fragment-quote" in v.flags


def test_the_authors_lead_in_to_a_quotation_is_not_the_quoted_persons_words(corpus_chunks):
    ex = excerpt_of(corpus_chunks, "Trotsky, at one level, also argued this point")
    v = verify('Ticktin quotes Trotsky: "Trotsky, at one level, also argued this point" [1].', ex)
    assert not v.supported and "wrong-voice" in v.flags
