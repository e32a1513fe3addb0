"""The emulator's wire format, read as raw bytes with a plain httpx client."""

from __future__ import annotations

import json
import re
import threading
import time
import uuid as uuid_module
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from hot_typed._models._json import MAX_BODY_NESTING
from hot_typed.testing import HandlerEvent, HotEmulator, RunContext

from ._held import HeldRun

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
NANOS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$")


@pytest.fixture
def emu() -> Iterator[HotEmulator]:
    with HotEmulator(keepalive_interval=0.2, stream_time_limit=5) as emulator:
        yield emulator


@pytest.fixture
def http(emu: HotEmulator) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Bearer {emu.api_key}"}
    with httpx.Client(base_url=emu.base_url + "/v1", headers=headers, timeout=5) as client:
        yield client


def sse_blocks(response: httpx.Response) -> Iterator[str]:
    """Raw SSE blocks (text between blank lines), comments included."""
    buffer = ""
    for text in response.iter_text():
        buffer += text
        while "\n\n" in buffer:
            block, buffer = buffer.split("\n\n", 1)
            yield block


def event_of(block: str) -> tuple[str, dict[str, Any]]:
    """The name and data of a block framed as axum's `Event` writes one
    (`.event(name).data(json)`: no space after either colon)."""
    name_line, data_line = block.split("\n")
    assert re.match(r"event:[^ ]", name_line), name_line
    assert re.match(r"data:[^ ]", data_line), data_line
    return name_line[len("event:") :], json.loads(data_line[len("data:") :])


def test_item_envelope_has_meta_with_request_id_and_nanosecond_timestamp(
    http: httpx.Client,
) -> None:
    body = http.get("/env").json()
    assert set(body) == {"data", "meta"}
    assert UUID.match(body["meta"]["request_id"])
    assert NANOS.match(body["meta"]["timestamp"])
    assert UUID.match(body["data"]["env_id"])
    assert body["data"]["active"] is True


def test_publish_answers_201_with_the_event_and_lowercase_ids(http: httpx.Client) -> None:
    response = http.post("/events", json={"event_type": "user:created", "event_data": {"n": 1}})
    assert response.status_code == 201
    event = response.json()["data"]
    assert list(event) == [
        "event_id", "env_id", "stream_id", "event_type", "event_data", "event_time", "created_at"
    ]  # fmt: skip
    assert UUID.match(event["event_id"])
    assert NANOS.match(event["event_time"])
    assert event["event_data"] == {"n": 1}


def test_publish_continues_a_given_stream(http: httpx.Client) -> None:
    first = http.post("/events", json={"event_type": "a", "event_data": 1}).json()["data"]
    body = {"event_type": "a", "event_data": 2, "stream_id": first["stream_id"].upper()}
    second = http.post("/events", json=body).json()["data"]
    assert second["stream_id"] == first["stream_id"]


@pytest.mark.parametrize("event_type", ["hot:rerun", "hot:schedule", "hot:mcp:call"])
def test_reserved_event_types_are_forbidden(http: httpx.Client, event_type: str) -> None:
    response = http.post("/events", json={"event_type": event_type, "event_data": {}})
    assert response.status_code == 403
    error = response.json()["error"]
    assert error["code"] == "forbidden"
    assert UUID.match(error["request_id"])
    assert "retry_after" not in error


def test_hot_call_is_the_one_reserved_type_allowed(http: httpx.Client) -> None:
    body = {"event_type": "hot:call", "event_data": {"fn": "::x/y", "args": []}}
    assert http.post("/events", json=body).status_code == 201


def _publishing(event_data: str) -> bytes:
    return ('{"event_type":"user:signup","event_data":' + event_data + "}").encode()


def _arrays(depth: int) -> str:
    return "[" * depth + "]" * depth


# crates/hot_api/src/handlers/events.rs reads the body with axum's `Json`, that is
# serde_json: no NaN or Infinity token, no lone surrogate in a string, and at most
# MAX_BODY_NESTING levels of arrays and objects (the body's own object included).
UNREADABLE = {
    "one level too deep": _publishing(_arrays(MAX_BODY_NESTING)),
    "far too deep for Python": _publishing(_arrays(100_000)),
    "a lone surrogate": _publishing('{"note":"\\ud800"}'),
    "a lone surrogate key": _publishing('{"\\udc00":1}'),
    "NaN": _publishing('{"amount":NaN}'),
    "Infinity": _publishing("[-Infinity]"),
}


