"""How far the judge can be trusted: its figures on hand-labelled (sentence, passage) pairs.

Two files, read together (:data:`DEFAULT_VALIDATION_FILES`):

* ``eval/data/judge_validation.jsonl`` -- 110 pairs written by hand from this corpus's passages
  before the judge was measured (categories verbatim, paraphrase, negation, wrong_number,
  wrong_author, quoted_speaker, quoted_speaker_correct, partial, invented);
* ``eval/data/judge_voices.jsonl`` -- 176 pairs from the bundled model's real drafts, about
  whose voice a sentence speaks in: distortions (``supported`` false) rejected_as_own,
  reported_as_own, role_swap, epigraph_as_author, merged_facts; faithful ones paraphrase_voice
  and paraphrase. Each has a ``source`` (the draft, and what an edit changed).

Each record: ``id``, ``sentence``, ``passage``, ``passage_author``, ``quoted_speaker`` (the
person quoted in the passage, or null), ``supported``, ``category`` and optionally ``source``.

Figures (supported = the positive class): accuracy; ``precision`` (of the pairs judged
supported, the share labelled supported); ``recall`` (of the supported pairs, the share judged
supported); ``distortion_recall`` (of the unsupported pairs, the share judged unsupported). They
are given for the whole set, for the EVEN and ODD numeric ids, per file (and its halves), and
per category. The voice rules were written against the even ids of the voices file, then (after
the odd half fell short) against its odd ids = 1 (mod 4); the odd ids = 3 (mod 4) were held out
(see eval/README.md for the figures on each).

Labelling rule for quotations: a sentence that presents a quoted person's words as the essay
author's view ("Gouldner argues <Nock's words>") is *not* supported; "Gouldner quotes Nock ..." and
"Nock observed ..." are.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from corpus.errors import InputError
from corpus.settings import PROJECT_ROOT, Settings, get_settings
from eval.judge import JudgePassage, Verdict, find_quote_spans, judge

DEFAULT_VALIDATION_FILE = PROJECT_ROOT / "eval" / "data" / "judge_validation.jsonl"
VOICES_VALIDATION_FILE = PROJECT_ROOT / "eval" / "data" / "judge_voices.jsonl"
DEFAULT_VALIDATION_FILES = (DEFAULT_VALIDATION_FILE, VOICES_VALIDATION_FILE)
RELIABLE_ACCURACY = 0.85
TARGET = 0.90  # precision and distortion recall the judge must reach on the whole set
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
    source: str = ""
    file: str = ""

    @property
    def half(self) -> str:
        """``even`` or ``odd``, from the last number of the id ("jv-254" -> even)."""
        m = re.search(r"(\d+)\D*$", self.id)
        return "odd" if m and int(m.group(1)) % 2 else "even"


@dataclass(frozen=True)
class JudgeValidation:
    """The judge's figures on the validation files (supported = the positive class)."""

    n: int
    accuracy: float
    precision: float
    recall: float
    reliable: bool
    confusion: dict[str, int]
    by_category: dict[str, dict[str, float]]
    errors: tuple[tuple[ValidationPair, Verdict], ...] = field(default=())
    distortion_recall: float = 1.0
    subsets: dict[str, dict] = field(default_factory=dict)

    @property
    def meets_targets(self) -> bool:
        """Precision and distortion recall both at least :data:`TARGET`."""
        return self.precision >= TARGET and self.distortion_recall >= TARGET

    def summary(self) -> dict:
        return {
            "accuracy": self.accuracy,
            "precision": self.precision,
            "recall": self.recall,
            "distortion_recall": self.distortion_recall,
            "n": self.n,
            "reliable": self.reliable,
            "meets_targets": self.meets_targets,
            "confusion": dict(self.confusion),
            "by_category": self.by_category,
            "subsets": self.subsets,
        }


def load_validation(
    path: Path | str | Sequence[Path | str] = DEFAULT_VALIDATION_FILES,
) -> list[ValidationPair]:
    """Read the hand-labelled pairs of one file or several; a malformed line raises
    :class:`InputError` naming it."""
    paths = [path] if isinstance(path, (str, Path)) else list(path)
    pairs: list[ValidationPair] = []
    for one in paths:
        pairs += _load_file(Path(one))
    return pairs


