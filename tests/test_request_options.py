"""Per-request options (`extra_headers`, `extra_query`, `extra_body`, `timeout`) and
`with_options` clients reach the wire, for both clients, over the emulator's socket."""

from __future__ import annotations

import asyncio
import gc
import inspect
import json
import math
import re
from collections.abc import Callable, Iterator
from contextlib import AsyncExitStack, ExitStack
from functools import partial
from pathlib import Path
from typing import Any
from uuid import uuid4

import httpx
import pytest
from pydantic import BaseModel

from hot_typed import (
    AsyncEventStream,
    AsyncHotClient,
    EventStream,
    HotApiError,
    HotClient,
    HotTimeoutError,
    RateLimitError,
    RunStop,
    StreamData,
    StreamDataType,
)
from hot_typed._settings import USER_AGENT
from hot_typed.testing import HotEmulator
from hot_typed.testing._http import HttpRequest
from tests import payloads as p
from tests.exchange import exchange

Client = HotClient | AsyncHotClient
KINDS = ["sync", "async"]


class Text(BaseModel):
    text: str


Delta = StreamDataType("ai:delta", Text)


@pytest.fixture
def emulator() -> Iterator[HotEmulator]:
    with HotEmulator() as running:
        yield running


def perform(kind: str, emulator: HotEmulator, call: Callable[[Any], Any], **settings: Any) -> Any:
    """`call(client)` to completion on a fresh client of `kind` (streams drained)."""
    if kind == "sync":
        result = call(emulator.client(**{"max_retries": 0, **settings}))
        return list(result) if isinstance(result, EventStream) else result

    async def main() -> Any:
        async with emulator.async_client(**{"max_retries": 0, **settings}) as client:
            result = call(client)
            if inspect.isawaitable(result):
                result = await result
            if isinstance(result, AsyncEventStream):
                return [event async for event in result]
            return result

    return asyncio.run(main())


def sent(emulator: HotEmulator, path_start: str) -> list[HttpRequest]:
    return [r for r in emulator.requests if r.path.startswith(path_start)]


@pytest.mark.parametrize("kind", KINDS)
def test_extra_headers_and_query_reach_the_wire_of_a_typed_call(
    kind: str, emulator: HotEmulator
) -> None:
    event = perform(
        kind,
        emulator,
        lambda hot: hot.events.publish(
            {"event_type": "a:b"},
            extra_headers={"X-Trace": "t-1"},
            extra_query={"dry": "1", "n": 2, "flag": True},
        ),
    )
    (request,) = sent(emulator, "/v1/events")
    assert request.headers["x-trace"] == "t-1"
    assert request.query == {"dry": "1", "n": "2", "flag": "true"}
    assert event.event_type == "a:b"


@pytest.mark.parametrize("kind", KINDS)
def test_options_of_one_call_do_not_stay_for_the_next(kind: str, emulator: HotEmulator) -> None:
    once: dict[str, Any] = {"extra_headers": {"X-Once": "1"}, "extra_query": {"q": "1"}}

    def call(hot: Any) -> Any:
        if isinstance(hot, HotClient):
            hot.env.get(**once)
            return hot.env.get()

        async def both() -> Any:
            await hot.env.get(**once)
            return await hot.env.get()

        return both()

    perform(kind, emulator, call)
    first, second = sent(emulator, "/v1/env")
    assert (first.headers.get("x-once"), first.query) == ("1", {"q": "1"})
    assert (second.headers.get("x-once"), second.query) == (None, {})


@pytest.mark.parametrize("kind", KINDS)
def test_extra_query_adds_to_the_operation_query_and_none_removes_a_parameter(
    kind: str, emulator: HotEmulator
) -> None:
    perform(kind, emulator, lambda hot: hot.runs.list(limit=5, extra_query={"limit": None}))
    perform(kind, emulator, lambda hot: hot.runs.list(limit=5, extra_query={"x": "y"}))
    first, second = sent(emulator, "/v1/runs")
    assert first.query == {}
    assert second.query == {"limit": "5", "x": "y"}


