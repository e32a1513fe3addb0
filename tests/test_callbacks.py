"""Signed callbacks: signatures verified over the raw body in constant time, refused
with distinct reasons, and the ASGI and WSGI forms over real loopback servers."""

from __future__ import annotations

import hmac
import io
import json
import pickle
import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator, MutableMapping
from contextlib import contextmanager
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import httpx
import pytest
import uvicorn
from pydantic import BaseModel, SecretStr, ValidationError

from hot_typed import HotError
from hot_typed.callbacks import (
    SIGNATURE_HEADER,
    CallbackReply,
    HotSignatureError,
    SignatureMiddleware,
    parse_callback,
    sign,
    signed_headers,
    verify_request,
    verify_signature,
    verify_wsgi,
)

SECRET = "callback-secret-7f3a"
BODY = json.dumps({"session_id": "web:chat:1", "text": "Hello", "reply_to": None}).encode()


# ---------------------------------------------------------------- verification


def test_a_valid_signature_is_the_hex_hmac_sha256_of_the_exact_body() -> None:
    signature = sign(BODY, SECRET)
    assert signature == "sha256=" + hmac.new(SECRET.encode(), BODY, "sha256").hexdigest()
    verify_signature(BODY, signature, SECRET)
    verify_signature(BODY.decode(), signature.upper().replace("SHA256=", "sha256="), SECRET)
    verify_signature(BODY, signature, SecretStr(SECRET))
    verify_signature(BODY, signature, SECRET.encode())


@pytest.mark.parametrize(
    ("body", "signature", "secret", "reason", "message"),
    [
        (BODY + b" ", sign(BODY, SECRET), SECRET, "mismatch", "does not match the body"),
        (BODY, sign(BODY, "another-secret"), SECRET, "mismatch", "does not match the body"),
        (BODY, "sha256=" + "0" * 64, SECRET, "mismatch", "does not match the body"),
        (BODY, None, SECRET, "missing", "has no x-hot-signature signature"),
        (BODY, "  ", SECRET, "missing", "has no x-hot-signature signature"),
        (BODY, sign(BODY, SECRET)[7:], SECRET, "malformed", "not 'sha256=' followed by 64 hex"),
        (BODY, "sha1=" + "a" * 64, SECRET, "malformed", "not 'sha256=' followed by 64 hex"),
        (BODY, "sha256=" + "g" * 64, SECRET, "malformed", "not 'sha256=' followed by 64 hex"),
        (BODY, sign(BODY, SECRET)[:-1], SECRET, "malformed", "not 'sha256=' followed by 64 hex"),
    ],
    ids=[
        "tampered-body",
        "wrong-secret",
        "equal-length-wrong",
        "missing",
        "blank",
        "no-scheme",
        "other-scheme",
        "not-hex",
        "short",
    ],
)
def test_bad_signatures_are_refused_with_distinct_reasons(
    body: bytes, signature: str | None, secret: str, reason: str, message: str
) -> None:
    with pytest.raises(HotSignatureError, match=message) as caught:
        verify_signature(body, signature, secret)
    assert isinstance(caught.value, HotError)
    assert caught.value.reason == reason
    assert caught.value.header == SIGNATURE_HEADER
    assert SECRET not in str(caught.value)
    assert SECRET not in repr(caught.value)
    assert SECRET not in repr(pickle.loads(pickle.dumps(caught.value)).__dict__)


def test_every_comparison_goes_through_compare_digest(monkeypatch: pytest.MonkeyPatch) -> None:
    compared: list[tuple[str, str]] = []
    real = hmac.compare_digest

    def spy(a: Any, b: Any) -> bool:
        compared.append((a, b))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)
    good = sign(BODY, SECRET)
    same_length_wrong = good[:-1] + ("0" if good[-1] != "0" else "1")
    verify_signature(BODY, good, SECRET)
    for body, signature in [
        (BODY + b"x", good),
        (BODY, sign(BODY, "x")),
        (BODY, same_length_wrong),
    ]:
        with pytest.raises(HotSignatureError, match="does not match"):
            verify_signature(body, signature, SECRET)
    assert len(compared) == 4
    assert all(len(a) == len(b) == 64 for a, b in compared)
    assert compared[3][1] == same_length_wrong[7:]


def test_an_empty_secret_is_refused() -> None:
    with pytest.raises(ValueError, match=r"^the signing secret must not be empty$"):
        sign(BODY, "")