@pytest.mark.parametrize("body", UNREADABLE.values(), ids=list(UNREADABLE))
def test_a_body_the_servers_json_reader_refuses_is_its_400_not_an_emulator_failure(
    http: httpx.Client, body: bytes
) -> None:
    response = http.post("/events", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.text.startswith("Failed to parse the request body as JSON: ")


def test_a_body_at_the_servers_nesting_limit_is_read(http: httpx.Client) -> None:
    body = _publishing(_arrays(MAX_BODY_NESTING - 1))
    response = http.post("/events", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 201
    assert json.dumps(response.json()["data"]["event_data"]) == json.dumps(
        json.loads(_arrays(MAX_BODY_NESTING - 1))
    )


def test_unknown_resource_is_404_not_found_envelope(http: httpx.Client) -> None:
    response = http.get("/runs/6a1e8c1e-0000-4000-8000-000000000000")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert response.json()["error"]["message"] == "Run not found"


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "Bearer nope",
        "bearer {key}",  # auth.rs: `starts_with("Bearer ")`, exactly
        "Bearer  {key}",  # the token is the rest as sent: " <key>" is another
        "Bearer",
    ],
)
def test_a_credential_not_sent_exactly_as_bearer_is_a_bare_401(
    emu: HotEmulator, authorization: str | None
) -> None:
    # crates/hot_api/src/auth.rs answers `Err(StatusCode::UNAUTHORIZED)`:
    # no body, no error code.
    headers = {} if authorization is None else {"Authorization": authorization}
    headers = {k: v.format(key=emu.api_key) for k, v in headers.items()}
    response = httpx.get(emu.base_url + "/v1/env", headers=headers)
    assert (response.status_code, response.content) == (401, b"")
    assert "content-type" not in response.headers
    exact = {"Authorization": f"Bearer {emu.api_key}"}
    assert httpx.get(emu.base_url + "/v1/env", headers=exact).status_code == 200


def test_status_is_public(emu: HotEmulator) -> None:
    assert httpx.get(emu.base_url + "/status").json()["status"] == "ok"


def test_list_pagination_defaults_clamps_and_has_more(http: httpx.Client) -> None:
    for n in range(3):
        http.post("/projects", json={"name": f"p{n}"})
    body = http.get("/projects", params={"limit": 2}).json()
    assert body["pagination"] == {"total": 3, "limit": 2, "offset": 0, "has_more": True}
    assert len(body["data"]) == 2
    last = http.get("/projects", params={"limit": 2, "offset": 2}).json()
    assert last["pagination"]["has_more"] is False
    # Newest first (crates/hot/src/db/project.rs `ORDER BY active DESC, created_at DESC`).
    assert [p["name"] for p in last["data"]] == ["p0"]
    assert http.get("/projects").json()["pagination"]["limit"] == 20
    assert http.get("/projects", params={"limit": 9999}).json()["pagination"]["limit"] == 500
    assert http.get("/projects", params={"limit": 0}).json()["pagination"]["limit"] == 1


def test_delete_answers_204_without_body(http: httpx.Client) -> None:
    http.post("/projects", json={"name": "gone"})
    response = http.delete("/projects/gone")
    assert response.status_code == 204
    assert response.content == b""
    assert http.get("/projects/gone").status_code == 404


def test_run_result_is_absent_while_running_and_wrapped_when_done(
    emu: HotEmulator, http: httpx.Client
) -> None:
    release = threading.Event()

    @emu.on_event("slow")
    def slow(event: HandlerEvent, ctx: RunContext) -> Any:
        release.wait(5)
        return [1.5, None]

    event = http.post("/events", json={"event_type": "slow", "event_data": None}).json()["data"]
    [run] = http.get(f"/events/{event['event_id']}/runs").json()["data"]
    assert "result" not in run
    assert run["stop_time"] is None
    assert run["build_id"] is None
    assert "project_id" not in run
    release.set()
    deadline = time.monotonic() + 5
    while run["status"] == "running" and time.monotonic() < deadline:
        run = http.get(f"/runs/{run['run_id']}").json()["data"]
    assert run["status"] == "succeeded"
    assert run["result"] == [1.5, None]
    assert NANOS.match(run["stop_time"])


def test_sse_framing_event_line_one_data_line_and_type(http: httpx.Client) -> None:
    body = {"event_type": "greet", "event_data": {"text": "two\nlines"}}
    with http.stream("POST", "/streams/subscribe-with-event", json=body) as response:
        assert response.headers["content-type"] == "text/event-stream"
        events = []
        for block in sse_blocks(response):
            if block.startswith(":"):
                continue
            events.append(event_of(block))
            if events[-1][0] == "run:stop":
                break
    assert [name for name, _ in events] == ["event:published", "run:start", "run:stop"]
    assert all(data["type"] == name for name, data in events)
    assert events[2][1]["run"]["result"] == {"text": "two\nlines"}


def test_quiet_streams_send_the_keepalive_comment_of_their_endpoint(
    emu: HotEmulator, http: httpx.Client
) -> None:
    # axum's `KeepAlive::default()` sends an empty comment (streams.rs,
    # env.rs); runs.rs and tasks.rs set `.text("keepalive")`.
    stream_id = http.post("/events", json={"event_type": "a", "event_data": 1}).json()["data"][
        "stream_id"
    ]
    with http.stream("GET", f"/streams/{stream_id}/subscribe") as response:
        blocks = sse_blocks(response)
        names = [event_of(next(blocks))[0], event_of(next(blocks))[0]]
        assert names == ["run:start", "run:stop"]
        assert next(blocks) == ":"
    with http.stream("GET", "/env/subscribe") as response:
        assert next(sse_blocks(response)) == ":"

    held = HeldRun()
    tasks: list[str] = []

    @emu.on_event("slow")
    def slow(event: HandlerEvent, ctx: RunContext) -> Any:
        tasks.append(ctx.start_task("::bg/job").task_id)
        return held(event, ctx)

    http.post("/events", json={"event_type": "slow", "event_data": 1})
    run_id = held.running()
    for path in (f"/runs/{run_id}/subscribe", f"/tasks/{tasks[0]}/subscribe"):
        with http.stream("GET", path) as response:
            blocks = sse_blocks(response)
            event_of(next(blocks))  # the snapshot as it is now
            assert next(blocks) == ":keepalive"
    held.release()


