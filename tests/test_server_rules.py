"""Every request rule the client checks, against the Hot server's own.

Each row names a rule, the server file it comes from, a request on each side of
it and what the server answers to the refused one. The typed client must refuse
the refused request before anything is sent and send the accepted one; the
emulator, reached through the escape hatch `request_raw` (which checks nothing),
must answer both as the server does: the refused one with the server's status
and code (a 2xx where the server accepts it but clamps, ignores or rewrites it,
which is why the client refuses it), the accepted one with a 2xx.
"""

from __future__ import annotations

import asyncio
import inspect
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from pydantic import ValidationError

from hot_typed import (
    AsyncHotClient,
    HotApiError,
    HotClient,
    InternalServerError,
    RunStatus,
    RunType,
)
from hot_typed._models.auth import MAX_ACTIVE_SESSIONS
from hot_typed.testing import HotEmulator

Client = HotClient | AsyncHotClient
Ctx = dict[str, str]
Typed = Callable[[Any, Ctx], Any]
Runner = Callable[[Typed, Ctx], Any]


@dataclass(frozen=True)
class Raw:
    """A request sent through the escape hatch; `{name}` in `path` is filled from
    the test's context (`{upload}`: a pending upload's id)."""

    method: str
    path: str
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Side:
    typed: Typed
    raw: Raw


@dataclass(frozen=True)
class Rule:
    name: str
    source: str
    accepted: Side
    refused: Side
    #: The server's status and error code for the refused request (code None: a
    #: plain-text rejection of axum's; a 2xx: accepted, but not as sent).
    answer: tuple[int, str | None]
    #: For a 2xx answer to the refused request: what the server made of it.
    effect: Callable[[httpx.Response], None] | None = None
    #: The end of the server's message to the refused request, when a row pins it.
    message: str | None = None
    #: The parameter the client's error names (at its location), when a row pins it.
    param: str | None = None


def _typed(operation: str, *args: Any, **kwargs: Any) -> Typed:
    resource, method = operation.split(".")

    def invoke(client: Any, ctx: Ctx) -> Any:
        filled = [arg.format_map(ctx) if isinstance(arg, str) else arg for arg in args]
        return getattr(getattr(client, resource), method)(*filled, **kwargs)

    return invoke


def _drained(typed: Typed) -> Typed:
    """`typed`, an operation answering an event stream, read to its end."""

    def invoke(client: Any, ctx: Ctx) -> Any:
        stream = typed(client, ctx)
        if isinstance(client, AsyncHotClient):

            async def drain() -> list[Any]:
                return [event async for event in stream]

            return drain()
        return list(stream)

    return invoke


def body_rule(
    name: str,
    source: str,
    operation: str,
    path: str,
    accepted: Any,
    refused: Any,
    answer: tuple[int, str | None],
    *,
    args: tuple[Any, ...] = (),
    method: str = "POST",
    effect: Callable[[httpx.Response], None] | None = None,
) -> Any:
    return pytest.param(
        Rule(
            name,
            source,
            Side(_typed(operation, *args, accepted), Raw(method, path, {"json": accepted})),
            Side(_typed(operation, *args, refused), Raw(method, path, {"json": refused})),
            answer,
            effect,
        ),
        id=name,
    )


def query_rule(
    name: str,
    source: str,
    operation: str,
    path: str,
    accepted: dict[str, Any],
    refused: dict[str, Any],
    answer: tuple[int, str | None],
    effect: Callable[[httpx.Response], None] | None = None,
) -> Any:
    return pytest.param(
        Rule(
            name,
            source,
            Side(_typed(operation, **accepted), Raw("GET", path, {"params": accepted})),
            Side(_typed(operation, **refused), Raw("GET", path, {"params": refused})),
            answer,
            effect,
        ),
        id=name,
    )


def id_rule(
    name: str,
    source: str,
    operation: str,
    path: str,
    accepted: str,
    refused: str,
    *,
    param: str,
    reason: str,
    args: tuple[Any, ...] = ("{id}",),
    method: str = "GET",
    options: dict[str, Any] | None = None,
    drain: bool = False,
) -> Any:
    """A path parameter the server extracts as a `Uuid`: `{id}` in `path` and
    `args` is `accepted` (a `Records` name) or `refused` (as written), which
    axum answers with a plain 400 naming `param` and the uuid crate's `reason`."""

    def side(value: str) -> Side:
        filled = [arg.replace("{id}", value) if isinstance(arg, str) else arg for arg in args]
        typed = _typed(operation, *filled)
        raw = Raw(method, path.replace("{id}", value), options or {})
        return Side(_drained(typed) if drain else typed, raw)

    literal = refused.replace("{", "{{").replace("}", "}}")
    message = (
        f"Invalid URL: Cannot parse `{param}` with value `{refused}`: "
        f"UUID parsing failed: {reason}"
    )
    rule = Rule(
        name, source, side(accepted), side(literal), (400, None), message=message, param=param
    )
    return pytest.param(rule, id=name)


def _pagination(key: str, value: int) -> Callable[[httpx.Response], None]:
    def check(response: httpx.Response) -> None:
        assert response.json()["pagination"][key] == value

    return check


def _data(key: str, value: Any) -> Callable[[httpx.Response], None]:
    def check(response: httpx.Response) -> None:
        assert response.json()["data"][key] == value

    return check


def _build_form(build_id: str, hash: str = "") -> dict[str, Any]:
    """A build upload (an empty hash by default), as the escape hatch sends it."""
    body = (
        b"--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"b.zip\"\r\n\r\nzip\r\n"
        b"--b\r\nContent-Disposition: form-data; name=\"hash\"\r\n\r\n"
        + hash.encode()
        + b"\r\n--b\r\nContent-Disposition: form-data; name=\"build_id\"\r\n\r\n"
        + build_id.encode()
        + b"\r\n--b--\r\n"
    )
    return {"content": body, "headers": {"Content-Type": "multipart/form-data; boundary=b"}}


PERMISSION = "crates/hot/src/permission.rs"
SESSIONS = "crates/hot_api/src/handlers/sessions.rs"
KEYS = "crates/hot_api/src/handlers/service_keys.rs"
EVENTS = "crates/hot_api/src/handlers/events.rs"
DOMAIN = "crates/hot/src/db/domain.rs"
STORAGE = "crates/hot/src/file_storage.rs"
FILES = "crates/hot_api/src/handlers/files.rs"
LISTS = "crates/hot_api/src/handlers/mod.rs"
TIME_RANGE = "crates/hot/src/time_range.rs"
BAD = (400, "bad_request")
UNDESERIALIZABLE = (422, None)
INTERNAL = (500, "internal_server_error")
NEW_STREAM = str(uuid.uuid4())
NEW_BUILD = str(uuid.uuid4())
#: The largest `i64`, what the server reads `offset`, `expected_size` and `expires_in` as.
I64_MAX = 2**63 - 1
#: A UUID no record has, for refused spellings of one.
SOME = "0b6a8f6e-2b1c-4d3e-9f40-5a6b7c8d9e0f"


def _session(permissions: dict[str, Any], **more: Any) -> dict[str, Any]:
    return {"permissions": permissions, **more}


def _key(permissions: dict[str, Any], **more: Any) -> dict[str, Any]:
    return {"name": "k", "permissions": permissions, **more}


def _call(data: Any) -> dict[str, Any]:
    return {"event_type": "hot:call", "event_data": data}


