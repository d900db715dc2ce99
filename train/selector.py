"""``attest train selector``: fit the answer-sentence ranker on the training questions.

For each answerable training question: retrieve the top chunks as the pipeline does, take every
sentence as a candidate, label it gold when it overlaps the question's verbatim evidence, and
compute its features. A logistic regression (scikit-learn, standardised features, class
weights balanced, C chosen by question-grouped cross-validation on the training set only) is
fitted and saved as JSON. Dev questions are never used for fitting; their figures are reported.
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


@dataclass
class Group:
    """One question's candidates, features and gold labels."""

    qid: str
    kind: str
    question: str
    cands: list[Candidate]
    x: np.ndarray
    y: np.ndarray
    gold_authors: tuple[str, ...] = ()


def build_groups(questions, settings: Settings, *, index, embedder, log=print) -> list[Group]:
    """Candidates, features and labels for every answerable question."""
    from rag.answer.candidates import candidates
    from rag.answer.question import catalog_works, understand

    works = catalog_works(settings)
    groups: list[Group] = []
    started = time.perf_counter()
    for i, q in enumerate(questions):
        if not q.answerable:
            continue
        uq = understand(q.question, (), settings, works=works)
        hits = retrieve_candidates(uq, settings, index=index, embedder=embedder)
        cands = candidates(hits)
        x = candidate_features(
            uq.standalone, cands, embedder=embedder, index=index, asked_authors=uq.authors
        )
        quotes = [quote for _f, quote in q.evidence]
        y = np.array([overlaps_gold(c.text, quotes) for c in cands], dtype=np.int8)
        groups.append(Group(q.id, q.kind, uq.standalone, cands, x, y, tuple(q.authors)))
        if (i + 1) % 50 == 0:
            log(f"  {i + 1}/{len(questions)} questions ({time.perf_counter() - started:.0f} s)")
    return groups


def gold_at(groups: Sequence[Group], scores: Sequence[np.ndarray], k: int) -> float:
    """Share of questions whose top-``k`` candidates hold a gold sentence (all questions count,
    also those whose gold sentence was not retrieved).

    Example::

        >>> g = [Group("a", "factual", "q", [], np.zeros((2, 1)), np.array([0, 1]))]
        >>> gold_at(g, [np.array([0.9, 0.1])], 1), gold_at(g, [np.array([0.9, 0.1])], 2)
        (0.0, 1.0)
    """
    if not groups:
        return 0.0
    hit = 0
    for g, s in zip(groups, scores, strict=True):
        order = np.argsort(-np.asarray(s), kind="stable")[:k]
        hit += bool(g.y[order].any())
    return hit / len(groups)


def _fit(x: np.ndarray, y: np.ndarray, c: float):
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    scaler = StandardScaler().fit(x)
    model = LogisticRegression(C=c, class_weight="balanced", max_iter=2000, random_state=SEED)
    model.fit(scaler.transform(x), y)
    return scaler, model


def _to_ranker(scaler, model, meta: dict) -> LinearRanker:
    scale = np.where(scaler.scale_ > 0, scaler.scale_, 1.0)
    return LinearRanker(
        FEATURES, scaler.mean_, scale, model.coef_[0], float(model.intercept_[0]), meta
    )


