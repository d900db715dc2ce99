"""Scenario 4: `attest index --rebuild` SIGKILLed at every step of writing the index.

The command runs in a real subprocess (the real CLI code path, with the fake embedder wired in
by a small driver). The driver pauses at a named step and announces it; the test then SIGKILLs
it — no cleanup handler can run — and checks that the next start loads a complete index (the
previous one, or the new one when the swap had finished), or builds one with a message when
there was none; never a half-written one.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from corpus.settings import PROJECT_ROOT
from rag.retrieval.store import (
    CHUNKS_FILE,
    FAISS_FILE,
    MANIFEST_FILE,
    clear_index_cache,
    ensure_index,
)

DRIVER = r"""
import os, sys, time
from pathlib import Path

import embeddings.factory
from embeddings.fake import FakeEmbedder

emb = FakeEmbedder(dim=int(os.environ["FAKE_DIM"]))
embeddings.factory.get_embedder = lambda settings=None: emb

import rag.retrieval.files as ri

STEP = os.environ["PAUSE_AT"]
MARKER = Path(os.environ["PAUSE_MARKER"])


def pause(step):
    if step == STEP:
        MARKER.write_text(step)
        time.sleep(600)


real_write = ri.fsync_write


def write(path, data):
    pause("before:" + path.name)
    if STEP == "torn:" + path.name:
        # Half the bytes reach the disk, then the process dies.
        with open(path, "wb") as fh:
            fh.write(data[: len(data) // 2])
            fh.flush()
            os.fsync(fh.fileno())
        pause("torn:" + path.name)
    real_write(path, data)
    pause("after:" + path.name)


ri.fsync_write = write
real_replace = os.replace
renames = []


def replace(src, dst):
    real_replace(src, dst)
    renames.append(dst)
    pause(f"after-rename-{len(renames)}")


os.replace = replace

from attest.cli import main

sys.exit(main(sys.argv[1:]))
"""

STEPS = [
    "before:" + FAISS_FILE,
    "torn:" + FAISS_FILE,
    "after:" + FAISS_FILE,
    "torn:" + CHUNKS_FILE,
    "after:" + CHUNKS_FILE,
    "torn:" + MANIFEST_FILE,
    "after:" + MANIFEST_FILE,
    "after-rename-1",  # old index moved aside, new one not yet in place
    "after-rename-2",  # new index in place, old copy not yet removed
]


def _kill_at(step: str, tmp_path: Path, corpus: Path, data_dir: Path, dim: int) -> None:
    driver = tmp_path / "driver.py"
    driver.write_text(DRIVER)
    marker = tmp_path / f"paused-{abs(hash(step))}"
    env = {
        **os.environ,
        "PAUSE_AT": step,
        "PAUSE_MARKER": str(marker),
        "FAKE_DIM": str(dim),
        "PYTHONPATH": str(PROJECT_ROOT),
        "HF_HUB_OFFLINE": "1",
    }
    cmd = [sys.executable, str(driver), "--corpus", str(corpus), "--data-dir", str(data_dir)]
    proc = subprocess.Popen(
        [*cmd, "index", "--rebuild"],
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


def _ids(index) -> list[str]:
    return [c.id for c in index.chunks]


@pytest.mark.parametrize("step", STEPS)
def test_killed_rebuild_leaves_a_complete_index(
    built_index, rel_settings, rel_corpus, fake_emb, tmp_path, step
):
    before_ids = _ids(built_index)
    before_manifest = built_index.manifest
    _kill_at(step, tmp_path, rel_corpus, rel_settings.data_dir, fake_emb.dim)

    clear_index_cache()
    logs: list[str] = []
    index = ensure_index(rel_settings, embedder=fake_emb, log=logs.append)
    # Loaded, not rebuilt: the previous complete index (or the finished new one) was on disk.
    assert logs == []
    assert _ids(index) == before_ids
    assert index.faiss.ntotal == len(index.chunks) == index.manifest["count"]
    if step != "after-rename-2":
        # Before the swap completes the previous index is what is served, byte for byte.
        assert index.manifest == before_manifest
    # Whatever half-written folder the kill left is never what gets loaded.
    assert index.path == rel_settings.resolved_index_dir
    assert not index.path.name.startswith(".")


@pytest.mark.parametrize("step", ["torn:" + FAISS_FILE, "after:" + MANIFEST_FILE])
def test_killed_first_build_is_rebuilt_with_a_message(
    rel_settings, rel_corpus, fake_emb, tmp_path, step
):
    _kill_at(step, tmp_path, rel_corpus, rel_settings.data_dir, fake_emb.dim)
    assert not (rel_settings.resolved_index_dir / MANIFEST_FILE).exists()

    clear_index_cache()
    logs: list[str] = []
    index = ensure_index(rel_settings, embedder=fake_emb, log=logs.append)
    assert any("built" in m for m in logs), logs
    assert len(index) > 0 and index.faiss.ntotal == len(index)
