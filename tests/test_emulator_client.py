"""hot-typed's own clients, sync and async, against the emulator over loopback.

Each test runs twice, once per client, through `Api`, which performs an
operation with either client and returns its (awaited) result.
"""

from __future__ import annotations

import asyncio
import inspect
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from pydantic import ValidationError

from hot_typed import (
    AsyncHotClient,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    DnsRecordPurpose,
    HotClient,
    InternalServerError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    RunStart,
    RunStop,
    StreamData,
    TaskUpdate,
)
from hot_typed.testing import HandlerEvent, HotEmulator, RunContext

from .polling import wait_until

Op = Callable[[Any], Any]


class Api:
    """Runs operations with one client of `mode` ("sync" or "async")."""

    def __init__(self, emu: HotEmulator, mode: str, **options: Any) -> None:
        self.emu = emu
        self.mode = mode
        self._loop = asyncio.new_event_loop()
        self.client: HotClient | AsyncHotClient = (
            emu.client(**options) if mode == "sync" else emu.async_client(**options)
        )

    def __call__(self, op: Op) -> Any:
        result = op(self.client)
        if inspect.isawaitable(result):
            return self._loop.run_until_complete(result)
        return result

    def collect(self, open_stream: Op, until: Callable[[Any], bool]) -> list[Any]:
        """Events of the stream `open_stream` returns, up to the first matching `until`."""
        stream = open_stream(self.client)
        if self.mode == "sync":
            events = []
            with stream:
                for event in stream:
                    events.append(event)
                    if until(event):
                        break
            return events

        async def follow() -> list[Any]:
            events = []
            async with stream:
                async for event in stream:
                    events.append(event)
                    if until(event):
                        break
            return events

        return self._loop.run_until_complete(follow())

    def close(self) -> None:
        if isinstance(self.client, AsyncHotClient):
            self._loop.run_until_complete(self.client.aclose())
        # As `asyncio.run` ends a loop: async generators left to the collector
        # (httpx's, inside httpx-sse, after a stream is left early) are closed first.
        self._loop.run_until_complete(self._loop.shutdown_asyncgens())
        self._loop.close()


@pytest.fixture
def emu() -> Iterator[HotEmulator]:
    with HotEmulator(part_size=8, min_part_size=4, keepalive_interval=1) as emulator:
        yield emulator


@pytest.fixture(params=["sync", "async"])
def api(emu: HotEmulator, request: pytest.FixtureRequest) -> Iterator[Api]:
    client = Api(emu, request.param)
    yield client
    client.close()


# Events, runs, streams, tasks ---------------------------------------------------------


def test_publish_returns_a_typed_event_whose_runs_echo_its_data(api: Api) -> None:
    event = api(lambda c: c.events.publish({"event_type": "order:placed", "event_data": [1]}))
    assert event.event_type == "order:placed"
    assert api(lambda c: c.events.get(event.event_id)).raw == event.raw
    wait_until(lambda: api(lambda c: c.events.get_runs(event.event_id)).data[0].stop_time, 5)
    [run] = api(lambda c: c.events.get_runs(event.event_id)).data
    assert run.result == [1]
    assert run.status == "succeeded"
    assert run.run_type == "event"
    assert api(lambda c: c.runs.get(run.run_id)).raw == run.raw
    assert [e.event_id for e in api(lambda c: c.events.list())] == [event.event_id]


def test_runs_list_filters_by_status_type_and_time_range(api: Api) -> None:
    api.emu.on_call("::fail/now", lambda event, ctx: 1 / 0)
    api(lambda c: c.events.publish({"event_type": "a", "event_data": 1}))
    call = {"event_type": "hot:call", "event_data": {"fn": "::fail/now", "args": []}}
    api(lambda c: c.events.publish(call))
    wait_until(lambda: api(lambda c: c.runs.stats()).running == 0, 5)
    [failed] = api(lambda c: c.runs.list(status="failed")).data
    assert failed.run_type == "call"
    assert failed.result == {
        "$type": "::hot::run/Failure",
        "$val": {"msg": "division by zero", "err": None},
    }
    assert [r.status for r in api(lambda c: c.runs.list(type="event"))] == ["succeeded"]
    assert len(api(lambda c: c.runs.list(time_range="PT1H")).data) == 2
    stats = api(lambda c: c.runs.stats())
    assert (stats.total_runs, stats.succeeded, stats.failed) == (2, 1, 1)


