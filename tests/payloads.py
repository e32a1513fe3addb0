"""Wire payloads shaped exactly as the Hot server emits them (see WIRE.md):
keys marked absent-when-empty are missing, keys marked null are present as null,
timestamps carry nanoseconds and a Z, UUIDs are lowercase."""

from __future__ import annotations

import uuid
from typing import Any

from hypothesis import strategies as st

NANO_TIME = "2026-11-29T10:00:00.123456789Z"
MILLI_TIME = "2026-11-29T10:00:01.123Z"
PLAIN_TIME = "2026-11-29T10:00:02Z"


def uid() -> str:
    return str(uuid.uuid4())


def meta() -> dict[str, Any]:
    return {"request_id": uid(), "timestamp": PLAIN_TIME}


def item(data: Any) -> dict[str, Any]:
    return {"data": data, "meta": meta()}


def page(data: list[Any], *, total: int | None = None, limit: int = 20, offset: int = 0) -> Any:
    total = len(data) if total is None else total
    return {
        "data": data,
        "pagination": {
            "total": total,
            "limit": limit,
            "offset": offset,
            "has_more": offset + limit < total,
        },
        "meta": meta(),
    }


def project() -> dict[str, Any]:
    return {
        "project_id": uid(),
        "env_id": uid(),
        "name": "billing",
        "active": True,
        "created_at": NANO_TIME,
        "updated_at": MILLI_TIME,
    }


def build(**extra: Any) -> dict[str, Any]:
    return {
        "build_id": uid(),
        "project_id": uid(),
        "hash": "sha256:ab12",
        "size": 2048,
        "build_type": "bundle",
        "deployed": True,
        "active": True,
        "runtime_status": "ready",
        "deployment_sequence": 3,
        "created_at": NANO_TIME,
        "updated_at": NANO_TIME,
        **extra,
    }


def build_upload() -> dict[str, Any]:
    return {
        "build_id": uid(),
        "project_id": uid(),
        "hash": "sha256:ab12",
        "size": 2048,
        "storage_path": "builds/x.zip",
        "storage_backend": "s3",
        "created_at": NANO_TIME,
    }


def context_variable() -> dict[str, Any]:
    return {"key": "API_KEY", "description": None, "created_at": NANO_TIME, "updated_at": NANO_TIME}


def run(**extra: Any) -> dict[str, Any]:
    return {
        "run_id": uid(),
        "env_id": uid(),
        "stream_id": uid(),
        "build_id": None,
        "run_type": "event",
        "status": "succeeded",
        "start_time": NANO_TIME,
        "stop_time": None,
        "origin_run_id": None,
        "event_id": uid(),
        "retry_attempt": 0,
        **extra,
    }


def run_stats() -> dict[str, Any]:
    return {"total_runs": 10, "running": 1, "succeeded": 7, "failed": 1, "cancelled": 1}


def task(**extra: Any) -> dict[str, Any]:
    return {
        "task_id": uid(),
        "env_id": uid(),
        "stream_id": uid(),
        "build_id": uid(),
        "run_id": None,
        "origin_run_id": None,
        "function_name": "::app::jobs/report",
        "task_type": "background",
        "status": "queued",
        "start_time": None,
        "stop_time": None,
        "duration_ms": None,
        "timeout_ms": 60000,
        "retry_attempt": 0,
        "created_at": NANO_TIME,
        **extra,
    }


def event(event_data: Any = None) -> dict[str, Any]:
    return {
        "event_id": uid(),
        "env_id": uid(),
        "stream_id": uid(),
        "event_type": "user:signup",
        "event_data": {"email": "a@example.com"} if event_data is None else event_data,
        "event_time": NANO_TIME,
        "created_at": NANO_TIME,
    }


def event_handler() -> dict[str, Any]:
    return {
        "event_handler_id": uid(),
        "build_id": uid(),
        "event_type": "user:signup",
        "ns": "::app::users",
        "var": "on-signup",
    }


