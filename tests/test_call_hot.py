"""`events.call_hot` and `streams.wait_for_run_result`: a function's result, correlated
to its event, across reconnects."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any
from uuid import uuid4

import pydantic
import pytest

from hot_typed import (
    HotResponseValidationError,
    HotRunError,
    HotStreamError,
    HotTimeoutError,
    RunStatus,
)

from .sse_script import (
    DROP,
    HOLD,
    Client,
    Script,
    SseScript,
    close,
    event,
    make_client,
    paths,
    resolve,
    run,
    scripted,
    stream_data,
)

pytestmark = pytest.mark.parametrize("mode", ["sync", "async"])

STREAM = str(uuid4())
EVENT = str(uuid4())
OURS = str(uuid4())
OTHER = str(uuid4())

PUBLISHED = event(
    {
        "type": "event:published",
        "event_id": str(EVENT),
        "stream_id": str(STREAM),
        "event_type": "hot:call",
    }
)
COMPLETE = event({"type": "stream:complete", "stream_id": str(STREAM)})


def start(run_id: str = OURS) -> bytes:
    event_id = EVENT if run_id == OURS else str(uuid4())
    return event({"type": "run:start", "run": run(run_id, event_id=event_id, stream_id=STREAM)})


def end(kind: str, result: Any, run_id: str = OURS) -> bytes:
    status = {"run:stop": "succeeded", "run:fail": "failed", "run:cancel": "cancelled"}[kind]
    event_id = EVENT if run_id == OURS else str(uuid4())
    finished = run(run_id, status=status, event_id=event_id, stream_id=STREAM, result=result)
    return event({"type": kind, "run": finished})


def chunk(payload: Any, run_id: str = OURS, data_type: str = "ai:delta") -> bytes:
    return stream_data(run_id, payload, data_type)


async def call(mode: str, *scripts: Script, **options: Any) -> tuple[Any, SseScript]:
    with SseScript(*scripts, records={}) as server:
        client = make_client(server, mode)
        try:
            value = await resolve(client.events.call_hot("::math/add", [1, 2], **options))
        finally:
            await close(client)
    return value, server


async def test_call_hot_publishes_a_hot_call_and_returns_the_functions_result(mode: str) -> None:
    value, server = await call(mode, [PUBLISHED, start(), end("run:stop", {"sum": 3})])

    assert value == {"sum": 3}
    [request] = server.requests
    assert (request.method, request.path) == ("POST", "/v1/streams/subscribe-with-event")
    assert request.json() == {
        "event_type": "hot:call",
        "event_data": {"fn": "::math/add", "args": [1, 2]},
    }


@pytest.mark.parametrize(
    "result",
    [
        None,
        7,
        {"a": 1},
        # Hot stores a function's value as it is, a Result.Ok as its payload
        # (crates/hot/src/lang/runtime/vm.rs): these are the user's own values.
        {"$ok": 2},
        {"$ok": [1, {"$ok": 2}]},
        {"$type": "::hot::type/Result.Ok", "$val": 1},
    ],
)
async def test_call_hot_returns_the_result_as_stored_unwrapping_nothing(
    mode: str, result: Any
) -> None:
    value, _ = await call(mode, [PUBLISHED, start(), end("run:stop", result)])

    assert value == result


async def test_call_hot_streams_text_chunks_of_its_own_run_only(mode: str) -> None:
    chunks: list[str] = []
    value, _ = await call(
        mode,
        [
            PUBLISHED,
            start(OTHER),
            start(),
            chunk({"text": "Hel"}),
            chunk({"text": "not ours"}, run_id=OTHER),
            chunk({"progress": 0.5}),
            chunk({"text": "lo ✓"}, data_type="text"),
            end("run:stop", "fine", run_id=OTHER),
            end("run:stop", "Hello ✓"),
        ],
        on_chunk=chunks.append,
    )

    assert value == "Hello ✓"
    assert chunks == ["Hel", "lo ✓"]


async def test_call_hot_follows_a_reconnect_without_publishing_again(mode: str) -> None:
    chunks: list[str] = []
    value, server = await call(
        mode,
        [PUBLISHED, start(), chunk({"text": "a"}), COMPLETE],
        [start(), chunk({"text": "b"}), DROP],
        [start(), end("run:stop", 3)],
        on_chunk=chunks.append,
    )

    assert value == 3
    assert chunks == ["a", "b"]
    # Each reconnect first reads the run, in case its end came while disconnected.
    assert paths(server.requests) == [
        "POST /v1/streams/subscribe-with-event",
        f"GET /v1/streams/{STREAM}/subscribe",
        f"GET /v1/runs/{OURS}",
        f"GET /v1/streams/{STREAM}/subscribe",
        f"GET /v1/runs/{OURS}",
    ]


def following(how: str, on_chunk: Callable[[str], object]) -> Callable[[Client], Any]:
    """A `use` for `scripted`: `call_hot` or `wait_for_run_result` of the test event."""
    if how == "call_hot":
        return lambda client: client.events.call_hot("::chat/reply", on_chunk=on_chunk, timeout=5)
    return lambda client: client.streams.wait_for_run_result(
        STREAM, EVENT, on_chunk=on_chunk, timeout=5
    )


# crates/hot_api/src/handlers/streams.rs pushes `stream:data` and the worker's
# terminal events at once, but sends `run:start` only from its database poll,
# whose sleep restarts at every pushed message: a reply streamed faster than
# the poll shows its chunks and its end before its start.
@pytest.mark.parametrize("how", ["call_hot", "wait_for_run_result"])
async def test_chunks_that_come_before_their_runs_start_reach_on_chunk(mode: str, how: str) -> None:
    texts: list[str] = []
    script = [
        *([PUBLISHED] if how == "call_hot" else []),
        chunk({"text": "Hel"}),
        chunk({"text": "lo"}),
        end("run:stop", "Hello"),
        start(),
    ]
    await scripted(mode, [script], following(how, texts.append))

    assert texts == ["Hel", "lo"]


async def test_chunks_held_until_their_run_is_known_reach_on_chunk_only_if_it_is_ours(
    mode: str,
) -> None:
    texts: list[str] = []
    script = [
        PUBLISHED,
        chunk({"text": "a"}),
        chunk({"text": "x"}, run_id=OTHER),
        chunk({"text": "b"}),
        chunk({"text": "never known"}, run_id=str(uuid4())),
        start(OTHER),  # another event's run: its chunk held is dropped
        chunk({"text": "y"}, run_id=OTHER),
        chunk({"text": "c"}),
        start(),  # ours: its chunks held go on, in order
        chunk({"text": "d"}),
        end("run:stop", "abcd"),
    ]
    value, _ = await scripted(mode, [script], following("call_hot", texts.append))

    assert value == "abcd"
    assert texts == ["a", "b", "c", "d"]


def _attempt(run_id: str, status: str, origin: str | None, retry_attempt: int) -> bytes:
    kind = {"running": "run:start", "pending_retry": "run:stop", "succeeded": "run:stop"}[status]
    event_id = EVENT if origin is None else str(uuid4())
    record = run(run_id, status=status, event_id=event_id, stream_id=STREAM)
    record["origin_run_id"] = None if origin is None else str(origin)
    record["retry_attempt"] = retry_attempt
    return event({"type": kind, "run": record})


RETRY = str(uuid4())
LOOPING = str(uuid4())
_LOOPING_RUN = run(LOOPING, event_id=str(uuid4()), stream_id=STREAM)
_LOOPING_RUN["origin_run_id"] = str(LOOPING)  # it can never lead to an attempt


# At most UNATTRIBUTED_TEXT_LIMIT characters (4 here) are held of runs not yet
# known; which chunks reach on_chunk tells what was held, let go of or dropped.
@pytest.mark.parametrize(
    ("script", "texts"),
    [
        pytest.param(
            [*(chunk({"text": t}) for t in ("ab", "cd", "ef", "gh")), end("run:stop", 1)],
            ["ef", "gh"],
            id="past-the-limit-the-oldest-go",
        ),
        pytest.param(
            [
                chunk({"text": "ab"}),  # ours, its run not yet known: held
                chunk({"text": "zz"}, run_id=OTHER),  # not known either: held
                start(OTHER),  # another event's: its chunk goes, and makes room
                chunk({"text": "cd"}),
                end("run:stop", 1),
            ],
            ["ab", "cd"],
            id="a-run-shown-to-be-another-events-is-let-go-of",
        ),
        pytest.param(
            [
                start(OTHER),  # another event's run, known before its chunks
                chunk({"text": "zz"}, run_id=OTHER),
                chunk({"text": "zz"}, run_id=OTHER),
                chunk({"text": "ab"}),
                chunk({"text": "zz"}, run_id=OTHER),
                chunk({"text": "cd"}),
                end("run:stop", 1),
            ],
            ["ab", "cd"],
            id="a-run-known-to-be-another-events-is-not-held",
        ),
        pytest.param(
            [
                chunk({"text": "abcd"}),  # ours, held up to the limit
                _attempt(OURS, "running", None, 0),  # given on: nothing held any more
                _attempt(OURS, "pending_retry", None, 1),
                chunk({"text": "ef"}, run_id=RETRY),  # the retry's, before its start
                _attempt(RETRY, "running", OURS, 1),
                _attempt(RETRY, "succeeded", OURS, 1),
            ],
            ["abcd", "ef"],
            id="chunks-given-on-make-room",
        ),
        pytest.param(
            [
                chunk({"text": "ab"}),
                event({"type": "run:start", "run": _LOOPING_RUN}),
                chunk({"text": "zz"}, run_id=LOOPING),
                chunk({"text": "cd"}),
                end("run:stop", 1),
            ],
            ["ab", "cd"],
            id="a-run-whose-origins-loop-is-let-go-of",
        ),
    ],
)
async def test_the_chunks_held_stay_within_the_limit_and_are_let_go_of_by_whose_they_are(
    mode: str, monkeypatch: pytest.MonkeyPatch, script: list[bytes], texts: list[str]
) -> None:
    monkeypatch.setattr("hot_typed._streaming.UNATTRIBUTED_TEXT_LIMIT", 4)
    got: list[str] = []
    await scripted(mode, [script], following("wait_for_run_result", got.append))

    assert got == texts


@pytest.mark.parametrize(
    ("kind", "result", "message"),
    [
        ("run:fail", {"$err": {"$val": "ZeroDivision: 1/0"}}, "ZeroDivision: 1/0"),
        # A function's Err as crates/hot/src/lang/engine/cache.rs stores it.
        (
            "run:fail",
            {"msg": "card declined", "err": {"$type": "::shop/Declined", "$val": {"code": 51}}},
            "card declined",
        ),
        ("run:cancel", {"reason": "user stopped it"}, "user stopped it"),
    ],
)
async def test_call_hot_raises_when_its_run_fails_or_is_cancelled(
    mode: str, kind: str, result: Any, message: str
) -> None:
    with pytest.raises(HotRunError, match=message) as error:
        await call(mode, [PUBLISHED, start(), end(kind, result)])

    assert error.value.run.run_id == OURS
    assert error.value.run.result == result


async def test_call_hot_ignores_other_runs_failures(mode: str) -> None:
    value, _ = await call(
        mode,
        [
            PUBLISHED,
            start(OTHER),
            start(),
            end("run:fail", {"$err": "x"}, OTHER),
            end("run:stop", 1),
        ],
    )

    assert value == 1


class Sum(pydantic.BaseModel):
    sum: int


async def test_call_hot_validates_the_result_into_result_type(mode: str) -> None:
    value, _ = await call(
        mode, [PUBLISHED, start(), end("run:stop", {"sum": "3"})], result_type=Sum
    )

    assert value == Sum(sum=3)


async def test_call_hot_result_not_fitting_result_type_raises_with_the_value(mode: str) -> None:
    with pytest.raises(HotResponseValidationError) as error:
        await call(
            mode, [PUBLISHED, start(), end("run:stop", ["a"])], result_type=list[int]
        )

    assert error.value.raw == ["a"]
    assert str(error.value) == (
        f"the result of run {OURS} does not fit list[int]: 1 problem(s)"
    )
    assert error.value.validation_error is not None
    assert error.value.validation_error.errors()[0]["loc"] == (0,)
    assert isinstance(error.value.__cause__, pydantic.ValidationError)


async def test_call_hot_times_out_within_its_bound(mode: str) -> None:
    started = time.monotonic()
    with pytest.raises(HotTimeoutError):
        await call(mode, [PUBLISHED, start(), HOLD], timeout=0.3)

    assert time.monotonic() - started < 1.5


async def test_call_hot_cut_before_publication_says_the_outcome_is_unknown(mode: str) -> None:
    with pytest.raises(HotStreamError, match="unknown whether the event was published"):
        await call(mode, [PUBLISHED[:20], DROP])


async def test_wait_for_run_result_returns_the_correlated_run(mode: str) -> None:
    chunks: list[str] = []
    with SseScript(
        [start(OTHER), start(), chunk({"text": "x"}), DROP],
        [start(OTHER), start(), end("run:stop", 5, OTHER), end("run:stop", 6)],
        records={},
    ) as server:
        client = make_client(server, mode)
        try:
            finished = await resolve(
                client.streams.wait_for_run_result(STREAM, EVENT, timeout=5, on_chunk=chunks.append)
            )
        finally:
            await close(client)

    assert finished.run_id == OURS
    assert finished.status is RunStatus.SUCCEEDED
    assert finished.result == 6
    assert chunks == ["x"]
    # Each connection first reads what the replay may leave out: the event's
    # runs while none is known, then the run.
    assert paths(server.requests) == [
        f"GET /v1/streams/{STREAM}/subscribe",
        f"GET /v1/events/{EVENT}/runs",
        f"GET /v1/streams/{STREAM}/subscribe",
        f"GET /v1/runs/{OURS}",
    ]


async def test_wait_for_run_result_raises_on_failure(mode: str) -> None:
    with SseScript([start(), end("run:fail", {"$err": "broken"})], records={}) as server:
        client = make_client(server, mode)
        try:
            with pytest.raises(HotRunError, match="broken"):
                await resolve(client.streams.wait_for_run_result(str(STREAM), str(EVENT)))
        finally:
            await close(client)


@pytest.mark.parametrize(
    ("script", "raised"),
    [
        ([PUBLISHED, start(), end("run:fail", {"$err": "no"}), HOLD], HotRunError),
        ([PUBLISHED, start(), HOLD], HotTimeoutError),
    ],
)
async def test_a_call_that_raises_releases_its_connection(
    mode: str, script: Script, raised: type[Exception]
) -> None:
    with SseScript(script, records={}) as server:
        client = make_client(server, mode)
        try:
            with pytest.raises(raised):
                await resolve(client.events.call_hot("::f", timeout=0.3))
            assert server.wait_all_closed()
        finally:
            await close(client)


class Point(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(serialize_by_alias=True)

    x_pos: int = pydantic.Field(alias="x")
    y: float


async def test_call_hot_sends_model_arguments_as_their_json(mode: str) -> None:
    with SseScript([PUBLISHED, start(), end("run:stop", 1)], records={}) as server:
        client = make_client(server, mode)
        try:
            await resolve(client.events.call_hot("::geo/norm", [Point(x=3, y=4.0), {"k": None}]))
        finally:
            await close(client)

    [request] = server.requests
    assert request.json()["event_data"] == {
        "fn": "::geo/norm",
        "args": [{"x": 3, "y": 4.0}, {"k": None}],
    }


async def test_call_hot_refuses_arguments_that_are_not_json_before_sending(mode: str) -> None:
    with SseScript([PUBLISHED, start(), end("run:stop", 1)], records={}) as server:
        client = make_client(server, mode)
        try:
            with pytest.raises(pydantic.ValidationError):
                await resolve(client.events.call_hot("::math/add", [float("nan"), 1]))
        finally:
            await close(client)

    assert server.requests == []
