"""The chat callbacks as plain functions: streaming, final answer, filters, stop, errors, export."""

from __future__ import annotations

import re
import threading
from dataclasses import replace

import pytest

from corpus.errors import InputError
from rag.answer.question import clean_question
from rag.answer.types import AnswerSentence
from ui import callbacks
from ui.render import esc
from ui.turn import Turn


def _run(answerer, settings, question="What happened to the grain?", turns=(), **kw):
    return list(callbacks.respond(question, turns, answer_fn=answerer, settings=settings, **kw))


def test_streaming_order_then_verified_answer_replaces_draft(make_answerer, ui_settings):
    answerer = make_answerer(delay=0.05)
    views = [v for v in _run(answerer, ui_settings) if not v.heartbeat]
    assert views[0].turns[-1].status == callbacks.FIRST_STATUS
    assert "Loading the language model" in "".join(v.chat_html for v in views)
    drafts = [v.turns[-1].draft for v in views if v.turns[-1].draft]
    assert drafts and drafts[-1].startswith("A draft")
    assert all("not yet verified" in v.chat_html for v in views if v.turns[-1].draft)
    final = views[-1]
    assert final.turns[-1].done and final.turns[-1].answer is not None
    assert "not yet verified" not in final.chat_html and "A draft" not in final.chat_html
    assert 'class="cite"' in final.chat_html and 'class="src-card' in final.sources_html
    # no event arrives after the final answer
    assert [v.turns[-1].answer is not None for v in views].index(True) == len(views) - 1


def test_filters_mode_and_flags_are_passed_through(answerer, ui_settings):
    _run(
        answerer,
        ui_settings,
        authors=["Ben Sample"],
        works=["sample-terror"],
        mode="extractive",
        show_unverified=True,
    )
    call = answerer.calls[0]
    assert call["authors"] == ["Ben Sample"] and call["works"] == ["sample-terror"]
    assert call["mode"] == "extractive" and call["show_unverified"] is True
    assert call["settings"] is not None and call["history"] == ()


def test_history_carries_earlier_answers(answerer, ui_settings):
    first = _run(answerer, ui_settings, "First question?")[-1]
    _run(answerer, ui_settings, "And then?", turns=first.turns)
    history = answerer.calls[1]["history"]
    assert [q for q, _ in history] == ["First question?"] and history[0][1] is not None


def test_accept_then_respond_uses_the_pending_turn(answerer, ui_settings):
    pending = callbacks.accept("Pending question?", (), settings=ui_settings)
    assert pending.turns[-1].pending and "Waiting for the model" in pending.chat_html
    final = _run(answerer, ui_settings, "", turns=pending.turns)[-1]
    assert len(final.turns) == 1 and answerer.calls[0]["question"] == "Pending question?"


@pytest.mark.parametrize(
    ("question", "fragment"),
    [
        ("", "the question is empty"),
        ("   \n\t ", "the question is empty"),
        ("\x00\x01", "the question is empty"),
    ],
)
def test_empty_questions_are_refused_without_a_model_call(
    answerer, ui_settings, question, fragment
):
    views = _run(answerer, ui_settings, question)
    assert answerer.calls == []
    assert fragment in views[-1].chat_html and views[-1].turns[-1].done


def test_too_long_question_states_the_cap(answerer, ui_settings):
    views = _run(answerer, ui_settings, "why " * 1000)
    assert answerer.calls == []
    assert f"the limit is {ui_settings.max_question_chars}" in views[-1].chat_html
    shown = views[-1].turns[-1].question  # echoed cleaned and cut short, never in full
    assert shown.startswith("why why") and shown.endswith("…") and len(shown) <= 301


def test_refusal_is_the_question_cleaners_message(ui_settings):
    with pytest.raises(InputError) as refused:
        clean_question("   ", ui_settings)
    view = callbacks.accept("   ", (), settings=ui_settings)
    turn = view.turns[-1]
    assert turn.done and turn.notice == str(refused.value)
    assert turn.question == "(empty question)" and esc(turn.notice) in view.chat_html


