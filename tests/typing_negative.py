"""Mistakes mypy --strict must catch: every line tagged `# E: <code>` must be
reported with that error code, and no other line may be. Checked by
`test_typing.py`; excluded from the plain mypy run, since it fails by design.
"""

from __future__ import annotations

from uuid import UUID

import httpx
from pydantic import BaseModel

from hot_typed import (
    AsyncHotClient,
    Event,
    EventCreate,
    HotClient,
    Permissions,
    Run,
    RunStart,
    ServiceKeyCreate,
    SessionCreate,
)
from hot_typed._request import Call, Request
from hot_typed._resource import _Operation  # pyright: ignore[reportPrivateUsage]
from hot_typed._wire import item_parser, parametrized
from hot_typed.testing import HotEmulator

ID = UUID("0190d3a2-4b5c-7d8e-9f00-112233445566")


class Signup(BaseModel):
    email: str


def sync_mistakes(hot: HotClient) -> None:
    hot.events.publish(42)  # E: arg-type
    hot.events.publish({"event_type": "t"}).evnt_type  # E: attr-defined
    hot.events.get(12345)  # E: arg-type
    hot.events.get(ID, data_type="Signup")  # E: arg-type
    hot.events.get(ID, data_type=Signup).event_data.mail  # E: attr-defined
    hot.events.list(limit="10")  # E: arg-type
    hot.runs.list(status=3)  # E: arg-type
    hot.runs.list(status="FAILED")  # E: arg-type
    hot.runs.list(type="task")  # E: arg-type
    hot.runs.list(statuses="failed")  # E: call-arg
    hot.runs.get(ID, result=int)  # E: call-arg
    hot.runs.get(ID).stauts  # E: attr-defined
    hot.tasks.get(ID).status.is_terminl  # E: attr-defined
    hot.streams.subscribe(ID, project=7)  # E: arg-type
    hot.sessions.create(["stream:*"])  # E: arg-type
    hot.eventz.publish({"event_type": "t"})  # E: attr-defined
    run: Run = hot.events.get(ID)  # E: assignment
    count: int = hot.runs.get(ID, result_type=str).result  # E: assignment
    # A record may be of a run still going: its result must be checked for None.
    hot.runs.get(ID).result["total"]  # E: index
    hot.runs.get(ID, result_type=Signup).result.email  # E: union-attr
    hot.tasks.get(ID).result["total"]  # E: index
    for message in hot.streams.subscribe(ID):
        if isinstance(message, RunStart):
            message.run.result["total"]  # E: index
    for update in hot.runs.subscribe(ID):
        update.task  # E: attr-defined
    hot.runs.wait(ID, extra_body={"a": 1})  # E: call-arg
    hot.tasks.wait(ID, retries="3")  # E: arg-type
    hot.env.get(extra_headers={"X-N": 1})  # E: dict-item
    hot.env.get(extra_header={"X-N": "1"})  # E: call-arg
    hot.with_options(token="other")  # E: call-arg
    hot.token = "other"  # E: misc
    # raw responses: the wrapper is not the model; parse() is
    hot.with_raw_response.runs.get(ID).status  # E: attr-defined
    hot.with_raw_response.runs.get(ID).parse().stauts  # E: attr-defined
    for _chunk in hot.with_streaming_response.files.download(ID):  # E: attr-defined
        pass
    HotClient("t", http2="yes")  # E: arg-type
    HotClient("t", event_hooks={"request": "hook"})  # E: dict-item


async def async_mistakes(hot: AsyncHotClient) -> None:
    hot.events.publish({"event_type": "t"}).event_type  # E: attr-defined
    (await hot.runs.get(ID)).reslt  # E: attr-defined
    for run in await hot.runs.list():
        run.event_typ  # E: attr-defined
    for _event in hot.streams.subscribe(ID):  # E: attr-defined
        pass
    hot.runs.list()  # E: unused-coroutine
    (await (await hot.with_raw_response.runs.get(ID)).parse()).reslt  # E: attr-defined
    async with hot.with_streaming_response.files.download(ID) as streamed:
        for _part in streamed.iter_bytes():  # E: attr-defined
            pass


def model_mistakes() -> None:
    EventCreate(event_type="t", bogus=1)  # E: call-arg
    EventCreate(event_type=1)  # E: arg-type
    EventCreate(event_data={"a": 1})  # E: call-arg
    SessionCreate(permissions=Permissions({"stream:*": ["read"]}), expires_in="1h")  # E: arg-type
    ServiceKeyCreate(name="k")  # E: call-arg
    Permissions(["stream:*"])  # E: arg-type


def construction_mistakes() -> None:
    HotClient("t", client=httpx.AsyncClient())  # E: arg-type
    AsyncHotClient("t", client=httpx.Client())  # E: arg-type
    HotClient("t", max_retries="2")  # E: arg-type


def emulator_client_mistakes(emulator: HotEmulator) -> None:
    emulator.client(max_retry=0)  # E: call-arg
    emulator.async_client(timeout="5")  # E: arg-type


def internal_mistakes() -> None:
    # A parser of one model where another is declared; a runner verb misspelt.
    parse = item_parser(parametrized(Run, Signup))
    events: Call[Event[Signup]] = Call(Request("GET", "/events/x"), parse)  # E: arg-type
    _Operation(lambda resource: None, "perfrom")  # E: arg-type