def test_stream_time_limit_sends_stream_complete_and_closes() -> None:
    with HotEmulator(stream_time_limit=0.3) as emu:
        url = emu.base_url + "/v1/streams/subscribe-with-event"
        headers = {"Authorization": f"Bearer {emu.api_key}"}
        body = {"event_type": "a", "event_data": 1}
        started = time.monotonic()
        with httpx.stream("POST", url, json=body, headers=headers) as response:
            events = [event_of(b) for b in sse_blocks(response) if not b.startswith(":")]
        assert time.monotonic() - started < 3
    assert [name for name, _ in events][-1] == "stream:complete"
    assert events[-1][1] == {"type": "stream:complete", "stream_id": events[0][1]["stream_id"]}


def test_reconnect_replays_runs_and_tasks_but_never_stream_data(
    emu: HotEmulator, http: httpx.Client
) -> None:
    @emu.on_event("work")
    def work(event: HandlerEvent, ctx: RunContext) -> str:
        ctx.emit_text("hello")
        ctx.start_task("::bg/job").complete("done")
        return "ok"

    body = {"event_type": "work", "event_data": None}
    with http.stream("POST", "/streams/subscribe-with-event", json=body) as response:
        live = []
        for block in sse_blocks(response):
            if not block.startswith(":"):
                live.append(event_of(block))
            if live and live[-1][0] == "run:stop" and live[-1][1]["run"]["run_type"] != "task":
                break
    # The task is stored queued, then picked up, and executes as a run of its
    # own, started with it; that run's end is pushed before the task's is stored.
    assert [name for name, _ in live] == [
        "event:published", "run:start", "stream:data", "task:update", "task:update",
        "run:start", "run:stop", "task:update", "run:stop",
    ]  # fmt: skip
    assert [data["task"]["status"] for name, data in live if name == "task:update"] == [
        "queued", "running", "completed",
    ]  # fmt: skip
    task_run = live[5][1]["run"]
    assert (task_run["run_type"], task_run["event_id"], task_run["retry_attempt"]) == (
        "task", None, 0
    )
    assert task_run["origin_run_id"] == live[1][1]["run"]["run_id"]
    assert live[2][1]["data_type"] == "ai:delta"
    assert live[2][1]["payload"] == {"text": "hello"}
    stream_id = live[0][1]["stream_id"]
    with http.stream("GET", f"/streams/{stream_id}/subscribe") as response:
        replay = []
        for block in sse_blocks(response):
            if block.startswith(":"):
                break
            replay.append(event_of(block))
    # Newest run first, as crates/hot/src/db/run.rs `get_runs_by_stream` orders them.
    assert [(name, data.get("run", {}).get("run_type")) for name, data in replay] == [
        ("run:start", "task"), ("run:stop", "task"), ("run:start", "event"),
        ("run:stop", "event"), ("task:update", None),
    ]  # fmt: skip
    assert replay[4][1]["task"]["status"] == "completed"


def test_late_run_start_sends_a_runs_start_after_its_chunks_and_end_once_quiet() -> None:
    # crates/hot_api/src/handlers/streams.rs: `stream:data` and terminal events
    # are pushed at once, `run:start` comes from the database poll, which a
    # busy stream keeps putting off until it has been quiet a second; the poll
    # then reads the run as it ended.
    with HotEmulator(late_run_start=True, keepalive_interval=0.2) as emu:

        @emu.on_event("chat")
        def chat(event: HandlerEvent, ctx: RunContext) -> str:
            ctx.emit_text("Hel")
            ctx.emit_text("lo")
            return "Hello"

        headers = {"Authorization": f"Bearer {emu.api_key}"}
        with httpx.Client(base_url=emu.base_url + "/v1", headers=headers, timeout=5) as http:
            body = {"event_type": "chat", "event_data": None}
            with http.stream("POST", "/streams/subscribe-with-event", json=body) as response:
                live = []
                arrived: list[float] = []
                for block in sse_blocks(response):
                    if not block.startswith(":"):
                        live.append(event_of(block))
                        arrived.append(time.monotonic())
                    if live and live[-1][0] == "run:start":
                        break
            stream_id = live[0][1]["stream_id"]
            with http.stream("GET", f"/streams/{stream_id}/subscribe") as response:
                replay = [event_of(next(sse_blocks(response)))]

    assert [name for name, _ in live] == [
        "event:published", "stream:data", "stream:data", "run:stop", "run:start"
    ]  # fmt: skip
    assert [data["payload"]["text"] for name, data in live if name == "stream:data"] == [
        "Hel",
        "lo",
    ]
    assert live[4][1]["run"] == live[3][1]["run"]
    assert live[4][1]["run"]["status"] == "succeeded"
    assert arrived[4] - arrived[3] > 0.8
    # A run that ended before the connection is replayed start first, as ever.
    assert replay[0][0] == "run:start"


def test_unknown_stream_subscription_is_404_before_streaming(http: httpx.Client) -> None:
    response = http.get("/streams/6a1e8c1e-0000-4000-8000-000000000000/subscribe")
    assert response.status_code == 404
    assert response.json()["error"]["message"] == "Stream not found"


