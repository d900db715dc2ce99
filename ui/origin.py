"""An ASGI guard that refuses cross-origin browser requests (CSRF and CORS hardening).

Browsers send ``Origin`` on cross-origin requests (and on same-origin POSTs). A request whose
``Origin`` is not the server's own (scheme-less host:port comparison against ``Host``) — including
the opaque ``null`` origin of sandboxed pages and local files — is answered 403 with no CORS
headers, before the app sees it. Requests without ``Origin`` (scripts, ``gradio_client``, plain
navigation) pass.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

__all__ = ["SameOriginMiddleware", "same_origin"]

_DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}


def _host_port(netloc: str, scheme: str) -> tuple[str, int | None]:
    try:
        parts = urlsplit(f"//{netloc}")
        port = parts.port
    except ValueError:
        return netloc.lower(), None
    return (parts.hostname or "").lower(), port if port is not None else _DEFAULT_PORTS.get(scheme)


def same_origin(origin: str | None, host: str | None, scheme: str = "http") -> bool:
    """Whether ``origin`` (an Origin header) names the same host and port as ``host`` (a Host header).

    Example::

        >>> same_origin("http://127.0.0.1:7860", "127.0.0.1:7860")
        True
        >>> same_origin("https://evil.example", "127.0.0.1:7860"), same_origin("null", "127.0.0.1:7860")
        (False, False)
    """
    if not origin or not host or origin.strip().lower() == "null":
        return False
    try:
        o = urlsplit(origin.strip())
    except ValueError:
        return False
    if o.scheme not in ("http", "https") or not o.netloc:
        return False
    return _host_port(o.netloc, o.scheme) == _host_port(host.strip(), o.scheme)


class SameOriginMiddleware:
    """Refuse (403) HTTP and WebSocket requests whose ``Origin`` is another site's."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope.get("type") not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = {
            k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])
        }
        origin = headers.get("origin")
        if origin is None:
            await self.app(scope, receive, send)
            return
        hosts = [headers.get("host")]
        if headers.get("x-forwarded-host"):
            hosts.append(headers["x-forwarded-host"].split(",")[0].strip())
        if any(same_origin(origin, h) for h in hosts if h):
            await self.app(scope, receive, send)
            return
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
            return
        body = b"cross-origin request refused\n"
        await send(
            {
                "type": "http.response.start",
                "status": 403,
                "headers": [
                    (b"content-type", b"text/plain; charset=utf-8"),
                    (b"content-length", str(len(body)).encode()),
                    (b"vary", b"Origin"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
