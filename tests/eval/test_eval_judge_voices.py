"""Who said what: the judge's voice, frame, role and merged-facts rules, edge case by edge case."""

from __future__ import annotations

import pytest

from eval.judge import AUTHOR, JudgePassage, find_quote_spans, judge, parse_frame
from eval.judge.lexicon import one_edit, stem
from eval.judge.polarity import annotate
from eval.judge.roles import merged_facts, number_binding, role_conflict
from eval.judge.voices import sentence_spans, voices

TICKTIN = (
    "The second theory takes the view that the purges were intended to replace the old "
    "intelligentsia with poor peasants. This theory is dubious. In the second place, although "
    "the personnel changed the functions remained the same."
)
VAKAR = (
    "Nicholas Vakar has argued that the Stalinist revolution marked the complete peasantization "
    "of the Russian Revolution. The influx was largely an influx of the peasant-born."
)
LEWIN = '"The clash was one between two civilizations, the one stubbornly religious." Moishe Lewin'
VOZNESENSKY = (
    "The effect was that Stalin could always correctly believe that top bureaucrats such as "
    "Voznesensky sabotaged the system."
)
TOLSTOY = (
    'For if, as Tolstoy tells us, "every unhappy family is unhappy in its own way," every tyrant '
    "will impose his own particular variant of misery on his subjects."
)


def _holders(text, author="Hillel H. Ticktin"):
    return [(v.holder, v.kind, text[v.start : v.end]) for v in voices(text, author)]


@pytest.mark.parametrize(
    ("text", "holder", "kind", "span_starts"),
    [
        (VAKAR, "Nicholas Vakar", "reported", "Nicholas Vakar has argued"),
        ("Some take the view that X ruled. This is apologetic.", "some", "rejected", "Some take"),
        (
            'It is sometimes said that peasants became "proletarians," but this is not exact.',
            "it",
            "reported",
            "It is sometimes said",
        ),
        (
            "It has been stated many times by left oppositionists that the purges succeeded.",
            "left oppositionists",
            "reported",
            "It has been stated",
        ),
        ("A point bears on the thesis, according to which X is so.", "thesis", "reported", "the"),
        (LEWIN, "Moishe Lewin", "epigraph", '"The clash'),
        (TOLSTOY, "Tolstoy", "reported", "as Tolstoy tells us"),
        (
            "Lenin dictated notes in which he characterized Stalin as rude.",
            "Lenin",
            "reported",
            "he",
        ),
        (
            "Yet, to understand this as a panic is another matter.",
            "it",
            "rejected",
            "to understand",
        ),
        ("Bukharin, in attempting to defend it, declared it proven.", "Bukharin", "reported", "Bu"),
    ],
)
def test_voices_find_reported_rejected_and_epigraph_spans(text, holder, kind, span_starts):
    found = _holders(text)
    assert any(h == holder and k == kind and s.startswith(span_starts) for h, k, s in found), found


def test_a_parenthetical_holder_gets_only_the_quotation():
    (span,) = [s for h, _k, s in _holders(TOLSTOY, "T. H. Rigby") if h == "Tolstoy"]
    assert span.endswith('own way,"') and "tyrant" not in span


@pytest.mark.parametrize(
    "text",
    [
        "We propose a preliminary definition of Stalinism as a regime of terror.",
        "It may be said that the system lasted longer as a result of the purges.",
        "Deutscher does not directly say so, although some pages later he notes it.",
        "I do not find them altogether persuasive.",
        "Hillel Ticktin argues that the purges atomised the population.",
        "",
    ],
)
def test_the_authors_own_voice_opens_no_span(text):
    assert _holders(text) == []


def test_sentence_spans_break_at_excerpt_gaps_and_paragraphs():
    t = "One. … Two is here. Three\n\nFour"
    assert [t[a:b] for a, b in sentence_spans(t)] == ["One.", "Two is here.", "Three", "Four"]


@pytest.mark.parametrize(
    ("sentence", "speaker", "kind", "quoted", "body_start"),
    [
        ("No, no. Gouldner does not accept that the leaders panicked.", "Gouldner", "reject", None, "the"),
        ("The answer is no: according to Gouldner, Stalin created it.", "Gouldner", "view", None, "Stalin"),
        ("The author concludes that the purges were a revenge.", AUTHOR, "view", None, "the purges"),
        ("The chapter on the Soviet Thermidor says that Stalin remains.", AUTHOR, "view", None, "Stalin"),
        ("He argues that the elite was replaced.", AUTHOR, "view", None, "the elite"),
        ("Trotsky rejects the Pravda claim that exploitation has ended.", "Trotsky", "reject", "Pravda", "exp"),
        ("Gouldner does not accept Trotsky's view that it degenerated.", "Gouldner", "reject", "Trotsky", "it"),
        ("Ticktin dismisses the KGB's figure of 780,000 as self-serving.", "Ticktin", "view", None, "the KGB"),
        ("Ten million died in the camps, according to the figures Gouldner cites.", "Gouldner", "report", None, "Ten"),
        ("The first to formulate it, according to Gouldner, was Bukharin.", "Gouldner", "view", None, "The first"),
        ("Rigby, citing Tolstoy, notes that every unhappy family is unhappy.", "Rigby", "quote", "Tolstoy", "every"),
        ("Bukharin told Nikolaevskii that half the country starved.", "Bukharin", "view", None, "half"),
        ("The claim that peasants became proletarians is false.", None, None, None, "The claim"),
        ("They argue that the purges were rational.", None, None, None, "They argue"),
    ],
)  # fmt: skip
def test_frames(sentence, speaker, kind, quoted, body_start):
    f = parse_frame(sentence)
    assert (f.speaker, f.kind, f.quoted) == (speaker, kind, quoted), f
    assert f.body.startswith(body_start), f.body


