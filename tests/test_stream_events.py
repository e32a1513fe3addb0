"""Typed events over real sockets: framing split anywhere, comments, bad frames, new types,
and connections released however a subscriber stops."""

from __future__ import annotations

import asyncio
import gc
import json
import logging
from typing import Any
from uuid import uuid4

import pytest
from pydantic import ValidationError

from hot_typed import (
    AsyncEventStream,
    EnvEventCreated,
    EnvEventHandled,
    EnvRunCancel,
    EnvRunFail,
    EnvRunStart,
    EnvRunStop,
    EnvStreamCreated,
    EnvTaskComplete,
    EnvTaskStarted,
    EventPublished,
    EventStream,
    HotJsonDecodeError,
    HotResponseValidationError,
    Keepalive,
    NotFoundError,
    RunCancel,
    RunFail,
    RunStart,
    RunStatus,
    RunStop,
    RunUpdate,
    StreamComplete,
    StreamData,
    TaskStatus,
    TaskUpdate,
    UnknownStreamEvent,
)
from hot_typed.testing import HttpResponse

from .sse_script import (
    HOLD,
    Pause,
    SseScript,
    Step,
    close,
    collect,
    comment,
    event,
    make_client,
    reading,
    run,
    scripted,
    split,
    task,
)

pytestmark = pytest.mark.parametrize("mode", ["sync", "async"])

STREAM = str(uuid4())


RUN_ID = str(uuid4())
TASK_ID = str(uuid4())

STREAM_PAYLOADS: list[dict[str, Any]] = [
    {
        "type": "event:published",
        "event_id": str(uuid4()),
        "stream_id": str(STREAM),
        "event_type": "greet",
    },
    {"type": "run:start", "run": run(RUN_ID)},
    {"type": "task:update", "task": task(TASK_ID)},
    {
        "type": "stream:data",
        "stream_data_id": str(uuid4()),
        "run_id": str(RUN_ID),
        "data_type": "ai:delta",
        # Multi-byte characters, split across reads below.
        "payload": {"text": "héllo wörld, 你好 🌍", "n": 12345678901234567890, "f": 1.0},
    },
    {"type": "run:stop", "run": run(RUN_ID, status="succeeded", result=[1, None])},
    {"type": "run:fail", "run": run(str(uuid4()), status="failed", result={"$err": "x"})},
    {"type": "run:cancel", "run": run(str(uuid4()), status="cancelled")},
    {"type": "keepalive"},
    {"type": "run:retry", "run_id": str(RUN_ID), "in": {"seconds": 5}},
    {"type": "stream:complete", "stream_id": str(STREAM)},
]
STREAM_TYPES = [
    EventPublished,
    RunStart,
    TaskUpdate,
    StreamData,
    RunStop,
    RunFail,
    RunCancel,
    Keepalive,
    UnknownStreamEvent,
    StreamComplete,
]


def wire(payloads: list[dict[str, Any]]) -> bytes:
    return b"".join(comment() + event(p) for p in payloads)


@pytest.mark.parametrize("size", [1, 3, 7, 64])
async def test_events_are_typed_whatever_the_reads_split(mode: str, size: int) -> None:
    with SseScript(split(wire(STREAM_PAYLOADS), size)) as server:
        client = make_client(server, mode)
        try:
            events = await collect(client.streams.subscribe(STREAM, project="app"))
        finally:
            await close(client)

    assert [type(e) for e in events] == STREAM_TYPES
    assert [e.raw for e in events] == STREAM_PAYLOADS
    data = events[3]
    assert isinstance(data, StreamData)
    assert data.payload == STREAM_PAYLOADS[3]["payload"]
    stop = events[4]
    assert isinstance(stop, RunStop)
    assert stop.run.status is RunStatus.SUCCEEDED
    assert stop.run.result == [1, None]
    assert events[8].raw["in"] == {"seconds": 5}
    [request] = server.requests
    assert request.path == f"/v1/streams/{STREAM}/subscribe"
    assert request.query == {"project": "app"}


async def test_a_character_and_a_frame_cut_across_reads_are_put_back_together(
    mode: str,
) -> None:
    frame = event(STREAM_PAYLOADS[3])
    cut = frame.index("你".encode()) + 1  # inside the character's three bytes
    with SseScript([frame[:cut], Pause(0.02), frame[cut:]]) as server:
        client = make_client(server, mode)
        try:
            events = await collect(client.streams.subscribe(STREAM))
        finally:
            await close(client)

    assert [e.raw for e in events] == [STREAM_PAYLOADS[3]]