def test_control_characters_are_stripped_and_unicode_kept(answerer, ui_settings):
    _run(answerer, ui_settings, "Что\x00 писал \u200fТроцкий\x07?")
    assert answerer.calls[0]["question"] == "Что писал \u200fТроцкий?"


def test_question_is_normalised_like_the_pipeline_does(answerer, ui_settings):
    raw = "  Who\x00 was\n\n  Kirov?\t"
    view = callbacks.accept(raw, (), settings=ui_settings)
    assert view.turns[-1].question == clean_question(raw, ui_settings) == "Who was Kirov?"
    _run(answerer, ui_settings, raw)
    assert answerer.calls[0]["question"] == "Who was Kirov?"


def test_no_author_selected_is_refused(answerer, ui_settings):
    views = _run(answerer, ui_settings, authors=[])
    assert answerer.calls == [] and "at least one author" in views[-1].chat_html


def test_no_work_selected_is_refused_not_searched_over_everything(answerer, ui_settings):
    views = _run(answerer, ui_settings, works=callbacks.select_filter([], ["example-grain"]))
    assert answerer.calls == []
    assert "No work is selected: choose at least one work" in views[-1].chat_html
    assert views[-1].turns[-1].refused and views[-1].turns[-1].answer is None


def test_select_filter():
    every = ["a", "b", "c"]
    assert callbacks.select_filter(["a", "b", "c"], every) is None
    assert callbacks.select_filter(["c", "b", "a"], every) is None
    # Anything else is passed on for the catalog check to name: unknown, repeated, too many.
    assert callbacks.select_filter(["b", "zzz"], every) == ["b", "zzz"]
    assert callbacks.select_filter(["c", "b", "a", "zzz"], every) == ["c", "b", "a", "zzz"]
    assert callbacks.select_filter(["a", "a", "b"], every) == ["a", "a", "b"]
    # Nothing chosen is a choice: passed on empty, so the answer is refused, not unfiltered.
    assert callbacks.select_filter([], every) == []
    assert callbacks.select_filter(None, every) == []
    assert callbacks.select_filter([], []) is None


def test_deselecting_every_author_refuses_the_question(answerer, ui_settings):
    authors = callbacks.select_filter([], ["Ada Example", "Ben Sample"])
    views = _run(answerer, ui_settings, authors=authors)
    assert answerer.calls == [] and "at least one author" in views[-1].chat_html


def test_stop_ends_the_answer_and_its_worker(make_answerer, ui_settings):
    words = 100  # 30 s of drafting if the stop were ignored (pytest-timeout would end the test)
    slow = make_answerer(delay=0.3, draft_words=tuple("word" for _ in range(words)))
    stop = threading.Event()
    gen = callbacks.respond("q?", (), answer_fn=slow, settings=ui_settings, stop_event=stop)
    for view in gen:
        if view.turns[-1].draft:
            break
    stop.set()
    rest = list(gen)
    worker = slow.threads[0]
    worker.join(timeout=10)  # ends at its next word (0.3 s) when the stop is honoured
    assert not worker.is_alive() and slow.drafted < words
    last = rest[-1].turns[-1]
    assert last.stopped and last.done
    assert "Stopped" in rest[-1].chat_html and "not yet verified" not in rest[-1].chat_html
    assert slow.stop_events[0].is_set()


def test_closing_the_generator_sets_the_stop_event(make_answerer, ui_settings):
    slow = make_answerer(delay=0.2, draft_words=tuple("w" for _ in range(50)))
    gen = callbacks.respond("q?", (), answer_fn=slow, settings=ui_settings)
    next(gen)
    next(gen)
    gen.close()  # what the server does when the client goes away
    assert slow.stop_events and slow.stop_events[0].is_set()


def test_quiet_pipeline_yields_heartbeats(make_answerer, ui_settings):
    slow = make_answerer(delay=0.6, draft_words=("one", "two"))
    views = list(callbacks.respond("q?", (), answer_fn=slow, settings=ui_settings, heartbeat_s=0.2))
    assert any(v.heartbeat for v in views) and not views[-1].heartbeat


