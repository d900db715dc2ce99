"""The app launched in-process and driven over HTTP with gradio_client (real pipeline, fakes)."""

from __future__ import annotations

import concurrent.futures as cf
import time

import httpx
import pytest

pytestmark = pytest.mark.slow


def _client(url: str):
    from gradio_client import Client

    return Client(url, verbose=False, download_files=False)


def test_ask_gives_a_verified_answer_with_citations(served):
    data = _client(served.url).predict("What caused the famine of 1932?", api_name="/ask")
    assert data["sentences"], data
    numbers = {c["n"] for c in data["citations"]}
    assert all(s["citations"] and set(s["citations"]) <= numbers for s in data["sentences"])
    assert any("famine" in c["excerpt"] for c in data["citations"])
    assert data["citations"][0]["citation"].startswith("Ada Example")
    # the fake generator invents a sentence; verification must have dropped it
    assert all("green cheese" not in s["text"] for s in data["sentences"])
    assert any("green cheese" in d for d in data["dropped"])


def test_respond_streams_then_shows_the_verified_answer(served):
    job = _client(served.url).submit("What did Nock say about the State?", api_name="/respond")
    outputs = list(job)
    final_chat = job.result()[0]
    assert 'class="cite"' in final_chat and 'data-state="done"' in final_chat
    assert "green cheese" not in final_chat
    assert any("not yet verified" in o[0] for o in outputs if isinstance(o, tuple | list))


def test_lookup_by_anchor(served):
    data = _client(served.url).predict("example-grain §I ¶1", "auto", api_name="/lookup")
    hit = data["results"][0]
    assert hit["anchor"] == "example-grain §I ¶1"
    assert hit["citation"] == 'Ada Example, "The Grain Question" (1990), §I ¶1'
    assert hit["next"].startswith("The leadership chose coercion")
    assert hit["footnotes"] == ["On the crisis see the standard accounts of the period."]


def test_two_concurrent_clients_are_both_served_one_generation_at_a_time(served):
    served.spans.clear()
    questions = ["What caused the famine of 1932?", "Why did the bureaucracy grow?"]
    with cf.ThreadPoolExecutor(2) as pool:
        results = list(
            pool.map(lambda q: _client(served.url).predict(q, api_name="/ask"), questions)
        )
    assert all(r["sentences"] for r in results)
    assert [r["question"] for r in results] == questions
    spans = sorted(served.spans)
    assert len(spans) == 2 and spans[0][1] <= spans[1][0] + 0.05  # never two generations at once


def test_lookup_answers_while_a_question_is_generating(serve_app, tmp_path):
    app = serve_app(tmp_path, delay_s=0.3)
    client = _client(app.url)
    job = client.submit("What caused the famine of 1932?", api_name="/ask")
    time.sleep(0.8)
    t0 = time.monotonic()
    found = _client(app.url).predict("procurement quota", "keyword", api_name="/lookup")
    lookup_s = time.monotonic() - t0
    assert found["results"] and lookup_s < 2.0
    assert not job.done(), "the lookup should have finished while the answer was still generating"
    assert job.result()["sentences"]


def test_stop_ends_generation_within_a_second(serve_app, tmp_path):
    app = serve_app(tmp_path, delay_s=0.3)
    client = _client(app.url)
    job = client.submit("What caused the famine of 1932?", api_name="/respond")
    deadline = time.monotonic() + 10
    while not app.spans and time.monotonic() < deadline:
        # wait until the generator has started streaming
        if any("not yet verified" in str(o) for o in job.outputs()):
            break
        time.sleep(0.05)
    t0 = time.monotonic()
    client.predict(api_name="/stop")
    final = job.result()
    elapsed = time.monotonic() - t0
    assert elapsed < 1.5, elapsed
    assert "Stopped" in final[0]
    time.sleep(0.5)
    assert app.spans and app.spans[-1][1] - t0 < 1.0  # the generator itself stopped


def test_queue_beyond_its_bound_is_refused_with_a_message(serve_app, tmp_path):
    app = serve_app(tmp_path, delay_s=0.3, queue_size=1)
    jobs = [
        _client(app.url).submit("What caused the famine of 1932?", api_name="/ask")
        for _ in range(4)
    ]
    outcomes = []
    for job in jobs:
        try:
            outcomes.append(("ok", job.result(timeout=60)))
        except Exception as exc:  # gradio_client reports a full queue as an exception
            outcomes.append(("refused", str(exc)))
    assert any(kind == "ok" for kind, _ in outcomes)
    refused = [msg for kind, msg in outcomes if kind == "refused"]
    assert refused and all("queue is full" in m.lower() for m in refused)


@pytest.mark.parametrize(
    "origin", ["https://evil.example", "null", "http://127.0.0.1.evil.example"]
)
def test_cross_origin_requests_get_no_cors_grant(served, origin):
    r = httpx.get(served.url + "config", headers={"Origin": origin})
    assert r.status_code == 403
    assert "access-control-allow-origin" not in r.headers
    pre = httpx.options(
        served.url + "gradio_api/queue/join",
        headers={"Origin": origin, "Access-Control-Request-Method": "POST"},
    )
    assert "access-control-allow-origin" not in pre.headers


def test_same_origin_and_plain_requests_work(served):
    assert httpx.get(served.url + "config").status_code == 200
    own = served.url.rstrip("/")
    assert httpx.get(served.url + "config", headers={"Origin": own}).status_code == 200


def test_file_route_refuses_system_index_and_corpus_files(served):
    index_file = next(p for p in served.settings.resolved_index_dir.iterdir() if p.is_file())
    corpus_file = served.settings.corpus_dir / "catalog.toml"
    for path in ("/etc/passwd", str(index_file), str(corpus_file), "../../../../etc/passwd"):
        r = httpx.get(served.url + "gradio_api/file=" + path)
        assert r.status_code in (403, 404), (path, r.status_code)
        assert "root:" not in r.text and "[[work]]" not in r.text


def test_served_on_loopback_without_share_link(served):
    assert served.url.startswith("http://127.0.0.1:")
    assert served.demo.share is False and getattr(served.demo, "share_url", None) is None
