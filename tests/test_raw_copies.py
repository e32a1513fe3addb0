"""`.raw` survives `copy.copy`, `copy.deepcopy`, `model_copy()` and pickling: single
models, the items of a page (whose raw is a reference into the page's JSON) and
stream events (whose raw is their frame's text, parsed on first access), typed
with the user's model or not. A copy changed by `model_copy(update=...)` keeps the
wire object with the updated keys changed; a model built in Python has its own
dump as raw."""

from __future__ import annotations

import copy
import json
import pickle
from collections import OrderedDict
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any
from uuid import uuid4

import pytest
from pydantic import BaseModel, Field

from hot_typed import (
    Event,
    HotClientClosedError,
    Run,
    RunStop,
    StreamDataType,
    WireModel,
    request_id_of,
)
from hot_typed._models.runs import finished_run, finished_task
from hot_typed.testing import HttpResponse

from .sse_script import SseScript, close, collect, event, make_client, resolve, run, task

both_clients = pytest.mark.parametrize("mode", ["sync", "async"])

NANOS = "2026-01-01T00:00:00.123456789Z"


def _event(**extra: Any) -> dict[str, Any]:
    return {
        "event_id": str(uuid4()),
        "env_id": str(uuid4()),
        "stream_id": str(uuid4()),
        "event_type": "user:signup",
        "event_data": {"amount": 1.0, "big": 12345678901234567890, "none": None},
        "event_time": NANOS,
        "created_at": NANOS,
        **extra,
    }


def _pickled(model: WireModel) -> Any:
    return pickle.loads(pickle.dumps(model))


COPIES: dict[str, Callable[[Any], Any]] = {
    "copy.copy": copy.copy,
    "copy.deepcopy": copy.deepcopy,
    "model_copy": lambda model: model.model_copy(),
    "model_copy(deep=True)": lambda model: model.model_copy(deep=True),
    "pickle": _pickled,
}
each_copy = pytest.mark.parametrize("make_copy", COPIES.values(), ids=list(COPIES))


async def _received(mode: str) -> tuple[Event, list[Event], RunStop]:
    """One event got alone, a page of two, and a `run:stop` from a stream, all received."""
    single = _event(unknown_key={"kept": True})
    page = [_event(), _event()]
    stop = {"type": "run:stop", "run": run(str(uuid4()), status="succeeded", result=1.0)}
    with SseScript(
        HttpResponse.json({"data": single}),
        HttpResponse.json(
            {"data": page, "pagination": {"limit": 2, "offset": 0, "total": 2, "has_more": False}}
        ),
        [event(stop)],
    ) as server:
        client = make_client(server, mode)
        try:
            got = await resolve(client.events.get(single["event_id"]))
            listed: Any = await resolve(client.events.list())
            (stopped,) = await collect(client.streams.subscribe(str(uuid4())))
        finally:
            await close(client)
    assert isinstance(stopped, RunStop)
    return got, list(listed.data), stopped


@both_clients
@each_copy
async def test_a_copy_of_a_received_model_keeps_its_raw(
    mode: str, make_copy: Callable[[Any], Any]
) -> None:
    got, page, stopped = await _received(mode)

    for model in (got, *page, stopped, stopped.run):
        copied = make_copy(model)
        assert copied == model
        assert copied.raw == json.loads(json.dumps(model.raw))
    assert make_copy(got).raw["event_time"] == NANOS
    assert make_copy(got).raw["unknown_key"] == {"kept": True}
    assert make_copy(got).raw["event_data"]["amount"] == 1.0
    assert isinstance(make_copy(got).raw["event_data"]["amount"], float)
    assert [make_copy(item).raw for item in page] == [item.raw for item in page]
    assert make_copy(stopped).raw["run"]["start_time"] == "2026-01-02T03:04:05.123456789Z"


