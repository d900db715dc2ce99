"""The server guard (ui.origin.ServerGuard) at the ASGI level: hosts, origins, bodies, uploads.

Each request is driven straight through the guard into a recording inner app, so every check
shows both the answer and whether the app behind the guard saw the request at all.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import pytest

from ui.origin import (
    ServerGuard,
    allowed_host_names,
    is_loopback,
    same_origin,
    split_host,
)

PORT = 7860
HOSTS = allowed_host_names("127.0.0.1", ["attest.lan"])


@dataclass
class Inner:
    """An ASGI app that records each request it sees and the body it could read."""

    seen: list[dict] = field(default_factory=list)

    async def __call__(self, scope, receive, send):
        body = b""
        if scope["type"] == "http":
            while True:
                message = await receive()
                body += message.get("body", b"")
                if not message.get("more_body"):
                    break
            self.seen.append({"path": scope["path"], "body": body})
            await send({"type": "http.response.start", "status": 200, "headers": []})
            await send({"type": "http.response.body", "body": b"ok"})
        else:
            self.seen.append({"path": scope["path"], "body": b""})
            await send({"type": "websocket.accept"})


def drive(guard, *, headers, method="GET", path="/config", body=(b"",), kind="http"):
    """Send one request through ``guard``; returns (status or ws event type, response body)."""
    chunks = list(body)
    sent: list[dict] = []

    async def receive():
        if kind == "websocket":
            return {"type": "websocket.connect"}
        if chunks:
            piece = chunks.pop(0)
            return {"type": "http.request", "body": piece, "more_body": bool(chunks)}
        return {"type": "http.disconnect"}

    async def send(message):
        sent.append(message)

    scope = {
        "type": kind,
        "method": method,
        "path": path,
        "headers": [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()],
    }
    asyncio.run(guard(scope, receive, send))
    if kind == "websocket":
        return sent[0]["type"], sent[0].get("code")
    start = next(m for m in sent if m["type"] == "http.response.start")
    data = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return start["status"], data


@pytest.fixture
def inner():
    return Inner()


@pytest.fixture
def guard(inner):
    return ServerGuard(inner, hosts=HOSTS, max_body=1024)


# --- hosts --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "host", ["127.0.0.1:7860", "localhost:7860", "[::1]:7860", "LOCALHOST", "attest.lan:80"]
)
def test_loopback_configured_and_listed_hosts_pass(guard, inner, host):
    assert drive(guard, headers={"host": host}) == (200, b"ok")
    assert len(inner.seen) == 1


@pytest.mark.parametrize(
    "host",
    [
        "evil.example:7860",
        "127.0.0.1.evil.example:7860",
        "localhost.evil.example",
        "attest.lan.evil.example",
        "",
        "127.0.0.1 :7860",
        "user@127.0.0.1",
    ],
)
def test_any_other_host_is_refused_before_the_app(guard, inner, host):
    status, body = drive(guard, headers={"host": host})
    assert status == 403 and b"allowed_hosts" in body
    assert inner.seen == []


def test_missing_host_is_refused(guard, inner):
    assert drive(guard, headers={})[0] == 403 and inner.seen == []


def test_dns_rebinding_foreign_host_with_matching_origin_is_refused(guard, inner):
    # What a page on evil.example sends once its name re-resolves to 127.0.0.1.
    for path, method in (("/config", "GET"), ("/gradio_api/queue/join", "POST")):
        status, _ = drive(
            guard,
            method=method,
            path=path,
            headers={"host": "evil.example:7860", "origin": "http://evil.example:7860"},
            body=(b'{"data": ["Why?"], "fn_index": 3}',),
        )
        assert status == 403, path
    assert inner.seen == []  # nothing reached Gradio, so nothing was queued


# --- origins ------------------------------------------------------------------------------------


def test_own_origin_passes(guard, inner):
    status, _ = drive(guard, headers={"host": "127.0.0.1:7860", "origin": "http://127.0.0.1:7860"})
    assert status == 200 and len(inner.seen) == 1


@pytest.mark.parametrize(
    "origin",
    [
        "http://127.0.0.1:9999",  # another local app: same name, other port
        "http://127.0.0.1",  # port 80
        "http://localhost:7860",  # another allowed name, but not the one in Host
        "https://evil.example",
        "http://127.0.0.1.evil.example:7860",
        "null",
        "file://",
        "http://127.0.0.1:7860/path",
        "not a url",
    ],
)
def test_foreign_or_mismatched_origin_is_refused(guard, inner, origin):
    status, body = drive(guard, headers={"host": "127.0.0.1:7860", "origin": origin})
    assert (status, body) == (403, b"cross-origin request refused\n")
    assert inner.seen == []


def test_port_is_compared_not_ignored():
    assert same_origin("http://127.0.0.1:7860", "127.0.0.1:7860")
    assert not same_origin("http://127.0.0.1:7861", "127.0.0.1:7860")
    assert not same_origin("http://127.0.0.1", "127.0.0.1:7860")
    assert same_origin("http://127.0.0.1", "127.0.0.1:80")


def test_forwarded_host_counts_only_when_allowed(guard, inner):
    ok = {"host": "127.0.0.1:7860", "origin": "http://attest.lan", "x-forwarded-host": "attest.lan"}
    assert drive(guard, headers=ok)[0] == 200
    bad = {
        "host": "127.0.0.1:7860",
        "origin": "http://evil.example",
        "x-forwarded-host": "evil.example",
    }
    assert drive(guard, headers=bad)[0] == 403
    assert len(inner.seen) == 1


# --- websockets ---------------------------------------------------------------------------------


def test_websocket_with_own_origin_is_accepted(guard, inner):
    event = drive(
        guard,
        kind="websocket",
        path="/gradio_api/ws",
        headers={"host": "127.0.0.1:7860", "origin": "http://127.0.0.1:7860"},
    )
    assert event == ("websocket.accept", None) and len(inner.seen) == 1


@pytest.mark.parametrize(
    "headers",
    [
        {"host": "127.0.0.1:7860", "origin": "https://evil.example"},
        {"host": "127.0.0.1:7860", "origin": "http://127.0.0.1:9999"},
        {"host": "evil.example:7860", "origin": "http://evil.example:7860"},
        {"host": "evil.example:7860"},
    ],
)
def test_websocket_from_elsewhere_is_closed_before_accept(guard, inner, headers):
    event = drive(guard, kind="websocket", path="/gradio_api/ws", headers=headers)
    assert event == ("websocket.close", 1008)  # closing before accept = HTTP 403
    assert inner.seen == []


# --- bodies -------------------------------------------------------------------------------------

HOST = {"host": "127.0.0.1:7860"}


def test_body_over_the_limit_by_content_length_is_refused_unread(guard, inner):
    status, body = drive(
        guard, method="POST", headers={**HOST, "content-length": "60000000"}, body=(b"x",)
    )
    assert status == 413 and b"max_request_bytes" in body and inner.seen == []


def test_chunked_body_over_the_limit_is_refused(guard, inner):
    chunks = [b"x" * 600, b"x" * 600]
    status, _ = drive(
        guard, method="POST", headers={**HOST, "transfer-encoding": "chunked"}, body=chunks
    )
    assert status == 413 and inner.seen == []


def test_body_within_the_limit_reaches_the_app_whole(guard, inner):
    chunks = [b"a" * 500, b"b" * 500]
    status, _ = drive(
        guard, method="POST", headers={**HOST, "transfer-encoding": "chunked"}, body=chunks
    )
    assert status == 200 and inner.seen[0]["body"] == b"a" * 500 + b"b" * 500
    status, _ = drive(guard, method="POST", headers={**HOST, "content-length": "3"}, body=[b"abc"])
    assert status == 200 and inner.seen[1]["body"] == b"abc"


def test_invalid_content_length_is_refused(guard, inner):
    assert drive(guard, method="POST", headers={**HOST, "content-length": "-1"})[0] == 400
    assert inner.seen == []


# --- uploads ------------------------------------------------------------------------------------


def _multipart(filename: str | None) -> tuple[dict, bytes]:
    boundary = "XyZ"
    disposition = 'form-data; name="files"' + (
        f'; filename="{filename}"' if filename is not None else ""
    )
    body = (
        f"--{boundary}\r\nContent-Disposition: {disposition}\r\n"
        f"Content-Type: text/plain\r\n\r\nhello\r\n--{boundary}--\r\n"
    ).encode()
    headers = {
        **HOST,
        "content-type": f"multipart/form-data; boundary={boundary}",
        "content-length": str(len(body)),
    }
    return headers, body


def test_uploads_are_refused_when_no_widget_takes_files(guard, inner):
    headers, body = _multipart("a.txt")
    for path in ("/gradio_api/upload", "/gradio_api//upload/", "/prefix/gradio_api/upload"):
        status, text = drive(guard, method="POST", path=path, headers=headers, body=[body])
        assert status == 403 and b"uploads are off" in text, path
    assert inner.seen == []


@pytest.mark.parametrize("filename", ["", None, "   "])
def test_upload_without_a_file_name_is_a_400_not_a_500(inner, filename):
    guard = ServerGuard(inner, hosts=HOSTS, max_body=1024, uploads=True, max_upload=4096)
    headers, body = _multipart(filename)
    status, text = drive(guard, method="POST", path="/gradio_api/upload", headers=headers,
                         body=[body])  # fmt: skip
    assert status == 400 and b"file name" in text and inner.seen == []


def test_named_upload_within_its_cap_passes_whole(inner):
    guard = ServerGuard(inner, hosts=HOSTS, max_body=1024, uploads=True, max_upload=4096)
    headers, body = _multipart("a.txt")
    status, _ = drive(guard, method="POST", path="/gradio_api/upload", headers=headers,
                      body=[body[:10], body[10:]])  # fmt: skip
    assert status == 200 and inner.seen[0]["body"] == body


def test_upload_over_its_cap_is_refused(inner):
    guard = ServerGuard(inner, hosts=HOSTS, max_body=1024, uploads=True, max_upload=10)
    headers = {**HOST, "content-length": str(10 + 64 * 1024 + 1)}
    status, text = drive(guard, method="POST", path="/gradio_api/upload", headers=headers)
    assert status == 413 and b"max_upload_bytes" in text and inner.seen == []


# --- names --------------------------------------------------------------------------------------


def test_allowed_names():
    assert {"127.0.0.1", "localhost", "::1", "attest.lan"} == set(HOSTS)
    assert "192.168.1.20" in allowed_host_names("192.168.1.20")
    wide = allowed_host_names("0.0.0.0", ["Attest.LAN"])
    import socket

    assert socket.gethostname().lower() in wide and "attest.lan" in wide
    assert "0.0.0.0" not in wide


def test_split_host_and_loopback():
    assert split_host("[::1]:7860") == ("::1", 7860)
    assert split_host("127.0.0.1:99999") is None
    assert is_loopback("127.0.0.2") and is_loopback("::1") and not is_loopback("192.168.1.2")