@pytest.mark.parametrize("kind", KINDS)
def test_options_of_a_list_call_go_with_every_following_page(
    kind: str, emulator: HotEmulator
) -> None:
    hot = emulator.client()
    for n in range(3):
        hot.events.publish({"event_type": f"a:e{n}"})

    def walk(client: Any) -> Any:
        if isinstance(client, HotClient):
            page = client.events.list(limit=1, extra_headers={"X-Page": "yes"})
            return [e.event_type for e in page.auto_paging_iter()]

        async def awalk() -> list[str]:
            page = await client.events.list(limit=1, extra_headers={"X-Page": "yes"})
            return [e.event_type async for e in page.auto_paging_iter()]

        return awalk()

    assert perform(kind, emulator, walk) == ["a:e2", "a:e1", "a:e0"]
    lists = [r for r in sent(emulator, "/v1/events") if r.method == "GET"]
    assert len(lists) == 3
    assert all(r.headers["x-page"] == "yes" for r in lists)
    assert [r.query.get("offset") for r in lists] == [None, "1", "2"]


@pytest.mark.parametrize("kind", KINDS)
def test_extra_body_is_merged_into_the_validated_json_body(
    kind: str, emulator: HotEmulator
) -> None:
    perform(
        kind,
        emulator,
        lambda hot: hot.events.publish(
            {"event_type": "a:b", "event_data": {"k": 1}},
            extra_body={"future_field": {"on": True}, "event_data": {"k": 2}},
        ),
    )
    (request,) = sent(emulator, "/v1/events")
    assert json.loads(request.body) == {
        "event_type": "a:b",
        "event_data": {"k": 2},
        "future_field": {"on": True},
    }


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    "call",
    [
        lambda hot: hot.files.upload("a.txt", b"x", extra_body={"a": 1}),
        lambda hot: hot.env.get(extra_body={"a": 1}),
    ],
    ids=["raw-bytes-body", "no-body"],
)
def test_extra_body_without_a_json_object_body_is_refused_before_sending(
    kind: str, emulator: HotEmulator, call: Callable[[Any], Any]
) -> None:
    with pytest.raises(ValueError, match="extra_body needs a JSON object body"):
        perform(kind, emulator, call)
    assert emulator.requests == []


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    ("headers", "message"),
    [
        ({"Authorization": "Bearer other"}, "must not set 'Authorization'"),
        ({"authorization": "Bearer other"}, "must not set 'authorization'"),
        ({"Content-Type": "text/plain"}, "must not set 'Content-Type'"),
        ({"X-Split": "a\r\nInjected: 1"}, "must not contain CR, LF or NUL"),
        ({"X-Bad\n": "v"}, "must not contain CR, LF or NUL"),
    ],
)
def test_unsafe_extra_headers_are_refused_before_sending(
    kind: str, emulator: HotEmulator, headers: dict[str, str], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        perform(kind, emulator, lambda hot: hot.env.get(extra_headers=headers))
    assert emulator.requests == []


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    ("headers", "error", "message"),
    [
        ({"X Trace": "v"}, ValueError, "'X Trace' is not a valid header name"),
        ({"": "v"}, ValueError, "'' is not a valid header name"),
        ({"X-Trace:": "v"}, ValueError, "'X-Trace:' is not a valid header name"),
        (
            {"X-Name": "Zoë"},
            ValueError,
            "header 'X-Name': its value must be printable ASCII (tabs and spaces inside only)",
        ),
        ({"X-Name": " padded"}, ValueError, "value must be printable ASCII"),
        ({"X-Count": 1}, TypeError, "'X-Count': names and values must be strings"),
        ({1: "v"}, TypeError, "1: names and values must be strings"),
    ],
)
@pytest.mark.parametrize("where", ["call", "client"])
def test_a_header_http_cannot_carry_is_refused_before_sending_not_retried_as_a_failure(
    kind: str, emulator: HotEmulator, headers: dict[Any, Any], error: type, message: str, where: str
) -> None:
    # httpx (or h11 under it) would refuse it while sending: raised as a
    # connection failure that "may have reached the server", after retries.
    def call(hot: Any) -> Any:
        if where == "client":
            return hot.with_options(extra_headers=headers).env.get()
        return hot.env.get(extra_headers=headers)

    with pytest.raises(error, match=re.escape(message)):
        perform(kind, emulator, call)
    assert emulator.requests == []


