"""The token stays secret, bad header values are refused before anything is sent,
redirects never carry the token to another host, and path parameters never
escape their segment."""

from __future__ import annotations

import asyncio
import logging
import re
import traceback
import warnings
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from hot_typed import AsyncHotClient, HotApiError, HotClient, HotError, NotFoundError
from hot_typed.testing import DropConnection, HttpRequest, HttpResponse, LoopbackServer

from ._reliability import KINDS, TOKEN, event_payload, silent_server, with_client

EVENT_ID = "00000000-0000-4000-8000-0000000000dd"
RUN_ID = "00000000-0000-4000-8000-0000000000aa"
TASK_ID = "00000000-0000-4000-8000-0000000000bb"


def _everything_said_about(error: BaseException) -> str:
    """Every text an exception (and what it chains) can show: str, repr, traceback, attributes."""
    parts = ["".join(traceback.format_exception(type(error), error, error.__traceback__))]
    seen: BaseException | None = error
    while seen is not None:
        parts += [str(seen), repr(seen), repr(seen.args), repr(vars(seen))]
        seen = seen.__cause__ or seen.__context__
    return "\n".join(parts)


def _log_text(records: list[logging.LogRecord]) -> str:
    return "\n".join(f"{r.name} {r.getMessage()} {r.args!r}" for r in records)


# ---------------------------------------------------------------- the token


