"""Turn an :class:`~eval.run.EvalRun` into the stable JSON, a readable report.md and PNG plots."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from eval.metrics import QuestionOutcome, summarize
from eval.run import EvalRun
from eval.validation import RELIABLE_ACCURACY, markdown_breakdown

HEADLINE = (
    "faithfulness",
    "citation_recall",
    "citation_precision",
    "gold_citation_rate",
    "attribution_precision",
    "attribution_recall",
    "quoted_speaker_errors",
    "refusal_rate_unanswerable",
    "false_refusal_rate",
    "answer_similarity",
    "ttft_p50_s",
    "total_p50_s",
    "total_p95_s",
)
# Targets from the evaluation brief (grounded mode); shown beside the figures, never used to
# change them.
TARGETS: dict[str, tuple[str, float]] = {
    "faithfulness": (">=", 0.95),
    "citation_recall": (">=", 0.90),
    "citation_precision": (">=", 0.90),
    "gold_citation_rate": (">=", 0.90),
    "attribution_precision": (">=", 0.95),
    "quoted_speaker_errors": ("<=", 0),
    "refusal_rate_unanswerable": (">=", 0.75),
    "false_refusal_rate": ("<=", 0.10),
}
PER_GROUP = (
    "faithfulness",
    "citation_recall",
    "gold_citation_rate",
    "attribution_precision",
    "refusal_rate_unanswerable",
    "false_refusal_rate",
    "answer_similarity",
)


def meets(metric: str, value: float) -> bool | None:
    """Whether ``value`` meets the brief's target for ``metric`` (None when it has none).

    Example::

        >>> meets("faithfulness", 0.96), meets("false_refusal_rate", 0.2), meets("ttft_p50_s", 1)
        (True, False, None)
    """
    if metric not in TARGETS:
        return None
    op, target = TARGETS[metric]
    return value >= target if op == ">=" else value <= target


def _group(outcomes: Sequence[QuestionOutcome], key) -> dict[str, list[QuestionOutcome]]:
    groups: dict[str, list[QuestionOutcome]] = defaultdict(list)
    for o in outcomes:
        for k in key(o):
            groups[k].append(o)
    return dict(sorted(groups.items()))


def badness(record: dict[str, Any], answerable: bool) -> float:
    """How bad one answer is, for picking the worst questions (higher = worse).

    Unsupported shown sentences count 1 each, a quoted-speaker error 2, a wrong refusal
    decision 2, a missing gold citation 1, an error 3.

    Example::

        >>> badness({"refused": True, "sentences": [], "gold_cited": False, "error": None}, True)
        3.0
    """
    score = 0.0
    shown = [s for s in record["sentences"] if s.get("shown", True)]
    score += sum(1 for s in shown if not s["judge_supported"])
    score += 2 * sum(1 for s in shown if s.get("quoted_speaker_error"))
    if answerable:
        score += 2 * bool(record["refused"]) + (0 if record["gold_cited"] else 1)
    else:
        score += 2 * (not record["refused"])
    if record.get("error"):
        score += 3
    return float(score)


def drafting(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Per mode, what the model's drafts were worth (the writer-adapter comparison): drafted
    sentences and the share that verified, the share of answerable questions whose answer has
    at least one verified drafted sentence, drafts that abstained, gold_sentence_lead,
    short_answer_match, shown sentences the judge finds unsupported, answer p50/p95.
    Modes that draft nothing (select, extractive) have ``None`` for the draft shares."""
    answerable = {q["id"] for q in data["questions"] if q["modes"] and _answerable(q)}
    out: dict[str, dict[str, Any]] = {}
    for m in data["modes"]:
        drafted = verified = abstained = with_verified = 0
        unsupported_shown = 0
        for q in data["questions"]:
            rec = q["modes"].get(m)
            if rec is None:
                continue
            d = rec.get("drafted") or {}
            drafted += d.get("drafted", 0)
            verified += d.get("verified", 0)
            abstained += d.get("abstained", 0)
            with_verified += q["id"] in answerable and d.get("verified", 0) > 0
            unsupported_shown += sum(
                1 for s in rec["sentences"] if s.get("shown", True) and not s["judge_supported"]
            )
        summary = data["per_mode"][m]
        out[m] = {
            "drafted_sentences": drafted,
            "drafted_verified_share": round(verified / drafted, 4) if drafted else None,
            "answers_with_verified_draft": (
                round(with_verified / len(answerable), 4) if drafted and answerable else None
            ),
            "drafts_abstained": abstained,
            "gold_sentence_lead": summary.get("gold_sentence_lead"),
            "short_answer_match": summary.get("short_answer_match"),
            "unsupported_shown": unsupported_shown,
            "total_p50_s": summary.get("total_p50_s"),
            "total_p95_s": summary.get("total_p95_s"),
        }
    return out