@pytest.mark.parametrize("kind", KINDS)
def test_a_timeout_for_one_call_replaces_the_client_timeout(
    kind: str, emulator: HotEmulator
) -> None:
    emulator.faults.delay(0.4, path="/env")
    with pytest.raises(HotTimeoutError):
        perform(kind, emulator, lambda hot: hot.env.get(timeout=0.05))
    emulator.faults.delay(0.1, path="/env")
    # The client's own timeout is short; this call's is long enough.
    environment = perform(
        kind, emulator, lambda hot: hot.env.get(timeout=httpx.Timeout(5.0)), timeout=0.02
    )
    assert environment.name


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    ("timeout", "error", "message"),
    [
        (0, ValueError, "timeout (connect) must be > 0 seconds (None for no limit), got 0"),
        (-1.0, ValueError, "timeout (connect) must be > 0 seconds (None for no limit), got -1.0"),
        (
            math.nan,
            ValueError,
            "timeout (connect) must be > 0 seconds (None for no limit), got nan",
        ),
        (httpx.Timeout(5.0, connect=0.0), ValueError, "timeout (connect) must be > 0 seconds"),
        (httpx.Timeout(5.0, pool=math.nan), ValueError, "timeout (pool) must be > 0 seconds"),
        ("5", TypeError, "timeout (connect) must be a number of seconds or None, got '5'"),
    ],
    ids=["zero", "negative", "nan", "a zero phase", "a nan phase", "text"],
)
@pytest.mark.parametrize("where", ["call", "with_options", "client"])
def test_a_timeout_no_request_can_keep_is_refused_naming_it_before_sending(
    kind: str, emulator: HotEmulator, timeout: Any, error: type, message: str, where: str
) -> None:
    # Sent, it failed inside the socket layer: a "connection error" for 0 (the
    # socket did not wait to connect), a bare ValueError for a negative or NaN.
    settings = {"timeout": timeout} if where == "client" else {}

    def call(hot: Any) -> Any:
        if where == "with_options":
            return hot.with_options(timeout=timeout).env.get()
        return hot.env.get(timeout=timeout) if where == "call" else hot.env.get()

    with pytest.raises(error, match=f"^{re.escape(message)}"):
        perform(kind, emulator, call, **settings)
    assert emulator.requests == []


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    "timeout", [math.inf, httpx.Timeout(5.0, read=math.inf)], ids=["inf", "an inf phase"]
)
def test_an_infinite_timeout_is_no_limit(kind: str, emulator: HotEmulator, timeout: Any) -> None:
    # The socket layer has no infinite wait: sent as such, it raised OverflowError.
    assert perform(kind, emulator, lambda hot: hot.env.get(timeout=timeout)).name
    assert perform(kind, emulator, lambda hot: hot.env.get(), timeout=timeout).name


@pytest.mark.parametrize("kind", KINDS)
def test_a_nan_timeout_of_a_whole_wait_is_refused_not_taken_for_no_limit(
    kind: str, emulator: HotEmulator
) -> None:
    # NaN compares false with every deadline: the wait would never time out.
    with pytest.raises(ValueError, match="timeout must be > 0"):
        perform(kind, emulator, lambda hot: hot.runs.wait(str(uuid4()), timeout=math.nan))
    with pytest.raises(ValueError, match="timeout must be > 0"):
        perform(kind, emulator, lambda hot: hot.events.call_hot("::a/b", [], timeout=math.nan))
    assert emulator.requests == []


