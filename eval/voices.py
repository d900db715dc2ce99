"""``attest eval voices``: how well the runtime's sentence voices match hand labels.

Each labelled sentence (``eval/data/voices.jsonl``: work, verbatim sentence, voice, speaker) is
found among the cleaned passages of its work; the runtime voice of the passage sentence that
overlaps it most is compared with the label. Precision and recall per voice, and a confusion
table, are reported; an epigraph's attribution line counts as ``epigraph``.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from corpus.locate import normalize_for_match
from corpus.settings import PROJECT_ROOT

DEFAULT_VOICES = PROJECT_ROOT / "eval" / "data" / "voices.jsonl"
VOICES = ("own", "quoting", "reporting", "rejecting", "epigraph", "footnote")


@dataclass(frozen=True)
class VoiceReport:
    n: int
    found: int
    per_voice: dict[str, dict[str, float]]
    confusion: dict[tuple[str, str], int]
    misses: tuple[tuple[str, str, str], ...]


def _words(text: str) -> set[str]:
    return set(normalize_for_match(text).split())


def predict_voices(items, passages) -> list[str | None]:
    """The runtime voice of each labelled sentence (None when its passage is not found)."""
    from rag.text.sentences import split_sentences
    from rag.text.voices import passage_voices

    by_work: dict[str, list] = {}
    for p in passages:
        by_work.setdefault(p.work_id, []).append(p)
    cache: dict[int, list] = {}
    out: list[str | None] = []
    for it in items:
        want = normalize_for_match(it["sentence"])
        words = _words(it["sentence"])
        best: tuple[float, str] | None = None
        for p in by_work.get(it["work"], ()):
            if want[:50] not in normalize_for_match(p.text) and want[
                -50:
            ] not in normalize_for_match(p.text):
                continue
            if id(p) not in cache:
                cache[id(p)] = passage_voices(
                    p.text, split_sentences(p.text), kind=p.kind, quotes=p.quotes
                )
            for v in cache[id(p)]:
                other = _words(p.text[v.start : v.end])
                ov = len(words & other) / max(1, len(words | other))  # Jaccard: a 2-word line
                # matches the 2-word attribution line, not a long sentence that contains it
                if best is None or ov > best[0]:
                    best = (ov, v.voice.value)
        out.append(best[1] if best else None)
    return out


def evaluate_voices(path: Path = DEFAULT_VOICES, passages=None) -> VoiceReport:
    """Per-voice precision and recall of the runtime voices against the labels in ``path``."""
    from corpus.load import load_passages

    items = [
        json.loads(line)
        for line in Path(path).read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    passages = list(passages if passages is not None else load_passages())
    predicted = predict_voices(items, passages)
    tp: Counter[str] = Counter()
    fp: Counter[str] = Counter()
    fn: Counter[str] = Counter()
    confusion: Counter[tuple[str, str]] = Counter()
    misses = []
    for it, pred in zip(items, predicted, strict=True):
        gold = it["voice"]
        pred = pred or "none"
        confusion[(gold, pred)] += 1
        if pred == gold:
            tp[gold] += 1
        else:
            fp[pred] += 1
            fn[gold] += 1
            misses.append((gold, pred, it["sentence"][:100]))
    per_voice = {}
    for v in VOICES:
        n = tp[v] + fn[v]
        per_voice[v] = {
            "n": n,
            "precision": round(tp[v] / (tp[v] + fp[v]), 3) if tp[v] + fp[v] else 0.0,
            "recall": round(tp[v] / n, 3) if n else 0.0,
        }
    found = sum(p is not None for p in predicted)
    return VoiceReport(len(items), found, per_voice, dict(confusion), tuple(misses))


def format_voice_report(r: VoiceReport) -> str:
    """The report as a plain-text table."""
    lines = [
        f"{r.n} labelled sentences ({r.found} found in the corpus)",
        "",
        f"{'voice':<10} {'n':>4} {'precision':>9} {'recall':>7}",
    ]
    for v, m in r.per_voice.items():
        lines.append(f"{v:<10} {m['n']:>4} {m['precision']:>9.3f} {m['recall']:>7.3f}")
    return "\n".join(lines)
