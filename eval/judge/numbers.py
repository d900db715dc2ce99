"""Numbers as values: digits, number words, ordinals, scales and decades, for the number rule.

"twenty million", "20 million" and "20,000,000" are the same value; "the 1930's" is 1930.
"""

from __future__ import annotations

import re

from eval.judge.lexicon import tokens

_UNITS = {
    "zero": 0,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
}
_ORDINALS = {
    "first": 1,
    "second": 2,
    "third": 3,
    "fourth": 4,
    "fifth": 5,
    "sixth": 6,
    "seventh": 7,
    "eighth": 8,
    "ninth": 9,
    "tenth": 10,
    "eleventh": 11,
    "twelfth": 12,
    "thirteenth": 13,
    "fourteenth": 14,
    "fifteenth": 15,
    "sixteenth": 16,
    "seventeenth": 17,
    "eighteenth": 18,
    "nineteenth": 19,
    "twentieth": 20,
}
_SCALES = {"hundred": 100, "thousand": 1_000, "million": 1_000_000, "billion": 1_000_000_000}
# "first"/"second" are too often not numbers ("second serfdom", "at first"); only digit ordinals
# ("17th") and the rarer ordinal words count.
_AMBIGUOUS_ORDINALS = frozenset({"first", "second"})


def _digit_value(tok: str) -> float | None:
    t = tok.replace(",", "")
    try:
        return float(t)
    except ValueError:
        m = re.fullmatch(r"(\d+)(st|nd|rd|th|s)", tok)
        return float(m.group(1)) if m else None


def numbers_in(text: str) -> list[float]:
    """Every number the text states, as a value: digits, number words, ordinals, scales.

    Example::

        >>> numbers_in("about twenty-five million farms, 13 of the 15 generals, the 17th Congress")
        [25000000.0, 13.0, 15.0, 17.0]
    """
    toks = [t for t in tokens(text.replace("-", " ")) if t not in {"-"}]
    values: list[float] = []
    i = 0
    while i < len(toks):
        t = toks[i]
        value: float | None = None
        if t[0].isdigit():
            value = _digit_value(t)
            i += 1
        elif t in _UNITS or (t in _ORDINALS and t not in _AMBIGUOUS_ORDINALS):
            value = float(_UNITS.get(t, _ORDINALS.get(t, 0)))
            i += 1
            while i < len(toks) and toks[i] in _UNITS and _UNITS[toks[i]] < 10 <= value:
                value += _UNITS[toks[i]]
                i += 1
        else:
            i += 1
            continue
        while value is not None and i < len(toks) and toks[i] in _SCALES:
            value *= _SCALES[toks[i]]
            i += 1
        if value is not None:
            values.append(value)
    return values


def same_number(a: float, b: float) -> bool:
    """Whether two stated values are equal (up to float rounding).

    Example::

        >>> same_number(20e6, 20_000_000.0), same_number(13.0, 15.0)
        (True, False)
    """
    return abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b))


def is_number_word(word: str) -> bool:
    """Whether a token states a number (checked by value, so it is no content word).

    Example::

        >>> is_number_word("1936"), is_number_word("million"), is_number_word("second")
        (True, True, False)
    """
    return (
        word[0].isdigit()
        or word in _UNITS
        or word in _SCALES
        or (word in _ORDINALS and word not in _AMBIGUOUS_ORDINALS)
    )