@pytest.mark.parametrize("kind", KINDS)
def test_an_option_another_kind_of_operation_does_not_take_is_a_type_error(
    kind: str, emulator: HotEmulator
) -> None:
    with pytest.raises(TypeError, match="unexpected keyword argument 'extra_body'"):
        perform(kind, emulator, lambda hot: hot.runs.wait("r", extra_body={"a": 1}))
    with pytest.raises(TypeError, match="unexpected keyword argument 'extra_header'"):
        perform(kind, emulator, lambda hot: hot.env.get(extra_header={"a": "1"}))
    assert emulator.requests == []


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("data_types", [(), (Delta,)], ids=["untyped", "declared-data-types"])
def test_stream_and_follow_options_reach_every_connection(
    kind: str, data_types: tuple[StreamDataType[Any], ...], emulator: HotEmulator
) -> None:
    @emulator.on_event("job:run")
    def handler(event: Any, ctx: Any) -> Any:
        ctx.emit({"text": "typed"}, data_type=Delta.name)
        return {"done": True}

    # Cut before the run's end: `event:published`, `run:start` and the data came.
    emulator.faults.drop_stream(3, path="/streams/subscribe-with-event")
    messages = perform(
        kind,
        emulator,
        lambda hot: hot.streams.subscribe_with_event(
            {"event_type": "job:run"},
            extra_headers={"X-Follow": "1"},
            extra_query={"q": "v"},
            timeout=5.0,
            data_types=data_types,
        ),
    )
    assert any(isinstance(m, RunStop) for m in messages)
    assert [Delta.matches(m) for m in messages if isinstance(m, StreamData)] == [bool(data_types)]
    connections = sent(emulator, "/v1/streams/")
    assert [r.method for r in connections][:2] == ["POST", "GET"]  # it reconnected
    assert all(r.headers["x-follow"] == "1" and r.query["q"] == "v" for r in connections)


def through_hooked_client(
    kind: str, emulator: HotEmulator, own: bool, call: Callable[[Any], Any]
) -> list[httpx.Headers]:
    """The headers of each request `call(client)` sends (streams drained) on a
    client of `kind` over an httpx client it creates (`own`) or the caller's,
    as httpx writes them."""
    sent: list[httpx.Headers] = []

    def record(request: httpx.Request) -> None:
        sent.append(request.headers)

    async def record_async(request: httpx.Request) -> None:
        record(request)

    if kind == "sync":
        with ExitStack() as stack:
            hooks: dict[str, Any] = {"event_hooks": {"request": [record]}}
            if not own:
                hooks = {"client": stack.enter_context(httpx.Client(**hooks))}
            result = call(stack.enter_context(emulator.client(max_retries=0, **hooks)))
            if isinstance(result, EventStream):
                list(result)
        return sent

    async def main() -> None:
        async with AsyncExitStack() as stack:
            hooks: dict[str, Any] = {"event_hooks": {"request": [record_async]}}
            if not own:
                hooks = {"client": await stack.enter_async_context(httpx.AsyncClient(**hooks))}
            hot = await stack.enter_async_context(emulator.async_client(max_retries=0, **hooks))
            result = call(hot)
            if inspect.isawaitable(result):
                result = await result
            if isinstance(result, AsyncEventStream):
                [event async for event in result]

    asyncio.run(main())
    return sent


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("own", [True, False], ids=["own-client", "user-client"])
def test_a_calls_header_in_any_spelling_replaces_the_clients_instead_of_doubling_it(
    kind: str, own: bool, emulator: HotEmulator
) -> None:
    @emulator.on_call("::t::m/add")
    def add(event: Any, ctx: Any) -> Any:
        return sum(event.data["args"])

    assert emulator.client().events.call_hot("::t::m/add", [2, 3]) == 5
    run_id = emulator.client().runs.list().data[0].run_id
    raw = through_hooked_client(
        kind,
        emulator,
        own,
        lambda hot: hot.request_raw(
            "GET", "/env", headers={"authorization": f"Bearer {hot.token}", "accept": "*/*"}
        ),
    )
    typed = through_hooked_client(
        kind, emulator, own, lambda hot: hot.env.get(extra_headers={"user-agent": "mine/1"})
    )
    stream = through_hooked_client(
        kind,
        emulator,
        own,
        lambda hot: hot.runs.subscribe(
            run_id, extra_headers={"accept": "*/*", "accept-encoding": "gzip"}, timeout=5.0
        ),
    )
    names = ["authorization", "user-agent", "accept", "accept-encoding"]
    assert [[headers.get_list(name) for name in names] for headers in raw + typed + stream] == [
        [[f"Bearer {emulator.api_key}"], [USER_AGENT], ["*/*"], ["gzip, deflate"]],
        [[f"Bearer {emulator.api_key}"], ["mine/1"], ["application/json"], ["gzip, deflate"]],
        [[f"Bearer {emulator.api_key}"], [USER_AGENT], ["text/event-stream"], ["identity"]],
    ]


