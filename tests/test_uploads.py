"""`files.upload_file` and `builds.upload` over a real loopback socket, both clients."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import hashlib
import io
import json
import logging
import os
import random
import re
import threading
import tracemalloc
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import pytest
from typing_extensions import assert_type

import hot_typed._uploads
from hot_typed import (
    AsyncHotClient,
    BadRequestError,
    BuildUpload,
    File,
    HotClient,
    HotConnectionError,
    HotUploadError,
    InternalServerError,
)
from hot_typed._models.files import MAX_UPLOAD_PARTS, UPLOAD_NOT_PENDING, upload_not_pending
from hot_typed._sources import UploadSource
from hot_typed._uploads import MIN_PART_SIZE, Part, plan_parts
from hot_typed.testing import (
    DropConnection,
    HotEmulator,
    HttpRequest,
    HttpResponse,
    LoopbackServer,
)
from hot_typed.testing._values import page

from .sse_script import close, resolve

MiB = 1024 * 1024
PART = 65_536
NOW = "2026-01-02T03:04:05Z"
DROP = 0
SLOW_DOWN = 4290
"""A failure status: 429 with `retry_after` 0 in its body (a plain 429 has none)."""


def digest_of(parts: list[bytes]) -> str:
    """The etag the test store gives a file: a digest over its parts' digests, in order."""
    return hashlib.sha256(b"".join(parts)).hexdigest()


def expected_etag(data_or_path: bytes | Path, part_size: int) -> str:
    digests: list[bytes] = []
    with (
        open(data_or_path, "rb") if isinstance(data_or_path, Path) else io.BytesIO(data_or_path)
    ) as file:
        while chunk := file.read(part_size):
            digests.append(hashlib.sha256(chunk).digest())
    if not digests:
        digests.append(hashlib.sha256(b"").digest())
    return digest_of(digests)


class FileStore:
    """The file endpoints, enough to test uploads: simple and multipart.

    It keeps each part's size and digest, never its bytes (it even drops the
    bodies of recorded PUTs), so what memory a test measures is in flight.
    `failures` maps a part number to the statuses its next attempts answer
    (`DROP`: the connection is closed without an answer); `abort_answers` are
    the answers of the next aborts, before the store would answer them itself;
    `lose_complete` cuts the connection of a `complete` once it has stored the
    file. A listing searches paths as the server does (containing the term),
    oldest first, and leaves out the paths in `unlisted`.
    """

    def __init__(
        self,
        part_size: int,
        failures: dict[int, list[int]] | None = None,
        abort_answers: list[HttpResponse] | None = None,
        lose_complete: bool = False,
    ) -> None:
        self.part_size = part_size
        self.failures = failures or {}
        self.abort_answers = abort_answers or []
        self.lose_complete = lose_complete
        self.unlisted: set[str] = set()
        self.uploads: dict[str, dict[str, Any]] = {}
        self.files: dict[str, dict[str, Any]] = {}
        self.in_flight = 0
        self.peak_in_flight = 0
        self._lock = threading.Lock()

    def _file(self, path: str, size: int, etag: str, content_type: str | None) -> dict[str, Any]:
        record = {
            "file_id": str(uuid.uuid4()),
            "path": path,
            "size": size,
            "etag": etag,
            "content_type": content_type,
            "storage_backend": "local",
            "created_by_run_id": None,
            "updated_by_run_id": None,
            "created_at": NOW,
            "updated_at": NOW,
        }
        self.files[path] = record
        return record

    def __call__(self, request: HttpRequest) -> HttpResponse:
        body = request.body
        if request.method == "PUT":
            request.body = b""
        segments = request.segments
        with self._lock:
            if request.method == "PUT" and segments[:3] == ["v1", "files", "upload"]:
                path = "/".join(segments[3:])
                digest = digest_of([hashlib.sha256(body).digest()])
                content_type = request.headers.get("content-type")
                return HttpResponse.json(
                    {"data": self._file(path, len(body), digest, content_type)}
                )
            if request.method == "POST" and segments == ["v1", "files", "uploads"]:
                wanted = json.loads(body)
                upload_id = str(uuid.uuid4())
                self.uploads[upload_id] = {
                    "path": wanted["path"],
                    "expected_size": wanted.get("expected_size"),
                    "content_type": wanted.get("content_type"),
                    "parts": {},
                    "status": "pending",
                }
                answer = {
                    "upload_id": upload_id,
                    "path": wanted["path"],
                    "part_size": self.part_size,
                    "expires_at": NOW,
                }
                return HttpResponse.json({"data": answer}, 201)
            if request.method == "GET" and segments == ["v1", "files"]:
                term = request.query.get("prefix", "")
                listed = [f for f in self.files.values() if f["path"] not in self.unlisted]
                found = [f for f in listed if term in f["path"]]
                return page(found, request.query)
            if segments[:3] != ["v1", "files", "uploads"] or len(segments) < 4:
                return _error(404, "not_found", f"no route {request.method} {request.path}")
            upload = self.uploads.get(segments[3])
            if upload is None:
                return _error(404, "not_found", "Upload not found")
            if request.method == "DELETE" and self.abort_answers:
                return self.abort_answers.pop(0)
            # crates/hot_api/src/handlers/files.rs: an upload no longer pending is refused.
            if upload["status"] != "pending":
                return _error(409, UPLOAD_NOT_PENDING, upload_not_pending(upload["status"]))
            if request.method == "DELETE":
                upload["status"] = "aborted"
                return HttpResponse(204)
            if request.method == "POST" and segments[4:] == ["complete"]:
                parts = upload["parts"]
                if sorted(parts) != list(range(1, len(parts) + 1)):
                    return _error(409, "upload_incomplete", f"parts {sorted(parts)}")
                upload["status"] = "completed"
                size = sum(size for size, _ in parts.values())
                etag = digest_of([parts[n][1] for n in sorted(parts)])
                record = self._file(upload["path"], size, etag, upload["content_type"])
                if self.lose_complete:
                    raise DropConnection
                return HttpResponse.json({"data": record})
            number = int(segments[4])
            statuses = self.failures.get(number)
            if statuses:
                status = statuses.pop(0)
                if status == DROP:
                    raise DropConnection
                if status == SLOW_DOWN:
                    wait = {"code": "rate_limit_exceeded", "message": "wait", "retry_after": 0}
                    return HttpResponse.json({"error": wait}, 429)
                return _error(status, "injected", f"part {number} refused with {status}")
            if len(body) > self.part_size:
                return _error(413, "part_too_large", "Part exceeds negotiated size")
            upload["parts"][number] = (len(body), hashlib.sha256(body).digest())
            answer = {"part_number": number, "size": len(body), "etag": f"e{number}"}
        return HttpResponse.json({"data": answer})


