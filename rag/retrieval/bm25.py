"""BM25 over a fixed list of texts (bm25s, Lucene variant): the lexical half of hybrid search,
and the keyword search of citation lookup. Terms come from :func:`rag.text.tokens.search_terms`."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from rag.text.tokens import search_terms

# Stands in for a text with no search term, so every document has at least one token.
_EMPTY = "\u2205"


class LexicalIndex:
    """BM25 over ``texts``; :meth:`scores` scores every document at once.

    Example::

        >>> idx = LexicalIndex(["The purges of 1937.", "Grain requisitions.", "Purged officers."])
        >>> [round(float(s), 3) > 0 for s in idx.scores("Who was purged?")]
        [True, False, True]
    """

    def __init__(self, texts: Sequence[str], *, k1: float = 1.2, b: float = 0.75) -> None:
        import bm25s
        from bm25s.tokenization import Tokenized

        self.size = len(texts)
        self._bm25 = bm25s.BM25(k1=k1, b=b)
        vocab: dict[str, int] = {}
        ids = [
            [vocab.setdefault(term, len(vocab)) for term in (search_terms(t) or [_EMPTY])]
            for t in texts
        ]
        self._vocab = vocab
        if self.size:
            self._bm25.index(Tokenized(ids=ids, vocab=vocab), show_progress=False)

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every document for ``query`` (zeros when no query term is known)."""
        if not self.size:
            return np.zeros(0, dtype=np.float32)
        terms = [t for t in search_terms(query) if t in self._vocab]
        if not terms:
            return np.zeros(self.size, dtype=np.float32)
        return np.asarray(self._bm25.get_scores(terms), dtype=np.float32)