def _load_file(path: Path) -> list[ValidationPair]:
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
            fields = {f: rec[f] for f in _FIELDS}
            pairs.append(ValidationPair(**fields, source=rec.get("source", ""), file=path.name))
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


def score(results: Sequence[tuple[ValidationPair, bool]]) -> dict:
    """The figures of (pair, judged supported) results, with a table by category.

    Empty denominators: precision with no predicted positives is 1.0 (no false claim of
    support); recall and distortion recall with no gold pairs of that class are 1.0; accuracy
    over nothing is 0.0.

    Example::

        >>> a = ValidationPair("jv-1", "s", "p", "A", None, True, "paraphrase")
        >>> b = ValidationPair("jv-2", "s", "p", "A", None, False, "role_swap")
        >>> f = score([(a, True), (b, True)])
        >>> f["precision"], f["distortion_recall"], f["by_category"]["role_swap"]["accuracy"]
        (0.5, 0.0, 0.0)
    """
    c = Counter()
    cats: dict[str, Counter] = {}
    for pair, got in results:
        c[("tp" if pair.supported else "fp") if got else ("fn" if pair.supported else "tn")] += 1
        k = cats.setdefault(pair.category, Counter())
        k["n"] += 1
        k["correct"] += got == pair.supported
        k["judged_supported"] += got
        k["labelled_supported"] += pair.supported
    n = len(results)
    return {
        "n": n,
        "accuracy": _ratio(c["tp"] + c["tn"], n, 0.0),
        "precision": _ratio(c["tp"], c["tp"] + c["fp"], 1.0),
        "recall": _ratio(c["tp"], c["tp"] + c["fn"], 1.0),
        "distortion_recall": _ratio(c["tn"], c["tn"] + c["fp"], 1.0),
        "confusion": {k: c[k] for k in ("tp", "fp", "tn", "fn")},
        "by_category": {
            k: {
                "n": v["n"],
                "labelled_supported": v["labelled_supported"],
                "judged_supported": v["judged_supported"],
                "accuracy": v["correct"] / v["n"],
            }
            for k, v in sorted(cats.items())
        },
    }


def validate_judge(
    path: Path | str | Sequence[Path | str] = DEFAULT_VALIDATION_FILES,
    settings: Settings | None = None,
    *,
    nli=None,
) -> JudgeValidation:
    """Run the judge over the validation files and score it against the hand labels, for the
    whole set and for its subsets (``even``, ``odd``, each file, and each file's halves)."""
    s = get_settings(settings)
    results = []
    for pair in load_validation(path):
        v = judge(pair.sentence, [pair_passage(pair)], s, nli=nli)
        results.append((pair, v))
    judged = [(p, v.supported) for p, v in results]
    whole = score(judged)
    subsets = {h: score([r for r in judged if r[0].half == h]) for h in ("even", "odd")}
    for name in dict.fromkeys(p.file for p, _ in judged):
        mine = [r for r in judged if r[0].file == name]
        subsets[name] = score(mine)
        for h in ("even", "odd"):
            subsets[f"{name}/{h}"] = score([r for r in mine if r[0].half == h])
    return JudgeValidation(
        n=whole["n"],
        accuracy=whole["accuracy"],
        precision=whole["precision"],
        recall=whole["recall"],
        reliable=whole["n"] > 0 and whole["accuracy"] >= RELIABLE_ACCURACY,
        confusion=whole["confusion"],
        by_category=whole["by_category"],
        errors=tuple((p, v) for p, v in results if v.supported != p.supported),
        distortion_recall=whole["distortion_recall"],
        subsets=subsets,
    )


