"""Verification: every drafted sentence is checked against the excerpts before it counts.

Steps per sentence: parse its ``[n]`` markers (``[1, 2]``, ``[1][2]``; unknown ids dropped),
score its support against every excerpt with a pluggable :class:`SupportScorer`, check quoted
text verbatim, check the author it names, check that a quoted speaker's words are not passed off
as the essay author's, then keep the best supporting citation (repairing a wrong one). A
sentence is supported only when all checks pass and its best excerpt reaches
``settings.support_threshold``.

The default scorer is deliberately strict (a small model paraphrases loosely and invents
freely): mostly *recall of the sentence's content words* in the excerpt, plus calibrated
embedding cosine, with negation and number mismatches treated as contradictions.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Protocol, runtime_checkable

import numpy as np

from corpus.settings import Settings, get_settings
from rag.answer.draft import parse_markers
from rag.answer.quote_frame import fragment_quote, frame_conflict, quote_frame
from rag.answer.select import Excerpt
from rag.text.lexicon import NEGATIONS, fold, stem
from rag.text.names import AuthorNames, find_authors, mentions, proper_name_stems
from rag.text.tokens import content_words, normalise_for_match, numbers, words
from rag.text.voices import _FRAME_AFTER, Stance, Voice, claim_frame

# --- support scoring ------------------------------------------------------------------------


@runtime_checkable
class SupportScorer(Protocol):
    """Scores how well each claim is supported by each evidence text, in ``[0, 1]``."""

    def score(self, claims: Sequence[str], evidence: Sequence[str]) -> np.ndarray:
        """Array of shape ``(len(claims), len(evidence))``."""
        ...


_NEGATION_WINDOW = 6


def negation_cues(text: str) -> list[tuple[str, set[str]]]:
    """Each negation cue of ``text`` (stemmed) with the content stems closely following it.

    Example::

        >>> [(cue, sorted(w)) for cue, w in negation_cues("Trotsky denied that the purge was planned.")]
        [('deni', ['plan', 'purg'])]
    """
    toks = words(text)
    out: list[tuple[str, set[str]]] = []
    for i, t in enumerate(toks):
        if t in NEGATIONS or t.endswith("n't"):
            window: set[str] = set()
            for w in toks[i + 1 : i + 1 + _NEGATION_WINDOW]:
                window.update(content_words(w))
            cue = "not" if t.endswith("n't") else stem(t)
            out.append((cue, window - {cue}))
    return out


def negation_mismatch(claim: str, evidence: str) -> bool:
    """Whether one text negates (not, never, denied...) content the other states without that cue.

    Example::

        >>> negation_mismatch("Trotsky denied the purge was planned.", "Trotsky affirmed the purge was planned.")
        True
        >>> negation_mismatch("The purge was planned.", "The purge was not planned.")
        True
        >>> negation_mismatch("Ticktin dismisses the KGB figure.", "The KGB figure can be dismissed.")
        False
    """
    for a, b in ((claim, evidence), (evidence, claim)):
        b_cues = {cue for cue, _ in negation_cues(b)}
        b_words = set(content_words(b))
        for cue, window in negation_cues(a):
            if cue not in b_cues and window & b_words:
                return True
    return False


def number_mismatch(claim: str, evidence: str) -> bool:
    """Whether the claim states a number the evidence does not contain.

    Example::

        >>> number_mismatch("98 of 139 were shot.", "of the 139 members, 98 persons were shot")
        False
        >>> number_mismatch("90 were shot.", "98 persons were shot")
        True
    """
    return bool(numbers(claim) - numbers(evidence))


def overlap_recall(claim_words: Sequence[str], evidence_words: set[str]) -> float:
    """Share of the claim's content words found in the evidence.

    Example::

        >>> overlap_recall(["purg", "atomis", "worker"], {"purg", "worker"})
        0.6666666666666666
    """
    if not claim_words:
        return 0.0
    return sum(1 for w in claim_words if w in evidence_words) / len(claim_words)


class OverlapEmbeddingScorer:
    """Default scorer: content-word recall blended with calibrated embedding cosine.

    ``score = w * dense' + (1 - w) * recall`` where ``dense' = clip((cos - lo) / (hi - lo))``;
    a negation mismatch or a number absent from the evidence multiplies the score by
    ``mismatch_penalty``. ``ignore`` words (author names) do not count toward recall, since the
    author check is separate. Without an embedder the score is recall alone.
    """

    def __init__(
        self,
        embedder=None,
        *,
        dense_weight: float = 0.3,
        cos_low: float = 0.35,
        cos_high: float = 0.85,
        mismatch_penalty: float = 0.2,
        ignore: frozenset[str] = frozenset(),
    ) -> None:
        self.embedder = embedder
        self.dense_weight = dense_weight if embedder is not None else 0.0
        self.cos_low = cos_low
        self.cos_high = cos_high
        self.mismatch_penalty = mismatch_penalty
        self.ignore = ignore

    def score(self, claims: Sequence[str], evidence: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(claims), len(evidence)), dtype=np.float32)
        if not claims or not evidence:
            return out
        ev_words = [set(content_words(e)) for e in evidence]
        for i, claim in enumerate(claims):
            words = [w for w in content_words(claim) if w not in self.ignore]
            for j, ev_set in enumerate(ev_words):
                out[i, j] = overlap_recall(words, ev_set)
        if self.embedder is not None and self.dense_weight > 0:
            vecs = np.asarray(self.embedder.encode([*claims, *evidence]), dtype=np.float32)
            cos = vecs[: len(claims)] @ vecs[len(claims) :].T
            dense = np.clip((cos - self.cos_low) / (self.cos_high - self.cos_low), 0.0, 1.0)
            out = self.dense_weight * dense + (1 - self.dense_weight) * out
        for i, claim in enumerate(claims):
            for j, ev in enumerate(evidence):
                if negation_mismatch(claim, ev) or number_mismatch(claim, ev):
                    out[i, j] *= self.mismatch_penalty
        return out.astype(np.float32)


class NLIScorer:
    """An NLI cross-encoder's entailment probability averaged with another scorer (lazy load)."""

    def __init__(self, model: str, base: SupportScorer, device: str = "cpu") -> None:
        self.model_name = model
        self.base = base
        self.device = device
        self._model = None

    def _load(self):
        if self._model is None:
            from sentence_transformers import CrossEncoder

            self._model = CrossEncoder(self.model_name, device=self.device)
        return self._model

    def score(self, claims: Sequence[str], evidence: Sequence[str]) -> np.ndarray:
        base = self.base.score(claims, evidence)
        if not claims or not evidence:
            return base
        model = self._load()
        pairs = [(e, c) for c in claims for e in evidence]
        logits = np.asarray(model.predict(pairs), dtype=np.float32)
        if logits.ndim == 2:
            exp = np.exp(logits - logits.max(axis=1, keepdims=True))
            probs = exp / exp.sum(axis=1, keepdims=True)
            labels = getattr(getattr(model, "config", None), "id2label", None) or {}
            idx = next(
                (int(k) for k, v in labels.items() if str(v).lower().startswith("entail")), 1
            )
            entail = probs[:, idx]
        else:
            entail = 1 / (1 + np.exp(-logits))
        entail = entail.reshape(len(claims), len(evidence))
        return (0.5 * base + 0.5 * entail).astype(np.float32)


