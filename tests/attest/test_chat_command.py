"""`attest chat`: started for real by the CLI over a tiny corpus (fake embedder, no model).

Listening "beyond loopback" is exercised without ever listening beyond loopback: Gradio's
server start is wrapped so that a request for 0.0.0.0 is recorded and then bound to
127.0.0.1. Everything above it — the login check, the banner, the host guard, Gradio's auth —
runs as it would on a LAN.
"""

from __future__ import annotations

import socket

import httpx
import pytest

from attest.cli import main
from corpus.testing import write_tiny_corpus
from embeddings.fake import FakeEmbedder

PASSWORD = "correct-horse-battery"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def chat(tmp_path, monkeypatch, capsys):
    """Run `attest chat ARGS`; returns (exit code, stdout, stderr, demo or None, bound host)."""
    import gradio
    import gradio.http_server

    import embeddings
    import embeddings.factory

    emb = FakeEmbedder(dim=32)
    monkeypatch.setattr(embeddings.factory, "get_embedder", lambda settings=None: emb)
    monkeypatch.setattr(embeddings, "get_embedder", lambda settings=None: emb)
    monkeypatch.setenv("ATTEST_GENERATOR_BACKEND", "fake")
    monkeypatch.setenv("GRADIO_TEMP_DIR", str(tmp_path / "gradio"))
    monkeypatch.delenv("ATTEST_AUTH", raising=False)
    monkeypatch.chdir(tmp_path)
    corpus = write_tiny_corpus(tmp_path / "corpus")
    started: dict = {}
    real_start = gradio.http_server.start_server

    def start_on_loopback(app, server_name=None, server_port=None, **kw):
        started["requested"] = server_name
        return real_start(app, server_name="127.0.0.1", server_port=server_port, **kw)

    def no_block(self):
        started["demo"] = self

    monkeypatch.setattr(gradio.http_server, "start_server", start_on_loopback)
    monkeypatch.setattr(gradio.Blocks, "block_thread", no_block)
    demos = []

    def run(*args: str):
        port = _free_port()
        rc = main(
            ["--corpus", str(corpus), "--data-dir", str(tmp_path / "data"), "chat",
             "--port", str(port), *args]
        )  # fmt: skip
        out = capsys.readouterr()
        demo = started.pop("demo", None)
        if demo is not None:
            demos.append(demo)
        return rc, out.out, out.err, demo, started.pop("requested", None), port

    yield run
    from rag.retrieval.store import clear_index_cache

    for demo in demos:
        demo.close()
    clear_index_cache()


@pytest.mark.slow
def test_chat_on_loopback_starts_without_login(chat):
    rc, out, _err, demo, requested, port = chat()
    assert rc == 0 and demo is not None and requested == "127.0.0.1"
    assert f"chat: serving on http://127.0.0.1:{port}/ (this machine only)" in out
    assert "WARNING" not in out
    assert httpx.get(f"http://127.0.0.1:{port}/config").status_code == 200


@pytest.mark.slow
def test_chat_on_the_lan_with_a_login_starts_and_asks_for_it(chat, monkeypatch):
    from ui.app import public_url

    monkeypatch.setenv("ATTEST_AUTH", f"reader:{PASSWORD}")
    rc, out, err, demo, requested, port = chat("--host", "0.0.0.0")
    assert demo is not None
    assert rc == 0, err
    assert requested == "0.0.0.0"
    url = public_url("0.0.0.0", port)
    assert not url.startswith("http://0.0.0.0") and "localhost" not in url
    assert f"chat: serving on {url}" in out  # the real URL, not Gradio's "localhost"
    assert "WARNING: listening on 0.0.0.0" in out and "login required (user 'reader')" in out
    assert PASSWORD not in out + err
    base = f"http://127.0.0.1:{port}/"
    assert httpx.get(base + "config").status_code == 401
    client = httpx.Client()
    assert client.post(base + "login", data={"username": "reader", "password": "x"}).is_error
    ok = client.post(base + "login", data={"username": "reader", "password": PASSWORD})
    assert ok.status_code == 200
    assert client.get(base + "config").status_code == 200


@pytest.mark.slow
def test_chat_on_the_lan_with_no_auth_starts_with_a_warning(chat):
    rc, out, _err, demo, requested, port = chat("--host", "0.0.0.0", "--no-auth")
    assert rc == 0 and demo is not None and requested == "0.0.0.0"
    assert "WARNING: listening on 0.0.0.0 with NO login (--no-auth)" in out
    assert httpx.get(f"http://127.0.0.1:{port}/config").status_code == 200


def test_chat_on_the_lan_without_a_login_refuses_to_start(chat):
    rc, out, err, demo, requested, _port = chat("--host", "0.0.0.0")
    assert rc == 2 and demo is None and requested is None  # nothing was started
    assert out == ""
    assert err.startswith("attest: error: serving on 0.0.0.0 makes the chat reachable")
    assert "ATTEST_AUTH='user:password'" in err and "--no-auth" in err


def test_a_malformed_login_is_refused_without_repeating_it(chat, monkeypatch):
    monkeypatch.setenv("ATTEST_AUTH", "reader-without-a-password")
    rc, _out, err, demo, _requested, _port = chat("--host", "0.0.0.0")
    assert rc == 2 and demo is None
    assert "must be 'user:password'" in err and "reader-without-a-password" not in err
