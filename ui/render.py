"""Answers, sources, lookup results and reader pages -> HTML (pure functions, no web framework).

Everything shown comes from untrusted text: the essays (a corpus may be added by anyone) and the
model. Every piece of it goes through :func:`esc` (``html.escape``) before it meets markup, and
model text is first passed through :func:`sanitize_model_text`, which drops images, links, raw
HTML and bare URLs. The only markup in the output is the markup written here.
"""

from __future__ import annotations

import functools
import html
import re
import zlib
from collections.abc import Iterable, Sequence

from corpus.cite import format_citation, locator
from lookup.library import LookupResponse, LookupResult, ReaderPage, WorkRow
from rag.answer.types import Answer, AnswerSentence, Citation
from rag.text.names import surname
from rag.text.voices import voice_phrase
from ui.turn import Turn

__all__ = [
    "citation_text",
    "esc",
    "highlight",
    "render_answer",
    "render_chat",
    "render_lookup",
    "render_reader",
    "render_sources",
    "sanitize_model_text",
    "source_id",
    "split_verified",
]

_MD_IMAGE = re.compile(r"!\[[^\]]*\]\s*(\([^)]*\)|\[[^\]]*\])")
_MD_LINK = re.compile(r"\[([^\]]*)\]\s*\((?:[^)]*)\)")
_MD_REF_DEF = re.compile(r"^\s*\[[^\]]+\]:\s*\S+.*$", re.MULTILINE)
_HTML_TAG = re.compile(r"<[^>]*>|<[a-zA-Z!/?][^<]*$")
_URL = re.compile(r"\b(?:https?|ftp|file|data|javascript):[^\s<>\"']*|\bwww\.[^\s<>\"']+", re.I)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")


def author_class(author: str | None) -> str:
    """A stable colour class for an author (``ac0``..``ac5``), shared by blocks and cards.

    Example::

        >>> author_class("Robert C. Tucker") == author_class("Robert C. Tucker")
        True
    """
    from ui.theme import AUTHOR_COLOURS

    if not author:
        return ""
    known = _catalog_authors()
    # Catalog order gives every author of a small corpus a colour of their own; a hash is only
    # the fallback for names outside it (two of the five authors collide under crc32 % 6).
    slot = known.index(author) if author in known else zlib.crc32(author.encode("utf-8"))
    return f"ac{slot % len(AUTHOR_COLOURS)}"


_COLOUR_SOURCES: list = []  # settings of the apps built in this process (see below)


def use_catalog_colours(settings) -> None:  # type: ignore[no-untyped-def]
    """Give the authors of ``settings``' catalog colours too, following it as texts are added:
    after the configured catalog's authors come those of each app's catalog, in order."""
    _colour_sources()
    if settings not in _COLOUR_SOURCES:
        _COLOUR_SOURCES.append(settings)


def _colour_sources() -> list:
    from corpus.settings import get_settings

    if not _COLOUR_SOURCES:
        _COLOUR_SOURCES.append(get_settings())
    return _COLOUR_SOURCES


def _catalog_authors() -> tuple[str, ...]:
    from corpus.user import corpus_stamp

    _colour_sources()
    names: dict[str, None] = {}
    for settings in tuple(_COLOUR_SOURCES):
        names.update(dict.fromkeys(_authors_of(corpus_stamp(settings), settings)))
    return tuple(names)


@functools.lru_cache(maxsize=16)
def _authors_of(stamp: tuple, settings) -> tuple[str, ...]:  # type: ignore[no-untyped-def]
    from corpus.catalog import load_catalog
    from corpus.errors import AttestError

    del stamp  # cache key only
    try:
        return tuple(a.name for a in load_catalog(settings, verify=False).authors)
    except AttestError:
        return ()


def esc(text: object) -> str:
    """HTML-escape any value (quotes included), so it can only ever be text.

    Example::

        >>> esc('<img src=x onerror="alert(1)">')
        '&lt;img src=x onerror=&quot;alert(1)&quot;&gt;'
    """
    return html.escape(str(text), quote=True)


