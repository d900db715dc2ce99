"""The Citation lookup tab: find a passage by phrase, keywords or anchor, with its context.

Its events run outside the queue, so a lookup answers while a question is being generated.
"""

import gradio as gr

from lookup.library import Library
from ui import callbacks
from ui.tabs.common import content_html
from ui.theme import LOOKUP_JS

__all__ = ["build_lookup_tab"]

PLACEHOLDER = (
    "A verbatim phrase, some keywords, or an anchor such as tucker-revolution-from-above §II ¶4"
)
HOW = [
    ("Automatic", "auto"),
    ("Exact phrase", "phrase"),
    ("Keywords", "keyword"),
    ("Anchor", "anchor"),
]
EMPTY_HTML = (
    '<div class="attest-lookup"><div class="empty">Paste a quotation to find where it '
    "comes from, search by keywords, or open an anchor; each result shows the "
    "paragraphs around it, its notes and a citation to copy.</div></div>"
)


def build_lookup_tab(library: Library) -> None:
    """Build the Citation lookup tab (inside the caller's ``gr.Tabs``) and wire its events.

    The Find button is the public ``/lookup_html`` endpoint; Enter in the box does the same.
    """
    with gr.Tab("Citation lookup", id="lookup"):
        with gr.Row(equal_height=True):
            query = gr.Textbox(
                placeholder=PLACEHOLDER,
                show_label=False,
                scale=6,
                elem_id="attest-lookup-query",
                max_length=2000,
            )
            find = gr.Button("Find", variant="primary", scale=1, elem_id="attest-lookup-go")
        how = gr.Radio(choices=HOW, value="auto", show_label=False, elem_id="attest-lookup-how")
        results = content_html(EMPTY_HTML, "attest-lookup", js_on_load=LOOKUP_JS)

    def on_lookup(query: str, how: str) -> str:
        return callbacks.lookup(query, how, library=library)[1]

    for trigger, api_name, visibility in (
        (find.click, "lookup_html", "public"),
        (query.submit, None, "private"),
    ):
        trigger(
            on_lookup,
            [query, how],
            results,
            queue=False,
            api_name=api_name,
            api_visibility=visibility,
        )
