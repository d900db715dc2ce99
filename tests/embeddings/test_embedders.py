from __future__ import annotations

import numpy as np
import pytest

from corpus.settings import get_settings
from embeddings import Embedder, FakeEmbedder, get_embedder, l2_normalise
from embeddings.sentence_transformer import SentenceTransformerEmbedder, resolve_model


def test_fake_is_deterministic_normalised_and_similarity_aware() -> None:
    a, b = FakeEmbedder(dim=48), FakeEmbedder(dim=48)
    texts = ["the purges of 1937", "purges in 1937", "collective farms of peasants", ""]
    va, vb = a.encode(texts), b.encode(texts)
    assert va.dtype == np.float32 and va.shape == (4, 48)
    np.testing.assert_array_equal(va, vb)  # same across instances (stable hash seeds)
    np.testing.assert_allclose(np.linalg.norm(va[:3], axis=1), 1.0, rtol=1e-5)
    assert va[0] @ va[1] > va[0] @ va[2]
    assert not va[3].any()  # no words: zero vector, not NaN
    assert isinstance(a, Embedder)
    assert a.encode([]).shape == (0, 48)


@pytest.mark.parametrize("text", ["", "Сталин и партия", "x" * 100_000])
def test_fake_edge_texts(text: str) -> None:
    v = FakeEmbedder(dim=8).encode([text])
    assert v.shape == (1, 8) and np.isfinite(v).all()


def test_l2_normalise() -> None:
    v = l2_normalise(np.array([[3.0, 4.0], [0.0, 0.0]]))
    assert v.dtype == np.float32 and v.flags["C_CONTIGUOUS"]
    np.testing.assert_allclose(v[0], [0.6, 0.8], rtol=1e-6)


def test_factory_caches_per_model_and_loads_lazily() -> None:
    s = get_settings(None)
    e = get_embedder(s)
    assert e is get_embedder(s)
    assert isinstance(e, SentenceTransformerEmbedder) and e._model is None  # nothing loaded yet
    other = get_embedder(get_settings(None, embedding_model="some/other-model"))
    assert other is not e and other.name == "some/other-model"
    assert resolve_model("some/other-model") == "some/other-model"


@pytest.mark.slow
def test_bundled_model_encodes_offline() -> None:
    e = SentenceTransformerEmbedder(torch_threads=2)
    v = e.encode(["Stalin's revolution from above", "Stalin's revolution from above.", "grain"])
    assert v.shape == (3, e.dim) and e.dim == 384 and v.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(v, axis=1), 1.0, rtol=1e-4)
    assert v[0] @ v[1] > 0.9 > v[0] @ v[2]
    assert e.name == "all-MiniLM-L6-v2"


def test_dimension_is_read_from_disk_without_loading_weights() -> None:
    from embeddings.sentence_transformer import SentenceTransformerEmbedder

    emb = SentenceTransformerEmbedder()
    assert emb.dim == 384
    assert emb._model is None  # checking a current index must not pay the model load


def test_dimension_from_disk_distrusts_size_changing_modules(tmp_path) -> None:
    import json

    from embeddings.sentence_transformer import _dim_from_disk

    modules = [
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {
            "idx": 1,
            "name": "1",
            "path": "1_Pooling",
            "type": "sentence_transformers.models.Pooling",
        },
    ]
    (tmp_path / "1_Pooling").mkdir()
    (tmp_path / "1_Pooling" / "config.json").write_text(
        json.dumps({"word_embedding_dimension": 768})
    )
    (tmp_path / "modules.json").write_text(json.dumps(modules))
    assert _dim_from_disk(str(tmp_path)) == 768
    modules.append(
        {"idx": 2, "name": "2", "path": "2_Dense", "type": "sentence_transformers.models.Dense"}
    )
    (tmp_path / "modules.json").write_text(json.dumps(modules))
    assert _dim_from_disk(str(tmp_path)) is None
    assert _dim_from_disk(str(tmp_path / "missing")) is None
