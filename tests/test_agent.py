"""Agent conventions: labels read from real emulator streams, event-data builders,
slash commands, and replies folded from deltas, sources, errors and replays."""

from __future__ import annotations

import asyncio
import itertools
import random
import threading
import time
import types
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest

from hot_typed import (
    AsyncEventStream,
    EventCreateParams,
    EventPublished,
    EventStream,
    RunStart,
    RunStop,
    StreamData,
    StreamEvent,
)
from hot_typed.agent import (
    AgentEvent,
    CommandSpec,
    MemoryEnd,
    MemoryFailed,
    ParsedCommand,
    ReplyAccumulator,
    ReplyDelta,
    ReplyEnd,
    ReplyError,
    ReplyPayload,
    ReplySources,
    ReplyStart,
    agent_event,
    bare_id,
    build_agent_event_data,
    build_web_message_ids,
    memory_label,
    parse_slash_command,
    reply_label,
)
from hot_typed.testing import HotEmulator

from . import payloads
from .sse_script import on_emulator
from .test_ids import SPELLINGS

AGENT = "team-agent"


@pytest.fixture
def emu() -> Iterator[HotEmulator]:
    with HotEmulator() as emulator:
        yield emulator


def _ask(text: str = "hi") -> EventCreateParams:
    data = build_agent_event_data(
        session_id="web:chat:c1", user_id="u1", message_id="m-1", payload={"text": text}
    )
    return {"event_type": "team-agent:ask", "event_data": data}


# ---------------------------------------------------------------- real streams


def test_reply_labels_stream_from_the_emulator_as_typed_agent_events(emu: HotEmulator) -> None:
    emu.on_agent("team-agent:ask", "Typed all the way", agent=AGENT, sources=[{"id": "doc-1"}])
    events = [
        found
        for message in emu.client().streams.subscribe_with_event(_ask())
        if (found := agent_event(message, AGENT)) is not None
    ]
    kinds = [(e.topic, e.verb, type(e.payload)) for e in events]
    assert kinds == [
        ("reply", "start", ReplyStart),
        *[("reply", "delta", ReplyDelta)] * 4,
        ("reply", "sources", ReplySources),
        ("reply", "end", ReplyEnd),
    ]
    assert all(e.agent == AGENT and e.payload.session_id == "web:chat:c1" for e in events)
    assert all(isinstance(e.payload, ReplyPayload) for e in events)
    assert all(e.payload.message_id == "m-1" for e in events)  # type: ignore[union-attr]
    end = events[-1].payload
    assert isinstance(end, ReplyEnd)
    assert end.text == "Typed all the way"
    assert "".join(e.payload.chunk for e in events if isinstance(e.payload, ReplyDelta)) == end.text
    assert events[-2].payload.raw == {
        "session_id": "web:chat:c1",
        "message_id": "m-1",
        "sources": [{"id": "doc-1"}],
    }


async def test_async_subscribe_with_event_folds_the_emulated_reply(emu: HotEmulator) -> None:
    emu.on_agent("team-agent:ask", lambda event: ["Hel", "lo ", event.data["text"]], agent=AGENT)
    async with emu.async_client() as hot:
        accumulator = ReplyAccumulator(AGENT)
        seen = [
            e.verb async for e in accumulator.afollow(hot.streams.subscribe_with_event(_ask("you")))
        ]
    assert seen == ["start", "delta", "delta", "delta", "end"]
    reply = accumulator.reply()
    assert (reply.text, reply.status, reply.error) == ("Hello you", "ok", None)
    assert reply.session_id == "web:chat:c1"
    assert reply.message_id == "m-1"
    assert reply.event_id is not None
    assert reply.stream_id is not None
    assert reply.run_id is not None


def test_collect_over_a_plain_subscription_stops_when_the_run_ends(emu: HotEmulator) -> None:
    subscribed = threading.Event()  # stream:data is never replayed: answer once connected
    emu.on_agent("team-agent:ask", lambda _: "over the stream" * subscribed.wait(5), agent=AGENT)
    hot = emu.client()
    stream_id = payloads.uid()
    hot.events.publish({**_ask(), "stream_id": stream_id})

    def connected(events: Iterator[Any]) -> Iterator[Any]:
        for event in events:
            subscribed.set()
            yield event

    with hot.streams.subscribe(stream_id) as stream:
        reply = ReplyAccumulator(AGENT).collect(connected(stream))
    assert (reply.text, reply.status) == ("over the stream", "ok")