def _p(text, author="Hillel H. Ticktin", speaker=None):
    return JudgePassage(text, author, find_quote_spans(text, speaker) if speaker else ())


@pytest.mark.parametrize(
    ("sentence", "passage", "rule"),
    [
        # A view the passage reports and rejects, given to the author with or without a frame.
        ("Ticktin argues that the purges were intended to replace the old intelligentsia "
         "with poor peasants.", _p(TICKTIN), "rejected-view"),
        ("The purges were intended to replace the old intelligentsia with poor peasants.",
         _p(TICKTIN), "rejected-view"),
        # The sentence marks the view as one, or gives it to its holder: supported.
        ("Ticktin calls the theory that the purges were intended to replace the old "
         "intelligentsia with poor peasants dubious.", _p(TICKTIN), "ok"),
        ("Ticktin rejects the view that the purges were intended to replace the old "
         "intelligentsia with poor peasants.", _p(TICKTIN), "ok"),
        ("Ticktin argues that although the personnel changed, the functions remained the same.",
         _p(TICKTIN), "ok"),
        # A rejection of what the author himself says.
        ("Ticktin rejects the view that the functions remained the same.", _p(TICKTIN), "rejection"),
        # Reported views: the author's mouth is wrong, the holder's right.
        ("Tucker interprets the Stalinist revolution as marking the complete peasantization of "
         "the Russian Revolution.", _p(VAKAR, "Robert C. Tucker"), "reported-view"),
        ("Vakar argues that the Stalinist revolution marked the complete peasantization of the "
         "Russian Revolution.", _p(VAKAR, "Robert C. Tucker"), "ok"),
        ("Tucker reports that Vakar argued that the Stalinist revolution marked the complete "
         "peasantization of the Russian Revolution.", _p(VAKAR, "Robert C. Tucker"), "ok"),
        # Epigraphs.
        ("Gouldner argues that the clash was one between two civilizations.",
         _p(LEWIN, "Alvin W. Gouldner", "Moishe Lewin"), "epigraph"),
        ("Gouldner quotes Moishe Lewin, who says the clash was one between two civilizations.",
         _p(LEWIN, "Alvin W. Gouldner", "Moishe Lewin"), "ok"),
        # Roles: a person only mentioned holds no view; an inner frame is judged as its speaker's.
        ("According to Ticktin, Voznesensky believed that Stalin sabotaged the system.",
         _p(VOZNESENSKY), "role"),
        ("According to Ticktin, Stalin believed that Voznesensky sabotaged the system.",
         _p(VOZNESENSKY), "ok"),
        # A parenthetical "as X tells us": only the quotation is X's.
        ("Tolstoy tells us that every tyrant will impose his own variant of misery.",
         _p(TOLSTOY, "T. H. Rigby", "Tolstoy"), "coverage"),
        ("Rigby writes that every tyrant will impose his own particular variant of misery.",
         _p(TOLSTOY, "T. H. Rigby", "Tolstoy"), "ok"),
    ],
)  # fmt: skip
def test_voice_rules_on_whole_sentences(sentence, passage, rule):
    v = judge(sentence, [passage])
    assert v.rule == rule and v.supported == (rule == "ok"), v.reason


@pytest.mark.parametrize(
    ("body", "evidence", "conflict"),
    [
        ("Yezhov saw Stalin's character.", "A villain like Yezhov; Stalin saw his character.", True),
        ("Stalin saw Yezhov's character.", "A villain like Yezhov; Stalin saw his character.", False),
        ("The Finns were massacred by the Russians.", "Russian troops were massacred by the Finns.", True),
        ("Russian troops were massacred by the Finns.", "Russian troops were massacred by the Finns.", False),
        ("It was formulated by Stalin and Bukharin co-opted it.",
         "It was first formulated by Bukharin and then co-opted by Stalin.", True),
        ("Vavilov was killed by Lysenko.", "The reason that Vavilov was killed had to do with Lysenko.", True),
        ("Vavilov was killed.", "The reason that Vavilov was killed had to do with Lysenko.", False),
        ("The Short Course spoke of support, but Tucker says it lied.",
         "The Short Course lied when it spoke of support from below.", False),
        ("Nobody named did anything.", "Nothing here.", False),
    ],
)  # fmt: skip
def test_role_conflict(body, evidence, conflict):
    assert (role_conflict(body, [evidence]) is not None) == conflict


