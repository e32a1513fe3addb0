"""What uploads and downloads share: progress accounting (free of I/O), and
files opened in a worker thread."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from .progress import ProgressCallback

__all__ = ["ProgressMeter", "opened_in_thread"]

T = TypeVar("T")


async def opened_in_thread(open_: Callable[[], T], close: Callable[[T], object]) -> T:
    """`open_()`, run in a worker thread; what it opened is `close`d if the caller
    is cancelled before getting it.

    The thread cannot be stopped by the cancellation: left alone, it would open a
    file nobody closes (a ResourceWarning) or create a staging file nobody removes.
    """
    opening = asyncio.ensure_future(asyncio.to_thread(open_))
    try:
        return await asyncio.shield(opening)
    except asyncio.CancelledError:
        opening.add_done_callback(lambda done: _close_opened(done, close))
        raise


def _close_opened(done: asyncio.Future[T], close: Callable[[T], object]) -> None:
    if not done.cancelled() and done.exception() is None:
        close(done.result())


class ProgressMeter:
    """Bytes done out of a total, reported to a callback that only ever sees progress.

    Bytes are counted per part (a download is a single part). A part that is
    sent again starts from zero, but what is reported never goes back: the
    callback gets the highest count reached so far, and `finish()` reports
    the total last. Thread-safe; the callback is called under the meter's lock,
    so calls arrive one at a time and in order.
    """

    __slots__ = ("_callback", "_done", "_in_flight", "_lock", "_reported", "total")

    def __init__(self, total: int | None, callback: ProgressCallback | None) -> None:
        self.total = total
        self._callback = callback
        self._lock = threading.Lock()
        self._done = 0
        self._in_flight: dict[int, int] = {}
        self._reported = -1

    def start(self) -> None:
        with self._lock:
            self._report(0)

    def restart(self, part: int) -> None:
        """Part `part` is being (re)sent from its first byte."""
        with self._lock:
            self._in_flight[part] = 0

    def advance(self, part: int, count: int) -> None:
        """`count` more bytes of part `part` went out (or came in)."""
        with self._lock:
            self._in_flight[part] = self._in_flight.get(part, 0) + count
            self._report(self._done + sum(self._in_flight.values()))

    def reach(self, part: int, count: int) -> None:
        """Part `part` has moved `count` bytes in all."""
        with self._lock:
            self._in_flight[part] = count
            self._report(self._done + sum(self._in_flight.values()))

    def part_done(self, part: int, size: int) -> None:
        """Part `part` is stored: its `size` bytes count for good."""
        with self._lock:
            self._in_flight.pop(part, None)
            self._done += size
            self._report(self._done + sum(self._in_flight.values()))

    def finish(self) -> None:
        """Everything is through: report the total (the count reached, when unknown)."""
        with self._lock:
            if self.total is None:
                self.total = max(self._reported, self._done + sum(self._in_flight.values()), 0)
                # The total is news even at the count already reported.
                self._reported -= 1
            self._report(self.total)

    def _report(self, done: int) -> None:
        if self.total is not None:
            done = min(done, self.total)
        if done <= self._reported:
            return
        self._reported = done
        if self._callback is not None:
            self._callback(done, self.total)