def test_signed_headers_are_the_json_content_type_and_the_lowercased_signature_header() -> None:
    assert signed_headers(BODY, SECRET, header="X-Agent-Sig") == {
        "content-type": "application/json",
        "x-agent-sig": sign(BODY, SECRET),
    }


class Order(BaseModel):
    order_id: int


def test_parse_callback_verifies_then_reads_the_body_as_a_model() -> None:
    headers = httpx.Headers(signed_headers(BODY, SECRET))
    reply = parse_callback(BODY, headers, SECRET)
    assert isinstance(reply, CallbackReply)
    assert (reply.session_id, reply.text, reply.reply_to) == ("web:chat:1", "Hello", None)
    assert reply.raw == json.loads(BODY)

    order = b'{"order_id": 7}'
    mixed_case = {"X-Hot-Signature": sign(order, SECRET)}
    assert parse_callback(order, mixed_case, SECRET, Order) == Order(order_id=7)
    custom = {"x-agent-sig": sign(order, SECRET)}
    assert parse_callback(order, custom, SECRET, Order, header="X-Agent-Sig").order_id == 7

    with pytest.raises(HotSignatureError):
        parse_callback(b'{"order_id": 8}', mixed_case, SECRET, Order)
    with pytest.raises(ValidationError):
        parse_callback(b"{}", signed_headers(b"{}", SECRET), SECRET, Order)


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        (httpx.Headers({"X-HOT-SIGNATURE": sign(BODY, SECRET)}), None),
        ({"X-Hot-Signature": sign(BODY, SECRET)}, None),
        # The mapping's own lookup first: the exact spelling, not the first other one.
        ({"X-Hot-Signature": sign(BODY, "other"), SIGNATURE_HEADER: sign(BODY, SECRET)}, None),
        ({}, "missing"),
        ({"x-other": sign(BODY, SECRET)}, "missing"),
        ({SIGNATURE_HEADER: sign(BODY, SECRET).encode()}, "missing"),  # not text
    ],
    ids=["httpx", "other-case", "exact-spelling-first", "empty", "absent", "bytes-value"],
)
def test_the_signature_header_is_looked_up_in_any_mapping_without_regard_to_case(
    headers: Any, reason: str | None
) -> None:
    if reason is None:
        assert parse_callback(BODY, headers, SECRET).text == "Hello"
        return
    with pytest.raises(HotSignatureError) as caught:
        parse_callback(BODY, headers, SECRET)
    assert caught.value.reason == reason


def test_a_custom_header_is_the_one_read_and_named_in_every_refusal() -> None:
    custom = "X-Agent-Sig"
    good = {custom: sign(BODY, SECRET)}
    environ: dict[str, Any] = {
        "wsgi.input": io.BytesIO(BODY),
        "CONTENT_LENGTH": str(len(BODY)),
        "HTTP_X_AGENT_SIG": sign(BODY, SECRET),
    }
    assert parse_callback(BODY, good, SECRET, header=custom).text == "Hello"
    assert verify_wsgi(environ, SECRET, header=custom) == BODY
    refusals: list[Callable[[], object]] = [
        lambda: parse_callback(BODY, {SIGNATURE_HEADER: sign(BODY, SECRET)}, SECRET, header=custom),
        lambda: verify_wsgi(
            {"wsgi.input": io.BytesIO(BODY), "CONTENT_LENGTH": str(len(BODY))},
            SECRET,
            header=custom,
        ),
    ]
    for refuse in refusals:
        with pytest.raises(HotSignatureError, match="has no X-Agent-Sig signature") as caught:
            refuse()
        assert caught.value.header == custom


# ---------------------------------------------------------------- ASGI over uvicorn


async def echo(scope: Any, receive: Any, send: Any) -> None:
    """An ASGI app answering the body it reads, and its path in `x-path`."""
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    headers = [(b"x-path", scope["path"].encode())]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": b"echo:" + body})