def test_runs_lists_and_counts_leave_out_the_runs_tasks_execute_as(api: Api) -> None:
    # crates/hot/src/db/run.rs: every listing and count has `run_type_id != 7`
    # (task); `get_run` has not, so the run is still read by its id.
    tasks: list[str] = []
    api.emu.on_event("job", lambda event, ctx: tasks.append(ctx.start_task("::bg/a").task_id))
    event = api(lambda c: c.events.publish({"event_type": "job", "event_data": None}))
    wait_until(lambda: bool(tasks), 5)
    api.emu.task(tasks[0]).complete(1)
    task_run = api(lambda c: c.tasks.get(tasks[0])).run_id
    assert task_run is not None
    assert api(lambda c: c.runs.get(task_run)).run_type == "task"

    [listed] = api(lambda c: c.runs.list()).data
    assert listed.event_id == event.event_id
    # The client refuses `type=task` before sending; sent anyway, it finds none.
    raw = api(lambda c: c.request("GET", "/v1/runs", params={"type": "task"}))
    assert raw["data"] == []
    stats = api(lambda c: c.runs.stats())
    assert (stats.total_runs, stats.succeeded) == (1, 1)


def test_stream_subscription_yields_typed_events_live(api: Api) -> None:
    started = threading.Event()
    release = threading.Event()

    @api.emu.on_event("chat")
    def chat(event: HandlerEvent, ctx: RunContext) -> str:
        started.set()
        release.wait(5)
        for word in ("Hello", " world"):
            ctx.emit_text(word)
        return "Hello world"

    def until(received: Any) -> bool:
        # stream:data is never replayed: let the handler emit only once the
        # subscription is in (its replayed run:start proves it).
        if isinstance(received, RunStart):
            release.set()
        return isinstance(received, RunStop)

    event = api(lambda c: c.events.publish({"event_type": "chat", "event_data": None}))
    assert started.wait(5)
    events = api.collect(lambda c: c.streams.subscribe(event.stream_id), until)
    assert [type(e) for e in events] == [RunStart, StreamData, StreamData, RunStop]
    assert [e.payload["text"] for e in events if isinstance(e, StreamData)] == ["Hello", " world"]
    assert events[-1].run.result == "Hello world"


def test_run_and_task_subscriptions_end_at_terminal_status(api: Api) -> None:
    tasks: list[str] = []

    @api.emu.on_event("job")
    def job(event: HandlerEvent, ctx: RunContext) -> None:
        tasks.append(ctx.start_task("::bg/index", task_type="background").task_id)

    event = api(lambda c: c.events.publish({"event_type": "job", "event_data": None}))
    wait_until(lambda: bool(tasks), 5)
    task = api(lambda c: c.tasks.get(tasks[0]))
    assert (task.status, task.function_name, task.task_type) == (
        "running",
        "::bg/index",
        "background",
    )
    assert "result" not in task.raw

    def complete_once_seen_running(update: Any) -> bool:
        if update.task.status == "running":
            api.emu.task(tasks[0]).complete({"indexed": 3})
        return False

    updates = api.collect(lambda c: c.tasks.subscribe(tasks[0]), complete_once_seen_running)
    assert all(isinstance(u, TaskUpdate) for u in updates)
    assert [u.task.status for u in updates] == ["running", "completed"]
    assert updates[-1].task.result == {"indexed": 3}
    [run] = api(lambda c: c.events.get_runs(event.event_id)).data
    updates = api.collect(lambda c: c.runs.subscribe(run.run_id), lambda e: False)
    assert updates[-1].run.status == "succeeded"


# Projects, builds, context -----------------------------------------------------------


