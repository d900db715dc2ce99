"""The chat's callbacks as plain functions (no web framework), so tests can call them directly.

``ui.app`` wires them to components; here they take and return plain values: the conversation is
a tuple of :class:`~ui.turn.Turn`, views are HTML strings built by :mod:`ui.render`.

Answering runs the answer function in a worker thread and polls it, so a Stop (a set
``stop_event``) is honoured within one poll interval even while the pipeline is busy, and the
generator's ``finally`` sets the event when the framework closes it (a client that went away).

Every input is checked here, at the edge, before any work: text is made safe for UTF-8
(:func:`ui.edge.utf8_safe`), lengths are capped, the answer mode must be one the chat offers
(:data:`UI_MODES`) and the author/work filters are checked against the catalog
(:func:`rag.answer.filters.validate_filters`). A refusal is a message in the chat, never an error.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from corpus.errors import AttestError, InputError
from corpus.settings import Settings, get_settings
from lookup.library import Library, LookupResponse, SearchHow
from rag.answer.filters import validate_filters
from rag.answer.question import catalog_works, clean_question
from rag.answer.types import Answer, Draft, Status
from ui.edge import check_length, utf8_safe
from ui.render import (
    citation_text,
    esc,
    render_chat,
    render_lookup,
    render_reader,
    render_sources,
    split_verified,
)
from ui.turn import Turn

if TYPE_CHECKING:
    from ui.exports import ExportStore

log = logging.getLogger(__name__)

AnswerFn = Callable[..., Iterator[Status | Draft | Answer]]

__all__ = [
    "UI_MODES",
    "ChatView",
    "CorpusEdit",
    "accept",
    "add_text",
    "added_work_choices",
    "answer_to_dict",
    "clear",
    "corpus_edit_refusal",
    "default_mode",
    "export",
    "lookup",
    "lookup_to_dict",
    "read_work",
    "remove_text",
    "rerender",
    "respond",
    "select_filter",
    "works_rows",
]

UI_MODES = ("select", "grounded", "extractive")  # what the chat offers; "free" is for evaluation
LOOKUP_HOWS = ("auto", "phrase", "keyword", "anchor")
MAX_LOOKUP_CHARS = 2000
RAW_SLACK = 2  # a raw question over twice the cap is refused before it is even cleaned
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
    heartbeat: bool = False

    @property
    def exportable(self) -> bool:
        """Whether the conversation holds a finished turn worth exporting."""
        return any(t.done and not t.refused for t in self.turns)


def _view(turns: Sequence[Turn], show_unverified: bool) -> ChatView:
    turns = tuple(turns)
    return ChatView(
        turns=turns,
        chat_html=render_chat(turns, show_unverified=show_unverified),
        sources_html=render_sources(turns),
    )


def select_filter(selected: Sequence[str] | None, every: Sequence[str]) -> list[str] | None:
    """The author or work filter to pass on: None (no filter) when everything is selected.

    Anything else is passed on as given, for :func:`rag.answer.filters.validate_filters` to check:
    an empty (or missing) selection stays empty, so the question is refused rather than searched
    over everything, and an unknown or repeated value is refused by name. A selection longer than
    ``every`` is passed on without being read.

    Example::

        >>> select_filter(["a", "b"], ["a", "b"]) is None, select_filter(["a", "x"], ["a", "b"])
        (True, ['a', 'x'])
        >>> select_filter([], ["a", "b"]), select_filter(None, ["a", "b"])
        ([], [])
    """
    if selected is None:
        return []
    if len(selected) == len(every) and set(selected) == set(every):
        return None
    return list(selected) if len(selected) <= len(every) else selected  # type: ignore[return-value]


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
    text = utf8_safe(question)
    try:
        turns.append(Turn(_clean(text, s)))
    except InputError as refusal:
        turns.append(Turn(_echo(text, s), notice=str(refusal), done=True, refused=True))
    return _view(turns, show_unverified)


def _clean(text: str, settings: Settings) -> str:
    if len(text) > RAW_SLACK * settings.max_question_chars:  # no need to clean it to know
        check_length(text, settings.max_question_chars, "question", "max_question_chars")
    return clean_question(text, settings)


def _echo(question: str | None, settings: Settings) -> str:
    # A refused question is shown cleaned and cut short (it may be 100 KB).
    text = utf8_safe(question).lstrip()
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
    catalog: Sequence[Any] | None = None,
    poll_s: float = 0.1,
    heartbeat_s: float = 0.2,
    stop_grace_s: float = 1.0,
) -> Iterator[ChatView]:
    """Answer the pending question (or ``question``), yielding views: status, draft, final answer.

    The verified answer replaces the draft in the last view. ``authors``/``works`` (None = all)
    are checked against ``catalog`` (the catalog's works; read from the settings when None) and
    passed to ``answer_fn`` as catalog names; ``mode`` must be one of :data:`UI_MODES` (None =
    :func:`default_mode`). A refused filter or mode is a message in the last view;
    nothing is answered.
    """
    s = get_settings(settings)
    stop_event = stop_event if stop_event is not None else threading.Event()
    turns = list(turns or ())
    if not (turns and turns[-1].pending and (not utf8_safe(question).strip())):
        view = accept(question, turns, settings=s, show_unverified=show_unverified)
        turns = list(view.turns)
        if not turns[-1].pending:
            yield view
            return
    turn = turns[-1]
    try:
        mode = _checked_mode(mode, s)
        if authors is not None or works is not None:
            cat = catalog if catalog is not None else catalog_works(s)
            authors, works = validate_filters(authors, works, cat)
    except InputError as refusal:
        turns[-1] = replace(turn, notice=str(refusal), done=True, refused=True)
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
                yield _view(turns, show_unverified)
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
        yield _view(turns, show_unverified)
    finally:
        # Reached on completion, on Stop, and when the framework closes the generator because the
        # client went away: in every case the pipeline must stop using the CPU. Waiting for the
        # worker keeps the generation slot held until the model has really stopped, so the next
        # queued question never shares the CPU with a cancelled one.
        stop_event.set()
        worker.join(timeout=stop_grace_s)


def default_mode(settings: Settings) -> str:
    """The chat's answer mode when none is chosen: the configured one (``auto`` resolved), or
    grounded when that is one the chat does not offer ("free")."""
    mode = settings.resolved_answer_mode
    return mode if mode in UI_MODES else "grounded"


def _checked_mode(mode: str | None, settings: Settings) -> str:
    if not mode:
        return default_mode(settings)
    if mode not in UI_MODES:
        raise InputError(f"The answer mode must be one of: {', '.join(UI_MODES)}.")
    return mode


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


def rerender(turns: Sequence[Turn] | None, show_unverified: bool) -> ChatView:
    """The same conversation, re-rendered (after the 'show dropped sentences' switch moved)."""
    return _view(tuple(turns or ()), show_unverified)


def clear(stop_event: threading.Event | None = None) -> ChatView:
    """An empty conversation; stops a running answer first."""
    if stop_event is not None:
        stop_event.set()
    return _view((), False)


def export(turns: Sequence[Turn] | None, store: ExportStore, session: str) -> str:
    """Export the conversation now (for ``session``, into ``store``); the link's HTML to show.

    The link is relative (``attest-export/<token>``): no server path is ever sent. An empty
    conversation, or a failed write, gives a message instead.
    """
    done = tuple(t for t in (turns or ()) if t.done)
    if not any(not t.refused for t in done):
        return '<div class="attest-export-link">Nothing to export yet: ask a question first.</div>'
    try:
        token = store.create(session, done)
    except OSError:
        log.exception("could not write the conversation export")
        return '<div class="attest-export-link">The export could not be written; try again.</div>'
    minutes = max(1, round(store.retention_s / 60))
    return (
        f'<div class="attest-export-link"><a href="{esc(store.link(token))}" '
        f'download="attest-conversation.md" id="attest-export-a">Download the conversation '
        f"(Markdown)</a> <span>available for {minutes} minute(s)</span></div>"
    )


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
    """Run a citation lookup; returns the response and its HTML.

    The text is made safe for UTF-8 and refused (with a message, nothing searched, nothing
    repeated) beyond :data:`MAX_LOOKUP_CHARS`; ``how`` must be one of :data:`LOOKUP_HOWS`.
    """
    text = utf8_safe(query)
    how = how or "auto"
    try:
        check_length(text, MAX_LOOKUP_CHARS, "lookup text")
        if how not in LOOKUP_HOWS:
            raise InputError(f"Choose how to search: {', '.join(LOOKUP_HOWS)}.")
    except InputError as refusal:
        response = LookupResponse("", "keyword", (), str(refusal))
        return response, render_lookup(response)
    response = library.search(text, how, limit=limit, authors=authors)
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


def works_rows(library: Library, settings: Settings | None = None) -> list[list[Any]]:
    """Rows for the works table: author, title, year, passages, words, and when the work was
    added (empty for the corpus's own works; known only with ``settings``)."""
    added: dict[str, Any] = {}
    if settings is not None:
        from corpus.user import added_records

        added = added_records(settings)
    return [
        [
            w.author,
            w.title,
            w.year if w.year is not None else "—",
            w.passages,
            w.words,
            str(added[w.work_id].get("added", "yes"))[:10] if w.work_id in added else "",
        ]
        for w in _current(library).works_table()
    ]


def _current(library: Library) -> Library:
    # A live library (lookup.library.LiveLibrary) is pinned once per callback, so the calls of
    # one callback all see the same corpus even while a text is being added.
    current = getattr(library, "current", None)
    return current() if callable(current) else library


def corpus_edit_refusal(settings: Settings) -> str | None:
    """Why the chat may not add or remove texts (None when it may): see the setting
    ``chat_corpus_edits``."""
    from ui.origin import is_loopback

    mode = settings.chat_corpus_edits
    if mode == "off":
        return "Adding and removing texts is turned off here (setting chat_corpus_edits = 'off')."
    if mode == "loopback" and not is_loopback(settings.host):
        return (
            f"Adding and removing texts is off because the chat listens on {settings.host}, "
            "beyond this machine. Use `attest add` on the server, or set chat_corpus_edits = "
            "'on' to allow it here (behind the chat's login)."
        )
    return None


def added_work_choices(settings: Settings) -> list[tuple[str, str]]:
    """``(label, work_id)`` of the works added by the user, for the remove picker."""
    from corpus.catalog import load_catalog
    from corpus.errors import AttestError

    try:
        works = load_catalog(settings, verify=False).added
    except AttestError:
        return []
    return [(f"{w.author.split()[-1]} — {w.title} ({w.work_id})", w.work_id) for w in works]


@dataclass(frozen=True)
class CorpusEdit:
    """The outcome of an add or remove in the chat: ``ok`` and the message to show."""

    ok: bool
    message: str
    work_id: str | None = None
    author: str | None = None


def add_text(
    file_path: str | None,
    author: str | None,
    title: str | None,
    year: str | int | float | None = None,
    *,
    settings: Settings,
    embedder: Any = None,
    name: str | None = None,
    progress: Callable[[float, str], Any] | None = None,
) -> CorpusEdit:
    """Add an uploaded file as a new work (see :func:`rag.retrieval.update.add_text`).

    Refused, with the reason and nothing changed: editing not allowed here, no file, a missing
    author or title, and every refusal of the add itself (format, size, empty or binary file,
    PDF without text layer, duplicate, ...).
    """
    from pathlib import Path

    from rag.retrieval.update import add_text as add

    refusal = corpus_edit_refusal(settings)
    if refusal is not None:
        return CorpusEdit(False, refusal)
    if not file_path:
        return CorpusEdit(False, "Not added: choose a file first (.txt, .md, .html or .pdf).")
    if isinstance(year, float) and year.is_integer():
        year = int(year)
    try:
        result = add(
            settings,
            Path(file_path),
            author=utf8_safe(author),
            title=utf8_safe(title),
            year=utf8_safe(str(year)) if year not in (None, "") else None,
            name=name or Path(file_path).name,
            embedder=embedder,
            progress=progress or (lambda _f, _m: None),
        )
    except AttestError as refusal_error:
        return CorpusEdit(False, f"Not added: {refusal_error}. Nothing was changed.")
    except Exception:
        log.exception("adding a text failed")
        return CorpusEdit(False, "Not added: something went wrong; nothing was changed.")
    return CorpusEdit(True, result.summary(), result.work.work_id, result.work.author)


def remove_text(
    work_id: str | None,
    *,
    settings: Settings,
    embedder: Any = None,
    progress: Callable[[float, str], Any] | None = None,
) -> CorpusEdit:
    """Remove an added work (the corpus's own works cannot be removed)."""
    from rag.retrieval.update import remove_work

    refusal = corpus_edit_refusal(settings)
    if refusal is not None:
        return CorpusEdit(False, refusal)
    if not work_id:
        return CorpusEdit(False, "Not removed: choose one of the added texts first.")
    try:
        result = remove_work(
            settings,
            utf8_safe(work_id),
            embedder=embedder,
            progress=progress or (lambda _f, _m: None),
        )
    except AttestError as refusal_error:
        return CorpusEdit(False, f"Not removed: {refusal_error}. Nothing was changed.")
    except Exception:
        log.exception("removing a text failed")
        return CorpusEdit(False, "Not removed: something went wrong; nothing was changed.")
    return CorpusEdit(True, result.summary(), result.work.work_id, result.work.author)


def read_work(
    work_id: str, page_no: int, *, library: Library, per_page: int = 8
) -> tuple[str, int, str]:
    """Page ``page_no`` (0-based, clamped) of a work: (HTML, the page shown, 'page x of y').

    An unknown work gives a message listing the known ones (the given id is not repeated).
    """
    library = _current(library)
    total = next((w.passages for w in library.works_table() if w.work_id == work_id), None)
    if total is None:
        known = ", ".join(w.work_id for w in library.works_table())
        note = esc(f"Unknown work. Choose one of: {known}.")
        return f'<div class="attest-reader"><div class="empty">{note}</div></div>', 0, ""
    pages = max(1, -(-total // per_page))
    try:
        page_no = min(max(0, int(page_no or 0)), pages - 1)
    except (TypeError, ValueError, OverflowError):
        page_no = 0
    page = library.read(work_id, page_no * per_page, per_page)
    return render_reader(page), page_no, f"page {page_no + 1} of {pages}"
