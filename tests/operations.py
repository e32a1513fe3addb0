"""Every Hot API operation: how a client calls it, what goes on the wire, what
comes back. One table drives the per-operation tests of both clients and the
check that no operation of the API is left without a method."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

import hot_typed as ht
from tests import payloads as p

PROJECT = "billing"
BUILD_ID = "6c3e0d1a-5a7b-4f39-9d5e-1f1f6a3c9b11"
RUN_ID = "0190a1b2-0000-7000-8000-000000000001"
TASK_ID = "0190a1b2-0000-7000-8000-000000000002"
EVENT_ID = "0190a1b2-0000-7000-8000-000000000003"
STREAM_ID = "0190a1b2-0000-7000-8000-000000000004"
FILE_ID = "0190a1b2-0000-7000-8000-000000000005"
UPLOAD_ID = "0190a1b2-0000-7000-8000-000000000006"
KEY_ID = "0190a1b2-0000-7000-8000-000000000007"
SESSION_ID = "0190a1b2-0000-7000-8000-000000000008"
DOMAIN_ID = "0190a1b2-0000-7000-8000-000000000009"


def sse(*events: dict[str, Any]) -> httpx.Response:
    body = "".join(f"event: {e['type']}\ndata: {json.dumps(e)}\n\n" for e in events)
    return httpx.Response(200, text=body, headers={"content-type": "text/event-stream"})


def ok(data: Any, status: int = 200) -> httpx.Response:
    return httpx.Response(status, json=p.item(data))


def listing(*items: Any) -> httpx.Response:
    return httpx.Response(200, json=p.page(list(items)))


NO_CONTENT = httpx.Response(204)
@dataclass(frozen=True)
class Paged:
    """A list operation's answer: a `Page` (or `AsyncPage`) of `item` models."""

    item: type[Any]


@dataclass(frozen=True)
class Operation:
    """`call` on a client must send `method` to `path` and return an instance of `returns`."""

    method: str
    template: str
    call: Callable[[Any], Any]
    path: str
    answer: httpx.Response
    returns: Any  # a type, or `Paged(item)`
    body: Any = None
    params: dict[str, str] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return f"{self.method} {self.template}"


def _run_event(kind: str) -> dict[str, Any]:
    return {"type": kind, "run": p.run()}


