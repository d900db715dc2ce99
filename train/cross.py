"""``attest train cross-encoder``: fine-tune the bundled MiniLM as a cross-encoder that reads a
(question, sentence) pair and scores whether the sentence answers the question.

The pairs come from the training questions' candidates (:func:`train.selector.build_groups`):
every gold sentence, and the non-gold candidates the linear selector ranks highest (hard
negatives). A small torch loop trains it (fixed seed); the weights are saved in half precision.
"""

from __future__ import annotations

import random
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

NEGATIVES_PER_QUESTION = 12
SEED = 13


def training_pairs(groups, scores: Sequence[np.ndarray], negatives: int = NEGATIVES_PER_QUESTION):
    """(question, sentence, label) triples: all gold candidates and the top-scored others."""
    pairs: list[tuple[str, str, float]] = []
    for g, s in zip(groups, scores, strict=True):
        if not g.y.any():
            continue
        order = np.argsort(-np.asarray(s), kind="stable")
        neg = [i for i in order if not g.y[i]][:negatives]
        for i in [*np.flatnonzero(g.y).tolist(), *neg]:
            pairs.append((g.question, g.cands[i].text, float(g.y[i])))
    return pairs


def fit_cross_encoder(
    pairs: list[tuple[str, str, float]],
    base: str,
    out: Path,
    *,
    epochs: int = 2,
    batch_size: int = 16,
    lr: float = 4e-5,
    max_length: int = 160,
    log=print,
) -> float:
    """Train and save; returns seconds spent."""
    import torch
    from sentence_transformers import CrossEncoder

    random.seed(SEED)
    np.random.seed(SEED)
    torch.manual_seed(SEED)
    started = time.perf_counter()
    ce = CrossEncoder(base, num_labels=1, max_length=max_length, device="cpu")
    model, tok = ce.model, ce.tokenizer
    model.train()
    optim = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    steps = epochs * ((len(pairs) + batch_size - 1) // batch_size)
    sched = torch.optim.lr_scheduler.LambdaLR(
        optim, lambda step: min(1.0, (step + 1) / max(1, steps // 10)) * max(0.0, 1 - step / steps)
    )
    pos = sum(p[2] for p in pairs)
    loss_fn = torch.nn.BCEWithLogitsLoss(pos_weight=torch.tensor((len(pairs) - pos) / max(pos, 1)))
    step = 0
    for epoch in range(epochs):
        order = list(range(len(pairs)))
        random.Random(SEED + epoch).shuffle(order)
        for b in range(0, len(order), batch_size):
            batch = [pairs[i] for i in order[b : b + batch_size]]
            enc = tok(
                [q for q, _s, _y in batch],
                [s for _q, s, _y in batch],
                truncation=True,
                max_length=max_length,
                padding=True,
                return_tensors="pt",
            )
            logits = model(**enc).logits.view(-1)
            loss = loss_fn(logits, torch.tensor([y for _q, _s, y in batch]))
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optim.step()
            sched.step()
            optim.zero_grad()
            step += 1
            if step % 50 == 0:
                log(
                    f"  step {step}/{steps} loss {loss.item():.3f} ({time.perf_counter() - started:.0f} s)"
                )
    model.eval()
    model.half()  # weights ship in half precision (small); loading casts them back
    ce.save(str(out))
    return time.perf_counter() - started


def cross_scores(model_dir: str, groups, batch_size: int = 64) -> list[np.ndarray]:
    """The cross-encoder's logit for every candidate of every group."""
    import torch
    from sentence_transformers import CrossEncoder

    ce = CrossEncoder(
        model_dir, num_labels=1, device="cpu", model_kwargs={"torch_dtype": torch.float32}
    )
    out = []
    for g in groups:
        pairs = [(g.question, c.text) for c in g.cands]
        out.append(
            np.asarray(
                ce.predict(pairs, batch_size=batch_size, activation_fn=torch.nn.Identity()),
                dtype=np.float32,
            )
            if pairs
            else np.zeros(0, dtype=np.float32)
        )
    return out
