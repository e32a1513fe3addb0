"""`projects`, `builds` and `context`: what is deployed where."""

from __future__ import annotations

from uuid import UUID

import httpx
from typing_extensions import Unpack

from .._models.projects import (
    BUILD_HASH,
    BUILD_ID,
    Build,
    BuildUpload,
    BuildWithProject,
    ContextVariable,
    ContextVariableCreate,
    ContextVariableCreateParams,
    ContextVariableUpdate,
    ContextVariableUpdateParams,
    EventHandler,
    Project,
    ProjectActivation,
    ProjectCreate,
    ProjectCreateParams,
    ProjectUpdate,
    ProjectUpdateParams,
    Schedule,
)
from .._options import CallOptions
from .._request import Call, ListCall, Request, path
from .._resource import ModeT, Resource, endpoint, list_endpoint
from .._sources import UploadSource, file_field
from .._wire import item_parser, list_parser, no_content, query, raw_response, request_body
from ._params import ListQuery

__all__ = ["Builds", "Context", "Projects"]

ProjectRef = str | UUID
"""A project's UUID or its name."""


class Projects(Resource[ModeT]):
    @list_endpoint
    def list(
        self, *, limit: int | None = None, offset: int | None = None, **options: Unpack[CallOptions]
    ) -> ListCall[Project]:
        """Projects of the environment."""
        params = query(ListQuery, limit=limit, offset=offset)
        return ListCall(Request("GET", "/projects", params=params), list_parser(Project))

    @endpoint
    def create(
        self, body: ProjectCreate | ProjectCreateParams, **options: Unpack[CallOptions]
    ) -> Call[Project]:
        """Create a project; returns it.

        `body` (a `ProjectCreate` or a mapping of its keys) is validated first: a
        bad body raises pydantic's `ValidationError` and nothing is sent.
        """
        content = request_body(ProjectCreate, body)
        return Call(Request("POST", "/projects", json=content), item_parser(Project))

    @endpoint
    def get(self, project: ProjectRef, **options: Unpack[CallOptions]) -> Call[Project]:
        """A project by UUID or by name.

        By name an inactive project is found too; by UUID only an active one:
        the server answers an unknown or inactive project's id with a 500
        (`InternalServerError`, crates/hot/src/db/project.rs `get_project`),
        and an unknown name with a 404 (`NotFoundError`).
        """
        return Call(
            Request("GET", path("/projects/{project_id_or_slug}", project)), item_parser(Project)
        )

    @endpoint
    def update(
        self,
        project: ProjectRef,
        body: ProjectUpdate | ProjectUpdateParams,
        **options: Unpack[CallOptions],
    ) -> Call[Project]:
        """Rename a project (by UUID or name); returns it updated.

        Raises `NotFoundError` when the environment has no such project; `body` is
        validated first, as in `create`.
        """
        content = request_body(ProjectUpdate, body)
        request = Request("PATCH", path("/projects/{project_id_or_slug}", project), json=content)
        return Call(request, item_parser(Project))

    @endpoint
    def delete(self, project: ProjectRef, **options: Unpack[CallOptions]) -> Call[None]:
        """Delete a project (by UUID or name); returns None.

        Raises `NotFoundError` when the environment has no such project (but a
        retry's 404, after an attempt that may have deleted it, returns None).
        By id the server answers a project that is not there with a 500 (see
        `get`): such a retry raises `InternalServerError`. A project that has
        builds is not deleted: the server answers 500 (its builds hold it).
        """
        return Call(Request("DELETE", path("/projects/{project_id_or_slug}", project)), no_content)

    @endpoint
    def activate(
        self, project: ProjectRef, **options: Unpack[CallOptions]
    ) -> Call[ProjectActivation]:
        """Activate a project; `redeployed_build_id` names the build (its newest)
        queued for redeploy. An inactive project is found by name only: by its id
        the server answers `InternalServerError` (see `get`)."""
        request = Request("POST", path("/projects/{project_id_or_slug}/activate", project))
        return Call(request, item_parser(ProjectActivation))

    @endpoint
    def deactivate(
        self, project: ProjectRef, **options: Unpack[CallOptions]
    ) -> Call[ProjectActivation]:
        """Deactivate a project; returns the project, now inactive, as a `ProjectActivation`.

        Raises `NotFoundError` when the environment has no such project. The
        server (hot-dev/hot at dfae250) reads the project back by its id once
        deactivated, which finds only active projects, so it answers
        `InternalServerError` after deactivating it: read it by name to see it.
        """
        request = Request("POST", path("/projects/{project_id_or_slug}/deactivate", project))
        return Call(request, item_parser(ProjectActivation))

    @list_endpoint
    def event_handlers(
        self,
        project: ProjectRef,
        *,
        limit: int | None = None,
        offset: int | None = None,
        **options: Unpack[CallOptions],
    ) -> ListCall[EventHandler]:
        """The event handlers of the project's deployed build."""
        params = query(ListQuery, limit=limit, offset=offset)
        request = Request(
            "GET", path("/projects/{project_id_or_slug}/event-handlers", project), params=params
        )
        return ListCall(request, list_parser(EventHandler))

    @list_endpoint
    def schedules(
        self,
        project: ProjectRef,
        *,
        limit: int | None = None,
        offset: int | None = None,
        **options: Unpack[CallOptions],
    ) -> ListCall[Schedule]:
        """The schedules of the project's deployed build."""
        params = query(ListQuery, limit=limit, offset=offset)
        request = Request(
            "GET", path("/projects/{project_id_or_slug}/schedules", project), params=params
        )
        return ListCall(request, list_parser(Schedule))


