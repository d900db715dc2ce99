"""The local transformers generator's error paths, with a fake model (no weights loaded).

The generator streams from a worker thread; when the model fails there, the failure must reach
the caller as a GeneratorError (with the model's error as its cause), after whatever text was
already streamed, and the worker must be gone. A model that cannot be loaded is a GeneratorError
that says what to set.
"""

from __future__ import annotations

import threading

import pytest

from corpus.settings import get_settings
from rag.generators.base import GeneratorError

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

WORDS = ["The", "bureaucracy", "grew", "because", "the", "revolution", "remained", "isolated."]


class FakeTokenizer:
    pad_token_id = 0
    eos_token_id = 0

    def apply_chat_template(self, messages, **kwargs):
        return transformers.BatchEncoding({"input_ids": torch.tensor([[1, 2, 3]])})

    def decode(self, ids, **kwargs):
        return "".join(WORDS[i % len(WORDS)] + " " for i in ids)

    # What the writer's quote constraint needs of a tokenizer.
    def __len__(self):
        return len(WORDS)

    def encode(self, text, **kwargs):
        return [WORDS.index(w) if w in WORDS else 0 for w in text.split()]


class FakeModel:
    """``generate`` streams the prompt, then ``good`` words, then raises ``error``."""

    device = "cpu"

    def __init__(self, good: int, error: BaseException) -> None:
        self.good = good
        self.error = error

    def generate(self, input_ids, streamer, stopping_criteria, **kwargs):
        streamer.put(input_ids)  # what transformers does first (skipped as the prompt)
        for i in range(self.good):
            streamer.put(torch.tensor([i]))
        raise self.error


@pytest.fixture
def make_generator(settings, monkeypatch):
    import rag.generators.local as local

    def make(good: int, error: BaseException):
        model = FakeModel(good, error)
        monkeypatch.setattr(local, "_load_transformers", lambda *key: (FakeTokenizer(), model, 0.0))
        # With the writer adapter on (the default), the same fake model reads and writes.
        monkeypatch.setattr(
            local, "_load_writer", lambda *key: (FakeTokenizer(), model, model, 0.0)
        )
        return local.TransformersGenerator(get_settings(settings, generator_backend="transformers"))

    return make


def _workers() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "attest-generate" and t.is_alive()]


MESSAGES = [{"role": "user", "content": "Why did the bureaucracy grow?"}]


def test_model_failure_at_once_is_a_generator_error(make_generator):
    gen = make_generator(0, RuntimeError("out of memory"))
    pieces = []
    with pytest.raises(GeneratorError, match="generation failed: out of memory") as err:
        pieces.extend(gen.stream(MESSAGES, 20))
    assert pieces == [] or "".join(pieces).strip() == ""
    assert isinstance(err.value.__cause__, RuntimeError)
    assert _workers() == []


def test_model_failure_mid_stream_keeps_what_was_streamed_then_raises(make_generator):
    gen = make_generator(4, ValueError("bad logits"))
    pieces = []
    with pytest.raises(GeneratorError, match="bad logits"):
        pieces.extend(gen.stream(MESSAGES, 20))
    assert "".join(pieces).split() == WORDS[:4]  # all the model wrote before failing
    assert _workers() == []


def test_the_pipeline_answers_with_quotes_when_the_worker_fails(make_generator, settings, tmp_path):
    from corpus.testing import write_tiny_corpus
    from embeddings.fake import FakeEmbedder
    from rag.answer.pipeline import answer
    from rag.retrieval.store import ensure_index

    s = get_settings(settings, corpus_dir=write_tiny_corpus(tmp_path / "corpus"))
    emb = FakeEmbedder(dim=32)
    index = ensure_index(s, embedder=emb, log=lambda _m: None)
    gen = make_generator(2, RuntimeError("the worker died"))
    a = answer("Why did the bureaucracy grow, according to Sample?", (), s, index=index,
               embedder=emb, generator=gen)  # fmt: skip
    assert not a.abstained and a.sentences and all(x.supported for x in a.sentences)
    assert "the worker died" in (a.message or "")


def test_a_model_that_cannot_be_loaded_says_what_to_set(settings, tmp_path):
    from rag.generators.local import TransformersGenerator

    empty = tmp_path / "no-model-here"
    empty.mkdir()
    gen = TransformersGenerator(get_settings(settings, generator_model=str(empty)))
    with pytest.raises(GeneratorError, match="cannot load generator model") as err:
        list(gen.stream(MESSAGES, 5))
    assert "generator_backend='extractive'" in str(err.value)
