"""Answer-quality metrics: pure functions over judged outcomes (definitions in eval/README.md).

Everything here is arithmetic over small frozen records, so each metric can be checked by hand.
No metric ever returns NaN: an empty denominator yields the documented *vacuous value*
(``1.0`` where the empty set contains no error -- faithfulness, citation recall/precision,
attribution precision; ``0.0`` for success rates over an empty question class and for error
rates and latencies). Every aggregate is returned with its count so a vacuous value is visible.
"""

from __future__ import annotations

import math
import re
import string
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import overload

import numpy as np


@dataclass(frozen=True)
class SentenceOutcome:
    """One sentence shown to the user, as the runtime verifier and the judge saw it.

    ``verified``: the runtime verifier showed it as verified. ``judge_supported``: the judge
    finds it supported by all its cited excerpts jointly. ``n_citations``/``precise_citations``:
    its citations and how many are precise in the ALCE sense.
    """

    verified: bool
    judge_supported: bool
    n_citations: int
    precise_citations: int
    quoted_speaker_error: bool = False


@dataclass(frozen=True)
class QuestionOutcome:
    """One question answered in one mode, reduced to what the metrics need."""

    id: str
    kind: str
    answerable: bool
    refused: bool
    sentences: tuple[SentenceOutcome, ...] = ()
    cited_authors: frozenset[str] = frozenset()
    gold_authors: frozenset[str] = frozenset()
    gold_cited: bool = False
    similarity: float = 0.0
    token_f1: float = 0.0
    ttft_s: float | None = None
    total_s: float | None = None
    load_s: float | None = None
    timings: dict[str, float] = field(default_factory=dict)
    # Answer selection (eval.selection); None where the metric does not apply.
    gold_shown: bool | None = None
    gold_lead: bool | None = None
    short_match: bool | None = None
    selector_at: dict[int, bool] | None = None


@dataclass(frozen=True)
class Ratio:
    """``num / den``, or the vacuous value when ``den == 0``."""

    value: float
    num: float
    den: float


def ratio(num: float, den: float, vacuous: float) -> Ratio:
    """A ratio that is ``vacuous`` instead of NaN when the denominator is empty.

    Example::

        >>> ratio(3, 4, 1.0).value, ratio(0, 0, 1.0).value
        (0.75, 1.0)
    """
    return Ratio(num / den if den else vacuous, num, den)


# --- claims -----------------------------------------------------------------------------------


def faithfulness(outcomes: Iterable[QuestionOutcome]) -> Ratio:
    """Share of sentences *shown as verified* that the judge finds supported by their citations.

    Pooled over all such sentences of all questions; none at all -> 1.0 (vacuous).

    Example::

        >>> s = lambda v, j: SentenceOutcome(v, j, 1, int(j))
        >>> q = QuestionOutcome("q", "factual", True, False, (s(True, True), s(True, False),
        ...                     s(False, False)))
        >>> faithfulness([q]).value
        0.5
    """
    shown = [s for o in outcomes for s in o.sentences if s.verified]
    return ratio(sum(s.judge_supported for s in shown), len(shown), 1.0)


def citation_recall(outcomes: Iterable[QuestionOutcome]) -> Ratio:
    """ALCE citation recall: share of shown sentences with >=1 citation whose cited excerpts
    jointly support them (a sentence without citations counts as not recalled).

    Unlike :func:`faithfulness` this covers every shown sentence, verified or not.

    Example::

        >>> a = SentenceOutcome(True, True, 2, 2)
        >>> b = SentenceOutcome(False, True, 0, 0)  # uncited: never recalled
        >>> citation_recall([QuestionOutcome("q", "factual", True, False, (a, b))]).value
        0.5
    """
    shown = [s for o in outcomes for s in o.sentences]
    return ratio(sum(s.n_citations > 0 and s.judge_supported for s in shown), len(shown), 1.0)


def citation_precision(outcomes: Iterable[QuestionOutcome]) -> Ratio:
    """ALCE citation precision: precise citations / all citations of shown sentences.

    A citation is precise when its sentence is jointly supported and it is not irrelevant
    (irrelevant = it alone does not support the sentence while the other citations do).
    Sentences shown but no citations at all -> 0.0 (as ALCE); nothing shown -> 1.0 (vacuous).

    Example::

        >>> a = SentenceOutcome(True, True, 3, 2)
        >>> b = SentenceOutcome(True, False, 1, 0)
        >>> citation_precision([QuestionOutcome("q", "factual", True, False, (a, b))]).value
        0.5
    """
    shown = [s for o in outcomes for s in o.sentences]
    total = sum(s.n_citations for s in shown)
    vacuous = 1.0 if not shown else 0.0
    return ratio(sum(s.precise_citations for s in shown), total, vacuous)


