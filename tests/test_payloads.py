"""User models as payloads: pydantic models and dataclasses go out in their JSON form,
dicts go out untouched, and typed reads validate user JSON on arrival while `.raw`
stays the wire object. Proven on real sockets with both clients."""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import json
import math
import sys
import uuid
import warnings
from collections import OrderedDict
from collections.abc import Callable, Iterator
from typing import Annotated, Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    ValidationError,
    field_serializer,
)
from pydantic import dataclasses as pydantic_dataclasses
from pydantic.alias_generators import to_camel

from hot_typed import (
    Event,
    EventCreate,
    HotResponseValidationError,
    Run,
    StreamData,
    Task,
)
from hot_typed._wire import json_bytes, to_json_value
from hot_typed.testing import HttpRequest, HttpResponse, LoopbackServer

from ._reliability import KINDS, with_client

EVENT_ID = "0190d3a2-4b5c-7d8e-9f00-112233445501"
RUN_ID = "0190d3a2-4b5c-7d8e-9f00-112233445502"
TASK_ID = "0190d3a2-4b5c-7d8e-9f00-112233445503"
ENV_ID = "6f1c2a8e-1d2b-4c3d-8e4f-5a6b7c8d9e0f"
STREAM_ID = "0190d3a2-4b5c-7d8e-9f00-112233445504"
PLAIN = {"a": [1, 2], "b": {"c": None}}
META = {"request_id": "0190d3a2-4b5c-7d8e-9f00-112233445599", "timestamp": "2026-03-01T10:00:00Z"}


class Signup(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)

    user_name: str
    plan_tier: int = Field(ge=1)


class ByName(BaseModel):
    """A model whose own config says: serialize by field name."""

    model_config = ConfigDict(serialize_by_alias=False)

    user_name: str = Field(alias="userName")


@dataclasses.dataclass
class Point:
    x: float
    y: float


@pydantic_dataclasses.dataclass
class Labelled:
    label: str = Field(serialization_alias="Label")
    at: Point = dataclasses.field(default_factory=lambda: Point(0.5, 1.0))


@pydantic_dataclasses.dataclass(config=ConfigDict(serialize_by_alias=False))
class ByNameDataclass:
    """A pydantic dataclass whose own config says: serialize by field name."""

    user_name: str = Field(serialization_alias="userName")


class Stamped(BaseModel):
    at: dt.datetime
    id: uuid.UUID


@dataclasses.dataclass
class StampedPoint:
    at: dt.datetime
    where: Point


class Tag(str):
    """Text of a `str` subclass: still text, and checked as text."""


def _event(data: Any) -> dict[str, Any]:
    return {
        "event_id": EVENT_ID,
        "env_id": ENV_ID,
        "stream_id": STREAM_ID,
        "event_type": "user:signup",
        "event_data": data,
        "event_time": "2026-03-01T10:00:00.123456789Z",
        "created_at": "2026-03-01T10:00:00.123Z",
    }


def _run(result: Any) -> dict[str, Any]:
    return {
        "run_id": RUN_ID,
        "env_id": ENV_ID,
        "stream_id": STREAM_ID,
        "build_id": None,
        "run_type": "call",
        "status": "succeeded",
        "start_time": "2026-03-01T10:00:00Z",
        "stop_time": "2026-03-01T10:00:01.5Z",
        "origin_run_id": None,
        "event_id": None,
        "result": result,
        "retry_attempt": 0,
    }


def _task(result: Any) -> dict[str, Any]:
    return {
        "task_id": TASK_ID,
        "env_id": ENV_ID,
        "stream_id": STREAM_ID,
        "build_id": "0190d3a2-4b5c-7d8e-9f00-112233445505",
        "run_id": RUN_ID,
        "origin_run_id": None,
        "function_name": "::app/work",
        "task_type": "background",
        "status": "completed",
        "start_time": "2026-03-01T10:00:00Z",
        "stop_time": "2026-03-01T10:00:02Z",
        "duration_ms": 2000,
        "result": result,
        "timeout_ms": 60000,
        "retry_attempt": 0,
        "created_at": "2026-03-01T10:00:00Z",
    }