def test_run_subscription_sends_latest_snapshot_then_closes_when_terminal(
    http: httpx.Client,
) -> None:
    event = http.post("/events", json={"event_type": "a", "event_data": 7}).json()["data"]
    [run] = http.get(f"/events/{event['event_id']}/runs").json()["data"]
    with http.stream("GET", f"/runs/{run['run_id']}/subscribe") as response:
        events = [event_of(b) for b in sse_blocks(response) if not b.startswith(":")]
    statuses = [data["run"]["status"] for _, data in events]
    # Subscribed early or late, the last snapshot is the terminal one, then it closes.
    assert statuses in (["running", "succeeded"], ["succeeded"])
    assert {name for name, _ in events} == {"run:update"}


def test_late_run_start_comes_with_the_poll_once_a_quiet_run_has_run_a_second() -> None:
    # streams.rs: the poll (1 s, restarted by every pushed message) finds the
    # run and sends its `run:start` as it is then: still running.
    held = HeldRun("done")
    with HotEmulator(late_run_start=True, keepalive_interval=5) as emu:
        emu.on_event("slow")(held)
        headers = {"Authorization": f"Bearer {emu.api_key}"}
        with httpx.Client(base_url=emu.base_url + "/v1", headers=headers, timeout=5) as http:
            body = {"event_type": "slow", "event_data": None}
            with http.stream("POST", "/streams/subscribe-with-event", json=body) as response:
                blocks = sse_blocks(response)
                published = event_of(next(blocks))
                held.running()
                started_at = time.monotonic()
                start = event_of(next(blocks))
                waited = time.monotonic() - started_at
                held.release()
                stop = event_of(next(blocks))

    assert published[0] == "event:published"
    assert (start[0], start[1]["run"]["status"]) == ("run:start", "running")
    assert 0.5 < waited < 3
    assert (stop[0], stop[1]["run"]["result"]) == ("run:stop", "done")


def test_late_run_start_sends_the_runs_one_poll_finds_newest_first() -> None:
    # streams.rs: the poll reads `get_runs_by_stream`, `start_time DESC`.
    first, second = HeldRun("a"), HeldRun("b")
    with HotEmulator(late_run_start=True, keepalive_interval=5) as emu:
        emu.on_event("first")(first)
        emu.on_event("second")(second)
        tick = emu.client().events.publish({"event_type": "tick", "event_data": 1})
        stream_id = str(tick.stream_id)
        headers = {"Authorization": f"Bearer {emu.api_key}"}
        with (
            httpx.Client(base_url=emu.base_url + "/v1", headers=headers, timeout=5) as http,
            http.stream("GET", f"/streams/{stream_id}/subscribe") as response,
        ):
            blocks = sse_blocks(response)
            replayed = [event_of(next(blocks)) for _ in range(2)]
            for event_type, held in (("first", first), ("second", second)):
                body = {"event_type": event_type, "event_data": None, "stream_id": stream_id}
                http.post("/events", json=body).raise_for_status()
                held.running()
            starts = [event_of(next(blocks)) for _ in range(2)]
            first.release()
            second.release()

    assert [name for name, _ in replayed] == ["run:start", "run:stop"]
    assert [name for name, _ in starts] == ["run:start", "run:start"]
    assert [data["run"]["run_id"] for _, data in starts] == [second.running(), first.running()]


def _env_events(
    http: httpx.Client, start: Any, last: str, count: int = 1
) -> list[tuple[str, dict[str, Any]]]:
    """What the env stream sends, from subscribing until the `count`th `last`
    event, while `start` runs in a thread."""
    events: list[tuple[str, dict[str, Any]]] = []
    with http.stream("GET", "/env/subscribe") as response:
        threading.Thread(target=start, daemon=True).start()
        for block in sse_blocks(response):
            if not block.startswith(":"):
                events.append(event_of(block))
                if [name for name, _ in events].count(last) == count:
                    return events
    raise AssertionError(f"the env stream ended before {last}: {events}")


def test_env_subscription_announces_only_what_hot_workers_publish(
    emu: HotEmulator, http: httpx.Client
) -> None:
    # Of the EnvEvents crates/hot/src/stream/mod.rs declares, only these are
    # published: an event handler's run end (crates/hot_worker/src/server.rs)
    # and a task's start and end (crates/hot_task_worker/src/lib.rs). No run
    # start, event or stream, and no run end for the run a task executes as.
    tasks: list[str] = []

    @emu.on_event("job:go")
    def go(event: HandlerEvent, ctx: RunContext) -> str:
        tasks.append(ctx.start_task("::bg/job").task_id)
        return "queued"

    events: list[tuple[str, dict[str, Any]]] = []
    with http.stream("GET", "/env/subscribe") as response:
        http.post("/events", json={"event_type": "job:go", "event_data": 1})
        for block in sse_blocks(response):
            if not block.startswith(":"):
                events.append(event_of(block))
                if events[-1][0] == "run:stop":
                    # The handler's run is over: now its task's run ends.
                    emu.task(tasks[0]).complete("done")
                if events[-1][0] == "task:complete":
                    break
    assert [name for name, _ in events] == ["task:started", "run:stop", "task:complete"]
    run_stop = events[1][1]
    assert set(run_stop) == {
        "type", "run_id", "env_id", "stream_id", "event_id", "project_id", "fn_name",
        "run_type", "duration_ms",
    }  # fmt: skip
    # `duration_ms: None // Duration is tracked by the run record`.
    assert (run_stop["run_type"], run_stop["duration_ms"]) == ("event", None)
    assert http.get(f"/runs/{run_stop['run_id']}").json()["data"]["run_type"] == "event"