async def test_async_follow_over_a_plain_subscription_stops_when_the_run_ends(
    emu: HotEmulator,
) -> None:
    subscribed = threading.Event()
    emu.on_agent("team-agent:ask", lambda _: "async tail" * subscribed.wait(5), agent=AGENT)
    stream_id = payloads.uid()

    async def connected(events: AsyncIterator[Any]) -> AsyncIterator[Any]:
        async for event in events:
            subscribed.set()
            yield event

    async with emu.async_client() as hot:
        await hot.events.publish({**_ask(), "stream_id": stream_id})
        accumulator = ReplyAccumulator(AGENT)
        async with hot.streams.subscribe(stream_id) as stream:
            verbs = [e.verb async for e in accumulator.afollow(connected(stream))]
    # `reply:start` is sent before the answer waits, so it may precede the connection.
    assert verbs[-3:] == ["delta", "delta", "end"]
    assert verbs[:-3] in ([], ["start"])
    assert (accumulator.reply().text, accumulator.finished) == ("async tail", True)


async def test_async_collect_reports_an_agent_error_and_the_failed_run(emu: HotEmulator) -> None:
    emu.on_agent("team-agent:ask", "never sent", agent=AGENT, fail="model unavailable")
    async with emu.async_client() as hot:
        reply = await ReplyAccumulator(AGENT).acollect(hot.streams.subscribe_with_event(_ask()))
    assert (reply.status, reply.error, reply.text) == ("error", "model unavailable", "")


def test_sync_collect_keeps_sources_and_ignores_other_agents(emu: HotEmulator) -> None:
    @emu.on_event("team-agent:ask")
    def both(event: Any, ctx: Any) -> str:
        ctx.emit({"delta": "not mine"}, data_type=reply_label("other-agent", "delta"))
        ctx.emit({"delta": "mine"}, data_type=reply_label(AGENT, "delta"))
        ctx.emit({"sources": ["a", "b"]}, data_type=reply_label(AGENT, "sources"))
        ctx.emit_text("plain ai output")
        return "done"

    reply = ReplyAccumulator(AGENT).collect(emu.client().streams.subscribe_with_event(_ask()))
    assert (reply.text, reply.status) == ("mine", "ok")
    assert [s.sources for s in reply.sources] == [["a", "b"]]


async def _verbs(
    accumulator: ReplyAccumulator, stream: EventStream[StreamEvent] | AsyncEventStream[StreamEvent]
) -> list[str]:
    if isinstance(stream, AsyncEventStream):
        return [e.verb async for e in accumulator.afollow(stream)]
    return [e.verb for e in accumulator.follow(stream)]


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_a_reply_whose_runs_start_the_stream_sends_last_is_folded_whole(mode: str) -> None:
    accumulator = ReplyAccumulator(AGENT)
    with HotEmulator(late_run_start=True) as emulator:
        emulator.on_agent("team-agent:ask", "Started late, folded whole", agent=AGENT)
        verbs: list[str] = on_emulator(
            mode,
            emulator,
            lambda client: _verbs(accumulator, client.streams.subscribe_with_event(_ask())),
        )

    assert verbs == ["start", "delta", "delta", "delta", "delta", "end"]
    reply = accumulator.reply()
    assert (reply.text, reply.status, reply.message_id) == (
        "Started late, folded whole",
        "ok",
        "m-1",
    )
    assert accumulator.finished


def test_memory_labels_are_typed_with_their_action(emu: HotEmulator) -> None:
    @emu.on_event("team-agent:forget")
    def forget(event: Any, ctx: Any) -> None:
        ctx.emit(
            {"session-id": "s1", "scope": "all"}, data_type=memory_label(AGENT, "forget", "start")
        )
        ctx.emit({"session-id": "s1", "records": 3}, data_type=memory_label(AGENT, "forget", "end"))
        ctx.emit(
            {"session-id": "s1", "error": "boom"}, data_type=memory_label(AGENT, "compact", "error")
        )

    found = [
        e
        for m in emu.client().streams.subscribe_with_event({"event_type": "team-agent:forget"})
        if (e := agent_event(m)) is not None
    ]
    assert [(e.agent, e.topic, e.action, e.verb) for e in found] == [
        (AGENT, "memory", "forget", "start"),
        (AGENT, "memory", "forget", "end"),
        (AGENT, "memory", "compact", "error"),
    ]
    end, failed = found[1].payload, found[2].payload
    assert isinstance(end, MemoryEnd)
    assert end.session_id == "s1"
    assert end.raw["records"] == 3
    assert isinstance(failed, MemoryFailed)
    assert failed.error == "boom"


# ---------------------------------------------------------------- labels