class Api:
    """Answers publish with the stored event, and serves `objects` by path."""

    def __init__(self) -> None:
        self.objects: dict[str, Any] = {}

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method == "POST" and request.path == "/v1/events":
            sent = request.json()
            return HttpResponse.json({"data": _event(sent["event_data"]), "meta": META}, 201)
        found = self.objects.get(request.path)
        if found is None:
            return HttpResponse.json({"error": {"code": "not_found", "message": "nope"}}, 404)
        if isinstance(found, list):
            pagination = {"total": len(found), "limit": 20, "offset": 0, "has_more": False}
            return HttpResponse.json({"data": found, "pagination": pagination, "meta": META})
        return HttpResponse.json({"data": found, "meta": META})


@pytest.fixture
def api() -> Api:
    return Api()


@pytest.fixture
def server(api: Api) -> Iterator[LoopbackServer]:
    with LoopbackServer(api) as running:
        yield running


def _sent_data(server: LoopbackServer) -> bytes:
    (request,) = server.requests
    body: bytes = request.body
    return body


# ------------------------------------------------------------ sending


async def test_pydantic_model_is_sent_by_alias_in_json_mode(
    call: Callable[..., Any], server: LoopbackServer
) -> None:
    body = {"event_type": "user:signup", "event_data": Signup(user_name="ada", plan_tier=2)}
    event = await call("events.publish", body)
    assert json.loads(_sent_data(server))["event_data"] == {"userName": "ada", "planTier": 2}
    assert event.event_data == {"userName": "ada", "planTier": 2}


async def test_model_whose_config_says_by_name_is_sent_by_name(
    call: Callable[..., Any], server: LoopbackServer
) -> None:
    await call("events.publish", EventCreate(event_type="t", event_data=ByName(userName="ada")))
    assert json.loads(_sent_data(server))["event_data"] == {"user_name": "ada"}


async def test_dataclasses_are_sent_in_json_mode_at_any_depth(
    call: Callable[..., Any], server: LoopbackServer
) -> None:
    data = {"points": [Point(1.0, 2.5)], "tag": Labelled("home")}
    await call("events.publish", {"event_type": "t", "event_data": data})
    assert json.loads(_sent_data(server))["event_data"] == {
        "points": [{"x": 1.0, "y": 2.5}],
        "tag": {"Label": "home", "at": {"x": 0.5, "y": 1.0}},
    }


async def test_sending_a_dataclass_warns_nothing(
    call: Callable[..., Any], server: LoopbackServer
) -> None:
    # Each dataclass is dumped by a serializer built for its own type, not
    # guessed at by one that expected something else.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        await call("events.publish", {"event_type": "t", "event_data": [Point(3.0, 4.0)]})
    assert json.loads(_sent_data(server))["event_data"] == [{"x": 3.0, "y": 4.0}]


async def test_a_dataclass_whose_config_says_by_name_is_sent_by_name(
    call: Callable[..., Any], server: LoopbackServer
) -> None:
    await call("events.publish", {"event_type": "t", "event_data": [ByNameDataclass("ada")]})
    assert json.loads(_sent_data(server))["event_data"] == [{"user_name": "ada"}]


async def test_models_and_dataclasses_go_out_with_their_fields_in_json_form(
    call: Callable[..., Any], server: LoopbackServer
) -> None:
    at = dt.datetime(2026, 3, 1, 10, 0, tzinfo=dt.timezone.utc)
    ident = uuid.UUID(int=5)
    data = {"model": Stamped(at=at, id=ident), "dataclass": StampedPoint(at, Point(1.0, 2.0))}
    await call("events.publish", {"event_type": "t", "event_data": data})
    assert json.loads(_sent_data(server))["event_data"] == {
        "model": {"at": "2026-03-01T10:00:00Z", "id": str(ident)},
        "dataclass": {"at": "2026-03-01T10:00:00Z", "where": {"x": 1.0, "y": 2.0}},
    }


