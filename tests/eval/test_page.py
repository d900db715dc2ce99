"""The page benchmark's start-up checks (the benchmark itself runs a real browser: `attest bench
page`)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from eval.page import PageTiming, _free_port, _line, _wait_http


def test_a_chat_that_exits_at_start_is_reported_with_its_exit_code():
    proc = subprocess.Popen([sys.executable, "-c", "raise SystemExit(3)"])
    proc.wait()
    with pytest.raises(RuntimeError, match="exited with code 3"):
        _wait_http(f"http://127.0.0.1:{_free_port()}/", proc, timeout_s=5)


def test_a_chat_that_never_answers_times_out_with_the_url():
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        url = f"http://127.0.0.1:{_free_port()}/"
        with pytest.raises(TimeoutError, match=url):
            _wait_http(url, proc, timeout_s=0.5)
    finally:
        proc.kill()


def test_the_printed_line_shows_server_start_only_when_cold():
    cold = PageTiming("cold", "Why?", 4.0, 0.5, 2.25, "loading models")
    warm = PageTiming("warm", "Why?", 0.0, 0.4, 0.75, "models ready")
    assert "server up   4.0 s" in _line(cold) and "first answer   2.25 s" in _line(cold)
    assert "server up" not in _line(warm) and "[models ready]" in _line(warm)
