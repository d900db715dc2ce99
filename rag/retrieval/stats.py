"""Corpus statistics of an index's chunks: document frequencies of content words, IDF, and the
text in which a multi-word name can be looked up. Computed once per index (``Index.stats``)."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from rag.retrieval.chunking import Chunk
from rag.text.tokens import content_words


@dataclass(frozen=True)
class CorpusStats:
    n_docs: int
    df: dict[str, int]
    phrase_text: str  # every chunk as " word word ... " (casefolded), for phrase lookups

    def idf(self, word: str) -> float:
        return idf(word, self.n_docs, self.df)


def document_frequencies(chunks: Sequence[Chunk]) -> tuple[int, dict[str, int]]:
    """Number of chunks and, per content-word stem, in how many chunks it occurs.

    Example::

        >>> mk = lambda t: Chunk("i", "w", "A", "T", None, "", "body", "a", t, "", "f", 0, 1)
        >>> n, df = document_frequencies([mk("purges and terror"), mk("the purges")])
        >>> n, df["purg"], df["terror"]
        (2, 2, 1)
    """
    df: dict[str, int] = {}
    for c in chunks:
        for w in set(content_words(c.text)):
            df[w] = df.get(w, 0) + 1
    return len(chunks), df


def idf(word: str, n_docs: int, df: dict[str, int]) -> float:
    """Smoothed inverse document frequency; a word absent from the corpus gets the maximum.

    Example::

        >>> round(idf("x", 100, {"x": 1}), 3), round(idf("y", 100, {}), 3)
        (4.21, 5.308)
    """
    return math.log((n_docs + 1) / (df.get(word, 0) + 0.5))


def phrase_key(text: str) -> str:
    """Text as casefolded words between single spaces, padded: ``" league of nations "``.

    Example::

        >>> phrase_key("The League-of-Nations!")
        ' the league of nations '
    """
    return " " + " ".join(re.findall(r"[^\W_]+", text.casefold())) + " "


def corpus_stats(chunks: Sequence[Chunk]) -> CorpusStats:
    """The statistics of ``chunks`` (see :class:`CorpusStats`)."""
    n, df = document_frequencies(chunks)
    return CorpusStats(n, df, "".join(phrase_key(f"{c.header} {c.text}") for c in chunks))
