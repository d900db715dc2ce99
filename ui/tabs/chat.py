"""The Chat tab: the conversation, its question box, filters and sources, and their events.

A question is accepted at once outside the queue (shown pending, or refused with the reason, or
refused because the queue is full), then answered in the shared generation slot
(:data:`ui.runs.GENERATE`, limit 1). Stop, Clear and closing the page stop the session's answer.
A refused question (or filter) is put back in the question box, so nothing typed is lost. The
conversation is exported only when the Export button is pressed (:mod:`ui.exports`).
"""

# No `from __future__ import annotations`: Gradio reads the handlers' annotations (gr.Request)
# when they are wired.
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import gradio as gr

from corpus.settings import Settings
from ui import callbacks
from ui.exports import ExportStore
from ui.runs import GENERATE, Runs, session_id
from ui.tabs.common import content_html
from ui.theme import CHAT_JS

__all__ = ["ChatTab", "build_chat_tab"]

# The modes the chat offers, in the order of callbacks.UI_MODES (the API offers the same).
MODES = [
    ("Answer: the passages that answer, quoted per author", "select"),
    ("Grounded: drafted by the model, then verified", "grounded"),
    ("Extractive: quotations only", "extractive"),
]


@dataclass(frozen=True)
class ChatTab:
    """The chat tab's components that its events read or write."""

    turns: gr.State
    refused: gr.State
    chat: gr.HTML
    sources: gr.HTML
    question: gr.Textbox
    ask: gr.Button
    stop: gr.Button
    authors: gr.CheckboxGroup
    works: gr.CheckboxGroup
    mode: gr.Radio
    show_unverified: gr.Checkbox
    clear: gr.Button
    download: gr.Button
    export_link: gr.HTML


def build_chat_tab(
    demo: gr.Blocks,
    *,
    settings: Settings,
    answer: callbacks.AnswerFn,
    runs: Runs,
    exports: ExportStore,
    authors: list[str],
    works: list[tuple[str, str]],
    examples: Sequence[str],
    catalog: Sequence[Any] | None = None,
) -> ChatTab:
    """Build the Chat tab (inside the caller's ``gr.Tabs``) and wire its events.

    ``answer`` answers questions; ``runs`` holds each session's stop event; ``exports`` writes a
    session's conversation when its Export button is pressed; ``authors`` and ``works`` (label,
    id) are every author and work the filters offer, all selected at first, and ``catalog`` the
    catalog's works they are checked against; ``examples`` are the questions offered under the box.
    """
    tab = _layout(settings, authors, works, examples)
    handlers = _ChatHandlers(
        demo,
        settings=settings,
        answer=answer,
        runs=runs,
        exports=exports,
        every_author=authors,
        every_work=[work_id for _, work_id in works],
        catalog=catalog,
    )
    _wire(demo, tab, handlers)
    return tab


def _layout(
    settings: Settings,
    authors: list[str],
    works: list[tuple[str, str]],
    examples: Sequence[str],
) -> ChatTab:
    empty = callbacks.rerender((), False)
    with gr.Tab("Chat", id="chat"):
        turns = gr.State(())
        refused = gr.State(False)  # set when the question just typed was refused on arrival
        with gr.Row(equal_height=False):
            with gr.Column(scale=3, min_width=420):
                chat = content_html(
                    empty.chat_html, "attest-chat", js_on_load=CHAT_JS, autoscroll=False
                )
                question, ask, stop = _ask_row(settings)
                gr.Examples(
                    examples=[[q] for q in examples],
                    inputs=[question],
                    label="Try a question",
                    examples_per_page=len(examples),
                    elem_id="attest-examples",
                )
                author_box, work_box, mode = _filters(settings, authors, works)
                show_unverified, clear, download = _options_row()
                export_link = gr.HTML("", elem_id="attest-export-link")
            with gr.Column(scale=2, min_width=320, elem_id="attest-sources-col"):
                sources = content_html(empty.sources_html, "attest-sources", js_on_load=None)
    return ChatTab(
        turns=turns,
        refused=refused,
        chat=chat,
        sources=sources,
        question=question,
        ask=ask,
        stop=stop,
        authors=author_box,
        works=work_box,
        mode=mode,
        show_unverified=show_unverified,
        clear=clear,
        download=download,
        export_link=export_link,
    )


def _ask_row(settings: Settings) -> tuple[gr.Textbox, gr.Button, gr.Button]:
    with gr.Row(equal_height=True, elem_id="attest-ask-row"):
        question = gr.Textbox(
            placeholder="Ask the essays a question…",
            show_label=False,
            lines=1,
            max_lines=6,
            max_length=settings.max_question_chars,
            scale=6,
            elem_id="attest-question",
            autofocus=True,
        )
        ask = gr.Button("Ask", variant="primary", scale=0, min_width=90, elem_id="attest-ask")
        stop = gr.Button("Stop", variant="secondary", scale=0, min_width=90, elem_id="attest-stop")
    return question, ask, stop


def _filters(
    settings: Settings, authors: list[str], works: list[tuple[str, str]]
) -> tuple[gr.CheckboxGroup, gr.CheckboxGroup, gr.Radio]:
    default_mode = callbacks.default_mode(settings)
    with gr.Accordion("Filters and answer mode", open=False):
        author_box = gr.CheckboxGroup(
            choices=authors, value=authors, label="Authors", elem_id="attest-authors"
        )
        work_box = gr.CheckboxGroup(
            choices=works,
            value=[work_id for _, work_id in works],
            label="Works",
            elem_id="attest-works",
        )
        mode_radio = gr.Radio(
            choices=MODES, value=default_mode, label="Answer mode", elem_id="attest-mode"
        )
    return author_box, work_box, mode_radio


