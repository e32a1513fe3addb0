"""`LoopbackServer`, the socket under the emulator and the scripted test servers."""

from __future__ import annotations

import socket
import struct
import time

import httpx
import pytest

from hot_typed.testing import HttpRequest, HttpResponse, LoopbackServer


def _ok(request: HttpRequest) -> HttpResponse:
    return HttpResponse.json({"path": request.path})


def _has_ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
    except OSError:
        return False
    return True


@pytest.mark.parametrize(
    ("host", "netloc"),
    [("127.0.0.1", "127.0.0.1"), ("localhost", "localhost"), ("::1", "[::1]")],
)
def test_base_url_names_the_host_the_server_was_given(host: str, netloc: str) -> None:
    if host == "::1" and not _has_ipv6_loopback():
        pytest.fail("this machine has no IPv6 loopback to test with")
    with LoopbackServer(_ok, host=host) as server:
        assert server.base_url == f"http://{netloc}:{server.port}"
        assert httpx.get(server.base_url + "/x").json() == {"path": "/x"}


def test_a_client_resetting_mid_request_prints_no_traceback(
    capfd: pytest.CaptureFixture[str],
) -> None:
    with LoopbackServer(_ok) as server:
        with socket.create_connection(("127.0.0.1", server.port)) as client:
            client.sendall(b"POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 1000\r\n\r\npartial")
            time.sleep(0.1)  # the server is now blocked reading the rest of the body
            # Linger 0: close with a reset, as a killed client or a proxy timing out does.
            client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        time.sleep(0.2)
        assert httpx.get(server.base_url + "/after").status_code == 200
    err = capfd.readouterr().err
    assert "Traceback" not in err
    assert "ConnectionResetError" not in err
