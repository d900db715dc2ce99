"""`attest ask` (not built yet)."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("ask", help="(not built yet)")
    p.set_defaults(handler=lambda args: print("attest ask: not built yet") or 1)