@pytest.mark.parametrize("kind", KINDS)
def test_waiters_call_hot_and_streams_send_extra_headers_on_their_requests(
    kind: str, emulator: HotEmulator
) -> None:
    @emulator.on_call("::t::m/add")
    def add(event: Any, ctx: Any) -> Any:
        return sum(event.data["args"])

    total = perform(
        kind,
        emulator,
        lambda hot: hot.with_options(extra_headers={"X-Client": "k"}).events.call_hot(
            "::t::m/add", [2, 3], extra_headers={"X-Call": "c"}
        ),
    )
    assert total == 5
    (publish,) = sent(emulator, "/v1/streams/subscribe-with-event")
    assert (publish.headers["x-call"], publish.headers["x-client"]) == ("c", "k")

    run_id = emulator.client().runs.list().data[0].run_id
    run = perform(kind, emulator, lambda hot: hot.runs.wait(run_id, extra_headers={"X-W": "w"}))
    assert run.run_id == run_id
    (wait,) = sent(emulator, f"/v1/runs/{run_id}/subscribe")
    assert wait.headers["x-w"] == "w"
    updates = perform(
        kind,
        emulator,
        lambda hot: hot.runs.subscribe(run_id, extra_headers={"X-S": "s"}, timeout=5.0),
    )
    assert updates[-1].run.run_id == run_id
    subscribe = sent(emulator, f"/v1/runs/{run_id}/subscribe")[-1]
    assert subscribe.headers["x-s"] == "s"


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.usefixtures("small_parts")
def test_transfer_options_reach_every_request_of_an_upload_and_a_download(
    kind: str, tmp_path: Path
) -> None:
    source = tmp_path / "data.bin"
    source.write_bytes(b"z" * 3000)
    with HotEmulator(part_size=1000, min_part_size=1000) as emulator:
        stored = perform(
            kind,
            emulator,
            lambda hot: hot.files.upload_file(
                "d/data.bin", source, part_size=1000, extra_headers={"X-Up": "u"}
            ),
        )
        check_transfer(kind, emulator, stored, source, tmp_path)


def _upload_file(path: str, data: bytes, hot: Any, **options: Any) -> Any:
    return hot.files.upload_file(path, data, **options)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.usefixtures("small_parts")
