"""Who holds a view the passage reports: the subject before a view verb, as a holder.

Scanning back from "argued", "takes the view", "declared" ... over auxiliaries, adverbs and a
parenthesis between commas ("Bukharin, in attempting ..., declared"), the subject is:

* a capitalised run -- a name ("Nicholas Vakar", "Subsequently, Dennis" -> "Dennis");
* "he"/"she" -- resolved to the last named holder before, else the last name before;
* "some", "one", "others", "studies", "theory", "left oppositionists" ... -- a generic holder;
* a passive "it is said/argued/held" -- the impersonal holder "it".

``None`` means the author ("I", "we", the author's own name), a negated verb ("does not say"),
a hedged impersonal one ("it may be said"), or no subject.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from eval.judge.frames import same_person
from eval.judge.lexicon import word_set

OWN = word_set("i we us our my")
_PRONOUN = word_set("he she")
_SKIP = word_set(
    "has have had is are was were be been being does did do will would shall should also even "
    "then further finally always often sometimes rightly correctly wrongly already still indeed "
    "too seems seem seemed appears appear subsequently later earlier once eager to first thus"
)
_SKIP_PHRASE = re.compile(
    r",?\s*\b(?:for example|in turn|at one level|of course|in fact)\s*,?\s*$", re.I
)
_NEG = word_set("not never no nor cannot")
_ADVERBS = word_set(
    "also even then further finally always often sometimes still indeed too thus first"
)
_MODAL = word_set("may might could can must")
_PASSIVE = word_set("is are was were be been being")
_PASSIVE_VIEW = re.compile(r"said|argued|claimed|alleged|believed|thought|held|asserted|contended")
_GENERIC = word_set(
    "some one other others many most critics historians scholars economists studies "
    "theory theories school writers commentators appraisals observers westerners oppositionists"
)
NOT_NAMES = word_set(
    "january february march april may june july august september october november december "
    "the a an in on at for this that these those yet but and or so thus however then "
    "subsequently later meanwhile still indeed even after before since while when if "
    "as though although it its there here any every each all no what which"
)


_PREPOSITIONS = word_set("to of from into with for against at on in about among")


def holder(text: str, a: int, verb_at: int, verb: str, author: str) -> tuple[str, int] | None:
    """Who is the subject of the view verb at ``verb_at``, and where the holder starts.

    ``None``: the author ("I", "we", the author's name), a negated or modal verb ("does not
    say", "we cannot claim"), or no subject found. Scanning back over auxiliaries, adverbs and
    a parenthesis between commas: a capitalised run is a name, "he"/"she" the last name before,
    "some"/"others"/"studies"... a generic holder; a passive "it is said" is impersonal.
    """
    left = text[a:verb_at].rstrip()
    chain: list[str] = []
    while left:
        stripped = _SKIP_PHRASE.sub("", left)
        if stripped != left:
            left = stripped.rstrip()
            continue
        if left.endswith(","):
            # "Bukharin, in attempting ..., declared": the subject precedes the clause's first comma.
            clause = max(left.rfind(";"), left.rfind(":"))
            first_comma = left.find(",", clause + 1)
            if first_comma < 0 or first_comma == len(left) - 1:
                return None
            left = left[:first_comma].rstrip()
            continue
        m = re.search(r"([A-Za-z][\w'-]*)$", left)
        if not m:
            return None
        w = m.group(1).lower()
        if w in _NEG:
            return None
        if w in _SKIP or w in _MODAL or (w.endswith("ly") and len(w) > 4):
            chain.append(w)
            left = left[: m.start()].rstrip()
            continue
        break
    aux = [w for w in chain if w not in _ADVERBS and not w.endswith("ly")]
    hedged = any(w in _MODAL for w in chain)  # "it may be said", "we cannot claim"
    if aux and aux[0] in _PASSIVE:
        return ("it", a + len(left)) if _PASSIVE_VIEW.fullmatch(verb) and not hedged else None
    found = _subject(text, a, a + len(left), author)
    return None if found and hedged and found[0] in {"it", "one"} else found


def _subject(text: str, a: int, end: int, author: str) -> tuple[str, int] | None:
    """The noun phrase ending at ``end``, as a holder (see :func:`holder`)."""
    left = text[a:end]
    m = re.search(r"(?:\b([a-z]+)\s+of\s+(?:[\w'-]+\s+){0,2})?([A-Za-z][\w'-]*)$", left)
    if not m:
        return None
    w = m.group(2)
    if m.group(1) and (m.group(1) in _GENERIC or w[0].islower()):
        w = m.group(1)  # "studies of Soviet development" -> studies
    lw = w.lower()
    at = a + (m.start(1) if m.group(1) and w == m.group(1) else m.start(2))
    if lw in OWN:
        return None
    if lw in _GENERIC:
        return lw, at
    if lw in _PRONOUN:
        return "he", at
    if lw == "they":
        return "they", at
    if not w[0].isupper():
        return None
    run = re.search(r"((?:[A-Z][\w'-]*\s+(?:(?:and|de|von|van)\s+)?)*)$", left[: m.start(2)])
    name = clean_name((run.group(1) if run else "") + w)
    if not name or is_author_name(name, author):
        return None
    return name, a + left.rfind(name.split()[0])


def clean_name(run: str) -> str | None:
    """A capitalised run without openers ("Subsequently Dennis" -> "Dennis") or possessive.

    Example::

        >>> clean_name("In Deutscher's"), clean_name("The")
        ('Deutscher', None)
    """
    words = run.split()
    while words and words[0].lower() in NOT_NAMES | _SKIP:
        words = words[1:]
    return re.sub(r"'s?$", "", " ".join(words)) or None


def resolve(
    holder: str, text: str, at: int, prior: Sequence[tuple[int, str]], author: str
) -> str | None:
    """A holder with a pronoun resolved (``None`` when that is the author).

    "he"/"she": the last named holder before; else the subject of this or the previous
    sentence ("Bukharin, in a conversation with Kamenev, foresaw ... It was, he said, ...");
    else the last name not after a preposition. "they": the plural subject of the previous
    sentence ("Modern appraisals ... They imply" -> appraisals), else "they".

    Example::

        >>> t = "Bukharin, in a talk with Kamenev, foresaw it. It was, he said, ruinous."
        >>> resolve("he", t, t.index("he said"), [], "Robert C. Tucker")
        'Bukharin'
    """
    if holder == "they":
        return _plural_subject(text, at) or "they"
    if holder != "he":
        return holder
    named = [h for start, h in prior if start < at and h[:1].isupper()]
    name = named[-1] if named else _sentence_subject(text, at) or _last_name(text, at)
    return None if name is None or is_author_name(name, author) else name


def _sentence_starts(text: str) -> list[int]:
    return [0] + [m.end() for m in re.finditer(r"(?:[.!?…][\"'”’)\]]*\s+)+", text)]


def _sentence_subject(text: str, at: int) -> str | None:
    """The name opening this sentence, or else the previous one (after an opening phrase
    ending with a comma), if any."""
    starts = _sentence_starts(text[:at])
    for start in reversed(starts[-2:]):
        m = re.match(
            r"(?:[^,.]{0,60},\s*)?([A-Z][\w-]+(?:\s+[A-Z][\w-]+)*)\b(?!\s+[a-z]+ly\b)",
            text[start:at],
        )
        if m and (name := clean_name(m.group(1))) and name.lower() not in _GENERIC:
            return name
    return None


def _plural_subject(text: str, at: int) -> str | None:
    starts = _sentence_starts(text[:at])
    prev = text[starts[-2] : at] if len(starts) > 1 else ""
    m = re.match(r"\W*(?:[A-Za-z-]+\s+){0,2}?([a-z]{3,}s)\b", prev)
    return m.group(1) if m else None


def _last_name(text: str, before: int) -> str | None:
    """The last capitalised name before ``before`` that is not a month, an opener or the object
    of a preposition (a rough antecedent for "he")."""
    best = None
    for m in re.finditer(r"(?<![\w'-])((?:[A-Z][\w-]+\s+)*[A-Z][\w-]+)", text[:before]):
        words = [w for w in m.group(1).split() if w.lower() not in NOT_NAMES]
        prev = re.search(r"(\w+)\W*$", text[: m.start()])
        if not words or (prev and prev.group(1).lower() in _PREPOSITIONS):
            continue
        best = " ".join(words)
    return best


def is_author_name(name: str, author: str) -> bool:
    return bool(author) and same_person(name, author)