@pytest.mark.parametrize("kind", KINDS)
def test_token_is_in_no_repr_exception_log_line_or_raw(
    kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Capture DEBUG of every logger (hot_typed, httpx, httpcore) across successes
    and every kind of failure, and scan all of it."""
    answers: dict[str, Callable[[HttpRequest], HttpResponse]] = {
        "/v1/events": lambda r: HttpResponse.json(
            {
                "data": [event_payload()],
                "pagination": {"limit": 1, "offset": 0, "total": 1, "has_more": False},
            }
        ),
        "/v1/events/" + EVENT_ID: lambda r: HttpResponse.json({"data": event_payload(EVENT_ID)}),
        "/v1/env": lambda r: HttpResponse.json(
            {"error": {"code": "unauthorized", "message": "bad token"}}, 401
        ),
        f"/v1/runs/{RUN_ID}": lambda r: HttpResponse(
            200, b"{not json", {"Content-Type": "text/html"}
        ),
    }

    def handler(request: HttpRequest) -> HttpResponse:
        answer = answers.get(request.path)
        if answer is None:
            raise DropConnection
        return answer(request)

    seen: list[str] = []

    def scenario(hot: Any) -> Any:
        # A 401, a body that is not JSON, a dropped connection.
        failing: list[Callable[[], Any]] = [
            lambda: hot.env.get(),
            lambda: hot.runs.get(RUN_ID),
            lambda: hot.tasks.get(TASK_ID),
        ]

        async def run_async() -> None:
            seen.append(repr(await hot.events.list()))
            event = await hot.events.get(EVENT_ID)
            seen.extend([repr(event), str(event), repr(event.raw)])
            for call in failing:
                with pytest.raises(HotError) as caught:
                    await call()
                seen.append(_everything_said_about(caught.value))

        def run_sync() -> None:
            seen.append(repr(hot.events.list()))
            event = hot.events.get(EVENT_ID)
            seen.extend([repr(event), str(event), repr(event.raw)])
            for call in failing:
                with pytest.raises(HotError) as caught:
                    call()
                seen.append(_everything_said_about(caught.value))

        seen.extend([repr(hot), str(hot), repr(hot.events), repr(vars(hot))])
        return run_async() if isinstance(hot, AsyncHotClient) else run_sync()

    caplog.set_level(logging.DEBUG)
    with LoopbackServer(handler) as server:
        with_client(kind, server.base_url, scenario, max_retries=0)
        # The token did travel: the scan below is not vacuous.
        assert server.requests[0].headers["authorization"] == f"Bearer {TOKEN}"
    with silent_server() as base_url, pytest.raises(HotError) as timed_out:
        with_client(
            kind, base_url, lambda hot: hot.events.get(EVENT_ID), timeout=0.2, max_retries=0
        )
    seen.append(_everything_said_about(timed_out.value))

    logged = _log_text(caplog.records)
    assert {"hot_typed", "httpx", "httpcore.http11"} <= {r.name for r in caplog.records}
    assert len(seen) >= 10
    for text in [*seen, logged]:
        assert TOKEN not in text
        assert "Bearer" not in text


def test_request_log_line_has_method_path_status_request_id_and_duration_only(
    caplog: pytest.LogCaptureFixture,
) -> None:
    page = {"data": [], "pagination": {"limit": 5, "offset": 10, "total": 0, "has_more": False}}
    answer = HttpResponse.json(page, headers={"X-Request-Id": "req-42", "Set-Cookie": "s=1"})
    caplog.set_level(logging.DEBUG, logger="hot_typed")
    with LoopbackServer(lambda request: answer) as server:
        with_client("sync", server.base_url, lambda hot: hot.events.list(limit=5, offset=10))
    lines = [r.getMessage() for r in caplog.records if r.name == "hot_typed"]
    assert len(lines) == 1
    assert re.fullmatch(r"GET /events -> 200 \(request req-42, \d+\.\d ms\)", lines[0])


# ---------------------------------------------------------------- refused at construction


_SPLITS = "token must not contain CR, LF or NUL characters"
_NOT_VISIBLE = "token must be visible ASCII characters without spaces"


@pytest.mark.parametrize("client_class", [HotClient, AsyncHotClient])
@pytest.mark.parametrize(
    ("token", "message"),
    [
        ("abc\r\nX-Injected: 1", _SPLITS),
        ("abc\ndef", _SPLITS),
        ("abc\rdef", _SPLITS),
        ("abc\0", _SPLITS),
        ("tok en", _NOT_VISIBLE),
        ("tøken", _NOT_VISIBLE),
    ],
)
def test_token_that_is_not_a_plain_header_value_is_refused_without_echoing_it(
    client_class: type[HotClient] | type[AsyncHotClient], token: str, message: str
) -> None:
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        client_class(token, base_url="http://127.0.0.1:9")


@pytest.mark.parametrize("client_class", [HotClient, AsyncHotClient])
def test_base_url_with_cr_or_lf_is_refused(
    client_class: type[HotClient] | type[AsyncHotClient],
) -> None:
    with pytest.raises(ValueError, match=r"^base_url must not contain CR, LF or NUL characters$"):
        client_class(TOKEN, base_url="http://127.0.0.1:9/\r\nX-Injected: 1")


def test_missing_token_is_a_hot_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HOT_API_KEY", raising=False)
    with pytest.raises(HotError, match="HOT_API_KEY"):
        HotClient(base_url="http://127.0.0.1:9")


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    ("headers", "message"),
    [
        (
            {"Content-Type": "text/plain\r\nX-Injected: 1"},
            "content_type must not contain CR, LF or NUL characters",
        ),
        (
            {"X-Split": "a\nX-Injected: 1"},
            "header 'X-Split' must not contain CR, LF or NUL characters",
        ),
        ({"X-Bad\r": "v"}, "header 'X-Bad\\r' must not contain CR, LF or NUL characters"),
        ({"X-Nul": "a\0b"}, "header 'X-Nul' must not contain CR, LF or NUL characters"),
    ],
)
def test_header_value_with_cr_or_lf_is_refused_before_sending(
    kind: str, headers: dict[str, str], message: str
) -> None:
    with LoopbackServer(lambda request: HttpResponse(204)) as server:
        with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
            with_client(
                kind,
                server.base_url,
                lambda hot: hot.request_raw("POST", "/files/x", content=b"x", headers=headers),
            )
        assert server.requests == []


@pytest.mark.parametrize("client_class", [HotClient, AsyncHotClient])
@pytest.mark.parametrize("base_url", ["http://api.example.com", "http://10.0.0.5:8080/v1"])
def test_plain_http_to_a_remote_host_warns_at_the_callers_line(
    client_class: type[HotClient] | type[AsyncHotClient], base_url: str
) -> None:
    with pytest.warns(UserWarning, match="clear text") as caught:
        client_class(TOKEN, base_url=base_url)
    assert caught[0].filename == __file__


@pytest.mark.parametrize("client_class", [HotClient, AsyncHotClient])
@pytest.mark.parametrize(
    ("base_url", "shown"),
    [
        ("http://api.example.com", "http://api.example.com"),
        ("http://10.0.0.5:8080/v1", "http://10.0.0.5:8080"),
        ("http://api.localhost.example.com", "http://api.localhost.example.com"),
    ],
)
def test_plain_http_to_a_remote_host_warns_that_the_token_would_travel_in_clear_text(
    client_class: type[HotClient] | type[AsyncHotClient], base_url: str, shown: str
) -> None:
    """The whole warning, once (its line: the test above)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        client = client_class(TOKEN, base_url=base_url)
    assert client.api_base_url == shown + "/v1"
    assert [(w.category, str(w.message)) for w in caught] == [
        (
            UserWarning,
            f"base_url {shown!r} uses plain http to a non-loopback host: "
            "the API token would travel in clear text",
        )
    ]


@pytest.mark.parametrize(
    "base_url",
    [
        "https://api.example.com",
        "http://127.0.0.1:4000",
        "http://localhost:4000",
        "http://api.localhost:4000",
        "http://[::1]:80",
    ],
)
def test_https_or_loopback_base_url_does_not_warn(base_url: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        HotClient(TOKEN, base_url=base_url).close()


# ---------------------------------------------------------------- redirects


def _redirect_to(target: str, status: int = 307) -> Callable[[HttpRequest], HttpResponse]:
    return lambda request: HttpResponse(status, b"", {"Location": target + request.path})


def _event(request: HttpRequest) -> HttpResponse:
    return HttpResponse.json({"data": event_payload(EVENT_ID)})


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_redirects_are_not_followed_by_default(kind: str, status: int) -> None:
    with (
        LoopbackServer(_event) as elsewhere,
        LoopbackServer(_redirect_to(elsewhere.base_url, status)) as server,
        pytest.raises(HotApiError) as caught,
    ):
        with_client(kind, server.base_url, lambda hot: hot.events.get(EVENT_ID))
    assert elsewhere.requests == []
    assert caught.value.status_code == status
    assert caught.value.headers["location"].startswith(elsewhere.base_url)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    "other_host",
    [
        pytest.param(lambda port: f"http://127.0.0.1:{port}", id="other-port"),
        pytest.param(lambda port: f"http://localhost:{port}", id="other-host-name"),
    ],
)
def test_a_following_user_client_never_sends_the_token_to_another_host(
    kind: str, other_host: Callable[[int], str]
) -> None:
    with LoopbackServer(_event) as elsewhere:
        with LoopbackServer(_redirect_to(other_host(elsewhere.port))) as server:
            if kind == "sync":
                with httpx.Client(follow_redirects=True) as client:
                    HotClient(TOKEN, base_url=server.base_url, client=client).events.get(EVENT_ID)
            else:

                async def follow() -> None:
                    async with httpx.AsyncClient(follow_redirects=True) as client:
                        hot = AsyncHotClient(TOKEN, base_url=server.base_url, client=client)
                        await hot.events.get(EVENT_ID)

                asyncio.run(follow())
        assert server.requests[0].headers["authorization"] == f"Bearer {TOKEN}"
    (followed,) = elsewhere.requests
    assert followed.path == f"/v1/events/{EVENT_ID}"
    assert "authorization" not in followed.headers
    assert TOKEN not in repr(followed)


# ---------------------------------------------------------------- path parameters

_ESCAPES = ["..", ".", "../..", "a/b", "../../admin", "?x=1", "#frag", "%2F", "%2e%2e", "%", "a b"]


@pytest.mark.parametrize("kind", KINDS)
def test_path_parameters_never_escape_their_segment(kind: str) -> None:
    def ask(hot: Any) -> Any:
        async def each_async() -> None:
            for value in _ESCAPES:
                with pytest.raises(NotFoundError):
                    await hot.projects.get(value)

        def each_sync() -> None:
            for value in _ESCAPES:
                with pytest.raises(NotFoundError):
                    hot.projects.get(value)

        return each_async() if isinstance(hot, AsyncHotClient) else each_sync()

    not_found = HttpResponse.json({"error": {"code": "not_found", "message": "no"}}, 404)
    with LoopbackServer(lambda request: not_found) as server:
        with_client(kind, server.base_url, ask)
        assert [r.segments for r in server.requests] == [["v1", "projects", v] for v in _ESCAPES]
        assert all(r.query == {} for r in server.requests)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    ("call", "name"),
    [
        pytest.param(lambda hot: hot.projects.get(""), "project_id_or_slug", id="project"),
        pytest.param(lambda hot: hot.context.delete("app", ""), "key", id="context-key"),
        pytest.param(lambda hot: hot.runs.get(""), "run_id", id="run-id"),
    ],
)
def test_an_empty_path_parameter_is_refused_by_name_before_sending(
    kind: str, call: Callable[[Any], Any], name: str
) -> None:
    with LoopbackServer(lambda request: HttpResponse(204)) as server:
        with pytest.raises(ValidationError) as caught:
            with_client(kind, server.base_url, call)
        assert server.requests == []
    (error,) = caught.value.errors()
    assert (error["loc"], error["type"], error["input"]) == ((name,), "path_empty", "")
    assert error["msg"] == (
        f"{name} must not be empty: no route of the server has an empty path segment"
    )


def test_any_text_but_nul_as_a_path_parameter_arrives_as_exactly_one_segment() -> None:
    not_found = HttpResponse.json({"error": {"code": "not_found", "message": "no"}}, 404)
    with LoopbackServer(lambda request: not_found) as server:
        hot = HotClient(TOKEN, base_url=server.base_url, max_retries=0)

        # A NUL is refused before sending (the server's Postgres cannot look it up).
        text = st.characters(codec="utf-8", exclude_characters="\x00")

        @settings(max_examples=60, deadline=None)
        @given(value=st.text(text, min_size=1, max_size=20))
        @example(value="%252e%252e")
        @example(value="..%2f..")
        def check(value: str) -> None:
            server.requests.clear()
            with pytest.raises(NotFoundError):
                hot.projects.get(value)
            (request,) = server.requests
            assert request.segments == ["v1", "projects", value]
            assert "#" not in request.target
            assert "?" not in request.target

        try:
            check()
        finally:
            hot.close()