@contextmanager
def asgi_server(app: Any) -> Iterator[str]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))

    # Served through a plain function: uvicorn calls an app with no arguments to tell a
    # factory apart, and a `__call__` mutmut has wrapped accepts that call.
    async def served(scope: Any, receive: Any, send: Any) -> None:
        await app(scope, receive, send)

    config = uvicorn.Config(served, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not server.started:
            assert time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.01)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def test_the_asgi_middleware_admits_signed_requests_with_their_body_intact() -> None:
    app = SignatureMiddleware(echo, SECRET, paths=("/callbacks/",))
    assert SECRET not in repr(app)
    assert SECRET not in str(vars(app))
    with asgi_server(app) as url, httpx.Client(base_url=url) as http:
        chunks = [BODY[:10], BODY[10:]]  # sent in chunks: the middleware reads them all
        signed = http.post(
            "/callbacks/reply", content=iter(chunks), headers=signed_headers(BODY, SECRET)
        )
        assert (signed.status_code, signed.content) == (200, b"echo:" + BODY)
        assert signed.headers["x-path"] == "/callbacks/reply"

        tampered = http.post(
            "/callbacks/reply", content=BODY + b" ", headers=signed_headers(BODY, SECRET)
        )
        missing = http.post("/callbacks/reply", content=BODY)
        malformed = http.post("/callbacks/reply", content=BODY, headers={SIGNATURE_HEADER: "nope"})
        for response, reason in [
            (tampered, "does not match the body"),
            (missing, "has no x-hot-signature signature"),
            (malformed, "not 'sha256=' followed by 64 hex digits"),
        ]:
            assert response.status_code == 401
            assert response.json()["error"]["code"] == "invalid_signature"
            assert reason in response.json()["error"]["message"]

        unguarded = http.post("/health", content=b"ping")
        assert (unguarded.status_code, unguarded.content) == (200, b"echo:ping")
        assert unguarded.headers["x-path"] == "/health"


@pytest.mark.parametrize(
    "secret", [SECRET, SECRET.encode(), SecretStr(SECRET)], ids=["str", "bytes", "SecretStr"]
)
def test_the_asgi_middleware_without_paths_guards_every_path(secret: Any) -> None:
    app = SignatureMiddleware(echo, secret, header="X-Agent-Sig")
    with asgi_server(app) as url, httpx.Client(base_url=url) as http:
        signed = http.post("/any/path", content=BODY, headers={"x-agent-sig": sign(BODY, SECRET)})
        default_header = http.post("/health", content=BODY, headers=signed_headers(BODY, SECRET))
    assert (signed.status_code, signed.content) == (200, b"echo:" + BODY)
    assert signed.headers["x-path"] == "/any/path"
    message = "the request has no X-Agent-Sig signature"
    expected = json.dumps({"error": {"code": "invalid_signature", "message": message}})
    assert default_header.status_code == 401
    assert default_header.content == expected.encode()
    assert default_header.headers["content-type"] == "application/json"
    assert default_header.headers["content-length"] == str(len(expected))


async def test_verify_request_inside_an_asgi_app_replays_the_body() -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        try:
            body, receive = await verify_request(scope, receive, SECRET)
        except HotSignatureError as error:
            await send({"type": "http.response.start", "status": 403, "headers": []})
            await send({"type": "http.response.body", "body": error.reason.encode()})
            return
        assert body == BODY
        await echo(scope, receive, send)

    with asgi_server(app) as url:
        async with httpx.AsyncClient(base_url=url) as http:
            ok = await http.post("/", content=BODY, headers=signed_headers(BODY, SECRET))
            wrong = await http.post("/", content=BODY, headers=signed_headers(BODY, "other"))
    assert (ok.status_code, ok.content) == (200, b"echo:" + BODY)
    assert (wrong.status_code, wrong.content) == (403, b"mismatch")


def scripted_receive(messages: list[dict[str, Any]]) -> Callable[[], Any]:
    """An ASGI `receive` giving `messages` in order, then failing: nothing may be read
    past them. The message shapes the ASGI spec allows that uvicorn never sends."""
    pending = iter(messages)

    async def receive() -> dict[str, Any]:
        message = next(pending, None)
        assert message is not None, "read past the request's last message"
        return message

    return receive


@pytest.mark.parametrize(
    "messages",
    [
        [
            {"type": "http.request", "body": BODY[:10], "more_body": True},
            {"type": "http.request", "body": b"", "more_body": True},
            {"type": "http.request", "body": BODY[10:]},  # more_body: False by default
        ],
        [
            {"type": "http.request", "body": BODY, "more_body": True},
            {"type": "http.request"},  # body: b"" by default
        ],
    ],
    ids=["chunks", "last-message-empty"],
)
async def test_verify_request_reads_every_message_of_the_body_and_no_more(
    messages: list[dict[str, Any]],
) -> None:
    scope = {"type": "http", "headers": [(b"x-hot-signature", sign(BODY, SECRET).encode())]}
    body, replay = await verify_request(scope, scripted_receive(messages), SECRET)
    assert body == BODY
    assert await replay() == {"type": "http.request", "body": BODY, "more_body": False}


