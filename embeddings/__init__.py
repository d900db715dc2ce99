"""Text embedders: the protocol, the sentence-transformers model and a fake for tests."""

from embeddings.base import Embedder, l2_normalise
from embeddings.factory import get_embedder
from embeddings.fake import FakeEmbedder

__all__ = ["Embedder", "FakeEmbedder", "get_embedder", "l2_normalise"]
