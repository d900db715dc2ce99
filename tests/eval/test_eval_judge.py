"""The independent judge: its validation floor and each rule on small corpus-based cases."""

from __future__ import annotations

import pytest

from corpus.passage import QuoteSpan
from eval.judge import JudgePassage, find_quote_spans, judge, numbers_in, parse_frame, stem
from eval.validation import (
    RELIABLE_ACCURACY,
    TARGET,
    format_breakdown,
    format_validation,
    load_validation,
    validate_judge,
)

GOULDNER_NOCK = (
    "While Stalin's crimes clearly placed him in the super-criminal class, it never occurred to "
    'Krushchev that Stalin was to be viewed as one of those ordinary criminals: "Taking the state '
    'wherever found," Nock observed, "one sees no way to differentiate the activities of its '
    'founders from those of a professional-criminal class."'
)


def test_validation_file_is_large_and_balanced():
    pairs = load_validation()
    assert len(pairs) >= 60
    cats = {p.category for p in pairs}
    for needed in (
        "paraphrase",
        "negation",
        "wrong_number",
        "wrong_author",
        "quoted_speaker",
        "partial",
    ):
        assert needed in cats
    assert 0.3 < sum(p.supported for p in pairs) / len(pairs) < 0.7


def test_judge_meets_its_floor_on_the_validation_file():
    v = validate_judge()
    print(format_validation(v))  # printed every run, as the brief asks
    print(format_breakdown(v))
    assert v.n >= 280
    assert v.accuracy >= RELIABLE_ACCURACY
    assert v.precision >= TARGET  # a judge that calls unsupported claims supported is worse
    assert v.distortion_recall >= TARGET  # share of distortions judged unsupported
    # The 110 original pairs stay at least as good as before the voices rules (0.973).
    assert v.subsets["judge_validation.jsonl"]["accuracy"] >= 0.973


def _p(text, author="Alvin W. Gouldner", speaker=None):
    return JudgePassage(text, author, find_quote_spans(text, speaker) if speaker else ())


@pytest.mark.parametrize(
    ("sentence", "supported", "rule"),
    [
        (
            "Nock observed that one sees no way to differentiate the activities of its founders "
            "from those of a professional-criminal class.",
            True,
            "ok",
        ),
        (
            "Gouldner argues that one sees no way to differentiate the activities of its founders "
            "from those of a professional-criminal class.",
            False,
            "quoted-speaker",
        ),
        (
            "Gouldner quotes Nock, who observed that one sees no way to differentiate the "
            "activities of its founders from those of a professional-criminal class.",
            True,
            "ok",
        ),
        ("Trotsky argues that Stalin was one of those ordinary criminals.", False, "attribution"),
        ("Krushchev argued that Stalin was one of those ordinary criminals.", False, "attribution"),
    ],
)
def test_quoted_speaker_and_attribution_rules(sentence, supported, rule):
    v = judge(sentence, [_p(GOULDNER_NOCK, speaker="Nock")])
    assert (v.supported, v.rule) == (supported, rule), v.reason


@pytest.mark.parametrize(
    ("sentence", "rule"),
    [
        ("About 2 million Soviet citizens were killed between 1929 and 1939.", "number"),
        ("About twenty million Soviet citizens were killed between 1929 and 1941.", "number"),
        ("About twenty million Soviet citizens were not killed between 1929 and 1939.", "negation"),
        (
            "About twenty million Soviet citizens were killed in Ukraine between 1929 and 1939.",
            "entity",
        ),
        ('Gouldner writes that "twenty million Soviet citizens died".', "quote"),
        ("Twenty million citizens were killed by famine, typhus and Polish invaders.", "entity"),
    ],
)
def test_each_rule_rejects(sentence, rule):
    p = _p(
        "Between 1929 and 1939, about twenty million Soviet citizens were killed. They were "
        "shot, or died of famine, disease or exposure."
    )
    v = judge(sentence, [p])
    assert not v.supported and v.rule == rule, v.reason


