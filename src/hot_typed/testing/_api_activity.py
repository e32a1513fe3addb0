"""Endpoints of activity: events, run streams, runs, tasks, the environment and org usage."""

from __future__ import annotations

import calendar
import time
from datetime import datetime, timedelta, timezone
from typing import Any

from .._models.events import EventCreate, is_reserved
from .._models.runs import RunStatus, RunType
from .._models.stream_events import EventPublished, StreamComplete
from .._path_ids import canonical_id
from .._resources._params import parse_time_range
from ._context import ServerContext
from ._http import HttpResponse
from ._routing import Routed, Router
from ._store import RUN_TERMINAL, sse_event, tag
from ._subscriptions import EnvSubscription, SnapshotSubscription, StreamSubscription
from ._values import (
    JSON,
    ApiError,
    created,
    found,
    item,
    new_ordered_id,
    page,
    timestamp_nanos,
)

__all__ = ["add_activity_routes"]

def _cutoff_ns(time_range: str | None) -> int | None:
    """The earliest start time (ns) `time_range` lists, None for every run.

    crates/hot_api/src/handlers/runs.rs filters with crates/hot/src/time_range.rs:
    a value it cannot parse lists every run; years and months go back on the
    calendar (clamped to the month's last day), the rest by fixed lengths.
    """
    try:
        duration = None if time_range is None else parse_time_range(time_range)
    except ValueError:
        return None
    if duration is None:
        return None
    now = datetime.now(timezone.utc)
    months = now.year * 12 + now.month - 1 - duration.years * 12 - duration.months
    year, month = divmod(months, 12)
    if year < 1:
        return time.time_ns()
    day = min(now.day, calendar.monthrange(year, month + 1)[1])
    back = now.replace(year=year, month=month + 1, day=day) - timedelta(
        weeks=duration.weeks,
        days=duration.days,
        hours=duration.hours,
        minutes=duration.minutes,
        seconds=duration.seconds,
    )
    return int(back.timestamp()) * 1_000_000_000 + back.microsecond * 1_000


def _event_body(routed: Routed) -> tuple[str, Any, str | None]:
    # crates/hot_api/src/handlers/events.rs (and streams.rs, subscribe_with_event):
    # the body is PublishEventRequest; only the reserved prefix is checked (403).
    # hot:call data is stored whatever its shape: a call it cannot make fails its run.
    body = routed.body(EventCreate, untyped={"event_data"})
    event_type: str = body["event_type"]
    if is_reserved(event_type):
        raise ApiError(
            403,
            "forbidden",
            "Event types beginning with 'hot:' are reserved for internal control flows",
        )
    stream_id = body.get("stream_id")
    # Read as a `Uuid`, any spelling its parser takes is stored in the one form.
    return event_type, body["event_data"], None if stream_id is None else canonical_id(stream_id)


