"""`events`: publishing events and reading them back."""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Sequence
from typing import TYPE_CHECKING, Any, overload
from uuid import UUID

from typing_extensions import TypeVar, Unpack

from .._contracts import EventType, data_model
from .._models.events import Event, EventCreate, EventCreateParams
from .._models.runs import Run
from .._options import CallOptions, WaitOptions
from .._request import Call, ListCall, Request, path
from .._resource import (
    Async,
    ModeT,
    RawAsync,
    RawSync,
    Resource,
    StreamingAsync,
    StreamingSync,
    Sync,
    endpoint,
    list_endpoint,
    wait_endpoint,
)
from .._streaming import RunStreamFollower, call_body, call_result
from .._wire import item_parser, list_parser, parametrized, query, request_body
from ._params import ListQuery

__all__ = ["Events"]

D = TypeVar("D", default=Any)
T = TypeVar("T")


class Events(Resource[ModeT]):
    @endpoint
    def publish(
        self, body: EventCreate | EventCreateParams, **options: Unpack[CallOptions]
    ) -> Call[Event]:
        """Publish an event; handlers subscribed to its type start runs on its stream.

        `body` is validated before sending: a bad body raises pydantic's
        `ValidationError` and nothing is sent.
        """
        content = request_body(EventCreate, body)
        # A publish that reached the server must not be repeated: that would
        # start the runs twice.
        request = Request("POST", "/events", json=content, retryable=False)
        return Call(request, item_parser(Event))

    @list_endpoint
    def list(
        self,
        *,
        limit: int | None = None,
        offset: int | None = None,
        data_type: type[D] | EventType[D] | None = None,
        **options: Unpack[CallOptions],
    ) -> ListCall[Event[D]]:
        """Events, newest first. With `data_type` (a type, or an `EventType`), every
        `event_data` is validated as that type (a `ValidationError` on arrival names
        the event)."""
        params = query(ListQuery, limit=limit, offset=offset)
        parse = list_parser(parametrized(Event, data_model(data_type)))
        return ListCall(Request("GET", "/events", params=params), parse)

    @endpoint
    def get(
        self,
        event_id: str | UUID,
        *,
        data_type: type[D] | EventType[D] | None = None,
        **options: Unpack[CallOptions],
    ) -> Call[Event[D]]:
        """One event. With `data_type` (a type, or an `EventType`), `event_data` is
        validated as that type; `.raw` is the wire object either way."""
        parse = item_parser(parametrized(Event, data_model(data_type)))
        return Call(Request("GET", path("/events/{event_id}", event_id)), parse)

    @list_endpoint
    def get_runs(
        self,
        event_id: str | UUID,
        *,
        limit: int | None = None,
        offset: int | None = None,
        **options: Unpack[CallOptions],
    ) -> ListCall[Run]:
        """The runs the event started."""
        params = query(ListQuery, limit=limit, offset=offset)
        request = Request("GET", path("/events/{event_id}/runs", event_id), params=params)
        return ListCall(request, list_parser(Run))

    # The answer's type depends on `result_type`: overloads say how, for both
    # modes, to type checkers; at run time the operation is one descriptor.
    if TYPE_CHECKING:

        @overload
        def call_hot(
            self: Events[Sync] | Events[RawSync] | Events[StreamingSync],
            fn: str,
            args: Sequence[Any] | None = None,
            *,
            timeout: float | None = 60.0,
            on_chunk: Callable[[str], object] | None = None,
            result_type: None = None,
            **options: Unpack[WaitOptions],
        ) -> Any: ...
        @overload
        def call_hot(
            self: Events[Sync] | Events[RawSync] | Events[StreamingSync],
            fn: str,
            args: Sequence[Any] | None = None,
            *,
            timeout: float | None = 60.0,
            on_chunk: Callable[[str], object] | None = None,
            result_type: type[T],
            **options: Unpack[WaitOptions],
        ) -> T: ...
        @overload
        def call_hot(
            self: Events[Async] | Events[RawAsync] | Events[StreamingAsync],
            fn: str,
            args: Sequence[Any] | None = None,
            *,
            timeout: float | None = 60.0,
            on_chunk: Callable[[str], object] | None = None,
            result_type: None = None,
            **options: Unpack[WaitOptions],
        ) -> Coroutine[Any, Any, Any]: ...
        @overload
        def call_hot(
            self: Events[Async] | Events[RawAsync] | Events[StreamingAsync],
            fn: str,
            args: Sequence[Any] | None = None,
            *,
            timeout: float | None = 60.0,
            on_chunk: Callable[[str], object] | None = None,
            result_type: type[T],
            **options: Unpack[WaitOptions],
        ) -> Coroutine[Any, Any, T]: ...
        def call_hot(
            self,
            fn: str,
            args: Sequence[Any] | None = None,
            *,
            timeout: float | None = 60.0,
            on_chunk: Callable[[str], object] | None = None,
            result_type: type[Any] | None = None,
            **options: Unpack[WaitOptions],
        ) -> Any: ...

    else:

        @wait_endpoint
        def call_hot(
            self,
            fn: str,
            args: Sequence[Any] | None = None,
            *,
            timeout: float | None = 60.0,
            on_chunk: Callable[[str], object] | None = None,
            result_type: type[Any] | None = None,
            **options: Unpack[WaitOptions],
        ) -> RunStreamFollower[Any]:
            """Call the Hot function `fn` (`"::ns::path/name"`) with `args`; return its result.

            Publishes one `hot:call` event through subscribe-with-event (never
            twice, whatever fails), follows the stream across reconnects until the
            correlated run ends, calls `on_chunk(text)` for each `stream:data` text
            chunk of that run in arrival order (chunks that come before its
            `run:start` included, held as `streams.wait_for_run_result` holds
            them; chunks sent while reconnecting are not replayed by the server,
            so never seen), and returns the run's result (the function's return value as
            Hot stores it), validated into `result_type` when given (a mismatch raises
            `HotResponseValidationError`). A run Hot retries is followed to its
            last attempt. Raises `HotRunError` when that attempt failed or was
            cancelled, `HotTimeoutError` after `timeout` seconds in all (None: no
            limit), and as `subscribe_with_event` when publishing is refused.
            """
            return RunStreamFollower(
                publish=call_body(fn, args),
                timeout=timeout,
                on_chunk=on_chunk,
                raise_failure=True,
                finish=call_result(result_type),
            )
