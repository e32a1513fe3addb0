"""Event types and stream data types bound to models (`EventType`, `StreamDataType`),
against the emulator, both clients: payloads checked before publishing, read back
and streamed as the declared models."""

from __future__ import annotations

import copy
import dataclasses
import pickle
import re
from collections.abc import Iterator
from typing import Any, cast
from uuid import uuid4

import pydantic
import pytest

from hot_typed import (
    AsyncEventStream,
    AsyncHotClient,
    Event,
    EventStream,
    EventType,
    HotClient,
    HotResponseValidationError,
    HotStreamError,
    NotFoundError,
    RateLimitError,
    RunStop,
    StreamData,
    StreamDataType,
)
from hot_typed.testing import HandlerEvent, HotEmulator, HttpResponse, RunContext

from .sse_script import (
    TOKEN,
    SseScript,
    close,
    collect,
    event,
    make_client,
    refused_url,
    resolve,
    run,
    run_event,
    stream_data,
)

pytestmark = pytest.mark.parametrize("mode", ["sync", "async"])

Client = HotClient | AsyncHotClient


class SignupData(pydantic.BaseModel):
    email: str
    plan: str


class Delta(pydantic.BaseModel):
    text: str


class Progress(pydantic.BaseModel):
    done: int
    total: int


Signup = EventType("user:signup", SignupData)
Ask = EventType("assistant:ask", str)
Count = EventType("counter:add", int)
DeltaData = StreamDataType("ai:delta", Delta)
ProgressData = StreamDataType("job:progress", Progress)


@pytest.fixture
def emulator() -> Iterator[HotEmulator]:
    with HotEmulator() as emu:

        @emu.on_event("assistant:ask")
        def answer(event: HandlerEvent, ctx: RunContext) -> Any:
            ctx.emit({"done": 1, "total": 2}, data_type="job:progress")
            ctx.emit_text("typed")
            ctx.emit({"level": "info"}, data_type="log")
            return "ok"

        yield emu


def client(emu: HotEmulator, mode: str) -> Client:
    return emu.client() if mode == "sync" else emu.async_client()


async def test_an_event_type_publishes_its_model_and_reads_it_back(
    mode: str, emulator: HotEmulator
) -> None:
    hot = client(emulator, mode)
    try:
        published = await resolve(
            hot.events.publish(Signup(SignupData(email="ada@example.com", plan="pro")))
        )
        read = await resolve(hot.events.get(published.event_id, data_type=Signup))
        if isinstance(hot, HotClient):
            listed = hot.events.list(data_type=Signup).data
        else:
            listed = (await hot.events.list(data_type=Signup)).data
    finally:
        await close(hot)
    (posted,) = [r for r in emulator.requests if r.method == "POST"]
    assert posted.json() == {
        "event_type": "user:signup",
        "event_data": {"email": "ada@example.com", "plan": "pro"},
    }
    assert read.event_data == SignupData(email="ada@example.com", plan="pro")
    assert [event.event_data.plan for event in listed] == ["pro"]


async def test_a_payload_that_is_not_the_declared_type_is_refused_before_sending(
    mode: str, emulator: HotEmulator
) -> None:
    hot = client(emulator, mode)
    try:
        complete = {"email": "ada@example.com", "plan": "pro"}  # a dict, not a SignupData
        for wrong in ({"email": "ada@example.com"}, complete, Delta(text="x"), "ada@example.com"):
            with pytest.raises(pydantic.ValidationError):
                await resolve(hot.events.publish(Signup(cast(Any, wrong))))
        with pytest.raises(pydantic.ValidationError):
            await resolve(hot.events.publish(Ask(cast(Any, 3))))  # strict: no int for a str
        with pytest.raises(pydantic.ValidationError):
            await resolve(hot.events.publish(Count(cast(Any, "3"))))  # nor a "3" for an int
    finally:
        await close(hot)
    assert emulator.requests == []


@dataclasses.dataclass
class Seat:
    row: int
    letter: str


async def test_an_event_type_of_a_dataclass_takes_an_instance_and_refuses_a_dict(
    mode: str, emulator: HotEmulator
) -> None:
    taken = EventType("seat:taken", Seat)
    hot = client(emulator, mode)
    try:
        with pytest.raises(pydantic.ValidationError):
            await resolve(hot.events.publish(taken(cast(Any, {"row": 3, "letter": "C"}))))
        await resolve(hot.events.publish(taken(Seat(3, "C"))))
    finally:
        await close(hot)
    (posted,) = [r for r in emulator.requests if r.method == "POST"]
    assert posted.json()["event_data"] == {"row": 3, "letter": "C"}


