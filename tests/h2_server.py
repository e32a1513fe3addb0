"""A tiny HTTP/2 server over TLS on loopback, for proving a client speaks HTTP/2.

It negotiates `h2` by ALPN with a certificate from a throwaway CA (`trustme`)
and answers every request with one JSON body; `requests` records each
request's pseudo-headers and headers, as received on an HTTP/2 stream.
"""

from __future__ import annotations

import json
import socket
import ssl
from typing import Any

import h2.config
import h2.connection
import h2.events

from .loopback_listener import TlsListener


class H2Server(TlsListener):
    def __init__(self, payload: Any) -> None:
        super().__init__(alpn=["h2"])
        self._body = json.dumps(payload).encode()
        self.requests: list[dict[str, str]] = []

    def serve(self, connection: socket.socket) -> None:
        try:
            with self.context.wrap_socket(connection, server_side=True) as tls:
                if tls.selected_alpn_protocol() != "h2":
                    return
                h2_connection = h2.connection.H2Connection(
                    h2.config.H2Configuration(client_side=False)
                )
                h2_connection.initiate_connection()
                tls.sendall(h2_connection.data_to_send())
                headers: dict[int, dict[str, str]] = {}
                while data := tls.recv(65536):
                    for event in h2_connection.receive_data(data):
                        if isinstance(event, h2.events.RequestReceived):
                            headers[event.stream_id] = {
                                _text(k): _text(v) for k, v in event.headers
                            }
                        elif isinstance(event, h2.events.StreamEnded):
                            self.requests.append(headers.pop(event.stream_id))
                            self._answer(h2_connection, event.stream_id)
                    tls.sendall(h2_connection.data_to_send())
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
