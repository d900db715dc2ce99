"""Scenarios 11-14 (issue 16, the outside probe), at the edge, without launching the app.

11. Unbounded inputs: author/work lists longer than the catalog's, duplicates, over-long names
    and questions are refused before any work (no answer function call), fast.
12. Errors that are not messages: unknown/empty authors and works in `attest ask`/`attest
    search` (one line, exit 2, no traceback), a filter combination with no passages and no work
    ticked in the chat (a message naming the filter), a lone surrogate in a question and in an
    export (made safe, never an exception).
13. API parity and echo: `/ask` offers only the chat's modes and never sends a refused question
    back.
14. Login: `attest chat --host 0.0.0.0` without a login refuses to start (exit 2) and starts
    nothing.

Each test fails on the code before issue 16 (it raised, echoed, searched everything, ran "free"
or started the server). The served-app halves of these scenarios are in
``test_probe_served.py``.
"""

from __future__ import annotations

import time

import pytest

from attest.cli import main
from rag.answer.types import Answer
from ui import callbacks

AUTHORS_200K = ["Ben Sample"] * 200_000
SURROGATE = "Why did the bureaucracy \ud800 grow, according to Sample?"


@pytest.fixture
def pipe(tmp_path, fake_emb, pipeline_factory, answer_fn_factory):
    """(settings, answer function over the real pipeline, recording fake generator)."""
    from rag.generators.fake import FakeGenerator

    s, index = pipeline_factory(tmp_path, None, fake_emb)
    gen = FakeGenerator()
    return s, answer_fn_factory(index, fake_emb, gen), gen


def _final(pipe, question="Why did the bureaucracy grow?", **kw):
    s, answer_fn, _gen = pipe
    views = list(callbacks.respond(question, (), answer_fn=answer_fn, settings=s, **kw))
    return views[-1]


# --- 11: unbounded inputs -------------------------------------------------------------------------


def test_200k_authors_refused_before_any_work_and_fast(pipe):
    calls = []
    s, answer_fn, gen = pipe

    def recording(*a, **kw):
        calls.append(kw)
        yield from answer_fn(*a, **kw)

    started = time.perf_counter()
    view = next(
        iter(callbacks.respond("Why?", (), answer_fn=recording, settings=s, authors=AUTHORS_200K))
    )
    seconds = time.perf_counter() - started
    print(f"\n200,000-element authors list refused in {seconds * 1000:.1f} ms (callback)")
    turn = view.turns[-1]
    assert turn.refused and "200,000 authors were given but the catalog has 2" in turn.notice
    assert calls == [] and gen.calls == []
    assert seconds < 1.0  # generous: measured well under 50 ms (docs/reliability.md)


@pytest.mark.parametrize(
    ("authors", "works", "fragment"),
    [
        (["Ben Sample", "sample"], None, None),  # the same author twice: answered once
        (["Ben Sample"] * 3, None, "3 authors were given but the catalog has 2"),
        (None, ["sample-terror"] * 4, "4 works were given but the catalog has 3"),
        (["x" * 5000], None, "An author name of 5,000 characters"),
        ([""], None, "An empty author name was given. Known: Ada Example, Ben Sample."),
        (None, ["nope"], "Unknown work 'nope'. Known: example-grain, sample-bureaucracy"),
    ],
)
def test_filter_lists_are_capped_checked_and_deduplicated(pipe, authors, works, fragment):
    s, answer_fn, gen = pipe
    seen = []

    def recording(*a, **kw):
        seen.append(kw)
        yield from answer_fn(*a, **kw)

    views = list(
        callbacks.respond(
            "Why did the bureaucracy grow?",
            (),
            answer_fn=recording,
            settings=s,
            authors=authors,
            works=works,
        )
    )
    turn = views[-1].turns[-1]
    if fragment is None:
        assert seen[0]["authors"] == ["Ben Sample"] and isinstance(turn.answer, Answer)
        return
    assert turn.refused and fragment in turn.notice and seen == [] and gen.calls == []
    assert len(turn.notice) < 400  # a 5,000-character name is not repeated back


def test_question_far_over_the_cap_is_refused_before_cleaning(pipe, monkeypatch):
    import ui.callbacks as cb

    s = pipe[0]
    cleaned = []
    real = cb.clean_question
    monkeypatch.setattr(
        cb, "clean_question", lambda t, st=None: cleaned.append(len(t)) or real(t, st)
    )
    view = _final(pipe, "why " * 250_000)  # 1 MB
    assert (
        view.turns[-1].refused and f"the limit is {s.max_question_chars}" in view.turns[-1].notice
    )
    assert all(n <= 1000 for n in cleaned)  # only the short echo was ever cleaned


# --- 12: errors that are not messages -------------------------------------------------------------


def test_filter_combination_with_no_passages_names_the_filter(pipe):
    view = _final(pipe, authors=["Ada Example"], works=["sample-terror"])
    turn = view.turns[-1]
    assert turn.refused and turn.answer is None
    assert turn.notice.startswith("No passage matches this filter: author Ada Example with work")
    assert "sample-terror (by Ben Sample)" in turn.notice
    assert "Something went wrong" not in view.chat_html


def test_no_work_ticked_is_said_not_searched_over_everything(pipe):
    view = _final(pipe, works=callbacks.select_filter([], ["example-grain", "sample-terror"]))
    assert view.turns[-1].refused and "No work is selected" in view.turns[-1].notice
    assert pipe[2].calls == []


