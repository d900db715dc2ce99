"""Run the real answer pipeline over a question file in several modes and judge every answer.

One :func:`run_eval` call answers each question in each requested mode (side by side), judges
every shown sentence with the independent judge (:mod:`eval.judge`), and reduces each answer to
a :class:`~eval.metrics.QuestionOutcome` plus a readable per-question record.

Modes are ``grounded``, ``extractive`` or ``free``, optionally with a retrieval variant after
``@``: a preset (``@lexical``, ``@dense``, ``@noauthors``, ``@boost``, ``@mmr``, ``@k3``,
``@k8``) or settings overrides (``grounded@retrieval_k=8,fusion=weighted``).
"""

from __future__ import annotations

import math
import re
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from corpus.errors import InputError
from corpus.settings import Settings, get_settings
from eval.judge import JudgePassage, Verdict, is_author, judge, parse_frame, same_person
from eval.metrics import (
    QuestionOutcome,
    SentenceOutcome,
    embedding_similarity,
    token_f1,
)
from eval.questions import Question
from eval.selection import gold_shown, selector_gold_at, short_answer_match

BASE_MODES = ("select", "grounded", "extractive", "free")
GOLD_COVERAGE = 0.6  # same rule as retrieval evaluation: share of gold-quote characters present

RETRIEVAL_PRESETS: dict[str, dict[str, Any]] = {
    "hybrid": {},
    "lexical": {"fusion": "weighted", "dense_weight": 0.0},
    "dense": {"fusion": "weighted", "dense_weight": 1.0},
    "noauthors": {"detected_authors": "ignore"},
    "boost": {"detected_authors": "boost"},
    "mmr": {"mmr_lambda": 0.7},
    "k3": {"retrieval_k": 3},
    "k8": {"retrieval_k": 8},
}


class ModeError(InputError):
    """A ``--mode`` value that names no mode, preset or setting."""


@dataclass(frozen=True)
class ModeSpec:
    """A column of the evaluation: an answer mode plus settings overrides."""

    name: str
    mode: str
    overrides: dict[str, Any] = field(default_factory=dict)


def parse_mode(spec: str) -> ModeSpec:
    """Parse ``MODE`` or ``MODE@PRESET`` or ``MODE@key=value,key=value``.

    Example::

        >>> parse_mode("grounded@lexical").overrides
        {'fusion': 'weighted', 'dense_weight': 0.0}
        >>> parse_mode("extractive@retrieval_k=8").overrides
        {'retrieval_k': '8'}
    """
    base, _, variant = spec.strip().partition("@")
    if base not in BASE_MODES:
        raise ModeError(f"mode {spec!r}: use one of {', '.join(BASE_MODES)} (optionally @variant)")
    overrides: dict[str, Any] = {}
    if variant:
        if variant in RETRIEVAL_PRESETS:
            overrides = dict(RETRIEVAL_PRESETS[variant])
        else:
            for part in variant.split(","):
                key, eq, value = part.partition("=")
                if not eq or key.strip() not in Settings.model_fields:
                    raise ModeError(
                        f"mode {spec!r}: {part!r} is neither a preset "
                        f"({', '.join(RETRIEVAL_PRESETS)}) nor a setting=value"
                    )
                overrides[key.strip()] = value.strip()
    return ModeSpec(spec.strip(), base, overrides)


# --- judging one answer --------------------------------------------------------------------------


def citation_passage(citation: Any) -> JudgePassage:
    """The judge's view of a citation: its excerpt, author, and the quotations inside it.

    Quote spans of the chunk are moved onto the excerpt (found by their text when the excerpt
    is not a plain slice of the chunk).
    """
    chunk = citation.chunk
    text = citation.excerpt or chunk.text
    quotes = []
    offset = chunk.text.find(text) if text else -1
    for q in getattr(chunk, "quotes", ()) or ():
        if offset >= 0:
            a, b = q.start - offset, q.end - offset
            if b > 0 and a < len(text):
                quotes.append(type(q)(max(0, a), min(len(text), b), q.speaker))
            continue
        qt = chunk.text[q.start : q.end]
        i = text.find(qt) if qt else -1
        if i >= 0:
            quotes.append(type(q)(i, i + len(qt), q.speaker))
    return JudgePassage(text, citation.author, tuple(quotes), getattr(citation, "work", ""))


