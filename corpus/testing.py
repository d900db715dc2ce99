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
