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

    if args.web:
        if args.live or args.base_url or args.token:
            print("error: --web serves the emulator: no --live, --base-url, --token",
                  file=sys.stderr)
            return 2
        from ._web_demo import serve

        return serve(sys.stdout, port=args.port)
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
    demo.add_argument(
        "--web",
        action="store_true",
        help="serve a chat page and its token-keeping proxy on 127.0.0.1 "
        '(needs uvicorn: pip install "hot-typed[web]")',
    )
    demo.add_argument(
        "--port", type=int, default=8000, help="with --web: the port to serve on (default 8000)"
    )
    demo.set_defaults(run=_demo)


def _generate(args: argparse.Namespace) -> int:
    """Write a module of typed contracts for the tools of an MCP service."""
    import json
    from pathlib import Path

    from ._errors import HotError
    from ._generate import GeneratorMissing, generate_from_document

    if (args.from_file is None) == (args.service is None):
        print("error: give either --from FILE or --service (with --org and --env)", file=sys.stderr)
        return 2
    try:
        if args.from_file is not None:
            document = json.loads(Path(args.from_file).read_text(encoding="utf-8"))
            source = args.source or Path(args.from_file).name
        else:
            from ._client import HotClient

            if not (args.org and args.env):
                print("error: --service needs --org and --env", file=sys.stderr)
                return 2
            with HotClient(args.token, base_url=args.base_url) as hot:
                document = hot.mcp.list_tools(args.org, args.env, args.service).raw
            source = args.source or f"the MCP service {args.service!r}"
        functions = dict(_function_of(item) for item in args.functions)
        module = generate_from_document(
            document, namespace=args.namespace, source=source, functions=functions
        )
    except (GeneratorMissing, HotError, OSError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    if args.output is None:
        sys.stdout.write(module)
    else:
        Path(args.output).write_text(module, encoding="utf-8")
    return 0


def _function_of(item: str) -> tuple[str, str]:
    """`TOOL=::ns::path/fn`, as `--function` takes it."""
    tool, equals, function = item.partition("=")
    if not (tool and equals and function):
        raise ValueError(f"--function takes TOOL=::ns::path/fn, got {item!r}")
    return tool, function


def _add_generate(commands: _Commands) -> None:
    generate = commands.add_parser(
        "generate",
        help="write typed contracts (functions and models) for the tools of an MCP service",
        description=(
            "Write a Python module of hot_typed.function declarations and pydantic models "
            "from Hot's JSON Schemas of an MCP service's tools: read through the API "
            "(--service, --org, --env) or from a saved tools/list document (--from). "
            "Needs the generate extra: pip install 'hot-typed[generate]'."
        ),
    )
    generate.add_argument("--from", dest="from_file", default=None, help="a saved tools/list JSON")
    generate.add_argument("--service", default=None, help="the MCP service to read")
    generate.add_argument("--org", default=None, help="with --service: the organization slug")
    generate.add_argument("--env", default=None, help="with --service: the environment name")
    generate.add_argument("--base-url", default=None, help="the Hot API (default: HOT_BASE_URL)")
    generate.add_argument("--token", default=None, help="its token (default: HOT_API_KEY)")
    generate.add_argument(
        "--namespace", required=True, help="the Hot namespace of the tools' functions, as ::app::ns"
    )
    generate.add_argument(
        "--function",
        dest="functions",
        action="append",
        default=[],
        metavar="TOOL=::ns::path/fn",
        help="the exact Hot function a tool runs (repeatable); needed for a tool renamed "
        "in its mcp meta or a function whose name has '_'",
    )
    generate.add_argument("--source", default=None, help="what the module's docstring names")
    generate.add_argument("--output", "-o", default=None, help="where to write (default: stdout)")
    generate.set_defaults(run=_generate)


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
    _add_generate(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _build_parser(_program_name(sys.argv[0])).parse_args(argv)
    code: int = args.run(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
