"""The chat app's plain JSON API (for scripts and load tests): ``/ask`` and ``/lookup``.

``/ask`` waits for the shared generation slot like a chat answer; ``/lookup`` runs outside
the queue. Only verified sentences are returned as the answer (see
:func:`ui.callbacks.answer_to_dict`). ``/ask`` offers what the chat offers and no more: the modes
of :data:`ui.callbacks.UI_MODES` (not "free"), filters checked against the catalog. A refused
question is never sent back: the refusal carries ``"question": null`` and the reason.
"""

# No `from __future__ import annotations`: gr.api reads the endpoints' annotations.
import threading
from collections.abc import Sequence
from typing import Any

import gradio as gr

from corpus.settings import Settings
from lookup.library import Library
from ui import callbacks
from ui.runs import GENERATE

__all__ = ["add_json_api"]


def add_json_api(
    answer: callbacks.AnswerFn,
    settings: Settings,
    library: Library,
    catalog: Sequence[Any] | None = None,
) -> None:
    """Add ``/ask`` and ``/lookup`` to the Blocks being built (call inside ``gr.Blocks``).

    ``catalog`` (the catalog's works) checks ``/ask``'s filters; read from the settings if None.
    """

    def ask(
        question: str,
        authors: list[str] | None = None,
        works: list[str] | None = None,
        mode: str | None = None,
    ) -> dict:
        """Answer a question; the verified answer with its citations as JSON.

        ``authors`` (names or surnames) and ``works`` (ids) restrict the search; empty or
        omitted means all. ``mode``: select, grounded or extractive (omitted: the chat's
        default).
        """
        final = None
        for view in callbacks.respond(
            question,
            (),
            answer_fn=answer,
            settings=settings,
            authors=authors or None,
            works=works or None,
            mode=mode,
            catalog=catalog,
            stop_event=threading.Event(),
        ):
            final = view
        turn = final.turns[-1] if final and final.turns else None
        if turn is not None and turn.answer is not None:
            return callbacks.answer_to_dict(turn.answer)
        refused = turn is None or turn.refused
        return {
            "question": None if refused else turn.question,
            "refused": refused,
            "message": turn.notice if turn else None,
            "sentences": [],
            "citations": [],
        }

    def lookup(query: str, how: str = "auto") -> dict:
        """Find passages by phrase, keywords or anchor, with context and citation."""
        return callbacks.lookup_to_dict(callbacks.lookup(query, how, library=library)[0])

    gr.api(ask, api_name="ask", concurrency_limit=1, concurrency_id=GENERATE)
    gr.api(lookup, api_name="lookup", queue=False)