def _error(status: int, code: str, message: str) -> HttpResponse:
    return HttpResponse.json({"error": {"code": code, "message": message}}, status)


@pytest.fixture(params=["sync", "async"])
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


async def upload_file(
    mode: str, server: LoopbackServer, path: str, source: UploadSource, **options: Any
) -> File:
    """Upload with the default retry policy (max_retries=2): a part is tried up to 3 times."""
    if mode == "sync":
        with HotClient("token", base_url=server.base_url, max_retries=2) as hot:
            return assert_type(hot.files.upload_file(path, source, **options), File)
    async with AsyncHotClient("token", base_url=server.base_url, max_retries=2) as hot:
        return assert_type(await hot.files.upload_file(path, source, **options), File)


def write_random_file(path: Path, size: int, seed: int = 7) -> Path:
    generator = random.Random(seed)
    with open(path, "wb") as file:
        for start in range(0, size, MiB):
            file.write(generator.randbytes(min(MiB, size - start)))
    return path


def calls_to(server: LoopbackServer, method: str, *prefix: str) -> list[HttpRequest]:
    return [
        r
        for r in server.requests
        if r.method == method and r.segments[: len(prefix)] == list(prefix)
    ]


class Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple[int, int | None]] = []

    def __call__(self, done: int, total: int | None) -> None:
        self.calls.append((done, total))

    def assert_monotonic_and_complete(self, total: int) -> None:
        assert self.calls, "no progress reported"
        done = [d for d, _ in self.calls]
        assert done == sorted(done)
        assert all(t == total for _, t in self.calls)
        assert self.calls[-1] == (total, total)


@pytest.mark.usefixtures("small_parts")
async def test_a_50_mib_file_goes_up_in_parts_with_memory_bounded_by_parts_in_flight(
    mode: str, tmp_path: Path
) -> None:
    part_size, concurrency = 1 * MiB, 4
    source = write_random_file(tmp_path / "big.bin", 50 * MiB)
    store = FileStore(part_size)
    progress = Recorder()
    with LoopbackServer(store) as server:
        tracemalloc.start()
        try:
            stored = await upload_file(
                mode,
                server,
                "data/big.bin",
                source,
                part_size=part_size,
                concurrency=concurrency,
                on_progress=progress,
            )
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert stored.size == 50 * MiB
    assert stored.etag == expected_etag(source, part_size)
    assert len(calls_to(server, "PUT", "v1", "files", "uploads")) == 50
    # Both ends run in this process: at most `concurrency` parts on each side,
    # far below the 50 MiB of the file.
    assert peak < 3 * part_size * concurrency + 4 * MiB, f"peak {peak / MiB:.1f} MiB"
    progress.assert_monotonic_and_complete(50 * MiB)