def sanitize_model_text(text: str) -> str:
    """Strip what model output must never carry into the page: images, links, HTML, URLs.

    Markdown images vanish, a markdown link keeps its label, tags and reference definitions are
    removed, bare URLs become ``[link removed]``, control and bidi-override characters go. The
    result is still plain text and must be escaped before display.

    Example::

        >>> sanitize_model_text("See ![x](http://e.invalid/a.png) [the essay](http://e.invalid) <b>now</b>")
        'See  the essay now'
        >>> sanitize_model_text("visit https://e.invalid/?q=1 today")
        'visit [link removed] today'
    """
    text = _CONTROL.sub("", text)
    text = _MD_IMAGE.sub("", text)
    text = _MD_LINK.sub(r"\1", text)
    text = _MD_REF_DEF.sub("", text)
    text = _HTML_TAG.sub("", text)
    return _URL.sub("[link removed]", text)


def highlight(text: str, spans: Iterable[tuple[int, int]], *, css_class: str = "") -> str:
    """Escape ``text`` and wrap each ``(start, end)`` span in ``<mark>`` (overlaps merged).

    Example::

        >>> highlight("a <b> c", [(2, 5)])
        'a <mark>&lt;b&gt;</mark> c'
    """
    merged: list[list[int]] = []
    for start, end in sorted((max(0, s), min(len(text), e)) for s, e in spans):
        if end <= start:
            continue
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    cls = f' class="{esc(css_class)}"' if css_class else ""
    out, pos = [], 0
    for start, end in merged:
        out.append(esc(text[pos:start]))
        out.append(f"<mark{cls}>{esc(text[start:end])}</mark>")
        pos = end
    out.append(esc(text[pos:]))
    return "".join(out)


def citation_locator(c: Citation) -> str:
    """``§II ¶4`` from a citation's anchor (the anchor minus its work id)."""
    return locator(c.anchor, c.chunk.work_id)


def citation_text(c: Citation) -> str:
    """The full citation of an excerpt: ``Robert C. Tucker, "…" (1977), §II ¶4``."""
    return format_citation(c.author, c.work, c.year, citation_locator(c))


def source_id(turn_no: int, n: int) -> str:
    """The DOM id of source card ``[n]`` of turn ``turn_no`` (what a marker points at)."""
    return f"src-t{turn_no}-{n}"


# --- chat ------------------------------------------------------------------------------------


def render_chat(turns: Sequence[Turn], *, show_unverified: bool = False) -> str:
    """The whole conversation as HTML (a welcome panel when it is empty)."""
    if not turns:
        return _WELCOME
    body = "".join(
        _render_turn(t, i, show_unverified=show_unverified) for i, t in enumerate(turns, 1)
    )
    return f'<div class="attest-chat">{body}</div>'


_WELCOME = (
    '<div class="attest-chat"><div class="welcome">'
    "<h3>Ask the essays</h3>"
    "<p>Five historians and theorists of Stalinism — Ticktin, Gouldner, Trotsky, Rigby and "
    "Tucker. Ask what one of them argues, or how they differ.</p>"
    "<p>Every sentence of an answer is checked against the passage it cites before it is shown. "
    "Click a citation marker to see the passage; sentences that could not be verified are "
    "dropped (the <em>Show dropped sentences</em> switch reveals them, marked as such).</p>"
    "</div></div>"
)


def _render_turn(turn: Turn, turn_no: int, *, show_unverified: bool) -> str:
    q = f'<div class="msg user"><div class="bubble">{esc(turn.question)}</div></div>'
    asked = turn.answer.standalone_question if turn.answer is not None else ""
    if asked and " ".join(asked.split()) != " ".join(turn.question.split()):
        # A follow-up was rewritten into a standalone question: show what was searched for.
        q += f'<div class="searched">searched for: {esc(asked)}</div>'
    parts: list[str] = []
    if turn.answer is not None:
        parts.append(render_answer(turn.answer, turn_no, show_unverified=show_unverified))
    elif turn.pending:
        if turn.status:
            parts.append(
                f'<div class="status" role="status"><span class="spinner"></span>'
                f"{esc(turn.status)}</div>"
            )
        if turn.draft:
            parts.append(
                '<div class="draft"><span class="badge draft-badge">draft — not yet verified</span>'
                f"<p>{esc(sanitize_model_text(turn.draft))}</p></div>"
            )
        if not turn.status and not turn.draft:
            parts.append(
                '<div class="status" role="status"><span class="spinner"></span>'
                "Waiting for the model…</div>"
            )
    if turn.notice:
        kind = "stopped" if turn.stopped else "notice"
        parts.insert(0, f'<div class="{kind}">{esc(turn.notice)}</div>')
    state = "pending" if turn.pending else "done"
    return (
        f'<div class="turn" id="turn-{turn_no}" data-state="{state}">{q}'
        f'<div class="msg bot"><div class="bubble">{"".join(parts)}</div></div></div>'
    )


