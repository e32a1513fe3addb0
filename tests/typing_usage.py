"""What mypy --strict infers for every call of both clients, with no annotation from
the user. Checked by mypy (mypy.ini), never run; `test_typing.py` also checks it
under `--strict --warn-unused-ignores`.
"""

from __future__ import annotations

from collections.abc import Coroutine, Iterator
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
from pydantic import BaseModel
from typing_extensions import assert_type

from hot_typed import (
    AsyncEventStream,
    AsyncHotClient,
    AsyncPage,
    AsyncRawResponse,
    AsyncStreamedResponse,
    BlobRef,
    Build,
    BuildUpload,
    BuildWithProject,
    ContextVariable,
    Domain,
    DomainVerification,
    Environment,
    Event,
    EventCreate,
    EventCreateParams,
    EventHandler,
    EventStream,
    File,
    FinishedRun,
    HotClient,
    InitiateUpload,
    OrgUsage,
    Page,
    Permissions,
    Project,
    ProjectActivation,
    RawResponse,
    RevokeAll,
    Run,
    RunStats,
    RunStatus,
    RunUpdate,
    Schedule,
    ServerStatus,
    ServiceKey,
    ServiceKeyCreate,
    Session,
    SessionCreate,
    StreamData,
    StreamedResponse,
    StreamEvent,
    Task,
    TaskUpdate,
    UploadPart,
    WebhookResponse,
    find_blob_refs,
)
from hot_typed.agent import AgentEvent, AgentReply, ReplyAccumulator

ID = UUID("0190d3a2-4b5c-7d8e-9f00-112233445566")
PROJECT = "shop"


class Signup(BaseModel):
    email: str