def add_activity_routes(router: Router, ctx: ServerContext) -> None:
    store = ctx.store

    def stream_complete(stream_id: str) -> tuple[str, JSON]:
        return sse_event(tag(StreamComplete), {"stream_id": stream_id})

    # Events -------------------------------------------------------------

    # crates/hot_api/src/handlers/events.rs, streams.rs and tasks.rs check the
    # credential's permissions (`require_permission`), each where noted.
    read_events = "Credential does not have read access to events"
    read_stream = "Credential does not have read access to this stream"

    @router.add("POST", "/events")
    def publish(routed: Routed) -> HttpResponse:
        event_type, event_data, stream_id = _event_body(routed)
        ctx.require(
            routed,
            f"event:{event_type}",
            "create",
            "Credential does not have create permission for this event type",
        )
        with store.lock:
            event = store.add_event(event_type, event_data, stream_id)
            ctx.handlers.dispatch(store, event)
            return created(dict(event))

    @router.add("GET", "/events")
    def list_events(routed: Routed) -> HttpResponse:
        ctx.require(routed, "event:*", "read", read_events)
        with store.lock:
            events = [dict(e) for e in reversed(store.events.values())]
        return page(events, routed.query)

    @router.add("GET", "/events/{event_id}")
    def get_event(routed: Routed) -> HttpResponse:
        ctx.require(routed, "event:*", "read", read_events)
        with store.lock:
            return item(dict(found(store.events, routed.params["event_id"], "Event")))

    @router.add("GET", "/events/{event_id}/runs")
    def event_runs(routed: Routed) -> HttpResponse:
        ctx.require(routed, "event:*", "read", read_events)
        with store.lock:
            event = found(store.events, routed.params["event_id"], "Event")
            runs = [dict(r) for r in store.runs.values() if r["event_id"] == event["event_id"]]
        return page(runs, routed.query)

    # Run streams ----------------------------------------------------------

    def check_project(routed: Routed) -> str | None:
        """The id of the project `?project=` names (an id or a name), whose runs
        alone the stream sends; 404 when there is none."""
        ref = routed.query.get("project")
        return None if ref is None else str(store.project(ref)["project_id"])

    @router.add("POST", "/streams/subscribe-with-event")
    def subscribe_with_event(routed: Routed) -> HttpResponse:
        event_type, event_data, stream_id = _event_body(routed)
        # The stream is chosen (a new one when none is named) before the checks.
        stream_id = stream_id or new_ordered_id()
        ctx.require(routed, f"stream:{stream_id}", "read", read_stream)
        ctx.require(
            routed,
            f"event:{event_type}",
            "create",
            "Credential does not have create permission for events",
        )
        with store.lock:
            # Subscribe (under the same lock) before the run starts: none of
            # its events can be missed.
            event = store.add_event(event_type, event_data, stream_id)
            published = {
                "event_id": event["event_id"],
                "stream_id": event["stream_id"],
                "event_type": event_type,
            }
            subscription = StreamSubscription(
                store,
                event["stream_id"],
                first=sse_event(tag(EventPublished), published),
                late_run_start=ctx.config.late_run_start,
            )
            ctx.handlers.dispatch(store, event)
        # The server publishes (step 5, `publish_event_internal`) before it
        # resolves `?project=`: its 404 leaves the event published, its run going.
        try:
            subscription.project_id = check_project(routed)
        except ApiError:
            subscription.close()
            raise
        return ctx.sse(routed, subscription, lambda: stream_complete(event["stream_id"]))

    def subscribe(routed: Routed) -> HttpResponse:
        stream_id = routed.params["stream_id"]
        # crates/hot_api/src/handlers/streams.rs subscribe_to_stream, in its
        # order: the stream (404), the permission (403), then `?project=` (404).
        with store.lock:
            if stream_id not in store.streams:
                raise ApiError.not_found("Stream")
            ctx.require(routed, f"stream:{stream_id}", "read", read_stream)
        project_id = check_project(routed)
        with store.lock:
            subscription = StreamSubscription(
                store, stream_id, late_run_start=ctx.config.late_run_start
            )
        subscription.project_id = project_id
        return ctx.sse(routed, subscription, lambda: stream_complete(stream_id))

    router.add("GET", "/streams/{stream_id}/subscribe")(subscribe)
    router.add("POST", "/streams/{stream_id}/subscribe")(subscribe)

    # Runs and tasks ---------------------------------------------------------

    def listed_runs() -> list[JSON]:
        """The runs lists and counts take: not the runs tasks execute as, which
        only `GET /runs/{id}` and their stream show (crates/hot/src/db/run.rs
        `get_filtered_runs_by_env`, `get_count_by_env`, ...: `run_type_id != 7`)."""
        return [run for run in store.runs.values() if run["run_type"] != RunType.TASK]

    @router.add("GET", "/runs")
    def list_runs(routed: Routed) -> HttpResponse:
        ctx.require_api_key(routed, "Only API keys can list runs.")
        query = routed.query
        cutoff = _cutoff_ns(query.get("time_range"))
        with store.lock:
            runs = [
                dict(run)
                for run in sorted(listed_runs(), key=lambda r: r["start_time"], reverse=True)
                if query.get("status") in (None, run["status"])
                and query.get("type") in (None, run["run_type"])
                and (cutoff is None or timestamp_nanos(run["start_time"]) >= cutoff)
            ]
        return page(runs, query)

    @router.add("GET", "/runs/stats")
    def run_stats(routed: Routed) -> HttpResponse:
        ctx.require_api_key(routed, "Only API keys can read run stats.")
        with store.lock:
            statuses = [run["status"] for run in listed_runs()]
        counts = {s: statuses.count(s) for s in (RunStatus.RUNNING.value, *RUN_TERMINAL)}
        return item({"total_runs": len(statuses), **counts})

    @router.add("GET", "/runs/{run_id}")
    def get_run(routed: Routed) -> HttpResponse:
        ctx.require_api_key(routed, "Only API keys can read runs.")
        with store.lock:
            return item(dict(found(store.runs, routed.params["run_id"], "Run")))

    @router.add("GET", "/runs/{run_id}/subscribe")
    def subscribe_run(routed: Routed) -> HttpResponse:
        ctx.require_api_key(routed, "Only API keys can read runs.")
        with store.lock:
            run_id = found(store.runs, routed.params["run_id"], "Run")["run_id"]
        # crates/hot_api/src/handlers/runs.rs `subscribe_to_run` has no time
        # limit: it ends with the run (or when polling it fails); its
        # KeepAlive has the text "keepalive", the other streams' none.
        subscription = SnapshotSubscription.run(store, run_id)
        return ctx.sse(routed, subscription, time_limited=False, keepalive_text="keepalive")

    def task_of(routed: Routed) -> JSON:
        """The task, once its stream is readable (tasks.rs, `get_task_for_env`)."""
        with store.lock:
            task = found(store.tasks, routed.params["task_id"], "Task")
            ctx.require(
                routed,
                f"stream:{task['stream_id']}",
                "read",
                "Credential does not have read access to this task's stream",
            )
            return task

    @router.add("GET", "/tasks/{task_id}")
    def get_task(routed: Routed) -> HttpResponse:
        with store.lock:
            return item(dict(task_of(routed)))

    @router.add("GET", "/tasks/{task_id}/subscribe")
    def subscribe_task(routed: Routed) -> HttpResponse:
        # crates/hot_api/src/handlers/tasks.rs: no time limit either, and the
        # same keep-alive text.
        subscription = SnapshotSubscription.task(store, task_of(routed)["task_id"])
        return ctx.sse(routed, subscription, time_limited=False, keepalive_text="keepalive")

    # Environment and organization -----------------------------------------------

    @router.add("GET", "/env")
    def get_env(routed: Routed) -> HttpResponse:
        ctx.require_api_key(routed, "Only API keys can read environment info.")
        return item(
            {"env_id": store.env_id, "org_id": store.org_id, "name": store.env_name, "active": True}
        )

    @router.add("GET", "/env/subscribe")
    def subscribe_env(routed: Routed) -> HttpResponse:
        ctx.require_api_key(routed, "Only API keys can subscribe to environment events.")
        with store.lock:
            subscription = EnvSubscription(store)
        return ctx.sse(routed, subscription)

    @router.add("GET", "/org/usage")
    def org_usage(routed: Routed) -> HttpResponse:
        ctx.require_api_key(routed, "Only API keys can read organization usage.")
        return item(_org_usage(ctx))


