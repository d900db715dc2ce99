"""The answer-sentence ranker: a logistic model over :data:`rag.answer.features.FEATURES`.

Its weights are learned from the training questions (``attest train selector``) and shipped as
a small JSON file (``rag/answer/models/selector.json``): standardisation, one coefficient per
named feature, an intercept. The output is a calibrated probability that a sentence answers the
question, used to rank candidates and to abstain when even the best is unlikely.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from corpus.errors import AttestError
from rag.answer.features import FEATURES

DEFAULT_MODEL = Path(__file__).resolve().parent / "models" / "selector.json"


class RankerError(AttestError):
    """The ranker's weights are missing or do not match this version's features."""


@dataclass(frozen=True)
class LinearRanker:
    """``sigmoid(((x - mean) / scale) @ coef + intercept)`` per candidate row ``x``."""

    features: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float
    meta: dict

    def probabilities(self, x: np.ndarray) -> np.ndarray:
        """The probability that each row's sentence answers the question.

        Example::

            >>> r = LinearRanker(("a",), np.zeros(1), np.ones(1), np.array([2.0]), 0.0, {})
            >>> [round(float(p), 3) for p in r.probabilities(np.array([[0.0], [1.0]]))]
            [0.5, 0.881]
        """
        if not len(x):
            return np.zeros(0, dtype=np.float32)
        z = ((x - self.mean) / self.scale) @ self.coef + self.intercept
        return (1.0 / (1.0 + np.exp(-z))).astype(np.float32)

    def to_json(self) -> dict:
        return {
            "features": list(self.features),
            "mean": self.mean.tolist(),
            "scale": self.scale.tolist(),
            "coef": self.coef.tolist(),
            "intercept": float(self.intercept),
            "meta": self.meta,
        }


def ranker_from_json(data: dict, expected: tuple[str, ...] = FEATURES) -> LinearRanker:
    """A linear model from its JSON form; its features must be exactly ``expected``."""
    features = tuple(data.get("features", ()))
    if features != expected:
        raise RankerError(
            "the selector's weights were trained on other features; rebuild them with "
            "`attest train selector`"
        )
    return LinearRanker(
        features,
        np.asarray(data["mean"], dtype=np.float64),
        np.asarray(data["scale"], dtype=np.float64),
        np.asarray(data["coef"], dtype=np.float64),
        float(data["intercept"]),
        dict(data.get("meta", {})),
    )


@functools.lru_cache(maxsize=4)
def load_ranker(path: str | None = None) -> LinearRanker:
    """The shipped (or given) ranker, read once."""
    p = Path(path) if path else DEFAULT_MODEL
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise RankerError(f"no selector weights at {p}; run `attest train selector`") from exc
    except (OSError, ValueError) as exc:
        raise RankerError(f"cannot read selector weights {p} ({exc})") from exc
    return ranker_from_json(data)


def answerability_model(ranker: LinearRanker) -> LinearRanker | None:
    """The answerability model trained with the selector (None when its file has none)."""
    from rag.answer.abstain import ANSWERABILITY_FEATURES

    data = ranker.meta.get("abstain")
    if not data or "coef" not in data:
        return None
    return ranker_from_json(data, ANSWERABILITY_FEATURES)