def _answerable(q: dict[str, Any]) -> bool:
    return q["kind"] != "unanswerable" and any(
        rec.get("gold_sentence_shown") is not None for rec in q["modes"].values()
    )


DRAFTING_ROWS = (
    "drafted_sentences",
    "drafted_verified_share",
    "answers_with_verified_draft",
    "drafts_abstained",
    "gold_sentence_lead",
    "short_answer_match",
    "unsupported_shown",
    "total_p50_s",
    "total_p95_s",
)


def _drafting_table(data: dict[str, Any]) -> list[str]:
    d = data.get("drafting") or drafting(data)
    modes = list(d)
    return _table(
        ["", *modes],
        [[k, *("—" if d[m][k] is None else d[m][k] for m in modes)] for k in DRAFTING_ROWS],
    )


def build_json(run: EvalRun) -> dict[str, Any]:
    """The stable result shape (see eval/README.md); extra keys are additions, never renames."""
    per_mode = {name: summarize(outs) for name, outs in run.outcomes.items()}
    works = run.question_works
    per_kind = {
        name: {k: summarize(v) for k, v in _group(outs, lambda o: [o.kind]).items()}
        for name, outs in run.outcomes.items()
    }
    per_work = {
        name: {k: summarize(v) for k, v in _group(outs, lambda o: works.get(o.id, ["?"])).items()}
        for name, outs in run.outcomes.items()
    }
    retrieval: dict[str, Any] = {"hit@5": 0.0, "recall@5": 0.0, "mrr@5": 0.0, "ndcg@5": 0.0}
    if run.retrieval and "variants" in run.retrieval:
        hybrid = run.retrieval["variants"].get("hybrid") or next(
            iter(run.retrieval["variants"].values())
        )
        o = hybrid["overall"]
        retrieval = {
            "hit@5": o["hit"],
            "recall@5": o["recall"],
            "mrr@5": o["mrr"],
            "ndcg@5": o["ndcg"],
            "n": o.get("n", 0),
            "variants": {v: r["overall"] for v, r in run.retrieval["variants"].items()},
            "unlocatable": run.retrieval.get("unlocatable", 0),
        }
    elif run.retrieval:
        retrieval["error"] = run.retrieval.get("error")
    jv = run.judge_validation
    judge = (
        jv.summary()
        if jv is not None
        else {"accuracy": 0.0, "precision": 0.0, "recall": 0.0, "n": 0}
    )
    qmap = {q.id: q for q in run.questions}
    questions = []
    for q in run.questions:
        questions.append(
            {
                "id": q.id,
                "kind": q.kind,
                "question": q.question,
                "reference": q.answer,
                "authors": list(q.authors),
                "works": works.get(q.id, []),
                "modes": {
                    name: {**rec, "badness": badness(rec, qmap[q.id].answerable)}
                    for name, rec in run.records[q.id].items()
                },
            }
        )
    data = {
        "n_questions": len(run.questions),
        "modes": [m.name for m in run.modes],
        "per_mode": per_mode,
        "retrieval": retrieval,
        "judge": judge,
        "verifier_agreement": run.agreement,
        "per_kind": per_kind,
        "per_work": per_work,
        "elapsed_s": round(run.elapsed_s, 2),
        "settings": run.settings,
        "targets": {k: {"op": op, "value": v} for k, (op, v) in TARGETS.items()},
        "questions": questions,
    }
    data["drafting"] = drafting(data)
    return data


def write_json(data: dict[str, Any], path: Path | str) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


# --- text ---------------------------------------------------------------------------------------


def _fmt(v: Any) -> str:
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return f"{v:.3f}"
    return str(v)


# Metrics whose value is vacuous (nothing to measure) when the count beside them is 0.
VACUOUS_WHEN_EMPTY = {
    "faithfulness": "n_verified_sentences",
    "citation_recall": "n_shown_sentences",
    "citation_precision": "n_shown_sentences",
}


