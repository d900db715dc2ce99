"""Warm start: the models load in the background and a question asked meanwhile waits."""

from __future__ import annotations

import threading

import pytest

from embeddings.fake import FakeEmbedder
from rag.answer.types import Answer, Status
from ui.app import _default_answer_fn
from ui.warm import READY, Warmup, state_html


@pytest.fixture
def tmp_index(ui_settings):
    from rag.retrieval.store import ensure_index

    return ensure_index(ui_settings, embedder=FakeEmbedder(dim=64), log=lambda m: None)


@pytest.fixture
def fake_embedder():
    return FakeEmbedder(dim=64)


class SlowEmbedder(FakeEmbedder):
    def __init__(self, gate: threading.Event) -> None:
        super().__init__(dim=64)
        self.gate = gate

    def encode(self, texts):
        self.gate.wait(10)
        return super().encode(texts)


def test_state_moves_to_ready_and_the_badge_says_so(ui_settings, tmp_index, fake_embedder):
    warm = Warmup(ui_settings, index=tmp_index, embedder=fake_embedder, log=lambda m: None)
    assert "loading" in state_html(warm) or "starting" in warm.state
    warm.start()
    assert warm.ready.wait(10) and warm.state == READY and warm.error is None
    assert "models ready" in state_html(warm)


def test_a_question_asked_before_ready_waits_with_a_status_line(ui_settings, tmp_index):
    gate = threading.Event()
    warm = Warmup(ui_settings, index=tmp_index, embedder=SlowEmbedder(gate), log=lambda m: None)
    warm.start()
    answer = _default_answer_fn(None, None, None, warm)
    events = answer("What caused the famine of 1932?", (), ui_settings, mode="extractive")
    first = next(events)
    assert isinstance(first, Status) and first.text.startswith(
        "Getting ready: loading the embedder"
    )
    gate.set()
    rest = list(events)
    assert isinstance(rest[-1], Answer) and warm.state == READY


def test_a_failed_warmup_is_reported_and_questions_still_run(ui_settings, tmp_index, fake_embedder):
    class Broken(FakeEmbedder):
        def encode(self, texts):
            raise RuntimeError("no weights")

    warm = Warmup(ui_settings, index=None, embedder=Broken(dim=64), log=lambda m: None).start()
    assert warm.ready.wait(10) and warm.state.startswith("failed: RuntimeError: no weights")
    assert 'class="model-state failed"' in state_html(warm)
