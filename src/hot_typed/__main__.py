"""`python -m hot_typed <command>`: tools that need no Hot account.

Each command has an `_add_<command>` function that declares its subparser
(called from `_build_parser`) and sets `run`: a function taking the parsed
arguments and returning the process exit code.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from collections.abc import Sequence
from types import FrameType
from typing import TypeAlias

from ._version import __version__

__all__ = ["main"]

# argparse names the type of `add_subparsers()` privately; only annotations use it.
_Commands: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"  # pyright: ignore[reportPrivateUsage]

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
        if args.demo_handlers:
            from ._demo import install_handlers

            install_handlers(emulator)
        token = "any token" if args.api_key is None else f"token {args.api_key!r}"
        print(f"Hot API emulator on {emulator.base_url} ({token}); Ctrl-C stops it", flush=True)
        stop.wait()
    print("stopped", flush=True)
    return 0


def _add_fake_server(commands: _Commands) -> None:
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
    fake.add_argument(
        "--no-demo-handlers",
        dest="demo_handlers",
        action="store_false",
        help="serve no functions or event handlers (by default the demo's are served, "
        "so the README's examples work: ::demo::math/add, user:signup, assistant:ask, "
        "report:requested)",
    )
    fake.set_defaults(run=_fake_server)


def _demo(args: argparse.Namespace) -> int:
    """The tour against the emulator; with `--live`, its read-only part against a real Hot."""
    from ._client import HotClient
    from ._demo import run_demo, run_read_only
    from ._errors import HotError

    if not args.live:
        if args.base_url or args.token:
            print("error: --base-url and --token go with --live", file=sys.stderr)
            return 2
        try:
            run_demo(sys.stdout)
        except HotError as error:
            print(f"\ndemo failed: {type(error).__name__}: {error}", file=sys.stderr)
            return 1
        return 0
    base_url = args.base_url or os.environ.get("HOT_BASE_URL")
    token = args.token or os.environ.get("HOT_API_KEY")
    if not (base_url and token):
        print(
            "error: --live needs both a base URL and a token "
            "(--base-url/HOT_BASE_URL and --token/HOT_API_KEY)",
            file=sys.stderr,
        )
        return 2
    try:
        with HotClient(token, base_url=base_url) as hot:
            run_read_only(hot, sys.stdout)
    except HotError as error:
        print(f"\ndemo failed: {type(error).__name__}: {error}", file=sys.stderr)
        return 1
    return 0


def _add_demo(commands: _Commands) -> None:
    demo = commands.add_parser(
        "demo",
        help="tour the client against a built-in emulator (no account, no network)",
        description=(
            "Tour hot-typed against a built-in emulator, whatever the environment says. "
            "With --live, run only the read-only part against a real Hot instead "
            "(--base-url/HOT_BASE_URL and --token/HOT_API_KEY): nothing is changed there."
        ),
    )
    demo.add_argument(
        "--live", action="store_true", help="read (never write) a real Hot instead of the emulator"
    )
    demo.add_argument("--base-url", default=None, help="with --live: the Hot API to read from")
    demo.add_argument("--token", default=None, help="with --live: its token (default: HOT_API_KEY)")
    demo.set_defaults(run=_demo)


def _program_name(argv0: str) -> str:
    """How the user started us: the console script by its name, else `python -m hot_typed`."""
    name = os.path.basename(argv0)
    return name if name.startswith("hot-typed") else "python -m hot_typed"


def _build_parser(prog: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog, description="hot-typed tools that need no Hot account."
    )
    parser.add_argument("--version", action="version", version=f"hot-typed {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_demo(commands)
    _add_fake_server(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _build_parser(_program_name(sys.argv[0])).parse_args(argv)
    code: int = args.run(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
