"""Webhooks: `hot.webhooks.call` on both clients against the emulator's webhook routes,
answered as crates/hot_api/src/handlers/webhook.rs answers."""

from __future__ import annotations

import inspect
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from pydantic import BaseModel

from hot_typed import (
    AsyncHotClient,
    AuthenticationError,
    HotClient,
    InternalServerError,
    NotFoundError,
    PermissionDeniedError,
    WebhookResponse,
)
from hot_typed._models._json import MAX_BODY_NESTING
from hot_typed.testing import HotEmulator

TOKEN = "0123456789ab"
HOOK = f"acme/dev/slack/events/{TOKEN}"


@pytest.fixture
def emu() -> Any:
    with HotEmulator() as emulator:
        yield emulator


@pytest.fixture(params=["sync", "async"])
async def hot(request: pytest.FixtureRequest, emu: HotEmulator) -> AsyncIterator[Any]:
    if request.param == "sync":
        yield emu.client(max_retries=0)
    else:
        async with emu.async_client(max_retries=0) as client:
            yield client


async def call(hot: HotClient | AsyncHotClient, path: str, **options: Any) -> WebhookResponse:
    result = hot.webhooks.call(path, **options)
    return await result if inspect.isawaitable(result) else result


async def test_a_webhook_receives_the_request_and_answers_its_result(
    emu: HotEmulator, hot: Any
) -> None:
    seen: list[Any] = []

    @emu.on_webhook(HOOK)
    def events(event: Any, ctx: Any) -> Any:
        seen.append(event.args[0])
        return {"received": event.args[0]["body"]["type"]}

    response = await call(hot, HOOK, json={"type": "url_verification"}, params={"retry": 1})
    assert isinstance(response, WebhookResponse)
    assert (response.status_code, response.json()) == (200, {"received": "url_verification"})
    assert response.headers["content-type"] == "application/json"
    request = seen[0]
    assert (request["method"], request["url"]) == ("POST", "/webhook/acme/dev/slack/events")
    assert request["query"] == {"retry": "1"}
    assert request["body-raw"] == '{"type":"url_verification"}'
    assert "authorization" not in request["headers"]  # a public route never gets the key
    sent = emu.requests[-1]
    assert sent.target == f"/webhook/{HOOK}?retry=1"
    assert "authorization" not in sent.headers


async def test_path_segments_are_percent_encoded(emu: HotEmulator, hot: Any) -> None:
    emu.on_webhook(f"acme/dev/forms/sign up/a?b/{TOKEN}", lambda event, ctx: event.args[0]["url"])
    response = await call(hot, f"/acme/dev/forms/sign up/a?b/{TOKEN}/")
    assert response.json() == "/webhook/acme/dev/forms/sign up/a?b"
    assert emu.requests[-1].target == f"/webhook/acme/dev/forms/sign%20up/a%3Fb/{TOKEN}"
    with pytest.raises(ValueError, match="empty segment"):
        await call(hot, "acme//dev")


async def test_an_http_response_result_sets_status_headers_and_body(
    emu: HotEmulator, hot: Any
) -> None:
    emu.on_webhook(
        HOOK,
        lambda event, ctx: {"status": 201, "headers": {"X-Hook": "yes"}, "body": {"id": 7}},
        method="PUT",
    )
    emu.on_webhook(
        f"acme/dev/typed/r/{TOKEN}",
        lambda event, ctx: {"$type": "::hot::http/HttpResponse", "$val": {"status": 202}},
    )

    class Created(BaseModel):
        id: int

    created = await call(
        hot, HOOK, method="put", content="plain text", headers={"Content-Type": "text/plain"}
    )
    assert (created.status_code, created.headers["x-hook"]) == (201, "yes")
    assert created.json(Created) == Created(id=7)
    assert created.text == '{"id":7}'
    accepted = await call(hot, f"acme/dev/typed/r/{TOKEN}")
    assert (accepted.status_code, accepted.json()) == (202, None)


