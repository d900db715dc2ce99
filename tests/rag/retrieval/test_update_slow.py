"""Adding a text with the real bundled embedder, over the bundled corpus (slow).

Asks a question only the added text answers (select mode: the learned selector over the stored
sentence vectors, no model text) and gets its author cited; removes it again; and times the
addition of a 10,000-word text (the README figure), which embeds only the new chunks.
"""

from __future__ import annotations

import shutil
import time

import pytest

from corpus.catalog import load_catalog
from corpus.load import read_raw
from corpus.settings import PROJECT_ROOT, get_settings
from corpus.testing import ADDED_AUTHOR, ADDED_TITLE, added_essay_text

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    from embeddings.factory import get_embedder
    from rag.retrieval.store import clear_index_cache, ensure_index

    tmp = tmp_path_factory.mktemp("update-slow")
    s = get_settings(None, data_dir=tmp / "data", generator_backend="fake", answer_mode="select")
    built = PROJECT_ROOT / "data" / "index"
    if (built / "manifest.json").exists():  # start from the checkout's index when it is current
        shutil.copytree(built, s.resolved_index_dir)
    emb = get_embedder(s)
    clear_index_cache()
    index = ensure_index(s, embedder=emb, log=print)
    yield s, emb, index, tmp
    clear_index_cache()


def _answer(s, emb, question):
    from rag.answer.pipeline import stream_answer
    from rag.answer.types import Answer
    from rag.retrieval.store import get_index

    final = None
    for event in stream_answer(
        question, (), s, index=get_index(s, emb), embedder=emb, mode="select"
    ):
        if isinstance(event, Answer):
            final = event
    assert final is not None
    return final


def test_added_text_answers_with_its_author_then_goes(setup):
    from rag.retrieval.update import add_text, remove_work

    s, emb, index, tmp = setup
    path = tmp / "lindqvist.html"
    path.write_text(added_essay_text("html"), encoding="utf-8")
    result = add_text(s, path, author=ADDED_AUTHOR, title=ADDED_TITLE, year=1962, embedder=emb)
    assert not result.rebuilt and result.chunks_total == len(index) + result.chunks_changed

    answer = _answer(s, emb, "Who collected the grain levy in Belyi district?")
    assert not answer.abstained
    assert answer.citations and answer.citations[0].author == ADDED_AUTHOR
    assert "forty-two workers" in " ".join(x.text for x in answer.sentences)

    named = _answer(s, emb, "What does Lindqvist say happened to the spring sowing?")
    assert {c.author for c in named.citations} == {ADDED_AUTHOR}

    remove_work(s, result.work.work_id, embedder=emb)
    after = _answer(s, emb, "Who collected the grain levy in Belyi district?")
    assert all(c.author != ADDED_AUTHOR for c in after.citations)


def test_adding_ten_thousand_words_embeds_only_the_new_chunks(setup, capsys):
    from rag.retrieval.update import add_text

    s, emb, _index, tmp = setup
    work = load_catalog(s).work("gouldner-internal-colonialism")
    lines, words = [], 0
    for line in read_raw(work).splitlines(keepends=True):
        lines.append(line)
        words += len(line.split())
        if words >= 10_000:
            break
    path = tmp / "excerpt.txt"
    path.write_text("".join(lines), encoding="utf-8")
    emb.encode(["warm"])  # the chat has its embedder loaded; the CLI adds ~5 s of start-up
    t0 = time.perf_counter()
    result = add_text(
        s, path, author="Bench Mark", title="A Ten Thousand Word Excerpt", embedder=emb
    )
    seconds = time.perf_counter() - t0
    with capsys.disabled():
        print(f"\nadd of {words} words: {seconds:.1f} s ({result.summary()})")
    assert not result.rebuilt and result.chunks_changed < len(result.index) / 3
    assert result.embedded == result.chunks_changed + sum(
        len(c.sentences) for c in result.index.chunks if c.work_id == result.work.work_id
    )
    assert seconds < 120  # the target is 15 s on an idle 2-core machine (README); CI is shared