def get_scorer(settings: Settings | None = None, *, embedder=None, ignore=frozenset()):
    """The configured :class:`SupportScorer` (NLI added when ``settings.nli_model`` is set)."""
    s = get_settings(settings)
    base = OverlapEmbeddingScorer(embedder, dense_weight=s.support_dense_weight, ignore=ignore)
    if s.nli_model:
        return NLIScorer(s.nli_model, base, device=s.embedding_device)
    return base


# --- quotes, authors, speakers ----------------------------------------------------------------

_QUOTED = re.compile(r"[\"“”]([^\"“”]{3,}?)[\"“”]")


def quoted_spans(text: str) -> list[str]:
    """Text the sentence puts between double quotation marks (two or more words).

    Example::

        >>> quoted_spans('He called it “a vast reservation” and "war".')
        ['a vast reservation']
    """
    return [q.strip() for q in _QUOTED.findall(text) if len(q.split()) >= 2]


def quote_is_verbatim(quote: str, sources: Sequence[str]) -> bool:
    """Whether ``quote`` appears word for word (case, accents, punctuation ignored) in a source.

    An ellipsis inside the quote lets each part match separately, in order.

    Example::

        >>> quote_is_verbatim("the KGB figure is self-serving", ["The KGB figure is self-serving and can be..."])
        True
        >>> quote_is_verbatim("the KGB figure is accurate", ["The KGB figure is self-serving"])
        False
    """
    parts = [normalise_for_match(p) for p in re.split(r"\.\.\.|…", quote)]
    parts = [p for p in parts if p]
    if not parts:
        return True
    for src in sources:
        hay = " " + normalise_for_match(src) + " "
        pos = 0
        for part in parts:
            found = hay.find(" " + part + " ", pos)
            if found < 0:
                break
            pos = found + len(part)
        else:
            return True
    return False


