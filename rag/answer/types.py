"""What the answer stages hand on: the final :class:`Answer` and the events streamed before it.

Kept apart from the stages so ui/ and eval/ can import the types without importing the pipeline.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from rag.retrieval.chunking import Chunk
from rag.text.voices import Voice


class AnswerMode(StrEnum):
    """How an answer is written.

    ``select``: the answering sentences, chosen by the selector, quoted per author, with a short
    answer copied from the top one (the default for small local models); ``grounded``: a model
    drafts, every sentence is verified, quotes fill in (for capable models); ``extractive``: the
    evidence quoted without a selector lead; ``free``: the model's draft unverified (comparison
    only).
    """

    SELECT = "select"
    GROUNDED = "grounded"
    EXTRACTIVE = "extractive"
    FREE = "free"


class Flag(StrEnum):
    """Why a sentence is shown the way it is, or was dropped."""

    QUOTE = "quote"  # a verbatim sentence of the essays
    SHORT_ANSWER = "short-answer"  # the asked-for fact, copied from the answering sentence
    FURTHER = "further"  # a further relevant sentence, shown after the answer
    CLOSEST = "closest"  # a passage offered with an abstention (not a claim)
    UNVERIFIED = "unverified"  # free mode: never checked
    UNSUPPORTED = "unsupported"  # no excerpt supports it
    UNVERBATIM_QUOTE = "unverbatim-quote"  # text in quotation marks not found in the excerpts
    WRONG_AUTHOR = "wrong-author"  # names an author whose excerpts it does not cite
    SPEAKER_AS_AUTHOR = "speaker-as-author"  # a quoted speaker's words given to the essay author
    UNNAMED_ENTITY = "unnamed-entity"  # names someone the excerpt never names
    WRONG_VOICE = "wrong-voice"  # gives a view to someone whose view the excerpt does not give
    FRAGMENT_QUOTE = "fragment-quote"  # a drafted quotation too short or cut off to say anything
    REPAIRED = "repaired"  # its citation was corrected
    TRIMMED = "trimmed"  # verified without a trailing comment clause
    NO_CLAIM = "no-claim"  # too little to check
    ABSTAINS = "abstains"  # the model said the excerpts do not answer
    TRUNCATED = "truncated"  # cut off by the token limit


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
    voice: Voice = Voice.OWN  # the voice of the supporting sentence
    speaker: str | None = None  # whose words or view it gives, when not the author's


@dataclass(frozen=True)
class AnswerSentence:
    """One sentence of the answer with the excerpt numbers it cites and its verification result."""

    text: str
    citations: tuple[int, ...]
    support: float
    supported: bool
    author: str | None = None
    flags: tuple[Flag, ...] = ()
    voice: Voice | None = None  # for a quoted sentence: its voice in the essay
    speaker: str | None = None  # ... and whose words or view it gives


@dataclass(frozen=True)
class Answer:
    question: str
    standalone_question: str
    sentences: tuple[AnswerSentence, ...]
    citations: tuple[Citation, ...]
    by_author: dict[str, list[int]] = field(default_factory=dict)
    abstained: bool = False
    mode: AnswerMode = AnswerMode.GROUNDED
    model: str = ""
    timings: dict[str, float] = field(default_factory=dict)
    dropped: tuple[AnswerSentence, ...] = ()  # unverified sentences, shown only on request
    message: str | None = None  # a plain-language notice (refused input, abstention, fallback)
    # The selector's best candidate sentences, (text, author, probability), best first: what
    # it considered, for evaluation and for readers who want to look further.
    candidates: tuple[tuple[str, str, float], ...] = ()


@dataclass(frozen=True)
class Draft:
    """A streamed piece of the model's unverified draft."""

    text: str


@dataclass(frozen=True)
class Status:
    """A progress notice while answering (e.g. loading the model)."""

    text: str