def precise_citations(joint: bool, alone: Sequence[bool], without: Sequence[bool]) -> int:
    """How many of a sentence's citations are precise (ALCE rule).

    ``joint``: all citations together support the sentence; ``alone[i]``: citation i alone
    supports it; ``without[i]``: the other citations (without i) support it.

    Example::

        >>> precise_citations(True, [True, False], [False, True])  # the second is redundant
        1
        >>> precise_citations(False, [False], [False])
        0
    """
    if not joint:
        return 0
    if len(alone) == 1:
        return 1
    return sum(1 for a, w in zip(alone, without, strict=True) if a or not w)


# --- grounding and attribution -------------------------------------------------------------------


def gold_citation_rate(outcomes: Iterable[QuestionOutcome]) -> Ratio:
    """Share of answerable questions whose answer cites >=1 chunk containing gold evidence.

    Refused answers count as not gold-cited; no answerable questions -> 0.0.

    Example::

        >>> qs = [QuestionOutcome("a", "factual", True, False, gold_cited=True),
        ...       QuestionOutcome("b", "factual", True, True),
        ...       QuestionOutcome("c", "unanswerable", False, True)]
        >>> gold_citation_rate(qs).value
        0.5
    """
    ans = [o for o in outcomes if o.answerable]
    return ratio(sum(o.gold_cited for o in ans), len(ans), 0.0)


def attribution(outcomes: Iterable[QuestionOutcome]) -> tuple[Ratio, Ratio]:
    """(precision, recall) of the authors an answer cites against the gold authors.

    Pooled over answerable questions with gold authors: precision = sum|cited & gold| /
    sum|cited| (nothing cited anywhere -> 1.0), recall = sum|cited & gold| / sum|gold|
    (no gold authors -> 0.0).

    Example::

        >>> o = QuestionOutcome("q", "comparative", True, False,
        ...                     cited_authors=frozenset({"Trotsky", "Gouldner"}),
        ...                     gold_authors=frozenset({"Trotsky", "Ticktin"}))
        >>> [r.value for r in attribution([o])]
        [0.5, 0.5]
    """
    rows = [o for o in outcomes if o.answerable and o.gold_authors]
    inter = sum(len(o.cited_authors & o.gold_authors) for o in rows)
    cited = sum(len(o.cited_authors) for o in rows)
    gold = sum(len(o.gold_authors) for o in rows)
    return ratio(inter, cited, 1.0), ratio(inter, gold, 0.0)


def quoted_speaker_errors(outcomes: Iterable[QuestionOutcome]) -> tuple[int, int]:
    """(answers, sentences) presenting a quoted person's words as the essay author's view.

    Example::

        >>> bad = SentenceOutcome(True, False, 1, 0, quoted_speaker_error=True)
        >>> quoted_speaker_errors([QuestionOutcome("q", "quoted_speaker", True, False,
        ...                        (bad, bad))])
        (1, 2)
    """
    per = [sum(s.quoted_speaker_error for s in o.sentences) for o in outcomes]
    return sum(1 for n in per if n), sum(per)


# --- abstention -------------------------------------------------------------------------------------


def refusal_rates(outcomes: Iterable[QuestionOutcome]) -> tuple[Ratio, Ratio]:
    """(refusal rate on unanswerable questions, false-refusal rate on answerable ones).

    A refusal is an abstention or an answer with no sentence shown. Empty classes -> 0.0.

    Example::

        >>> qs = [QuestionOutcome("u1", "unanswerable", False, True),
        ...       QuestionOutcome("u2", "unanswerable", False, False),
        ...       QuestionOutcome("a1", "factual", True, True),
        ...       QuestionOutcome("a2", "factual", True, False),
        ...       QuestionOutcome("a3", "factual", True, False),
        ...       QuestionOutcome("a4", "factual", True, False)]
        >>> [r.value for r in refusal_rates(qs)]
        [0.5, 0.25]
    """
    outcomes = list(outcomes)
    un = [o for o in outcomes if not o.answerable]
    ans = [o for o in outcomes if o.answerable]
    return (
        ratio(sum(o.refused for o in un), len(un), 0.0),
        ratio(sum(o.refused for o in ans), len(ans), 0.0),
    )