RULES = [
    # Permissions (sessions; service keys share these rules) ---------------------
    body_rule(
        "permission-resource-is-type-colon-path", PERMISSION, "sessions.create", "/sessions",
        _session({"stream:abc": ["read"]}), _session({"stream": ["read"]}), BAD,
    ),
    body_rule(
        "permission-universal-is-star-colon-star", PERMISSION, "sessions.create", "/sessions",
        _session({"*:*": ["*"]}), _session({"*": ["*"]}), BAD,
    ),
    body_rule(
        "permission-type-is-letters-digits-hyphens", PERMISSION, "sessions.create", "/sessions",
        _session({"my-type2:x": ["read"]}), _session({"my_type:x": ["read"]}), BAD,
    ),
    body_rule(
        "permission-action-list-not-empty", PERMISSION, "sessions.create", "/sessions",
        _session({"run:*": ["read"]}), _session({"run:*": []}), BAD,
    ),
    body_rule(
        "permission-action-is-a-lowercase-action", PERMISSION, "sessions.create", "/sessions",
        _session({"run:*": ["*"]}), _session({"run:*": ["READ"]}), BAD,
    ),
    body_rule(
        "permission-action-valid-for-known-type", PERMISSION, "sessions.create", "/sessions",
        _session({"event:*": ["create", "read"]}), _session({"stream:*": ["delete"]}), BAD,
    ),
    body_rule(
        "permission-unknown-type-takes-any-action", PERMISSION, "sessions.create", "/sessions",
        _session({"call:*": ["execute"]}), _session({"call:*": ["write"]}), BAD,
    ),
    body_rule(
        "permissions-are-an-object-of-string-lists", SESSIONS, "sessions.create", "/sessions",
        _session({"run:*": ["read"]}), _session({"run:*": "read"}), BAD,
    ),
    # Sessions -------------------------------------------------------------------
    body_rule(
        "session-permissions-required", SESSIONS, "sessions.create", "/sessions",
        _session({"run:*": ["read"]}), {"expires_in": 60}, UNDESERIALIZABLE,
    ),
    body_rule(
        "session-expires-in-positive", SESSIONS, "sessions.create", "/sessions",
        _session({"run:*": ["read"]}, expires_in=1), _session({"run:*": ["read"]}, expires_in=0),
        BAD,
    ),
    body_rule(
        "session-expires-in-at-most-a-day", "crates/hot/src/db/session.rs", "sessions.create",
        "/sessions", _session({"run:*": ["read"]}, expires_in=86_400),
        _session({"run:*": ["read"]}, expires_in=86_401), BAD,
    ),
    body_rule(
        "session-expires-in-is-64-bit", SESSIONS, "sessions.create", "/sessions",
        _session({"run:*": ["read"]}, expires_in=60),
        _session({"run:*": ["read"]}, expires_in=I64_MAX + 1), UNDESERIALIZABLE,
    ),
    body_rule(
        "session-expires-in-is-an-integer", SESSIONS, "sessions.create", "/sessions",
        _session({"run:*": ["read"]}, expires_in=60),
        _session({"run:*": ["read"]}, expires_in="soon"), UNDESERIALIZABLE,
    ),
    # Service keys ---------------------------------------------------------------
    body_rule(
        "service-key-customer-facing-types-only", KEYS, "service_keys.create", "/service-keys",
        _key({"webhook:*": ["execute"], "event:orders:*": ["create"]}),
        _key({"project:*": ["read"]}), BAD,
    ),
    body_rule(
        "service-key-not-universal", KEYS, "service_keys.create", "/service-keys",
        _key({"mcp:*": ["*"]}), _key({"*:*": ["*"]}), BAD,
    ),
    body_rule(
        "service-key-expires-in-positive-unbounded", KEYS, "service_keys.create", "/service-keys",
        _key({"run:*": ["read"]}, expires_in=31_536_000), _key({"run:*": ["read"]}, expires_in=-1),
        BAD,
    ),
    body_rule(
        "service-key-expires-in-is-64-bit", KEYS, "service_keys.create", "/service-keys",
        _key({"run:*": ["read"]}, expires_in=60), _key({"run:*": ["read"]}, expires_in=I64_MAX + 1),
        UNDESERIALIZABLE,
    ),
    # Events ---------------------------------------------------------------------
    body_rule(
        "event-type-hot-prefix-reserved-but-hot-call", EVENTS, "events.publish", "/events",
        _call({"fn": "::app/f", "args": []}), {"event_type": "hot:schedule", "event_data": {}},
        (403, "forbidden"),
    ),
    body_rule(
        "event-type-any-string-even-empty", EVENTS, "events.publish", "/events",
        {"event_type": "", "event_data": 1}, {"event_type": 7, "event_data": 1},
        UNDESERIALIZABLE,
    ),
    body_rule(
        # The server stores it, but the call cannot be made: no string `fn`.
        "hot-call-names-fn", "hot/pkg/hot-std/src/hot/lang.hot", "events.publish", "/events",
        _call({"fn": "::app/f", "args": [], "caller": {"ip": "127.0.0.1"}}), _call({"args": []}),
        (201, None),
    ),
    body_rule(
        "hot-call-lists-args", "hot/pkg/hot-std/src/hot/lang.hot", "events.publish", "/events",
        _call({"fn": "::app/f", "args": [1], "_hot_target_build_id": NEW_BUILD}),
        _call({"fn": "::app/f", "args": {"x": 1}}), (201, None),
    ),
    body_rule(
        "event-stream-id-is-a-uuid", "crates/hot_api/src/models.rs", "events.publish", "/events",
        {"event_type": "a", "event_data": 1, "stream_id": NEW_STREAM},
        {"event_type": "a", "event_data": 1, "stream_id": "stream-1"}, UNDESERIALIZABLE,
    ),
    # Text the server stores in Postgres, which holds no NUL character ----------
    body_rule(
        "event-type-without-nul", "crates/hot/src/db/event.rs", "events.publish", "/events",
        {"event_type": "a\x01", "event_data": 1}, {"event_type": "a\x00", "event_data": 1},
        INTERNAL,
    ),
    body_rule(
        "event-data-without-nul", "crates/hot/src/db/event.rs", "events.publish", "/events",
        {"event_type": "a", "event_data": {"k": ["\x01"]}},
        {"event_type": "a", "event_data": {"k": ["\x00"]}}, INTERNAL,
    ),
    body_rule(
        "event-data-keys-without-nul", "crates/hot/src/db/event.rs", "events.publish", "/events",
        {"event_type": "a", "event_data": {"k\x01": 1}},
        {"event_type": "a", "event_data": {"k\x00": 1}}, INTERNAL,
    ),
    body_rule(
        "session-metadata-without-nul", "crates/hot/src/db/session.rs", "sessions.create",
        "/sessions", _session({"run:*": ["read"]}, metadata={"user": "u"}),
        _session({"run:*": ["read"]}, metadata={"user": "u\x00"}), INTERNAL,
    ),
    body_rule(
        "session-permissions-without-nul", "crates/hot/src/db/session.rs", "sessions.create",
        "/sessions", _session({"stream:a\x01": ["read"]}), _session({"stream:a\x00": ["read"]}),
        INTERNAL,
    ),
    body_rule(
        # The metadata is stored encrypted: any text.
        "service-key-name-without-nul", "crates/hot/src/db/service_key.rs",
        "service_keys.create", "/service-keys", _key({"run:*": ["read"]}, metadata={"a": "\x00"}),
        {"name": "k\x00", "permissions": {"run:*": ["read"]}}, INTERNAL,
    ),
    body_rule(
        "service-key-description-without-nul", "crates/hot/src/db/service_key.rs",
        "service_keys.create", "/service-keys", _key({"run:*": ["read"]}, description="d"),
        _key({"run:*": ["read"]}, description="d\x00"), INTERNAL,
    ),
    body_rule(
        "project-name-without-nul", "crates/hot/src/db/project.rs", "projects.create",
        "/projects", {"name": "p\x01"}, {"name": "p\x00"}, INTERNAL,
    ),
    body_rule(
        "project-new-name-without-nul", "crates/hot/src/db/project.rs", "projects.update",
        "/projects/app", {"name": "q"}, {"name": "q\x00"}, INTERNAL, args=("app",),
        method="PATCH",
    ),
    body_rule(
        # The value is stored encrypted: any text.
        "context-key-without-nul", "crates/hot/src/db/context.rs", "context.create",
        "/projects/app/context", {"key": "K1", "value": "v\x00"}, {"key": "K\x00", "value": "v"},
        INTERNAL, args=("app",),
    ),
    body_rule(
        "context-description-without-nul", "crates/hot/src/db/context.rs", "context.create",
        "/projects/app/context", {"key": "K2", "value": "v", "description": "d"},
        {"key": "K3", "value": "v", "description": "d\x00"}, INTERNAL, args=("app",),
    ),
    body_rule(
        "upload-content-type-without-nul", "crates/hot/src/db/file_upload.rs",
        "files.initiate_upload", "/files/uploads", {"path": "t", "content_type": "text/plain"},
        {"path": "t", "content_type": "text/plain\x00"}, INTERNAL,
    ),
    query_rule(
        "files-prefix-without-nul", "crates/hot/src/db/file.rs", "files.list", "/files",
        {"prefix": "a"}, {"prefix": "a\x00"}, INTERNAL,
    ),
    pytest.param(
        Rule(
            "project-path-name-without-nul",
            "crates/hot/src/db/project.rs",
            Side(_typed("projects.get", "app"), Raw("GET", "/projects/app")),
            Side(_typed("projects.get", "app\x00"), Raw("GET", "/projects/app%00")),
            INTERNAL,
        ),
        id="project-path-name-without-nul",
    ),
    pytest.param(
        Rule(
            # streams.rs resolves `?project=` by name (after publishing, for
            # subscribe-with-event): checked before anything is sent.
            "stream-project-without-nul",
            "crates/hot_api/src/handlers/streams.rs",
            Side(
                _drained(_typed("streams.subscribe", "{stream}", project="app")),
                Raw("GET", "/streams/{stream}/subscribe", {"params": {"project": "app"}}),
            ),
            Side(
                _drained(_typed("streams.subscribe", "{stream}", project="app\x00")),
                Raw("GET", "/streams/{stream}/subscribe", {"params": {"project": "app\x00"}}),
            ),
            INTERNAL,
        ),
        id="stream-project-without-nul",
    ),
    # Projects and context variables ----------------------------------------------
    body_rule(
        "project-name-any-string-even-empty", "crates/hot_api/src/handlers/projects.rs",
        "projects.create", "/projects", {"name": ""}, {"name": 5}, UNDESERIALIZABLE,
    ),
    body_rule(
        "context-key-any-string-even-empty", "crates/hot_api/src/handlers/context.rs",
        "context.create", "/projects/app/context", {"key": "", "value": "v"},
        {"key": "K", "value": 5}, UNDESERIALIZABLE, args=("app",),
    ),
    # Domains ----------------------------------------------------------------------
    body_rule(
        "domain-has-a-dot", DOMAIN, "domains.create", "/domains",
        {"domain": "api.example.com"}, {"domain": "localhost"}, BAD,
    ),
    body_rule(
        "domain-has-no-scheme", DOMAIN, "domains.create", "/domains",
        {"domain": "mcp.example.com"}, {"domain": "https://mcp.example.com"}, BAD,
    ),
    body_rule(
        "domain-labels-letters-digits-hyphens", DOMAIN, "domains.create", "/domains",
        {"domain": "a-b.example.com"}, {"domain": "a_b.example.com"}, BAD,
    ),
    body_rule(
        "domain-labels-not-hyphen-ended", DOMAIN, "domains.create", "/domains",
        {"domain": "x1.example.com"}, {"domain": "-x.example.com"}, BAD,
    ),
    body_rule(
        "domain-labels-at-most-63", DOMAIN, "domains.create", "/domains",
        {"domain": "a" * 63 + ".example.com"}, {"domain": "a" * 64 + ".example.com"}, BAD,
    ),
    body_rule(
        "domain-sent-as-stored", DOMAIN, "domains.create", "/domains",
        {"domain": "api.example.org"}, {"domain": " API.Example.net"}, (201, None),
        effect=_data("domain", "api.example.net"),
    ),
    # Files ------------------------------------------------------------------------
    body_rule(
        "upload-path-inside-the-root", STORAGE, "files.initiate_upload", "/files/uploads",
        {"path": "a/b"}, {"path": "../a"}, BAD,
    ),
    body_rule(
        "upload-path-without-dot-dot", STORAGE, "files.initiate_upload", "/files/uploads",
        {"path": ".a/b.c"}, {"path": "a..b"}, BAD,
    ),
    body_rule(
        "upload-path-not-empty", STORAGE, "files.initiate_upload", "/files/uploads",
        {"path": "x"}, {"path": "/"}, BAD,
    ),
    body_rule(
        "upload-path-sent-as-stored", STORAGE, "files.initiate_upload", "/files/uploads",
        {"path": "c/d"}, {"path": "/c//./d"}, (201, None), effect=_data("path", "c/d"),
    ),
    body_rule(
        "upload-expected-size-positive", FILES, "files.initiate_upload", "/files/uploads",
        {"path": "e", "expected_size": 1}, {"path": "e", "expected_size": 0}, BAD,
    ),
    body_rule(
        "upload-expected-size-is-64-bit", "crates/hot_api/src/models.rs", "files.initiate_upload",
        "/files/uploads", {"path": "e", "expected_size": 8},
        {"path": "e", "expected_size": I64_MAX + 1}, UNDESERIALIZABLE,
    ),
    pytest.param(
        Rule(
            "upload-part-number-at-most-10000",
            STORAGE,
            Side(
                _typed("files.upload_part", "{upload}", 10_000, b"x"),
                Raw("PUT", "/files/uploads/{upload}/10000", {"content": b"x"}),
            ),
            Side(
                _typed("files.upload_part", "{upload}", 10_001, b"x"),
                Raw("PUT", "/files/uploads/{upload}/10001", {"content": b"x"}),
            ),
            BAD,
        ),
        id="upload-part-number-at-most-10000",
    ),
    pytest.param(
        Rule(
            "upload-part-number-from-1",
            STORAGE,
            Side(
                _typed("files.upload_part", "{upload}", 1, b"x"),
                Raw("PUT", "/files/uploads/{upload}/1", {"content": b"x"}),
            ),
            Side(
                _typed("files.upload_part", "{upload}", 0, b"x"),
                Raw("PUT", "/files/uploads/{upload}/0", {"content": b"x"}),
            ),
            BAD,
        ),
        id="upload-part-number-from-1",
    ),
    pytest.param(
        Rule(
            # handlers/files.rs checks the path only when storage writes it: a 500.
            "simple-upload-path-without-dot-dot",
            STORAGE,
            Side(_typed("files.upload", "f.b", b"x"), Raw("PUT", "/files/upload/f.b")),
            Side(_typed("files.upload", "f..b", b"x"), Raw("PUT", "/files/upload/f..b")),
            (500, "internal_server_error"),
        ),
        id="simple-upload-path-without-dot-dot",
    ),
    # Builds -------------------------------------------------------------------------
    pytest.param(
        Rule(
            # Any hash, "" included, is stored; a build_id must be a UUID.
            "build-id-is-a-uuid",
            "crates/hot_api/src/handlers/builds.rs",
            Side(
                _typed("builds.upload", "app", file=b"zip", hash="", build_id=NEW_BUILD),
                Raw("POST", "/projects/app/builds", _build_form(str(uuid.uuid4()))),
            ),
            Side(
                _typed("builds.upload", "app", file=b"zip", hash="", build_id="build-1"),
                Raw("POST", "/projects/app/builds", _build_form("build-1")),
            ),
            BAD,
        ),
        id="build-id-is-a-uuid",
    ),
    pytest.param(
        Rule(
            "build-hash-without-nul",
            "crates/hot/src/db/build.rs",
            Side(
                _typed("builds.upload", "app", file=b"zip", hash="h\x01"),
                Raw("POST", "/projects/app/builds", _build_form(str(uuid.uuid4()), "h\x01")),
            ),
            Side(
                _typed("builds.upload", "app", file=b"zip", hash="h\x00"),
                Raw("POST", "/projects/app/builds", _build_form(str(uuid.uuid4()), "h\x00")),
            ),
            INTERNAL,
        ),
        id="build-hash-without-nul",
    ),
    # Lists --------------------------------------------------------------------------
    query_rule(
        "list-limit-at-most-500", LISTS, "projects.list", "/projects",
        {"limit": 500}, {"limit": 501}, (200, None), _pagination("limit", 500),
    ),
    query_rule(
        "list-limit-at-least-1", LISTS, "events.list", "/events",
        {"limit": 1}, {"limit": 0}, (200, None), _pagination("limit", 1),
    ),
    query_rule(
        "list-offset-not-negative", LISTS, "sessions.list", "/sessions",
        {"offset": 0}, {"offset": -1}, (500, "internal_server_error"),
    ),
    query_rule(
        "list-offset-is-64-bit", LISTS, "events.list", "/events",
        {"offset": I64_MAX - 20}, {"offset": I64_MAX + 1}, (400, None),
    ),
    query_rule(
        # The server adds them in 64 bits (has_more = offset + limit < total),
        # a sum that wraps round to a negative one: "more" past every record.
        "list-offset-plus-limit-is-64-bit", "crates/hot_api/src/models.rs", "projects.list",
        "/projects", {"offset": I64_MAX - 500, "limit": 500},
        {"offset": I64_MAX - 499, "limit": 500}, (200, None), _pagination("has_more", True),
    ),
    query_rule(
        "list-offset-plus-default-limit-is-64-bit", "crates/hot_api/src/models.rs",
        "sessions.list", "/sessions", {"offset": I64_MAX - 20}, {"offset": I64_MAX - 19},
        (200, None), _pagination("has_more", True),
    ),
    query_rule(
        "runs-type-not-task", "crates/hot/src/db/run.rs", "runs.list", "/runs",
        {"type": "call"}, {"type": "task"}, (200, None),
    ),
    # Matched exactly against the names in the run_status and run_type tables
    # (resources/db/*/migrations/001_hot_2_initial_schema.sql): any other text
    # lists nothing.
    query_rule(
        "runs-status-is-a-status-name", "crates/hot/src/db/run.rs", "runs.list", "/runs",
        {"status": "pending_retry"}, {"status": "FAILED"}, (200, None), _pagination("total", 0),
    ),
    query_rule(
        "runs-type-is-a-type-name", "crates/hot/src/db/run.rs", "runs.list", "/runs",
        {"type": "repl"}, {"type": "events"}, (200, None), _pagination("total", 0),
    ),
    query_rule(
        "runs-time-range-iso-duration", TIME_RANGE, "runs.list", "/runs",
        {"time_range": "P1D1Y"}, {"time_range": "P7X"}, (200, None),
    ),
    query_rule(
        "runs-time-range-all", TIME_RANGE, "runs.list", "/runs",
        {"time_range": "all"}, {"time_range": "every"}, (200, None),
    ),
    query_rule(
        "runs-time-range-at-most-ten-years", TIME_RANGE, "runs.list", "/runs",
        {"time_range": "P10Y"}, {"time_range": "P11Y"}, (200, None),
    ),
    query_rule(
        "runs-time-range-above-zero", TIME_RANGE, "runs.list", "/runs",
        {"time_range": "PT1S"}, {"time_range": "P0D"}, (200, None),
    ),
    # Path ids: axum's `Path<Uuid>` (the uuid crate's parser) -----------------------
    id_rule(
        "run-id-is-a-uuid", "crates/hot_api/src/handlers/runs.rs", "runs.get", "/runs/{id}",
        "{run_upper}", "run-1", param="run_id", reason="invalid character: found `r` at 1",
    ),
    id_rule(
        "run-id-is-a-uuid-to-subscribe", "crates/hot_api/src/handlers/runs.rs",
        "runs.subscribe", "/runs/{id}/subscribe", "{run_urn}", "uuid:" + SOME,
        param="run_id", reason="invalid character: found `u` at 1", drain=True,
    ),
    id_rule(
        "task-id-is-a-uuid", "crates/hot_api/src/handlers/tasks.rs", "tasks.get", "/tasks/{id}",
        "{task_simple}", "{" + SOME.replace("-", "") + "}", param="task_id",
        reason="invalid group count: expected 5, found 1",
    ),
    id_rule(
        "event-id-is-a-uuid", EVENTS, "events.get", "/events/{id}", "{event_braced}",
        SOME.upper().replace("-", "")[:31], param="event_id",
        reason="invalid length: expected length 32 for simple format, found 31",
    ),
    id_rule(
        "event-id-is-a-uuid-for-its-runs", EVENTS, "events.get_runs", "/events/{id}/runs",
        "{event}", "URN:UUID:" + SOME, param="event_id",
        reason="invalid character: found `U` at 1",
    ),
    id_rule(
        "stream-id-is-a-uuid", "crates/hot_api/src/handlers/streams.rs", "streams.subscribe",
        "/streams/{id}/subscribe", "{stream_urn}", "stream-1", param="stream_id",
        reason="invalid character: found `s` at 1", drain=True,
    ),
    id_rule(
        "session-id-is-a-uuid", SESSIONS, "sessions.revoke", "/sessions/{id}", "{session_upper}",
        SOME + "-", param="session_id", reason="invalid group count: expected 5, found 6",
        method="DELETE",
    ),
    id_rule(
        "service-key-id-is-a-uuid", KEYS, "service_keys.get", "/service-keys/{id}",
        "{key_braced}", SOME[:8] + SOME[9:13] + "-" + SOME[13:], param="service_key_id",
        reason="invalid group length in group 0: expected 8, found 12",
    ),
    id_rule(
        "domain-id-is-a-uuid", "crates/hot_api/src/handlers/domains.rs", "domains.get",
        "/domains/{id}", "{domain_simple}", "api.example.com", param="domain_id",
        reason="invalid character: found `p` at 2",
    ),
    id_rule(
        "file-id-is-a-uuid", FILES, "files.get", "/files/{id}", "{file_urn}", "f.txt",
        param="file_id", reason="invalid character: found `.` at 2",
    ),
    id_rule(
        "upload-id-is-a-uuid", FILES, "files.upload_part", "/files/uploads/{id}/1",
        "{upload_upper}", "parts", param="upload_id", reason="invalid character: found `p` at 1",
        args=("{id}", 1, b"x"), method="PUT", options={"content": b"x"},
    ),
    id_rule(
        "upload-id-is-a-uuid-to-abort", FILES, "files.abort_upload", "/files/uploads/{id}",
        "{upload_simple}", SOME + "0", param="upload_id",
        reason="invalid group length in group 4: expected 12, found 13", method="DELETE",
    ),
    id_rule(
        "blob-ref-id-is-a-uuid", "crates/hot_api/src/handlers/blobs.rs", "blobs.download",
        "/blobs/{id}/download", "{blob_braced}", "blob-1", param="blob_ref_id",
        reason="invalid character: found `l` at 2",
    ),
    id_rule(
        "build-path-id-is-a-uuid", "crates/hot_api/src/handlers/builds.rs", "builds.get",
        "/projects/app/builds/{id}", "{build_upper}", "latest", param="build_id",
        reason="invalid character: found `l` at 1", args=("app", "{id}"),
    ),
]  # fmt: skip