async def test_unknown_endpoints_methods_and_tokens_answer_404(emu: HotEmulator, hot: Any) -> None:
    emu.on_webhook(HOOK, lambda event, ctx: "ok")
    for path, method in [
        (HOOK, "GET"),
        ("acme/dev/slack/events/ffffffffffff", "POST"),
        ("acme/dev/slack/events/not-a-token", "POST"),
        (f"acme/dev/{TOKEN}", "POST"),
    ]:
        with pytest.raises(NotFoundError) as caught:
            await call(hot, path, method=method)
        assert caught.value.message == "Webhook endpoint not found"
    assert (await call(hot, HOOK)).json() == "ok"


async def test_a_failing_or_slow_function_answers_500_or_504(emu: HotEmulator, hot: Any) -> None:
    def fail(event: Any, ctx: Any) -> None:
        raise RuntimeError("secret internals")

    emu.on_webhook(HOOK, fail)
    emu.on_webhook(f"acme/dev/slow/x/{TOKEN}", lambda e, c: time.sleep(0.5), timeout=0.1)
    with pytest.raises(InternalServerError) as failed:
        await call(hot, HOOK)
    assert failed.value.status_code == 500
    assert failed.value.response.json() == {"error": "Webhook function execution failed"}
    with pytest.raises(InternalServerError) as slow:
        await call(hot, f"acme/dev/slow/x/{TOKEN}")
    assert slow.value.status_code == 504
    assert slow.value.response.json() == {"error": "Webhook function timed out after 0.1s"}


@pytest.fixture(params=["sync", "async"])
async def retrying(request: pytest.FixtureRequest, emu: HotEmulator) -> AsyncIterator[Any]:
    """A client that retries what may be retried (twice)."""
    if request.param == "sync":
        yield emu.client(max_retries=2)
    else:
        async with emu.async_client(max_retries=2) as client:
            yield client


@pytest.mark.parametrize("method", ["POST", "GET", "PUT", "DELETE"])
async def test_a_webhook_that_timed_out_is_not_called_again_whatever_its_method(
    emu: HotEmulator, retrying: Any, method: str
) -> None:
    # crates/hot_api/src/handlers/webhook.rs: a 504 leaves the queued function running,
    # so a repeat would run it again, though GET, PUT and DELETE are idempotent in HTTP.
    calls: list[str] = []

    def slow(event: Any, ctx: Any) -> None:
        calls.append(event.args[0]["method"])
        time.sleep(0.3)

    emu.on_webhook(HOOK, slow, method=method, timeout=0.1)
    with pytest.raises(InternalServerError) as timed_out:
        await call(retrying, HOOK, method=method)
    assert timed_out.value.status_code == 504
    assert calls == [method]


@pytest.mark.parametrize("method", ["POST", "GET", "PUT", "DELETE"])
async def test_a_rate_limited_webhook_is_called_again_whatever_its_method(
    emu: HotEmulator, retrying: Any, method: str
) -> None:
    # A 429 comes before the function is queued: sending again is harmless.
    calls: list[str] = []
    emu.on_webhook(HOOK, lambda event, ctx: calls.append(event.args[0]["method"]), method=method)
    emu.faults.rate_limit(0, path="/webhook/")
    assert (await call(retrying, HOOK, method=method)).status_code == 200
    assert calls == [method]
    assert [r.method for r in emu.requests] == [method, method]


async def test_a_required_auth_endpoint_takes_the_token_only_when_asked(
    emu: HotEmulator, hot: Any
) -> None:
    emu.on_webhook(HOOK, lambda event, ctx: event.args[0]["auth"], auth="required")
    with pytest.raises(AuthenticationError, match="requires authentication"):
        await call(hot, HOOK, json={})
    response = await call(hot, HOOK, json={}, authenticated=True)
    assert response.json() == {"type": "api-key"}
    assert emu.requests[-1].headers["authorization"] == f"Bearer {emu.api_key}"


def test_on_webhook_refuses_a_path_without_a_token(emu: HotEmulator) -> None:
    with pytest.raises(ValueError, match="token of 12 hex digits"):
        emu.on_webhook("acme/dev/slack/events", lambda event, ctx: None)