# --- similarity -------------------------------------------------------------------------------------

_ARTICLES = re.compile(r"\b(a|an|the)\b")
_PUNCT = str.maketrans("", "", string.punctuation + "“”‘’—–")


def answer_tokens(text: str) -> list[str]:
    """SQuAD-style normalisation: lower case, no punctuation or articles, split on spaces.

    Example::

        >>> answer_tokens("The KGB's figure: 780,000.")
        ['kgbs', 'figure', '780000']
    """
    text = _ARTICLES.sub(" ", text.lower().translate(_PUNCT))
    return text.split()


def token_f1(prediction: str, reference: str) -> float:
    """Bag-of-tokens F1 between an answer and the reference (both empty -> 1.0, one -> 0.0).

    Example::

        >>> round(token_f1("twenty million were killed", "about twenty million killed"), 3)
        0.75
        >>> token_f1("", "something")
        0.0
    """
    p, r = answer_tokens(prediction), answer_tokens(reference)
    if not p or not r:
        return 1.0 if not p and not r else 0.0
    common = sum((Counter(p) & Counter(r)).values())
    if not common:
        return 0.0
    precision, recall = common / len(p), common / len(r)
    return 2 * precision * recall / (precision + recall)


def cosine(u: Sequence[float], v: Sequence[float]) -> float:
    """Cosine similarity; a zero vector gives 0.0 (not NaN).

    Example::

        >>> round(cosine([1.0, 0.0], [1.0, 1.0]), 4), cosine([0.0, 0.0], [1.0, 0.0])
        (0.7071, 0.0)
    """
    dot = sum(a * b for a, b in zip(u, v, strict=True))
    nu = math.sqrt(sum(a * a for a in u))
    nv = math.sqrt(sum(b * b for b in v))
    return dot / (nu * nv) if nu and nv else 0.0


def embedding_similarity(prediction: str, reference: str, embedder) -> float:
    """Cosine of the injected embedder's vectors; an empty answer -> 0.0."""
    if not prediction.strip() or not reference.strip():
        return 0.0
    vecs = embedder.encode([prediction, reference])
    return float(cosine([float(x) for x in vecs[0]], [float(x) for x in vecs[1]]))


def mean_similarity(outcomes: Iterable[QuestionOutcome]) -> tuple[Ratio, Ratio]:
    """(mean embedding cosine, mean token F1) over answerable questions (refused ones score 0).

    Example::

        >>> qs = [QuestionOutcome("a", "factual", True, False, similarity=0.8, token_f1=0.5),
        ...       QuestionOutcome("b", "factual", True, True)]
        >>> [r.value for r in mean_similarity(qs)]
        [0.4, 0.25]
    """
    ans = [o for o in outcomes if o.answerable]
    return (
        ratio(sum(o.similarity for o in ans), len(ans), 0.0),
        ratio(sum(o.token_f1 for o in ans), len(ans), 0.0),
    )


# --- latency ----------------------------------------------------------------------------------------


PERCENTILE_METHOD = "linear"


@overload
def percentile(values: Iterable[float | None], p: float, *, empty: float = ...) -> float: ...
@overload
def percentile(values: Iterable[float | None], p: float, *, empty: None) -> float | None: ...
def percentile(
    values: Iterable[float | None], p: float, *, empty: float | None = 0.0
) -> float | None:
    """The ``p``-th percentile (0..100) of the finite ``values``; ``empty`` when there are none.

    The one percentile of eval/ (latencies of answers, retrieval, load and scale runs):
    ``numpy.percentile`` with ``method="linear"`` (:data:`PERCENTILE_METHOD`), i.e. linear
    interpolation between the closest ranks, position ``(n - 1) * p / 100`` of the sorted values.
    ``None`` and non-finite values are ignored. With no values it returns ``empty``: 0.0 (the
    vacuous latency of the reports) unless the caller asks for ``None``.

    Example::

        >>> percentile([1.0, 2.0, 3.0, 4.0], 50), percentile([0.0, 10.0], 95)
        (2.5, 9.5)
        >>> percentile([], 50), percentile([None, float("nan")], 50, empty=None)
        (0.0, None)
    """
    v = [x for x in values if x is not None and math.isfinite(x)]
    if not v:
        return empty
    return float(np.percentile(v, p, method=PERCENTILE_METHOD))