def test_text_of_a_str_subclass_is_sent_as_text_and_checked_as_text() -> None:
    assert to_json_value({"a": Tag("x")}, stored=False) == {"a": "x"}
    assert _refusal({"a": [Tag("\ud800")]}) == f"not JSON at ['a'][0]: {SURROGATE}"


async def test_plain_json_is_sent_byte_for_byte_as_written(
    call: Callable[..., Any], server: LoopbackServer
) -> None:
    data = {
        "z": 1,
        "a": 2**80,
        "one": 1.0,
        "int_one": 1,
        "small": -1e-300,
        "text": 'é ☃ \U0001f600 "q" \\',
        "nested": [None, {"x": None, "y": [[], {}]}],
        "flag": False,
    }
    event = await call("events.publish", {"event_type": "t", "event_data": data})
    written = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
    assert b'"event_data":' + written in _sent_data(server)
    assert list(event.event_data) == list(data)
    assert event.event_data == data
    assert type(event.event_data["one"]) is float
    assert event.raw["event_data"]["a"] == 2**80


@pytest.mark.parametrize("kind", KINDS)
def test_json_given_to_the_escape_hatch_is_sent_as_compact_bytes(kind: str) -> None:
    # `request(json=...)` writes the body itself: no spaces after separators.
    with LoopbackServer(lambda request: HttpResponse.json({"ok": True})) as running:
        with_client(kind, running.base_url, lambda hot: hot.request("POST", "/v1/echo", json=PLAIN))
        (request,) = running.requests

    assert request.body == b'{"a":[1,2],"b":{"c":null}}'


@pytest.mark.parametrize("kind", KINDS)
def test_the_escape_hatch_sends_a_nul_it_cannot_know_the_endpoint_refuses(kind: str) -> None:
    # Only endpoints known to keep their body in Postgres refuse a NUL before sending
    # (test_server_rules.py); `request` may reach one that never stores it.
    body = {"k\x00": ["a\x00b"]}
    with LoopbackServer(lambda request: HttpResponse.json({"ok": True})) as running:
        with_client(kind, running.base_url, lambda hot: hot.request("POST", "/v1/echo", json=body))
        (request,) = running.requests

    assert json.loads(request.body) == body


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    ("call", "body"),
    [
        ("request", {"a": [math.nan]}),
        ("webhook", {"a": [math.nan]}),
        ("webhook", {"a": ["\x00"]}),
    ],
)
def test_a_refused_body_is_named_a_json_value_and_not_sent(
    kind: str, call: str, body: Any
) -> None:
    def send(hot: Any) -> Any:
        if call == "request":
            return hot.request("POST", "/v1/echo", json=body)
        return hot.webhooks.call("org/env/svc/hook/token", json=body)

    with LoopbackServer(lambda request: HttpResponse.json({"ok": True})) as running:
        with pytest.raises(ValidationError) as refused:
            with_client(kind, running.base_url, send)
        assert running.requests == []

    assert refused.value.title == "JSON value"
    assert refused.value.errors()[0]["loc"] == ()
    assert "['a'][0]" in refused.value.errors()[0]["msg"]


def test_pure_json_passes_through_as_the_same_object() -> None:
    data = {"b": [1, {"c": None}], "a": "x"}
    assert EventCreate(event_type="t", event_data=data).event_data is data
    assert to_json_value(data, stored=False) is data


def test_to_json_value_converts_models_for_call_arguments() -> None:
    args = [Signup(user_name="ada", plan_tier=1), (1, 2), Point(0.0, -1.5), "s"]
    assert to_json_value(args, stored=False) == [
        {"userName": "ada", "planTier": 1},
        [1, 2],
        {"x": 0.0, "y": -1.5},
        "s",
    ]
    with pytest.raises(ValidationError, match=r"not JSON at \[1\]\['x'\]"):
        to_json_value([1, {"x": math.nan}], stored=False)


