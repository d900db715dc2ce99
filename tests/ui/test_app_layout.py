"""The Blocks app built with fakes, not served: its components, endpoints and chat handlers."""

from __future__ import annotations

from types import SimpleNamespace

import gradio as gr
import pytest

from ui import callbacks

ELEM_IDS = {
    "attest-chat",
    "attest-ask-row",
    "attest-question",
    "attest-ask",
    "attest-stop",
    "attest-authors",
    "attest-works",
    "attest-mode",
    "attest-show-unverified",
    "attest-export",
    "attest-sources-col",
    "attest-sources",
    "attest-lookup-query",
    "attest-lookup-go",
    "attest-lookup-how",
    "attest-lookup",
    "attest-works-table",
    "attest-reader-work",
    "attest-reader",
}


@pytest.fixture
def app(ui_settings, library, answerer, monkeypatch):
    from ui.app import build_app

    monkeypatch.setenv("GRADIO_TEMP_DIR", "")  # build_app sets it; restored afterwards
    demo = build_app(ui_settings, answer_fn=answerer, library=library)
    yield demo
    demo.close()


def _fn(demo, api_name: str):
    return next(bf for bf in demo.fns.values() if bf.api_name == api_name)


def test_components_keep_their_elem_ids(app):
    found = {b.elem_id for b in app.blocks.values() if getattr(b, "elem_id", None)}
    assert found >= ELEM_IDS


def test_endpoints_queue_and_generation_slot(app, ui_settings):
    public = {bf.api_name for bf in app.fns.values() if bf.api_visibility == "public"}
    assert public >= {"respond", "stop", "lookup_html", "read", "ask", "lookup"}
    generating = [bf for bf in app.fns.values() if bf.concurrency_id == "generate"]
    assert {bf.api_name for bf in generating} == {"respond", "on_respond", "ask"}
    assert all(bf.concurrency_limit == 1 and bf.queue for bf in generating)
    for name in ("stop", "lookup_html", "read", "lookup", "on_accept", "on_clear"):
        assert _fn(app, name).queue is False, name  # answers while a question is generating
    assert app._queue.max_size == ui_settings.queue_size


def test_respond_handler_filters_and_refuses_an_empty_author_choice(app, answerer, library):
    respond = _fn(app, "respond").fn
    request = SimpleNamespace(session_hash="s1")
    every_author = library.authors()
    every_work = [w.work_id for w in library.works_table()]

    outputs = list(respond("Why?", (), every_author, every_work, "grounded", False, request))
    assert answerer.calls[-1]["authors"] is None and answerer.calls[-1]["works"] is None
    assert 'data-state="done"' in outputs[-1][1]

    list(respond("Why?", (), every_author[:1], every_work, "grounded", False, request))
    assert answerer.calls[-1]["authors"] == every_author[:1]

    calls = len(answerer.calls)
    outputs = list(respond("Why?", (), [], every_work, "grounded", False, request))
    assert len(answerer.calls) == calls and "at least one author" in outputs[-1][1]


def test_accept_handler_shows_the_question_cleaners_refusal(app, ui_settings):
    turns, chat_html, question_box, _, refused = _fn(app, "on_accept").fn("  \x00 ", (), False)
    expected = callbacks.accept("", (), settings=ui_settings).turns[-1].notice
    assert turns[-1].done and turns[-1].notice == expected and refused is True
    assert question_box == "  \x00 "  # a refused question stays in the box: nothing is lost
    assert "the question is empty" in chat_html


def test_a_refused_question_is_not_answered_by_the_step_that_follows(app, answerer):
    too_long = "why " * 1000
    turns, _html, box, _, refused = _fn(app, "on_accept").fn(too_long, (), False)
    assert refused and box == too_long
    request = SimpleNamespace(session_hash="s2")
    outputs = list(_fn(app, "respond").fn(box, turns, [], [], "grounded", False, request, refused))
    assert answerer.calls == []  # no second refusal, no answer
    assert outputs == [(gr.skip(),) * 5]  # nothing on screen changes


def test_accepted_question_is_cleared_and_answered(app, answerer, library):
    turns, _html, box, _, refused = _fn(app, "on_accept").fn("What about grain?", (), False)
    assert box == "" and refused is False and turns[-1].pending
    request = SimpleNamespace(session_hash="s3")
    every_work = [w.work_id for w in library.works_table()]
    outputs = list(
        _fn(app, "respond").fn(
            box, turns, library.authors(), every_work, "grounded", False, request, refused
        )
    )
    assert answerer.calls[-1]["question"] == "What about grain?"
    assert 'data-state="done"' in outputs[-1][1]


def test_a_refused_filter_puts_the_question_back_in_the_box(app, answerer, library):
    turns, *_ = _fn(app, "on_accept").fn("Which works?", (), False)
    request = SimpleNamespace(session_hash="s4")
    outputs = list(
        _fn(app, "respond").fn("", turns, library.authors(), [], "grounded", False, request)
    )
    chat_html, box = outputs[-1][1], outputs[-1][4]
    assert "No work is selected" in chat_html and box == "Which works?"
    assert answerer.calls == []