@dataclass(frozen=True)
class SentenceJudgement:
    text: str
    citations: tuple[int, ...]
    verified: bool
    shown: bool
    verdict: Verdict
    precise: tuple[bool, ...]
    quoted_speaker_error: str | None
    shown_as: str = ""  # as the chat shows it (see shown_as)


def _quoted_speaker_error(
    sentence: Any, cited: Sequence[tuple[Any, JudgePassage]], s
) -> str | None:
    """The speaker whose quoted words the sentence presents as the essay author's view, if any."""
    frame = parse_frame(judged_text(sentence, cited[0][0] if cited else None))
    for c, passage in cited:
        others = {
            q.speaker for q in passage.quotes if q.speaker and not same_person(q.speaker, c.author)
        }
        if not others:
            continue
        if frame.speaker is not None:
            as_author = is_author(frame.speaker, c.author) and frame.kind == "view"
        else:
            as_author = bool(getattr(sentence, "author", None)) and same_person(
                sentence.author, c.author
            )
        if not as_author:
            continue
        if any(re.search(rf"\b{re.escape(o.split()[-1])}\b", frame.body, re.I) for o in others):
            continue  # the sentence names the quoted speaker
        v = judge(f"{c.author} argues that {frame.body}", [passage], s)
        if v.rule == "quoted-speaker":
            return sorted(others)[0]
    return None


def shown_as(sentence: Any) -> str:
    """The sentence as the chat shows it: a quote under its author's name, with whose words it
    gives when not the author's own; a short answer with its author; a drafted sentence as is.

    Example::

        >>> from types import SimpleNamespace as NS
        >>> shown_as(NS(text="It is known that 80 percent joined early.", author="Alvin W. Gouldner",
        ...             flags=("quote",), voice="quoting", speaker=None))
        'Gouldner, quoting: "It is known that 80 percent joined early."'
        >>> shown_as(NS(text="70 percent", author="Alvin W. Gouldner", flags=("short-answer",),
        ...             voice="own", speaker=None))
        '70 percent — Gouldner'
    """
    from rag.text.names import surname
    from rag.text.voices import Voice, voice_phrase

    flags = {str(f) for f in getattr(sentence, "flags", ())}
    author = getattr(sentence, "author", None)
    if not author or not flags & {"quote", "short-answer"}:
        return sentence.text
    if "short-answer" in flags:
        return f"{sentence.text} — {surname(author)}"
    voice = getattr(sentence, "voice", None)
    phrase = voice_phrase(Voice(str(voice)), sentence.speaker, author) if voice else None
    return f'{phrase or surname(author)}: "{sentence.text}"'


def judged_text(sentence: Any, citation: Any = None) -> str:
    """What the judge reads for an answer sentence: a verbatim quote or short answer is read as
    its author's quoted words, ``Author (Work, year)[, quoting X]: "..."``, as a reader sees it
    under the author's name and source.

    Example::

        >>> from types import SimpleNamespace as NS
        >>> s = NS(text="At present we know little.", author="Hillel H. Ticktin", flags=("quote",),
        ...        voice="own", speaker=None)
        >>> judged_text(s, NS(work="The Purges", year=None))
        'Hillel H. Ticktin (The Purges): "At present we know little."'
    """
    flags = {str(f) for f in getattr(sentence, "flags", ())}
    if not (sentence.author and flags & {"quote", "short-answer"}):
        return sentence.text
    who = sentence.author
    if citation is not None:
        year = getattr(citation, "year", None)
        who += f" ({citation.work}, {year})" if year else f" ({citation.work})"
    voice, speaker = getattr(sentence, "voice", None), getattr(sentence, "speaker", None)
    if speaker and str(voice) in ("quoting", "epigraph"):
        who += f", quoting {speaker}"
    return f'{who}: "{sentence.text}"'


