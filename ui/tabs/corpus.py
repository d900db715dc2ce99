"""The Corpus tab: the table of works and a reader that pages through one work.

Its events run outside the queue, so reading answers while a question is being generated.
"""

import gradio as gr

from lookup.library import Library
from ui import callbacks
from ui.tabs.common import content_html

__all__ = ["build_corpus_tab"]

HEADERS = ["Author", "Title", "Year", "Passages", "Words"]


def build_corpus_tab(library: Library, works: list[tuple[str, str]]) -> None:
    """Build the Corpus tab (inside the caller's ``gr.Tabs``) and wire its events.

    ``works`` are the reader's choices, ``(label, work_id)``; it opens on the first one's first
    page. Next is the public ``/read`` endpoint.
    """
    first = works[0][1] if works else None
    if first is not None:
        first_html, _, first_label = callbacks.read_work(first, 0, library=library)
    else:
        first_html, first_label = '<div class="attest-reader"></div>', ""
    with gr.Tab("Corpus", id="corpus"):
        gr.Dataframe(
            value=callbacks.works_rows(library),
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
