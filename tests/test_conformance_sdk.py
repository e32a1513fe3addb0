"""The emulator driven by the official `hot-dev` SDK, a client written elsewhere.

If the emulator's wire format drifted from the server's, this SDK (which only
knows the server) would fail here.
"""

from __future__ import annotations

import threading
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import hot
import pytest

from hot_typed.testing import HandlerEvent, HotEmulator, RunContext

MIB = 1024 * 1024


def register_demo_handlers(emu: HotEmulator) -> list[str]:
    """Handlers used below; returns the list task ids are appended to."""
    tasks: list[str] = []

    @emu.on_call("::math/add")
    def add(event: HandlerEvent, ctx: RunContext) -> Any:
        return sum(event.args)

    @emu.on_call("::chat/reply")
    def reply(event: HandlerEvent, ctx: RunContext) -> str:
        words = ["Hi", " there", "!"]
        for word in words:
            ctx.emit_text(word)
        return "".join(words)

    @emu.on_call("::fail/always")
    def fail(event: HandlerEvent, ctx: RunContext) -> None:
        raise RuntimeError("boom")

    @emu.on_event("report:requested")
    def report(event: HandlerEvent, ctx: RunContext) -> str:
        task = ctx.start_task("::reports/build")
        tasks.append(task.task_id)
        threading.Timer(0.1, task.complete, args=({"pages": 2},)).start()
        return "queued"

    return tasks


@pytest.fixture
def emu() -> Iterator[HotEmulator]:
    with HotEmulator(part_size=5 * MIB) as emulator:
        yield emulator


@pytest.fixture
def sdk(emu: HotEmulator) -> Iterator[Any]:
    with hot.HotClient(token=emu.api_key, base_url=emu.base_url, timeout=10) as client:
        yield client


@pytest.fixture
async def async_sdk(emu: HotEmulator) -> AsyncIterator[Any]:
    async with hot.AsyncHotClient(token=emu.api_key, base_url=emu.base_url, timeout=10) as client:
        yield client


def test_sdk_publish_and_read_back(sdk: Any) -> None:
    event = sdk.events.publish({"event_type": "user:signup", "event_data": {"id": 7}})
    assert sdk.events.get(event["event_id"]) == event
    listed = sdk.events.list(limit=5)
    assert listed["pagination"]["total"] == 1
    assert listed["data"] == [event]
    runs = sdk.events.get_runs(event["event_id"])["data"]
    assert len(runs) == 1
    assert runs[0]["event_id"] == event["event_id"]


def test_sdk_subscribe_with_event_streams_until_run_stop(emu: HotEmulator, sdk: Any) -> None:
    register_demo_handlers(emu)
    body = {"event_type": "hot:call", "event_data": {"fn": "::chat/reply", "args": []}}
    events = list(sdk.streams.subscribe_with_event(body))
    types = [e["type"] for e in events]
    assert types == ["event:published", "run:start", *["stream:data"] * 3, "run:stop"]
    assert (
        "".join(e["payload"]["text"] for e in events if e["type"] == "stream:data") == "Hi there!"
    )
    assert events[-1]["run"]["result"] == "Hi there!"
    assert events[-1]["run"]["event_id"] == events[0]["event_id"]


def test_sdk_call_hot_unwraps_ok_and_streams_chunks(emu: HotEmulator, sdk: Any) -> None:
    register_demo_handlers(emu)
    assert sdk.events.call_hot("::math/add", [1, 2, 3]) == 6
    chunks: list[str] = []
    assert sdk.events.call_hot("::chat/reply", on_chunk=chunks.append) == "Hi there!"
    assert chunks == ["Hi", " there", "!"]


def test_sdk_call_hot_of_a_failing_or_unknown_function_raises(emu: HotEmulator, sdk: Any) -> None:
    register_demo_handlers(emu)
    with pytest.raises(RuntimeError, match="boom"):
        sdk.events.call_hot("::fail/always")
    with pytest.raises(RuntimeError, match="::no/such"):
        sdk.events.call_hot("::no/such")


def test_sdk_runs_list_get_stats_and_wait(emu: HotEmulator, sdk: Any) -> None:
    register_demo_handlers(emu)
    sdk.events.call_hot("::math/add", [1])
    with pytest.raises(RuntimeError):
        sdk.events.call_hot("::fail/always")
    failed = sdk.runs.list(status="failed")["data"]
    assert [r["result"] for r in failed] == [{
        "$type": "::hot::run/Failure",
        "$val": {"msg": "boom", "err": None},
    }]
    assert len(sdk.runs.list(type="call", time_range="P7D")["data"]) == 2
    assert sdk.runs.stats() == {
        "total_runs": 2, "running": 0, "succeeded": 1, "failed": 1, "cancelled": 0
    }  # fmt: skip
    [succeeded] = sdk.runs.list(status="succeeded")["data"]
    assert sdk.runs.get(succeeded["run_id"]) == succeeded
    assert sdk.runs.wait(succeeded["run_id"], timeout=5)["result"] == 1
    with pytest.raises(hot.HotRunError, match="boom"):
        sdk.runs.wait(failed[0]["run_id"], timeout=5)


def test_sdk_tasks_wait_for_completion(emu: HotEmulator, sdk: Any) -> None:
    tasks = register_demo_handlers(emu)
    events = list(
        sdk.streams.subscribe_with_event({"event_type": "report:requested", "event_data": {}})
    )
    assert events[-1]["type"] == "run:stop"
    [task_id] = tasks
    task = sdk.tasks.wait(task_id, timeout=5)
    assert task["status"] == "completed"
    assert task["result"] == {"pages": 2}
    assert sdk.tasks.get(task_id) == task