@pytest.mark.parametrize(
    ("data_type", "expected"),
    [
        ("team-agent:reply:delta", ("team-agent", "reply", None, "delta")),
        ("ai:agent:reply:start", ("ai:agent", "reply", None, "start")),
        ("ai:agent:memory:forget:end", ("ai:agent", "memory", "forget", "end")),
        ("team-agent:memory:export:start", ("team-agent", "memory", "export", "start")),
        ("team-agent:reply:unknown", None),
        ("reply:delta", None),
        (":reply:delta", None),
        ("ai:delta", None),
        ("team-agent:memory:forget:done", None),
        ("team-agent:memory::end", None),
    ],
)
def test_labels_are_read_from_their_end(data_type: str, expected: Any) -> None:
    event: StreamData[Any] = StreamData(run_id=payloads.uid(), data_type=data_type, payload={})
    found = agent_event(event)
    got = None if found is None else (found.agent, found.topic, found.action, found.verb)
    assert got == expected


def test_an_agent_payload_keeps_its_json_as_sent_with_keys_by_name() -> None:
    # hot/src/team-agent/agent.hot sends `session-id`; others send `session_id`.
    sent = {"session_id": "s2", "records": 3}
    event: StreamData[Any] = StreamData(
        run_id=payloads.uid(), data_type=memory_label(AGENT, "export", "end"), payload=sent
    )
    found = agent_event(event, AGENT)
    assert found is not None
    assert isinstance(found.payload, MemoryEnd)
    assert (found.payload.session_id, found.payload.raw) == ("s2", sent)


def test_a_reply_error_names_its_reason_from_message_or_error() -> None:
    assert ReplyError(message="m").reason == "m"
    assert ReplyError(error="e").reason == "e"
    assert ReplyError().reason == "the agent reported an error"
    assert ReplyDelta(text="old").chunk == "old"


# ---------------------------------------------------------------- builders


def test_web_message_ids_follow_the_chat_and_person_conventions() -> None:
    chat = build_web_message_ids(user_id="web:u7", chat_id="c9", session_mode="chat", now_ms=5)
    assert (chat.user_bare, chat.chat_bare, chat.session_id, chat.message_id) == (
        "u7",
        "c9",
        "web:chat:c9",
        "web:c9:5",
    )
    person = build_web_message_ids(
        user_id="u7", chat_id="web:c9", session_mode="person", message_id_prefix="app", now_ms=6
    )
    assert (person.session_id, person.message_id) == ("person:u7", "app:c9:6")
    assert bare_id("web:user:abc") == "user:abc"
    assert bare_id("plain") == "plain"


def test_agent_event_data_carries_identity_payload_and_only_non_empty_extras() -> None:
    data = build_agent_event_data(
        session_id="web:chat:1",
        user_id="u1",
        message_id="m",
        timestamp=10,
        payload={"text": "hi", "user_name": "Ada"},
        metadata={},
        attachments=[],
    )
    assert data == {
        "session_id": "web:chat:1",
        "user_id": "u1",
        "user_name": "Ada",
        "message_id": "m",
        "timestamp": 10,
        "text": "hi",
    }
    full = build_agent_event_data(
        session_id="s",
        user_id="u",
        metadata={"k": 1},
        attachments=[{"name": "a.txt", "type": "text/plain", "size": 1}],
    )
    assert full["user_name"] == "User"
    assert full["message_id"].startswith("web:")
    assert isinstance(full["timestamp"], int)
    assert full["timestamp"] > 1_700_000_000
    assert full["metadata"] == {"k": 1}
    assert full["attachments"][0]["name"] == "a.txt"


def test_ids_and_event_data_made_now_carry_the_time_in_whole_milliseconds_and_seconds() -> None:
    before = time.time_ns()
    ids = build_web_message_ids(user_id="u1", chat_id="c9", session_mode="chat")
    data = build_agent_event_data(session_id="web:chat:c9", user_id="u1")
    after = time.time_ns()
    for stamp in (ids.message_id.removeprefix("web:c9:"), data["message_id"].removeprefix("web:")):
        assert stamp.isdigit()
        assert before // 1_000_000 <= int(stamp) <= after // 1_000_000
    assert before // 1_000_000_000 <= data["timestamp"] <= after // 1_000_000_000


# ---------------------------------------------------------------- slash commands

