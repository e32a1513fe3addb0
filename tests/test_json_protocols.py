"""User-owned JSON is recognised by protocol: any `Mapping` with string keys is an
object and any `Sequence` but text and bytes is an array, whatever their exact
class; what has no JSON form is still refused before sending, with both clients."""

from __future__ import annotations

from collections import ChainMap, OrderedDict, defaultdict, deque
from collections.abc import Callable, Iterator
from types import MappingProxyType
from typing import Any

import pytest
from pydantic import ValidationError

from hot_typed.testing import HttpRequest, HttpResponse, LoopbackServer


def _refuse_everything(request: HttpRequest) -> HttpResponse:
    return HttpResponse.json({"error": {"code": "bad_request", "message": "sent"}}, 400)


@pytest.fixture
def server() -> Iterator[LoopbackServer]:
    with LoopbackServer(_refuse_everything) as running:
        yield running


counts: defaultdict[str, int] = defaultdict(int)
counts["a"] += 2

ACCEPTED = [
    pytest.param(OrderedDict([("b", 1), ("a", [1, 2])]), {"b": 1, "a": [1, 2]}, id="OrderedDict"),
    pytest.param(counts, {"a": 2}, id="defaultdict"),
    pytest.param(MappingProxyType({"x": None}), {"x": None}, id="mappingproxy"),
    pytest.param(ChainMap({"a": 1}, {"b": 2}), {"a": 1, "b": 2}, id="ChainMap"),
    pytest.param({"nested": OrderedDict(k=(1, 2.5))}, {"nested": {"k": [1, 2.5]}}, id="nested"),
    pytest.param(deque([1, "two"]), [1, "two"], id="deque"),
    pytest.param(range(3), [0, 1, 2], id="range"),
    pytest.param((1, {"t": ()}), [1, {"t": []}], id="tuple"),
]


@pytest.mark.parametrize(("data", "sent"), ACCEPTED)
async def test_any_mapping_or_sequence_is_sent_as_json(
    call: Callable[..., Any], server: LoopbackServer, data: Any, sent: Any
) -> None:
    with pytest.raises(Exception, match="sent"):
        await call("events.publish", {"event_type": "t", "event_data": data})

    (request,) = server.requests
    assert request.json()["event_data"] == sent


REFUSED = [
    pytest.param(OrderedDict([(1, "a")]), "keys must be strings", id="int-key-OrderedDict"),
    pytest.param(MappingProxyType({("a",): 1}), "keys must be strings", id="tuple-key-proxy"),
    pytest.param({"b": b"bytes"}, "bytes objects have no JSON form", id="bytes"),
    pytest.param([bytearray(b"x")], "bytearray objects have no JSON form", id="bytearray"),
    pytest.param({"s": {1, 2}}, "set objects have no JSON form", id="set"),
    pytest.param(deque([float("nan")]), "not a JSON number", id="nan-in-deque"),
]


@pytest.mark.parametrize(("data", "problem"), REFUSED)
async def test_what_has_no_json_form_is_refused_before_sending(
    call: Callable[..., Any], server: LoopbackServer, data: Any, problem: str
) -> None:
    with pytest.raises(ValidationError, match=problem):
        await call("events.publish", {"event_type": "t", "event_data": data})

    assert server.requests == []
