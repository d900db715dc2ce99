"""Scenario 1: bad questions get a clear message in the chat callback and in `attest ask`, never an
exception; an empty question never reaches the model; the length cap comes from the settings and
is stated in the message. Runs the real pipeline (retrieval, verification) over a tiny corpus with
the fake embedder and a recording fake generator."""

from __future__ import annotations

import pytest

from attest.cli import main
from corpus.errors import InputError
from rag.answer.pipeline import ABSTAIN_MESSAGE, stream_answer
from rag.answer.types import Answer
from rag.generators.fake import FakeGenerator
from ui import callbacks

HUGE = "why " * 25_000  # 100 KB
EMPTY = {"empty": "", "whitespace": " \n\t \u3000 ", "only-controls": "\x00\x07\x1b"}
RTL = (
    "What did Sample say about \u05d4\u05d1\u05d9\u05e8\u05d5\u05e7\u05e8\u05d8\u05d9\u05d4 and "
    "the bureaucracy \u0627\u0644\u0628\u064a\u0631\u0648\u0642\u0631\u0627\u0637\u064a\u0629?"
)
CONTROL = "Why did the\x00 bureaucracy\x07 grow,\x1b according to\x7f Sample?"
NOTHING = "Zorblax quibbleflump yarnwhistle garplenook?"


@pytest.fixture
def pipe(tmp_path, fake_emb, pipeline_factory, answer_fn_factory):
    s, index = pipeline_factory(tmp_path, None, fake_emb)
    return s, index, fake_emb, answer_fn_factory


def _respond(pipe, question: str, gen: FakeGenerator, settings=None):
    s, index, emb, answer_fn_for = pipe
    views = list(
        callbacks.respond(
            question, (), answer_fn=answer_fn_for(index, emb, gen), settings=settings or s
        )
    )
    return views[-1].turns[-1], views[-1]


@pytest.mark.parametrize("question", list(EMPTY.values()), ids=list(EMPTY))
def test_empty_question_refused_without_model_call(pipe, question):
    gen = FakeGenerator()
    turn, view = _respond(pipe, question, gen)
    assert turn.answer is None and turn.notice
    assert turn.notice in view.chat_html or "question" in view.chat_html.lower()
    assert gen.calls == []
    s, index, emb, _ = pipe
    with pytest.raises(InputError, match="empty"):
        list(stream_answer(question, (), s, index=index, embedder=emb, generator=gen))
    assert gen.calls == []


def test_100kb_question_refused_stating_the_cap(pipe):
    gen = FakeGenerator()
    s, index, emb, _ = pipe
    turn, _ = _respond(pipe, HUGE, gen)
    cap = s.max_question_chars
    assert turn.answer is None
    assert f"{cap:,}" in turn.notice or str(cap) in turn.notice
    assert len(turn.question) <= 1000  # the refused question is not echoed back in full
    with pytest.raises(InputError) as err:
        list(stream_answer(HUGE, (), s, index=index, embedder=emb, generator=gen))
    assert str(cap) in str(err.value)
    assert gen.calls == []


def test_cap_follows_the_setting(pipe):
    s = pipe[0]
    small = s.model_copy(update={"max_question_chars": 40})
    gen = FakeGenerator()
    turn, _ = _respond(
        pipe, "Why did the bureaucracy grow in a backward country, says Sample?", gen, small
    )
    assert "40" in turn.notice
    assert gen.calls == []


@pytest.mark.parametrize("question", [CONTROL, RTL], ids=["control-chars", "mixed-rtl"])
def test_odd_but_valid_question_is_answered(pipe, question):
    gen = FakeGenerator()
    turn, view = _respond(pipe, question, gen)
    assert isinstance(turn.answer, Answer), turn.notice
    assert "Something went wrong" not in view.chat_html
    for call in gen.calls:  # what reached the model carries no control characters
        prompt = "".join(m["content"] for m in call)
        assert not any(c in prompt for c in "\x00\x07\x1b\x7f")


def test_question_matching_nothing_abstains_plainly(pipe):
    gen = FakeGenerator()
    turn, _ = _respond(pipe, NOTHING, gen)
    assert turn.answer is not None and turn.answer.abstained
    assert turn.answer.message == ABSTAIN_MESSAGE
    assert not [s for s in turn.answer.sentences if s.supported]
    assert gen.calls == []


# --- the same through `attest ask` ----------------------------------------------------------------


@pytest.fixture
def ask(tmp_path, fake_emb, monkeypatch, capsys, pipeline_factory):
    s, _index = pipeline_factory(tmp_path, None, fake_emb)
    monkeypatch.setenv("ATTEST_GENERATOR_BACKEND", "fake")
    monkeypatch.chdir(tmp_path)  # no attest.toml of the checkout is read

    def run(question: str) -> tuple[int, str, str]:
        from rag.retrieval.store import clear_index_cache

        clear_index_cache()
        rc = main(["--corpus", str(s.corpus_dir), "--data-dir", str(s.data_dir), "ask", question])
        out = capsys.readouterr()
        return rc, out.out, out.err

    return run


@pytest.mark.parametrize("question", ["", "   ", "\x00\x07"], ids=["empty", "blank", "controls"])
def test_cli_empty_question(ask, question):
    rc, _out, err = ask(question)
    assert rc == 2
    assert err.startswith("attest: error: ") and "empty" in err
    assert err.strip().count("\n") == 0 and "Traceback" not in err


def test_cli_100kb_question_states_the_cap(ask):
    rc, _out, err = ask(HUGE)
    assert rc == 2
    assert "2000" in err or "2,000" in err
    assert len(err) < 1000


@pytest.mark.parametrize("question", [CONTROL, RTL, NOTHING], ids=["controls", "rtl", "nothing"])
def test_cli_odd_questions_answer_without_error(ask, question):
    rc, out, err = ask(question)
    assert rc == 0, err
    assert out.strip()
    assert "Traceback" not in err
