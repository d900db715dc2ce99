"""The Corpus tab: the table of works, a reader that pages through one work, and a form to add
a text of one's own (or remove one added before).

Reading runs outside the queue, so it answers while a question is being generated. Adding and
removing run in the queue under their own concurrency id (one edit at a time, never waiting for
the generator) so that they can show progress; they exist only where
:func:`ui.callbacks.corpus_edit_refusal` allows edits (loopback, or the setting
``chat_corpus_edits = "on"``): elsewhere the tab says why and takes no files at all.
"""

# No `from __future__ import annotations`: Gradio reads the handlers' annotations.
from typing import Any

import gradio as gr

from corpus.ingest import FORMATS
from corpus.settings import Settings, get_settings
from lookup.library import Library
from ui import callbacks
from ui.render import esc, use_catalog_colours
from ui.tabs.common import content_html, work_choices

__all__ = ["EDIT", "build_corpus_tab"]

HEADERS = ["Author", "Title", "Year", "Passages", "Words", "Added"]
EDIT = "corpus-edit"  # concurrency id of adding and removing texts (one at a time)


def build_corpus_tab(
    library: Library,
    works: list[tuple[str, str]],
    *,
    settings: Settings | None = None,
    embedder: Any = None,
    chat: Any = None,
) -> None:
    """Build the Corpus tab (inside the caller's ``gr.Tabs``) and wire its events.

    ``works`` are the reader's choices, ``(label, work_id)``; it opens on the first one's first
    page. Next is the public ``/read`` endpoint. With ``settings`` (and edits allowed by them)
    the tab gets the Add-a-text form; ``embedder`` embeds added texts (default: the configured
    one); ``chat`` (:class:`ui.tabs.chat.ChatTab`) has its author and work filters updated when a
    text is added or removed.
    """
    s = get_settings(settings)
    use_catalog_colours(s)
    first = works[0][1] if works else None
    if first is not None:
        first_html, _, first_label = callbacks.read_work(first, 0, library=library)
    else:
        first_html, first_label = '<div class="attest-reader"></div>', ""
    with gr.Tab("Corpus", id="corpus"):
        table = gr.Dataframe(
            value=callbacks.works_rows(library, s),
            headers=HEADERS,
            interactive=False,
            elem_id="attest-works-table",
        )
        with gr.Row(equal_height=False):
            work = gr.Dropdown(
                choices=works, value=first, label="Read", scale=4, elem_id="attest-reader-work"
            )
            prev_btn = gr.Button("◀ Previous", scale=1, size="sm")
            page_label = gr.Markdown(first_label)
            next_btn = gr.Button("Next ▶", scale=1, size="sm")
        page = gr.State(0)
        reader = content_html(first_html, "attest-reader", js_on_load=None)
        refusal = callbacks.corpus_edit_refusal(s)
        with gr.Accordion("Add a text of your own", open=False, elem_id="attest-add-text"):
            if refusal is not None:
                gr.Markdown(esc(refusal), elem_id="attest-add-off")
                form = None
            else:
                form = _add_form(s)

    def on_read(work_id: str, page_no: int) -> tuple[str, int, str]:
        return callbacks.read_work(work_id, page_no, library=library)

    shown = [reader, page, page_label]
    work.change(lambda w: on_read(w, 0), work, shown, queue=False, api_visibility="private")
    prev_btn.click(
        lambda w, p: on_read(w, p - 1),
        [work, page],
        shown,
        queue=False,
        api_visibility="private",
    )
    next_btn.click(
        lambda w, p: on_read(w, p + 1), [work, page], shown, queue=False, api_name="read"
    )
    if form is not None:
        _wire_edits(form, s, library, embedder, chat, table, work)
    _refresh_on_load(s, library, chat, table, work, form)


def _refresh_on_load(
    s: Settings,
    library: Library,
    chat: Any,
    table: gr.Dataframe,
    work: gr.Dropdown,
    form: dict[str, Any] | None,
) -> None:
    """A page opened after texts were added or removed (here or with ``attest add``) shows the
    corpus as it is: works table, reader and remove choices, and the chat's filters."""
    from gradio.context import Context

    demo = Context.root_block
    if demo is None:
        return
    handlers = _chat_filter_lists() if chat is not None else []
    outputs = [table, work]
    if form is not None:
        outputs.append(form["added"])
    if chat is not None:
        outputs += [chat.authors, chat.works]

    def on_load() -> list:
        current = callbacks._current(library)
        reader_works = work_choices(current)
        every_author = current.authors()
        for owner in handlers:
            owner.every_author[:] = every_author
            owner.every_work[:] = [w for _, w in reader_works]
        out: list[Any] = [callbacks.works_rows(current, s), gr.Dropdown(choices=reader_works)]
        if form is not None:
            out.append(gr.Dropdown(choices=callbacks.added_work_choices(s), value=None))
        if chat is not None:
            out += [
                gr.CheckboxGroup(choices=every_author, value=every_author),
                gr.CheckboxGroup(choices=reader_works, value=[w for _, w in reader_works]),
            ]
        return out

    demo.load(on_load, None, outputs, queue=False, api_visibility="private")


