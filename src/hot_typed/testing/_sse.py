"""Server-sent event responses: framing, keep-alive comments, time limits, drops.

A subscription is anything with a `poll()` that, called under the store's lock,
returns the events ready to send and whether the response is finished. The
body generator waits on the store's `changed` condition between polls, so
events leave as soon as they are recorded.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Protocol

from ._http import DropConnection, HttpResponse
from ._store import SseEvent, Store

__all__ = ["SseSettings", "Subscription", "comment", "frame", "sse_response"]

def frame(event: SseEvent) -> bytes:
    """`event:<name>\\ndata:<one line of JSON>\\n\\n`, as axum's `Event` writes
    `.event(name).data(json)`: no space after a field's colon (one is added
    only before a value that starts with a space, which these never do)."""
    name, data = event
    line = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    return f"event:{name}\ndata:{line}\n\n".encode()


def comment(text: str) -> bytes:
    """An SSE comment as axum's `KeepAlive` sends one: `KeepAlive::default()`
    an empty one (`:`), `.text("keepalive")` `:keepalive`."""
    return f":{text}\n\n".encode()


class Subscription(Protocol):
    def poll(self) -> tuple[list[SseEvent], bool]:
        """Events ready now, and True once nothing more will follow."""
        ...

    def close(self) -> None:
        """The response ended, however it ended."""
        ...

    def wake_at(self) -> float | None:
        """A `time.monotonic()` instant at which `poll` may have events though
        nothing changed (a timer of the server's), or None."""
        ...


@dataclass(frozen=True)
class SseSettings:
    """How a subscription response behaves over time.

    `time_limit`: seconds after which the server ends it (sending `on_limit`'s
    event first, when given); None: never. `keepalive`: seconds of quiet
    before a comment line, `keepalive_text` its text. `drop_after`: cut the
    connection after this many events (a fault).
    """

    time_limit: float | None
    keepalive: float
    keepalive_text: str = ""
    drop_after: int | None = None


def sse_response(
    store: Store,
    subscription: Subscription,
    settings: SseSettings,
    on_limit: Callable[[], SseEvent] | None = None,
) -> HttpResponse:
    """A `200 text/event-stream` response streaming `subscription`."""
    body = _events(store, subscription, settings, on_limit)
    headers = {"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}
    return HttpResponse(200, body, headers)


def _events(
    store: Store,
    subscription: Subscription,
    settings: SseSettings,
    on_limit: Callable[[], SseEvent] | None,
) -> Iterator[bytes]:
    try:
        yield from _frames(store, subscription, settings, on_limit)
    finally:
        subscription.close()


def _frames(
    store: Store,
    subscription: Subscription,
    settings: SseSettings,
    on_limit: Callable[[], SseEvent] | None,
) -> Iterator[bytes]:
    deadline = math.inf if settings.time_limit is None else time.monotonic() + settings.time_limit
    sent = 0
    quiet_since = time.monotonic()
    while True:
        with store.changed:
            while True:
                events, done = subscription.poll()
                now = time.monotonic()
                due = subscription.wake_at()
                wake = min(deadline, quiet_since + settings.keepalive)
                wake = wake if due is None else min(wake, due)
                if events or done or store.closed or now >= wake:
                    break
                store.changed.wait(wake - now)
        for event in events:
            if settings.drop_after is not None and sent >= settings.drop_after:
                raise DropConnection
            yield frame(event)
            sent += 1
            quiet_since = time.monotonic()
        if done or store.closed:
            return
        now = time.monotonic()
        if now >= deadline:
            if on_limit is not None:
                yield frame(on_limit())
            return
        if now >= quiet_since + settings.keepalive:
            yield comment(settings.keepalive_text)
            quiet_since = now
