"""Bodies the server would refuse, or that have no JSON form, are refused at the call:
pydantic's `ValidationError` is raised and nothing reaches the socket, for dict and
model input, with both clients."""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any
from urllib.parse import unquote

import pytest
from pydantic import ValidationError

from hot_typed import (
    RESOURCE_ACTIONS,
    SERVICE_KEY_RESOURCE_TYPES,
    SESSION_MAX_TTL,
    EventCreate,
    Permissions,
    ServiceKeyCreate,
    ServiceKeyUpdate,
    SessionCreate,
)
from hot_typed.testing import HttpRequest, HttpResponse, LoopbackServer

STREAM = "0190d3a2-4b5c-7d8e-9f00-112233445568"


def _refuse_everything(request: HttpRequest) -> HttpResponse:
    return HttpResponse.json({"error": {"code": "bad_request", "message": "sent"}}, 400)


@pytest.fixture
def server() -> Iterator[LoopbackServer]:
    with LoopbackServer(_refuse_everything) as running:
        yield running


async def _refused(
    call: Callable[..., Any], server: LoopbackServer, operation: str, *args: Any
) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        await call(operation, *args)
    assert server.requests == []
    return caught.value


def _locs(error: ValidationError) -> list[tuple[str | int, ...]]:
    return [tuple(e["loc"]) for e in error.errors()]


# ------------------------------------------------------------------ events

BAD_EVENTS = [
    pytest.param({"event_data": {}}, ("event_type",), id="missing-event-type"),
    pytest.param({"event_type": 7}, ("event_type",), id="event-type-not-a-string"),
    pytest.param({"event_type": "hot:run"}, ("event_type",), id="reserved-hot-type"),
    pytest.param({"event_type": "hot:"}, ("event_type",), id="bare-hot-prefix"),
    pytest.param(
        {"event_type": "hot:call", "event_data": ["::a/b", []]},
        ("event_data",),
        id="hot-call-data-not-an-object",
    ),
    pytest.param(
        {"event_type": "hot:call", "event_data": {"args": []}},
        ("event_data", "fn"),
        id="hot-call-without-fn",
    ),
    pytest.param(
        {"event_type": "hot:call", "event_data": {"fn": "", "args": []}},
        ("event_data", "fn"),
        id="hot-call-empty-fn",
    ),
    pytest.param(
        {"event_type": "hot:call", "event_data": {"fn": "::a/b", "args": {"x": 1}}},
        ("event_data", "args"),
        id="hot-call-args-not-a-list",
    ),
    pytest.param(
        {"event_type": "signup", "stream_id": "not-a-uuid"}, ("stream_id",), id="stream-id-not-uuid"
    ),
    pytest.param(
        {"event_type": "signup", "event_data": float("nan")}, ("event_data",), id="nan-data"
    ),
    pytest.param(
        {"event_type": "signup", "event_data": {"a": [1, {"b": math.inf}]}},
        ("event_data",),
        id="nested-infinity",
    ),
    pytest.param(
        {"event_type": "signup", "event_data": {"when": dt.datetime(2026, 1, 1)}},
        ("event_data",),
        id="datetime-is-not-json",
    ),
    pytest.param(
        {"event_type": "signup", "event_data": [Decimal("1.5")]},
        ("event_data",),
        id="decimal-is-not-json",
    ),
    pytest.param(
        {"event_type": "signup", "event_data": {"tags": {"a", "b"}}},
        ("event_data",),
        id="set-is-not-json",
    ),
    pytest.param(
        {"event_type": "signup", "event_data": {1: "one"}},
        ("event_data",),
        id="non-string-key",
    ),
    pytest.param({"event_type": "signup", "bogus": 1}, ("bogus",), id="unknown-key"),
]


@pytest.mark.parametrize(("body", "loc"), BAD_EVENTS)
async def test_publish_refuses_bad_dict_before_sending(
    call: Callable[..., Any], server: LoopbackServer, body: dict[str, Any], loc: tuple[str, ...]
) -> None:
    error = await _refused(call, server, "events.publish", body)
    assert loc in _locs(error)


