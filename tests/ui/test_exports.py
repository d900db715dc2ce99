"""Conversation exports (ui.exports): on demand, per session, deleted after the retention period,
served by token only, and gone when a new chat starts."""

from __future__ import annotations

import asyncio

import pytest

from ui.exports import KEEP_PER_SESSION, ExportRoute, ExportStore
from ui.turn import Turn

TURNS = (Turn("Who wrote about the grain?", notice="Stopped.", done=True),)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def store(tmp_path, clock):
    return ExportStore(tmp_path / "exports", retention_s=600, clock=clock)


def test_each_session_writes_into_its_own_folder(store, tmp_path):
    a = store.get(store.create("session-a", TURNS))
    b = store.get(store.create("session-b", TURNS))
    assert a[0].parent != b[0].parent
    assert a[0].parent.parent == b[0].parent.parent == tmp_path / "exports"
    assert "session-a" not in str(a[0])  # the client's id never names a path
    assert "Who wrote about the grain?" in a[0].read_text(encoding="utf-8")


def test_exports_are_deleted_after_the_retention_period(store, clock):
    token = store.create("s", TURNS)
    path = store.get(token)[0]
    clock.now += 599
    assert store.get(token) is not None
    clock.now += 2
    assert store.get(token) is None and not path.exists()
    assert store.files() == []


def test_a_session_keeps_only_its_latest_exports(store, clock):
    tokens = []
    for _ in range(KEEP_PER_SESSION + 2):
        clock.now += 1
        tokens.append(store.create("s", TURNS))
    assert [store.get(t) is not None for t in tokens] == [False, False] + [True] * KEEP_PER_SESSION
    assert len(store.files()) == KEEP_PER_SESSION


def test_a_new_store_starts_empty(tmp_path, clock):
    first = ExportStore(tmp_path / "exports", 600, clock=clock)
    token = first.create("s", TURNS)
    again = ExportStore(tmp_path / "exports", 600, clock=clock)  # the chat started again
    assert again.files() == [] and again.get(token) is None


@pytest.mark.parametrize("token", ["", "../../etc/passwd", "x" * 32, "A" * 32, "0" * 31])
def test_unknown_or_malformed_tokens_find_nothing(store, token):
    store.create("s", TURNS)
    assert store.get(token) is None


def _get(route, path, method="GET"):
    sent: list[dict] = []

    async def receive():
        return {"type": "http.disconnect"}

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "method": method, "path": path, "headers": []}
    asyncio.run(route(scope, receive, send))
    start = sent[0]
    headers = {k.decode(): v.decode() for k, v in start.get("headers", [])}
    return start["status"], headers, b"".join(m.get("body", b"") for m in sent[1:])


async def _inner(scope, receive, send):
    await send({"type": "http.response.start", "status": 204, "headers": []})
    await send({"type": "http.response.body", "body": b""})


def test_route_serves_a_live_export_as_a_download(store, clock):
    route = ExportRoute(_inner, store=store)
    token = store.create("s", TURNS)
    status, headers, body = _get(route, f"/{store.link(token)}")
    assert status == 200 and b"Who wrote about the grain?" in body
    assert headers["content-type"].startswith("text/markdown")
    assert headers["content-disposition"].startswith('attachment; filename="attest-conversation-')
    assert headers["cache-control"] == "no-store"
    clock.now += 601
    status, _, body = _get(route, f"/{store.link(token)}")
    assert status == 404 and b"kept for about 10 minute(s)" in body
    assert _get(route, "/config")[0] == 204  # everything else passes through


def test_route_asks_for_the_login_when_the_chat_has_one(store):
    route = ExportRoute(_inner, store=store, allowed=lambda scope: False)
    token = store.create("s", TURNS)
    assert _get(route, f"/{store.link(token)}")[0] == 401