@asynccontextmanager
async def client_like(hot: Any, token: str, emu: HotEmulator) -> AsyncIterator[Any]:
    """A client of the same kind as `hot` with another token."""
    client = type(hot)(token, base_url=emu.base_url, max_retries=0)
    try:
        yield client
    finally:
        closed = client.aclose() if isinstance(client, AsyncHotClient) else client.close()
        if inspect.isawaitable(closed):
            await closed


async def test_a_required_auth_endpoint_learns_which_credential_called(
    emu: HotEmulator, hot: Any
) -> None:
    emu.on_webhook(HOOK, lambda event, ctx: event.args[0]["auth"], auth="required")
    created = hot.service_keys.create({"name": "forms", "permissions": {"webhook:*": ["execute"]}})
    key = await created if inspect.isawaitable(created) else created
    async with client_like(hot, key.token.get_secret_value(), emu) as keyed:
        answer = (await call(keyed, HOOK, authenticated=True)).json()
    service_key = {"id": str(key.service_key_id), "name": "forms"}
    assert answer == {"type": "service-key", "service-key": service_key}
    async with client_like(hot, "hot_not_issued", emu) as stranger:
        with pytest.raises(AuthenticationError, match="Invalid credentials"):
            await call(stranger, HOOK, authenticated=True)


# crates/hot_api/src/handlers/webhook.rs: a credential calling an endpoint that
# requires auth needs `execute` on the endpoint, on its service's `/*` or on `webhook:*`.
WEBHOOK_DENIED = "Credential does not have execute access to this webhook endpoint"
WEBHOOK_PERMISSIONS = [
    pytest.param({"*:*": ["*"]}, None, id="everything"),
    pytest.param({"webhook:*": ["execute"]}, None, id="every-webhook"),
    pytest.param({"webhook:slack/*": ["execute"]}, None, id="the-service"),
    pytest.param({"webhook:slack/events": ["execute"]}, None, id="the-endpoint"),
    pytest.param({"webhook:slack/events": ["read"]}, WEBHOOK_DENIED, id="endpoint-read-only"),
    pytest.param({"webhook:slack/other": ["execute"]}, WEBHOOK_DENIED, id="another-endpoint"),
    pytest.param({"webhook:forms/*": ["execute"]}, WEBHOOK_DENIED, id="another-service"),
    pytest.param({"run:*": ["read"]}, WEBHOOK_DENIED, id="no-webhook-permission"),
]


@pytest.mark.parametrize("mode", ["sync", "async"])
@pytest.mark.parametrize(("held", "refusal"), WEBHOOK_PERMISSIONS)
async def test_the_emulator_checks_webhook_permissions_as_the_server(
    mode: str, held: dict[str, list[str]], refusal: str | None
) -> None:
    with HotEmulator(api_key_permissions=held) as emulator:
        emulator.on_webhook(HOOK, lambda event, ctx: "ok", auth="required")
        open_hook = f"acme/dev/forms/signup/{TOKEN}"
        emulator.on_webhook(open_hook, lambda event, ctx: "open")
        hot = emulator.client(max_retries=0) if mode == "sync" else emulator.async_client()
        async with client_like(hot, emulator.api_key, emulator) as caller:
            # An endpoint without auth takes no credential, so no permission either.
            assert (await call(caller, open_hook)).json() == "open"
            if refusal is None:
                assert (await call(caller, HOOK, authenticated=True)).json() == "ok"
            else:
                with pytest.raises(PermissionDeniedError) as denied:
                    await call(caller, HOOK, authenticated=True)
                assert (denied.value.code, denied.value.message) == ("forbidden", refusal)
        if isinstance(hot, AsyncHotClient):
            await hot.aclose()
        else:
            hot.close()


