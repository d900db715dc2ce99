"""A tiny, valid corpus for TESTS (of this and later stages): two authors, three works.

Not used at run time. ``write_tiny_corpus(tmp_path)`` writes ``catalog.toml`` and ``texts/``
into a folder and returns it; point ``Settings(corpus_dir=...)`` or ``load_catalog(corpus_dir=...)``
at it. The texts exercise the cleaner: a running header, sections, a footnote marker and block,
a paragraph cut by a page end, and a quotation by a named speaker.

Example::

    >>> import tempfile, pathlib
    >>> from corpus.load import load_passages
    >>> from corpus.catalog import load_catalog
    >>> d = write_tiny_corpus(pathlib.Path(tempfile.mkdtemp()))
    >>> sorted({p.author for p in load_passages(catalog=load_catalog(corpus_dir=d))})
    ['Ada Example', 'Ben Sample']
"""

from __future__ import annotations

import hashlib
from pathlib import Path

ESSAY_A = """THE GRAIN QUESTION

ADA EXAMPLE

I

The grain procurement crisis of 1928 forced the leadership to choose between the market and \
coercion.<sup>1</sup> The peasants withheld their grain because prices were low.

Grain Essay

The leadership chose coercion, and the requisitions that followed broke the village \
commune. Collectivization was the

1. On the crisis see the standard accounts of the period.

result of that choice rather than of a plan made in advance.

II

The famine of 1932 killed millions of peasants in the grain regions. Its cause was the \
procurement quota, not the weather.
"""

ESSAY_B = """Bureaucracy and the Purges

Ben Sample

The bureaucracy grew because the revolution remained isolated in a backward country. Its \
privileges rested on scarcity.

Nock observed: "The State is the organization of the political means." The bureaucracy \
fitted that description well.

Terror replaced persuasion once the purges began in 1936.
"""

ESSAY_C = """A Note on Terror

Terror is a mechanism of domination; bureaucracy is another. Both replace voluntary \
exchange with command.
"""


def _catalog(files: dict[str, bytes]) -> str:
    def sha(name: str) -> str:
        return hashlib.sha256(files[name]).hexdigest()

    return f"""# Tiny test corpus (same format as the bundled catalog).
[[author]]
name = "Ada Example"
aliases = ["Example", "Ada Example"]

[[author]]
name = "Ben Sample"
aliases = ["Sample", "Ben Sample"]

[[work]]
id = "example-grain"
author = "Ada Example"
title = "The Grain Question"
year = 1990
file = "texts/a_grain.txt"
sha256 = "{sha("texts/a_grain.txt")}"
source = "Tiny Journal 1"
body_start = "I"
drop_lines = ["Grain Essay"]
headings = "roman"
footnotes = "numbered"

[[work]]
id = "sample-bureaucracy"
author = "Ben Sample"
title = "Bureaucracy and the Purges"
year = 1985
file = "texts/b_bureaucracy.txt"
sha256 = "{sha("texts/b_bureaucracy.txt")}"
source = ""
body_start = "The bureaucracy grew"
footnotes = "none"

[[work]]
id = "sample-terror"
author = "Ben Sample"
title = "A Note on Terror"
file = "texts/c_terror.txt"
sha256 = "{sha("texts/c_terror.txt")}"
body_start = "Terror is a mechanism"
footnotes = "none"
"""


def write_tiny_corpus(dir: Path, extra_passage_text: str | None = None) -> Path:
    """Write a valid tiny corpus into ``dir`` (created if needed) and return ``dir``. For tests.

    ``extra_passage_text``, when given, is appended as a last paragraph of the Ben Sample essay
    (e.g. to plant a sentence a retrieval test must find).

    Example::

        >>> import tempfile, pathlib
        >>> d = write_tiny_corpus(pathlib.Path(tempfile.mkdtemp()))
        >>> sorted(p.name for p in (d / "texts").iterdir())
        ['a_grain.txt', 'b_bureaucracy.txt', 'c_terror.txt']
    """
    dir = Path(dir)
    (dir / "texts").mkdir(parents=True, exist_ok=True)
    essay_b = ESSAY_B + (f"\n{extra_passage_text.strip()}\n" if extra_passage_text else "")
    files = {
        "texts/a_grain.txt": ESSAY_A.encode("utf-8"),
        "texts/b_bureaucracy.txt": essay_b.encode("utf-8"),
        "texts/c_terror.txt": ESSAY_C.encode("utf-8"),
    }
    for name, data in files.items():
        (dir / name).write_bytes(data)
    (dir / "catalog.toml").write_text(_catalog(files), encoding="utf-8")
    return dir


