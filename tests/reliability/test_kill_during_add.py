"""`attest add` and `attest remove` SIGKILLed at every step: all old or all new, never half.

The command runs in a real subprocess of the CLI (fake embedder wired in by a small driver) that
pauses at a named step and announces it; the test SIGKILLs it there — no cleanup can run — and
checks that the catalog, the texts folder and the index agree: the work is in all three or in
none, and the index loads without a rebuild. Before the journal (the commit point) the old state
remains; from the journal on, the next reader finishes the edit.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from corpus.catalog import load_catalog
from corpus.settings import PROJECT_ROOT
from corpus.testing import ADDED_AUTHOR, ADDED_TITLE, added_essay_text
from rag.retrieval.store import clear_index_cache, ensure_index

DRIVER = r"""
import os, sys, time
from pathlib import Path

import embeddings.factory
from embeddings.fake import FakeEmbedder

STEP = os.environ["PAUSE_AT"]
MARKER = Path(os.environ["PAUSE_MARKER"])


def pause(step):
    if step == STEP:
        MARKER.write_text(step)
        time.sleep(600)


class Slow(FakeEmbedder):
    def encode(self, texts):
        pause("embedding")
        return super().encode(texts)


emb = Slow(dim=int(os.environ["FAKE_DIM"]))
embeddings.factory.get_embedder = lambda settings=None: emb

import corpus.user
import rag.retrieval.files as ri

corpus.user.checkpoint = pause
real_write = ri.fsync_write


def write(path, data):
    pause("staging:" + path.name)
    real_write(path, data)


ri.fsync_write = write

from attest.cli import main

