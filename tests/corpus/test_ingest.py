"""Files to add -> stored text and cleaning hints (corpus.ingest): every format, every refusal."""

from __future__ import annotations

from pathlib import Path

import pytest

from corpus.errors import InputError
from corpus.ingest import guess_drop_lines, read_source
from corpus.testing import ADDED_AUTHOR, ADDED_TITLE, added_essay_text, scanned_pdf

LIMIT = 5_000_000


def _write(tmp_path: Path, name: str, data: str | bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    return path


@pytest.mark.parametrize("fmt", ["txt", "md", "html", "pdf"])
def test_every_format_gives_the_essay_text(tmp_path, fmt):
    got = read_source(_write(tmp_path, f"essay.{fmt}", added_essay_text(fmt)), max_bytes=LIMIT)
    flat = " ".join(got.text.split())
    assert "collected by a brigade of forty-two workers sent from the Leningrad metal" in flat
    assert '"The grain must be taken whatever it costs the village."' in flat
    assert ADDED_TITLE in got.text or ADDED_TITLE.upper() in got.text
    assert ADDED_AUTHOR in got.text
    assert got.original_name == f"essay.{fmt}" and len(got.original_sha256) == 64
    assert got.headings in ("roman", "markdown")
    assert "\r" not in got.text and got.text.endswith("\n")


def test_html_drops_scripts_and_marks_headings_and_superscripts(tmp_path):
    page = (
        "<html><head><script>var secret = 1;</script><style>p {}</style></head><body>"
        "<h1>Title</h1><p>A claim<sup>1</sup> made here &amp; there.</p><h2>Notes</h2>"
        "<p>1. The source.</p></body></html>"
    )
    got = read_source(_write(tmp_path, "page.html", page), max_bytes=LIMIT)
    assert "secret" not in got.text and "p {}" not in got.text
    assert "# Title" in got.text and "A claim<sup>1</sup> made here & there." in got.text
    assert got.headings == "markdown" and got.footnotes == "numbered"


def test_pdf_drops_page_numbers_and_running_headers(tmp_path):
    from corpus.testing import _pdf

    para = (
        "The collective farm statutes of 1935 left each household a garden plot and a cow, "
        "and the plots fed the towns through the hungry years that followed. "
    )
    sections = [(str(i), (para * 6, para * 5)) for i in range(1, 6)]
    got = read_source(
        _write(tmp_path, "long.pdf", _pdf(["A Long Essay"], sections)), max_bytes=LIMIT
    )
    assert got.pages and got.pages >= 3
    lines = [x.strip() for x in got.text.splitlines()]
    assert "Studies in Soviet Agriculture" not in lines  # the running header, on every page
    assert not any(x.isdigit() and int(x) > 5 for x in lines)  # page numbers (not section labels)
    assert "garden plot" in got.text


def test_plain_text_hints(tmp_path):
    text = "Essay\n\nOne point.\n\nEssay\n\n12\n\nAnother point.\n\nEssay\n"
    got = read_source(_write(tmp_path, "a.txt", text), max_bytes=LIMIT)
    assert set(got.drop_lines) == {"Essay", "12"}
    assert got.footnotes == "none"  # no markers, no notes heading: a numbered list stays body
    assert guess_drop_lines("I\n\nx\n\nI\n\ny\n\nI\n", "roman") == ()


def test_windows_text_and_boms_are_read(tmp_path):
    assert (
        read_source(
            _write(tmp_path, "w.txt", b"Caf\xe9 \x93quoted\x94\r\n"),
            max_bytes=LIMIT,
        ).text
        == "Café “quoted”\n"
    )
    assert (
        read_source(_write(tmp_path, "b.txt", b"\xef\xbb\xbfText"), max_bytes=LIMIT).text
        == "Text\n"
    )
    assert (
        read_source(_write(tmp_path, "u.txt", "Text".encode("utf-16")), max_bytes=LIMIT).text
        == "Text\n"
    )


# --- refusals: each says what is wrong and what to do --------------------------------------------


@pytest.mark.parametrize(
    ("name", "data", "expected"),
    [
        ("empty.txt", b"", "is empty"),
        ("blank.txt", b"  \n\n \t\n", "no text"),
        ("digits.md", b"12 34\n", "no text"),
        ("nul.txt", b"text\x00\x01\x02 more", "binary"),
        ("controls.txt", bytes(range(1, 9)) * 50 + b"abc", "binary"),
        ("paper.txt", b"%PDF-1.7 whatever", ".pdf"),
        ("paper.md", b"PK\x03\x04 zipped", "ZIP"),
        ("essay.docx", b"PK\x03\x04", "'.docx' is not a format"),
        ("essay", b"text", "no extension"),
        ("broken.pdf", b"%PDF-1.4 this is not really a pdf", "could not be read as a PDF"),
        ("notes.html", b"<html><body><script>x()</script></body></html>", "no text"),
    ],
)
def test_bad_files_are_refused_with_a_reason(tmp_path, name, data, expected):
    with pytest.raises(InputError) as err:
        read_source(_write(tmp_path, name, data), max_bytes=LIMIT)
    assert expected in str(err.value) and name in str(err.value)


def test_a_scan_needs_ocr(tmp_path):
    with pytest.raises(InputError, match=r"no text layer.*OCR"):
        read_source(_write(tmp_path, "scan.pdf", scanned_pdf()), max_bytes=LIMIT)


def test_over_the_size_limit(tmp_path):
    path = _write(tmp_path, "big.txt", "word " * 1000)
    with pytest.raises(InputError, match=r"over the limit.*add_max_bytes"):
        read_source(path, max_bytes=1000)


def test_missing_file(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        read_source(tmp_path / "absent.txt", max_bytes=LIMIT)


def test_encrypted_pdf_is_refused(tmp_path):
    pypdf = pytest.importorskip("pypdf")
    reader = pypdf.PdfReader(_write(tmp_path, "plain.pdf", added_essay_text("pdf")))
    writer = pypdf.PdfWriter()
    for page in reader.pages:
        writer.add_page(page)
    try:
        writer.encrypt(user_password="secret", algorithm="RC4-128")
    except Exception as exc:  # pragma: no cover - depends on the crypto backend installed
        pytest.skip(f"pypdf cannot encrypt here: {exc}")
    with open(tmp_path / "locked.pdf", "wb") as fh:
        writer.write(fh)
    with pytest.raises(InputError, match=r"password|could not be read"):
        read_source(tmp_path / "locked.pdf", max_bytes=LIMIT)
