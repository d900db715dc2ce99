"""`attest chat`: serve the chat, citation lookup and corpus reader on this machine."""

from __future__ import annotations

import argparse

from attest.commands.common import settings_from_args


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "chat",
        help="the chat, citation lookup and corpus reader in the browser",
        description="Serve the chat on this machine (127.0.0.1 by default; never a public share "
        "link). The page is served at once while the embedder, index, selector (and the "
        "language model when the default mode writes with one) load in the background; the "
        "page shows their state. --lazy loads them on the first question instead. A --host other than loopback needs a login: set "
        "ATTEST_AUTH='user:password' (or the setting auth), or pass --no-auth. Other host names "
        "the chat should answer to go in the setting allowed_hosts.",
    )
    p.add_argument(
        "--host",
        default=None,
        help="address to bind (default: setting 'host', 127.0.0.1; use 0.0.0.0 for a LAN, "
        "with a login)",
    )
    p.add_argument("--port", type=int, default=None, help="port (default: setting 'port', 7860)")
    p.add_argument(
        "--lazy",
        action="store_true",
        help="do not load the models in the background at start (setting eager_model_load)",
    )
    p.add_argument(
        "--no-auth",
        action="store_true",
        help="serve beyond loopback without a login (anyone on the network can use the chat)",
    )
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from ui.app import launch

    settings = settings_from_args(args, host=args.host, port=args.port)
    launch(settings, eager=False if args.lazy else None, no_auth=args.no_auth)
    return 0
