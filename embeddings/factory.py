"""One embedder per (model, device) for the whole process."""

from __future__ import annotations

import functools

from corpus.settings import Settings, get_settings
from embeddings.base import Embedder


@functools.lru_cache(maxsize=4)
def _cached(model: str, device: str, batch_size: int, torch_threads: int) -> Embedder:
    from embeddings.sentence_transformer import SentenceTransformerEmbedder

    return SentenceTransformerEmbedder(
        model, device=device, batch_size=batch_size, torch_threads=torch_threads
    )


def get_embedder(settings: Settings | None = None) -> Embedder:
    """The configured embedder, created once per (model, device); the model loads lazily.

    Example::

        >>> from corpus.settings import get_settings
        >>> get_embedder(get_settings()) is get_embedder(get_settings())
        True
    """
    s = get_settings(settings)
    return _cached(s.embedding_model, s.embedding_device, s.embedding_batch_size, s.torch_threads)
