"""The adapted bundled model (LoRA writer) end to end on dev questions: it loads, writes short
attributed sentences that verify, and the scrap it drafts on one question is refused by the
verifier, never shown (minutes on a CPU)."""

from __future__ import annotations

import json

import pytest

from corpus.settings import get_settings

# Three dev questions of different kinds (a figure, an author's explanation, an attribution).
QUESTIONS = ("dev-003", "dev-015", "dev-022")
# Here the writer quotes a cut-off scrap of Khrushchev's words as Gouldner's ("98 persons, i.e").
SCRAP = "dev-004"


@pytest.mark.slow
@pytest.mark.timeout(1200)
def test_the_writer_adapter_drafts_sentences_that_verify(tmp_path, dev_questions_path):
    from embeddings.factory import get_embedder
    from rag.answer.pipeline import answer
    from rag.generators.local import adapter_available
    from rag.retrieval.store import ensure_index

    assert adapter_available(), "the writer adapter is missing: run `attest train writer`"
    s = get_settings(None, data_dir=tmp_path / "data", generator_backend="transformers")
    rows = {
        r["id"]: r for r in (json.loads(x) for x in dev_questions_path.read_text().splitlines())
    }
    emb = get_embedder(s)
    index = ensure_index(s, embedder=emb, log=lambda _m: None)
    for qid in QUESTIONS:
        a = answer(rows[qid]["question"], (), s, mode="grounded", index=index, embedder=emb)
        assert "LoRA writer" in a.model
        drafted = [
            x for x in a.sentences if not {"quote", "short-answer"} & {str(f) for f in x.flags}
        ]
        # Something was drafted, and every drafted sentence verified (none was dropped).
        assert drafted, (qid, [x.text for x in a.sentences])
        assert all(x.supported for x in drafted)
        assert not a.dropped, (qid, [(d.text, d.flags) for d in a.dropped])
        # Each drafted sentence names its author and copies words in quotation marks.
        for x in drafted:
            assert '"' in x.text and x.author and x.author.split()[-1] in x.text, x.text

    a = answer(rows[SCRAP]["question"], (), s, mode="grounded", index=index, embedder=emb)
    refused = {"fragment-quote", "wrong-voice"}
    scraps = {d.text for d in a.dropped if refused & {str(f) for f in d.flags}}
    assert scraps, [(d.text, d.flags) for d in a.dropped]
    assert not scraps & {x.text for x in a.sentences}  # dropped, never shown
