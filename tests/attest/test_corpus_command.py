"""`attest corpus` and `attest corpus --check`, on the bundled and a tiny corpus."""

from __future__ import annotations

from pathlib import Path

from attest.cli import main
from corpus.testing import write_tiny_corpus


def test_corpus_table_bundled(capsys) -> None:
    assert main(["corpus"]) == 0
    out = capsys.readouterr().out
    assert "work" in out.splitlines()[0] and "footnotes" in out.splitlines()[0]
    for wid in ("ticktin-purges", "tucker-revolution-from-above", "trotsky-balance-sheet"):
        assert wid in out
    assert "6 works by 5 authors" in out


def test_corpus_check_ok(tmp_path: Path, capsys) -> None:
    d = write_tiny_corpus(tmp_path / "c")
    assert main(["--corpus", str(d), "corpus", "--check"]) == 0
    assert "OK (3 works, 2 authors)" in capsys.readouterr().out


def test_corpus_check_lists_problems(tmp_path: Path, capsys) -> None:
    d = write_tiny_corpus(tmp_path / "c")
    (d / "texts" / "c_terror.txt").unlink()
    (d / "texts" / "a_grain.txt").write_text("changed", encoding="utf-8")
    assert main(["--corpus", str(d), "corpus", "--check"]) == 2
    out = capsys.readouterr().out
    assert (
        "3 problem(s)" in out
        and "body_start" in out
        and "sample-terror" in out
        and "example-grain" in out
    )


def test_corpus_table_error_is_one_line(tmp_path: Path, capsys) -> None:
    assert main(["--corpus", str(tmp_path), "corpus"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("attest: error:") and "\n" not in err
