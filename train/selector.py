"""``attest train selector``: fit the answer-sentence ranker and the answerability model.

For every training question: retrieve the candidate chunks as the pipeline does, take every
sentence as a candidate, label it gold when it overlaps the question's verbatim evidence (an
unanswerable question's candidates are all negatives), and compute its features. A logistic
regression (scikit-learn; standardised features, balanced class weights, C chosen by
question-grouped cross-validation on the training set) ranks the sentences. A second small
logistic model, over the evidence strength and the ranker's confidence, learns which questions
the essays answer; its threshold keeps false refusals on the training questions at most 3%.
Both are saved as JSON. Dev questions are never fitted on; their figures are reported.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from corpus.settings import Settings, get_settings
from eval.gold import overlaps_gold
from rag.answer.candidates import Candidate
from rag.answer.features import FEATURES
from rag.answer.ranker import DEFAULT_MODEL, LinearRanker
from rag.answer.select import candidate_features, retrieve_candidates

SEED = 13
# Answerable training questions (among those the hard rules let through) the answerability
# threshold may refuse.
FALSE_REFUSAL_BUDGET = 0.03


@dataclass
class Group:
    """One question's candidates, features and gold labels, and its evidence signals."""

    qid: str
    kind: str
    question: str
    cands: list[Candidate]
    x: np.ndarray
    y: np.ndarray
    answerable: bool = True
    strength: float = 0.0
    rule_refuses: bool = False  # refused by the hard rules (unknown name, missing fact)


def build_groups(questions, settings: Settings, *, index, embedder, log=print) -> list[Group]:
    """Candidates, features, labels and evidence signals for every question."""
    from rag.answer.abstain import evidence_strength, routing_words
    from rag.answer.candidates import candidates
    from rag.answer.question import catalog_works, understand

    works = catalog_works(settings)
    groups: list[Group] = []
    started = time.perf_counter()
    for i, q in enumerate(questions):
        uq = understand(q.question, (), settings, works=works)
        hits = retrieve_candidates(uq, settings, index=index, embedder=embedder)
        cands = candidates(hits)
        x = candidate_features(
            uq.standalone, cands, embedder=embedder, index=index, asked_authors=uq.authors
        )
        quotes = [quote for _f, quote in q.evidence]
        y = np.array([overlaps_gold(c.text, quotes) for c in cands], dtype=np.int8)
        ignore = routing_words(uq, works)
        strength = evidence_strength(uq.standalone, hits, index=index, ignore_words=ignore).score
        groups.append(Group(q.id, q.kind, uq.standalone, cands, x, y, q.answerable, strength))
        if (i + 1) % 50 == 0:
            log(f"  {i + 1}/{len(questions)} questions ({time.perf_counter() - started:.0f} s)")
    return groups


def gold_at(groups: Sequence[Group], scores: Sequence[np.ndarray], k: int) -> float:
    """Share of questions whose top-``k`` candidates hold a gold sentence (every answerable
    question counts, also one whose gold sentence was not retrieved).

    Example::

        >>> g = [Group("a", "factual", "q", [], np.zeros((2, 1)), np.array([0, 1]))]
        >>> gold_at(g, [np.array([0.9, 0.1])], 1), gold_at(g, [np.array([0.9, 0.1])], 2)
        (0.0, 1.0)
    """
    pairs = [(g, s) for g, s in zip(groups, scores, strict=True) if g.answerable]
    if not pairs:
        return 0.0
    hit = sum(bool(g.y[np.argsort(-np.asarray(s), kind="stable")[:k]].any()) for g, s in pairs)
    return hit / len(pairs)


def _fit(x: np.ndarray, y: np.ndarray, c: float) -> LinearRanker:
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    scaler = StandardScaler().fit(x)
    model = LogisticRegression(C=c, class_weight="balanced", max_iter=2000, random_state=SEED)
    model.fit(scaler.transform(x), y)
    scale = np.where(scaler.scale_ > 0, scaler.scale_, 1.0)
    names = FEATURES if x.shape[1] == len(FEATURES) else tuple(f"f{i}" for i in range(x.shape[1]))
    return LinearRanker(names, scaler.mean_, scale, model.coef_[0], float(model.intercept_[0]), {})


def cross_validate(groups: Sequence[Group], c: float, folds: int = 5) -> float:
    """Mean gold@1 over question-grouped folds of the training set."""
    order = np.random.default_rng(SEED).permutation(len(groups))
    per_fold = []
    for f in range(folds):
        held = set(order[f::folds].tolist())
        test = [groups[i] for i in sorted(held)]
        fit = [groups[i] for i in order if i not in held]
        y = np.concatenate([g.y for g in fit])
        if y.min() == y.max():
            continue
        ranker = _fit(np.concatenate([g.x for g in fit]), y, c)
        per_fold.append(gold_at(test, [ranker.probabilities(g.x) for g in test], 1))
    return float(np.mean(per_fold)) if per_fold else 0.0


def _ranked(group: Group, ranker: LinearRanker):
    from rag.answer.select import Ranked

    probs = ranker.probabilities(group.x)
    order = np.argsort(-probs, kind="stable")
    return [Ranked(group.cands[i], float(probs[i]), group.x[i]) for i in order]