@pytest.mark.parametrize(
    ("body", "evidence", "merged"),
    [
        ("The Left Opposition was massacred in 1928.",
         ["In 1927 the Chinese revolution was massacred.", "In 1928 the Left Opposition was arrested."], True),
        ("Bukharin was elected a Politburo member.",
         ["Bukharin and Radek were allowed to speak.", "Kirov was elected a Politburo member."], True),
        ("The Chinese revolution was massacred in 1927.",
         ["In 1927 the Chinese revolution was massacred.", "In 1928 the Left Opposition was arrested."], False),
        # A pronoun carries the subject into the next sentence.
        ("The Bukharinist alternative could have worked.",
         ["The Bukharinist alternative was real.", "Had it been adopted, it could well have worked."], False),
        ("Nothing happened.", [""], False),
    ],
)  # fmt: skip
def test_merged_facts(body, evidence, merged):
    assert (merged_facts(body, evidence) is not None) == merged


@pytest.mark.parametrize(
    ("body", "bound_wrongly"),
    [
        ("There were 2.5 million soldiers.", True),
        ("There were 2.5 million industrial workers.", False),
        ("Eighty percent of all generals were killed.", True),
        ("Eighty percent of all colonels were killed.", False),
        ("In 1897 there were soldiers.", False),  # a year counts nothing
    ],
)
def test_number_binding(body, bound_wrongly):
    ev = [
        "In 1897 there were 2.5 million industrial workers and 1.25 million soldiers. Of the 15 "
        "generals 13 were killed, and 80 percent of all colonels were killed."
    ]
    assert (number_binding(body, ev) is not None) == bound_wrongly


@pytest.mark.parametrize(
    ("sentence", "supported"),
    [
        ("Bukharin declared that building socialism on a pauper basis is impossible.", False),
        ("Bukharin declared that socialism could be built on a pauper basis.", True),
    ],
)
def test_denying_words_must_be_in_the_passage(sentence, supported):
    text = 'Bukharin declared: "we can build socialism even on this pauper basis."'
    p = JudgePassage(text, "Leon Trotsky", find_quote_spans(text, "Bukharin"))
    v = judge(sentence, [p])
    assert v.supported == supported, v.reason


@pytest.mark.parametrize(
    ("a", "b", "one"),
    [("khrushchev", "krushchev", True), ("stalin", "lenin", False), ("seige", "siege", False)],
)
def test_one_edit_spelling_variants(a, b, one):
    assert one_edit(a, b) == one


@pytest.mark.parametrize(
    ("text", "word", "negated"),
    [
        ("Stalin did not merely seize the occasion.", "seize", False),
        ("Stalin did not seize the occasion.", "seize", True),
        ("It was not so much that Stalin seized it.", "stalin", False),
    ],
)
def test_focus_not_is_no_negation(text, word, negated):
    assert next(t for t in annotate(text) if t.word == word).negated == negated


@pytest.mark.parametrize(("a", "b"), [("took", "take"), ("saw", "sees"), ("written", "writes")])
def test_irregular_past_forms_stem_alike(a, b):
    assert stem(a) == stem(b)


def test_validation_reads_both_files_with_sources_halves_and_categories(tmp_path):
    from eval.validation import VOICES_VALIDATION_FILE, load_validation, validate_judge

    pairs = load_validation()
    voices_pairs = [p for p in pairs if p.file == VOICES_VALIDATION_FILE.name]
    assert len(voices_pairs) == 176 and all(p.source for p in voices_pairs)
    cats = {p.category for p in voices_pairs}
    assert cats == {
        "rejected_as_own", "reported_as_own", "role_swap", "epigraph_as_author",
        "merged_facts", "paraphrase_voice", "paraphrase",
    }  # fmt: skip
    # A small file of its own: halves by the id's number, figures by category.
    f = tmp_path / "mini.jsonl"
    rec = (
        '{{"id": "x-{}", "sentence": "The KGB figure is self-serving.", "passage": "The KGB '
        'figure is self-serving.", "passage_author": "Hillel H. Ticktin", "quoted_speaker": '
        'null, "supported": {}, "category": "{}"}}'
    )
    rows = [(1, "true", "verbatim"), (2, "false", "role_swap")]
    f.write_text("\n".join(rec.format(*r) for r in rows), encoding="utf-8")
    v = validate_judge(f)
    assert v.subsets["odd"]["n"] == 1 and v.subsets["even"]["n"] == 1
    assert v.by_category["role_swap"] == {
        "n": 1, "labelled_supported": 0, "judged_supported": 1, "accuracy": 0.0,
    }  # fmt: skip
    assert v.precision == 0.5 and v.distortion_recall == 0.0 and not v.meets_targets
    assert v.summary()["subsets"]["mini.jsonl/even"]["n"] == 1


@pytest.mark.parametrize(
    ("line", "message"),
    [('{"id": "x"}', "missing"), ("not json", "bad judge-validation record")],
)
def test_validation_rejects_malformed_lines(tmp_path, line, message):
    from corpus.errors import InputError
    from eval.validation import load_validation

    f = tmp_path / "bad.jsonl"
    f.write_text(line, encoding="utf-8")
    with pytest.raises(InputError, match=message):
        load_validation([f])
