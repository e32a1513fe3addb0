"""`files.download_to` over a real loopback socket, both clients."""

from __future__ import annotations

import asyncio
import hashlib
import os
import random
import re
import secrets
import stat
import threading
import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from typing_extensions import assert_type

from hot_typed import (
    AsyncHotClient,
    HotClient,
    HotConnectionError,
    HotTimeoutError,
    NotFoundError,
)
from hot_typed.progress import ProgressCallback
from hot_typed.testing import DropConnection, HttpRequest, HttpResponse, LoopbackServer

MiB = 1024 * 1024
FILE_ID = "0b6c7a52-8f0e-4c53-a4a5-3d7e0e0f2a11"
MISSING_ID = "0b6c7a52-8f0e-4c53-a4a5-3d7e0e0f2a12"


def random_chunks(size: int, seed: int = 11, chunk: int = 256 * 1024) -> Iterator[bytes]:
    """`size` pseudo-random bytes, made a chunk at a time."""
    generator = random.Random(seed)
    for start in range(0, size, chunk):
        yield generator.randbytes(min(chunk, size - start))


def digest(chunks: Iterator[bytes]) -> str:
    hasher = hashlib.sha256()
    for chunk in chunks:
        hasher.update(chunk)
    return hasher.hexdigest()


def serving(body: Callable[[], bytes | Iterator[bytes]]) -> Callable[[HttpRequest], HttpResponse]:
    def handler(request: HttpRequest) -> HttpResponse:
        if request.path != f"/v1/files/{FILE_ID}/download":
            return HttpResponse.json({"error": {"code": "not_found", "message": "no"}}, 404)
        return HttpResponse(200, body(), {"Content-Type": "application/octet-stream"})

    return handler


@pytest.fixture(params=["sync", "async"])
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


async def download_to(
    mode: str,
    server: LoopbackServer,
    destination: Path,
    on_progress: ProgressCallback | None = None,
    file_id: str = FILE_ID,
    timeout: float | None = None,
) -> Path:
    if mode == "sync":
        with HotClient("token", base_url=server.base_url, max_retries=0) as hot:
            path = hot.files.download_to(
                file_id, destination, on_progress=on_progress, timeout=timeout
            )
            return assert_type(path, Path)
    async with AsyncHotClient("token", base_url=server.base_url, max_retries=0) as hot:
        path = await hot.files.download_to(
            file_id, destination, on_progress=on_progress, timeout=timeout
        )
        return assert_type(path, Path)


class Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple[int, int | None]] = []

    def __call__(self, done: int, total: int | None) -> None:
        self.calls.append((done, total))


def assert_monotonic_and_complete(calls: list[tuple[int, int | None]], total: int) -> None:
    done = [d for d, _ in calls]
    assert done == sorted(done)
    assert len(calls) > 2
    assert calls[-1] == (total, total)


async def test_a_50_mib_download_streams_to_disk_with_bounded_memory(
    mode: str, tmp_path: Path
) -> None:
    size = 50 * MiB
    destination = tmp_path / "big.bin"
    progress = Recorder()
    with LoopbackServer(serving(lambda: random_chunks(size))) as server:
        tracemalloc.start()
        try:
            result = await download_to(mode, server, destination, progress)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert result == destination
    assert destination.stat().st_size == size
    with open(destination, "rb") as file:
        assert digest(iter(lambda: file.read(MiB), b"")) == digest(random_chunks(size))
    assert peak < 4 * MiB, f"peak {peak / MiB:.1f} MiB"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["big.bin"]
    # Streamed with chunked encoding: no length announced, the total is what came.
    assert all(total is None for _, total in progress.calls[:-1])
    assert_monotonic_and_complete(progress.calls, size)


async def test_progress_counts_against_the_announced_length(mode: str, tmp_path: Path) -> None:
    body = random.Random(3).randbytes(3 * MiB + 5)
    progress = Recorder()
    with LoopbackServer(serving(lambda: body)) as server:
        await download_to(mode, server, tmp_path / "f.bin", progress)
    assert (tmp_path / "f.bin").read_bytes() == body
    assert all(total == len(body) for _, total in progress.calls)
    assert_monotonic_and_complete(progress.calls, len(body))


def cut_after(size: int) -> Iterator[bytes]:
    yield from random_chunks(size)
    raise DropConnection


