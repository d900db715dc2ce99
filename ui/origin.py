"""The chat server's outermost guard: allowed hosts, same origin, request-body and upload limits.

Every HTTP and WebSocket request passes :class:`ServerGuard` before Gradio sees it:

1. **Host allow-list** (DNS rebinding). ``Host`` must name an allowed host: the loopback names
   (``127.0.0.1``, ``localhost``, ``::1``), the configured ``host`` and the names in the setting
   ``allowed_hosts`` (see :func:`allowed_host_names`). A page on ``evil.example`` whose name
   re-resolves to 127.0.0.1 sends ``Host: evil.example`` and is refused (403), whatever its
   ``Origin`` says.
2. **Same origin** (CSRF, CORS). A request with an ``Origin`` — browsers send it on cross-origin
   requests, on same-origin POSTs and on WebSockets — passes only when that origin names an
   allowed host *and* the same host and port as ``Host`` (or an allowed ``X-Forwarded-Host``).
   The opaque ``null`` origin of sandboxed pages and local files is refused. Requests without
   ``Origin`` (scripts, ``gradio_client``, plain navigation) pass this step.
3. **Body limit.** A body larger than its limit (``max_request_bytes``; ``max_upload_bytes`` plus
   the multipart envelope for uploads) is answered 413 before anything reads it: by its
   ``Content-Length`` at once, or, for a chunked body, as soon as the bytes received pass it.
4. **Uploads** (``/gradio_api/upload``) are refused (403) unless the app has a widget that takes
   files; then each file part must carry a file name (400 otherwise, instead of Gradio's 500).

Refusals are short plain-text messages that never repeat the request.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Awaitable, Callable, Iterable
from typing import Any
from urllib.parse import urlsplit

__all__ = [
    "LOOPBACK_NAMES",
    "ServerGuard",
    "allowed_host_names",
    "is_loopback",
    "primary_address",
    "same_origin",
    "split_host",
]

LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1")
WILDCARDS = ("0.0.0.0", "::", "")
MULTIPART_ENVELOPE = 64 * 1024  # boundaries and part headers around an uploaded file
_DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}
_UPLOAD_PATH = re.compile(r"(?:^|/)gradio_api/upload$")

HOST_REFUSED = (
    b"this server answers only to its own host names; add this name to the setting "
    b"allowed_hosts to allow it\n"
)
ORIGIN_REFUSED = b"cross-origin request refused\n"
UPLOADS_OFF = b"uploads are off: no part of this app takes files\n"
UPLOAD_NEEDS_NAME = b"every uploaded file needs a file name\n"


def _bare(name: str) -> str:
    name = name.strip().lower().rstrip(".")
    return name[1:-1] if name.startswith("[") and name.endswith("]") else name


def split_host(value: str | None, scheme: str = "http") -> tuple[str, int | None] | None:
    """``(name, port)`` of a ``Host`` header or an origin's netloc; None when it cannot be parsed.

    The port is the scheme's default when absent; names are lower-cased without IPv6 brackets.

    Example::

        >>> split_host("LocalHost:7860"), split_host("[::1]:80"), split_host("example.org")
        (('localhost', 7860), ('::1', 80), ('example.org', 80))
        >>> split_host("a b:1") is None, split_host("x:port") is None
        (True, True)
    """
    if value is None:
        return None
    value = value.strip()
    if not value or any(c.isspace() or c in "/?#@\\" for c in value):
        return None
    try:
        parts = urlsplit(f"//{value}")
        port = parts.port
    except ValueError:
        return None
    name = parts.hostname
    if not name:
        return None
    return _bare(name), port if port is not None else _DEFAULT_PORTS.get(scheme)


def is_loopback(host: str) -> bool:
    """Whether ``host`` names this machine only (``localhost``, 127.0.0.0/8, ``::1``).

    Example::

        >>> is_loopback("127.0.0.1"), is_loopback("localhost"), is_loopback("0.0.0.0")
        (True, True, False)
    """
    name = _bare(host)
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def primary_address() -> str | None:
    """The address of the interface this machine reaches other networks by (None if none).

    Connecting a UDP socket sends nothing; it only picks the outgoing interface.
    """
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect(("192.0.2.1", 9))
            return str(probe.getsockname()[0])
    except OSError:
        return None


def _own_names() -> set[str]:
    """This machine's host name and addresses (no network traffic; best effort)."""
    names: set[str] = set()
    try:
        hostname = socket.gethostname()
        names |= {hostname, socket.getfqdn()}
        for info in socket.getaddrinfo(hostname, None):
            names.add(str(info[4][0]))
    except OSError:
        pass
    names.add(primary_address() or "")
    return {_bare(n) for n in names if n}


def allowed_host_names(host: str, extra: Iterable[str] = ()) -> frozenset[str]:
    """The names a request's ``Host`` may carry for a server bound to ``host``.

    Loopback names, ``host`` itself and ``extra`` (the setting ``allowed_hosts``); a wildcard
    bind (``0.0.0.0``, ``::``) adds this machine's own host name and addresses, so the chat is
    reachable at its LAN address without listing it.

    Example::

        >>> sorted(allowed_host_names("127.0.0.1", ["attest.lan"]))
        ['127.0.0.1', '::1', 'attest.lan', 'localhost']
    """
    names = {*LOOPBACK_NAMES, *(_bare(n) for n in extra)}
    bare = _bare(host)
    if bare in WILDCARDS:
        names |= _own_names()
    else:
        names.add(bare)
    return frozenset(n for n in names if n and n not in WILDCARDS)


