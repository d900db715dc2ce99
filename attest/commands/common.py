"""Helpers shared by the subcommands."""

from __future__ import annotations

import argparse
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
