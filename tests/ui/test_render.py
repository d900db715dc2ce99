"""Rendering: markers and source cards, author blocks, abstentions, dropped sentences, escaping."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from lookup.library import Library
from rag.answer.types import Answer, AnswerSentence
from ui.render import (
    esc,
    highlight,
    render_answer,
    render_chat,
    render_lookup,
    render_reader,
    render_sources,
    sanitize_model_text,
    source_id,
)
from ui.turn import Turn

# The only markup ui.render writes; anything else in the output came from untrusted text.
ALLOWED_TAGS = {
    "div",
    "span",
    "p",
    "a",
    "mark",
    "section",
    "h3",
    "h4",
    "em",
    "ul",
    "li",
    "ol",
    "b",
    "article",
    "header",
    "cite",
    "code",
    "blockquote",
    "details",
    "summary",
    "input",
    "q",
    "strong",
}


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.problems: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag not in ALLOWED_TAGS:
            self.problems.append(f"tag <{tag}>")
        for name, value in attrs:
            if name.startswith("on") or name in ("src", "style", "srcdoc", "formaction"):
                self.problems.append(f"attribute {name}={value!r}")
            if name == "href" and not (value or "").startswith("#"):
                self.problems.append(f"href={value!r}")


def markup_problems(html: str) -> list[str]:
    parser = _Tags()
    parser.feed(html)
    return parser.problems


def _answer(passages, make_citation, *, authors, dropped=(), **kw) -> Answer:
    picked = [next(p for p in passages if p.author == a and p.kind == "body") for a in authors]
    cits = tuple(make_citation(p, i, (0, 10)) for i, p in enumerate(picked, 1))
    sents = tuple(
        AnswerSentence(
            text=f"Claim {i}.", citations=(i,), support=0.9, supported=True, author=p.author
        )
        for i, p in enumerate(picked, 1)
    )
    return Answer(
        question="q",
        standalone_question="q",
        sentences=sents,
        citations=cits,
        dropped=dropped,
        **kw,
    )


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("", ""),
        ("plain text stays", "plain text stays"),
        ("![x](http://example.invalid/?q=1) after", " after"),
        ("![ref][1] after", " after"),
        ("see [the essay](http://example.invalid)", "see the essay"),
        ("<img src=x onerror=alert(1)>bold", "bold"),
        ("<script>alert(1)</script>", "alert(1)"),
        ("go to https://example.invalid/x now", "go to [link removed] now"),
        ("javascript:alert(1)", "[link removed]"),
        ("bidi \u202eevil\u202c and nul\x00", "bidi evil and nul"),
        ("Сталин — «революция сверху»", "Сталин — «революция сверху»"),
        ("[1]: http://example.invalid/ref", ""),
    ],
)
def test_sanitize_model_text(raw, expected):
    assert sanitize_model_text(raw) == expected


def test_sanitize_giant_text_is_linear_enough():
    big = "word [x](http://e.invalid) " * 20000
    out = sanitize_model_text(big)
    assert "http" not in out and out.count("word") == 20000


@pytest.mark.parametrize(
    ("text", "spans", "expected"),
    [
        ("abc", [], "abc"),
        ("abc", [(1, 2)], "a<mark>b</mark>c"),
        ("abcdef", [(0, 3), (2, 5)], "<mark>abcde</mark>f"),
        ("ab", [(5, 9), (-3, 1)], "<mark>a</mark>b"),
        ("<x>", [(0, 3)], "<mark>&lt;x&gt;</mark>"),
        ("", [(0, 1)], ""),
    ],
)
def test_highlight(text, spans, expected):
    assert highlight(text, spans) == expected


def test_markers_point_at_source_cards(tiny_passages, make_citation):
    answer = _answer(tiny_passages, make_citation, authors=["Ada Example"])
    turns = [Turn("q", answer=answer, done=True)]
    chat, sources = render_chat(turns), render_sources(turns)
    targets = re.findall(r'data-src="([^"]+)"', chat)
    assert targets == [source_id(1, 1)]
    assert f'id="{source_id(1, 1)}"' in sources
    assert "<mark>" in sources and "The Grain Question" in sources and "(1990)" in sources
    assert "example-grain §I ¶1" in sources


def test_comparison_gets_one_block_per_author(tiny_passages, make_citation):
    answer = _answer(tiny_passages, make_citation, authors=["Ada Example", "Ben Sample"])
    html = render_answer(answer, 1)
    assert html.count('class="author-block') == 2
    assert html.index("Ada Example") < html.index("Ben Sample")


def test_single_author_answer_has_a_byline_not_blocks(tiny_passages, make_citation):
    html = render_answer(_answer(tiny_passages, make_citation, authors=["Ben Sample"]), 1)
    assert 'class="author-block' not in html and "byline" in html and "Ben Sample" in html


def test_abstention_is_plainly_worded(tiny_passages, make_citation):
    answer = Answer(
        question="q", standalone_question="q", sentences=(), citations=(), abstained=True
    )
    html = render_answer(answer, 1)
    assert "do not address this question" in html
    custom = Answer(
        question="q",
        standalone_question="q",
        sentences=(),
        citations=(),
        abstained=True,
        message="The essays say nothing about tractors.",
    )
    assert "nothing about tractors" in render_answer(custom, 1)


def test_dropped_sentences_only_on_request_and_marked(tiny_passages, make_citation):
    bad = AnswerSentence(text="Unverified claim.", citations=(1,), support=0.1, supported=False)
    answer = _answer(tiny_passages, make_citation, authors=["Ada Example"], dropped=(bad,))
    assert "Unverified claim" not in render_answer(answer, 1)
    shown = render_answer(answer, 1, show_unverified=True)
    assert "Unverified claim" in shown and "not verified — dropped" in shown


def test_unsupported_sentences_in_the_answer_list_are_never_shown_as_verified(
    tiny_passages, make_citation
):
    answer = _answer(tiny_passages, make_citation, authors=["Ada Example"])
    bad = AnswerSentence(text="Sneaky claim.", citations=(1,), support=0.1, supported=False)
    mixed = Answer(**{**answer.__dict__, "sentences": (*answer.sentences, bad)})
    html = render_answer(mixed, 1)
    assert "Sneaky claim" not in html
    assert "Sneaky claim" in render_answer(mixed, 1, show_unverified=True)


def test_quoted_speaker_is_shown(tiny_passages, make_citation):
    p = next(p for p in tiny_passages if p.anchor == "sample-bureaucracy ¶2")
    answer = Answer(
        question="q",
        standalone_question="q",
        sentences=(AnswerSentence("Nock defined the State.", (1,), 0.9, True, "Ben Sample"),),
        citations=(make_citation(p, 1, (15, 70), "Nock"),),
    )
    assert "Sample, quoting Nock" in render_sources([Turn("q", answer=answer, done=True)])


def test_hostile_passage_and_model_text_render_inert(tiny_passages, make_citation, hostile):
    p = next(p for p in tiny_passages if "Hostile" in p.text)
    assert "<img" in p.text  # the corpus really carries it
    answer = Answer(
        question="<script>alert('q')</script>",
        standalone_question="q",
        sentences=(
            AnswerSentence(
                text="He wrote <img src=x onerror=alert(1)> ![x](http://example.invalid/?q=2).",
                citations=(1,),
                support=0.9,
                supported=True,
                author='Ben Sample"><script>alert(3)</script>',
            ),
        ),
        citations=(make_citation(p, 1, (0, 7), "<b onmouseover=alert(4)>X</b>"),),
        dropped=(AnswerSentence("<svg onload=alert(5)>", (1,), 0.0, False),),
        message="<iframe src=javascript:alert(6)>",
    )
    turns = [Turn(answer.question, answer=answer, done=True), Turn("q2", draft=hostile)]
    for html in (
        render_chat(turns, show_unverified=True),
        render_sources(turns),
        render_lookup(Library(tiny_passages).by_phrase("Hostile text")),
        render_reader(Library(tiny_passages).read("sample-bureaucracy")),
    ):
        assert markup_problems(html) == []
    assert "&lt;img src=x onerror=alert(1)&gt;" in render_sources(turns)
    assert "http://example.invalid" not in render_chat(turns)  # model text: links removed


def test_the_markup_checker_would_catch_injection():
    assert markup_problems("<div><img src=x onerror=alert(1)></div>")
    assert markup_problems('<a href="http://example.invalid">x</a>')


def test_esc_escapes_quotes_for_attributes():
    assert esc('" onmouseover="x') == "&quot; onmouseover=&quot;x"


def test_empty_chat_shows_a_welcome():
    assert "Ask the essays" in render_chat([])
    assert "Sources appear here" in render_sources([])


def test_pending_turn_shows_status_and_labelled_draft():
    html = render_chat([Turn("q", status="Loading the language model…", draft="Half a")])
    assert "Loading the language model" in html and "not yet verified" in html and "Half a" in html
    assert 'data-state="pending"' in html


def test_catalog_authors_get_distinct_colours() -> None:
    from corpus.catalog import load_catalog
    from ui.render import author_class

    names = [a.name for a in load_catalog(verify=False).authors]
    assert len({author_class(n) for n in names}) == len(names)


def _quote(text, author, n, voice="own", speaker=None, flags=("quote",)):
    return AnswerSentence(text, (n,), 1.0, True, author, flags, voice, speaker)


def test_quotes_say_whose_voice_they_give(tiny_passages, make_citation):
    p = next(p for p in tiny_passages if p.kind == "body")
    answer = Answer(
        "q",
        "q",
        (_quote("War made it necessary.", p.author, 1, "rejecting"),),
        (make_citation(p, 1),),
    )
    html = render_answer(answer, 1)
    surname = p.author.split()[-1]
    assert f"{surname}, rejecting a view:" in html
    assert "<q>War made it necessary.</q>" in html


def test_short_answer_leads_and_names_the_author(tiny_passages, make_citation):
    p = next(p for p in tiny_passages if p.kind == "body")
    lead = _quote("twenty million", p.author, 1, flags=("short-answer",))
    answer = Answer(
        "q", "q", (lead, _quote("About twenty million died.", p.author, 1)), (make_citation(p, 1),)
    )
    html = render_answer(answer, 1)
    assert html.index('class="lead"') < html.index("About twenty million died.")
    assert "<strong>twenty million</strong>" in html


def test_two_authors_get_a_compare_view_with_a_column_each(tiny_passages, make_citation):
    body = [p for p in tiny_passages if p.kind == "body"]
    a = body[0]
    b = next(p for p in body if p.author != a.author)
    answer = Answer(
        "q",
        "q",
        (_quote("First view.", a.author, 1), _quote("Second view.", b.author, 2)),
        (make_citation(a, 1), make_citation(b, 2)),
    )
    html = render_answer(answer, 1)
    assert 'class="compare" data-columns="2"' in html
    assert html.count('<section class="author-block') == 2
    # No repeated "Author (Work, year):" prefix inside a block: the block header names them.
    assert f"{a.author} (" not in html


def test_a_rewritten_followup_shows_what_was_searched_for(tiny_passages, make_citation):
    p = next(p for p in tiny_passages if p.kind == "body")
    answer = Answer(
        "And Sample?", "What does Sample say about the grain crisis?",
        (_quote("A sentence.", p.author, 1),), (make_citation(p, 1),),
    )  # fmt: skip
    html = render_chat([Turn("And Sample?", answer=answer, done=True)])
    assert "searched for: What does Sample say about the grain crisis?" in html
    plain = Answer("Why?", "Why?", (_quote("A sentence.", p.author, 1),), (make_citation(p, 1),))
    assert "searched for" not in render_chat([Turn("Why?", answer=plain, done=True)])
