"""`attest corpus`: the works of the corpus (its own and those added with `attest add`, marked),
or `--check` to validate the catalogs."""

from __future__ import annotations

import argparse

from attest.commands.common import settings_from_args


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "corpus",
        help="list the works (author, year, passages, words; added ones marked) or --check them",
    )
    p.add_argument(
        "--check",
        action="store_true",
        help="validate catalog.toml and its files; list every problem (exit 2 if any)",
    )
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from corpus.catalog import check_catalog, load_catalog
    from corpus.load import load_passages

    settings = settings_from_args(args)
    if args.check:
        problems = check_catalog(settings)
        where = settings.corpus_dir / "catalog.toml"
        added = settings.resolved_user_corpus_dir / "catalog.toml"
        if added.is_file():
            where = f"{where} + {added}"
        if problems:
            print(f"{where}: {len(problems)} problem(s)")
            for problem in problems:
                print(f"  - {problem}")
            return 2
        catalog = load_catalog(settings)
        print(f"{where}: OK ({len(catalog.works)} works, {len(catalog.authors)} authors)")
        return 0

    catalog = load_catalog(settings)
    passages = load_passages(settings, catalog=catalog)
    from corpus.settings import PACKAGE_CORPUS_DIR

    own = "bundled" if settings.corpus_dir.resolve() == PACKAGE_CORPUS_DIR else "corpus"
    rows = []
    for work in catalog.works:
        mine = [p for p in passages if p.work_id == work.work_id]
        body = sum(p.kind == "body" for p in mine)
        notes = sum(p.kind == "footnote" for p in mine)
        words = sum(len(p.text.split()) for p in mine)
        rows.append(
            (
                work.work_id,
                work.author,
                str(work.year or "—"),
                str(body),
                str(notes),
                str(words),
                "added" if work.added else own,
            )
        )
    header = ("work", "author", "year", "body", "footnotes", "words", "source")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    numeric = {2, 3, 4, 5}

    def fmt(row: tuple[str, ...]) -> str:
        cells = [
            c.rjust(w) if i in numeric else c.ljust(w)
            for i, (c, w) in enumerate(zip(row, widths, strict=True))
        ]
        return "  ".join(cells).rstrip()

    print(fmt(header))
    print("  ".join("-" * w for w in widths))
    for row in rows:
        print(fmt(row))
    total_words = sum(int(r[5]) for r in rows)
    added = sum(w.added for w in catalog.works)
    note = (
        f"; {added} added with `attest add` (in {settings.resolved_user_corpus_dir})"
        if added
        else ""
    )
    print(
        f"{len(rows)} works by {len(catalog.authors)} authors, {len(passages)} passages, "
        f"{total_words} words{note}"
    )
    return 0