def fit_answerability(groups: Sequence[Group], ranker: LinearRanker, index, settings: Settings):
    """The answerability model and its threshold (false refusals on training questions at most
    :data:`FALSE_REFUSAL_BUDGET`, counting the hard rules' refusals)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    from rag.answer.abstain import ANSWERABILITY_FEATURES, answerability_row, missing_fact

    rows, labels, rules = [], [], []
    for g in groups:
        ranked = _ranked(g, ranker)
        rows.append(answerability_row(g.question, g.strength, ranked, index))
        labels.append(int(g.answerable))
        rules.append(g.strength <= settings.abstain_threshold or missing_fact(g.question, ranked))
    x, y = np.asarray(rows, dtype=np.float64), np.asarray(labels)
    scaler = StandardScaler().fit(x)
    lr = LogisticRegression(class_weight="balanced", max_iter=2000, random_state=SEED)
    lr.fit(scaler.transform(x), y)
    scale = np.where(scaler.scale_ > 0, scaler.scale_, 1.0)
    model = LinearRanker(
        ANSWERABILITY_FEATURES, scaler.mean_, scale, lr.coef_[0], float(lr.intercept_[0]), {}
    )
    p = model.probabilities(x)
    threshold, rates = calibrate_threshold(list(zip(y.astype(bool), rules, p, strict=True)))
    data = model.to_json()
    data["threshold"] = threshold
    data["train_rates"] = rates
    return data


def calibrate_threshold(rows, budget: float = FALSE_REFUSAL_BUDGET) -> tuple[float, dict]:
    """The highest threshold on the answerability probability that refuses at most ``budget``
    of the answerable questions the hard rules let through, with the resulting rates (the hard
    rules' own refusals included).

    Example::

        >>> rows = [(True, False, 0.9), (True, False, 0.8), (False, False, 0.3), (False, True, 0.7)]
        >>> calibrate_threshold(rows, 0.0)
        (0.8, {'false_refusal': 0.0, 'refusal_unanswerable': 1.0, 'rules_false_refusal': 0.0})
    """
    answerable = [r for r in rows if r[0]]
    unanswerable = [r for r in rows if not r[0]]
    passed = [s for _a, rule, s in answerable if not rule]
    rules_false = round(sum(1 for _a, rule, _s in answerable if rule) / max(1, len(answerable)), 3)
    best = 0.0
    for t in sorted({round(float(s), 4) for _a, _o, s in rows} | {0.0}):
        if sum(1 for s in passed if s < t) / max(1, len(passed)) > budget:
            break
        best = t
    false = sum(1 for _a, rule, s in answerable if rule or s < best) / max(1, len(answerable))
    refused = sum(1 for _a, rule, s in unanswerable if rule or s < best) / max(1, len(unanswerable))
    return best, {
        "false_refusal": round(false, 3),
        "refusal_unanswerable": round(refused, 3),
        "rules_false_refusal": rules_false,
    }


def train_selector(
    train_questions,
    dev_questions,
    settings: Settings | None = None,
    *,
    out: Path = DEFAULT_MODEL,
    index=None,
    embedder=None,
    log=print,
) -> dict:
    """Fit, report and save the ranker and the answerability model; returns the figures."""
    from embeddings.factory import get_embedder
    from rag.retrieval.store import get_index

    s = get_settings(settings)
    embedder = embedder or get_embedder(s)
    index = index or get_index(s, embedder)
    t0 = time.perf_counter()
    log(f"features for {len(train_questions)} training questions…")
    train = build_groups(train_questions, s, index=index, embedder=embedder, log=log)
    dev = build_groups(dev_questions, s, index=index, embedder=embedder, log=log)
    grid = (0.03, 0.1, 0.3, 1.0, 3.0)
    cv = {c: cross_validate(train, c) for c in grid}
    best_c = max(grid, key=lambda c: (cv[c], -c))
    ranker = _fit(
        np.concatenate([g.x for g in train]), np.concatenate([g.y for g in train]), best_c
    )
    answerable = [g for g in train if g.answerable]
    figures: dict = {
        "train_questions": len(train),
        "train_answerable": len(answerable),
        "dev_questions": len(dev),
        "candidates_per_question": round(float(np.mean([len(g.cands) for g in train])), 1),
        "gold_retrieved_train": round(float(np.mean([g.y.any() for g in answerable])), 3),
        "gold_retrieved_dev": round(float(np.mean([g.y.any() for g in dev if g.answerable])), 3),
        "cv_gold_at_1": {str(c): round(v, 3) for c, v in cv.items()},
        "C": best_c,
        "seed": SEED,
    }
    for name, groups in (("train", train), ("dev", dev)):
        scores = [ranker.probabilities(g.x) for g in groups]
        for k in (1, 3, 5):
            figures[f"{name}_gold_at_{k}"] = round(gold_at(groups, scores, k), 3)
    abstain = fit_answerability(train, ranker, index, s)
    figures["abstain_threshold"] = abstain["threshold"]
    figures["train_abstention"] = abstain["train_rates"]
    figures["seconds"] = round(time.perf_counter() - t0, 1)
    ranker = LinearRanker(
        ranker.features, ranker.mean, ranker.scale, ranker.coef, ranker.intercept,
        {**figures, "abstain": abstain},
    )  # fmt: skip
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(ranker.to_json(), indent=1) + "\n", encoding="utf-8")
    log(json.dumps(figures, indent=1))
    log(
        "weights: " + ", ".join(f"{f}={w:+.2f}" for f, w in zip(FEATURES, ranker.coef, strict=True))
    )
    return figures