def _is_short(sentence: Any) -> bool:
    return "short-answer" in {str(f) for f in getattr(sentence, "flags", ())}


def judge_answer(
    answer: Any, settings: Settings | None = None, *, nli=None
) -> list[SentenceJudgement]:
    """Judge every sentence of an answer, shown and dropped, against its cited excerpts."""
    s = get_settings(settings)
    by_n = {c.n: c for c in answer.citations}
    out: list[SentenceJudgement] = []
    for shown, sentences in ((True, answer.sentences), (False, answer.dropped)):
        for i, sent in enumerate(sentences):
            cited = [(by_n[n], citation_passage(by_n[n])) for n in sent.citations if n in by_n]
            passages = [p for _, p in cited]
            # A short answer is copied from the sentence shown right after it: judge that claim.
            source = sentences[i + 1] if _is_short(sent) and i + 1 < len(sentences) else sent
            text = judged_text(source, cited[0][0] if cited else None)
            joint = (
                judge(text, passages, s, nli=nli)
                if passages
                else Verdict(False, "cites no excerpt", "uncited")
            )
            precise: tuple[bool, ...] = ()
            if shown and passages:
                if len(passages) == 1:
                    precise = (joint.supported,)
                elif joint.supported:
                    alone = [judge(text, [p], s, nli=nli).supported for p in passages]
                    without = [
                        judge(text, passages[:i] + passages[i + 1 :], s, nli=nli).supported
                        for i in range(len(passages))
                    ]
                    precise = tuple(a or not w for a, w in zip(alone, without, strict=True))
                else:
                    precise = tuple(False for _ in passages)
            qs_error = _quoted_speaker_error(sent, cited, s) if shown else None
            out.append(
                SentenceJudgement(
                    sent.text,
                    tuple(sent.citations),
                    bool(sent.supported),
                    shown,
                    joint,
                    precise,
                    qs_error,
                    shown_as(sent),
                )
            )
    return out


# --- gold evidence -----------------------------------------------------------------------------------


def _basename(path: str) -> str:
    return str(path).replace("\\", "/").rsplit("/", 1)[-1]


class GoldMatcher:
    """Whether a chunk contains a gold quote (same file, coverage >= ``GOLD_COVERAGE``); cached."""

    def __init__(self) -> None:
        self._cache: dict[tuple[str, str, str], bool] = {}

    def contains(self, chunk: Any, file: str, quote: str) -> bool:
        if _basename(getattr(chunk, "file", "")) != _basename(file):
            return False
        key = (getattr(chunk, "id", chunk.text[:40]), file, quote)
        if key not in self._cache:
            from corpus.locate import coverage

            self._cache[key] = coverage(quote, chunk.text) >= GOLD_COVERAGE
        return self._cache[key]


# --- one question ---------------------------------------------------------------------------------


def _clean(text: str) -> str:
    return re.sub(r"\s*\[\s*\d+(?:\s*[,;–-]\s*\d+)*\s*\]", "", text).strip()


