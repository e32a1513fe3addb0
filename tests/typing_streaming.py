"""Checked by mypy, never run: the static types of the streaming API on both clients."""

from __future__ import annotations

from collections.abc import Coroutine
from typing import Any

from typing_extensions import assert_type

from hot_typed import (
    AsyncEventStream,
    AsyncHotClient,
    EnvEvent,
    EventStream,
    HotClient,
    Run,
    RunUpdate,
    StreamEvent,
    Task,
)


def sync_types(hot: HotClient) -> None:
    assert_type(hot.streams.subscribe_with_event({"event_type": "x"}), EventStream[StreamEvent])
    assert_type(hot.env.subscribe(), EventStream[EnvEvent])
    assert_type(hot.runs.subscribe("r"), EventStream[RunUpdate])
    assert_type(hot.runs.wait("r", timeout=5), Run)
    assert_type(hot.tasks.wait("t"), Task)
    assert_type(hot.streams.wait_for_run_result("s", "e", timeout=1), Run)
    assert_type(hot.events.call_hot("::f", [1]), Any)
    assert_type(hot.events.call_hot("::f", [1], result_type=int), int)
    assert_type(hot.events.call_hot("::f", result_type=list[str]), list[str])


async def async_types(hot: AsyncHotClient) -> None:
    assert_type(
        hot.streams.subscribe_with_event({"event_type": "x"}), AsyncEventStream[StreamEvent]
    )
    assert_type(hot.env.subscribe(), AsyncEventStream[EnvEvent])
    waiting: Coroutine[Any, Any, Run] = hot.runs.wait("r")
    await waiting
    assert_type(await hot.tasks.wait("t"), Task)
    assert_type(await hot.streams.wait_for_run_result("s", "e"), Run)
    assert_type(await hot.events.call_hot("::f", [1]), Any)
    assert_type(await hot.events.call_hot("::f", [1], result_type=int), int)