async def test_an_interrupted_download_leaves_no_file(mode: str, tmp_path: Path) -> None:
    destination = tmp_path / "cut.bin"
    progress = Recorder()
    with (
        LoopbackServer(serving(lambda: cut_after(2 * MiB))) as server,
        pytest.raises(HotConnectionError, match="was cut"),
    ):
        await download_to(mode, server, destination, progress)
    assert list(tmp_path.iterdir()) == []
    assert progress.calls, "bytes arrived before the cut"


async def test_a_download_that_stalls_times_out_naming_its_request(
    mode: str, tmp_path: Path
) -> None:
    release = threading.Event()

    def stall() -> Iterator[bytes]:
        yield b"first bytes"
        release.wait(5)

    url = ""
    try:
        with LoopbackServer(serving(stall)) as server:
            url = f"{server.base_url}/v1/files/{FILE_ID}/download"
            with pytest.raises(HotTimeoutError) as caught:
                await download_to(mode, server, tmp_path / "s.bin", timeout=0.2)
            release.set()
    finally:
        release.set()
    assert str(caught.value) == f"download GET {url} timed out while reading the body"
    assert caught.value.request is not None
    assert str(caught.value.request.url) == url
    assert list(tmp_path.iterdir()) == []


async def test_an_interrupted_download_leaves_an_existing_destination_untouched(
    mode: str, tmp_path: Path
) -> None:
    destination = tmp_path / "keep.bin"
    destination.write_bytes(b"previous version")
    with (
        LoopbackServer(serving(lambda: cut_after(MiB))) as server,
        pytest.raises(HotConnectionError),
    ):
        await download_to(mode, server, destination)
    assert destination.read_bytes() == b"previous version"
    assert list(tmp_path.iterdir()) == [destination]


async def test_a_completed_download_replaces_the_destination(mode: str, tmp_path: Path) -> None:
    destination = tmp_path / "keep.bin"
    destination.write_bytes(b"previous version")
    with LoopbackServer(serving(lambda: b"new")) as server:
        await download_to(mode, server, destination)
    assert destination.read_bytes() == b"new"
    assert list(tmp_path.iterdir()) == [destination]


async def test_an_error_status_creates_no_file(mode: str, tmp_path: Path) -> None:
    with LoopbackServer(serving(lambda: b"never")) as server, pytest.raises(NotFoundError):
        await download_to(mode, server, tmp_path / "x", file_id=MISSING_ID)
    assert list(tmp_path.iterdir()) == []


async def test_a_failing_progress_callback_leaves_no_file(mode: str, tmp_path: Path) -> None:
    def explode(done: int, total: int | None) -> None:
        if done > MiB:
            raise RuntimeError("stop here")

    with (
        LoopbackServer(serving(lambda: random_chunks(4 * MiB))) as server,
        pytest.raises(RuntimeError, match="stop here"),
    ):
        await download_to(mode, server, tmp_path / "x", explode)
    assert list(tmp_path.iterdir()) == []


async def test_a_directory_destination_is_refused(mode: str, tmp_path: Path) -> None:
    with (
        LoopbackServer(serving(lambda: b"data")) as server,
        pytest.raises(IsADirectoryError) as refused,
    ):
        await download_to(mode, server, tmp_path)
    assert server.requests == []
    assert str(refused.value) == f"destination {str(tmp_path)!r} is a directory"


async def test_download_path_is_encoded(mode: str, tmp_path: Path) -> None:
    seen: list[str] = []

    def handler(request: HttpRequest) -> HttpResponse:
        seen.append(request.path)
        return HttpResponse(200, b"ok")

    with LoopbackServer(handler) as server:
        # A braced UUID, which the server's parser takes: its braces are encoded.
        await download_to(mode, server, tmp_path / "f", file_id="{" + FILE_ID + "}")
    assert seen == [f"/v1/files/%7B{FILE_ID}%7D/download"]


