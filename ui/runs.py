"""Running answers: the one generation slot they share and the stop event of each session's answer.

Every event that runs the language model names :data:`GENERATE` as its ``concurrency_id`` (limit
1: one CPU-bound model), so chat answers and the JSON ``/ask`` API queue for the same slot.
:class:`Runs` lets Stop, Clear and a closed page end the answer of their own session only.
"""

from __future__ import annotations

import threading
from typing import Any

__all__ = ["GENERATE", "Runs", "session_id"]

GENERATE = "generate"


class Runs:
    """The stop event of each session's running answer (Stop and disconnect set it)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._events: dict[str, threading.Event] = {}

    def start(self, session: str) -> threading.Event:
        """A fresh stop event for the session's new answer; stops its previous one, if any."""
        event = threading.Event()
        with self._lock:
            old = self._events.get(session)
            if old is not None:
                old.set()
            self._events[session] = event
        return event

    def stop(self, session: str) -> bool:
        """Stop the session's running answer; False when it has none."""
        with self._lock:
            event = self._events.get(session)
        if event is None:
            return False
        event.set()
        return True

    def finish(self, session: str, event: threading.Event) -> None:
        """Forget ``event`` once its answer has ended (unless a newer answer replaced it)."""
        with self._lock:
            if self._events.get(session) is event:
                del self._events[session]


def session_id(request: Any) -> str:
    """The session a request belongs to (``"anonymous"`` when the framework gives none)."""
    return str(getattr(request, "session_hash", None) or "anonymous")