@pytest.fixture
def emu(request: pytest.FixtureRequest) -> Iterator[HotEmulator]:
    """The emulator, with the options a test passes as this fixture's `param`."""
    options: dict[str, Any] = getattr(request, "param", {})
    # Streams end after a moment, so that subscribing reads to an end.
    with HotEmulator(
        part_size=8, min_part_size=1, stream_time_limit=0.2, **options
    ) as emulator:
        yield emulator


#: The UUID spellings the server's parser takes besides its own (lowercase,
#: hyphenated), by the suffix a `Records` name gives them.
SPELLINGS: dict[str, Callable[[uuid.UUID], str]] = {
    "": str,
    "_upper": lambda value: str(value).upper(),
    "_simple": lambda value: value.hex,
    "_braced": lambda value: "{" + str(value) + "}",
    "_urn": lambda value: value.urn,
}


class Records(dict[str, str]):
    """What the rows refer to by `{name}`: project `app` and a pending upload
    (`upload`) at once, the other records (`run`, `task`, `event`, `stream`,
    `session`, `key`, `domain`, `file`, `blob`, `build`) made on first use,
    each in every spelling of `SPELLINGS` (`{run_upper}`, `{file_urn}`, ...).

    Records are made through another client and the requests that made them
    forgotten, before the row's own request is sent."""

    def __init__(self, emu: HotEmulator) -> None:
        super().__init__()
        self._emu = emu
        self._add(self._make("upload"))

    def __missing__(self, name: str) -> str:
        kind = name
        for suffix in SPELLINGS:
            if suffix and name.endswith(suffix):
                kind = name[: -len(suffix)]
        self._add(self._make(kind))
        self._emu.requests.clear()
        return self[name]

    def _add(self, ids: dict[str, Any]) -> None:
        for kind, value in ids.items():
            for suffix, spell in SPELLINGS.items():
                self[kind + suffix] = spell(uuid.UUID(str(value)))

    def _make(self, kind: str) -> dict[str, Any]:
        emu = self._emu
        with emu.client() as client:
            if kind == "upload":
                client.projects.create({"name": "app"})
                return {"upload": client.files.initiate_upload({"path": "parts"}).upload_id}
            if kind in ("run", "task", "event", "stream"):
                tasks: list[str] = []

                @emu.on_call("::app/f")
                def start_a_task(event: Any, context: Any) -> None:
                    task = context.start_task("::app/job")
                    tasks.append(task.task_id)
                    task.complete("done")

                call: Any = _call({"fn": "::app/f", "args": []})
                event = client.events.publish(call)
                run = client.streams.wait_for_run_result(event.stream_id, event.event_id)
                ids = {"run": run.run_id, "event": event.event_id, "stream": event.stream_id}
                return {**ids, "task": tasks[0]}
            return {kind: self._make_one(client, kind)}

    def _make_one(self, client: HotClient, kind: str) -> Any:
        session: Any = _session({"run:*": ["read"]})
        key: Any = _key({"run:*": ["read"]})
        if kind == "session":
            return client.sessions.create(session).session_id
        if kind == "key":
            return client.service_keys.create(key).service_key_id
        if kind == "domain":
            return client.domains.create({"domain": "ids.example.com"}).domain_id
        if kind == "file":
            return client.files.upload("ids/f", b"x").file_id
        if kind == "blob":
            return self._emu.store_blob(b"x")["$val"]["id"]
        assert kind == "build", kind
        return client.builds.upload("app", file=b"zip", hash="h").build_id


