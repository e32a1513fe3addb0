"""Fault injection: make the emulator misbehave the way a real server can.

Each fault is armed for a number of requests (`times`) and optionally only for
requests whose path (relative to `/v1`, e.g. `/runs`) starts with `path`. The
first matching armed fault of each kind applies and uses up one of its times.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TypeVar

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

    def matches(self, path: str) -> bool:
        return self.times > 0 and (self.path is None or path.startswith(self.path))


_A = TypeVar("_A", bound=_Armed)


@dataclass
class _Failure(_Armed):
    error: ApiError


@dataclass
class _Delay(_Armed):
    seconds: float


@dataclass
class _Drop(_Armed):
    after: int


class Faults:
    """The faults armed on an emulator (`HotEmulator.faults`). Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._failures: list[_Failure] = []
        self._delays: list[_Delay] = []
        self._drops: list[_Drop] = []

    def fail_next(
        self,
        status: int,
        *,
        code: str | None = None,
        message: str | None = None,
        times: int = 1,
        path: str | None = None,
    ) -> None:
        """Answer the next `times` requests with `status` and the error envelope
        (`code` defaults to the server's code for that status)."""
        code = code or _CODES.get(status, "internal_server_error")
        error = ApiError(status, code, message or f"Injected failure ({status})")
        self._arm(self._failures, _Failure(path, times, error))

    def rate_limit(self, retry_after: int = 1, *, times: int = 1, path: str | None = None) -> None:
        """Answer the next `times` requests `429 rate_limit_exceeded` with
        `retry_after` in the body and the `Retry-After` header."""
        message = f"Rate limit exceeded. Try again in {retry_after} seconds"
        error = ApiError(429, "rate_limit_exceeded", message, retry_after=retry_after)
        self._arm(self._failures, _Failure(path, times, error))

    def delay(self, seconds: float, *, times: int = 1, path: str | None = None) -> None:
        """Hold the next `times` responses for `seconds` before answering."""
        self._arm(self._delays, _Delay(path, times, seconds))

    def drop_stream(self, after_events: int, *, times: int = 1, path: str | None = None) -> None:
        """Cut the next `times` event streams after `after_events` events, without
        a clean end (the client sees a broken connection)."""
        self._arm(self._drops, _Drop(path, times, after_events))

    def clear(self) -> None:
        """Disarm every fault."""
        with self._lock:
            self._failures.clear()
            self._delays.clear()
            self._drops.clear()

    def _arm(self, armed: list[_A], fault: _A) -> None:
        if fault.times < 1:
            raise ValueError("times must be at least 1")
        with self._lock:
            armed.append(fault)

    def take_failure(self, path: str) -> ApiError | None:
        """The error to answer `path` with, if a failure is armed for it."""
        fault = self._take(self._failures, path)
        return None if fault is None else fault.error

    def take_delay(self, path: str) -> float:
        """Seconds to hold the answer for `path`, consuming an armed delay (0 if none)."""
        fault = self._take(self._delays, path)
        return 0.0 if fault is None else fault.seconds

    def take_drop(self, path: str) -> int | None:
        """After how many events to cut a stream for `path`, if a drop is armed."""
        fault = self._take(self._drops, path)
        return None if fault is None else fault.after

    def _take(self, armed: list[_A], path: str) -> _A | None:
        with self._lock:
            for fault in armed:
                if fault.matches(path):
                    fault.times -= 1
                    if fault.times == 0:
                        armed.remove(fault)
                    return fault
        return None