sys.exit(main(sys.argv[1:]))
"""

ADD_STEPS = [
    "embedding",  # the new chunks half embedded
    "staging:manifest.json",  # the new index folder half written
    "before-journal",  # everything staged, nothing committed
    "journal",  # the commit point: journal written, nothing moved yet
    "commit:0",  # the text moved into texts/
    "commit:1",  # the catalog replaced
    "commit:2:parked",  # the old index moved aside, the new one not yet in place
    "commit:2",  # the new index in place
    "committed",  # the journal removed
]
COMMITTED = ADD_STEPS.index("journal")
WORK = "lindqvist-grain-levy-belyi-district"


def _run_and_kill(args: list[str], step: str, tmp_path: Path, dim: int) -> None:
    driver = tmp_path / "driver.py"
    driver.write_text(DRIVER)
    marker = tmp_path / f"paused-{abs(hash(step))}"
    marker.unlink(missing_ok=True)
    env = {
        **os.environ,
        "PAUSE_AT": step,
        "PAUSE_MARKER": str(marker),
        "FAKE_DIM": str(dim),
        "PYTHONPATH": str(PROJECT_ROOT),
        "HF_HUB_OFFLINE": "1",
    }
    proc = subprocess.Popen(
        [sys.executable, str(driver), *args],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while not marker.exists():
            if proc.poll() is not None:
                _out, err = proc.communicate()
                raise AssertionError(f"driver exited {proc.returncode} before {step}: {err!r}")
            assert time.monotonic() < deadline, f"driver never reached {step}"
            time.sleep(0.01)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        assert proc.returncode == -signal.SIGKILL
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()  # type: ignore[union-attr]
        proc.stderr.close()  # type: ignore[union-attr]


def _state(settings, emb) -> tuple[bool, bool, bool]:
    """(work in the catalog, its text in texts/, its chunks in the index), index loaded as is."""
    clear_index_cache()
    in_catalog = any(w.work_id == WORK for w in load_catalog(settings).works)
    logs: list[str] = []
    index = ensure_index(settings, embedder=emb, log=logs.append)
    assert logs == [], logs  # current as found: loaded, never rebuilt
    assert index.faiss.ntotal == len(index.chunks) == index.manifest["count"]
    texts = settings.resolved_user_corpus_dir / "texts"
    stored = any(texts.glob("added-*.txt")) if texts.exists() else False
    return in_catalog, stored, any(c.work_id == WORK for c in index.chunks)


def _essay(tmp_path: Path) -> Path:
    path = tmp_path / "essay.md"
    path.write_text(added_essay_text("md"), encoding="utf-8")
    return path


def _cli(rel_corpus, rel_settings) -> list[str]:
    return ["--corpus", str(rel_corpus), "--data-dir", str(rel_settings.data_dir)]


@pytest.mark.parametrize("step", ADD_STEPS)
def test_killed_add_is_all_old_or_all_new(
    built_index, rel_settings, rel_corpus, fake_emb, tmp_path, step
):
    add = ["add", str(_essay(tmp_path)), "--author", ADDED_AUTHOR, "--title", ADDED_TITLE]
    _run_and_kill([*_cli(rel_corpus, rel_settings), *add], step, tmp_path, fake_emb.dim)

    expected = ADD_STEPS.index(step) >= COMMITTED
    assert _state(rel_settings, fake_emb) == (expected, expected, expected)
    if not expected:
        assert [c.id for c in ensure_index(rel_settings, embedder=fake_emb).chunks] == [
            c.id for c in built_index.chunks
        ]

    # The next edit sweeps what the killed one left behind, and works.
    from rag.retrieval.update import add_text, remove_work

    if expected:
        remove_work(rel_settings, WORK, embedder=fake_emb)
    else:
        add_text(
            rel_settings,
            _essay(tmp_path),
            author=ADDED_AUTHOR,
            title=ADDED_TITLE,
            embedder=fake_emb,
        )
    folder = rel_settings.resolved_user_corpus_dir
    leftovers = [p.name for p in folder.iterdir() if p.name.startswith((".staging", ".journal"))]
    leftovers += [
        p.name for p in rel_settings.resolved_index_dir.parent.iterdir() if p.name.startswith(".")
    ]
    assert leftovers == []
    assert _state(rel_settings, fake_emb) == (not expected,) * 3


@pytest.mark.parametrize("step", ["before-journal", "journal", "commit:1", "commit:2:parked"])
def test_killed_remove_is_all_old_or_all_new(
    built_index, rel_settings, rel_corpus, fake_emb, tmp_path, step
):
    from rag.retrieval.update import add_text

    add_text(
        rel_settings, _essay(tmp_path), author=ADDED_AUTHOR, title=ADDED_TITLE, embedder=fake_emb
    )
    _run_and_kill([*_cli(rel_corpus, rel_settings), "remove", WORK], step, tmp_path, fake_emb.dim)
    gone = step != "before-journal"
    assert _state(rel_settings, fake_emb) == (not gone,) * 3


def test_a_running_chat_picks_up_an_add_from_another_process(
    built_index, rel_settings, rel_corpus, fake_emb, tmp_path
):
    from rag.retrieval.store import get_index
    from rag.retrieval.update import latest

    served = get_index(rel_settings, fake_emb)  # what a running chat holds
    driver = tmp_path / "driver.py"
    driver.write_text(DRIVER)
    add = ["add", str(_essay(tmp_path)), "--author", ADDED_AUTHOR, "--title", ADDED_TITLE]
    env = {
        **os.environ,
        "PAUSE_AT": "never",
        "PAUSE_MARKER": str(tmp_path / "unused"),
        "FAKE_DIM": str(fake_emb.dim),
        "PYTHONPATH": str(PROJECT_ROOT),
    }
    done = subprocess.run(
        [sys.executable, str(driver), *_cli(rel_corpus, rel_settings), *add],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    fresh = latest(served, rel_settings)
    assert fresh is not served and any(c.work_id == WORK for c in fresh.chunks)
    assert not any(c.work_id == WORK for c in served.chunks)  # the old object is untouched
    assert latest(fresh, rel_settings) is fresh
