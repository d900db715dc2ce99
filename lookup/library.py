"""Citation lookup over the corpus: exact phrase, keyword (BM25) and anchor search, plus the reader.

Pure library code (no web framework): the chat's lookup and corpus tabs call it, and so can scripts.
A :class:`Library` is built from the corpus passages; every result carries the passage, its
neighbours, its footnotes and a citation string::

    Robert C. Tucker, "Stalinism as Revolution from Above" (1977), §II ¶4

Exact-phrase matching folds typography (curly quotes, dashes, ellipses, emphasis asterisks,
whitespace, case) so a quotation copied from a PDF or an e-mail still finds its passage; when the
folded phrase is absent it retries on the sequence of words alone (footnote digits and punctuation
ignored) and reports the match as inexact.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from corpus.cite import citation_string
from corpus.passage import Passage
from corpus.settings import Settings, get_settings
from rag.retrieval.bm25 import LexicalIndex
from rag.text.tokens import search_terms

SearchHow = Literal["auto", "phrase", "keyword", "anchor"]

__all__ = [
    "Library",
    "LiveLibrary",
    "LookupResponse",
    "LookupResult",
    "ReaderPage",
    "WorkRow",
    "fold_with_map",
    "get_library",
]

# Characters folded to a plain ASCII equivalent before matching (typography, not meaning).
_CHAR_FOLD = {
    "\u2018": "'",
    "\u2019": "'",
    "\u201a": "'",
    "\u201b": "'",
    "\u2032": "'",
    "`": "'",
    "\u00b4": "'",
    "\u201c": '"',
    "\u201d": '"',
    "\u201e": '"',
    "\u201f": '"',
    "\u00ab": '"',
    "\u00bb": '"',
    "\u2033": '"',
    "\u2010": "-",
    "\u2011": "-",
    "\u2012": "-",
    "\u2013": "-",
    "\u2014": "-",
    "\u2015": "-",
    "\u2212": "-",
    "\u2026": "...",
}
# Dropped outright: emphasis markers and invisible characters that differ between copies.
_DROP = frozenset("*_\u00ad\u200b\u200c\u200d\u2060\ufeff")

_WORD = re.compile(r"\w+")
# Footnote markers and markup a quotation copied from a raw file may carry; passages have none.
_QUERY_MARKERS = re.compile(
    r"<sup>[^<]{0,40}</sup>|\^\{[^{}]{0,40}\}|[⁰¹²³⁴⁵⁶⁷⁸⁹]+|<[^>]{0,80}>|\\math(?:bf|rm|it)\{",
    re.IGNORECASE,
)


def fold_with_map(text: str) -> tuple[str, list[int]]:
    """Fold ``text`` for matching and return it with, for each folded char, its offset in ``text``.

    Folding: NFKC, case-folding, typographic quotes/dashes/ellipsis to ASCII, runs of whitespace to
    one space, runs of dashes to one dash with no spaces around it, emphasis ``*``/``_`` and
    zero-width characters removed, leading/trailing space dropped.

    Example::

        >>> fold_with_map("A  “Revolution” — from\\nabove")[0]
        'a "revolution"-from above'
        >>> folded, where = fold_with_map("x\\u2014y")
        >>> folded, where
        ('x-y', [0, 1, 2])
    """
    out: list[str] = []
    where: list[int] = []
    for i, ch in enumerate(text):
        if ch in _DROP:
            continue
        mapped = _CHAR_FOLD.get(ch)
        if mapped is None:
            mapped = ch if ch.isascii() else unicodedata.normalize("NFKC", ch)
            mapped = mapped.casefold()
        for c in mapped:
            if c.isspace():
                if not out or out[-1] in " -":
                    continue
                c = " "
            elif c == "-":
                if out and out[-1] == "-":
                    continue
                if out and out[-1] == " ":
                    out.pop()
                    where.pop()
            out.append(c)
            where.append(i)
    if out and out[-1] == " ":
        out.pop()
        where.pop()
    return "".join(out), where


def _fold(text: str) -> str:
    return fold_with_map(text)[0]


def _words(text: str) -> list[str]:
    return _WORD.findall(_fold(text))


@dataclass(frozen=True)
class LookupResult:
    """One found passage in its context.

    ``spans`` are ``(start, end)`` offsets into ``passage.text`` to highlight (the matched phrase,
    or the query's keywords); ``exact`` is False when a phrase matched only word for word.
    """

    passage: Passage
    previous: Passage | None
    next: Passage | None
    footnotes: tuple[Passage, ...]
    citation: str
    how: Literal["phrase", "keyword", "anchor"]
    score: float = 1.0
    spans: tuple[tuple[int, int], ...] = ()
    exact: bool = True


@dataclass(frozen=True)
class LookupResponse:
    """What a search returns: the results and, when there are none or they are partial, why."""

    query: str
    how: Literal["phrase", "keyword", "anchor"]
    results: tuple[LookupResult, ...]
    message: str | None = None


@dataclass(frozen=True)
class WorkRow:
    """One row of the works table."""

    work_id: str
    author: str
    title: str
    year: int | None
    passages: int
    words: int


@dataclass(frozen=True)
class ReaderPage:
    """A page of a work in reading order: ``passages[i]`` is paragraph ``start + i`` of ``total``."""

    work: WorkRow
    passages: tuple[Passage, ...]
    start: int
    total: int
    citations: tuple[str, ...] = field(default=())

    @property
    def end(self) -> int:
        return self.start + len(self.passages)


class Library:
    """Search and reading over an ordered set of passages (one corpus).

    Passages keep their given order within each work (the corpus order); works appear in the
    order of their first passage.
    """

    def __init__(self, passages: Iterable[Passage]) -> None:
        self.passages: tuple[Passage, ...] = tuple(passages)
        self._by_work: dict[str, list[Passage]] = {}
        for p in self.passages:
            self._by_work.setdefault(p.work_id, []).append(p)
        self._position: dict[int, tuple[str, int]] = {}
        self._anchor: dict[str, Passage] = {}
        self._notes: dict[tuple[str, int], Passage] = {}
        for work_id, items in self._by_work.items():
            for i, p in enumerate(items):
                self._position[id(p)] = (work_id, i)
                self._anchor.setdefault(_anchor_key(p.anchor), p)
                if p.kind == "footnote" and p.note_no is not None:
                    self._notes.setdefault((work_id, p.note_no), p)
        self._phrase_index: dict[str, tuple[str, list[int], list[int]]] | None = None
        self._bm25: LexicalIndex | None = None

    # --- catalogue -------------------------------------------------------------------------

    @property
    def work_ids(self) -> tuple[str, ...]:
        return tuple(self._by_work)

    def works_table(self) -> list[WorkRow]:
        """One row per work: author, title, year, passage count, word count (corpus order).

        Example::

            >>> lib = Library([Passage("w", "A", "T", 1977, "I", 1, "w §I ¶1", "two words",
            ...                        "body", 0, 9)])
            >>> lib.works_table()[0].words
            2
        """
        rows = []
        for work_id, items in self._by_work.items():
            first = items[0]
            rows.append(
                WorkRow(
                    work_id=work_id,
                    author=first.author,
                    title=first.title,
                    year=first.year,
                    passages=len(items),
                    words=sum(len(p.text.split()) for p in items),
                )
            )
        return rows

    def authors(self) -> list[str]:
        """Authors in corpus order, each once."""
        return list(dict.fromkeys(p.author for p in self.passages))

    # --- context ---------------------------------------------------------------------------

    def context(self, passage: Passage) -> tuple[Passage | None, Passage | None]:
        """The passages just before and after ``passage`` in its work (None at either end)."""
        work_id, i = self._position[id(passage)]
        items = self._by_work[work_id]
        prev = items[i - 1] if i > 0 else None
        nxt = items[i + 1] if i + 1 < len(items) else None
        return prev, nxt

    def footnotes_of(self, passage: Passage) -> tuple[Passage, ...]:
        """The footnote passages a body passage refers to (same work), in the order referred."""
        found = (self._notes.get((passage.work_id, n)) for n in passage.footnote_refs)
        return tuple(p for p in found if p is not None)

    def result(
        self,
        passage: Passage,
        how: Literal["phrase", "keyword", "anchor"],
        *,
        score: float = 1.0,
        spans: Sequence[tuple[int, int]] = (),
        exact: bool = True,
    ) -> LookupResult:
        prev, nxt = self.context(passage)
        return LookupResult(
            passage=passage,
            previous=prev,
            next=nxt,
            footnotes=self.footnotes_of(passage),
            citation=citation_string(passage),
            how=how,
            score=score,
            spans=tuple(spans),
            exact=exact,
        )

    # --- search ----------------------------------------------------------------------------

    def search(
        self,
        query: str,
        how: SearchHow = "auto",
        *,
        limit: int = 10,
        authors: Sequence[str] | None = None,
        works: Sequence[str] | None = None,
    ) -> LookupResponse:
        """Search by phrase, keyword or anchor; ``auto`` picks anchor, then phrase, then keyword.

        ``auto`` treats a query that starts with a work id as an anchor, a query in quotation marks
        (or of four words or more that occurs verbatim) as a phrase, anything else as keywords.
        """
        q = (query or "").strip()
        if not q:
            return LookupResponse(
                query, "keyword", (), "Type a phrase, some keywords or an anchor."
            )
        if how == "anchor" or (how == "auto" and self._looks_like_anchor(q)):
            return self.by_anchor(q, limit=limit)
        if how == "phrase":
            return self.by_phrase(q, limit=limit, authors=authors, works=works)
        if how == "keyword":
            return self.by_keyword(q, limit=limit, authors=authors, works=works)
        quoted = len(q) > 2 and q[0] in "\"'“‘«" and q[-1] in "\"'”’»"
        if quoted or len(_words(q)) >= 4:
            found = self.by_phrase(q, limit=limit, authors=authors, works=works)
            if found.results or quoted:
                return found
        return self.by_keyword(q, limit=limit, authors=authors, works=works)

    def _looks_like_anchor(self, q: str) -> bool:
        head = q.split()[0].casefold()
        return any(head == w.casefold() for w in self._by_work)

    def by_anchor(self, query: str, *, limit: int = 10) -> LookupResponse:
        """Find a passage by its anchor (``tucker-revolution-from-above §II ¶4``).

        A work id alone gives the work's first passages; ``work §II`` the first passages of that
        section. Spacing and case are forgiven (``§ II ¶ 4``).
        """
        key = _anchor_key(query)
        hit = self._anchor.get(key)
        if hit is not None:
            return LookupResponse(query, "anchor", (self.result(hit, "anchor"),))
        head, _, rest = key.partition(" ")
        work_id = next((w for w in self._by_work if w.casefold() == head), None)
        if work_id is None:
            known = ", ".join(self._by_work)
            return LookupResponse(
                query,
                "anchor",
                (),
                f"No work with the id '{head}'. Anchors start with a work id: {known}.",
            )
        items = self._by_work[work_id]
        if rest:
            items = [p for p in items if _anchor_key(p.anchor).startswith(key + " ")]
            if not items:
                return LookupResponse(
                    query,
                    "anchor",
                    (),
                    f"No passage '{query.strip()}'. Anchors look like '{self._by_work[work_id][0].anchor}'; "
                    "the Corpus tab lists every anchor of a work.",
                )
        return LookupResponse(
            query, "anchor", tuple(self.result(p, "anchor") for p in items[:limit])
        )

    def _phrase_data(self) -> dict[str, tuple[str, list[int], list[int]]]:
        # Per work: folded text of all passages joined by a space (so a quotation running over a
        # paragraph break is found), and where each passage starts in it.
        if self._phrase_index is None:
            index = {}
            for work_id, items in self._by_work.items():
                parts: list[str] = []
                starts: list[int] = []
                pos = 0
                for p in items:
                    folded = _fold(p.text)
                    starts.append(pos)
                    parts.append(folded)
                    pos += len(folded) + 1
                index[work_id] = (" ".join(parts), starts, [len(x) for x in parts])
            self._phrase_index = index
        return self._phrase_index

    def _allowed(
        self, work_id: str, authors: Sequence[str] | None, works: Sequence[str] | None
    ) -> bool:
        if works and work_id not in works:
            return False
        return not (authors and self._by_work[work_id][0].author not in authors)

    def by_phrase(
        self,
        query: str,
        *,
        limit: int = 10,
        authors: Sequence[str] | None = None,
        works: Sequence[str] | None = None,
    ) -> LookupResponse:
        """Every occurrence of a verbatim phrase (typography folded), in corpus order.

        Falls back to a word-for-word match (punctuation and footnote numbers ignored) when the
        folded phrase does not occur; such results carry ``exact=False``.
        """
        phrase = _fold(_QUERY_MARKERS.sub(" ", query)).strip(" \"'")
        if not phrase:
            return LookupResponse(query, "phrase", (), "The phrase is empty.")
        results: list[LookupResult] = []
        for work_id, (text, starts, lengths) in self._phrase_data().items():
            if not self._allowed(work_id, authors, works):
                continue
            pos = text.find(phrase)
            while pos != -1 and len(results) < limit:
                results.append(
                    self._phrase_result(work_id, starts, lengths, pos, pos + len(phrase), True)
                )
                pos = text.find(phrase, pos + 1)
        if not results:
            results = self._word_sequence(query, limit, authors, works)
        if not results:
            return LookupResponse(
                query,
                "phrase",
                (),
                "That exact phrase does not occur in the essays. Try fewer words or a keyword search.",
            )
        exact = all(r.exact for r in results)
        note = None if exact else "No verbatim match; these passages hold the same words in order."
        return LookupResponse(query, "phrase", tuple(results), note)

    def _phrase_result(
        self,
        work_id: str,
        starts: list[int],
        lengths: list[int],
        begin: int,
        end: int,
        exact: bool,
    ) -> LookupResult:
        # The passage holding the first character of the match; the highlighted span stops at its end.
        i = max(j for j, s in enumerate(starts) if s <= begin)
        passage = self._by_work[work_id][i]
        _, where = fold_with_map(passage.text)
        local_begin = begin - starts[i]
        local_end = min(end - starts[i], lengths[i])
        span: tuple[tuple[int, int], ...] = ()
        if 0 <= local_begin < len(where) and local_end > local_begin:
            span = ((where[local_begin], where[local_end - 1] + 1),)
        return self.result(passage, "phrase", spans=span, exact=exact)

    def _word_sequence(
        self,
        query: str,
        limit: int,
        authors: Sequence[str] | None,
        works: Sequence[str] | None,
    ) -> list[LookupResult]:
        wanted = [w for w in _words(_QUERY_MARKERS.sub(" ", query)) if not w.isdigit()]
        if len(wanted) < 2:
            return []
        results: list[LookupResult] = []
        for work_id, items in self._by_work.items():
            if not self._allowed(work_id, authors, works):
                continue
            # Words of the whole work with the passage and character span each comes from.
            seq: list[tuple[str, int, int, int]] = []
            for pi, p in enumerate(items):
                folded, where = fold_with_map(p.text)
                for m in _WORD.finditer(folded):
                    if not m.group().isdigit():
                        seq.append((m.group(), pi, where[m.start()], where[m.end() - 1] + 1))
            n = len(wanted)
            for s in range(len(seq) - n + 1):
                if seq[s][0] == wanted[0] and all(seq[s + k][0] == wanted[k] for k in range(n)):
                    pi = seq[s][1]
                    last = max(k for k in range(n) if seq[s + k][1] == pi)
                    span = ((seq[s][2], seq[s + last][3]),)
                    results.append(self.result(items[pi], "phrase", spans=span, exact=False))
                    if len(results) >= limit:
                        return results
        return results

    def by_keyword(
        self,
        query: str,
        *,
        limit: int = 10,
        authors: Sequence[str] | None = None,
        works: Sequence[str] | None = None,
    ) -> LookupResponse:
        """Passages ranked by BM25 for the query's words, with those words highlighted."""
        terms = set(search_terms(query))
        if not terms:
            return LookupResponse(
                query,
                "keyword",
                (),
                "Type at least one word that is not a common word (like 'the' or 'which').",
            )
        if self._bm25 is None:
            self._bm25 = LexicalIndex([p.text for p in self.passages])
        scores = self._bm25.scores(query)
        order = sorted(
            (i for i, s in enumerate(scores) if s > 0),
            key=lambda i: (-scores[i], i),
        )
        results = []
        for i in order:
            p = self.passages[i]
            if not self._allowed(p.work_id, authors, works):
                continue
            spans = _term_spans(p.text, terms)
            results.append(self.result(p, "keyword", score=float(scores[i]), spans=spans))
            if len(results) >= limit:
                break
        if not results:
            return LookupResponse(query, "keyword", (), "None of those words occur in the essays.")
        return LookupResponse(query, "keyword", tuple(results))

    # --- reader ----------------------------------------------------------------------------

    def read(self, work_id: str, start: int = 0, count: int = 10) -> ReaderPage:
        """``count`` passages of a work from paragraph ``start`` (clamped to the work's length).

        Example::

            >>> ps = [Passage("w", "A", "T", None, "I", i, f"w §I ¶{i}", f"p{i}", "body", i, i + 1)
            ...       for i in range(1, 6)]
            >>> page = Library(ps).read("w", start=3, count=10)
            >>> (page.start, page.end, page.total)
            (3, 5, 5)
        """
        if work_id not in self._by_work:
            from corpus.errors import InputError

            known = ", ".join(self._by_work)
            raise InputError(f"Unknown work '{work_id}'. Choose one of: {known}.")
        items = self._by_work[work_id]
        total = len(items)
        count = max(1, count)
        start = min(max(0, start), max(0, total - 1))
        page = tuple(items[start : start + count])
        row = next(r for r in self.works_table() if r.work_id == work_id)
        return ReaderPage(
            work=row,
            passages=page,
            start=start,
            total=total,
            citations=tuple(citation_string(p) for p in page),
        )


def _anchor_key(text: str) -> str:
    key = re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text)).strip().casefold()
    return re.sub(r"([§¶])\s+", r"\1", key)