COMMANDS = {
    "ask": CommandSpec("team-agent:ask", "question"),
    "forget": CommandSpec("team-agent:forget"),
    "sum-up": CommandSpec("team-agent:summary", "hours"),
    # A slash with no name is no command, even where a table maps the empty name.
    "": CommandSpec("team-agent:nameless"),
}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "/ask why typed?",
            ParsedCommand("team-agent:ask", {"command": "ask", "question": "why typed?"}, "ask"),
        ),
        (
            "  /ASK   spaced out  ",
            ParsedCommand("team-agent:ask", {"command": "ask", "question": "spaced out"}, "ask"),
        ),
        (
            "/ask@TeamBot hello",
            ParsedCommand("team-agent:ask", {"command": "ask", "question": "hello"}, "ask"),
        ),
        # command.hot `strip-bot-suffix`: the first part of the word split at every `@`.
        (
            "/ask@Team@Bot hello",
            ParsedCommand("team-agent:ask", {"command": "ask", "question": "hello"}, "ask"),
        ),
        ("/ask", ParsedCommand("team-agent:ask", {"command": "ask", "question": ""}, "ask")),
        (
            "/ask\nsecond line",
            ParsedCommand("team-agent:ask", {"command": "ask", "question": "second line"}, "ask"),
        ),
        ("/forget everything", ParsedCommand("team-agent:forget", {"command": "forget"}, "forget")),
        (
            "/ask\tmulti\nline  question ",
            ParsedCommand(
                "team-agent:ask", {"command": "ask", "question": "multi\nline  question"}, "ask"
            ),
        ),
        (
            "/sum-up 24",
            ParsedCommand("team-agent:summary", {"command": "sum-up", "hours": "24"}, "sum-up"),
        ),
        ("/unknown thing", ParsedCommand("team-agent:record", {"text": "/unknown thing"})),
        ("/", ParsedCommand("team-agent:record", {"text": "/"})),
        ("/@TeamBot hi", ParsedCommand("team-agent:record", {"text": "/@TeamBot hi"})),
        ("just chatting ", ParsedCommand("team-agent:record", {"text": "just chatting"})),
        ("ask /ask later", ParsedCommand("team-agent:record", {"text": "ask /ask later"})),
    ],
)
def test_slash_commands_map_text_to_agent_events(text: str, expected: ParsedCommand) -> None:
    parsed = parse_slash_command(text, COMMANDS, fallback_event="team-agent:record")
    assert parsed == expected
    assert parsed.is_command is (expected.command is not None)


def test_the_fallback_key_names_the_plain_text_field() -> None:
    parsed = parse_slash_command("hello", COMMANDS, fallback_event="e:x", fallback_key="message")
    assert parsed.payload == {"message": "hello"}
    assert not parsed.is_command


# ---------------------------------------------------------------- folding


_made = itertools.count(1000)


def _v7(n: int) -> str:
    """A time-ordered id (v7) that sorts by `n`, as the server makes them."""
    return str(uuid.UUID(int=(1 << 100) | (0x7 << 76) | (0b10 << 62) | n))


def _data(
    run_id: str, verb: str, payload: dict[str, Any], data_id: str | None = None
) -> StreamData[Any]:
    """A reply event, its id made after every earlier one's unless given."""
    return StreamData(
        stream_data_id=data_id or _v7(next(_made)),
        run_id=run_id,
        data_type=reply_label(AGENT, verb),  # type: ignore[arg-type]
        payload=payload,
    )


def _run(run_id: str, status: str, **extra: Any) -> dict[str, Any]:
    return payloads.run(run_id=str(run_id), status=status, **extra)


def test_deltas_fed_out_of_order_and_replayed_fold_to_one_reply() -> None:
    run_id = payloads.uid()
    deltas = [_data(run_id, "delta", {"delta": piece}, _v7(n)) for n, piece in enumerate("typed!")]
    shuffled = deltas + deltas[:3]
    random.Random(7).shuffle(shuffled)
    accumulator = ReplyAccumulator(AGENT, run_id=run_id)
    fed = [accumulator.feed(d) for d in shuffled]
    assert sum(e is not None for e in fed) == len(deltas)  # each replay seen once
    assert accumulator.text == "typed!"
    assert not accumulator.done


@pytest.mark.parametrize(
    "ids",
    [
        # v4: their order means nothing
        pytest.param(sorted((payloads.uid() for _ in range(3)), reverse=True), id="v4"),
        pytest.param(["z-3", "y-2", "x-1"], id="not-uuids"),
        pytest.param([None, None, None], id="absent"),
        pytest.param([_v7(3), None, _v7(1)], id="some-absent"),
    ],
)
def test_deltas_without_time_ordered_ids_keep_the_order_they_were_fed_in(
    ids: list[str | None],
) -> None:
    run_id = payloads.uid()
    accumulator = ReplyAccumulator(AGENT, run_id=run_id)
    for piece, data_id in zip(["fed ", "in ", "order"], ids, strict=True):
        delta: StreamData[Any] = StreamData(
            stream_data_id=data_id,
            run_id=run_id,
            data_type=reply_label(AGENT, "delta"),
            payload={"delta": piece},
        )
        accumulator.feed(delta)
    assert accumulator.text == "fed in order"


