"""`python -m hot_typed <command>`: tools that need no Hot account.

Commands register themselves in `_build_parser`; each one is a function taking
the parsed arguments and returning the process exit code.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Sequence
from types import FrameType

__all__ = ["main"]

HOT_DEV_PORT = 4681
"""The port `hot dev` serves the API on locally."""


def _fake_server(args: argparse.Namespace) -> int:
    """Serve the emulator on 127.0.0.1 until interrupted (Ctrl-C or SIGTERM)."""
    from .testing import HotEmulator

    stop = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    try:
        emulator = HotEmulator(
            api_key=args.api_key,
            port=args.port,
            stream_time_limit=args.stream_time_limit,
            keepalive_interval=args.keepalive_interval,
        )
    except OSError as error:
        print(f"error: cannot listen on 127.0.0.1:{args.port}: {error}", file=sys.stderr)
        return 1
    with emulator:
        token = "any token" if args.api_key is None else f"token {args.api_key!r}"
        print(f"Hot API emulator on {emulator.base_url} ({token}); Ctrl-C stops it", flush=True)
        stop.wait()
    print("stopped", flush=True)
    return 0


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m hot_typed", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    fake = commands.add_parser(
        "fake-server",
        help="serve an in-memory Hot API on 127.0.0.1 for any client",
        description="Serve an in-memory Hot API on 127.0.0.1 until interrupted.",
    )
    fake.add_argument(
        "--port", type=int, default=HOT_DEV_PORT, help=f"default {HOT_DEV_PORT}, as hot dev"
    )
    fake.add_argument(
        "--api-key", default=None, help="the only token to accept (default: accept any)"
    )
    fake.add_argument(
        "--stream-time-limit",
        type=float,
        default=300.0,
        help="seconds before a subscription ends (default 300)",
    )
    fake.add_argument(
        "--keepalive-interval",
        type=float,
        default=15.0,
        help="seconds of quiet before a keep-alive comment (default 15)",
    )
    fake.set_defaults(run=_fake_server)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _build_parser().parse_args(argv)
    code: int = args.run(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
