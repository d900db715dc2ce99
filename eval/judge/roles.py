"""Who did what to whom, and which facts belong together: the ``role`` and ``merged`` rules.

A sentence can use only words of the passage and still be false: "Yezhov saw Stalin's
character" where "Stalin saw his [Yezhov's] character"; "the Finns were massacred by the
Russians" where Russian troops were massacred by the Finns; "the Left Opposition in 1928 was
massacred" where the Chinese revolution was massacred in 1927 and the Left Opposition arrested
in 1928; "2.5 million soldiers" where 2.5 million were industrial workers.

* :func:`role_conflict` -- for a verb of the sentence found in the passage, its agent (the name
  before an active verb, the name after "by" for a passive one) must be the agent the passage
  gives it, when the passage gives one that the sentence also names.
* :func:`merged_facts` -- each name or number next to a past-tense verb (within six tokens, no
  "and" or comma between) must co-occur with that verb in one sentence of the passage (or a
  sentence and the next one that goes on with a pronoun), where both occur in it at all.
* :func:`number_binding` -- a number directly before a noun ("2.5 million soldiers") must be
  found before that noun in the passage when the passage puts the noun after another number.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from eval.judge.lexicon import FRAME_WORDS, STOPWORDS, stem, stems_match, word_set
from eval.judge.numbers import is_number_word, numbers_in, same_number
from eval.judge.voices import sentence_spans

_TOKEN = re.compile(r"[A-Za-z][\w'-]*|\d[\d,.]*\d|\d|[;:.,!?()\"“”—]")
_AUX = word_set(
    "was were is are be been being has have had able to then also later finally always "
    "correctly could would can might must did does do not only first even thus once"
)
_STOP_BACK = word_set("he she it they his her its their who which that and or but when while")
_PASSIVE = word_set("was were is are be been being")
_NOT_ENTITY = (
    STOPWORDS
    | FRAME_WORDS
    | word_set(
        "january february march april may june july august september october november december "
        "in on at the a an this that these those according yes no"
    )
)
_NUMBER_NP = word_set(
    "and figure figures estimate estimates of around about some nearly almost over the count total"
)
_IRREGULAR_PAST = word_set(
    "saw took gave made held led fell rose grew began drove wrote told found brought sent "
    "won lost shot fought built left kept met paid put ran sold stood thought understood"
)


@dataclass(frozen=True)
class _Tok:
    text: str
    stem: str
    cap: bool
    number: float | None


def _toks(text: str) -> list[_Tok]:
    out = []
    for m in _TOKEN.finditer(text):
        w = m.group(0)
        nums = numbers_in(w) if w[0].isdigit() or is_number_word(w.lower()) else []
        out.append(
            _Tok(
                w.lower(), stem(re.sub(r"'s?$", "", w.lower())), w[0].isupper(), (nums or [None])[0]
            )
        )
    return out


def _entities(body: list[_Tok], evidence: str) -> list[str]:
    """Stems of the body's capitalised words that are names: capitalised after the body's first
    word; the first word if the evidence has it capitalised mid-sentence, or never lower-case."""
    ev_caps = {
        stem(re.sub(r"'s?$", "", m.group(0).lower()))
        for m in re.finditer(r"(?<=[\w,;:)] )[A-Z][\w'-]*", evidence)
    }
    ev_lower = {stem(w) for w in re.findall(r"\b[a-z][\w'-]*", evidence)}
    out = []
    for i, t in enumerate(body):
        if not t.cap or t.text in _NOT_ENTITY or len(t.text) < 3:
            continue
        if i > 0 or any(stems_match(t.stem, e) for e in ev_caps) or t.stem not in ev_lower:
            out.append(t.stem)
    return out


def _agent(toks: list[_Tok], i: int, names: Sequence[str]) -> str | None:
    """The name doing the verb at ``toks[i]``: after "by" for a passive, else the closest name
    before it (over auxiliaries and an apposition between commas, not over another verb or a
    pronoun), or ``None``."""
    if i + 1 < len(toks) and toks[i + 1].text == "by":
        for k in range(i + 2, min(i + 6, len(toks))):
            if found := _name_at(toks[k], names):
                return found
            if toks[k].text not in {"the", "a", "an"} and not toks[k].cap:
                break
        return None
    k, steps = i - 1, 0
    if k >= 0 and toks[k].text in _PASSIVE and not toks[i].text.endswith("ing"):
        return None
    while k >= 0 and steps < 8:
        t = toks[k]
        if t.text in _STOP_BACK or t.text in {";", ":", ".", "!", "?", "(", ")"}:
            return None
        if t.text == ",":  # "Lenin, horrified at ..., was preparing": skip the apposition
            prev = [x for x in range(k - 1, max(-1, k - 15), -1) if toks[x].text == ","]
            k = prev[0] - 1 if prev else k - 1
            continue
        found = _name_at(t, names)
        if found and not t.text.endswith(("'s", "'")):
            return found
        if (
            t.text not in _AUX
            and (_verb_like(t) or t.text.endswith("ing"))
            and (steps == 0 or not t.text.endswith("s"))
        ):
            return None  # another verb in between: "the view Gouldner discusses portrays"
        k -= 1
        steps += 0 if t.text in _AUX else 1
    return None


def _name_at(t: _Tok, names: Sequence[str]) -> str | None:
    return next((n for n in names if t.cap and stems_match(t.stem, n)), None)


def role_conflict(body: str, texts: Sequence[str]) -> str | None:
    """Why the sentence gives a verb of the passage to the wrong person, or ``None``.

    Example::

        >>> ev = ["As executant was required a villain like Yezhov; Stalin saw his character."]
        >>> role_conflict("Yezhov saw Stalin's character.", ev)
        'says yezhov did "saw", but in the passage stalin did'
        >>> role_conflict("Stalin saw Yezhov's character.", ev) is None
        True
    """
    full = " ".join(texts)
    btoks = _toks(body)
    names = _entities(btoks, full)
    if len(set(names)) < 2:
        return None
    ev_sents = [_toks(t[a:b]) for t in texts for a, b in sentence_spans(t)]
    for i, t in enumerate(btoks):
        if not _verb_like(t) or any(stems_match(t.stem, n) for n in names):
            continue
        agent = _agent(btoks, i, names)
        if agent is None:
            continue
        others = set()
        for es in ev_sents:
            for j, e in enumerate(es):
                if e.text == t.text or (len(t.stem) > 3 and e.stem == t.stem):
                    other = _agent(es, j, names)
                    if other is not None:
                        others.add(other)
        if others and agent not in others:
            return f'says {agent} did "{t.text}", but in the passage {sorted(others)[0]} did'
        if not others and _by_agent(btoks, i) and _verb_in(ev_sents, t):
            return f'says "{t.text}" by {agent}, but the passage does not say who did it'
    return None


def _by_agent(toks: list[_Tok], i: int) -> bool:
    return i + 1 < len(toks) and toks[i + 1].text == "by"


def _verb_in(sents: list[list[_Tok]], t: _Tok) -> bool:
    return any(e.text == t.text for es in sents for e in es)


def _verb_like(t: _Tok) -> bool:
    return (
        not t.cap
        and t.number is None
        and t.text not in STOPWORDS
        and (t.text in _IRREGULAR_PAST or (len(t.text) > 3 and t.text.endswith(("ed", "s", "ing"))))
    )


def merged_facts(body: str, texts: Sequence[str]) -> str | None:
    """Why a name or number of the sentence is tied to a verb it never goes with, or ``None``.

    Example::

        >>> ev = ["In 1927 the Chinese revolution was massacred by the hangman.",
        ...       "In 1928 the bureaucracy ventured upon mass arrests among the Left Opposition."]
        >>> merged_facts("The Left Opposition was massacred in 1928.", ev)
        'joins "opposition" and "massacred", which no sentence of the passage puts together'
        >>> merged_facts("The Chinese revolution was massacred in 1927.", ev) is None
        True
    """
    full = " ".join(texts)
    ev_sents = _linked_sentences(texts)
    toks = _toks(body)
    names = set(_entities(toks, full))
    for i, v in enumerate(toks):
        with_v = [es for es in ev_sents if any(e.stem == v.stem for e in es)]
        if not _past_verb(v) or not with_v:
            continue
        for a in _near(toks, i, names):
            if any(_has(es, a) for es in ev_sents) and not any(_has(es, a) for es in with_v):
                name = a.text if a.number is None else f"{a.number:g}"
                return (
                    f'joins "{name}" and "{v.text}", which no sentence of the passage puts together'
                )
    return None


def _near(toks: list[_Tok], i: int, names: set[str]) -> list[_Tok]:
    """The names and numbers (not small ones) within six tokens of ``toks[i]``, with no
    coordination or punctuation between them (they belong to the same predication)."""
    out = []
    for step in (-1, 1):
        j = i + step
        while 0 <= j < len(toks) and abs(j - i) <= 6:
            t = toks[j]
            if t.text in {"and", "but", "or", "while", ",", ";", ":", ".", "(", ")"}:
                break
            if t.stem in names or (t.number is not None and t.number > 31):
                out.append(t)
            j += step
    return out


def _linked_sentences(texts: Sequence[str]) -> list[list[_Tok]]:
    """The passage's clauses (sentences split at ";", "though", "although", "whereas"), each
    joined to the next when that one goes on with a pronoun ("The ... alternative was real.
    Had it been adopted, it could well have worked")."""
    units: list[list[_Tok]] = []
    for t in texts:
        for a, b in sentence_spans(t):
            unit: list[_Tok] = []
            for tok in _toks(t[a:b]):
                if tok.text in {";", "though", "although", "whereas"} and unit:
                    units.append(unit)
                    unit = []
                unit.append(tok)
            units.append(unit)
    out = []
    for i, u in enumerate(units):
        nxt = units[i + 1] if i + 1 < len(units) else []
        if any(t.text in {"it", "he", "she", "they", "this", "these"} for t in nxt[:6]):
            u = u + nxt
        out.append(u)
    return out


def _past_verb(t: _Tok) -> bool:
    return (
        not t.cap
        and len(t.text) > 4
        and t.text not in FRAME_WORDS
        and (t.text.endswith("ed") or t.text in _IRREGULAR_PAST)
    )


def _has(sent: list[_Tok], a: _Tok) -> bool:
    if a.number is not None:
        return any(t.number is not None and same_number(t.number, a.number) for t in sent)
    return any(stems_match(t.stem, a.stem) for t in sent)


def number_binding(body: str, texts: Sequence[str]) -> str | None:
    """Why a number of the sentence counts a different noun in the passage, or ``None``.

    Example::

        >>> ev = ["There were 2.5 million industrial workers and 1.25 million soldiers."]
        >>> number_binding("There were 2.5 million soldiers.", ev)
        'puts 2.5 million with "soldiers", which the passage counts with another number'
        >>> number_binding("There were 2.5 million industrial workers.", ev) is None
        True
    """
    named = _named_numbers(body, texts)
    if named:
        return named
    ev = [t for text in texts for t in _counted(_toks(text))]
    for num, nouns, shown, word in _counted(_toks(body)):
        same = [n for v, n, _s, _w in ev if same_number(v, num)]
        other = [n for v, n, _s, _w in ev if not same_number(v, num)]
        head = nouns[-1]
        if not same:
            continue
        if not any(any(stems_match(head, x) for x in n) for n in same) and any(
            any(stems_match(head, x) for x in n) for n in other
        ):
            return f'puts {shown} with "{word}", which the passage counts with another number'
    return None


def _named_numbers(body: str, texts: Sequence[str]) -> str | None:
    """A number the sentence gives to a name ("Conquest and Wheatcroft figures of 3 million")
    that the passage gives to others only ("the Nove and Wheatcroft figures of around 3
    million and much higher figures produced by Conquest")."""
    full = " ".join(texts)
    btoks, etoks = _toks(body), _toks(full)
    names = _entities(btoks, full)
    for i, t in enumerate(btoks):
        value = _value(btoks, i)
        if value is None or (1000 < value < 2100 and "." not in t.text) or value < 32:
            continue
        mine = _names_before(btoks, i, names, 5, stop=",;:.", np_only=True)
        spots = [j for j in range(len(etoks)) if (v := _value(etoks, j)) and same_number(v, value)]
        if not mine or not spots:
            continue
        near = set().union(*(_names_before(etoks, j, names, 12, stop=".;") for j in spots))
        for n in mine - near:
            if any(e.cap and stems_match(e.stem, n) for e in etoks):
                return f'puts {t.text} with "{n}", which the passage gives that number to others'
    return None


def _value(toks: list[_Tok], i: int) -> float | None:
    """The value of the number at ``toks[i]`` with a following scale ("3 million")."""
    if toks[i].number is None:
        return None
    scale = {"thousand": 1e3, "million": 1e6, "billion": 1e9}
    nxt = toks[i + 1].text if i + 1 < len(toks) else ""
    return toks[i].number * scale.get(nxt, 1)


def _names_before(
    toks: list[_Tok], i: int, names: Sequence[str], k: int, stop: str, np_only: bool = False
) -> set[str]:
    """Names among the ``k`` tokens before ``toks[i]`` (``np_only``: only through a noun phrase
    such as "Conquest and Wheatcroft figures of")."""
    out = set()
    for j in range(i - 1, max(-1, i - 1 - k), -1):
        if toks[j].text in stop:
            break
        if found := _name_at(toks[j], names):
            out.add(found)
        elif np_only and toks[j].text not in _NUMBER_NP:
            break
    return out


def _counted(toks: list[_Tok]) -> list[tuple[float, list[str], str, str]]:
    """(value, stems of up to three following words, the number as shown, the last of those
    words) for each number that is not a year."""
    out = []
    for i, t in enumerate(toks):
        if t.number is None or (1000 < t.number < 2100 and "." not in t.text):
            continue
        j, shown = i + 1, t.text
        while j < len(toks) and toks[j].text in {"million", "thousand", "billion", "hundred"}:
            shown += " " + toks[j].text
            j += 1
        if j < len(toks) and toks[j].text in {"percent", "%"}:
            shown += " " + toks[j].text
            j += 1
            while j < len(toks) and toks[j].text in {"of", "all", "the"}:
                j += 1
        nouns = []
        while j < len(toks) and len(nouns) < 3 and toks[j].text.isalpha():
            if toks[j].text in STOPWORDS:
                break
            nouns.append(toks[j].stem)
            j += 1
        value = numbers_in(shown)
        if value and nouns:
            out.append((value[0], nouns, shown, toks[j - 1].text))
    return out