def _refusal(value: Any) -> str:
    with pytest.raises(ValidationError) as caught:
        to_json_value(value, stored=False)
    (error,) = caught.value.errors()
    assert error["type"] == "json_value"
    return error["msg"]


def test_a_refusal_says_where_the_value_is_not_json() -> None:
    nan = "nan is not a JSON number (NaN and infinities have no JSON form)"
    assert _refusal(math.nan) == f"not JSON at (the value): {nan}"
    # Up to 8 steps deep the whole path is spelt out.
    eight = [[[[[[[[math.nan]]]]]]]]
    assert _refusal(eight) == f"not JSON at {'[0]' * 8}: {nan}"
    # Deeper, its first four and last two steps and its length.
    nine: Any = math.nan
    for key in reversed("abcdefghi"):
        nine = {key: nine}
    where = "['a']['b']['c']['d']...['h']['i'] (depth 9)"
    assert _refusal(nine) == f"not JSON at {where}: {nan}"


def _nested(depth: int, wrap: Callable[[Any], Any]) -> Any:
    """`depth` levels of containers around a number."""
    value: Any = 0
    for _ in range(depth):
        value = wrap(value)
    return value


DEEP = (
    "nested deeper than the 127 levels of arrays and objects a request body may have "
    "(the server's JSON parser refuses more; this value may nest 127)"
)
SURROGATE = "a string holds a lone surrogate, which has no UTF-8 encoding"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        pytest.param("\ud800", f"(the value): {SURROGATE}", id="surrogate"),
        pytest.param({"a": "x\udfff"}, f"['a']: {SURROGATE}", id="surrogate-in-a-value"),
        pytest.param({"\ud800": 1}, f"(the value): {SURROGATE}", id="surrogate-in-a-key"),
        pytest.param({1: "a"}, "(the value): object keys must be strings, got int 1", id="key"),
        pytest.param(
            OrderedDict([("a", {2.5: None})]),
            "['a']: object keys must be strings, got float 2.5",
            id="key-of-a-mapping",
        ),
        pytest.param(
            object(),
            "(the value): object objects have no JSON form; send JSON (any mapping with string "
            "keys, any sequence), a pydantic model or a dataclass",
            id="no-json-form",
        ),
        pytest.param(
            _nested(128, lambda inner: [inner]),
            f"[0][0][0][0]...[0][0] (depth 127): {DEEP}",
            id="too-deep-lists",
        ),
        pytest.param(
            _nested(128, lambda inner: {"k": inner}),
            f"['k']['k']['k']['k']...['k']['k'] (depth 127): {DEEP}",
            id="too-deep-objects",
        ),
        pytest.param(
            _nested(128, lambda inner: (inner,)),
            f"[0][0][0][0]...[0][0] (depth 127): {DEEP}",
            id="too-deep-sequences",
        ),
        pytest.param(
            _nested(128, lambda inner: OrderedDict(k=inner)),
            f"['k']['k']['k']['k']...['k']['k'] (depth 127): {DEEP}",
            id="too-deep-mappings",
        ),
    ],
)
def test_each_refusal_says_where_and_why(value: Any, message: str) -> None:
    assert _refusal(value) == f"not JSON at {message}"


class Broken(BaseModel):
    """A model whose serializer fails."""

    n: int

    @field_serializer("n")
    def _refuse(self, n: int) -> int:
        raise ValueError("no")


def test_a_model_that_cannot_be_serialized_is_refused_where_it_is() -> None:
    message = _refusal({"a": [Broken(n=1)]})
    assert message.startswith(
        "not JSON at ['a'][0]: Broken cannot be serialized: PydanticSerializationError("
    )
    assert "ValueError: no" in message


class Open(BaseModel):
    """A user model with fields of any JSON."""

    note: Any = None
    notes: dict[str, Any] = Field(default_factory=dict)
    items: tuple[Any, ...] = ()


@dataclasses.dataclass
class OpenPoint:
    x: Any


NOT_A_NUMBER = "is not a JSON number (NaN and infinities have no JSON form)"