def latency(outcomes: Iterable[QuestionOutcome]) -> dict[str, float]:
    """p50/p95 of time to first token and total time; model load reported apart.

    ``load_s`` is the largest model-load time seen (it is paid once per process); the answer
    times exclude it where the pipeline reports it separately.

    Example::

        >>> qs = [QuestionOutcome(str(i), "factual", True, False, ttft_s=t, total_s=2 * t)
        ...       for i, t in enumerate([1.0, 2.0, 3.0])]
        >>> latency(qs)["total_p50_s"], latency(qs)["n"]
        (4.0, 3)
    """
    rows = list(outcomes)
    ttft = [o.ttft_s for o in rows if o.ttft_s is not None]
    total = [o.total_s for o in rows if o.total_s is not None]
    loads = [o.load_s for o in rows if o.load_s]
    return {
        "ttft_p50_s": round(percentile(ttft, 50), 6),
        "ttft_p95_s": round(percentile(ttft, 95), 6),
        "total_p50_s": round(percentile(total, 50), 6),
        "total_p95_s": round(percentile(total, 95), 6),
        "load_s": max(loads) if loads else 0.0,
        "n": len(total),
    }


def selection(outcomes: Sequence[QuestionOutcome]) -> dict[str, float]:
    """Shares of questions (where each applies) showing / leading with a gold sentence, with a
    matching short answer, and with a gold sentence in the selector's top 1/3/5.

    Example::

        >>> o = QuestionOutcome("q", "factual", True, False, gold_shown=True, gold_lead=False,
        ...                     short_match=True, selector_at={1: False, 3: True, 5: True})
        >>> selection([o])["gold_sentence_shown"], selection([o])["selector_gold_at_3"]
        (1.0, 1.0)
    """

    def share(values) -> float:
        vs = [bool(v) for v in values if v is not None]
        return round(sum(vs) / len(vs), 4) if vs else 0.0

    out = {
        "gold_sentence_shown": share(o.gold_shown for o in outcomes),
        "gold_sentence_lead": share(o.gold_lead for o in outcomes),
        "short_answer_match": share(o.short_match for o in outcomes),
    }
    for k in (1, 3, 5):
        out[f"selector_gold_at_{k}"] = share(
            o.selector_at.get(k) if o.selector_at else None for o in outcomes
        )
    return out


# --- all together -----------------------------------------------------------------------------------


def summarize(outcomes: Sequence[QuestionOutcome]) -> dict[str, float | int]:
    """Every headline metric of one mode, with the counts behind each ratio.

    Example::

        >>> summarize([])["faithfulness"], summarize([])["gold_citation_rate"]
        (1.0, 0.0)
    """
    f = faithfulness(outcomes)
    cr = citation_recall(outcomes)
    cp = citation_precision(outcomes)
    g = gold_citation_rate(outcomes)
    ap, ar = attribution(outcomes)
    qs_answers, qs_sentences = quoted_speaker_errors(outcomes)
    ru, fr = refusal_rates(outcomes)
    sim, f1 = mean_similarity(outcomes)
    lat = latency(outcomes)
    return {
        "faithfulness": f.value,
        "citation_recall": cr.value,
        "citation_precision": cp.value,
        "gold_citation_rate": g.value,
        "attribution_precision": ap.value,
        "attribution_recall": ar.value,
        "quoted_speaker_errors": qs_answers,
        "refusal_rate_unanswerable": ru.value,
        "false_refusal_rate": fr.value,
        "answer_similarity": sim.value,
        **selection(outcomes),
        "ttft_p50_s": lat["ttft_p50_s"],
        "total_p50_s": lat["total_p50_s"],
        "total_p95_s": lat["total_p95_s"],
        # extras
        "answer_token_f1": f1.value,
        "ttft_p95_s": lat["ttft_p95_s"],
        "load_s": lat["load_s"],
        "quoted_speaker_error_sentences": qs_sentences,
        "n_questions": len(outcomes),
        "n_verified_sentences": int(f.den),
        "n_shown_sentences": int(cr.den),
        "n_citations": int(cp.den),
        "n_answerable": int(g.den),
        "n_unanswerable": int(ru.den),
    }
