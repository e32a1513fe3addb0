"""When to send a request again, and after how long. Pure: no I/O, no sleeping."""

from __future__ import annotations

import random
from dataclasses import dataclass

__all__ = ["RetryPolicy"]

_TRANSIENT_STATUSES = frozenset({502, 503, 504})


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Retry rules shared by both clients.

    * 429 with a `retry_after` (body or header) is retried after that many
      seconds, capped at `max_retry_after`; a 429 without one is not retried.
    * 502, 503, 504 and connection failures are retried with exponential
      backoff and full jitter, but only for requests that are safe to repeat
      (idempotent methods, or a caller that opted in).
    * Never more than `max_retries` retries.
    """

    max_retries: int = 2
    max_retry_after: float = 30.0
    backoff_base: float = 0.25
    backoff_cap: float = 8.0

    def _backoff(self, attempt: int) -> float:
        return random.uniform(0, min(self.backoff_cap, self.backoff_base * 2**attempt))

    def after_status(
        self, attempt: int, status: int, retry_after: int | None, *, repeatable: bool
    ) -> float | None:
        """Seconds to wait before retry number `attempt + 1`, or None to give up."""
        if attempt >= self.max_retries:
            return None
        if status == 429:
            return None if retry_after is None else min(float(retry_after), self.max_retry_after)
        if status in _TRANSIENT_STATUSES and repeatable:
            return self._backoff(attempt)
        return None

    def after_connection_error(self, attempt: int, *, repeatable: bool) -> float | None:
        if attempt >= self.max_retries or not repeatable:
            return None
        return self._backoff(attempt)