async def test_a_cancelled_async_download_leaves_no_file(tmp_path: Path) -> None:
    started = asyncio.Event()
    release = threading.Event()

    def slow() -> Iterator[bytes]:
        yield b"x" * 65_536
        release.wait(5)
        yield b"y"

    def on_progress(done: int, total: int | None) -> None:
        if done:
            started.set()

    with LoopbackServer(serving(slow)) as server:
        async with AsyncHotClient("token", base_url=server.base_url) as hot:
            task = asyncio.create_task(
                hot.files.download_to(FILE_ID, tmp_path / "x", on_progress=on_progress)
            )
            await asyncio.wait_for(started.wait(), 5)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
        release.set()
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("umask", "expected"), [(0o027, 0o640), (0, 0o666)])
async def test_a_downloaded_file_gets_the_usual_mode(
    mode: str, tmp_path: Path, umask: int, expected: int
) -> None:
    before = os.umask(umask)
    try:
        with LoopbackServer(serving(lambda: b"data")) as server:
            await download_to(mode, server, tmp_path / "f")
    finally:
        os.umask(before)
    assert stat.S_IMODE((tmp_path / "f").stat().st_mode) == expected


async def test_a_staging_file_left_by_another_download_is_passed_over_untouched(
    mode: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    names = iter(["left0ver0000", "fresh0000000"])
    monkeypatch.setattr(secrets, "token_hex", lambda n: next(names))
    leftover = tmp_path / ".f.bin.left0ver0000.part"
    leftover.write_bytes(b"another download's bytes")
    with LoopbackServer(serving(lambda: b"data")) as server:
        await download_to(mode, server, tmp_path / "f.bin")
    assert (tmp_path / "f.bin").read_bytes() == b"data"
    assert leftover.read_bytes() == b"another download's bytes"
    assert sorted(p.name for p in tmp_path.iterdir()) == [leftover.name, "f.bin"]


async def test_a_cut_download_whose_staging_file_was_removed_still_reports_the_cut(
    mode: str, tmp_path: Path
) -> None:
    def remove_staging(done: int, total: int | None) -> None:
        for staged in tmp_path.glob(".*.part"):
            staged.unlink()

    with (
        LoopbackServer(serving(lambda: cut_after(2 * MiB))) as server,
        pytest.raises(HotConnectionError) as caught,
    ):
        await download_to(mode, server, tmp_path / "gone.bin", remove_staging)
    assert list(tmp_path.iterdir()) == []
    url = f"{server.base_url}/v1/files/{FILE_ID}/download"
    assert str(caught.value).startswith(f"download GET {url} was cut: RemoteProtocolError: ")
    assert caught.value.request is not None
    assert str(caught.value.request.url) == url


async def test_the_staging_file_is_a_hidden_sibling_named_after_the_destination(
    mode: str, tmp_path: Path
) -> None:
    # What a user's tools see in the directory while a download runs (and may be
    # told to ignore): `.<name>.<12 hex digits>.part`.
    staged: set[str] = set()

    def look(done: int, total: int | None) -> None:
        staged.update(p.name for p in tmp_path.iterdir() if p.name != "f.bin")

    with LoopbackServer(serving(lambda: b"data")) as server:
        await download_to(mode, server, tmp_path / "f.bin", look)
    (name,) = staged
    assert re.fullmatch(r"\.f\.bin\.[0-9a-f]{12}\.part", name), name


async def test_an_empty_download_of_unannounced_length_ends_its_progress_at_zero(
    mode: str, tmp_path: Path
) -> None:
    progress = Recorder()
    with LoopbackServer(serving(lambda: iter(()))) as server:
        await download_to(mode, server, tmp_path / "empty.bin", progress)
    assert (tmp_path / "empty.bin").read_bytes() == b""
    # No length announced: the total is known only at the end, as the count reached.
    assert progress.calls == [(0, None), (0, 0)]


@pytest.mark.parametrize("size", [1, 3 * 65_536 + 1])
async def test_a_download_of_unannounced_length_ends_its_progress_at_its_size(
    mode: str, tmp_path: Path, size: int
) -> None:
    progress = Recorder()
    with LoopbackServer(serving(lambda: random_chunks(size, chunk=65_536))) as server:
        await download_to(mode, server, tmp_path / "f.bin", progress)
    assert (tmp_path / "f.bin").stat().st_size == size
    assert progress.calls[0] == (0, None)
    assert all(total is None for _, total in progress.calls[:-1])
    assert progress.calls[-1] == (size, size)
    assert progress.calls[-2][0] == size, "the total comes after the last bytes' count"