def _sentence_author(s: AnswerSentence, by_n: dict[int, Citation]) -> str | None:
    if s.author:
        return s.author
    for n in s.citations:
        if n in by_n:
            return by_n[n].author
    return None


def _markers(s: AnswerSentence, by_n: dict[int, Citation], turn_no: int) -> str:
    out = []
    for n in s.citations:
        c = by_n.get(n)
        title = esc(citation_text(c)) if c else ""
        sid = source_id(turn_no, n)
        out.append(
            f'<a class="cite" href="#{sid}" data-src="{sid}" title="{title}" '
            f'role="button">[{int(n)}]</a>'
        )
    return "".join(out)


def _flags(s: AnswerSentence) -> set[str]:
    return {str(f) for f in s.flags}


def _sentence_html(s: AnswerSentence, by_n: dict[int, Citation], turn_no: int) -> str:
    """One sentence: a verbatim quote in quotation marks, led by whose voice it gives when that
    is not the author's own (``Tucker, on Deutscher’s view:``); a drafted sentence as
    written."""
    marks = _markers(s, by_n, turn_no)
    if "quote" in _flags(s):
        phrase = voice_phrase(s.voice, s.speaker, s.author or "") if s.voice else None
        label = f'<span class="voice">{esc(phrase)}:</span> ' if phrase else ""
        kind = esc(str(s.voice or "own"))
        return (
            f'<span class="sent quote v-{kind}">{label}<q>{esc(sanitize_model_text(s.text))}</q>'
            f"{marks}</span>"
        )
    return f'<span class="sent">{esc(sanitize_model_text(s.text))}{marks}</span>'


def _lead_html(s: AnswerSentence, by_n: dict[int, Citation], turn_no: int) -> str:
    """The short answer: the asked-for fact (or who said it), copied, with its source."""
    who = esc(surname(s.author)) if s.author else ""
    return (
        f'<p class="lead"><strong>{esc(sanitize_model_text(s.text))}</strong>'
        f'<span class="lead-who"> — {who}</span>{_markers(s, by_n, turn_no)}</p>'
    )


def _author_blocks(sents: Sequence[AnswerSentence], by_n: dict[int, Citation], turn_no: int) -> str:
    """The sentences grouped by author: one block for one author; for several, a compare view
    with a column per author (stacked on a narrow screen)."""
    groups: dict[str | None, list[AnswerSentence]] = {}
    for s in sents:
        groups.setdefault(_sentence_author(s, by_n), []).append(s)
    if not groups:
        return ""
    if len(groups) == 1:
        ((author, group),) = groups.items()
        works = sorted({by_n[n].work for s in group for n in s.citations if n in by_n})
        byline = ""
        if author:
            text = esc(author) + (f" — {esc('; '.join(works))}" if works else "")
            byline = f'<div class="byline {author_class(author)}">{text}</div>'
        body = " ".join(_sentence_html(s, by_n, turn_no) for s in group)
        return f'{byline}<p class="answer-text">{body}</p>'
    columns = []
    for author, group in groups.items():
        works = sorted({by_n[n].work for s in group for n in s.citations if n in by_n})
        label = esc(author or "Across the essays")
        sub = f'<span class="works">{esc("; ".join(works))}</span>' if works else ""
        body = "".join(f"<p>{_sentence_html(s, by_n, turn_no)}</p>" for s in group)
        columns.append(
            f'<section class="author-block {author_class(author)}"><h4>'
            f'<span class="author">{label}</span>{sub}</h4>{body}</section>'
        )
    return f'<div class="compare" data-columns="{len(columns)}">{"".join(columns)}</div>'


def split_verified(answer: Answer) -> tuple[list[AnswerSentence], list[AnswerSentence]]:
    """(sentences to show as the answer, unverified ones) — only ``supported`` sentences are ever
    shown as the answer, whatever list they arrive in; unverified ones are listed once each."""
    verified = [s for s in answer.sentences if s.supported]
    unverified: list[AnswerSentence] = []
    seen: set[str] = set()
    for s in (*answer.dropped, *(s for s in answer.sentences if not s.supported)):
        key = " ".join(s.text.split())
        if key not in seen:
            seen.add(key)
            unverified.append(s)
    return verified, unverified