def sync_client(hot: HotClient) -> None:
    # events
    assert_type(hot.events.publish({"event_type": "user:signup"}), Event)
    assert_type(
        hot.events.publish(EventCreate(event_type="t", event_data=Signup(email="a"))), Event
    )
    assert_type(hot.events.list(), Page[Event])
    assert_type(hot.events.list(limit=5, data_type=Signup), Page[Event[Signup]])
    assert_type(hot.events.get(ID), Event)
    assert_type(hot.events.get(ID), Event[Any])
    assert_type(hot.events.get(ID, data_type=Signup), Event[Signup])
    assert_type(hot.events.get(ID, data_type=Signup).event_data, Signup)
    assert_type(hot.events.get(ID).event_data, Any)
    assert_type(hot.events.get(ID).raw, dict[str, Any])
    assert_type(hot.events.get_runs(ID), Page[Run])
    # runs and tasks
    assert_type(hot.runs.list(status=RunStatus.FAILED, time_range="P7D"), Page[Run])
    assert_type(hot.runs.stats(), RunStats)
    assert_type(hot.runs.get(ID), Run)
    assert_type(hot.runs.get(ID, result_type=int), Run[int])
    # A record read at any time may be of a run still going: its result may be None.
    assert_type(hot.runs.get(ID, result_type=int).result, int | None)
    assert_type(hot.runs.get(ID).result, Any | None)
    assert_type(hot.runs.get(ID).status, RunStatus)
    assert_type(hot.runs.subscribe(ID), EventStream[RunUpdate])
    assert_type(hot.tasks.get(ID), Task)
    assert_type(hot.tasks.get(ID, result_type=Signup).result, Signup | None)
    signup = hot.tasks.get(ID, result_type=Signup).result
    if signup is not None:
        assert_type(signup.email, str)
    assert_type(hot.tasks.subscribe(ID), EventStream[TaskUpdate])
    # streams
    assert_type(hot.streams.subscribe(ID), EventStream[StreamEvent])
    ask: EventCreateParams = {"event_type": "team-agent:ask"}
    assert_type(ReplyAccumulator("team-agent").collect(hot.streams.subscribe(ID)), AgentReply)
    folded = ReplyAccumulator("team-agent").follow(hot.streams.subscribe_with_event(ask))
    assert_type(folded, Iterator[AgentEvent])
    assert_type(hot.streams.subscribe_post(ID, project=PROJECT), EventStream[StreamEvent])
    for event in hot.streams.subscribe(ID):
        assert_type(event, StreamEvent)
        if isinstance(event, StreamData):
            assert_type(event.payload, Any)
            assert_type(event.data_type, str)
    with hot.runs.subscribe(ID) as updates:
        for update in updates:
            assert_type(update.run, Run)
    # projects, builds, context
    assert_type(hot.projects.list(), Page[Project])
    assert_type(hot.projects.create({"name": "shop"}), Project)
    assert_type(hot.projects.get(PROJECT), Project)
    assert_type(hot.projects.update(ID, {"name": "store"}), Project)
    assert_type(hot.projects.delete(PROJECT), None)
    assert_type(hot.projects.activate(PROJECT), ProjectActivation)
    assert_type(hot.projects.deactivate(PROJECT), ProjectActivation)
    assert_type(hot.projects.event_handlers(PROJECT), Page[EventHandler])
    assert_type(hot.projects.schedules(PROJECT), Page[Schedule])
    assert_type(hot.builds.list(), Page[BuildWithProject])
    assert_type(hot.builds.list_for_project(PROJECT), Page[Build])
    assert_type(hot.builds.get(PROJECT, ID), Build)
    assert_type(hot.builds.deployed(PROJECT), Build)
    assert_type(hot.builds.live(PROJECT), Build)
    assert_type(hot.builds.upload(PROJECT, file=b"zip", hash="abc"), BuildUpload)
    assert_type(hot.builds.download(PROJECT, ID), httpx.Response)
    assert_type(hot.builds.deploy(PROJECT, ID), Build)
    assert_type(hot.context.list(PROJECT), Page[ContextVariable])
    assert_type(hot.context.create(PROJECT, {"key": "K", "value": "v"}), ContextVariable)
    assert_type(hot.context.update(PROJECT, "K", {"value": "w"}), ContextVariable)
    assert_type(hot.context.delete(PROJECT, "K"), None)
    # files
    assert_type(hot.files.list(prefix="reports/"), Page[File])
    assert_type(hot.files.get(ID), File)
    assert_type(hot.files.delete(ID), None)
    assert_type(hot.files.download(ID), httpx.Response)
    # raw and streaming responses: the plain call's type, wrapped
    assert_type(hot.with_raw_response.runs.get(ID), RawResponse[Run])
    assert_type(hot.with_raw_response.runs.get(ID).parse(), Run)
    assert_type(hot.with_raw_response.runs.list(), RawResponse[Page[Run]])
    assert_type(hot.with_raw_response.status().request_id, str | None)
    with hot.with_streaming_response.files.download(ID) as streamed:
        assert_type(streamed, StreamedResponse[httpx.Response])
        for chunk in streamed.iter_bytes():
            assert_type(chunk, bytes)
    assert_type(hot.with_raw_response.runs.wait(ID), FinishedRun)
    assert_type(hot.files.upload("a/b.txt", b"hi"), File)
    assert_type(hot.files.initiate_upload({"path": "big.bin"}), InitiateUpload)
    assert_type(hot.files.upload_part(ID, 1, b"part"), UploadPart)
    assert_type(hot.files.complete_upload(ID), File)
    assert_type(hot.files.abort_upload(ID), None)
    # credentials
    permissions = Permissions({"stream:*": ["read"]})
    assert_type(hot.sessions.create(SessionCreate(permissions=permissions)), Session)
    assert_type(hot.sessions.create({"permissions": {"stream:*": ["read"]}}), Session)
    assert_type(hot.sessions.list(), Page[Session])
    assert_type(hot.sessions.revoke(ID), None)
    assert_type(hot.sessions.revoke_all(), RevokeAll)
    assert_type(hot.service_keys.create(ServiceKeyCreate(permissions=permissions)), ServiceKey)
    assert_type(hot.service_keys.list(), Page[ServiceKey])
    assert_type(hot.service_keys.get(ID), ServiceKey)
    assert_type(hot.service_keys.update(ID, {"metadata": {"team": "a"}}), ServiceKey)
    assert_type(hot.service_keys.revoke(ID), None)
    assert_type(hot.service_keys.revoke_all(), RevokeAll)
    # environment, org, domains, escape hatches
    assert_type(hot.env.get(), Environment)
    webhook = hot.webhooks.call("acme/dev/forms/signup/0123456789ab", json={"a": 1})
    assert_type(webhook, WebhookResponse)
    assert_type(webhook.json(Signup), Signup)
    assert_type(hot.org.usage(), OrgUsage)
    assert_type(hot.domains.create({"domain": "example.com"}), Domain)
    assert_type(hot.domains.list(), Page[Domain])
    assert_type(hot.domains.get(ID), Domain)
    assert_type(hot.domains.delete(ID), None)
    assert_type(hot.domains.verify(ID), DomainVerification)
    assert_type(hot.request("GET", "/status"), Any)
    assert_type(hot.request_raw("GET", "/status"), httpx.Response)
    # per-request options, on every kind of operation
    options_headers = {"X-Trace": "t"}
    assert_type(
        hot.events.publish(
            {"event_type": "a:b"},
            extra_headers=options_headers,
            extra_query={"dry": True, "n": 1, "drop": None},
            extra_body={"future_field": [1, 2]},
            timeout=httpx.Timeout(5.0),
        ),
        Event,
    )
    assert_type(hot.runs.list(limit=5, timeout=2.5), Page[Run])
    assert_type(hot.runs.subscribe(ID, extra_headers=options_headers), EventStream[RunUpdate])
    assert_type(hot.runs.wait(ID, timeout=30, extra_query={"a": "b"}), FinishedRun)
    assert_type(hot.events.call_hot("::f", [1], result_type=int, extra_headers={}), int)
    assert_type(
        hot.streams.subscribe_with_event({"event_type": "a:b"}, timeout=10.0),
        EventStream[StreamEvent],
    )
    assert_type(hot.files.download_to(ID, "out.bin", extra_headers=options_headers), Path)
    assert_type(hot.request("GET", "/env", extra_query={"a": 1}), Any)
    configured = hot.with_options(timeout=5.0, max_retries=0, extra_headers=options_headers)
    assert_type(configured, HotClient)
    assert_type(configured.token, str)
    # status and blobs
    assert_type(hot.status(), ServerStatus)
    assert_type(hot.blobs.download(ID), bytes)
    assert_type(hot.blobs.download_to(ID, "blob.bin"), Path)
    ref = BlobRef.from_value({"$type": "::hot::blob/BlobRef"})
    assert_type(ref, BlobRef | None)
    if ref is not None:
        assert_type(hot.blobs.download(ref), bytes)
    for found in find_blob_refs(hot.runs.get(ID).result):
        assert_type(found, BlobRef)
    # pages
    page = hot.runs.list()
    assert_type(page.data, list[Run])
    assert_type(page.next_page(), Page[Run] | None)
    for run in page.auto_paging_iter():
        assert_type(run, Run)


