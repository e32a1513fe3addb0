"""Misuses of typed contracts mypy --strict must catch: every line tagged
`# E: <code>` must be reported with that code, and no other line may be
(checked by test_typing_contracts.py; excluded from the plain mypy run)."""

# Results are bound to names only for their types, as ruff's F841 ignore says too.
# pyright: reportUnusedVariable=false

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel

import hot_typed
from hot_typed import AsyncHotClient, EventCreateParams, EventType, HotClient, StreamDataType


def request_body_mistakes(hot: HotClient) -> None:
    hot.events.publish({"event_typ": "user:signup"})  # E: arg-type
    hot.events.publish({"event_type": 3})  # E: arg-type
    hot.events.publish({"event_data": {}})  # E: arg-type
    hot.events.publish({"event_type": "a:b", "stream_id": 5})  # E: arg-type
    hot.streams.subscribe_with_event({"event_type": "a:b", "evnt_data": 1})  # E: arg-type
    body: EventCreateParams = {"event_type": "a:b", "data": 1}  # E: typeddict-unknown-key
    hot.sessions.create({"permissions": {"stream:*": "read"}})  # E: arg-type
    hot.sessions.create({"permissions": {"stream:*": ["read"]}, "expires_in": "1h"})  # E: arg-type
    hot.service_keys.create({"name": "k"})  # E: arg-type
    hot.projects.create({"name": "x", "nme": "y"})  # E: arg-type
    hot.context.create("p", {"key": "k"})  # E: arg-type
    hot.files.initiate_upload({"path": "a", "expected_size": "3"})  # E: arg-type


@hot_typed.function("::demo::math/add")
def add(a: int, b: int) -> int:
    raise NotImplementedError


@hot_typed.function("::shop/book")
def book(who: str, at: datetime) -> str:
    raise NotImplementedError


def function_mistakes(hot: HotClient) -> None:
    hot.call(add, 2, "3")  # E: arg-type
    hot.call(add, 2)  # E: call-arg
    hot.call(add, 1, 2, 3)  # E: call-arg
    hot.call(add, 1, c=2)  # E: call-arg
    hot.call(book, "ada", "tomorrow")  # E: arg-type
    text: str = hot.call(add, 1, 2)  # E: assignment
    hot.call(add, 1, 2).upper()  # E: attr-defined
    hot.call("::demo::math/add", 1, 2)  # E: arg-type
    add(1, 2)  # E: operator
    add.with_options(timeout="5")  # E: arg-type
    add.with_options(retries=3)  # E: call-arg
    add.with_options(on_chunk=1)  # E: arg-type


async def async_function_mistakes(hot: AsyncHotClient) -> None:
    total: int = hot.call(add, 1, 2)  # E: assignment
    (await hot.call(add, 1, 2)).upper()  # E: attr-defined


class SignupData(BaseModel):
    email: str


class Delta(BaseModel):
    text: str


Signup = EventType("user:signup", SignupData)
DeltaData = StreamDataType("ai:delta", Delta)


def event_mistakes(hot: HotClient, event_id: UUID) -> None:
    Signup({"email": "ada@example.com"})  # E: arg-type
    Signup(Delta(text="x"))  # E: arg-type
    hot.events.publish(Signup)  # E: arg-type
    hot.events.get(event_id, data_type=Signup).event_data.mail  # E: attr-defined
    count: int = hot.events.get(event_id, data_type=Signup).event_data  # E: assignment
    hot.streams.subscribe(event_id, data_types=[Signup])  # E: list-item
    for message in hot.streams.subscribe(event_id, data_types=[DeltaData]):
        message.payload.text  # E: union-attr
        if DeltaData.matches(message):
            message.payload.txt  # E: attr-defined
    for happened in hot.env.subscribe():
        if Signup.matches(happened):
            happened.event_data  # E: union-attr


def mcp_mistakes(hot: HotClient) -> None:
    hot.mcp.list_tools("acme", "shop")  # E: call-arg
    hot.mcp.list_tools("acme", "production", "shop").tool  # E: attr-defined
    hot.mcp.call_tool("acme", "production", "shop", "t", ["a"])  # E: arg-type
