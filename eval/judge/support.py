"""The judge's entry point: frame, attribution, content rules, then the optional NLI check."""

from __future__ import annotations

from collections.abc import Sequence

from corpus.settings import Settings, get_settings
from eval.judge.attribution import Evidence, route
from eval.judge.frames import Frame, parse_frame
from eval.judge.lexicon import normalize_text
from eval.judge.nli import NliScorer, nli_scorer
from eval.judge.rules import content_check
from eval.judge.types import JudgePassage, Verdict


def judge(
    sentence: str,
    passages: Sequence[JudgePassage],
    settings: Settings | None = None,
    *,
    nli: NliScorer | None = None,
) -> Verdict:
    """Whether ``passages`` (jointly) support ``sentence``; see :mod:`eval.judge` for the rules.

    ``nli`` is an injected scorer ``(premise, hypothesis) -> entailment probability``; when it is
    ``None`` and the setting ``judge_nli_model`` names a model, that model is loaded lazily.

    Example::

        >>> p = JudgePassage("About twenty million citizens were killed.", "Alvin W. Gouldner")
        >>> judge("About 20 million citizens were killed.", [p]).supported
        True
        >>> judge("About 2 million citizens were killed.", [p]).rule
        'number'
    """
    s = get_settings(settings)
    sentence = normalize_text(sentence)
    if not sentence or not passages:
        return Verdict(False, "no sentence or no cited passage", "empty")
    frame = parse_frame(sentence)
    verdict = _rules_verdict(frame, passages, s.judge_min_coverage)
    if not verdict.supported:
        return verdict
    scorer = nli if nli is not None else nli_scorer(s.judge_nli_model, s.torch_threads)
    if scorer is None:
        return verdict
    premise = "\n".join(p.text for p in passages)
    p_entail = float(scorer(premise, frame.body))
    if p_entail < s.judge_nli_threshold:
        return Verdict(
            False,
            f"NLI entailment {p_entail:.2f} below {s.judge_nli_threshold}",
            "nli",
            verdict.coverage,
            verdict.missing,
        )
    return verdict


def _rules_verdict(frame: Frame, passages: Sequence[JudgePassage], min_coverage: float) -> Verdict:
    """The attribution and content rules' verdict.

    When other speakers' quotations were masked and the content fails without them but passes
    with them, the verdict is ``quoted-speaker``: the sentence presents quoted words as the
    frame speaker's own view.
    """
    routed = route(frame, passages)
    if isinstance(routed, Verdict):
        return routed
    if isinstance(routed, Evidence):
        return content_check(frame.body, routed, min_coverage)
    verdict = content_check(frame.body, routed.evidence, min_coverage)
    if verdict.supported:
        return verdict
    full = route(Frame(frame.speaker, "report", None, frame.body), passages)
    if isinstance(full, Evidence) and content_check(frame.body, full, min_coverage).supported:
        return Verdict(
            False,
            f"presents words the passage quotes from another speaker as {frame.speaker}'s own view",
            "quoted-speaker",
            verdict.coverage,
            verdict.missing,
        )
    return verdict
