"""Constructing clients: token and base URL resolution, ownership of the httpx client."""

from __future__ import annotations

import asyncio
import copy
import inspect
import pickle
import re
import typing
from typing import Any

import httpx
import pytest
import respx

from hot_typed import (
    AsyncHotClient,
    ClientOptions,
    HotClient,
    HotError,
    InternalServerError,
)
from hot_typed.testing import HotEmulator, HttpRequest, HttpResponse, LoopbackServer
from tests import payloads as p

from ._reliability import KINDS, with_client

CLIENTS = [HotClient, AsyncHotClient]


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HOT_API_KEY", raising=False)
    monkeypatch.delenv("HOT_BASE_URL", raising=False)


@pytest.mark.parametrize("cls", CLIENTS)
def test_missing_token_fails_naming_the_environment_variable(cls: type[HotClient]) -> None:
    with pytest.raises(HotError) as caught:
        cls()
    assert str(caught.value) == (
        "no API token: pass token=... or set the HOT_API_KEY environment variable"
    )


@pytest.mark.parametrize("cls", CLIENTS)
def test_token_and_base_url_fall_back_to_the_environment(
    cls: type[HotClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOT_API_KEY", "env-token")
    monkeypatch.setenv("HOT_BASE_URL", "https://hot.example/")
    client = cls()
    assert client.api_base_url == "https://hot.example/v1"


@pytest.mark.parametrize("cls", CLIENTS)
def test_default_base_url_is_the_hosted_api(cls: type[HotClient]) -> None:
    assert cls("t").api_base_url == "https://api.hot.dev/v1"


@pytest.mark.parametrize(
    "given",
    [
        "https://hot.example",
        "https://hot.example/",
        "https://hot.example/v1",
        "https://hot.example/v1/",
    ],
)
@pytest.mark.parametrize("cls", CLIENTS)
def test_trailing_v1_or_slash_is_not_doubled(cls: type[HotClient], given: str) -> None:
    assert cls("t", base_url=given).api_base_url == "https://hot.example/v1"


@pytest.mark.parametrize("cls", CLIENTS)
def test_a_path_before_v1_is_kept_as_written(cls: type[HotClient]) -> None:
    client = cls("t", base_url="https://gateway.example/Hot-X/")
    assert client.api_base_url == "https://gateway.example/Hot-X/v1"


@pytest.mark.parametrize("cls", CLIENTS)
@pytest.mark.parametrize(
    ("given", "shown"),
    [
        ("https://hot.example", "https://hot.example/v1"),
        ("https://ada:hunter2@hot.example", "https://***@hot.example/v1"),
        ("https://ada:p@ss@hot.example:8443/", "https://***@hot.example:8443/v1"),
    ],
)
def test_repr_shows_the_api_root_with_any_credentials_masked(
    cls: type[HotClient], given: str, shown: str
) -> None:
    assert repr(cls("t", base_url=given)) == f"{cls.__name__}(base_url={shown!r})"


@pytest.mark.parametrize("cls", CLIENTS)
def test_repr_never_shows_the_token(cls: type[HotClient]) -> None:
    client = cls("super-secret-token", base_url="https://hot.example")
    assert "super-secret-token" not in repr(client)
    assert "super-secret-token" not in repr(client.runs)


def test_sync_client_sends_through_a_user_client_and_leaves_it_open() -> None:
    with respx.mock() as router:
        router.get("https://hot.example/v1/env").respond(200, json=p.item(p.environment()))
        user_client = httpx.Client(headers={"X-Team": "ops"})
        with HotClient("t", base_url="https://hot.example", client=user_client) as hot:
            hot.env.get()
        assert not user_client.is_closed
        assert router.calls.last.request.headers["x-team"] == "ops"
        user_client.close()


def test_a_user_client_and_an_own_client_send_the_same_identity_headers() -> None:
    async def through_async(own: bool) -> None:
        user_client = None if own else httpx.AsyncClient(headers={"User-Agent": "theirs"})
        async with AsyncHotClient("tok", base_url="https://hot.example", client=user_client) as hot:
            await hot.env.get()
        if user_client is not None:
            await user_client.aclose()

    with respx.mock() as router:
        route = router.get("https://hot.example/v1/env").respond(200, json=p.item(p.environment()))
        with httpx.Client(headers={"Accept": "*/*"}) as user_client:
            HotClient("tok", base_url="https://hot.example", client=user_client).env.get()
        with HotClient("tok", base_url="https://hot.example") as hot:
            hot.env.get()
        asyncio.run(through_async(own=False))
        asyncio.run(through_async(own=True))
    assert len(route.calls) == 4
    for call in route.calls:
        headers = call.request.headers
        assert headers["authorization"] == "Bearer tok"
        assert headers["user-agent"].startswith("hot-sdk-python/")
        assert headers.get_list("accept") == ["application/json"]


def test_sync_client_closes_the_client_it_created() -> None:
    with HotClient("t") as hot:
        pass
    assert hot._transport.client.is_closed


def test_async_client_leaves_a_user_client_open_and_closes_its_own() -> None:
    async def scenario() -> tuple[bool, bool]:
        user_client = httpx.AsyncClient()
        async with AsyncHotClient("t", client=user_client):
            pass
        async with AsyncHotClient("t") as own:
            pass
        result = (user_client.is_closed, own._transport.client.is_closed)
        await user_client.aclose()
        return result

    assert asyncio.run(scenario()) == (False, True)


@pytest.mark.parametrize("cls", CLIENTS)
def test_base_url_that_is_not_http_is_refused(cls: type[HotClient]) -> None:
    message = "base_url must be an http(s) URL, got 'ftp://hot.example'"
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        cls("t", base_url="ftp://hot.example")


@pytest.mark.parametrize("cls", CLIENTS)
def test_a_frame_limit_of_one_byte_is_taken_and_below_it_refused(cls: type[HotClient]) -> None:
    assert repr(cls("t", max_sse_frame_bytes=1)).startswith(cls.__name__)
    with pytest.raises(ValueError, match=r"^max_sse_frame_bytes must be >= 1$"):
        cls("t", max_sse_frame_bytes=0)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    ("timeout", "phases"),
    [
        pytest.param(None, (10.0, 60.0, 60.0, 60.0), id="default"),
        pytest.param(5, (5.0, 5.0, 5.0, 5.0), id="seconds"),
        pytest.param(httpx.Timeout(3.0, connect=1.0), (1.0, 3.0, 3.0, 3.0), id="httpx-timeout"),
    ],
)
def test_requests_carry_the_client_timeout_or_60_s_with_10_s_to_connect(
    kind: str, timeout: float | httpx.Timeout | None, phases: tuple[float, ...]
) -> None:
    """The timeout httpx applies to each phase (connect, read, write, pool) of a
    request, as the request leaves the client."""
    sent: list[dict[str, float | None]] = []

    def record(request: httpx.Request) -> None:
        sent.append(request.extensions["timeout"])

    async def record_async(request: httpx.Request) -> None:
        record(request)

    hook = record if kind == "sync" else record_async

    def answer(request: HttpRequest) -> HttpResponse:
        return HttpResponse(204)

    with LoopbackServer(answer) as server:
        with_client(
            kind,
            server.base_url,
            lambda hot: hot.request_raw("GET", "/env"),
            timeout=timeout,
            event_hooks={"request": [hook]},
        )
        assert len(server.requests) == 1
    assert sent == [dict(zip(("connect", "read", "write", "pool"), phases, strict=True))]


def test_a_copied_client_shares_the_connections_and_closing_it_leaves_them_open() -> None:
    environment = p.item(p.environment())

    def handler(request: HttpRequest) -> HttpResponse:
        return HttpResponse.json(environment)

    with LoopbackServer(handler) as server, HotClient("t", base_url=server.base_url) as hot:
        copied = copy.copy(hot)
        assert copied is not hot
        assert copied._http_client() is hot._http_client()
        assert copied.env.get().env_id == hot.env.get().env_id
        copied.close()
        assert hot.env.get().env_id is not None


async def test_a_copied_async_client_shares_the_connections_and_closing_it_leaves_them_open() -> (
    None
):
    def handler(request: HttpRequest) -> HttpResponse:
        return HttpResponse.json(p.item(p.environment()))

    with LoopbackServer(handler) as server:
        async with AsyncHotClient("t", base_url=server.base_url) as hot:
            copied = copy.copy(hot)
            assert copied._http_client() is hot._http_client()
            await copied.aclose()
            assert (await hot.env.get()).env_id is not None


@pytest.mark.parametrize("cls", CLIENTS)
@pytest.mark.parametrize("how", [copy.deepcopy, pickle.dumps], ids=["deepcopy", "pickle"])
def test_a_client_refuses_to_be_pickled_or_deep_copied_saying_why(
    cls: type[HotClient], how: Any
) -> None:
    hot = cls("t")
    name = cls.__name__
    with pytest.raises(TypeError, match=rf"^a {name} cannot be pickled or deep-copied: it holds"):
        how(hot)


@pytest.mark.parametrize("cls", [HotClient, AsyncHotClient])
def test_client_options_are_the_constructors_settings_but_token_url_and_httpx_client(
    cls: type[HotClient] | type[AsyncHotClient],
) -> None:
    # `HotEmulator.client(**options)` is typed by them: one the constructor gains
    # or renames must be in them too, with the same type.
    parameters = inspect.signature(cls.__init__).parameters
    settings = {
        name: hint
        for name, hint in typing.get_type_hints(cls.__init__).items()
        if name in parameters and name not in {"self", "token", "base_url", "client"}
    }
    assert typing.get_type_hints(ClientOptions) == settings
    assert ClientOptions.__required_keys__ == frozenset()


def test_emulator_clients_take_the_client_options() -> None:
    with HotEmulator() as emulator:
        emulator.faults.fail_next(503, path="/runs", method="GET")
        with pytest.raises(InternalServerError):
            emulator.client(max_retries=0, timeout=5).runs.list()
        assert emulator.client(max_retries=1).runs.list().data == []