def test_env_subscription_writes_a_failure_as_hot_displays_it_and_a_cancellation_by_its_msg(
    emu: HotEmulator, http: httpx.Client
) -> None:
    # crates/hot_worker/src/server.rs: `error: result.unwrap_err().map(|v|
    # v.to_string())`, the failure value's Display (crates/hot/src/val.rs), and
    # `reason` the cancellation's `msg`; both texts, never the run's result.
    def fails(event: HandlerEvent, ctx: RunContext) -> Any:
        raise RuntimeError('out of "stock"')

    emu.on_event("order:placed")(fails)
    failed = _env_events(
        http,
        lambda: http.post("/events", json={"event_type": "order:placed", "event_data": 1}),
        "run:fail",
    )[-1][1]
    assert failed["error"] == 'Failure({"msg": "out of "stock"", "err": null})'
    assert "reason" not in failed

    held = HeldRun()

    def cancel_when_running() -> None:
        http.post("/events", json={"event_type": "order:held", "event_data": 1})
        emu.cancel_run(held.running())
        held.release()

    emu.on_event("order:held")(held)
    cancelled = _env_events(http, cancel_when_running, "run:cancel")[-1][1]
    assert cancelled["reason"] == "cancelled"
    assert "error" not in cancelled


def test_env_subscription_announces_each_failed_attempt_of_a_retried_handler(
    emu: HotEmulator, http: httpx.Client
) -> None:
    # The worker announces a failure before the scheduler decides on a retry
    # (crates/hot_worker/src/server.rs), so an attempt left `pending_retry`
    # is a `run:fail` there too, though its own stream says `run:stop`.
    def fails(event: HandlerEvent, ctx: RunContext) -> Any:
        raise RuntimeError(f"attempt {ctx.retry_attempt}")

    emu.on_event("job:flaky", retry=1, retry_delay=0)(fails)
    events = _env_events(
        http,
        lambda: http.post("/events", json={"event_type": "job:flaky", "event_data": 1}),
        "run:fail",
        count=2,
    )
    first, second = (data for _, data in events)
    assert first["error"] == 'Failure({"msg": "attempt 0", "err": null})'
    assert second["error"] == 'Failure({"msg": "attempt 1", "err": null})'
    assert http.get(f"/runs/{first['run_id']}").json()["data"]["status"] == "failed"
    assert http.get(f"/runs/{second['run_id']}").json()["data"]["origin_run_id"] == first["run_id"]


def test_a_stream_subscription_is_checked_in_the_servers_order(
    emu: HotEmulator, http: httpx.Client
) -> None:
    # crates/hot_api/src/handlers/streams.rs subscribe_to_stream: the stream
    # (404), then the credential's read permission (403), then `?project=` (404).
    stream_id = http.post("/events", json={"event_type": "a", "event_data": 1}).json()["data"][
        "stream_id"
    ]
    session = http.post("/sessions", json={"permissions": {"event:*": ["create"]}}).json()
    unread = {"Authorization": f"Bearer {session['data']['token']}"}
    nowhere = {"project": "no-such-project"}

    def refusal(path: str, headers: dict[str, str] | None = None) -> tuple[int, str]:
        with http.stream("GET", path, params=nowhere, headers=headers) as response:
            response.read()
        return response.status_code, response.json()["error"]["message"]

    missing = f"/streams/{uuid_module.uuid4()}/subscribe"
    assert refusal(missing) == (404, "Stream not found")
    assert refusal(f"/streams/{stream_id}/subscribe", unread) == (
        403,
        "Credential does not have read access to this stream",
    )
    assert refusal(f"/streams/{stream_id}/subscribe") == (404, "Project not found")


_ROW_NOT_FOUND = "no rows returned by a query that expected to return at least one row"
_MISSING = "6a1e8c1e-0000-4000-8000-000000000000"


_FILE = f"File: File not found: {_ROW_NOT_FOUND} not found"
_UPLOAD = f"Upload: Upload not found: {_ROW_NOT_FOUND} not found"


# crates/hot_api/src/handlers/files.rs wraps the database's error:
# `not_found(&format!("File: {}", e))`, e "File not found: <sqlx error>".
@pytest.mark.parametrize(
    ("method", "path", "message"),
    [
        pytest.param("GET", f"/files/{_MISSING}", _FILE, id="get-file"),
        pytest.param("GET", f"/files/{_MISSING}/download", _FILE, id="download"),
        pytest.param("DELETE", f"/files/{_MISSING}", _FILE, id="delete-file"),
        pytest.param("PUT", f"/files/uploads/{_MISSING}/1", _UPLOAD, id="upload-part"),
        pytest.param("POST", f"/files/uploads/{_MISSING}/complete", _UPLOAD, id="complete"),
        pytest.param("DELETE", f"/files/uploads/{_MISSING}", _UPLOAD, id="abort"),
    ],
)
def test_a_missing_file_or_upload_is_named_in_the_servers_words(
    http: httpx.Client, method: str, path: str, message: str
) -> None:
    response = http.request(method, path, content=b"x" if method == "PUT" else None)
    assert (response.status_code, response.json()["error"]["message"]) == (404, message)


