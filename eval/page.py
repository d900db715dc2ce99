"""Page ready → first answer, as a reader meets it: ``attest bench page``.

Starts ``attest chat`` in a child process on a free loopback port, opens the page in headless
chromium (Playwright, a test dependency) and times, per question:

- **cold**: the chat was just started; the page is opened as soon as the server answers and the
  question asked at once (or ``--ask-after`` seconds later), so the answer waits for whatever is
  still loading in the background;
- **warm**: the page says the models are ready; the question is asked in a fresh page.

Each figure runs from the question being asked to the answer's turn being done in the chat;
*page ready* (the question box can be typed in) is reported apart, and the page's own
model-state badge is read just before asking. Wall-clock
only: nothing in the server is instrumented, so the figure is what the reader waits.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
_DONE = "n => document.querySelectorAll('#attest-chat .turn[data-state=\"done\"]').length >= n"
_STATE = "() => (document.querySelector('#attest-model-state') || {}).innerText || ''"


@dataclass(frozen=True)
class PageTiming:
    """One question asked in the browser."""

    phase: str  # "cold" or "warm"
    question: str
    server_ready_s: float  # process start → the server answers (cold only; 0 when warm)
    page_ready_s: float  # navigation → the question box is there
    first_answer_s: float  # question asked → the answer's turn is done
    state_when_asked: str  # the model-state badge as the reader saw it
    asked_after_s: float = 0.0  # how long after page ready the question was asked


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_http(url: str, proc: subprocess.Popen, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"attest chat exited with code {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=1) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"attest chat did not answer at {url} within {timeout_s:.0f} s")


def _ask(
    browser, url: str, question: str, phase: str, server_s: float, wait_s: float = 0.0
) -> PageTiming:
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    try:
        t0 = time.perf_counter()
        page.goto(url)
        page.wait_for_selector("#attest-question textarea", timeout=120_000)
        ready = time.perf_counter()
        if wait_s > 0:
            page.wait_for_timeout(wait_s * 1000)  # the reader reads the page, then asks
        state = " ".join(page.evaluate(_STATE).split())
        page.fill("#attest-question textarea", question)
        asked = time.perf_counter()
        page.click("#attest-ask")
        page.wait_for_function(_DONE, arg=1, timeout=600_000)
        done = time.perf_counter()
    finally:
        page.close()
    return PageTiming(phase, question, server_s, ready - t0, done - asked, state, asked - ready)


def run_page_bench(
    questions: Sequence[str],
    *,
    extra_args: Sequence[str] = (),
    chat_args: Sequence[str] = (),
    ask_after_s: float = 0.0,
    env: dict[str, str] | None = None,
    log: Callable[[str], None] = print,
    start_timeout_s: float = 300.0,
) -> list[PageTiming]:
    """Cold on the first question (asked ``ask_after_s`` after the page is ready), then warm on
    every question (the chat's index must be built)."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        raise RuntimeError(f"chromium is needed at {CHROMIUM} (apt-get install chromium)")
    port = _free_port()
    url = f"http://127.0.0.1:{port}/"
    cmd = [sys.executable, "-m", "attest", *extra_args, "chat", "--port", str(port), *chat_args]
    proc = subprocess.Popen(
        cmd,
        env={**os.environ, **(env or {})},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    rows: list[PageTiming] = []
    try:
        t0 = time.perf_counter()
        _wait_http(url, proc, start_timeout_s)
        server_s = time.perf_counter() - t0
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM)
            rows.append(_ask(browser, url, questions[0], "cold", server_s, ask_after_s))
            log(_line(rows[-1]))
            _wait_ready(browser, url)
            for q in questions:
                rows.append(_ask(browser, url, q, "warm", 0.0))
                log(_line(rows[-1]))
            browser.close()
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
    return rows


def _wait_ready(browser, url: str, timeout_s: float = 600.0) -> None:
    """Wait until the page's badge says the models are ready (or loading failed)."""
    page = browser.new_page()
    try:
        page.goto(url)
        page.wait_for_function(
            "() => /ready|failed/.test((document.querySelector('#attest-model-state') || {})"
            ".innerText || '')",
            timeout=timeout_s * 1000,
        )
    finally:
        page.close()


def _line(r: PageTiming) -> str:
    server = (
        f"server up {r.server_ready_s:5.1f} s, asked {r.asked_after_s:4.1f} s after page ready, "
        if r.phase == "cold"
        else ""
    )
    return (
        f"{r.phase:<5} {server}page ready {r.page_ready_s:5.2f} s, first answer "
        f"{r.first_answer_s:6.2f} s  [{r.state_when_asked or 'no badge'}]  {r.question[:60]}"
    )