class Builds(Resource[ModeT]):
    @list_endpoint
    def list(
        self, *, limit: int | None = None, offset: int | None = None, **options: Unpack[CallOptions]
    ) -> ListCall[BuildWithProject]:
        """Builds of every project in the environment."""
        params = query(ListQuery, limit=limit, offset=offset)
        return ListCall(Request("GET", "/builds", params=params), list_parser(BuildWithProject))

    @list_endpoint
    def list_for_project(
        self,
        project: ProjectRef,
        *,
        limit: int | None = None,
        offset: int | None = None,
        **options: Unpack[CallOptions],
    ) -> ListCall[Build]:
        """One project's builds (project by UUID or name), as a page."""
        params = query(ListQuery, limit=limit, offset=offset)
        request = Request(
            "GET", path("/projects/{project_id_or_slug}/builds", project), params=params
        )
        return ListCall(request, list_parser(Build))

    @endpoint
    def get(
        self, project: ProjectRef, build_id: str | UUID, **options: Unpack[CallOptions]
    ) -> Call[Build]:
        """One build of a project; `NotFoundError` when the project has no such build."""
        request = Request(
            "GET", path("/projects/{project_id_or_slug}/builds/{build_id}", project, build_id)
        )
        return Call(request, item_parser(Build))

    @endpoint
    def deployed(self, project: ProjectRef, **options: Unpack[CallOptions]) -> Call[Build]:
        """The build deployed and loaded (`deployed`, `runtime_status` "ready");
        `NotFoundError` when there is none."""
        request = Request("GET", path("/projects/{project_id_or_slug}/builds/deployed", project))
        return Call(request, item_parser(Build))

    @endpoint
    def live(self, project: ProjectRef, **options: Unpack[CallOptions]) -> Call[Build]:
        """The project's build of type `live` (the one `hot dev` serves from source);
        `NotFoundError` when there is none, as for every uploaded build (a `bundle`)."""
        request = Request("GET", path("/projects/{project_id_or_slug}/builds/live", project))
        return Call(request, item_parser(Build))

    @endpoint
    def upload(
        self,
        project: ProjectRef,
        *,
        file: UploadSource,
        hash: str,
        build_id: str | UUID | None = None,
        **options: Unpack[CallOptions],
    ) -> Call[BuildUpload]:
        """Upload a build archive (multipart: `file`, `hash`, optional `build_id`).

        `file` is the archive's bytes, a path to it or a seekable binary file
        object, read from its current position; a path or file object is
        streamed from disk, never read whole. A file object that is not seekable
        (a pipe, a response body), or a path to a named pipe, raises `TypeError`
        before anything is sent:
        the request needs the length up front, and a 429 (too many uploads at
        once) sends the archive again. `hash` is
        stored as given (crates/hot_api/src/handlers/builds.rs does not check it),
        so it holds no NUL character (its Postgres column cannot); `build_id`,
        when given, must be a UUID (else `ValidationError`).
        """
        data = {"hash": BUILD_HASH.validate_python(hash)}
        if build_id is not None:
            data["build_id"] = str(BUILD_ID.validate_python(build_id))
        request = Request(
            "POST",
            path("/projects/{project_id_or_slug}/builds", project),
            files={"file": file_field(file)},
            data=data,
            retryable=False,
        )
        return Call(request, item_parser(BuildUpload))

    @endpoint
    def download(
        self, project: ProjectRef, build_id: str | UUID, **options: Unpack[CallOptions]
    ) -> Call[httpx.Response]:
        """The build archive; the response's bytes are the archive, untouched."""
        request = Request(
            "GET",
            path("/projects/{project_id_or_slug}/builds/{build_id}/download", project, build_id),
            accept="*/*",
        )
        return Call(request, raw_response)

    @endpoint
    def deploy(
        self, project: ProjectRef, build_id: str | UUID, **options: Unpack[CallOptions]
    ) -> Call[Build]:
        """Deploy a build of the project; returns the build as requested: not yet
        `deployed`, `runtime_status` "pending" until a worker loads it, after
        which `deployed` finds it (crates/hot/src/db/build.rs).

        Raises `NotFoundError` when the project has no such build, and
        `BadRequestError` when the server refuses to deploy it (context variables
        it needs are missing, or a resource or schedule limit would be exceeded).
        """
        request = Request(
            "POST",
            path("/projects/{project_id_or_slug}/builds/{build_id}/deploy", project, build_id),
        )
        return Call(request, item_parser(Build))


