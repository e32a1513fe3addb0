"""`time_range` is read as the server reads it, and refused where the server would
ignore it (listing every run instead), with the reason.

Each row stands on one side of a rule of crates/hot/src/time_range.rs
(`TimeRange::parse`, `within_bounds`, `parse_time_range`); a value the server
cannot parse or bound filters nothing there, so the client refuses it before
anything is sent.
"""

from __future__ import annotations

import re

import pytest
from pydantic import ValidationError

from hot_typed._resources._params import (
    MAX_TIME_RANGE_DAYS,
    RunListQuery,
    TimeRange,
    parse_time_range,
)

BOUND_SECONDS = MAX_TIME_RANGE_DAYS * 86_400
LONGER = f"the duration is longer than {MAX_TIME_RANGE_DAYS} days"
NO_P = "an ISO 8601 duration starts with 'P' (such as P7D or PT12H)"
T_ONCE = "'T' comes once, after a complete date part"
ZERO = "the duration has no component above zero"


def _not_after_a_number(char: str) -> str:
    return f"{char!r} is not a designator after a number here"


ACCEPTED = [
    # parse_time_range: None, "" and "all" are no filter.
    pytest.param("", None, id="empty-is-no-filter"),
    pytest.param("all", None, id="all-is-no-filter"),
    pytest.param("P7D", TimeRange(days=7), id="days"),
    pytest.param("PT12H", TimeRange(hours=12), id="hours-after-T"),
    pytest.param(
        "P1Y2M3W4DT5H6M7S",
        TimeRange(years=1, months=2, weeks=3, days=4, hours=5, minutes=6, seconds=7),
        id="every-designator",
    ),
    # Designators in any order; `M` is months before `T` and minutes after it.
    pytest.param("P1D1Y", TimeRange(years=1, days=1), id="any-order"),
    pytest.param("P1MT1M", TimeRange(months=1, minutes=1), id="M-by-section"),
    # A repeated designator adds up (saturating_add).
    pytest.param("P3000D660D", TimeRange(days=3660), id="repeated-adds-up-to-the-bound"),
    # within_bounds: total > 0 and at most MAX_DAYS, years 366 days and months 31.
    pytest.param("PT1S", TimeRange(seconds=1), id="one-second-is-above-zero"),
    pytest.param("P0DT1S", TimeRange(seconds=1), id="a-zero-part-beside-a-non-zero-one"),
    pytest.param("P10Y", TimeRange(years=10), id="ten-years-of-366-days"),
    pytest.param("P118M", TimeRange(months=118), id="months-of-31-days-up-to-the-bound"),
    pytest.param(f"PT{BOUND_SECONDS}S", TimeRange(seconds=BOUND_SECONDS), id="bound-in-seconds"),
    pytest.param("P007D", TimeRange(days=7), id="leading-zeros"),
]

REFUSED = [
    # bytes.first() != Some(&b'P'): MissingDesignator.
    pytest.param("7D", NO_P, id="no-P"),
    pytest.param("p7d", NO_P, id="lowercase-p"),
    pytest.param(" P7D", NO_P, id="leading-space"),
    # No component: Empty; all components zero: OutOfBounds.
    pytest.param("P", ZERO, id="bare-P"),
    pytest.param("PT", ZERO, id="bare-PT"),
    pytest.param("P0D", ZERO, id="zero-days"),
    # `T` after the time section began, or straight after a number.
    pytest.param("PT1HT2M", T_ONCE, id="T-twice"),
    pytest.param("PTT1H", T_ONCE, id="T-twice-in-a-row"),
    pytest.param("P1T2H", T_ONCE, id="T-after-a-number"),
    # A designator with no number before it, or not of its section.
    pytest.param("PD", _not_after_a_number("D"), id="designator-without-number"),
    pytest.param("P7X", _not_after_a_number("X"), id="unknown-designator"),
    pytest.param("PT1D", _not_after_a_number("D"), id="date-designator-after-T"),
    pytest.param("P1H", _not_after_a_number("H"), id="time-designator-before-T"),
    pytest.param("P1.5D", _not_after_a_number("."), id="fraction"),
    pytest.param("P-1D", _not_after_a_number("-"), id="negative"),
    # Only ASCII digits are digits (b'0'..=b'9'), not any a str calls one.
    pytest.param("P\u0663D", _not_after_a_number("\u0663"), id="arabic-indic-digit"),
    pytest.param("P7D ", _not_after_a_number(" "), id="trailing-space"),
    # Trailing digits: InvalidSyntax.
    pytest.param("P30", "the number 30 has no designator", id="number-without-designator"),
    # u32::try_from: each number fits 32 bits.
    pytest.param("P4294967295D", LONGER, id="largest-u32-is-only-too-long"),
    pytest.param("P4294967296D", "4294967296 does not fit in 32 bits", id="past-u32"),
    # within_bounds: above MAX_DAYS, each unit at its coarse length.
    pytest.param("P11Y", LONGER, id="eleven-years"),
    pytest.param("P3000D661D", LONGER, id="repeated-adds-up-past-the-bound"),
    pytest.param("P3660DT1S", LONGER, id="one-second-past-the-bound"),
    pytest.param("P119M", LONGER, id="months-of-31-days-past-the-bound"),
    pytest.param("P523W", LONGER, id="weeks-of-7-days-past-the-bound"),
    pytest.param(f"PT{BOUND_SECONDS // 60 + 1}M", LONGER, id="minutes-past-the-bound"),
    pytest.param(f"PT{BOUND_SECONDS // 3600 + 1}H", LONGER, id="hours-past-the-bound"),
]


@pytest.mark.parametrize(("text", "duration"), ACCEPTED)
def test_a_duration_the_server_parses_is_read_as_it_reads_it(
    text: str, duration: TimeRange | None
) -> None:
    assert parse_time_range(text) == duration
    assert RunListQuery(time_range=text).time_range == text


@pytest.mark.parametrize(("text", "reason"), REFUSED)
def test_a_duration_the_server_would_ignore_is_refused_with_the_reason(
    text: str, reason: str
) -> None:
    with pytest.raises(ValueError, match=f"^{re.escape(reason)}$"):
        parse_time_range(text)
    with pytest.raises(ValidationError) as invalid:
        RunListQuery(time_range=text)
    (error,) = invalid.value.errors(include_url=False)
    assert error["loc"] == ("time_range",)
    assert error["msg"] == (
        "time_range is 'all' or an ISO 8601 duration up to ten years "
        f"(such as P7D, PT12H, P1Y2M): {reason}"
    )
