"""Properties over real exchanges, for both clients: user JSON crosses the wire
untouched, SSE decoding does not depend on how bytes are split into reads, and
no JSON body can make a typed call fail with anything but
`HotResponseValidationError`."""

from __future__ import annotations

import itertools
import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
import respx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hot_typed import AsyncPage, Event, HotApiError, HotResponseValidationError, Page, Run
from hot_typed.testing import HttpRequest, HttpResponse, LoopbackServer

from . import payloads
from ._reliability import KINDS, collect, event_payload, sse_frame, stream_data, with_client

pytestmark = pytest.mark.parametrize("kind", KINDS)

BASE_URL = "https://api.example.test"
STREAM_ID = "00000000-0000-4000-8000-0000000000ee"
EVENT_ID = "00000000-0000-4000-8000-0000000000ef"
FEW = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

json_values = payloads.json_values(st.text(st.characters(exclude_categories=["Cs"]), max_size=12))
#: What event data may hold: no NUL either, which the server's Postgres cannot store.
stored_json_values = payloads.json_values(
    st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\x00"), max_size=12)
)


def _exact(value: Any) -> str:
    """A text that tells apart what `==` does not (1, 1.0, True; key order)."""
    return json.dumps(value, ensure_ascii=False)


# ---------------------------------------------------------------- event_data round trip


def _echo_published(request: HttpRequest) -> HttpResponse:
    sent = request.json()
    return HttpResponse.json({"data": event_payload(EVENT_ID, sent["event_data"])}, 201)


def test_any_json_event_data_survives_the_wire_untouched(kind: str) -> None:
    with LoopbackServer(_echo_published) as server:

        @FEW
        @given(value=stored_json_values)
        def check(value: Any) -> None:
            server.requests.clear()
            event = with_client(
                kind,
                server.base_url,
                lambda hot: hot.events.publish({"event_type": "t", "event_data": value}),
            )
            assert isinstance(event, Event)
            assert _exact(server.requests[0].json()["event_data"]) == _exact(value)
            assert _exact(event.event_data) == _exact(value)
            assert _exact(event.raw["event_data"]) == _exact(value)

        check()


# ---------------------------------------------------------------- SSE splits


class _Reads(httpx.SyncByteStream, httpx.AsyncByteStream):
    """A body delivered as exactly these reads."""

    def __init__(self, reads: list[bytes]) -> None:
        self._reads = reads

    def __iter__(self) -> Iterator[bytes]:
        yield from self._reads

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for read in self._reads:
            yield read


