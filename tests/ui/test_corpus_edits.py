"""Adding and removing texts in the chat's Corpus tab: the callbacks, the form, the permission."""

from __future__ import annotations

from pathlib import Path

import pytest

from corpus.catalog import CatalogWorks
from corpus.settings import get_settings
from corpus.testing import ADDED_AUTHOR, ADDED_TITLE, added_essay_text, write_tiny_corpus
from embeddings.fake import FakeEmbedder
from lookup.library import get_library
from ui import callbacks

QUESTION = "Who collected the grain levy in Belyi district?"


@pytest.fixture
def setup(tmp_path):
    from rag.retrieval.store import clear_index_cache, ensure_index

    clear_index_cache()
    s = get_settings(
        None,
        corpus_dir=write_tiny_corpus(tmp_path / "corpus"),
        data_dir=tmp_path / "data",
        generator_backend="fake",
    )
    emb = FakeEmbedder(dim=32)
    index = ensure_index(s, embedder=emb, log=lambda _m: None)
    yield s, emb, index
    clear_index_cache()


def essay(tmp_path: Path, fmt: str = "html") -> str:
    data = added_essay_text(fmt)
    path = tmp_path / "upload" / f"Lindqvist essay.{fmt}"
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    return str(path)


def ask(s, answer_fn, **kw):
    final = None
    for view in callbacks.respond(
        QUESTION, (), answer_fn=answer_fn, settings=s, mode="extractive", **kw
    ):
        final = view
    return final.turns[-1]


def test_add_in_the_chat_then_the_answer_cites_the_new_author_then_remove(setup, tmp_path):
    from ui.app import _default_answer_fn

    s, emb, index = setup
    # The chat's own answer function, holding the index it was started with.
    answer_fn = _default_answer_fn(index, emb, None)
    turn = ask(s, answer_fn)
    assert all(c.author != ADDED_AUTHOR for c in turn.answer.citations)

    steps: list[tuple[float, str]] = []
    edit = callbacks.add_text(
        essay(tmp_path),
        ADDED_AUTHOR,
        ADDED_TITLE,
        1962.0,
        settings=s,
        embedder=emb,
        progress=lambda f, m: steps.append((f, m)),
    )
    assert edit.ok, edit.message
    assert edit.author == ADDED_AUTHOR and edit.message.startswith("added lindqvist-")
    fractions = [f for f, _ in steps]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0 and len(steps) >= 5

    turn = ask(s, answer_fn)
    assert turn.answer.citations[0].author == ADDED_AUTHOR
    assert "forty-two workers" in " ".join(x.text for x in turn.answer.sentences)
    # The author filter accepts the new author (checked against the live catalog).
    only = ask(s, answer_fn, authors=[ADDED_AUTHOR], catalog=CatalogWorks(s))
    assert not only.refused and {c.author for c in only.answer.citations} == {ADDED_AUTHOR}

    assert callbacks.added_work_choices(s) == [
        (f"Lindqvist — {ADDED_TITLE} ({edit.work_id})", edit.work_id)
    ]
    rows = callbacks.works_rows(get_library(s), s)
    assert rows[-1][0] == ADDED_AUTHOR and rows[-1][5] and not rows[0][5]

    gone = callbacks.remove_text(edit.work_id, settings=s, embedder=emb)
    assert gone.ok, gone.message
    turn = ask(s, answer_fn)
    assert all(c.author != ADDED_AUTHOR for c in turn.answer.citations)
    assert callbacks.added_work_choices(s) == []


def test_refusals_are_messages_and_change_nothing(setup, tmp_path):
    s, emb, _ = setup
    bad = tmp_path / "empty.txt"
    bad.write_bytes(b"")
    for args, message in [
        ((None, ADDED_AUTHOR, ADDED_TITLE), "choose a file"),
        ((str(bad), ADDED_AUTHOR, ADDED_TITLE), "is empty"),
        ((essay(tmp_path), "", ADDED_TITLE), "author is missing"),
        ((essay(tmp_path), ADDED_AUTHOR, ""), "title is missing"),
    ]:
        edit = callbacks.add_text(*args, settings=s, embedder=emb)
        assert not edit.ok and message in edit.message
    assert not (s.resolved_user_corpus_dir / "catalog.toml").exists()
    assert not callbacks.remove_text("example-grain", settings=s, embedder=emb).ok