def schedule() -> dict[str, Any]:
    return {"schedule_id": uid(), "build_id": uid(), "cron": "0 * * * *", "ns": "::app", "var": "x"}


def environment() -> dict[str, Any]:
    return {"env_id": uid(), "org_id": uid(), "name": "production", "active": True}


def org_usage() -> dict[str, Any]:
    return {
        "org_id": uid(),
        "usage": {
            "runs_this_period": 12,
            "file_storage_bytes": 1024,
            "team_members": 2,
            "call_storage_bytes": 0,
            "call_count": 3,
            "store_storage_bytes": 0,
            "active_schedules": 1,
        },
        "limits": {
            "runs_per_month": -1,
            "storage_bytes": 10_000_000,
            "team_members": 5,
            "call_retention_days": 30,
            "call_storage_bytes": -1,
            "store_storage_bytes": -1,
            "compute_units_per_month": 1000,
            "compute_units_used": 10,
            "compute_units_budget": 1000,
            "task_minutes_per_month": 600,
            "active_schedules_per_org": 10,
        },
        "usage_percent": {
            "runs": 0.0,
            "file_storage": 0.01,
            "team_members": 40.0,
            "call_storage": 0.0,
            "store_storage": 0.0,
            "active_schedules": 10.0,
            "has_warning": False,
        },
        "plan": {"name": "pro", "period_start": PLAIN_TIME, "period_end": NANO_TIME},
    }


def file(path: str = "reports/q1.csv") -> dict[str, Any]:
    return {
        "file_id": uid(),
        "path": path,
        "size": 5,
        "etag": None,
        "content_type": "text/csv",
        "storage_backend": "s3",
        "created_by_run_id": None,
        "updated_by_run_id": None,
        "created_at": NANO_TIME,
        "updated_at": NANO_TIME,
    }


def initiate_upload() -> dict[str, Any]:
    return {"upload_id": uid(), "path": "big.bin", "part_size": 5242880, "expires_at": NANO_TIME}


def upload_part(number: int = 1) -> dict[str, Any]:
    return {"part_number": number, "size": 5, "etag": '"abc"'}


def session(*, token: bool = False) -> dict[str, Any]:
    data: dict[str, Any] = {
        "session_id": uid(),
        "permissions": {"event:*": ["create"]},
        "expires_at": NANO_TIME,
        "created_at": NANO_TIME,
    }
    if token:
        data["token"] = "hot_sess_secret_value"
    return data


def service_key(*, token: bool = False) -> dict[str, Any]:
    data: dict[str, Any] = {
        "service_key_id": uid(),
        "name": None,
        "description": None,
        "permissions": {"mcp:*": ["execute"]},
        "created_at": NANO_TIME,
    }
    if token:
        data["token"] = "hot_sk_secret_value"
    return data


def revoke_all() -> dict[str, Any]:
    return {"revoked_count": 3}


def domain() -> dict[str, Any]:
    return {
        "domain_id": uid(),
        "env_id": uid(),
        "domain": "api.example.com",
        "status": "pending_validation",
        "dns_records": [
            {"type": "CNAME", "name": "api", "value": "x.hot.dev", "purpose": "traffic"}
        ],
        "created_at": NANO_TIME,
    }


def domain_verification() -> dict[str, Any]:
    return {
        "domain_id": uid(),
        "domain": "api.example.com",
        "status": "validated",
        "message": "ok",
    }


def project_activation() -> dict[str, Any]:
    return {"project": project(), "redeployed_build_id": uid()}


def json_values(
    text: st.SearchStrategy[str], *, max_size: int = 4, max_leaves: int = 16
) -> st.SearchStrategy[Any]:
    """Any JSON value as Python decodes it, its strings and keys drawn from `text`."""
    return st.recursive(
        st.none()
        | st.booleans()
        | st.integers()
        | st.floats(allow_nan=False, allow_infinity=False)
        | text,
        lambda kids: st.lists(kids, max_size=max_size)
        | st.dictionaries(text, kids, max_size=max_size),
        max_leaves=max_leaves,
    )
