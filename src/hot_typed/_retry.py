"""When to send a request again, and after how long. Pure: no I/O, no sleeping.

One policy, one set of numbers, for everything that repeats a request: the
transports (a single request), upload parts (a part as a whole) and the stream
followers (the wait before reconnecting).
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from ._errors import (
    HotApiError,
    HotConnectionError,
    HotError,
    HotTimeoutError,
    InternalServerError,
    RateLimitError,
)

__all__ = ["RetryPolicy"]

_TRANSIENT_STATUSES = frozenset({502, 503, 504})


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Retry rules shared by both clients.

    * 429 is retried for every method (the server refused the request before
      doing anything) after its `retry_after` (`retry-after-ms`, the body's
      `retry_after`, or `Retry-After` in seconds or as a date: `_retry_after.py`),
      waiting at most `max_retry_after`; a 429 without one is not retried, since
      nothing says when trying again could succeed.
    * 502, 503, 504 and failures after the request may have reached the server
      (a dropped connection, a read timeout) are retried with exponential backoff
      and full jitter, but only for idempotent requests, unless
      `retry_non_idempotent` opts every request in. A 5xx that says when to come
      back (a 503 with `Retry-After`) is retried after that wait instead, capped
      by `max_retry_after` too.
    * A connection that was never established is retried for every method.
    * Never more than `max_retries` retries, so no storm costs more than
      `max_retries * max(max_retry_after, backoff_cap)` seconds of waiting.

    Stream followers do not count retries against `max_retries`: they wait as
    long as the caller's overall timeout allows (`reconnect_delay`).
    """

    max_retries: int = 2
    retry_non_idempotent: bool = False
    max_retry_after: float = 30.0
    backoff_base: float = 0.25
    backoff_cap: float = 8.0

    def __post_init__(self) -> None:
        if self.max_retries < 0:
            raise ValueError("max_retries must be >= 0")

    def backoff_bound(self, attempt: int) -> float:
        """The longest backoff before retry number `attempt + 1`: exponential, capped."""
        return min(self.backoff_cap, self.backoff_base * 2.0**attempt)

    def backoff(self, attempt: int) -> float:
        """The backoff before retry number `attempt + 1`, with full jitter: clients
        failing together do not come back together."""
        return random.uniform(0, self.backoff_bound(attempt))

    def _may_repeat(self, idempotent: bool) -> bool:
        return idempotent or self.retry_non_idempotent

    def after_status(
        self, attempt: int, status: int, retry_after: float | None, *, idempotent: bool
    ) -> float | None:
        """Seconds to wait before retry number `attempt + 1`, or None to give up."""
        if attempt >= self.max_retries:
            return None
        if status == 429:
            return None if retry_after is None else self._capped(retry_after)
        if status in _TRANSIENT_STATUSES and self._may_repeat(idempotent):
            return self.backoff(attempt) if retry_after is None else self._capped(retry_after)
        return None

    def _capped(self, retry_after: float) -> float:
        return min(float(retry_after), self.max_retry_after)

    def after_connection_error(
        self, attempt: int, *, reached_server: bool, idempotent: bool
    ) -> float | None:
        """Like `after_status`, for a request that got no answer.

        `reached_server` is False only when the connection was never established,
        so the server cannot have acted on the request.
        """
        if attempt >= self.max_retries:
            return None
        if reached_server and not self._may_repeat(idempotent):
            return None
        return self.backoff(attempt)

    def after_failure(self, attempt: int, error: BaseException) -> float | None:
        """For an operation repeated as a whole above the transport (an upload part,
        which is safe to send again): seconds before repeat number `attempt + 1`,
        or None to give up.

        Any 5xx, a 429, a dropped or refused connection and a timeout are worth
        another try (after the answer's `retry_after`, capped, or backoff when it
        has none); other failures, 4xx included, do not heal by waiting.
        """
        if attempt >= self.max_retries:
            return None
        asked = error.retry_after if isinstance(error, _ASKS_TO_WAIT) else None
        if asked is not None:
            return self._capped(asked)
        if isinstance(error, _TRANSIENT_FAILURES):
            return self.backoff(attempt)
        return None

    def reconnect_delay(self, attempt: int, error: HotError | None) -> float:
        """Seconds before a stream follower reconnects, after `attempt` + 1
        connections in a row that brought nothing new.

        An answer that says when to come back (`retry_after` of a 429 or 503,
        from the body or `Retry-After`) is waited in full: a follow is bounded
        by its caller's overall timeout, not `max_retry_after` (an answer asking
        for more than a day is read as a day: `_retry_after.MAX_WAIT`).
        Anything else backs off.
        """
        if isinstance(error, HotApiError) and error.retry_after is not None:
            return float(error.retry_after)
        return self.backoff(attempt)


_ASKS_TO_WAIT = (RateLimitError, InternalServerError)
_TRANSIENT_FAILURES = (HotConnectionError, HotTimeoutError, InternalServerError, RateLimitError)
