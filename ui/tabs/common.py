"""What the tabs share: the HTML component they render into and the choices of works."""

from typing import Any

import gradio as gr

from lookup.library import Library
from ui.theme import CONTENT_CSS

__all__ = ["content_html", "work_choices"]


def content_html(value: str, elem_id: str, **kw: Any) -> gr.HTML:
    """An HTML component styled by the shared content CSS (chat, sources, lookup, reader).

    ``value`` must already be safe HTML: :mod:`ui.render` escapes everything it puts in.
    """
    return gr.HTML(value, elem_id=elem_id, css_template=CONTENT_CSS, **kw)


def work_choices(library: Library) -> list[tuple[str, str]]:
    """``(label, work_id)`` per work for pickers, labelled "Surname — Title (year)"."""
    return [
        (f"{w.author.split()[-1]} — {w.title}" + (f" ({w.year})" if w.year else ""), w.work_id)
        for w in library.works_table()
    ]