def _duplicate_context_key(http: httpx.Client) -> httpx.Response:
    http.post("/projects", json={"name": "shop"})
    http.post("/projects/shop/context", json={"key": "k", "value": "v"})
    return http.post("/projects/shop/context", json={"key": "k", "value": "v"})


def _completing_an_empty_upload(http: httpx.Client) -> httpx.Response:
    upload = http.post("/files/uploads", json={"path": "a.txt"}).json()["data"]
    return http.post(f"/files/uploads/{upload['upload_id']}/complete")


@pytest.mark.parametrize(
    ("send", "reason"),
    [
        pytest.param(
            lambda http: http.get("/projects", params={"offset": -1}),
            "OFFSET must not be negative",
            id="negative-offset",
        ),
        pytest.param(
            lambda http: http.post("/events", json={"event_type": "a\u0000", "event_data": 1}),
            'invalid byte sequence for encoding "UTF8": 0x00',
            id="nul-stored",
        ),
        pytest.param(
            _duplicate_context_key,
            "duplicate key value violates unique constraint",
            id="duplicate-context-key",
        ),
        pytest.param(
            lambda http: http.put("/files/upload/f..b", content=b"x"),
            "Failed to write file",
            id="path-refused-by-storage",
        ),
        pytest.param(
            _completing_an_empty_upload, "Failed to complete upload", id="empty-upload"
        ),
    ],
)
def test_every_internal_error_says_only_what_the_server_says_and_logs_its_reason(
    http: httpx.Client, caplog: pytest.LogCaptureFixture, send: Any, reason: str
) -> None:
    # crates/hot_api/src/models.rs `internal_error`: the message given is only
    # logged; the answer always says "An internal server error occurred".
    response = send(http)
    error = response.json()["error"]
    assert (response.status_code, error["code"], error["message"]) == (
        500,
        "internal_server_error",
        "An internal server error occurred",
    )
    assert reason in caplog.text


def test_rate_limit_fault_sets_retry_after_in_body_and_header(
    emu: HotEmulator, http: httpx.Client
) -> None:
    emu.faults.rate_limit(retry_after=3)
    response = http.get("/env")
    assert response.status_code == 429
    assert response.headers["retry-after"] == "3"
    assert response.json()["error"]["code"] == "rate_limit_exceeded"
    assert response.json()["error"]["retry_after"] == 3
    assert http.get("/env").status_code == 200


def test_fail_next_applies_to_matching_path_only_and_counts_down(
    emu: HotEmulator, http: httpx.Client
) -> None:
    emu.faults.fail_next(503, times=2, path="/runs")
    assert http.get("/env").status_code == 200
    assert http.get("/runs").status_code == 503
    assert http.get("/runs").json()["error"]["code"] == "internal_server_error"
    assert http.get("/runs").status_code == 200


def test_delay_fault_holds_the_response(emu: HotEmulator, http: httpx.Client) -> None:
    emu.faults.delay(0.3)
    started = time.monotonic()
    http.get("/env")
    assert time.monotonic() - started >= 0.3
    started = time.monotonic()
    http.get("/env")
    assert time.monotonic() - started < 0.3


def test_lose_answer_fault_carries_out_the_request_then_cuts_the_connection(
    emu: HotEmulator, http: httpx.Client
) -> None:
    emu.faults.lose_answer(path="/events", method="POST")
    assert http.get("/events").status_code == 200
    with pytest.raises(httpx.RemoteProtocolError):
        http.post("/events", json={"event_type": "a:b", "event_data": 1})
    assert http.post("/events", json={"event_type": "a:b", "event_data": 2}).status_code == 201
    published = http.get("/events").json()["data"]
    assert sorted(event["event_data"] for event in published) == [1, 2]


def test_drop_stream_fault_cuts_the_connection_after_n_events(
    emu: HotEmulator, http: httpx.Client
) -> None:
    emu.faults.drop_stream(after_events=1)
    body = {"event_type": "a", "event_data": 1}
    received: list[str] = []

    def follow() -> None:
        with http.stream("POST", "/streams/subscribe-with-event", json=body) as response:
            received.extend(event_of(block)[0] for block in sse_blocks(response))

    with pytest.raises(httpx.RemoteProtocolError):
        follow()
    assert received == ["event:published"]


def test_multipart_form_build_upload_and_raw_download(http: httpx.Client) -> None:
    http.post("/projects", json={"name": "app"})
    files = {"file": ("build.zip", b"PK\x03\x04archive")}
    response = http.post("/projects/app/builds", files=files, data={"hash": "abc"})
    assert response.status_code == 201
    upload = response.json()["data"]
    assert set(upload) == {
        "build_id", "project_id", "hash", "size", "storage_path", "storage_backend", "created_at"
    }  # fmt: skip
    download = http.get(f"/projects/app/builds/{upload['build_id']}/download")
    assert download.content == b"PK\x03\x04archive"