async def test_subscribe_post_opens_the_stream_with_post(mode: str) -> None:
    with SseScript([event(STREAM_PAYLOADS[1])]) as server:
        client = make_client(server, mode)
        try:
            events = await collect(client.streams.subscribe_post(STREAM))
        finally:
            await close(client)

    assert [type(e) for e in events] == [RunStart]
    assert server.requests[0].method == "POST"


@pytest.mark.parametrize("name", ["keepalive", "run:later", "message"])
async def test_a_frame_that_is_not_json_and_cannot_matter_is_skipped_with_a_warning(
    mode: str, name: str, caplog: pytest.LogCaptureFixture
) -> None:
    bad = '{"type": "kee'
    frames = [f"event: {name}\ndata: {bad}\n\n".encode(), event(STREAM_PAYLOADS[1])]
    with SseScript(frames) as server:
        client = make_client(server, mode)
        try:
            with caplog.at_level(logging.WARNING, logger="hot_typed"):
                events = await collect(client.streams.subscribe(STREAM))
        finally:
            await close(client)

    assert [type(e) for e in events] == [RunStart]
    assert [r.getMessage() for r in caplog.records] == [
        f"skipping an SSE {name!r} frame that is not valid JSON: {bad!r}"
    ]


@pytest.mark.parametrize("name", ["run:start", "run:stop", "stream:data"])
async def test_a_frame_that_is_not_json_and_may_matter_raises_with_its_text(
    mode: str, name: str
) -> None:
    bad = f'event: {name}\ndata: {{"type": "{name}", "run":\n\n'
    with pytest.raises(HotJsonDecodeError) as error:
        await scripted(mode, [[bad.encode(), event(STREAM_PAYLOADS[1])]], reading(STREAM))

    assert error.value.raw == f'{{"type": "{name}", "run":'
    message = str(error.value)
    assert message.startswith(f"an SSE {name!r} frame is not JSON Python can read (")
    assert message.endswith(
        "; it may be the event that ends the stream, so the stream stops here"
    )
    # What the JSON reader said, and pydantic's own account of the text it read first.
    assert "not JSON Python can read: Expecting value: line 1 column" in message
    refused = error.value.validation_error
    assert isinstance(refused, ValidationError)
    assert refused.errors()[0]["type"] == "json_invalid"


async def test_a_known_event_that_does_not_fit_raises_with_the_frame(mode: str) -> None:
    with SseScript([event({"type": "run:start", "run": {"run_id": "nope"}})]) as server:
        client = make_client(server, mode)
        try:
            with pytest.raises(HotResponseValidationError) as error:
                await collect(client.streams.subscribe(STREAM))
        finally:
            await close(client)

    assert error.value.raw == {"type": "run:start", "run": {"run_id": "nope"}}
    # Its tag is known, so it is not taken for an event type this version lacks.
    refused = error.value.validation_error
    assert isinstance(refused, ValidationError)
    messages = [problem["msg"] for problem in refused.errors()]
    assert "Value error, a 'run:start' event that does not match its model" in messages


@pytest.mark.parametrize("data", ["42", '"run:start"', "[1, 2]", "null"])
async def test_a_frame_of_json_that_is_no_object_raises_with_the_frame(
    mode: str, data: str
) -> None:
    with pytest.raises(HotResponseValidationError) as error:
        await scripted(mode, [[f"event: run:start\ndata: {data}\n\n".encode()]], reading(STREAM))

    assert error.value.raw == json.loads(data)
    assert isinstance(error.value.validation_error, ValidationError)


async def test_an_error_before_the_stream_opens_is_an_api_error(mode: str) -> None:
    not_found = HttpResponse.json({"error": {"code": "not_found", "message": "Stream"}}, 404)
    with SseScript(not_found) as server:
        client = make_client(server, mode)
        try:
            with pytest.raises(NotFoundError):
                await collect(client.streams.subscribe(STREAM))
        finally:
            await close(client)


