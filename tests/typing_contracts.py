"""Typed contracts used correctly: mypy --strict must find nothing here
(checked by test_typing_contracts.py)."""

# Results are bound to names only for their types, as ruff's F841 ignore says too.
# pyright: reportUnusedVariable=false

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel

import hot_typed
from hot_typed import (
    AsyncHotClient,
    ContextVariableCreateParams,
    EnvEventCreated,
    EnvEventHandled,
    Event,
    EventCreate,
    EventCreateParams,
    EventType,
    HotClient,
    HotMcpError,
    McpToolList,
    McpToolResult,
    Permissions,
    ServiceKey,
    StreamData,
    StreamDataType,
)


def request_bodies(hot: HotClient) -> None:
    event: Event = hot.events.publish({"event_type": "user:signup", "event_data": {"a": [1]}})
    hot.events.publish({"event_type": "a:b", "stream_id": UUID(int=1)})
    hot.events.publish(EventCreate(event_type="a:b"))
    body: EventCreateParams = {"event_type": "a:b", "event_data": None}
    hot.streams.subscribe_with_event(body)
    hot.sessions.create({"permissions": {"stream:*": ["read"]}, "expires_in": 60})
    hot.sessions.create({"permissions": Permissions({"stream:*": ["read"]})})
    key: ServiceKey = hot.service_keys.create(
        {"name": "ci", "permissions": {"event:*": ("create",)}, "metadata": {"team": "data"}}
    )
    hot.service_keys.update(key.service_key_id, {"metadata": None})
    variable: ContextVariableCreateParams = {"key": "API", "value": "v"}
    hot.context.create("project", variable)
    hot.context.update("project", "API", {"value": "w", "description": None})
    hot.projects.create({"name": "p"})
    hot.projects.update("p", {"name": "q"})
    hot.domains.create({"domain": "example.com"})
    hot.files.initiate_upload({"path": "a/b.txt", "expected_size": 3})


class Booking(BaseModel):
    at: datetime


@hot_typed.function("::demo::math/add")
def add(a: int, b: int) -> int:
    raise NotImplementedError


@hot_typed.function("::shop/book")
def book(who: str, at: datetime, seats: list[int] | None = None) -> Booking:
    raise NotImplementedError


def functions(hot: HotClient) -> None:
    total: int = hot.call(add, 2, 3)
    by_keyword: int = hot.call(add, 2, b=3)
    booking: Booking = hot.call(book, "ada", datetime.now())
    when: datetime = hot.call(book, "ada", datetime.now(), [1, 2]).at
    chunks: list[str] = []
    quick: int = hot.call(add.with_options(timeout=5.0, on_chunk=chunks.append), 1, 1)


async def async_functions(hot: AsyncHotClient) -> None:
    total: int = await hot.call(add, 2, 3)
    booking: Booking = await hot.call(book, "ada", datetime.now(), seats=None)


class SignupData(BaseModel):
    email: str


class Delta(BaseModel):
    text: str


Signup = EventType("user:signup", SignupData)
DeltaData = StreamDataType("ai:delta", Delta)


def events_and_stream_data(hot: HotClient, event_id: UUID) -> None:
    hot.events.publish(Signup(SignupData(email="ada@example.com")))
    hot.streams.subscribe_with_event(Signup(SignupData(email="a@x"), stream_id=event_id))
    signup: Event[SignupData] = hot.events.get(event_id, data_type=Signup)
    email: str = signup.event_data.email
    for event in hot.events.list(data_type=Signup):
        also: str = event.event_data.email
    read: Event[SignupData] = Signup.read(hot.events.get(event_id))
    body = Signup(SignupData(email="a"))
    for message in hot.streams.subscribe_with_event(body, data_types=[DeltaData]):
        if DeltaData.matches(message):
            delta: StreamData[Delta] = message
            text: str = message.payload.text
    for message in hot.streams.subscribe(event_id, data_types=[DeltaData]):
        if DeltaData.matches(message):
            more: str = message.payload.text
    for happened in hot.env.subscribe():
        if Signup.matches(happened):
            told: EnvEventCreated | EnvEventHandled = happened
            published: Event[SignupData] = hot.events.get(happened.event_id, data_type=Signup)


async def async_events(hot: AsyncHotClient, event_id: UUID) -> None:
    signup: Event[SignupData] = await hot.events.get(event_id, data_type=Signup)
    async for message in hot.streams.subscribe_with_event(Signup(SignupData(email="a"))):
        if DeltaData.matches(message):
            text: str = message.payload.text


def mcp(hot: HotClient) -> None:
    listed: McpToolList = hot.mcp.list_tools("acme", "production", "shop")
    schema: dict[str, object] = listed.tools[0].input_schema
    result: McpToolResult = hot.mcp.call_tool("acme", "production", "shop", "t", {"a": 1})
    failed: bool = result.is_error
    try:
        hot.mcp.list_tools("acme", "production", "shop")
    except HotMcpError as error:
        code: int | None = error.code
        message: str = error.message
        refused: McpToolResult | None = error.result