def test_projects_crud_by_id_and_by_name(api: Api) -> None:
    project = api(lambda c: c.projects.create({"name": "shop"}))
    assert api(lambda c: c.projects.get("shop")).project_id == project.project_id
    renamed = api(lambda c: c.projects.update(project.project_id, {"name": "store"}))
    assert renamed.name == "store"
    # crates/hot_api/src/handlers/projects.rs reads a toggled project back by
    # its id, and crates/hot/src/db/project.rs `get_project` finds only active
    # ones: a deactivation is made, then answered 500. By name it is found
    # inactive; by id not at all, a database error (500) where a name gets 404.
    with pytest.raises(InternalServerError):
        api(lambda c: c.projects.deactivate("store"))
    assert api(lambda c: c.projects.get("store")).active is False
    with pytest.raises(InternalServerError):
        api(lambda c: c.with_options(max_retries=0).projects.get(project.project_id))
    activation = api(lambda c: c.projects.activate("store"))
    assert activation.project.active is True
    assert "redeployed_build_id" not in activation.raw
    assert api(lambda c: c.projects.get(project.project_id)).active is True
    assert api(lambda c: c.projects.event_handlers("store")).data == []
    assert api(lambda c: c.projects.schedules("store")).data == []
    assert api(lambda c: c.projects.delete("store")) is None
    with pytest.raises(NotFoundError):
        api(lambda c: c.projects.get("store"))
    with pytest.raises(InternalServerError):
        api(lambda c: c.with_options(max_retries=0).projects.get(project.project_id))


def test_an_inactive_project_is_found_by_name_and_brought_back_by_writes(api: Api) -> None:
    # crates/hot_api/src/handlers/mod.rs: reads find a project by id only while
    # active (a 500 otherwise); uploads and deploys find it inactive too and
    # reactivate it (`get_and_ensure_active_project`), as creating it by name
    # does (crates/hot/src/db/project.rs `insert_or_get_project`).
    project = api(lambda c: c.projects.create({"name": "shop"}))
    with pytest.raises(InternalServerError):
        api(lambda c: c.projects.deactivate("shop"))
    with pytest.raises(InternalServerError):
        api(lambda c: c.projects.activate(project.project_id))
    assert api(lambda c: c.projects.create({"name": "shop"})).active is True

    with pytest.raises(InternalServerError):
        api(lambda c: c.projects.deactivate("shop"))
    first = api(lambda c: c.builds.upload(project.project_id, file=b"a", hash="h1"))
    assert api(lambda c: c.projects.get(project.project_id)).active is True
    second = api(lambda c: c.builds.upload("shop", file=b"b", hash="h2"))
    assert first.build_id != second.build_id

    # Activation queues the newest build for redeploy and names it.
    activation = api(lambda c: c.projects.activate("shop"))
    assert activation.redeployed_build_id == second.build_id
    # Builds hold the project back (`build_project_id_fkey`, ON DELETE RESTRICT).
    with pytest.raises(InternalServerError):
        api(lambda c: c.projects.delete("shop"))
    assert api(lambda c: c.projects.get("shop")).project_id == project.project_id


def test_lists_come_in_the_servers_order(api: Api) -> None:
    # crates/hot/src/db: projects `ORDER BY active DESC, created_at DESC`,
    # builds `deployed DESC, created_at DESC`, context variables `key`,
    # service keys and domains `created_at DESC`.
    api(lambda c: c.projects.create({"name": "a"}))
    api(lambda c: c.projects.create({"name": "b"}))
    api(lambda c: c.projects.create({"name": "c"}))
    with pytest.raises(InternalServerError):
        api(lambda c: c.projects.deactivate("c"))
    assert [p.name for p in api(lambda c: c.projects.list())] == ["b", "a", "c"]

    first = api(lambda c: c.builds.upload("a", file=b"z", hash="1"))
    second = api(lambda c: c.builds.upload("a", file=b"z", hash="2"))
    api(lambda c: c.builds.deploy("a", first.build_id))
    expected = [first.build_id, second.build_id]
    assert [b.build_id for b in api(lambda c: c.builds.list_for_project("a"))] == expected
    assert [b.build_id for b in api(lambda c: c.builds.list())] == expected

    api(lambda c: c.context.create("a", {"key": "ZED", "value": "v"}))
    api(lambda c: c.context.create("a", {"key": "ALPHA", "value": "v"}))
    api(lambda c: c.context.create("a", {"key": "MID", "value": "v"}))
    assert [v.key for v in api(lambda c: c.context.list("a"))] == ["ALPHA", "MID", "ZED"]

    keys = [api(lambda c: c.service_keys.create({"permissions": {"event:*": ["create"]}}))]
    keys.append(api(lambda c: c.service_keys.create({"permissions": {"event:*": ["create"]}})))
    listed = [k.service_key_id for k in api(lambda c: c.service_keys.list())]
    assert listed == [keys[1].service_key_id, keys[0].service_key_id]