def _cell(summary: dict[str, Any], metric: str) -> str:
    """A metric's value, marked ``!`` when it misses its target and ``*`` when vacuous."""
    v = summary[metric]
    count = VACUOUS_WHEN_EMPTY.get(metric)
    if count and not summary.get(count):
        return _fmt(v) + "*"
    ok = meets(metric, v)
    return _fmt(v) + ("" if ok is None or ok else "!")


def _table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(_fmt(c) for c in row) + " |" for row in rows]
    return out


def format_summary(data: dict[str, Any]) -> str:
    """The console summary: headline figures per mode, retrieval and the judge's validation."""
    modes = data["modes"]
    width = max(12, *(len(m) + 2 for m in modes))
    lines = [f"{data['n_questions']} questions, {len(modes)} mode(s), {data['elapsed_s']:.0f} s"]
    lines.append(f"{'metric':<28}" + "".join(f"{m:>{width}}" for m in modes) + "   target")
    lines.append("(! misses the target; * vacuous: nothing to measure in that mode)")
    for metric in HEADLINE:
        cells = [f"{_cell(data['per_mode'][m], metric):>{width}}" for m in modes]
        target = TARGETS.get(metric)
        lines.append(
            f"{metric:<28}" + "".join(cells) + (f"   {target[0]} {target[1]}" if target else "")
        )
    r = data["retrieval"]
    lines.append(
        f"retrieval (hybrid): hit@5 {r['hit@5']:.3f}  recall@5 {r['recall@5']:.3f}  "
        f"MRR@5 {r['mrr@5']:.3f}  nDCG@5 {r['ndcg@5']:.3f}"
        + (f"  [{r['error']}]" if r.get("error") else "")
    )
    j = data["judge"]
    lines.append(
        f"judge validation: accuracy {j['accuracy']:.3f}, precision {j['precision']:.3f}, "
        f"recall {j['recall']:.3f}, distortion recall {j.get('distortion_recall', 0.0):.3f} "
        f"on {j['n']} pairs"
        + (
            ""
            if j["accuracy"] >= RELIABLE_ACCURACY and j["n"]
            else f" -- UNRELIABLE (below {RELIABLE_ACCURACY})"
        )
    )
    for m, a in data.get("verifier_agreement", {}).items():
        lines.append(
            f"judge vs runtime verifier ({m}): agreement {a['agreement']:.3f}, kappa {a['kappa']:.3f} "
            f"over {a['n']} sentences ({a['verified_only']} verified but not judged supported)"
        )
    lines.append("drafted sentences, side by side (writer adapter comparison):")
    lines += ["  " + row for row in _drafting_table(data)]
    errors = [
        (q["id"], m) for q in data["questions"] for m, rec in q["modes"].items() if rec.get("error")
    ]
    if errors:
        lines.append(f"answers that raised: {len(errors)} (see the per-question records)")
    return "\n".join(lines)


