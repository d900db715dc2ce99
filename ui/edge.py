"""What every text that enters the chat server passes first: made safe for UTF-8, length-checked.

A JSON request may carry a lone surrogate (``"\\ud800"``): Python accepts it in a ``str`` but it
cannot be encoded, so it would break the response stream ("str is not valid UTF-8") or a file
write. :func:`utf8_safe` replaces each one with U+FFFD before anything else sees the text.
:func:`check_length` refuses an over-long text before any work is done on it (cleaning included),
with a message that states the limit and never repeats the text.
"""

from __future__ import annotations

from corpus.errors import InputError
from rag.text.unicode import utf8_safe

__all__ = ["check_length", "utf8_safe"]


def check_length(text: str, limit: int, what: str, setting: str | None = None) -> None:
    """Refuse ``text`` when it is longer than ``limit`` characters (before any other work).

    Example::

        >>> check_length("x" * 11, 10, "lookup text")
        Traceback (most recent call last):
        ...
        corpus.errors.InputError: the lookup text is 11 characters long; the limit is 10: shorten it
    """
    if len(text) > limit:
        where = f" ({setting})" if setting else ""
        raise InputError(
            f"the {what} is {len(text):,} characters long; the limit is {limit}{where}: shorten it"
        )
