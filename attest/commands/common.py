"""Helpers shared by the subcommands."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any

from corpus.settings import Settings, get_settings


def settings_from_args(args: argparse.Namespace, **overrides: Any) -> Settings:
    """Settings from attest.toml + env, with the global ``--corpus``/``--data-dir`` flags applied."""
    return get_settings(
        None,
        corpus_dir=getattr(args, "corpus", None),
        data_dir=getattr(args, "data_dir", None),
        **overrides,
    )


def checked_filters(
    authors: Sequence[str] | None, works: Sequence[str] | None, settings: Settings
) -> tuple[list[str] | None, list[str] | None]:
    """``--author``/``--work`` checked against the catalog (InputError, exit 2, when wrong)."""
    if authors is None and works is None:
        return None, None
    from rag.answer.filters import validate_filters
    from rag.answer.question import catalog_works

    return validate_filters(authors, works, catalog_works(settings))