def format_markdown(data: dict[str, Any], plots: Sequence[str] = ()) -> str:
    """report.md: readable on its own."""
    modes = data["modes"]
    L: list[str] = ["# attest evaluation report", ""]
    L.append(
        f"{data['n_questions']} questions; modes: {', '.join(modes)}; generator "
        f"`{data['settings'].get('generator_backend')}` / `{data['settings'].get('generator_model')}`; "
        f"embedder `{data['settings'].get('embedding_model')}`; wall time {data['elapsed_s']:.0f} s."
    )
    L += [
        "",
        "Metric definitions: `eval/README.md`. `!` marks a figure that misses its target; `*` a "
        "vacuous value (nothing to measure in that mode, e.g. no sentence shown as verified).",
        "",
    ]
    L.append("## Headline")
    L.append("")
    rows = []
    for metric in HEADLINE:
        cells = [_cell(data["per_mode"][m], metric) for m in modes]
        t = TARGETS.get(metric)
        rows.append([metric, *cells, f"{t[0]} {t[1]}" if t else ""])
    L += _table(["metric", *modes, "target"], rows)
    first = data["per_mode"][modes[0]]
    L += [
        "",
        f"Counts ({modes[0]}): {first['n_verified_sentences']} verified sentences, "
        f"{first['n_shown_sentences']} shown sentences, {first['n_citations']} citations, "
        f"{first['n_answerable']} answerable and {first['n_unanswerable']} unanswerable questions; "
        f"model load {first['load_s']:.1f} s (reported apart from answer latency).",
        "",
    ]
    L += ["## Drafted sentences, side by side", ""]
    L.append(
        "What the model's drafts are worth per mode (the writer adapter's comparison: "
        "`grounded@writer_adapter=false` is the plain bundled model, `grounded` the adapted "
        "one, `select` drafts nothing). `answers_with_verified_draft` is over answerable "
        "questions; `unsupported_shown` counts shown sentences the judge does not support; "
        "— = the mode drafts nothing."
    )
    L.append("")
    L += _drafting_table(data)
    L.append("")
    L.append("## Retrieval (k = 5)")
    L.append("")
    r = data["retrieval"]
    if r.get("variants"):
        L += _table(
            ["variant", "hit@5", "recall@5", "MRR@5", "nDCG@5"],
            [[v, o["hit"], o["recall"], o["mrr"], o["ndcg"]] for v, o in r["variants"].items()],
        )
    else:
        L.append(f"not available: {r.get('error', 'no retrieval figures')}")
    L += ["", "## The judge", ""]
    j = data["judge"]
    verdict = "reliable" if j["n"] and j["accuracy"] >= RELIABLE_ACCURACY else "UNRELIABLE"
    L.append(
        f"On {j['n']} hand-labelled pairs: accuracy {j['accuracy']:.3f}, precision "
        f"{j['precision']:.3f}, recall {j['recall']:.3f}, distortion recall "
        f"{j.get('distortion_recall', 0.0):.3f} -> {verdict} (floor {RELIABLE_ACCURACY})."
    )
    L += markdown_breakdown(j)
    if data.get("verifier_agreement"):
        L += [
            "",
            "Agreement with the runtime verifier (every sentence it judged, shown or dropped):",
            "",
        ]
        L += _table(
            ["mode", "sentences", "agreement", "kappa", "both support", "verifier only", "judge only", "neither"],
            [
                [m, a["n"], a["agreement"], a["kappa"], a["verified_and_judged_supported"],
                 a["verified_only"], a["judged_supported_only"], a["neither"]]
                for m, a in data["verifier_agreement"].items()
            ],
        )  # fmt: skip
    for title, key in (
        ("By question kind", "per_kind"),
        ("By work (of the gold evidence)", "per_work"),
    ):
        L += ["", f"## {title}", ""]
        for m in modes:
            L.append(f"### {m}")
            L.append("")
            groups = data[key][m]
            L += _table(
                ["group", "n", *PER_GROUP],
                [[g, s["n_questions"], *(s[p] for p in PER_GROUP)] for g, s in groups.items()],
            )
            L.append("")
    L += ["## The 10 worst answers", ""]
    main = modes[0]
    worst = sorted(data["questions"], key=lambda q: (-q["modes"][main]["badness"], q["id"]))[:10]
    for q in worst:
        rec = q["modes"][main]
        L.append(f"### {q['id']} ({q['kind']}, badness {rec['badness']:.0f}, mode {main})")
        L.append("")
        L.append(f"**Q:** {q['question']}")
        L.append("")
        L.append(f"**Reference:** {q['reference']}")
        L.append("")
        if rec.get("error"):
            L.append(f"**Error:** `{rec['error']}`")
        status = "refused" if rec["refused"] else "answered"
        L.append(
            f"**Answer ({status}; gold cited: {_fmt(rec['gold_cited'])}; authors cited: "
            f"{', '.join(rec['cited_authors']) or '-'}; gold authors: {', '.join(q['authors']) or '-'}):** "
            f"{rec['answer'] or rec.get('message') or '(empty)'}"
        )
        L.append("")
        for s in rec["sentences"]:
            if not s.get("shown", True):
                continue
            mark = "supported" if s["judge_supported"] else f"NOT supported ({s['judge_rule']})"
            qs = (
                f"; quoted-speaker error ({s['quoted_speaker_error']})"
                if s["quoted_speaker_error"]
                else ""
            )
            L.append(
                f"- {s['text']} -- cites {s['citations'] or '-'}; verifier: "
                f"{'verified' if s['verified'] else 'unverified'}; judge: {mark}: {s['judge_reason']}{qs}"
            )
        for c in rec["citations"]:
            gold = " (gold)" if c["gold"] else ""
            L.append(
                f'  - [{c["n"]}] {c["author"]}, {c["work"]}, {c["anchor"]}{gold}: "{c["excerpt"][:240]}"'
            )
        L.append("")
    if plots:
        L += ["## Plots", ""]
        L += [f"![{Path(p).stem}]({Path(p).name})" for p in plots]
        L.append("")
    return "\n".join(L)


