"""Names in text: which authors and works a question names, surnames, proper names.

Pure functions over the catalog's works.

Authors are recognised by full name, surname or initials + surname ("Ticktin", "Ticktin's",
"H. H. Ticktin"), works by title (with or without a leading article, the part before or after a
colon), by catalog aliases, and by year ("the 1939 article", "Trotsky's 1939 view"). A person
named as an *editor* ("the Tucker-edited volume", "edited by Tucker") is not the author the
question asks about, so that mention does not restrict retrieval.

Example::

    >>> from types import SimpleNamespace as W
    >>> works = [W(work_id="t36", author="Leon Trotsky", title="The Soviet Thermidor", year=1936),
    ...          W(work_id="t39", author="Leon Trotsky", title="Toward a Balance Sheet of the Purges",
    ...            year=1939),
    ...          W(work_id="tk", author="Hillel H. Ticktin", title="The Purges", year=1992)]
    >>> d = detect_authors("Contrast Trotsky's 1939 view with Ticktin's.", works)
    >>> d.authors, d.works_for("Leon Trotsky")
    (('Leon Trotsky', 'Hillel H. Ticktin'), ('t39',))
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from rag.text.lexicon import fold
from rag.text.tokens import content_words

_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "`": "'", "“": '"', "”": '"'})
# Generic words a title may reduce to that must not count as naming the work on their own.
_GENERIC = frozenset(
    [
        "the",
        "a",
        "an",
        "of",
        "on",
        "in",
        "and",
        "to",
        "purges",
        "purge",
        "stalinism",
        "stalin",
        "soviet",
        "russia",
        "essay",
        "article",
        "chapter",
        "revolution",
        "introduction",
        "conclusions",
        "nature",
        "political",
        "economic",
        "stalinist",
        "bolshevik",
        "bolsheviks",
        "lenin",
        "communist",
        "communism",
        "party",
    ]
)
_FUNCTION = frozenset(["of", "the", "a", "an", "and", "to", "from", "in", "on", "for", "as"])
_EDITOR_AFTER = r"(?:\s*-\s*|\s+)(?:edited|ed\.)"
_EDITOR_BEFORE = r"(?:edited\s+by|editor\s*,?|ed\.\s*by)\s+(?:[A-Z][\w.]*\s+){0,3}"


@dataclass(frozen=True)
class Detection:
    """Authors (catalog spelling, in order of first mention), work ids, and people named as editors.

    ``author_works`` maps an author to the works of theirs the question singles out (empty =
    any of their works).
    """

    authors: tuple[str, ...] = ()
    works: tuple[str, ...] = ()
    editors: tuple[str, ...] = ()
    author_works: tuple[tuple[str, tuple[str, ...]], ...] = field(default=())

    def works_for(self, author: str) -> tuple[str, ...]:
        """The work ids of ``author`` the question names (empty: any work of theirs)."""
        return dict(self.author_works).get(author, ())

    @property
    def empty(self) -> bool:
        return not self.authors and not self.works


def _norm(text: str) -> str:
    return " ".join(text.translate(_APOSTROPHES).split())


def author_variants(name: str, aliases: Iterable[str] = ()) -> list[str]:
    """Ways a question may name ``name``: full name, surname, initials + surname, aliases.

    Example::

        >>> author_variants("Robert C. Tucker")
        ['Robert C. Tucker', 'Robert Tucker', 'R. C. Tucker', 'Tucker']
    """
    parts = name.split()
    out = [name]
    if len(parts) >= 2:
        first, surname = parts[0], parts[-1]
        out.append(f"{first} {surname}")
        initials = " ".join(f"{p[0]}." for p in parts[:-1] if p[0].isalpha())
        out.append(f"{initials} {surname}")
        out.append(surname)
    out.extend(aliases)
    seen: list[str] = []
    for v in out:
        if v and v not in seen:
            seen.append(v)
    return seen


def title_variants(title: str, aliases: Iterable[str] = ()) -> list[str]:
    """Ways a question may name a work: title, without leading article, each side of a colon.

    Fragments made only of generic words ("Stalinism", "The Purges") are dropped: they name a
    topic, not a work.

    Example::

        >>> title_variants("Stalinism: A Study of Internal Colonialism")
        ['Stalinism: A Study of Internal Colonialism', 'A Study of Internal Colonialism', 'Study of Internal Colonialism', 'Internal Colonialism']
        >>> title_variants("The Soviet Thermidor (ch. 5 of The Revolution Betrayed)")[2:6]
        ['The Soviet Thermidor', 'Soviet Thermidor', 'The Revolution Betrayed', 'Revolution Betrayed']
    """
    out = [title, *aliases]
    pieces = [title]
    # "The Soviet Thermidor (ch. 5 of The Revolution Betrayed)": the title proper, and the
    # larger work named inside the brackets.
    bare = re.sub(r"\s*\([^)]*\)", "", title).strip()
    pieces.append(bare)
    for inner in re.findall(r"\(([^)]*)\)", title):
        m = re.search(r"\bof\s+(.+)$", inner)
        if m:
            pieces.append(m.group(1).strip())
    for piece in list(pieces):
        if ":" in piece:
            pieces.extend(p.strip() for p in piece.split(":"))
    for p in pieces:
        out.append(p)
        out.append(re.sub(r"^(?:the|a|an)\s+", "", p, flags=re.IGNORECASE))
    # Distinctive fragments ("Balance Sheet", "Internal Colonialism"): runs of two or more
    # title words, none of them generic, so "the nature of the purges" (a topic) names no work.
    for piece in pieces:
        if "(" in piece:
            continue
        words = piece.split()
        for i in range(len(words)):
            for j in range(i + 2, len(words) + 1):
                run = words[i:j]
                if all(re.sub(r"\W", "", w).lower() not in _GENERIC | _FUNCTION for w in run):
                    out.append(" ".join(run))
    # The whole title always names the work; shorter variants only when not merely generic.
    whole = {title, bare}
    seen: list[str] = []
    for v in out:
        words = re.findall(r"[a-z]+", v.lower())
        if not words or (v not in whole and all(w in _GENERIC | _FUNCTION for w in words)):
            continue
        if v not in seen:
            seen.append(v)
    return seen


def _pattern(variant: str) -> re.Pattern[str]:
    # Spaces in a variant match any whitespace; word boundaries keep "Tucker" out of "Tuckerman".
    body = r"\s+".join(re.escape(w) for w in _norm(variant).split())
    return re.compile(rf"(?<![\w-]){body}(?![\w])", re.IGNORECASE)


def _is_editor_mention(text: str, start: int, end: int) -> bool:
    after = text[end:]
    after = re.sub(r"^'s?", "", after)
    if re.match(_EDITOR_AFTER, after, re.IGNORECASE):
        return True
    if re.match(r"\s*\(\s*eds?\.\s*\)", after, re.IGNORECASE):
        return True
    before = text[:start]
    return bool(re.search(_EDITOR_BEFORE + r"$", before, re.IGNORECASE))


def _field(work: Any, name: str, default: Any = None) -> Any:
    if isinstance(work, dict):
        return work.get(name, default)
    return getattr(work, name, default)


def detect_authors(question: str, works: Sequence[Any]) -> Detection:
    """Authors and works named in ``question``; ``works`` are catalog works (``work_id``,
    ``author``, ``title``, ``year``; optional ``aliases`` (the author's other names),
    ``title_aliases`` and ``source`` (the volume, naming its editor)).

    Naming only an editor ("the Tucker-edited volume") restricts to the works whose ``source``
    names that editor, i.e. the essays of that volume, by whichever author.

    Example::

        >>> from types import SimpleNamespace as W
        >>> ws = [W(work_id="r", author="T. H. Rigby", title="Mono-Organizational Society", year=1977),
        ...       W(work_id="u", author="Robert C. Tucker", title="Revolution from Above", year=1977)]
        >>> detect_authors("An essay in the Tucker-edited volume says what?", ws).authors
        ()
        >>> detect_authors("What does Rigby's essay say?", ws).authors
        ('T. H. Rigby',)
    """
    text = _norm(question)
    mentions: list[tuple[int, str]] = []  # (position, author)
    editors: list[str] = []
    named_works: list[tuple[int, str]] = []
    by_author: dict[str, list[Any]] = {}
    for w in works:
        by_author.setdefault(_field(w, "author"), []).append(w)

    for author, ws in by_author.items():
        aliases: list[str] = []
        for w in ws:
            aliases.extend(_field(w, "aliases", ()) or ())
        # Longest variants first so "Robert C. Tucker" is one mention, not two.
        for variant in sorted(author_variants(author, aliases), key=len, reverse=True):
            for m in _pattern(variant).finditer(text):
                if _is_editor_mention(text, m.start(), m.end()):
                    if author not in editors:
                        editors.append(author)
                else:
                    mentions.append((m.start(), author))
        for w in ws:
            title_aliases = _field(w, "title_aliases", ()) or ()
            for variant in title_variants(_field(w, "title", ""), title_aliases):
                m = _pattern(variant).search(text)
                if m:
                    named_works.append((m.start(), _field(w, "work_id")))
                    break

    mentioned = [a for _, a in sorted(mentions)]
    authors: list[str] = list(dict.fromkeys(mentioned))
    work_author = {_field(w, "work_id"): _field(w, "author") for w in works}
    work_ids = [wid for _, wid in sorted(named_works)]

    # Years: "the 1939 article" / "Trotsky's 1939 view" picks that year's work (of a named
    # author when there is one, else of anyone, when unambiguous).
    for m in re.finditer(r"(?<!\d)(1[6-9]\d\d|20\d\d)(?!\d)", text):
        year = int(m.group(1))
        candidates = [w for w in works if _field(w, "year") == year]
        if authors:
            own = [w for w in candidates if _field(w, "author") in authors]
            candidates = own
        if len(candidates) == 1 and re.search(
            r"\b(?:article|essay|piece|text|view|account|paper|chapter|writing|work|"
            r"letter|book|study|argument|analysis|assessment)\b",
            text[m.end() : m.end() + 40],
            re.IGNORECASE,
        ):
            wid = _field(candidates[0], "work_id")
            if wid not in work_ids:
                work_ids.append(wid)

    # A named work implies its author.
    for wid in work_ids:
        a = work_author.get(wid)
        if a and a not in authors:
            authors.append(a)
    # Editors stay editors only when not also named as authors elsewhere in the question.
    editors = [e for e in editors if e not in authors]
    if editors and not authors and not work_ids:
        for w in works:
            source = _norm(str(_field(w, "source", "") or ""))
            if any(_pattern(v).search(source) for e in editors for v in author_variants(e)[-1:]):
                work_ids.append(_field(w, "work_id"))
    author_works = tuple(
        (a, tuple(w for w in work_ids if work_author.get(w) == a))
        for a in authors
        if any(work_author.get(w) == a for w in work_ids)
    )
    return Detection(tuple(authors), tuple(work_ids), tuple(editors), author_works)


# --- names in any text -------------------------------------------------------------------

# (full name, aliases) pairs; a plain tuple so tests need no catalog file.
AuthorNames = Sequence[tuple[str, Sequence[str]]]
# Small words that may sit inside a multi-word name ("League of Nations", "Ivan the Terrible").
_NAME_JOINERS = {"of", "the", "de", "von", "van", "del", "la", "le", "du"}


def find_authors(text: str, authors: AuthorNames) -> tuple[str, ...]:
    """Full names of the authors that ``text`` names by full name or alias, in order of mention.

    Matching is case-insensitive on word boundaries; possessives ("Trotsky's") count.

    Example::

        >>> names = [("Leon Trotsky", ["Trotsky"]), ("Robert C. Tucker", ["Tucker"])]
        >>> find_authors("How does Tucker's view differ from Trotsky's?", names)
        ('Robert C. Tucker', 'Leon Trotsky')
    """
    found: list[tuple[int, str]] = []
    low = text.casefold()
    for name, aliases in authors:
        best: int | None = None
        for alias in {name, *aliases}:
            pattern = r"(?<![\w])" + re.escape(alias.casefold()) + r"(?![\w])"
            m = re.search(pattern, low)
            if m and (best is None or m.start() < best):
                best = m.start()
        if best is not None:
            found.append((best, name))
    return tuple(name for _, name in sorted(found))


def surname(name: str) -> str:
    """The last word of a full name.

    Example::

        >>> surname("Alvin W. Gouldner")
        'Gouldner'
    """
    parts = name.split()
    return parts[-1] if parts else name


def mentions(text: str, name: str) -> bool:
    """Whether ``text`` mentions ``name`` by surname (case-insensitive, whole word).

    Example::

        >>> mentions("As Nock put it", "Albert Jay Nock"), mentions("Knock", "Albert Jay Nock")
        (True, False)
    """
    return re.search(rf"(?<!\w){re.escape(fold(surname(name)))}(?!\w)", fold(text)) is not None


def proper_name_stems(text: str) -> set[str]:
    """Stems of capitalised words that do not open the text (likely proper names).

    Example::

        >>> sorted(proper_name_stems("How did Nadezhda Alliluyeva die, per the Molotov-Ribbentrop pact?"))
        ['alliluyeva', 'molotov', 'nadezhda', 'ribbentrop']
    """
    out: set[str] = set()
    for i, word in enumerate(re.findall(r"[A-Za-zÀ-ÿ][\w'’.-]*", text)):
        if i and word[0].isupper():
            for part in re.split(r"[-.]", word):
                out.update(content_words(part))
    return out


def proper_phrases(text: str) -> list[str]:
    """Multi-word proper names in ``text``: runs of two or more capitalised words separated only
    by spaces, possibly joined by small words ("of", "the"). A word that opens a sentence does
    not start a name, and punctuation ends one.

    Example::

        >>> proper_phrases("What did Tucker say of the League of Nations? Compare Walter Duranty.")
        ['League of Nations', 'Walter Duranty']
    """
    phrases: list[str] = []
    run: list[str] = []

    def close() -> None:
        while run and run[-1].lower() in _NAME_JOINERS:
            run.pop()
        if sum(1 for w in run if w[0].isupper()) >= 2:
            phrases.append(" ".join(run))
        run.clear()

    previous_end = 0
    for m in re.finditer(r"[^\W\d_]+", text):
        word, gap = m.group(), text[previous_end : m.start()]
        previous_end = m.end()
        if gap.strip():
            close()
        sentence_start = not text[: m.start()].strip() or re.search(r"[.?!:;]\W*$", gap)
        is_name_word = word[0].isupper() and len(word) > 1 and not sentence_start
        if is_name_word or (run and word.lower() in _NAME_JOINERS):
            run.append(word)
        else:
            close()
    close()
    return phrases
