"""Projects, builds, context variables, event handlers and schedules."""

from __future__ import annotations

from uuid import UUID

from pydantic import AwareDatetime, TypeAdapter
from typing_extensions import TypedDict

from ._base import RequestModel, StoredText, WireModel
from ._common import Id

__all__ = [
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
]


class Project(WireModel):
    """A project: what is built and deployed; `active` says whether it is activated."""

    project_id: Id
    env_id: Id
    name: str
    active: bool
    created_at: AwareDatetime
    updated_at: AwareDatetime


class ProjectActivation(WireModel):
    """Answer to activate/deactivate.

    `redeployed_build_id` is absent when nothing was redeployed.
    """

    project: Project
    redeployed_build_id: Id | None = None


# crates/hot_api/src/handlers/projects.rs stores any name, "" included (then
# reachable by its id only): nothing to refuse beyond the type and the NUL
# character its Postgres `text` column cannot hold.
class ProjectCreate(RequestModel):
    """Body of `POST /v1/projects`: the new project's name."""

    name: StoredText


class ProjectUpdate(RequestModel):
    """Body of `PATCH /v1/projects/{project}`: the project's new name."""

    name: StoredText


class BuildRuntimeWarning(WireModel):
    """Why a build may not run as expected on this runtime version."""

    build_engine_version: str
    build_hot_std_version: str | None = None
    runtime_version: str
    message: str


class Build(WireModel):
    """A build of a project: an uploaded archive identified by its `hash`;
    `deployed` and `active` say whether it is the one deployed and serving.
    """

    build_id: Id
    project_id: Id
    hash: str
    size: int
    build_type: str
    deployed: bool
    active: bool
    runtime_status: str
    runtime_error: str | None = None
    deployment_sequence: int
    created_at: AwareDatetime
    updated_at: AwareDatetime
    storage_path: str | None = None
    storage_backend: str | None = None
    runtime_warning: BuildRuntimeWarning | None = None


class BuildWithProject(Build):
    """A build as listed across all projects (`GET /v1/builds`)."""

    project_name: str


class BuildUpload(WireModel):
    """The answer to `builds.upload`: the build archive, as stored."""

    build_id: Id
    project_id: Id
    hash: str
    size: int
    storage_path: str
    storage_backend: str
    created_at: AwareDatetime


class ContextVariable(WireModel):
    """A context variable's metadata. The server never returns the value."""

    key: str
    description: str | None
    created_at: AwareDatetime
    updated_at: AwareDatetime


# crates/hot_api/src/handlers/context.rs stores any key, "" included.
class ContextVariableCreate(RequestModel):
    """Body of `POST /v1/projects/{project}/context`: a new variable's `key`, its
    `value` (write-only: never returned) and an optional description."""

    key: StoredText
    # Stored encrypted (crates/hot_api/src/handlers/context.rs): any text.
    value: str
    description: StoredText | None = None


class ContextVariableUpdate(RequestModel):
    """Body of `PUT /v1/projects/{project}/context/{key}`. The description is
    replaced along with the value: left unset, it is cleared
    (crates/hot/src/db/context.rs, update)."""

    value: str
    description: StoredText | None = None


#: The `build_id` of a build upload: a UUID, or the server answers 400
#: "Invalid build_id format" (crates/hot_api/src/handlers/builds.rs, upload_build).
BUILD_ID: TypeAdapter[UUID] = TypeAdapter(UUID)

#: The `hash` of a build upload: any text the builds table stores, so no NUL
#: (crates/hot/src/db/build.rs: a Postgres text column; a 500 otherwise).
BUILD_HASH: TypeAdapter[str] = TypeAdapter(StoredText)


class EventHandler(WireModel):
    """A function (`ns`/`var`) of a deployed build that handles events of `event_type`."""

    event_handler_id: Id
    build_id: Id
    event_type: str
    ns: str
    var: str


class Schedule(WireModel):
    """A function (`ns`/`var`) of a deployed build run on the `cron` schedule."""

    schedule_id: Id
    build_id: Id
    cron: str
    ns: str
    var: str


class ProjectCreateParams(TypedDict):
    """`ProjectCreate` as a dict."""

    name: str


class ProjectUpdateParams(TypedDict):
    """`ProjectUpdate` as a dict."""

    name: str


class _ContextVariableCreateRequired(TypedDict):
    key: str
    value: str


class ContextVariableCreateParams(_ContextVariableCreateRequired, total=False):
    """`ContextVariableCreate` as a dict."""

    description: str | None


class _ContextVariableUpdateRequired(TypedDict):
    value: str


class ContextVariableUpdateParams(_ContextVariableUpdateRequired, total=False):
    """`ContextVariableUpdate` as a dict."""

    description: str | None
