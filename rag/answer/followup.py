"""Follow-up questions: an elliptical turn ("And Gouldner?", "Why?", "Did he agree?", "Tell me
more") becomes a standalone question that keeps the previous topic and swaps or keeps the
author. Rule-based and pure; the chat shows the rewritten question ("searched for: ...").
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from rag.text.names import AuthorNames, find_authors, surname

_PRONOUNS = {
    "he": "{name}",
    "him": "{name}",
    "his": "{name}'s",
    "she": "{name}",
    "her": "{name}'s",
    "hers": "{name}'s",
    "they": "{name}",
    "them": "{name}",
    "their": "{name}'s",
}
_PRONOUN_RE = re.compile(r"\b(he|him|his|she|her|hers|they|them|their)\b", re.I)
_TOPIC_REF = re.compile(
    r"\b(that|this|the same) (argument|view|claim|idea|point|thesis|explanation|account|position)\b",
    re.I,
)
_WHAT_ABOUT = re.compile(r"^\s*(?:and\s+)?(?:what|how)\s+about\s+(.+?)\s*\??\s*$", re.I)


def _join_names(names: Sequence[str]) -> str:
    short = [surname(n) for n in names]
    if len(short) <= 1:
        return "".join(short)
    return ", ".join(short[:-1]) + " and " + short[-1]


_LEAD = (
    "what why how who which when where does did do is was were according to think thinks thought "
    "say says said write writes wrote argue argues argued explain explains believe believes "
    "view views account of in"
)
_LEAD_WORDS = frozenset(_LEAD.split())
# "How do A and B differ on X" -> X (the names are removed before this runs).
_COMPARE_FRAME = re.compile(
    r"^\s*(?:how|in what ways?|where|why)?\s*(?:do|does|did)?\s*(?:(?:,|and)\s*)*"
    r"(?:differ|disagree|agree|compare|contrast)\w*\s*(?:on|about|over|in|regarding|as to|with)?\s*"
    r"|^\s*(?:compare|contrast)\s*(?:(?:,|and|with)\s*)*(?:on|about|over|regarding)?\s*",
    re.I,
)
# "And Gouldner?", "What did Gouldner think?", "How about Tucker's view?": a turn that names an
# author and asks nothing else keeps the previous topic for the new author.
_BARE = frozenset(
    [
        "and",
        "but",
        "so",
        "then",
        "what",
        "how",
        "about",
        "did",
        "does",
        "do",
        "think",
        "thought",
        "say",
        "says",
        "said",
        "make",
        "of",
        "it",
        "this",
        "that",
        "view",
        "views",
        "position",
        "take",
        "opinion",
        "answer",
        "see",
        "sees",
        "his",
        "her",
        "their",
        "own",
        "the",
        "on",
        "same",
        "question",
        "regard",
        "regards",
        "argue",
        "argues",
        "hold",
        "holds",
        "stand",
        "stands",
    ]
)
_WHY = re.compile(
    r"^\s*(?:and\s+|but\s+)?(?:why|how so|why so|why is that|why was that|on what grounds|why not)\s*\??\s*$",
    re.I,
)
_MORE = re.compile(
    r"^\s*(?:(?:can you |could you |please )?(?:tell me|give me|say|show me)?\s*(?:some\s+)?more"
    r"(?:\s+(?:on|about)\s+(?:that|this|it))?|go on|continue|elaborate|what else|anything else|"
    r"and\??|expand on (?:that|this))\s*[?.!]*\s*$",
    re.I,
)


def _is_bare(text: str, authors: AuthorNames) -> bool:
    """Whether ``text`` holds nothing but author names and question/stance words."""
    rest = text
    for name, aliases in authors:
        for alias in sorted({name, *aliases}, key=len, reverse=True):
            rest = re.sub(
                r"(?<![\w])" + re.escape(alias) + r"(?:'s|’s)?(?![\w])", " ", rest, flags=re.I
            )
    words = re.findall(r"[a-z]+", rest.lower())
    return all(w in _BARE for w in words)


def _topic(question: str, authors: AuthorNames) -> str:
    """The previous question minus its question words, author names and reporting verbs.

    Example::

        >>> _topic("Why did Ticktin think the purges happened?", [("Hillel H. Ticktin", ["Ticktin"])])
        'the purges happened'
    """
    text = question.strip().rstrip(" ?.!")
    for name, aliases in authors:
        for alias in sorted({name, *aliases}, key=len, reverse=True):
            text = re.sub(
                r"(?<![\w])" + re.escape(alias) + r"(?:'s|’s)?(?![\w])", " ", text, flags=re.I
            )
    text = _COMPARE_FRAME.sub(" ", text)
    text = re.sub(
        r"\b(?:do|does|did)\s+(?:say|think|write|argue|believe|claim|hold)\b", " ", text, flags=re.I
    )
    text = re.sub(r"^\W*(?:and|,|\s)+", "", " ".join(text.split()))
    words = text.split()
    while words and words[0].lower().strip(",") in _LEAD_WORDS:
        words.pop(0)
    return " ".join(words) or question.strip().rstrip(" ?")


def _swap_authors(previous: str, old: Sequence[str], new: Sequence[str], authors: AuthorNames):
    """The previous question with every name of the ``old`` author(s) replaced by ``new``."""
    rewritten = previous
    repl = _join_names(new)
    for name, aliases in authors:
        if name not in old:
            continue
        for alias in sorted({name, *aliases}, key=len, reverse=True):
            rewritten = re.sub(
                r"(?<![\w])" + re.escape(alias) + r"(?![\w])", repl, rewritten, flags=re.I
            )
    # Several previous authors collapse into repeated names; keep the first.
    return re.sub(rf"\b({re.escape(repl)})(?:,? and \1)+\b", r"\1", rewritten)


def resolve_followup(text: str, history: Sequence[str], authors: AuthorNames) -> tuple[str, bool]:
    """Rewrite a follow-up into a standalone question using the previous (standalone) question.

    Rules: "tell me more" re-asks the previous question; "why?" asks why, according to the
    previous author(s), the previous topic holds; "what about X?", "And X?" or "What did X
    think?" re-ask the previous question with X's name in place of the previous author (after a
    comparison: what X says about its topic), or about topic X for the same author; pronouns
    (he, his, they...) become the previous author(s) when the question names none; "that
    argument", "this view"... get the previous author and topic. Returns
    ``(standalone, was_rewritten)``.

    Example::

        >>> names = [("Leon Trotsky", ["Trotsky"]), ("Robert C. Tucker", ["Tucker"])]
        >>> resolve_followup("What about Tucker?", ["Why did Trotsky think Stalin won?"], names)
        ('Why did Tucker think Stalin won?', True)
        >>> resolve_followup("Why did he oppose it?", ["What did Trotsky write about Kirov?"], names)
        ('Why did Trotsky oppose it?', True)
    """
    if not history:
        return text, False
    previous = history[-1]
    prev_authors = find_authors(previous, authors)
    named = find_authors(text, authors)
    topic = _topic(previous, authors)

    if _MORE.match(text):
        return previous, True
    if _WHY.match(text):
        who = _join_names(prev_authors)
        return (f"Why, according to {who}, {topic}?" if who else f"Why {topic}?"), True
    if named and _is_bare(text, authors) and not _WHAT_ABOUT.match(text):
        if prev_authors and len(prev_authors) == 1 and set(named) != set(prev_authors):
            return _swap_authors(previous, prev_authors, named, authors), True
        return f"What does {_join_names(named)} say about {topic}?", True

    m = _WHAT_ABOUT.match(text)
    if m:
        target = m.group(1)
        target_authors = find_authors(target, authors)
        if target_authors and len(prev_authors) == 1:
            return _swap_authors(previous, prev_authors, target_authors, authors), True
        if target_authors:
            return f"What does {_join_names(target_authors)} say about {topic}?", True
        if prev_authors:
            return f"What does {_join_names(prev_authors)} say about {target.rstrip(' ?')}?", True
        return f"{_topic(previous, authors)}: what about {target.rstrip(' ?')}?", True

    rewritten = text
    changed = False
    if not named and prev_authors:
        who = _join_names(prev_authors)
        if _TOPIC_REF.search(rewritten):
            rewritten = _TOPIC_REF.sub(
                f"{who}'s argument (on: {_topic(previous, authors)})", rewritten, count=1
            )
            changed = True

        plural_ok = len(prev_authors) > 1
        for match in _PRONOUN_RE.finditer(rewritten):
            word = match.group(1).lower()
            if (word in {"they", "them", "their"}) != plural_ok:
                # "they" after a one-author turn more likely means the Bolsheviks than the author.
                continue
            # Only the first reference: later ones may well be about someone else.
            repl = _PRONOUNS[word].format(name=who)
            rewritten = rewritten[: match.start()] + repl + rewritten[match.end() :]
            changed = True
            break
    elif not named and _TOPIC_REF.search(text):
        rewritten = _TOPIC_REF.sub(f"the argument (on: {_topic(previous, authors)})", text, count=1)
        changed = True
    return rewritten, changed