def _split(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({0, len(data), *cuts})
    return [data[a:b] for a, b in itertools.pairwise(points) if a < b]


@st.composite
def _event_streams(draw: st.DrawFn) -> tuple[list[dict[str, Any]], list[bytes]]:
    """Events, and the frames a server may send for them: any line ending, comments between."""
    payloads = draw(st.lists(json_values, min_size=1, max_size=5))
    events = [stream_data(n, {"value": payload}) for n, payload in enumerate(payloads)]
    newline = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    frames: list[bytes] = []
    for event in events:
        if draw(st.booleans()):
            frames.append(f": keepalive{newline}{newline}".encode())
        frames.append(sse_frame(event, newline))
    return events, frames


def _received(kind: str, reads: list[bytes], max_frame: int) -> list[dict[str, Any]]:
    headers = {"Content-Type": "text/event-stream"}
    with respx.mock(base_url=BASE_URL) as mock:
        mock.get(f"/v1/streams/{STREAM_ID}/subscribe").mock(
            side_effect=lambda request: httpx.Response(200, headers=headers, stream=_Reads(reads))
        )
        received = with_client(
            kind,
            BASE_URL,
            lambda hot: collect(hot.streams.subscribe(STREAM_ID)),
            # The longest frame exactly: the limit must never trip on a split.
            max_sse_frame_bytes=max_frame,
        )
    return [event.raw for event in received]


def test_any_split_of_an_event_stream_into_reads_yields_the_same_events(kind: str) -> None:
    @FEW
    @given(stream=_event_streams(), data=st.data())
    def check(stream: tuple[list[dict[str, Any]], list[bytes]], data: st.DataObject) -> None:
        events, frames = stream
        body = b"".join(frames)
        cuts = data.draw(st.lists(st.integers(0, len(body)), max_size=12))
        # The drawn split, and the finest one: every byte its own read.
        for reads in (_split(body, cuts), [body[i : i + 1] for i in range(len(body))]):
            assert _received(kind, reads, max(len(frame) for frame in frames)) == events

    check()


# ---------------------------------------------------------------- any body in place of a known one

_EVENT_KEYS = list(event_payload())
_bodies: st.SearchStrategy[Any] = st.one_of(
    json_values,
    st.builds(lambda data: {"data": data}, json_values),
    st.builds(
        lambda changes: {"data": {**event_payload(EVENT_ID), **changes}},
        st.dictionaries(st.sampled_from(_EVENT_KEYS), json_values, max_size=3),
    ),
    st.builds(
        lambda items, pagination: {"data": items, "pagination": pagination},
        st.lists(st.just(event_payload(EVENT_ID)) | json_values, max_size=2),
        st.fixed_dictionaries(
            {"limit": json_values, "offset": st.integers(), "total": st.integers()},
            optional={"has_more": st.booleans() | json_values},
        ),
    ),
)


_EXPECTED: dict[str, type[Any] | tuple[type[Any], ...]] = {
    "event": Event,
    "events": (Page, AsyncPage),
    "run": Run,
}


def test_any_json_body_either_validates_or_raises_response_validation_error(kind: str) -> None:
    current: dict[str, bytes] = {}
    with LoopbackServer(
        lambda request: HttpResponse(200, current["body"], {"Content-Type": "application/json"})
    ) as server:

        @FEW
        @given(body=_bodies, operation=st.sampled_from(["event", "events", "run"]))
        def check(body: Any, operation: str) -> None:
            current["body"] = json.dumps(body).encode()
            expected = _EXPECTED[operation]

            def call(hot: Any) -> Any:
                if operation == "event":
                    return hot.events.get(EVENT_ID)
                if operation == "events":
                    return hot.events.list()
                return hot.runs.get(EVENT_ID)

            outcome: Any
            try:
                outcome = with_client(kind, server.base_url, call)
            except HotResponseValidationError as error:
                outcome = error
            if isinstance(outcome, HotResponseValidationError):
                assert _exact(outcome.raw) == _exact(body)
            else:
                assert isinstance(outcome, expected)

        check()


_error_bodies: st.SearchStrategy[Any] = st.one_of(
    json_values,
    st.builds(lambda envelope: {"error": envelope}, json_values),
    st.builds(
        lambda envelope: {"error": envelope},
        st.fixed_dictionaries(
            {},
            optional={key: json_values for key in ("code", "message", "request_id", "retry_after")},
        ),
    ),
)


def test_any_json_body_of_an_error_status_raises_hot_api_error(kind: str) -> None:
    current: dict[str, Any] = {}
    with LoopbackServer(
        lambda request: HttpResponse(
            current["status"], current["body"], {"Content-Type": "application/json"}
        )
    ) as server:

        @FEW
        @given(body=_error_bodies, status=st.sampled_from([400, 401, 404, 409, 429, 500, 503]))
        def check(body: Any, status: int) -> None:
            text = json.dumps(body)
            current.update(status=status, body=text.encode())
            with pytest.raises(HotApiError) as caught:
                with_client(
                    kind, server.base_url, lambda hot: hot.events.get(EVENT_ID), max_retries=0
                )
            assert caught.value.status_code == status
            # The API's envelope arrives decoded; any other body as the text received.
            envelope = isinstance(body, dict) and isinstance(body.get("error"), dict)
            assert _exact(caught.value.body) == _exact(body if envelope else text)
            assert isinstance(str(caught.value), str)

        check()