# crates/hot/src/db/features.rs: the limits `get_org_usage` reports, and what a
# plan that does not name one has (`Features::cloud_defaults`; the compute units
# budget is not among them, so the accessor's -1).
_CLOUD_LIMITS = {
    "runs_per_month": 0,
    "team_members": 1,
    "call_retention_days": 0,
    "call_storage_bytes": 0,
    "store_storage_bytes": 0,
    "compute_units_per_month": 0,
    "compute_units_budget": -1,
    "task_minutes_per_month": 0,
    "active_schedules_per_org": 50,
}


def _share(used: int, limit: int) -> float:
    """crates/hot/src/db/subscription.rs: the percentage of a limit above 0, else 0."""
    return used / limit * 100 if limit > 0 else 0.0


def _org_usage(ctx: ServerContext) -> JSON:
    store = ctx.store
    with store.lock:
        runs = len(store.runs)
        file_bytes = sum(len(content) for content in store.file_content.values())
    now = time.gmtime()
    period_start = f"{now.tm_year:04d}-{now.tm_mon:02d}-01T00:00:00Z"
    next_year, next_month = divmod(now.tm_year * 12 + now.tm_mon, 12)
    period_end = f"{next_year:04d}-{next_month + 1:02d}-01T00:00:00Z"
    limits = {key: ctx.config.plan_limit(key, default) for key, default in _CLOUD_LIMITS.items()}
    limits["storage_bytes"] = ctx.config.storage_limit
    shares = {
        "runs": _share(runs, limits["runs_per_month"]),
        "file_storage": _share(file_bytes, limits["storage_bytes"]),
        "team_members": _share(1, limits["team_members"]),
        "call_storage": 0.0,
        "store_storage": 0.0,
        "active_schedules": 0.0,
    }
    return {
        "org_id": store.org_id,
        "usage": {
            "runs_this_period": runs,
            "file_storage_bytes": file_bytes,
            "team_members": 1,
            "call_storage_bytes": 0,
            "call_count": sum(1 for r in store.runs.values() if r["run_type"] == "call"),
            "store_storage_bytes": 0,
            "active_schedules": 0,
        },
        "limits": {
            "runs_per_month": limits["runs_per_month"],
            "storage_bytes": limits["storage_bytes"],
            "team_members": limits["team_members"],
            "call_retention_days": limits["call_retention_days"],
            "call_storage_bytes": limits["call_storage_bytes"],
            "store_storage_bytes": limits["store_storage_bytes"],
            "compute_units_per_month": limits["compute_units_per_month"],
            "compute_units_used": 0,
            "compute_units_budget": limits["compute_units_budget"],
            "task_minutes_per_month": limits["task_minutes_per_month"],
            "active_schedules_per_org": limits["active_schedules_per_org"],
        },
        # crates/hot/src/db/subscription.rs `has_warning`: past 90% of any
        # limit but the team's (compute units used: none, so 0%).
        "usage_percent": {
            **shares,
            "has_warning": any(
                share > 90.0 for name, share in shares.items() if name != "team_members"
            ),
        },
        # crates/hot_api/src/handlers/org.rs: an org without a plan is
        # "Self-Hosted"; a plan's own name is not among its features.
        "plan": {
            "name": "Self-Hosted" if ctx.config.features is None else "emulator",
            "period_start": period_start,
            "period_end": period_end,
        },
    }