@pytest.mark.parametrize(
    ("signed", "reason"), [(BODY[:10], None), (BODY, "mismatch")], ids=["part", "whole"]
)
async def test_a_body_cut_off_by_a_disconnect_is_verified_as_far_as_it_came(
    signed: bytes, reason: str | None
) -> None:
    scope = {"type": "http", "headers": [(b"x-hot-signature", sign(signed, SECRET).encode())]}
    cut = scripted_receive(
        [
            {"type": "http.request", "body": BODY[:10], "more_body": True},
            {"type": "http.disconnect"},
        ]
    )
    if reason is None:
        assert (await verify_request(scope, cut, SECRET))[0] == BODY[:10]
        return
    with pytest.raises(HotSignatureError) as caught:
        await verify_request(scope, cut, SECRET)
    assert caught.value.reason == reason


async def test_the_refusal_is_sent_as_asgi_messages_with_lowercase_header_names() -> None:
    # ASGI asks for lowercase header names (HTTP/2 forbids any other).
    sent: list[MutableMapping[str, Any]] = []

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "path": "/", "headers": []}
    receive = scripted_receive([{"type": "http.request", "body": BODY}])
    await SignatureMiddleware(echo, SECRET)(scope, receive, send)
    message = "the request has no x-hot-signature signature"
    body = json.dumps({"error": {"code": "invalid_signature", "message": message}}).encode()
    assert sent == [
        {
            "type": "http.response.start",
            "status": 401,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        },
        {"type": "http.response.body", "body": body},
    ]


def test_after_the_replayed_body_an_app_receives_from_the_server_again() -> None:
    received: list[dict[str, Any]] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        _, receive = await verify_request(scope, receive, SECRET)
        received.append(await receive())
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})
        received.append(await receive())  # the response is complete: the server's disconnect

    with asgi_server(app) as url, httpx.Client(base_url=url) as http:
        answer = http.post("/", content=BODY, headers=signed_headers(BODY, SECRET))
    assert answer.status_code == 204
    assert received == [
        {"type": "http.request", "body": BODY, "more_body": False},
        {"type": "http.disconnect"},
    ]


# ---------------------------------------------------------------- WSGI over wsgiref


def wsgi_echo(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    """A WSGI app verifying the request, then reading its body again from wsgi.input."""
    try:
        verified = verify_wsgi(environ, SECRET)
    except HotSignatureError as error:
        start_response("401 Unauthorized", [("Content-Type", "text/plain")])
        return [f"{error.reason}: {error}".encode()]
    again = environ["wsgi.input"].read(int(environ["CONTENT_LENGTH"]))
    assert again == verified
    start_response("200 OK", [("Content-Type", "application/octet-stream")])
    return [b"echo:" + again]


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def wsgi_server() -> Iterator[str]:
    server: WSGIServer = make_server("127.0.0.1", 0, wsgi_echo, handler_class=_Quiet)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


def test_verify_wsgi_admits_signed_requests_and_rewinds_the_input() -> None:
    with wsgi_server() as url, httpx.Client(base_url=url) as http:
        ok = http.post("/cb", content=BODY, headers=signed_headers(BODY, SECRET))
        tampered = http.post("/cb", content=BODY[:-1] + b" ", headers=signed_headers(BODY, SECRET))
        missing = http.post("/cb", content=BODY)
        malformed = http.post("/cb", content=BODY, headers={"X-Hot-Signature": "sha256=xyz"})
    assert (ok.status_code, ok.content) == (200, b"echo:" + BODY)
    assert tampered.status_code == missing.status_code == malformed.status_code == 401
    assert tampered.text.startswith("mismatch: ")
    assert missing.text.startswith("missing: ")
    assert malformed.text.startswith("malformed: ")


@pytest.mark.parametrize("length", ["-1", "abc", "1e3"])
def test_verify_wsgi_takes_a_content_length_that_is_no_length_for_none(length: str) -> None:
    # wsgiref passes the header as the client sent it: read(-1) waited for the
    # client to close its side (it never does while awaiting the answer), and
    # int("abc") raised out of the app. Unsigned, the body is refused as such.
    head = (
        f"POST /cb HTTP/1.1\r\nHost: x\r\nContent-Length: {length}\r\n"
        f"X-Hot-Signature: {sign(BODY, SECRET)}\r\nConnection: close\r\n\r\n"
    )
    with wsgi_server() as url:
        host, port = url.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=2) as raw:
            raw.sendall(head.encode() + BODY)
            answer = b""
            while chunk := raw.recv(65536):
                answer += chunk
    assert answer.startswith(b"HTTP/1.0 401 ")
    assert b"mismatch: " in answer


