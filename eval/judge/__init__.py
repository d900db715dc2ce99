"""An independent support judge: does a passage (or a set of passages) support a sentence?

This judge exists so that evaluation never lets the runtime verifier grade itself. It shares no
code with the answer stage's scorer and is deliberately stricter and rule-based, so every verdict
comes with a reason a reader can check by eye.

Rules, applied in order (the first failing rule gives the verdict):

1. **Attribution.** Every sentence is somebody's claim. The frame ("X argues/says/believes that
   ...", "According to X, ...", "C, according to the figures X cites", "The essay says ...",
   "He notes ...", "X rejects the view that ...") says whose; with no frame the claim is the
   essay author's. An answer's preamble ("No, ...", "The answer is no: ...") is dropped, and a
   frame inside the author's ("According to Ticktin, Voznesensky believed that C") is judged as
   the inner speaker's.

   - The author's view (or no frame): the content must be found in the author's *own voice*.
     Masked out are quotations the corpus gives another speaker (``quoted-speaker``) and the
     spans :mod:`eval.judge.voices` finds: views the essay reports ("Vakar has argued that",
     "Some take the view that", "it has been stated by left oppositionists that", "the
     Weber-Habermas thesis, according to which"; ``reported-view``), views it dismisses ("This
     was an apologetic theory", "is a myth", "it is wholly unbelievable that";
     ``rejected-view``), and epigraphs (a quotation with a short attribution line; ``epigraph``).
     A span counts when the sentence names its holder or marks the content as a view ("the
     theory that ...", "dubious", "rejects"). A report frame (reports, notes, cites) may use
     quotations and reported views, never rejected ones or an epigraph.
   - "X rejects [Y's] view that C": C must be found outside the author's own voice; found only
     in it, the verdict is ``rejection``. A tail ("; he describes ...", ", calling it ...") is
     judged as X's own view.
   - "X quotes/cites Y ...": X must be the author and Y a speaker quoted in the passage (or, when
     the passage has no speaker spans, Y must be named in it); quoted words then count.
   - X is a quoted speaker or the holder of a reported view: the content must be found in X's
     quotations and reported sentences (with their neighbours); for a parenthetical "as X tells
     us, "..."," only in X's quotation.
   - X is only mentioned in the passage: ``role``. X absent: ``attribution``.
2. **Quoted strings** in the sentence must occur word for word in the evidence.
3. **Numbers** (digits, number words, ordinals, years) must each occur in the evidence with the
   same value ("twenty million" = "20 million" = 20000000).
4. **Names**: capitalised words (other than the first word) must occur in the evidence or in its
   author's name (a one-letter spelling variant of a long name counts: Khrushchev/Krushchev).
5. **Denying words** ("impossible", "unreliable", "false") must occur in the evidence
   (``negation``).
6. **Coverage**: at least ``judge_min_coverage`` of the sentence's content words (after light
   stemming) occur in the best window of up to three consecutive sentences of each passage.
7. **Polarity**: every content word found in the evidence must be found at least once with the
   same negation status (inside or outside the scope of not/no/never/without/fails to ...;
   "not merely/only" is no negation), and a direction word (more/less, rose/declined,
   intensifies/weakens ...) must be matched by one of the same direction.
8. **Roles and merged facts** (:mod:`eval.judge.roles`): a verb's agent must be the one the
   passage gives it ("Yezhov saw Stalin's character" where Stalin saw Yezhov's: ``role``); each
   name or number of a clause with a past-tense verb must co-occur with that verb in one
   sentence of the passage, and a number must count the noun the passage counts with it
   (``merged``).
9. Optionally, an NLI cross-encoder (setting ``judge_nli_model``) must also find entailment with
   probability at least ``judge_nli_threshold``. It can only make the judge stricter.

Layout (one idea per module; the judge has its own text primitives and imports nothing from
``rag``, so a change to the runtime stack cannot change how its answers are graded):

- :mod:`eval.judge.types` -- :class:`JudgePassage` (what it reads), :class:`Verdict` (its answer);
- :mod:`eval.judge.lexicon` -- normalisation, tokens, stems, sentences, stop and frame words;
- :mod:`eval.judge.numbers` -- numbers as values (rule 3);
- :mod:`eval.judge.polarity` -- negation scope and direction words (rule 7);
- :mod:`eval.judge.frames` -- attribution frames and name matching;
- :mod:`eval.judge.voices`, :mod:`eval.judge.holders` -- whose voice each part of a passage is in;
- :mod:`eval.judge.attribution` -- the evidence each passage may contribute (rule 1);
- :mod:`eval.judge.rules` -- the content rules (2-7);
- :mod:`eval.judge.roles` -- roles and merged facts (rule 8);
- :mod:`eval.judge.nli` -- the optional NLI model (rule 9);
- :mod:`eval.judge.support` -- :func:`judge`, which applies them in order.

Example::

    >>> p = JudgePassage("The KGB figure is self-serving and can be dismissed.", "Hillel H. Ticktin")
    >>> judge("Ticktin dismisses the KGB figure as self-serving.", [p]).supported
    True
    >>> judge("Gouldner dismisses the KGB figure as self-serving.", [p]).rule
    'attribution'
"""

from eval.judge.frames import AUTHOR, Frame, is_author, parse_frame, same_person
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
    "AUTHOR",
    "DIRECTION",
    "FRAME_WORDS",
    "NEGATIONS",
    "STOPWORDS",
    "Frame",
    "JudgePassage",
    "Verdict",
    "find_quote_spans",
    "is_author",
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