@pytest.fixture
def ctx(emu: HotEmulator) -> Ctx:
    """What the rows refer to (`Records`)."""
    records = Records(emu)
    emu.requests.clear()
    return records


@pytest.fixture(params=["sync", "async"])
def run(emu: HotEmulator, request: pytest.FixtureRequest) -> Iterator[Runner]:
    """`run(typed, ctx)`: the typed call on a sync or an async client, awaited."""
    loop = asyncio.new_event_loop()
    client: Client = (
        emu.client(max_retries=0) if request.param == "sync" else emu.async_client(max_retries=0)
    )

    def invoke(operation: Typed, ctx: Ctx) -> Any:
        result = operation(client, ctx)
        return loop.run_until_complete(result) if inspect.isawaitable(result) else result

    yield invoke
    if isinstance(client, AsyncHotClient):
        loop.run_until_complete(client.aclose())
    else:
        client.close()
    loop.close()


def _raw(run: Runner, raw: Raw, ctx: Ctx) -> httpx.Response:
    path = raw.path.format_map(ctx)
    response: httpx.Response = run(
        lambda client, _: client.request_raw(raw.method, path, **raw.options), ctx
    )
    return response


def test_every_rule_names_a_server_file() -> None:
    names = [param.values[0].name for param in RULES]
    assert len(set(names)) == len(names)
    for param in RULES:
        rule = param.values[0]
        assert rule.source.startswith(("crates/", "hot/pkg/")), rule.name


