"""`python -m hot_typed demo --web`: a chat page in the browser, its backend a `HotProxy`.

The page (`_web_demo_page.html`, plain HTML and a little JavaScript, no build
step) posts questions to the proxy mounted at `/api/hot` and renders the
agent's reply as its deltas stream in. The Hot behind the proxy is the
built-in emulator, with a `chat:ask` handler standing in for an agent.
"""

from __future__ import annotations

import signal
import socket
import threading
import time
from importlib.resources import files
from types import FrameType
from typing import TYPE_CHECKING, Any, TextIO

from ._client import AsyncHotClient
from ._models._json import is_json_object
from .proxy import HotProxy, ProxyRequest, Receive, Scope, Send
from .proxy._asgi import relative_path

if TYPE_CHECKING:
    from .testing import HandlerEvent, HotEmulator, RunContext

__all__ = ["CHAT_EVENT", "DEMO_USER", "ChatDemo", "install_chat_handler", "serve"]

#: The one event type the page may publish through the proxy.
CHAT_EVENT = "chat:ask"
#: Who the server says the user is: stamped into every event, whatever the page sends.
DEMO_USER = "demo-user"
PROXY_PATH = "/api/hot"

_ANSWER = (
    "The browser never saw a token: it posted to this server, which checked the event "
    "type, added your user id and streamed Hot's answer back as it arrived."
)


def install_chat_handler(emulator: HotEmulator, *, delay: float = 0.03) -> None:
    """An agent-like `chat:ask` handler: a reply streamed as `stream:data` deltas.

    Emits `chat:reply:start`, one `chat:reply:delta` (`{"message_id", "text"}`)
    per word `delay` seconds apart, then `chat:reply:end`, labelled as Hot's
    agents label their replies (resources/docs/demos/hot-chat.md:
    `<agent>:reply:start` / `:delta` / `:end`).
    """

    @emulator.on_event(CHAT_EVENT)
    def reply(event: HandlerEvent, ctx: RunContext) -> Any:
        data: dict[str, Any] = event.data if is_json_object(event.data) else {}
        message_id = data.get("message_id")
        text = f"Hello {data.get('user_id')}! You asked \"{data.get('question')!s}\". {_ANSWER}"
        ctx.emit({"message_id": message_id}, data_type="chat:reply:start")
        for index, word in enumerate(text.split(" ")):
            piece = word if index == 0 else " " + word
            ctx.emit({"message_id": message_id, "text": piece}, data_type="chat:reply:delta")
            time.sleep(delay)
        ctx.emit({"message_id": message_id, "text": text}, data_type="chat:reply:end")
        return {"answer": text}


def _stamp_user(scope: Scope, request: ProxyRequest) -> dict[str, str]:
    # A real app reads its signed-in user from the scope (a session middleware).
    return {"user_id": DEMO_USER}


class ChatDemo:
    """The demo's ASGI app: the page at `/`, the proxy at `/api/hot`.

    Closes `hot` when the server shuts down (ASGI lifespan).
    """

    def __init__(self, hot: AsyncHotClient) -> None:
        self.hot = hot
        self.proxy = HotProxy(hot, allow=[CHAT_EVENT], stamp=_stamp_user)
        self.page = files("hot_typed").joinpath("_web_demo_page.html").read_bytes()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        path = relative_path(scope)
        if path == PROXY_PATH or path.startswith(PROXY_PATH + "/"):
            root = scope.get("root_path", "") + PROXY_PATH
            await self.proxy({**scope, "root_path": root}, receive, send)
        elif path == "/" and scope["method"] in ("GET", "HEAD"):
            await self._send_page(send)
        else:
            headers = [(b"content-type", b"text/plain"), (b"content-length", b"9")]
            await send({"type": "http.response.start", "status": 404, "headers": headers})
            await send({"type": "http.response.body", "body": b"not found"})

    async def _send_page(self, send: Send) -> None:
        headers = [
            (b"content-type", b"text/html; charset=utf-8"),
            (b"content-length", str(len(self.page)).encode()),
            (b"cache-control", b"no-store"),
            (
                b"content-security-policy",
                b"default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
                b"connect-src 'self'",
            ),
        ]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": self.page})

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.hot.aclose()
                await send({"type": "lifespan.shutdown.complete"})
                return


def serve(out: TextIO, *, port: int = 8000) -> int:
    """Serve the chat page and its proxy on 127.0.0.1:`port` (0: any free port)
    until Ctrl-C or SIGTERM.

    Returns the exit code: 1 when uvicorn (the `web` extra) is missing or the
    port is taken.
    """
    try:
        import uvicorn
    except ImportError:
        out.write(
            "demo --web needs an ASGI server: pip install \"hot-typed[web]\" (adds uvicorn)\n"
        )
        return 1
    from .testing import HotEmulator

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(("127.0.0.1", port))
    except OSError as error:
        sock.close()
        out.write(f"error: cannot listen on 127.0.0.1:{port}: {error}\n")
        return 1
    stop = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    # The server runs in a thread, where uvicorn leaves signals alone: Ctrl-C
    # then ends the demo with a clean exit, as `fake-server` does.
    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    with HotEmulator() as emulator, sock:
        install_chat_handler(emulator)
        app = ChatDemo(emulator.async_client())
        # Open streams would hold a graceful shutdown until Hot's 5-minute limit.
        config = uvicorn.Config(app, log_level="warning", timeout_graceful_shutdown=1)
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]})
        thread.start()
        while not server.started and thread.is_alive():
            time.sleep(0.01)  # the banner promises a server that answers
        out.write(
            f"hot-typed chat demo on http://127.0.0.1:{sock.getsockname()[1]}/ "
            f"(proxy at {PROXY_PATH}, Hot emulator at {emulator.base_url}); Ctrl-C stops it\n"
        )
        out.flush()
        while thread.is_alive() and not stop.wait(0.2):
            pass
        server.should_exit = True
        thread.join()
    out.write("stopped\n")
    return 0