@pytest.mark.parametrize(
    ("error", "fragment"),
    [
        (InputError("The question names no essay; fix it like this."), "fix it like this"),
        (RuntimeError("boom"), "Something went wrong"),
    ],
)
def test_pipeline_errors_become_messages(make_answerer, ui_settings, error, fragment):
    views = _run(make_answerer(fail=error), ui_settings)
    assert fragment in views[-1].chat_html and views[-1].turns[-1].done
    assert "boom" not in views[-1].chat_html  # internals are logged, not shown


def test_export_is_written_only_when_asked_for(answerer, ui_settings, tmp_path):
    from ui.exports import ExportStore

    store = ExportStore(tmp_path / "exports", retention_s=60)
    final = _run(answerer, ui_settings)[-1]
    assert final.exportable and store.files() == []  # answering writes nothing
    html = callbacks.export(final.turns, store, "session-1")
    token = re.search(r'href="attest-export/([0-9a-f]{32})"', html).group(1)
    assert str(tmp_path) not in html  # a relative link, no server path
    path, name = store.get(token)
    assert name.startswith("attest-conversation-") and name.endswith(".md")
    text = path.read_text(encoding="utf-8")
    assert "What happened to the grain?" in text and "[1]" in text and "Ada Example" in text


def test_nothing_to_export_before_an_answer(tmp_path):
    from ui.exports import ExportStore

    store = ExportStore(tmp_path / "exports", retention_s=60)
    assert "Nothing to export yet" in callbacks.export((), store, "s")
    assert store.files() == []


def test_rerender_toggles_dropped_sentences(answerer, ui_settings):
    final = _run(answerer, ui_settings)[-1]
    assert "An unsupported claim" not in final.chat_html
    assert "An unsupported claim" in callbacks.rerender(final.turns, True).chat_html


def test_clear_sets_stop_and_empties():
    stop = threading.Event()
    view = callbacks.clear(stop)
    assert stop.is_set() and view.turns == () and "Ask the essays" in view.chat_html


def test_accept_closes_an_abandoned_pending_turn(ui_settings):
    view = callbacks.accept("second?", (Turn("first?"),), settings=ui_settings)
    assert view.turns[0].done and view.turns[0].stopped and view.turns[1].pending


def test_lookup_and_reader_callbacks(library):
    response, html = callbacks.lookup("example-grain §I ¶1", "auto", library=library)
    assert response.how == "anchor" and "The Grain Question" in html
    data = callbacks.lookup_to_dict(response)
    assert data["results"][0]["citation"].endswith("§I ¶1")
    assert data["results"][0]["footnotes"] == [
        "On the crisis see the standard accounts of the period."
    ]
    html, page, label = callbacks.read_work("example-grain", 5, library=library, per_page=2)
    assert (page, label) == (1, "page 2 of 2") and "example-grain §II ¶1" in html
    rows = callbacks.works_rows(library)
    assert rows[0][:3] == ["Ada Example", "The Grain Question", 1990]


def test_answer_to_dict_lists_only_verified_sentences(answerer, ui_settings):
    answer = _run(answerer, ui_settings)[-1].turns[-1].answer
    # What the pipeline returns with show_unverified: the unverified sentence sits among the
    # answer's sentences (supported=False); the API must still leave it out of the answer.
    unverified = AnswerSentence("A claim nobody checked.", (1,), 0.2, False, "Ada Example")
    answer = replace(answer, sentences=(answer.sentences[0], unverified, *answer.sentences[1:]))
    data = callbacks.answer_to_dict(answer)
    assert data["citations"][0]["citation"].startswith("Ada Example")
    texts = [s["text"] for s in data["sentences"]]
    assert texts == [s.text for s in answer.sentences if s.supported] and len(texts) == 2
    assert "A claim nobody checked." not in data["text"]
    assert "A claim nobody checked." in data["dropped"]
    assert "An unsupported claim." in data["dropped"]
