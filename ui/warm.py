"""Warm start: once the chat is serving, a background thread gets answering ready.

It loads the embedder, checks (or builds) the index, reads the selector, and loads the language
model when the default answer mode writes with one. The page is usable at once and shows the
state (:meth:`Warmup.state`); a question asked before everything is ready waits with a status
line instead of a frozen page. ``eager_model_load = false`` turns this off (then models load on
the first question).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from corpus.settings import Settings

READY = "ready"


class Warmup:
    """Loads the embedder, index, selector and (if the default mode uses one) the generator."""

    def __init__(
        self,
        settings: Settings,
        *,
        index: Any = None,
        embedder: Any = None,
        generator: Any = None,
        log: Callable[[str], None] = print,
    ) -> None:
        self.settings = settings
        self.index, self.embedder, self.generator = index, embedder, generator
        self.log = log
        self.ready = threading.Event()
        self.error: str | None = None
        self.seconds: float | None = None
        self._state = "starting"
        self._thread: threading.Thread | None = None

    @property
    def state(self) -> str:
        """What is being loaded now, ``ready``, or why loading failed."""
        return f"failed: {self.error}" if self.error else self._state

    def start(self) -> Warmup:
        """Begin loading in a daemon thread (once)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="attest-warmup", daemon=True)
            self._thread.start()
        return self

    def _step(self, state: str) -> None:
        self._state = state
        self.log(f"chat: {state}…")

    def _run(self) -> None:
        started = time.perf_counter()
        s = self.settings
        try:
            self._step("loading the embedder")
            if self.embedder is None:
                from embeddings.factory import get_embedder

                self.embedder = get_embedder(s)
            self.embedder.encode(["warm"])  # its weights load on first use
            if self.index is None:
                from rag.retrieval.store import get_index

                self._step("checking the index")
                self.index = get_index(s, self.embedder)
            self._step("loading the selector")
            from rag.answer.ranker import load_ranker

            load_ranker(str(s.selector_model) if s.selector_model else None)
            if self.generator is None and s.resolved_answer_mode in ("grounded", "free"):
                from rag.generators.base import get_generator

                self.generator = get_generator(s)
                if self.generator is not None and not getattr(self.generator, "loaded", True):
                    self._step("loading the language model")
                    self.generator.load()
            self._state = READY
            self.seconds = time.perf_counter() - started
            self.log(f"chat: ready in {self.seconds:.1f} s")
        except Exception as exc:  # reported on the page; a question then loads what it needs
            self.error = f"{type(exc).__name__}: {exc}"
            self.log(f"chat: warm-up failed ({self.error}); models load on the first question")
        finally:
            self.ready.set()

    def wait(self, poll_s: float = 0.5) -> Iterator[str]:
        """Yield the state while loading goes on; return once it is done (or failed)."""
        while not self.ready.wait(poll_s):
            yield self.state


def state_html(warm: Warmup | None) -> str:
    """The page's model-state badge.

    Example::

        >>> state_html(None)
        '<span class="model-state ready">models: load on first question</span>'
    """
    from ui.render import esc

    if warm is None:
        return '<span class="model-state ready">models: load on first question</span>'
    state = warm.state
    kind = "ready" if state == READY else "failed" if warm.error else "loading"
    text = "models ready" if state == READY else f"models: {state}"
    return f'<span class="model-state {kind}" role="status">{esc(text)}</span>'
