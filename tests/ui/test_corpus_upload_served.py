"""The served chat with the Corpus tab's Add form: uploads are taken, within max_upload_bytes."""

from __future__ import annotations

import httpx
import pytest

pytestmark = pytest.mark.slow


def test_uploads_are_taken_within_the_cap_and_refused_over_it(tmp_path, serve_app):
    app = serve_app(tmp_path, max_upload_bytes=10_000)
    temp = app.settings.data_dir / "chat-tmp"
    r = httpx.post(app.url + "gradio_api/upload", files={"files": ("e.txt", b"text", "text/plain")})
    assert r.status_code == 200, r.text
    (stored,) = r.json()
    assert str(temp.resolve()) in stored  # inside the chat's own temp folder
    big = b"x" * (app.settings.max_upload_bytes + 1)
    r = httpx.post(app.url + "gradio_api/upload", files={"files": ("big.txt", big, "text/plain")})
    assert r.status_code == 413


def test_no_uploads_where_edits_are_off(tmp_path, serve_app):
    app = serve_app(tmp_path, chat_corpus_edits="off")
    r = httpx.post(app.url + "gradio_api/upload", files={"files": ("e.txt", b"text", "text/plain")})
    assert r.status_code == 403
