"""Where an httpx client's connections belong: the process, and for an async
client the event loop, that first sent through it.

A pooled connection is a socket of the process that opened it and, under
asyncio, a transport of the loop that opened it. Sent from a forked child, a
request would share a socket with its parent, each able to read the other's
answers; sent from another loop, it fails deep inside httpcore ("Event loop is
closed" once the first loop is closed, a future attached to a different loop
while it runs). Both are refused before anything is sent.
"""

from __future__ import annotations

import os
import sys
import weakref
from typing import Any

import httpx

from ._errors import HotClientClosedError

__all__ = ["check_affinity"]


class _FirstUse:
    __slots__ = ("loop", "pid")

    def __init__(self, loop: Any) -> None:
        self.pid = os.getpid()
        self.loop: weakref.ref[Any] | None = None if loop is None else weakref.ref(loop)


# Kept per httpx client, which the copies `with_options` makes share.
_FIRST_USE: weakref.WeakKeyDictionary[httpx.Client | httpx.AsyncClient, _FirstUse] = (
    weakref.WeakKeyDictionary()
)


def _running_loop() -> Any:
    """The running asyncio loop; None under another async library, which keeps
    its own rules."""
    asyncio = sys.modules.get("asyncio")
    try:
        return asyncio.get_running_loop() if asyncio is not None else None
    except RuntimeError:
        return None


def check_affinity(
    client: httpx.Client | httpx.AsyncClient,
    client_name: str,
    *,
    in_loop: bool,
    closing: bool = False,
) -> None:
    """Raise `HotClientClosedError` when `client`'s connections belong to another
    process or (`in_loop`) another asyncio loop; remember the first use.

    `closing`: the check is for closing them, which the other loop must do (from
    here httpcore fails with "Event loop is closed", or touches transports that
    loop runs)."""
    loop = _running_loop() if in_loop else None
    first = _FIRST_USE.get(client)
    if first is None:
        _FIRST_USE[client] = _FirstUse(loop)
        return
    if first.pid != os.getpid():
        raise HotClientClosedError(
            f"this {client_name} was first used in process {first.pid}, and its "
            "connections belong to that process, which this one was forked from: "
            "create a new client in this process"
        )
    # Another loop, closed or not: a connection of one loop cannot be read from
    # another (its futures are the first loop's).
    if first.loop is not None and first.loop() is not loop:
        advice = (
            "close the client in the loop that used it"
            if closing
            else "create the client inside the loop that uses it"
        )
        raise HotClientClosedError(
            f"this {client_name} was first used in another event loop, and its "
            f"connections belong to that loop: {advice} (`async with`, once per "
            "`asyncio.run`)"
        )
