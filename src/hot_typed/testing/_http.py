"""A small real HTTP/1.1 server on loopback, for tests, the emulator and benchmarks.

It answers each request by calling a handler with an `HttpRequest` and writing
the `HttpResponse` it returns. A streamed body (an iterable of byte chunks) is
sent with chunked transfer encoding, one flush per chunk, so clients see real
partial reads; raising `DropConnection` from it cuts the socket mid-stream.
Every request received is recorded, so a test can assert what was (not) sent.
"""

from __future__ import annotations

import contextlib
import json
import socket
import sys
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from typing_extensions import Self

__all__ = ["DropConnection", "HttpRequest", "HttpResponse", "LoopbackServer"]


class DropConnection(Exception):
    """Raised by a streamed body to close the connection abruptly, mid-response."""


@dataclass
class HttpRequest:
    """A request as the server received it. `path` is still percent-encoded."""

    method: str
    target: str
    headers: dict[str, str]
    body: bytes

    @property
    def path(self) -> str:
        """The request target's path, still percent-encoded, without the query."""
        return urlsplit(self.target).path

    @property
    def segments(self) -> list[str]:
        """The decoded path segments (each `%2F` stays inside its segment)."""
        return [unquote(s) for s in self.path.split("/")[1:]]

    @property
    def query(self) -> dict[str, str]:
        """The query parameters, decoded; the last value of a repeated one. An
        empty value is kept (`offset=`): the server reads it as given."""
        query = parse_qs(urlsplit(self.target).query, keep_blank_values=True)
        return {k: v[-1] for k, v in query.items()}

    def json(self) -> Any:
        """The body decoded as JSON; `ValueError` when it is not JSON."""
        return json.loads(self.body)


@dataclass
class HttpResponse:
    """What to answer. `body` bytes are sent with a Content-Length; an iterable
    of chunks is streamed with chunked transfer encoding."""

    status: int = 200
    body: bytes | Iterable[bytes] = b""
    headers: dict[str, str] = field(default_factory=dict[str, str])

    @classmethod
    def json(cls, payload: Any, status: int = 200, headers: dict[str, str] | None = None) -> Self:
        """An answer of `payload` as compact JSON, `Content-Type: application/json`
        unless `headers` say otherwise."""
        body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
        return cls(status, body, {"Content-Type": "application/json", **(headers or {})})


Handler = Callable[[HttpRequest], HttpResponse]


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    block_on_close = False
    # Many clients connecting at once must not see their SYNs dropped.
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], owner: LoopbackServer) -> None:
        self.owner = owner
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, _RequestHandler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that goes away mid-exchange is normal life for a test server;
        anything else is still reported."""
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body leave in separate writes: with Nagle's algorithm each
    # keep-alive answer would wait for the client's delayed ACK (about 40 ms).
    disable_nagle_algorithm = True
    server: _Server  # pyright: ignore[reportIncompatibleVariableOverride]  # always ours

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: tests read the recorded requests instead."""

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            parts: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(parts)
                parts.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _handle(self) -> None:
        request = HttpRequest(
            self.command,
            self.path,
            {k.lower(): v for k, v in self.headers.items()},
            self._read_body(),
        )
        owner = self.server.owner
        owner._record(request)  # pyright: ignore[reportPrivateUsage]
        try:
            response = owner.handler(request)
        except DropConnection:
            self._drop()
            return
        except Exception as error:
            response = HttpResponse.json(
                {"error": {"code": "internal_server_error", "message": repr(error)}}, 500
            )
        self._send(response)

    def _drop(self) -> None:
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)

    def _send(self, response: HttpResponse) -> None:
        self.send_response(response.status)
        for name, value in response.headers.items():
            self.send_header(name, value)
        body = response.body
        if isinstance(body, bytes | bytearray):
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)
            return
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        try:
            for chunk in body:
                if chunk:
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                    self.wfile.flush()
            self.wfile.write(b"0\r\n\r\n")
        except DropConnection:
            self._drop()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        finally:
            close = getattr(body, "close", None)
            if close is not None:
                close()

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _handle


class LoopbackServer:
    """Serve `handler` on 127.0.0.1 (a free port unless one is given) in a thread.

    Use as a context manager; `base_url` is `http://<host>:<port>`.
    """

    def __init__(self, handler: Handler, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.handler = handler
        self.host = host
        self.requests: list[HttpRequest] = []
        self._lock = threading.Lock()
        self._server = _Server((host, port), self)
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        """The loopback TCP port the server listens on (chosen free at creation)."""
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        """`http://<host>:<port>`, the host as given (IPv6 in brackets)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def _record(self, request: HttpRequest) -> None:
        with self._lock:
            self.requests.append(request)

    def start(self) -> Self:
        """Start serving on a background thread; returns the server.

        `with LoopbackServer(handler) as server:` starts it and stops it on exit."""
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"hot-typed-loopback-{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and release the port (also when never started)."""
        if self._thread is not None:
            # shutdown() waits for serve_forever: only call it when serving.
            self._server.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._server.server_close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
