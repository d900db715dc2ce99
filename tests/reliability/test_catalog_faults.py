"""Scenario 7: a broken corpus catalog makes `attest index` fail with one line naming the entry,
and leaves the existing index exactly as it was (same files, bytes and mtimes)."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest

from attest.cli import main


def _set_sha(corpus: Path, file: str, data: bytes) -> None:
    """Write ``data`` to ``file`` and record its true hash, so only the content is wrong."""
    path = corpus / file
    old = hashlib.sha256(path.read_bytes()).hexdigest()
    path.write_bytes(data)
    catalog = corpus / "catalog.toml"
    catalog.write_text(catalog.read_text().replace(old, hashlib.sha256(data).hexdigest()))


def _break(corpus: Path, how: str) -> str:
    """Damage the corpus; return what the message must name."""
    catalog = corpus / "catalog.toml"
    if how == "missing-file":
        (corpus / "texts/c_terror.txt").unlink()
        return "sample-terror"
    if how == "hash-mismatch":
        with open(corpus / "texts/a_grain.txt", "a", encoding="utf-8") as fh:
            fh.write("\nAn added sentence nobody catalogued.\n")
        return "example-grain"
    if how == "unknown-split-marker":
        text = catalog.read_text()
        catalog.write_text(
            text.replace('body_start = "Terror is a mechanism"', 'start_marker = "NO SUCH LINE"')
        )
        return "sample-terror"
    if how == "invalid-utf8":
        _set_sha(corpus, "texts/b_bureaucracy.txt", b"The bureaucracy grew \xff\xfe badly.\n")
        return "sample-bureaucracy"
    if how == "binary-file":
        _set_sha(corpus, "texts/b_bureaucracy.txt", bytes(range(256)) * 4)
        return "sample-bureaucracy"
    if how == "unknown-author":
        catalog.write_text(
            catalog.read_text().replace('author = "Ben Sample"', 'author = "Nobody"', 1)
        )
        return "sample-bureaucracy"
    raise AssertionError(how)


KINDS = [
    "missing-file",
    "hash-mismatch",
    "unknown-split-marker",
    "invalid-utf8",
    "binary-file",
    "unknown-author",
]


@pytest.mark.parametrize("rebuild", [False, True], ids=["index", "index--rebuild"])
@pytest.mark.parametrize("how", KINDS)
def test_catalog_error_names_entry_and_leaves_index_untouched(
    built_index, rel_settings, rel_corpus, fake_emb, take_snapshot, capsys, how, rebuild
):
    data_dir = rel_settings.data_dir
    before = take_snapshot(data_dir)
    assert any(k.endswith("manifest.json") for k in before)
    entry = _break(rel_corpus, how)

    argv = ["--corpus", str(rel_corpus), "--data-dir", str(data_dir), "index"]
    rc = main([*argv, "--rebuild"] if rebuild else argv)
    err = capsys.readouterr().err
    assert rc == 2
    assert err.startswith("attest: error: ") and err.strip().count("\n") == 0, err
    assert entry in err
    # The message says what to do, not only what is wrong.
    assert re.search(r": (put|restore|fix|re-save|replace|add)\b", err), err
    # Same files, same bytes, same mtimes; no temporary build folder left behind.
    assert take_snapshot(data_dir) == before
    assert sorted(p.name for p in data_dir.iterdir()) == ["index"]
