"""Catalog loading and every validation error, on a tiny corpus in tmp_path."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from corpus.catalog import check_catalog, load_catalog, work_span
from corpus.errors import CatalogError
from corpus.load import corpus_fingerprint
from corpus.testing import write_tiny_corpus


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    return write_tiny_corpus(tmp_path / "corpus")


def _edit_catalog(d: Path, old: str, new: str) -> None:
    cat = d / "catalog.toml"
    text = cat.read_text(encoding="utf-8")
    assert old in text
    cat.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_tiny_catalog_loads(tiny: Path) -> None:
    cat = load_catalog(corpus_dir=tiny)
    assert [w.work_id for w in cat.works] == [
        "example-grain",
        "sample-bureaucracy",
        "sample-terror",
    ]
    assert cat.work("example-grain").author == "Ada Example"
    assert cat.work("sample-terror").year is None
    assert [w.work_id for w in cat.works_by_author("sample")] == [
        "sample-bureaucracy",
        "sample-terror",
    ]
    assert cat.work("example-grain").aliases == ("Example", "Ada Example")
    assert check_catalog(corpus_dir=tiny) == []


def test_unknown_work_id_names_known_ones(tiny: Path) -> None:
    with pytest.raises(CatalogError, match="example-grain"):
        load_catalog(corpus_dir=tiny).work("nope")


def test_missing_catalog(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match="no catalog"):
        load_catalog(corpus_dir=tmp_path)


def test_missing_file_names_entry(tiny: Path) -> None:
    (tiny / "texts" / "c_terror.txt").unlink()
    with pytest.raises(CatalogError, match=r"sample-terror.*not found"):
        load_catalog(corpus_dir=tiny)


def test_hash_mismatch_names_entry_and_fix(tiny: Path) -> None:
    with (tiny / "texts" / "a_grain.txt").open("a", encoding="utf-8") as f:
        f.write("tampered\n")
    with pytest.raises(CatalogError, match=r"example-grain.*sha256.*update sha256"):
        load_catalog(corpus_dir=tiny)
    load_catalog(corpus_dir=tiny, verify=False)  # hash checks can be skipped


def test_unknown_start_marker(tiny: Path) -> None:
    _edit_catalog(tiny, 'body_start = "Terror is a mechanism"', 'start_marker = "NO SUCH LINE"')
    with pytest.raises(CatalogError, match=r"sample-terror.*start_marker"):
        load_catalog(corpus_dir=tiny)


def test_unknown_end_marker(tiny: Path) -> None:
    _edit_catalog(tiny, 'body_start = "Terror is a mechanism"', 'end_marker = "NO SUCH LINE"')
    with pytest.raises(CatalogError, match=r"sample-terror.*end_marker"):
        load_catalog(corpus_dir=tiny)


def test_unknown_body_start(tiny: Path) -> None:
    _edit_catalog(tiny, 'body_start = "Terror is a mechanism"', 'body_start = "Nowhere"')
    with pytest.raises(CatalogError, match=r"sample-terror.*body_start"):
        load_catalog(corpus_dir=tiny)


def test_duplicate_work_id(tiny: Path) -> None:
    _edit_catalog(tiny, 'id = "sample-terror"', 'id = "sample-bureaucracy"')
    with pytest.raises(CatalogError, match=r"duplicate work id 'sample-bureaucracy'"):
        load_catalog(corpus_dir=tiny)


def test_unknown_author(tiny: Path) -> None:
    _edit_catalog(
        tiny, 'author = "Ben Sample"\ntitle = "A Note', 'author = "Ben Smaple"\ntitle = "A Note'
    )
    with pytest.raises(CatalogError, match=r"sample-terror.*unknown author 'Ben Smaple'"):
        load_catalog(corpus_dir=tiny)


def _replace_text(d: Path, name: str, data: bytes) -> None:
    """Swap a text's bytes and keep the catalog's hash in step (so only the content is bad)."""
    path = d / "texts" / name
    old_hash = hashlib.sha256(path.read_bytes()).hexdigest()
    path.write_bytes(data)
    cat = d / "catalog.toml"
    cat.write_text(
        cat.read_text(encoding="utf-8").replace(old_hash, hashlib.sha256(data).hexdigest()),
        encoding="utf-8",
    )


def test_binary_file(tiny: Path) -> None:
    _replace_text(tiny, "c_terror.txt", b"Terror is a mechanism\x00\x01\x02")
    with pytest.raises(CatalogError, match=r"sample-terror.*NUL"):
        load_catalog(corpus_dir=tiny)


def test_invalid_utf8(tiny: Path) -> None:
    _replace_text(tiny, "c_terror.txt", "Terror is a mechanism caf\xe9\n".encode("latin-1"))
    with pytest.raises(CatalogError, match=r"sample-terror.*UTF-8"):
        load_catalog(corpus_dir=tiny)


def test_invalid_toml(tiny: Path) -> None:
    (tiny / "catalog.toml").write_text("[[work]\nid=", encoding="utf-8")
    with pytest.raises(CatalogError, match="not valid TOML"):
        load_catalog(corpus_dir=tiny)


def test_check_lists_every_problem(tiny: Path) -> None:
    (tiny / "texts" / "c_terror.txt").unlink()
    _edit_catalog(tiny, 'id = "sample-bureaucracy"', 'id = "example-grain"')
    with (tiny / "texts" / "a_grain.txt").open("a", encoding="utf-8") as f:
        f.write("x")
    problems = check_catalog(corpus_dir=tiny)
    assert len(problems) == 3
    joined = "\n".join(problems)
    assert "duplicate work id" in joined and "not found" in joined and "sha256" in joined


def test_fingerprint_changes_with_catalog(tiny: Path) -> None:
    before = corpus_fingerprint(load_catalog(corpus_dir=tiny))
    assert before == corpus_fingerprint(load_catalog(corpus_dir=tiny))
    _edit_catalog(tiny, 'title = "A Note on Terror"', 'title = "A Note on Terror, revised"')
    assert corpus_fingerprint(load_catalog(corpus_dir=tiny)) != before


def test_work_span_split_by_markers(tiny: Path) -> None:
    text = "end of one essay.\nSplit here: Title\nsecond essay\nNEXT\n"
    from corpus.catalog import Work

    first = Work("a", "A", "T", None, "f", "", end_marker="Split here")
    second = Work("b", "B", "T", None, "f", "", start_marker="Split here", end_marker="NEXT")
    assert text[slice(*work_span(first, text))] == "end of one essay.\n"
    assert text[slice(*work_span(second, text))] == "Split here: Title\nsecond essay\n"


def test_settings_point_at_corpus(tiny: Path, settings) -> None:
    s = settings.model_copy(update={"corpus_dir": tiny})
    assert len(load_catalog(s).works) == 3