def _add_form(s: Settings) -> dict[str, Any]:
    types = sorted(FORMATS)
    limit = min(s.add_max_bytes, s.max_upload_bytes)
    gr.Markdown(
        "Add an essay as a new work: a .txt, .md, .html or .pdf file (a PDF needs a text layer; "
        f"at most {limit / 1_000_000:.1f} MB). It is copied into "
        f"`{esc(str(s.resolved_user_corpus_dir))}`, cleaned like the bundled essays and indexed; "
        "the bundled essays are never changed. A known author's name (or surname) attaches the "
        "text to that author."
    )
    with gr.Row(equal_height=False):
        file = gr.File(
            label="File",
            file_types=types,
            file_count="single",
            type="filepath",
            elem_id="attest-add-file",
        )
        with gr.Column():
            author = gr.Textbox(
                label="Author", max_lines=1, max_length=300, elem_id="attest-add-author"
            )
            title = gr.Textbox(
                label="Title", max_lines=1, max_length=300, elem_id="attest-add-title"
            )
            year = gr.Textbox(
                label="Year (optional)", max_lines=1, max_length=8, elem_id="attest-add-year"
            )
            add = gr.Button("Add the text", variant="primary", elem_id="attest-add")
    status = gr.Markdown("", elem_id="attest-add-status")
    with gr.Row(equal_height=False, elem_id="attest-remove-row"):
        added = gr.Dropdown(
            choices=callbacks.added_work_choices(s),
            value=None,
            label="Texts you added",
            scale=4,
            elem_id="attest-added-works",
        )
        remove = gr.Button(
            "Remove the chosen text", variant="stop", scale=1, size="sm", elem_id="attest-remove"
        )
    return {
        "file": file,
        "author": author,
        "title": title,
        "year": year,
        "add": add,
        "status": status,
        "added": added,
        "remove": remove,
    }


def _chat_filter_lists() -> list[Any]:
    """The chat handlers' lists of every author and work (:mod:`ui.tabs.chat`), found among the
    events already wired in the Blocks being built: a selection equal to them means "no
    filter", so they must grow and shrink with the corpus."""
    from gradio.context import get_blocks_context

    ctx = get_blocks_context()
    found = []
    for fn in ctx.fns.values() if ctx is not None else ():
        owner = getattr(fn.fn, "__self__", None)
        if hasattr(owner, "every_author") and hasattr(owner, "every_work") and owner not in found:
            found.append(owner)
    return found


def _wire_edits(
    form: dict[str, Any],
    s: Settings,
    library: Library,
    embedder: Any,
    chat: Any,
    table: gr.Dataframe,
    work: gr.Dropdown,
) -> None:
    filters = [chat.authors, chat.works] if chat is not None else []
    handlers = _chat_filter_lists() if chat is not None else []

    def refreshed(edit: callbacks.CorpusEdit, authors: list[str], work_ids: list[str]) -> list:
        """The tab's and the chat's components after an edit (unchanged when it failed)."""
        mark = "✓ " if edit.ok else "✗ "
        out: list[Any] = [mark + esc(edit.message)]
        if not edit.ok:
            return out + [gr.skip()] * (3 + len(filters))
        current = callbacks._current(library)
        reader_works = work_choices(current)
        out += [
            callbacks.works_rows(current, s),
            gr.Dropdown(choices=reader_works),
            gr.Dropdown(choices=callbacks.added_work_choices(s), value=None),
        ]
        every_author = current.authors()
        every_work = [w for _, w in reader_works]
        for owner in handlers:  # "everything selected" now includes the new work and author
            owner.every_author[:] = every_author
            owner.every_work[:] = every_work
        if filters:
            keep_a = [a for a in (authors or []) if a in every_author]
            keep_w = [w for w in (work_ids or []) if w in every_work]
            if edit.author in every_author and edit.author not in keep_a:
                keep_a.append(edit.author)
            if edit.work_id in every_work and edit.work_id not in keep_w:
                keep_w.append(edit.work_id)
            out += [
                gr.CheckboxGroup(choices=every_author, value=keep_a),
                gr.CheckboxGroup(choices=reader_works, value=keep_w),
            ]
        return out

    def on_add(
        file: str | None,
        author: str,
        title: str,
        year: str,
        authors: list[str] | None = None,
        work_ids: list[str] | None = None,
        progress: gr.Progress = gr.Progress(),  # noqa: B008 (Gradio's documented idiom)
    ) -> list:
        edit = callbacks.add_text(
            file,
            author,
            title,
            year,
            settings=s,
            embedder=embedder,
            progress=lambda f, m: progress(f, desc=m),
        )
        out = refreshed(edit, authors or [], work_ids or [])
        # A successful add clears the form, a refused one keeps it for correcting.
        clear = [None, "", "", ""] if edit.ok else [gr.skip()] * 4
        return out + clear

    def on_remove(
        work_id: str | None,
        authors: list[str] | None = None,
        work_ids: list[str] | None = None,
        progress: gr.Progress = gr.Progress(),  # noqa: B008
    ) -> list:
        edit = callbacks.remove_text(
            work_id, settings=s, embedder=embedder, progress=lambda f, m: progress(f, desc=m)
        )
        return refreshed(edit, authors or [], work_ids or [])

    outputs = [form["status"], table, work, form["added"], *filters]
    form["add"].click(
        on_add,
        [form["file"], form["author"], form["title"], form["year"], *filters],
        [*outputs, form["file"], form["author"], form["title"], form["year"]],
        concurrency_limit=1,
        concurrency_id=EDIT,
        api_visibility="private",
    )
    form["remove"].click(
        on_remove,
        [form["added"], *filters],
        outputs,
        concurrency_limit=1,
        concurrency_id=EDIT,
        api_visibility="private",
    )