@both_clients
@each_copy
async def test_a_copy_made_before_raw_was_ever_read_keeps_it(
    mode: str, make_copy: Callable[[Any], Any]
) -> None:
    # Lazy wire forms (frame text, a reference into a page) are carried, not lost.
    _, page, stopped = await _received(mode)
    copies = [make_copy(item) for item in page]
    copied_stop = make_copy(stopped)

    assert copied_stop.raw["type"] == "run:stop"
    assert [c.raw["event_time"] for c in copies] == [NANOS, NANOS]
    assert [c.raw["event_id"] for c in copies] == [str(item.event_id) for item in page]


class Order(BaseModel):
    """A user's model, defined where pickle finds it by name."""

    sku: str


OrderData = StreamDataType("shop:order", Order)


async def _typed(mode: str) -> dict[str, WireModel]:
    """Models of the classes the library parametrizes with the user's `Order`."""
    got = _event(event_data={"sku": "a", "unknown": 1})
    ran = run(str(uuid4()), status="succeeded", result={"sku": "b"})
    done = task(str(uuid4()), status="completed", result={"sku": "c"})
    data = {"type": "stream:data", "run_id": str(uuid4()), "data_type": "shop:order"}
    pagination = {"limit": 1, "offset": 0, "total": 1, "has_more": False}
    with SseScript(
        HttpResponse.json({"data": got}),
        HttpResponse.json({"data": ran}),
        HttpResponse.json({"data": done}),
        HttpResponse.json({"data": [got], "pagination": pagination}),
        [event({**data, "payload": {"sku": "d"}, "at": NANOS})],
    ) as server:
        client = make_client(server, mode)
        try:
            typed_event = await resolve(client.events.get(got["event_id"], data_type=Order))
            typed_run = await resolve(client.runs.get(ran["run_id"], result_type=Order))
            typed_task = await resolve(client.tasks.get(done["task_id"], result_type=Order))
            listed: Any = await resolve(client.events.list(data_type=Order))
            (streamed,) = await collect(
                client.streams.subscribe(str(uuid4()), data_types=[OrderData])
            )
        finally:
            await close(client)
    return {
        "events.get": typed_event,
        "runs.get": typed_run,
        "tasks.get": typed_task,
        "events.list item": listed.data[0],
        "StreamDataType": streamed,
        "finished run": finished_run(typed_run),
        "finished task": finished_task(typed_task),
    }


@both_clients
async def test_a_model_typed_with_the_users_model_pickles_keeping_its_raw(mode: str) -> None:
    typed = await _typed(mode)
    for where, model in typed.items():
        again = _pickled(model)
        assert type(again) is type(model), where
        assert again == model, where
        assert again.raw == model.raw, where
    assert _pickled(typed["events.get"]).raw["event_data"] == {"sku": "a", "unknown": 1}
    assert _pickled(typed["events.list item"]).raw["event_time"] == NANOS
    assert _pickled(typed["StreamDataType"]).raw["at"] == NANOS
    assert _pickled(typed["finished run"]).result == Order(sku="b")


@both_clients
async def test_a_shallow_copy_shares_the_raw_object_and_a_deep_copy_does_not(mode: str) -> None:
    got, _, _ = await _received(mode)

    assert copy.copy(got).raw is got.raw
    deep = copy.deepcopy(got)
    assert deep.raw == got.raw
    assert deep.raw is not got.raw
    assert deep.raw["event_data"] is not got.raw["event_data"]


@both_clients
@pytest.mark.parametrize("deep", [False, True])
async def test_a_copy_changed_by_update_keeps_the_wire_object_with_the_updated_keys_changed(
    mode: str, deep: bool
) -> None:
    got, page, stopped = await _received(mode)
    received = json.loads(json.dumps(got.raw))

    changed = got.model_copy(update={"event_type": "user:renamed", "note": (1.0,)}, deep=deep)

    # Unknown keys, nanoseconds and user JSON stay as received.
    assert changed.raw == {**received, "event_type": "user:renamed", "note": [1.0]}
    assert got.raw == received
    assert changed.raw["event_data"] is changed.event_data
    assert (changed.event_data is got.event_data) is not deep
    assert page[0].model_copy(update={"event_type": "x"}).raw == {**page[0].raw, "event_type": "x"}
    stopped_copy = stopped.model_copy(update={"type": "run:stop"})
    assert stopped_copy.raw == stopped.raw


