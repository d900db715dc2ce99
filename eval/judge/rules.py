"""The content rules: does the routed evidence entail the body of a sentence?

Applied in order, the first failing rule giving the verdict:

* ``quote``    -- every quoted string of the sentence occurs word for word in the evidence;
* ``number``   -- every number the sentence states occurs in the evidence with the same value;
* ``entity``   -- every capitalised word after the first occurs in the evidence (or is a name the
  frame or passages allow);
* ``empty``    -- the sentence has at least one content word;
* ``negation`` -- a word that denies by its prefix ("impossible", "unreliable", "false") is in
  the evidence too;
* ``negation`` -- every content word found is found at least once with the same negation status;
* ``direction``-- a direction word is matched by one of the same direction, never only by the
  opposite one;
* ``coverage`` -- at least ``min_coverage`` of the content words occur in the best window of up to
  three consecutive sentences of each passage.

Content words exclude stop words, frame words, negations, direction words, numbers (checked by
value) and the names of the speakers.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from eval.judge.attribution import Evidence
from eval.judge.frames import name_keys
from eval.judge.lexicon import (
    FRAME_WORDS,
    STOPWORDS,
    normalize_text,
    one_edit,
    quoted_strings,
    split_into_sentences,
    stem,
    stems_match,
    tokens,
)
from eval.judge.numbers import is_number_word, numbers_in, same_number
from eval.judge.polarity import DIRECTION, NEGATIONS, Tok, annotate
from eval.judge.types import Verdict


def content_check(body: str, ev: Evidence, min_coverage: float) -> Verdict:
    """The content rules' verdict on ``body`` against the evidence ``ev``.

    Example::

        >>> ev = Evidence(("About twenty million citizens were killed.",), ())
        >>> content_check("About 20 million citizens were killed.", ev, 0.8).rule
        'ok'
        >>> content_check("No citizens were killed.", ev, 0.8).rule
        'negation'
    """
    body_toks = annotate(body)
    name_words = set().union(*(name_keys(n) for n in ev.names if n)) if ev.names else set()
    content = [t for t in body_toks if is_content(t.word) and t.word not in FRAME_WORDS]
    content = [t for t in content if t.word not in name_words or not t.word.isalpha()]
    full = " ".join(ev.texts)
    failed = _quote_rule(body, full) or _number_rule(body, full)
    if failed:
        return failed
    evidence = [t for text in ev.texts for t in _best_window(text, content)]
    failed = _entity_rule(body, full, evidence, name_words)
    if failed:
        return failed
    if not content:
        return Verdict(False, "the sentence makes no checkable claim", "empty")
    return _denying_rule(content, evidence) or _coverage_and_polarity(
        content, body_toks, evidence, min_coverage
    )


def is_content(word: str) -> bool:
    """Whether a token is a content word (numbers are checked by value: "thirteen" = "13").

    Example::

        >>> [w for w in ["the", "purges", "not", "13", "rose", "x"] if is_content(w)]
        ['purges']
    """
    return (
        len(word) > 1
        and not is_number_word(word)
        and word not in STOPWORDS
        and word not in NEGATIONS
        and word not in DIRECTION
        and any(c.isalnum() for c in word)
    )


def _quote_rule(body: str, full: str) -> Verdict | None:
    """Quoted strings of the sentence must occur word for word."""
    full_words = [t for t in tokens(full) if t.isalnum() or t[0].isdigit()]
    joined = " " + " ".join(full_words) + " "
    for q in quoted_strings(body):
        qw = [t for t in tokens(q) if t.isalnum() or t[0].isdigit()]
        if qw and (" " + " ".join(qw) + " ") not in joined:
            return Verdict(False, f'quotes "{q}", which the passage does not contain', "quote")
    return None


def _number_rule(body: str, full: str) -> Verdict | None:
    """Every number of the sentence must occur, with the same value."""
    have = numbers_in(full)
    for n in numbers_in(body):
        if not any(same_number(n, h) for h in have):
            shown = int(n) if n == int(n) else n
            return Verdict(False, f"states the number {shown}, absent from the passage", "number")
    return None


def _windows(text: str, size: int = 3) -> list[str]:
    """Every run of ``size`` consecutive sentences (the whole text when it is no longer)."""
    sents = [text[a:b] for a, b in split_into_sentences(text)] or [text]
    if len(sents) <= size:
        return [" ".join(sents)]
    return [" ".join(sents[i : i + size]) for i in range(len(sents) - size + 1)]


def _best_window(text: str, content: Sequence[Tok]) -> list[Tok]:
    """The tokens of the window of ``text`` that covers the most content words (first on ties)."""
    best: list[Tok] = []
    best_cov = -1
    for w in _windows(text):
        ann = annotate(w)
        cov = sum(1 for c in content if any(stems_match(c.stem, a.stem) for a in ann))
        if cov > best_cov:
            best, best_cov = ann, cov
    return best


def _entity_rule(
    body: str, full: str, evidence: Sequence[Tok], name_words: set[str]
) -> Verdict | None:
    """Capitalised words after the first must be in the evidence (or be its authors)."""
    raw_words = re.findall(r"[A-Za-z][\w'-]*", normalize_text(body))
    full_stems: list[str] | None = None
    for i, w in enumerate(raw_words):
        if i == 0 or not w[0].isupper():
            continue
        lw = tokens(w)[0] if tokens(w) else w.lower()
        if lw in STOPWORDS or lw in FRAME_WORDS:
            continue
        if lw in name_words or any(stems_match(stem(lw), a.stem) for a in evidence):
            continue
        if full_stems is None:
            full_stems = [stem(t) for t in tokens(full)]
        if any(stems_match(stem(lw), s) for s in full_stems):
            continue
        if len(lw) >= 6 and any(one_edit(lw, t) for t in set(tokens(full)) if len(t) >= 6):
            continue  # a spelling variant: Khrushchev / Krushchev
        return Verdict(False, f"names {w}, who is not in the passage", "entity")
    return None


# Words that deny by their prefix ("impossible" = not possible): the passage must say them too.
_DENYING = re.compile(
    r"^(?:un(?!der|ion|it|iv|iq|if)[a-z]{4,}|(?:im|in|ir|il)[a-z]{3,}(?:ible|able)|"
    r"in(?:correct|accurate|adequate|sufficient|effective|consistent|valid)\w*|"
    r"non[a-z-]{4,}|false|untrue|wrong|mistaken)$"
)


def _denying_rule(content: Sequence[Tok], evidence: Sequence[Tok]) -> Verdict | None:
    """A word that denies by its prefix ("impossible", "unreliable") must be in the evidence.

    Example::

        >>> from eval.judge.polarity import annotate
        >>> _denying_rule(annotate("building socialism is impossible"), annotate("we can build it")).rule
        'negation'
    """
    for c in content:
        if _DENYING.match(c.word) and not any(stems_match(c.stem, a.stem) for a in evidence):
            return Verdict(False, f'says "{c.word}", which the passage does not say', "negation")
    return None


def _coverage_and_polarity(
    content: Sequence[Tok], body_toks: Sequence[Tok], evidence: Sequence[Tok], min_coverage: float
) -> Verdict:
    """The negation, direction and coverage rules over the matched content words."""
    matched: list[tuple[Tok, list[Tok]]] = []
    missing: list[str] = []
    for c in content:
        occ = [a for a in evidence if stems_match(c.stem, a.stem)]
        if occ:
            matched.append((c, occ))
        else:
            missing.append(c.word)
    coverage = len(matched) / len(content)
    failed = _polarity_rule(matched, body_toks, evidence)
    if failed:
        reason, rule = failed
        return Verdict(False, reason, rule, coverage, tuple(missing))
    if coverage < min_coverage:
        return Verdict(
            False,
            f"only {coverage:.0%} of its content words are in the passage (missing: "
            f"{', '.join(missing)})",
            "coverage",
            coverage,
            tuple(missing),
        )
    return Verdict(
        True,
        f"{coverage:.0%} of content words found; numbers, names, polarity agree",
        "ok",
        coverage,
        tuple(missing),
    )


def _polarity_rule(
    matched: Sequence[tuple[Tok, list[Tok]]], body_toks: Sequence[Tok], evidence: Sequence[Tok]
) -> tuple[str, str] | None:
    """(reason, rule) of the first negation or direction mismatch, or None."""
    for c, occ in matched:
        if not any(a.negated == c.negated for a in occ):
            how = "negated" if c.negated else "affirmed"
            return f'"{c.word}" is {how} in the sentence but not in the passage', "negation"
        opposite = any(a.direction and a.direction != c.direction for a in occ)
        if c.direction and opposite and not any(a.direction == c.direction for a in occ):
            return (
                f'"{c.word}" goes {c.direction} in the sentence but the other way in the passage',
                "direction",
            )
    for t in body_toks:
        if t.word in DIRECTION:
            group = DIRECTION[t.word]
            if not any(DIRECTION.get(a.word) == group for a in evidence):
                return f'says "{t.word}", but the passage states no such direction', "direction"
    return None
