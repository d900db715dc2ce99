"""Read the corpus files named by the catalog and turn every work into passages.

Example::

    >>> ps = load_passages()
    >>> ps[0].work_id, ps[0].kind
    ('ticktin-purges', 'body')
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

from corpus.catalog import Catalog, Work, decode_text, load_catalog
from corpus.clean import CLEANER_VERSION, clean_work
from corpus.errors import CatalogError
from corpus.passage import Passage
from corpus.settings import Settings


def corpus_fingerprint(catalog: Catalog) -> str:
    """A short hash of everything that shapes the passages: each work's entry and file hash.

    An index built from a different fingerprint is stale.

    Example::

        >>> len(corpus_fingerprint(load_catalog()))
        16
    """
    h = hashlib.sha256(f"cleaner={CLEANER_VERSION}\n".encode())
    for w in catalog.works:
        fields: Sequence[object] = (
            w.work_id,
            w.author,
            w.title,
            w.year,
            w.file,
            w.sha256,
            w.source,
            w.start_marker,
            w.end_marker,
            w.body_start,
            w.drop_lines,
            w.headings,
            w.footnotes,
        )
        h.update(repr(fields).encode("utf-8") + b"\n")
    return h.hexdigest()[:16]


def read_raw(work: Work) -> str:
    """The decoded text of ``work``'s whole file (passage offsets index into it).

    Example::

        >>> w = load_catalog().work("trotsky-balance-sheet")
        >>> read_raw(w)[:12]
        'Leon Trotsky'
    """
    try:
        data = Path(work.path).read_bytes()
    except OSError as exc:
        raise CatalogError(
            f"work {work.work_id!r}: cannot read {work.file} ({exc.strerror}): "
            "restore the file or fix 'file' in the catalog"
        ) from exc
    return decode_text(data, name=f"work {work.work_id!r}: {work.file}")


def load_work_passages(work: Work, raw_text: str) -> list[Passage]:
    """Passages of one work from its file's decoded text (see :func:`corpus.clean.clean_work`).

    Example::

        >>> w = load_catalog().work("trotsky-balance-sheet")
        >>> load_work_passages(w, read_raw(w))[0].anchor
        'trotsky-balance-sheet ¶1'
    """
    return clean_work(work, raw_text)


@lru_cache(maxsize=4)
def _cached(corpus_dir: Path, fingerprint: str, catalog: Catalog) -> tuple[Passage, ...]:
    del corpus_dir, fingerprint  # cache keys only
    raws: dict[Path, str] = {}  # by path: an added text may share a corpus text's name
    out: list[Passage] = []
    for work in catalog.works:
        if work.path not in raws:
            raws[work.path] = read_raw(work)
        out.extend(load_work_passages(work, raws[work.path]))
    return tuple(out)


def load_passages(
    settings: Settings | None = None, *, catalog: Catalog | None = None
) -> list[Passage]:
    """Every passage of every work, in catalog order then file order.

    The result is cached per corpus folder and :func:`corpus_fingerprint`, so
    repeated calls are free; a changed catalog or file gives a fresh load.

    Example::

        >>> len({p.work_id for p in load_passages()})
        6
    """
    if catalog is None:
        catalog = load_catalog(settings)
    return list(_cached(catalog.corpus_dir, corpus_fingerprint(catalog), catalog))
