"""`attest settings`: every setting, its current value and what it does."""

from __future__ import annotations

import argparse

from attest.commands.common import settings_from_args


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("settings", help="print every setting with its value and description")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from corpus.settings import Settings

    settings = settings_from_args(args)
    for name, field in Settings.model_fields.items():
        print(f"{name} = {getattr(settings, name)!r}\n    {field.description}")
    return 0
