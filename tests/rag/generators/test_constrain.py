"""Constrained decoding: inside quotation marks only spans copied from the given sentences can
be written, and citation markers only name given excerpts, whatever the model prefers.

A tiny byte-pair-like tokenizer stands in for the real one (no model weights): words carry their
leading space as BPE tokens do, so a quote's first word (no space after the opening mark) is a
different token from the same word inside the sentence, which is the case the constraint must
handle. The "model" is adversarial: at every step it prefers tokens that would leave the
sentences (a made-up word, a wrong excerpt number), or random ones.
"""

from __future__ import annotations

import random
import re

import pytest
import torch

from rag.generators.constrain import (
    DraftConstraints,
    QuoteConstraint,
    check_quotes,
    inside_quote,
    segments,
    word_start_suffixes,
)

SENTENCES = (
    "The purges were the final revenge of the bourgeoisie on the revolution.",
    'Malenkov said in 1941: "We are all servants of the state." [12]',
)
EXTRA = (
    'Ticktin writes: "The purges were a victory of the working class" [1] [7]. '
    "Gouldner quotes Trotsky: the final triumph of the revolution [3] [12]"
)


class TinyTokenizer:
    """Pieces are ' word', 'word', punctuation runs (with an optional leading space), digits,
    and single characters as a fallback; ids are assigned in order of first sight."""

    PIECE = re.compile(r" ?[A-Za-z']+| ?\d| ?[^\sA-Za-z\d]+|\s")

    def __init__(self, texts):
        self.vocab: list[str] = ["<eos>"]
        self.ids: dict[str, int] = {}
        chars = {chr(c) for c in range(32, 127)}
        for text in texts:
            for p in [*self.PIECE.findall(text), *(" " + w for w in text.split())]:
                self._add(p)
        for c in sorted(chars):
            self._add(c)
        # Tokens that would slip through in one piece: a quote with a word, a numbered marker.
        for p in (' "victory', "[7", ' "The', '"[', "]."):
            self._add(p)
        self.eos_token_id = 0

    def _add(self, piece: str) -> None:
        if piece not in self.ids:
            self.ids[piece] = len(self.vocab)
            self.vocab.append(piece)

    def __len__(self) -> int:
        return len(self.vocab)

    def encode(self, text: str, add_special_tokens: bool = False) -> list[int]:
        out: list[int] = []
        for p in self.PIECE.findall(text):
            if p in self.ids:
                out.append(self.ids[p])
            else:
                out.extend(self.ids[c] for c in p)
        return out

    def decode(self, ids, skip_special_tokens=False, clean_up_tokenization_spaces=False) -> str:
        return "".join(self.vocab[i] for i in ids if not (skip_special_tokens and i == 0))


@pytest.fixture(scope="module")
def tok():
    return TinyTokenizer([*SENTENCES, EXTRA, "X writes: "])


def generate(tok, constraint, prefix: str, prefer, steps: int = 40) -> str:
    """Greedy decoding under the constraint with a made-up preference over tokens."""
    prompt = tok.encode("PROMPT")
    ids = prompt + tok.encode(prefix)
    for step in range(steps):
        scores = prefer(step, len(tok)).clone()
        scores = constraint(torch.tensor([ids]), scores[None, :])[0]
        nxt = int(torch.argmax(scores))
        if nxt == tok.eos_token_id or scores[nxt] == -float("inf"):
            break
        ids.append(nxt)
    return tok.decode(ids[len(prompt) :])


def test_word_start_suffixes_split_at_quote_marks_and_brackets():
    assert segments(SENTENCES[1]) == ["Malenkov said in 1941:", "We are all servants of the state."]
    assert "servants of the state." in word_start_suffixes(SENTENCES[1])
    assert not any('"' in s or "[" in s for s in word_start_suffixes(SENTENCES[1]))


def test_a_quote_cannot_leave_the_sentences_even_when_the_model_wants_to(tok):
    constraint = QuoteConstraint(tok, DraftConstraints(SENTENCES, 2), len(tok.encode("PROMPT")))
    wanted = tok.encode(' "The purges were a victory of the working class" [1].')

    def prefer(step, size):
        scores = torch.zeros(size)
        if step < len(wanted):
            scores[wanted[step]] = 10.0  # the invented sentence, token by token
        scores[tok.ids[' "victory']] = 5.0  # and a shortcut that opens a quote with a word
        scores[tok.ids["[7"]] = 5.0
        return scores

    text = generate(tok, constraint, "Ticktin writes:", prefer)
    assert '"' in text and not inside_quote(text)
    assert "victory" not in text  # the invented word never got into the quote
    assert check_quotes(text, SENTENCES), text
    assert '"The purges were' in text  # what could be copied was