# --- plots ---------------------------------------------------------------------------------------

# The headline shares, which all live in [0, 1] and so fit one axis: not the error count, not
# the latencies in seconds.
_PLOT_METRICS = tuple(m for m in HEADLINE if m != "quoted_speaker_errors" and not m.endswith("_s"))


def _save(fig, path: Path) -> str:
    import matplotlib.pyplot as plt

    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return str(path)


def write_plots(data: dict[str, Any], out_dir: Path | str) -> list[str]:
    """metrics_by_mode.png, metrics_by_kind.png, latency.png and selector_at_k.png
    (matplotlib, Agg backend)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    modes = data["modes"]
    paths: list[str] = []

    fig, ax = plt.subplots(figsize=(11, 4.5))
    x = np.arange(len(_PLOT_METRICS))
    w = 0.8 / max(1, len(modes))
    for i, m in enumerate(modes):
        ax.bar(x + i * w, [data["per_mode"][m][k] for k in _PLOT_METRICS], w, label=m)
    ax.set_xticks(
        x + w * (len(modes) - 1) / 2, [k.replace("_", "\n") for k in _PLOT_METRICS], fontsize=7
    )
    ax.set_ylim(0, 1.05)
    ax.set_title("Metrics per mode")
    ax.legend(fontsize=8)
    paths.append(_save(fig, out / "metrics_by_mode.png"))

    main = modes[0]
    kinds = list(data["per_kind"][main])
    shown = (
        "faithfulness",
        "citation_recall",
        "gold_citation_rate",
        "attribution_precision",
        "answer_similarity",
    )
    fig, ax = plt.subplots(figsize=(11, 4.5))
    x = np.arange(len(kinds))
    w = 0.8 / len(shown)
    for i, k in enumerate(shown):
        ax.bar(x + i * w, [data["per_kind"][main][g][k] for g in kinds], w, label=k)
    ax.set_xticks(x + w * (len(shown) - 1) / 2, kinds, fontsize=8)
    ax.set_ylim(0, 1.05)
    ax.set_title(f"Metrics per question kind ({main})")
    ax.legend(fontsize=7)
    paths.append(_save(fig, out / "metrics_by_kind.png"))

    fig, ax = plt.subplots(figsize=(8, 4))
    for m in modes:
        totals = [
            q["modes"][m]["timings"].get("total_s", q["modes"][m].get("wall_s") or 0.0)
            for q in data["questions"]
            if m in q["modes"]
        ]
        ax.hist(totals, bins=20, alpha=0.6, label=m)
    ax.set_xlabel("total time per answer (s)")
    ax.set_ylabel("answers")
    ax.set_title("Latency")
    ax.legend(fontsize=8)
    paths.append(_save(fig, out / "latency.png"))
    paths.extend(_selector_plot(data, out, plt, np))
    return paths


def _selector_plot(data: dict[str, Any], out: Path, plt, np) -> list[str]:
    """selector_at_k.png: per mode, the share of answerable questions with a gold sentence among
    the selector's top 1, 3 and 5 candidates (its precision at 1; at 3 and 5, a hit rate)."""
    ks = (1, 3, 5)
    modes = [
        m
        for m in data["modes"]
        if all(data["per_mode"][m].get(f"selector_gold_at_{k}") is not None for k in ks)
    ]
    if not modes:
        return []
    fig, ax = plt.subplots(figsize=(7, 4))
    x = np.arange(len(ks))
    w = 0.8 / len(modes)
    for i, m in enumerate(modes):
        values = [data["per_mode"][m][f"selector_gold_at_{k}"] for k in ks]
        bars = ax.bar(x + i * w, values, w, label=m)
        ax.bar_label(bars, fmt="%.2f", fontsize=7)
    ax.set_xticks(x + w * (len(modes) - 1) / 2, [f"top {k}" for k in ks])
    ax.set_ylim(0, 1.1)
    ax.set_ylabel("questions with a gold sentence in the top k")
    ax.set_title("Selector: gold sentence among its top-k candidates, by mode")
    ax.legend(fontsize=8)
    return [_save(fig, out / "selector_at_k.png")]


def write_report(data: dict[str, Any], out_dir: Path | str) -> Path:
    """Write report.md and the plots into ``out_dir``; return report.md's path."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    plots = write_plots(data, out)
    path = out / "report.md"
    path.write_text(format_markdown(data, plots), encoding="utf-8")
    return path
