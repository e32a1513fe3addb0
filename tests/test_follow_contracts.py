"""What the stream followers promise in detail: exact messages, the attempt chain of
retried runs, the headers and time bounds of every connection a waiter opens."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from typing import Any
from uuid import uuid4

import pydantic
import pytest

from hot_typed import (
    EventCreateParams,
    HotConnectionError,
    HotError,
    HotResponseValidationError,
    HotRunError,
    HotStreamError,
    HotTaskError,
    HotTimeoutError,
    InternalServerError,
    NotFoundError,
    PermissionDeniedError,
    RunFail,
    RunStatus,
)
from hot_typed.testing import HttpResponse

from . import payloads
from .sse_script import (
    DROP,
    HOLD,
    TASK_ID,
    Client,
    Pause,
    Script,
    SseScript,
    close,
    collect,
    comment,
    event,
    make_client,
    paths,
    refused_url,
    resolve,
    run,
    run_event,
    scripted,
    stream_data,
    task_update,
    wait_run,
    wait_task,
)

pytestmark = pytest.mark.parametrize("mode", ["sync", "async"])

STREAM = str(uuid4())
EVENT = str(uuid4())
FIRST, SECOND, THIRD = str(uuid4()), str(uuid4()), str(uuid4())
# Failures name the full URL of the loopback server.
API = r"http://127\.0\.0\.1:\d+/v1"
BODY: EventCreateParams = {"event_type": "order.created", "event_data": {"id": 7}}
PUBLISHED = event(
    {
        "type": "event:published",
        "event_id": str(EVENT),
        "stream_id": str(STREAM),
        "event_type": "order.created",
    }
)


def attempt(
    run_id: str,
    *,
    status: str = "running",
    origin: str | None = None,
    retry_attempt: int = 0,
    event_id: str | None = None,
    result: Any = ...,
) -> dict[str, Any]:
    """One attempt of a retried run on STREAM, as the server sends it."""
    record = run(run_id, status=status, event_id=event_id, stream_id=STREAM, result=result)
    record["origin_run_id"] = None if origin is None else str(origin)
    record["retry_attempt"] = retry_attempt
    return record


def update(record: dict[str, Any]) -> bytes:
    return run_event("run:update", record)


def waiting_briefly(client: Client) -> Any:
    """`wait_for_run_result` of the test event, giving up after 0.3 s (a `use` for `scripted`)."""
    return client.streams.wait_for_run_result(STREAM, EVENT, timeout=0.3)


async def publish(mode: str, *scripts: Script, **options: Any) -> Any:
    return await scripted(
        mode, scripts, lambda client: collect(client.streams.subscribe_with_event(BODY, **options))
    )


# ---------------------------------------------------------------- failure messages


async def test_a_failed_run_without_a_result_is_named_by_id_and_status_only(mode: str) -> None:
    with pytest.raises(HotRunError) as error:
        await wait_run(mode, FIRST, [update(attempt(FIRST, status="cancelled"))])

    assert str(error.value) == f"run {FIRST} cancelled"


async def test_a_result_without_a_message_is_shown_as_compact_json_cut_at_300_characters(
    mode: str,
) -> None:
    result = {"codes": list(range(200))}
    with pytest.raises(HotRunError) as error:
        await wait_run(mode, FIRST, [update(attempt(FIRST, status="cancelled", result=result))])

    shown = json.dumps(result, separators=(",", ":"))[:300]
    assert str(error.value) == f"run {FIRST} cancelled: {shown}"


async def test_a_call_result_not_fitting_its_type_says_which_run_and_type(mode: str) -> None:
    ours = run_event("run:start", attempt(FIRST, event_id=EVENT))
    done = run_event("run:stop", attempt(FIRST, status="succeeded", event_id=EVENT, result=["a"]))
    with SseScript([PUBLISHED, ours, done], records={}) as server:
        client = make_client(server, mode)
        try:
            with pytest.raises(HotResponseValidationError) as error:
                await resolve(client.events.call_hot("::app/f", result_type=int))
        finally:
            await close(client)

    assert str(error.value) == f"the result of run {FIRST} does not fit <class 'int'>: 1 problem(s)"
    assert error.value.raw == ["a"]
    assert isinstance(error.value.validation_error, pydantic.ValidationError)
    assert error.value.validation_error.errors()[0]["input"] == ["a"]


# ---------------------------------------------------------------- giving up


async def test_a_waiter_giving_up_names_what_it_waited_for_and_the_last_failure(
    mode: str,
) -> None:
    with pytest.raises(HotStreamError) as error:
        await wait_run(mode, FIRST, DROP, DROP, max_attempts=1)

    assert re.fullmatch(
        rf"wait for run {FIRST}: gave up after 2 connection attempt\(s\) in a row that got "
        rf"no answer, over \d+\.\d s \(last: GET {API}/runs/\S+/subscribe failed: [^;]+\)",
        str(error.value),
    )


async def test_a_waiter_giving_up_on_a_retried_runs_stream_names_that_stream(
    mode: str,
) -> None:
    retried = update(attempt(FIRST, status="failed", event_id=EVENT, retry_attempt=1))
    with pytest.raises(HotStreamError) as error:
        await wait_run(mode, FIRST, [retried], DROP, DROP, max_attempts=1)

    # A GET is safe to repeat: the cut says nothing of what it may have done.
    assert re.fullmatch(
        rf"wait for run {FIRST}: gave up after 2 connection attempt\(s\) in a row that got "
        rf"no answer, over \d+\.\d s \(last: GET {API}/streams/{STREAM}/subscribe failed: [^;]+\)",
        str(error.value),
    )


async def test_a_task_waiter_giving_up_names_the_task(mode: str) -> None:
    with pytest.raises(HotStreamError) as error:
        await wait_task(mode, DROP, max_attempts=0)

    assert re.fullmatch(
        rf"wait for task {TASK_ID}: gave up after 1 connection attempt\(s\) in a row that got "
        rf"no answer, over \d+\.\d s \(last: GET {API}/tasks/\S+/subscribe failed: [^;]+\)",
        str(error.value),
    )


async def test_giving_up_after_publication_does_not_claim_the_event_unpublished(
    mode: str,
) -> None:
    with pytest.raises(HotStreamError) as error:
        await publish(mode, [PUBLISHED, DROP], DROP, max_attempts=0)

    assert re.fullmatch(
        r"subscribe-with-event: gave up after 1 connection attempt\(s\) in a row that got "
        rf"no answer, over \d+\.\d s \(last: GET {API}/streams/{STREAM}/subscribe failed: .+\)",
        str(error.value),
    )


async def test_giving_up_before_any_connection_says_the_event_was_not_published(
    mode: str,
) -> None:
    client = make_client(refused_url(), mode)
    try:
        with pytest.raises(HotStreamError) as error:
            await collect(client.streams.subscribe_with_event(BODY, max_attempts=0))
    finally:
        await close(client)

    assert re.fullmatch(
        r"subscribe-with-event: gave up after 1 connection attempt\(s\) in a row that got "
        r"no answer, over \d+\.\d s; nothing was sent, so the event was not published "
        rf"\(last: POST {API}/streams/subscribe-with-event failed: .+\)",
        str(error.value),
    )


# ---------------------------------------------------------------- an unknown publish


UNKNOWN = (
    "the subscribe-with-event connection ended before `event:published`: it is unknown "
    "whether the event was published, so it was not sent again"
)


async def test_a_clean_close_before_publication_says_the_server_closed_the_stream(
    mode: str,
) -> None:
    with pytest.raises(HotStreamError) as error:
        await publish(mode, [comment()])

    assert str(error.value) == f"{UNKNOWN} (the server closed the stream)"


async def test_a_cut_before_publication_names_the_connection_error(mode: str) -> None:
    with pytest.raises(HotStreamError) as error:
        await publish(mode, [comment(), DROP])

    cause = error.value.__cause__
    assert isinstance(cause, HotConnectionError)
    assert str(error.value) == f"{UNKNOWN} (last: {cause})"


async def test_a_publishing_post_cut_before_its_answer_may_have_reached_the_server(
    mode: str,
) -> None:
    with pytest.raises(HotStreamError) as error:
        await publish(mode, DROP)

    cause = error.value.__cause__
    assert isinstance(cause, HotConnectionError)
    assert re.match(rf"POST {API}/streams/subscribe-with-event failed: ", str(cause))
    assert str(cause).endswith(
        "; it may have reached the server, so whether it took effect is unknown"
    )


async def test_a_500_on_the_publishing_post_is_an_unknown_publish(mode: str) -> None:
    failed = HttpResponse.json({"error": {"code": "internal", "message": "boom"}}, 500)
    with pytest.raises(HotStreamError, match="unknown whether the event was published") as error:
        await publish(mode, failed, [PUBLISHED])

    assert isinstance(error.value.__cause__, InternalServerError)


def _refusal(status: int, code: str, message: str) -> HttpResponse:
    return HttpResponse.json({"error": {"code": code, "message": message}}, status)


@pytest.mark.parametrize(
    ("answer", "project", "raised"),
    [
        pytest.param(
            _refusal(404, "not_found", "Project not found"),
            "typo",
            HotStreamError,
            id="404 project",
        ),
        pytest.param(_refusal(404, "not_found", "Stream not found"), None, NotFoundError, id="404"),
        pytest.param(
            _refusal(403, "forbidden", "no create permission"),
            "typo",
            PermissionDeniedError,
            id="403 project",
        ),
    ],
)
async def test_a_404_to_the_publishing_post_naming_a_project_is_an_unknown_publish(
    mode: str, answer: HttpResponse, project: str | None, raised: type[HotError]
) -> None:
    # crates/hot_api/src/handlers/streams.rs `subscribe_with_event` publishes
    # the event (step 5) before it resolves `?project=` (handlers/mod.rs
    # `get_and_verify_project`: 404 "Project not found"); every other refusal
    # comes before publishing.
    with SseScript(answer, records={}) as server:
        client = make_client(server, mode)
        try:
            with pytest.raises(raised) as error:
                await collect(client.streams.subscribe_with_event(BODY, project=project))
        finally:
            await close(client)

    assert len(server.requests) == 1
    assert type(error.value) is raised
    if raised is not HotStreamError:
        return
    cause = error.value.__cause__
    assert isinstance(cause, NotFoundError)
    assert str(error.value) == (
        "the subscribe-with-event POST was answered 404 with `project` given, which the "
        "server resolves only after publishing: it is unknown whether the event was "
        f"published, so it was not sent again (last: {cause})"
    )


# ---------------------------------------------------------------- attempts of a retried run


def retried_twice(final_status: str) -> list[bytes]:
    """FIRST fails (retry 1 scheduled), SECOND fails (retry 2 scheduled), THIRD ends."""
    return [
        run_event("run:start", attempt(FIRST, event_id=EVENT)),
        run_event("run:fail", attempt(FIRST, status="failed", event_id=EVENT, retry_attempt=1)),
        run_event("run:start", attempt(SECOND, origin=FIRST, retry_attempt=1)),
        run_event("run:fail", attempt(SECOND, status="failed", origin=FIRST, retry_attempt=2)),
        run_event("run:start", attempt(THIRD, origin=SECOND, retry_attempt=2)),
        run_event("run:stop", attempt(THIRD, status=final_status, origin=SECOND, retry_attempt=2)),
    ]


async def test_a_retry_that_failed_with_another_retry_scheduled_is_not_the_end(
    mode: str,
) -> None:
    events, _ = await publish(mode, [PUBLISHED, *retried_twice("succeeded")])

    last = events[-1]
    assert last.type == "run:stop"
    assert (last.run.run_id, last.run.status) == (THIRD, RunStatus.SUCCEEDED)


# crates/hot_api/src/handlers/streams.rs sends a `pending_retry` run's end as
# `run:stop` from its poll and as `run:fail` when the worker's push comes first
# (crates/hot_worker/src/server.rs publishes a failed result as RunFail).
@pytest.mark.parametrize("end", ["run:stop", "run:fail"])
async def test_an_attempt_stopped_pending_retry_is_followed_by_its_retry(
    mode: str, end: str
) -> None:
    # The handler failed with `retry`: its end says pending_retry before the
    # scheduler's copy of the event starts the next attempt.
    events, _ = await publish(
        mode,
        [
            PUBLISHED,
            run_event("run:start", attempt(FIRST, event_id=EVENT)),
            run_event(
                end,
                attempt(FIRST, status="pending_retry", event_id=EVENT, retry_attempt=1),
            ),
            run_event("run:start", attempt(SECOND, origin=FIRST, retry_attempt=1)),
            run_event(
                "run:stop", attempt(SECOND, status="succeeded", origin=FIRST, retry_attempt=1)
            ),
        ],
    )

    assert (events[-1].run.run_id, events[-1].run.status) == (SECOND, RunStatus.SUCCEEDED)


async def test_a_failed_attempt_whose_origin_is_not_on_the_stream_is_final(mode: str) -> None:
    # The origin's own attempt number is unknown: the failure is taken as final.
    events, _ = await publish(
        mode,
        [
            PUBLISHED,
            run_event("run:start", attempt(SECOND, origin=FIRST, retry_attempt=1, event_id=EVENT)),
            run_event(
                "run:fail",
                attempt(SECOND, status="failed", origin=FIRST, retry_attempt=2, event_id=EVENT),
            ),
            run_event("run:start", attempt(THIRD, origin=SECOND, retry_attempt=2)),
        ],
    )

    assert isinstance(events[-1], RunFail)
    assert events[-1].run.run_id == SECOND


async def test_a_failed_run_naming_itself_as_its_origin_ends_with_its_failure(
    mode: str,
) -> None:
    # Malformed, but it must not loop: its retry_attempt is its origin's, so it
    # failed with no retry scheduled, and that end is final whatever names it.
    looped = attempt(FIRST, status="failed", origin=FIRST, retry_attempt=1, event_id=EVENT)
    with pytest.raises(HotRunError) as error:
        await scripted(mode, [[run_event("run:fail", looped), HOLD]], waiting_briefly)

    assert error.value.run.run_id == FIRST


async def test_a_run_whose_start_was_missed_is_known_by_its_terminal_event(mode: str) -> None:
    done = run_event("run:stop", attempt(FIRST, status="succeeded", event_id=EVENT))
    finished, _ = await scripted(
        mode, [[done]], lambda client: client.streams.wait_for_run_result(STREAM, EVENT, timeout=2)
    )

    assert finished.run_id == FIRST


async def test_chunks_reach_on_chunk_only_as_text_of_the_runs_own_data(mode: str) -> None:
    def chunk(payload: Any) -> bytes:
        return stream_data(FIRST, payload)

    other = str(uuid4())
    script = [
        run_event("run:start", attempt(FIRST, event_id=EVENT)),
        chunk(["not", "an", "object"]),
        chunk({"text": "a"}),
        run_event("run:stop", attempt(other, status="succeeded")),
        chunk({"text": "b"}),
        run_event("run:stop", attempt(FIRST, status="succeeded", event_id=EVENT)),
    ]
    texts: list[str] = []
    with SseScript(script, records={}) as server:
        client = make_client(server, mode)
        try:
            await resolve(
                client.streams.wait_for_run_result(STREAM, EVENT, on_chunk=texts.append)
            )
        finally:
            await close(client)

    assert texts == ["a", "b"]


async def test_a_retrys_chunks_held_until_the_poll_links_it_to_the_run_reach_on_chunk(
    mode: str,
) -> None:
    def chunk(run_id: str, text: str) -> bytes:
        return stream_data(run_id, {"text": text})

    # Chunks come first; the poll then sends the runs newest first
    # (crates/hot/src/db/run.rs `get_runs_by_stream`): the retry, whose
    # origin is not known yet, before the first attempt that links it.
    script = [
        chunk(FIRST, "a"),
        chunk(SECOND, "b"),
        run_event("run:start", attempt(SECOND, origin=FIRST, retry_attempt=1)),
        run_event("run:start", attempt(FIRST, status="failed", event_id=EVENT, retry_attempt=1)),
        run_event("run:fail", attempt(FIRST, status="failed", event_id=EVENT, retry_attempt=1)),
        chunk(SECOND, "c"),
        run_event("run:stop", attempt(SECOND, status="succeeded", origin=FIRST, retry_attempt=1)),
    ]
    texts: list[str] = []
    finished, _ = await scripted(
        mode,
        [script],
        lambda client: client.streams.wait_for_run_result(STREAM, EVENT, on_chunk=texts.append),
    )

    assert finished.run_id == SECOND
    assert texts == ["a", "b", "c"]


async def test_a_waiter_on_a_retried_run_skips_other_events_of_its_stream(mode: str) -> None:
    published = event(
        {
            "type": "event:published",
            "event_id": str(uuid4()),
            "stream_id": str(STREAM),
            "event_type": "other",
        }
    )
    data = event(
        {
            "type": "stream:data",
            "stream_data_id": str(uuid4()),
            "run_id": str(THIRD),
            "data_type": "ai:delta",
            "payload": {"text": "x"},
        }
    )
    replay = retried_twice("succeeded")
    finished, server = await wait_run(
        mode,
        FIRST,
        [update(attempt(FIRST, status="failed", event_id=EVENT, retry_attempt=1))],
        [published, *replay[:5], data, replay[5]],
    )

    assert (finished.run_id, finished.status) == (THIRD, RunStatus.SUCCEEDED)
    assert [r.path for r in server.requests] == [
        f"/v1/runs/{FIRST}/subscribe",
        f"/v1/streams/{STREAM}/subscribe",
    ]


# ---------------------------------------------------------------- which run is a retry

TASK_RUN, CHILD, LATER = str(uuid4()), str(uuid4()), str(uuid4())


def of(record: dict[str, Any], run_type: str, started: int = 5) -> dict[str, Any]:
    """`record` with `run_type`, started at second `started` of the test minute."""
    return {**record, "run_type": run_type, "start_time": f"2026-01-02T03:04:{started:02d}Z"}


def failed_into_a_retry(run_type: str) -> list[bytes]:
    """FIRST (the published event's run) starts and fails with retry 1 scheduled."""
    return [
        run_event("run:start", of(attempt(FIRST, event_id=EVENT), run_type)),
        run_event(
            "run:stop",
            of(attempt(FIRST, status="pending_retry", event_id=EVENT, retry_attempt=1), run_type),
        ),
    ]


def retry(status: str, run_type: str = "event") -> bytes:
    """SECOND, the scheduler's retry of FIRST, started at second 7."""
    kind = "run:start" if status == "running" else "run:stop"
    record = attempt(SECOND, status=status, origin=FIRST, retry_attempt=1, result="retry")
    return run_event(kind, of(record, run_type, 7))


def sent_by_the_retry(status: str, run_type: str) -> bytes:
    """CHILD, the run of an event SECOND's code sent, started at second 8: its
    event was published with a clone of SECOND's context, so it names FIRST as
    origin with SECOND's retry_attempt (crates/hot/src/lang/hot/event.rs
    `send_event`; crates/hot_worker/src/server.rs)."""
    kind = "run:start" if status == "running" else "run:stop"
    record = attempt(CHILD, status=status, origin=FIRST, retry_attempt=1, result="child")
    return run_event(kind, of(record, run_type, 8))


def task_of_first(status: str) -> bytes:
    """TASK_RUN, a background task FIRST started: crates/hot/src/lang/hot/task.rs
    `::hot::task/start` names the starting run as origin, and
    crates/hot_task_worker/src/lib.rs runs it on the same stream as a run of
    type `task` with retry_attempt 0."""
    kind = "run:start" if status == "running" else "run:stop"
    record = attempt(TASK_RUN, status=status, origin=FIRST, result="task")
    return run_event(kind, of(record, "task", 6))


def named_later() -> bytes:
    """LATER, started after FIRST ended, naming it as origin with attempt 1: an
    event carrying `retry` data (crates/hot/src/env.rs `RetryContext`, read by
    crates/hot_worker/src/server.rs) makes such a run whatever FIRST's end."""
    return run_event("run:start", of(attempt(LATER, origin=FIRST, retry_attempt=1), "event", 9))


def first_ended(status: str) -> list[bytes]:
    record = of(attempt(FIRST, status=status, event_id=EVENT), "event")
    return [run_event("run:start", record), run_event(END_OF[status], record)]


END_OF = {"succeeded": "run:stop", "failed": "run:fail", "cancelled": "run:cancel"}

RETRY_CHAINS: dict[str, Script] = {
    "a retry is followed": [
        *failed_into_a_retry("event"),
        retry("running"),
        retry("succeeded"),
    ],
    "a task the run started is no retry": [
        run_event("run:start", of(attempt(FIRST, event_id=EVENT), "event")),
        task_of_first("running"),
        *first_ended("succeeded")[1:],
        HOLD,  # the task goes on
    ],
    "a run of another type than the origin is no retry": [
        *failed_into_a_retry("schedule"),
        # Pushed at once, before the poll brings the runs' starts.
        sent_by_the_retry("succeeded", "event"),
        retry("running", "schedule"),
        retry("succeeded", "schedule"),
    ],
    "a run of the retry's type started after it is not taken over it": [
        *failed_into_a_retry("event"),
        # One poll brings both starts, newest first (crates/hot/src/db/run.rs
        # `get_runs_by_stream`: ORDER BY start_time DESC).
        sent_by_the_retry("running", "event"),
        retry("running"),
        sent_by_the_retry("succeeded", "event"),
        retry("succeeded"),
    ],
    "a run that succeeded is final whatever names it": [
        # Replayed newest first after a reconnect.
        named_later(),
        *first_ended("succeeded"),
        HOLD,
    ],
    "a run that failed with no retry scheduled is final whatever names it": [
        named_later(),
        *first_ended("failed"),
        HOLD,
    ],
}
EXPECTED_FINAL: dict[str, tuple[str, str]] = {
    "a retry is followed": (SECOND, "succeeded"),
    "a task the run started is no retry": (FIRST, "succeeded"),
    "a run of another type than the origin is no retry": (SECOND, "succeeded"),
    "a run of the retry's type started after it is not taken over it": (SECOND, "succeeded"),
    "a run that succeeded is final whatever names it": (FIRST, "succeeded"),
    "a run that failed with no retry scheduled is final whatever names it": (FIRST, "failed"),
}


@pytest.mark.parametrize("chain", RETRY_CHAINS)
async def test_only_a_run_the_scheduler_could_have_made_is_followed_as_a_retry(
    mode: str, chain: str
) -> None:
    # crates/hot_scheduler/src/server.rs `process_pending_retries`: a retry
    # copies its origin's run_type and incremented retry_attempt (>= 1).
    with SseScript(RETRY_CHAINS[chain], records={}) as server:
        client = make_client(server, mode)
        try:
            run = await resolve(client.streams.wait_for_run_result(STREAM, EVENT, timeout=2))
        except HotRunError as error:
            run = error.run
        finally:
            await close(client)

    assert (run.run_id, str(run.status)) == EXPECTED_FINAL[chain]


async def test_call_hot_returns_the_functions_result_not_its_background_tasks(mode: str) -> None:
    value, _ = await scripted(
        mode,
        [
            [
                PUBLISHED,
                run_event("run:start", attempt(FIRST, event_id=EVENT)),
                task_of_first("running"),
                run_event(
                    "run:stop",
                    attempt(
                        FIRST, status="succeeded", event_id=EVENT, result="order accepted"
                    ),
                ),
                Pause(0.2),
                task_of_first("succeeded"),
            ]
        ],
        lambda client: client.events.call_hot("::app/order", timeout=5),
    )

    assert value == "order accepted"


# ---------------------------------------------------------------- waiting on a retry


def attempts_failed(second_attempt: int) -> tuple[bytes, bytes]:
    """The snapshots of SECOND (FIRST's retry) failed with `second_attempt`, and of FIRST."""
    return (
        update(attempt(SECOND, status="failed", origin=FIRST, retry_attempt=second_attempt)),
        update(attempt(FIRST, status="failed", event_id=EVENT, retry_attempt=1)),
    )


async def test_waiting_on_a_retry_whose_own_retry_is_queued_answers_for_the_last_attempt(
    mode: str,
) -> None:
    # SECOND failed and the scheduler queued retry 2: THIRD's run appears only
    # when a worker takes the event (crates/hot_scheduler/src/server.rs
    # `process_pending_retries`). The stream replays newest first, so SECOND's
    # end comes before FIRST's record, whose retry_attempt (1 < 2) tells the
    # retry is coming: the waiter reads FIRST's snapshot first.
    second, first = attempts_failed(2)
    third = attempt(THIRD, origin=SECOND, retry_attempt=2)
    replay = [
        run_event("run:start", attempt(SECOND, origin=FIRST, retry_attempt=2)),
        run_event("run:fail", attempt(SECOND, status="failed", origin=FIRST, retry_attempt=2)),
        run_event("run:start", attempt(FIRST, status="failed", event_id=EVENT, retry_attempt=1)),
        run_event("run:fail", attempt(FIRST, status="failed", event_id=EVENT, retry_attempt=1)),
        run_event("run:start", third),
        run_event(
            "run:stop", {**third, "status": "succeeded", "stop_time": "2026-01-02T03:04:09Z"}
        ),
    ]
    finished, server = await wait_run(mode, SECOND, [second], [first], replay, timeout=5)

    assert (finished.run_id, finished.status) == (THIRD, RunStatus.SUCCEEDED)
    assert paths(server.requests) == [
        f"GET /v1/runs/{SECOND}/subscribe",
        f"GET /v1/runs/{FIRST}/subscribe",
        f"GET /v1/streams/{STREAM}/subscribe",
    ]


NOT_FOUND = HttpResponse.json({"error": {"code": "not_found", "message": "Run not found"}}, 404)


@pytest.mark.parametrize(
    "origin",
    ["says no retry was scheduled", "is unknown to the API"],
)
async def test_waiting_on_a_retry_ends_with_its_failure_when_its_origin(
    mode: str, origin: str
) -> None:
    # SECOND's retry_attempt (1) equals FIRST's: no retry of SECOND. Or FIRST
    # answers 404, and SECOND's attempt number cannot be told: its failure is
    # taken as final. Either way there is no stream to follow.
    second, first = attempts_failed(1)
    answer: Script = [first] if origin == "says no retry was scheduled" else NOT_FOUND
    with pytest.raises(HotRunError) as error:
        await wait_run(mode, SECOND, [second], answer, timeout=5)

    assert (error.value.run.run_id, error.value.run.status) == (SECOND, RunStatus.FAILED)


# ---------------------------------------------------------------- each connection


async def test_every_connection_of_a_waiter_asks_for_an_event_stream(mode: str) -> None:
    _, runs = await wait_run(
        mode,
        FIRST,
        [update(attempt(FIRST, status="failed", event_id=EVENT, retry_attempt=1))],
        retried_twice("succeeded"),
    )
    with pytest.raises(HotTaskError):
        await wait_task(mode, [task_update("running"), task_update("failed")])
    _, tasks = await wait_task(mode, [task_update("completed")])

    for request in [*runs.requests, *tasks.requests]:
        assert request.method == "GET"
        assert request.headers["accept"] == "text/event-stream"


async def test_a_task_wait_times_out_at_its_own_bound_on_a_silent_connection(
    mode: str,
) -> None:
    started = time.monotonic()
    with pytest.raises(HotTimeoutError):
        await wait_task(mode, [task_update("running"), Pause(5)], timeout=0.3)

    assert time.monotonic() - started < 1.5


async def test_a_wait_on_a_retried_run_times_out_at_its_own_bound_on_its_stream(
    mode: str,
) -> None:
    started = time.monotonic()
    with pytest.raises(HotTimeoutError):
        await wait_run(
            mode,
            FIRST,
            [update(attempt(FIRST, status="failed", event_id=EVENT, retry_attempt=1))],
            [run_event("run:start", attempt(FIRST, event_id=EVENT)), Pause(5)],
            timeout=0.5,
        )

    assert time.monotonic() - started < 2.0


async def test_keep_alive_only_connections_still_end_at_the_waits_bound(mode: str) -> None:
    started = time.monotonic()
    with pytest.raises(HotTimeoutError) as error:
        await wait_task(mode, [task_update("running"), HOLD], timeout=0.3)

    assert time.monotonic() - started < 1.5
    # The comments kept the read timeout from firing: the overall bound, checked at
    # every chunk, stopped the read, and the error says so.
    cause = error.value.__cause__
    assert isinstance(cause, HotTimeoutError)
    assert str(cause) == "the overall timeout passed while reading an event stream"


async def test_publishing_then_resubscribing_asks_for_an_event_stream_without_a_query(
    mode: str,
) -> None:
    _, server = await publish(mode, [PUBLISHED, comment()], retried_twice("succeeded"))

    assert [(r.method, r.path) for r in server.subscriptions] == [
        ("POST", "/v1/streams/subscribe-with-event"),
        ("GET", f"/v1/streams/{STREAM}/subscribe"),
    ]
    for request in server.subscriptions:
        # The target itself: a parameter sent empty (`?project=`) parses as no query.
        assert "?" not in request.target
        assert request.headers["accept"] == "text/event-stream"


async def test_a_call_times_out_at_its_own_bound_on_a_silent_connection(mode: str) -> None:
    started = time.monotonic()
    with SseScript([PUBLISHED, Pause(5)], records={}) as server:
        client = make_client(server, mode)
        try:
            with pytest.raises(HotTimeoutError):
                await resolve(client.events.call_hot("::app/f", timeout=0.3))
        finally:
            await close(client)

    assert time.monotonic() - started < 1.5


async def test_waiting_for_a_run_result_times_out_at_its_own_bound_on_a_silent_stream(
    mode: str,
) -> None:
    started = time.monotonic()
    with SseScript([Pause(5)], records={}) as server:
        client = make_client(server, mode)
        try:
            with pytest.raises(HotTimeoutError):
                await resolve(waiting_briefly(client))
        finally:
            await close(client)

    assert time.monotonic() - started < 1.5
    assert server.requests[0].query == {}


# ---------------------------------------------------------------- news resets the backoff


def _news(scenario: str, i: int) -> list[bytes]:
    """What connection `i` of a waiter brings that it has not seen before."""
    if scenario == "task":
        return [task_update("queued" if i % 2 else "running")]
    if scenario == "run":
        return [update(attempt(FIRST, status="pending_retry" if i % 2 else "running"))]
    record = attempt(THIRD, origin=SECOND, retry_attempt=2)
    record["start_time"] = f"2026-01-02T03:04:{10 + i:02d}Z"
    return [run_event("run:start", record)]


@pytest.mark.parametrize("scenario", ["task", "run", "retried run"])
async def test_a_connection_that_brought_news_is_followed_by_the_shortest_backoff(
    mode: str, scenario: str
) -> None:
    # Eight cuts in a row, each after news: every wait is drawn below the first
    # backoff bound (0.25 s). Were news not noticed, the bound would double per
    # cut (0.25, 0.5, ... 8 s) and the eight waits take seconds.
    retried = [update(attempt(FIRST, status="failed", event_id=EVENT, retry_attempt=1))]
    first: list[Script] = [[*retried, DROP]] if scenario == "retried run" else []
    cuts: list[Script] = [[*_news(scenario, i), DROP] for i in range(8)]
    last: Script = (
        [task_update("completed")] if scenario == "task" else retried_twice("succeeded")
    )
    if scenario == "run":
        last = [update(attempt(FIRST, status="succeeded"))]
    started = time.monotonic()
    if scenario == "task":
        await wait_task(mode, *cuts, last, max_attempts=0)
    else:
        await wait_run(mode, FIRST, *first, *cuts, last, max_attempts=0)

    assert time.monotonic() - started < 4.0


async def test_a_connection_that_only_replays_what_a_waiter_saw_lets_the_backoff_grow(
    mode: str, backoff_bounds: list[float]
) -> None:
    # The retried run's stream replays the same newest attempt on every
    # connection: after the one that brought it, nothing is news, so the
    # backoff bound doubles per quiet connection after the first.
    retried = [update(attempt(FIRST, status="failed", event_id=EVENT, retry_attempt=1))]
    replay: Script = [run_event("run:start", attempt(THIRD, origin=SECOND, retry_attempt=2)), DROP]
    await wait_run(
        mode, FIRST, [*retried, DROP], *[replay] * 5, retried_twice("succeeded"), max_attempts=0
    )

    assert backoff_bounds == [0.25, 0.25, 0.25, 0.5, 1.0, 2.0]


async def test_a_publishing_connection_closed_after_event_published_is_followed_at_once(
    mode: str, backoff_bounds: list[float]
) -> None:
    # `event:published` is news: the clean close after it is the server's own
    # end of a healthy stream, reconnected without a backoff.
    done = [
        run_event("run:start", attempt(FIRST, event_id=EVENT)),
        run_event("run:stop", attempt(FIRST, status="succeeded", event_id=EVENT)),
    ]
    events, _ = await publish(mode, [PUBLISHED], done)

    assert [e.type for e in events] == ["event:published", "run:start", "run:stop"]
    assert backoff_bounds == []


async def test_each_kind_of_news_on_a_run_stream_keeps_the_backoff_at_its_shortest(
    mode: str, backoff_bounds: list[float]
) -> None:
    # Each cut connection brings one new thing: another run's start, another
    # run's end, a chunk. A follow that missed any of them as news would let
    # the bound grow from the third such connection on.
    others = [str(uuid4()) for _ in range(4)]
    chunk = {
        "type": "stream:data",
        "run_id": str(others[0]),
        "data_type": "ai:delta",
        "payload": {"text": "x"},
    }
    news: list[bytes] = [
        *[run_event("run:start", attempt(run_id)) for run_id in others],
        *[run_event("run:stop", attempt(run_id, status="succeeded")) for run_id in others],
        *[event({**chunk, "stream_data_id": str(uuid4())}) for _ in others],
    ]
    done = [
        run_event("run:start", attempt(FIRST, event_id=EVENT)),
        run_event("run:stop", attempt(FIRST, status="succeeded", event_id=EVENT)),
    ]
    cuts: list[Script] = [[item, DROP] for item in news]
    finished, _ = await scripted(
        mode,
        [*cuts, done],
        lambda client: client.streams.wait_for_run_result(STREAM, EVENT, max_attempts=0),
    )

    assert finished.run_id == FIRST
    assert backoff_bounds == [0.25] * len(news)


async def test_a_stream_the_server_closed_after_news_restarts_the_backoff_from_its_shortest(
    mode: str, backoff_bounds: list[float]
) -> None:
    # The clean close reconnects at once; the cut after it is the first quiet one.
    running = [update(attempt(FIRST))]
    await wait_run(
        mode, FIRST, running, DROP, [update(attempt(FIRST, status="succeeded"))], max_attempts=1
    )

    assert backoff_bounds == [0.25]


async def test_a_503_that_says_when_to_come_back_is_waited_out_instead_of_a_backoff(
    mode: str, backoff_bounds: list[float]
) -> None:
    busy = HttpResponse.json(
        {"error": {"code": "unavailable", "message": "busy"}}, 503, {"retry-after-ms": "1"}
    )
    finished, _ = await wait_run(mode, FIRST, busy, [update(attempt(FIRST, status="succeeded"))])

    assert finished.status is RunStatus.SUCCEEDED
    assert backoff_bounds == []


async def test_a_waiter_giving_up_reports_how_long_it_went_unanswered(
    mode: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The backoff drawn at its bound: the one wait between the two cuts is 0.25 s.
    def ceiling(low: float, high: float) -> float:
        return high

    monkeypatch.setattr("hot_typed._retry.random.uniform", ceiling)
    with pytest.raises(HotStreamError) as error:
        await wait_run(mode, FIRST, DROP, DROP, max_attempts=1)

    span = re.search(r"no answer, over (\d+\.\d) s", str(error.value))
    assert span is not None
    assert 0.2 <= float(span.group(1)) < 5.0


async def test_a_wait_whose_time_ran_out_while_reading_names_that_as_the_cause(
    mode: str,
) -> None:
    with pytest.raises(HotTimeoutError) as error:
        await wait_run(mode, FIRST, [update(attempt(FIRST)), Pause(5)], timeout=0.3)

    assert str(error.value) == f"wait for run {FIRST}: not finished within the timeout of 0.3 s"
    assert isinstance(error.value.__cause__, HotTimeoutError)


async def test_a_snapshot_seen_before_is_no_news_so_the_backoff_grows(
    mode: str, backoff_bounds: list[float]
) -> None:
    same: Script = [update(attempt(FIRST)), DROP]
    await wait_run(
        mode, FIRST, *[same] * 4, [update(attempt(FIRST, status="succeeded"))], max_attempts=0
    )

    assert backoff_bounds == [0.25, 0.25, 0.5, 1.0]


_SEEN_RUN = [update(attempt(FIRST))]
_SEEN_START = [run_event("run:start", attempt(FIRST, event_id=EVENT))]
_COMPLETE = event({"type": "stream:complete", "stream_id": str(STREAM)})
_OURS_DONE = [
    *_SEEN_START,
    run_event("run:stop", attempt(FIRST, status="succeeded", event_id=EVENT)),
]


@pytest.mark.parametrize(
    ("waiter", "quiet", "last", "bounds"),
    [
        pytest.param(
            lambda client: client.runs.wait(FIRST),
            _SEEN_RUN,
            [update(attempt(FIRST, status="succeeded"))],
            [0.25, 0.5, 1.0],
            id="run snapshots",
        ),
        pytest.param(
            lambda client: client.tasks.wait(TASK_ID),
            [task_update("running")],
            [task_update("completed")],
            [0.25, 0.5, 1.0],
            id="task snapshots",
        ),
        pytest.param(
            lambda client: client.streams.wait_for_run_result(STREAM, EVENT),
            _SEEN_START,
            _OURS_DONE,
            [0.25, 0.5, 1.0],
            id="run stream closed",
        ),
        pytest.param(
            lambda client: client.streams.wait_for_run_result(STREAM, EVENT),
            [*_SEEN_START, _COMPLETE],
            _OURS_DONE,
            [],
            id="run stream completed",
        ),
    ],
)
async def test_a_clean_close_is_followed_at_once_only_after_stream_complete_or_news(
    mode: str,
    backoff_bounds: list[float],
    waiter: Callable[[Client], Any],
    quiet: Script,
    last: Script,
    bounds: list[float],
) -> None:
    # crates/hot_api/src/handlers/runs.rs `subscribe_to_run` (and tasks.rs) has
    # no time limit: it closes the subscription of a record not yet terminal
    # only when polling it fails. Coming back at once after such a close that
    # brought nothing new would hammer the API as fast as the network allows;
    # `stream:complete` (streams.rs, its 5-minute limit) says the stream was
    # healthy. The first connection brings news, the three after it none.
    await scripted(mode, [quiet] * 4 + [last], waiter)

    assert backoff_bounds == bounds


# ---------------------------------------------------------------- an end told before it was stored


def stored_late(run_id: str, **fields: Any) -> bytes:
    """A `run:stop` push whose record was read before the run's end was stored:
    crates/hot_worker/src/server.rs publishes the end even when storing it
    timed out (`RUN_RESULT_FLUSH_TIMEOUT`), and streams.rs sends it with the
    record it reads then, once per connection (`completed_run_ids`)."""
    return run_event("run:stop", attempt(run_id, **fields))


STARTED = (PUBLISHED, run_event("run:start", attempt(FIRST, event_id=EVENT)))


def replayed(record: dict[str, Any]) -> tuple[bytes, bytes]:
    """What a new connection replays of a stopped run: its start, then its end."""
    return run_event("run:start", record), run_event("run:stop", record)


async def test_a_call_whose_end_came_before_it_was_stored_returns_the_stored_result(
    mode: str,
) -> None:
    done = attempt(FIRST, status="succeeded", event_id=EVENT, result=42)
    value, server = await scripted(
        mode,
        [[*STARTED, stored_late(FIRST, event_id=EVENT), HOLD], [*replayed(done)]],
        lambda client: client.events.call_hot("::app/f", timeout=5),
    )

    assert value == 42
    assert [r.method for r in server.subscriptions] == ["POST", "GET"]


async def test_an_end_told_before_it_was_stored_reaches_a_subscriber_once_as_stored(
    mode: str,
) -> None:
    done = attempt(FIRST, status="succeeded", event_id=EVENT, result=42)
    events, _ = await publish(
        mode, [*STARTED, stored_late(FIRST, event_id=EVENT), HOLD], [*replayed(done)]
    )

    assert [e.type for e in events] == ["event:published", "run:start", "run:stop"]
    assert events[-1].run.status is RunStatus.SUCCEEDED


async def test_a_waiter_on_a_retry_whose_end_came_before_it_was_stored_reads_it_again(
    mode: str,
) -> None:
    retry = attempt(SECOND, origin=FIRST, retry_attempt=1)
    done = {**retry, "status": "succeeded", "stop_time": "2026-01-02T03:04:09Z", "result": 1}
    finished, server = await wait_run(
        mode,
        FIRST,
        [update(attempt(FIRST, status="failed", event_id=EVENT, retry_attempt=1))],
        [run_event("run:start", retry), stored_late(SECOND, origin=FIRST, retry_attempt=1), HOLD],
        [*replayed(done)],
        timeout=5,
    )

    assert (finished.run_id, finished.status) == (SECOND, RunStatus.SUCCEEDED)
    assert len(server.subscriptions) == 3


# ---------------------------------------------------------------- a project's run of an event


SHOP, OTHER = str(uuid4()), str(uuid4())


def in_project(record: dict[str, Any], project_id: str, name: str) -> dict[str, Any]:
    return {**record, "project_id": str(project_id), "project_name": name}


@pytest.mark.parametrize("project", ["shop", str(SHOP)], ids=["by name", "by id"])
async def test_waiting_with_a_project_returns_that_projects_run_of_an_event_handled_by_two(
    mode: str, project: str
) -> None:
    # Handlers without `once` in two projects: one event, two runs
    # (crates/hot_worker/src/server.rs adds every multi handler). The stream
    # sends only the project's runs (streams.rs `project_filter`); the runs of
    # the event the check reads are all of them, the other project's newest.
    # The stream replays nothing of it (it ended out of the replay window): the
    # check alone must find the project's run, and its end.
    ours = in_project(attempt(FIRST, event_id=EVENT), SHOP, "shop")
    done = {**ours, "status": "succeeded", "stop_time": "2026-01-02T03:04:09Z", "result": 1}
    theirs = in_project(
        attempt(SECOND, status="succeeded", event_id=EVENT, result=2), OTHER, "other"
    )
    records = {f"/v1/events/{EVENT}/runs": HttpResponse.json(payloads.page([theirs, done]))}
    with SseScript([HOLD], records=records) as server:
        client = make_client(server, mode)
        try:
            finished = await resolve(
                client.streams.wait_for_run_result(STREAM, EVENT, project=project, timeout=2)
            )
        finally:
            await close(client)

    assert (finished.run_id, finished.result) == (FIRST, 1)


async def test_without_reconnect_an_end_told_before_it_was_stored_is_dropped_and_reading_goes_on(
    mode: str,
) -> None:
    complete = event({"type": "stream:complete", "stream_id": str(STREAM)})
    events, server = await publish(
        mode,
        [*STARTED, stored_late(FIRST, event_id=EVENT), complete],
        reconnect=False,
    )

    assert [e.type for e in events] == ["event:published", "run:start", "stream:complete"]
    assert len(server.subscriptions) == 1


async def test_an_end_with_a_stop_time_is_an_end_whatever_its_status_says(mode: str) -> None:
    # pending_retry has its stop_time (database_writer.rs `write_run_fail`),
    # so its run:stop is the attempt's end, passed on once.
    pending = attempt(FIRST, status="pending_retry", event_id=EVENT, retry_attempt=1)
    retry = attempt(SECOND, status="succeeded", origin=FIRST, retry_attempt=1)
    events, server = await publish(
        mode,
        [*STARTED, run_event("run:stop", pending), *replayed(retry)],
    )

    assert [(e.type, e.run.run_id) for e in events[1:]] == [
        ("run:start", FIRST),
        ("run:stop", FIRST),
        ("run:start", SECOND),
        ("run:stop", SECOND),
    ]
    assert len(server.subscriptions) == 1
