"""The judge's entry point: frame, attribution, content rules, then the optional NLI check."""

from __future__ import annotations

import re
from collections.abc import Sequence

from corpus.settings import Settings, get_settings
from eval.judge.attribution import Evidence, route
from eval.judge.frames import Frame, is_author, parse_frame
from eval.judge.lexicon import normalize_text
from eval.judge.nli import NliScorer, nli_scorer
from eval.judge.roles import merged_facts, number_binding, role_conflict
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
    frame = inner_frame(parse_frame(sentence), passages)
    for part in split_rejection(frame):
        verdict = _rules_verdict(part, passages, s.judge_min_coverage)
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


_CLAUSE_VERBS = (
    r"argue[sd]?|claim(?:s|ed)?|believe[sd]?|thinks?|thought|held|holds?|maintain(?:s|ed)?|"
    r"insist(?:s|ed)?|says?|said|contend(?:s|ed)?|assert(?:s|ed)?|suggest(?:s|ed)?|told|tells?|"
    r"sees?|saw|wrote|writes?|declare[sd]?|predict(?:s|ed)?|conclude[sd]?|considers?|considered"
)


def inner_frame(frame: Frame, passages: Sequence[JudgePassage]) -> Frame:
    """The frame inside an author's frame: "According to Ticktin, Voznesensky believed that C"
    is the author reporting Voznesensky's belief, so it is judged as "Voznesensky believed C".

    Example::

        >>> p = JudgePassage("Stalin believed that Voznesensky sabotaged it.", "Hillel H. Ticktin")
        >>> inner_frame(parse_frame("According to Ticktin, Stalin believed that C."), [p]).speaker
        'Stalin'
    """
    if frame.speaker is None or frame.kind not in {"view", "report"}:
        return frame
    if not all(is_author(frame.speaker, p.author) for p in passages):
        return frame
    inner = parse_frame(frame.body)
    clause = re.match(rf"^\S+(?:\s+\S+){{0,3}}?\s+(?:{_CLAUSE_VERBS})\b", frame.body)
    own = inner.speaker and any(is_author(inner.speaker, p.author) for p in passages)
    if inner.speaker and inner.kind == "view" and clause and not own:
        return inner
    return frame


_REJECT_TAIL = re.compile(
    r";\s+|,\s+(?=(?:calling|describing|seeing|treating|terming|and\s+(?:he|she|instead)|"
    r"which\s+(?:he|she)\s+calls)\b)"
)


def split_rejection(frame: Frame) -> list[Frame]:
    """A rejection and what follows it: "X does not accept that C; he describes D" is the
    rejected view C and X's own view D (each judged on its own).

    Example::

        >>> f = parse_frame("Gouldner rejects the view that C holds, calling it a myth.")
        >>> [(p.kind, p.body) for p in split_rejection(f)]
        [('reject', 'C holds'), ('view', 'calling it a myth.')]
    """
    if frame.kind != "reject":
        return [frame]
    head, *rest = _REJECT_TAIL.split(frame.body, maxsplit=1)
    if not rest or not head.strip():
        return [frame]
    tail = parse_frame(rest[0])
    if tail.speaker is None:
        tail = Frame(frame.speaker, "view", None, rest[0])
    return [Frame(frame.speaker, "reject", frame.quoted, head), tail]


_EXPLAIN = {
    "epigraph": ("epigraph", "presents the epigraph's words (another speaker's) as {x}'s own view"),
    "quote": (
        "quoted-speaker",
        "presents words the passage quotes from another speaker as {x}'s own view",
    ),
    "rejected": ("rejected-view", "presents a view the passage reports and rejects as {x}'s own"),
    "reported": (
        "reported-view",
        "presents a view the passage reports (someone else's) as {x}'s own",
    ),
    "own": ("rejection", "says {x} rejects a view the passage states in the author's own voice"),
}


def _words(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", normalize_text(text).lower()))


def _verbatim(body: str, texts: Sequence[str]) -> bool:
    """Whether ``body`` (quotation marks aside) occurs word for word in one of ``texts``.

    Example::

        >>> _verbatim('"Only Stalin remains."', ["Of them only Stalin remains. Lenin died."])
        True
    """
    words = _words(body)
    return bool(words) and any(f" {words} " in f" {_words(t)} " for t in texts)


def _rules_verdict(frame: Frame, passages: Sequence[JudgePassage], min_coverage: float) -> Verdict:
    """The attribution and content rules' verdict, then the role and merged-facts rules.

    When other voices were masked and the content fails without them but passes with one kind
    of them restored, the verdict names that kind (``quoted-speaker``, ``reported-view``,
    ``rejected-view``, ``epigraph``, or ``rejection`` for a rejected view that is the author's).
    """
    routed = route(frame, passages)
    if isinstance(routed, Verdict):
        return routed
    ev = routed if isinstance(routed, Evidence) else routed.evidence
    verdict = content_check(frame.body, ev, min_coverage)
    if not verdict.supported and not isinstance(routed, Evidence):
        who = re.sub(r"'s?$", "", frame.speaker or "the author")
        for kind, restored in routed.restored:
            if content_check(frame.body, restored, min_coverage).supported:
                rule, why = _EXPLAIN[kind]
                return Verdict(False, why.format(x=who), rule, verdict.coverage, verdict.missing)
    if not verdict.supported or _verbatim(frame.body, ev.texts):
        # Words copied verbatim from the passage cannot recombine its facts or swap its roles.
        return verdict
    for rule, check in (
        ("role", role_conflict),
        ("merged", merged_facts),
        ("merged", number_binding),
    ):
        why = check(frame.body, ev.texts)
        if why:
            return Verdict(False, why, rule, verdict.coverage, verdict.missing)
    return verdict