HOT_CALL_PROBLEMS = [
    pytest.param(
        ["::a/b", []],
        [(("event_data",), 'is an object {"fn": str, "args": list}', ["::a/b", []])],
        id="not-an-object",
    ),
    pytest.param(
        {"fn": "", "args": {"x": 1}},
        [
            (("event_data", "fn"), "names the function in 'fn' (a non-empty string)", ""),
            (("event_data", "args"), "lists the arguments in 'args' (an array)", {"x": 1}),
        ],
        id="fn-and-args",
    ),
]


@pytest.mark.parametrize(("data", "problems"), HOT_CALL_PROBLEMS)
async def test_hot_call_data_that_cannot_call_names_each_problem(
    call: Callable[..., Any],
    server: LoopbackServer,
    data: Any,
    problems: list[tuple[tuple[str, ...], str, Any]],
) -> None:
    body = {"event_type": "hot:call", "event_data": data}
    error = await _refused(call, server, "events.publish", body)
    assert [(tuple(e["loc"]), e["type"], e["msg"], e["input"]) for e in error.errors()] == [
        (loc, "hot_call_data", f"hot:call data {rule}", value) for loc, rule, value in problems
    ]


# A constructed model has no unknown keys to carry: every other case applies.
@pytest.mark.parametrize(("body", "loc"), [p for p in BAD_EVENTS if p.id != "unknown-key"])
async def test_publish_refuses_bad_constructed_model_before_sending(
    call: Callable[..., Any], server: LoopbackServer, body: dict[str, Any], loc: tuple[str, ...]
) -> None:
    # model_construct skips validation: the body is checked again when sent.
    model = EventCreate.model_construct(**body)
    error = await _refused(call, server, "events.publish", model)
    assert loc in _locs(error)


def test_non_json_error_names_the_path_inside_the_data() -> None:
    with pytest.raises(ValidationError) as caught:
        EventCreate(event_type="signup", event_data={"a": [1, {"b": math.inf}]})
    assert "['a'][1]['b']" in str(caught.value)
    assert caught.value.errors()[0]["type"] == "json_value"


def test_reserved_event_type_error_says_only_hot_call_may_be_published() -> None:
    with pytest.raises(ValidationError) as caught:
        EventCreate(event_type="hot:schedule")
    (error,) = caught.value.errors()
    assert error["type"] == "reserved_event_type"
    assert "hot:call" in error["msg"]


def test_assigning_a_refused_value_to_a_request_model_raises() -> None:
    body = EventCreate(event_type="signup")
    with pytest.raises(ValidationError):
        body.event_type = "hot:run"
    with pytest.raises(ValidationError):
        body.event_data = {"x": math.nan}
    assert body.event_type == "signup"


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(
            {"event_type": "hot:call", "event_data": {"fn": "::app/add", "args": [1, 2]}},
            id="fn-and-args",
        ),
        # The server's own producers add keys to hot:call data
        # (crates/hot_api/src/handlers/request.rs): they are the user's to send too.
        pytest.param(
            {
                "event_type": "hot:call",
                "event_data": {"fn": "::app/add", "args": [], "caller": {"ip": "127.0.0.1"}},
            },
            id="extra-keys",
        ),
        # Only the `hot:` prefix is checked (crates/hot_api/src/handlers/events.rs).
        pytest.param({"event_type": "", "event_data": None}, id="empty-event-type"),
    ],
)
async def test_publish_sends_what_the_server_acts_on(
    call: Callable[..., Any], server: LoopbackServer, body: dict[str, Any]
) -> None:
    with pytest.raises(Exception, match="sent"):
        await call("events.publish", body)
    (request,) = server.requests
    assert request.json() == body


# ------------------------------------------------------------- permissions

