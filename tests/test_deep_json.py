"""JSON nested deeper than pydantic-core's parser follows (about 200 levels) still
arrives untouched, by call, page and stream; JSON deeper than Python's own reader
follows raises a typed error carrying the text, never a bare `RecursionError`, and
never leaves a stream waiting for a terminal event that went by."""

from __future__ import annotations

import json
from typing import Any
from uuid import uuid4

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import RootModel, ValidationError, model_validator

from hot_typed import (
    HotJsonDecodeError,
    HotResponseValidationError,
    Run,
    RunStop,
    StreamData,
    StreamDataType,
)
from hot_typed.testing import HttpRequest, HttpResponse, LoopbackServer

from . import payloads
from ._reliability import KINDS, collect, with_client
from .sse_script import SseScript, event, run

pytestmark = pytest.mark.parametrize("kind", KINDS)

# Deeper than the standard library reads on any supported Python (3.12 and later
# read far deeper than 3.11, whose limit is the interpreter's recursion limit).
TOO_DEEP = 200_000

RUN_ID = str(uuid4())
STREAM = str(uuid4())
STOPPED = run(RUN_ID, status="succeeded")


def nested(depth: int, leaf: Any = "x") -> Any:
    """`leaf` inside `depth` levels of alternating lists and objects."""
    value = leaf
    for level in range(depth):
        value = [value] if level % 2 else {"k": value}
    return value


def _exact(value: Any) -> str:
    """A text that tells apart what `==` does not (1, 1.0, True; key order)."""
    return json.dumps(value, ensure_ascii=False)


def answering(body: bytes) -> LoopbackServer:
    return LoopbackServer(
        lambda request: HttpResponse(200, body, {"Content-Type": "application/json"})
    )


def stopped(result: Any) -> dict[str, Any]:
    return {**STOPPED, "result": result}


def run_body(result: Any) -> bytes:
    return json.dumps({"data": stopped(result)}).encode()


def test_a_run_result_deeper_than_pydantics_parser_arrives_untouched_via_get(kind: str) -> None:
    result = nested(300, 12345678901234567890)
    with answering(run_body(result)) as server:
        got = with_client(kind, server.base_url, lambda hot: hot.runs.get(RUN_ID))

    assert isinstance(got, Run)
    assert _exact(got.result) == _exact(result)
    assert got.raw == stopped(result)


def test_an_updated_copy_of_a_run_with_a_deep_result_keeps_it_in_raw(kind: str) -> None:
    # A dump of the whole run would stop at pydantic's serializer depth: only the
    # updated key is dumped, the rest stays the wire object.
    result = nested(300, 12345678901234567890)
    with answering(run_body(result)) as server:
        got = with_client(kind, server.base_url, lambda hot: hot.runs.get(RUN_ID))

    updated = got.model_copy(update={"retry_attempt": 1})

    assert updated.raw == {**stopped(result), "retry_attempt": 1}
    assert _exact(updated.raw["result"]) == _exact(result)


def test_a_copy_updated_with_json_deeper_than_pydantics_serializer_keeps_it_in_raw(
    kind: str,
) -> None:
    result = nested(300, 12345678901234567890)
    with answering(run_body(result)) as server:
        got = with_client(kind, server.base_url, lambda hot: hot.runs.get(RUN_ID))

    same = got.model_copy(update={"result": got.result})
    wrapped = got.model_copy(update={"result": {"wrapped": got.result}, "retry_attempt": 2})
    built = got.model_copy(update={"result": nested(10_000)})

    assert _exact(same.raw) == _exact(stopped(result))
    assert same.raw["result"] is same.result
    assert _exact(wrapped.raw) == _exact({**stopped({"wrapped": result}), "retry_attempt": 2})
    assert built.raw["result"] is built.result


def test_deep_results_arrive_untouched_in_a_page(kind: str) -> None:
    result = nested(250)
    items = [stopped(result), {**stopped(result), "run_id": str(uuid4())}]
    pagination = {"total": 2, "limit": 20, "offset": 0, "has_more": False}
    body = json.dumps({"data": items, "pagination": pagination}).encode()
    with answering(body) as server:
        page = with_client(kind, server.base_url, lambda hot: hot.runs.list())

    assert [_exact(item.result) for item in page.data] == [_exact(result)] * 2
    assert [item.raw for item in page.data] == items
    assert page.pagination.total == 2