@pytest.mark.parametrize("rule", RULES)
def test_client_refuses_the_refused_side_before_sending(
    rule: Rule, emu: HotEmulator, ctx: Ctx, run: Runner
) -> None:
    with pytest.raises(ValidationError) as caught:
        run(rule.refused.typed, ctx)
    assert emu.requests == []
    if rule.param is not None:
        (error,) = caught.value.errors()
        assert error["loc"] == (rule.param,)
        assert error["msg"].startswith(f"{rule.param} is a UUID on the server")


@pytest.mark.parametrize("rule", RULES)
def test_client_sends_the_accepted_side(
    rule: Rule, emu: HotEmulator, ctx: Ctx, run: Runner
) -> None:
    run(rule.accepted.typed, ctx)
    assert len(emu.requests) == 1


@pytest.mark.parametrize("rule", RULES)
def test_emulator_answers_the_refused_side_as_the_server(
    rule: Rule, ctx: Ctx, run: Runner
) -> None:
    status, code = rule.answer
    if status < 300:
        response = _raw(run, rule.refused.raw, ctx)
        assert response.status_code == status
        if rule.effect is not None:
            rule.effect(response)
        return
    with pytest.raises(HotApiError) as caught:
        _raw(run, rule.refused.raw, ctx)
    assert (caught.value.status_code, caught.value.code) == (status, code)
    if rule.message is not None:
        assert caught.value.message.endswith(f": {rule.message}")


@pytest.mark.parametrize("rule", RULES)
def test_emulator_accepts_the_accepted_side(
    rule: Rule, ctx: Ctx, run: Runner
) -> None:
    assert _raw(run, rule.accepted.raw, ctx).is_success


@pytest.mark.parametrize(
    ("typed", "param"),
    [
        pytest.param(_typed("runs.wait", "run-1", timeout=1), "run_id", id="runs.wait"),
        pytest.param(_typed("tasks.wait", "task-1", timeout=1), "task_id", id="tasks.wait"),
        pytest.param(
            _typed("streams.wait_for_run_result", "stream-1", SOME, timeout=1),
            "stream_id",
            id="wait_for_run_result-stream",
        ),
    ],
)
def test_waiters_refuse_a_path_id_that_is_not_a_uuid_before_sending(
    typed: Typed, param: str, emu: HotEmulator, ctx: Ctx, run: Runner
) -> None:
    with pytest.raises(ValidationError) as caught:
        run(typed, ctx)
    assert caught.value.errors()[0]["loc"] == (param,)
    assert emu.requests == []


@pytest.mark.parametrize(
    "typed",
    [
        # crates/hot_api/src/handlers/projects.rs, builds.rs: `Path<String>`, a
        # project's name or its UUID.
        pytest.param(_typed("projects.get", "app"), id="project-name"),
        pytest.param(_typed("builds.list_for_project", "app"), id="project-name-of-builds"),
        # crates/hot_api/src/handlers/files.rs: `Path<String>`, the file's path.
        pytest.param(_typed("files.upload", "run-1/f.txt", b"x"), id="file-path"),
    ],
)
def test_path_params_the_server_reads_as_text_take_any_text(
    typed: Typed, emu: HotEmulator, ctx: Ctx, run: Runner
) -> None:
    run(typed, ctx)
    assert len(emu.requests) == 1


@pytest.mark.parametrize(
    ("segment", "value"),
    [
        pytest.param("1_0", "1_0", id="underscore"),
        pytest.param("%201", " 1", id="space"),
        pytest.param("%D9%A3", "\u0663", id="arabic-indic-digit"),
        pytest.param(str(2**31), str(2**31), id="past-i32"),
    ],
)
def test_emulator_reads_part_numbers_as_the_server(
    segment: str, value: str, ctx: Ctx, run: Runner
) -> None:
    # crates/hot_api/src/handlers/files.rs: `Path<(Uuid, i32)>`, read by Rust's
    # i32::from_str, which refuses what Python's int() takes.
    with pytest.raises(HotApiError) as caught:
        _raw(run, Raw("PUT", "/files/uploads/{upload}/" + segment, {"content": b"x"}), ctx)
    assert (caught.value.status_code, caught.value.code) == (400, None)
    assert caught.value.message.endswith(f": Invalid URL: Cannot parse `{value}` to a `i32`")
    signed = Raw("PUT", "/files/uploads/{upload}/+1", {"content": b"x"})
    assert _raw(run, signed, ctx).json()["data"]["part_number"] == 1