BAD_PERMISSIONS = [
    pytest.param({"no-colon-here": ["read"]}, ("no-colon-here",), "permission_resource", id="form"),
    pytest.param({"": ["read"]}, ("",), "permission_resource", id="empty-key"),
    pytest.param({":path": ["read"]}, (":path",), "permission_resource", id="empty-type"),
    pytest.param({"mcp:": ["execute"]}, ("mcp:",), "permission_resource", id="empty-path"),
    pytest.param({"*": ["*"]}, ("*",), "permission_resource", id="bare-star"),
    pytest.param({"*:foo": ["read"]}, ("*:foo",), "permission_resource", id="star-type-path"),
    pytest.param(
        {"mcp!:test": ["execute"]}, ("mcp!:test",), "permission_resource", id="type-chars"
    ),
    pytest.param({"mcp:*": []}, ("mcp:*",), "permission_actions_empty", id="empty-actions"),
    pytest.param({"stream:*": ["Read"]}, ("stream:*", 0), "permission_action", id="capitalised"),
    pytest.param({"key:*": ["CREATE"]}, ("key:*", 0), "permission_action", id="uppercase"),
    pytest.param({"run:*": ["destroy"]}, ("run:*", 0), "permission_action", id="unknown-action"),
    pytest.param({"mcp:*": ["create"]}, ("mcp:*", 0), "permission_action", id="mcp-create"),
    pytest.param({"stream:x": ["read", "delete"]}, ("stream:x", 1), "permission_action", id="strm"),
    pytest.param({"env:*": ["update"]}, ("env:*", 0), "permission_action", id="env-update"),
    pytest.param({"session:*": ["update"]}, ("session:*", 0), "permission_action", id="session"),
    pytest.param({"build:*": ["delete"]}, ("build:*", 0), "permission_action", id="build-delete"),
    pytest.param({"event:*": ["update"]}, ("event:*", 0), "permission_action", id="event-update"),
]


