"""Scenarios 9 and 10 against the chat launched in-process on loopback (fake models).

9. Twenty simultaneous gradio_client clients: every request is answered or told the queue is
   full, no server error, no timeout, memory bounded; p50/p95 printed.
10. A client that disconnects mid-answer, and the Stop button: the generation stops within a
    second (measured from the disconnect/Stop to the generator's end), the generation slot is
    freed and the next queued question starts.
"""

from __future__ import annotations

import itertools
import json
import time
import uuid

import httpx
import pytest

from eval.load import run_load

pytestmark = pytest.mark.slow

QUESTIONS = [
    "Why did the bureaucracy grow?",
    "What caused the famine of 1932?",
    "What did Nock say about the State?",
    "Why did the leadership choose coercion in 1928?",
]
STOP_BOUND_S = 1.0


def _client(url: str):
    from gradio_client import Client

    return Client(url, verbose=False, download_files=False, analytics_enabled=False)


def _wait(cond, timeout: float = 30.0, step: float = 0.01) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(step)


# --- 9: load -------------------------------------------------------------------------------------


def test_twenty_clients_all_answered_or_told_queue_full(serve_tiny):
    _demo, url, _settings, gen = serve_tiny(delay_s=0.005, words=40)
    report = run_load(url, QUESTIONS, clients=20, timeout_s=240)
    print("\n" + report.summary())
    assert report.requests == 20
    assert report.answered + report.rejected == 20, report.error_details
    assert report.errors == 0 and report.timeouts == 0
    assert report.answered >= 1
    assert report.rss_peak_bytes - report.rss_start_bytes < 400 * 2**20
    # One generation at a time (concurrency limit 1): the spans never overlap.
    spans = sorted(gen.spans)
    assert all(a_end <= b_start + 1e-3 for (_, a_end), (b_start, _) in itertools.pairwise(spans))


def test_small_queue_rejects_the_overflow_with_a_message(serve_tiny):
    _demo, url, _settings, _gen = serve_tiny(delay_s=0.02, words=40, queue_size=3)
    report = run_load(url, QUESTIONS, clients=12, timeout_s=240)
    print("\n" + report.summary())
    assert report.answered + report.rejected == 12, report.error_details
    assert report.errors == 0 and report.timeouts == 0
    assert report.rejected >= 1 and report.answered >= 1
    assert all(
        "queue is full" in r.detail.lower() for r in report.results if r.outcome == "rejected"
    )


# --- 10: stop and disconnect ---------------------------------------------------------------------


def test_stop_button_stops_generation_within_a_second_and_frees_the_slot(serve_tiny):
    _demo, url, _s, gen = serve_tiny(delay_s=0.2, words=200)  # 40 s if never stopped
    asker = _client(url)
    job = asker.submit("Why did the bureaucracy grow?", api_name="/respond")
    _wait(lambda: len(gen.started) == 1)
    time.sleep(0.5)  # mid-answer
    waiting = _client(url).submit("What caused the famine of 1932?", api_name="/ask")
    time.sleep(0.3)
    assert len(gen.started) == 1  # the second question waits for the one slot

    t0 = time.monotonic()
    asker.predict(api_name="/stop")
    _wait(lambda: len(gen.spans) >= 1, timeout=10)
    stop_s = gen.spans[0][1] - t0
    print(f"\nstop -> generation ended in {stop_s * 1000:.0f} ms")
    assert stop_s < STOP_BOUND_S

    _wait(lambda: len(gen.started) >= 2, timeout=10)
    next_s = gen.started[1] - t0
    print(f"stop -> next queued question started in {next_s * 1000:.0f} ms")
    assert next_s < 2 * STOP_BOUND_S
    job.result(timeout=30)  # the stopped request itself ends normally
    # The queued question was answered in full once it had the slot; stop it to end the test.
    asker.predict(api_name="/stop")
    waiting.cancel()


def _respond_payload(url: str, question: str) -> tuple[int, list]:
    config = httpx.get(url + "config").json()
    dep = next(d for d in config["dependencies"] if d.get("api_name") == "respond")
    by_id = {c["id"]: c for c in config["components"]}
    data = []
    for cid in dep["inputs"]:
        props = by_id[cid].get("props", {})
        if props.get("elem_id") == "attest-question":
            data.append(question)
        else:
            data.append(props.get("value"))
    return dep["id"], data


def test_client_disconnect_stops_generation_within_a_second(serve_tiny):
    _demo, url, _s, gen = serve_tiny(delay_s=0.2, words=200)
    fn_index, data = _respond_payload(url, "Why did the bureaucracy grow?")
    session = uuid.uuid4().hex
    join = httpx.post(
        url + "gradio_api/queue/join",
        json={"data": data, "fn_index": fn_index, "session_hash": session, "event_data": None,
              "trigger_id": None},
    )  # fmt: skip
    assert join.status_code == 200, join.text

    queued = _client(url).submit("What caused the famine of 1932?", api_name="/ask")
    drafts = 0
    with httpx.stream(
        "GET", url + f"gradio_api/queue/data?session_hash={session}", timeout=30
    ) as stream:
        for line in stream.iter_lines():
            if not line.startswith("data:"):
                continue
            msg = json.loads(line[5:])
            assert msg.get("msg") not in ("process_completed",), msg
            if msg.get("msg") == "process_generating" and gen.started:
                drafts += 1
                if drafts >= 3:
                    break  # leave mid-answer: the connection closes here
    t0 = time.monotonic()
    _wait(lambda: len(gen.spans) >= 1, timeout=10)
    stop_s = gen.spans[0][1] - t0
    print(f"\ndisconnect -> generation ended in {stop_s * 1000:.0f} ms")
    assert stop_s < STOP_BOUND_S

    _wait(lambda: len(gen.started) >= 2, timeout=10)
    next_s = gen.started[1] - t0
    print(f"disconnect -> next queued question started in {next_s * 1000:.0f} ms")
    assert next_s < 2 * STOP_BOUND_S
    queued.cancel()
