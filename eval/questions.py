"""The evaluation question set (JSON lines, one question per line)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from corpus.errors import InputError

KINDS = ("factual", "author_view", "attribution", "comparative", "quoted_speaker", "unanswerable")


class QuestionFileError(InputError):
    """A question file that does not follow the schema; the message names the line."""


@dataclass(frozen=True)
class Question:
    """One evaluation question with its reference answer and verbatim gold evidence.

    ``evidence`` holds ``(file, quote)`` pairs: ``quote`` is copied verbatim from the raw text
    file ``file`` (a file name of the corpus). Unanswerable questions have no evidence.
    """

    id: str
    question: str
    kind: str
    answer: str
    authors: tuple[str, ...] = ()
    evidence: tuple[tuple[str, str], ...] = ()

    @property
    def answerable(self) -> bool:
        return self.kind != "unanswerable" and bool(self.evidence)


def _str(d: dict[str, Any], key: str, where: str) -> str:
    v = d.get(key)
    if not isinstance(v, str) or not v.strip():
        raise QuestionFileError(f"{where}: field {key!r} must be a non-empty string")
    return v


def parse_question(d: Any, where: str) -> Question:
    """One question from its decoded JSON object; ``where`` ("file:line") prefixes errors.

    Example::

        >>> parse_question({"id": "q1", "question": "Who?", "kind": "unanswerable",
        ...                 "answer": "-", "authors": [], "evidence": []}, "x:1").kind
        'unanswerable'
    """
    if not isinstance(d, dict):
        raise QuestionFileError(f"{where}: expected a JSON object, got {type(d).__name__}")
    kind = _str(d, "kind", where)
    if kind not in KINDS:
        raise QuestionFileError(f"{where}: kind {kind!r} is not one of {', '.join(KINDS)}")
    authors = d.get("authors", [])
    if not isinstance(authors, list) or not all(isinstance(a, str) for a in authors):
        raise QuestionFileError(f"{where}: 'authors' must be a list of names")
    evidence = d.get("evidence", [])
    if not isinstance(evidence, list):
        raise QuestionFileError(f"{where}: 'evidence' must be a list of {{file, quote}} objects")
    pairs: list[tuple[str, str]] = []
    for j, e in enumerate(evidence):
        if not isinstance(e, dict):
            raise QuestionFileError(f"{where}: evidence #{j + 1} must be a {{file, quote}} object")
        pairs.append(
            (
                _str(e, "file", f"{where} evidence #{j + 1}"),
                _str(e, "quote", f"{where} evidence #{j + 1}"),
            )
        )
    if kind != "unanswerable" and not pairs:
        raise QuestionFileError(f"{where}: a {kind} question needs at least one evidence quote")
    answer = d.get("answer", "")
    if not isinstance(answer, str):
        raise QuestionFileError(f"{where}: 'answer' must be a string")
    return Question(
        id=_str(d, "id", where),
        question=_str(d, "question", where),
        kind=kind,
        answer=answer,
        authors=tuple(authors),
        evidence=tuple(pairs),
    )


def load_questions(path: str | Path) -> list[Question]:
    """Read and validate a JSON-lines question file (blank lines skipped; ids must be unique)."""
    p = Path(path)
    try:
        lines = p.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError as exc:
        raise QuestionFileError(f"question file {p} does not exist; pass --questions FILE") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise QuestionFileError(f"cannot read question file {p} ({exc})") from exc
    out: list[Question] = []
    seen: set[str] = set()
    for no, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        where = f"{p}:{no}"
        try:
            d = json.loads(line)
        except json.JSONDecodeError as exc:
            raise QuestionFileError(f"{where}: not valid JSON ({exc.msg})") from exc
        q = parse_question(d, where)
        if q.id in seen:
            raise QuestionFileError(f"{where}: duplicate question id {q.id!r}")
        seen.add(q.id)
        out.append(q)
    if not out:
        raise QuestionFileError(f"question file {p} holds no questions")
    return out