ENV = str(uuid4())
ENV_RUN = {
    "run_id": str(uuid4()),
    "env_id": ENV,
    "stream_id": str(STREAM),
    "event_id": None,
    "project_id": str(uuid4()),
    "fn_name": "::app/main",
    "run_type": "event",
}
ENV_EVENT = {
    "event_id": str(uuid4()),
    "env_id": ENV,
    "stream_id": str(STREAM),
    "event_type": "greet",
    "project_id": None,
}
ENV_TASK = {
    "task_id": str(uuid4()),
    "env_id": ENV,
    "stream_id": str(STREAM),
    "function_name": "::app/job",
}
ENV_PAYLOADS: list[dict[str, Any]] = [
    {"type": "run:start", **ENV_RUN},
    {"type": "run:stop", **ENV_RUN, "duration_ms": 12},
    {"type": "run:fail", **ENV_RUN, "duration_ms": None, "error": "boom"},
    {"type": "run:cancel", **ENV_RUN, "duration_ms": 3, "reason": None},
    {"type": "event:created", **ENV_EVENT},
    {"type": "event:handled", **ENV_EVENT},
    {"type": "stream:created", "stream_id": str(STREAM), "env_id": ENV, "project_id": None},
    {"type": "task:started", **ENV_TASK, "task_type": "background"},
    {
        "type": "task:complete",
        **ENV_TASK,
        "status": "timed_out",
        "duration_ms": 60000,
        "error": {"code": 9, "detail": ["late"]},
    },
    {"type": "keepalive"},
    {"type": "build:deployed", "build_id": str(uuid4())},
]


async def test_env_subscribe_yields_flat_environment_events(mode: str) -> None:
    with SseScript(split(wire(ENV_PAYLOADS), 5)) as server:
        client = make_client(server, mode)
        try:
            events = await collect(client.env.subscribe())
        finally:
            await close(client)

    assert [type(e) for e in events] == [
        EnvRunStart,
        EnvRunStop,
        EnvRunFail,
        EnvRunCancel,
        EnvEventCreated,
        EnvEventHandled,
        EnvStreamCreated,
        EnvTaskStarted,
        EnvTaskComplete,
        Keepalive,
        UnknownStreamEvent,
    ]
    assert [e.raw for e in events] == ENV_PAYLOADS
    failed = events[2]
    assert isinstance(failed, EnvRunFail)
    assert failed.error == "boom"
    assert failed.fn_name == "::app/main"
    complete = events[8]
    assert isinstance(complete, EnvTaskComplete)
    assert complete.status is TaskStatus.TIMED_OUT
    assert complete.error == {"code": 9, "detail": ["late"]}
    assert server.requests[0].path == "/v1/env/subscribe"


async def test_a_known_env_event_that_does_not_fit_raises_with_the_frame(mode: str) -> None:
    with SseScript([event({"type": "run:stop", "run_id": "nope"})]) as server:
        client = make_client(server, mode)
        try:
            with pytest.raises(HotResponseValidationError) as error:
                await collect(client.env.subscribe())
        finally:
            await close(client)

    assert error.value.raw == {"type": "run:stop", "run_id": "nope"}


async def test_run_subscribe_yields_snapshots_and_skips_other_event_types(mode: str) -> None:
    snapshots: list[dict[str, Any]] = [
        {"type": "run:update", "run": run(RUN_ID)},
        {"type": "keepalive"},
        {"type": "run:progress", "percent": 50},
        {"type": "run:update", "run": run(RUN_ID, status="succeeded", result=1)},
    ]
    with SseScript(split(wire(snapshots), 11)) as server:
        client = make_client(server, mode)
        try:
            events = await collect(client.runs.subscribe(RUN_ID))
        finally:
            await close(client)

    assert [type(e) for e in events] == [RunUpdate, RunUpdate]
    assert [e.run.status for e in events] == [RunStatus.RUNNING, RunStatus.SUCCEEDED]
    assert server.requests[0].path == f"/v1/runs/{RUN_ID}/subscribe"


async def test_task_subscribe_yields_snapshots(mode: str) -> None:
    snapshots: list[dict[str, Any]] = [
        {"type": "task:update", "task": task(TASK_ID, status="queued")},
        {"type": "task:update", "task": task(TASK_ID, status="completed", result=[1])},
    ]
    with SseScript([event(p) for p in snapshots]) as server:
        client = make_client(server, mode)
        try:
            events = await collect(client.tasks.subscribe(TASK_ID))
        finally:
            await close(client)

    assert [e.task.status for e in events] == [TaskStatus.QUEUED, TaskStatus.COMPLETED]
    assert events[1].task.result == [1]


