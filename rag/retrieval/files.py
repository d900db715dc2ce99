"""The index folder on disk: atomic writes, checksums, and recovery from interrupted builds.

Every file is written and fsynced into a temporary sibling folder that is renamed into place, so a
crash mid-build leaves the previous index usable; the manifest, written last, records each file's
size and sha256, checked before anything parses the file; a pickle is refused unread.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import uuid
from pathlib import Path
from typing import Any

from corpus.errors import IndexFileError
from corpus.user import pid_alive

FAISS_FILE = "vectors.faiss"
CHUNKS_FILE = "chunks.json"
SENTENCES_FILE = "sentences.npy"
MANIFEST_FILE = "manifest.json"
PICKLE_MAGIC = b"\x80"
REBUILD_HINT = "run `attest index --rebuild`"


def file_record(data: bytes) -> dict[str, Any]:
    return {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}


def verify_file(path: Path, data: bytes, manifest: dict[str, Any]) -> None:
    """Raise IndexFileError unless ``data`` matches the size and sha256 the manifest records."""
    record = (manifest.get("files") or {}).get(path.name)
    if not isinstance(record, dict):
        raise IndexFileError(
            f"index file {path} has no checksum in {path.parent / MANIFEST_FILE}; {REBUILD_HINT}"
        )
    if len(data) != record.get("bytes"):
        raise IndexFileError(
            f"index file {path} is {len(data)} bytes but the manifest recorded "
            f"{record.get('bytes')} (truncated or replaced); {REBUILD_HINT}"
        )
    if hashlib.sha256(data).hexdigest() != record.get("sha256"):
        raise IndexFileError(
            f"index file {path} does not match its checksum in the manifest (corrupt or "
            f"modified); {REBUILD_HINT}"
        )


def fsync_write(path: Path, data: bytes) -> None:
    with open(path, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


def fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):  # not every platform can open a directory
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def write_folder(tmp: Path, files: dict[str, bytes], manifest: dict[str, Any]) -> None:
    """Write ``files`` (name -> bytes) into the new folder ``tmp``, then the manifest with the
    size and sha256 of each, last: a folder with a manifest is a complete one."""
    tmp.mkdir(parents=True)
    for name, data in files.items():
        fsync_write(tmp / name, data)
    # A flipped byte in a vector or a chunk's text still parses; only a checksum catches it.
    manifest["files"] = {name: file_record(data) for name, data in files.items()}
    fsync_write(tmp / MANIFEST_FILE, json.dumps(manifest, indent=2).encode("utf-8"))
    fsync_dir(tmp)


def swap_into_place(tmp: Path, target: Path) -> None:
    """Replace ``target`` by ``tmp`` with renames only; ``target`` is never half-written."""
    old = target.with_name(f".{target.name}.old-{uuid.uuid4().hex[:8]}")
    if target.exists():
        os.replace(target, old)
    os.replace(tmp, target)
    fsync_dir(target.parent)
    if old.exists():
        shutil.rmtree(old, ignore_errors=True)


def sweep_abandoned_builds(target: Path) -> None:
    """Remove temp build folders left by builders that died (e.g. SIGKILL mid-build).

    A folder whose builder is still running is left alone, so two concurrent builds never delete
    each other's work.
    """
    for tmp in target.parent.glob(f".{target.name}.tmp-*"):
        pid_text = tmp.name.rsplit(".tmp-", 1)[1].split("-", 1)[0]
        if not pid_text.isdigit() or pid_alive(int(pid_text)):
            continue
        shutil.rmtree(tmp, ignore_errors=True)


def recover_swap(target: Path) -> None:
    """Finish a swap interrupted between its two renames (target gone, old copy present)."""
    if target.exists() or not target.parent.exists():
        return
    olds = sorted(target.parent.glob(f".{target.name}.old-*"), key=lambda p: p.stat().st_mtime)
    if olds and (olds[-1] / MANIFEST_FILE).exists():
        os.replace(olds[-1], target)


def stamp(folder: Path) -> tuple[int, ...] | None:
    """Identity of ``folder``'s manifest file (inode, size, mtime): it changes whenever a new
    index is swapped in. None when there is no manifest."""
    try:
        st = (folder / MANIFEST_FILE).stat()
    except OSError:
        return None
    return (st.st_ino, st.st_size, st.st_mtime_ns)


def read_bytes(path: Path) -> bytes:
    try:
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise IndexFileError(f"index file {path} is missing; {REBUILD_HINT}") from exc
    except OSError as exc:
        raise IndexFileError(f"cannot read index file {path} ({exc}); {REBUILD_HINT}") from exc
    if data[:1] == PICKLE_MAGIC:
        # Unpickling runs arbitrary code: a pickle is refused unread, whatever it claims to be.
        raise IndexFileError(
            f"index file {path} is a Python pickle, which attest never loads; {REBUILD_HINT}"
        )
    return data


def read_json(path: Path) -> Any:
    return parse_json(path, read_bytes(path))


def parse_json(path: Path, data: bytes) -> Any:
    try:
        return json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise IndexFileError(
            f"index file {path} is not valid JSON (truncated or corrupt: {exc}); {REBUILD_HINT}"
        ) from exc
