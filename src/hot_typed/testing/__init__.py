"""Testing with hot-typed: the Hot API emulator, and the loopback server under it.

`HotEmulator` serves an in-memory Hot API on 127.0.0.1 for tests and demos:
real sockets, the real wire format, Python handlers standing in for Hot code,
and fault injection. `LoopbackServer` is the small HTTP server it runs on,
usable alone for answering requests by hand.
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