_TAIL = re.compile(
    r"(?:,\s+(?:which|who|highlighting|emphasizing|emphasising|making|suggesting|showing|"
    r"indicating|as well as|while|whereas|but|and this|thus|thereby|leading)\b|\s+[—–-]\s+|;\s)",
    re.I,
)


def trim_tail(text: str) -> str | None:
    """The sentence cut before a trailing comment clause (", which is...", "; thus..."), or None.

    Small models append unsupported commentary to a faithful statement; the statement alone
    may still verify.

    Example::

        >>> trim_tail("Ticktin cites the KGB figure of 780,000, which is a very large estimate.")
        'Ticktin cites the KGB figure of 780,000.'
        >>> trim_tail("No tail here.") is None
        True
    """
    m = _TAIL.search(text)
    if not m or m.start() == 0:
        return None
    head = text[: m.start()].rstrip(" ,;:")
    return head + "." if head else None


@dataclass(frozen=True)
class Verdict:
    """The verification of one drafted sentence.

    ``citations`` are excerpt numbers (as numbered in the prompt) that support the sentence;
    ``span`` is ``(excerpt n, start, end)`` of the best supporting text inside ``Excerpt.text``.
    """

    text: str
    cited: tuple[int, ...]
    citations: tuple[int, ...]
    support: float
    supported: bool
    author: str | None = None
    flags: tuple[str, ...] = ()
    span: tuple[int, int, int] | None = None


_ABSTAIN_PHRASE = re.compile(r"\b(do(es)? not|don't|doesn't) (address|answer|say|mention)\b", re.I)


def _units(excerpt: Excerpt) -> list[tuple[str, int, int]]:
    """Evidence units of an excerpt: each kept sentence and, if several, the whole excerpt."""
    units = [(s.text, a, b) for s, (a, b) in zip(excerpt.sentences, excerpt.offsets(), strict=True)]
    if len(units) > 1:
        units.append((excerpt.text, 0, len(excerpt.text)))
    return units


def _unit_voice(excerpt: Excerpt, a: int, b: int) -> tuple[Voice, str | None]:
    """The voice and speaker of the unit ``[a, b)`` of an excerpt (a whole multi-sentence
    excerpt speaks with its least own voice: any sentence not the author's decides)."""
    inside = [
        s
        for s, (sa, sb) in zip(excerpt.sentences, excerpt.offsets(), strict=True)
        if a <= sa and sb <= b
    ]
    for s in inside:
        if s.voice not in (Voice.OWN, Voice.FOOTNOTE):
            return s.voice, s.speaker
        if s.speaker:  # a sentence with a quoted speaker but no voice recorded: a quotation
            return Voice.QUOTING, s.speaker
    return (Voice.OWN, None)


