"""A bounded load test of a running chat: N simultaneous gradio_client clients on loopback.

Each client connects, waits at a common barrier so that all questions arrive together, submits
its question(s) to the chat's JSON endpoint (``/ask`` by default) and waits for the answer. Every
request ends in exactly one outcome:

* ``answered``  — the endpoint returned (a verified answer, an abstention, or a refusal message);
* ``rejected``  — the server said its queue is full (the bounded queue doing its job);
* ``error``     — anything else the server or the connection reported (a failure of the app);
* ``timeout``   — no outcome before the run's deadline (the job is cancelled).

Bounded in count (``MAX_CLIENTS``) and time (``timeout_s`` for the whole run), and refused for
any address that is not loopback: this is a tool to measure one's own machine, not anyone else's.
While it runs, the resident memory of ``server_pid`` (default: this process, when the app is
served in-process) is sampled to report its peak.

Example::

    >>> percentile([1.0, 2.0, 3.0, 4.0], 50)
    2.5
    >>> is_loopback_url("http://127.0.0.1:7860/"), is_loopback_url("http://example.org/")
    (True, False)
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import os
import threading
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from corpus.errors import InputError
from eval import metrics

MAX_CLIENTS = 100
MAX_REQUESTS = 1000
Outcome = Literal["answered", "rejected", "error", "timeout"]


@dataclass(frozen=True)
class RequestResult:
    """One request: which client sent it, what it asked, how it ended and after how long."""

    client: int
    question: str
    outcome: Outcome
    latency_s: float
    detail: str = ""


@dataclass(frozen=True)
class LoadReport:
    """Figures of one load run (latencies in seconds, memory in bytes)."""

    url: str
    clients: int
    requests: int
    answered: int
    rejected: int
    errors: int
    timeouts: int
    p50_s: float | None
    p95_s: float | None
    max_s: float | None
    wall_s: float
    rss_start_bytes: int | None
    rss_peak_bytes: int | None
    results: tuple[RequestResult, ...] = field(default=(), repr=False)

    @property
    def error_details(self) -> list[str]:
        """Distinct messages of the failed requests (errors and timeouts)."""
        seen = dict.fromkeys(
            r.detail for r in self.results if r.outcome in ("error", "timeout") and r.detail
        )
        return list(seen)

    def summary(self) -> str:
        """A few lines for a terminal."""

        def secs(v: float | None) -> str:
            return "—" if v is None else f"{v:.2f} s"

        def mib(v: int | None) -> str:
            return "—" if v is None else f"{v / 2**20:.0f} MiB"

        lines = [
            f"load: {self.clients} clients, {self.requests} requests against {self.url} "
            f"in {self.wall_s:.1f} s",
            f"  answered {self.answered}, rejected (queue full) {self.rejected}, "
            f"errors {self.errors}, timeouts {self.timeouts}",
            f"  latency of answered requests: p50 {secs(self.p50_s)}, p95 {secs(self.p95_s)}, "
            f"max {secs(self.max_s)}",
            f"  server RSS: start {mib(self.rss_start_bytes)}, peak {mib(self.rss_peak_bytes)}",
        ]
        lines.extend(f"  ! {d}" for d in self.error_details[:5])
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["results"] = [asdict(r) for r in self.results]
        return d


def percentile(values: Sequence[float], q: float) -> float | None:
    """The ``q``-th percentile (0..100) by :func:`eval.metrics.percentile`; None for no values.

    Example::

        >>> percentile([5.0], 95), percentile([], 50) is None
        (5.0, True)
    """
    return metrics.percentile(values, q, empty=None)


def is_loopback_url(url: str) -> bool:
    """Whether ``url`` names this machine (localhost or a loopback address).

    Example::

        >>> is_loopback_url("http://[::1]:7860"), is_loopback_url("http://10.0.0.5:7860")
        (True, False)
    """
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def read_questions(path: Path | str) -> list[str]:
    """Questions from a file: JSON lines with a ``question`` field (like the dev set), or one
    question per line (blank lines and ``#`` comments skipped).

    Example::

        >>> import tempfile, pathlib
        >>> p = pathlib.Path(tempfile.mkdtemp()) / "q.txt"
        >>> _ = p.write_text("# two questions\\nWho was Kirov?\\n\\nWhat is a purge?\\n")
        >>> read_questions(p)
        ['Who was Kirov?', 'What is a purge?']
    """
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read questions from {p} ({exc}): give a UTF-8 text file") from exc
    out: list[str] = []
    for n, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("{"):
            try:
                q = json.loads(line).get("question")
            except (json.JSONDecodeError, AttributeError) as exc:
                raise InputError(
                    f"{p} line {n} is not a JSON object ({exc}): fix the line"
                ) from exc
            if not isinstance(q, str) or not q.strip():
                raise InputError(f'{p} line {n} has no "question" string: add one')
            out.append(q.strip())
        else:
            out.append(line)
    if not out:
        raise InputError(f"{p} holds no questions: one per line, or JSON lines with 'question'")
    return out


class _RssSampler:
    """Samples a process's resident memory in a background thread."""

    def __init__(self, pid: int, interval_s: float) -> None:
        import psutil

        self._proc = psutil.Process(pid)
        self._interval = interval_s
        self._stop = threading.Event()
        self.start_bytes = self._rss()
        self.peak_bytes = self.start_bytes
        self._thread = threading.Thread(target=self._run, name="attest-rss", daemon=True)

    def _rss(self) -> int:
        return int(self._proc.memory_info().rss)

    def _run(self) -> None:
        import psutil

        while not self._stop.wait(self._interval):
            try:
                self.peak_bytes = max(self.peak_bytes, self._rss())
            except psutil.Error:
                return

    def __enter__(self) -> _RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        # The process may be gone; the peak so far stands.
        with contextlib.suppress(Exception):
            self.peak_bytes = max(self.peak_bytes, self._rss())


def _classify(exc: BaseException) -> tuple[Outcome, str]:
    text = f"{type(exc).__name__}: {exc}".strip()
    if "queue is full" in text.lower():
        return "rejected", text
    if isinstance(exc, TimeoutError):
        return "timeout", text
    return "error", text


def run_load(
    url: str,
    questions: Sequence[str],
    *,
    clients: int = 20,
    requests_per_client: int = 1,
    api_name: str = "/ask",
    timeout_s: float = 120.0,
    server_pid: int | None = None,
    rss_interval_s: float = 0.1,
) -> LoadReport:
    """Send ``clients`` simultaneous clients (each ``requests_per_client`` questions in turn,
    cycling through ``questions``) to the chat at ``url``; report outcomes, latencies and the
    peak RSS of ``server_pid`` (default: this process). Raises InputError for a non-loopback
    ``url`` or counts beyond the bounds."""
    from gradio_client import Client

    if not is_loopback_url(url):
        raise InputError(
            f"{url} is not a loopback address: the load test only runs against this machine "
            "(use http://127.0.0.1:PORT/)"
        )
    if not 1 <= clients <= MAX_CLIENTS:
        raise InputError(f"--clients {clients}: use 1 to {MAX_CLIENTS}")
    total = clients * requests_per_client
    if requests_per_client < 1 or total > MAX_REQUESTS:
        raise InputError(f"{total} requests: use at most {MAX_REQUESTS} in one run")
    if not questions:
        raise InputError("no questions to send: give a questions file with at least one")
    if timeout_s <= 0:
        raise InputError("--timeout must be positive")

    results: list[RequestResult] = []
    lock = threading.Lock()
    deadline: list[float] = [0.0]

    def open_gate() -> None:
        # Runs once, before any waiting thread is released: every client sees the deadline.
        deadline[0] = time.monotonic() + timeout_s

    barrier = threading.Barrier(clients + 1, action=open_gate)

    def record(r: RequestResult) -> None:
        with lock:
            results.append(r)

    def client_main(k: int) -> None:
        mine = [
            questions[(k * requests_per_client + j) % len(questions)]
            for j in range(requests_per_client)
        ]
        client = None
        connect_error: BaseException | None = None
        try:
            client = Client(url, verbose=False, download_files=False, analytics_enabled=False)
        except BaseException as exc:  # reported as the outcome of each of its requests
            connect_error = exc
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait(timeout=max(30.0, timeout_s))
        for q in mine:
            t0 = time.monotonic()
            if client is None:
                outcome, detail = _classify(connect_error or RuntimeError("no client"))
                record(RequestResult(k, q, outcome, 0.0, detail))
                continue
            remaining = deadline[0] - t0
            if remaining <= 0:
                record(RequestResult(k, q, "timeout", 0.0, "run deadline reached before sending"))
                continue
            job = client.submit(q, api_name=api_name)
            try:
                value = job.result(timeout=remaining)
            except BaseException as exc:
                outcome, detail = _classify(exc)
                if outcome == "timeout":
                    job.cancel()
                record(RequestResult(k, q, outcome, time.monotonic() - t0, detail[:300]))
                continue
            outcome, detail = "answered", ""
            if isinstance(value, dict) and value.get("error"):
                outcome, detail = "error", str(value["error"])[:300]
            record(RequestResult(k, q, outcome, time.monotonic() - t0, detail))
        if client is not None:
            # Closing is best effort; the outcome is already recorded.
            with contextlib.suppress(Exception):
                client.close()

    threads = [
        threading.Thread(target=client_main, args=(k,), name=f"attest-load-{k}", daemon=True)
        for k in range(clients)
    ]
    pid = server_pid if server_pid is not None else os.getpid()
    with _RssSampler(pid, rss_interval_s) as rss:
        for t in threads:
            t.start()
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait(timeout=max(30.0, timeout_s))
        if not deadline[0]:  # the gate timed out without opening
            open_gate()
        start = deadline[0] - timeout_s
        for t in threads:
            t.join(timeout=max(0.0, deadline[0] + 10.0 - time.monotonic()))
        wall = time.monotonic() - start
    with lock:
        done = list(results)
    answered_latencies = [r.latency_s for r in done if r.outcome == "answered"]
    count = {
        o: sum(r.outcome == o for r in done) for o in ("answered", "rejected", "error", "timeout")
    }
    # A request whose thread never reported (stuck past the deadline) is a timeout.
    missing = total - len(done)
    return LoadReport(
        url=url,
        clients=clients,
        requests=total,
        answered=count["answered"],
        rejected=count["rejected"],
        errors=count["error"],
        timeouts=count["timeout"] + missing,
        p50_s=percentile(answered_latencies, 50),
        p95_s=percentile(answered_latencies, 95),
        max_s=max(answered_latencies) if answered_latencies else None,
        wall_s=wall,
        rss_start_bytes=rss.start_bytes,
        rss_peak_bytes=rss.peak_bytes,
        results=tuple(sorted(done, key=lambda r: (r.client, r.latency_s))),
    )