@pytest.mark.parametrize("spelling", list(SPELLINGS))
def test_emulator_resolves_a_project_by_any_uuid_spelling_as_the_server(
    spelling: str, emu: HotEmulator, run: Runner
) -> None:
    # crates/hot_api/src/handlers/mod.rs, get_and_verify_project: a reference
    # `Uuid::parse_str` takes is an id, looked up as one; anything else a name.
    def literal(text: str) -> str:  # `_typed` fills `{name}` from the context
        return text.replace("{", "{{").replace("}", "}}")

    project = run(_typed("projects.create", {"name": "app"}), {})
    ref = SPELLINGS[spelling](uuid.UUID(project.project_id))
    assert run(_typed("projects.get", literal(ref)), {}).project_id == project.project_id
    # A project named as an id is never found by that name: the id is looked
    # up, and an id not found is a database error (crates/hot/src/db/project.rs
    # `get_project`, `fetch_one`), the API's 500, where a name not found is 404.
    named = SPELLINGS[spelling](uuid.uuid4())
    run(_typed("projects.create", {"name": named}), {})
    with pytest.raises(HotApiError) as caught:
        run(lambda client, _: client.with_options(max_retries=0).projects.get(named), {})
    assert (caught.value.status_code, caught.value.code) == (500, "internal_server_error")


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        # Python's int() takes these; Rust's i64::from_str, which
        # serde_urlencoded reads query integers with, does not.
        pytest.param("1_0", "invalid digit found in string", id="underscore"),
        pytest.param(" 5", "invalid digit found in string", id="space"),
        pytest.param("\u0663", "invalid digit found in string", id="arabic-indic-digit"),
        pytest.param("", "cannot parse integer from empty string", id="empty"),
        pytest.param(str(I64_MAX + 1), "number too large to fit in target type", id="too-large"),
        pytest.param(str(-I64_MAX - 2), "number too small to fit in target type", id="too-small"),
    ],
)
def test_emulator_reads_list_integers_as_the_server(
    text: str, problem: str, emu: HotEmulator, run: Runner
) -> None:
    # crates/hot_api/src/handlers/mod.rs: ListQueryParams, `offset: i64`.
    with pytest.raises(HotApiError) as caught:
        _raw(run, Raw("GET", "/events", {"params": {"offset": text}}), {})
    assert (caught.value.status_code, caught.value.code) == (400, None)
    assert caught.value.message.endswith(f": Failed to deserialize query string: offset: {problem}")
    answer = _raw(run, Raw("GET", "/events", {"params": {"offset": "+3", "limit": "-0"}}), {})
    assert answer.json()["pagination"] | {"total": 0} == {
        "total": 0, "limit": 1, "offset": 3, "has_more": False
    }


@pytest.mark.parametrize(
    ("typed", "param", "value"),
    [
        pytest.param(
            _typed("projects.get", "a\x00"), "project_id_or_slug", "a\x00", id="project"
        ),
        pytest.param(_typed("context.delete", "app", "K\x00"), "key", "K\x00", id="context-key"),
        pytest.param(
            _typed("mcp.list_tools", "org", "env\x00", "svc"), "env_name", "env\x00", id="mcp"
        ),
        pytest.param(_typed("webhooks.call", "o/e/s/p\x00/t"), "segment", "p\x00", id="webhook"),
    ],
)
def test_client_refuses_a_nul_in_a_text_path_param_before_sending(
    typed: Typed, param: str, value: str, emu: HotEmulator, run: Runner
) -> None:
    # The server looks each up in Postgres, which refuses a NUL character (a 500).
    with pytest.raises(ValidationError) as caught:
        run(typed, {})
    assert emu.requests == []
    (error,) = caught.value.errors()
    assert (error["loc"], error["type"], error["input"]) == ((param,), "stored_nul", value)
    assert error["msg"] == (
        f"{param} must not hold a NUL character (\\u0000): the server looks it up in its "
        "database (Postgres), which refuses one (a 500)"
    )


def test_a_nul_in_stored_text_or_json_is_refused_saying_the_database_cannot_store_it(
    emu: HotEmulator, run: Runner
) -> None:
    with pytest.raises(ValidationError) as text:
        run(_typed("projects.create", {"name": "shop\x00"}), {})
    with pytest.raises(ValidationError) as data:
        run(_typed("events.publish", {"event_type": "t", "event_data": {"a": ["\x00"]}}), {})
    assert emu.requests == []
    assert [(e["loc"], e["msg"]) for e in text.value.errors()] == [
        (
            ("name",),
            "holds a NUL character (\\u0000), which the server's database (Postgres) cannot "
            "store: it would answer 500",
        )
    ]
    assert [(e["loc"], e["msg"]) for e in data.value.errors()] == [
        (
            ("event_data",),
            "a string or key at ['a'][0] holds a NUL character (\\u0000), which the "
            "server's database (Postgres jsonb) cannot store: it would answer 500",
        )
    ]


def test_emulator_answers_a_nul_in_a_context_key_as_the_server(ctx: Ctx, run: Runner) -> None:
    # crates/hot/src/db/context.rs, get_by_project_and_key: a text lookup.
    with pytest.raises(HotApiError) as caught:
        _raw(run, Raw("DELETE", "/projects/app/context/K%00"), ctx)
    assert (caught.value.status_code, caught.value.code) == INTERNAL


# Answers the emulator owes to what its API key holds and what the org's plan
# allows: the client cannot know either, so only the server (and the emulator,
# told through its options) can refuse these. --------------------------------


def _as_session(typed: Typed) -> Typed:
    """`typed`, sent by a client holding the token of a session created first."""

    def invoke(client: Any, ctx: Ctx) -> Any:
        body: Any = _session({"run:*": ["read"]})
        root = client.api_base_url.removesuffix("/v1")
        if isinstance(client, AsyncHotClient):

            async def go() -> Any:
                token = (await client.sessions.create(body)).token
                assert token is not None
                secret = token.get_secret_value()
                async with AsyncHotClient(secret, base_url=root, max_retries=0) as other:
                    return await typed(other, ctx)

            return go()
        token = client.sessions.create(body).token
        with HotClient(token.get_secret_value(), base_url=root, max_retries=0) as other:
            return typed(other, ctx)

    return invoke


@dataclass(frozen=True)
class Gate:
    name: str
    source: str
    #: The emulator's options that close the gate; without them it is open.
    #: None: the request closes it itself, whatever the options.
    options: dict[str, Any] | None
    before: tuple[Typed, ...]
    typed: Typed
    answer: tuple[int, str]
    message: str