@both_clients
@pytest.mark.parametrize("deep", [False, True])
async def test_a_received_model_put_in_by_update_goes_into_raw_as_its_wire_object(
    mode: str, deep: bool
) -> None:
    (_, page, stopped), (_, _, later) = await _received(mode), await _received(mode)
    other = later.run

    changed = stopped.model_copy(update={"run": other}, deep=deep)
    listed = stopped.model_copy(update={"runs": [other, {"plain": 1.0}]}, deep=deep)

    # The run's own wire object (nanoseconds, no key it did not have), not its dump.
    assert changed.raw["run"] == other.raw
    assert changed.raw["run"]["start_time"] == "2026-01-02T03:04:05.123456789Z"
    assert changed.raw["run"] == changed.run.raw
    assert changed.raw == {**stopped.raw, "run": other.raw}
    assert listed.raw["runs"] == [other.raw, {"plain": 1.0}]
    event_copy = page[0].model_copy(update={"event_data": page[1]}, deep=deep)
    assert event_copy.raw["event_data"] == page[1].raw


def _two_pages() -> list[HttpResponse]:
    first, second = [_event(), _event()], [_event()]
    return [
        HttpResponse.json(
            {
                "data": items,
                "pagination": {"limit": 2, "offset": offset, "total": 3, "has_more": more},
                "meta": {"request_id": str(uuid4()), "timestamp": NANOS},
            }
        )
        for items, offset, more in ((first, 0, True), (second, 2, False))
    ]


@both_clients
@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
async def test_a_page_pickles_with_its_items_and_raw_and_says_it_cannot_fetch_more(
    mode: str, protocol: int
) -> None:
    with SseScript(*_two_pages()) as server:
        client = make_client(server, mode)
        try:
            page: Any = await resolve(client.events.list(limit=2))
            restored: Any = pickle.loads(pickle.dumps(page, protocol=protocol))
            with pytest.raises(HotClientClosedError, match="pickle"):
                await resolve(restored.next_page())
        finally:
            await close(client)

    assert type(restored) is type(page)
    assert restored.data == page.data
    assert [item.raw for item in restored.data] == [item.raw for item in page.data]
    assert restored.raw == page.raw
    assert (restored.pagination, restored.meta) == (page.pagination, page.meta)
    assert request_id_of(restored) == request_id_of(page)
    assert len(server.requests) == 1  # the restored page sent nothing


@both_clients
@pytest.mark.parametrize("make_copy", [copy.copy, copy.deepcopy], ids=["copy", "deepcopy"])
async def test_a_copied_page_still_fetches_the_following_pages(
    mode: str, make_copy: Callable[[Any], Any]
) -> None:
    with SseScript(*_two_pages()) as server:
        client = make_client(server, mode)
        try:
            page: Any = await resolve(client.events.list(limit=2))
            copied = make_copy(page)
            following = await resolve(copied.next_page())
        finally:
            await close(client)

    assert copied.data == page.data
    assert copied.raw == page.raw
    assert (following.pagination.offset, len(following.data)) == (2, 1)
    assert server.requests[1].query["offset"] == "2"


class Aliased(WireModel):
    object_id: str = Field(alias="object-id")
    at: datetime


def test_an_updated_key_goes_into_raw_by_its_wire_key() -> None:
    received = Aliased.model_validate_json('{"object-id": "a", "at": "' + NANOS + '"}')
    later = datetime(2026, 1, 2, tzinfo=timezone.utc)

    changed = received.model_copy(update={"object_id": "b", "at": later})

    assert changed.raw == {"object-id": "b", "at": "2026-01-02T00:00:00Z"}
    assert received.model_copy(update={"object_id": "c"}).raw == {"object-id": "c", "at": NANOS}


class _Listing(list[Any]):
    pass


_SHARED = [1]
_CYCLE: dict[str, Any] = {"a": 1}
_CYCLE["self"] = _CYCLE