def outcome_for(
    question: Question,
    answer: Any,
    judgements: Sequence[SentenceJudgement],
    *,
    embedder=None,
    matcher: GoldMatcher | None = None,
    wall_s: float | None = None,
) -> tuple[QuestionOutcome, dict[str, Any]]:
    """Reduce a judged answer to its metric outcome and a readable record."""
    matcher = matcher or GoldMatcher()
    shown = [j for j in judgements if j.shown]
    by_n = {c.n: c for c in answer.citations}
    used = sorted({n for j in shown for n in j.citations if n in by_n})
    refused = bool(answer.abstained) or not shown
    gold_names = [a for a in question.authors]
    cited_authors: set[str] = set()
    for n in used:
        author = by_n[n].author
        match = next((g for g in gold_names if same_person(g, author)), None)
        cited_authors.add(match or author)
    gold_cited = any(
        matcher.contains(by_n[n].chunk, file, quote)
        for n in used
        for file, quote in question.evidence
    )
    text = " ".join(_clean(j.text) for j in shown)
    sim = (
        embedding_similarity(text, question.answer, embedder)
        if embedder and question.answerable
        else 0.0
    )
    f1 = token_f1(text, question.answer) if question.answerable else 0.0
    timings = dict(getattr(answer, "timings", {}) or {})
    total = timings.get("total_s", wall_s)
    sentences = tuple(
        SentenceOutcome(
            verified=j.verified,
            judge_supported=j.verdict.supported,
            n_citations=len([n for n in j.citations if n in by_n]),
            precise_citations=sum(j.precise),
            quoted_speaker_error=j.quoted_speaker_error is not None,
        )
        for j in shown
    )
    outcome = QuestionOutcome(
        id=question.id,
        kind=question.kind,
        answerable=question.answerable,
        refused=refused,
        sentences=sentences,
        cited_authors=frozenset(cited_authors),
        gold_authors=frozenset(gold_names),
        gold_cited=gold_cited,
        similarity=sim if not refused else 0.0,
        token_f1=f1 if not refused else 0.0,
        ttft_s=timings.get("ttft_s"),
        total_s=total,
        load_s=timings.get("load_s"),
        timings=timings,
        gold_shown=None
        if not question.answerable
        else not refused and gold_shown(question, answer),
        gold_lead=None
        if not question.answerable
        else not refused and gold_shown(question, answer, lead=True),
        short_match=short_answer_match(question, answer),
        selector_at=selector_gold_at(question, answer),
    )
    record = {
        "refused": refused,
        "abstained": bool(answer.abstained),
        "message": answer.message,
        "answer": text,
        "sentences": [
            {
                "text": j.text,
                "shown_as": j.shown_as or j.text,
                "citations": list(j.citations),
                "shown": j.shown,
                "verified": j.verified,
                "judge_supported": j.verdict.supported,
                "judge_rule": j.verdict.rule,
                "judge_reason": j.verdict.reason,
                "precise": list(j.precise),
                "quoted_speaker_error": j.quoted_speaker_error,
            }
            for j in judgements
        ],
        "citations": [
            {
                "n": n,
                "author": by_n[n].author,
                "work": by_n[n].work,
                "anchor": by_n[n].anchor,
                "excerpt": by_n[n].excerpt[:400],
                "gold": any(matcher.contains(by_n[n].chunk, f, q) for f, q in question.evidence),
            }
            for n in used
        ],
        "cited_authors": sorted(cited_authors),
        "gold_cited": gold_cited,
        "similarity": round(outcome.similarity, 4),
        "token_f1": round(outcome.token_f1, 4),
        "gold_sentence_shown": outcome.gold_shown,
        "gold_sentence_lead": outcome.gold_lead,
        "short_answer_match": outcome.short_match,
        "selector_gold_at": outcome.selector_at,
        "candidates": [list(c) for c in (getattr(answer, "candidates", ()) or ())[:5]],
        "drafted": drafted_counts(answer),
        "timings": {k: round(float(v), 4) for k, v in timings.items() if _finite(v)},
        "wall_s": round(wall_s, 4) if wall_s is not None else None,
        "error": None,
    }
    return outcome, record


_NOT_DRAFTED = {"quote", "short-answer", "closest"}


