"""Raw TCP test servers on loopback: each connection served on a thread of its own.

`LoopbackListener` accepts; a subclass says what `serve` does with a connection.
`TlsListener` adds a certificate for 127.0.0.1 from a throwaway CA (`ca`, trust
it in the client), and `base_url` as `https://`.
"""

from __future__ import annotations

import socket
import ssl
import threading
from types import TracebackType

import trustme
from typing_extensions import Self


class LoopbackListener:
    def __init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))

    @property
    def port(self) -> int:
        port: int = self._listener.getsockname()[1]
        return port

    def __enter__(self) -> Self:
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._listener.close()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self._listener.accept()
            except OSError:  # closed by __exit__
                return
            threading.Thread(target=self.serve, args=(connection,), daemon=True).start()

    def serve(self, connection: socket.socket) -> None:
        """Answer one accepted connection (on its own thread); it is the subclass's."""
        raise NotImplementedError


class TlsListener(LoopbackListener):
    def __init__(self, alpn: list[str] | None = None) -> None:
        super().__init__()
        self.ca = trustme.CA()
        self.context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.ca.issue_cert("127.0.0.1").configure_cert(self.context)
        if alpn is not None:
            self.context.set_alpn_protocols(alpn)

    @property
    def base_url(self) -> str:
        return f"https://127.0.0.1:{self.port}"
