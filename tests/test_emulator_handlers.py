"""Handlers standing in for Hot code, seen through hot-typed's clients."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest

from hot_typed import (
    AsyncHotClient,
    EventCreateParams,
    HotClient,
    NotFoundError,
    RunCancel,
    RunFail,
    RunStart,
    RunStop,
    StreamComplete,
    StreamData,
    StreamEvent,
    TaskStatus,
    TaskUpdate,
)
from hot_typed.testing import HandlerEvent, HotEmulator, RunContext

from ._held import HeldRun
from .sse_script import on_emulator


@pytest.fixture
def emu() -> Iterator[HotEmulator]:
    with HotEmulator(keepalive_interval=1) as emulator:
        yield emulator


@pytest.fixture
def client(emu: HotEmulator) -> HotClient:
    return emu.client()


def stream_until_terminal(client: HotClient, stream_id: Any) -> list[StreamEvent]:
    events: list[StreamEvent] = []
    with client.streams.subscribe(stream_id) as stream:
        for event in stream:
            events.append(event)
            if isinstance(event, RunStop | RunFail):
                return events
    return events


CALL = {"fn": "::shop/total", "args": []}


def publish(client: HotClient, event_type: str, data: Any = None) -> Any:
    return client.events.publish({"event_type": event_type, "event_data": data})


def call(client: HotClient, fn: str, *args: Any) -> Any:
    body: EventCreateParams = {
        "event_type": "hot:call",
        "event_data": {"fn": fn, "args": list(args)},
    }
    return client.events.publish(body)


def test_an_event_without_handler_is_echoed(client: HotClient) -> None:
    event = publish(client, "anything", {"nested": [None, 1.0]})
    events = stream_until_terminal(client, event.stream_id)
    assert isinstance(events[-1], RunStop)
    assert events[-1].run.result == {"nested": [None, 1.0]}
    assert events[-1].run.raw["result"] == {"nested": [None, 1.0]}


def test_call_handler_receives_args_and_its_return_is_the_result(
    emu: HotEmulator, client: HotClient
) -> None:
    @emu.on_call("::math/mul")
    def mul(event: HandlerEvent, ctx: RunContext) -> int:
        assert event.fn == "::math/mul"
        return int(event.args[0] * event.args[1])

    event = call(client, "::math/mul", 6, 7)
    events = stream_until_terminal(client, event.stream_id)
    assert events[-1].run.result == 42  # type: ignore[union-attr]
    assert events[-1].run.run_type == "call"  # type: ignore[union-attr]


@pytest.mark.parametrize("value", [None, 0, "", [], {"$ok": 1}, {"$err": "not a failure"}])
def test_a_handlers_return_value_is_stored_and_returned_as_it_is(
    emu: HotEmulator, client: HotClient, value: Any
) -> None:
    # crates/hot/src/lang/emitter/database_writer.rs `write_run_stop` stores the
    # value itself: no envelope for the client to take off.
    emu.on_call("::echo/value")(lambda event, ctx: value)

    assert client.events.call_hot("::echo/value", []) == value
    stop = stream_until_terminal(client, call(client, "::echo/value").stream_id)[-1]
    assert isinstance(stop, RunStop)
    assert stop.run.raw["result"] == value


def test_raising_handler_fails_the_run_with_err(emu: HotEmulator, client: HotClient) -> None:
    def bad(event: HandlerEvent, ctx: RunContext) -> None:
        raise KeyError("missing")

    emu.on_event("bad", bad)
    event = publish(client, "bad")
    events = stream_until_terminal(client, event.stream_id)
    assert isinstance(events[-1], RunFail)
    assert events[-1].run.status == "failed"
    assert events[-1].run.result == {
        "$type": "::hot::run/Failure",
        "$val": {"msg": "'missing'", "err": None},
    }


def test_unknown_function_fails_its_run(client: HotClient) -> None:
    event = call(client, "::nowhere/fn")
    events = stream_until_terminal(client, event.stream_id)
    assert isinstance(events[-1], RunFail)
    assert events[-1].run.result == {
        "$type": "::hot::run/Failure",
        "$val": {"msg": "Function not found: ::nowhere/fn", "err": None},
    }


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        ({"args": []}, "Cannot extract target function from hot:call event data"),
        ({"fn": "::math/id", "args": {"x": 1}}, "hot:call data has no 'args' array"),
    ],
)
def test_a_hot_call_the_client_refuses_is_stored_but_fails_its_run(
    emu: HotEmulator, client: HotClient, data: dict[str, Any], reason: str
) -> None:
    # The server stores any hot:call data; the call itself cannot be made.
    emu.on_call("::math/id", lambda event, ctx: event.args)
    event = client.request("POST", "/events", json={"event_type": "hot:call", "event_data": data})
    events = stream_until_terminal(client, event["data"]["stream_id"])
    assert isinstance(events[-1], RunFail)
    assert events[-1].run.result["$val"]["msg"].startswith(reason)


def test_a_result_that_is_not_json_fails_the_run(emu: HotEmulator, client: HotClient) -> None:
    emu.on_event("odd", lambda event, ctx: object())
    events = stream_until_terminal(client, publish(client, "odd").stream_id)
    assert isinstance(events[-1], RunFail)
    assert "not JSON serializable" in events[-1].run.result["$val"]["msg"]


def test_stream_data_reaches_subscribers_while_the_handler_still_runs(
    emu: HotEmulator, client: HotClient
) -> None:
    subscribed = threading.Event()
    seen_first = threading.Event()

    @emu.on_event("tokens")
    def tokens(event: HandlerEvent, ctx: RunContext) -> str:
        # stream:data is never replayed: emit only once the subscriber is in.
        assert subscribed.wait(5)
        ctx.emit_text("first")
        # Only continues once the subscriber has received "first": proof
        # that data is delivered live, not buffered until the run ends.
        assert seen_first.wait(5)
        ctx.emit({"progress": 1.0}, data_type="progress")
        return "done"

    event = publish(client, "tokens")
    events: list[StreamEvent] = []
    with client.streams.subscribe(event.stream_id) as stream:
        for received in stream:
            events.append(received)
            if isinstance(received, RunStart):
                subscribed.set()
            if isinstance(received, StreamData):
                seen_first.set()
            if isinstance(received, RunStop | RunFail):
                break
    data = [e for e in events if isinstance(e, StreamData)]
    assert [(d.data_type, d.payload) for d in data] == [
        ("ai:delta", {"text": "first"}),
        ("progress", {"progress": 1.0}),
    ]
    assert isinstance(events[-1], RunStop)


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_call_hot_gets_the_chunks_of_a_reply_whose_start_the_stream_sends_last(mode: str) -> None:
    with HotEmulator(late_run_start=True) as emulator:

        @emulator.on_call("::chat/reply")
        def reply(event: HandlerEvent, ctx: RunContext) -> str:
            ctx.emit_text("Hel")
            ctx.emit_text("lo")
            return "Hello"

        texts: list[str] = []
        value = on_emulator(
            mode,
            emulator,
            lambda client: client.events.call_hot("::chat/reply", on_chunk=texts.append, timeout=5),
        )

    assert value == "Hello"
    assert texts == ["Hel", "lo"]


def test_reserved_event_types_cannot_get_handlers(emu: HotEmulator) -> None:
    with pytest.raises(ValueError, match="reserved"):
        emu.on_event("hot:call", lambda event, ctx: None)


def test_a_task_is_stored_queued_and_then_picked_up_running(
    emu: HotEmulator, client: HotClient
) -> None:
    # crates/hot/src/db/task.rs `Task::insert` stores a started task `queued`
    # (no start_time); a worker then marks it `running`.
    emu.on_event("work", lambda event, ctx: ctx.start_task("::a"))
    stream = publish(client, "hello").stream_id
    seen: list[tuple[TaskStatus, bool]] = []
    with client.streams.subscribe(stream) as events:
        for event in events:
            if not seen and isinstance(event, RunStop):
                # The replay of the stream's first run: the subscription is open.
                body: EventCreateParams = {"event_type": "work", "event_data": None}
                client.events.publish({**body, "stream_id": stream})
            if isinstance(event, TaskUpdate):
                seen.append((event.task.status, event.task.start_time is not None))
                if event.task.status is TaskStatus.RUNNING:
                    break

    assert seen == [(TaskStatus.QUEUED, False), (TaskStatus.RUNNING, True)]


def test_tasks_end_as_the_test_decides(emu: HotEmulator, client: HotClient) -> None:
    started: list[str] = []
    emu.on_event("work", lambda event, ctx: started.extend(
        ctx.start_task(name).task_id for name in ("::a", "::b", "::c")
    ))  # fmt: skip
    stream_until_terminal(client, publish(client, "work").stream_id)
    assert client.tasks.get(started[0]).run_id is None  # linked only once its run is over
    emu.task(started[0]).fail("disk full")
    emu.task(started[1]).time_out()
    emu.task(started[2]).cancel()
    statuses = [client.tasks.get(task_id) for task_id in started]
    assert [t.status for t in statuses] == ["failed", "timed_out", "cancelled"]
    # crates/hot_task_worker/src/lib.rs: `task_failure_json`, `task_cancellation_json`.
    assert [t.result for t in statuses] == [
        {"$type": "::hot::task/Failure", "$val": {"msg": "disk full", "err": None}},
        {"$type": "::hot::task/Failure", "$val": {"msg": "Task timed out", "err": None}},
        {"$type": "::hot::task/Cancellation", "$val": {"msg": "Task cancelled", "data": None}},
    ]
    # Each linked to the run of type `task` it executed as, once over (`Task::set_run_id`).
    for status in statuses:
        assert status.run_id is not None
        assert client.runs.get(status.run_id).run_type == "task"
    assert statuses[0].duration_ms is not None
    with pytest.raises(RuntimeError, match="already ended"):
        emu.task(started[0]).complete()
    with pytest.raises(KeyError):
        emu.task("00000000-0000-4000-8000-000000000000")


def test_stream_time_limit_ends_with_stream_complete() -> None:
    with HotEmulator(stream_time_limit=0.2) as emu:
        client = emu.client()
        event = publish(client, "a")
        events = list(client.streams.subscribe(event.stream_id))
    assert [type(e) for e in events] == [RunStart, RunStop, StreamComplete]
    assert events[-1].stream_id == event.stream_id  # type: ignore[union-attr]


def test_project_filter_of_an_unknown_project_is_not_found(client: HotClient) -> None:
    event = publish(client, "a")
    with pytest.raises(NotFoundError):
        list(client.streams.subscribe(event.stream_id, project="nope"))


def test_a_stream_subscribed_with_a_project_sends_that_projects_run_events_only() -> None:
    def order(event: HandlerEvent, ctx: RunContext) -> None:
        ctx.start_task("::shop/ship")

    with HotEmulator(stream_time_limit=0.5) as emu:
        emu.on_event("order:placed", order, project="shop")
        emu.on_event("mail:sent", lambda event, ctx: None, project="mail")
        emu.on_call("::shop/total", lambda event, ctx: 3, project="shop")
        client = emu.client()
        stream = publish(client, "order:placed").stream_id
        # "audit" has no handler of any project: the default echo runs it.
        for event_type, data in [("mail:sent", {}), ("audit", {}), ("hot:call", CALL)]:
            body: EventCreateParams = {"event_type": event_type, "event_data": data}
            client.events.publish({**body, "stream_id": stream})
        shop = client.projects.get("shop")

        def run_events(**project: Any) -> list[tuple[str, str | None]]:
            return [
                (event.type, event.run.project_name)
                for event in client.streams.subscribe(stream, **project)
                if isinstance(event, RunStart | RunStop)
            ]

        everything = run_events()
        by_name = run_events(project="shop")
        by_id = run_events(project=str(shop.project_id))
        mail = list(client.streams.subscribe(stream, project="mail"))

    assert {project for _, project in everything} == {"shop", "mail", None}
    # crates/hot_api/src/handlers/streams.rs: `run.project_id != Some(filter)` skips a
    # run event, replayed or live; task updates and other events are not filtered.
    assert sorted(by_name) == sorted(by_id)
    # The order and the call, started and stopped; the task's run (it copies the
    # order's project), started.
    assert sorted(by_name) == [("run:start", "shop")] * 3 + [("run:stop", "shop")] * 2
    assert [e.type for e in mail if e.type != "stream:complete"] == [
        "run:start",
        "run:stop",
        "task:update",
    ]
    order_run = next(e.run for e in mail if isinstance(e, RunStart))
    assert order_run.project_name == "mail"


async def test_async_client_streams_handler_output(emu: HotEmulator) -> None:
    subscribed = threading.Event()

    @emu.on_call("::chat/say")
    def say(event: HandlerEvent, ctx: RunContext) -> str:
        assert subscribed.wait(5)
        for word in event.args:
            ctx.emit_text(word)
        return " ".join(event.args)

    async with emu.async_client() as client:
        body: EventCreateParams = {
            "event_type": "hot:call",
            "event_data": {"fn": "::chat/say", "args": ["a", "b"]},
        }
        event = await client.events.publish(body)
        texts: list[str] = []
        async with client.streams.subscribe(event.stream_id) as stream:
            async for received in stream:
                if isinstance(received, RunStart):
                    subscribed.set()
                if isinstance(received, StreamData):
                    texts.append(received.payload["text"])
                if isinstance(received, RunStop | RunFail):
                    assert received.run.result == "a b"
                    break
    assert texts == ["a", "b"]
    assert isinstance(client, AsyncHotClient)


def test_cancelled_run_emits_run_cancel_and_ignores_its_handler(
    emu: HotEmulator, client: HotClient
) -> None:
    held = HeldRun("too late")
    emu.on_event("long")(held)

    event = publish(client, "long")
    [run] = client.events.get_runs(event.event_id).data
    assert emu.cancel_run(str(run.run_id)) is True
    assert emu.cancel_run(str(run.run_id)) is False
    held.release()
    events: list[StreamEvent] = []
    with client.streams.subscribe(event.stream_id) as stream:
        events = [next(stream), next(stream)]
    assert isinstance(events[1], RunCancel)
    assert events[1].run.status == "cancelled"
    assert client.runs.stats().cancelled == 1
    assert client.runs.get(run.run_id).status == "cancelled"


def test_stop_is_safe_before_start_and_twice() -> None:
    emu = HotEmulator()
    emu.stop()
    with HotEmulator() as running:
        with pytest.raises(RuntimeError, match="already running"):
            running.start()
        running.stop()
