"""Wire values of the emulator: ids, timestamps, envelopes and the error answer.

Everything here produces exactly what the Hot server puts on the wire: lowercase
hyphenated UUIDs, RFC 3339 UTC timestamps with nanoseconds and a `Z`, the
`{"data", "meta"}` envelope, the paginated list envelope and the error envelope.
"""

from __future__ import annotations

import calendar
import json
import logging
import re
import threading
import time
import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timezone
from typing import Any, TypeVar

from pydantic import TypeAdapter, ValidationError

from .._models._json import StoredJson
from .._resources._params import DEFAULT_LIST_LIMIT, MAX_LIST_LIMIT
from ._http import HttpResponse

__all__ = [
    "INTERNAL_ERROR_MESSAGE",
    "ROW_NOT_FOUND",
    "ApiError",
    "check_storable",
    "rust_int",
    "created",
    "error_response",
    "found",
    "item",
    "new_id",
    "new_ordered_id",
    "newest_first",
    "no_content",
    "page",
    "timestamp_nanos",
    "timestamp",
]

JSON = dict[str, Any]
V = TypeVar("V")


def new_id() -> str:
    """A fresh lowercase hyphenated UUID (v4)."""
    return str(uuid.uuid4())


_ordered_lock = threading.Lock()
_ordered_last = 0


