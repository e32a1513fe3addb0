"""Fault injection: make the emulator misbehave the way a real server can.

Each fault is armed for a number of requests (`times`), or for every request
during `seconds` (a storm), and optionally only for requests whose path
(relative to `/v1`, e.g. `/runs`) starts with `path` and whose method is
`method`. The first matching armed fault of each kind applies and uses up one
of its times.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import TypedDict, TypeVar

from ._values import ApiError

__all__ = ["Faults"]

_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    429: "rate_limit_exceeded",
    500: "internal_server_error",
}


@dataclass
class _Armed:
    path: str | None
    times: int
    method: str | None = None
    until: float | None = None
    """With `until` (monotonic), the fault applies to every match until then."""

    def matches(self, method: str, path: str) -> bool:
        return (
            self.times > 0
            and (self.path is None or path.startswith(self.path))
            and (self.method is None or method.upper() == self.method.upper())
        )

    def expired(self, now: float) -> bool:
        return self.until is not None and now >= self.until


_A = TypeVar("_A", bound=_Armed)


@dataclass(kw_only=True)
class _Failure(_Armed):
    error: ApiError


@dataclass(kw_only=True)
class _Delay(_Armed):
    seconds: float


@dataclass(kw_only=True)
class _Drop(_Armed):
    after: int


class Faults:
    """The faults armed on an emulator (`HotEmulator.faults`). Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._failures: list[_Failure] = []
        self._delays: list[_Delay] = []
        self._drops: list[_Drop] = []
        self._losses: list[_Armed] = []

    def fail_next(
        self,
        status: int,
        *,
        code: str | None = None,
        message: str | None = None,
        times: int = 1,
        path: str | None = None,
        method: str | None = None,
        seconds: float | None = None,
        retry_after: int | None = None,
    ) -> None:
        """Answer the next `times` requests (or, with `seconds`, every request
        for that long) with `status` and the error envelope (`code` defaults to
        the server's code for that status; `retry_after` adds it to the body
        and the `Retry-After` header)."""
        code = code or _CODES.get(status, "internal_server_error")
        error = ApiError(
            status, code, message or f"Injected failure ({status})", retry_after=retry_after
        )
        self._arm(self._failures, _Failure(**_when(path, method, times, seconds), error=error))

    def rate_limit(
        self,
        retry_after: int = 1,
        *,
        times: int = 1,
        path: str | None = None,
        method: str | None = None,
        seconds: float | None = None,
    ) -> None:
        """Answer the next `times` requests (or, with `seconds`, every request for
        that long: a storm) `429 rate_limit_exceeded` with `retry_after` in the
        body and the `Retry-After` header.

        `rate_limit(0, seconds=0.5, method="GET", path="/streams/")` refuses
        every stream reconnect for half a second, not the publishing POST.
        """
        message = f"Rate limit exceeded. Try again in {retry_after} seconds"
        error = ApiError(429, "rate_limit_exceeded", message, retry_after=retry_after)
        self._arm(self._failures, _Failure(**_when(path, method, times, seconds), error=error))

    def delay(
        self, seconds: float, *, times: int = 1, path: str | None = None, method: str | None = None
    ) -> None:
        """Hold the next `times` responses for `seconds` before answering."""
        self._arm(self._delays, _Delay(**_when(path, method, times, None), seconds=seconds))

    def drop_stream(
        self,
        after_events: int,
        *,
        times: int = 1,
        path: str | None = None,
        method: str | None = None,
    ) -> None:
        """Cut the next `times` event streams after `after_events` events, without
        a clean end (the client sees a broken connection). The cut comes when
        the stream is about to send its next event: a quiet stream stays open
        until it has one, and one that ends first ends cleanly."""
        self._arm(self._drops, _Drop(**_when(path, method, times, None), after=after_events))

    def lose_answer(
        self, *, times: int = 1, path: str | None = None, method: str | None = None
    ) -> None:
        """Carry out the next `times` requests, then cut each connection before
        its answer: the client cannot tell whether the request acted, the case a
        client must never settle by sending a request again blindly."""
        self._arm(self._losses, _Armed(**_when(path, method, times, None)))

    def clear(self) -> None:
        """Disarm every fault."""
        with self._lock:
            self._failures.clear()
            self._delays.clear()
            self._drops.clear()
            self._losses.clear()

    def _arm(self, armed: list[_A], fault: _A) -> None:
        if fault.times < 1:
            raise ValueError("times must be at least 1")
        with self._lock:
            armed.append(fault)

    def take_failure(self, method: str, path: str) -> ApiError | None:
        """The error to answer `path` with, if a failure is armed for it."""
        fault = self._take(self._failures, method, path)
        return None if fault is None else fault.error

    def take_delay(self, method: str, path: str) -> float:
        """Seconds to hold the answer for `path`, consuming an armed delay (0 if none)."""
        fault = self._take(self._delays, method, path)
        return 0.0 if fault is None else fault.seconds

    def take_drop(self, method: str, path: str) -> int | None:
        """After how many events to cut a stream for `path`, if a drop is armed."""
        fault = self._take(self._drops, method, path)
        return None if fault is None else fault.after

    def take_loss(self, method: str, path: str) -> bool:
        """Whether to cut the connection once `path` is answered, consuming an armed loss."""
        return self._take(self._losses, method, path) is not None

    def _take(self, armed: list[_A], method: str, path: str) -> _A | None:
        now = time.monotonic()
        with self._lock:
            armed[:] = [fault for fault in armed if not fault.expired(now)]
            for fault in armed:
                if fault.matches(method, path):
                    if fault.until is None:
                        fault.times -= 1
                        if fault.times == 0:
                            armed.remove(fault)
                    return fault
        return None


class _When(TypedDict):
    path: str | None
    times: int
    method: str | None
    until: float | None


def _when(path: str | None, method: str | None, times: int, seconds: float | None) -> _When:
    """Which requests a fault applies to: `times` of them, or all for `seconds`."""
    if seconds is not None and seconds <= 0:
        raise ValueError("seconds must be positive")
    until = None if seconds is None else time.monotonic() + seconds
    return {"path": path, "times": times, "method": method, "until": until}