# pydantic's JSON-mode dump writes a NaN or infinity it finds under `Any` as null.
@pytest.mark.parametrize(
    ("value", "where"),
    [
        pytest.param(Open(note=math.nan), "['note']: nan", id="any-field"),
        pytest.param(
            {"k": [Open(notes={"a": {"b": -math.inf}})]},
            "['k'][0]['notes']['a']['b']: -inf",
            id="dict-of-any",
        ),
        pytest.param(Open(items=(1, math.inf)), "['items'][1]: inf", id="tuple-of-any"),
        pytest.param(Open(note=Open(note=math.nan)), "['note']['note']: nan", id="model-in-any"),
        pytest.param([OpenPoint(math.nan)], "[0]['x']: nan", id="dataclass"),
    ],
)
def test_a_non_finite_number_under_any_in_a_model_is_refused_not_sent_as_null(
    value: Any, where: str
) -> None:
    assert _refusal(value) == f"not JSON at {where} {NOT_A_NUMBER}"
    with pytest.raises(ValidationError):
        EventCreate(event_type="t", event_data=value)


def test_numbers_under_any_in_a_model_are_sent_as_written() -> None:
    value = [Open(note=1.5, notes={"a": {"b": -0.0}}, items=(1, 2.5)), OpenPoint(None)]
    sent = to_json_value(value, stored=False)
    assert sent == [{"note": 1.5, "notes": {"a": {"b": -0.0}}, "items": [1, 2.5]}, {"x": None}]
    assert math.copysign(1.0, sent[0]["notes"]["a"]["b"]) == -1.0


class OwnNan(BaseModel):
    """A model that writes its NaN in a JSON form of its own."""

    x: Annotated[float, PlainSerializer(lambda x: "NaN" if math.isnan(x) else x, when_used="json")]


class OwnNans(BaseModel):
    """The same, for each number of a list."""

    xs: list[
        Annotated[float, PlainSerializer(lambda x: "NaN" if math.isnan(x) else x, when_used="json")]
    ]


def test_a_models_own_json_form_of_a_nan_is_sent_as_it_writes_it() -> None:
    assert to_json_value({"m": OwnNan(x=math.nan)}, stored=False) == {"m": {"x": "NaN"}}
    assert to_json_value(OwnNans(xs=[1.5, math.nan]), stored=False) == {"xs": [1.5, "NaN"]}


class Ambiguous:
    def __bool__(self) -> bool:
        raise ValueError("the truth value of an array is ambiguous")


class Grid:
    """Like an array: `==` answers element by element, with no truth value."""

    def __eq__(self, other: object) -> Any:
        return Ambiguous()

    __hash__ = None  # type: ignore[assignment]


class Gridded(BaseModel):
    model_config = ConfigDict(arbitrary_types_allowed=True)

    grid: Annotated[Grid, PlainSerializer(lambda grid: [[0, 1]], when_used="json")]
    note: Any = None


def test_a_model_holding_values_that_do_not_compare_is_checked_all_the_same() -> None:
    assert to_json_value(Gridded(grid=Grid()), stored=False) == {"grid": [[0, 1]], "note": None}
    assert (
        _refusal(Gridded(grid=Grid(), note=math.inf)) == f"not JSON at ['note']: inf {NOT_A_NUMBER}"
    )


LIMIT = sys.get_int_max_str_digits()


