"""`streams`: following the events of a run stream."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any
from uuid import UUID

from typing_extensions import Unpack

from .._contracts import StreamDataType, declare, typed_data
from .._models.events import EventCreate, EventCreateParams
from .._models.runs import FinishedRun
from .._models.stream_events import StreamEvent
from .._options import StreamOptions, WaitOptions
from .._request import StreamCall
from .._resource import ModeT, Resource, follow_endpoint, stream_endpoint, wait_endpoint
from .._streaming import RunStreamFollower, identity, stream_subscription
from .._wire import query, request_body
from ._params import StreamQuery

__all__ = ["Streams"]


class Streams(Resource[ModeT]):
    @stream_endpoint
    def subscribe(
        self,
        stream_id: str | UUID,
        *,
        project: str | None = None,
        data_types: Iterable[StreamDataType[Any]] = (),
        **options: Unpack[StreamOptions],
    ) -> StreamCall[StreamEvent]:
        """Events of a stream until the server closes it: `stream:complete` at its
        5-minute limit (crates/hot_api/src/handlers/streams.rs), or a dropped
        connection.

        On connect the server replays `run:start` and the terminal event of each
        of the stream's 100 newest runs, and a `task:update` for each of its 100
        newest tasks, newest first; it never replays `stream:data`, which it only
        pushes as published from the moment its subscription reads (data sent
        while connecting may be missed). `stream:data` of the `data_types` given
        arrives as `StreamData[X]`, its payload validated as declared
        (`StreamDataType`).
        """
        query(StreamQuery, project=project)
        return typed_data(stream_subscription("GET", stream_id, project), declare(data_types))

    @stream_endpoint
    def subscribe_post(
        self,
        stream_id: str | UUID,
        *,
        project: str | None = None,
        data_types: Iterable[StreamDataType[Any]] = (),
        **options: Unpack[StreamOptions],
    ) -> StreamCall[StreamEvent]:
        """`subscribe` through `POST`, for proxies that buffer long GETs."""
        query(StreamQuery, project=project)
        return typed_data(stream_subscription("POST", stream_id, project), declare(data_types))

    @follow_endpoint
    def subscribe_with_event(
        self,
        body: EventCreate | EventCreateParams,
        *,
        project: str | None = None,
        reconnect: bool = True,
        max_attempts: int = 5,
        data_types: Iterable[StreamDataType[Any]] = (),
        **options: Unpack[StreamOptions],
    ) -> RunStreamFollower[FinishedRun]:
        """Publish an event and follow its stream until the event's run is terminal.

        The event goes out once, through `POST /v1/streams/subscribe-with-event`
        (`body` is validated first: nothing is sent if it is invalid); the first
        event yielded is `event:published`. If the connection drops, or the
        server ends it, before the run whose `event_id` is the published one
        is terminal, the stream is resubscribed with `GET` (never re-POSTed),
        and replayed `run:start` and terminal events are dropped by `run_id`:
        each reaches you once. A terminal event whose run is still `running`,
        with no `stop_time` (the server read it before the end was stored), is
        dropped and the stream resubscribed, to learn the end as stored. The
        server replays only the stream's newest 100 runs, so each
        resubscription first reads the run (`GET /v1/runs/{id}`) and yields its
        end from there when it came while disconnected.
        `stream:data` is never replayed by the server, so chunks sent while
        disconnected are missed. The stream ends right after
        that run's `run:stop`, `run:fail` or `run:cancel`; other runs' events
        pass through. `stream:complete` and `keepalive` events pass through too.

        A run Hot retries is followed to its last attempt: the failed
        attempt's `run:fail` or `run:stop` (status `pending_retry`) passes,
        then the retry's `run:start` (a new run, `origin_run_id` set), and the
        stream ends after the last attempt's terminal event.

        Clean closes after `stream:complete` or something new are reconnected
        at once, other clean closes after a backoff; 429 and 5xx answers are
        waited out (`retry_after`, or backoff), with no limit but
        `HotStreamError` after `max_attempts` + 1 connection attempts in a
        row that got no answer at all. A 4xx answer to the publishing POST is
        raised as its `HotApiError` (a 429 is first sent again after its
        `retry_after`, as the client's retry policy allows: the server did not
        take the event); when that connection ends any other way before
        `event:published`, or is answered 404 while `project` is given (the
        server resolves the project only after publishing), whether the event
        was published is unknown and `HotStreamError` is raised, without
        sending it again.
        With `reconnect=False`, yields the events of the first connection only.
        `stream:data` of the `data_types` given arrives as `StreamData[X]`, its
        payload validated as declared (`StreamDataType`).
        """
        # Checked before publishing: the server looks the project up only after.
        query(StreamQuery, project=project)
        return RunStreamFollower(
            publish=request_body(EventCreate, body),
            project=project,
            reconnect=reconnect,
            max_attempts=max_attempts,
            data_types=declare(data_types),
            finish=identity,
        )

    @wait_endpoint
    def wait_for_run_result(
        self,
        stream_id: str | UUID,
        event_id: str | UUID,
        *,
        timeout: float | None = 60.0,
        on_chunk: Callable[[str], object] | None = None,
        project: str | None = None,
        max_attempts: int = 5,
        **options: Unpack[WaitOptions],
    ) -> RunStreamFollower[FinishedRun]:
        """Wait on `stream_id` for the run started by `event_id` and return it, terminal.

        `on_chunk(text)` is called for each `stream:data` text chunk (payload
        `{"text": ...}`) of that run and of its retries, in arrival order.
        Chunks that come before their run's `run:start` (the server sends it
        from a poll that a busy stream puts off) are held until a `run:start`
        or terminal event tells whose run they are, then passed on, or dropped
        if it is another event's; up to 4 Mi characters are held, past that
        the oldest are dropped. A run Hot retries is followed to its last
        attempt, which is returned (its `retry_attempt` says which). A run
        older than the stream's newest 100 runs is in no replay: each
        connection first reads the event's runs, then the run
        (`GET /v1/events/{id}/runs`, `GET /v1/runs/{id}`). The run's
        `result` is the function's return value as stored. Raises `HotRunError`
        (with the run) when the last attempt failed or was cancelled, `HotTimeoutError` when
        `timeout` seconds pass (None: no limit), across reconnects.
        """
        query(StreamQuery, project=project)
        return RunStreamFollower(
            stream_id=stream_id,
            event_id=event_id,
            project=project,
            max_attempts=max_attempts,
            timeout=timeout,
            on_chunk=on_chunk,
            raise_failure=True,
            finish=identity,
        )