def test_feed_takes_any_mapping_and_the_event_keeps_a_dict_as_raw() -> None:
    wire = {
        "type": "stream:data",
        "run_id": payloads.uid(),
        "stream_data_id": payloads.uid(),
        "data_type": reply_label(AGENT, "delta"),
        "payload": {"delta": "hi"},
    }
    fed = ReplyAccumulator(AGENT).feed(types.MappingProxyType(wire))
    assert fed is not None
    assert type(fed.data.raw) is dict
    assert fed.data.raw == wire


def test_the_end_text_is_the_reply_and_feed_takes_json_objects() -> None:
    run_id = payloads.uid()
    accumulator = ReplyAccumulator(AGENT)
    accumulator.feed({"type": "run:start", "run": _run(run_id, "running")})
    accumulator.feed(_data(run_id, "delta", {"delta": "draft"}).model_dump(mode="json"))
    accumulator.feed(
        {
            "type": "stream:data",
            "run_id": str(run_id),
            "stream_data_id": payloads.uid(),
            "data_type": reply_label(AGENT, "end"),
            "payload": {"text": "final answer"},
        }
    )
    assert accumulator.done
    assert not accumulator.finished
    assert accumulator.text == "final answer"
    stop = RunStop.model_validate(
        {"type": "run:stop", "run": _run(run_id, "succeeded", result=1)}
    )
    assert accumulator.feed(stop) is None
    assert accumulator.finished
    assert accumulator.reply().status == "ok"


def _published(event_id: str) -> EventPublished:
    return EventPublished(event_id=event_id, stream_id=payloads.uid(), event_type="team-agent:ask")


def _start(run_id: str, **extra: Any) -> RunStart:
    return RunStart.model_validate({"type": "run:start", "run": _run(run_id, "running", **extra)})


def _stop(run_id: str, status: str = "succeeded", **extra: Any) -> RunStop:
    return RunStop.model_validate({"type": "run:stop", "run": _run(run_id, status, **extra)})


def test_only_the_published_events_run_is_followed_and_its_retry_replaces_it() -> None:
    event_id, other, first, retry = payloads.uid(), payloads.uid(), payloads.uid(), payloads.uid()
    accumulator = ReplyAccumulator(AGENT)
    # crates/hot_scheduler/src/server.rs process_pending_retries: the failed
    # attempt's `retry_attempt` was incremented, and the retry gets it.
    events: list[Any] = [
        _published(event_id),
        _start(other, event_id=payloads.uid()),
        _data(other, "delta", {"delta": "someone else's"}),
        _start(first, event_id=str(event_id)),
        _data(first, "delta", {"delta": "first try"}),
        _stop(
            first, "pending_retry", result={"$err": "x"}, event_id=str(event_id), retry_attempt=1
        ),
        _start(retry, origin_run_id=str(first), retry_attempt=1),
        _data(retry, "delta", {"delta": "second "}),
        _data(retry, "delta", {"delta": "try"}),
        _stop(retry, result=None, origin_run_id=str(first), retry_attempt=1),
    ]
    seen = list(accumulator.follow(events))
    assert all(isinstance(e, AgentEvent) for e in seen)
    reply = accumulator.reply()
    assert (reply.text, reply.status, reply.run_id, reply.event_id) == (
        "second try",
        "ok",
        retry,
        event_id,
    )
    assert accumulator.finished


def test_a_background_task_the_agents_run_starts_neither_wipes_nor_replaces_the_reply() -> None:
    event_id, ours, task = payloads.uid(), payloads.uid(), payloads.uid()
    # crates/hot/src/lang/hot/task.rs `::hot::task/start`: the task's run names
    # the run that started it as origin, with run_type `task` and attempt 0.
    task_run: dict[str, Any] = {"origin_run_id": str(ours), "run_type": "task", "retry_attempt": 0}
    accumulator = ReplyAccumulator(AGENT)
    events: list[Any] = [
        _published(event_id),
        _start(ours, event_id=str(event_id)),
        _data(ours, "delta", {"delta": "Working "}),
        _start(task, **task_run),
        _data(task, "delta", {"delta": "the task's own"}),
        _data(ours, "delta", {"delta": "on it"}),
        _stop(task, **task_run),
    ]
    verbs = [e.verb for e in accumulator.follow(events)]

    assert verbs == ["delta", "delta"]
    assert (accumulator.text, accumulator.run_id, accumulator.finished) == (
        "Working on it",
        ours,
        False,
    )
    accumulator.feed(_stop(ours, event_id=str(event_id)))
    assert (accumulator.reply().text, accumulator.finished) == ("Working on it", True)


