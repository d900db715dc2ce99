"""How far the judge can be trusted: its accuracy on hand-labelled (sentence, passage) pairs.

The labels in ``eval/data/judge_validation.jsonl`` were written before the judge was measured on
them, from this corpus's own passages. Each record: ``id``, ``sentence``, ``passage``,
``passage_author``, ``quoted_speaker`` (the person quoted in the passage, or null),
``supported`` and ``category`` (verbatim, paraphrase, negation, wrong_number, wrong_author,
quoted_speaker, quoted_speaker_correct, partial, invented).

Labelling rule for quotations: a sentence that presents a quoted person's words as the essay
author's view ("Gouldner argues <Nock's words>") is *not* supported; "Gouldner quotes Nock ..." and
"Nock observed ..." are.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from corpus.errors import InputError
from corpus.settings import PROJECT_ROOT, Settings, get_settings
from eval.judge import JudgePassage, Verdict, find_quote_spans, judge

DEFAULT_VALIDATION_FILE = PROJECT_ROOT / "eval" / "data" / "judge_validation.jsonl"
RELIABLE_ACCURACY = 0.85
_FIELDS = ("id", "sentence", "passage", "passage_author", "quoted_speaker", "supported", "category")


@dataclass(frozen=True)
class ValidationPair:
    id: str
    sentence: str
    passage: str
    passage_author: str
    quoted_speaker: str | None
    supported: bool
    category: str


@dataclass(frozen=True)
class JudgeValidation:
    """The judge's figures on the validation file (supported = the positive class)."""

    n: int
    accuracy: float
    precision: float
    recall: float
    reliable: bool
    confusion: dict[str, int]
    by_category: dict[str, dict[str, float]]
    errors: tuple[tuple[ValidationPair, Verdict], ...] = field(default=())

    def summary(self) -> dict:
        return {
            "accuracy": self.accuracy,
            "precision": self.precision,
            "recall": self.recall,
            "n": self.n,
            "reliable": self.reliable,
            "confusion": dict(self.confusion),
            "by_category": self.by_category,
        }


def load_validation(path: Path | str = DEFAULT_VALIDATION_FILE) -> list[ValidationPair]:
    """Read the hand-labelled pairs; a malformed line raises :class:`InputError` naming it."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"judge validation file {path} not found; pass an existing .jsonl file")
    pairs: list[ValidationPair] = []
    for no, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
            missing = [f for f in _FIELDS if f not in rec]
            if missing:
                raise ValueError(f"missing {', '.join(missing)}")
            pairs.append(ValidationPair(**{f: rec[f] for f in _FIELDS}))
        except (ValueError, TypeError) as exc:
            raise InputError(
                f"{path}:{no}: bad judge-validation record ({exc}); each line needs {_FIELDS}"
            ) from exc
    return pairs


def pair_passage(pair: ValidationPair) -> JudgePassage:
    """The judge's view of a validation passage (quotations attributed to its quoted speaker)."""
    quotes = find_quote_spans(pair.passage, pair.quoted_speaker) if pair.quoted_speaker else ()
    return JudgePassage(pair.passage, pair.passage_author, quotes)


def _ratio(num: int, den: int, empty: float) -> float:
    return num / den if den else empty


def validate_judge(
    path: Path | str = DEFAULT_VALIDATION_FILE, settings: Settings | None = None, *, nli=None
) -> JudgeValidation:
    """Run the judge over the validation file and score it against the hand labels.

    Empty denominators: precision with no predicted positives is 1.0 (no false claim of
    support); recall with no gold positives is 1.0; accuracy over an empty file is 0.0.
    """
    s = get_settings(settings)
    pairs = load_validation(path)
    tp = fp = tn = fn = 0
    cats: dict[str, Counter] = {}
    errors: list[tuple[ValidationPair, Verdict]] = []
    for pair in pairs:
        v = judge(pair.sentence, [pair_passage(pair)], s, nli=nli)
        c = cats.setdefault(pair.category, Counter())
        c["n"] += 1
        if v.supported == pair.supported:
            c["correct"] += 1
        else:
            errors.append((pair, v))
        if v.supported and pair.supported:
            tp += 1
        elif v.supported:
            fp += 1
        elif pair.supported:
            fn += 1
        else:
            tn += 1
    n = len(pairs)
    accuracy = _ratio(tp + tn, n, 0.0)
    return JudgeValidation(
        n=n,
        accuracy=accuracy,
        precision=_ratio(tp, tp + fp, 1.0),
        recall=_ratio(tp, tp + fn, 1.0),
        reliable=n > 0 and accuracy >= RELIABLE_ACCURACY,
        confusion={"tp": tp, "fp": fp, "tn": tn, "fn": fn},
        by_category={
            k: {"n": c["n"], "accuracy": c["correct"] / c["n"]} for k, c in sorted(cats.items())
        },
        errors=tuple(errors),
    )


def format_validation(v: JudgeValidation) -> str:
    """One line of judge figures, flagged when the judge is unreliable.

    Example::

        >>> v = JudgeValidation(60, 0.9, 0.95, 0.8, True, {}, {})
        >>> format_validation(v)
        'judge validation: accuracy 0.900, precision 0.950, recall 0.800 on 60 pairs'
    """
    line = (
        f"judge validation: accuracy {v.accuracy:.3f}, precision {v.precision:.3f}, "
        f"recall {v.recall:.3f} on {v.n} pairs"
    )
    if not v.reliable:
        line += f" -- UNRELIABLE (accuracy below {RELIABLE_ACCURACY})"
    return line
