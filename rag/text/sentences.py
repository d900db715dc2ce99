"""Sentence boundaries in essay prose (pure functions, no models).

Scholarly prose is hostile to naive splitting: "Mr. Rigby", "op. cit.", "i.e.", "vol. 2",
initials ("T. H. Rigby", "Robert C. Tucker"), decimals ("1.5"), ellipses, a period followed by a
closing quote or bracket, and footnote digits glued to the period ("...the purges.12 Then").
:func:`split_sentences` returns character spans so callers can map sentences back to offsets;
the spans cover every non-whitespace character of the text exactly once.
"""

from __future__ import annotations

import re

__all__ = ["sentences", "split_sentences"]

# Lower-cased words (without the final period) after which a period does not end a sentence.
_ABBREVIATIONS = frozenset(
    [
        "mr",
        "mrs",
        "ms",
        "dr",
        "prof",
        "st",
        "sr",
        "jr",
        "gen",
        "col",
        "lt",
        "capt",
        "cmdr",
        "adm",
        "gov",
        "sen",
        "rep",
        "rev",
        "fr",
        "hon",
        "messrs",
        "mme",
        "mlle",
        "vs",
        "v",
        "etc",
        "cf",
        "ibid",
        "id",
        "op",
        "cit",
        "loc",
        "al",
        "ed",
        "eds",
        "trans",
        "tr",
        "comp",
        "repr",
        "rev",
        "vol",
        "vols",
        "no",
        "nos",
        "p",
        "pp",
        "ch",
        "chap",
        "chaps",
        "sec",
        "fig",
        "figs",
        "art",
        "arts",
        "ff",
        "fn",
        "n",
        "nn",
        "ca",
        "c",
        "approx",
        "esp",
        "viz",
        "resp",
        "incl",
        "excl",
        "dept",
        "univ",
        "assn",
        "jan",
        "feb",
        "mar",
        "apr",
        "jun",
        "jul",
        "aug",
        "sep",
        "sept",
        "oct",
        "nov",
        "dec",
        "mass",
        "calif",
        "conn",
        "penn",
        "wash",
        "ill",
        "ind",
        "mich",
        "wis",
        "minn",
        "i.e",
        "e.g",
        "a.m",
        "p.m",
        "u.s",
        "u.k",
        "u.s.s.r",
    ]
)
# Abbreviations that often do end a sentence ("... and so on, etc."): end it when a capital follows.
_SOFT_ABBREVIATIONS = frozenset({"etc", "al", "ibid", "id", "cit", "ff", "incl", "esp"})

# A candidate end: terminal punctuation run, then closing quotes/brackets, then optional
# footnote digits (a superscript-ish number glued to the punctuation), then whitespace.
_CANDIDATE = re.compile(
    r"""
    (?P<punct>[.!?…]+)
    (?P<close>[\"'”’»)\]]*)
    (?P<note>(?:\^?\{?\d{1,3}\}?|[¹²³⁴⁵⁶⁷⁸⁹⁰]+)(?=\s))?
    (?=\s|$)
    """,
    re.VERBOSE,
)
_WORD_BEFORE = re.compile(r"([A-Za-zÀ-ÿ.]+)$")
_NEXT_START = re.compile(r"\s*([\"'“‘«(\[]*)(\S)")


def _is_boundary(text: str, m: re.Match[str]) -> bool:
    punct = m.group("punct")
    end = m.end()
    nxt = _NEXT_START.match(text, end)
    if nxt is None:
        return True  # end of text
    first = nxt.group(2)
    if first.islower():
        # "op. cit. p. 4", "e.g. the peasants", "... and then": a lower-case start continues.
        return False
    if punct in {"!", "?", "…", "..."} or len(punct) > 1 or punct[-1] in "!?":
        # Ellipsis or question followed by a capital/digit: a new sentence.
        return True
    # Single period from here on.
    if m.group("close") or m.group("note"):
        # '... the end." Then' or '... the purges.12 Then': the closer proves the period was final.
        return True
    before = text[: m.start()]
    wm = _WORD_BEFORE.search(before)
    if wm is None:
        # A period after a digit ("in 1937. The") ends a sentence; after "1." list numbers
        # at the start of a line too, which is acceptable.
        return not before[-1:].isdigit() or not first.isdigit()
    word = wm.group(1).strip(".")
    low = word.lower()
    if len(word) == 1 and word.isalpha():
        # An initial ("T. H. Rigby", "Robert C. Tucker") or a one-letter abbreviation.
        return not word.isupper() and low not in _ABBREVIATIONS
    if "." in word and all(len(part) <= 2 for part in word.split(".")):
        # "U.S.S.R." / "i.e." style dotted abbreviations.
        return low in _SOFT_ABBREVIATIONS
    if low in _ABBREVIATIONS:
        return low in _SOFT_ABBREVIATIONS and first.isupper() and not first.isdigit()
    return True


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Return ``(start, end)`` character spans of the sentences of ``text``.

    Spans are in order, do not overlap, start and end on non-whitespace, and together with the
    whitespace between them reproduce ``text`` exactly (nothing is lost). An empty or blank text
    has no sentences.

    Example::

        >>> t = 'Mr. T. H. Rigby wrote (op. cit. p. 4) that. Growth was 1.5 per cent. "Yes."12 No...'
        >>> [t[a:b] for a, b in split_sentences(t)]
        ['Mr. T. H. Rigby wrote (op. cit. p. 4) that.', 'Growth was 1.5 per cent.', '"Yes."12', 'No...']
    """
    spans: list[tuple[int, int]] = []
    start = 0
    n = len(text)
    for m in _CANDIDATE.finditer(text):
        if m.end() <= start:
            continue
        if _is_boundary(text, m):
            spans.append((start, m.end()))
            start = m.end()
    if start < n:
        spans.append((start, n))
    out: list[tuple[int, int]] = []
    for a, b in spans:
        # Trim whitespace at both ends so spans start/end on visible characters.
        while a < b and text[a].isspace():
            a += 1
        while b > a and text[b - 1].isspace():
            b -= 1
        if a < b:
            out.append((a, b))
    return out


def sentences(text: str) -> list[str]:
    """The sentences of ``text`` as strings (see :func:`split_sentences`).

    Example::

        >>> sentences("Stalin won. Why? See Robert C. Tucker, i.e. the editor.")
        ['Stalin won.', 'Why?', 'See Robert C. Tucker, i.e. the editor.']
    """
    return [text[a:b] for a, b in split_sentences(text)]