@pytest.mark.parametrize(("permissions", "loc", "kind"), BAD_PERMISSIONS)
def test_permissions_refuse_each_server_rule_naming_key_and_rule(
    permissions: dict[str, list[str]], loc: tuple[str | int, ...], kind: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        Permissions(permissions)
    (error,) = caught.value.errors()
    assert tuple(error["loc"]) == loc
    assert error["type"] == kind
    assert f"resource '{loc[0]}'" in error["msg"]


def test_a_permission_key_holding_nul_is_refused_at_that_key() -> None:
    # crates/hot/src/db/session.rs, service_key.rs: the map is stored as jsonb.
    with pytest.raises(ValidationError) as caught:
        Permissions({"run:*": ["read"], "stream:a\x00": ["read"]})
    (error,) = caught.value.errors()
    assert (tuple(error["loc"]), error["type"], error["input"]) == (
        ("stream:a\x00",),
        "stored_nul",
        "stream:a\x00",
    )


@pytest.mark.parametrize(("permissions", "loc", "kind"), BAD_PERMISSIONS)
async def test_session_create_refuses_bad_permissions_before_sending(
    call: Callable[..., Any],
    server: LoopbackServer,
    permissions: dict[str, list[str]],
    loc: tuple[str | int, ...],
    kind: str,
) -> None:
    error = await _refused(call, server, "sessions.create", {"permissions": permissions})
    assert _locs(error) == [("permissions", *loc)]


@pytest.mark.parametrize(("permissions", "loc", "kind"), BAD_PERMISSIONS)
async def test_service_key_create_refuses_bad_permissions_before_sending(
    call: Callable[..., Any],
    server: LoopbackServer,
    permissions: dict[str, list[str]],
    loc: tuple[str | int, ...],
    kind: str,
) -> None:
    body = {"name": "k", "permissions": permissions}
    error = await _refused(call, server, "service_keys.create", body)
    assert _locs(error) == [("permissions", *loc)]


# crates/hot/src/permission.rs, PermissionError's messages: the client's error is
# the server's own message for the rule, after the resource it is about.
RULE_MESSAGES = [
    pytest.param(
        {"stream": ["read"]},
        "stream",
        "Invalid resource URN: 'stream'. Expected format: type:path (e.g. mcp:*, stream:my-id)",
        id="resource",
    ),
    pytest.param(
        {"run:*": []},
        [],
        "Resource 'run:*' has an empty action list. Each resource must have at least one action.",
        id="empty-actions",
    ),
    pytest.param(
        {"run:*": ["read", "READ"]},
        "READ",
        "Invalid action: 'READ'. Valid actions: create, read, update, delete, execute, *",
        id="action",
    ),
    pytest.param(
        {"event:*": ["update"]},
        "update",
        "Action 'update' is not valid for resource 'event:*'. Valid actions: create, read",
        id="action-for-type",
    ),
]


@pytest.mark.parametrize(("permissions", "value", "rule"), RULE_MESSAGES)
async def test_a_broken_permission_rule_is_refused_with_the_servers_message(
    call: Callable[..., Any],
    server: LoopbackServer,
    permissions: dict[str, list[str]],
    value: Any,
    rule: str,
) -> None:
    error = await _refused(call, server, "sessions.create", {"permissions": permissions})
    (only,) = error.errors()
    (resource,) = permissions
    assert only["msg"] == f"resource '{resource}': {rule}"
    assert only["input"] == value


async def test_constructed_permissions_are_checked_again_when_sent(
    call: Callable[..., Any], server: LoopbackServer
) -> None:
    smuggled = Permissions.model_construct({"*": ["read"]})
    body = SessionCreate.model_construct(permissions=smuggled)
    error = await _refused(call, server, "sessions.create", body)
    assert _locs(error) == [("permissions", "*")]


def test_permissions_report_every_problem_at_once() -> None:
    with pytest.raises(ValidationError) as caught:
        Permissions({"*": ["read"], "stream:*": ["read", "Write"], "mcp:x": []})
    assert _locs(caught.value) == [("*",), ("stream:*", 1), ("mcp:x",)]
    with pytest.raises(ValidationError) as caught:
        Permissions({"mcp:x": [], "stream:*": ["Write"], "*": ["read"]})
    assert _locs(caught.value) == [("mcp:x",), ("stream:*", 0), ("*",)]


@pytest.mark.parametrize(
    "permissions",
    [
        {"*:*": ["*"]},
        {"*:*": ["read", "execute"]},
        {"mcp:weather/get-forecast": ["execute"], "stream:*": ["read"]},
        {"event:user:*": ["create", "read"], "call:*": ["create"]},
        # `call` is not a type the server knows: any action goes (permission.rs).
        {"call:*": ["execute", "delete"]},
        {"my-custom2:anything": ["execute", "update"]},
        {"project:*": ["*"], "session:*": ["delete"], "build:x": ["execute"]},
    ],
)
async def test_valid_permissions_are_sent_as_given(
    call: Callable[..., Any], server: LoopbackServer, permissions: dict[str, list[str]]
) -> None:
    with pytest.raises(Exception, match="sent"):
        await call("sessions.create", {"permissions": permissions})
    (request,) = server.requests
    assert request.json() == {"permissions": permissions}
    assert list(request.json()["permissions"]) == list(permissions)


def test_permissions_read_like_a_mapping() -> None:
    permissions = Permissions({"stream:*": ["read"], "event:*": ["create"]})
    assert list(permissions) == ["stream:*", "event:*"]
    assert permissions["event:*"] == ["create"]
    assert "stream:*" in permissions
    assert len(permissions) == 2
    assert permissions.to_dict() == {"stream:*": ["read"], "event:*": ["create"]}


# ------------------------------------------------------- sessions and keys


@pytest.mark.parametrize("expires_in", [0, -60, "soon", 86_401])
async def test_session_create_refuses_expiry_outside_one_second_to_a_day_before_sending(
    call: Callable[..., Any], server: LoopbackServer, expires_in: Any
) -> None:
    body = {"permissions": {"stream:*": ["read"]}, "expires_in": expires_in}
    error = await _refused(call, server, "sessions.create", body)
    assert _locs(error) == [("expires_in",)]


@pytest.mark.parametrize(
    ("operation", "expires_in", "message"),
    [
        ("sessions.create", 0, "expires_in must be a positive number of seconds"),
        ("sessions.create", 86_401, "expires_in cannot exceed 86400 seconds (24 hours)"),
        ("service_keys.create", -5, "expires_in must be a positive number of seconds"),
    ],
)
async def test_an_expiry_the_server_refuses_is_refused_with_its_message(
    call: Callable[..., Any],
    server: LoopbackServer,
    operation: str,
    expires_in: int,
    message: str,
) -> None:
    # crates/hot_api/src/handlers/sessions.rs and service_keys.rs.
    body = {"permissions": {"stream:*": ["read"]}, "expires_in": expires_in}
    error = await _refused(call, server, operation, body)
    (only,) = error.errors()
    assert (only["type"], only["msg"]) == ("expires_in", message)


async def test_service_key_create_refuses_non_positive_expiry_given_as_model(
    call: Callable[..., Any], server: LoopbackServer
) -> None:
    body = ServiceKeyCreate.model_construct(
        permissions=Permissions({"stream:*": ["read"]}), expires_in=0
    )
    error = await _refused(call, server, "service_keys.create", body)
    (only,) = error.errors()
    # crates/hot_api/src/handlers/service_keys.rs: the server's message.
    assert (only["loc"], only["type"], only["msg"]) == (
        ("expires_in",),
        "expires_in",
        "expires_in must be a positive number of seconds",
    )


@dataclasses.dataclass
class _Opaque:
    handle: object


@pytest.mark.parametrize(
    ("operation", "body"),
    [
        ("sessions.create", {"permissions": {"stream:*": ["read"]}, "metadata": math.inf}),
        ("sessions.create", {"permissions": {"run:*": ["read"]}, "metadata": {"x": [object()]}}),
        ("service_keys.create", {"permissions": {"run:*": ["read"]}, "metadata": {"n": -math.inf}}),
        (
            "service_keys.create",
            {"permissions": {"run:*": ["read"]}, "metadata": _Opaque(object())},
        ),
    ],
)
async def test_create_refuses_metadata_that_is_not_json_before_sending(
    call: Callable[..., Any], server: LoopbackServer, operation: str, body: dict[str, Any]
) -> None:
    error = await _refused(call, server, operation, body)
    assert _locs(error) == [("metadata",)]


@pytest.mark.parametrize(
    "body",
    [{"metadata": {"ratio": math.nan}}, ServiceKeyUpdate.model_construct(metadata=[math.nan])],
)
async def test_service_key_update_refuses_metadata_that_is_not_json_before_sending(
    call: Callable[..., Any], server: LoopbackServer, body: Any
) -> None:
    key = "0190d3a2-4b5c-7d8e-9f00-112233445560"
    error = await _refused(call, server, "service_keys.update", key, body)
    assert _locs(error) == [("metadata",)]


@pytest.mark.parametrize(
    ("permissions", "loc"),
    [
        pytest.param({"*:*": ["*"]}, ("permissions", "*:*"), id="universal"),
        pytest.param({"project:*": ["read"]}, ("permissions", "project:*"), id="project"),
        pytest.param(
            {"run:*": ["read"], "call:x": ["create"]}, ("permissions", "call:x"), id="unknown"
        ),
    ],
)
async def test_service_key_create_refuses_types_service_keys_may_not_use(
    call: Callable[..., Any],
    server: LoopbackServer,
    permissions: dict[str, list[str]],
    loc: tuple[str, ...],
) -> None:
    error = await _refused(call, server, "service_keys.create", {"permissions": permissions})
    (problem,) = error.errors()
    assert tuple(problem["loc"]) == loc
    assert problem["type"] == "permission_resource_type"
    assert problem["input"] == loc[-1]
    kind = loc[-1].split(":")[0]
    assert f"Resource type '{kind}' is not allowed for this credential." in problem["msg"]
    assert "Allowed types: mcp, webhook, stream, event, run" in problem["msg"]


async def test_session_create_sends_the_longest_expiry_the_server_allows(
    call: Callable[..., Any], server: LoopbackServer
) -> None:
    body = {"permissions": {"*:*": ["*"]}, "expires_in": 86_400}
    with pytest.raises(Exception, match="sent"):
        await call("sessions.create", body)
    (request,) = server.requests
    assert request.json() == body


def test_service_keys_take_exactly_the_customer_facing_resource_types() -> None:
    for kind in RESOURCE_ACTIONS:
        body = {"permissions": {f"{kind}:*": ["*"]}}
        if kind in SERVICE_KEY_RESOURCE_TYPES:
            ServiceKeyCreate.model_validate(body)
            continue
        with pytest.raises(ValidationError) as caught:
            ServiceKeyCreate.model_validate(body)
        assert caught.value.errors()[0]["type"] == "permission_resource_type"
    assert set(SERVICE_KEY_RESOURCE_TYPES) < set(RESOURCE_ACTIONS)


def test_sessions_live_at_most_session_max_ttl() -> None:
    SessionCreate(permissions=Permissions({"run:*": ["read"]}), expires_in=SESSION_MAX_TTL)
    with pytest.raises(ValidationError):
        SessionCreate(permissions=Permissions({"run:*": ["read"]}), expires_in=SESSION_MAX_TTL + 1)


async def test_service_key_expiry_stays_within_year_9999(
    call: Callable[..., Any], server: LoopbackServer
) -> None:
    # Past 9999 the server would answer (and list) the key with an expires_at
    # that is no RFC 3339 timestamp: nothing could read it back.
    body = {"permissions": {"run:*": ["read"]}, "expires_in": 10**13}
    error = await _refused(call, server, "service_keys.create", body)
    (only,) = error.errors()
    assert (only["loc"], only["type"], only["msg"]) == (
        ("expires_in",),
        "expires_in",
        "expires_in must keep the expiry within year 9999",
    )
    century = {"permissions": {"run:*": ["read"]}, "expires_in": 100 * 365 * 86_400}
    with pytest.raises(Exception, match="sent"):
        await call("service_keys.create", century)
    assert [r.json() for r in server.requests] == [century]


# ----------------------------------------------------------------- domains

# crates/hot/src/db/domain.rs, validate_domain: the server answers every broken rule
# with the same "Invalid domain name"; the client's error names the rule.
LONGEST_DOMAIN = ".".join(["a" * 63, "b" * 63, "c" * 63, "d" * 61])
DOMAIN_RULES = [
    pytest.param("  ", "a domain name must not be empty", id="empty"),
    pytest.param(
        "localhost",
        "a domain name has at least one dot (a bare host such as 'localhost' is refused)",
        id="no-dot",
    ),
    pytest.param(
        "http://api.example.com",
        "a domain name has no scheme: send 'example.com', not a URL",
        id="http-scheme",
    ),
    pytest.param(
        "https://api.example.com",
        "a domain name has no scheme: send 'example.com', not a URL",
        id="https-scheme",
    ),
    pytest.param("api.example.com.", "a domain name has no trailing dot", id="trailing-dot"),
    pytest.param(
        LONGEST_DOMAIN + "d", "a domain name is at most 253 characters long", id="too-long"
    ),
    pytest.param(
        "a" * 64 + ".com", f"each label is 1 to 63 characters long, not {'a' * 64!r}", id="label"
    ),
    pytest.param("a..com", "each label is 1 to 63 characters long, not ''", id="empty-label"),
    pytest.param(
        "api-.example.com", "a label neither starts nor ends with '-', not 'api-'", id="hyphen-end"
    ),
    pytest.param(
        "-api.example.com",
        "a label neither starts nor ends with '-', not '-api'",
        id="hyphen-start",
    ),
    pytest.param(
        "a_b.example.com",
        "a label holds only ASCII letters, digits and '-', not 'a_b'",
        id="label-characters",
    ),
]


@pytest.mark.parametrize(("domain", "rule"), DOMAIN_RULES)
async def test_domain_create_names_the_broken_rule_before_sending(
    call: Callable[..., Any], server: LoopbackServer, domain: str, rule: str
) -> None:
    error = await _refused(call, server, "domains.create", {"domain": domain})
    (only,) = error.errors()
    assert (only["type"], only["msg"]) == ("domain_name", f"invalid domain name: {rule}")


async def test_domain_create_names_the_spelling_the_server_would_store(
    call: Callable[..., Any], server: LoopbackServer
) -> None:
    # crates/hot/src/db/domain.rs: trimmed and lowercased before it is stored.
    error = await _refused(call, server, "domains.create", {"domain": " API.Example.net"})
    (only,) = error.errors()
    assert (only["type"], only["msg"]) == (
        "domain_canonical",
        "the server stores this domain as 'api.example.net': send that",
    )


async def test_domain_create_sends_the_longest_name_the_server_takes(
    call: Callable[..., Any], server: LoopbackServer
) -> None:
    assert len(LONGEST_DOMAIN) == 253
    with pytest.raises(Exception, match="sent"):
        await call("domains.create", {"domain": LONGEST_DOMAIN})
    assert [r.json() for r in server.requests] == [{"domain": LONGEST_DOMAIN}]


# ------------------------------------------------------------------- files


@pytest.mark.parametrize("number", [0, 10_001])
async def test_upload_part_refuses_a_part_number_outside_1_to_10000_with_the_servers_message(
    call: Callable[..., Any], server: LoopbackServer, number: int
) -> None:
    upload = "0190d3a2-4b5c-7d8e-9f00-112233445569"
    error = await _refused(call, server, "files.upload_part", upload, number, b"x")
    (only,) = error.errors()
    assert only["type"] == "part_number"
    # crates/hot/src/file_storage.rs, validate_part_number.
    assert only["msg"] == f"Part number must be between 1 and 10000, got {number}"


@pytest.mark.parametrize("size", [0, -1])
async def test_initiate_upload_refuses_an_expected_size_not_above_zero_with_the_servers_message(
    call: Callable[..., Any], server: LoopbackServer, size: int
) -> None:
    body = {"path": "e", "expected_size": size}
    error = await _refused(call, server, "files.initiate_upload", body)
    (only,) = error.errors()
    # crates/hot_api/src/handlers/files.rs, initiate_upload (400).
    assert (only["loc"], only["type"], only["msg"]) == (
        ("expected_size",),
        "expected_size",
        "expected_size must be greater than zero",
    )


# crates/hot/src/file_storage.rs, normalize_path and validate_path_security: the
# server's reasons for refusing a path; a path it would store elsewhere is refused
# too, naming where.
FILE_PATHS = [
    pytest.param("../x", "file_path", "Path escapes storage root", id="escapes"),
    pytest.param("a/../../b", "file_path", "Path escapes storage root", id="escapes-later"),
    pytest.param("/", "file_path", "Empty path after normalization", id="empty"),
    pytest.param("./a/..", "file_path", "Empty path after normalization", id="nothing-left"),
    pytest.param("a..b", "file_path", "Path contains '..' which is not allowed", id="dot-dot"),
    pytest.param("a/b\0c", "file_path", "Path contains null bytes", id="nul"),
    pytest.param("hot://a//./b", "file_path_canonical", "a/b", id="scheme-and-empty"),
    pytest.param("/a/b/../c", "file_path_canonical", "a/c", id="leading-slash-and-up"),
    pytest.param("a/-/b", None, None, id="plain"),
    pytest.param(" a/b c ", None, None, id="spaces-are-kept"),
    pytest.param("X-rays/XX.png", None, None, id="only-slashes-are-stripped"),
]


@pytest.mark.parametrize(("path", "kind", "reason"), FILE_PATHS)
async def test_upload_refuses_a_path_the_server_would_refuse_or_move_with_its_reason(
    call: Callable[..., Any],
    server: LoopbackServer,
    path: str,
    kind: str | None,
    reason: str | None,
) -> None:
    if kind is None:
        with pytest.raises(Exception, match="sent"):
            await call("files.upload", path, b"x")
        (request,) = server.requests
        assert unquote(request.path) == f"/v1/files/upload/{path}"
        return
    error = await _refused(call, server, "files.upload", path, b"x")
    (only,) = error.errors()
    assert only["type"] == kind
    if kind == "file_path":
        assert only["msg"] == f"the server refuses this path: {reason}"
    else:
        assert only["msg"] == f"the server stores this path as '{reason}': send that"