def format_validation(v: JudgeValidation) -> str:
    """One line of judge figures, flagged when the judge is unreliable.

    Example::

        >>> v = JudgeValidation(60, 0.9, 0.95, 0.8, True, {}, {}, distortion_recall=0.93)
        >>> format_validation(v)
        'judge validation: accuracy 0.900, precision 0.950, recall 0.800, distortion recall 0.930 on 60 pairs'
    """
    line = (
        f"judge validation: accuracy {v.accuracy:.3f}, precision {v.precision:.3f}, "
        f"recall {v.recall:.3f}, distortion recall {v.distortion_recall:.3f} on {v.n} pairs"
    )
    if not v.reliable:
        line += f" -- UNRELIABLE (accuracy below {RELIABLE_ACCURACY})"
    elif not v.meets_targets:
        line += f" -- below the {TARGET} target for precision or distortion recall"
    return line


def format_breakdown(v: JudgeValidation) -> str:
    """The figures per subset (halves, files) and per category (whole set, even and odd ids),
    as plain text lines.

    Example::

        >>> a = ValidationPair("jv-1", "s", "p", "A", None, False, "role_swap")
        >>> f = score([(a, False)])
        >>> v = JudgeValidation(1, 1.0, 1.0, 1.0, True, {}, f["by_category"], subsets={"odd": f})
        >>> print(format_breakdown(v).splitlines()[-1])
        role_swap                         1  unsup        0  1.000      -  1.000
    """
    rows = [("whole set", v.summary()), *v.subsets.items()]
    lines = [f"{'subset':<30}{'n':>5}{'acc':>7}{'prec':>7}{'rec':>7}{'dist.rec':>9}"]
    for name, f in rows:
        lines.append(
            f"{name:<30}{f['n']:>5}{f['accuracy']:>7.3f}{f['precision']:>7.3f}"
            f"{f['recall']:>7.3f}{f['distortion_recall']:>9.3f}"
        )
    lines.append(
        f"{'category':<30}{'n':>5}{'label':>7}{'judged+':>9}{'acc':>7}{'even':>7}{'odd':>7}"
    )
    for cat, f in v.by_category.items():
        sup = f["labelled_supported"]
        label = "mixed" if 0 < sup < f["n"] else ("sup" if sup else "unsup")
        halves = [v.subsets.get(h, {}).get("by_category", {}).get(cat) for h in ("even", "odd")]
        acc = [f"{h['accuracy']:>7.3f}" if h else f"{'-':>7}" for h in halves]
        lines.append(
            f"{cat:<30}{f['n']:>5}{label:>7}{f['judged_supported']:>9}{f['accuracy']:>7.3f}"
            + "".join(acc)
        )
    return "\n".join(lines)


def markdown_breakdown(summary: dict) -> list[str]:
    """Markdown tables of a :meth:`JudgeValidation.summary`: per subset, then per category.

    Example::

        >>> a = ValidationPair("jv-1", "s", "p", "A", None, False, "role_swap")
        >>> f = score([(a, False)])
        >>> markdown_breakdown({**f, "subsets": {"odd": f}})[-1]
        '| role_swap | 1 | 0 | 0 | 1.000 | — | 1.000 |'
    """

    def row(cells: list) -> str:
        return (
            "| " + " | ".join(f"{c:.3f}" if isinstance(c, float) else str(c) for c in cells) + " |"
        )

    subsets = summary.get("subsets", {})
    lines = ["", row(["subset", "n", "accuracy", "precision", "recall", "distortion recall"])]
    lines.append("|---|---|---|---|---|---|")
    for name, f in subsets.items():
        lines.append(
            row([name, f["n"], f["accuracy"], f["precision"], f["recall"], f["distortion_recall"]])
        )
    halves = [subsets.get(h, {}).get("by_category", {}) for h in ("even", "odd")]
    lines += [
        "",
        row(["category", "n", "labelled supported", "judged supported", "accuracy", "even", "odd"]),
    ]
    lines.append("|---|---|---|---|---|---|---|")
    for cat, f in summary.get("by_category", {}).items():
        per_half = [h.get(cat, {}).get("accuracy", "—") for h in halves]
        cells = [
            cat,
            f["n"],
            f.get("labelled_supported", "—"),
            f.get("judged_supported", "—"),
            f["accuracy"],
        ]
        lines.append(row(cells + per_half))
    return lines
