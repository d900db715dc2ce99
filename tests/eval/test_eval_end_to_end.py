"""A small end-to-end evaluation: three dev questions, fake generator, FakeEmbedder, tmp index."""

from __future__ import annotations

import json
import math

import pytest

from attest.cli import main
from eval.questions import load_questions
from eval.report import HEADLINE, build_json, write_json, write_report
from eval.run import parse_mode, run_eval

IDS = ("dev-001", "dev-034", "dev-037")  # factual, quoted_speaker, unanswerable


def _three(path):
    return [q for q in load_questions(path) if q.id in IDS]


def test_three_questions_write_json_report_and_plots(
    settings, fake_embedder, tmp_index, dev_questions_path, tmp_path
):
    qs = _three(dev_questions_path)
    run = run_eval(
        qs, ["grounded", "extractive", "free"], settings,
        embedder=fake_embedder, index=tmp_index, progress=False,
    )  # fmt: skip
    data = build_json(run)
    out = tmp_path / "report"
    write_json(data, out / "eval.json")
    report = write_report(data, out)

    loaded = json.loads((out / "eval.json").read_text())
    assert loaded["n_questions"] == 3
    assert set(loaded["per_mode"]) == {"grounded", "extractive", "free"}
    for mode in loaded["per_mode"].values():
        assert set(HEADLINE) <= set(mode)
        assert all(math.isfinite(v) for v in mode.values())
        assert (mode["n_questions"], mode["n_answerable"], mode["n_unanswerable"]) == (3, 2, 1)
    grounded, extractive, free = (loaded["per_mode"][m] for m in ("grounded", "extractive", "free"))
    # Verified modes show only supported, cited sentences and refuse the unanswerable question
    # without refusing the two answerable ones.
    for verified in (grounded, extractive):
        assert verified["faithfulness"] == 1.0 and verified["citation_precision"] == 1.0
        assert verified["n_shown_sentences"] == verified["n_verified_sentences"] > 0
        assert verified["refusal_rate_unanswerable"] == 1.0
        assert verified["false_refusal_rate"] == 0.0
        assert verified["quoted_speaker_errors"] == 0
    # "free" shows the raw draft: it never refuses, and the judge finds the invented sentence
    # (its citation does not support it).
    assert free["refusal_rate_unanswerable"] == 0.0
    assert free["n_verified_sentences"] == 0 < free["n_shown_sentences"]
    assert free["citation_precision"] < 1.0
    assert set(loaded["retrieval"]) >= {"hit@5", "recall@5", "mrr@5", "ndcg@5"}
    assert set(loaded["judge"]) >= {"accuracy", "precision", "recall", "n"}
    assert loaded["judge"]["n"] >= 60
    assert [q["id"] for q in loaded["questions"]] == list(IDS)
    assert all(set(q["modes"]) == {"grounded", "extractive", "free"} for q in loaded["questions"])
    for name in ("metrics_by_mode.png", "metrics_by_kind.png", "latency.png"):
        assert (out / name).stat().st_size > 1000
    text = report.read_text()
    for heading in (
        "## Headline",
        "## By question kind",
        "## By work",
        "## The 10 worst",
        "## The judge",
    ):
        assert heading in text
    # The fake generator's invented sentence is never shown as verified by the judge.
    for q in loaded["questions"]:
        for s in q["modes"]["grounded"]["sentences"]:
            if "green cheese" in s["text"]:
                assert not s["judge_supported"]


def test_limit_and_bad_modes(settings, fake_embedder, tmp_index, dev_questions_path):
    from corpus.errors import InputError

    qs = load_questions(dev_questions_path)
    run = run_eval(qs, ["extractive"], settings, limit=2, embedder=fake_embedder,
                   index=tmp_index, progress=False, with_retrieval=False)  # fmt: skip
    assert len(run.questions) == 2
    with pytest.raises(InputError):
        parse_mode("chatty")
    with pytest.raises(InputError):
        parse_mode("grounded@no_such_setting=1")
    assert parse_mode("grounded@k8").overrides == {"retrieval_k": 8}


def test_cli_eval_and_compare(
    monkeypatch, settings, fake_embedder, tmp_index, dev_questions_path, tmp_path, capsys
):
    import embeddings.factory

    monkeypatch.setattr(embeddings.factory, "get_embedder", lambda s=None: fake_embedder)
    monkeypatch.setenv("ATTEST_GENERATOR_BACKEND", "fake")
    qfile = tmp_path / "three.jsonl"
    lines = [
        ln for ln in dev_questions_path.read_text().splitlines() if json.loads(ln)["id"] in IDS
    ]
    qfile.write_text("\n".join(lines) + "\n")
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    base = [
        "--data-dir",
        str(settings.data_dir),
        "eval",
        "--questions",
        str(qfile),
        "--no-progress",
    ]
    assert main([*base, "--mode", "grounded", "--json", str(a)]) == 0
    assert (
        main(
            [
                *base,
                "--mode",
                "grounded",
                "extractive",
                "--limit",
                "2",
                "--json",
                str(b),
                "--out",
                str(tmp_path / "o"),
            ]
        )
        == 0
    )
    assert "judge validation: accuracy" in capsys.readouterr().out
    assert main(["eval", "compare", str(a), str(b)]) == 0
    out = capsys.readouterr().out
    assert "faithfulness" in out and "modes only in B: extractive" in out
    assert main(["eval", "compare", str(a), str(tmp_path / "missing.json")]) == 2