def test_markers_only_name_given_excerpts(tok):
    constraint = QuoteConstraint(tok, DraftConstraints(SENTENCES, 2), len(tok.encode("PROMPT")))
    prefix = 'X writes: "the final revenge" ['

    def prefer(step, size):
        scores = torch.zeros(size)
        scores[tok.ids["7"]] = 9.0  # a number that names no excerpt
        scores[tok.ids["2"]] = 8.5 if step else 0.0  # "[12]": no such excerpt either
        scores[tok.ids["1"]] = 8.0
        scores[tok.ids["]."]] = 7.0
        return scores

    text = generate(tok, constraint, prefix, prefer, steps=2)
    assert text.endswith("[1]."), text
    assert constraint.allowed("x [") and all(
        tok.vocab[i] in {"1", "2"} for i in constraint.allowed("x [")
    )
    assert constraint.allowed("x [2") == constraint.allowed("x [1")  # "]" tokens only
    assert all(tok.vocab[i].startswith("]") for i in constraint.allowed("x [2"))


@pytest.mark.parametrize("seed", range(30))
def test_random_preferences_never_quote_outside_the_sentences(tok, seed):
    rng = random.Random(seed)
    constraint = QuoteConstraint(tok, DraftConstraints(SENTENCES, 2), len(tok.encode("PROMPT")))

    def prefer(step, size):
        g = torch.Generator().manual_seed(rng.randrange(10**6))
        scores = torch.rand(size, generator=g)
        if step == 0:
            scores[tok.ids[' "']] = 2.0  # open a quote at once
        return scores

    text = generate(tok, constraint, "X writes:", prefer, steps=30)
    closed = text if not inside_quote(text) else text[: max(text.rfind(c) for c in '"“”')]
    assert check_quotes(closed, SENTENCES), text
    assert all(1 <= int(n) <= 2 for n in re.findall(r"\[(\d+)", text)), text


@pytest.fixture(scope="module")
def real_tokenizer():
    """The bundled model's own tokenizer, read from its GGUF file (no weights are loaded)."""
    from transformers import AutoTokenizer

    from rag.generators.base import GeneratorError
    from rag.generators.local import BUNDLED_GGUF, bundled_model_dir

    try:
        folder = bundled_model_dir()
    except GeneratorError:
        pytest.skip("the bundled model package is not installed")
    return AutoTokenizer.from_pretrained(folder, gguf_file=BUNDLED_GGUF)


REAL = (
    "Of the 139 members and candidates of the Central Committee elected at the Seventeenth "
    "Party Congress, 98 persons, i.e., 70 per cent, were arrested and shot.",
    "It was Stalin’s courtier, Georgi Malenkov, who said: “We are all servants of the state.”",
)


@pytest.mark.parametrize("seed", range(5))
def test_with_the_real_tokenizer_quotes_stay_inside_the_sentences(real_tokenizer, seed):
    tok = real_tokenizer
    prompt = tok.encode("Question: who was shot?", add_special_tokens=False)
    constraint = QuoteConstraint(tok, DraftConstraints(REAL, 2), len(prompt))
    size = len(tok)
    invented = tok.encode(' "98 persons were released and pardoned" [3].', add_special_tokens=False)
    rng = torch.Generator().manual_seed(seed)
    ids = prompt + tok.encode("Ticktin writes:", add_special_tokens=False)
    for step in range(40):
        scores = torch.rand(size, generator=rng)
        if step < len(invented):
            scores[invented[step]] = 5.0  # the model "wants" an invented quote
        scores = constraint(torch.tensor([ids]), scores[None, :])[0]
        nxt = int(torch.argmax(scores))
        if nxt == tok.eos_token_id or scores[nxt] == -float("inf"):
            break
        ids.append(nxt)
    text = tok.decode(ids[len(prompt) :])
    closed = text if not inside_quote(text) else text[: max(text.rfind(c) for c in '"“”')]
    assert '"98 persons' in text  # copied, as far as the sentence allows ...
    quotes = re.findall(r'["“”]([^"“”]*)["“”]', closed)
    assert quotes and not any("released" in q for q in quotes)  # ... and no further
    assert check_quotes(closed, REAL), text
    assert all(1 <= int(n) <= 2 for n in re.findall(r"\[(\d+)", text)), text