def test_builds_upload_deploy_and_download(api: Api) -> None:
    api(lambda c: c.projects.create({"name": "app"}))
    with pytest.raises(NotFoundError):
        api(lambda c: c.builds.deployed("app"))
    upload = api(lambda c: c.builds.upload("app", file=b"zip-bytes", hash="h1"))
    assert upload.size == len(b"zip-bytes")
    build = api(lambda c: c.builds.get("app", upload.build_id))
    # The columns' defaults: `active` true, `runtime_status` pending.
    assert (build.deployed, build.active, build.runtime_status) == (False, True, "pending")
    # crates/hot/src/db/build.rs: a deploy is answered as requested (pending,
    # not yet deployed); a worker then makes it the deployed, ready build.
    deployed = api(lambda c: c.builds.deploy("app", upload.build_id))
    assert (deployed.deployed, deployed.runtime_status) == (False, "pending")
    assert deployed.deployment_sequence == 1
    now = api(lambda c: c.builds.deployed("app"))
    assert (now.build_id, now.deployed, now.runtime_status) == (upload.build_id, True, "ready")
    # `live` is the dev server's build type; an uploaded build is a bundle.
    with pytest.raises(NotFoundError) as missing:
        api(lambda c: c.builds.live("app"))
    assert missing.value.message == "No live build found not found"
    [listed] = api(lambda c: c.builds.list()).data
    assert listed.project_name == "app"
    assert [b.build_id for b in api(lambda c: c.builds.list_for_project("app"))] == [
        upload.build_id
    ]
    assert api(lambda c: c.builds.download("app", upload.build_id)).content == b"zip-bytes"
    download = f"/projects/app/builds/{upload.build_id}/download"
    archive = api(lambda c: c.request_raw("GET", download))
    assert archive.headers["content-type"] == "application/zip"
    assert archive.headers["content-disposition"] == (
        f'attachment; filename="{uuid.UUID(upload.build_id).hex}.hot.zip"'
    )


def test_context_values_are_write_only(api: Api) -> None:
    api(lambda c: c.projects.create({"name": "app"}))
    body = {"key": "API_TOKEN", "value": "s3cret", "description": "upstream"}
    variable = api(lambda c: c.context.create("app", body))
    assert variable.description == "upstream"
    assert "value" not in variable.raw
    with pytest.raises(InternalServerError):  # the server's unique index refuses it
        api(lambda c: c.context.create("app", body))
    # An update replaces the description too: without one, it is cleared.
    updated = api(lambda c: c.context.update("app", "API_TOKEN", {"value": "other"}))
    assert updated.description is None
    [listed] = api(lambda c: c.context.list("app")).data
    assert "s3cret" not in str(listed.raw)
    assert "other" not in str(listed.raw)
    api(lambda c: c.context.delete("app", "API_TOKEN"))
    assert api(lambda c: c.context.list("app")).data == []


# Files ---------------------------------------------------------------------------------


def test_simple_upload_list_by_prefix_download_delete(api: Api) -> None:
    stored = api(lambda c: c.files.upload("reports/2026/q1.csv", b"a,b\n1,2\n"))
    api(lambda c: c.files.upload("images/logo.png", b"\x89PNG"))
    assert stored.content_type == "text/csv"
    assert [f.path for f in api(lambda c: c.files.list(prefix="reports/"))] == [
        "reports/2026/q1.csv"
    ]
    assert api(lambda c: c.files.download(stored.file_id)).content == b"a,b\n1,2\n"
    # The server searches: anywhere in the path, any case, LIKE wildcards.
    def listed(term: str) -> list[str]:
        return [f.path for f in api(lambda c: c.files.list(prefix=term))]

    assert listed("Q1") == ["reports/2026/q1.csv"]
    assert listed("2026%csv") == ["reports/2026/q1.csv"]
    assert listed("l_go") == ["images/logo.png"]
    assert listed("log_png") == []
    assert listed("lo\\_go") == []
    replaced = api(lambda c: c.files.upload("reports/2026/q1.csv", b"new"))
    assert replaced.file_id == stored.file_id
    assert replaced.size == 3
    api(lambda c: c.files.delete(stored.file_id))
    with pytest.raises(NotFoundError):
        api(lambda c: c.files.get(stored.file_id))


