"""The environment a token is scoped to, and its organization's usage."""

from __future__ import annotations

from pydantic import AwareDatetime

from ._base import WireModel
from ._common import Id

__all__ = ["Environment", "OrgLimits", "OrgPlan", "OrgUsage", "UsageCounts", "UsagePercent"]


class Environment(WireModel):
    """The environment a token belongs to, in its organization."""

    env_id: Id
    org_id: Id
    name: str
    active: bool


class UsageCounts(WireModel):
    """What the organization used this period."""

    runs_this_period: int
    file_storage_bytes: int
    team_members: int
    call_storage_bytes: int
    call_count: int
    store_storage_bytes: int
    active_schedules: int


class OrgLimits(WireModel):
    """Plan limits; -1 means unlimited."""

    runs_per_month: int
    storage_bytes: int
    team_members: int
    call_retention_days: int
    call_storage_bytes: int
    store_storage_bytes: int
    compute_units_per_month: int
    compute_units_used: int
    compute_units_budget: int
    task_minutes_per_month: int
    active_schedules_per_org: int


class UsagePercent(WireModel):
    """Usage as a percentage of each limit; `has_warning` when one is close to it."""

    runs: float
    file_storage: float
    team_members: float
    call_storage: float
    store_storage: float
    active_schedules: float
    has_warning: bool


class OrgPlan(WireModel):
    """The organization's plan and its current billing period."""

    name: str
    period_start: AwareDatetime
    period_end: AwareDatetime


class OrgUsage(WireModel):
    """The answer to `org.usage`: usage this period, the plan's limits, and the ratio."""

    org_id: Id
    usage: UsageCounts
    limits: OrgLimits
    usage_percent: UsagePercent
    plan: OrgPlan
