"""``attest train embedder``: adapt the bundled MiniLM embedder to this corpus's questions.

Questions are written in a reader's words, the essays in theirs; the adapted model learns to
bring them together. Pairs (question, gold passage) and (question, gold sentence) from the
training questions are fitted with in-batch negatives (the multiple-negatives ranking loss of
sentence-transformers: each question's own text must outscore every other in the batch), in a
small torch loop with a fixed seed. The weights are saved in half precision.
"""

from __future__ import annotations

import random
import time
from pathlib import Path

import numpy as np

SEED = 13


def embedder_pairs(questions, chunks) -> list[tuple[str, str]]:
    """(question, text) pairs: each gold chunk's indexed text and each gold sentence."""
    from eval.gold import overlaps_gold

    pairs: list[tuple[str, str]] = []
    for q in questions:
        if not q.answerable:
            continue
        quotes = [quote for _f, quote in q.evidence]
        for c in chunks:
            gold = [
                c.text[v.start : v.end]
                for v in c.sentences
                if overlaps_gold(c.text[v.start : v.end], quotes)
            ]
            if gold:
                pairs.append((q.question, c.indexed_text))
                pairs.extend((q.question, g) for g in gold)
    return pairs


def fit_embedder(
    pairs: list[tuple[str, str]],
    base: str,
    out: Path,
    *,
    epochs: int = 2,
    batch_size: int = 24,
    lr: float = 2e-5,
    scale: float = 20.0,
    log=print,
) -> float:
    """Fine-tune ``base`` on ``pairs`` with in-batch negatives; save to ``out``; seconds spent."""
    import torch
    from sentence_transformers import SentenceTransformer

    random.seed(SEED)
    np.random.seed(SEED)
    torch.manual_seed(SEED)
    started = time.perf_counter()
    model = SentenceTransformer(base, device="cpu")
    model.train()
    optim = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    steps = epochs * ((len(pairs) + batch_size - 1) // batch_size)
    step = 0

    def embed(texts: list[str]) -> torch.Tensor:
        features = model.tokenize(texts)
        out_ = model(features)["sentence_embedding"]
        return torch.nn.functional.normalize(out_, dim=-1)

    for epoch in range(epochs):
        order = list(range(len(pairs)))
        random.Random(SEED + epoch).shuffle(order)
        for b in range(0, len(order), batch_size):
            batch = [pairs[i] for i in order[b : b + batch_size]]
            qs = embed([q for q, _t in batch])
            ts = embed([t for _q, t in batch])
            scores = scale * qs @ ts.T
            # The same question may pair with several texts in a batch: all of them count as its
            # positives, so none is pushed away as a negative.
            same = torch.tensor([[a[0] == c[0] for c in batch] for a in batch])
            logits = scores.masked_fill(same & ~torch.eye(len(batch), dtype=torch.bool), -1e4)
            loss = torch.nn.functional.cross_entropy(logits, torch.arange(len(batch)))
            loss.backward()
            optim.step()
            optim.zero_grad()
            step += 1
            if step % 20 == 0:
                log(
                    f"  step {step}/{steps} loss {loss.item():.3f} ({time.perf_counter() - started:.0f} s)"
                )
    model.eval()
    model.half()
    model.save(str(out))
    return time.perf_counter() - started