class Context(Resource[ModeT]):
    """Context variables of a project. Values are write-only: never returned."""

    @list_endpoint
    def list(
        self,
        project: ProjectRef,
        *,
        limit: int | None = None,
        offset: int | None = None,
        **options: Unpack[CallOptions],
    ) -> ListCall[ContextVariable]:
        """The project's context variables, as a page: keys and descriptions, never values."""
        params = query(ListQuery, limit=limit, offset=offset)
        request = Request(
            "GET", path("/projects/{project_id_or_slug}/context", project), params=params
        )
        return ListCall(request, list_parser(ContextVariable))

    @endpoint
    def create(
        self,
        project: ProjectRef,
        body: ContextVariableCreate | ContextVariableCreateParams,
        **options: Unpack[CallOptions],
    ) -> Call[ContextVariable]:
        """Set a new context variable; returns it (without its value).

        `body` (a `ContextVariableCreate` or a mapping of its keys) is validated
        first: a bad body raises pydantic's `ValidationError` and nothing is sent.
        """
        content = request_body(ContextVariableCreate, body)
        request = Request(
            "POST", path("/projects/{project_id_or_slug}/context", project), json=content
        )
        return Call(request, item_parser(ContextVariable))

    @endpoint
    def update(
        self,
        project: ProjectRef,
        key: str,
        body: ContextVariableUpdate | ContextVariableUpdateParams,
        **options: Unpack[CallOptions],
    ) -> Call[ContextVariable]:
        """Replace the value (and description) of the variable `key`; returns it (without
        its value).

        Raises `NotFoundError` when the project has no such variable; `body` is
        validated first, as in `create`.
        """
        content = request_body(ContextVariableUpdate, body)
        request = Request(
            "PUT", path("/projects/{project_id_or_slug}/context/{key}", project, key), json=content
        )
        return Call(request, item_parser(ContextVariable))

    @endpoint
    def delete(self, project: ProjectRef, key: str, **options: Unpack[CallOptions]) -> Call[None]:
        """Delete the variable `key`; returns None. `NotFoundError` when there is none
        (but a retry's 404, after an attempt that may have deleted it, returns None)."""
        request = Request(
            "DELETE", path("/projects/{project_id_or_slug}/context/{key}", project, key)
        )
        return Call(request, no_content)
