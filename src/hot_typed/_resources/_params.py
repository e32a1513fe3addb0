"""Query parameter models: list filters are validated before anything is sent.

The server clamps or ignores what it cannot use instead of refusing it (a
`limit` of 1000 answers 500 items, an unreadable `time_range` lists every run),
so a call would quietly mean something else: such values are refused here,
naming the range the server accepts.
"""

from __future__ import annotations

from typing import NamedTuple

from pydantic import Field, ValidationError, ValidationInfo, field_validator, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError
from typing_extensions import Self

from .._models._base import I64_MAX, RequestModel, StoredText
from .._models.runs import RunStatus, RunType

__all__ = ["FileListQuery", "ListQuery", "RunListQuery", "StreamQuery"]

# crates/hot_api/src/handlers/mod.rs: MAX_LIST_LIMIT, deserialize_clamped_limit,
# default_limit.
MAX_LIST_LIMIT = 500
DEFAULT_LIST_LIMIT = 20

#: The run type of background tasks, which run lists leave out.
TASK_RUN_TYPE = "task"

#: The names each run filter's enum declares, which the server's tables hold.
_NAMES: dict[type[RunStatus] | type[RunType], tuple[str, ...]] = {
    enum: tuple(member.value for member in enum) for enum in (RunStatus, RunType)
}

# crates/hot/src/time_range.rs MAX_DAYS: the longest time_range, counted with
# years of 366 days and months of 31.
MAX_TIME_RANGE_DAYS = 10 * 366

_DATE_UNITS = {"Y": "years", "M": "months", "W": "weeks", "D": "days"}
_TIME_UNITS = {"H": "hours", "M": "minutes", "S": "seconds"}
_UNIT_SECONDS = {
    "years": 366 * 86_400,
    "months": 31 * 86_400,
    "weeks": 7 * 86_400,
    "days": 86_400,
    "hours": 3_600,
    "minutes": 60,
    "seconds": 1,
}


class TimeRange(NamedTuple):
    """A parsed `time_range`: how far back the filter reaches, by component."""

    years: int = 0
    months: int = 0
    weeks: int = 0
    days: int = 0
    hours: int = 0
    minutes: int = 0
    seconds: int = 0


def parse_time_range(text: str) -> TimeRange | None:
    """The duration `text` filters on, None for no filter, or `ValueError` with the
    reason the server would ignore it.

    crates/hot/src/time_range.rs: "", "all" mean no filter; otherwise `P`, then
    numbers each followed by a designator, `Y M W D` before an optional `T` and
    `H M S` after it, in any order, a repeated designator adding up; each
    number fits 32 bits and the total is above zero and at most ten years.
    """
    if text in ("", "all"):
        return None
    if not text.startswith("P"):
        raise ValueError("an ISO 8601 duration starts with 'P' (such as P7D or PT12H)")
    parts = dict.fromkeys(TimeRange._fields, 0)
    digits = ""
    units = _DATE_UNITS
    for char in text[1:]:
        if char == "T":
            if units is _TIME_UNITS or digits:
                raise ValueError("'T' comes once, after a complete date part")
            units = _TIME_UNITS
        elif char in "0123456789":
            digits += char
        else:
            if not digits or char not in units:
                raise ValueError(f"{char!r} is not a designator after a number here")
            if int(digits) > 0xFFFF_FFFF:
                raise ValueError(f"{digits} does not fit in 32 bits")
            parts[units[char]] += int(digits)
            digits = ""
    if digits:
        raise ValueError(f"the number {digits} has no designator")
    duration = TimeRange(**parts)
    if duration == TimeRange():
        raise ValueError("the duration has no component above zero")
    seconds = sum(_UNIT_SECONDS[unit] * count for unit, count in duration._asdict().items())
    if seconds > MAX_TIME_RANGE_DAYS * 86_400:
        raise ValueError(f"the duration is longer than {MAX_TIME_RANGE_DAYS} days")
    return duration