_OTHER_VOICES = (Voice.QUOTING, Voice.REPORTING, Voice.REJECTING, Voice.EPIGRAPH)


def voice_conflict(
    claim: str, voice: Voice, speaker: str | None, unit_text: str, author: str
) -> bool:
    """Whether ``claim`` puts its supporting sentence's view in the wrong mouth.

    A claim that gives the essay author a view (or no holder: shown under the author, it is
    theirs) needs the author's own sentence, unless it says the author rejects or reports it;
    a claim that gives someone else a view ("according to X", "X argues") needs a sentence
    that gives X's words or view, not the author's account that merely mentions X.

    Example::

        >>> voice_conflict("Ticktin argues war caused the purges.", Voice.REJECTING, None,
        ...                "The purges were a response to war.", "Hillel H. Ticktin")
        True
        >>> voice_conflict("Ticktin rejects the view that war caused the purges.", Voice.REJECTING,
        ...                None, "The purges were a response to war.", "Hillel H. Ticktin")
        False
        >>> voice_conflict("According to Bukharin, the course was ruinous.", Voice.OWN, None,
        ...                "Bukharin met Kamenev; the course was ruinous.", "Robert C. Tucker")
        True
    """
    frame = claim_frame(claim)
    by_author = frame.holder is None or mentions(author, frame.holder)
    if by_author:
        if frame.stance in (Stance.REJECTS, Stance.REPORTS):
            return False
        if voice == Voice.REJECTING:
            return True
        return voice in _OTHER_VOICES and not (speaker and mentions(claim, speaker))
    holder = frame.holder or ""
    if voice in _OTHER_VOICES:
        return not ((speaker and mentions(speaker, holder)) or mentions(unit_text, holder))
    return True


# What a rejecting frame's verb governs: "the view that", "Carr's claim that", "the idea:".
_REJECTED_OBJECT = re.compile(
    r"^\s*(?:(?:the|this|that|a|an|his|her|their|[A-Z][\w'’.-]*['’]s?)\s+)?"
    r"(?:(?:view|views|idea|claim|notion|argument|explanation|interpretation|thesis|theory|"
    r"belief|position)\s+)?(?:that\b|:)?\s*"
)


def rejected_view(claim: str) -> str | None:
    """The view a sentence says its holder rejects, without the frame ("X rejects the view
    that ..."), or None when the sentence does not reject.

    Checked against a sentence that *presents* a rejected view, the frame is attribution, not
    content: "rejects" is not a negation of that view, and its words are not unstated content.

    Example::

        >>> rejected_view('Ticktin rejects the view that "the purges were a response to war".')
        '"the purges were a response to war".'
        >>> rejected_view("Ticktin argues that war caused the purges.") is None
        True
    """
    frame = claim_frame(claim)
    if frame.stance != Stance.REJECTS:
        return None
    m = _FRAME_AFTER.search(claim)
    if not m:
        return None
    body = _REJECTED_OBJECT.sub("", claim[m.end() :], count=1).strip()
    return body if len(content_words(body)) >= 2 else None


def unnamed_names(claim: str, source: str, ignore: frozenset[str] = frozenset()) -> list[str]:
    """Proper names in ``claim`` that ``source`` never uses: a sentence that brings in a person,
    party or place its excerpt does not name says more than the excerpt does.

    Example::

        >>> unnamed_names("He says Stalinism differs from Maoism.", "Stalinism was a terror regime.")
        ['maoism']
    """
    present = set(content_words(source))
    return sorted(n for n in proper_name_stems(claim) if n not in present and n not in ignore)