def test_lone_surrogate_question_is_answered_and_renders_as_utf8(pipe):
    view = _final(pipe, SURROGATE)
    turn = view.turns[-1]
    assert isinstance(turn.answer, Answer), turn.notice
    assert "\ufffd" in turn.question and "\ud800" not in turn.question
    for text in (view.chat_html, view.sources_html):
        text.encode("utf-8")  # the stream broke here: "str is not valid UTF-8"
    prompt = "".join(m["content"] for call in pipe[2].calls for m in call)
    prompt.encode("utf-8")


def test_lone_surrogate_export_is_written(pipe, tmp_path):
    from rag.answer.types import AnswerSentence
    from ui.export import write_conversation
    from ui.exports import ExportStore
    from ui.turn import Turn

    answer = Answer(
        question="q\ud800",
        standalone_question="q\ud800",
        sentences=(AnswerSentence("A sentence \udfff here.", (), 0.9, True, "Ben Sample"),),
        citations=(),
    )
    turns = (Turn("Why \ud800?", answer=answer, done=True), Turn("x\udc00", notice="n", done=True))
    text = write_conversation(turns, tmp_path / "w").read_text(encoding="utf-8")
    assert "Why \ufffd?" in text and "A sentence \ufffd here." in text
    store = ExportStore(tmp_path / "exports", 60)
    html = callbacks.export(turns, store, "s\ud800")
    assert "attest-export/" in html and store.files()


@pytest.fixture
def cli(tmp_path, fake_emb, monkeypatch, capsys, pipeline_factory):
    s, _index = pipeline_factory(tmp_path, None, fake_emb)
    monkeypatch.setenv("ATTEST_GENERATOR_BACKEND", "fake")
    monkeypatch.chdir(tmp_path)

    def run(*argv: str) -> tuple[int, str, str]:
        from rag.retrieval.store import clear_index_cache

        clear_index_cache()
        capsys.readouterr()
        rc = main(["--corpus", str(s.corpus_dir), "--data-dir", str(s.data_dir), *argv])
        out = capsys.readouterr()
        return rc, out.out, out.err

    return run


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("ask", "Why?", "--author", "Nobody"), "Unknown author 'Nobody'. Known: Ada Example, Ben"),
        (("ask", "Why?", "--author", ""), "An empty author name was given. Known: Ada Example"),
        (("ask", "Why?", "--work", "nope"), "Unknown work 'nope'. Known: example-grain"),
        (("search", "grain", "--author", "Nobody"), "Unknown author 'Nobody'. Known:"),
        (("search", "grain", "--work", "nope"), "Unknown work 'nope'. Known: example-grain"),
        (
            ("search", "grain", "--author", "Example", "--work", "sample-terror"),
            "No passage matches this filter: author Ada Example with work sample-terror",
        ),
    ],
)
def test_cli_filter_errors_are_one_line_exit_2(cli, argv, message):
    rc, _out, err = cli(*argv)
    assert rc == 2, err
    assert err.startswith(f"attest: error: {message}")
    assert err.strip().count("\n") == 0 and "Traceback" not in err


def test_cli_filters_by_surname_still_answer(cli):
    rc, out, err = cli("search", "bureaucracy", "--author", "sample", "-k", "2")
    assert rc == 0, err
    assert "Ben Sample" in out and "Ada Example" not in out
    rc, out, err = cli("ask", "Why did the bureaucracy grow?", "--work", "sample-bureaucracy")
    assert rc == 0, err
    assert "Ben Sample" in out and "Ada Example" not in out


# --- 13: API parity and echo ----------------------------------------------------------------------


@pytest.fixture
def ask_fn(ui_app):
    return next(bf for bf in ui_app.fns.values() if bf.api_name == "ask").fn


@pytest.fixture
def ui_app(pipe, monkeypatch, tmp_path):
    from ui.app import build_app

    monkeypatch.setenv("GRADIO_TEMP_DIR", str(tmp_path / "gradio"))
    s, answer_fn, _gen = pipe
    demo = build_app(s, answer_fn=answer_fn)
    yield demo
    demo.close()


def test_api_ask_offers_only_the_chats_modes(ask_fn, pipe):
    refused = ask_fn("Why did the bureaucracy grow?", None, None, "free")
    assert refused["refused"] and "select, grounded, extractive" in refused["message"]
    assert pipe[2].calls == []  # "free" would have called the model
    answered = ask_fn("Why did the bureaucracy grow?", None, None, "extractive")
    assert answered["mode"] == "extractive" and answered["citations"]


def test_api_refusal_does_not_echo_the_question(ask_fn):
    import json

    big = "why " * 250_000  # 1 MB
    data = ask_fn(big, None, None, "grounded")
    assert data["refused"] and data["question"] is None
    assert "the limit is" in data["message"]
    assert len(json.dumps(data)) < 1000


def test_chat_offers_the_same_modes_as_the_api(ui_app):
    from ui.tabs.chat import MODES

    assert tuple(value for _, value in MODES) == callbacks.UI_MODES


# --- 14: login ------------------------------------------------------------------------------------


def test_chat_beyond_loopback_without_login_refuses_to_start(cli, monkeypatch):
    import gradio

    def never(*_a, **_k):
        raise AssertionError("the server was started")

    monkeypatch.delenv("ATTEST_AUTH", raising=False)
    monkeypatch.setattr(gradio.Blocks, "launch", never)
    rc, out, err = cli("chat", "--host", "0.0.0.0", "--port", "1")
    assert rc == 2 and out == ""
    assert "needs a login" in err and "ATTEST_AUTH" in err and "--no-auth" in err
    assert err.strip().count("\n") == 0
