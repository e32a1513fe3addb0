"""A tiny HTTP/2 server over TLS on loopback, for proving a client speaks HTTP/2.

It negotiates `h2` by ALPN with a certificate from a throwaway CA (`trustme`)
and answers every request with one JSON body; `requests` records each
request's pseudo-headers and headers, as received on an HTTP/2 stream.
"""

from __future__ import annotations

import json
import socket
import ssl
import threading
from types import TracebackType
from typing import Any

import h2.config
import h2.connection
import h2.events
import trustme
from typing_extensions import Self


class H2Server:
    def __init__(self, payload: Any) -> None:
        self.ca = trustme.CA()
        self._context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.ca.issue_cert("127.0.0.1").configure_cert(self._context)
        self._context.set_alpn_protocols(["h2"])
        self._body = json.dumps(payload).encode()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.requests: list[dict[str, str]] = []
        self._threads: list[threading.Thread] = []

    @property
    def base_url(self) -> str:
        return f"https://127.0.0.1:{self._listener.getsockname()[1]}"

    def __enter__(self) -> Self:
        thread = threading.Thread(target=self._accept, daemon=True)
        thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._listener.close()

    def _accept(self) -> None:
        while True:
            try:
                raw, _ = self._listener.accept()
            except OSError:
                return
            thread = threading.Thread(target=self._serve, args=(raw,), daemon=True)
            thread.start()

    def _serve(self, raw: socket.socket) -> None:
        try:
            with self._context.wrap_socket(raw, server_side=True) as tls:
                if tls.selected_alpn_protocol() != "h2":
                    return
                connection = h2.connection.H2Connection(
                    h2.config.H2Configuration(client_side=False)
                )
                connection.initiate_connection()
                tls.sendall(connection.data_to_send())
                headers: dict[int, dict[str, str]] = {}
                while data := tls.recv(65536):
                    for event in connection.receive_data(data):
                        if isinstance(event, h2.events.RequestReceived):
                            headers[event.stream_id] = {
                                _text(k): _text(v) for k, v in event.headers
                            }
                        elif isinstance(event, h2.events.StreamEnded):
                            self.requests.append(headers.pop(event.stream_id))
                            self._answer(connection, event.stream_id)
                    tls.sendall(connection.data_to_send())
        except (OSError, ssl.SSLError):
            return

    def _answer(self, connection: h2.connection.H2Connection, stream_id: int) -> None:
        connection.send_headers(
            stream_id,
            [
                (":status", "200"),
                ("content-type", "application/json"),
                ("content-length", str(len(self._body))),
            ],
        )
        connection.send_data(stream_id, self._body, end_stream=True)


def _text(value: str | bytes) -> str:
    return value.decode() if isinstance(value, bytes) else value
