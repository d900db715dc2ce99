"""The load library (eval/load.py) and `attest bench load`: bounds, refusals, figures."""

from __future__ import annotations

import json

import pytest

from attest.cli import main
from corpus.errors import InputError
from eval.load import MAX_CLIENTS, is_loopback_url, percentile, read_questions, run_load


@pytest.mark.parametrize(
    ("values", "q", "expected"),
    [([], 50, None), ([3.0], 95, 3.0), ([1.0, 2.0, 3.0, 4.0], 50, 2.5), ([0.0, 10.0], 95, 9.5)],
)
def test_percentile(values, q, expected):
    assert percentile(values, q) == expected


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("http://127.0.0.1:7860/", True),
        ("http://127.8.9.10:1/", True),
        ("http://localhost:7860", True),
        ("http://[::1]:7860/", True),
        ("http://10.0.0.5:7860/", False),
        ("http://example.org/", False),
        ("http://127.0.0.1.evil.example/", False),
        ("not a url", False),
    ],
)
def test_loopback_only(url, ok):
    assert is_loopback_url(url) is ok


def test_run_load_refuses_other_hosts_and_unbounded_runs():
    with pytest.raises(InputError, match="loopback"):
        run_load("http://example.org/", ["q"], clients=1)
    with pytest.raises(InputError, match="clients"):
        run_load("http://127.0.0.1:9/", ["q"], clients=MAX_CLIENTS + 1)
    with pytest.raises(InputError, match="requests"):
        run_load("http://127.0.0.1:9/", ["q"], clients=50, requests_per_client=100)


def test_read_questions_jsonl_and_text(tmp_path, dev_questions_path):
    assert len(read_questions(dev_questions_path)) == 40
    p = tmp_path / "q.txt"
    p.write_text("# comment\nFirst?\n\n  Second?  \n", encoding="utf-8")
    assert read_questions(p) == ["First?", "Second?"]
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": 1}\n', encoding="utf-8")
    with pytest.raises(InputError, match="line 1"):
        read_questions(bad)
    with pytest.raises(InputError, match="cannot read"):
        read_questions(tmp_path / "missing.txt")


def test_unreachable_server_counts_as_errors_not_a_crash():
    # Nothing listens on port 9 of loopback: every request is an error, reported, no exception.
    report = run_load("http://127.0.0.1:9/", ["q"], clients=2, timeout_s=20)
    assert report.errors == 2 and report.answered == 0
    assert report.error_details


def test_cli_refuses_a_non_loopback_url(capsys):
    rc = main(["bench", "load", "--url", "http://example.org/", "--clients", "2"])
    err = capsys.readouterr().err
    assert rc == 2 and "loopback" in err


@pytest.mark.slow
def test_cli_bench_against_a_running_chat(serve_tiny, tmp_path, capsys):
    _demo, url, _s, _gen = serve_tiny(delay_s=0.005, words=30)
    questions = tmp_path / "q.txt"
    questions.write_text("Why did the bureaucracy grow?\nWhat caused the famine of 1932?\n")
    out_json = tmp_path / "figures.json"
    rc = main(
        ["bench", "load", "--url", url, "--clients", "5", "--questions", str(questions),
         "--timeout", "120", "--json", str(out_json)]
    )  # fmt: skip
    out = capsys.readouterr().out
    assert rc == 0, out
    assert "5 clients" in out and "p50" in out and "p95" in out and "peak" in out
    figures = json.loads(out_json.read_text())
    assert figures["answered"] + figures["rejected"] == 5
    assert figures["errors"] == 0