async def test_a_body_the_servers_json_reader_refuses_reaches_the_function_as_text(
    emu: HotEmulator, hot: Any
) -> None:
    # crates/hot_api/src/handlers/request.rs build_request_val: the body as JSON
    # when serde_json reads it, else as text; deeper than it follows is text.
    emu.on_webhook(HOOK, lambda event, ctx: event.args[0]["body"])
    deep = "[" * 5000 + "]" * 5000
    response = await call(
        hot, HOOK, content=deep, headers={"Content-Type": "application/json"}
    )
    assert (response.status_code, response.json()) == (200, deep)


# crates/hot_api/src/handlers/webhook.rs stores the request (query, body, body text)
# with the call event, a Postgres jsonb, before the function runs: a NUL anywhere
# in them is a 500 there. Each case with a NUL, and its neighbour without.
STORABLE = [
    pytest.param({"json": {"text": "a\x00b"}}, True, id="json-value"),
    pytest.param({"json": {"a\x00": 1}}, True, id="json-key"),
    pytest.param({"json": {"text": "a\\u0000b"}}, False, id="json-escape-spelt-out"),
    pytest.param({"content": b"a\x00b"}, True, id="content-bytes"),
    pytest.param({"content": "a\x00b"}, True, id="content-text"),
    pytest.param({"content": b"a\\x00b"}, False, id="content-escape-spelt-out"),
    pytest.param({"content": b"\xff\xfe"}, False, id="content-not-utf8"),
    pytest.param({"params": {"q": "a\x00"}}, True, id="query-value"),
    pytest.param({"params": {"q\x00": "a"}}, True, id="query-key"),
    pytest.param({"params": {"q": "a0"}}, False, id="query-plain"),
    pytest.param({"params": {"q": ["a", "b\x00"]}}, True, id="query-repeated-value"),
    pytest.param({"params": {"q": ["a", "b"]}}, False, id="query-repeated-plain"),
]


@pytest.mark.parametrize(("options", "refused"), STORABLE)
async def test_a_request_hot_could_not_store_is_refused_before_sending(
    emu: HotEmulator, hot: Any, options: dict[str, Any], refused: bool
) -> None:
    emu.on_webhook(HOOK, lambda event, ctx: "ok")
    if refused:
        with pytest.raises(ValueError, match="NUL") as raised:
            await call(hot, HOOK, **options)
        if "content" in options:
            assert str(raised.value) == (
                "a webhook body holding a NUL byte cannot be stored by Hot, which keeps "
                "the body's text with the call (the server would answer 500)"
            )
        for key in options.get("params", ()):
            assert str(raised.value) == (
                f"query parameter {key!r} holds a NUL character, which Hot cannot store "
                "with the call (the server would answer 500)"
            )
    else:
        assert (await call(hot, HOOK, **options)).json() == "ok"
    assert len([r for r in emu.requests if r.target.startswith("/webhook/")]) == (not refused)


@pytest.mark.parametrize(("options", "refused"), STORABLE)
def test_the_emulator_answers_500_to_a_request_it_could_not_store(
    emu: HotEmulator, options: dict[str, Any], refused: bool
) -> None:
    emu.on_webhook(HOOK, lambda event, ctx: "ok")
    json = options.get("json")
    response = httpx.post(
        f"{emu.base_url}/webhook/{HOOK}",
        content=None if json is not None else options.get("content"),
        json=json,
        params=options.get("params"),
    )
    assert response.status_code == (500 if refused else 200)


def _nested(levels: int) -> Any:
    value: Any = "a"
    for _ in range(levels):
        value = [value]
    return value


async def test_a_json_body_checked_for_nul_may_still_nest_as_deep_as_any_request_body(
    emu: HotEmulator, hot: Any
) -> None:
    # The body is the request's whole body: its bound is MAX_BODY_NESTING, not that
    # of a field inside one.
    emu.on_webhook(HOOK, lambda event, ctx: "ok")
    assert (await call(hot, HOOK, json=_nested(MAX_BODY_NESTING))).json() == "ok"
    with pytest.raises(ValueError, match="nested deeper"):
        await call(hot, HOOK, json=_nested(MAX_BODY_NESTING + 1))
    assert len([r for r in emu.requests if r.target.startswith("/webhook/")]) == 1