async def async_client(hot: AsyncHotClient) -> None:
    # A coroutine checked before it is awaited (`_ =` keeps it "used").
    publishing = hot.events.publish({"event_type": "user:signup"})
    _ = assert_type(publishing, Coroutine[Any, Any, Event])
    assert_type(await publishing, Event)
    listing = hot.runs.list()
    _ = assert_type(listing, Coroutine[Any, Any, AsyncPage[Run]])
    getting = hot.events.get(ID, data_type=Signup)
    _ = assert_type(getting, Coroutine[Any, Any, Event[Signup]])
    # events
    assert_type(await hot.events.list(data_type=Signup), AsyncPage[Event[Signup]])
    assert_type(await hot.events.get(ID), Event)
    assert_type(await hot.events.get_runs(ID), AsyncPage[Run])
    # runs and tasks
    assert_type(await listing, AsyncPage[Run])
    assert_type(await hot.runs.stats(), RunStats)
    assert_type(await hot.runs.get(ID), Run)
    assert_type(await hot.runs.get(ID, result_type=Signup), Run[Signup])
    assert_type(hot.runs.subscribe(ID), AsyncEventStream[RunUpdate])
    assert_type(await hot.tasks.get(ID), Task)
    assert_type(await hot.tasks.get(ID, result_type=int), Task[int])
    assert_type(hot.tasks.subscribe(ID), AsyncEventStream[TaskUpdate])
    # streams
    assert_type(hot.streams.subscribe(ID), AsyncEventStream[StreamEvent])
    accumulator = ReplyAccumulator("team-agent")
    reply = await accumulator.acollect(hot.streams.subscribe_with_event({"event_type": "a:b"}))
    assert_type(reply, AgentReply)
    assert_type(hot.streams.subscribe_post(ID), AsyncEventStream[StreamEvent])
    async with hot.streams.subscribe(ID) as events:
        async for event in events:
            assert_type(event, StreamEvent)
    # projects, builds, context
    assert_type(await hot.projects.list(), AsyncPage[Project])
    assert_type(await hot.projects.create({"name": "shop"}), Project)
    assert_type(await hot.projects.get(PROJECT), Project)
    assert_type(await hot.projects.update(PROJECT, {"name": "store"}), Project)
    assert_type(await hot.projects.delete(PROJECT), None)
    assert_type(await hot.projects.activate(PROJECT), ProjectActivation)
    assert_type(await hot.projects.deactivate(PROJECT), ProjectActivation)
    assert_type(await hot.projects.event_handlers(PROJECT), AsyncPage[EventHandler])
    assert_type(await hot.projects.schedules(PROJECT), AsyncPage[Schedule])
    assert_type(await hot.builds.list(), AsyncPage[BuildWithProject])
    assert_type(await hot.builds.list_for_project(PROJECT), AsyncPage[Build])
    assert_type(await hot.builds.get(PROJECT, ID), Build)
    assert_type(await hot.builds.deployed(PROJECT), Build)
    assert_type(await hot.builds.live(PROJECT), Build)
    assert_type(await hot.builds.upload(PROJECT, file=b"zip", hash="abc"), BuildUpload)
    assert_type(await hot.builds.download(PROJECT, ID), httpx.Response)
    assert_type(await hot.builds.deploy(PROJECT, ID), Build)
    assert_type(await hot.context.list(PROJECT), AsyncPage[ContextVariable])
    assert_type(await hot.context.create(PROJECT, {"key": "K", "value": "v"}), ContextVariable)
    assert_type(await hot.context.update(PROJECT, "K", {"value": "w"}), ContextVariable)
    assert_type(await hot.context.delete(PROJECT, "K"), None)
    # files
    assert_type(await hot.files.list(), AsyncPage[File])
    assert_type(await hot.files.get(ID), File)
    assert_type(await hot.files.delete(ID), None)
    assert_type(await hot.files.download(ID), httpx.Response)
    assert_type(await hot.with_raw_response.runs.get(ID), AsyncRawResponse[Run])
    assert_type(await (await hot.with_raw_response.runs.get(ID)).parse(), Run)
    assert_type(await hot.with_raw_response.runs.list(), AsyncRawResponse[AsyncPage[Run]])
    async with hot.with_streaming_response.files.download(ID) as astreamed:
        assert_type(astreamed, AsyncStreamedResponse[httpx.Response])
        async for achunk in astreamed.iter_bytes():
            assert_type(achunk, bytes)
        assert_type(await astreamed.parse(), httpx.Response)
    assert_type(await hot.files.upload("a/b.txt", b"hi"), File)
    assert_type(await hot.files.initiate_upload({"path": "big.bin"}), InitiateUpload)
    assert_type(await hot.files.upload_part(ID, 1, b"part"), UploadPart)
    assert_type(await hot.files.complete_upload(ID), File)
    assert_type(await hot.files.abort_upload(ID), None)
    # credentials
    permissions = Permissions({"stream:*": ["read"]})
    assert_type(await hot.sessions.create(SessionCreate(permissions=permissions)), Session)
    assert_type(await hot.sessions.list(), AsyncPage[Session])
    assert_type(await hot.sessions.revoke(ID), None)
    assert_type(await hot.sessions.revoke_all(), RevokeAll)
    assert_type(await hot.service_keys.create({"permissions": {"run:*": ["read"]}}), ServiceKey)
    assert_type(await hot.service_keys.list(), AsyncPage[ServiceKey])
    assert_type(await hot.service_keys.get(ID), ServiceKey)
    assert_type(await hot.service_keys.update(ID, {"metadata": None}), ServiceKey)
    assert_type(await hot.service_keys.revoke(ID), None)
    assert_type(await hot.service_keys.revoke_all(), RevokeAll)
    # environment, org, domains, escape hatches
    assert_type(await hot.env.get(), Environment)
    assert_type(await hot.webhooks.call("a/b/c/0123456789ab", method="GET"), WebhookResponse)
    assert_type(await hot.org.usage(), OrgUsage)
    assert_type(await hot.domains.create({"domain": "example.com"}), Domain)
    assert_type(await hot.domains.list(), AsyncPage[Domain])
    assert_type(await hot.domains.get(ID), Domain)
    assert_type(await hot.domains.delete(ID), None)
    assert_type(await hot.domains.verify(ID), DomainVerification)
    assert_type(await hot.request("GET", "/status"), Any)
    assert_type(await hot.request_raw("GET", "/status"), httpx.Response)
    # per-request options, status and blobs
    assert_type(await hot.events.publish({"event_type": "a:b"}, extra_body={"x": 1}), Event)
    assert_type(await hot.runs.list(extra_query={"x": "y"}), AsyncPage[Run])
    assert_type(await hot.runs.wait(ID, extra_headers={"X-W": "w"}), FinishedRun)
    assert_type(
        hot.streams.subscribe_with_event({"event_type": "a:b"}, extra_headers={}),
        AsyncEventStream[StreamEvent],
    )
    assert_type(await hot.events.call_hot("::f", timeout=5, extra_headers={}), Any)
    assert_type(hot.with_options(max_retries=1), AsyncHotClient)
    assert_type(await hot.with_options(timeout=1.0).status(), ServerStatus)
    assert_type(await hot.blobs.download(ID, timeout=30.0), bytes)
    assert_type(await hot.files.upload("a.txt", "text"), File)
    # pages
    page = await hot.runs.list()
    assert_type(await page.next_page(), AsyncPage[Run] | None)
    async for run in page.auto_paging_iter():
        assert_type(run, Run)
    typed = await getting
    assert_type(typed.event_data, Signup)