def drafted_counts(answer: Any) -> dict[str, int]:
    """The model's drafted sentences in an answer: how many, how many verified, and whether the
    draft abstained ("The essays do not address this."; not counted as a sentence).

    Example::

        >>> from types import SimpleNamespace as NS
        >>> a = NS(sentences=(NS(flags=(), supported=True), NS(flags=("quote",), supported=True)),
        ...        dropped=(NS(flags=("unsupported",), supported=False),))
        >>> drafted_counts(a)
        {'drafted': 2, 'verified': 1, 'abstained': 0}
    """
    drafted = verified = abstained = 0
    for s in answer.sentences:  # shown: verified drafts (and free mode's unchecked ones)
        flags = {str(f) for f in getattr(s, "flags", ())}
        if flags & _NOT_DRAFTED:
            continue
        if s.supported:
            drafted += 1
            verified += 1
        elif "unverified" in flags:
            drafted += 1
    for s in getattr(answer, "dropped", ()) or ():  # the drafts that did not verify
        if "abstains" in {str(f) for f in getattr(s, "flags", ())}:
            abstained = 1
        else:
            drafted += 1
    return {"drafted": drafted, "verified": verified, "abstained": abstained}


def _finite(v: Any) -> bool:
    try:
        return math.isfinite(float(v))
    except (TypeError, ValueError):
        return False


def failed_outcome(question: Question, error: str, wall_s: float) -> tuple[QuestionOutcome, dict]:
    """An answer that raised: counted as a refusal with no sentences, the error recorded."""
    outcome = QuestionOutcome(
        question.id,
        question.kind,
        question.answerable,
        True,
        gold_authors=frozenset(question.authors),
        total_s=wall_s,
    )
    record = {
        "refused": True,
        "abstained": False,
        "message": None,
        "answer": "",
        "sentences": [],
        "citations": [],
        "cited_authors": [],
        "gold_cited": False,
        "similarity": 0.0,
        "token_f1": 0.0,
        "timings": {},
        "wall_s": round(wall_s, 4),
        "error": error,
    }
    return outcome, record


# --- the run -----------------------------------------------------------------------------------------


@dataclass
class EvalRun:
    """Everything an evaluation produced; :mod:`eval.report` turns it into json, markdown, plots."""

    questions: list[Question]
    modes: list[ModeSpec]
    outcomes: dict[str, list[QuestionOutcome]]
    records: dict[str, dict[str, dict[str, Any]]]  # question id -> mode name -> record
    agreement: dict[str, dict[str, Any]]
    question_works: dict[str, list[str]]
    elapsed_s: float
    retrieval: dict[str, Any] | None = None
    judge_validation: Any = None
    settings: dict[str, Any] = field(default_factory=dict)