# crates/hot_api/src/handlers/events.rs publish_event answers with the stored
# event_data, every digit kept (crates/hot/Cargo.toml: serde_json's
# `arbitrary_precision`), as `Api` does: what is sent must be readable back.
@pytest.mark.parametrize(
    ("number", "sent"),
    [
        pytest.param(10**LIMIT - 1, True, id="longest"),
        pytest.param(-(10**LIMIT - 1), True, id="longest-negative"),
        pytest.param(10**LIMIT, False, id="one-digit-more"),
        pytest.param(-(10**LIMIT), False, id="one-digit-more-negative"),
    ],
)
async def test_an_integer_is_sent_only_when_python_can_read_it_back(
    call: Callable[..., Any], server: LoopbackServer, number: int, sent: bool
) -> None:
    body = {"event_type": "t", "event_data": {"n": [number]}}
    if sent:
        event = await call("events.publish", body)
        assert event.event_data == {"n": [number]}
        return
    with pytest.raises(ValidationError) as error:
        await call("events.publish", body)
    assert server.requests == []
    [refused] = error.value.errors()
    assert refused["msg"] == (
        f"not JSON at ['n'][0]: an integer of more than {LIMIT} digits, "
        "more than Python reads back (sys.get_int_max_str_digits())"
    )


class Level(enum.IntEnum):
    HIGH = 2


class Big(int):
    """An int of the user's own class."""


def test_an_int_of_a_subclass_is_sent_as_its_number_and_held_to_the_same_digits() -> None:
    assert json.loads(json_bytes({"level": Level.HIGH, "big": Big(10**LIMIT - 1)})) == {
        "level": 2,
        "big": 10**LIMIT - 1,
    }
    with pytest.raises(ValidationError, match=r"not JSON at \['big'\]: an integer of more"):
        json_bytes({"big": Big(10**LIMIT)})


def test_json_bytes_refuses_an_integer_python_could_not_read_back_with_validation_error() -> None:
    with pytest.raises(ValidationError):
        json_bytes({"n": 10**LIMIT})


def test_without_a_digit_limit_any_integer_is_sent() -> None:
    sys.set_int_max_str_digits(0)
    try:
        assert json.loads(json_bytes({"n": 10**LIMIT})) == {"n": 10**LIMIT}
        assert to_json_value([-(10**LIMIT)], stored=False) == [-(10**LIMIT)]
    finally:
        sys.set_int_max_str_digits(LIMIT)


def test_the_deepest_value_of_each_kind_is_accepted() -> None:
    for wrap in (
        lambda inner: [inner],
        lambda inner: {"k": inner},
        lambda inner: (inner,),
        lambda inner: OrderedDict(k=inner),
    ):
        text = json.dumps(to_json_value(_nested(127, wrap), stored=False))
        assert text.count("[") + text.count("{") == 127


# ------------------------------------------------------------ reading


async def test_events_get_validates_event_data_as_the_given_type(
    call: Callable[..., Any], api: Api
) -> None:
    wire = _event({"userName": "ada", "planTier": 3, "extra": [1.0]})
    api.objects[f"/v1/events/{EVENT_ID}"] = wire
    event = await call("events.get", EVENT_ID, data_type=Signup)
    assert isinstance(event, Event)
    assert event.event_data == Signup(user_name="ada", plan_tier=3)
    assert event.raw == wire
    assert event.raw["event_data"]["extra"] == [1.0]


async def test_events_get_without_data_type_keeps_the_json(
    call: Callable[..., Any], api: Api
) -> None:
    wire = _event({"userName": "ada", "planTier": 3})
    api.objects[f"/v1/events/{EVENT_ID}"] = wire
    event = await call("events.get", EVENT_ID)
    assert event.event_data == {"userName": "ada", "planTier": 3}
    assert type(event) is Event


async def test_events_list_validates_every_event_data(call: Callable[..., Any], api: Api) -> None:
    wires = [_event({"userName": f"u{i}", "planTier": i + 1}) for i in range(3)]
    api.objects["/v1/events"] = wires
    page = await call("events.list", data_type=Signup)
    assert [e.event_data.user_name for e in page] == ["u0", "u1", "u2"]
    assert [e.raw for e in page] == wires


async def test_event_data_that_does_not_fit_the_type_fails_on_arrival(
    call: Callable[..., Any], api: Api
) -> None:
    api.objects[f"/v1/events/{EVENT_ID}"] = _event({"userName": "ada", "planTier": 0})
    with pytest.raises(HotResponseValidationError) as caught:
        await call("events.get", EVENT_ID, data_type=Signup)
    assert caught.value.validation_error is not None
    assert "event_data" in str(caught.value)


