"""An independent support judge: does a passage (or a set of passages) support a sentence?

This judge exists so that evaluation never lets the runtime verifier grade itself. It shares no
code with the answer stage's scorer and is deliberately stricter and rule-based, so every verdict
comes with a reason a reader can check by eye.

Rules, applied in order (the first failing rule gives the verdict):

1. **Attribution.** A sentence framed as someone's view ("X argues/says/believes that ...",
   "According to X, ...") is checked only against passages that can carry X's view:

   - X is the passage's author: the content must be found in the author's *own* words; text
     inside a quotation the corpus attributes to another speaker is masked out. "Gouldner
     argues <Nock's words>" is unsupported (``quoted-speaker``).
   - "X quotes/cites Y ...": X must be the author and Y a speaker quoted in the passage (or, when
     the passage has no speaker spans, Y must be named in it); quoted words then count.
   - X is a quoted speaker of the passage: the content must be found in the sentences that
     carry X's quotations (plus their neighbours).
   - X is named in the passage (reported speech, "Trotsky, at one level, also argued ...")
     and not inside a negation ("it never occurred to Krushchev"): the content must be found
     in the sentences that name X.
   - Otherwise the sentence is unsupported (``attribution``).

   Reporting frames ("X reports/notes/cites/mentions", "According to X's essay") accept quoted
   words; view frames (argues, says, believes, writes, ...) do not.
2. **Quoted strings** in the sentence must occur word for word in the evidence.
3. **Numbers** (digits, number words, ordinals, years) must each occur in the evidence with the
   same value ("twenty million" = "20 million" = 20000000).
4. **Names**: capitalised words (other than the first word) must occur in the evidence or in its
   author's name.
5. **Coverage**: at least ``judge_min_coverage`` of the sentence's content words (after light
   stemming) occur in the best window of up to three consecutive sentences of each passage.
6. **Polarity**: every content word found in the evidence must be found at least once with the
   same negation status (inside or outside the scope of not/no/never/without/fails to ...), and a
   direction word (more/less, rose/declined, intensifies/weakens ...) must be matched by one of
   the same direction, never only by the opposite one.
7. Optionally, an NLI cross-encoder (setting ``judge_nli_model``) must also find entailment with
   probability at least ``judge_nli_threshold``. It can only make the judge stricter.

Layout (one idea per module; the judge has its own text primitives and imports nothing from
``rag``, so a change to the runtime stack cannot change how its answers are graded):

- :mod:`eval.judge.types` -- :class:`JudgePassage` (what it reads), :class:`Verdict` (its answer);
- :mod:`eval.judge.lexicon` -- normalisation, tokens, stems, sentences, stop and frame words;
- :mod:`eval.judge.numbers` -- numbers as values (rule 3);
- :mod:`eval.judge.polarity` -- negation scope and direction words (rule 6);
- :mod:`eval.judge.frames` -- attribution frames and name matching;
- :mod:`eval.judge.attribution` -- the evidence each passage may contribute (rule 1);
- :mod:`eval.judge.rules` -- the content rules (2-6);
- :mod:`eval.judge.nli` -- the optional NLI model (rule 7);
- :mod:`eval.judge.support` -- :func:`judge`, which applies them in order.

Example::

    >>> p = JudgePassage("The KGB figure is self-serving and can be dismissed.", "Hillel H. Ticktin")
    >>> judge("Ticktin dismisses the KGB figure as self-serving.", [p]).supported
    True
    >>> judge("Gouldner dismisses the KGB figure as self-serving.", [p]).rule
    'attribution'
"""

from eval.judge.frames import Frame, parse_frame, same_person
from eval.judge.lexicon import (
    FRAME_WORDS,
    STOPWORDS,
    normalize_text,
    quoted_strings,
    split_into_sentences,
    stem,
    stems_match,
    tokens,
)
from eval.judge.numbers import numbers_in
from eval.judge.polarity import DIRECTION, NEGATIONS
from eval.judge.support import judge
from eval.judge.types import JudgePassage, Verdict, find_quote_spans

__all__ = [
    "DIRECTION",
    "FRAME_WORDS",
    "NEGATIONS",
    "STOPWORDS",
    "Frame",
    "JudgePassage",
    "Verdict",
    "find_quote_spans",
    "judge",
    "normalize_text",
    "numbers_in",
    "parse_frame",
    "quoted_strings",
    "same_person",
    "split_into_sentences",
    "stem",
    "stems_match",
    "tokens",
]