class ListQuery(RequestModel):
    """`limit` (1 to 500; the server's default is 20) and `offset` (from 0), taken
    by every list."""

    limit: int | None = Field(
        default=None, json_schema_extra={"minimum": 1, "maximum": MAX_LIST_LIMIT}
    )
    # The schema's bound is the one a limit of 1 allows (see _page_end_in_range).
    offset: int | None = Field(
        default=None, json_schema_extra={"minimum": 0, "maximum": I64_MAX - 1}
    )

    @field_validator("limit")
    @classmethod
    def _limit_in_range(cls, limit: int | None) -> int | None:
        # crates/hot_api/src/handlers/mod.rs clamps limit into 1..=500.
        if limit is not None and not 1 <= limit <= MAX_LIST_LIMIT:
            raise PydanticCustomError(
                "list_limit",
                "limit is 1 to {most}; the server would clamp it to {clamped}",
                {"most": MAX_LIST_LIMIT, "clamped": min(max(limit, 1), MAX_LIST_LIMIT)},
            )
        return limit

    @field_validator("offset")
    @classmethod
    def _offset_in_range(cls, offset: int | None) -> int | None:
        # crates/hot_api/src/handlers/mod.rs passes offset to the database
        # unchecked: Postgres refuses a negative OFFSET (a 500).
        if offset is not None and offset < 0:
            raise PydanticCustomError("list_offset", "offset is 0 or more")
        return offset

    @model_validator(mode="after")
    def _page_end_in_range(self) -> Self:
        # crates/hot_api/src/models.rs, ApiListResponse::new: the server reads
        # offset as an i64 (a 400 past it) and adds the limit to it in i64, a
        # sum that wraps round past I64_MAX and reports has_more past the end.
        limit = DEFAULT_LIST_LIMIT if self.limit is None else self.limit
        if self.offset is not None and self.offset > I64_MAX - limit:
            error = PydanticCustomError(
                "list_offset",
                "offset is at most {most} with a limit of {limit}: the server adds "
                "them as 64-bit integers (has_more = offset + limit < total)",
                {"most": I64_MAX - limit, "limit": limit},
            )
            details: InitErrorDetails = {"type": error, "loc": ("offset",), "input": self.offset}
            raise ValidationError.from_exception_data(type(self).__name__, [details])
        return self


class FileListQuery(ListQuery):
    """`prefix` on top of `ListQuery`: the server's search term, matched anywhere
    in the path, case-insensitively, with LIKE's `%` and `_`; a run id selects
    that run's files (crates/hot/src/db/file.rs, list_files_by_env)."""

    prefix: StoredText | None = None


class StreamQuery(RequestModel):
    """`project` of a stream subscription: the name or id of the project whose runs
    to follow, which the server looks up in its database
    (crates/hot_api/src/handlers/streams.rs, `get_and_verify_project`)."""

    project: StoredText | None = None


class RunListQuery(ListQuery):
    """`status`, `type` (any run type but `task`, which lists leave out) and
    `time_range` (an ISO 8601 duration such as P7D, or "all") on top of
    `ListQuery`."""

    status: RunStatus | None = None
    type: RunType | None = Field(default=None, json_schema_extra={"not": {"const": TASK_RUN_TYPE}})
    time_range: str | None = Field(
        default=None,
        json_schema_extra={"pattern": r"^(?:all|P(?:\d+[YMWD])*(?:T(?:\d+[HMS])*)?)?$"},
    )

    @field_validator("status", "type", mode="before")
    @classmethod
    def _known_name(cls, value: object, info: ValidationInfo) -> object:
        # crates/hot/src/db/run.rs, get_filtered_runs_by_env, matches the text
        # exactly against the names of its run_status and run_type tables
        # (resources/db/*/migrations/001_hot_2_initial_schema.sql, the values of
        # RunStatus and RunType): any other lists nothing, as a typo would. A
        # value this version does not know is sent as an enum member.
        if type(value) is not str:
            return value
        enum, what = (RunStatus, "status") if info.field_name == "status" else (RunType, "type")
        if value not in _NAMES[enum]:
            raise PydanticCustomError(
                "run_filter_name",
                "'{value}' is no run {what} the server has ({known}): it would list "
                "nothing; send {enum}('{value}') for one this version does not know",
                {
                    "value": value,
                    "what": what,
                    "known": ", ".join(_NAMES[enum]),
                    "enum": enum.__name__,
                },
            )
        return value

    @field_validator("type")
    @classmethod
    def _listed_type(cls, run_type: RunType | None) -> RunType | None:
        # crates/hot/src/db/run.rs, get_filtered_runs_by_env: the list leaves
        # task runs out (run_type_id 7), so this filter could only answer nothing.
        if run_type == TASK_RUN_TYPE:
            raise PydanticCustomError(
                "run_type_filter",
                "the run list never includes 'task' runs; read tasks through tasks.get",
            )
        return run_type

    @field_validator("time_range")
    @classmethod
    def _duration(cls, time_range: str | None) -> str | None:
        # crates/hot_api/src/handlers/runs.rs ignores a time_range that
        # crates/hot/src/time_range.rs cannot parse, listing every run instead.
        if time_range is not None:
            try:
                parse_time_range(time_range)
            except ValueError as refused:
                raise PydanticCustomError(
                    "time_range",
                    "time_range is 'all' or an ISO 8601 duration up to ten years "
                    "(such as P7D, PT12H, P1Y2M): {reason}",
                    {"reason": str(refused)},
                ) from None
        return time_range
