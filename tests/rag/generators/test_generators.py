"""Generators: the fake, cancellation, and the OpenAI backend against a local fake server."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest

from corpus.settings import get_settings
from rag.generators.base import GeneratorError, get_generator
from rag.generators.fake import FakeGenerator, default_fake_script
from rag.generators.openai import OpenAIGenerator


def test_fake_script_copies_excerpt_one_and_invents_one():
    msgs = [{"role": "user", "content": '<excerpt n="1" source="A">First one. Second.</excerpt>'}]
    text = default_fake_script(msgs)
    assert text.startswith("First one. [1]")
    assert "green cheese" in text


def test_fake_generator_is_deterministic_and_records_calls():
    gen = FakeGenerator("One two three.")
    assert "".join(gen.stream([{"role": "user", "content": "q"}], 10)) == "One two three."
    assert "".join(gen.stream([], 10)) == "One two three."
    assert len(gen.calls) == 2


def test_fake_generator_word_limit():
    gen = FakeGenerator("a b c d e", word_limit=True)
    assert "".join(gen.stream([], 2)).split() == ["a", "b"]


def test_stop_event_cancels_fake_generation_at_the_next_word():
    gen = FakeGenerator(" ".join(["word"] * 1000))
    stop = threading.Event()
    pieces = []
    for piece in gen.stream([], 10_000, stop):
        pieces.append(piece)
        if len(pieces) == 5:
            stop.set()  # Stop pressed while the fifth word is on screen
    assert len(pieces) == 5


def test_get_generator_extractive_is_none_and_fake_is_cached(settings):
    assert get_generator(get_settings(settings, generator_backend="extractive")) is None
    assert get_generator(settings) is get_generator(settings)
    assert get_generator(settings).name == "fake"


class _SSEHandler(BaseHTTPRequestHandler):
    pieces: tuple[str, ...] = ("Trotsky ", "blamed ", "the ", "bureaucracy ", "[1].")
    delay_s = 0.0
    seen: ClassVar[list[dict]] = []

    def log_message(self, *args):  # keep test output clean
        pass

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        body = json.loads(self.rfile.read(length))
        type(self).seen.append(
            {"path": self.path, "body": body, "auth": self.headers["Authorization"]}
        )
        if body.get("model") == "missing":
            self.send_response(404)
            self.end_headers()
            self.wfile.write(b'{"error": "model not found"}')
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        first = {"choices": [{"index": 0, "delta": {"role": "assistant"}}]}
        self.wfile.write(f"data: {json.dumps(first)}\n\n".encode())
        for i, piece in enumerate(self.pieces):
            time.sleep(self.delay_s)
            if body.get("model") == "drops" and i == 2:
                self.connection.close()  # the server goes away mid-draft
                return
            if body.get("model") == "errs" and i == 2:
                err = {"error": {"message": "model overloaded", "type": "server_error"}}
                self.wfile.write(f"data: {json.dumps(err)}\n\n".encode())
                return
            chunk = {"choices": [{"index": 0, "delta": {"content": piece}}]}
            try:
                self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                self.wfile.flush()
            except (BrokenPipeError, ConnectionResetError):
                return
        last = {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}
        self.wfile.write(f"data: {json.dumps(last)}\n\ndata: [DONE]\n\n".encode())


@pytest.fixture
def sse_server():
    _SSEHandler.seen = []
    _SSEHandler.delay_s = 0.0
    _SSEHandler.pieces = ("Trotsky ", "blamed ", "the ", "bureaucracy ", "[1].")
    server = ThreadingHTTPServer(("127.0.0.1", 0), _SSEHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()
    server.server_close()


def test_openai_backend_streams_from_a_compatible_server(settings, sse_server):
    s = get_settings(
        settings, generator_backend="openai", openai_base_url=sse_server, generator_model="m"
    )
    gen = OpenAIGenerator(s)
    msgs = [{"role": "user", "content": "Why?"}]
    out = list(gen.stream(msgs, 32))
    assert "".join(out) == "Trotsky blamed the bureaucracy [1]."
    req = _SSEHandler.seen[0]
    assert req["path"] == "/v1/chat/completions"
    assert req["body"]["stream"] is True and req["body"]["max_tokens"] == 32
    assert req["body"]["messages"] == msgs
    assert req["auth"] == "Bearer not-needed"


def test_openai_backend_honours_stop_event(settings, sse_server):
    _SSEHandler.pieces = tuple(f"w{i} " for i in range(200))
    _SSEHandler.delay_s = 0.01
    s = get_settings(settings, generator_backend="openai", openai_base_url=sse_server)
    stop = threading.Event()
    out = []
    started = time.perf_counter()
    for piece in OpenAIGenerator(s).stream([{"role": "user", "content": "q"}], 500, stop):
        out.append(piece)
        if len(out) == 5:
            stop.set()
    assert len(out) == 5
    assert time.perf_counter() - started < 1.5


def test_openai_backend_reports_http_errors(settings, sse_server):
    s = get_settings(settings, openai_base_url=sse_server, generator_model="missing")
    with pytest.raises(GeneratorError, match="404"):
        list(OpenAIGenerator(s).stream([{"role": "user", "content": "q"}], 8))


def test_openai_backend_unreachable_server_is_a_clear_error(settings):
    s = get_settings(settings, openai_base_url="http://127.0.0.1:9/v1", generation_timeout_s=2)
    with pytest.raises(GeneratorError, match="cannot reach the generator server"):
        list(OpenAIGenerator(s).stream([{"role": "user", "content": "q"}], 8))


def test_openai_backend_raises_on_a_streamed_error_event(settings, sse_server):
    s = get_settings(settings, openai_base_url=sse_server, generator_model="errs")
    out: list[str] = []
    with pytest.raises(GeneratorError, match="overloaded"):
        out.extend(OpenAIGenerator(s).stream([{"role": "user", "content": "q"}], 8))
    assert out == ["Trotsky ", "blamed "]  # what came before the error, then the error


def test_openai_backend_raises_when_the_connection_drops_mid_stream(settings, sse_server):
    s = get_settings(settings, openai_base_url=sse_server, generator_model="drops")
    with pytest.raises(GeneratorError, match=r"ended before the model finished|cannot reach"):
        list(OpenAIGenerator(s).stream([{"role": "user", "content": "q"}], 8))


def test_openai_backend_stops_at_the_generation_deadline(settings, sse_server):
    _SSEHandler.pieces = tuple(f"w{i} " for i in range(100))
    _SSEHandler.delay_s = 0.05
    s = get_settings(settings, openai_base_url=sse_server, generation_timeout_s=0.5)
    started = time.perf_counter()
    out = list(OpenAIGenerator(s).stream([{"role": "user", "content": "q"}], 500))
    assert 0 < len(out) < 100
    assert time.perf_counter() - started < 2.0


def test_the_api_key_is_secret(settings):
    s = get_settings(settings, openai_api_key="sk-live-123")
    assert "sk-live-123" not in repr(s) and "sk-live-123" not in str(s.model_dump())
    assert s.openai_api_key.get_secret_value() == "sk-live-123"
