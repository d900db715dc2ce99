"""`attest search` (not built yet)."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("search", help="(not built yet)")
    p.set_defaults(handler=lambda args: print("attest search: not built yet") or 1)