async def test_without_part_size_the_servers_part_size_cuts_a_large_source(
    mode: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Only sources above the server's smallest part size go multipart; shrink
    # that threshold so a small source exercises the negotiated part size.
    monkeypatch.setattr(hot_typed._uploads, "DEFAULT_PART_SIZE", 64 * 1024)
    data = random.Random(1).randbytes(300_000)
    store = FileStore(part_size=100_000)
    with LoopbackServer(store) as server:
        stored = await upload_file(mode, server, "n/a.bin", data)
    assert stored.etag == expected_etag(data, 100_000)
    (initiate,) = [r for r in server.requests if r.path == "/v1/files/uploads"]
    assert initiate.json() == {"path": "n/a.bin", "expected_size": 300_000}
    parts = calls_to(server, "PUT", "v1", "files", "uploads")
    assert sorted(r.segments[-1] for r in parts) == ["1", "2", "3"]


@pytest.mark.parametrize("source_kind", ["bytes", "path", "file object at an offset", "bytearray"])
async def test_a_source_of_one_part_goes_in_a_single_request(
    mode: str, tmp_path: Path, source_kind: str
) -> None:
    data = b"header" + random.Random(2).randbytes(200_000)
    path = tmp_path / "small.bin"
    path.write_bytes(data)
    source: Any
    expected = data
    if source_kind == "bytes":
        source = data
    elif source_kind == "bytearray":
        source = bytearray(data)
    elif source_kind == "path":
        source = str(path)
    else:
        source = open(path, "rb")  # noqa: SIM115 (closed below)
        source.seek(6)
        expected = data[6:]
    progress = Recorder()
    try:
        with LoopbackServer(FileStore(MiB)) as server:
            stored = await upload_file(
                mode, server, "a b/small.bin", source, content_type="x/y", on_progress=progress
            )
    finally:
        if hasattr(source, "close"):
            assert not source.closed, "a caller's file object is left open"
            source.close()
    (put,) = server.requests
    assert put.method == "PUT"
    assert put.path == "/v1/files/upload/a%20b/small.bin"
    assert put.headers["content-type"] == "x/y"
    assert stored.size == len(expected)
    assert stored.etag == expected_etag(expected, MiB)
    progress.assert_monotonic_and_complete(len(expected))


async def test_an_empty_source_is_stored_empty(mode: str) -> None:
    progress = Recorder()
    with LoopbackServer(FileStore(MiB)) as server:
        stored = await upload_file(mode, server, "empty", b"", on_progress=progress)
    assert stored.size == 0
    assert progress.calls == [(0, 0)]


@pytest.mark.usefixtures("small_parts")
async def test_a_part_that_fails_is_sent_again_and_the_upload_completes(
    mode: str, caplog: pytest.LogCaptureFixture
) -> None:
    data = random.Random(3).randbytes(6 * 65_536 + 17)
    store = FileStore(65_536, failures={3: [500], 5: [503], 6: [DROP]})
    progress = Recorder()
    caplog.set_level(logging.INFO, "hot_typed")
    with LoopbackServer(store) as server:
        stored = await upload_file(
            mode, server, "retry.bin", data, part_size=65_536, on_progress=progress
        )
    assert stored.etag == expected_etag(data, 65_536)
    part_numbers = [r.segments[-1] for r in calls_to(server, "PUT", "v1", "files", "uploads")]
    assert part_numbers.count("3") == 2
    assert part_numbers.count("5") == 2
    assert part_numbers.count("6") == 2
    assert not calls_to(server, "DELETE")
    progress.assert_monotonic_and_complete(len(data))
    again = sorted(r.getMessage() for r in caplog.records if "again" in r.getMessage())
    assert again[:2] == [
        "sending part 3 again: 500 injected: part 3 refused with 500",
        "sending part 5 again: 503 injected: part 5 refused with 503",
    ]
    assert again[2].startswith("sending part 6 again: PUT http://127.0.0.1:")
    assert len(again) == 3


def _refuse_all(request: HttpRequest) -> HttpResponse:
    return _error(400, "bad_request", "refused")


@pytest.mark.usefixtures("small_parts")
@pytest.mark.parametrize(
    ("size", "step"),
    [(PART, "after 1 attempt(s)"), (2 * PART, "starting the multipart upload")],
    ids=["one-request", "multipart"],
)
async def test_an_upload_refused_from_its_first_request_says_which_step_failed(
    mode: str, size: int, step: str
) -> None:
    with LoopbackServer(_refuse_all) as server, pytest.raises(HotUploadError) as caught:
        await upload_file(mode, server, "no.bin", bytes(size), part_size=PART)
    error = caught.value
    cause = "BadRequestError: 400 bad_request: refused"
    assert str(error) == f"uploading 'no.bin' failed: {step}: {cause}"
    assert isinstance(error.__cause__, BadRequestError)
    assert (error.path, error.upload_id, error.part_number) == ("no.bin", None, None)
    assert len(server.requests) == 1


@pytest.mark.usefixtures("small_parts")
async def test_a_part_answered_429_is_sent_again_after_retry_after_or_backoff(mode: str) -> None:
    data = random.Random(6).randbytes(3 * 65_536)
    store = FileStore(65_536, failures={2: [429, SLOW_DOWN]})
    with LoopbackServer(store) as server:
        stored = await upload_file(mode, server, "busy.bin", data, part_size=65_536)
    assert stored.etag == expected_etag(data, 65_536)
    part_numbers = [r.segments[-1] for r in calls_to(server, "PUT", "v1", "files", "uploads")]
    assert part_numbers.count("2") == 3


@pytest.mark.usefixtures("small_parts")
async def test_part_attempts_follow_max_retries_and_never_multiply_with_transport_retries(
    mode: str,
) -> None:
    data = random.Random(5).randbytes(2 * 65_536)
    store = FileStore(65_536, failures={1: [503, 503, 503, 503, 503, 503]})
    kind = HotClient if mode == "sync" else AsyncHotClient
    with LoopbackServer(store) as server:
        hot = kind("token", base_url=server.base_url, max_retries=1)
        try:
            with pytest.raises(HotUploadError) as caught:
                await resolve(hot.files.upload_file("few.bin", data, part_size=65_536))
        finally:
            await close(hot)
    part_numbers = [r.segments[-1] for r in calls_to(server, "PUT", "v1", "files", "uploads")]
    # 1 + max_retries attempts of part 1, each sent once: 2, not 2 x 2.
    assert part_numbers.count("1") == 2
    assert "after 2 attempt(s)" in str(caught.value)


@pytest.mark.usefixtures("small_parts")
async def test_a_part_failing_for_good_aborts_the_upload_and_the_error_names_it(
    mode: str,
) -> None:
    data = random.Random(4).randbytes(4 * 65_536)
    store = FileStore(65_536, failures={2: [500, 500, 500, 500]})
    with LoopbackServer(store) as server, pytest.raises(HotUploadError) as caught:
        await upload_file(mode, server, "doomed.bin", data, part_size=65_536, concurrency=2)
    error = caught.value
    assert error.part_number == 2
    assert "part 2 of 4 (bytes 65536-131071) failed after 3 attempt(s)" in str(error)
    assert isinstance(error.__cause__, InternalServerError)
    assert "part 2 refused with 500" in str(error)
    (upload_id,) = store.uploads
    assert error.upload_id == upload_id
    assert error.aborted
    assert [r.path for r in calls_to(server, "DELETE")] == [f"/v1/files/uploads/{upload_id}"]
    assert not [r for r in server.requests if r.segments[-1:] == ["complete"]]
    assert store.uploads[upload_id]["status"] == "aborted"
    assert "doomed.bin" not in store.files


@pytest.mark.usefixtures("small_parts")
async def test_a_client_error_on_a_part_is_not_retried(mode: str) -> None:
    data = random.Random(5).randbytes(3 * 65_536)
    store = FileStore(65_536, failures={1: [400]})
    with LoopbackServer(store) as server, pytest.raises(HotUploadError) as caught:
        await upload_file(mode, server, "bad.bin", data, part_size=65_536, concurrency=1)
    assert caught.value.part_number == 1
    assert isinstance(caught.value.__cause__, BadRequestError)
    part_numbers = [r.segments[-1] for r in calls_to(server, "PUT", "v1", "files", "uploads")]
    assert part_numbers == ["1"], "no part is started after one failed for good"
    assert len(calls_to(server, "DELETE")) == 1


@pytest.mark.parametrize(
    ("size", "part_size", "parts"),
    [
        pytest.param(0, 1, [(1, 0, 0)], id="nothing-is-one-empty-part"),
        pytest.param(5, 5, [(1, 0, 5)], id="exactly-one-part"),
        pytest.param(10, 4, [(1, 0, 4), (2, 4, 4), (3, 8, 2)], id="a-shorter-last-part"),
        pytest.param(3, 1, [(1, 0, 1), (2, 1, 1), (3, 2, 1)], id="parts-of-one-byte"),
    ],
)
def test_a_source_is_cut_into_parts_of_the_part_size_the_last_one_shorter(
    size: int, part_size: int, parts: list[tuple[int, int, int]]
) -> None:
    assert plan_parts(size, part_size) == tuple(Part(*part) for part in parts)


@pytest.mark.parametrize(
    ("size", "part_size", "refusal"),
    [
        pytest.param(1, 0, "part_size must be positive, got 0", id="no-part-size"),
        pytest.param(
            MAX_UPLOAD_PARTS + 1,
            1,
            f"{MAX_UPLOAD_PARTS + 1} bytes in parts of 1 would take {MAX_UPLOAD_PARTS + 1} "
            f"parts; the server accepts at most {MAX_UPLOAD_PARTS}",
            id="a-part-too-many",
        ),
    ],
)
def test_a_plan_the_server_would_refuse_is_refused(size: int, part_size: int, refusal: str) -> None:
    with pytest.raises(ValueError, match=f"^{re.escape(refusal)}$"):
        plan_parts(size, part_size)
    # One part fewer is the most the server takes.
    assert len(plan_parts(MAX_UPLOAD_PARTS, 1)) == MAX_UPLOAD_PARTS


@pytest.mark.usefixtures("small_parts")
async def test_progress_moves_one_chunk_at_a_time_through_each_part_in_turn(mode: str) -> None:
    chunk = hot_typed._uploads.CHUNK_SIZE
    total = 3 * 2 * chunk
    store = FileStore(2 * chunk)
    threads: set[str] = set()

    def on_progress(done: int, size: int | None) -> None:
        progress(done, size)
        if 0 < done < total:
            threads.add(threading.current_thread().name)

    progress = Recorder()
    with LoopbackServer(store) as server:
        await upload_file(
            mode,
            server,
            "steps.bin",
            bytes(total),
            part_size=2 * chunk,
            concurrency=1,
            on_progress=on_progress,
        )
    assert progress.calls == [(done, total) for done in range(0, total + 1, chunk)]
    if mode == "sync":  # parts go from the blocking client's own named threads
        assert threads
        assert all(name.startswith("hot-typed-upload_") for name in threads)


@pytest.mark.usefixtures("small_parts")
async def test_a_part_size_above_the_servers_aborts_before_sending_parts(mode: str) -> None:
    with LoopbackServer(FileStore(65_536)) as server, pytest.raises(HotUploadError) as caught:
        await upload_file(mode, server, "x.bin", bytes(300_000), part_size=100_000)
    assert isinstance(caught.value.__cause__, ValueError)
    assert str(caught.value).endswith(
        "ValueError: part_size 100000 exceeds the 65536 bytes the server accepts per part"
    )
    assert not calls_to(server, "PUT")
    assert len(calls_to(server, "DELETE")) == 1


# One more than a thread pool's default number of threads.
BEYOND_DEFAULT_THREADS = min(32, (os.cpu_count() or 1) + 4) + 1


@pytest.mark.usefixtures("small_parts")
@pytest.mark.parametrize("concurrency", [2, BEYOND_DEFAULT_THREADS], ids=["2", "many"])
async def test_concurrency_parts_and_no_more_are_on_the_wire_at_once(
    mode: str, concurrency: int
) -> None:
    store = FileStore(65_536)
    active = 0
    peak = 0
    lock = threading.Lock()
    entered = threading.Barrier(concurrency, timeout=5)

    def handler(request: HttpRequest) -> HttpResponse:
        nonlocal active, peak
        is_part = request.method == "PUT" and request.segments[2] == "uploads"
        if is_part:
            with lock:
                active += 1
                peak = max(peak, active)
            # Hold the first parts until all `concurrency` are in: proves they overlap.
            if int(request.segments[-1]) <= concurrency:
                entered.wait()
        try:
            return store(request)
        finally:
            if is_part:
                with lock:
                    active -= 1

    size = 3 * concurrency * 65_536
    with LoopbackServer(handler) as server:
        await upload_file(
            mode, server, "c.bin", bytes(size), part_size=65_536, concurrency=concurrency
        )
    assert peak == concurrency


@pytest.mark.parametrize(
    ("source", "options", "error", "message"),
    [
        (b"x", {"concurrency": 0}, ValueError, "concurrency must be at least 1, got 0"),
        (b"x", {"part_size": 0}, ValueError, "part_size must be positive, got 0"),
        (
            io.StringIO("text"),
            {},
            TypeError,
            "source must be opened in binary mode ('rb'), not text mode",
        ),
        (12, {}, TypeError, "source must be a path, a binary file object or bytes, got int"),
    ],
)
async def test_invalid_arguments_fail_before_any_request(
    mode: str, source: Any, options: dict[str, Any], error: type[Exception], message: str | None
) -> None:
    with LoopbackServer(FileStore(MiB)) as server, pytest.raises(error) as refused:
        await upload_file(mode, server, "x", source, **options)
    assert server.requests == []
    if message is not None:
        assert str(refused.value) == message


@pytest.mark.usefixtures("small_parts")
async def test_the_smallest_arguments_are_taken(mode: str) -> None:
    store = FileStore(1)
    with LoopbackServer(store) as server:
        stored = await upload_file(mode, server, "x", b"abc", part_size=1, concurrency=1)
    assert stored.size == 3
    assert [r.segments[-1] for r in calls_to(server, "PUT")] == ["1", "2", "3"]


async def test_a_non_seekable_file_object_is_refused(mode: str) -> None:
    read_end, write_end = os.pipe()
    os.write(write_end, b"data")
    os.close(write_end)
    with (
        open(read_end, "rb") as pipe,
        LoopbackServer(FileStore(MiB)) as server,
        pytest.raises(TypeError) as refused,
    ):
        await upload_file(mode, server, "x", pipe)
    assert server.requests == []
    assert str(refused.value) == (
        "source must be seekable (its size is needed up front); pass its bytes or a path instead"
    )


async def test_a_source_that_shrinks_while_uploading_fails_naming_what_was_read(
    mode: str, tmp_path: Path
) -> None:
    path = tmp_path / "shrinking.bin"
    path.write_bytes(b"0123456789")

    def shrink(done: int, total: int | None) -> None:
        if done == 0:  # reported once the source is open, before it is read
            path.write_bytes(b"012")

    with LoopbackServer(FileStore(MiB)) as server, pytest.raises(HotUploadError) as caught:
        await upload_file(mode, server, "x", path, on_progress=shrink)
    assert server.requests == []
    assert str(caught.value) == (
        "uploading 'x' failed: after 1 attempt(s): OSError: the source ended early: "
        "read 3 of 10 bytes at offset 0"
    )


async def upload_to_emulator(
    mode: str, emu: HotEmulator, path: str, data: bytes, part_size: int = PART
) -> File:
    hot: Any = emu.client() if mode == "sync" else emu.async_client()
    try:
        return await resolve(hot.files.upload_file(path, data, part_size=part_size))
    finally:
        await close(hot)


@pytest.mark.parametrize(
    ("size", "part_size", "parts"),
    [
        pytest.param(3 * MiB, MiB, None, id="parts-of-1-mib"),
        pytest.param(MIN_PART_SIZE + 1, MIN_PART_SIZE - 1, None, id="a-byte-under-the-minimum"),
        pytest.param(MIN_PART_SIZE + 1, MIN_PART_SIZE, 2, id="the-minimum-and-a-last-byte"),
        pytest.param(MiB, MiB, 0, id="one-part-of-any-size"),
    ],
)
async def test_parts_too_small_for_object_storage_are_refused_before_initiating(
    mode: str, size: int, part_size: int, parts: int | None
) -> None:
    # The emulator plays object storage: non-final parts under MIN_PART_SIZE make
    # `complete` fail with a 500, after every byte was sent.
    data = random.Random(8).randbytes(size)
    with HotEmulator() as emu:
        if parts is None:
            with pytest.raises(ValueError, match=f"minimum of {MIN_PART_SIZE} bytes"):
                await upload_to_emulator(mode, emu, "big.bin", data, part_size)
            assert emu.requests == []
        else:
            stored = await upload_to_emulator(mode, emu, "big.bin", data, part_size)
            assert stored.size == size
            puts = [r for r in emu.requests if r.segments[:3] == ["v1", "files", "uploads"]]
            assert len([r for r in puts if r.method == "PUT"]) == parts


# ------------------------------------------- how an upload ended, when unsure

AN_UPLOAD = "/files/uploads/"
"""The paths of an upload's parts, `complete` and abort (not of starting one)."""


@pytest.mark.usefixtures("small_parts")
@pytest.mark.parametrize(
    "path", ["reports/q3.bin", str(uuid.UUID(int=7))], ids=["a-path", "a-uuid-shaped-path"]
)
async def test_an_upload_completed_whose_answer_was_lost_returns_the_stored_file(
    mode: str, path: str
) -> None:
    # The server stored the file, then the connection was cut before its answer.
    # Aborting then tells (409 upload_not_pending, status `completed`), and the
    # record is found by its path, even one the server would read as a run id.
    data = random.Random(9).randbytes(3 * PART + 5)
    with HotEmulator(part_size=PART, min_part_size=PART) as emu:
        emu.faults.lose_answer(path=AN_UPLOAD, method="POST")
        stored = await upload_to_emulator(mode, emu, path, data)
        ending = [(r.method, r.segments[2:3], r.query) for r in emu.requests[-3:]]
        with emu.client() as hot:
            assert stored == hot.files.get(stored.file_id)
            assert hot.files.download(stored.file_id).content == data
    assert stored.path == path
    term = path if "/" in path else path[:-1]
    assert ending == [
        ("POST", ["uploads"], {}),
        ("DELETE", ["uploads"], {}),
        ("GET", [], {"prefix": term, "limit": "500"}),
    ]


@pytest.mark.usefixtures("small_parts")
async def test_an_upload_completed_whose_record_cannot_be_read_says_it_is_stored(
    mode: str,
) -> None:
    with HotEmulator(part_size=PART, min_part_size=PART) as emu:
        emu.faults.lose_answer(path=AN_UPLOAD, method="POST")
        emu.faults.fail_next(500, path="/files", method="GET", seconds=60)
        with pytest.raises(HotUploadError) as caught:
            await upload_to_emulator(mode, emu, "kept.bin", bytes(2 * PART))
        emu.faults.clear()
        with emu.client() as hot:
            [kept] = [f for f in hot.files.list() if f.path == "kept.bin"]
    error = caught.value
    assert (error.completed, error.aborted, error.part_number) == (True, False, None)
    assert error.upload_id is not None
    assert str(error) == (
        "uploading 'kept.bin' failed: the server says the upload completed, so the file is "
        "stored, but its record could not be read: InternalServerError: 500 "
        "internal_server_error: Injected failure (500)"
    )
    assert isinstance(error.__cause__, InternalServerError)
    assert kept.size == 2 * PART


@pytest.mark.usefixtures("small_parts")
async def test_a_complete_refused_before_storing_anything_is_aborted(mode: str) -> None:
    with HotEmulator(part_size=PART, min_part_size=PART) as emu:
        emu.faults.fail_next(500, seconds=60, path=AN_UPLOAD, method="POST")
        with pytest.raises(HotUploadError) as caught:
            await upload_to_emulator(mode, emu, "never.bin", bytes(2 * PART))
        with emu.client() as hot:
            assert [f for f in hot.files.list() if f.path == "never.bin"] == []
    error = caught.value
    assert (error.completed, error.aborted) == (False, True)
    assert error.upload_id is not None
    assert str(error) == (
        "uploading 'never.bin' failed: the multipart upload did not finish: "
        "InternalServerError: 500 internal_server_error: Injected failure (500)"
    )


def _refused(code: str, status: str) -> HttpResponse:
    return _error(409, code, upload_not_pending(status))


ABORTED_ALREADY = "aborting upload {}: discarded: nothing was stored (409 upload_not_pending: "


@pytest.mark.usefixtures("small_parts")
@pytest.mark.parametrize(
    ("abort_answers", "aborted", "log"),
    [
        pytest.param([], True, None, id="204"),
        # A repeat whose first attempt aborted it (its answer lost).
        pytest.param(
            [_refused(UPLOAD_NOT_PENDING, "aborted")],
            True,
            ("INFO", ABORTED_ALREADY),
            id="409-aborted",
        ),
        # Expired and being discarded by the server's sweeper: not confirmed.
        pytest.param(
            [_refused(UPLOAD_NOT_PENDING, "aborting")],
            False,
            ("WARNING", "could not abort upload {}: 409 upload_not_pending: "),
            id="409-aborting",
        ),
        pytest.param(
            [_refused("conflict", "aborted")],
            False,
            ("WARNING", "could not abort upload {}: 409 conflict: "),
            id="409-another-code",
        ),
        pytest.param(
            [_error(500, "internal_server_error", "x")] * 3,
            False,
            ("WARNING", "could not abort upload {}: 500 internal_server_error: x"),
            id="500",
        ),
    ],
)
async def test_an_upload_counts_as_aborted_only_when_the_server_confirms_it(
    mode: str,
    abort_answers: list[HttpResponse],
    aborted: bool,
    log: tuple[str, str] | None,
    caplog: pytest.LogCaptureFixture,
) -> None:
    store = FileStore(PART, failures={1: [400]}, abort_answers=list(abort_answers))
    caplog.set_level(logging.INFO, "hot_typed")
    with LoopbackServer(store) as server, pytest.raises(HotUploadError) as caught:
        await upload_file(mode, server, "gone.bin", bytes(2 * PART), part_size=PART, concurrency=1)
    assert (caught.value.aborted, caught.value.completed) == (aborted, False)
    said = [
        (r.levelname, r.getMessage())
        for r in caplog.records
        if "abort" in r.getMessage() and r.levelno >= logging.INFO
    ]
    if log is None:
        assert said == []
    else:
        level, start = log
        [(said_level, message)] = said
        assert said_level == level
        assert message.startswith(start.format(caught.value.upload_id))


@pytest.mark.usefixtures("small_parts")
async def test_a_stored_file_is_searched_for_page_after_page(mode: str) -> None:
    store = FileStore(PART, lose_complete=True)
    for n in range(600):  # older files the search also selects, listed first here
        store._file(f"shelf/x.bin.{n}", 1, "e", None)  # pyright: ignore[reportPrivateUsage]
    with LoopbackServer(store) as server:
        stored = await upload_file(mode, server, "shelf/x.bin", bytes(2 * PART), part_size=PART)
    assert (stored.path, stored.size) == ("shelf/x.bin", 2 * PART)
    searches = [r.query for r in calls_to(server, "GET", "v1", "files")]
    assert [search.get("offset") for search in searches] == [None, "500"]


@pytest.mark.usefixtures("small_parts")
async def test_a_stored_file_the_search_does_not_find_is_reported_stored(mode: str) -> None:
    store = FileStore(PART, lose_complete=True)
    store.unlisted.add("shelf/x.bin")  # as if deleted or moved as soon as stored
    with LoopbackServer(store) as server, pytest.raises(HotUploadError) as caught:
        await upload_file(mode, server, "shelf/x.bin", bytes(2 * PART), part_size=PART)
    error = caught.value
    (upload_id,) = store.uploads
    assert (error.completed, error.aborted) == (True, False)
    assert error.upload_id == upload_id
    assert str(error).startswith(
        "uploading 'shelf/x.bin' failed: the server says the upload completed, so the "
        "file is stored, but its record could not be read: HotConnectionError: POST "
    )
    assert isinstance(error.__cause__, HotConnectionError)


@pytest.mark.usefixtures("small_parts")
async def test_an_abort_whose_answer_was_lost_is_confirmed_by_its_repeat(mode: str) -> None:
    with HotEmulator(part_size=PART, min_part_size=PART) as emu:
        emu.faults.fail_next(400, path=AN_UPLOAD, method="PUT")
        emu.faults.lose_answer(path=AN_UPLOAD, method="DELETE")
        with pytest.raises(HotUploadError) as caught:
            await upload_to_emulator(mode, emu, "cut.bin", bytes(2 * PART))
        deletes = [r for r in emu.requests if r.method == "DELETE"]
    assert caught.value.aborted
    assert len(deletes) == 2


# ---------------------------------------------------------------- builds.upload


def build_handler(request: HttpRequest) -> HttpResponse:
    record = {
        "build_id": str(uuid.uuid4()),
        "project_id": str(uuid.uuid4()),
        "hash": "h",
        "size": len(request.body),
        "storage_path": "builds/x",
        "storage_backend": "local",
        "created_at": NOW,
    }
    return HttpResponse.json({"data": record}, 201)


async def upload_build(
    mode: str, server: LoopbackServer, file: UploadSource, max_retries: int = 0
) -> BuildUpload:
    if mode == "sync":
        with HotClient("token", base_url=server.base_url, max_retries=max_retries) as hot:
            return assert_type(hot.builds.upload("proj", file=file, hash="abc"), BuildUpload)
    async with AsyncHotClient("token", base_url=server.base_url, max_retries=max_retries) as hot:
        return assert_type(await hot.builds.upload("proj", file=file, hash="abc"), BuildUpload)


@pytest.fixture
def archive(tmp_path: Path) -> Path:
    path = tmp_path / "build.tar.gz"
    path.write_bytes(random.Random(6).randbytes(300_000))
    return path


@pytest.mark.parametrize("kind", ["path", "str path", "file object", "bytes"])
async def test_build_upload_streams_a_path_or_file_object_as_the_form_file(
    mode: str, archive: Path, kind: str
) -> None:
    data = archive.read_bytes()
    source: Any = {
        "path": archive,
        "str path": str(archive),
        "file object": None,
        "bytes": data,
    }[kind]
    with LoopbackServer(build_handler) as server:
        if kind == "file object":
            with open(archive, "rb") as file:
                await upload_build(mode, server, file)
        else:
            await upload_build(mode, server, source)
    (request,) = server.requests
    assert request.segments == ["v1", "projects", "proj", "builds"]
    assert "transfer-encoding" not in request.headers
    assert int(request.headers["content-length"]) == len(request.body)
    assert data in request.body
    assert b'name="hash"\r\n\r\nabc\r\n' in request.body
    filename = "upload" if kind == "bytes" else "build.tar.gz"
    assert f'name="file"; filename="{filename}"'.encode() in request.body


class ReadOnly:
    """A binary file object that can only be read once (a response body, a
    decompressor): no seek, no fileno."""

    def __init__(self, data: bytes) -> None:
        self._data = data

    def read(self, size: int = -1) -> bytes:
        size = len(self._data) if size < 0 else size
        chunk, self._data = self._data[:size], self._data[size:]
        return chunk


@pytest.mark.parametrize("kind", ["pipe", "read-only object"])
async def test_a_build_archive_that_cannot_be_read_again_is_refused_before_sending(
    mode: str, kind: str
) -> None:
    # A 429 (handlers/builds.rs, too many uploads at once) is sent again: from a
    # reader already drained, that would store an empty archive. And a pipe's
    # fstat size (0) would be sent as the archive's length.
    with contextlib.ExitStack() as stack:
        if kind == "pipe":
            read_end, write_end = os.pipe()
            os.write(write_end, b"PK\x03\x04")
            os.close(write_end)
            source: Any = stack.enter_context(open(read_end, "rb"))
        else:
            source = ReadOnly(b"PK\x03\x04")
        server = stack.enter_context(LoopbackServer(build_handler))
        with pytest.raises(TypeError, match="file must be seekable"):
            await upload_build(mode, server, source)
    assert server.requests == []


@pytest.mark.parametrize(
    ("kind", "filename"),
    [("path", "build.tar.gz"), ("named file", "build.tar.gz"), ("nameless file", "upload")],
)
async def test_a_build_archive_goes_as_a_form_file_named_after_its_file(
    mode: str, archive: Path, kind: str, filename: str
) -> None:
    data = archive.read_bytes()
    source: Any = archive if kind == "path" else open(archive, "rb")  # noqa: SIM115
    if kind == "nameless file":
        source.close()
        source = io.BytesIO(data)
    try:
        with LoopbackServer(build_handler) as server:
            await upload_build(mode, server, source)
    finally:
        if kind != "path":
            source.close()
    (sent,) = server.requests
    assert f'name="file"; filename="{filename}"'.encode() in sent.body
    assert b"\r\n\r\n" + data + b"\r\n--" in sent.body


def open_on(path: Path) -> int:
    """How many of this process's file descriptors are open on `path` (Linux)."""
    fds = Path("/proc/self/fd")
    links = []
    for fd in fds.iterdir():
        with contextlib.suppress(OSError):
            links.append(os.readlink(fd))
    return links.count(str(path))


@pytest.mark.usefixtures("small_parts")
@pytest.mark.parametrize(
    "operation", ["upload_file in one request", "upload_file in parts", "builds.upload"]
)
# A file left for the garbage collector to close warns when it does: an error here.
@pytest.mark.filterwarnings("error::ResourceWarning")
async def test_a_path_source_is_closed_once_sent(mode: str, archive: Path, operation: str) -> None:
    with LoopbackServer(
        build_handler if operation == "builds.upload" else FileStore(PART)
    ) as server:
        if operation == "builds.upload":
            await upload_build(mode, server, archive)
        else:
            part_size = None if operation == "upload_file in one request" else PART
            await upload_file(mode, server, "a.bin", archive, part_size=part_size)
    assert open_on(archive) == 0
    gc.collect()


@pytest.fixture
def named_pipe(tmp_path: Path) -> Iterator[Path]:
    """A FIFO holding a few bytes, with a writer open, so opening it to read does not block."""
    path = tmp_path / "pipe.tar.gz"
    os.mkfifo(path)
    writer = os.open(path, os.O_RDWR)  # Linux: a FIFO opened read-write is its own writer
    try:
        os.write(writer, b"PK\x03\x04")
        yield path
    finally:
        os.close(writer)


@pytest.mark.parametrize(
    ("operation", "argument"), [("upload_file", "source"), ("builds.upload", "file")]
)
async def test_a_path_to_a_named_pipe_is_refused_before_sending_naming_the_argument(
    mode: str, named_pipe: Path, operation: str, argument: str
) -> None:
    # A pipe is read once and its size is unknown (stat says 0): sent as a form file
    # from its path, it went up as an empty archive.
    async def upload(server: LoopbackServer) -> object:
        if operation == "builds.upload":
            return await upload_build(mode, server, named_pipe)
        return await upload_file(mode, server, "x", named_pipe)

    with (
        LoopbackServer(build_handler if operation == "builds.upload" else FileStore(MiB)) as server,
        pytest.raises(TypeError) as refused,
    ):
        await upload(server)
    assert server.requests == []
    assert str(refused.value) == (
        f"{argument} must be seekable (its size is needed up front); "
        "pass its bytes or a path instead"
    )


async def test_an_archive_path_turned_into_a_named_pipe_before_a_repeat_is_refused(
    mode: str, archive: Path
) -> None:
    data = archive.read_bytes()
    writer: list[int] = []

    def handler(request: HttpRequest) -> HttpResponse:
        # Between the 429 and its repeat, the path becomes a pipe.
        archive.unlink()
        os.mkfifo(archive)
        writer.append(os.open(archive, os.O_RDWR))
        wait = {"code": "rate_limit_exceeded", "message": "busy", "retry_after": 0}
        return HttpResponse.json({"error": wait}, 429)

    try:
        with LoopbackServer(handler) as server, pytest.raises(TypeError) as refused:
            await upload_build(mode, server, archive, max_retries=1)
    finally:
        for fd in writer:
            os.close(fd)
    assert b"\r\n\r\n" + data + b"\r\n--" in server.requests[0].body
    assert str(refused.value) == (
        "file must be seekable (its size is needed up front); pass its bytes or a path instead"
    )


class CountedReads(io.BytesIO):
    """An in-memory file that records the size of each read asked of it."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.sizes: list[int | None] = []

    def read(self, size: int | None = -1, /) -> bytes:
        self.sizes.append(size)
        return super().read(size)


async def test_a_build_archive_file_object_is_streamed_never_read_whole(
    mode: str, archive: Path
) -> None:
    data = archive.read_bytes()
    file = CountedReads(data)
    with LoopbackServer(build_handler) as server:
        await upload_build(mode, server, file)
    (sent,) = server.requests
    assert b"\r\n\r\n" + data + b"\r\n--" in sent.body
    assert len(file.sizes) > 1
    assert all(size is not None and 0 < size < len(data) for size in file.sizes), file.sizes


async def test_a_build_archive_opened_as_text_is_refused_naming_the_argument(
    mode: str, archive: Path
) -> None:
    with (
        open(archive, encoding="latin-1") as text,
        LoopbackServer(build_handler) as server,
        pytest.raises(TypeError) as refused,
    ):
        await upload_build(mode, server, cast(Any, text))  # what a type checker would refuse
    assert server.requests == []
    assert str(refused.value) == "file must be opened in binary mode ('rb'), not text mode"


async def test_a_build_archive_is_sent_from_the_file_position_again_after_a_429(
    mode: str, archive: Path
) -> None:
    data = archive.read_bytes()

    def handler(request: HttpRequest) -> HttpResponse:
        if len(server.requests) == 1:
            wait = {"code": "rate_limit_exceeded", "message": "busy", "retry_after": 0}
            return HttpResponse.json({"error": wait}, 429)
        return build_handler(request)

    with LoopbackServer(handler) as server, open(archive, "rb") as file:
        file.seek(1000)
        await upload_build(mode, server, file, max_retries=1)
    assert len(server.requests) == 2
    for request in server.requests:
        assert int(request.headers["content-length"]) == len(request.body)
        # The whole form file is the archive from byte 1000 on, each time.
        assert b"\r\n\r\n" + data[1000:] + b"\r\n--" in request.body


@pytest.mark.usefixtures("small_parts")
async def test_a_cancelled_async_upload_is_aborted_on_the_server() -> None:
    store = FileStore(65_536)
    release = threading.Event()
    progressed = asyncio.Event()

    def handler(request: HttpRequest) -> HttpResponse:
        if request.method == "PUT" and request.segments[-1] == "2":
            release.wait(5)
        return store(request)

    def on_progress(done: int, total: int | None) -> None:
        if done > 65_536:
            progressed.set()

    with LoopbackServer(handler) as server:
        async with AsyncHotClient("token", base_url=server.base_url) as hot:
            task = asyncio.create_task(
                hot.files.upload_file(
                    "c.bin", bytes(4 * 65_536), part_size=65_536, on_progress=on_progress
                )
            )
            await asyncio.wait_for(progressed.wait(), 5)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
        release.set()
    (upload_id,) = store.uploads
    assert store.uploads[upload_id]["status"] == "aborted"
    assert not [r for r in server.requests if r.segments[-1:] == ["complete"]]


@pytest.mark.usefixtures("small_parts")
def test_an_interrupted_blocking_upload_is_aborted_on_the_server() -> None:
    store = FileStore(65_536)

    def interrupt(done: int, total: int | None) -> None:
        if done > 65_536:
            raise KeyboardInterrupt

    with (
        LoopbackServer(store) as server,
        HotClient("token", base_url=server.base_url) as hot,
        pytest.raises(KeyboardInterrupt),
    ):
        hot.files.upload_file("i.bin", bytes(6 * 65_536), part_size=65_536, on_progress=interrupt)
    (upload_id,) = store.uploads
    assert store.uploads[upload_id]["status"] == "aborted"
    assert not [r for r in server.requests if r.segments[-1:] == ["complete"]]
