"""A model's draft as sentences: split it, and read the ``[n]`` citation markers of each.

Pure functions; verification (:mod:`rag.answer.verify`) and the free mode both start here.
"""

from __future__ import annotations

import re

from rag.text.sentences import split_sentences

_MARKER = re.compile(r"\[\s*(\d+(?:\s*(?:,|;|-|–|and)\s*\d+)*)\s*\]")
_MARKERS_AFTER_END = re.compile(
    r"([.!?]+[\"'”’)]*)((?:\s*\[\s*\d+(?:\s*(?:,|;|-|–|and)\s*\d+)*\s*\])+)"
)
_LIST_LEAD = re.compile(r"^\s*(?:\d{1,2}[.)]|[-*•])\s+", re.M)


def parse_markers(text: str, n_excerpts: int) -> tuple[str, tuple[int, ...]]:
    """Split a sentence into its text without markers and the valid excerpt ids it cites.

    Ranges ``[1-3]`` expand; ids outside ``1..n_excerpts`` are removed; order of first use kept.

    Example::

        >>> parse_markers("Stalin won [1, 2][2] by default [7].", 3)
        ('Stalin won by default.', (1, 2))
        >>> parse_markers("No marker here.", 3)
        ('No marker here.', ())
    """
    ids: list[int] = []
    for m in _MARKER.finditer(text):
        parts = re.split(r"\s*(?:,|;|and)\s*", m.group(1))
        for part in parts:
            # "[1-2-3]" or a run-away "[999…]" (past int()'s digit limit) must not crash.
            nums = [int(x) for x in re.split(r"\s*[-–]\s*", part) if len(x) <= 6]
            if len(nums) == 2 and 0 < nums[1] - nums[0] < 10:
                rng = range(nums[0], nums[1] + 1)
            else:
                rng = nums
            for i in rng:
                if 1 <= i <= n_excerpts and i not in ids:
                    ids.append(i)
    clean = _MARKER.sub("", text)
    clean = re.sub(r"\s+([.,;:!?])", r"\1", clean)
    return " ".join(clean.split()), tuple(ids)


def split_draft(draft: str) -> list[str]:
    """Sentences of a model draft, each keeping the markers that follow it.

    A marker written after the full stop ("... grew. [1] Next") stays with its sentence;
    list bullets and numbering are removed.

    Example::

        >>> split_draft("1. Trotsky blamed the bureaucracy. [1] He wrote in 1936 [2].\\n- Done.")
        ['Trotsky blamed the bureaucracy [1].', 'He wrote in 1936 [2].', 'Done.']
    """
    text = _LIST_LEAD.sub("", draft)
    text = _MARKERS_AFTER_END.sub(lambda m: f" {m.group(2).strip()}{m.group(1)}", text)
    out: list[str] = []
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        for a, b in split_sentences(line):
            piece = line[a:b].strip()
            if piece:
                out.append(piece)
    return out


_ENDS_SENTENCE = re.compile(r"[.!?][\"'”’)\]]*(?:\s*\[[^\]]*\])*\s*$")


def is_complete(draft: str) -> bool:
    """Whether a draft ends at the end of a sentence (not cut off by a token limit or deadline).

    Example::

        >>> is_complete("Stalin won [1]."), is_complete("Stalin won because the")
        (True, False)
    """
    return bool(_ENDS_SENTENCE.search(draft))