def _span_flags(
    claim: str, ex: Excerpt, a: int, b: int, named: Sequence[str], ignore: frozenset[str]
) -> list[str]:
    """What is wrong with ``claim`` against its supporting span ``[a, b)`` of ``ex``: whose
    words or view it gives (voices, drafted quotation frames), and names the excerpt never
    names."""
    flags: list[str] = []
    voice, speaker = _unit_voice(ex, a, b)
    quoted = voice in (Voice.QUOTING, Voice.EPIGRAPH)
    if (
        quoted
        and speaker
        and ex.author in named
        and not mentions(claim, speaker)
        and "quot" not in claim.lower()
    ):
        flags.append("speaker-as-author")
    elif voice_conflict(claim, voice, speaker, ex.text[a:b], ex.author):
        flags.append("wrong-voice")
    frame = quote_frame(claim)
    if frame is not None:
        if "wrong-voice" not in flags and frame_conflict(frame, ex.chunk.text, voice):
            flags.append("wrong-voice")
        if fragment_quote(frame.quote):
            flags.append("fragment-quote")
    if unnamed_names(claim, f"{ex.chunk.header}\n{ex.chunk.text}", ignore):
        flags.append("unnamed-entity")
    return flags


def _verify_once(
    sentences: Sequence[str],
    excerpts: Sequence[Excerpt],
    settings: Settings | None = None,
    *,
    scorer: SupportScorer | None = None,
    embedder=None,
    authors: AuthorNames = (),
) -> list[Verdict]:
    """One verification pass over whole sentences (see :func:`verify_sentences`)."""
    s = get_settings(settings)
    threshold = s.support_threshold
    by_n = {ex.n: ex for ex in excerpts}
    # Names are provenance, checked separately: authors, and the speakers the excerpts quote.
    speakers = {es.speaker for ex in excerpts for es in ex.sentences if es.speaker}
    ignore = frozenset(
        stem(w)
        for name, aliases in (*authors, *((sp, ()) for sp in speakers))
        for alias in (name, *aliases)
        for w in fold(alias).replace(".", " ").split()
    )
    if scorer is None:
        scorer = get_scorer(s, embedder=embedder, ignore=ignore)
    parsed = [parse_markers(text, len(excerpts)) for text in sentences]
    claims = [p[0] for p in parsed]
    units: list[tuple[int, str, int, int]] = [
        (ex.n, text, a, b) for ex in excerpts for text, a, b in _units(ex)
    ]
    matrix = (
        scorer.score(claims, [u[1] for u in units])
        if claims and units
        else np.zeros((len(claims), len(units)), dtype=np.float32)
    )
    # The lexical gate holds whatever scorer is plugged in: no unstated content words.
    unit_words = [set(content_words(u[1])) for u in units]
    recall = np.array(
        [
            [
                overlap_recall([w for w in content_words(c) if w not in ignore], uw)
                for uw in unit_words
            ]
            for c in claims
        ],
        dtype=np.float32,
    ).reshape(len(claims), len(units))
    # A sentence rejecting a view, against a one-sentence unit that presents a rejected view:
    # scored on the view alone (see rejected_view). Nothing else is rescored.
    rejecting_units = [
        u
        for u, (n, _text, a, b) in enumerate(units)
        if (a, b) in by_n[n].offsets() and _unit_voice(by_n[n], a, b)[0] == Voice.REJECTING
    ]
    for i, claim in enumerate(claims):
        body = rejected_view(claim) if rejecting_units else None
        if body is None:
            continue
        rescored = scorer.score([body], [units[u][1] for u in rejecting_units])
        body_words = [w for w in content_words(body) if w not in ignore]
        for k, u in enumerate(rejecting_units):
            matrix[i, u] = rescored[0, k]
            recall[i, u] = overlap_recall(body_words, unit_words[u])
    passes = (matrix >= threshold) & (recall >= s.support_min_overlap)
    sources = [ex.chunk.text for ex in excerpts]
    verdicts: list[Verdict] = []
    for i, (claim, cited) in enumerate(parsed):
        flags: list[str] = []
        words = [w for w in content_words(claim) if w not in ignore]
        if len(words) < 2 or claim.rstrip().endswith(":"):
            # Too little to check, or a lead-in ("...for two reasons:") whose content never came.
            reason = "abstains" if _ABSTAIN_PHRASE.search(claim) else "no-claim"
            verdicts.append(Verdict(claim, cited, (), 0.0, False, None, (reason,)))
            continue
        named = find_authors(claim, authors)
        # Best unit per excerpt, and whether the excerpt is by (or mentions) the named author.
        # Per excerpt: its best unit, preferring units that pass the gate.
        best: dict[int, tuple[float, int]] = {}
        ok: dict[int, bool] = {}
        for u, (n, *_rest) in enumerate(units):
            value = float(matrix[i, u])
            key = (bool(passes[i, u]), value)
            if n not in best or key > (ok[n], best[n][0]):
                best[n] = (value, u)
                ok[n] = bool(passes[i, u])
        compatible = {
            n: (not named)
            or by_n[n].author in named
            or any(mentions(by_n[n].chunk.text, a) for a in named)
            for n in best
        }
        for q in quoted_spans(claim):
            if not quote_is_verbatim(q, sources):
                flags.append("unverbatim-quote")
                break
        passing = [n for n in cited if n in best and compatible[n] and ok[n]]
        candidates = [n for n in best if compatible[n]]
        if passing:
            chosen = tuple(passing)
        elif candidates:
            top = max(candidates, key=lambda n: (ok[n], best[n][0]))
            chosen = (top,) if ok[top] else ()
            if chosen and cited:
                flags.append("repaired")
        else:
            chosen = ()
        if named and cited and not chosen and not any(compatible.get(n) for n in cited):
            flags.append("wrong-author")
        support = max((best[n][0] for n in chosen), default=0.0)
        if not chosen:
            support = max((best[n][0] for n in candidates), default=0.0)
        span = None
        if chosen:
            n0 = chosen[0]
            _, _text, a, b = units[best[n0][1]]
            span = (n0, a, b)
            ex = by_n[n0]
            flags += _span_flags(claim, ex, a, b, named, ignore)
        refusing = {
            "unverbatim-quote",
            "speaker-as-author",
            "unnamed-entity",
            "wrong-voice",
            "fragment-quote",
        }
        supported = bool(chosen) and not (refusing & set(flags))
        if not chosen:
            flags.append("unsupported")
        author = by_n[chosen[0]].author if chosen else None
        verdicts.append(
            Verdict(claim, cited, chosen, round(support, 4), supported, author, tuple(flags), span)
        )
    return verdicts


