"""`attest add`, `attest remove` and `attest corpus` with added texts (fake embedder/generator)."""

from __future__ import annotations

import json

import pytest

from attest.cli import main
from corpus.testing import ADDED_AUTHOR, ADDED_TITLE, added_essay_text, write_tiny_corpus
from embeddings.fake import FakeEmbedder

QUESTION = "Who collected the grain levy in Belyi district?"
WORK = "lindqvist-grain-levy-belyi-district"


@pytest.fixture
def cli(tmp_path, monkeypatch):
    import embeddings.factory
    from rag.retrieval.store import clear_index_cache

    emb = FakeEmbedder(dim=32)
    monkeypatch.setattr(embeddings.factory, "get_embedder", lambda settings=None: emb)
    monkeypatch.setenv("ATTEST_GENERATOR_BACKEND", "fake")
    corpus = write_tiny_corpus(tmp_path / "corpus")
    clear_index_cache()
    base = ["--corpus", str(corpus), "--data-dir", str(tmp_path / "data")]
    assert main([*base, "index"]) == 0
    yield base
    clear_index_cache()


def _essay(tmp_path, fmt="md"):
    data = added_essay_text(fmt)
    path = tmp_path / f"lindqvist.{fmt}"
    path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    return str(path)


def _ask(cli, capsys, question, mode):
    capsys.readouterr()
    assert main([*cli, "ask", question, "--mode", mode, "--json"]) == 0
    answer = json.loads(capsys.readouterr().out)
    answer["text"] = " ".join(sentence["text"] for sentence in answer["sentences"])
    return answer


@pytest.mark.parametrize("mode", ["extractive", "select"])
def test_add_then_ask_cites_the_new_author_then_remove(cli, capsys, tmp_path, mode):
    before = _ask(cli, capsys, QUESTION, mode)
    assert all(c["author"] != ADDED_AUTHOR for c in before["citations"])

    args = ["add", _essay(tmp_path), "--author", ADDED_AUTHOR, "--title", ADDED_TITLE]
    assert main([*cli, *args, "--year", "1962"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"added {WORK}: {ADDED_AUTHOR}") and "new author" in out

    answer = _ask(cli, capsys, QUESTION, mode)
    assert not answer["abstained"]
    assert "forty-two workers" in answer["text"]
    assert {c["author"] for c in answer["citations"]} == {ADDED_AUTHOR}
    assert answer["citations"][0]["anchor"] == f"{WORK} §1 ¶1"

    # Naming the author restricts the search to them.
    named = _ask(cli, capsys, "What does Lindqvist say about the spring sowing?", mode)
    assert {c["author"] for c in named["citations"]} == {ADDED_AUTHOR}

    assert main([*cli, "corpus"]) == 0
    table = capsys.readouterr().out
    row = next(line for line in table.splitlines() if line.startswith(WORK))
    assert row.rstrip().endswith("added") and "1 added with `attest add`" in table
    assert "example-grain" in table and "corpus" in table.splitlines()[2]

    assert main([*cli, "remove", WORK]) == 0
    assert capsys.readouterr().out.startswith(f"removed {WORK}")
    after = _ask(cli, capsys, QUESTION, mode)
    assert all(c["author"] != ADDED_AUTHOR for c in after["citations"])
    assert "forty-two" not in after["text"]


def test_the_quoted_speaker_is_cited(cli, capsys, tmp_path):
    args = ["add", _essay(tmp_path, "txt"), "--author", ADDED_AUTHOR, "--title", ADDED_TITLE]
    assert main([*cli, *args]) == 0
    answer = _ask(cli, capsys, "What did Molotov declare about the grain?", "extractive")
    quoting = [c for c in answer["citations"] if c["author"] == ADDED_AUTHOR]
    assert quoting and quoting[0]["quoted_speaker"] == "Molotov"


def _file(name: str, data: bytes | None):
    def make(d):  # type: ignore[no-untyped-def]
        path = d / name
        if data is not None:
            path.write_bytes(data)
        return path

    return make


@pytest.mark.parametrize(
    ("make", "extra", "message"),
    [
        (_file("missing.txt", None), [], "no such file"),
        (_file("e.txt", b""), [], "is empty"),
        (_file("b.pdf", b"\x00\x01"), [], "PDF"),
        (_file("x.rtf", b"{\\rtf1}"), [], "format"),
        (_file("scan.txt", b"ok text here"), ["--year", "1"], "year"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(cli, capsys, tmp_path, make, extra, message):
    path = make(tmp_path)
    capsys.readouterr()
    assert main([*cli, "add", str(path), "--author", "A", "--title", "T", *extra]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("attest: error:") and "\n" not in err and message in err


def test_duplicate_and_existing_id_and_bundled_removal_are_refused(cli, capsys, tmp_path):
    essay = _essay(tmp_path)
    assert main([*cli, "add", essay, "--author", ADDED_AUTHOR, "--title", ADDED_TITLE]) == 0
    capsys.readouterr()
    assert main([*cli, "add", essay, "--author", "Other", "--title", "Other"]) == 2
    assert "already in the corpus" in capsys.readouterr().err
    other = tmp_path / "other.txt"
    other.write_text("A different text about the census of 1937 and its fate.\n")
    assert (
        main([*cli, "add", str(other), "--author", "X Y", "--title", "Z", "--work-id", WORK]) == 2
    )
    assert "already in the corpus" in capsys.readouterr().err
    assert main([*cli, "remove", "example-grain"]) == 2
    assert "never changes" in capsys.readouterr().err


def test_add_needs_author_and_title(cli, capsys, tmp_path):
    with pytest.raises(SystemExit) as exc:
        main([*cli, "add", _essay(tmp_path), "--title", "T"])
    assert exc.value.code == 2 and "--author" in capsys.readouterr().err