@pytest.mark.parametrize(
    ("result_type", "result", "expected"),
    [
        (int, 42, 42),
        (Signup, {"userName": "bo", "planTier": 1}, Signup(user_name="bo", plan_tier=1)),
        (list[Point], [{"x": 1, "y": 2}], [Point(1.0, 2.0)]),
    ],
)
async def test_runs_get_validates_the_result_as_the_given_type(
    call: Callable[..., Any], api: Api, result_type: Any, result: Any, expected: Any
) -> None:
    wire = _run(result)
    api.objects[f"/v1/runs/{RUN_ID}"] = wire
    run = await call("runs.get", RUN_ID, result_type=result_type)
    assert isinstance(run, Run)
    assert run.result == expected
    assert run.raw == wire


async def test_runs_get_with_a_result_type_reads_an_absent_result_as_none(
    call: Callable[..., Any], api: Api
) -> None:
    wire = _run(None)
    del wire["result"]
    api.objects[f"/v1/runs/{RUN_ID}"] = wire
    run = await call("runs.get", RUN_ID, result_type=int)
    assert run.result is None
    assert "result" not in run.raw


async def test_tasks_get_validates_the_result_as_the_given_type(
    call: Callable[..., Any], api: Api
) -> None:
    api.objects[f"/v1/tasks/{TASK_ID}"] = _task({"x": 3, "y": 4})
    task = await call("tasks.get", TASK_ID, result_type=Point)
    assert isinstance(task, Task)
    assert task.result == Point(3.0, 4.0)
    with pytest.raises(HotResponseValidationError):
        await call("tasks.get", TASK_ID, result_type=int)


def test_stream_data_payload_validates_as_the_given_type() -> None:
    frame = {
        "type": "stream:data",
        "stream_data_id": "0190d3a2-4b5c-7d8e-9f00-112233445506",
        "run_id": RUN_ID,
        "data_type": "ai:delta",
        "payload": {"x": 1, "y": 2},
    }
    data = StreamData[Point].model_validate_json(json.dumps(frame))
    assert data.payload == Point(1.0, 2.0)
    assert data.raw == frame
    assert StreamData.model_validate_json(json.dumps(frame)).payload == {"x": 1, "y": 2}


def test_generic_models_are_built_once_per_type() -> None:
    from hot_typed._wire import parametrized

    assert parametrized(Event, Signup) is parametrized(Event, Signup)
    assert parametrized(Run, None) is Run


# ------------------------------------------------------------ any JSON

# Any text event data may hold: all but NUL, which Postgres cannot store (see
# tests/test_server_rules.py, event-data-without-nul).
_TEXT = st.text(st.characters(codec="utf-8", exclude_characters="\x00"))
_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**100), max_value=2**100)
    | st.floats(allow_nan=False, allow_infinity=False)
    | _TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_TEXT, inner, max_size=4),
    max_leaves=20,
)


def _typed(value: Any) -> Any:
    """`value` with every scalar's type kept, so 1 and 1.0 and True differ."""
    if isinstance(value, dict):
        return ("dict", [(key, _typed(item)) for key, item in value.items()])
    if isinstance(value, list):
        return ("list", [_typed(item) for item in value])
    return (type(value).__name__, value)


@settings(max_examples=200, deadline=None)
@given(_JSON)
def test_any_json_value_is_sent_as_the_same_json(data: Any) -> None:
    body = EventCreate(event_type="t", event_data=data)
    assert body.event_data is data
    sent = json.loads(body.model_dump_json())["event_data"]
    assert _typed(sent) == _typed(data)


@settings(max_examples=100, deadline=None)
@given(_JSON, st.sampled_from([math.nan, math.inf, -math.inf]))
def test_a_non_finite_number_anywhere_is_refused(data: Any, bad: float) -> None:
    with pytest.raises(ValidationError):
        EventCreate(event_type="t", event_data={"ok": data, "deep": [[{"bad": bad}]]})
