"""Differences between two evaluation results (the JSON written by ``attest eval --json``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from corpus.errors import InputError
from eval.report import HEADLINE

# Lower is better for these; every other headline metric is higher-is-better.
LOWER_IS_BETTER = frozenset(
    {"quoted_speaker_errors", "false_refusal_rate", "ttft_p50_s", "total_p50_s", "total_p95_s"}
)


def load_result(path: Path | str) -> dict[str, Any]:
    """Read an evaluation JSON; a missing or foreign file raises :class:`InputError`."""
    p = Path(path)
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise InputError(
            f"{p} does not exist; pass a file written by `attest eval --json`"
        ) from exc
    except (OSError, ValueError) as exc:
        raise InputError(
            f"{p} is not readable JSON ({exc}); pass an `attest eval --json` file"
        ) from exc
    if not isinstance(data, dict) or "per_mode" not in data:
        raise InputError(f"{p} has no 'per_mode'; it was not written by `attest eval --json`")
    return data


def _arrow(metric: str, delta: float) -> str:
    if abs(delta) < 1e-9:
        return "="
    better = delta < 0 if metric in LOWER_IS_BETTER else delta > 0
    return "better" if better else "worse"


def compare(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    """Metric deltas (B - A) per shared mode, for retrieval and the judge, and per-question changes.

    Example::

        >>> a = {"per_mode": {"grounded": {"faithfulness": 0.9}}, "questions": []}
        >>> b = {"per_mode": {"grounded": {"faithfulness": 0.95}}, "questions": []}
        >>> d = compare(a, b)["modes"]["grounded"]["faithfulness"]
        >>> round(d["delta"], 3), d["change"]
        (0.05, 'better')
    """
    out: dict[str, Any] = {
        "modes": {},
        "only_in_a": [],
        "only_in_b": [],
        "retrieval": {},
        "judge": {},
        "questions": [],
    }
    ma, mb = a.get("per_mode", {}), b.get("per_mode", {})
    out["only_in_a"] = sorted(set(ma) - set(mb))
    out["only_in_b"] = sorted(set(mb) - set(ma))
    for mode in [m for m in ma if m in mb]:
        rows = {}
        for metric in HEADLINE:
            if metric in ma[mode] and metric in mb[mode]:
                va, vb = float(ma[mode][metric]), float(mb[mode][metric])
                rows[metric] = {
                    "a": va,
                    "b": vb,
                    "delta": vb - va,
                    "change": _arrow(metric, vb - va),
                }
        out["modes"][mode] = rows
    for section in ("retrieval", "judge"):
        sa, sb = a.get(section, {}) or {}, b.get(section, {}) or {}
        for k in ("hit@5", "recall@5", "mrr@5", "ndcg@5", "accuracy", "precision", "recall"):
            if isinstance(sa.get(k), int | float) and isinstance(sb.get(k), int | float):
                out[section][k] = {
                    "a": sa[k],
                    "b": sb[k],
                    "delta": sb[k] - sa[k],
                    "change": _arrow(k, sb[k] - sa[k]),
                }
    qa = {q["id"]: q for q in a.get("questions", [])}
    for qb in b.get("questions", []):
        q = qa.get(qb["id"])
        if not q:
            continue
        for mode, rb in qb.get("modes", {}).items():
            ra = q.get("modes", {}).get(mode)
            if not ra:
                continue
            changes = []
            if ra.get("refused") != rb.get("refused"):
                changes.append("now refused" if rb.get("refused") else "now answered")
            if ra.get("gold_cited") != rb.get("gold_cited"):
                changes.append("now cites gold" if rb.get("gold_cited") else "lost gold citation")
            ua = sum(
                1
                for s in ra.get("sentences", [])
                if s.get("shown", True) and not s["judge_supported"]
            )
            ub = sum(
                1
                for s in rb.get("sentences", [])
                if s.get("shown", True) and not s["judge_supported"]
            )
            if ua != ub:
                changes.append(f"unsupported sentences {ua} -> {ub}")
            if changes:
                out["questions"].append({"id": qb["id"], "mode": mode, "changes": changes})
    return out


def format_comparison(diff: dict[str, Any], name_a: str = "A", name_b: str = "B") -> str:
    """The differences as plain text, one metric per line."""
    lines = [f"A = {name_a}", f"B = {name_b}"]
    for mode, rows in diff["modes"].items():
        lines.append(f"[{mode}]{'':<20}{'A':>10}{'B':>10}{'B-A':>10}")
        for metric, r in rows.items():
            lines.append(
                f"  {metric:<26}{r['a']:>10.3f}{r['b']:>10.3f}{r['delta']:>+10.3f}  {r['change']}"
            )
    for section in ("retrieval", "judge"):
        if diff[section]:
            lines.append(f"[{section}]")
            for k, r in diff[section].items():
                lines.append(
                    f"  {k:<26}{r['a']:>10.3f}{r['b']:>10.3f}{r['delta']:>+10.3f}  {r['change']}"
                )
    if diff["only_in_a"]:
        lines.append(f"modes only in A: {', '.join(diff['only_in_a'])}")
    if diff["only_in_b"]:
        lines.append(f"modes only in B: {', '.join(diff['only_in_b'])}")
    if diff["questions"]:
        lines.append("questions that changed:")
        lines += [
            f"  {q['id']} [{q['mode']}]: {'; '.join(q['changes'])}" for q in diff["questions"]
        ]
    else:
        lines.append("no question changed its refusal, gold citation or unsupported-sentence count")
    return "\n".join(lines)