# ---------------------------------------------------------------- connections released

OPEN: list[Step] = [event(STREAM_PAYLOADS[1]), event(STREAM_PAYLOADS[3]), HOLD]


async def first_event(stream: EventStream[Any] | AsyncEventStream[Any]) -> Any:
    if isinstance(stream, AsyncEventStream):
        return await stream.__anext__()
    return next(stream)


async def test_breaking_out_of_a_loop_releases_the_connection(mode: str) -> None:
    with SseScript(OPEN) as server:
        client = make_client(server, mode)
        try:
            stream = client.streams.subscribe(STREAM)
            if isinstance(stream, AsyncEventStream):
                async with stream:
                    async for _ in stream:
                        break
            else:
                with stream:
                    for _ in stream:
                        break
            assert server.wait_all_closed()
        finally:
            await close(client)


async def fail_on_first_event(stream: EventStream[Any] | AsyncEventStream[Any]) -> None:
    if isinstance(stream, AsyncEventStream):
        async with stream:
            async for _ in stream:
                raise KeyError("user code failed")
    else:
        with stream:
            for _ in stream:
                raise KeyError("user code failed")


async def test_an_exception_in_the_loop_releases_the_connection(mode: str) -> None:
    with SseScript(OPEN) as server:
        client = make_client(server, mode)
        try:
            stream = client.streams.subscribe(STREAM)
            with pytest.raises(KeyError):
                await fail_on_first_event(stream)
            assert server.wait_all_closed()
        finally:
            await close(client)


@pytest.mark.parametrize("reconnecting", [False, True])
async def test_an_abandoned_iterator_releases_the_connection_when_collected(
    mode: str, reconnecting: bool
) -> None:
    published = {
        "type": "event:published",
        "event_id": str(uuid4()),
        "stream_id": str(STREAM),
        "event_type": "greet",
    }
    with SseScript([event(published), *OPEN]) as server:
        client = make_client(server, mode)
        try:
            stream: EventStream[Any] | AsyncEventStream[Any] = (
                client.streams.subscribe_with_event({"event_type": "greet"})
                if reconnecting
                else client.streams.subscribe(STREAM)
            )
            await first_event(stream)
            assert server.open_streams == 1
            del stream
            gc.collect()
            for _ in range(20):  # the event loop finalizes abandoned async generators
                await asyncio.sleep(0.01)
            assert server.wait_all_closed()
        finally:
            await close(client)


@pytest.mark.parametrize("how", ["never read", "read to its end", "closed before its end"])
async def test_a_stream_not_left_open_leaves_no_work_on_the_loop_when_dropped(
    mode: str, how: str
) -> None:
    script = [event(STREAM_PAYLOADS[1])] if how == "read to its end" else OPEN
    with SseScript(script) as server:
        client = make_client(server, mode)
        try:
            stream: EventStream[Any] | AsyncEventStream[Any] = client.streams.subscribe(STREAM)
            if how == "read to its end":
                await collect(stream)
            elif how == "closed before its end":
                await first_event(stream)
                if isinstance(stream, AsyncEventStream):
                    await stream.aclose()
                else:
                    stream.close()
            assert server.wait_all_closed()
            del stream
            gc.collect()
            # No connection to close: dropping it starts no closing of its own.
            assert asyncio.all_tasks() == {asyncio.current_task()}
        finally:
            await close(client)


async def test_the_reconnecting_stream_releases_its_connection_on_break(mode: str) -> None:
    published = {
        "type": "event:published",
        "event_id": str(uuid4()),
        "stream_id": str(STREAM),
        "event_type": "greet",
    }
    with SseScript([event(published), *OPEN]) as server:
        client = make_client(server, mode)
        try:
            stream = client.streams.subscribe_with_event({"event_type": "greet"})
            seen = []
            if isinstance(stream, AsyncEventStream):
                async with stream:
                    async for item in stream:
                        seen.append(item)
                        if len(seen) == 2:
                            break
            else:
                with stream:
                    for item in stream:
                        seen.append(item)
                        if len(seen) == 2:
                            break
            assert [type(e) for e in seen] == [EventPublished, RunStart]
            assert server.wait_all_closed()
        finally:
            await close(client)
