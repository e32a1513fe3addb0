"""An async call cancelled by its task (`task.cancel()`, `asyncio.wait_for`,
`asyncio.timeout`) raises `CancelledError` at once, whatever it was doing:
publishing, reading its stream, or waiting to reconnect. It does not publish
again, does not reconnect afterwards, and gives its connection back, so the
client goes on working with a pool of one connection."""

from __future__ import annotations

import asyncio
import gc
import threading
import warnings
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest

import hot_typed
from hot_typed import AsyncHotClient, EventCreateParams, StreamData
from hot_typed.testing import HandlerEvent, HotEmulator, RunContext

from .polling import wait_until

FUNCTION = "::slow/echo"
T = TypeVar("T")


@hot_typed.function(FUNCTION)
def echo(text: str) -> str:
    raise NotImplementedError


Signal = Callable[[], object]
Operation = Callable[[AsyncHotClient, Signal], Awaitable[object]]


async def _call_hot(hot: AsyncHotClient, started: Signal) -> object:
    return await hot.events.call_hot(FUNCTION, ["hi"], on_chunk=lambda _: started())


async def _call(hot: AsyncHotClient, started: Signal) -> object:
    return await hot.call(echo.with_options(on_chunk=lambda _: started()), "hi")


async def _subscribe(hot: AsyncHotClient, started: Signal) -> object:
    body: EventCreateParams = {
        "event_type": "hot:call",
        "event_data": {"fn": FUNCTION, "args": ["hi"]},
    }
    async for message in hot.streams.subscribe_with_event(body):
        if isinstance(message, StreamData):
            started()
    return None


OPERATIONS: dict[str, Operation] = {
    "call_hot": _call_hot,
    "call": _call,
    "subscribe_with_event": _subscribe,
}


@pytest.fixture
def release() -> Iterator[threading.Event]:
    done = threading.Event()
    yield done
    done.set()


@pytest.fixture
def emulator(release: threading.Event) -> Iterator[HotEmulator]:
    # Quick keep-alives: the emulator notices a closed connection at the next one.
    with HotEmulator(keepalive_interval=0.1) as emu:

        @emu.on_call(FUNCTION)
        def slow(event: HandlerEvent, ctx: RunContext) -> Any:
            ctx.emit_text("first")
            release.wait(5)
            return event.args[0]

        yield emu


def _one_connection(emu: HotEmulator) -> AsyncHotClient:
    # A single connection, and a pool that gives up after a second: a connection
    # the cancelled call kept would fail the next request instead of hanging it.
    http = httpx.AsyncClient(
        limits=httpx.Limits(max_connections=1), timeout=httpx.Timeout(5.0, pool=1.0)
    )
    return AsyncHotClient(emu.api_key, base_url=emu.base_url, client=http, max_retries=0)


def _count(emu: HotEmulator, method: str, path: str) -> int:
    return sum(1 for r in emu.requests if r.method == method and path in r.path)


async def _cancelled_while(
    emu: HotEmulator,
    operation: Operation,
    *,
    on_start: Signal = lambda: None,
    ready: Callable[[], bool] = lambda: True,
) -> AsyncHotClient:
    """Cancel `operation` once it took its first chunk (`on_start` run then) and
    `ready()` is true."""
    started = asyncio.Event()

    def start() -> None:
        on_start()
        started.set()

    hot = _one_connection(emu)
    task = asyncio.ensure_future(operation(hot, start))
    await asyncio.wait_for(started.wait(), 5)
    await asyncio.to_thread(wait_until, ready)
    await asyncio.sleep(0.05)
    task.cancel()
    # At once: not after the stream's next event, nor a reconnect's delay.
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(task, 1)
    assert task.cancelled()
    return hot


async def _works_afterwards(hot: AsyncHotClient) -> None:
    try:
        assert (await hot.env.get()).env_id is not None
    finally:
        await hot.aclose()
        await hot._http_client().aclose()  # pyright: ignore[reportPrivateUsage]


@pytest.mark.parametrize("name", OPERATIONS)
async def test_a_call_cancelled_while_its_stream_is_open_gives_its_connection_back(
    name: str, emulator: HotEmulator, release: threading.Event
) -> None:
    hot = await _cancelled_while(emulator, OPERATIONS[name])
    await _works_afterwards(hot)
    assert _count(emulator, "POST", "") == 1
    release.set()
    (run,) = await asyncio.to_thread(lambda: emulator.client().runs.list().data)
    await asyncio.to_thread(wait_until, lambda: emulator.subscribers(run.stream_id) == 0)


