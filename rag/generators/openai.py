"""Any OpenAI-compatible chat-completions server (vLLM, llama.cpp server, Ollama, OpenAI).

Uses the official ``openai`` SDK (install the ``openai`` extra). A streamed error event, a
dropped connection or a server error raises :class:`GeneratorError`: a draft is never silently
truncated. The stop event and ``generation_timeout_s`` end the stream early.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

from corpus.settings import Settings, get_settings
from rag.generators.base import GeneratorError


def _client(s: Settings):
    try:
        from openai import OpenAI
    except ImportError as exc:  # the extra is optional
        raise GeneratorError(
            "generator_backend='openai' needs the openai package: pip install 'attest[openai]'"
        ) from exc
    return OpenAI(
        base_url=s.openai_base_url,
        api_key=s.openai_api_key.get_secret_value() or "not-needed",
        timeout=s.generation_timeout_s,
        max_retries=0,
    )


class OpenAIGenerator:
    """Streams chat completions from an OpenAI-compatible server."""

    def __init__(self, settings: Settings | None = None, client=None) -> None:
        self.settings = get_settings(settings)
        self.name = f"{self.settings.generator_model} @ {self.settings.openai_base_url}"
        self.loaded = True
        self.load_s: float | None = 0.0
        self._client = client

    def stream(
        self,
        messages: list[dict],
        max_new_tokens: int,
        stop_event: threading.Event | None = None,
    ) -> Iterator[str]:
        import httpx
        import openai

        s = self.settings
        client = self._client or _client(s)
        deadline = time.monotonic() + s.generation_timeout_s
        where = s.openai_base_url
        try:
            stream = client.chat.completions.create(
                model=s.generator_model,
                messages=messages,
                max_tokens=max_new_tokens,
                temperature=s.temperature,
                stream=True,
            )
            finished = halted = False
            with stream:
                for chunk in stream:
                    if (stop_event is not None and stop_event.is_set()) or (
                        time.monotonic() > deadline
                    ):
                        halted = True
                        break
                    choice = chunk.choices[0] if chunk.choices else None
                    if choice is not None and choice.delta and choice.delta.content:
                        yield choice.delta.content
                    finished = finished or bool(choice is not None and choice.finish_reason)
            if not (finished or halted):
                raise GeneratorError(
                    f"the stream from {where} ended before the model finished (connection "
                    "dropped?); the draft is incomplete"
                )
        except openai.APIStatusError as exc:
            raise GeneratorError(
                f"the generator server at {where} answered {exc.status_code}: "
                f"{str(exc.message)[:200]}; check openai_base_url and generator_model"
            ) from exc
        except (openai.APIConnectionError, openai.APITimeoutError, httpx.TransportError) as exc:
            raise GeneratorError(
                f"cannot reach the generator server at {where} ({exc}); start it, fix "
                "openai_base_url, or set generator_backend='extractive'"
            ) from exc
        except openai.APIError as exc:
            # An error event inside the stream ("data: {"error": ...}").
            raise GeneratorError(f"the generator server at {where} reported: {exc}") from exc