def test_multipart_upload_round_trip_and_abort(api: Api) -> None:
    content = b"0123456789abcdefXYZ"
    body = {"path": "big/blob.bin", "expected_size": len(content)}
    upload = api(lambda c: c.files.initiate_upload(body))
    assert (upload.part_size, upload.parts_expected) == (8, 3)
    chunks = [content[start : start + 8] for start in range(0, len(content), 8)]

    def send(number: int, chunk: bytes) -> Op:
        return lambda c: c.files.upload_part(upload.upload_id, number, chunk)

    for number, chunk in enumerate(chunks, start=1):
        assert api(send(number, chunk)).part_number == number
    stored = api(lambda c: c.files.complete_upload(upload.upload_id))
    assert stored.size == len(content)
    assert api(lambda c: c.files.download(stored.file_id)).content == content
    other = api(lambda c: c.files.initiate_upload({"path": "tmp/x"}))
    assert "parts_expected" not in other.raw
    api(lambda c: c.files.abort_upload(other.upload_id))
    # crates/hot_api/src/handlers/files.rs: an upload no longer pending is kept
    # and refused with 409, its status named (the client reads it: `_uploads.py`).
    refused: list[tuple[Op, str]] = [
        (send(1, chunks[0]), "completed"),
        (lambda c: c.files.complete_upload(upload.upload_id), "completed"),
        (lambda c: c.files.abort_upload(upload.upload_id), "completed"),
        (lambda c: c.files.upload_part(other.upload_id, 1, b"x"), "aborted"),
        (lambda c: c.files.complete_upload(other.upload_id), "aborted"),
        (lambda c: c.files.abort_upload(other.upload_id), "aborted"),
    ]
    for op, status in refused:
        with pytest.raises(ConflictError) as conflict:
            api(op)
        assert conflict.value.code == "upload_not_pending"
        assert conflict.value.message == f"Upload is in '{status}' status, not 'pending'"
    with pytest.raises(NotFoundError):
        api(lambda c: c.files.complete_upload(uuid.uuid4()))


# Credentials, domains, environment --------------------------------------------------


def test_session_token_is_issued_once_and_works_until_revoked(api: Api) -> None:
    permissions = {"stream:*": ["read"], "event:*": ["create"]}
    session = api(lambda c: c.sessions.create({"permissions": permissions, "expires_in": 60}))
    assert session.token is not None
    [listed] = api(lambda c: c.sessions.list()).data
    assert "token" not in listed.raw
    publish: Any = {"event_type": "a", "event_data": 1}
    with HotClient(session.token.get_secret_value(), base_url=api.emu.base_url) as holder:
        # What its permissions allow; reading the environment is for API keys only.
        assert holder.events.publish(publish).event_id
        with pytest.raises(PermissionDeniedError):
            holder.env.get()
        api(lambda c: c.sessions.revoke(session.session_id))
        with pytest.raises(AuthenticationError):
            holder.events.publish(publish)
    api(lambda c: c.sessions.create({"permissions": permissions}))
    assert api(lambda c: c.sessions.revoke_all()).revoked_count == 1


def test_a_credential_in_use_is_stamped_and_an_expired_one_refused(api: Api) -> None:
    # crates/hot_api/src/auth.rs touches `last_used_at` on each request a session
    # or service key makes; crates/hot/src/db/*.rs `verify_token` refuses one
    # past `expires_at` as it refuses an unknown token (a bare 401).
    permissions = {"event:*": ["create"]}
    session = api(lambda c: c.sessions.create({"permissions": permissions, "expires_in": 1}))
    key = api(lambda c: c.service_keys.create({"permissions": permissions}))
    assert "last_used_at" not in api(lambda c: c.sessions.list()).data[0].raw
    publish: Any = {"event_type": "a", "event_data": 1}
    for credential in (session, key):
        assert credential.token is not None
        token = credential.token.get_secret_value()
        with HotClient(token, base_url=api.emu.base_url) as holder:
            holder.events.publish(publish)
    [listed] = api(lambda c: c.sessions.list()).data
    assert listed.last_used_at is not None
    stamped = api(lambda c: c.service_keys.get(key.service_key_id))
    assert stamped.last_used_at is not None
    assert list(stamped.raw)[-2:] == ["created_at", "last_used_at"]
    api(lambda c: c.service_keys.revoke(key.service_key_id))
    revoked = api(lambda c: c.service_keys.get(key.service_key_id))
    # `ServiceKeyResponse`'s field order (service_keys.rs).
    assert list(revoked.raw)[-3:] == ["revoked_at", "created_at", "last_used_at"]

    time.sleep(1.1)
    assert session.token is not None
    expired = session.token.get_secret_value()
    with (
        HotClient(expired, base_url=api.emu.base_url) as holder,
        pytest.raises(AuthenticationError),
    ):
        holder.events.publish(publish)


