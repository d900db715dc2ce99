"""Constrained decoding for the writer: quotations are copied, citations name given excerpts.

Two rules hold for every token the model picks while a :class:`QuoteConstraint` is in place:

- **Inside quotation marks** (an odd number of ``"``, ``“`` or ``”`` written so far), the quote
  so far plus the next token must follow, token for token, a contiguous span of one of the
  given sentences, starting at one of its words. The quote may close only where a word of that
  span ends. Each *word-start suffix* of each sentence is tokenised once, on its own, which is
  exactly how a BPE tokenizer cuts the text after an opening quote mark (a quote mark and a
  word are separate pre-tokens, and the word then has no leading space).
- **Citation markers**: after ``[`` only the numbers ``1..n_excerpts`` may follow, then ``]``;
  tokens that would open a marker and write a number in one piece are not allowed at all.

Sentences are split at quotation marks and bracketed notes (``[12]``) first, so a copied span never holds
either: the quote cannot be closed or a marker opened from inside copied text.

The rules only ever *forbid* tokens; what remains is the model's choice, and the verifier
(:mod:`rag.answer.verify`) still checks every sentence afterwards.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

QUOTE_CHARS = '"“”'
_SEGMENT_BREAK = re.compile(r'\[[^\]]*\]|["“”\[\]]')
_WORD_START = re.compile(r"(?<![\w'’-])[\w'’(]")
_MARKER_OPEN = re.compile(r"\[(\d*)$")


@dataclass(frozen=True)
class DraftConstraints:
    """What a constrained draft may quote and cite: the excerpt sentences, as shown to the
    model, and how many excerpts were given (markers ``[1]`` .. ``[n_excerpts]``)."""

    sentences: tuple[str, ...]
    n_excerpts: int


def segments(sentence: str) -> list[str]:
    """Pieces of a sentence between quotation marks and brackets, stripped, non-empty.

    Example::

        >>> segments('He said: "We are all servants of the state." [12] Then')
        ['He said:', 'We are all servants of the state.', 'Then']
    """
    return [p.strip() for p in _SEGMENT_BREAK.split(sentence) if p.strip()]


def word_start_suffixes(sentence: str) -> list[str]:
    """Every tail of every segment that starts at the beginning of a word.

    Example::

        >>> word_start_suffixes("the final revenge")
        ['the final revenge', 'final revenge', 'revenge']
    """
    out: list[str] = []
    for seg in segments(sentence):
        for m in _WORD_START.finditer(seg):
            out.append(seg[m.start() :])
    return out


def inside_quote(text: str) -> bool:
    """Whether ``text`` ends inside an open quotation (quote marks counted by parity).

    Example::

        >>> inside_quote('Ticktin writes: "the purges'), inside_quote('He wrote "x y" [1].')
        (True, False)
    """
    return sum(text.count(c) for c in QUOTE_CHARS) % 2 == 1


def open_quote_text(text: str) -> str:
    """The text written since the last quotation mark."""
    last = max(text.rfind(c) for c in QUOTE_CHARS)
    return text[last + 1 :]


class _Vocab:
    """Per-tokenizer tables, computed once: each token's text and the token classes needed."""

    def __init__(self, tokenizer) -> None:
        size = len(tokenizer)
        self.pieces: list[str] = [
            tokenizer.decode([i], clean_up_tokenization_spaces=False) for i in range(size)
        ]
        self.size = size
        self.close: list[int] = []  # tokens that start with a quote mark (closing a quote)
        self.digits: dict[str, int] = {}  # a bare run of digits -> its token
        self.bracket_close: list[int] = []  # tokens starting with "]"
        banned: list[int] = []  # never written outside a quote (see below)
        for i, p in enumerate(self.pieces):
            marks = sum(p.count(c) for c in QUOTE_CHARS)
            if p[:1] in QUOTE_CHARS and marks == 1:
                self.close.append(i)
            if p.isdigit() and p.isascii():
                self.digits.setdefault(p, i)
            if p.startswith("]"):
                self.bracket_close.append(i)
            # Outside a quote, a token may not open a quote and start copying in one piece
            # ('"The'), nor open a marker and number it in one piece ("[1"): both would slip
            # past the checks that start at the opening mark.
            opens_with_text = marks % 2 == 1 and p.rstrip()[-1:] not in QUOTE_CHARS
            marker_with_text = "[" in p and not p.rstrip().endswith("[")
            if opens_with_text or marker_with_text:
                banned.append(i)
        self.banned_outside = banned


