"""A conversation -> Markdown: each answer with its markers, then the quoted excerpts, fully cited.

The file is meant to be read as Markdown, so untrusted text (excerpts, model sentences) is made
inert: model text is sanitised (no images, links, HTML) and every Markdown/HTML metacharacter in
any shown text is backslash-escaped, so a passage holding ``![x](http://…)`` stays text.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from rag.answer.types import Answer, AnswerSentence, Citation
from ui.edge import utf8_safe
from ui.render import citation_text, sanitize_model_text, split_verified
from ui.turn import Turn

__all__ = ["conversation_markdown", "md_escape", "write_conversation"]

# Enough to keep text literal: no emphasis, code, link/image brackets, HTML or tables.
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>!|~])")


def md_escape(text: str) -> str:
    """Backslash-escape Markdown/HTML metacharacters so the text renders exactly as written.

    Example::

        >>> md_escape("![x](http://e.invalid) <b>")
        '\\\\!\\\\[x\\\\](http://e.invalid) \\\\<b\\\\>'
    """
    return _MD_SPECIAL.sub(r"\\\1", text)


def _sentence(s: AnswerSentence) -> str:
    marks = "".join(f"[{int(n)}]" for n in s.citations)
    return md_escape(sanitize_model_text(s.text)).strip() + (f" {marks}" if marks else "")


def _author_of(s: AnswerSentence, by_n: dict[int, Citation]) -> str | None:
    if s.author:
        return s.author
    return next((by_n[n].author for n in s.citations if n in by_n), None)


def _answer_md(answer: Answer) -> list[str]:
    by_n = {c.n: c for c in answer.citations}
    verified, _ = split_verified(answer)
    lines: list[str] = []
    if answer.abstained or not verified:
        text = answer.message or "The essays in this collection do not address this question."
        lines += [f"*{md_escape(text)}*", ""]
    else:
        if answer.message:
            lines += [f"*{md_escape(answer.message)}*", ""]
        groups: dict[str | None, list[AnswerSentence]] = {}
        for s in verified:
            groups.setdefault(_author_of(s, by_n), []).append(s)
        for author, sents in groups.items():
            if len(groups) > 1:
                lines += [f"**{md_escape(author or 'Across the essays')}:**", ""]
            lines += [" ".join(_sentence(s) for s in sents), ""]
    if answer.citations:
        lines += ["Closest passages:" if answer.abstained else "Sources:", ""]
        for c in answer.citations:
            quoting = f" (quoting {md_escape(c.quoted_speaker)})" if c.quoted_speaker else ""
            excerpt = " ".join(c.excerpt.split())
            lines.append(f"> **[{int(c.n)}]** “{md_escape(excerpt)}”")
            lines.append(f"> — {md_escape(citation_text(c))}{quoting}")
            lines.append("")
    return lines


def conversation_markdown(turns: Sequence[Turn], *, exported_at: datetime | None = None) -> str:
    """The whole conversation as Markdown (unanswered and stopped turns say so), safe for UTF-8.

    Example::

        >>> from ui.turn import Turn
        >>> print(conversation_markdown([Turn("Who?", notice="Stopped.", done=True)]).splitlines()[4])
        ## 1. Who?
    """
    when = (exported_at or datetime.now()).strftime("%Y-%m-%d %H:%M")
    lines = [
        "# attest — conversation",
        "",
        f"Exported {when}. Every sentence below was verified against the excerpt it cites.",
        "",
    ]
    for i, t in enumerate(turns, 1):
        lines += [f"## {i}. {md_escape(' '.join(t.question.split()))}", ""]
        if t.answer is not None:
            lines += _answer_md(t.answer)
        elif t.notice:
            lines += [f"*{md_escape(t.notice)}*", ""]
        else:
            lines += ["*No answer yet.*", ""]
    return utf8_safe("\n".join(lines).rstrip() + "\n")


def write_conversation(turns: Sequence[Turn], directory: Path) -> Path:
    """Write the conversation's Markdown into ``directory`` and return the file's path."""
    directory.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    path = directory / f"attest-conversation-{stamp}.md"
    path.write_text(conversation_markdown(turns), encoding="utf-8", errors="replace")
    return path
