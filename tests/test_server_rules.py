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
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from pydantic import ValidationError

from hot_typed import AsyncHotClient, HotApiError, HotClient
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


def _typed(operation: str, *args: Any, **kwargs: Any) -> Typed:
    resource, method = operation.split(".")

    def invoke(client: Any, ctx: Ctx) -> Any:
        filled = [arg.format(**ctx) if isinstance(arg, str) else arg for arg in args]
        return getattr(getattr(client, resource), method)(*filled, **kwargs)

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


def _pagination(key: str, value: int) -> Callable[[httpx.Response], None]:
    def check(response: httpx.Response) -> None:
        assert response.json()["pagination"][key] == value

    return check


def _data(key: str, value: Any) -> Callable[[httpx.Response], None]:
    def check(response: httpx.Response) -> None:
        assert response.json()["data"][key] == value

    return check


def _build_form(build_id: str) -> dict[str, Any]:
    """A build upload with an empty hash, as the escape hatch sends it."""
    body = (
        b"--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"b.zip\"\r\n\r\nzip\r\n"
        b"--b\r\nContent-Disposition: form-data; name=\"hash\"\r\n\r\n\r\n"
        b"--b\r\nContent-Disposition: form-data; name=\"build_id\"\r\n\r\n"
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
NEW_STREAM = str(uuid.uuid4())
NEW_BUILD = str(uuid.uuid4())


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
        "runs-type-not-task", "crates/hot/src/db/run.rs", "runs.list", "/runs",
        {"type": "call"}, {"type": "task"}, (200, None),
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
]  # fmt: skip


@pytest.fixture
def emu() -> Iterator[HotEmulator]:
    with HotEmulator(part_size=8, min_part_size=1) as emulator:
        yield emulator


@pytest.fixture
def ctx(emu: HotEmulator) -> Ctx:
    """What the rows refer to: project `app` and a pending upload."""
    with emu.client() as client:
        client.projects.create({"name": "app"})
        upload = client.files.initiate_upload({"path": "parts"})
    emu.requests.clear()
    return {"upload": str(upload.upload_id)}


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
    path = raw.path.format(**ctx)
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
    with pytest.raises(ValidationError):
        run(rule.refused.typed, ctx)
    assert emu.requests == []


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


@pytest.mark.parametrize("rule", RULES)
def test_emulator_accepts_the_accepted_side(
    rule: Rule, ctx: Ctx, run: Runner
) -> None:
    assert _raw(run, rule.accepted.raw, ctx).is_success
