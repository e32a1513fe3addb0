"""`python -m hot_typed <command>`: tools that need no Hot account.

Each command has an `_add_<command>` function that declares its subparser
(called from `_build_parser`) and sets `run`: a function taking the parsed
arguments and returning the process exit code.
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


def _add_fake_server(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
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


def _demo(args: argparse.Namespace) -> int:
    """The tour against the emulator, or its read-only part against a real Hot."""
    import os

    from ._client import HotClient
    from ._demo import run_demo, run_read_only
    from ._errors import HotError

    base_url = args.base_url or os.environ.get("HOT_BASE_URL")
    token = args.token or os.environ.get("HOT_API_KEY")
    try:
        if base_url and token:
            with HotClient(token, base_url=base_url) as hot:
                run_read_only(hot, sys.stdout)
        elif base_url or args.token:
            print(
                "error: a real Hot needs both a base URL and a token "
                "(--base-url/HOT_BASE_URL and --token/HOT_API_KEY)",
                file=sys.stderr,
            )
            return 2
        else:
            run_demo(sys.stdout)
    except HotError as error:
        print(f"\ndemo failed: {type(error).__name__}: {error}", file=sys.stderr)
        return 1
    return 0


def _add_demo(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    demo = commands.add_parser(
        "demo",
        help="tour the client against a built-in emulator (no account, no network)",
        description=(
            "Tour hot-typed against a built-in emulator. With a base URL and a token "
            "(or HOT_BASE_URL and HOT_API_KEY), run only the read-only part against that Hot."
        ),
    )
    demo.add_argument("--base-url", default=None, help="a real Hot API to read from")
    demo.add_argument("--token", default=None, help="its API token (default: HOT_API_KEY)")
    demo.set_defaults(run=_demo)


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m hot_typed", description="hot-typed tools that need no Hot account."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_demo(commands)
    _add_fake_server(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _build_parser().parse_args(argv)
    code: int = args.run(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