def _options_row() -> tuple[gr.Checkbox, gr.Button, gr.Button]:
    with gr.Row():
        show_unverified = gr.Checkbox(
            value=False,
            label="Show dropped sentences (not verified)",
            elem_id="attest-show-unverified",
        )
        clear = gr.Button("Clear", variant="secondary", size="sm")
        download = gr.Button(
            "Export conversation (Markdown)",
            size="sm",
            visible=False,
            elem_id="attest-export",
        )
    return show_unverified, clear, download


class _ChatHandlers:
    """The chat's event handlers for one app (their names are the events' default API names)."""

    def __init__(
        self,
        demo: gr.Blocks,
        *,
        settings: Settings,
        answer: callbacks.AnswerFn,
        runs: Runs,
        exports: ExportStore,
        every_author: list[str],
        every_work: list[str],
        catalog: Sequence[Any] | None = None,
    ) -> None:
        self.demo = demo
        self.settings = settings
        self.answer = answer
        self.runs = runs
        self.exports = exports
        self.every_author = every_author
        self.every_work = every_work
        self.catalog = catalog

    def on_accept(self, q: str, turns: tuple, show: bool) -> tuple:
        queue = getattr(self.demo, "_queue", None)
        waiting = len(queue) if queue is not None else 0
        if queue is not None and queue.max_size is not None and waiting >= queue.max_size:
            raise gr.Error(
                f"The chat is busy: {waiting} questions are already waiting for the model. "
                "Please try again in a minute.",
                duration=8,
            )
        view = callbacks.accept(q, turns, settings=self.settings, show_unverified=show)
        refused = view.turns[-1].refused
        # A refused question stays in the box, so it can be shortened instead of retyped; the
        # answering step that follows is told (through ``refused``) that there is nothing to do.
        return view.turns, view.chat_html, q if refused else "", gr.skip(), refused

    def on_respond(
        self,
        q: str,
        turns: tuple,
        authors: list[str],
        work_ids: list[str],
        answer_mode: str,
        show: bool,
        request: gr.Request,
        refused: bool = False,
    ) -> Iterator[tuple]:
        if refused:  # the question was refused on arrival; the refusal is already shown
            yield gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip()
            return
        session = session_id(request)
        event = self.runs.start(session)
        try:
            for view in callbacks.respond(
                q,
                turns,
                answer_fn=self.answer,
                settings=self.settings,
                authors=callbacks.select_filter(authors, self.every_author),
                works=callbacks.select_filter(work_ids, self.every_work),
                mode=answer_mode,
                show_unverified=show,
                stop_event=event,
                catalog=self.catalog,
            ):
                if view.heartbeat:
                    yield gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip()
                    continue
                last = view.turns[-1] if view.turns else None
                export = gr.Button(visible=True) if view.exportable else gr.skip()
                # A refused filter or mode: the question goes back in the box, nothing is lost.
                box = last.question if last is not None and last.refused and not q else gr.skip()
                yield view.turns, view.chat_html, view.sources_html, export, box
        finally:
            self.runs.finish(session, event)

    def on_stop(self, request: gr.Request) -> None:
        self.runs.stop(session_id(request))

    def on_unload(self, request: gr.Request) -> None:
        self.runs.stop(session_id(request))

    def on_clear(self, request: gr.Request) -> tuple:
        self.runs.stop(session_id(request))
        view = callbacks.clear()
        return view.turns, view.chat_html, view.sources_html, gr.Button(visible=False), ""

    def on_export(self, turns: tuple, request: gr.Request) -> str:
        return callbacks.export(turns, self.exports, session_id(request))

    def on_toggle(self, turns: tuple, show: bool) -> str:
        return callbacks.rerender(turns, show).chat_html


# Starts the download of the link the export handler just showed.
_CLICK_EXPORT_LINK = "() => { document.querySelector('#attest-export-a')?.click(); }"


def _wire(demo: gr.Blocks, tab: ChatTab, handlers: _ChatHandlers) -> None:
    chat_outputs = [tab.turns, tab.chat, tab.sources, tab.download, tab.question]
    respond_inputs = [
        tab.question,
        tab.turns,
        tab.authors,
        tab.works,
        tab.mode,
        tab.show_unverified,
        tab.refused,
    ]
    # Bound once, so both triggers share one function (and its default concurrency id).
    on_accept, on_respond = handlers.on_accept, handlers.on_respond
    accepted = [
        trigger(
            on_accept,
            [tab.question, tab.turns, tab.show_unverified],
            [tab.turns, tab.chat, tab.question, tab.download, tab.refused],
            queue=False,
            api_visibility="private",
        )
        for trigger in (tab.ask.click, tab.question.submit)
    ]
    respond_events = [
        event.success(
            on_respond,
            respond_inputs,
            chat_outputs,
            concurrency_limit=1,
            concurrency_id=GENERATE,
            show_progress="minimal",
            api_name="respond" if i == 0 else None,
            api_visibility="public" if i == 0 else "private",
        )
        for i, event in enumerate(accepted)
    ]
    tab.stop.click(handlers.on_stop, None, None, queue=False, api_name="stop")
    tab.clear.click(
        handlers.on_clear,
        None,
        [tab.turns, tab.chat, tab.sources, tab.download, tab.export_link],
        queue=False,
        cancels=respond_events,
        api_visibility="private",
    )
    tab.download.click(
        handlers.on_export, [tab.turns], tab.export_link, queue=False, api_visibility="private"
    ).then(None, None, None, js=_CLICK_EXPORT_LINK, queue=False, api_visibility="private")
    tab.show_unverified.change(
        handlers.on_toggle,
        [tab.turns, tab.show_unverified],
        tab.chat,
        queue=False,
        api_visibility="private",
    )
    demo.unload(handlers.on_unload)