# crates/hot_api/src/handlers/streams.rs pushes `stream:data` and the worker's
# terminal events at once, but sends `run:start` only from its database poll,
# whose sleep restarts at every pushed message: a reply streamed faster than
# the poll shows its deltas and its end before its start.
def test_reply_deltas_that_come_before_their_runs_start_make_the_whole_reply() -> None:
    event_id, ours = payloads.uid(), payloads.uid()
    accumulator = ReplyAccumulator(AGENT)
    events: list[Any] = [
        _published(event_id),
        _data(ours, "start", {}),
        _data(ours, "delta", {"delta": "Fast "}),
        _data(ours, "delta", {"delta": "answer"}),
        _data(ours, "end", {"text": "Fast answer"}),
        _stop(ours, event_id=str(event_id)),
        _start(ours, event_id=str(event_id)),
    ]
    verbs = [e.verb for e in accumulator.follow(events)]

    assert verbs == ["start", "delta", "delta", "end"]
    reply = accumulator.reply()
    assert (reply.text, reply.status, reply.run_id) == ("Fast answer", "ok", ours)
    assert accumulator.finished


def test_deltas_of_another_events_run_held_the_same_way_are_dropped_once_it_shows_up() -> None:
    event_id, ours, other = payloads.uid(), payloads.uid(), payloads.uid()
    accumulator = ReplyAccumulator(AGENT)
    events: list[Any] = [
        _published(event_id),
        _data(other, "delta", {"delta": "not "}),
        _data(ours, "delta", {"delta": "only "}),
        _start(ours, event_id=str(event_id)),
        _data(other, "delta", {"delta": "this"}),
        _data(ours, "delta", {"delta": "ours"}),
        _start(other, event_id=payloads.uid()),
        _stop(ours, event_id=str(event_id)),
    ]
    fed = [accumulator.feed(event) for event in events]

    assert [e is not None for e in fed] == [False, False, False, False, False, True, False, False]
    assert (accumulator.text, accumulator.finished) == ("only ours", True)


