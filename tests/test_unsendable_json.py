"""What has no JSON form the server reads (a lone surrogate, nesting past the server's
parser limit, a cycle, a NaN even where a model's serializer would write null) is
refused with pydantic's `ValidationError` before anything is sent, on every body path;
nesting the server reads is sent untouched."""

from __future__ import annotations

import math
import sys
from collections.abc import Callable
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from hot_typed._models._json import MAX_BODY_NESTING
from hot_typed.testing import HttpRequest, HttpResponse, LoopbackServer

from ._reliability import KINDS, event_payload, with_client

pytestmark = pytest.mark.parametrize("kind", KINDS)


def nested(levels: int, leaf: Any = 1) -> Any:
    value = leaf
    for level in range(levels):
        value = [value] if level % 2 else {"k": value}
    return value


def cycle() -> dict[str, Any]:
    value: dict[str, Any] = {}
    value["self"] = value
    return value


class Note(BaseModel):
    text: str


class Loose(BaseModel):
    """A user model with a field of any JSON."""

    note: Any = None


def _echo(request: HttpRequest) -> HttpResponse:
    if request.path.endswith("/events"):
        published = event_payload(event_data=request.json()["event_data"])
        return HttpResponse.json({"data": published}, 201)
    return HttpResponse.json({"ok": True})


Op = Callable[[Any], Any]


def publish(data: Any) -> Op:
    return lambda hot: hot.events.publish({"event_type": "t", "event_data": data})


def escape_hatch(data: Any) -> Op:
    return lambda hot: hot.request("POST", "/echo", json=data)


def raw_escape_hatch(data: Any) -> Op:
    return lambda hot: hot.request_raw("POST", "/echo", json=data)


def call_args(data: Any) -> Op:
    return lambda hot: hot.events.call_hot("::app/fn", [data])


def session_metadata(data: Any) -> Op:
    return lambda hot: hot.sessions.create({"permissions": {"*:*": ["*"]}, "metadata": data})


PATHS = [publish, escape_hatch, raw_escape_hatch, call_args, session_metadata]
UNSENDABLE = {
    "lone surrogate": {"x": "\ud800"},
    "lone surrogate key": {"\udfff": 1},
    "lone surrogate in a model": [Note(text="a\ud83d")],
    # pydantic's JSON-mode dump writes these as null and guesses bytes as text.
    "NaN under a model's Any": {"m": Loose(note=math.nan)},
    "infinity under a model's Any": [Loose(note={"x": [-math.inf]})],
    "bytes under a model's Any that are not text": [Loose(note=b"\xff")],
    # Stored whole (serde_json's arbitrary_precision) and echoed in a body Python
    # could not read: the event would be stored, the call would fail.
    "an integer longer than Python reads back": {"n": [10 ** sys.get_int_max_str_digits()]},
    "past the server's nesting limit": nested(MAX_BODY_NESTING + 1),
    "far too deep": nested(5000),
    "cycle": cycle(),
}


@pytest.mark.parametrize("value", list(UNSENDABLE.values()), ids=list(UNSENDABLE))
@pytest.mark.parametrize("path", PATHS, ids=lambda path: path.__name__)
def test_what_the_server_cannot_read_raises_validation_error_before_sending(
    kind: str, path: Callable[[Any], Op], value: Any
) -> None:
    with LoopbackServer(_echo) as server, pytest.raises(ValidationError) as error:
        with_client(kind, server.base_url, path(value))
    assert server.requests == []

    assert error.value.errors()[0]["type"] == "json_value"


def test_too_deep_names_the_servers_limit(kind: str) -> None:
    with LoopbackServer(_echo) as server, pytest.raises(ValidationError) as error:
        with_client(kind, server.base_url, publish(nested(MAX_BODY_NESTING)))

    assert f"{MAX_BODY_NESTING} levels" in str(error.value)


def test_the_deepest_body_the_server_reads_is_sent_untouched(kind: str) -> None:
    # The body's own object is one level: event_data may nest one less.
    data = nested(MAX_BODY_NESTING - 1, "ünïcode")
    with LoopbackServer(_echo) as server:
        event = with_client(kind, server.base_url, publish(data))
        raw = with_client(kind, server.base_url, escape_hatch(nested(MAX_BODY_NESTING)))

        sent = [request.json() for request in server.requests]

    assert sent == [{"event_type": "t", "event_data": data}, nested(MAX_BODY_NESTING)]
    assert event.event_data == data
    assert raw == {"ok": True}


def test_a_field_of_the_body_model_the_server_cannot_read_is_refused_naming_the_model(
    kind: str,
) -> None:
    # The event type is the body model's own field, not user JSON: its lone
    # surrogate is caught when the body is serialized, not by a JSON validator.
    body = {"event_type": "signup\ud800", "event_data": {}}
    with LoopbackServer(_echo) as server, pytest.raises(ValidationError) as error:
        with_client(kind, server.base_url, lambda hot: hot.events.publish(body))
    assert server.requests == []

    assert error.value.title == "EventCreate"
    [problem] = error.value.errors()
    assert problem["type"] == "json_value"
    assert problem["loc"] == ()
    assert problem["input"] == body
    assert problem["msg"].startswith("not sendable as JSON: ")
    assert "surrogates not allowed" in problem["msg"]