def test_options_reach_a_single_request_upload_and_what_settles_a_lost_complete(
    kind: str,
) -> None:
    with HotEmulator(part_size=1000, min_part_size=1000) as emulator:
        emulator.faults.lose_answer(path="/files/uploads/", method="POST")
        for path, size in (("d/many.bin", 2500), ("d/one.bin", 10)):
            upload = partial(
                _upload_file, path, b"z" * size, part_size=1000, extra_headers={"X-Up": "u"}
            )
            assert perform(kind, emulator, upload).path == path
    # The lost complete is settled by an abort (refused: it completed) and a
    # search; the small file goes in one request.
    settling = [
        (r.method, r.path)
        for r in emulator.requests
        if r.method in ("DELETE", "GET") or r.path.startswith("/v1/files/upload/")
    ]
    assert [method for method, _ in settling] == ["DELETE", "GET", "PUT"]
    assert settling[-1][1] == "/v1/files/upload/d/one.bin"
    assert all(r.headers["x-up"] == "u" for r in emulator.requests)


def check_transfer(kind: str, emulator: HotEmulator, stored: Any, source: Path, tmp: Path) -> None:
    uploads = sent(emulator, "/v1/files/upload")
    assert len(uploads) == 5  # initiate, three parts, complete
    assert all(r.headers["x-up"] == "u" for r in uploads)
    target = perform(
        kind,
        emulator,
        lambda hot: hot.files.download_to(stored.file_id, tmp / "copy.bin", extra_query={"v": "1"}),
    )
    assert target.read_bytes() == source.read_bytes()
    (download,) = sent(emulator, f"/v1/files/{stored.file_id}/download")
    assert download.query == {"v": "1"}


@pytest.mark.parametrize("kind", KINDS)
def test_the_escape_hatches_take_the_options_too(kind: str, emulator: HotEmulator) -> None:
    answer = perform(
        kind,
        emulator,
        lambda hot: hot.request(
            "POST",
            "/events",
            json={"event_type": "a:b", "event_data": None},
            extra_body={"x": 1},
            extra_headers={"X-H": "h"},
        ),
    )
    assert answer["data"]["event_type"] == "a:b"
    (request,) = sent(emulator, "/v1/events")
    assert json.loads(request.body) == {"event_type": "a:b", "event_data": None, "x": 1}
    assert request.headers["x-h"] == "h"


# ---------------------------------------------------------------- with_options


@pytest.mark.parametrize("kind", KINDS)
def test_with_options_defaults_are_sent_and_a_call_options_are_laid_over_them(
    kind: str, emulator: HotEmulator
) -> None:
    def call(hot: Any) -> Any:
        configured = hot.with_options(
            extra_headers={"X-A": "client", "X-B": "client"}, extra_query={"c": "1"}
        )
        return configured.env.get(extra_headers={"x-b": "call"})

    perform(kind, emulator, call)
    (request,) = sent(emulator, "/v1/env")
    assert (request.headers["x-a"], request.headers["x-b"]) == ("client", "call")
    assert request.query == {"c": "1"}


def test_a_header_named_again_in_another_case_replaces_the_default_on_the_wire() -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"data": None})

    with httpx.Client(transport=httpx.MockTransport(answer)) as http:
        hot = HotClient("token", base_url="https://hot.test", client=http)
        configured = hot.with_options(extra_headers={"X-B": "client"})
        configured.request("GET", "/env", extra_headers={"x-b": "call"})
    assert seen[0].headers.get_list("x-b") == ["call"]


@pytest.mark.parametrize("kind", KINDS)
def test_with_options_changes_timeout_and_retries_of_the_copy_only(
    kind: str, emulator: HotEmulator
) -> None:
    emulator.faults.rate_limit(retry_after=0, times=1, path="/env")
    with pytest.raises(RateLimitError):
        perform(kind, emulator, lambda hot: hot.with_options(max_retries=0).env.get())
    # The client itself does not retry (max_retries=0); its copy does.
    emulator.faults.rate_limit(retry_after=0, times=1, path="/env")
    assert perform(kind, emulator, lambda hot: hot.with_options(max_retries=1).env.get()).name
    assert len(sent(emulator, "/v1/env")) == 3
    emulator.faults.delay(0.4, path="/env")
    with pytest.raises(HotTimeoutError):
        perform(kind, emulator, lambda hot: hot.with_options(timeout=0.05).env.get())


