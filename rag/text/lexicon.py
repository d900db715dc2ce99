"""The one lexicon of attest's runtime: word lists, case/accent folding and the stemmer.

Everything at runtime that compares words (retrieval, evidence selection, abstention,
verification, citation lookup) folds with :func:`fold`, stems with :func:`stem` (Snowball English,
from PyStemmer) and drops words from these lists, so "collectivization" has one stem everywhere.
The evaluation judge keeps a lexicon of its own on purpose, to stay independent.
"""

from __future__ import annotations

import functools
import unicodedata

import Stemmer

# Function words that carry no topic. Negations are not here: verification needs them.
STOPWORDS = frozenset(
    [
        "a",
        "about",
        "above",
        "after",
        "again",
        "against",
        "all",
        "also",
        "although",
        "am",
        "an",
        "and",
        "another",
        "any",
        "are",
        "aren't",
        "as",
        "at",
        "be",
        "because",
        "been",
        "before",
        "being",
        "below",
        "between",
        "both",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "doing",
        "done",
        "down",
        "during",
        "each",
        "either",
        "else",
        "even",
        "ever",
        "few",
        "for",
        "from",
        "further",
        "had",
        "has",
        "have",
        "having",
        "he",
        "her",
        "here",
        "hers",
        "herself",
        "him",
        "himself",
        "his",
        "how",
        "however",
        "i",
        "if",
        "in",
        "indeed",
        "into",
        "is",
        "it",
        "its",
        "itself",
        "just",
        "least",
        "less",
        "let",
        "like",
        "many",
        "may",
        "me",
        "might",
        "more",
        "most",
        "mr",
        "much",
        "must",
        "my",
        "myself",
        "of",
        "off",
        "on",
        "once",
        "one",
        "only",
        "or",
        "other",
        "our",
        "ours",
        "ourselves",
        "out",
        "over",
        "own",
        "per",
        "rather",
        "same",
        "shall",
        "she",
        "should",
        "so",
        "some",
        "still",
        "such",
        "than",
        "that",
        "the",
        "their",
        "theirs",
        "them",
        "themselves",
        "then",
        "there",
        "therefore",
        "these",
        "they",
        "this",
        "those",
        "though",
        "through",
        "thus",
        "to",
        "too",
        "under",
        "until",
        "up",
        "upon",
        "us",
        "very",
        "was",
        "we",
        "well",
        "were",
        "what",
        "when",
        "where",
        "whereby",
        "whether",
        "which",
        "while",
        "who",
        "whom",
        "whose",
        "why",
        "will",
        "with",
        "within",
        "would",
        "yet",
        "you",
        "your",
        "yours",
        "made",
        "make",
        "makes",
        "making",
        "become",
        "became",
    ]
)

# Verbs that report a view rather than carry content: "Trotsky argues that..." must not need
# "argues" in the excerpt. Nouns ("view", "claim") are not here: they can carry content.
REPORTING_VERBS = frozenset(
    [
        "according",
        "argue",
        "argued",
        "argues",
        "arguing",
        "say",
        "says",
        "said",
        "saying",
        "write",
        "writes",
        "wrote",
        "written",
        "writing",
        "notes",
        "noted",
        "noting",
        "claims",
        "claimed",
        "states",
        "stated",
        "suggest",
        "suggests",
        "suggested",
        "think",
        "thinks",
        "thought",
        "believe",
        "believes",
        "believed",
        "maintains",
        "maintained",
        "contends",
        "contended",
        "points",
        "pointed",
        "observe",
        "observes",
        "observed",
        "remarks",
        "remarked",
        "describes",
        "described",
        "explains",
        "explained",
        "mentions",
        "mentioned",
        "emphasizes",
        "emphasized",
        "stresses",
        "stressed",
        "insists",
        "insisted",
        "quote",
        "quotes",
        "quoted",
        "quoting",
        "cite",
        "cites",
        "cited",
        "citing",
        "call",
        "calls",
        "called",
        "calling",
    ]
)

NEGATIONS = frozenset(
    [
        "not",
        "no",
        "never",
        "none",
        "nothing",
        "neither",
        "nor",
        "cannot",
        "can't",
        "won't",
        "didn't",
        "doesn't",
        "don't",
        "isn't",
        "wasn't",
        "weren't",
        "aren't",
        "hasn't",
        "haven't",
        "hadn't",
        "shouldn't",
        "wouldn't",
        "couldn't",
        "without",
        "deny",
        "denies",
        "denied",
        "denying",
        "reject",
        "rejects",
        "rejected",
        "rejecting",
        "refute",
        "refutes",
        "refuted",
        "dismiss",
        "dismisses",
        "dismissed",
        "false",
        "untrue",
    ]
)

# Words that frame a question ("what does X say about...", "describe", "explain") rather than
# name its topic: every passage is equally (un)related to them, so search ignores them.
QUESTION_FRAMING = frozenset(
    [
        "according",
        "say",
        "says",
        "said",
        "describe",
        "describes",
        "explain",
        "explains",
        "view",
        "think",
        "thinks",
        "account",
    ]
)

_FOLD = str.maketrans(
    {"’": "'", "‘": "'", "“": '"', "”": '"', "—": "-", "–": "-", "«": '"', "»": '"'}
)


def fold(text: str) -> str:
    """Lower-case, accents removed, curly quotes and dashes made plain.

    Example::

        >>> fold("Trotsky’s “Thermidor” — Café")
        'trotsky\\'s "thermidor" - cafe'
    """
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    return text.translate(_FOLD).lower()


@functools.lru_cache(maxsize=1)
def _snowball() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("english")


@functools.lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """The Snowball English stem of a folded word (a possessive ``'s`` is dropped first).

    Example::

        >>> [stem(w) for w in ["purges", "purged", "collectivization", "collectivized", "Trotsky's"]]
        ['purg', 'purg', 'collectiv', 'collectiv', 'trotski']
    """
    w = word.lower().replace("’", "'")
    if w.endswith("'s"):
        w = w[:-2]
    w = w.replace("'", "")
    return _snowball().stemWord(w) if w else w