def test_percent_encoded_segments_stay_inside_their_segment(http: httpx.Client) -> None:
    http.post("/projects", json={"name": "app"})
    http.post("/projects/app/context", json={"key": "a/b?c", "value": "secret"})
    response = http.put("/projects/app/context/a%2Fb%3Fc", json={"value": "new"})
    assert response.status_code == 200
    assert response.json()["data"]["key"] == "a/b?c"
    assert "value" not in response.json()["data"]


def test_subscribe_with_event_on_an_existing_stream_replays_its_runs_after_published(
    http: httpx.Client,
) -> None:
    first = http.post("/events", json={"event_type": "a", "event_data": 1}).json()["data"]
    runs_url = f"/events/{first['event_id']}/runs"
    deadline = time.monotonic() + 5
    while http.get(runs_url).json()["data"][0]["stop_time"] is None:
        assert time.monotonic() < deadline
    body = {"event_type": "a", "event_data": 2, "stream_id": first["stream_id"]}
    with http.stream("POST", "/streams/subscribe-with-event", json=body) as response:
        events = []
        for block in sse_blocks(response):
            if not block.startswith(":"):
                events.append(event_of(block))
            stops = [data for name, data in events if name == "run:stop"]
            if len(stops) == 2:
                break
    assert events[0][0] == "event:published"
    assert events[0][1]["stream_id"] == first["stream_id"]
    replayed = [(name, data["run"]["event_id"]) for name, data in events[1:3]]
    assert replayed == [("run:start", first["event_id"]), ("run:stop", first["event_id"])]


def test_post_subscribe_is_the_same_stream_as_get(http: httpx.Client) -> None:
    event = http.post("/events", json={"event_type": "a", "event_data": 1}).json()["data"]
    with http.stream("POST", f"/streams/{event['stream_id']}/subscribe") as response:
        blocks = sse_blocks(response)
        names = [event_of(next(blocks))[0], event_of(next(blocks))[0]]
    assert names == ["run:start", "run:stop"]


def test_invalid_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="positive"):
        HotEmulator(keepalive_interval=0)
    with pytest.raises(ValueError, match="min_part_size"):
        HotEmulator(part_size=4, min_part_size=8)


def test_creates_answer_201_and_other_writes_200(http: httpx.Client) -> None:
    perms = {"run:*": ["read"]}
    assert http.post("/projects", json={"name": "app"}).status_code == 201
    assert http.post("/projects/app/context", json={"key": "K", "value": "1"}).status_code == 201
    assert http.post("/domains", json={"domain": "x.example.com"}).status_code == 201
    assert http.post("/sessions", json={"permissions": perms}).status_code == 201
    assert http.post("/service-keys", json={"permissions": perms}).status_code == 201
    assert http.post("/files/uploads", json={"path": "a"}).status_code == 201
    assert http.put("/files/upload/b", content=b"x").status_code == 200
    assert http.patch("/projects/app", json={"name": "app2"}).status_code == 200
    assert http.put("/projects/app2/context/K", json={"value": "2"}).status_code == 200


def test_credential_tokens_appear_only_in_the_create_answer(http: httpx.Client) -> None:
    created = http.post("/service-keys", json={"permissions": {"run:*": ["read"]}}).json()
    key = created["data"]
    assert key["token"]
    assert key["name"] is None
    assert key["description"] is None
    assert "metadata" not in key
    assert "expires_at" not in key
    listed = http.get("/service-keys").json()["data"]
    assert "token" not in listed[0]
    assert key["token"] not in json.dumps(http.get(f"/service-keys/{key['service_key_id']}").json())


def test_unknown_route_is_404_and_wrong_method_405(http: httpx.Client) -> None:
    assert http.get("/nothing/here").status_code == 404
    assert http.delete("/runs/stats").status_code == 405


def _upload(emu: HotEmulator, http: httpx.Client, expected_size: int | None) -> str:
    body: dict[str, Any] = {"path": "big.bin"}
    if expected_size is not None:
        body["expected_size"] = expected_size
    upload = http.post("/files/uploads", json=body).json()["data"]
    assert upload["part_size"] == emu.config.part_size
    return str(upload["upload_id"])


def _error(response: httpx.Response) -> tuple[int, str]:
    return response.status_code, response.json()["error"]["code"]


def test_multipart_parts_are_refused_as_files_rs_refuses_them() -> None:
    with HotEmulator(part_size=8, min_part_size=4) as emu, httpx.Client(
        base_url=emu.base_url + "/v1", headers={"Authorization": f"Bearer {emu.api_key}"}
    ) as http:
        sized = _upload(emu, http, 20)  # parts 1, 2 of 8 bytes, then a final 3
        assert _error(http.put(f"/files/uploads/{sized}/1", content=b"x")) == (
            400,
            "part_too_small",
        )
        assert _error(http.put(f"/files/uploads/{sized}/1", content=b"x" * 9)) == (
            413,
            "part_too_large",
        )
        assert _error(http.put(f"/files/uploads/{sized}/4", content=b"x")) == (400, "bad_request")
        assert http.put(f"/files/uploads/{sized}/1", content=b"x" * 8).status_code == 200
        # An announced upload completes only with all its parts and bytes.
        assert _error(http.post(f"/files/uploads/{sized}/complete")) == (409, "upload_incomplete")
        # The final part of an announced upload may exceed the part size.
        assert http.put(f"/files/uploads/{sized}/3", content=b"x" * 9).status_code == 200
        unsized = _upload(emu, http, None)
        assert _error(http.put(f"/files/uploads/{unsized}/2", content=b"x" * 9)) == (
            413,
            "part_too_large",
        )


