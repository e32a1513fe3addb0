"""hot-typed: a Pydantic-model-first, fully typed client for the Hot Dev API.

Every payload the API sends or receives is a Pydantic v2 model; request bodies
are validated before anything is sent; every returned model keeps the exact
wire object it came from as `.raw`.
"""

from importlib import import_module
from typing import TYPE_CHECKING, Any

from ._version import __version__ as __version__

# The public names, by defining module: the one list of them. They are imported
# on first use (PEP 562), so a program pays only for the models it touches:
# `from hot_typed import HotClient` loads the client and the wire layer, not the
# classes of every resource. `__all__` is derived from it; the block below, for
# type checkers, is checked against it by tests/test_public_names.py.
_EXPORTS: dict[str, tuple[str, ...]] = {
    "._client": ("AsyncHotClient", "HotClient"),
    "._errors": (
        "AuthenticationError",
        "BadRequestError",
        "ConflictError",
        "HotApiError",
        "HotClientClosedError",
        "HotConnectionError",
        "HotError",
        "HotFrameTooLargeError",
        "HotJsonDecodeError",
        "HotMcpError",
        "HotResponseValidationError",
        "HotRunError",
        "HotStreamError",
        "HotTaskError",
        "HotTimeoutError",
        "HotUploadError",
        "InternalServerError",
        "NotFoundError",
        "PermissionDeniedError",
        "RateLimitError",
        "UnprocessableEntityError",
    ),
    "._models._base": ("OpenEnum", "RequestModel", "WireModel"),
    "._request_ids": ("request_id_of",),
    "._responses": (
        "AsyncRawResponse",
        "AsyncStreamedResponse",
        "RawResponse",
        "StreamedResponse",
    ),
    "._models._common": ("Meta", "Pagination"),
    "._models.blobs": ("BLOB_REF_TYPE", "BlobRef", "find_blob_refs"),
    "._models.auth": (
        "SESSION_MAX_TTL",
        "RevokeAll",
        "ServiceKey",
        "ServiceKeyCreate",
        "ServiceKeyCreateParams",
        "ServiceKeyUpdate",
        "ServiceKeyUpdateParams",
        "Session",
        "SessionCreate",
        "SessionCreateParams",
    ),
    "._models.domains": (
        "DnsRecord",
        "DnsRecordPurpose",
        "Domain",
        "DomainCreate",
        "DomainCreateParams",
        "DomainStatus",
        "DomainVerification",
    ),
    "._models.env": (
        "Environment",
        "OrgLimits",
        "OrgPlan",
        "OrgUsage",
        "UsageCounts",
        "UsagePercent",
    ),
    "._models.events": (
        "Event",
        "EventCreate",
        "EventCreateParams",
    ),
    "._models.files": (
        "File",
        "InitiateUpload",
        "UploadCreate",
        "UploadCreateParams",
        "UploadPart",
    ),
    "._models.permissions": (
        "ACTIONS",
        "Permissions",
        "RESOURCE_ACTIONS",
        "SERVICE_KEY_RESOURCE_TYPES",
    ),
    "._models.projects": (
        "Build",
        "BuildRuntimeWarning",
        "BuildUpload",
        "BuildWithProject",
        "ContextVariable",
        "ContextVariableCreate",
        "ContextVariableCreateParams",
        "ContextVariableUpdate",
        "ContextVariableUpdateParams",
        "EventHandler",
        "Project",
        "ProjectActivation",
        "ProjectCreate",
        "ProjectCreateParams",
        "ProjectUpdate",
        "ProjectUpdateParams",
        "Schedule",
    ),
    "._models.runs": (
        "FinishedRun",
        "FinishedTask",
        "Run",
        "RunStats",
        "RunStatus",
        "RunType",
        "Task",
        "TaskStatus",
    ),
    "._models.status": ("ServerStatus",),
    "._models.stream_events": (
        "EnvEvent",
        "EnvEventCreated",
        "EnvEventHandled",
        "EnvRunCancel",
        "EnvRunFail",
        "EnvRunStart",
        "EnvRunStop",
        "EnvStreamCreated",
        "EnvTaskComplete",
        "EnvTaskStarted",
        "EventPublished",
        "Keepalive",
        "RunCancel",
        "RunFail",
        "RunStart",
        "RunStop",
        "RunUpdate",
        "StreamComplete",
        "StreamData",
        "StreamEvent",
        "TaskUpdate",
        "UnknownStreamEvent",
    ),
    "._options": ("CallOptions", "ClientOptions", "QueryValue", "StreamOptions", "WaitOptions"),
    "._pagination": ("AsyncPage", "Page"),
    "._resources.webhooks": ("WebhookResponse",),
    "._sources": ("UploadSource",),
    "._sse": ("AsyncEventStream", "EventStream"),
    ".progress": ("ProgressCallback",),
    "._functions": (
        "FunctionOptions",
        "HotFunction",
        "function",
    ),
    "._contracts": (
        "EventType",
        "StreamDataType",
    ),
    "._models.mcp": (
        "McpTool",
        "McpToolList",
        "McpToolResult",
    ),
}