def test_verify_wsgi_without_a_length_reads_only_a_terminated_input() -> None:
    signature = {"HTTP_X_HOT_SIGNATURE": sign(BODY, SECRET)}
    terminated: dict[str, Any] = {
        "wsgi.input": io.BytesIO(BODY),
        "wsgi.input_terminated": True,
        **signature,
    }
    assert verify_wsgi(terminated, SECRET) == BODY
    assert terminated["wsgi.input"].read() == BODY
    assert terminated["CONTENT_LENGTH"] == str(len(BODY))
    open_ended: dict[str, Any] = {"wsgi.input": io.BytesIO(BODY), **signature}
    with pytest.raises(HotSignatureError, match="does not match"):
        verify_wsgi(open_ended, SECRET)  # nothing is read past an unknown length
    empty: dict[str, Any] = {
        "wsgi.input": io.BytesIO(BODY),
        "HTTP_X_HOT_SIGNATURE": sign(b"", SECRET),
    }
    assert verify_wsgi(empty, SECRET) == b""
    assert (empty["wsgi.input"].read(), empty["CONTENT_LENGTH"]) == (b"", "0")


# ---------------------------------------------------------------- bounds


def _answer_before_the_body(url: str, head: str, sent: bytes) -> bytes:
    """The answer to `head` and the first `sent` bytes of a body it declares much
    longer, the rest never sent: what the server says without waiting for it."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as raw:
        raw.sendall(head.encode() + sent)
        answer = b""
        while b"\r\n\r\n" not in answer or not answer.rstrip().endswith(b"}"):
            chunk = raw.recv(65536)
            if not chunk:
                break
            answer += chunk
    return answer


def test_the_asgi_middleware_answers_an_unsigned_request_without_waiting_for_its_body() -> None:
    reached: list[str] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        reached.append(scope["path"])
        await echo(scope, receive, send)

    head = "POST /cb HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n"
    with asgi_server(SignatureMiddleware(app, SECRET)) as url:
        answer = _answer_before_the_body(url, head, b"{")
    assert answer.startswith(b"HTTP/1.1 401 ")
    assert b'"invalid_signature"' in answer
    assert reached == []


@pytest.mark.parametrize(
    ("max_body_bytes", "status"),
    [(len(BODY), 200), (len(BODY) - 1, 413), (0, 413)],
    ids=["at-the-bound", "one-byte-over", "zero"],
)
def test_the_asgi_middleware_refuses_a_body_longer_than_its_bound_with_413(
    max_body_bytes: int, status: int
) -> None:
    app = SignatureMiddleware(echo, SECRET, max_body_bytes=max_body_bytes)
    assert f"max_body_bytes={max_body_bytes}" in repr(app)
    with asgi_server(app) as url, httpx.Client(base_url=url) as http:
        answer = http.post("/cb", content=BODY, headers=signed_headers(BODY, SECRET))
    assert answer.status_code == status
    if status == 200:
        assert answer.content == b"echo:" + BODY
        return
    message = (
        f"the request body is longer than {max_body_bytes} bytes, the most read to "
        "check its x-hot-signature signature"
    )
    assert answer.json() == {"error": {"code": "payload_too_large", "message": message}}


def test_a_signed_body_over_the_bound_is_refused_before_the_rest_of_it_is_sent() -> None:
    head = (
        "POST /cb HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n"
        f"X-Hot-Signature: {sign(BODY, SECRET)}\r\n\r\n"
    )
    with asgi_server(SignatureMiddleware(echo, SECRET, max_body_bytes=64)) as url:
        answer = _answer_before_the_body(url, head, b"x" * 65)
    assert answer.startswith(b"HTTP/1.1 413 ")
    assert b'"payload_too_large"' in answer


async def test_verify_request_reads_no_body_of_a_request_with_no_well_formed_signature() -> None:
    for headers, reason in [([], "missing"), ([(b"x-hot-signature", b"sha256=00")], "malformed")]:
        scope = {"type": "http", "headers": headers}
        with pytest.raises(HotSignatureError) as caught:
            await verify_request(scope, scripted_receive([]), SECRET)
        assert caught.value.reason == reason


async def test_verify_request_stops_reading_at_the_message_that_passes_its_bound() -> None:
    scope = {"type": "http", "headers": [(b"x-hot-signature", sign(BODY, SECRET).encode())]}
    messages = [
        {"type": "http.request", "body": BODY[:10], "more_body": True},
        {"type": "http.request", "body": BODY[10:], "more_body": True},
    ]  # a third read would fail the scripted receive
    body, _ = await verify_request(
        scope,
        scripted_receive([*messages[:1], {"type": "http.request", "body": BODY[10:]}]),
        SECRET,
        max_body_bytes=len(BODY),
    )
    assert body == BODY
    with pytest.raises(HotSignatureError) as caught:
        await verify_request(scope, scripted_receive(messages), SECRET, max_body_bytes=20)
    assert caught.value.reason == "too_large"


@pytest.mark.parametrize(
    ("max_body_bytes", "error"),
    [(-1, ValueError), (True, TypeError), (1.5, TypeError), ("10", TypeError)],
)
def test_a_body_bound_that_is_no_count_of_bytes_is_refused(
    max_body_bytes: Any, error: type[Exception]
) -> None:
    with pytest.raises(error, match="max_body_bytes"):
        SignatureMiddleware(echo, SECRET, max_body_bytes=max_body_bytes)
    with pytest.raises(error, match="max_body_bytes"):
        verify_wsgi({}, SECRET, max_body_bytes=max_body_bytes)


class _CountingInput(io.BytesIO):
    """A `wsgi.input` whose reads are counted, returning at most 7 bytes each, as
    a socket's may."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.reads = 0

    def read(self, size: int | None = -1, /) -> bytes:
        self.reads += 1
        return super().read(7 if size is None or size < 0 else min(size, 7))


