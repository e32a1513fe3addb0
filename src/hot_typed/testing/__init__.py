"""Testing with hot-typed: the Hot API emulator, and the loopback server under it.

`HotEmulator` serves an in-memory Hot API on 127.0.0.1 for tests and demos:
real sockets, the real wire format, Python handlers standing in for Hot code,
and fault injection::

    from hot_typed.testing import HotEmulator

    def test_signup_sends_welcome() -> None:
        with HotEmulator() as emu:
            @emu.on_event("user:signup")
            def welcome(event, ctx):
                ctx.emit_text("Welcome!")
                return {"sent": True}

            client = emu.client()          # or emu.async_client(), or emu.base_url
            client.events.publish({"event_type": "user:signup", "event_data": {"id": 1}})

            emu.faults.rate_limit(retry_after=0)   # the next request gets a 429
            assert client.runs.stats().total_runs == 1

The same emulator runs as a process with `python -m hot_typed fake-server`.
`LoopbackServer` is the small HTTP server it runs on, usable alone to answer
requests by hand.
"""

from ._context import EmulatorConfig
from ._emulator import DEFAULT_API_KEY, HotEmulator
from ._faults import Faults
from ._handlers import Handler, HandlerEvent, RunContext, TaskControl
from ._http import DropConnection, HttpRequest, HttpResponse, LoopbackServer

__all__ = [
    "DEFAULT_API_KEY",
    "DropConnection",
    "EmulatorConfig",
    "Faults",
    "Handler",
    "HandlerEvent",
    "HotEmulator",
    "HttpRequest",
    "HttpResponse",
    "LoopbackServer",
    "RunContext",
    "TaskControl",
]
