"""Connection and timeout errors name the full URL requested and keep httpx's request."""

from __future__ import annotations

import pickle
import re
import time

import httpx
import pytest

from hot_typed import EventCreateParams, HotConnectionError, HotTimeoutError
from hot_typed.testing import HttpRequest, HttpResponse, LoopbackServer

from .sse_script import close, make_client, refused_url, resolve

EVENT: EventCreateParams = {"event_type": "user:signup", "event_data": {}}


@pytest.fixture(params=["sync", "async"])
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


async def test_a_refused_connection_names_scheme_host_port_and_v1_path(mode: str) -> None:
    base = refused_url()
    hot = make_client(base, mode)
    try:
        with pytest.raises(HotConnectionError) as caught:
            await resolve(hot.events.publish(EVENT))
    finally:
        await close(hot)
    error = caught.value
    assert f"POST {base}/v1/events failed: ConnectError" in str(error)
    assert error.request is not None
    assert str(error.request.url) == f"{base}/v1/events"
    assert error.response is None
    assert error.request_sent is False


async def test_credentials_in_the_base_url_are_masked_in_the_message(mode: str) -> None:
    port = refused_url().rsplit(":", 1)[1]
    hot = make_client(f"http://ada:hunter2@127.0.0.1:{port}", mode)
    try:
        with pytest.raises(HotConnectionError) as caught:
            await resolve(hot.runs.get("00000000-0000-4000-8000-000000000001"))
    finally:
        await close(hot)
    assert "hunter2" not in str(caught.value)
    assert re.search(rf"GET http://\*\*\*@127\.0\.0\.1:{port}/v1/runs/", str(caught.value))


def _slow(request: HttpRequest) -> HttpResponse:
    time.sleep(0.5)
    return HttpResponse.json({"data": []})


async def test_a_read_timeout_names_the_url_and_keeps_the_request(mode: str) -> None:
    with LoopbackServer(_slow) as server:
        hot = make_client(server.base_url, mode, timeout=0.1)
        try:
            with pytest.raises(HotTimeoutError) as caught:
                await resolve(hot.runs.get("00000000-0000-4000-8000-000000000001"))
        finally:
            await close(hot)
    error = caught.value
    url = f"{server.base_url}/v1/runs/00000000-0000-4000-8000-000000000001"
    assert f"GET {url} timed out (ReadTimeout)" in str(error)
    assert isinstance(error.request, httpx.Request)
    assert str(error.request.url) == url
    assert error.response is None


async def test_a_pickled_connection_error_keeps_the_request_without_the_token(mode: str) -> None:
    hot = make_client(refused_url(), mode)
    try:
        with pytest.raises(HotConnectionError) as caught:
            await resolve(hot.runs.get("00000000-0000-4000-8000-000000000001"))
    finally:
        await close(hot)
    assert caught.value.request is not None
    assert "authorization" in caught.value.request.headers
    copy = pickle.loads(pickle.dumps(caught.value))
    assert copy.request is not None
    assert copy.request.url == caught.value.request.url
    assert "authorization" not in copy.request.headers
    assert str(copy) == str(caught.value)
