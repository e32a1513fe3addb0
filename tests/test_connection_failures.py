"""What a failed connection says, what a retry logs, and which plain-http hosts are
trusted as loopback."""

from __future__ import annotations

import logging
import re
import warnings
from typing import Any

import httpx
import pytest

import hot_typed as ht
from tests.exchange import played
from tests.test_retry_rules import OK, _error, _get, _post

KINDS = ["sync", "async"]
UNKNOWN = "; it may have reached the server, so whether it took effect is unknown"


# Failures name the full URL the request went to.
THINGS = "https://hot.test/v1/things"
THING = f"{THINGS}/1"


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    ("call", "failure", "message", "sent"),
    [
        (_get, httpx.ConnectError("refused"), f"GET {THING} failed: ConnectError: refused", False),
        (_post, httpx.ReadError("cut"), f"POST {THINGS} failed: ReadError: cut{UNKNOWN}", True),
        (_get, httpx.ReadTimeout("slow"), f"GET {THING} timed out (ReadTimeout)", True),
        (_post, httpx.ConnectTimeout("slow"), f"POST {THINGS} timed out (ConnectTimeout)", False),
        (
            _post,
            httpx.WriteTimeout("slow"),
            f"POST {THINGS} timed out (WriteTimeout){UNKNOWN}",
            True,
        ),
    ],
)
def test_a_failed_connection_names_the_request_the_failure_and_what_is_unknown(
    kind: str, call: Any, failure: Exception, message: str, sent: bool
) -> None:
    error, _ = played(kind, call, failure, max_retries=0)

    assert isinstance(error, ht.HotConnectionError | ht.HotTimeoutError)
    assert str(error) == message
    assert error.request_sent is sent
    # The request that got no answer comes with the error, as sent.
    assert error.request is not None
    method, url = message.split(" ")[:2]
    assert (error.request.method, str(error.request.url)) == (method, url)


@pytest.mark.parametrize("kind", KINDS)
def test_each_retry_is_logged_with_its_cause_count_and_delay(
    kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG, logger="hot_typed"):
        played(kind, _get, _error(503), httpx.ConnectError("refused"), OK, max_retries=2)

    retries = [r.getMessage() for r in caplog.records if "retry" in r.getMessage()]
    assert len(retries) == 2
    assert re.fullmatch(r"GET /things/1: 503, retry 1 of 2 in \d\.\d\d s", retries[0])
    assert re.fullmatch(r"GET /things/1: ConnectError, retry 2 of 2 in \d\.\d\d s", retries[1])


@pytest.mark.parametrize(
    "base_url",
    ["http://localhost:8080", "http://api.localhost", "http://127.0.0.1:9", "http://[::1]:9"],
)
def test_plain_http_to_a_loopback_host_does_not_warn(base_url: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ht.HotClient("token", base_url=base_url).close()


@pytest.mark.parametrize("base_url", ["http://example.com", "http://10.0.0.1", "http://localhost.x"])
def test_plain_http_to_any_other_host_warns(base_url: str) -> None:
    with pytest.warns(UserWarning, match="plain http to a non-loopback host"):
        ht.HotClient("token", base_url=base_url).close()