def render_answer(answer: Answer, turn_no: int, *, show_unverified: bool = False) -> str:
    """A verified answer: sentences with clickable markers, one block per author when several
    authors speak; abstentions and notices in plain words; dropped sentences only on request."""
    by_n = {c.n: c for c in answer.citations}
    verified, unverified = split_verified(answer)
    parts: list[str] = []
    if answer.abstained or not verified:
        text = answer.message or "The essays in this collection do not address this question."
        parts.append(f'<div class="abstain"><p>{esc(text)}</p>')
        if answer.citations and "closest" not in text.lower():
            parts.append(
                '<p class="hint">The closest passages are listed under Sources; none of them '
                "answers the question.</p>"
            )
        parts.append("</div>")
    else:
        if answer.message:
            parts.append(f'<div class="notice">{esc(answer.message)}</div>')
        leads = [s for s in verified if "short-answer" in _flags(s)]
        further = [s for s in verified if "further" in _flags(s)]
        rest = [s for s in verified if not {"short-answer", "further"} & _flags(s)]
        parts.extend(_lead_html(s, by_n, turn_no) for s in leads)
        parts.append(_author_blocks(rest, by_n, turn_no))
        if further:
            items = "".join(f"<li>{_sentence_html(s, by_n, turn_no)}</li>" for s in further)
            parts.append(
                '<div class="further"><div class="further-title">Also in the passages</div>'
                f"<ul>{items}</ul></div>"
            )
    if show_unverified and unverified:
        items = "".join(
            f'<li><span class="badge dropped-badge">not verified — dropped</span> '
            f"{_sentence_html(s, by_n, turn_no)}"
            + (f' <span class="flags">({esc(", ".join(s.flags))})</span>' if s.flags else "")
            + "</li>"
            for s in unverified
        )
        parts.append(
            '<div class="dropped"><div class="dropped-title">Sentences removed because the cited '
            f"passage does not support them:</div><ul>{items}</ul></div>"
        )
    elif show_unverified:
        parts.append('<div class="dropped none">No sentence was dropped.</div>')
    meta = [answer.mode]
    if answer.model:
        meta.append(answer.model)
    total = answer.timings.get("total_s", answer.timings.get("total"))
    if total is not None:
        meta.append(f"{total:.1f} s")
    parts.append(f'<div class="meta">{esc(" · ".join(meta))}</div>')
    return f'<div class="answer" data-mode="{esc(answer.mode)}">{"".join(parts)}</div>'


# --- sources ---------------------------------------------------------------------------------


def render_source_card(c: Citation, turn_no: int) -> str:
    """One excerpt card: number, author, work, year, section and anchor, highlighted excerpt."""
    spans = [c.supporting_span] if c.supporting_span else []
    excerpt = highlight(c.excerpt, spans)
    year = f" ({int(c.year)})" if c.year is not None else ""
    voice = "quoting" if c.quoted_speaker and str(c.voice) == "own" else c.voice
    phrase = voice_phrase(voice, c.speaker or c.quoted_speaker, c.author)
    quoting = f'<div class="quoting voice">{esc(phrase)}</div>' if phrase else ""
    section = _heading(c.chunk.section)
    if section and f"§{section} " in f"{citation_locator(c)} ":
        section = ""  # a bare numeral already shown by the anchor
    return (
        f'<article class="src-card {author_class(c.author)}" id="{source_id(turn_no, c.n)}" '
        f'tabindex="-1">'
        f'<header><span class="num">{int(c.n)}</span>'
        f'<span class="who"><span class="author">{esc(c.author)}</span>'
        f'<span class="work"><cite>{esc(c.work)}</cite>{esc(year)}</span></span></header>'
        f'<div class="where"><span class="section">{esc(section)}</span>'
        f'<code class="anchor">{esc(c.anchor)}</code></div>'
        f"{quoting}<blockquote>{excerpt}</blockquote>"
        f'<div class="cite-line">{esc(citation_text(c))}</div></article>'
    )


def render_sources(turns: Sequence[Turn]) -> str:
    """The sources column: cards of the latest answer first, earlier answers folded below."""
    answered = [(i, t) for i, t in enumerate(turns, 1) if t.answer and t.answer.citations]
    if not answered:
        return (
            '<div class="attest-sources"><div class="empty">Sources appear here: one card per '
            "cited passage, with its author, work and paragraph.</div></div>"
        )
    blocks = []
    for rank, (i, t) in enumerate(reversed(answered)):
        assert t.answer is not None
        label = "Closest passages" if t.answer.abstained else "Sources"
        cards = "".join(render_source_card(c, i) for c in t.answer.citations)
        head = f"{label} — {esc(_shorten(t.question, 90))}"
        opened = " open" if rank == 0 else ""
        blocks.append(
            f'<details class="src-group" data-turn="{i}"{opened}><summary>{head}</summary>'
            f"{cards}</details>"
        )
    return f'<div class="attest-sources">{"".join(blocks)}</div>'