def test_sessions_revoked_or_expired_stay_revocable_but_leave_the_list_and_its_counts(
    api: Api,
) -> None:
    # crates/hot/src/db/session.rs: a revoked session keeps its row, so revoking
    # it again answers 204; the list, its total and revoke-all take the sessions
    # `revoked_at IS NULL AND expires_at > now()`, newest first.
    permissions = {"event:*": ["create"]}
    expiring = api(lambda c: c.sessions.create({"permissions": permissions, "expires_in": 1}))
    revoked = api(lambda c: c.sessions.create({"permissions": permissions}))
    older, newer = (api(lambda c: c.sessions.create({"permissions": permissions})) for _ in "ab")
    api(lambda c: c.sessions.revoke(revoked.session_id))
    api(lambda c: c.sessions.revoke(revoked.session_id))
    time.sleep(1.1)

    listed = api(lambda c: c.sessions.list())
    assert [s.session_id for s in listed.data] == [newer.session_id, older.session_id]
    assert listed.pagination.total == 2
    api(lambda c: c.sessions.revoke(expiring.session_id))
    assert api(lambda c: c.sessions.revoke_all()).revoked_count == 2
    assert api(lambda c: c.sessions.list()).data == []
    with pytest.raises(NotFoundError):
        api(lambda c: c.sessions.revoke(uuid.uuid4()))


def test_revoke_all_repeated_after_a_lost_answer_revokes_all_and_counts_the_repeat(
    api: Api,
) -> None:
    permissions = {"event:*": ["create"]}
    sessions = [api(lambda c: c.sessions.create({"permissions": permissions})) for _ in range(2)]
    api.emu.faults.lose_answer(path="/sessions", method="DELETE")
    # The first attempt revoked both; the repeat, sent as for any DELETE, finds none.
    assert api(lambda c: c.sessions.revoke_all()).revoked_count == 0
    assert api(lambda c: c.sessions.list()).data == []
    for session in sessions:
        assert session.token is not None
        token = session.token.get_secret_value()
        with (
            HotClient(token, base_url=api.emu.base_url) as holder,
            pytest.raises(AuthenticationError),
        ):
            holder.events.publish({"event_type": "a", "event_data": 1})


def test_service_keys_create_update_revoke(api: Api) -> None:
    body = {"name": "ci", "permissions": {"mcp:*": ["*"]}, "metadata": {"team": "a"}}
    key = api(lambda c: c.service_keys.create(body))
    assert key.token is not None
    assert key.metadata == {"team": "a"}
    got = api(lambda c: c.service_keys.get(key.service_key_id))
    assert "token" not in got.raw
    assert "expires_at" not in got.raw
    updated = api(lambda c: c.service_keys.update(key.service_key_id, {"metadata": {"team": "b"}}))
    assert updated.metadata == {"team": "b"}
    api(lambda c: c.service_keys.revoke(key.service_key_id))
    assert api(lambda c: c.service_keys.get(key.service_key_id)).revoked_at is not None
    with pytest.raises(ConflictError) as caught:
        api(lambda c: c.service_keys.update(key.service_key_id, {"metadata": None}))
    assert caught.value.code == "revoked"
    assert api(lambda c: c.service_keys.revoke_all()).revoked_count == 0


def test_invalid_permissions_are_refused_by_the_emulator(api: Api) -> None:
    body = {"permissions": {"run:*": ["delete"]}}
    with pytest.raises(BadRequestError) as caught:
        api(lambda c: c.request_raw("POST", "/sessions", json=body))
    assert caught.value.code == "bad_request"
    assert caught.value.message == (
        "Invalid permissions: Action 'delete' is not valid for resource 'run:*'. "
        "Valid actions: read"
    )


