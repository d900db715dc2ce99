"""The optional NLI check: a cross-encoder's entailment probability (off by default).

With the setting ``judge_nli_model`` naming a cross-encoder (an id or a local path; no weights
are bundled), a sentence the rules accept must also reach ``judge_nli_threshold``. The model is
loaded lazily, once per (model, threads), and only when a verdict needs it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

NliScorer = Callable[[str, str], float]


@functools.lru_cache(maxsize=2)
def nli_scorer(model: str | None, threads: int) -> NliScorer | None:
    """A cached ``(premise, hypothesis) -> P(entailment)`` from a cross-encoder, or ``None``.

    Example::

        >>> nli_scorer(None, 1) is None
        True
    """
    if not model:
        return None
    import torch
    from sentence_transformers import CrossEncoder

    torch.set_num_threads(threads)
    enc = CrossEncoder(model, device="cpu")
    labels = {v.lower(): k for k, v in getattr(enc.model.config, "id2label", {}).items()}
    idx = labels.get("entailment", 1)

    def score(premise: str, hypothesis: str) -> float:
        logits = enc.predict([(premise, hypothesis)], apply_softmax=True)
        return float(logits[0][idx])

    return score
