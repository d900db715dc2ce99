"""Text that can always be encoded: a lone surrogate (``"\\ud800"``, which JSON can carry and
Python accepts in a ``str``) would break a response stream or a file write, so every text that
enters attest from outside passes :func:`utf8_safe` first."""

from __future__ import annotations

import re
from typing import Any

_SURROGATE = re.compile("[\ud800-\udfff]")


def utf8_safe(text: Any) -> str:
    """``text`` as a ``str`` that encodes to UTF-8: lone surrogates become U+FFFD.

    Example::

        >>> utf8_safe("a\\ud800b").encode("utf-8")
        b'a\\xef\\xbf\\xbdb'
        >>> utf8_safe(None)
        ''
    """
    if text is None:
        return ""
    text = text if isinstance(text, str) else str(text)
    return _SURROGATE.sub("\ufffd", text)
