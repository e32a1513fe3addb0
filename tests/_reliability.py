"""Shared by the fault, security and property tests: both clients behind one call,
wire payloads, and sockets that misbehave in ways `LoopbackServer` cannot."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import json
import socket
from collections.abc import Callable, Iterator
from typing import Any
from uuid import UUID, uuid4

from hot_typed import AsyncEventStream, AsyncHotClient, EventStream, HotClient
from hot_typed.testing import HttpRequest, HttpResponse, LoopbackServer

TOKEN = "hot_sk_live_5ecr3t-T0ken-never-shown"
KINDS = ["sync", "async"]


def with_client(kind: str, base_url: str, op: Callable[[Any], Any], **options: Any) -> Any:
    """Run `op(client)` on a fresh `HotClient` or `AsyncHotClient` (awaiting what it returns)."""
    options.setdefault("token", TOKEN)
    if kind == "sync":
        with HotClient(base_url=base_url, **options) as hot:
            return op(hot)

    async def main() -> Any:
        async with AsyncHotClient(base_url=base_url, **options) as hot:
            result = op(hot)
            return await result if inspect.isawaitable(result) else result

    return asyncio.run(main())


def collect(stream: EventStream[Any] | AsyncEventStream[Any], into: list[Any] | None = None) -> Any:
    """All events of a stream, appended to `into` as they arrive (so a test sees
    those received before a failure): a list, or for an async stream an awaitable."""
    events = [] if into is None else into
    if isinstance(stream, EventStream):
        with stream:
            for event in stream:
                events.append(event)
            return events

    async def drain() -> list[Any]:
        async with stream:
            async for event in stream:
                events.append(event)
        return events

    return drain()


def event_payload(event_id: UUID | str | None = None, event_data: Any = None) -> dict[str, Any]:
    return {
        "event_id": str(event_id or uuid4()),
        "env_id": "00000000-0000-4000-8000-000000000001",
        "stream_id": "00000000-0000-4000-8000-000000000002",
        "event_type": "order:placed",
        "event_data": event_data,
        "event_time": "2026-01-02T03:04:05Z",
        "created_at": "2026-01-02T03:04:05.123456Z",
    }


def stream_data(n: int, payload: Any = None) -> dict[str, Any]:
    return {
        "type": "stream:data",
        "stream_data_id": str(UUID(int=n)),
        "run_id": "00000000-0000-4000-8000-000000000003",
        "data_type": "progress",
        "payload": payload if payload is not None else {"n": n},
    }


def sse_frame(data: dict[str, Any], newline: str = "\n") -> bytes:
    """One frame as the server writes it: `event:` and one `data:` line of JSON."""
    text = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    return f"event: {data['type']}{newline}data: {text}{newline}{newline}".encode()


@contextlib.contextmanager
def silent_server() -> Iterator[str]:
    """A socket that accepts connections (the kernel completes them) and never answers."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"


@contextlib.contextmanager
def unconnectable_server() -> Iterator[str]:
    """An address whose connect hangs: its accept queue is full, so SYNs are dropped."""
    with contextlib.ExitStack() as stack:
        listener = stack.enter_context(socket.socket())
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        address = listener.getsockname()
        for _ in range(3):
            filler = stack.enter_context(socket.socket())
            filler.setblocking(False)
            with contextlib.suppress(BlockingIOError):
                filler.connect(address)
        yield f"http://127.0.0.1:{address[1]}"


def exchange(
    kind: str,
    handler: Callable[[HttpRequest], HttpResponse],
    op: Callable[[Any], Any],
    **options: Any,
) -> Any:
    """`with_client` against a `LoopbackServer` answering with `handler`."""
    with LoopbackServer(handler) as server:
        return with_client(kind, server.base_url, op, **options)
