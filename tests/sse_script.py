"""Scripted server-sent-event responses on the loopback server, for the streaming tests.

A test lists what each connection receives, in the order connections arrive:
a script is a list of steps, each a chunk of bytes written and flushed on its
own (so it arrives as its own read), a `Pause`, or `DROP` (the socket is cut);
an `HttpResponse` instead of a script answers that connection with it. The
server counts the streams it is still serving, so tests can prove the client
closed a connection.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import socket
import threading
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any, TypeVar
from uuid import uuid4

from typing_extensions import Self

from hot_typed import AsyncEventStream, AsyncHotClient, EventStream, HotClient, Run, Task
from hot_typed.testing import (
    DropConnection,
    HotEmulator,
    HttpRequest,
    HttpResponse,
    LoopbackServer,
)
from tests import payloads

T = TypeVar("T")

ENV_ID = "00000000-0000-4000-8000-00000000e0e0"
TASK_ID = "00000000-0000-4000-8000-0000000074a5"
"""The task `task_update` tells of and `wait_task` waits for."""
TOKEN = "test-token"


@dataclass(frozen=True)
class Pause:
    seconds: float


class _Drop:
    def __repr__(self) -> str:
        return "DROP"


class _Hold:
    def __repr__(self) -> str:
        return "HOLD"


DROP = _Drop()
HOLD = _Hold()
"""Last step of a script: keep the connection open, writing keep-alive comments, until
the client closes it (only a client that closes its connection ends such a stream)."""

Step = bytes | Pause | _Drop | _Hold
Script = Sequence[Step] | HttpResponse | _Drop
"""What one connection gets: steps of a 200 event stream, another answer, or `DROP`
(the socket is cut before any response)."""


def event(payload: dict[str, Any]) -> bytes:
    """One SSE frame the way the server writes it: named after `type`, JSON on one
    line, framed by axum's `Event` (no space after a field's colon)."""
    data = json.dumps(payload, separators=(",", ":"), ensure_ascii=False)
    return f"event:{payload['type']}\ndata:{data}\n\n".encode()


def comment(text: str = "") -> bytes:
    """A keep-alive comment as axum writes one (`KeepAlive::default()`: empty)."""
    return f":{text}\n\n".encode()


def split(data: bytes, size: int, gap: float = 0.0) -> list[Step]:
    """`data` cut every `size` bytes (through frames and UTF-8 characters), each piece
    flushed on its own, with an optional pause between pieces."""
    steps: list[Step] = []
    for start in range(0, len(data), size):
        if steps and gap:
            steps.append(Pause(gap))
        steps.append(data[start : start + size])
    return steps


def run(
    run_id: str,
    *,
    status: str = "running",
    event_id: str | None = None,
    stream_id: str | None = None,
    result: Any = ...,
) -> dict[str, Any]:
    """A run as the server sends it; `result` left out when not given."""
    payload: dict[str, Any] = {
        "run_id": str(run_id),
        "env_id": str(ENV_ID),
        "stream_id": str(stream_id or str(uuid4())),
        "build_id": None,
        "run_type": "call",
        "status": status,
        "start_time": "2026-01-02T03:04:05.123456789Z",
        "stop_time": None if status == "running" else "2026-01-02T03:04:06Z",
        "origin_run_id": None,
        "event_id": None if event_id is None else str(event_id),
        "retry_attempt": 0,
    }
    if result is not ...:
        payload["result"] = result
    return payload


def running(
    run_id: str, *, event_id: str, stream_id: str | None = None
) -> dict[str, HttpResponse]:
    """`records` for a follower's checks while `run_id`, started by `event_id`,
    runs: its record (`GET /v1/runs/{id}`) and its event's runs."""
    record = run(run_id, event_id=event_id, stream_id=stream_id)
    return {
        f"/v1/runs/{run_id}": HttpResponse.json(payloads.item(record)),
        f"/v1/events/{event_id}/runs": HttpResponse.json(payloads.page([record])),
    }


def task(task_id: str, *, status: str = "running", result: Any = ...) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "task_id": str(task_id),
        "env_id": str(ENV_ID),
        "stream_id": str(uuid4()),
        "build_id": str(uuid4()),
        "run_id": None,
        "origin_run_id": None,
        "function_name": "::app/work",
        "task_type": "background",
        "status": status,
        "start_time": "2026-01-02T03:04:05Z",
        "stop_time": None,
        "duration_ms": None,
        "timeout_ms": 60000,
        "retry_attempt": 0,
        "created_at": "2026-01-02T03:04:05Z",
    }
    if result is not ...:
        payload["result"] = result
    return payload


