"""Conversation export: answers with markers, quoted excerpts with full citations, inert text."""

from __future__ import annotations

from datetime import datetime

from rag.answer.types import Answer, AnswerSentence
from ui.export import conversation_markdown, md_escape, write_conversation
from ui.turn import Turn


def _turns(tiny_passages, make_citation):
    ada = next(p for p in tiny_passages if p.anchor == "example-grain §I ¶1")
    ben = next(p for p in tiny_passages if p.anchor == "sample-bureaucracy ¶2")
    answer = Answer(
        question="How do they differ?",
        standalone_question="How do they differ?",
        sentences=(
            AnswerSentence("Example blames the grain crisis.", (1,), 0.9, True, "Ada Example"),
            AnswerSentence("Sample quotes Nock on the State.", (2,), 0.9, True, "Ben Sample"),
        ),
        citations=(make_citation(ada, 1, (0, 20)), make_citation(ben, 2, (15, 60), "Nock")),
        dropped=(AnswerSentence("A dropped claim.", (1,), 0.1, False),),
    )
    abstained = Answer(
        question="Tractors?",
        standalone_question="Tractors?",
        sentences=(),
        citations=(),
        abstained=True,
        message="The essays do not address tractors.",
    )
    return [
        Turn("How do they differ?", answer=answer, done=True),
        Turn("Tractors?", answer=abstained, done=True),
        Turn("Stopped one", notice="Stopped.", stopped=True, done=True),
    ]


def test_export_has_answers_markers_and_cited_excerpts(tiny_passages, make_citation):
    md = conversation_markdown(
        _turns(tiny_passages, make_citation), exported_at=datetime(2024, 5, 1)
    )
    assert md.startswith("# attest — conversation\n")
    assert "Exported 2024-05-01 00:00" in md
    assert "## 1. How do they differ?" in md
    assert "**Ada Example:**" in md and "**Ben Sample:**" in md
    assert "Example blames the grain crisis. [1]" in md
    assert "> **[1]** “The grain procurement crisis of 1928" in md
    assert '> — Ada Example, "The Grain Question" (1990), §I ¶1' in md
    assert 'Ben Sample, "Bureaucracy and the Purges" (1985), ¶2 (quoting Nock)' in md
    assert "A dropped claim" not in md
    assert "The essays do not address tractors." in md
    assert "## 3. Stopped one" in md and "*Stopped.*" in md


def test_export_makes_hostile_text_inert(tiny_passages, make_citation):
    p = next(p for p in tiny_passages if "Hostile" in p.text)
    answer = Answer(
        question="q",
        standalone_question="q",
        sentences=(
            AnswerSentence("See ![x](http://example.invalid/m) <b>x</b>.", (1,), 0.9, True),
        ),
        citations=(make_citation(p, 1, None),),
    )
    md = conversation_markdown([Turn("q", answer=answer, done=True)])
    assert "![" not in md.replace("\\![", "")  # no live image syntax anywhere
    assert "<img" not in md.replace("\\<img", "")
    assert "http://example.invalid/m" not in md  # model links removed outright


def test_md_escape_round_trip_characters():
    assert md_escape("") == ""
    assert md_escape("plain, Сталин") == "plain, Сталин"
    assert md_escape("[a](b)") == "\\[a\\](b)"


def test_write_conversation_writes_utf8_file(tmp_path, tiny_passages, make_citation):
    path = write_conversation(_turns(tiny_passages, make_citation), tmp_path / "out")
    assert path.parent == tmp_path / "out" and path.suffix == ".md"
    assert "Ada Example" in path.read_text(encoding="utf-8")


def test_empty_conversation_exports_a_header_only():
    md = conversation_markdown([])
    assert md.count("##") == 0 and md.startswith("# attest")
