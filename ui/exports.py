"""Conversation exports: written only when asked for, per session, deleted after a retention period.

:class:`ExportStore` writes a conversation's Markdown (:mod:`ui.export`) into its session's own
folder under a random token, and hands out a *relative* link, ``attest-export/<token>``, which
:class:`ExportRoute` serves as a download. No response ever carries a server path: the link names
only the token. An export is deleted ``retention_s`` seconds after it was written (swept on every
export and download), each session keeps only its latest few, and the store starts empty, so an
export from an earlier run of the chat can never be downloaded.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import secrets
import shutil
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from ui.export import conversation_markdown
from ui.turn import Turn

__all__ = ["ROUTE", "ExportRoute", "ExportStore"]

ROUTE = "attest-export"
KEEP_PER_SESSION = 3
_TOKEN = re.compile(r"^[0-9a-f]{32}$")


@dataclass(frozen=True)
class _Export:
    path: Path
    session: str
    created: float
    filename: str


class ExportStore:
    """The exports of one running chat, in ``root`` (emptied when the store is created)."""

    def __init__(
        self, root: Path, retention_s: float, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.root = Path(root)
        self.retention_s = float(retention_s)
        self._clock = clock
        self._lock = threading.Lock()
        self._exports: dict[str, _Export] = {}
        if self.root.exists():
            shutil.rmtree(self.root, ignore_errors=True)
        self.root.mkdir(parents=True, exist_ok=True)

    def _folder(self, session: str) -> Path:
        # The session id comes from the client: only its digest names a folder.
        return self.root / hashlib.sha256(session.encode("utf-8", "replace")).hexdigest()[:24]

    def create(self, session: str, turns: Sequence[Turn]) -> str:
        """Write the conversation for ``session``; return its token."""
        self.sweep()
        text = conversation_markdown(turns)
        token = secrets.token_hex(16)
        folder = self._folder(session)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{token}.md"
        path.write_text(text, encoding="utf-8", errors="replace")
        filename = f"attest-conversation-{datetime.now().strftime('%Y%m%d-%H%M%S')}.md"
        with self._lock:
            self._exports[token] = _Export(path, session, self._clock(), filename)
            mine = sorted(
                (t for t, e in self._exports.items() if e.session == session),
                key=lambda t: self._exports[t].created,
            )
            old = [self._exports.pop(t) for t in mine[:-KEEP_PER_SESSION]]
        for e in old:
            e.path.unlink(missing_ok=True)
        return token

    def link(self, token: str) -> str:
        """The relative URL the browser downloads the export from."""
        return f"{ROUTE}/{token}"

    def get(self, token: str) -> tuple[Path, str] | None:
        """``(file, download name)`` of a live export; None when unknown or expired."""
        self.sweep()
        if not _TOKEN.match(token or ""):
            return None
        with self._lock:
            e = self._exports.get(token)
        if e is None or not e.path.is_file():
            return None
        return e.path, e.filename

    def sweep(self) -> int:
        """Delete exports older than the retention period; return how many."""
        now = self._clock()
        with self._lock:
            expired = [t for t, e in self._exports.items() if now - e.created >= self.retention_s]
            gone = [self._exports.pop(t) for t in expired]
        for e in gone:
            e.path.unlink(missing_ok=True)
            with contextlib.suppress(OSError):  # only when the session has no other export
                e.path.parent.rmdir()
        return len(gone)

    def files(self) -> list[Path]:
        """Every export file on disk (for tests and checks)."""
        return sorted(p for p in self.root.rglob("*") if p.is_file())


class ExportRoute:
    """ASGI: serve ``GET /attest-export/<token>`` from an :class:`ExportStore`; pass the rest.

    ``allowed(scope)``, when given, must approve the request (the chat's login): otherwise 401.
    """

    def __init__(
        self,
        app: Any,
        *,
        store: ExportStore,
        allowed: Callable[[dict], bool] | None = None,
    ) -> None:
        self.app = app
        self.store = store
        self.allowed = allowed

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        path = scope.get("path", "") if scope.get("type") == "http" else ""
        prefix = f"/{ROUTE}/"
        if not path.startswith(prefix) or scope.get("method") not in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        if self.allowed is not None and not self.allowed(scope):
            body = b"log in to the chat first\n"
            headers = [(b"content-type", b"text/plain; charset=utf-8")]
            await _respond(send, 401, headers, body, scope)
            return
        found = self.store.get(path[len(prefix) :])
        if found is None:
            minutes = max(1, round(self.store.retention_s / 60))
            body = (
                "This export is not available: exports are kept for about "
                f"{minutes} minute(s) and only by the chat that wrote them. "
                "Export the conversation again.\n"
            ).encode()
            headers = [(b"content-type", b"text/plain; charset=utf-8")]
            await _respond(send, 404, headers, body, scope)
            return
        file, filename = found
        body = file.read_bytes()
        headers = [
            (b"content-type", b"text/markdown; charset=utf-8"),
            (b"content-disposition", f'attachment; filename="{filename}"'.encode()),
            (b"cache-control", b"no-store"),
            (b"x-content-type-options", b"nosniff"),
        ]
        await _respond(send, 200, headers, body, scope)


async def _respond(send: Any, status: int, headers: list, body: bytes, scope: dict) -> None:
    headers = [*headers, (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else body})
