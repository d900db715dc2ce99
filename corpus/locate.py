"""Find a verbatim quote from the raw files among cleaned passages (used by evaluation).

Quotes are taken from the raw files (with markers, markdown, odd spacing); passages are cleaned.
:func:`normalize_for_match` maps both to one form, :func:`coverage` scores how much of a quote a
text contains, and :func:`locate_quote` says which passage(s) of which work hold a quote.

Example::

    >>> normalize_for_match("The *man*<sup>3</sup>  said “No”—")
    'the man said "no"-'
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from functools import lru_cache

from corpus.clean import strip_hidden
from corpus.passage import Passage

_MARKERS = re.compile(
    r"<sup>[^<]{0,40}</sup>|\^\{[^{}]{0,40}\}|\*\*\d{1,3}\*\*|[⁰¹²³⁴⁵⁶⁷⁸⁹]+|\\math(?:bf|rm|it)\{|&\w{2,8};",
    re.IGNORECASE,
)
_QUOTES = str.maketrans(
    {
        "“": '"',
        "”": '"',
        "„": '"',
        "«": '"',
        "»": '"',
        "‘": "'",
        "’": "'",
        "‚": "'",
        "`": "'",
        "–": "-",
        "—": "-",
        "‒": "-",
        "―": "-",
        "−": "-",
        "…": "...",
    }
)
_DROP = re.compile(r"[*#_{}\\]")
_WS = re.compile(r"\s+")


@lru_cache(maxsize=4096)
def normalize_for_match(text: str) -> str:
    """Casefold, unify quotes/dashes/ellipses, drop footnote markers and markdown, collapse spaces.

    Example::

        >>> normalize_for_match("  Stalin^{12.} ‘wrote’ — **so**  ")
        "stalin 'wrote' - so"
    """
    t = strip_hidden(text)
    t = _MARKERS.sub(" ", t)
    t = t.translate(_QUOTES)
    t = _DROP.sub("", t)
    t = _WS.sub(" ", t).strip().casefold()
    # Removing a marker must not leave a space before punctuation: `end. 1 Next`/`end.1`.
    t = re.sub(r" (?=[.,;:!?)])", "", t)
    return t


@lru_cache(maxsize=8192)
def _words(text: str) -> tuple[str, ...]:
    """Normalised text reduced to its words (letters/digits), cached: chunks recur in evaluation."""
    return tuple(re.findall(r"\w+", normalize_for_match(text)))


def coverage(quote: str, text: str) -> float:
    """Share of the normalised ``quote``'s characters found, in order, in the normalised ``text``
    (1.0 = fully contained).

    Exact containment is checked first; otherwise the quote's and text's word sequences are
    aligned (:class:`difflib.SequenceMatcher`, longest matching blocks) and the characters of
    quote words inside runs of at least two matching words are counted, so scattered common
    words do not add up. Word-level alignment keeps it fast (a fraction of a millisecond for a
    quote against a chunk).

    Example::

        >>> coverage("the KGB figure", "We have the KGB  figure of 780,000")
        1.0
        >>> round(coverage("the KGB figure is low", "the KGB figure was high"), 2)
        0.71
        >>> coverage("", "anything")
        0.0
    """
    q = _words(quote)
    if not q:
        return 0.0
    t = _words(text)
    if not t:
        return 0.0
    total = sum(len(w) for w in q)
    if " ".join(q) in " ".join(t):
        return 1.0
    present = set(t)
    if sum(len(w) for w in q if w in present) < 0.2 * total:
        # Few shared words: the alignment cannot find much; skip it.
        return 0.0 if not present & set(q) else _aligned(q, t) / total
    return min(1.0, _aligned(q, t) / total)


def _aligned(q: tuple[str, ...], t: tuple[str, ...]) -> int:
    sm = SequenceMatcher(None, q, t, autojunk=False)
    return sum(
        sum(len(w) for w in q[b.a : b.a + b.size]) for b in sm.get_matching_blocks() if b.size >= 2
    )


@dataclass(frozen=True)
class QuoteLocation:
    """Where a quote lies: the work and the passages (one, or consecutive ones it spans)."""

    work_id: str
    author: str
    anchors: tuple[str, ...]
    passage_indices: tuple[int, ...]
    score: float


def _split_point_match(q: str, a: str, b: str) -> bool:
    """Whether ``q`` is a suffix-of-``a`` followed by a prefix-of-``b`` (spans two passages)."""
    for cut in range(1, len(q)):
        if a.endswith(q[:cut].rstrip()) and b.startswith(q[cut:].lstrip()):
            return True
    return False


def locate_quote(
    quote: str,
    passages: Sequence[Passage],
    *,
    file: str | None = None,
    min_score: float = 0.95,
) -> list[QuoteLocation]:
    """Every place ``quote`` lies among ``passages`` (restricted to ``file`` when given).

    A quote fully inside one passage gives that passage; one cut by a paragraph boundary (e.g.
    a footnote block in between) gives the two consecutive passages of the same work; failing
    both, the best fuzzy passage with ``coverage >= min_score``. ``file`` may be a bare file name
    or a catalog path (``texts/...``).

    Example::

        >>> from corpus.load import load_passages
        >>> loc = locate_quote("The KGB figure is self-serving", load_passages())
        >>> [(x.work_id, x.anchors) for x in loc]
        [('ticktin-purges', ('ticktin-purges §2 ¶1',))]
    """
    q = normalize_for_match(quote)
    if not q:
        return []
    indexed = [
        (i, p)
        for i, p in enumerate(passages)
        if file is None or p.file == file or p.file.rsplit("/", 1)[-1] == file.rsplit("/", 1)[-1]
    ]
    norm = {i: normalize_for_match(p.text) for i, p in indexed}
    found: list[QuoteLocation] = []
    for i, p in indexed:
        if q in norm[i]:
            found.append(QuoteLocation(p.work_id, p.author, (p.anchor,), (i,), 1.0))
    if found:
        return found
    # Spanning two passages of the same work and kind: the next one, or one a few passages on
    # (a body paragraph continued after a footnote block).
    for pos, (i, p) in enumerate(indexed):
        for k, cand in indexed[pos + 1 : pos + 8]:
            if cand.work_id != p.work_id or cand.kind != p.kind:
                continue
            if _split_point_match(q, norm[i], norm[k]):
                found.append(
                    QuoteLocation(p.work_id, p.author, (p.anchor, cand.anchor), (i, k), 1.0)
                )
                break
    if found:
        return found
    best: tuple[float, int] | None = None
    for i, _p in indexed:
        score = coverage(quote, passages[i].text)
        if score >= min_score and (best is None or score > best[0]):
            best = (score, i)
    if best is None:
        return []
    p = passages[best[1]]
    return [QuoteLocation(p.work_id, p.author, (p.anchor,), (best[1],), best[0])]


_WORD_RE = re.compile(r"\w+")


def words_in_order(text: str, raw: str) -> bool:
    """Whether every word of ``text`` occurs in ``raw`` in order (a word may be split in ``raw``
    by a line-end hyphen and whatever lies between, e.g. ``predomi-`` … ``nantly``).

    Example::

        >>> words_in_order("predominantly peasant", "predomi-\\n\\n12. note\\n\\nnantly peasant")
        True
        >>> words_in_order("peasant Stalin", "Stalin peasant")
        False
    """
    pos = 0
    hay = raw.casefold()
    for word in _WORD_RE.findall(text.casefold()):
        best_start, best_end = hay.find(word, pos), -1
        if best_start >= 0:
            best_end = best_start + len(word)
        # Dehyphenated across a page end: a prefix ending in "-", then the rest further on;
        # taken when it starts before the next plain occurrence (greedy search would skip ahead).
        for cut in range(len(word) - 1, 0, -1):
            head = hay.find(word[:cut] + "-", pos)
            if head < 0 or (best_start >= 0 and head >= best_start):
                continue
            tail = hay.find(word[cut:], head + cut + 1)
            if tail >= 0:
                best_start, best_end = head, tail + len(word) - cut
                break
        if best_start < 0:
            return False
        pos = best_end
    return True