def test_a_with_options_copy_shares_the_pool_and_closing_or_dropping_it_leaves_it_open(
    emulator: HotEmulator,
) -> None:
    hot = HotClient(emulator.api_key, base_url=emulator.base_url)
    copy = hot.with_options(timeout=5.0)
    assert copy._http_client() is hot._http_client()
    copy.close()
    assert hot.env.get().name
    hot.with_options(max_retries=0).env.get()
    gc.collect()
    assert not hot._http_client().is_closed
    assert hot.env.get().name
    hot.close()
    assert hot._http_client().is_closed


def test_an_async_with_options_copy_closed_leaves_the_pool_open(emulator: HotEmulator) -> None:
    async def main() -> None:
        async with AsyncHotClient(emulator.api_key, base_url=emulator.base_url) as hot:
            async with hot.with_options(max_retries=0) as copy:
                assert (await copy.env.get()).name
            assert not hot._http_client().is_closed
            assert (await hot.env.get()).name

    asyncio.run(main())


@pytest.mark.parametrize("client_class", [HotClient, AsyncHotClient])
def test_the_token_is_readable_and_kept_out_of_reprs(
    client_class: type[HotClient] | type[AsyncHotClient],
) -> None:
    hot = client_class("hot_secret_token", base_url="http://127.0.0.1:1")
    assert hot.token == "hot_secret_token"
    assert hot.with_options(max_retries=0).token == "hot_secret_token"
    assert "hot_secret_token" not in repr(hot)
    assert "hot_secret_token" not in repr(hot.with_options(timeout=1.0))
    with pytest.raises(AttributeError):
        hot.token = "other"  # type: ignore[misc]


def _finished_run_stream() -> httpx.Response:
    frame = json.dumps({"type": "run:update", "run": p.run(status="succeeded")})
    return httpx.Response(
        200,
        content=f"event: run:update\ndata: {frame}\n\n".encode(),
        headers={"content-type": "text/event-stream"},
    )


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("client_timeout", [None, 1.0])
def test_a_waits_time_left_caps_each_of_the_clients_timeouts_on_its_connection(
    kind: str, client_timeout: float | None
) -> None:
    # A phase the client leaves unbounded takes the time left; a shorter one stays.
    _, requests = exchange(
        kind,
        lambda hot: hot.runs.wait(p.uid(), timeout=5.0),
        _finished_run_stream(),
        timeout=httpx.Timeout(client_timeout),
    )
    phases = requests[0].extensions["timeout"]
    assert set(phases) == {"connect", "read", "write", "pool"}
    for seconds in phases.values():
        if client_timeout is None:
            assert 4.0 < seconds <= 5.0
        else:
            assert seconds == client_timeout


@pytest.mark.parametrize("kind", KINDS)
def test_a_call_without_its_own_timeout_goes_with_the_clients(kind: str) -> None:
    _, requests = exchange(
        kind,
        lambda hot: hot.env.get(),
        httpx.Response(200, json=p.item(p.environment())),
        timeout=httpx.Timeout(7.0, connect=3.0),
    )
    assert requests[0].extensions["timeout"] == {
        "connect": 3.0,
        "read": 7.0,
        "write": 7.0,
        "pool": 7.0,
    }


@pytest.mark.parametrize("kind", KINDS)
def test_a_redirect_is_not_followed(kind: str) -> None:
    # Following one would send the token and the body to wherever it points.
    moved = httpx.Response(302, headers={"Location": "https://elsewhere.test/v1/env"})
    with pytest.raises(HotApiError) as error:
        exchange(
            kind,
            lambda hot: hot.env.get(),
            moved,
            httpx.Response(200, json=p.item(p.environment())),
        )
    assert error.value.status_code == 302
