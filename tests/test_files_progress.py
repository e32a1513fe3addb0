"""Progress accounting for transfers, and the tqdm and rich adapters on real transfers."""

from __future__ import annotations

import io
import sys
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from hot_typed import AsyncHotClient, HotClient
from hot_typed._transfer import ProgressMeter
from hot_typed._uploads import CHUNK_SIZE, _AsyncBody, _SyncBody  # pyright: ignore[reportPrivateUsage]
from hot_typed.progress import ProgressCallback, rich_progress, tqdm_progress
from hot_typed.testing import HttpRequest, HttpResponse, LoopbackServer

FILE_ID = "5f1f3c9e-1d7e-4a57-9f0c-0b1e2d3c4a5b"
BODY = bytes(range(256)) * 4096  # 1 MiB


class Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple[int, int | None]] = []

    def __call__(self, done: int, total: int | None) -> None:
        self.calls.append((done, total))


def test_a_part_sent_again_never_moves_progress_back() -> None:
    seen = Recorder()
    meter = ProgressMeter(300, seen)
    meter.start()
    meter.restart(1)
    meter.advance(1, 80)
    meter.restart(2)
    meter.advance(2, 50)
    meter.restart(1)  # part 1 fails and is sent again from its first byte
    meter.advance(1, 60)
    meter.advance(1, 40)
    meter.part_done(1, 100)
    meter.advance(2, 50)
    meter.part_done(2, 100)
    meter.advance(3, 100)
    meter.part_done(3, 100)
    meter.finish()
    assert seen.calls == [(0, 300), (80, 300), (130, 300), (150, 300), (200, 300), (300, 300)]


@pytest.mark.parametrize("kind", ["sync", "async"])
async def test_a_part_body_sent_again_counts_from_its_first_byte(kind: str) -> None:
    # The transport reads a part's body again when it repeats the request.
    seen = Recorder()
    meter = ProgressMeter(3 * CHUNK_SIZE, seen)
    data = bytes(2 * CHUNK_SIZE)
    body: Any = _SyncBody(data, 1, meter) if kind == "sync" else _AsyncBody(data, 1, meter)
    for _ in range(2):
        sent = list(body) if kind == "sync" else [chunk async for chunk in body]
        assert b"".join(sent) == data
        assert [len(chunk) for chunk in sent] == [CHUNK_SIZE, CHUNK_SIZE]
    # The second pass moved nothing: the part is 2 of the 3 chunks, whatever its attempts.
    assert seen.calls == [(CHUNK_SIZE, 3 * CHUNK_SIZE), (2 * CHUNK_SIZE, 3 * CHUNK_SIZE)]


def test_an_unknown_total_is_reported_as_the_count_reached_at_the_end() -> None:
    seen = Recorder()
    meter = ProgressMeter(None, seen)
    meter.start()
    meter.reach(0, 10)
    meter.reach(0, 25)
    meter.finish()
    assert seen.calls == [(0, None), (10, None), (25, None), (25, 25)]


def test_an_unknown_total_is_the_highest_count_reached_though_a_part_started_over() -> None:
    seen = Recorder()
    meter = ProgressMeter(None, seen)
    meter.start()
    meter.restart(1)
    meter.advance(1, 80)
    meter.restart(1)  # sent again: 20 bytes in when everything stops
    meter.advance(1, 20)
    meter.finish()
    assert seen.calls == [(0, None), (80, None), (80, 80)]


def test_a_part_advanced_before_any_restart_counts_from_zero() -> None:
    seen = Recorder()
    meter = ProgressMeter(100, seen)
    meter.advance(1, 5)
    meter.advance(1, 5)
    assert seen.calls == [(5, 100), (10, 100)]


def test_a_stored_part_counts_its_size_beside_the_parts_still_in_flight() -> None:
    seen = Recorder()
    meter = ProgressMeter(300, seen)
    meter.start()
    meter.restart(1)
    meter.advance(1, 50)
    meter.restart(2)
    meter.advance(2, 30)
    meter.part_done(1, 100)  # stored with 50 of its bytes counted: all 100 count now
    meter.part_done(3, 20)  # stored before any of its bytes were counted
    meter.finish()
    assert seen.calls == [(0, 300), (50, 300), (80, 300), (130, 300), (150, 300), (300, 300)]


def test_progress_never_passes_a_known_total() -> None:
    seen = Recorder()
    meter = ProgressMeter(10, seen)
    meter.advance(1, 15)
    meter.finish()
    assert seen.calls == [(10, 10)]


def download_handler(request: HttpRequest) -> HttpResponse:
    return HttpResponse(200, BODY)


@pytest.fixture(params=["sync", "async"])
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


async def download(
    mode: str, server: LoopbackServer, path: str, progress: ProgressCallback
) -> None:
    if mode == "sync":
        with HotClient("token", base_url=server.base_url) as hot:
            hot.files.download_to(FILE_ID, path, on_progress=progress)
        return
    async with AsyncHotClient("token", base_url=server.base_url) as hot:
        await hot.files.download_to(FILE_ID, path, on_progress=progress)


async def test_tqdm_bar_follows_a_download_to_its_total(mode: str, tmp_path: Path) -> None:
    out = io.StringIO()
    with (
        LoopbackServer(download_handler) as server,
        tqdm_progress("file.bin", file=out, mininterval=0) as bar,
    ):
        await download(mode, server, f"{tmp_path}/file.bin", bar)
        assert bar.bar.n == len(BODY)
        assert bar.bar.total == len(BODY)
    assert "file.bin" in out.getvalue()
    assert "100%" in out.getvalue()


async def test_rich_bar_follows_a_download_to_its_total(mode: str, tmp_path: Path) -> None:
    console = Console(file=io.StringIO(), force_terminal=True, width=100)
    with LoopbackServer(download_handler) as server:
        bar = rich_progress("file.bin", console=console)
        await download(mode, server, f"{tmp_path}/file.bin", bar)
    (task,) = bar.progress.tasks
    assert task.completed == len(BODY)
    assert task.total == len(BODY)
    assert not bar.progress.live.is_started, "the bar stops itself at the total"


def test_a_missing_tqdm_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)
    with pytest.raises(ImportError, match=r"hot-typed\[progress\]"):
        tqdm_progress()
