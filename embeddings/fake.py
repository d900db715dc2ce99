"""A deterministic embedder for tests: no model, no torch, similar texts get similar vectors."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

import numpy as np

from embeddings.base import l2_normalise

_TOKEN = re.compile(r"[a-z0-9]+")


def _token_vector(token: str, dim: int) -> np.ndarray:
    # Seeded by a stable hash (not Python's randomised hash()) so vectors survive restarts.
    seed = int.from_bytes(hashlib.blake2b(token.encode("utf-8"), digest_size=8).digest(), "little")
    return np.random.default_rng(seed).standard_normal(dim).astype(np.float32)


class FakeEmbedder:
    """Bag-of-words embedding: the sum of one pseudo-random vector per (lower-cased) word.

    Texts sharing words point in similar directions, which is enough for retrieval tests.

    Example::

        >>> e = FakeEmbedder(dim=32)
        >>> v = e.encode(["the purges of 1937", "purges in 1937", "collective farms"])
        >>> bool(v[0] @ v[1] > v[0] @ v[2])
        True
    """

    def __init__(self, dim: int = 64, name: str = "fake-bow") -> None:
        self.dim = dim
        self.name = f"{name}-{dim}"
        self._cache: dict[str, np.ndarray] = {}

    def _vec(self, token: str) -> np.ndarray:
        v = self._cache.get(token)
        if v is None:
            v = self._cache[token] = _token_vector(token, self.dim)
        return v

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            for token in _TOKEN.findall(text.lower()):
                out[i] += self._vec(token)
        return l2_normalise(out) if len(texts) else out