OPERATIONS: list[Operation] = [
    # projects
    Operation("GET", "/v1/projects", lambda c: c.projects.list(limit=5), "/v1/projects",
              listing(p.project()), Paged(ht.Project), params={"limit": "5"}),
    Operation("POST", "/v1/projects", lambda c: c.projects.create({"name": "billing"}),
              "/v1/projects", ok(p.project(), 201), ht.Project, body={"name": "billing"}),
    Operation("GET", "/v1/projects/{project_id_or_slug}", lambda c: c.projects.get(PROJECT),
              f"/v1/projects/{PROJECT}", ok(p.project()), ht.Project),
    Operation("PATCH", "/v1/projects/{project_id_or_slug}",
              lambda c: c.projects.update(PROJECT, ht.ProjectUpdate(name="renamed")),
              f"/v1/projects/{PROJECT}", ok(p.project()), ht.Project, body={"name": "renamed"}),
    Operation("DELETE", "/v1/projects/{project_id_or_slug}", lambda c: c.projects.delete(PROJECT),
              f"/v1/projects/{PROJECT}", NO_CONTENT, type(None)),
    Operation("POST", "/v1/projects/{project_id_or_slug}/activate",
              lambda c: c.projects.activate(PROJECT), f"/v1/projects/{PROJECT}/activate",
              ok(p.project_activation()), ht.ProjectActivation),
    Operation("POST", "/v1/projects/{project_id_or_slug}/deactivate",
              lambda c: c.projects.deactivate(PROJECT), f"/v1/projects/{PROJECT}/deactivate",
              ok({"project": p.project()}), ht.ProjectActivation),
    Operation("GET", "/v1/projects/{project_id_or_slug}/event-handlers",
              lambda c: c.projects.event_handlers(PROJECT),
              f"/v1/projects/{PROJECT}/event-handlers", listing(p.event_handler()),
              Paged(ht.EventHandler)),
    Operation("GET", "/v1/projects/{project_id_or_slug}/schedules",
              lambda c: c.projects.schedules(PROJECT), f"/v1/projects/{PROJECT}/schedules",
              listing(p.schedule()), Paged(ht.Schedule)),
    # builds
    Operation("GET", "/v1/builds", lambda c: c.builds.list(), "/v1/builds",
              listing(p.build(project_name="billing")), Paged(ht.BuildWithProject)),
    Operation("GET", "/v1/projects/{project_id_or_slug}/builds",
              lambda c: c.builds.list_for_project(PROJECT), f"/v1/projects/{PROJECT}/builds",
              listing(p.build()), Paged(ht.Build)),
    Operation("POST", "/v1/projects/{project_id_or_slug}/builds",
              lambda c: c.builds.upload(PROJECT, file=b"PK\x03\x04zip", hash="sha256:ab12"),
              f"/v1/projects/{PROJECT}/builds", ok(p.build_upload(), 201), ht.BuildUpload),
    Operation("GET", "/v1/projects/{project_id_or_slug}/builds/deployed",
              lambda c: c.builds.deployed(PROJECT), f"/v1/projects/{PROJECT}/builds/deployed",
              ok(p.build()), ht.Build),
    Operation("GET", "/v1/projects/{project_id_or_slug}/builds/live",
              lambda c: c.builds.live(PROJECT), f"/v1/projects/{PROJECT}/builds/live",
              ok(p.build()), ht.Build),
    Operation("GET", "/v1/projects/{project_id_or_slug}/builds/{build_id}",
              lambda c: c.builds.get(PROJECT, BUILD_ID),
              f"/v1/projects/{PROJECT}/builds/{BUILD_ID}", ok(p.build()), ht.Build),
    Operation("GET", "/v1/projects/{project_id_or_slug}/builds/{build_id}/download",
              lambda c: c.builds.download(PROJECT, BUILD_ID),
              f"/v1/projects/{PROJECT}/builds/{BUILD_ID}/download",
              httpx.Response(200, content=b"PK\x03\x04\x00\xff"), httpx.Response),
    Operation("POST", "/v1/projects/{project_id_or_slug}/builds/{build_id}/deploy",
              lambda c: c.builds.deploy(PROJECT, BUILD_ID),
              f"/v1/projects/{PROJECT}/builds/{BUILD_ID}/deploy", ok(p.build()), ht.Build),
    # context
    Operation("GET", "/v1/projects/{project_id_or_slug}/context",
              lambda c: c.context.list(PROJECT), f"/v1/projects/{PROJECT}/context",
              listing(p.context_variable()), Paged(ht.ContextVariable)),
    Operation("POST", "/v1/projects/{project_id_or_slug}/context",
              lambda c: c.context.create(PROJECT, {"key": "API_KEY", "value": "s3cret"}),
              f"/v1/projects/{PROJECT}/context", ok(p.context_variable(), 201),
              ht.ContextVariable, body={"key": "API_KEY", "value": "s3cret"}),
    Operation("PUT", "/v1/projects/{project_id_or_slug}/context/{key}",
              lambda c: c.context.update(PROJECT, "API_KEY", {"value": "v2", "description": "d"}),
              f"/v1/projects/{PROJECT}/context/API_KEY", ok(p.context_variable()),
              ht.ContextVariable, body={"value": "v2", "description": "d"}),
    Operation("DELETE", "/v1/projects/{project_id_or_slug}/context/{key}",
              lambda c: c.context.delete(PROJECT, "API_KEY"),
              f"/v1/projects/{PROJECT}/context/API_KEY", NO_CONTENT, type(None)),
    # runs and tasks
    Operation("GET", "/v1/runs",
              lambda c: c.runs.list(status="failed", type="event", time_range="P7D", limit=100),
              "/v1/runs", listing(p.run()), Paged(ht.Run),
              params={"status": "failed", "type": "event", "time_range": "P7D", "limit": "100"}),
    Operation("GET", "/v1/runs/stats", lambda c: c.runs.stats(), "/v1/runs/stats",
              ok(p.run_stats()), ht.RunStats),
    Operation("GET", "/v1/runs/{run_id}", lambda c: c.runs.get(RUN_ID), f"/v1/runs/{RUN_ID}",
              ok(p.run()), ht.Run),
    Operation("GET", "/v1/runs/{run_id}/subscribe", lambda c: c.runs.subscribe(RUN_ID),
              f"/v1/runs/{RUN_ID}/subscribe", sse(_run_event("run:update")), list),
    Operation("GET", "/v1/tasks/{task_id}", lambda c: c.tasks.get(TASK_ID),
              f"/v1/tasks/{TASK_ID}", ok(p.task()), ht.Task),
    Operation("GET", "/v1/tasks/{task_id}/subscribe", lambda c: c.tasks.subscribe(TASK_ID),
              f"/v1/tasks/{TASK_ID}/subscribe",
              sse({"type": "task:update", "task": p.task(status="completed")}), list),
    # events
    Operation("POST", "/v1/events",
              lambda c: c.events.publish({"event_type": "user:signup", "event_data": {"n": 1}}),
              "/v1/events", ok(p.event(), 201), ht.Event,
              body={"event_type": "user:signup", "event_data": {"n": 1}}),
    Operation("GET", "/v1/events", lambda c: c.events.list(offset=20), "/v1/events",
              listing(p.event()), Paged(ht.Event), params={"offset": "20"}),
    Operation("GET", "/v1/events/{event_id}", lambda c: c.events.get(EVENT_ID),
              f"/v1/events/{EVENT_ID}", ok(p.event()), ht.Event),
    Operation("GET", "/v1/events/{event_id}/runs", lambda c: c.events.get_runs(EVENT_ID),
              f"/v1/events/{EVENT_ID}/runs", listing(p.run()), Paged(ht.Run)),
    # sessions and service keys
    Operation("POST", "/v1/sessions",
              lambda c: c.sessions.create({"permissions": {"event:*": ["create"]}}),
              "/v1/sessions", ok(p.session(token=True), 201), ht.Session,
              body={"permissions": {"event:*": ["create"]}}),
    Operation("GET", "/v1/sessions", lambda c: c.sessions.list(), "/v1/sessions",
              listing(p.session()), Paged(ht.Session)),
    Operation("DELETE", "/v1/sessions", lambda c: c.sessions.revoke_all(), "/v1/sessions",
              ok(p.revoke_all()), ht.RevokeAll),
    Operation("DELETE", "/v1/sessions/{session_id}", lambda c: c.sessions.revoke(SESSION_ID),
              f"/v1/sessions/{SESSION_ID}", NO_CONTENT, type(None)),
    Operation("POST", "/v1/service-keys",
              lambda c: c.service_keys.create(
                  {"name": "ci", "permissions": {"mcp:*": ["execute"]}, "expires_in": 3600}),
              "/v1/service-keys", ok(p.service_key(token=True), 201), ht.ServiceKey,
              body={"name": "ci", "permissions": {"mcp:*": ["execute"]}, "expires_in": 3600}),
    Operation("GET", "/v1/service-keys", lambda c: c.service_keys.list(), "/v1/service-keys",
              listing(p.service_key()), Paged(ht.ServiceKey)),
    Operation("DELETE", "/v1/service-keys", lambda c: c.service_keys.revoke_all(),
              "/v1/service-keys", ok(p.revoke_all()), ht.RevokeAll),
    Operation("GET", "/v1/service-keys/{service_key_id}", lambda c: c.service_keys.get(KEY_ID),
              f"/v1/service-keys/{KEY_ID}", ok(p.service_key()), ht.ServiceKey),
    Operation("PATCH", "/v1/service-keys/{service_key_id}",
              lambda c: c.service_keys.update(KEY_ID, {"metadata": {"team": "ops"}}),
              f"/v1/service-keys/{KEY_ID}", ok(p.service_key()), ht.ServiceKey,
              body={"metadata": {"team": "ops"}}),
    Operation("DELETE", "/v1/service-keys/{service_key_id}",
              lambda c: c.service_keys.revoke(KEY_ID), f"/v1/service-keys/{KEY_ID}",
              NO_CONTENT, type(None)),
    # domains
    Operation("POST", "/v1/domains", lambda c: c.domains.create({"domain": "api.example.com"}),
              "/v1/domains", ok(p.domain(), 201), ht.Domain, body={"domain": "api.example.com"}),
    Operation("GET", "/v1/domains", lambda c: c.domains.list(), "/v1/domains",
              listing(p.domain()), Paged(ht.Domain)),
    Operation("GET", "/v1/domains/{domain_id}", lambda c: c.domains.get(DOMAIN_ID),
              f"/v1/domains/{DOMAIN_ID}", ok(p.domain()), ht.Domain),
    Operation("DELETE", "/v1/domains/{domain_id}", lambda c: c.domains.delete(DOMAIN_ID),
              f"/v1/domains/{DOMAIN_ID}", NO_CONTENT, type(None)),
    Operation("POST", "/v1/domains/{domain_id}/verify", lambda c: c.domains.verify(DOMAIN_ID),
              f"/v1/domains/{DOMAIN_ID}/verify", ok(p.domain_verification()),
              ht.DomainVerification),
    # env and org
    Operation("GET", "/v1/env", lambda c: c.env.get(), "/v1/env", ok(p.environment()),
              ht.Environment),
    Operation("GET", "/v1/env/subscribe", lambda c: c.env.subscribe(), "/v1/env/subscribe",
              sse({"type": "keepalive"}), list),
    Operation("GET", "/v1/org/usage", lambda c: c.org.usage(), "/v1/org/usage",
              ok(p.org_usage()), ht.OrgUsage),
    # streams
    Operation("GET", "/v1/streams/{stream_id}/subscribe",
              lambda c: c.streams.subscribe(STREAM_ID, project=PROJECT),
              f"/v1/streams/{STREAM_ID}/subscribe", sse(_run_event("run:start")), list,
              params={"project": PROJECT}),
    Operation("POST", "/v1/streams/{stream_id}/subscribe",
              lambda c: c.streams.subscribe_post(STREAM_ID),
              f"/v1/streams/{STREAM_ID}/subscribe", sse(_run_event("run:stop")), list),
    Operation("POST", "/v1/streams/subscribe-with-event",
              lambda c: c.streams.subscribe_with_event(
                  {"event_type": "user:signup", "event_data": {}}, reconnect=False),
              "/v1/streams/subscribe-with-event",
              sse({"type": "event:published", "event_id": EVENT_ID, "stream_id": STREAM_ID,
                   "event_type": "user:signup"}),
              list, body={"event_type": "user:signup", "event_data": {}}),
    # files
    Operation("GET", "/v1/files", lambda c: c.files.list(prefix="reports/"), "/v1/files",
              listing(p.file()), Paged(ht.File), params={"prefix": "reports/"}),
    Operation("GET", "/v1/files/{file_id}", lambda c: c.files.get(FILE_ID),
              f"/v1/files/{FILE_ID}", ok(p.file()), ht.File),
    Operation("DELETE", "/v1/files/{file_id}", lambda c: c.files.delete(FILE_ID),
              f"/v1/files/{FILE_ID}", NO_CONTENT, type(None)),
    Operation("GET", "/v1/files/{file_id}/download", lambda c: c.files.download(FILE_ID),
              f"/v1/files/{FILE_ID}/download", httpx.Response(200, content=b"a,b\n\x00\xff"),
              httpx.Response),
    Operation("PUT", "/v1/files/upload/{path}",
              lambda c: c.files.upload("reports/q1 2026.csv", b"a,b\n", content_type="text/csv"),
              "/v1/files/upload/reports/q1%202026.csv", ok(p.file()), ht.File),
    Operation("POST", "/v1/files/uploads",
              lambda c: c.files.initiate_upload({"path": "big.bin", "expected_size": 10}),
              "/v1/files/uploads", ok(p.initiate_upload(), 201), ht.InitiateUpload,
              body={"path": "big.bin", "expected_size": 10}),
    Operation("PUT", "/v1/files/uploads/{upload_id}/{part_number}",
              lambda c: c.files.upload_part(UPLOAD_ID, 2, b"chunk"),
              f"/v1/files/uploads/{UPLOAD_ID}/2", ok(p.upload_part(2)), ht.UploadPart),
    Operation("POST", "/v1/files/uploads/{upload_id}/complete",
              lambda c: c.files.complete_upload(UPLOAD_ID),
              f"/v1/files/uploads/{UPLOAD_ID}/complete", ok(p.file()), ht.File),
    Operation("DELETE", "/v1/files/uploads/{upload_id}",
              lambda c: c.files.abort_upload(UPLOAD_ID), f"/v1/files/uploads/{UPLOAD_ID}",
              NO_CONTENT, type(None)),
]