_MODULE_OF: dict[str, str] = {name: module for module, names in _EXPORTS.items() for name in names}

# Public names renamed in a minor version: old name -> (new name, version renamed
# in). Each still answers, with a DeprecationWarning, until the next major version;
# it is not in `__all__`, and is declared `@deprecated` below for type checkers
# (see `_deprecation.py`).
_RENAMED: dict[str, tuple[str, str]] = {}

# Derived, so pyright cannot read it; the explicit re-exports below tell it the same.
__all__ = sorted([*_MODULE_OF, "__version__"])  # pyright: ignore[reportUnsupportedDunderAll]

if TYPE_CHECKING:
    # `Name as Name` marks each an explicit re-export, as `__all__` is not a literal;
    # one import per module, as in `_EXPORTS` (hence no isort).
    from ._client import AsyncHotClient as AsyncHotClient, HotClient as HotClient  # noqa: I001
    from ._errors import (
        AuthenticationError as AuthenticationError,
        BadRequestError as BadRequestError,
        ConflictError as ConflictError,
        HotApiError as HotApiError,
        HotClientClosedError as HotClientClosedError,
        HotConnectionError as HotConnectionError,
        HotError as HotError,
        HotFrameTooLargeError as HotFrameTooLargeError,
        HotJsonDecodeError as HotJsonDecodeError,
        HotMcpError as HotMcpError,
        HotResponseValidationError as HotResponseValidationError,
        HotRunError as HotRunError,
        HotStreamError as HotStreamError,
        HotTaskError as HotTaskError,
        HotTimeoutError as HotTimeoutError,
        HotUploadError as HotUploadError,
        InternalServerError as InternalServerError,
        NotFoundError as NotFoundError,
        PermissionDeniedError as PermissionDeniedError,
        RateLimitError as RateLimitError,
        UnprocessableEntityError as UnprocessableEntityError,
    )
    from ._models._base import (
        OpenEnum as OpenEnum,
        RequestModel as RequestModel,
        WireModel as WireModel,
    )
    from ._models._common import Meta as Meta, Pagination as Pagination
    from ._models.blobs import (
        BLOB_REF_TYPE as BLOB_REF_TYPE,
        BlobRef as BlobRef,
        find_blob_refs as find_blob_refs,
    )
    from ._models.auth import (
        SESSION_MAX_TTL as SESSION_MAX_TTL,
        RevokeAll as RevokeAll,
        ServiceKey as ServiceKey,
        ServiceKeyCreate as ServiceKeyCreate,
        ServiceKeyCreateParams as ServiceKeyCreateParams,
        ServiceKeyUpdate as ServiceKeyUpdate,
        ServiceKeyUpdateParams as ServiceKeyUpdateParams,
        Session as Session,
        SessionCreate as SessionCreate,
        SessionCreateParams as SessionCreateParams,
    )
    from ._models.domains import (
        DnsRecord as DnsRecord,
        DnsRecordPurpose as DnsRecordPurpose,
        Domain as Domain,
        DomainCreate as DomainCreate,
        DomainCreateParams as DomainCreateParams,
        DomainStatus as DomainStatus,
        DomainVerification as DomainVerification,
    )
    from ._models.env import (
        Environment as Environment,
        OrgLimits as OrgLimits,
        OrgPlan as OrgPlan,
        OrgUsage as OrgUsage,
        UsageCounts as UsageCounts,
        UsagePercent as UsagePercent,
    )
    from ._models.events import (
        Event as Event,
        EventCreate as EventCreate,
        EventCreateParams as EventCreateParams,
    )
    from ._models.files import (
        File as File,
        InitiateUpload as InitiateUpload,
        UploadCreate as UploadCreate,
        UploadCreateParams as UploadCreateParams,
        UploadPart as UploadPart,
    )
    from ._models.permissions import (
        ACTIONS as ACTIONS,
        SERVICE_KEY_RESOURCE_TYPES as SERVICE_KEY_RESOURCE_TYPES,
        Permissions as Permissions,
        RESOURCE_ACTIONS as RESOURCE_ACTIONS,
    )
    from ._models.projects import (
        Build as Build,
        BuildRuntimeWarning as BuildRuntimeWarning,
        BuildUpload as BuildUpload,
        BuildWithProject as BuildWithProject,
        ContextVariable as ContextVariable,
        ContextVariableCreate as ContextVariableCreate,
        ContextVariableCreateParams as ContextVariableCreateParams,
        ContextVariableUpdate as ContextVariableUpdate,
        ContextVariableUpdateParams as ContextVariableUpdateParams,
        EventHandler as EventHandler,
        Project as Project,
        ProjectActivation as ProjectActivation,
        ProjectCreate as ProjectCreate,
        ProjectCreateParams as ProjectCreateParams,
        ProjectUpdate as ProjectUpdate,
        ProjectUpdateParams as ProjectUpdateParams,
        Schedule as Schedule,
    )
    from ._models.runs import (
        FinishedRun as FinishedRun,
        FinishedTask as FinishedTask,
        Run as Run,
        RunStats as RunStats,
        RunStatus as RunStatus,
        RunType as RunType,
        Task as Task,
        TaskStatus as TaskStatus,
    )
    from ._models.status import ServerStatus as ServerStatus
    from ._models.stream_events import (
        EnvEvent as EnvEvent,
        EnvEventCreated as EnvEventCreated,
        EnvEventHandled as EnvEventHandled,
        EnvRunCancel as EnvRunCancel,
        EnvRunFail as EnvRunFail,
        EnvRunStart as EnvRunStart,
        EnvRunStop as EnvRunStop,
        EnvStreamCreated as EnvStreamCreated,
        EnvTaskComplete as EnvTaskComplete,
        EnvTaskStarted as EnvTaskStarted,
        EventPublished as EventPublished,
        Keepalive as Keepalive,
        RunCancel as RunCancel,
        RunFail as RunFail,
        RunStart as RunStart,
        RunStop as RunStop,
        RunUpdate as RunUpdate,
        StreamComplete as StreamComplete,
        StreamData as StreamData,
        StreamEvent as StreamEvent,
        TaskUpdate as TaskUpdate,
        UnknownStreamEvent as UnknownStreamEvent,
    )
    from ._options import (
        CallOptions as CallOptions,
        ClientOptions as ClientOptions,
        QueryValue as QueryValue,
        StreamOptions as StreamOptions,
        WaitOptions as WaitOptions,
    )
    from ._pagination import AsyncPage as AsyncPage, Page as Page
    from ._request_ids import request_id_of as request_id_of
    from ._responses import (
        AsyncRawResponse as AsyncRawResponse,
        AsyncStreamedResponse as AsyncStreamedResponse,
        RawResponse as RawResponse,
        StreamedResponse as StreamedResponse,
    )
    from ._resources.webhooks import WebhookResponse as WebhookResponse
    from ._sources import UploadSource as UploadSource
    from ._sse import AsyncEventStream as AsyncEventStream, EventStream as EventStream
    from .progress import ProgressCallback as ProgressCallback

    from ._functions import (
        FunctionOptions as FunctionOptions,
        HotFunction as HotFunction,
        function as function,
    )
    from ._contracts import (
        EventType as EventType,
        StreamDataType as StreamDataType,
    )
    from ._models.mcp import (
        McpTool as McpTool,
        McpToolList as McpToolList,
        McpToolResult as McpToolResult,
    )

def __getattr__(name: str) -> Any:
    try:
        module = _MODULE_OF[name]
    except KeyError:
        if name in _RENAMED:
            from ._deprecation import warn_renamed

            new, since = _RENAMED[name]
            warn_renamed(f"hot_typed.{name}", f"hot_typed.{new}", since, stacklevel=3)
            return __getattr__(new)  # not cached: every use warns
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
    value = getattr(import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_MODULE_OF})