def _heading(section: str) -> str:
    # Headings set in capitals in the source read better in title case on a card.
    section = " ".join(section.split())
    return section.title() if section.isupper() and len(section) > 3 else section


def _shorten(text: str, n: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


# --- lookup and reader -----------------------------------------------------------------------


def _passage_block(label: str, text: str, cls: str) -> str:
    return f'<div class="{cls}"><div class="ctx-label">{esc(label)}</div><p>{esc(text)}</p></div>'


def render_lookup_result(r: LookupResult, k: int) -> str:
    p = r.passage
    parts = [
        f'<article class="lookup-card {author_class(p.author)}" data-anchor="{esc(p.anchor)}">',
        f'<header><span class="num">{k}</span><span class="who"><span class="author">'
        f'{esc(p.author)}</span><span class="work"><cite>{esc(p.title)}</cite>'
        f"{esc(f' ({p.year})' if p.year is not None else '')}</span></span>"
        f'<code class="anchor">{esc(p.anchor)}</code></header>',
    ]
    if r.previous is not None:
        parts.append(_passage_block(f"before — {r.previous.anchor}", r.previous.text, "ctx prev"))
    match_note = "" if r.exact else ' <span class="badge">words match, punctuation differs</span>'
    parts.append(
        f'<div class="ctx hit"><div class="ctx-label">{esc(p.anchor)}{match_note}</div>'
        f"<p>{highlight(p.text, r.spans)}</p></div>"
    )
    if r.next is not None:
        parts.append(_passage_block(f"after — {r.next.anchor}", r.next.text, "ctx next"))
    if r.footnotes:
        notes = "".join(
            f"<li><b>{esc(n.note_no if n.note_no is not None else '')}</b> {esc(n.text)}</li>"
            for n in r.footnotes
        )
        parts.append(
            f'<div class="footnotes"><div class="ctx-label">Notes</div><ol>{notes}</ol></div>'
        )
    parts.append(
        f'<div class="cite-copy"><span class="ctx-label">Cite as</span>'
        f'<input class="cite-input" readonly value="{esc(r.citation)}" '
        f'aria-label="citation"></div>'
    )
    parts.append("</article>")
    return "".join(parts)


def render_lookup(response: LookupResponse) -> str:
    """Lookup results: each passage with its neighbours, notes and a copyable citation."""
    head = ""
    if response.results:
        n = len(response.results)
        how = {"phrase": "exact phrase", "keyword": "keywords", "anchor": "anchor"}[response.how]
        head = f'<div class="lookup-head">{n} result{"s" if n != 1 else ""} by {esc(how)}</div>'
    note = f'<div class="notice">{esc(response.message)}</div>' if response.message else ""
    cards = "".join(render_lookup_result(r, k) for k, r in enumerate(response.results, 1))
    if not response.results and not response.message:
        note = '<div class="notice">Nothing found.</div>'
    return f'<div class="attest-lookup">{head}{note}{cards}</div>'


def render_reader(page: ReaderPage) -> str:
    """A page of a work, paragraph by paragraph, each with its anchor."""
    w: WorkRow = page.work
    year = f" ({w.year})" if w.year is not None else ""
    rows = []
    section = None
    for p, cite in zip(page.passages, page.citations, strict=True):
        kind = "note" if p.kind == "footnote" else "para"
        if p.kind == "body" and p.section and p.section != section:
            rows.append(f'<h4 class="reader-section">{esc(_heading(p.section))}</h4>')
        if p.kind == "body":
            section = p.section
        rows.append(
            f'<div class="reader-{kind}" id="read-{esc(p.anchor)}">'
            f'<div class="ctx-label"><code class="anchor">{esc(p.anchor)}</code></div>'
            f'<p>{esc(p.text)}</p><div class="cite-line">{esc(cite)}</div></div>'
        )
    pos = f"Passages {page.start + 1}–{page.end} of {page.total}" if page.total else "No passages"
    return (
        f'<div class="attest-reader"><header><span class="author">{esc(w.author)}</span> '
        f"<cite>{esc(w.title)}</cite>{esc(year)}<div class='pos'>{esc(pos)}</div></header>"
        f"{''.join(rows)}</div>"
    )