# --- a text to add (``attest add``) --------------------------------------------------------------
# Written for the tests (its author and events are invented): a question about the grain brigade
# in Belyi district can be answered from it alone, and it quotes a speaker by name.

ADDED_AUTHOR = "Vera Lindqvist"
ADDED_TITLE = "The Grain Levy in Belyi District"
ADDED_YEAR = 1962
ADDED_SECTIONS = (
    (
        "I",
        (
            "In the winter of 1929 the grain levy in Belyi district was collected by a brigade "
            "of forty-two workers sent from the Leningrad metal plants. The brigade lodged in the "
            "village reading room and went from household to household with the quota lists.",
            "The chairman of the district soviet, a former carpenter named Gusev, warned the "
            "brigade that the middle peasants would slaughter their cattle rather than surrender "
            'their seed grain. Molotov declared: "The grain must be taken whatever it costs the '
            'village." The brigade followed Molotov, not Gusev.',
        ),
    ),
    (
        "II",
        (
            "By March the district had delivered its quota, but the spring sowing fell by a "
            "third. The levy taught the peasants that the village soviet had become an "
            "instrument of the town against the countryside.",
        ),
    ),
)


def added_essay_text(fmt: str = "txt") -> str | bytes:
    """The test essay in ``fmt`` (txt, md, html or pdf; pdf as bytes, written with fpdf2).

    Example::

        >>> added_essay_text("md").splitlines()[0]
        '# The Grain Levy in Belyi District'
    """
    if fmt == "txt":
        parts = [ADDED_TITLE.upper(), ADDED_AUTHOR]
        for label, paras in ADDED_SECTIONS:
            parts += [label, *paras]
        return "\n\n".join(parts) + "\n"
    if fmt == "md":
        parts = [f"# {ADDED_TITLE}", f"*{ADDED_AUTHOR}*"]
        for label, paras in ADDED_SECTIONS:
            parts += [f"## {label}", *paras]
        return "\n\n".join(parts) + "\n"
    if fmt == "html":
        import html

        body = [f"<h1>{html.escape(ADDED_TITLE)}</h1>", f"<p><em>{ADDED_AUTHOR}</em></p>"]
        for label, paras in ADDED_SECTIONS:
            body.append(f"<h2>{label}</h2>")
            body += [f"<p>{html.escape(p)}</p>" for p in paras]
        return (
            "<!doctype html><html><head><title>x</title><style>p{margin:0}</style>"
            "<script>var hidden = 'not text';</script></head><body>"
            + "\n".join(body)
            + "</body></html>"
        )
    if fmt == "pdf":
        return _pdf([ADDED_TITLE, ADDED_AUTHOR], ADDED_SECTIONS)
    raise ValueError(fmt)


def _pdf(head: list[str], sections) -> bytes:  # type: ignore[no-untyped-def]
    from fpdf import FPDF

    class Doc(FPDF):
        def header(self) -> None:
            self.set_font("Helvetica", size=8)
            self.cell(0, 6, "Studies in Soviet Agriculture", align="C")
            self.ln(10)

        def footer(self) -> None:
            self.set_y(-15)
            self.set_font("Helvetica", size=8)
            self.cell(0, 10, str(self.page_no()), align="C")

    pdf = Doc()
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 14)
    for line in head:
        pdf.multi_cell(0, 8, line, align="C")
        pdf.ln(4)
    for label, paras in sections:
        pdf.set_font("Helvetica", "B", 12)
        pdf.multi_cell(0, 8, label, align="C")
        pdf.ln(3)
        pdf.set_font("Helvetica", size=11)
        for p in paras:
            pdf.multi_cell(0, 6, p)
            pdf.ln(4)
    return bytes(pdf.output())


def scanned_pdf() -> bytes:
    """A one-page PDF with a drawing and no text layer (what a scan looks like to pypdf)."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_fill_color(80, 80, 80)
    for i in range(20):
        pdf.rect(20, 20 + i * 10, 170, 5, style="F")
    return bytes(pdf.output())
