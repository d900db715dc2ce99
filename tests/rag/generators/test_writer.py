"""The writer adapter's wiring: its prompt format and constraints reach a generator that says
it is the writer, the setting turns it off, other models ignore it, and the shipped adapter is
small and packaged."""

from __future__ import annotations

import json
import tomllib

from corpus.settings import PROJECT_ROOT, get_settings
from embeddings.fake import FakeEmbedder
from rag.answer.select import select_evidence
from rag.answer.write import (
    SYSTEM_PROMPT,
    WRITER_SYSTEM_PROMPT,
    build_messages,
    stream_draft,
    writer_messages,
)
from rag.generators.fake import FakeGenerator
from rag.generators.local import ADAPTER_DIR, TransformersGenerator, adapter_available
from rag.retrieval.chunking import Chunk
from rag.retrieval.search import Hit

TEXT = (
    "The purges were the final revenge of the bourgeoisie on the revolution. "
    'Trotsky wrote: "We plundered all Russia to conquer the Whites." Nobody wrote poems.'
)


def chunk(text: str) -> Chunk:
    return Chunk(
        id="c1",
        work_id="t",
        author="Hillel H. Ticktin",
        title="The Purges",
        year=None,
        section="I",
        kind="body",
        anchor="t ¶1",
        text=text,
        header="",
        file="f",
        raw_start=0,
        raw_end=len(text),
    )


class WriterFake(FakeGenerator):
    """A fake that says it is the writer and records the constraints it was given."""

    writer = True

    def stream(self, messages, max_new_tokens, stop_event=None, constraints=None):
        self.constraints = constraints
        yield from super().stream(messages, max_new_tokens, stop_event)


def drain(gen):
    try:
        while True:
            next(gen)
    except StopIteration as stop:
        return stop.value


def excerpts(settings):
    s = get_settings(settings, evidence_sentences_per_chunk=3)
    return select_evidence(
        "What were the purges?", [Hit(chunk(TEXT), 1.0)], s, embedder=FakeEmbedder()
    )


def test_a_writer_generator_gets_the_writer_prompt_and_the_constraints(settings):
    ex = excerpts(settings)
    prompt = build_messages("What were the purges?", ex)
    writer = WriterFake('Ticktin writes: "the final revenge" [1].')
    drafted = drain(stream_draft(writer, prompt, settings, None, {}))
    assert drafted.text == 'Ticktin writes: "the final revenge" [1].'
    sent = writer.calls[0]
    assert sent == writer_messages("What were the purges?", ex)
    assert sent[0]["content"] == WRITER_SYSTEM_PROMPT
    assert sent[1]["content"].startswith("[1] Ticktin: ")
    assert sent[1]["content"].endswith("Question: What were the purges?")
    assert writer.constraints.n_excerpts == len(ex) == 1
    assert set(writer.constraints.sentences) == {es.text for es in ex[0].sentences}

    plain = FakeGenerator("x")
    drain(stream_draft(plain, prompt, settings, None, {}))
    assert plain.calls[0][0]["content"] == SYSTEM_PROMPT  # any other model: the general prompt


def test_the_writer_labels_each_sentence_with_its_voice(settings):
    ex = excerpts(settings)
    lines = writer_messages("q", ex)[1]["content"].splitlines()
    others = [line for line in lines if "We plundered" in line]
    # Not the author's own words: the label says whose they are.
    assert others and others[0].startswith("[1] Ticktin, ") and "Trotsky" in others[0]
    own = [line for line in lines if "final revenge" in line]
    assert own and own[0].startswith("[1] Ticktin: ")


def test_the_setting_turns_the_adapter_off_and_other_models_ignore_it(settings):
    on = TransformersGenerator(get_settings(settings, generator_backend="transformers"))
    assert on.writer == adapter_available()
    off = TransformersGenerator(
        get_settings(settings, generator_backend="transformers", writer_adapter=False)
    )
    assert not off.writer and "LoRA" not in off.name
    other = TransformersGenerator(
        get_settings(settings, generator_backend="transformers", generator_model="some/model")
    )
    assert not other.writer


def test_the_shipped_adapter_is_small_and_packaged():
    assert adapter_available(), "run `attest train writer`"
    weights = ADAPTER_DIR / "adapter_model.safetensors"
    assert weights.stat().st_size <= 10 * 1024 * 1024
    config = json.loads((ADAPTER_DIR / "adapter_config.json").read_text())
    assert config["r"] == 8 and config["peft_type"] == "LORA"
    pyproject = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())
    data = pyproject["tool"]["setuptools"]["package-data"]["rag.generators"]
    assert "adapters/writer/*.safetensors" in data
    assert "peft" in " ".join(pyproject["project"]["dependencies"])