def cross_validate(groups: Sequence[Group], c: float, folds: int = 5) -> float:
    """Mean gold@1 over question-grouped folds of the training set."""
    rng = np.random.default_rng(SEED)
    order = rng.permutation(len(groups))
    per_fold = []
    for f in range(folds):
        test = [groups[i] for i in order[f::folds]]
        fit = [groups[i] for i in order if i not in set(order[f::folds])]
        x = np.concatenate([g.x for g in fit])
        y = np.concatenate([g.y for g in fit])
        if y.min() == y.max():
            continue
        scaler, model = _fit(x, y, c)
        ranker = _to_ranker(scaler, model, {})
        per_fold.append(gold_at(test, [ranker.probabilities(g.x) for g in test], 1))
    return float(np.mean(per_fold)) if per_fold else 0.0


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
    """Fit, report and save the ranker; returns the figures it printed."""
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
    x = np.concatenate([g.x for g in train])
    y = np.concatenate([g.y for g in train])
    scaler, model = _fit(x, y, best_c)
    figures = {
        "train_questions": len(train),
        "dev_questions": len(dev),
        "candidates_per_question": round(float(np.mean([len(g.cands) for g in train])), 1),
        "gold_retrieved_train": round(float(np.mean([g.y.any() for g in train])), 3),
        "gold_retrieved_dev": round(float(np.mean([g.y.any() for g in dev])), 3),
        "cv_gold_at_1": {str(c): round(v, 3) for c, v in cv.items()},
        "C": best_c,
        "seed": SEED,
    }
    ranker = _to_ranker(scaler, model, figures)
    for name, groups in (("train", train), ("dev", dev)):
        scores = [ranker.probabilities(g.x) for g in groups]
        for k in (1, 3, 5):
            figures[f"{name}_gold_at_{k}"] = round(gold_at(groups, scores, k), 3)
    rows = abstention_inputs(train_questions, ranker, s, index=index, embedder=embedder)
    min_score, rates = calibrate_min_score(rows)
    figures["min_score"] = min_score
    figures["train_abstention"] = rates
    figures["seconds"] = round(time.perf_counter() - t0, 1)
    ranker = _to_ranker(scaler, model, figures)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(ranker.to_json(), indent=1) + "\n", encoding="utf-8")
    log(json.dumps(figures, indent=1))
    log(
        "weights: " + ", ".join(f"{f}={w:+.2f}" for f, w in zip(FEATURES, ranker.coef, strict=True))
    )
    return figures


# --- abstention threshold -------------------------------------------------------------------

# Answerable training questions the threshold may refuse (the target false-refusal rate).
FALSE_REFUSAL_BUDGET = 0.03


def abstention_inputs(questions, ranker: LinearRanker, settings: Settings, *, index, embedder):
    """Per training question: (answerable, refused by the other rules, best sentence's score)."""
    from rag.answer.abstain import evidence_strength, missing_fact, routing_words
    from rag.answer.candidates import candidates
    from rag.answer.question import catalog_works, understand
    from rag.answer.select import candidate_features, retrieve_candidates

    works = catalog_works(settings)
    rows = []
    for q in questions:
        uq = understand(q.question, (), settings, works=works)
        hits = retrieve_candidates(uq, settings, index=index, embedder=embedder)
        cands = candidates(hits)
        x = candidate_features(
            uq.standalone, cands, embedder=embedder, index=index, asked_authors=uq.authors
        )
        probs = ranker.probabilities(x)
        order = np.argsort(-probs, kind="stable")
        ranked = [type("R", (), {"candidate": cands[i], "score": float(probs[i])})() for i in order]
        strength = evidence_strength(
            uq.standalone, hits, index=index, ignore_words=routing_words(uq, works)
        )
        other = strength.score < settings.abstain_threshold or missing_fact(uq.standalone, ranked)
        rows.append((q.answerable, other, float(probs.max()) if len(probs) else 0.0))
    return rows


def calibrate_min_score(rows, budget: float = FALSE_REFUSAL_BUDGET) -> tuple[float, dict]:
    """The highest threshold on the best sentence's score that refuses at most ``budget`` of
    the answerable questions (counting those the other rules already refuse), and its rates.

    Example::

        >>> rows = [(True, False, 0.9), (True, False, 0.8), (False, False, 0.3), (False, True, 0.7)]
        >>> calibrate_min_score(rows, 0.0)[0]
        0.8
    """
    answerable = [r for r in rows if r[0]]
    unanswerable = [r for r in rows if not r[0]]
    best = (0.0, {})
    for t in sorted({round(s, 4) for _a, _o, s in rows} | {0.0}):
        false = sum(1 for _a, other, s in answerable if other or s < t) / max(1, len(answerable))
        if false > budget:
            break
        refused = sum(1 for _a, other, s in unanswerable if other or s < t) / max(
            1, len(unanswerable)
        )
        best = (t, {"false_refusal": round(false, 3), "refusal_unanswerable": round(refused, 3)})
    return best
