"""The answer pipeline: question -> retrieval -> evidence -> prompt -> draft -> verified Answer."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from rag.chunking import Chunk

AnswerMode = Literal["grounded", "extractive", "free"]


@dataclass(frozen=True)
class Citation:
    """Excerpt ``[n]`` of an answer: a retrieved chunk and the span that supports the sentence(s)."""

    n: int
    chunk: Chunk
    author: str
    work: str
    year: int | None
    anchor: str
    excerpt: str
    supporting_span: tuple[int, int] | None = None  # offsets into ``excerpt``
    quoted_speaker: str | None = None


@dataclass(frozen=True)
class AnswerSentence:
    """One sentence of the answer with the excerpt numbers it cites and its verification result."""

    text: str
    citations: tuple[int, ...]
    support: float
    supported: bool
    author: str | None = None
    flags: tuple[str, ...] = ()  # why a sentence failed: "unsupported", "unverbatim-quote", ...


@dataclass(frozen=True)
class Answer:
    question: str
    standalone_question: str
    sentences: tuple[AnswerSentence, ...]
    citations: tuple[Citation, ...]
    by_author: dict[str, list[int]] = field(default_factory=dict)
    abstained: bool = False
    mode: AnswerMode = "grounded"
    model: str = ""
    timings: dict[str, float] = field(default_factory=dict)
    dropped: tuple[AnswerSentence, ...] = ()  # unverified sentences, shown only on request
    message: str | None = None  # a plain-language notice (refused input, abstention, fallback)


@dataclass(frozen=True)
class Draft:
    """A streamed piece of the model's unverified draft."""

    text: str


@dataclass(frozen=True)
class Status:
    """A progress notice while answering (e.g. loading the model)."""

    text: str


# --- pipeline (signatures fixed; the answer stage fills them in) -------------------------------


def stream_answer(
    question: str,
    history: tuple[tuple[str, Answer], ...] | list = (),
    settings=None,
    *,
    authors: list[str] | None = None,
    works: list[str] | None = None,
    mode: AnswerMode | None = None,
    stop_event=None,
    show_unverified: bool = False,
    index=None,
    embedder=None,
    generator=None,
):
    """Yield ``Status`` and ``Draft`` events while answering, then the final verified ``Answer``.

    ``history`` holds earlier turns as ``(question, Answer)`` pairs, used to resolve follow-ups.
    """
    raise NotImplementedError("the answer pipeline is being built")


def answer(question: str, history=(), settings=None, **kwargs) -> Answer:
    """Run :func:`stream_answer` to completion and return the final ``Answer``."""
    final = None
    for event in stream_answer(question, history, settings, **kwargs):
        if isinstance(event, Answer):
            final = event
    assert final is not None
    return final