@pytest.mark.parametrize(
    ("path", "param"),
    [
        ("/runs/run-1", "run_id"),
        ("/tasks/x", "task_id"),
        ("/events/1", "event_id"),
        ("/files/a.txt", "file_id"),
        ("/service-keys/k", "service_key_id"),
        ("/domains/d", "domain_id"),
    ],
)
def test_an_id_that_is_not_a_uuid_is_axums_plain_400(
    http: httpx.Client, path: str, param: str
) -> None:
    # The server's handlers take these ids as Path<Uuid>: axum refuses the rest,
    # naming the route's parameter and the value.
    response = http.get(path)
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("text/plain")
    value = path.rsplit("/", 1)[1]
    assert response.text.startswith(
        f"Invalid URL: Cannot parse `{param}` with value `{value}`: UUID parsing failed: "
    )


def test_a_uuid_id_is_found_in_any_spelling(http: httpx.Client) -> None:
    event = http.post("/events", json={"event_type": "a", "event_data": 1}).json()["data"]
    spelled = uuid_module.UUID(event["event_id"]).hex.upper()
    assert http.get(f"/events/{spelled}").json()["data"]["event_id"] == event["event_id"]


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        # crates/hot/src/file_storage.rs `detect_content_type`, by extension only.
        pytest.param("app.js", "application/javascript", id="js"),
        pytest.param("main.hot", "text/x-hot", id="hot"),
        pytest.param("logs/a.tar.gz", "application/gzip", id="last-extension"),
        pytest.param("PHOTO.JPG", "image/jpeg", id="lowercased"),
        pytest.param("notes.foo", "application/octet-stream", id="unlisted"),
        pytest.param("name.", "application/octet-stream", id="empty-extension"),
        pytest.param(".a.x", "application/octet-stream", id="leading-dot-and-extension"),
        # Rust's `Path::extension`: none without a dot, or with only a leading one.
        pytest.param("README", None, id="no-dot"),
        pytest.param("dir.d/README", None, id="dot-in-directory-only"),
        pytest.param(".env", None, id="leading-dot-only"),
    ],
)
def test_a_file_stored_without_a_type_gets_the_servers_type_for_its_extension(
    http: httpx.Client, path: str, content_type: str | None
) -> None:
    stored = http.put(f"/files/upload/{path}", content=b"x").json()["data"]
    assert stored["content_type"] == content_type


@pytest.mark.parametrize("path", ["/v1/no-such-thing", "/v1/runs/a/b/c", "/elsewhere"])
@pytest.mark.parametrize("credentials", [False, True], ids=["anonymous", "authenticated"])
def test_an_unknown_path_is_a_bare_404_before_any_authentication(
    emu: HotEmulator, path: str, credentials: bool
) -> None:
    # crates/hot_api/src/server.rs: no fallback route, and authentication is a
    # `route_layer`, run for matched routes only.
    headers = {"Authorization": f"Bearer {emu.api_key}"} if credentials else {}
    response = httpx.get(emu.base_url + path, headers=headers)
    assert (response.status_code, response.content) == (404, b"")
    assert httpx.get(emu.base_url + "/v1/runs").status_code == 401


def test_a_build_upload_is_checked_in_the_servers_order(
    emu: HotEmulator, http: httpx.Client
) -> None:
    # crates/hot_api/src/handlers/builds.rs upload_build: axum's `Multipart`
    # extractor first (a plain-text 400, before any credential check), then the
    # API key, then the project, then the form's fields.
    session = http.post("/sessions", json={"permissions": {"event:*": ["create"]}}).json()
    as_session = {"Authorization": f"Bearer {session['data']['token']}"}
    not_multipart = http.post("/projects/shop/builds", json={}, headers=as_session)
    assert (not_multipart.status_code, not_multipart.text) == (
        400,
        "Invalid `boundary` for `multipart/form-data` request",
    )
    assert not_multipart.headers["content-type"].startswith("text/plain")
    fieldless: dict[str, Any] = {"other": ("x", b"x")}
    refused = http.post("/projects/shop/builds", headers=as_session, files=fieldless)
    assert refused.status_code == 403
    missing = http.post("/projects/shop/builds", files=fieldless)
    assert (missing.status_code, missing.json()["error"]["message"]) == (404, "Project not found")
    http.post("/projects", json={"name": "shop"})
    no_hash = http.post("/projects/shop/builds", files={"file": ("b.zip", b"zip")})
    assert no_hash.json()["error"]["message"] == "Missing required field: hash"

    # A build id uploaded again answers that upload, marked.
    build_id = str(uuid_module.uuid4())
    form: dict[str, Any] = {
        "file": ("b.zip", b"zip"),
        "hash": (None, "h"),
        "build_id": (None, build_id),
    }
    first = http.post("/projects/shop/builds", files=form)
    again = http.post("/projects/shop/builds", files=form)
    assert (first.status_code, "x-build-exists" in first.headers) == (201, False)
    assert (again.status_code, again.headers["x-build-exists"]) == (200, "true")
    assert again.json()["data"] == first.json()["data"]
