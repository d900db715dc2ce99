"""Tokens annotated for the polarity rule: stem, negation scope and direction.

A token is *negated* when it falls within ``_NEGATION_SCOPE`` tokens after a negation word
(not, no, never, n't, without, fails ...), the scope stopping at punctuation, "but"/"and"/"yet",
a new clause ("that"/"which"/"who") or a copula after the negated words ("is", "was").
"not merely/only/simply/just/so much" is contrast, not negation.
Its *direction* is that of a direction word (more/less, rose/declined ...) among the
``_DIRECTION_WINDOW`` tokens before it.
"""

from __future__ import annotations

from dataclasses import dataclass

from eval.judge.lexicon import stem, tokens, word_set

NEGATIONS = word_set(
    "not no never n't cannot neither nor none nothing nobody nowhere without fail fails failed "
    "failing unable lack lacks lacking"
)
_UP = word_set(
    "more greater larger bigger higher increase increases increased increasing rise rises rose "
    "risen rising grow grows grew grown growing exceed exceeds exceeded intensify intensifies "
    "intensified sharper sharpen sharpens deeper expand expands expanded"
)
_DOWN = word_set(
    "less fewer smaller lower decrease decreases decreased decreasing decline declines declined "
    "declining fall falls fell fallen drop drops dropped reduce reduces reduced shrink shrank "
    "weaken weakens weakened diminish diminishes diminished lessen lessens"
)
DIRECTION = {w: "up" for w in _UP} | {w: "down" for w in _DOWN}

_SCOPE_BREAK = frozenset(
    [",", ";", ":", ".", "!", "?", "(", ")", '"', "-", "but", "and", "yet", "that", "which", "who"]
)
_NEGATION_SCOPE = 8
_COPULA = frozenset(["is", "was", "are", "were"])
# "not merely / only / simply / just / so much" contrasts, it does not deny.
_FOCUS = [["merely"], ["only"], ["simply"], ["just"], ["so"]]
_DIRECTION_WINDOW = 2


@dataclass(frozen=True)
class Tok:
    """One token of a sentence or passage, as the content and polarity rules compare them."""

    stem: str
    word: str
    negated: bool
    direction: str | None  # direction word within the few tokens before it


def annotate(text: str) -> list[Tok]:
    """The tokens of ``text`` with their stem, negation status and direction.

    Example::

        >>> [(t.word, t.negated) for t in annotate("Wages did not rise, but prices rose.")][2:6]
        [('not', False), ('rise', True), (',', False), ('but', False)]
        >>> annotate("prices rose sharply")[2].direction
        'up'
    """
    toks = tokens(text)
    out: list[Tok] = []
    scope = 0
    for i, t in enumerate(toks):
        if t in _SCOPE_BREAK or (t in _COPULA and 0 < scope < _NEGATION_SCOPE):
            scope = 0  # "does not tolerate factions is a myth": the scope ends at the copula
        negated = scope > 0
        if scope > 0:
            scope -= 1
        if t in NEGATIONS and not (t == "not" and toks[i + 1 : i + 2] in _FOCUS):
            scope = _NEGATION_SCOPE
        direction = None
        for j in range(max(0, i - _DIRECTION_WINDOW), i):
            if toks[j] in DIRECTION:
                direction = DIRECTION[toks[j]]
        out.append(Tok(stem(t), t, negated, direction))
    return out