@pytest.mark.parametrize(
    ("value", "in_raw", "kept"),
    [
        ({"a": [1, {"b": None}]}, {"a": [1, {"b": None}]}, True),
        (OrderedDict(a=1), {"a": 1}, False),
        ({1: "a"}, {"1": "a"}, False),
        (_Listing([1, 2]), [1, 2], False),
        ((1, 2), [1, 2], False),
        ({"x": _SHARED, "y": _SHARED}, {"x": [1], "y": [1]}, False),
    ],
    ids=[
        "decoded JSON", "a dict subclass", "a key not text", "a list subclass", "a tuple", "shared"
    ],
)
def test_an_update_goes_into_raw_as_the_json_types_a_decoder_makes(
    value: Any, in_raw: Any, kept: bool
) -> None:
    # Only JSON as a decoder makes it (plain dicts with text keys, plain lists,
    # each object once) is put into raw as given; anything else as its dump.
    received = Aliased.model_validate_json('{"object-id": "a", "at": "' + NANOS + '", "x": 1}')

    changed = received.model_copy(update={"x": value})

    assert changed.raw["x"] == in_raw
    assert type(changed.raw["x"]) is type(in_raw)
    assert (changed.raw["x"] is value) is kept


def test_an_update_holding_a_cycle_is_refused_as_no_json() -> None:
    received = Aliased.model_validate_json('{"object-id": "a", "at": "' + NANOS + '", "x": 1}')
    with pytest.raises(ValueError, match=r"[Cc]ircular reference"):
        received.model_copy(update={"x": _CYCLE})


def _built_in_python() -> Run:
    # Validated from Python objects, not from the wire: nothing was received.
    return Run.model_validate(run(str(uuid4()), status="succeeded")).model_copy(
        update={"retry_attempt": 2}
    )


def test_a_model_built_in_python_copies_and_pickles_as_before() -> None:
    built = _built_in_python()

    for make_copy in COPIES.values():
        copied = make_copy(built)
        assert copied == built
        assert copied.raw == built.model_dump(mode="json", exclude_unset=True)


@both_clients
@pytest.mark.parametrize(
    "make_copy",
    [COPIES["copy.deepcopy"], COPIES["model_copy(deep=True)"]],
    ids=["copy.deepcopy", "model_copy(deep=True)"],
)
async def test_a_deep_copy_keeps_user_json_shared_between_the_model_and_its_raw(
    mode: str, make_copy: Callable[[Any], Any]
) -> None:
    # One deep copy, one memo: what the original shares, the copy shares too.
    got, _, _ = await _received(mode)
    assert got.event_data is got.raw["event_data"]

    deep = make_copy(got)

    assert deep.event_data is deep.raw["event_data"]
    assert deep.event_data is not got.event_data


@both_clients
async def test_a_deep_copy_of_a_container_keeps_what_it_shares_with_a_model(mode: str) -> None:
    got, _, _ = await _received(mode)

    model, data = copy.deepcopy([got, got.event_data])

    assert data is model.event_data
    assert data is model.raw["event_data"]
    assert data is not got.event_data


@both_clients
async def test_model_copy_is_shallow_unless_asked_deep(mode: str) -> None:
    got, _, _ = await _received(mode)

    assert got.model_copy().raw is got.raw
    assert got.model_copy().event_data is got.event_data
    deep = got.model_copy(deep=True)
    assert deep.raw == got.raw
    assert deep.raw is not got.raw
    assert deep.event_data is not got.event_data


def test_a_copy_of_a_model_built_in_python_has_its_own_dump_as_raw() -> None:
    built = _built_in_python()

    # Nothing was received: neither the model nor its copies have a wire form to
    # carry, so each raw is its own dump, taken when first read.
    again = built.model_copy(update={"retry_attempt": 3})
    assert again.raw["retry_attempt"] == 3
    copied = copy.copy(built)
    copied.retry_attempt = 4
    assert copied.raw["retry_attempt"] == 4
    assert built.raw["retry_attempt"] == 2