PLAN = "https://hot.dev/pricing"
DOMAINS = "crates/hot_api/src/handlers/domains.rs"
READ_RUNS = {"run:*": ["read"], "event:*": ["create"]}
GATES = [
    Gate(
        "session-within-the-api-keys-permissions", SESSIONS, {"api_key_permissions": READ_RUNS},
        (_typed("sessions.create", _session({"run:abc": ["read"]})),),
        _typed("sessions.create", _session({"run:*": ["read"], "stream:*": ["read"]})),
        (403, "permission_escalation"),
        "Requested permissions exceed API key permissions: Permission escalation: "
        "action 'read' on resource 'stream:*' exceeds parent permissions",
    ),
    Gate(
        # crates/hot/src/permission.rs, resource_matches: a trailing `*` covers what
        # starts with the rest of the pattern, and nothing shorter.
        "session-within-a-wildcards-prefix", PERMISSION,
        {"api_key_permissions": {"stream:ab*": ["read"]}},
        (_typed("sessions.create", _session({"stream:abc": ["read"]})),),
        _typed("sessions.create", _session({"stream:a": ["read"]})),
        (403, "permission_escalation"),
        "Requested permissions exceed API key permissions: Permission escalation: "
        "action 'read' on resource 'stream:a' exceeds parent permissions",
    ),
    Gate(
        # crates/hot/src/permission.rs, validate_subset_of: `*` asked on a type the
        # server does not list stands for all five actions, each of which is checked.
        "session-star-on-an-unknown-type-needs-every-action", PERMISSION,
        {"api_key_permissions": {"call:*": ["create", "read", "update", "delete"]}},
        (_typed("sessions.create", _session({"call:y": ["delete"]})),),
        _typed("sessions.create", _session({"call:x": ["*"]})),
        (403, "permission_escalation"),
        "Requested permissions exceed API key permissions: Permission escalation: "
        "action 'execute' on resource 'call:x' exceeds parent permissions",
    ),
    Gate(
        "service-key-star-within-the-api-keys-permissions", KEYS,
        {"api_key_permissions": READ_RUNS},
        (_typed("service_keys.create", _key({"run:x": ["*"]})),),
        _typed("service_keys.create", _key({"event:orders": ["*"]})),
        (403, "permission_escalation"),
        "Requested permissions exceed API key permissions: Permission escalation: "
        "action 'read' on resource 'event:orders' exceeds parent permissions",
    ),
    Gate(
        "event-publish-needs-create-on-its-type", EVENTS,
        {"api_key_permissions": {"event:orders:*": ["create"]}},
        (_typed("events.publish", {"event_type": "orders:placed", "event_data": 1}),),
        _typed("events.publish", {"event_type": "billing:paid", "event_data": 1}),
        (403, "forbidden"), "Credential does not have create permission for this event type",
    ),
    Gate(
        "event-reads-need-read-on-events", EVENTS,
        {"api_key_permissions": {"event:*": ["create"]}},
        (_typed("events.publish", {"event_type": "a", "event_data": 1}),),
        _typed("events.list"), (403, "forbidden"),
        "Credential does not have read access to events",
    ),
    Gate(
        "subscribe-with-event-needs-read-on-the-stream",
        "crates/hot_api/src/handlers/streams.rs", None, (),
        _as_session(
            _drained(_typed("streams.subscribe_with_event", {"event_type": "a", "event_data": 1}))
        ),
        (403, "forbidden"), "Credential does not have read access to this stream",
    ),
    Gate(
        "sessions-created-by-api-keys-only", SESSIONS, None, (),
        _as_session(_typed("sessions.create", _session({"run:*": ["read"]}))),
        (403, "forbidden"),
        "Only API keys can create sessions. Sessions and service keys cannot create sessions.",
    ),
    Gate(
        "service-keys-created-by-api-keys-only", KEYS, None, (),
        _as_session(_typed("service_keys.create", _key({"run:*": ["read"]}))),
        (403, "forbidden"),
        "Only API keys can create service keys. "
        "Sessions and service keys cannot create service keys.",
    ),
    Gate(
        "domains-created-by-api-keys-only", DOMAINS, None, (),
        _as_session(_typed("domains.create", {"domain": "a.example.com"})),
        (403, "forbidden"), "Only API keys can create custom domains.",
    ),
    Gate(
        "service-keys-need-the-plans-feature", KEYS, {"features": {"custom_domains": -1}}, (),
        _typed("service_keys.create", _key({"run:*": ["read"]})), (403, "plan_required"),
        f"Service keys require a Pro or Scale plan. Upgrade at {PLAN}",
    ),
    Gate(
        "domains-need-the-plans-feature", DOMAINS, {"features": {"service_keys": True}}, (),
        _typed("domains.create", {"domain": "a.example.com"}), (403, "plan_required"),
        f"Custom domains require a Pro or Scale plan. Upgrade at {PLAN}",
    ),
    Gate(
        "domains-up-to-the-plans-limit", DOMAINS, {"features": {"custom_domains": 1}},
        (_typed("domains.create", {"domain": "a.example.com"}),),
        _typed("domains.create", {"domain": "b.example.com"}), (403, "domain_limit_reached"),
        "Your plan allows up to 1 custom domain. "
        f"Delete an existing domain or upgrade your plan at {PLAN}",
    ),
    Gate(
        "file-size-up-to-the-plans-limit", FILES,
        {"features": {"storage_bytes": -1, "file_upload_max_bytes": 4}},
        (_typed("files.upload", "a", b"1234"),), _typed("files.upload", "b", b"12345"),
        (413, "payload_too_large"), "File size 5 bytes exceeds maximum allowed 4 bytes",
    ),
    Gate(
        "files-within-the-plans-storage", FILES, {"features": {"storage_bytes": 6}},
        (_typed("files.upload", "a", b"1234"),), _typed("files.upload", "b", b"123"),
        (413, "storage_quota_exceeded"),
        "Storage quota exceeded: current usage 4 + file 3 > limit 6",
    ),
    Gate(
        "expected-size-up-to-the-plans-limit", FILES,
        {"features": {"storage_bytes": -1, "file_upload_max_bytes": 4}},
        (_typed("files.initiate_upload", {"path": "p", "expected_size": 4}),),
        _typed("files.initiate_upload", {"path": "p", "expected_size": 5}),
        (413, "payload_too_large"),
        "Expected file size 5 bytes exceeds maximum allowed 4 bytes",
    ),
    Gate(
        "expected-size-within-the-plans-storage", FILES, {"features": {"storage_bytes": 4}},
        (_typed("files.upload", "a", b"12"),),
        _typed("files.initiate_upload", {"path": "p", "expected_size": 3}),
        (413, "storage_quota_exceeded"),
        "Storage quota would be exceeded: current usage 2 + file 3 > limit 4",
    ),
]  # fmt: skip


def _gated(options: bool) -> list[Any]:
    return [
        pytest.param((gate.options or {}) if options else {}, gate, id=gate.name)
        for gate in GATES
    ]


@pytest.mark.parametrize(("emu", "gate"), _gated(options=True), indirect=["emu"])
def test_emulator_answers_a_closed_gate_as_the_server(gate: Gate, run: Runner) -> None:
    for step in gate.before:
        run(step, {})
    with pytest.raises(HotApiError) as caught:
        run(gate.typed, {})
    assert (caught.value.status_code, caught.value.code) == gate.answer
    assert caught.value.message == gate.message


@pytest.mark.parametrize(("emu", "gate"), _gated(options=False), indirect=["emu"])
def test_emulator_by_default_opens_every_gate_the_request_does_not_close(
    gate: Gate, run: Runner
) -> None:
    """By default the API key holds everything and the org has no plan: only
    what no option changes (what a session may do) is refused."""
    for step in gate.before:
        run(step, {})
    if gate.options is None:
        with pytest.raises(HotApiError):
            run(gate.typed, {})
    else:
        run(gate.typed, {})


def test_a_plan_enables_only_the_features_it_names() -> None:
    with HotEmulator(features={"service_keys": True, "custom_domains": -1}) as emulator:
        client = emulator.client()
        body: Any = _key({"run:*": ["read"]})
        client.service_keys.create(body)
        for name in ("a", "b", "c"):
            client.domains.create({"domain": f"{name}.example.com"})


def test_emulator_refuses_a_session_past_the_api_keys_active_limit(
    emu: HotEmulator, run: Runner
) -> None:
    # crates/hot/src/db/session.rs DEFAULT_MAX_SESSIONS, handlers/sessions.rs.
    body: Any = _session({"run:*": ["read"]})
    with emu.client() as client:
        ids = [client.sessions.create(body).session_id for _ in range(MAX_ACTIVE_SESSIONS)]
    with pytest.raises(HotApiError) as caught:
        run(_typed("sessions.create", body), {})
    assert (caught.value.status_code, caught.value.code) == (429, "session_limit_exceeded")
    assert caught.value.message == (
        f"Maximum active sessions ({MAX_ACTIVE_SESSIONS}) exceeded for this API key. "
        "Revoke existing sessions first."
    )
    run(_typed("sessions.revoke", str(ids[0])), {})
    run(_typed("sessions.create", body), {})


def test_emulator_counts_only_unexpired_sessions_toward_the_limit(
    emu: HotEmulator, run: Runner
) -> None:
    # crates/hot/src/db/session.rs count_active_by_api_key: revoked_at IS NULL AND
    # expires_at > now, so sessions past their expiry free their places.
    body: Any = _session({"run:*": ["read"]})
    with emu.client() as client:
        for _ in range(MAX_ACTIVE_SESSIONS - 1):
            client.sessions.create(body)
        short: Any = _session({"run:*": ["read"]}, expires_in=1)
        client.sessions.create(short)
    with pytest.raises(HotApiError) as caught:
        run(_typed("sessions.create", body), {})
    assert caught.value.code == "session_limit_exceeded"
    time.sleep(1.1)
    run(_typed("sessions.create", body), {})


SMALL_PLAN = {"features": {"storage_bytes": 10, "file_upload_max_bytes": 4}}