def test_a_new_domain_shows_the_certificate_validation_record_only(api: Api) -> None:
    # crates/hot_api/src/handlers/domains.rs `domain_to_response`: the
    # validation CNAME of the certificate requested at creation; a `traffic`
    # record only once routing is provisioned.
    domain = api(lambda c: c.domains.create({"domain": "api.example.com"}))
    (record,) = domain.dns_records
    assert (record.type, record.purpose) == ("CNAME", DnsRecordPurpose.CERTIFICATE_VALIDATION)
    assert record.name.endswith(".api.example.com.")
    assert "routing_domain" not in domain.raw


VALIDATED_NOW = "Certificate validated! Domain routing will be provisioned automatically."


@pytest.mark.parametrize(
    ("steps", "status", "message"),
    [
        pytest.param(["verify"], "validated", VALIDATED_NOW, id="first-check"),
        pytest.param(
            ["verify", "verify"],
            "validated",
            "Validated. Domain routing will be provisioned automatically.",
            id="verified-before",
        ),
        pytest.param(
            ["verify", "delete", "verify"],
            "pending_deletion",
            "Domain is being deleted.",
            id="verified-then-deleted",
        ),
        # The certificate is checked for a domain not yet verified, deleted or not.
        pytest.param(["delete", "verify"], "validated", VALIDATED_NOW, id="deleted-unverified"),
    ],
)
def test_a_verification_answers_as_the_server_words_it(
    api: Api, steps: list[str], status: str, message: str
) -> None:
    # crates/hot_api/src/handlers/domains.rs, verify_domain.
    domain_id = api(lambda c: c.domains.create({"domain": "api.example.com"})).domain_id
    answers = []
    for step in steps:
        if step == "verify":
            answers.append(api(lambda c: c.domains.verify(domain_id)))
        else:
            api(lambda c: c.domains.delete(domain_id))

    assert (answers[-1].status, answers[-1].message) == (status, message)


def test_domains_create_verify_delete(api: Api) -> None:
    domain = api(lambda c: c.domains.create({"domain": "api.example.com"}))
    with pytest.raises(ConflictError) as caught:
        api(lambda c: c.domains.create({"domain": "api.example.com"}))
    assert caught.value.code == "domain_exists"
    assert domain.status == "pending_validation"
    assert domain.dns_records
    assert "verified_at" not in domain.raw
    verification = api(lambda c: c.domains.verify(domain.domain_id))
    assert verification.status == "validated"
    assert api(lambda c: c.domains.get(domain.domain_id)).verified_at is not None
    assert len(api(lambda c: c.domains.list()).data) == 1
    # crates/hot/src/db/domain.rs `soft_delete`: still read and listed, as
    # `pending_deletion`, deleting it again is no error, and its name is held
    # until the provider's side is cleaned up.
    api(lambda c: c.domains.delete(domain.domain_id))
    assert api(lambda c: c.domains.get(domain.domain_id)).status == "pending_deletion"
    assert [d.status for d in api(lambda c: c.domains.list())] == ["pending_deletion"]
    api(lambda c: c.domains.delete(domain.domain_id))
    with pytest.raises(ConflictError) as held:
        api(lambda c: c.domains.create({"domain": "api.example.com"}))
    assert held.value.code == "domain_pending_deletion"
    assert held.value.message == (
        "Domain 'api.example.com' was recently removed and is still being cleaned up. "
        "Please wait a few minutes and try again."
    )


def test_env_and_org_usage(api: Api) -> None:
    env = api(lambda c: c.env.get())
    usage = api(lambda c: c.org.usage())
    assert usage.org_id == env.org_id
    assert usage.limits.runs_per_month == -1
    # crates/hot_api/src/handlers/org.rs: an org without a plan.
    assert usage.plan.name == "Self-Hosted"
    api(lambda c: c.files.upload("f", b"12345"))
    assert api(lambda c: c.org.usage()).usage.file_storage_bytes == 5


@pytest.mark.parametrize(
    ("stored", "share", "warning"),
    [
        pytest.param(b"123456789", 90.0, False, id="at-90-percent"),
        pytest.param(b"1234567890", 100.0, True, id="past-90-percent"),
    ],
)
def test_org_usage_measures_storage_against_the_plans_limit(
    stored: bytes, share: float, warning: bool
) -> None:
    # crates/hot/src/db/subscription.rs `file_storage_pct`, `has_warning` (> 90%).
    with HotEmulator(features={"storage_bytes": 10}) as emulator:
        hot = emulator.client()
        hot.files.upload("a", stored)
        usage = hot.org.usage()
    assert usage.limits.storage_bytes == 10
    assert (usage.usage_percent.file_storage, usage.usage_percent.has_warning) == (share, warning)


