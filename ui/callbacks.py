"""The chat's callbacks as plain functions (no web framework), so tests can call them directly.

``ui.app`` wires them to components; here they take and return plain values: the conversation is
a tuple of :class:`~ui.turn.Turn`, views are HTML strings built by :mod:`ui.render`.

Answering runs the answer function in a worker thread and polls it, so a Stop (a set
``stop_event``) is honoured within one poll interval even while the pipeline is busy, and the
generator's ``finally`` sets the event when the framework closes it (a client that went away).
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from corpus.errors import AttestError, InputError
from corpus.settings import Settings, get_settings
from lookup.library import Library, LookupResponse, SearchHow
from rag.answer.question import clean_question
from rag.answer.types import Answer, Draft, Status
from ui.export import write_conversation
from ui.render import (
    citation_text,
    render_chat,
    render_lookup,
    render_reader,
    render_sources,
    split_verified,
)
from ui.turn import Turn

log = logging.getLogger(__name__)

AnswerFn = Callable[..., Iterator[Status | Draft | Answer]]

__all__ = [
    "ChatView",
    "accept",
    "answer_to_dict",
    "clear",
    "export",
    "lookup",
    "lookup_to_dict",
    "read_work",
    "rerender",
    "respond",
    "select_filter",
    "works_rows",
]

ECHO_CHARS = 300  # at most this much of a refused question is shown
STOPPED = "Stopped. The answer was not finished, so nothing unverified is shown."
FIRST_STATUS = "Searching the essays…"
DRAFTING = "Drafting — each sentence is checked against its passage before it is shown…"


@dataclass(frozen=True)
class ChatView:
    """What the chat shows after a step: the conversation and its rendered HTML.

    ``heartbeat`` marks a repeat of the previous view, yielded only so that a closed connection is
    noticed while the pipeline is quiet; the app sends nothing for it.
    """

    turns: tuple[Turn, ...]
    chat_html: str
    sources_html: str
    export_path: str | None = None
    heartbeat: bool = False


def _view(turns: Sequence[Turn], show_unverified: bool, export_path: str | None = None) -> ChatView:
    turns = tuple(turns)
    return ChatView(
        turns=turns,
        chat_html=render_chat(turns, show_unverified=show_unverified),
        sources_html=render_sources(turns),
        export_path=export_path,
    )


def select_filter(selected: Sequence[str] | None, every: Sequence[str]) -> list[str] | None:
    """The author or work filter to pass on: None (no filter) when everything is selected.

    Unknown values are dropped. An empty selection stays empty (``respond`` then refuses to
    search no author), and so does a missing one.

    Example::

        >>> select_filter(["a", "b"], ["a", "b"]) is None, select_filter(["a", "x"], ["a", "b"])
        (True, ['a'])
        >>> select_filter([], ["a", "b"]), select_filter(None, ["a", "b"])
        ([], [])
    """
    chosen = [x for x in (selected or []) if x in every]
    return None if set(chosen) == set(every) else chosen


def accept(
    question: str | None,
    turns: Sequence[Turn] | None,
    *,
    settings: Settings | None = None,
    show_unverified: bool = False,
) -> ChatView:
    """Put the question on screen at once: a pending turn, or a refused one with the reason."""
    # A question left pending (its answer was cancelled) is closed, never left spinning.
    turns = [
        t if t.done else replace(t, draft="", status="", notice=STOPPED, stopped=True, done=True)
        for t in (turns or ())
    ]
    s = get_settings(settings)
    try:
        turns.append(Turn(clean_question(question, s)))
    except InputError as refusal:
        turns.append(Turn(_echo(question, s), notice=str(refusal), done=True))
    return _view(turns, show_unverified)


def _echo(question: str | None, settings: Settings) -> str:
    # A refused question is shown cleaned and cut short (it may be 100 KB).
    text = (question or "").lstrip()
    limit = min(ECHO_CHARS, settings.max_question_chars)
    try:
        shown = clean_question(text[:limit], settings)
    except InputError:
        return "(empty question)"
    return shown + "…" if len(text) > limit else shown


def _merge_draft(current: str, piece: str) -> str:
    # Drafts may stream as pieces or as the text so far; accept both.
    if current and piece.startswith(current):
        return piece
    return current + piece


class _Done:
    pass


@dataclass(frozen=True)
class _Failure:
    error: BaseException


def respond(
    question: str | None,
    turns: Sequence[Turn] | None,
    *,
    answer_fn: AnswerFn,
    settings: Settings | None = None,
    authors: Sequence[str] | None = None,
    works: Sequence[str] | None = None,
    mode: str | None = None,
    show_unverified: bool = False,
    stop_event: threading.Event | None = None,
    export_dir: Path | None = None,
    poll_s: float = 0.1,
    heartbeat_s: float = 0.2,
    stop_grace_s: float = 1.0,
) -> Iterator[ChatView]:
    """Answer the pending question (or ``question``), yielding views: status, draft, final answer.

    The verified answer replaces the draft in the last view. ``authors``/``works`` (None = all)
    and ``mode`` are passed to ``answer_fn`` unchanged, with earlier answered turns as history.
    """
    s = get_settings(settings)
    stop_event = stop_event if stop_event is not None else threading.Event()
    turns = list(turns or ())
    if not (turns and turns[-1].pending and (not (question or "").strip())):
        view = accept(question, turns, settings=s, show_unverified=show_unverified)
        turns = list(view.turns)
        if not turns[-1].pending:
            yield view
            return
    turn = turns[-1]
    if authors is not None and not authors:
        turns[-1] = replace(turn, notice="Choose at least one author to search.", done=True)
        yield _view(turns, show_unverified)
        return
    history = tuple((t.question, t.answer) for t in turns[:-1] if t.answer is not None)
    turn = replace(turn, status=FIRST_STATUS)
    turns[-1] = turn
    yield _view(turns, show_unverified)

    events: queue.Queue[Any] = queue.Queue()

    def work() -> None:
        try:
            for event in answer_fn(
                turn.question,
                history,
                s,
                authors=list(authors) if authors is not None else None,
                works=list(works) if works is not None else None,
                mode=mode,
                stop_event=stop_event,
                show_unverified=show_unverified,
            ):
                events.put(event)
        except BaseException as exc:  # reported in the chat, never lost in a thread
            events.put(_Failure(exc))
        finally:
            events.put(_Done())

    worker = threading.Thread(target=work, name="attest-answer", daemon=True)
    worker.start()
    final: Answer | None = None
    failure: BaseException | None = None
    finished = False
    last_yield = time.monotonic()
    try:
        while not finished:
            try:
                batch = [events.get(timeout=poll_s)]
            except queue.Empty:
                batch = []
            if stop_event.is_set():
                final = _await_answer(events, final, worker, stop_grace_s)
                turns[-1] = _stopped(turn, final)
                yield _view(turns, show_unverified, _export(turns, export_dir))
                return
            if not batch:
                if time.monotonic() - last_yield >= heartbeat_s:
                    last_yield = time.monotonic()
                    yield replace(_view(turns, show_unverified), heartbeat=True)
                continue
            while True:  # render once per burst of events
                try:
                    batch.append(events.get_nowait())
                except queue.Empty:
                    break
            for event in batch:
                if isinstance(event, Status):
                    turn = replace(turn, status=event.text)
                elif isinstance(event, Draft):
                    turn = replace(
                        turn, draft=_merge_draft(turn.draft, event.text), status=DRAFTING
                    )
                elif isinstance(event, Answer):
                    final = event
                elif isinstance(event, _Failure):
                    failure = event.error
                elif isinstance(event, _Done):
                    finished = True
            if not finished:
                turns[-1] = turn
                last_yield = time.monotonic()
                yield _view(turns, show_unverified)
        if final is not None:
            turns[-1] = replace(turn, answer=final, draft="", status="", done=True)
        else:
            turns[-1] = replace(turn, draft="", status="", notice=_failure_text(failure), done=True)
        yield _view(turns, show_unverified, _export(turns, export_dir))
    finally:
        # Reached on completion, on Stop, and when the framework closes the generator because the
        # client went away: in every case the pipeline must stop using the CPU. Waiting for the
        # worker keeps the generation slot held until the model has really stopped, so the next
        # queued question never shares the CPU with a cancelled one.
        stop_event.set()
        worker.join(timeout=stop_grace_s)


def _await_answer(
    events: queue.Queue[Any], final: Answer | None, worker: threading.Thread, grace_s: float
) -> Answer | None:
    # After Stop, the pipeline may still hand back a (shorter) verified answer; wait briefly.
    deadline = time.monotonic() + grace_s
    while time.monotonic() < deadline:
        try:
            event = events.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            break
        if isinstance(event, Answer):
            final = event
        elif isinstance(event, _Done):
            break
    return final


def _stopped(turn: Turn, final: Answer | None) -> Turn:
    if final is not None and final.sentences and not final.abstained:
        return replace(
            turn,
            answer=final,
            draft="",
            status="",
            stopped=True,
            done=True,
            notice="Stopped early; the sentences below were verified before the stop.",
        )
    return replace(turn, draft="", status="", stopped=True, done=True, notice=STOPPED)


def _failure_text(error: BaseException | None) -> str:
    if isinstance(error, AttestError):
        return str(error)
    if error is not None:
        log.error("answering failed", exc_info=error)
        return f"Something went wrong while answering ({type(error).__name__}). Please try again."
    return "No answer was produced. Please try again."


def _export(turns: Sequence[Turn], directory: Path | None) -> str | None:
    if directory is None:
        return None
    try:
        return str(write_conversation(turns, directory))
    except OSError:
        log.exception("could not write the conversation export")
        return None


def rerender(turns: Sequence[Turn] | None, show_unverified: bool) -> ChatView:
    """The same conversation, re-rendered (after the 'show dropped sentences' switch moved)."""
    return _view(tuple(turns or ()), show_unverified)


def clear(stop_event: threading.Event | None = None) -> ChatView:
    """An empty conversation; stops a running answer first."""
    if stop_event is not None:
        stop_event.set()
    return _view((), False)


def export(turns: Sequence[Turn] | None, directory: Path) -> str:
    """Write the conversation as Markdown into ``directory``; returns the file path."""
    return str(write_conversation(tuple(turns or ()), directory))


# --- API shapes ------------------------------------------------------------------------------


def answer_to_dict(answer: Answer) -> dict[str, Any]:
    """A JSON-able view of an answer (for the HTTP API and tests); only verified sentences are
    in ``sentences``/``text``, the others in ``dropped``."""
    verified, unverified = split_verified(answer)
    return {
        "question": answer.question,
        "abstained": answer.abstained,
        "mode": answer.mode,
        "message": answer.message,
        "text": " ".join(s.text + "".join(f"[{n}]" for n in s.citations) for s in verified),
        "sentences": [
            {
                "text": s.text,
                "citations": list(s.citations),
                "support": s.support,
                "author": s.author,
            }
            for s in verified
        ],
        "citations": [
            {
                "n": c.n,
                "author": c.author,
                "work": c.work,
                "year": c.year,
                "anchor": c.anchor,
                "excerpt": c.excerpt,
                "supporting_span": list(c.supporting_span) if c.supporting_span else None,
                "quoted_speaker": c.quoted_speaker,
                "citation": citation_text(c),
            }
            for c in answer.citations
        ],
        "dropped": [s.text for s in unverified],
    }


# --- lookup and corpus -----------------------------------------------------------------------


def lookup(
    query: str | None,
    how: SearchHow,
    *,
    library: Library,
    authors: Sequence[str] | None = None,
    limit: int = 10,
) -> tuple[LookupResponse, str]:
    """Run a citation lookup; returns the response and its HTML."""
    response = library.search((query or "")[:2000], how or "auto", limit=limit, authors=authors)
    return response, render_lookup(response)


def lookup_to_dict(response: LookupResponse) -> dict[str, Any]:
    """A JSON-able view of a lookup response."""
    return {
        "query": response.query,
        "how": response.how,
        "message": response.message,
        "results": [
            {
                "anchor": r.passage.anchor,
                "author": r.passage.author,
                "title": r.passage.title,
                "year": r.passage.year,
                "text": r.passage.text,
                "previous": r.previous.text if r.previous else None,
                "next": r.next.text if r.next else None,
                "footnotes": [f.text for f in r.footnotes],
                "citation": r.citation,
                "spans": [list(x) for x in r.spans],
                "exact": r.exact,
            }
            for r in response.results
        ],
    }


def works_rows(library: Library) -> list[list[Any]]:
    """Rows for the works table: author, title, year, passages, words."""
    return [
        [w.author, w.title, w.year if w.year is not None else "—", w.passages, w.words]
        for w in library.works_table()
    ]


def read_work(
    work_id: str, page_no: int, *, library: Library, per_page: int = 8
) -> tuple[str, int, str]:
    """Page ``page_no`` (0-based, clamped) of a work: (HTML, the page shown, 'page x of y')."""
    total = next((w.passages for w in library.works_table() if w.work_id == work_id), 0)
    pages = max(1, -(-total // per_page))
    page_no = min(max(0, int(page_no or 0)), pages - 1)
    page = library.read(work_id, page_no * per_page, per_page)
    return render_reader(page), page_no, f"page {page_no + 1} of {pages}"
