"""The benchmark's loopback server: stdlib only, one asyncio loop, its own process.

It runs apart from the clients so that serving never competes with decoding for
the interpreter lock, and it does no per-event work: every body is built once,
before the first request, and written in 64 KiB chunks (chunked transfer
encoding for event streams, as the API sends them). One event loop carries
hundreds of concurrent subscriptions without a thread per connection.

Routes (anything after `/v1`):

* `GET /streams/{n}/subscribe`: `n` `stream:data` events, then `stream:complete`
  (`n` is written as a UUID's number, as a stream id is a UUID);
* `GET /runs?limit=&offset=`: a page of `limit` runs out of `RUNS_TOTAL`.

Run `python bench/server.py`; it prints its port on the first line of stdout
and serves until stdin closes.
"""

from __future__ import annotations

import asyncio
import json
import resource
import sys
import uuid
from typing import Any
from urllib.parse import parse_qs, urlsplit

__all__ = ["CHUNK", "RUNS_TOTAL", "page_body", "run_json", "stream_data_event"]

CHUNK = 64 * 1024
RUNS_TOTAL = 10_000
_CYCLE = 1000  # distinct events repeated to make a stream of any length


def stream_data_event(i: int) -> bytes:
    """One `stream:data` SSE frame as the API frames it (`event:` + one `data:` line)."""
    payload = {
        "type": "stream:data",
        "stream_data_id": str(uuid.UUID(int=0x5D << 120 | i)),
        "run_id": str(uuid.UUID(int=0x7A << 120 | i % 7)),
        "data_type": "ai:delta",
        "payload": {"text": f"token {i} " + "lorem ipsum "[: i % 12]},
    }
    data = json.dumps(payload, separators=(",", ":"))
    return f"event: stream:data\ndata: {data}\n\n".encode()


_COMPLETE = (
    b'event: stream:complete\ndata: {"type":"stream:complete","stream_id":'
    + json.dumps(str(uuid.UUID(int=1))).encode()
    + b"}\n\n"
)


def run_json(i: int) -> dict[str, Any]:
    """A finished run as `GET /v1/runs` lists it."""
    return {
        "run_id": str(uuid.UUID(int=0x12 << 120 | i)),
        "env_id": "0b8f4a52-46a4-4a77-9d3e-0c8b5f1a2e01",
        "stream_id": str(uuid.UUID(int=0x34 << 120 | i)),
        "build_id": "7c1e9d20-5b3a-4f6e-8a2d-9e0f1b2c3d4e",
        "run_type": ("call", "event", "schedule")[i % 3],
        "status": ("succeeded", "failed", "running")[i % 3],
        "start_time": f"2026-11-29T12:{i % 60:02d}:{i * 7 % 60:02d}.123456Z",
        "stop_time": None if i % 3 == 2 else f"2026-11-29T12:{i % 60:02d}:59.5Z",
        "origin_run_id": None,
        "event_id": str(uuid.UUID(int=0x56 << 120 | i)) if i % 3 == 1 else None,
        "result": {"n": i, "items": [1, 2.5, "three", None]} if i % 3 == 0 else None,
        "project_id": "3f2a1b0c-9d8e-4f7a-8b6c-5d4e3f2a1b0c",
        "project_name": "bench",
        "retry_attempt": 0,
    }


def page_body(limit: int, offset: int) -> bytes:
    """A page as the API lists it (crates/hot_api/src/models.rs, `ApiListResponse`):
    items, pagination, and the `meta` every answer carries."""
    end = min(offset + limit, RUNS_TOTAL)
    envelope = {
        "data": [run_json(i) for i in range(offset, end)],
        "pagination": {
            "total": RUNS_TOTAL,
            "limit": limit,
            "offset": offset,
            "has_more": end < RUNS_TOTAL,
        },
        "meta": {
            "request_id": str(uuid.UUID(int=0x9A << 120 | offset)),
            "timestamp": "2026-11-29T12:00:00.123456Z",
        },
    }
    return json.dumps(envelope, separators=(",", ":")).encode()


class _Bodies:
    """Everything the server writes, prepared once."""

    def __init__(self) -> None:
        frames = [stream_data_event(i) for i in range(_CYCLE)]
        self.cycle = b"".join(frames)
        self.prefix_end = [0]
        for frame in frames:
            self.prefix_end.append(self.prefix_end[-1] + len(frame))
        self.pages: dict[tuple[int, int], bytes] = {}

    def page(self, limit: int, offset: int) -> bytes:
        key = (limit, offset)
        body = self.pages.get(key)
        if body is None:
            body = self.pages[key] = page_body(limit, offset)
        return body


async def _write_stream(writer: asyncio.StreamWriter, bodies: _Bodies, count: int) -> None:
    writer.write(
        b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n"
        b"cache-control: no-cache\r\ntransfer-encoding: chunked\r\n\r\n"
    )
    pending = bytearray()
    full, rest = divmod(count, _CYCLE)
    tail = bodies.cycle[: bodies.prefix_end[rest]] + _COMPLETE
    cycles = 0
    while True:
        while len(pending) < CHUNK and cycles < full:
            pending += bodies.cycle
            cycles += 1
        if cycles == full and tail:
            pending += tail
            tail = b""
        if not pending:
            break
        chunk = bytes(pending[:CHUNK])
        del pending[:CHUNK]
        writer.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        await writer.drain()
    writer.write(b"0\r\n\r\n")
    await writer.drain()


async def _write_body(writer: asyncio.StreamWriter, body: bytes) -> None:
    writer.write(
        b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: %d\r\n\r\n"
        % len(body)
    )
    view = memoryview(body)
    for start in range(0, len(body), CHUNK):
        writer.write(view[start : start + CHUNK])
        await writer.drain()


async def _serve(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, bodies: _Bodies
) -> None:
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            request_line = head.split(b"\r\n", 1)[0].decode("latin-1")
            method, target, _ = request_line.split(" ", 2)
            url = urlsplit(target)
            parts = url.path.strip("/").split("/")
            if method == "GET" and len(parts) == 4 and parts[1:4:2] == ["streams", "subscribe"]:
                await _write_stream(writer, bodies, uuid.UUID(parts[2]).int)
            elif method == "GET" and parts == ["v1", "runs"]:
                query = {k: int(v[-1]) for k, v in parse_qs(url.query).items()}
                await _write_body(
                    writer, bodies.page(query.get("limit", 20), query.get("offset", 0))
                )
            else:
                body = b'{"error":{"code":"not_found","message":"no such route"}}'
                writer.write(
                    b"HTTP/1.1 404 Not Found\r\ncontent-type: application/json\r\n"
                    b"content-length: %d\r\n\r\n%s" % (len(body), body)
                )
                await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
        pass
    finally:
        writer.close()


def _raise_open_files_limit() -> None:
    # A socket per subscription: thousands at once.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = 65536 if hard == resource.RLIM_INFINITY else hard
    if soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))


async def _main() -> None:
    _raise_open_files_limit()
    bodies = _Bodies()
    bodies.page(100, 0)
    server = await asyncio.start_server(
        lambda r, w: _serve(r, w, bodies), "127.0.0.1", 0, backlog=4096
    )
    port = server.sockets[0].getsockname()[1]
    print(port, flush=True)
    loop = asyncio.get_running_loop()
    # Serve until the parent closes our stdin (or dies).
    await loop.run_in_executor(None, sys.stdin.read)
    server.close()


if __name__ == "__main__":
    asyncio.run(_main())