def new_ordered_id() -> str:
    """A fresh time-ordered UUID (v7), later ones sorting after earlier ones, as
    the server makes `stream_data_id`s (crates/hot/src/stream/mod.rs:
    `Uuid::now_v7()`): 48 bits of milliseconds, then a counter where the
    random bits would be, so ids of the same millisecond keep their order."""
    global _ordered_last
    with _ordered_lock:
        # 48 bits of ms, 12 + 62 bits of sequence: one more than the last, or the clock.
        candidate = (time.time_ns() // 1_000_000) << 74
        _ordered_last = max(candidate, _ordered_last + 1)
        value = _ordered_last
    millis, sequence = value >> 74, value & ((1 << 74) - 1)
    high, low = sequence >> 62, sequence & ((1 << 62) - 1)
    number = (millis << 80) | (0x7 << 76) | (high << 64) | (0b10 << 62) | low
    return str(uuid.UUID(int=number))


def timestamp(nanos: int | None = None) -> str:
    """`nanos` (default: now) since the epoch as RFC 3339 UTC with 9 fractional digits."""
    nanos = time.time_ns() if nanos is None else nanos
    seconds, fraction = divmod(nanos, 1_000_000_000)
    base = datetime.fromtimestamp(seconds, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
    return f"{base}.{fraction:09d}Z"


def timestamp_nanos(value: str) -> int:
    """Nanoseconds since the epoch of a timestamp made by `timestamp`."""
    seconds = calendar.timegm(time.strptime(value[:19], "%Y-%m-%dT%H:%M:%S"))
    return seconds * 1_000_000_000 + int(value[20:29])


INTERNAL_ERROR_MESSAGE = "An internal server error occurred"

ROW_NOT_FOUND = "no rows returned by a query that expected to return at least one row"
"""sqlx's `RowNotFound`, which some of the server's messages carry."""

_log = logging.getLogger("hot_typed.testing")


class ApiError(Exception):
    """Raised by an endpoint to answer with the error envelope.

    `retry_after` (seconds) goes into the body and the `Retry-After` header.
    """

    def __init__(
        self, status: int, code: str | None, message: str, *, retry_after: int | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.retry_after = retry_after

    @classmethod
    def rejection(cls, status: int, message: str) -> ApiError:
        """An answer of the server's framework (axum) rather than of a handler: a
        body, query or path it cannot deserialize. Plain text, no code."""
        return cls(status, None, message)

    @classmethod
    def not_found(cls, resource: str) -> ApiError:
        return cls(404, "not_found", f"{resource} not found")

    @classmethod
    def bad_request(cls, message: str) -> ApiError:
        return cls(400, "bad_request", message)

    @classmethod
    def internal(cls, reason: str) -> ApiError:
        """The server's 500. Whatever went wrong, the answer says only
        `INTERNAL_ERROR_MESSAGE`; `reason` goes to the log, as the server's
        `tracing::error!` takes it (crates/hot_api/src/models.rs
        `ApiErrorResponse::internal_error`)."""
        _log.error("internal server error: %s", reason)
        return cls(500, "internal_server_error", INTERNAL_ERROR_MESSAGE)


def newest_first(records: Iterable[JSON]) -> list[JSON]:
    """`records` as the server's `ORDER BY created_at DESC` lists them
    (timestamps of one fixed width, in UTC, sort as the instants they name)."""
    return sorted(records, key=lambda record: record["created_at"], reverse=True)


def found(records: Mapping[str, V], record_id: str, resource: str) -> V:
    """The record stored under `record_id` (a UUID path parameter, in its stored
    form: see `Router`), or the API's 404 naming `resource`."""
    record = records.get(record_id)
    if record is None:
        raise ApiError.not_found(resource)
    return record


def _meta() -> JSON:
    return {"request_id": new_id(), "timestamp": timestamp()}


def _json(payload: Any, status: int, headers: dict[str, str] | None = None) -> HttpResponse:
    body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
    return HttpResponse(status, body, {"Content-Type": "application/json", **(headers or {})})


def item(data: Any, status: int = 200) -> HttpResponse:
    """One object in the `{"data", "meta"}` envelope."""
    return _json({"data": data, "meta": _meta()}, status)


def created(data: Any) -> HttpResponse:
    """A created object: `201` with the item envelope."""
    return item(data, 201)


def no_content() -> HttpResponse:
    """`204` with no body, as deletes and single revokes answer."""
    return HttpResponse(204, b"")


def page(
    records: Sequence[Any], query: dict[str, str], *, total_is_page_length: bool = False
) -> HttpResponse:
    """A slice of `records` by the request's `limit` (default 20, clamped to 1..500)
    and `offset` (a negative one is the server's 500), in the list envelope with
    `has_more = offset + limit < total`, the sum taken in 64 bits as the server
    takes it.

    `total_is_page_length` reports the slice's length as `total`, as the server's
    service-key list does."""
    # crates/hot_api/src/handlers/mod.rs clamps limit; offset reaches the
    # database as given, and Postgres (api.hot.dev) refuses a negative one.
    limit = min(max(_int_param(query, "limit", DEFAULT_LIST_LIMIT), 1), MAX_LIST_LIMIT)
    offset = _int_param(query, "offset", 0)
    if offset < 0:
        raise ApiError.internal("error returned from database: OFFSET must not be negative")
    data = list(records[offset : offset + limit])
    total = len(data) if total_is_page_length else len(records)
    # crates/hot_api/src/models.rs, ApiListResponse::new: an i64 sum, which a
    # release build lets wrap round.
    end = (offset + limit + 2**63) % 2**64 - 2**63
    pagination = {
        "total": total,
        "limit": limit,
        "offset": offset,
        "has_more": end < total,
    }
    return _json({"data": data, "pagination": pagination, "meta": _meta()}, 200)


# What Rust's `from_str` of an integer reads (serde_urlencoded and axum's Path
# parse integers with it): an optional sign and ASCII digits, nothing else (no
# spaces, no `_`, no other digits, all of which Python's `int` takes).
_INT_TEXT = re.compile(r"[+-]?[0-9]+")


def rust_int(text: str, bits: int) -> int | str:
    """`text` read as Rust reads a signed integer of `bits` bits (`i64::from_str`),
    or the reason it refuses it, in its words (`ParseIntError`)."""
    if not text:
        return "cannot parse integer from empty string"
    if not _INT_TEXT.fullmatch(text):
        return "invalid digit found in string"
    value = int(text)
    if value >= 2 ** (bits - 1):
        return "number too large to fit in target type"
    if value < -(2 ** (bits - 1)):
        return "number too small to fit in target type"
    return value


def _int_param(query: dict[str, str], name: str, default: int) -> int:
    raw = query.get(name)
    if raw is None:
        return default
    value = rust_int(raw, 64)
    if isinstance(value, str):
        # axum's Query extractor refuses what does not deserialize, in plain text.
        raise ApiError.rejection(400, f"Failed to deserialize query string: {name}: {value}")
    return value


_STORABLE: TypeAdapter[Any] = TypeAdapter(StoredJson)


def check_storable(*values: Any) -> None:
    """The server's 500 when its database (Postgres) refuses one of `values`, text
    or JSON for a `jsonb` column, for holding a NUL character: the client's
    `StoredText` and `StoredJson` rule, applied where a handler writes or looks
    a value up."""
    for value in values:
        try:
            _STORABLE.validate_python(value)
        except ValidationError as error:
            if any(problem["type"] == "stored_nul" for problem in error.errors()):
                raise ApiError.internal(
                    'error returned from database: invalid byte sequence for encoding "UTF8": 0x00'
                ) from None


def error_response(error: ApiError) -> HttpResponse:
    """The error envelope for `error`, with `Retry-After` when it has `retry_after`;
    a rejection (no code) as plain text, or as a bare status when it has no
    text (axum's `StatusCode` answer: no body, no content type)."""
    if error.code is None:
        plain = {"Content-Type": "text/plain; charset=utf-8"} if error.message else {}
        return HttpResponse(error.status, error.message.encode(), plain)
    body: JSON = {"code": error.code, "message": error.message, "request_id": new_id()}
    headers: dict[str, str] = {}
    if error.retry_after is not None:
        body["retry_after"] = error.retry_after
        headers["Retry-After"] = str(error.retry_after)
    return _json({"error": body}, error.status, headers)