def test_a_plan_that_names_no_limit_has_the_servers_cloud_defaults() -> None:
    # crates/hot/src/db/features.rs `cloud_defaults` (the compute units budget
    # is not among them: the accessor's -1); subscription.rs `has_warning`
    # leaves out the team, here at 100% of its one member.
    with HotEmulator(features={}) as emulator:
        usage = emulator.client().org.usage()
    assert usage.limits.model_dump() == {
        "runs_per_month": 0,
        "storage_bytes": 0,
        "team_members": 1,
        "call_retention_days": 0,
        "call_storage_bytes": 0,
        "store_storage_bytes": 0,
        "compute_units_per_month": 0,
        "compute_units_used": 0,
        "compute_units_budget": -1,
        "task_minutes_per_month": 0,
        "active_schedules_per_org": 50,
    }
    assert usage.usage_percent.team_members == 100.0
    assert (usage.usage_percent.runs, usage.usage_percent.has_warning) == (0.0, False)


@pytest.mark.parametrize(
    ("runs", "share", "warning"),
    [
        pytest.param(9, 90.0, False, id="at-90-percent"),
        pytest.param(10, 100.0, True, id="past-90-percent"),
    ],
)
def test_org_usage_measures_runs_against_the_plans_monthly_runs(
    runs: int, share: float, warning: bool
) -> None:
    # crates/hot/src/db/subscription.rs `runs_pct`, `has_warning` (> 90%).
    with HotEmulator(features={"runs_per_month": 10}) as emulator:
        hot = emulator.client()
        for _ in range(runs):
            hot.events.publish({"event_type": "tick", "event_data": None})
        usage = hot.org.usage()
    assert usage.limits.runs_per_month == 10
    assert (usage.usage_percent.runs, usage.usage_percent.has_warning) == (share, warning)


# Errors and faults -------------------------------------------------------------------


def test_reserved_event_type_is_refused_by_the_client_and_forbidden_by_the_server(
    api: Api,
) -> None:
    body = {"event_type": "hot:schedule", "event_data": {}}
    with pytest.raises(ValidationError):
        api(lambda c: c.events.publish(body))
    assert api.emu.requests == []
    # Past the client's check (through the escape hatch), the server says 403.
    with pytest.raises(PermissionDeniedError) as caught:
        api(lambda c: c.request("POST", "/events", json=body))
    assert caught.value.code == "forbidden"


def test_rate_limit_is_retried_after_retry_after(api: Api) -> None:
    api.emu.faults.rate_limit(retry_after=0)
    assert api(lambda c: c.env.get()).name == "emulator"
    assert [r.path for r in api.emu.requests] == ["/v1/env", "/v1/env"]


def test_rate_limit_surfaces_when_retries_are_exhausted(emu: HotEmulator) -> None:
    for mode in ("sync", "async"):
        api = Api(emu, mode, max_retries=0)
        emu.faults.rate_limit(retry_after=7)
        with pytest.raises(RateLimitError) as caught:
            api(lambda c: c.runs.stats())
        assert caught.value.retry_after == 7
        api.close()


def test_injected_failure_maps_to_the_status_class(api: Api) -> None:
    api.emu.faults.fail_next(404, path="/projects")
    with pytest.raises(NotFoundError):
        api(lambda c: c.projects.list())
    assert api(lambda c: c.projects.list()).data == []


def test_escape_hatch_request_returns_the_decoded_envelope(api: Api) -> None:
    body = api(lambda c: c.request("GET", "/v1/runs/stats"))
    assert body["data"]["total_runs"] == 0
    assert set(body["meta"]) == {"request_id", "timestamp"}
    assert api(lambda c: c.request_raw("GET", "/env")).status_code == 200


def test_post_subscription_streams_the_same_events(api: Api) -> None:
    event = api(lambda c: c.events.publish({"event_type": "a", "event_data": 2}))
    events = api.collect(
        lambda c: c.streams.subscribe_post(event.stream_id), lambda e: isinstance(e, RunStop)
    )
    assert [type(e) for e in events] == [RunStart, RunStop]
    assert events[-1].run.result == 2
