"""A deterministic generator for tests: a scripted draft, streamed word by word."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterator, Sequence

_EXCERPT_BODY = re.compile(r'<excerpt n="(\d+)"[^>]*>\s*(.*?)\s*</excerpt>', re.S)


def _first_sentence(text: str) -> str:
    match = re.match(r"(.+?[.!?])(\s|$)", text.strip(), re.S)
    return (match.group(1) if match else text.strip()).strip()


def default_fake_script(messages: Sequence[dict]) -> str:
    """The fake generator's draft: excerpt [1]'s first sentence (cited) plus an invented one.

    Example::

        >>> msgs = [{"role": "user", "content": '<excerpt n="1" author="A">Cats purr. Dogs bark.</excerpt>'}]
        >>> default_fake_script(msgs)
        'Cats purr. [1] The moon is made of green cheese, as every essay agrees. [1]'
    """
    text = "\n".join(str(m.get("content", "")) for m in messages)
    found = _EXCERPT_BODY.findall(text)
    first = _first_sentence(found[0][1]) if found else "The excerpts say nothing."
    return f"{first} [1] The moon is made of green cheese, as every essay agrees. [1]"


class FakeGenerator:
    """Deterministic generator for tests: yields a scripted draft word by word.

    ``script`` is a fixed string or a function of the messages (default
    :func:`default_fake_script`); ``delay_s`` sleeps between pieces so cancellation can be tested;
    ``word_limit`` makes ``max_new_tokens`` cut the script after that many words.
    """

    def __init__(
        self,
        script: str | Callable[[Sequence[dict]], str] | None = None,
        delay_s: float = 0.0,
        name: str = "fake",
        word_limit: bool = False,
    ) -> None:
        self.word_limit = word_limit
        self.script = script if script is not None else default_fake_script
        self.delay_s = delay_s
        self.name = name
        self.loaded = True
        self.load_s: float | None = 0.0
        self.calls: list[list[dict]] = []

    def stream(
        self,
        messages: list[dict],
        max_new_tokens: int,
        stop_event: threading.Event | None = None,
    ) -> Iterator[str]:
        self.calls.append(list(messages))
        text = self.script(messages) if callable(self.script) else self.script
        pieces = re.findall(r"\S+\s*", text)
        if self.word_limit:
            # Words stand in for tokens only when a test asks for truncation.
            pieces = pieces[:max_new_tokens]
        for piece in pieces:
            if stop_event is not None and stop_event.is_set():
                return
            if self.delay_s:
                time.sleep(self.delay_s)
            yield piece