def test_direction_words_must_agree():
    p = _p("Between 1928 and 1934 the number of horses declined from 32 million to 15 million.")
    assert judge("The number of horses declined from 32 million to 15 million.", [p]).supported
    assert (
        judge("The number of horses rose from 15 million to 32 million.", [p]).rule == "direction"
    )


def test_joint_support_across_passages_and_empty_inputs():
    a = _p("Workers acquired work-books and personal files.", "Hillel H. Ticktin")
    b = _p("By 1940 workers too were tied to their factories.", "Hillel H. Ticktin")
    claim = "Workers acquired work-books and personal files, and by 1940 they were tied to their factories."
    assert not judge(claim, [a]).supported
    assert judge(claim, [a, b]).supported
    assert judge("", [a]).rule == "empty"
    assert judge(claim, []).rule == "empty"


def test_cited_quote_items_from_the_answer_stage():
    text = 'But in 1926 Krupskaia said: "If Il\'ich were alive, he would probably already be in prison."'
    p = JudgePassage(text, "Leon Trotsky", (QuoteSpan(28, len(text), "Krupskaia"),))
    ok = 'Leon Trotsky (The Soviet Thermidor, 1936), quoting Krupskaia: "If Il\'ich were alive, he would probably already be in prison."'
    bad = 'Leon Trotsky (The Soviet Thermidor, 1936): "If Il\'ich were alive, he would probably already be in prison."'
    assert judge(ok, [p]).supported
    assert judge(bad, [p]).rule == "quoted-speaker"


@pytest.mark.parametrize(
    ("text", "values"),
    [
        ("", []),
        ("thirteen of the fifteen", [13.0, 15.0]),
        ("780,000 and 3 million", [780000.0, 3e6]),
        ("the 1930's and the tenth congress", [1930.0, 10.0]),
        ("second serfdom", []),
    ],
)
def test_numbers(text, values):
    assert numbers_in(text) == values


def test_frames_and_stems_on_odd_input():
    assert parse_frame("").speaker is None
    assert parse_frame("Сталин said nothing.").body
    assert stem("") == ""
    giant = "The purges atomised the population. " * 2000
    assert judge("The purges atomised the population.", [_p(giant, "Hillel H. Ticktin")]).supported


def test_named_inner_speaker_and_pronoun_subjects():
    text = (
        "But as early as 1926 Krupskaia said, in a circle of Left Oppositionists: "
        "“If Il’ich were alive, he would probably already be in prison.”"
    )
    p = JudgePassage(text, "Leon Trotsky", (QuoteSpan(text.index("“"), len(text), "Krupskaia"),))
    # The author's own sentence, which names the speaker it quotes, is correctly attributed.
    assert judge(f'Leon Trotsky (The Soviet Thermidor, 1936): "{text}"', [p]).supported
    assert judge(
        "Trotsky writes that Krupskaia said Il’ich would already be in prison.", [p]
    ).supported
    assert not judge("Trotsky argues that Il’ich would already be in prison.", [p]).supported
    # A pronoun is no name: the content alone is judged.
    assert judge("He mentions a circle of Left Oppositionists in 1926.", [p]).supported


def test_injected_nli_can_only_make_the_judge_stricter():
    p = _p("About twenty million citizens were killed.")
    seen = []

    def scorer(premise, hypothesis):
        seen.append((premise, hypothesis))
        return 0.1

    v = judge("Gouldner argues that about 20 million citizens were killed.", [p], nli=scorer)
    assert not v.supported and v.rule == "nli"
    assert seen == [(p.text, "about 20 million citizens were killed.")]
    assert judge("About 20 million citizens were killed.", [p], nli=lambda _p, _h: 0.99).supported
    # A sentence the rules reject never reaches the scorer.
    seen.clear()
    assert judge("About 2 million citizens were killed.", [p], nli=scorer).rule == "number"
    assert seen == []


def test_the_judge_imports_nothing_from_the_runtime_stack():
    import ast
    from pathlib import Path

    import eval.judge

    for path in Path(eval.judge.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            assert not any(n == "rag" or n.startswith("rag.") for n in names), path.name