def test_reply_events_held_past_the_limit_lose_the_oldest(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("hot_typed._streaming.UNATTRIBUTED_TEXT_LIMIT", 2 * len('{"delta":"ab"}'))
    event_id, ours = payloads.uid(), payloads.uid()
    accumulator = ReplyAccumulator(AGENT)
    accumulator.feed(_published(event_id))
    for piece in ["ab", "cd", "ef"]:
        accumulator.feed(_data(ours, "delta", {"delta": piece}))
    accumulator.feed(_stop(ours, event_id=str(event_id)))

    assert (accumulator.text, accumulator.finished) == ("cdef", True)


@pytest.mark.parametrize("given", ["run_id", "event_id"])
def test_with_its_run_or_event_given_the_reply_is_that_runs_whatever_run_is_seen_first(
    given: str,
) -> None:
    event_id, ours, other = payloads.uid(), payloads.uid(), payloads.uid()
    accumulator = (
        ReplyAccumulator(AGENT, run_id=ours)
        if given == "run_id"
        else ReplyAccumulator(AGENT, event_id=event_id)
    )
    events: list[Any] = [
        _start(other, event_id=payloads.uid()),
        _data(other, "delta", {"delta": "someone else's"}),
        _start(ours, event_id=str(event_id)),
        _data(ours, "delta", {"delta": "ours"}),
        _stop(ours, result=None, event_id=str(event_id)),
    ]
    for event in events:
        accumulator.feed(event)

    assert (accumulator.text, accumulator.run_id, accumulator.finished) == ("ours", ours, True)


def test_with_its_run_given_another_runs_reply_events_are_not_held_to_push_a_retrys_out(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("hot_typed._streaming.UNATTRIBUTED_TEXT_LIMIT", 2 * len('{"delta":"ab"}'))
    ours, retry, other = payloads.uid(), payloads.uid(), payloads.uid()
    accumulator = ReplyAccumulator(AGENT, run_id=ours)
    events: list[Any] = [
        _start(ours),
        _stop(ours, "pending_retry", result={"$err": "x"}, retry_attempt=1),
        _data(retry, "delta", {"delta": "ab"}),  # the retry's, before its start: held
        _start(other),  # no origin, not ours: another event's run
        _data(other, "delta", {"delta": "zz"}),
        _data(other, "delta", {"delta": "zz"}),
        _start(retry, origin_run_id=str(ours), retry_attempt=1),
        _data(retry, "delta", {"delta": "cd"}),
        _stop(retry, result=None, origin_run_id=str(ours), retry_attempt=1),
    ]
    for event in events:
        accumulator.feed(event)

    assert (accumulator.text, accumulator.run_id, accumulator.finished) == ("abcd", retry, True)


@pytest.mark.parametrize(
    ("kind", "reason"),
    [("run:fail", "the agent's run failed"), ("run:cancel", "the agent's run was cancelled")],
)
def test_a_run_that_fails_before_the_end_is_an_error_reply(kind: str, reason: str) -> None:
    run_id = payloads.uid()
    accumulator = ReplyAccumulator(AGENT, run_id=run_id)
    accumulator.feed(_data(run_id, "delta", {"delta": "half"}))
    accumulator.feed(
        {
            "type": kind,
            "run": _run(
                run_id, "failed" if kind == "run:fail" else "cancelled", result={"$err": "x"}
            ),
        }
    )
    reply = accumulator.reply()
    assert (reply.status, reply.error, reply.text) == ("error", reason, "half")
    assert accumulator.done
    assert accumulator.finished


# crates/hot/src/lang/emitter/database_writer.rs `write_run_fail`: a handler with
# `retry` that fails is set `pending_retry`, its `retry_attempt` incremented, and
# crates/hot_scheduler/src/server.rs `process_pending_retries` marks it `failed`
# once the retry is queued; a first attempt that ends with attempt 0 is the last.
@pytest.mark.parametrize(
    ("kind", "status", "retry_attempt", "over"),
    [
        ("run:stop", "pending_retry", 1, (False, False, None)),  # as a poll sends it
        ("run:fail", "pending_retry", 1, (False, False, None)),  # as pushed live
        ("run:fail", "failed", 1, (False, False, None)),
        ("run:fail", "failed", 0, (True, True, "the agent's run failed")),
    ],
)
def test_only_a_run_end_with_no_retry_to_come_finishes_the_reply(
    kind: str, status: str, retry_attempt: int, over: tuple[bool, bool, str | None]
) -> None:
    run_id = payloads.uid()
    accumulator = ReplyAccumulator(AGENT, run_id=run_id)
    accumulator.feed(_data(run_id, "delta", {"delta": "half"}))
    run = _run(run_id, status, retry_attempt=retry_attempt, result={"$err": "x"})
    accumulator.feed({"type": kind, "run": run})

    assert (accumulator.done, accumulator.finished, accumulator.error) == over


def test_a_reply_error_ends_the_follow_at_once() -> None:
    run_id = payloads.uid()
    accumulator = ReplyAccumulator(AGENT, run_id=run_id)
    events = [
        _data(run_id, "error", {"message": "rate limited"}),
        _data(run_id, "delta", {"delta": "late"}),
    ]
    assert [e.verb for e in accumulator.follow(events)] == ["error"]
    assert accumulator.reply().error == "rate limited"
    assert accumulator.text == ""


@pytest.mark.parametrize("seen_by", ["run:start", "stream:data"])
def test_with_no_run_or_event_given_the_reply_is_the_first_runs_seen(seen_by: str) -> None:
    ours, other = payloads.uid(), payloads.uid()
    first: list[Any] = (
        [_start(ours), _start(other)]
        if seen_by == "run:start"
        else [_data(ours, "delta", {"delta": "ours"}), _start(other)]
    )
    rest: list[Any] = [
        _data(other, "delta", {"delta": "someone else's"}),
        *([_data(ours, "delta", {"delta": "ours"})] if seen_by == "run:start" else []),
        _stop(ours),
    ]
    accumulator = ReplyAccumulator(AGENT)
    fed = [accumulator.feed(event) for event in [*first, *rest]]

    # A reply event of the first run seen is the reply's at once.
    assert [e.payload for e in fed if e is not None] == [ReplyDelta(delta="ours")]
    assert fed[0 if seen_by == "stream:data" else 3] is not None
    assert (accumulator.text, accumulator.run_id, accumulator.finished) == ("ours", ours, True)


def test_a_retry_starts_the_reply_over_and_it_is_done_only_at_the_retrys_end() -> None:
    first, retry = payloads.uid(), payloads.uid()
    accumulator = ReplyAccumulator(AGENT, run_id=first)
    events: list[StreamEvent] = [
        _start(first),
        _data(first, "end", {"text": "first try"}),
        _stop(first, "pending_retry", result={"$err": "x"}, retry_attempt=1),
    ]
    for event in events:
        accumulator.feed(event)
    assert (accumulator.done, accumulator.text) == (True, "first try")

    accumulator.feed(_start(retry, origin_run_id=str(first), retry_attempt=1))
    assert (accumulator.done, accumulator.finished, accumulator.text) == (False, False, "")

    accumulator.feed(_data(retry, "end", {"text": "second try"}))
    accumulator.feed(_stop(retry, result=None, origin_run_id=str(first), retry_attempt=1))
    assert (accumulator.done, accumulator.finished, accumulator.text) == (True, True, "second try")


def _followed(accumulator: ReplyAccumulator, events: list[Any], mode: str) -> list[str]:
    """The verbs `follow` (sync) or `afollow` (async) yields for `events`."""
    if mode == "sync":
        return [e.verb for e in accumulator.follow(events)]

    async def each() -> AsyncIterator[Any]:
        for event in events:
            yield event

    async def verbs() -> list[str]:
        return [e.verb async for e in accumulator.afollow(each())]

    return asyncio.run(verbs())


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_a_reply_error_among_events_held_for_their_run_ends_the_reply_there(mode: str) -> None:
    event_id, ours = payloads.uid(), payloads.uid()
    accumulator = ReplyAccumulator(AGENT)
    events: list[Any] = [
        _published(event_id),
        _data(ours, "delta", {"delta": "half"}),
        _data(ours, "error", {"message": "quota exceeded"}),
        _data(ours, "delta", {"delta": " late"}),
        _start(ours, event_id=str(event_id)),
    ]

    assert _followed(accumulator, events, mode) == ["delta", "error"]
    reply = accumulator.reply()
    assert (reply.text, reply.status, reply.error) == ("half", "error", "quota exceeded")
    assert (accumulator.done, accumulator.finished) == (True, True)


_SENT_BEFORE_THE_FAILURE: list[tuple[list[tuple[str, dict[str, Any]]], tuple[str, Any, str]]] = [
    # The agent's whole answer stands even though its run failed afterwards.
    ([("end", {"text": "all of it"})], ("ok", None, "all of it")),
    # An end without its text leaves only the deltas: the run's failure is the reply's.
    ([("delta", {"delta": "half"}), ("end", {})], ("error", "the agent's run failed", "half")),
    # The agent's own error is the reason, not the run's failure that follows.
    ([("error", {"message": "quota exceeded"})], ("error", "quota exceeded", "")),
]


@pytest.mark.parametrize(("sent", "outcome"), _SENT_BEFORE_THE_FAILURE)
def test_a_run_that_fails_after_the_agent_answered_keeps_what_the_agent_said(
    sent: list[tuple[str, dict[str, Any]]], outcome: tuple[str, str | None, str]
) -> None:
    run_id = payloads.uid()
    accumulator = ReplyAccumulator(AGENT, run_id=run_id)
    for verb, payload in sent:
        accumulator.feed(_data(run_id, verb, payload))
    accumulator.feed({"type": "run:fail", "run": _run(run_id, "failed", result={"$err": "x"})})

    reply = accumulator.reply()
    assert (reply.status, reply.error, reply.text) == outcome
    assert accumulator.finished


def test_a_reply_event_fed_as_a_json_object_keeps_that_object_as_its_raw() -> None:
    run_id = payloads.uid()
    sent = {
        "type": "stream:data",
        "stream_data_id": payloads.uid().upper(),  # an id is the text sent
        "run_id": run_id,
        "data_type": reply_label(AGENT, "delta"),
        "payload": {"delta": "as sent"},
    }
    found = ReplyAccumulator(AGENT, run_id=run_id).feed(sent)
    assert found is not None
    assert (found.run_id, found.data.stream_data_id, found.data.raw) == (
        run_id,
        sent["stream_data_id"],
        sent,
    )


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_an_accumulator_given_its_run_in_another_spelling_follows_the_run_the_server_names(
    spelling: Callable[[str], Any],  # a uuid.UUID too, which the accumulator takes
) -> None:
    # The server writes ids lowercase and hyphenated; the accumulator holds the
    # ids it is given in that form, so that they equal the events' ids.
    run_id = payloads.uid()
    accumulator = ReplyAccumulator(AGENT, run_id=spelling(run_id))
    assert accumulator.run_id == run_id
    found = accumulator.feed(_data(run_id, "delta", {"delta": "hello"}))
    assert found is not None
    assert accumulator.text == "hello"