class SseScript:
    """A loopback server whose n-th request plays the n-th script.

    A connection beyond the last script is answered 500, so a test that
    expected fewer connections fails loudly. With `records`, only
    subscriptions take a script: any other request (a follower's check,
    `GET /v1/runs/{id}`) is answered from `records` by path, 404 (a record
    the server does not have) for a path not in it.
    """

    def __init__(self, *scripts: Script, records: dict[str, HttpResponse] | None = None) -> None:
        self.scripts = list(scripts)
        self.records = records
        self._next = 0
        self._open = 0
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        self.server = LoopbackServer(self._handle)

    @property
    def requests(self) -> list[HttpRequest]:
        return self.server.requests

    @property
    def open_streams(self) -> int:
        """Streams the server is still writing: a closed client connection ends its stream."""
        with self._lock:
            return self._open

    def wait_all_closed(self, timeout: float = 3.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.open_streams == 0:
                return True
            time.sleep(0.01)
        return False

    @property
    def subscriptions(self) -> list[HttpRequest]:
        """The requests that were given a script."""
        return [r for r in self.requests if _subscribes(r)]

    def _handle(self, request: HttpRequest) -> HttpResponse:
        if self.records is not None and not _subscribes(request):
            found = self.records.get(request.path)
            if found is not None:
                return found
            return HttpResponse.json({"error": {"code": "not_found", "message": "no record"}}, 404)
        with self._lock:
            index, self._next = self._next, self._next + 1
        if index >= len(self.scripts):
            return HttpResponse.json({"error": {"code": "unexpected", "message": "no script"}}, 500)
        script = self.scripts[index]
        if isinstance(script, HttpResponse):
            return script
        if isinstance(script, _Drop):
            raise DropConnection
        return HttpResponse(200, self._play(script), {"Content-Type": "text/event-stream"})

    def _play(self, script: Sequence[Step]) -> Iterator[bytes]:
        with self._lock:
            self._open += 1
        try:
            for step in script:
                if isinstance(step, Pause):
                    self._stopped.wait(step.seconds)
                elif isinstance(step, _Drop):
                    raise DropConnection
                elif isinstance(step, _Hold):
                    while not self._stopped.is_set():
                        yield comment()
                        self._stopped.wait(0.01)
                else:
                    yield step
        finally:
            with self._lock:
                self._open -= 1

    def __enter__(self) -> Self:
        self.server.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stopped.set()
        self.server.stop()


def _subscribes(request: HttpRequest) -> bool:
    return "subscribe" in request.path


# ---------------------------------------------------------------- one test body, two clients


Client = HotClient | AsyncHotClient


def make_client(target: SseScript | str, mode: str, **options: Any) -> Client:
    """A client of either kind for a scripted server or a base URL, never retrying."""
    base_url = target if isinstance(target, str) else target.server.base_url
    kind = HotClient if mode == "sync" else AsyncHotClient
    return kind(TOKEN, base_url=base_url, max_retries=0, **options)


def refused_url() -> str:
    """A loopback URL nothing listens on: connecting is refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


async def close(client: Client) -> None:
    if isinstance(client, AsyncHotClient):
        await client.aclose()
    else:
        client.close()


async def resolve(value: T | Awaitable[T]) -> T:
    """The value of a sync call, or the awaited value of an async one."""
    if inspect.isawaitable(value):
        return await value
    return value


async def collect(stream: EventStream[T] | AsyncEventStream[T]) -> list[T]:
    """Every event of a stream, from either client."""
    if isinstance(stream, AsyncEventStream):
        return [item async for item in stream]
    return list(stream)


def stream_data(run_id: str, payload: Any, data_type: str = "ai:delta") -> bytes:
    """A `stream:data` of run `run_id` carrying `payload`, under an id of its own."""
    return event(
        {
            "type": "stream:data",
            "stream_data_id": str(uuid4()),
            "run_id": str(run_id),
            "data_type": data_type,
            "payload": payload,
        }
    )


def run_event(kind: str, record: dict[str, Any]) -> bytes:
    """A run event (`run:update`, `run:start`, `run:stop`, ...) carrying the run `record`."""
    return event({"type": kind, "run": record})


def task_update(status: str, result: Any = ...) -> bytes:
    """A `task:update` of TASK_ID in `status` (`result` left out when not given)."""
    return event({"type": "task:update", "task": task(TASK_ID, status=status, result=result)})


async def scripted(
    mode: str, scripts: Sequence[Script], use: Callable[[Client], T | Awaitable[T]]
) -> tuple[T, SseScript]:
    """What `use` gets from a client of `mode` against a server playing `scripts`
    to its subscriptions (any other request, a follower's check, is answered
    404), and the server, to read the requests it received."""
    with SseScript(*scripts, records={}) as server:
        client = make_client(server, mode)
        try:
            return await resolve(use(client)), server
        finally:
            await close(client)


def on_emulator(
    kind: str,
    emulator: HotEmulator,
    use: Callable[[Client], T | Awaitable[T]],
    *,
    max_retries: int = 0,
) -> T:
    """What `use` gets from a fresh client of `kind` for `emulator`, never
    retrying unless `max_retries` says (awaited when async), the client closed after."""

    async def main() -> T:
        client: Client
        if kind == "sync":
            client = emulator.client(max_retries=max_retries)
        else:
            client = emulator.async_client(max_retries=max_retries)
        try:
            return await resolve(use(client))
        finally:
            await close(client)

    return asyncio.run(main())


def reading(stream: str) -> Callable[[Client], Awaitable[Any]]:
    """A `use` for `scripted`: every event of `stream`, read to its end."""
    return lambda client: collect(client.streams.subscribe(stream))


async def wait_run(
    mode: str, run_id: str, *scripts: Script, **options: Any
) -> tuple[Run, SseScript]:
    """`runs.wait(run_id, **options)` against `scripts`, as `scripted`."""
    return await scripted(mode, scripts, lambda client: client.runs.wait(run_id, **options))


async def wait_task(mode: str, *scripts: Script, **options: Any) -> tuple[Task, SseScript]:
    """`tasks.wait(TASK_ID, **options)` against `scripts`, as `scripted`."""
    return await scripted(mode, scripts, lambda client: client.tasks.wait(TASK_ID, **options))


def paths(requests: Iterable[HttpRequest]) -> list[str]:
    return [f"{r.method} {r.path}" for r in requests]
