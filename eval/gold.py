"""Which candidate sentences are gold: those that overlap a question's verbatim evidence."""

from __future__ import annotations

from collections.abc import Sequence

from corpus.locate import normalize_for_match


def _shingles(text: str, n: int = 3) -> set[tuple[str, ...]]:
    words = normalize_for_match(text).replace("-", " ").split()
    words = ["".join(ch for ch in w if ch.isalnum()) for w in words]
    words = [w for w in words if w]
    if len(words) < n:
        return {tuple(words)} if words else set()
    return {tuple(words[i : i + n]) for i in range(len(words) - n + 1)}


def overlaps_gold(sentence: str, quotes: Sequence[str], threshold: float = 0.5) -> bool:
    """Whether most of ``sentence`` lies in a gold quote, or most of a gold quote in it.

    Overlap is counted in word trigrams, relative to the shorter of the two.

    Example::

        >>> overlaps_gold("The KGB figure is self-serving and can be dismissed.",
        ...               ["We now have the KGB figure. The KGB figure is self-serving and can be"])
        True
        >>> overlaps_gold("Nove based himself on the census.", ["The KGB figure is self-serving."])
        False
    """
    s = _shingles(sentence)
    if not s:
        return False
    for q in quotes:
        g = _shingles(q)
        if g and len(s & g) / min(len(s), len(g)) >= threshold:
            return True
    return False
