"""`HotEmulator`: the Hot API in memory, served on a real loopback socket."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from types import TracebackType
from typing import Any, overload

from typing_extensions import Self

from .._client import AsyncHotClient, HotClient
from .._models.blobs import BlobRef
from ._app import Application
from ._context import MIB, EmulatorConfig, ServerContext
from ._faults import Faults
from ._handlers import Handler, Handlers, Retry, TaskControl
from ._http import HttpRequest, LoopbackServer
from ._store import Store
from ._values import new_id

__all__ = ["DEFAULT_API_KEY", "HotEmulator"]

DEFAULT_API_KEY = "hot_emulator_key"


class HotEmulator:
    """An in-memory Hot API on `127.0.0.1`, speaking the real wire format.

    Use it as a context manager; `client()` and `async_client()` give clients
    configured for it, and `base_url` serves any other HTTP client::

        from hot_typed.testing import HotEmulator

        with HotEmulator() as emu:
            @emu.on_call("::demo/add")
            def add(event, ctx):
                return sum(event.args)

            client = emu.client()
            call = {"fn": "::demo/add", "args": [1, 2]}
            event = client.events.publish({"event_type": "hot:call", "event_data": call})
            with client.streams.subscribe(event.stream_id) as stream:
                start, stop = next(stream), next(stream)
            assert stop.run.result == {"$ok": 3}

    Every resource lives in memory for the emulator's lifetime. Published events
    run registered handlers (see `on_event`, `on_call`); `faults` makes requests
    fail, slow down or drop on purpose.

    `api_key` is the token clients must send (None accepts any token);
    `stream_time_limit` and `keepalive_interval` are in seconds (the server's
    5 minutes and 15 s by default); `part_size` is the multipart upload part
    size announced and `min_part_size` the smallest non-final part accepted.
    """

    def __init__(
        self,
        *,
        api_key: str | None = DEFAULT_API_KEY,
        port: int = 0,
        stream_time_limit: float = 300.0,
        keepalive_interval: float = 15.0,
        part_size: int = 64 * MIB,
        min_part_size: int = 5 * MIB,
    ) -> None:
        self.config: EmulatorConfig = EmulatorConfig(
            api_key=api_key,
            stream_time_limit=stream_time_limit,
            keepalive_interval=keepalive_interval,
            part_size=part_size,
            min_part_size=min_part_size,
        )
        self.faults: Faults = Faults()
        self._store = Store()
        self._handlers = Handlers()
        context = ServerContext(self.config, self._store, self._handlers, self.faults)
        self._server = LoopbackServer(Application(context), port=port)
        self._clients: list[HotClient] = []
        self._running = False

    @property
    def base_url(self) -> str:
        """`http://127.0.0.1:<port>`: the base URL for any client (the API is under `/v1`)."""
        return self._server.base_url

    @property
    def port(self) -> int:
        """The loopback TCP port the emulator listens on (chosen free at creation)."""
        return self._server.port

    @property
    def api_key(self) -> str:
        """The token to send (any token works when the emulator accepts all)."""
        return self.config.api_key or DEFAULT_API_KEY

    @property
    def requests(self) -> list[HttpRequest]:
        """Every request received so far, in order."""
        return self._server.requests

    # Lifecycle ---------------------------------------------------------------

    def start(self) -> Self:
        """Start serving; returns the emulator. `RuntimeError` if it is already running.

        `with HotEmulator() as emu:` starts it and stops it on exit."""
        if self._running:
            raise RuntimeError("the emulator is already running")
        self._server.start()
        self._running = True
        return self

    def stop(self) -> None:
        """Close the clients made by `client()`, end open streams, stop serving.
        Stopping an emulator that is not running does nothing."""
        for client in self._clients:
            client.close()
        self._clients.clear()
        self._store.close()
        self._running = False
        self._server.stop()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # Clients -----------------------------------------------------------------

    def client(self, **options: Any) -> HotClient:
        """A `HotClient` for this emulator (closed by `stop()`); `options` go to
        `HotClient` (e.g. `max_retries`, `timeout`)."""
        client = HotClient(self.api_key, base_url=self.base_url, **options)
        self._clients.append(client)
        return client

    def async_client(self, **options: Any) -> AsyncHotClient:
        """An `AsyncHotClient` for this emulator; close it (`async with` or
        `aclose()`) inside its event loop."""
        return AsyncHotClient(self.api_key, base_url=self.base_url, **options)

    # Handlers ----------------------------------------------------------------

    @overload
    def on_event(
        self, event_type: str, *, retry: int = 0, retry_delay: float = 0.0
    ) -> Callable[[Handler], Handler]: ...
    @overload
    def on_event(
        self, event_type: str, handler: Handler, *, retry: int = 0, retry_delay: float = 0.0
    ) -> Handler: ...
    def on_event(
        self,
        event_type: str,
        handler: Handler | None = None,
        *,
        retry: int = 0,
        retry_delay: float = 0.0,
    ) -> Handler | Callable[[Handler], Handler]:
        """Run `handler(event, ctx)` for each published event of `event_type`
        (replacing the default echo). Usable as a decorator.

        With `retry=N`, a run whose handler raises is retried as Hot retries a
        handler with `retry: N`: the run becomes `pending_retry` (streamed as
        `run:stop`), and `retry_delay` seconds later a copy of the event (same
        stream) starts a new run whose `origin_run_id` is the failed one and
        whose `retry_attempt` is one more (`ctx.retry_attempt`); the failed
        run is then `failed`. After N retries the last failure stands.
        """
        policy = Retry(retry, retry_delay)

        def add(key: str, registered: Handler) -> None:
            self._handlers.on_event(key, registered, policy)

        return self._register(add, event_type, handler)

    @overload
    def on_call(self, fn: str) -> Callable[[Handler], Handler]: ...
    @overload
    def on_call(self, fn: str, handler: Handler) -> Handler: ...
    def on_call(
        self, fn: str, handler: Handler | None = None
    ) -> Handler | Callable[[Handler], Handler]:
        """Run `handler(event, ctx)` for `hot:call` events calling function `fn`
        (`event.args` holds the arguments). Usable as a decorator."""
        return self._register(self._handlers.on_call, fn, handler)

    @staticmethod
    def _register(
        add: Callable[[str, Handler], None], key: str, handler: Handler | None
    ) -> Handler | Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            add(key, handler)
            return handler

        return register if handler is None else register(handler)

    def cancel_run(self, run_id: str) -> bool:
        """Cancel a running run: subscribers get `run:cancel`; whatever its
        handler does afterwards is ignored. False when it had already ended."""
        with self._store.lock:
            if run_id not in self._store.runs:
                raise KeyError(run_id)
            ended = self._store.finish_run(run_id, "cancelled", {"$err": "cancelled"})
        return ended is not None

    def task(self, task_id: str) -> TaskControl:
        """Control of a task a handler started, to end it from the test."""
        with self._store.lock:
            if task_id not in self._store.tasks:
                raise KeyError(task_id)
        return TaskControl(self._store, task_id)

    def store_blob(self, value: bytes | str, *, content_type: str | None = None) -> dict[str, Any]:
        """Store `value` as a blob and return its reference map, as the server
        leaves one in a payload it could not rehydrate: return it from a handler
        (or put it in `event_data`) to see what clients get then. The blob is
        served by `GET /v1/blobs/{id}/download`.
        """
        content = value.encode() if isinstance(value, str) else bytes(value)
        blob_id = new_id()
        # blake3 is what the server hashes with; the standard library has none,
        # so the reference says which algorithm it used.
        ref = BlobRef.model_validate(
            {
                "id": blob_id,
                "object-id": new_id(),
                "size": len(content),
                "encoding": "string" if isinstance(value, str) else "bytes",
                "hash-alg": "sha256",
                "hash": hashlib.sha256(content).hexdigest(),
                "content-type": content_type,
            }
        )
        with self._store.lock:
            self._store.blobs[blob_id] = (content, content_type)
        return ref.to_value()