def test_an_event_type_of_a_plain_type_or_a_form_checks_it_strictly(mode: str) -> None:
    # Only a model is required as an instance: an `int` keeps strict rules (no
    # bool), and a form such as `list[int]` (no class) validates its items.
    counts = EventType("counts", list[int])
    assert counts([1, 2]).event_data == [1, 2]
    flag = EventType("flag", int)
    assert flag(3).event_data == 3
    with pytest.raises(pydantic.ValidationError):
        counts(cast(Any, ["1"]))
    with pytest.raises(pydantic.ValidationError):
        flag(cast(Any, True))


async def test_an_event_whose_data_does_not_fit_its_type_fails_on_arrival(
    mode: str, emulator: HotEmulator
) -> None:
    hot = client(emulator, mode)
    try:
        other = await resolve(
            hot.events.publish({"event_type": "user:signup", "event_data": {"email": 7}})
        )
        with pytest.raises(HotResponseValidationError) as error:
            await resolve(hot.events.get(other.event_id, data_type=Signup))
    finally:
        await close(hot)
    assert error.value.raw["data"]["event_data"] == {"email": 7}


def test_read_validates_an_event_of_its_type_and_refuses_others(
    mode: str, emulator: HotEmulator
) -> None:
    with emulator.client() as hot:
        signup = hot.events.publish(Signup(SignupData(email="a@x", plan="free")))
        asked = hot.events.publish(Ask("why?"))
        events = {event.event_type: event for event in hot.events.list()}
    typed: Event[SignupData] = Signup.read(events["user:signup"])
    assert (typed.event_id, typed.event_data.plan) == (signup.event_id, "free")
    assert Ask.read(events["assistant:ask"]).event_data == "why?"
    assert asked.event_data == "why?"
    with pytest.raises(ValueError, match="not a 'user:signup' event"):
        Signup.read(events["assistant:ask"])


def test_read_keeps_the_wire_object_of_the_event_as_raw(mode: str, emulator: HotEmulator) -> None:
    # What `events.get(..., data_type=Signup)` keeps, `Signup.read` keeps too: a key
    # of event_data the model does not declare, nanosecond timestamps.
    with emulator.client() as hot:
        published = hot.events.publish(
            {"event_type": "user:signup", "event_data": {"email": "a@x", "plan": "pro", "n": 1.0}}
        )
        held = hot.events.get(published.event_id)
    read = Signup.read(held)
    assert read.raw is held.raw
    assert read.raw["event_data"] == {"email": "a@x", "plan": "pro", "n": 1.0}
    assert len(read.raw["event_time"]) == len("2026-01-01T00:00:00.123456789Z")


async def test_declared_stream_data_arrives_as_its_model_and_the_rest_as_json(
    mode: str, emulator: HotEmulator
) -> None:
    hot = client(emulator, mode)
    try:
        messages = await collect(
            hot.streams.subscribe_with_event(Ask("why?"), data_types=[DeltaData, ProgressData])
        )
    finally:
        await close(hot)
    data = [m for m in messages if isinstance(m, StreamData)]
    assert [m.payload for m in data] == [
        Progress(done=1, total=2),
        Delta(text="typed"),
        {"level": "info"},
    ]
    assert [DeltaData.matches(m) for m in data] == [False, True, False]
    assert [ProgressData.matches(m) for m in data] == [True, False, False]
    assert data[1].raw["payload"] == {"text": "typed"}  # the wire object, untouched
    assert isinstance(messages[-1], RunStop)


async def test_declarations_restored_from_a_pickle_publish_and_decode_as_the_originals(
    mode: str, emulator: HotEmulator
) -> None:
    ask, delta = pickle.loads(pickle.dumps((Ask, DeltaData)))
    hot = client(emulator, mode)
    try:
        messages = await collect(hot.streams.subscribe_with_event(ask("why?"), data_types=[delta]))
    finally:
        await close(hot)
    (typed,) = [m for m in messages if DeltaData.matches(m)]
    assert typed.payload == Delta(text="typed")
    assert delta.matches(typed)


async def test_declared_stream_data_that_does_not_fit_raises_with_the_frame(
    mode: str, emulator: HotEmulator
) -> None:
    wrong = StreamDataType("ai:delta", Progress)
    hot = client(emulator, mode)
    try:
        with pytest.raises(HotResponseValidationError) as error:
            await collect(hot.streams.subscribe_with_event(Ask("why?"), data_types=[wrong]))
    finally:
        await close(hot)
    assert error.value.raw["payload"] == {"text": "typed"}


async def test_a_single_connection_subscription_decodes_declared_stream_data_too(
    mode: str,
) -> None:
    run_id = "0190d3a2-4b5c-7d8e-9f00-112233445566"
    frames = [
        event({"type": "stream:data", "run_id": run_id, "data_type": t, "payload": p})
        for t, p in [("ai:delta", {"text": "hi"}), ("other", [1])]
    ]
    with SseScript(frames) as server:
        hot = make_client(server, mode)
        try:
            messages = await collect(hot.streams.subscribe(run_id, data_types=[DeltaData]))
        finally:
            await close(hot)
    assert [DeltaData.matches(m) for m in messages] == [True, False]
    assert [m.payload for m in messages if isinstance(m, StreamData)] == [Delta(text="hi"), [1]]