def verify_sentences(
    sentences: Sequence[str],
    excerpts: Sequence[Excerpt],
    settings: Settings | None = None,
    *,
    scorer: SupportScorer | None = None,
    embedder=None,
    authors: AuthorNames = (),
) -> list[Verdict]:
    """Verify drafted sentences (markers included) against the numbered ``excerpts``.

    ``authors`` are ``(name, aliases)`` pairs of the corpus authors, used to check that a
    sentence naming an author cites that author's text. A sentence that fails only because of
    a trailing comment clause is kept without it (flag ``"trimmed"``).
    """
    kwargs = dict(scorer=scorer, embedder=embedder, authors=authors)
    verdicts = _verify_once(sentences, excerpts, settings, **kwargs)
    retry: list[tuple[int, str]] = []
    for i, v in enumerate(verdicts):
        if v.supported or {"no-claim", "abstains", "wrong-author"} & set(v.flags):
            continue
        head = trim_tail(v.text)
        if head and len(content_words(head)) >= 3:
            retry.append((i, head + "".join(f" [{n}]" for n in v.cited)))
    if retry:
        again = _verify_once([t for _, t in retry], excerpts, settings, **kwargs)
        for (i, _), v in zip(retry, again, strict=True):
            if v.supported:
                verdicts[i] = replace(v, cited=verdicts[i].cited, flags=(*v.flags, "trimmed"))
    return verdicts