_VOCABS: dict[int, _Vocab] = {}


def vocab_for(tokenizer) -> _Vocab:
    key = id(tokenizer)
    if key not in _VOCABS:
        _VOCABS[key] = _Vocab(tokenizer)
    return _VOCABS[key]


class QuoteConstraint:
    """A ``LogitsProcessor``: sets the score of every forbidden next token to ``-inf``.

    ``prompt_length`` is the number of prompt tokens in ``input_ids`` (the generated text is
    what follows). Works on any tokenizer with ``encode``/``decode`` (tests use a tiny one).
    """

    def __init__(self, tokenizer, constraints: DraftConstraints, prompt_length: int) -> None:
        self.tokenizer = tokenizer
        self.vocab = vocab_for(tokenizer)
        self.n = max(0, int(constraints.n_excerpts))
        self.prompt_length = prompt_length
        # quote-so-far (text) -> tokens that continue it along a span; and the quote texts at
        # which a span's word ends (where the quote may close).
        self.next: dict[str, set[int]] = {}
        self.closable: set[str] = set()
        suffixes = {s for sent in constraints.sentences for s in word_start_suffixes(sent)}
        for suffix in sorted(suffixes):
            ids = tokenizer.encode(suffix, add_special_tokens=False)
            text = ""
            for k, tok in enumerate(ids):
                self.next.setdefault(text, set()).add(tok)
                # Decoded as a whole: a character split over two tokens decodes only whole.
                text = tokenizer.decode(ids[: k + 1], clean_up_tokenization_spaces=False)
                if text.strip() and text == text.rstrip() and suffix.startswith(text):
                    rest = suffix[len(text) :]
                    if not rest or not (rest[0].isalnum() or rest[0] in "'’-"):
                        self.closable.add(text)
        self._allowed_numbers = [str(k) for k in range(1, self.n + 1)]
        self._banned = None

    def allowed(self, generated: str) -> list[int] | None:
        """Token ids allowed after ``generated`` (the draft so far), or None: no restriction
        beyond the precomputed outside-quote ban."""
        if inside_quote(generated):
            q = open_quote_text(generated)
            out = set(self.next.get(q, ()))
            if q in self.closable:
                out.update(self.vocab.close)
            return sorted(out)
        m = _MARKER_OPEN.search(generated)
        if m:
            num = m.group(1)
            out = set()
            for full in self._allowed_numbers:
                if full.startswith(num) and full != num:
                    for piece, tok in self.vocab.digits.items():
                        if full.startswith(num + piece):
                            out.add(tok)
            if num in self._allowed_numbers:
                out.update(self.vocab.bracket_close)
            return sorted(out)
        return None

    def __call__(self, input_ids, scores):
        import torch

        for row in range(input_ids.shape[0]):
            gen_ids = input_ids[row, self.prompt_length :].tolist()
            generated = self.tokenizer.decode(
                gen_ids, skip_special_tokens=True, clean_up_tokenization_spaces=False
            )
            allowed = self.allowed(generated)
            if allowed is None:
                if self._banned is None:
                    banned = [i for i in self.vocab.banned_outside if i < scores.shape[1]]
                    self._banned = torch.tensor(banned, dtype=torch.long, device=scores.device)
                scores[row, self._banned] = -float("inf")
                continue
            keep = torch.full_like(scores[row], -float("inf"))
            if allowed:
                idx = torch.tensor(allowed, dtype=torch.long, device=scores.device)
                idx = idx[idx < scores.shape[1]]
                keep[idx] = scores[row, idx]
            else:  # nothing can continue: end the draft rather than write something unchecked
                eos = getattr(self.tokenizer, "eos_token_id", None)
                if eos is not None and eos < scores.shape[1]:
                    keep[eos] = 0.0
            scores[row] = keep
        return scores


def check_quotes(text: str, sentences: Sequence[str]) -> bool:
    """Whether every closed quotation in ``text`` is a contiguous span of one sentence's
    segment (a test oracle, plain string logic).

    Example::

        >>> check_quotes('X writes: "final revenge" [1].', ["the final revenge of it"])
        True
        >>> check_quotes('X writes: "final victory" [1].', ["the final revenge of it"])
        False
    """
    segs = [s for sent in sentences for s in segments(sent)]
    for quote in re.findall(r'["“”]([^"“”]*)["“”]', text):
        if not any(quote.strip() and quote.strip() in seg for seg in segs):
            return False
    return True