def same_origin(origin: str | None, host: str | None, scheme: str = "http") -> bool:
    """Whether ``origin`` (an Origin header) names the same host and port as ``host`` (a Host header).

    Example::

        >>> same_origin("http://127.0.0.1:7860", "127.0.0.1:7860")
        True
        >>> same_origin("http://127.0.0.1:9999", "127.0.0.1:7860")
        False
        >>> same_origin("https://evil.example", "127.0.0.1:7860"), same_origin("null", "127.0.0.1:7860")
        (False, False)
    """
    if not origin or not host or origin.strip().lower() == "null":
        return False
    try:
        o = urlsplit(origin.strip())
    except ValueError:
        return False
    if o.scheme not in ("http", "https") or not o.netloc or o.path not in ("", "/"):
        return False
    mine = split_host(o.netloc, o.scheme)
    return mine is not None and mine == split_host(host, o.scheme)


Receive = Callable[[], Awaitable[dict]]
Send = Callable[[dict], Awaitable[None]]


class ServerGuard:
    """Refuse what the chat must never process (see the module docstring); pass the rest.

    ``hosts``: the allowed host names (:func:`allowed_host_names`); ``max_body``: the largest
    request body in bytes; ``uploads``: whether any widget takes files; ``max_upload``: the
    largest uploaded file (the body may add :data:`MULTIPART_ENVELOPE`).
    """

    def __init__(
        self,
        app: Any,
        *,
        hosts: Iterable[str],
        max_body: int,
        uploads: bool = False,
        max_upload: int = 1_000_000,
    ) -> None:
        self.app = app
        self.hosts = frozenset(_bare(h) for h in hosts)
        self.max_body = max_body
        self.uploads = uploads
        self.max_upload_body = max_upload + MULTIPART_ENVELOPE

    async def __call__(self, scope: dict, receive: Receive, send: Send) -> None:
        kind = scope.get("type")
        if kind not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers: dict[str, str] = {}
        for k, v in scope.get("headers", []):
            headers.setdefault(k.decode("latin-1").lower(), v.decode("latin-1"))
        refusal = self._check_host_and_origin(headers)
        if refusal is not None:
            await _refuse(scope, send, 403, refusal)
            return
        if kind == "websocket":
            await self.app(scope, receive, send)
            return
        path = re.sub(r"/+", "/", scope.get("path", "")).rstrip("/")
        upload = scope.get("method") == "POST" and bool(_UPLOAD_PATH.search(path))
        if upload and not self.uploads:
            await _refuse(scope, send, 403, UPLOADS_OFF)
            return
        limit = self.max_upload_body if upload else self.max_body
        size = headers.get("content-length")
        if size is not None:
            if not size.strip().isdigit():
                await _refuse(scope, send, 400, b"invalid Content-Length\n")
                return
            if int(size) > limit:
                await _refuse(scope, send, 413, _too_large(limit, upload))
                return
        if upload or (size is None and "transfer-encoding" in headers):
            body, too_large = await _read_body(receive, limit)
            if too_large:
                await _refuse(scope, send, 413, _too_large(limit, upload))
                return
            if upload and not await _files_are_named(scope, body):
                await _refuse(scope, send, 400, UPLOAD_NEEDS_NAME)
                return
            receive = _replay(body, receive)
        await self.app(scope, receive, send)

    def _check_host_and_origin(self, headers: dict[str, str]) -> bytes | None:
        host = split_host(headers.get("host"))
        if host is None or host[0] not in self.hosts:
            return HOST_REFUSED
        origin = headers.get("origin")
        if origin is None:
            return None
        targets = [headers["host"]]
        forwarded = headers.get("x-forwarded-host", "").split(",")[0].strip()
        if forwarded and (f := split_host(forwarded)) is not None and f[0] in self.hosts:
            targets.append(forwarded)
        try:
            origin_host = split_host(urlsplit(origin.strip()).netloc)
        except ValueError:
            origin_host = None
        if origin_host is None or origin_host[0] not in self.hosts:
            return ORIGIN_REFUSED
        if not any(same_origin(origin, t) for t in targets):
            return ORIGIN_REFUSED
        return None


def _too_large(limit: int, upload: bool) -> bytes:
    setting = "max_upload_bytes" if upload else "max_request_bytes"
    return f"request body too large: the limit is {limit:,} bytes ({setting})\n".encode()


async def _read_body(receive: Receive, limit: int) -> tuple[list[dict], bool]:
    """The request's body messages, up to ``limit`` bytes; ``True`` when it is larger."""
    messages: list[dict] = []
    total = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            messages.append(message)
            return messages, False
        total += len(message.get("body", b""))
        if total > limit:
            return messages, True
        messages.append(message)
        if not message.get("more_body", False):
            return messages, False


def _replay(messages: list[dict], receive: Receive) -> Receive:
    pending = list(messages)

    async def replay() -> dict:
        if pending:
            return pending.pop(0)
        return await receive()

    return replay


async def _files_are_named(scope: dict, body: list[dict]) -> bool:
    """Whether every part of a multipart upload that carries data names its file."""
    from starlette.datastructures import UploadFile
    from starlette.requests import Request

    async def nothing_more() -> dict:
        return {"type": "http.disconnect"}

    request = Request(scope, _replay(body, nothing_more))
    try:
        form = await request.form(max_files=1000, max_fields=1000)
    except Exception:  # not multipart, or malformed: Gradio answers those with a 400 itself
        return True
    try:
        values = form.getlist("files")
        return all(isinstance(v, UploadFile) and (v.filename or "").strip() for v in values)
    finally:
        await form.close()


async def _refuse(scope: dict, send: Send, status: int, body: bytes) -> None:
    if scope["type"] == "websocket":
        # Closing before accepting makes the server answer the handshake with 403.
        await send({"type": "websocket.close", "code": 1008})
        return
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
                (b"vary", b"Origin"),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