@pytest.mark.parametrize(
    ("host", "mode", "allowed"),
    [
        ("127.0.0.1", "loopback", True),
        ("::1", "loopback", True),
        ("0.0.0.0", "loopback", False),
        ("192.168.1.20", "loopback", False),
        ("0.0.0.0", "on", True),
        ("127.0.0.1", "off", False),
    ],
)
def test_edits_only_on_loopback_unless_turned_on(setup, tmp_path, host, mode, allowed):
    s, emb, _ = setup
    t = get_settings(s, host=host, chat_corpus_edits=mode)
    assert (callbacks.corpus_edit_refusal(t) is None) == allowed
    edit = callbacks.add_text(essay(tmp_path), ADDED_AUTHOR, ADDED_TITLE, settings=t, embedder=emb)
    assert edit.ok == allowed
    if not allowed:
        assert "chat_corpus_edits" in edit.message
        assert not (s.resolved_user_corpus_dir / "catalog.toml").exists()


def _by_id(demo, elem_id):
    return [b for b in demo.blocks.values() if getattr(b, "elem_id", None) == elem_id]


def test_the_form_exists_only_where_edits_are_allowed(setup):
    from ui.app import build_app, uses_uploads

    s, emb, index = setup
    here = build_app(s, index=index, embedder=emb, library=get_library(s))
    assert _by_id(here, "attest-add-file") and _by_id(here, "attest-remove")
    assert uses_uploads(here)
    remote = build_app(get_settings(s, host="0.0.0.0"), index=index, embedder=emb)
    assert not _by_id(remote, "attest-add-file") and _by_id(remote, "attest-add-off")
    assert not uses_uploads(remote)  # no widget takes files, so the server refuses uploads


def _handlers(demo):
    return next(
        f.fn.__self__
        for f in demo.fns.values()
        if hasattr(getattr(f.fn, "__self__", None), "every_author")
    )


def test_the_add_button_updates_the_tables_and_the_chat_filters(setup, tmp_path):
    from ui.app import build_app

    s, emb, index = setup
    demo = build_app(s, index=index, embedder=emb, library=get_library(s))
    fns = {getattr(f, "name", ""): f for f in demo.fns.values()}
    authors = ["Ada Example"]  # the reader deselected Ben Sample: that choice is kept
    works = ["example-grain", "sample-bureaucracy", "sample-terror"]
    out = fns["on_add"].fn(
        essay(tmp_path, "pdf"), ADDED_AUTHOR, ADDED_TITLE, "1962", authors, works
    )
    status, table, reader, added, author_box, work_box, *form = out
    assert status.startswith("✓ added lindqvist-")
    assert table[-1][0] == ADDED_AUTHOR
    assert author_box.choices and ADDED_AUTHOR in [c[0] for c in author_box.choices]
    assert author_box.value == ["Ada Example", ADDED_AUTHOR]
    new_id = next(v for _, v in added.choices)
    assert new_id in [v for _, v in reader.choices]
    assert new_id in work_box.value and len(work_box.value) == 4
    assert form == [None, "", "", ""]  # cleared after a successful add
    # For the chat, everything selected (the new author and work too) still means "no filter",
    # so a question naming the new author is restricted to them as usual.
    every = callbacks.select_filter(
        [c[0] for c in author_box.choices], _handlers(demo).every_author
    )
    assert every is None
    assert callbacks.select_filter(work_box.value, _handlers(demo).every_work) is None
    # A page opened now shows the corpus as it is.
    loaded = fns["on_load"].fn()
    assert loaded[0][-1][0] == ADDED_AUTHOR and ADDED_AUTHOR in loaded[3].value

    # A refused add says why and leaves everything as it was.
    again = fns["on_add"].fn(essay(tmp_path, "pdf"), ADDED_AUTHOR, ADDED_TITLE, "", authors, works)
    assert again[0].startswith("✗ Not added:") and "already in the corpus" in again[0]

    removed = fns["on_remove"].fn(new_id, author_box.value, work_box.value)
    assert removed[0].startswith("✓ removed")
    assert removed[4].value == ["Ada Example"] and new_id not in removed[5].value