@pytest.mark.parametrize("emu", [SMALL_PLAN], indirect=True)
def test_emulator_checks_the_plans_storage_again_when_an_upload_completes(
    emu: HotEmulator, run: Runner
) -> None:
    # crates/hot_api/src/handlers/files.rs, complete_upload: the bytes received
    # by an upload announced without a size are checked against the storage
    # left, which files stored directly meanwhile may have taken.
    ctx: Ctx = {}
    run(_typed("files.upload", "a", b"1234"), ctx)
    ctx["upload"] = str(run(_typed("files.initiate_upload", {"path": "p"}), ctx).upload_id)
    run(_typed("files.upload", "b", b"1234"), ctx)
    run(_typed("files.upload", "c", b"12"), ctx)
    run(_typed("files.upload_part", "{upload}", 1, b"1"), ctx)
    with pytest.raises(HotApiError) as caught:
        run(_typed("files.complete_upload", "{upload}"), ctx)
    assert (caught.value.status_code, caught.value.code) == (413, "storage_quota_exceeded")
    assert caught.value.message == "Storage quota exceeded: current usage 10 + file 1 > limit 10"


def test_emulator_holds_at_most_sixteen_pending_uploads(emu: HotEmulator) -> None:
    # crates/hot_api/src/handlers/files.rs initiate_upload,
    # `file.multipart.max-pending-uploads` (16); crates/hot/src/db/file_upload.rs
    # insert_upload inserts no row past it, which the handler answers 500.
    with emu.client() as client:
        uploads = [
            client.files.initiate_upload({"path": f"p{n}", "expected_size": 1}).upload_id
            for n in range(16)
        ]
        with pytest.raises(InternalServerError):
            client.files.initiate_upload({"path": "p16", "expected_size": 1})
        client.files.abort_upload(uploads[0])
        client.files.upload_part(uploads[1], 1, b"x")
        client.files.complete_upload(uploads[1])
        # Two places freed: an upload aborted, another completed.
        for n in (16, 17):
            client.files.initiate_upload({"path": f"p{n}", "expected_size": 1})
        with pytest.raises(InternalServerError):
            client.files.initiate_upload({"path": "p18", "expected_size": 1})


@pytest.mark.parametrize("emu", [SMALL_PLAN], indirect=True)
@pytest.mark.parametrize(
    ("pending", "size", "refused"),
    [
        pytest.param([4], 4, False, id="reservations-filling-the-storage-left"),
        pytest.param([4, 4], 1, True, id="a-byte-past-the-storage-left"),
        pytest.param([4], None, False, id="unannounced-reserving-the-largest-file"),
        pytest.param([4, 1], None, True, id="unannounced-past-the-storage-left"),
    ],
)
def test_emulator_reserves_the_storage_left_for_pending_uploads(
    emu: HotEmulator, pending: list[int], size: int | None, refused: bool
) -> None:
    # crates/hot/src/db/file_upload.rs insert_upload: the pending uploads'
    # sizes, the new one's included, must fit the plan's storage less its
    # usage; one announced without `expected_size` reserves the largest file.
    with emu.client() as client:
        client.files.upload("a", b"12")
        for n, announced in enumerate(pending):
            client.files.initiate_upload({"path": f"p{n}", "expected_size": announced})
        body: Any = {"path": "last"} if size is None else {"path": "last", "expected_size": size}
        if refused:
            with pytest.raises(InternalServerError):
                client.files.initiate_upload(body)
        else:
            client.files.initiate_upload(body)


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        pytest.param(_typed("runs.list"), "Only API keys can list runs.", id="runs"),
        pytest.param(_typed("env.get"), "Only API keys can read environment info.", id="env"),
        pytest.param(_typed("projects.list"), "Only API keys can list projects.", id="projects"),
        pytest.param(
            _typed("projects.create", {"name": "p"}),
            "Only API keys can create projects.",
            id="project-create",
        ),
        pytest.param(_typed("files.list"), "Only API keys can list files.", id="files"),
        pytest.param(_typed("builds.list"), "Only API keys can list builds.", id="builds"),
        pytest.param(
            _typed("domains.list"), "Only API keys can list custom domains.", id="domains"
        ),
        pytest.param(
            _typed("sessions.list"),
            "Only API keys can list sessions. Sessions and service keys cannot list sessions.",
            id="sessions",
        ),
        # service_keys.rs update_service_key: checked before the key is looked up.
        pytest.param(
            _typed("service_keys.update", str(uuid.uuid4()), {"metadata": {"a": 1}}),
            "Only API keys can update service keys.",
            id="service-key-update",
        ),
    ],
)
def test_emulator_answers_a_session_on_an_api_key_route_as_the_server(
    typed: Typed, message: str, run: Runner
) -> None:
    # crates/hot_api/src/handlers/*.rs: `require_api_key` opens these handlers.
    with pytest.raises(HotApiError) as caught:
        run(_as_session(typed), {})
    assert (caught.value.status_code, caught.value.code, caught.value.message) == (
        403,
        "forbidden",
        message,
    )


@pytest.mark.parametrize("mode", ["sync", "async"])
async def test_emulator_shows_a_task_only_to_credentials_reading_its_stream(
    emu: HotEmulator, mode: str
) -> None:
    # crates/hot_api/src/handlers/tasks.rs get_task_for_env: a task is read through
    # its stream, so `read` on `stream:<its stream_id>` is what a credential needs.
    tasks: list[str] = []

    @emu.on_call("::app/f")
    def start_a_task(event: Any, context: Any) -> None:
        tasks.append(context.start_task("::app/job").task_id)

    with emu.client() as client:
        call: Any = _call({"fn": "::app/f", "args": []})
        published = client.events.publish(call)
        client.streams.wait_for_run_result(published.stream_id, published.event_id)
        readers: list[Any] = [
            _session({f"stream:{published.stream_id}": ["read"]}),
            _session({f"stream:{uuid.uuid4()}": ["read"]}),
        ]
        own, other = (client.sessions.create(body) for body in readers)
    for session, refused in ((own, False), (other, True)):
        assert session.token is not None
        secret = session.token.get_secret_value()
        reader: Client = (
            HotClient(secret, base_url=emu.base_url, max_retries=0)
            if mode == "sync"
            else AsyncHotClient(secret, base_url=emu.base_url, max_retries=0)
        )
        try:
            if refused:
                with pytest.raises(HotApiError) as caught:
                    await _resolved(reader.tasks.get, tasks[0])
                assert (caught.value.status_code, caught.value.message) == (
                    403,
                    "Credential does not have read access to this task's stream",
                )
            else:
                task = await _resolved(reader.tasks.get, tasks[0])
                assert str(task.task_id) == tasks[0]
        finally:
            if isinstance(reader, AsyncHotClient):
                await reader.aclose()
            else:
                reader.close()


async def _resolved(method: Any, *args: Any) -> Any:
    """What `method(*args)` gives on either client: awaited when it is awaitable."""
    result = method(*args)
    return await result if inspect.isawaitable(result) else result


def test_a_run_filter_this_version_does_not_know_is_sent_as_an_enum_member(
    emu: HotEmulator, ctx: Ctx, run: Runner
) -> None:
    # The way past the refusal of an unknown name: the server may add a status
    # or type before this version knows it.
    emu.client().events.publish({"event_type": "t"})
    emu.requests.clear()
    listed = run(_typed("runs.list", status="succeeded", type="event"), ctx)
    unknown = run(_typed("runs.list", status=RunStatus("paused"), type=RunType("cron")), ctx)
    assert (listed.pagination.total, unknown.pagination.total) == (1, 0)
    assert [request.query for request in emu.requests] == [
        {"status": "succeeded", "type": "event"},
        {"status": "paused", "type": "cron"},
    ]
    with pytest.raises(ValidationError) as refused:
        run(_typed("runs.list", status="Paused"), ctx)
    assert refused.value.errors()[0]["msg"] == (
        "'Paused' is no run status the server has (running, succeeded, failed, cancelled, "
        "pending_retry): it would list nothing; send RunStatus('Paused') for one this "
        "version does not know"
    )
    assert len(emu.requests) == 2