async def _read_into(
    messages: list[object], stream: EventStream[Any] | AsyncEventStream[Any]
) -> None:
    """Read `stream` into `messages` as it goes, so that what came before a
    failure is kept."""
    if isinstance(stream, AsyncEventStream):
        async for message in stream:
            messages.append(message)
    else:
        for message in stream:
            messages.append(message)


async def test_declared_stream_data_without_a_payload_is_refused_not_none(mode: str) -> None:
    # A payload left out reads as null: JSON for an undeclared type, and for a
    # declared one a validation error rather than a `Delta` that is None.
    run_id = "0190d3a2-4b5c-7d8e-9f00-112233445566"
    bare = {"type": "stream:data", "run_id": run_id, "data_type": "other"}
    frames = [event(bare), event({**bare, "data_type": "ai:delta"})]
    with SseScript(frames) as server:
        hot = make_client(server, mode)
        try:
            messages: list[object] = []
            stream = hot.streams.subscribe(run_id, data_types=[DeltaData])
            with pytest.raises(HotResponseValidationError) as error:
                await _read_into(messages, stream)
        finally:
            await close(hot)
    assert [m.payload for m in messages if isinstance(m, StreamData)] == [None]
    assert error.value.raw == {**bare, "data_type": "ai:delta"}


def test_two_declarations_of_one_data_type_are_refused(mode: str) -> None:
    other = StreamDataType("ai:delta", Progress)
    with HotEmulator() as emulator, emulator.client() as hot:
        with pytest.raises(ValueError, match="declared twice"):
            hot.streams.subscribe_with_event(Ask("why?"), data_types=[DeltaData, other])
        assert emulator.requests == []


async def test_a_copy_or_pickle_of_a_data_type_is_the_same_declaration_not_a_second(
    mode: str,
) -> None:
    # A declaration restored in a worker, given beside the worker's own import
    # of it, or made twice alike, is one declaration: only another type is refused.
    again = [copy.copy(DeltaData), pickle.loads(pickle.dumps(DeltaData))]
    alike = StreamDataType("ai:delta", Delta)
    run_id = "0190d3a2-4b5c-7d8e-9f00-112233445566"
    frame = {"type": "stream:data", "run_id": run_id, "data_type": "ai:delta"}
    with SseScript([event({**frame, "payload": {"text": "hi"}})]) as server:
        hot = make_client(server, mode)
        try:
            messages: list[object] = []
            stream = hot.streams.subscribe(run_id, data_types=[DeltaData, *again, alike])
            await _read_into(messages, stream)
        finally:
            await close(hot)

    assert [m.payload for m in messages if DeltaData.matches(m)] == [Delta(text="hi")]
    assert all(copied == DeltaData and hash(copied) == hash(DeltaData) for copied in again)
    assert alike == DeltaData
    assert StreamDataType("ai:delta", Progress) != DeltaData
    assert StreamDataType("ai:other", Delta) != DeltaData


def test_a_copy_or_pickle_of_an_event_type_equals_it(mode: str) -> None:
    for restored in (copy.copy(Ask), copy.deepcopy(Ask), pickle.loads(pickle.dumps(Ask))):
        assert restored == Ask
        assert hash(restored) == hash(Ask)
        assert {Ask: 1}[restored] == 1
    assert EventType(Ask.name, Progress) != Ask
    assert EventType("assistant:other", Ask.data) != Ask


async def test_an_event_type_picks_its_events_out_of_the_environment_stream(mode: str) -> None:
    # crates/hot_api/src/handlers/env.rs: these carry the event's type, not its data.
    told = {
        "event_id": "0190d3a2-4b5c-7d8e-9f00-000000000001",
        "env_id": "0190d3a2-4b5c-7d8e-9f00-000000000002",
        "stream_id": "0190d3a2-4b5c-7d8e-9f00-000000000003",
        "project_id": None,
    }
    frames = [
        event({"type": "event:created", **told, "event_type": "user:signup"}),
        event({"type": "event:created", **told, "event_type": "assistant:ask"}),
        event({"type": "event:handled", **told, "event_type": "user:signup"}),
        event({"type": "stream:created", **{k: v for k, v in told.items() if k != "event_id"}}),
    ]
    with SseScript(frames) as server:
        hot = make_client(server, mode)
        try:
            happened = await collect(hot.env.subscribe())
        finally:
            await close(hot)
    assert [Signup.matches(m) for m in happened] == [True, False, True, False]
    assert [Ask.matches(m) for m in happened] == [False, True, False, False]
    assert [type(m).__name__ for m in happened if Signup.matches(m)] == [
        "EnvEventCreated",
        "EnvEventHandled",
    ]