def verifier_agreement(records: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """How often the runtime verifier and the judge agree, over every judged sentence.

    Example::

        >>> r = {"sentences": [{"verified": True, "judge_supported": True},
        ...                    {"verified": True, "judge_supported": False}]}
        >>> verifier_agreement([r])["agreement"]
        0.5
    """
    both = v_only = j_only = neither = 0
    for rec in records:
        for s in rec["sentences"]:
            v, j = bool(s["verified"]), bool(s["judge_supported"])
            both += v and j
            v_only += v and not j
            j_only += j and not v
            neither += not v and not j
    n = both + v_only + j_only + neither
    agree = (both + neither) / n if n else 1.0
    pv, pj = ((both + v_only) / n, (both + j_only) / n) if n else (0.0, 0.0)
    expected = pv * pj + (1 - pv) * (1 - pj)
    kappa = (agree - expected) / (1 - expected) if n and expected < 1 else 1.0
    return {
        "n": n,
        "agreement": agree,
        "kappa": kappa,
        "verified_and_judged_supported": both,
        "verified_only": v_only,
        "judged_supported_only": j_only,
        "neither": neither,
    }


def _question_works(
    questions: Sequence[Question], index: Any, matcher: GoldMatcher
) -> dict[str, list[str]]:
    works: dict[str, list[str]] = {}
    chunks = list(getattr(index, "chunks", []) or [])
    for q in questions:
        found: list[str] = []
        for file, quote in q.evidence:
            for c in chunks:
                if matcher.contains(c, file, quote):
                    label = f"{c.author}: {c.title}"
                    if label not in found:
                        found.append(label)
                    break
        works[q.id] = found or (["(unanswerable)"] if not q.answerable else ["(not located)"])
    return works


def run_eval(
    questions: Sequence[Question],
    modes: Sequence[str | ModeSpec] = ("grounded",),
    settings: Settings | None = None,
    *,
    limit: int | None = None,
    generator=None,
    embedder=None,
    index=None,
    answer_fn: Callable[..., Any] | None = None,
    progress: bool = True,
    with_retrieval: bool = True,
    nli=None,
) -> EvalRun:
    """Answer ``questions`` (the first ``limit``) in every mode and judge each answer.

    ``answer_fn`` defaults to :func:`rag.answer.answer`; models and index are injected so tests
    use fakes. An answer that raises is recorded as an error (and counted as a refusal).
    """
    from tqdm import tqdm

    s = get_settings(settings)
    qs = list(questions)[: limit if limit else None]
    if not qs:
        raise InputError("no questions to evaluate; check --questions and --limit")
    specs = [m if isinstance(m, ModeSpec) else parse_mode(m) for m in modes]
    names = [m.name for m in specs]
    if len(set(names)) != len(names):
        raise ModeError(f"mode given twice in {names}; list each mode once")
    if answer_fn is None:
        from rag.answer.pipeline import answer as answer_fn
    if embedder is None:
        from embeddings.factory import get_embedder

        embedder = get_embedder(s)
    if index is None:
        from rag.retrieval.store import get_index

        index = get_index(s, embedder)

    matcher = GoldMatcher()
    t0 = time.perf_counter()
    outcomes: dict[str, list[QuestionOutcome]] = {m.name: [] for m in specs}
    records: dict[str, dict[str, dict[str, Any]]] = {q.id: {} for q in qs}
    mode_settings = {m.name: get_settings(s, **m.overrides) for m in specs}
    bar = tqdm(
        total=len(qs) * len(specs),
        desc="eval",
        unit="answer",
        file=sys.stderr,
        disable=not progress,
    )
    try:
        for q in qs:
            for m in specs:
                bar.set_postfix_str(f"{q.id} {m.name}", refresh=False)
                start = time.perf_counter()
                try:
                    ans = answer_fn(
                        q.question,
                        (),
                        mode_settings[m.name],
                        mode=m.mode,
                        generator=generator,
                        embedder=embedder,
                        index=index,
                    )
                    wall = time.perf_counter() - start
                    js = judge_answer(ans, mode_settings[m.name], nli=nli)
                    outcome, record = outcome_for(
                        q, ans, js, embedder=embedder, matcher=matcher, wall_s=wall
                    )
                except Exception as exc:  # one broken answer must not sink the whole run
                    outcome, record = failed_outcome(
                        q, f"{type(exc).__name__}: {exc}", time.perf_counter() - start
                    )
                outcomes[m.name].append(outcome)
                records[q.id][m.name] = record
                bar.update(1)
    finally:
        bar.close()
    elapsed = time.perf_counter() - t0

    agreement = {
        m.name: verifier_agreement([records[q.id][m.name] for q in qs])
        for m in specs
        if m.mode != "free"
    }
    retrieval = None
    if with_retrieval:
        try:
            from eval.retrieval import evaluate_retrieval

            retrieval = evaluate_retrieval(qs, k=5, settings=s, index=index, embedder=embedder)
        except Exception as exc:  # reported, not fatal: answer metrics stand on their own
            retrieval = {"error": f"{type(exc).__name__}: {exc}"}
    from eval.validation import validate_judge

    return EvalRun(
        questions=qs,
        modes=specs,
        outcomes=outcomes,
        records=records,
        agreement=agreement,
        question_works=_question_works(qs, index, matcher),
        elapsed_s=elapsed,
        retrieval=retrieval,
        judge_validation=validate_judge(settings=s, nli=nli),
        settings={
            "generator_backend": s.generator_backend,
            "generator_model": s.generator_model,
            "embedding_model": getattr(embedder, "name", s.embedding_model),
            "retrieval_k": s.retrieval_k,
            "support_threshold": s.support_threshold,
            "judge_min_coverage": s.judge_min_coverage,
            "judge_nli_model": s.judge_nli_model,
        },
    )