def test_a_body_deeper_than_python_reads_raises_a_typed_error_with_its_text(kind: str) -> None:
    body = b'{"data":' + b"[" * TOO_DEEP + b"]" * TOO_DEEP + b"}"
    with answering(body) as server:
        with pytest.raises(HotJsonDecodeError) as error:
            with_client(kind, server.base_url, lambda hot: hot.runs.get(RUN_ID))
        with pytest.raises(HotJsonDecodeError):
            with_client(kind, server.base_url, lambda hot: hot.request("GET", "/runs"))

    assert error.value.raw == body.decode()
    assert str(error.value).endswith("is not JSON Python can read: nested too deep")


@pytest.mark.parametrize("content_type", ["application/json", "text/event-stream"])
def test_an_mcp_answer_deeper_than_python_reads_raises_a_typed_error_with_its_text(
    kind: str, content_type: str
) -> None:
    deep = '{"jsonrpc":"2.0","id":1,"result":' + "[" * TOO_DEEP + "]" * TOO_DEEP + "}"
    text = deep if content_type == "application/json" else f"event: message\ndata: {deep}\n\n"
    with LoopbackServer(
        lambda request: HttpResponse(200, text.encode(), {"Content-Type": content_type})
    ) as server, pytest.raises(HotJsonDecodeError) as error:
        with_client(
            kind, server.base_url, lambda hot: hot.mcp.call_tool("acme", "dev", "tools", "t")
        )

    assert error.value.raw == text
    assert isinstance(error.value.__cause__, RecursionError)


def depth_of(value: Any) -> int:
    """How deep `value` nests, by a plain recursive walk (two frames a level)."""
    children = list(value.values()) if isinstance(value, dict) else value
    if not isinstance(children, list):
        return 0
    return 1 + max((depth_of(child) for child in children), default=0)


class Measured(RootModel[Any]):
    """A user's result type whose validator walks the whole result recursively."""

    @model_validator(mode="after")
    def _measure(self) -> Measured:
        depth_of(self.root)
        return self


def test_a_deep_result_whose_validation_overflows_the_stack_raises_a_typed_error(
    kind: str,
) -> None:
    # Deeper than pydantic-core's parser (so it is validated from the standard
    # library's reading), and than Python's stack holds for the walk's two frames a
    # level, yet within what the standard library reads on every supported Python.
    body = run_body(nested(600, 1))
    with answering(body) as server, pytest.raises(HotJsonDecodeError) as error:
        with_client(kind, server.base_url, lambda hot: hot.runs.get(RUN_ID, result_type=Measured))

    assert error.value.raw == body.decode()
    assert str(error.value).endswith("not JSON Python can read: nested too deep to validate")
    # pydantic's own refusal of the text, the first reading tried.
    assert isinstance(error.value.validation_error, ValidationError)
    assert error.value.validation_error.errors()[0]["type"] == "json_invalid"


def _again(level: int) -> int:
    return _again(level + 1)


class Endless(RootModel[Any]):
    """A user's type whose validator recurses without end, whatever the JSON."""

    @model_validator(mode="after")
    def _forever(self) -> Endless:
        _again(0)
        return self


RECURSED = (
    "overflowed Python's stack: the JSON itself was read, so a validator "
    "recursed, without end or through deeply nested JSON"
)


def test_a_validator_recursing_on_a_shallow_body_is_named_not_blamed_on_the_json(
    kind: str,
) -> None:
    body = run_body([1, 2])
    with answering(body) as server, pytest.raises(HotResponseValidationError) as error:
        with_client(kind, server.base_url, lambda hot: hot.runs.get(RUN_ID, result_type=Endless))

    assert not isinstance(error.value, HotJsonDecodeError)
    assert str(error.value) == (
        f"GET /v1/runs/{RUN_ID} answered 200 (application/json) with a body whose "
        f"validation {RECURSED}"
    )
    assert error.value.raw == json.loads(body)
    assert error.value.validation_error is None
    # The traceback leads to the validator itself.
    assert isinstance(error.value.__cause__, RecursionError)


def test_a_validator_recursing_on_a_shallow_frame_is_named_not_blamed_on_the_json(
    kind: str,
) -> None:
    payload = {"type": "stream:data", "run_id": str(RUN_ID), "data_type": "x", "payload": [1]}
    endless = StreamDataType("x", Endless)
    with SseScript([event(payload)]) as server, pytest.raises(HotResponseValidationError) as error:
        with_client(
            kind,
            server.server.base_url,
            lambda hot: collect(hot.streams.subscribe(STREAM, data_types=[endless])),
        )

    assert not isinstance(error.value, HotJsonDecodeError)
    assert str(error.value) == f"an SSE event's validation {RECURSED}"
    assert error.value.raw == payload
    assert isinstance(error.value.__cause__, RecursionError)