def test_a_declaration_the_server_would_not_take_the_name_of_is_refused(mode: str) -> None:
    with pytest.raises(ValueError, match="needs a name") as error:
        StreamDataType("", Delta)
    assert str(error.value) == "a stream data type needs a name such as 'ai:delta'"
    # EventCreate's rule (crates/hot_api/src/handlers/events.rs
    # require_external_event_type): `hot:` types are the server's.
    with pytest.raises(pydantic.ValidationError, match="reserved"):
        EventType("hot:signup", Delta)
    declared = EventType("ai:asked", Delta)
    assert (declared.name, declared.data) == ("ai:asked", Delta)


# ---------------------------------------------------------------- every connection of a follow

STREAM, EVENT, RUN = str(uuid4()), str(uuid4()), str(uuid4())
PUBLISHED = event(
    {
        "type": "event:published",
        "event_id": str(EVENT),
        "stream_id": str(STREAM),
        "event_type": "assistant:ask",
    }
)
STARTED = run_event("run:start", run(RUN, event_id=EVENT, stream_id=STREAM))
STOPPED = run_event("run:stop", run(RUN, status="succeeded", event_id=EVENT, stream_id=STREAM))


def _refusal(status: int, code: str, headers: dict[str, str] | None = None) -> HttpResponse:
    return HttpResponse.json({"error": {"code": code, "message": code}}, status, headers)


async def test_a_publish_rate_limited_then_sent_again_decodes_declared_stream_data(
    mode: str,
) -> None:
    # A 429 to the publishing POST is waited out and the POST sent again
    # (crates/hot_api/src/handlers/streams.rs: the SSE connection limit answers
    # before the event is stored); that connection decodes as declared too.
    busy = _refusal(429, "rate_limited", {"retry-after-ms": "1"})
    with SseScript(busy, [PUBLISHED, STARTED, stream_data(RUN, {"text": "hi"}), STOPPED]) as server:
        kind = HotClient if mode == "sync" else AsyncHotClient
        hot = kind(TOKEN, base_url=server.server.base_url, max_retries=1)
        try:
            messages = await collect(
                hot.streams.subscribe_with_event(Ask("why?"), data_types=[DeltaData])
            )
        finally:
            await close(hot)
    assert [r.method for r in server.requests] == ["POST", "POST"]
    assert [m.payload for m in messages if DeltaData.matches(m)] == [Delta(text="hi")]


async def test_a_follow_with_declared_data_types_retries_as_its_clients_policy_says(
    mode: str,
) -> None:
    # The client's retry policy, not a default, decides: with no retries, the
    # 429 is raised and the POST is not sent again.
    busy = _refusal(429, "rate_limited", {"retry-after-ms": "1"})
    with SseScript(busy, [PUBLISHED, STARTED, STOPPED]) as server:
        kind = HotClient if mode == "sync" else AsyncHotClient
        hot = kind(TOKEN, base_url=server.server.base_url, max_retries=0)
        try:
            with pytest.raises(RateLimitError):
                await collect(hot.streams.subscribe_with_event(Ask("why?"), data_types=[DeltaData]))
        finally:
            await close(hot)
    assert [r.method for r in server.requests] == ["POST"]


async def test_a_404_to_the_publishing_post_naming_a_project_is_an_unknown_publish_with_data_types(
    mode: str,
) -> None:
    # crates/hot_api/src/handlers/streams.rs `subscribe_with_event` resolves
    # `?project=` only after publishing: declared data types change nothing there.
    with SseScript(_refusal(404, "not_found")) as server:
        hot = make_client(server, mode)
        try:
            with pytest.raises(HotStreamError) as error:
                await collect(
                    hot.streams.subscribe_with_event(
                        Ask("why?"), project="typo", data_types=[DeltaData]
                    )
                )
        finally:
            await close(hot)
    assert isinstance(error.value.__cause__, NotFoundError)
    assert "it is unknown whether the event was published" in str(error.value)


async def test_giving_up_unanswered_with_data_types_says_for_how_long(mode: str) -> None:
    hot = make_client(refused_url(), mode)
    try:
        with pytest.raises(HotStreamError) as error:
            await collect(
                hot.streams.subscribe_with_event(
                    Ask("why?"), max_attempts=0, data_types=[DeltaData]
                )
            )
    finally:
        await close(hot)
    assert re.match(
        r"subscribe-with-event: gave up after 1 connection attempt\(s\) in a row that got "
        r"no answer, over \d+\.\d s; nothing was sent",
        str(error.value),
    )
