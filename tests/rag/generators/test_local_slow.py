"""The real bundled SmolLM2 and embedder, end to end on one dev question (minutes on a CPU)."""

from __future__ import annotations

import json

import pytest

from corpus.settings import get_settings


@pytest.mark.slow
def test_bundled_model_answer_is_verified_and_cites_the_right_author(tmp_path, dev_questions_path):
    from embeddings.factory import get_embedder
    from rag.answer.pipeline import answer
    from rag.retrieval.store import ensure_index

    s = get_settings(
        None, data_dir=tmp_path / "data", generator_backend="transformers", answer_mode="grounded"
    )
    rows = [json.loads(line) for line in dev_questions_path.read_text().splitlines() if line]
    q = next(r for r in rows if r["id"] == "dev-001")
    emb = get_embedder(s)
    index = ensure_index(s, embedder=emb, log=lambda _m: None)
    a = answer(q["question"], (), s, index=index, embedder=emb)
    assert not a.abstained
    assert a.mode == "grounded" and "SmolLM2" in a.model
    assert a.sentences and all(sent.supported for sent in a.sentences)
    assert set(q["authors"]) & {c.author for c in a.citations}
    # The first answer paid the model load; the next one, with the model in memory, pays none.
    assert a.timings["ttft_s"] > 0 and a.timings["load_s"] > 0
    again = answer(q["question"], (), s, index=index, embedder=emb)
    assert again.timings["load_s"] == 0.0 and again.timings["ttft_s"] > 0

    # The reused system-prompt state must change nothing but speed: same greedy draft.
    from rag.answer.write import build_messages
    from rag.generators.base import get_generator

    gen = get_generator(s)
    messages = build_messages(q["question"], [])
    messages[1]["content"] = (
        "Excerpt [1]: Ticktin dismisses the KGB figure.\n" + messages[1]["content"]
    )
    with_prefix = "".join(gen.stream(messages, 12, None))
    assert gen._prefix is not None
    gen._prefix_cache = lambda *args, **kwargs: None  # type: ignore[method-assign]
    without_prefix = "".join(gen.stream(messages, 12, None))
    assert with_prefix == without_prefix and with_prefix.strip()