def _term_spans(text: str, terms: set[str]) -> tuple[tuple[int, int], ...]:
    """Spans of the words of ``text`` whose search stem is one of ``terms`` (what matched)."""
    return tuple(
        (m.start(), m.end())
        for m in _WORD.finditer(text)
        if (found := search_terms(m.group())) and found[0] in terms
    )


def _load_passages(settings: Settings) -> list[Passage]:
    from corpus.load import load_passages

    return list(load_passages(settings))


@functools.lru_cache(maxsize=4)
def _cached_library(stamp: tuple, settings: Settings) -> Library:
    del stamp  # cache key only
    return Library(_load_passages(settings))


class LiveLibrary:
    """The :class:`Library` of the configured corpus as it is at each use: a text added or
    removed (``attest add``/``remove``, the chat's Corpus tab) shows at the next call.

    Each attribute is read from the current library (cached per corpus state, one ``stat`` of
    each catalog to find it); take :meth:`current` once to make several calls on one state.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def current(self) -> Library:
        from corpus.user import corpus_stamp

        return _cached_library(corpus_stamp(self.settings), self.settings)

    def __getattr__(self, name: str):  # type: ignore[no-untyped-def]
        return getattr(self.current(), name)


def get_library(
    settings: Settings | None = None, passages: Iterable[Passage] | None = None
) -> Library:
    """The :class:`Library` of ``passages``, or of the configured corpus, following it as texts
    are added and removed (a :class:`LiveLibrary`)."""
    if passages is not None:
        return Library(passages)
    return LiveLibrary(get_settings(settings))  # type: ignore[return-value]