@pytest.mark.parametrize("name", OPERATIONS)
async def test_a_call_cancelled_while_publishing_does_not_publish_again(
    name: str, emulator: HotEmulator
) -> None:
    emulator.faults.delay(3.0, method="POST")
    hot = _one_connection(emulator)
    task = asyncio.ensure_future(OPERATIONS[name](hot, lambda: None))
    await asyncio.to_thread(wait_until, lambda: _count(emulator, "POST", "") == 1)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(task, 1)
    await _works_afterwards(hot)
    assert _count(emulator, "POST", "") == 1
    assert _count(emulator, "GET", "/streams/") == 0


@pytest.mark.parametrize("name", OPERATIONS)
async def test_a_call_cancelled_while_waiting_to_reconnect_stops_reconnecting(
    name: str, emulator: HotEmulator, release: threading.Event
) -> None:
    # The stream is cut after its first three events (the event published, the
    # run's start, its first chunk), as the run emits its next one. That one
    # waits until the call took the first chunk and every reconnect was told to
    # wait 30 s: the cancel lands while the call waits.
    stormy = threading.Event()

    def storm() -> None:
        emulator.faults.rate_limit(30, seconds=10, method="GET", path="/streams/")
        stormy.set()

    def chatty(event: HandlerEvent, ctx: RunContext) -> Any:
        ctx.emit_text("first")
        stormy.wait(5)
        ctx.emit_text("second")
        release.wait(5)
        return event.args[0]

    emulator.on_call(FUNCTION, chatty)
    emulator.faults.drop_stream(3)

    def refused() -> bool:
        return _count(emulator, "GET", "/streams/") >= 1

    hot = await _cancelled_while(emulator, OPERATIONS[name], on_start=storm, ready=refused)
    reconnects = _count(emulator, "GET", "/streams/")
    await asyncio.sleep(0.3)
    assert _count(emulator, "GET", "/streams/") == reconnects
    emulator.faults.clear()
    await _works_afterwards(hot)
    assert _count(emulator, "POST", "") == 1


class _HeldExecutor(ThreadPoolExecutor):
    """Runs each job at once but hands its result back only once `release` is set:
    a task awaiting a job can be cancelled after the job did its work."""

    def __init__(self) -> None:
        super().__init__(max_workers=4)
        self.done = threading.Event()
        self.release = threading.Event()

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        def held() -> T:
            result = fn(*args, **kwargs)
            self.done.set()
            self.release.wait(5)
            return result

        return super().submit(held)


# (client, a directory holding `source.bin`, the id of a stored file)
Transfer = Callable[[AsyncHotClient, Path, str], Awaitable[object]]

TRANSFERS: dict[str, Transfer] = {
    "download_to": lambda hot, where, stored: hot.files.download_to(stored, where / "out.bin"),
    "upload_file": lambda hot, where, _: hot.files.upload_file("up.bin", where / "source.bin"),
}


@pytest.mark.parametrize("name", TRANSFERS)
async def test_a_transfer_cancelled_while_its_file_opens_in_a_thread_leaves_none_open_or_behind(
    name: str, emulator: HotEmulator, tmp_path: Path
) -> None:
    (tmp_path / "source.bin").write_bytes(b"x" * 1000)
    stored = await asyncio.to_thread(emulator.client().files.upload, "stored.bin", b"y" * 1000)
    executor = _HeldExecutor()
    asyncio.get_running_loop().set_default_executor(executor)
    hot = _one_connection(emulator)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        task = asyncio.ensure_future(TRANSFERS[name](hot, tmp_path, stored.file_id))
        while not executor.done.is_set():  # the file is open in the worker thread
            await asyncio.sleep(0.005)
        task.cancel()
        executor.release.set()
        with pytest.raises(asyncio.CancelledError):
            await asyncio.wait_for(task, 1)
        await asyncio.sleep(0.05)  # the worker's result comes back, or would
        gc.collect()

    assert sorted(p.name for p in tmp_path.iterdir()) == ["source.bin"]
    assert [str(w.message) for w in caught if w.category is ResourceWarning] == []
    await _works_afterwards(hot)