def test_a_lone_surrogate_escape_pydantic_refuses_arrives_as_python_reads_it(kind: str) -> None:
    result = {"s": "a\ud800b", "t": ["\udfff"]}
    body = run_body(result)  # ASCII-escaped: `"a\\ud800b"` on the wire
    with answering(body) as server:
        got = with_client(kind, server.base_url, lambda hot: hot.runs.get(RUN_ID))
    data = json.dumps({"type": "run:stop", "run": stopped(result)})
    with SseScript([f"event: run:stop\ndata: {data}\n\n".encode()]) as server:
        [stop] = with_client(
            kind, server.server.base_url, lambda hot: collect(hot.streams.subscribe(STREAM))
        )

    assert got.result == result
    assert got.raw["result"] == result
    assert stop.run.result == result


def stop_frame(result: Any) -> bytes:
    return event({"type": "run:stop", "run": stopped(result)})


def test_a_deep_terminal_event_arrives_untouched_in_a_stream(kind: str) -> None:
    result = nested(300, 1.0)
    with SseScript([stop_frame(result)]) as server:
        [stop] = with_client(
            kind, server.server.base_url, lambda hot: collect(hot.streams.subscribe(STREAM))
        )

    assert isinstance(stop, RunStop)
    assert _exact(stop.run.result) == _exact(result)
    assert _exact(stop.raw["run"]["result"]) == _exact(result)
    assert stop.run.raw == stopped(result)


def test_a_terminal_event_too_deep_for_python_raises_instead_of_waiting_forever(kind: str) -> None:
    deep = b"[" * TOO_DEEP + b"]" * TOO_DEEP
    frame = b'event: run:stop\ndata: {"type":"run:stop","run":' + deep + b"}\n\n"
    received: list[Any] = []
    with (
        SseScript([event({"type": "keepalive"}), frame]) as server,
        pytest.raises(HotJsonDecodeError) as error,
    ):
        with_client(
            kind,
            server.server.base_url,
            lambda hot: collect(hot.streams.subscribe(STREAM), received),
        )

    assert len(received) == 1
    assert error.value.raw == frame[len(b"event: run:stop\ndata: ") : -2].decode()
    assert "run:stop" in str(error.value)


def test_call_hot_returns_a_result_deeper_than_pydantics_parser(kind: str) -> None:
    event_id, value = str(uuid4()), nested(300, None)
    published = {
        "type": "event:published",
        "event_id": str(event_id),
        "stream_id": str(STREAM),
        "event_type": "hot:call",
    }
    finished = {**run(RUN_ID, event_id=event_id, stream_id=STREAM), "status": "succeeded"}
    finished["result"] = value
    script = [event(published), event({"type": "run:stop", "run": finished})]
    with SseScript(script) as server:
        got = with_client(
            kind, server.server.base_url, lambda hot: hot.events.call_hot("::deep/fn", [])
        )

    assert _exact(got) == _exact(value)


# ---------------------------------------------------------------- property

FEW = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# Any text the standard library reads: lone surrogates included (escaped on the wire).
_text = st.text(max_size=8)
json_values = payloads.json_values(_text, max_size=3, max_leaves=12)
deep_values = st.builds(nested, st.integers(0, 400), json_values)


def test_any_json_up_to_depth_arrives_untouched_via_get_and_via_a_stream(kind: str) -> None:
    current: dict[str, Any] = {}

    def answer(request: HttpRequest) -> HttpResponse:
        value = current["value"]
        if request.path.endswith("/subscribe"):
            payload = {"type": "stream:data", "run_id": str(RUN_ID), "data_type": "x"}
            payload["payload"] = value
            # ASCII-escaped, as a lone surrogate can only travel escaped.
            text = json.dumps(payload)
            frame = f"event: stream:data\ndata: {text}\n\n".encode()
            return HttpResponse(200, [frame], {"Content-Type": "text/event-stream"})
        return HttpResponse(200, run_body(value), {"Content-Type": "application/json"})

    with LoopbackServer(answer) as server:

        @FEW
        @given(value=deep_values)
        def check(value: Any) -> None:
            current["value"] = value
            got = with_client(kind, server.base_url, lambda hot: hot.runs.get(RUN_ID))
            assert _exact(got.result) == _exact(value)
            assert _exact(got.raw["result"]) == _exact(value)
            [data] = with_client(
                kind, server.base_url, lambda hot: collect(hot.streams.subscribe(STREAM))
            )
            assert isinstance(data, StreamData)
            assert _exact(data.payload) == _exact(value)
            assert _exact(data.raw["payload"]) == _exact(value)

        check()