def test_sdk_files_simple_and_multipart_round_trip(sdk: Any) -> None:
    stored = sdk.files.upload("docs/read me.txt", b"hello", content_type="text/plain")
    assert stored["path"] == "docs/read me.txt"
    assert sdk.files.download(stored["file_id"]).content == b"hello"
    assert [f["path"] for f in sdk.files.list(prefix="docs/")["data"]] == ["docs/read me.txt"]

    content = bytes(range(256)) * (5 * MIB // 256) + b"tail"
    upload = sdk.files.initiate_upload({"path": "big/data.bin", "expected_size": len(content)})
    assert upload["part_size"] == 5 * MIB
    assert upload["parts_expected"] == 2
    first = sdk.files.upload_part(upload["upload_id"], 1, content[: 5 * MIB])
    assert first["size"] == 5 * MIB
    sdk.files.upload_part(upload["upload_id"], 2, content[5 * MIB :])
    big = sdk.files.complete_upload(upload["upload_id"])
    assert big["size"] == len(content)
    assert sdk.files.download(big["file_id"]).content == content
    sdk.files.delete(big["file_id"])
    with pytest.raises(hot.HotApiError) as caught:
        sdk.files.get(big["file_id"])
    assert caught.value.status_code == 404


def test_sdk_small_non_final_part_is_refused(sdk: Any) -> None:
    upload = sdk.files.initiate_upload({"path": "x.bin", "expected_size": 6 * MIB})
    with pytest.raises(hot.HotApiError) as caught:
        sdk.files.upload_part(upload["upload_id"], 1, b"too small")
    assert caught.value.status_code == 400
    assert caught.value.code == "part_too_small"


def test_sdk_errors_not_found_and_forbidden(sdk: Any) -> None:
    with pytest.raises(hot.HotApiError) as missing:
        sdk.projects.get("nope")
    assert (missing.value.status_code, missing.value.code) == (404, "not_found")
    assert missing.value.request_id
    with pytest.raises(hot.HotApiError) as forbidden:
        sdk.events.publish({"event_type": "hot:schedule", "event_data": {}})
    assert (forbidden.value.status_code, forbidden.value.code) == (403, "forbidden")


def test_sdk_retries_a_429_after_retry_after(emu: HotEmulator, sdk: Any) -> None:
    emu.faults.rate_limit(retry_after=1, path="/env")
    assert sdk.env.get()["name"] == "emulator"
    assert [r.path for r in emu.requests] == ["/v1/env", "/v1/env"]


def test_sdk_reads_429_code_and_retry_after_header(emu: HotEmulator, sdk: Any) -> None:
    emu.faults.rate_limit(retry_after=0, times=1)
    with pytest.raises(hot.HotApiError) as caught:
        sdk.org.usage()
    assert caught.value.status_code == 429
    assert caught.value.code == "rate_limit_exceeded"
    assert caught.value.headers["retry-after"] == "0"


def test_sdk_subscribe_with_event_reconnects_after_a_dropped_stream(
    emu: HotEmulator, sdk: Any
) -> None:
    release = threading.Event()

    @emu.on_event("slow")
    def slow(event: HandlerEvent, ctx: RunContext) -> str:
        release.wait(5)
        return "done"

    emu.faults.drop_stream(after_events=2, path="/streams/subscribe-with-event")
    threading.Timer(0.3, release.set).start()
    events = list(sdk.streams.subscribe_with_event({"event_type": "slow", "event_data": None}))
    assert [e["type"] for e in events] == ["event:published", "run:start", "run:stop"]
    assert events[-1]["run"]["result"] == "done"


async def test_async_sdk_call_publish_stream_and_wait(emu: HotEmulator, async_sdk: Any) -> None:
    tasks = register_demo_handlers(emu)
    chunks: list[str] = []
    assert await async_sdk.events.call_hot("::chat/reply", on_chunk=chunks.append) == "Hi there!"
    assert chunks == ["Hi", " there", "!"]
    body = {"event_type": "report:requested", "event_data": {}}
    events = [e async for e in async_sdk.streams.subscribe_with_event(body)]
    assert events[-1]["run"]["result"] == "queued"
    assert (await async_sdk.tasks.wait(tasks[0], timeout=5))["status"] == "completed"
    run = await async_sdk.runs.wait(events[-1]["run"]["run_id"], timeout=5)
    assert run["status"] == "succeeded"


async def test_async_sdk_files_and_errors(emu: HotEmulator, async_sdk: Any) -> None:
    stored = await async_sdk.files.upload("a/b.bin", b"\x00\x01")
    assert (await async_sdk.files.download(stored["file_id"])).content == b"\x00\x01"
    with pytest.raises(hot.HotApiError) as caught:
        await async_sdk.runs.get("00000000-0000-4000-8000-000000000000")
    assert caught.value.status_code == 404
    emu.faults.rate_limit(retry_after=1, path="/runs/stats")
    assert (await async_sdk.runs.stats())["total_runs"] == 0


def test_sdk_env_subscription_receives_flat_run_events(emu: HotEmulator, sdk: Any) -> None:
    events: list[dict[str, Any]] = []

    def follow() -> None:
        for event in sdk.env.subscribe():
            events.append(event)
            if event["type"] == "run:stop":
                return

    listener = threading.Thread(target=follow, daemon=True)
    listener.start()
    # Publish until the listener, subscribed at some point, has seen a run end.
    published: list[str] = []
    deadline = time.monotonic() + 5
    while listener.is_alive() and time.monotonic() < deadline:
        published.append(sdk.events.publish({"event_type": "a", "event_data": 1})["event_id"])
        listener.join(0.1)
    assert not listener.is_alive()
    assert events[-1]["type"] == "run:stop"
    assert events[-1]["event_id"] in published
    assert events[-1]["run_type"] == "event"
    assert all(not isinstance(value, dict | list) for value in events[-1].values())