@pytest.mark.parametrize(
    ("max_body_bytes", "admitted"),
    [(len(BODY), True), (len(BODY) - 1, False)],
    ids=["at-the-bound", "one-byte-over"],
)
def test_verify_wsgi_reads_no_more_than_its_bound(max_body_bytes: int, admitted: bool) -> None:
    signature = {"HTTP_X_HOT_SIGNATURE": sign(BODY, SECRET)}
    declared = _CountingInput(BODY)
    with_length: dict[str, Any] = {
        "wsgi.input": declared, "CONTENT_LENGTH": str(len(BODY)), **signature
    }
    terminated_input = _CountingInput(BODY)
    terminated: dict[str, Any] = {
        "wsgi.input": terminated_input, "wsgi.input_terminated": True, **signature
    }
    if admitted:
        assert verify_wsgi(terminated, SECRET, max_body_bytes=max_body_bytes) == BODY
        assert terminated["wsgi.input"].read() == BODY
        return
    with pytest.raises(HotSignatureError) as caught:
        verify_wsgi(with_length, SECRET, max_body_bytes=max_body_bytes)
    assert caught.value.reason == "too_large"
    assert declared.reads == 0  # refused on its declared length, unread
    with pytest.raises(HotSignatureError) as caught:
        verify_wsgi(terminated, SECRET, max_body_bytes=max_body_bytes)
    assert caught.value.reason == "too_large"
    assert terminated_input.tell() == len(BODY)  # read up to one byte past the bound


def test_verify_wsgi_reads_no_body_of_a_request_with_no_well_formed_signature() -> None:
    for signature, reason in [({}, "missing"), ({"HTTP_X_HOT_SIGNATURE": "sha256="}, "malformed")]:
        stream = _CountingInput(BODY)
        environ: dict[str, Any] = {
            "wsgi.input": stream, "CONTENT_LENGTH": str(len(BODY)), **signature
        }
        with pytest.raises(HotSignatureError) as caught:
            verify_wsgi(environ, SECRET)
        assert (caught.value.reason, stream.reads) == (reason, 0)
