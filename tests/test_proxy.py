"""`HotProxy` served by uvicorn on loopback, the emulator as the Hot behind it,
an httpx client as the browser."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
from fastapi import FastAPI

from hot_typed import AsyncHotClient, EventPublished, RunStop, StreamData
from hot_typed.proxy import HotProxy, ProxyRequest, Scope
from hot_typed.testing import HandlerEvent, HotEmulator, RunContext

from .asgi_server import ClosingClients, UvicornThread
from .polling import wait_until
from .recording_proxy import RecordingForwarder

TOKEN = "hot_secret_" + uuid4().hex


@pytest.fixture
def emulator() -> Iterator[HotEmulator]:
    with HotEmulator(api_key=TOKEN, keepalive_interval=0.05) as emu:

        @emu.on_event("chat:ask")
        def reply(event: HandlerEvent, ctx: RunContext) -> Any:
            ctx.emit({"text": f"re: {event.data['question']}"}, data_type="chat:reply:delta")
            return "answered"

        yield emu


@contextmanager
def serving(
    emulator: HotEmulator, *, token: str = TOKEN, **options: Any
) -> Iterator[httpx.Client]:
    """A browser (httpx) talking to a `HotProxy(**options)` served by uvicorn."""
    hot = AsyncHotClient(token, base_url=emulator.base_url, max_retries=0)
    proxy = HotProxy(hot, **options)
    with (
        UvicornThread(ClosingClients(proxy, [hot])) as server,
        httpx.Client(base_url=server.base_url, timeout=5) as browser,
    ):
        yield browser


def frames(response: httpx.Response) -> Iterator[list[str]]:
    """The SSE frames of a streaming response, each as its lines."""
    lines: list[str] = []
    for line in response.iter_lines():
        if line:
            lines.append(line)
        elif lines:
            yield lines
            lines = []


def events(response: httpx.Response) -> Iterator[dict[str, Any]]:
    """The JSON data of each event frame; comment frames are skipped."""
    for lines in frames(response):
        data = [line.removeprefix("data:").strip() for line in lines if line.startswith("data:")]
        if data:
            yield json.loads("\n".join(data))


def until(event_type: str, stream: Iterator[dict[str, Any]]) -> list[dict[str, Any]]:
    """Events from `stream` up to the first of `event_type`. Keep one `events()`
    iterator per response: httpx closes a response whose iterator is dropped."""
    seen = []
    for event in stream:
        seen.append(event)
        if event["type"] == event_type:
            return seen
    raise AssertionError(f"the stream ended before {event_type}: {seen}")


def upstream_publishes(emulator: HotEmulator) -> list[str]:
    return [r.path for r in emulator.requests if r.method == "POST"]


ASK = {"event_type": "chat:ask", "event_data": {"question": "why?"}}


# ---------------------------------------------------------------- streaming


def test_events_reach_the_browser_while_the_run_is_still_going(emulator: HotEmulator) -> None:
    release = threading.Event()

    @emulator.on_event("slow:ask")
    def slow(event: HandlerEvent, ctx: RunContext) -> Any:
        ctx.emit({"text": "first"}, data_type="chat:reply:delta")
        release.wait(5)
        return "done"

    hot = emulator.client()
    with serving(emulator, allow=["slow:ask"]) as browser:
        body = {"event_type": "slow:ask", "event_data": {}}
        with browser.stream("POST", "/", json=body) as response:
            stream = events(response)
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("text/event-stream")
            seen = []
            for event in stream:
                seen.append(event["type"])
                if event["type"] == "stream:data":
                    # The delta arrived while the run is still running upstream.
                    assert str(hot.runs.get(event["run_id"]).status) == "running"
                    release.set()
                if event["type"] == "run:stop":
                    break
    assert seen == ["event:published", "run:start", "stream:data", "run:stop"]


def test_keepalive_comments_pass_through_to_the_browser(emulator: HotEmulator) -> None:
    with (
        serving(emulator, allow=["chat:ask"]) as browser,
        browser.stream("POST", "/", json=ASK) as response,
    ):
        comments = 0
        for lines in frames(response):
            if all(line.startswith(":") for line in lines):
                comments += 1
            if comments == 2:
                break
    assert comments == 2


def test_the_browser_leaving_ends_the_upstream_subscription(emulator: HotEmulator) -> None:
    with serving(emulator, allow=["chat:ask"]) as browser:
        with browser.stream("POST", "/", json=ASK) as response:
            stream = events(response)
            published = next(stream)
            stream_id = published["stream_id"]
            assert emulator.subscribers(stream_id) == 1
        wait_until(lambda: emulator.subscribers(stream_id) == 0)


def test_on_event_sees_each_typed_event_as_it_passes(emulator: HotEmulator) -> None:
    seen: list[Any] = []

    async def observe(scope: Scope, request: ProxyRequest, event: Any) -> None:
        seen.append((request.action, event))

    with (
        serving(emulator, allow=["chat:ask"], on_event=observe) as browser,
        browser.stream("POST", "/", json=ASK) as response,
    ):
        until("run:stop", events(response))
    typed = [event for _, event in seen]
    assert isinstance(typed[0], EventPublished)
    assert any(isinstance(e, StreamData) and e.payload == {"text": "re: why?"} for e in typed)
    assert isinstance(typed[-1], RunStop) or any(isinstance(e, RunStop) for e in typed)
    assert {action for action, _ in seen} == {"subscribe"}


# ---------------------------------------------------------------- refusals


def test_an_event_type_off_the_allow_list_is_refused_with_the_api_envelope(
    emulator: HotEmulator,
) -> None:
    with serving(emulator, allow=["chat:ask"]) as browser:
        response = browser.post("/", json={"event_type": "admin:reset", "event_data": {}})
        continuation = browser.post(
            "/publish", json={"event_type": "admin:reset", "stream_id": str(uuid4())}
        )
    assert response.status_code == 403
    assert response.json() == {
        "error": {"code": "forbidden", "message": "event type 'admin:reset' is not allowed here"}
    }
    assert continuation.status_code == 403
    assert upstream_publishes(emulator) == []


def test_a_policy_decides_from_the_scope_and_the_typed_request(emulator: HotEmulator) -> None:
    asked: list[ProxyRequest] = []

    async def only_ada(scope: Scope, request: ProxyRequest) -> bool:
        asked.append(request)
        headers = dict(scope["headers"])
        return headers.get(b"x-user") == b"ada"

    with serving(emulator, policy=only_ada) as browser:
        refused = browser.post("/", json=ASK, headers={"x-user": "mallory"})
        refused_reattach = browser.get("/", params={"stream_id": str(uuid4())})
        with browser.stream("POST", "/", json=ASK, headers={"x-user": "ada"}) as response:
            stream = events(response)
            assert response.status_code == 200
            until("run:stop", stream)
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "forbidden"
    assert refused_reattach.status_code == 403
    assert [r.action for r in asked] == ["subscribe", "reattach", "subscribe"]
    assert asked[0].event is not None
    assert asked[0].event.event_type == "chat:ask"
    assert upstream_publishes(emulator) == ["/v1/streams/subscribe-with-event"]


def test_a_refusal_of_a_body_names_where_its_first_problem_is(emulator: HotEmulator) -> None:
    with serving(emulator, policy=lambda scope, request: True) as browser:
        bad_uuid = browser.post("/", json={**ASK, "stream_id": "not-a-uuid"})
        bad_call = browser.post("/", json={"event_type": "hot:call", "event_data": {"args": 1}})
    assert bad_uuid.json()["error"]["message"].startswith(
        "stream_id: Input should be a valid UUID"
    )
    assert bad_call.status_code == 422
    fn_problem = "hot:call data names the function in 'fn' (a non-empty string)"
    args_problem = "hot:call data lists the arguments in 'args' (an array)"
    assert bad_call.json() == {
        "error": {
            "code": "validation_error",
            "message": f"event_data.fn: {fn_problem}",
            "details": [
                {"loc": ["event_data", "fn"], "msg": fn_problem},
                {"loc": ["event_data", "args"], "msg": args_problem},
            ],
        }
    }
    assert upstream_publishes(emulator) == []


def test_the_proxy_repr_shows_its_allow_list_sorted(emulator: HotEmulator) -> None:
    hot = AsyncHotClient(TOKEN, base_url=emulator.base_url)
    proxy = HotProxy(hot, allow=["chat:b", "chat:a", "chat:b"])
    assert "policies=(AllowEventTypes(['chat:a', 'chat:b']),)" in repr(proxy)


@pytest.mark.parametrize(
    ("options", "error", "message"),
    [
        (
            {},
            TypeError,
            "HotProxy needs allow=[event types] or policy=...: "
            "a proxy publishing whatever a browser sends would expose every handler",
        ),
        (
            {"allow": "chat:ask"},
            TypeError,
            "allow takes a collection of event types, not one string",
        ),
        (
            {"allow": ["chat:ask", "hot:call"]},
            ValueError,
            "'hot:call' cannot be allow-listed: a browser could call any function; "
            "use a policy that checks event_data['fn']",
        ),
        (
            {"allow": []},
            ValueError,
            "allow names no event type: every request would be refused",
        ),
    ],
    ids=["neither", "one-string", "hot-call", "empty"],
)
def test_a_proxy_needs_an_allow_list_or_a_policy(
    emulator: HotEmulator, options: dict[str, Any], error: type[Exception], message: str
) -> None:
    hot = AsyncHotClient(TOKEN, base_url=emulator.base_url)
    with pytest.raises(error, match=f"^{re.escape(message)}$"):
        HotProxy(hot, **options)


def test_oversize_bodies_are_refused_before_reaching_hot(emulator: HotEmulator) -> None:
    big = {"event_type": "chat:ask", "event_data": {"question": "x" * 500}}

    def chunked() -> Iterator[bytes]:
        yield json.dumps(big).encode()

    with serving(emulator, allow=["chat:ask"], max_body_bytes=200) as browser:
        declared = browser.post("/", json=big)
        streamed = browser.post(
            "/", content=chunked(), headers={"content-type": "application/json"}
        )
    for response in (declared, streamed):
        assert response.status_code == 413
        assert response.json()["error"]["code"] == "payload_too_large"
    assert "transfer-encoding" in streamed.request.headers
    assert upstream_publishes(emulator) == []


def test_bad_bodies_and_stream_ids_are_refused_as_the_api_would(emulator: HotEmulator) -> None:
    with serving(emulator, allow=["chat:ask"]) as browser:
        bad_uuid = browser.post("/", json={**ASK, "stream_id": "not-a-uuid"})
        bad_reattach = browser.get("/", params={"stream_id": "not-a-uuid"})
        no_reattach_id = browser.get("/")
        no_stream = browser.post("/publish", json=ASK)
        not_json = browser.post("/", content=b"{", headers={"content-type": "application/json"})
        not_object = browser.post("/", json=["chat:ask"])
        form = browser.post("/", data={"event_type": "chat:ask"})
        unknown = browser.post("/", json={**ASK, "extra": 1})
        reserved = browser.post("/", json={"event_type": "hot:deploy"})
        method = browser.put("/", json=ASK)
        route = browser.post("/elsewhere", json=ASK)
    assert bad_uuid.status_code == 422
    error = bad_uuid.json()["error"]
    assert error["code"] == "validation_error"
    assert error["details"][0]["loc"] == ["stream_id"]
    assert "not-a-uuid" not in bad_uuid.text  # the input is not echoed
    for response, message in [
        (bad_reattach, "stream_id is not a UUID"),
        (no_reattach_id, "stream_id is required"),
        (not_json, "the request body is not JSON"),
        (not_object, "the request body is a JSON object: {event_type, event_data}"),
    ]:
        assert response.status_code == 400
        assert response.json() == {"error": {"code": "bad_request", "message": message}}
    assert no_stream.status_code == 422
    assert "stream_id" in no_stream.json()["error"]["message"]
    assert form.status_code == 415
    assert (unknown.status_code, reserved.status_code) == (422, 422)
    assert (method.status_code, method.headers["allow"]) == (405, "GET, POST")
    assert route.status_code == 404
    assert upstream_publishes(emulator) == []


def test_a_body_nested_deeper_than_python_reads_is_refused_as_not_json(
    emulator: HotEmulator,
) -> None:
    # Within the size limit, a browser can nest arrays deeper than Python's JSON
    # reader follows: that is a 400 like any other body the proxy cannot read,
    # not a RecursionError out of the app (a 500, and a traceback in its log).
    deep = b'{"event_type":"chat:ask","event_data":' + b"[" * 30_000 + b"]" * 30_000 + b"}"
    with serving(emulator, allow=["chat:ask"], max_body_bytes=len(deep)) as browser:
        response = browser.post("/", content=deep, headers={"content-type": "application/json"})
    assert response.status_code == 400
    assert response.json() == {
        "error": {"code": "bad_request", "message": "the request body is not JSON"}
    }
    assert upstream_publishes(emulator) == []


# ---------------------------------------------------------------- bodies, turns, streams


def test_camel_case_bodies_of_the_js_sdk_are_accepted(emulator: HotEmulator) -> None:
    stream_id = str(uuid4())
    body = {"eventType": "chat:ask", "eventData": {"question": "camel?"}, "streamId": stream_id}
    with serving(emulator, allow=["chat:ask"]) as browser:
        with browser.stream("POST", "/", json=body) as response:
            stream = events(response)
            seen = until("run:stop", stream)
        both = browser.post("/", json={**body, "event_type": "chat:ask"})
    assert seen[0]["stream_id"] == stream_id
    publish = next(r for r in emulator.requests if r.path == "/v1/streams/subscribe-with-event")
    assert json.loads(publish.body) == {
        "event_type": "chat:ask", "event_data": {"question": "camel?"}, "stream_id": stream_id
    }
    deltas = [e["payload"]["text"] for e in seen if e["type"] == "stream:data"]
    assert deltas == ["re: camel?"]
    assert both.status_code == 422
    assert both.json() == {
        "error": {"code": "validation_error", "message": "'event_type' is given twice"}
    }


def test_stamped_fields_override_what_the_browser_sent(emulator: HotEmulator) -> None:
    def stamp(scope: Scope, request: ProxyRequest) -> dict[str, str]:
        return {"user_id": "ada"}

    stream_id = uuid4()
    body = {
        "event_type": "chat:ask",
        "event_data": {"question": "q", "user_id": "mallory"},
        "stream_id": str(stream_id),
    }
    with serving(emulator, allow=["chat:ask"], stamp=stamp) as browser:
        with browser.stream("POST", "/", json=body) as response:
            stream = events(response)
            published = until("event:published", stream)[0]
        turn = {"event_type": "chat:ask", "streamId": str(stream_id)}
        later = browser.post("/publish", json=turn)
        not_object = browser.post("/", json={"event_type": "chat:ask", "event_data": [1]})
    hot = emulator.client()
    event = hot.events.get(published["event_id"])
    assert event.event_data == {"question": "q", "user_id": "ada"}
    assert event.stream_id == str(stream_id)
    assert later.json()["data"]["stream_id"] == str(stream_id)
    # No event_data at all: the stamp is the whole of it.
    assert hot.events.get(later.json()["data"]["event_id"]).event_data == {"user_id": "ada"}
    assert not_object.status_code == 422
    assert not_object.json() == {
        "error": {
            "code": "validation_error",
            "message": "event_data: must be an object (the server adds fields to it)",
        }
    }


def test_a_later_turn_is_published_into_the_open_stream_without_a_second_subscriber(
    emulator: HotEmulator,
) -> None:
    stream_id = str(uuid4())
    first = {**ASK, "stream_id": stream_id}
    second = {"event_type": "chat:ask", "event_data": {"question": "and then?"}}
    with (
        serving(emulator, allow=["chat:ask"]) as browser,
        browser.stream("POST", "/", json=first) as response,
    ):
        stream = events(response)
        turn_one = until("run:stop", stream)
        answer = browser.post("/publish", json={**second, "streamId": stream_id})
        assert answer.status_code == 201
        assert emulator.subscribers(stream_id) == 1
        turn_two = until("run:stop", stream)
    data = answer.json()["data"]
    assert data["stream_id"] == stream_id
    assert data["event_type"] == "chat:ask"
    assert [e["payload"]["text"] for e in turn_one if e["type"] == "stream:data"] == ["re: why?"]
    assert [e["payload"]["text"] for e in turn_two if e["type"] == "stream:data"] == [
        "re: and then?"
    ]
    assert turn_two[-1]["run"]["event_id"] == data["event_id"]
    assert upstream_publishes(emulator) == ["/v1/streams/subscribe-with-event", "/v1/events"]


def test_reattaching_streams_an_existing_stream_and_publishes_nothing(
    emulator: HotEmulator,
) -> None:
    stream_id = str(uuid4())
    with serving(emulator, allow=["chat:ask"]) as browser:
        with browser.stream("POST", "/", json={**ASK, "stream_id": stream_id}) as response:
            stream = events(response)
            first_run = until("run:stop", stream)[-1]["run"]["run_id"]
        wait_until(lambda: emulator.subscribers(stream_id) == 0)
        with browser.stream("GET", "/", params={"stream_id": stream_id}) as response:
            stream = events(response)
            assert response.status_code == 200
            replayed = until("run:stop", stream)
            assert [e["type"] for e in replayed] == ["run:start", "run:stop"]
            assert replayed[0]["run"]["run_id"] == first_run
            browser.post("/publish", json={**ASK, "stream_id": stream_id}).raise_for_status()
            live = until("run:stop", stream)
            assert live[-1]["run"]["run_id"] != first_run
        unknown = browser.get("/", params={"stream_id": str(uuid4())})
    assert unknown.status_code == 404
    assert unknown.json()["error"]["code"] == "not_found"
    assert upstream_publishes(emulator) == ["/v1/streams/subscribe-with-event", "/v1/events"]


def test_the_proxy_works_mounted_in_fastapi(emulator: HotEmulator) -> None:
    hot = AsyncHotClient(TOKEN, base_url=emulator.base_url)
    app = FastAPI()
    app.mount("/api/hot", HotProxy(hot, allow=["chat:ask"]))
    stream_id = str(uuid4())
    with (
        UvicornThread(ClosingClients(app, [hot])) as server,
        httpx.Client(base_url=server.base_url, timeout=5) as browser,
    ):
        # A Starlette mount's own root is "/api/hot/" ("/api/hot" redirects there).
        body = {**ASK, "stream_id": stream_id}
        with browser.stream("POST", "/api/hot/", json=body) as response:
            stream = events(response)
            assert response.status_code == 200
            until("run:stop", stream)
            turn = browser.post("/api/hot/publish", json={**ASK, "stream_id": stream_id})
            assert turn.status_code == 201
            until("run:stop", stream)
        with browser.stream("GET", "/api/hot/", params={"stream_id": stream_id}) as response:
            stream = events(response)
            assert next(stream)["type"] == "run:start"


# ---------------------------------------------------------------- the token


def test_the_token_never_crosses_the_browser_side_of_the_wire(emulator: HotEmulator) -> None:
    hot = AsyncHotClient(TOKEN, base_url=emulator.base_url, max_retries=0)
    wrong = "hot_wrong_" + uuid4().hex
    refused_hot = AsyncHotClient(wrong, base_url=emulator.base_url, max_retries=0)
    app = FastAPI()
    app.mount("/ok", HotProxy(hot, allow=["chat:ask"]))
    app.mount("/bad", HotProxy(refused_hot, allow=["chat:ask"]))
    with (
        UvicornThread(ClosingClients(app, [hot, refused_hot])) as server,
        RecordingForwarder(server.port) as tap,
        httpx.Client(base_url=f"http://127.0.0.1:{tap.port}", timeout=5) as browser,
    ):
        with browser.stream("POST", "/ok/", json=ASK) as response:
            stream = events(response)
            stream_id = until("run:stop", stream)[0]["stream_id"]
        browser.post("/ok/publish", json={**ASK, "stream_id": stream_id})
        browser.post("/ok/", json={"event_type": "admin:reset"})
        unknown = browser.get("/ok/", params={"stream_id": str(uuid4())})
        emulator.faults.rate_limit(retry_after=7)
        limited = browser.post("/ok/publish", json={**ASK, "stream_id": stream_id})
        bad_credentials = browser.post("/bad/", json=ASK)
        recorded = tap.recorded()
    assert unknown.status_code == 404
    assert (limited.status_code, limited.headers["retry-after"]) == (429, "7")
    assert limited.json()["error"]["code"] == "rate_limit_exceeded"
    assert bad_credentials.status_code == 502
    assert bad_credentials.json()["error"]["code"] == "bad_gateway"
    assert b"event:published" in recorded
    assert b"/ok/publish" in recorded
    assert TOKEN.encode() not in recorded
    assert wrong.encode() not in recorded
    assert b"authorization" not in recorded.lower()
    # The token did travel where it belongs: to Hot.
    assert emulator.requests[0].headers["authorization"] == f"Bearer {TOKEN}"


def test_uuid_stream_ids_in_any_form_name_the_same_stream(emulator: HotEmulator) -> None:
    stream_id = uuid4()
    with serving(emulator, allow=["chat:ask"]) as browser:
        body = {**ASK, "stream_id": stream_id.hex}
        with browser.stream("POST", "/", json=body) as response:
            stream = events(response)
            published = until("event:published", stream)[0]
    assert UUID(published["stream_id"]) == stream_id


def test_upstream_failures_answer_502_or_pass_on_the_refusal_without_internals(
    emulator: HotEmulator,
) -> None:
    with serving(emulator, allow=["chat:ask"]) as browser:
        emulator.faults.fail_next(503, message="database on fire at 10.0.0.7")
        unavailable = browser.post("/", json=ASK)
        emulator.faults.fail_next(403, code="forbidden", message="Credential lacks stream:read")
        forbidden = browser.post("/", json=ASK)
        emulator.faults.drop_stream(after_events=1)
        with browser.stream("POST", "/", json=ASK) as response:
            cut = [event["type"] for event in events(response)]
    assert unavailable.status_code == 502
    assert unavailable.json() == {
        "error": {"code": "bad_gateway", "message": "the Hot API failed (503)"}
    }
    assert forbidden.status_code == 403
    assert forbidden.json()["error"]["message"] == "Credential lacks stream:read"
    # Cut upstream after its first event: the browser's stream ends there too.
    assert cut == ["event:published"]


def test_an_upstream_refusal_that_echoes_the_token_reaches_the_browser_with_it_redacted(
    emulator: HotEmulator,
) -> None:
    with serving(emulator, allow=["chat:ask"]) as browser:
        message = f"key {TOKEN} lacks stream:read"
        emulator.faults.fail_next(403, code="forbidden", message=message)
        forbidden = browser.post("/", json=ASK)
    assert forbidden.status_code == 403
    assert forbidden.json()["error"]["message"] == "key [redacted] lacks stream:read"


def test_a_hot_that_cannot_be_reached_answers_502(emulator: HotEmulator) -> None:
    port = emulator.port
    emulator.stop()
    hot = AsyncHotClient(TOKEN, base_url=f"http://127.0.0.1:{port}", max_retries=0)
    proxy = HotProxy(hot, allow=["chat:ask"])
    with (
        UvicornThread(ClosingClients(proxy, [hot])) as server,
        httpx.Client(base_url=server.base_url, timeout=5) as browser,
    ):
        response = browser.post("/", json=ASK)
    assert response.status_code == 502
    assert response.json()["error"] == {
        "code": "bad_gateway",
        "message": "the Hot API could not be reached",
    }


def test_an_allow_list_and_a_policy_must_both_agree(emulator: HotEmulator) -> None:
    def never_on_weekends(scope: Scope, request: ProxyRequest) -> bool:
        return dict(scope["headers"]).get(b"x-day") != b"sunday"

    with serving(emulator, allow=["chat:ask"], policy=never_on_weekends) as browser:
        on_sunday = browser.post("/", json=ASK, headers={"x-day": "sunday"})
        off_list = browser.post("/", json={"event_type": "admin:reset"})
    assert (on_sunday.status_code, off_list.status_code) == (403, 403)
    assert upstream_publishes(emulator) == []
