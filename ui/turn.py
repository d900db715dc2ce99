"""One exchange of the chat: the question and what is known of its answer so far."""

from __future__ import annotations

from dataclasses import dataclass

from rag.answer.types import Answer


@dataclass(frozen=True)
class Turn:
    """A question with its (possibly still streaming) answer.

    While answering, ``status`` holds the latest progress notice and ``draft`` the model's
    unverified draft so far; once done, ``answer`` holds the verified answer (the draft is then
    never shown again). ``notice`` is a plain-language message when there is no answer (refused
    input, an error, a stop before verification); ``refused`` marks a turn whose input (question,
    filters or mode) was refused before any work, so nothing of it is sent back by the API.
    """

    question: str
    answer: Answer | None = None
    draft: str = ""
    status: str = ""
    notice: str | None = None
    stopped: bool = False
    done: bool = False
    refused: bool = False

    @property
    def pending(self) -> bool:
        return not self.done
