"""`projects`, `builds` and `context`: what is deployed where."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from uuid import UUID

import httpx

from .._models.projects import (
    BUILD_ID,
    Build,
    BuildUpload,
    BuildWithProject,
    ContextVariable,
    ContextVariableCreate,
    ContextVariableUpdate,
    EventHandler,
    Project,
    ProjectActivation,
    ProjectCreate,
    ProjectUpdate,
    Schedule,
)
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
    def list(self, *, limit: int | None = None, offset: int | None = None) -> ListCall[Project]:
        """Projects of the environment."""
        params = query(ListQuery, limit=limit, offset=offset)
        return ListCall(Request("GET", "/projects", params=params), list_parser(Project))

    @endpoint
    def create(self, body: ProjectCreate | Mapping[str, Any]) -> Call[Project]:
        content = request_body(ProjectCreate, body)
        return Call(Request("POST", "/projects", json=content), item_parser(Project))

    @endpoint
    def get(self, project: ProjectRef) -> Call[Project]:
        """A project by UUID or by name."""
        return Call(Request("GET", path("/projects/{}", project)), item_parser(Project))

    @endpoint
    def update(self, project: ProjectRef, body: ProjectUpdate | Mapping[str, Any]) -> Call[Project]:
        content = request_body(ProjectUpdate, body)
        request = Request("PATCH", path("/projects/{}", project), json=content)
        return Call(request, item_parser(Project))

    @endpoint
    def delete(self, project: ProjectRef) -> Call[None]:
        return Call(Request("DELETE", path("/projects/{}", project)), no_content)

    @endpoint
    def activate(self, project: ProjectRef) -> Call[ProjectActivation]:
        """Activate a project; `redeployed_build_id` names a build redeployed by it."""
        request = Request("POST", path("/projects/{}/activate", project))
        return Call(request, item_parser(ProjectActivation))

    @endpoint
    def deactivate(self, project: ProjectRef) -> Call[ProjectActivation]:
        request = Request("POST", path("/projects/{}/deactivate", project))
        return Call(request, item_parser(ProjectActivation))

    @list_endpoint
    def event_handlers(
        self, project: ProjectRef, *, limit: int | None = None, offset: int | None = None
    ) -> ListCall[EventHandler]:
        """The event handlers of the project's deployed build."""
        params = query(ListQuery, limit=limit, offset=offset)
        request = Request("GET", path("/projects/{}/event-handlers", project), params=params)
        return ListCall(request, list_parser(EventHandler))

    @list_endpoint
    def schedules(
        self, project: ProjectRef, *, limit: int | None = None, offset: int | None = None
    ) -> ListCall[Schedule]:
        """The schedules of the project's deployed build."""
        params = query(ListQuery, limit=limit, offset=offset)
        request = Request("GET", path("/projects/{}/schedules", project), params=params)
        return ListCall(request, list_parser(Schedule))


class Builds(Resource[ModeT]):
    @list_endpoint
    def list(
        self, *, limit: int | None = None, offset: int | None = None
    ) -> ListCall[BuildWithProject]:
        """Builds of every project in the environment."""
        params = query(ListQuery, limit=limit, offset=offset)
        return ListCall(Request("GET", "/builds", params=params), list_parser(BuildWithProject))

    @list_endpoint
    def list_for_project(
        self, project: ProjectRef, *, limit: int | None = None, offset: int | None = None
    ) -> ListCall[Build]:
        params = query(ListQuery, limit=limit, offset=offset)
        request = Request("GET", path("/projects/{}/builds", project), params=params)
        return ListCall(request, list_parser(Build))

    @endpoint
    def get(self, project: ProjectRef, build_id: str | UUID) -> Call[Build]:
        request = Request("GET", path("/projects/{}/builds/{}", project, build_id))
        return Call(request, item_parser(Build))

    @endpoint
    def deployed(self, project: ProjectRef) -> Call[Build]:
        """The build currently deployed; `NotFoundError` when there is none."""
        request = Request("GET", path("/projects/{}/builds/deployed", project))
        return Call(request, item_parser(Build))

    @endpoint
    def live(self, project: ProjectRef) -> Call[Build]:
        """The build currently serving; `NotFoundError` when there is none."""
        request = Request("GET", path("/projects/{}/builds/live", project))
        return Call(request, item_parser(Build))

    @endpoint
    def upload(
        self,
        project: ProjectRef,
        *,
        file: UploadSource,
        hash: str,
        build_id: str | UUID | None = None,
    ) -> Call[BuildUpload]:
        """Upload a build archive (multipart: `file`, `hash`, optional `build_id`).

        `file` is the archive's bytes, a path to it or a binary file object;
        a path or file object is streamed from disk, never read whole. `hash` is
        stored as given (crates/hot_api/src/handlers/builds.rs does not check it);
        `build_id`, when given, must be a UUID (else `ValidationError`).
        """
        data = {"hash": hash}
        if build_id is not None:
            data["build_id"] = str(BUILD_ID.validate_python(build_id))
        request = Request(
            "POST",
            path("/projects/{}/builds", project),
            files={"file": file_field(file)},
            data=data,
            retryable=False,
        )
        return Call(request, item_parser(BuildUpload))

    @endpoint
    def download(self, project: ProjectRef, build_id: str | UUID) -> Call[httpx.Response]:
        """The build archive; the response's bytes are the archive, untouched."""
        request = Request(
            "GET",
            path("/projects/{}/builds/{}/download", project, build_id),
            accept="*/*",
        )
        return Call(request, raw_response)

    @endpoint
    def deploy(self, project: ProjectRef, build_id: str | UUID) -> Call[Build]:
        request = Request("POST", path("/projects/{}/builds/{}/deploy", project, build_id))
        return Call(request, item_parser(Build))


class Context(Resource[ModeT]):
    """Context variables of a project. Values are write-only: never returned."""

    @list_endpoint
    def list(
        self, project: ProjectRef, *, limit: int | None = None, offset: int | None = None
    ) -> ListCall[ContextVariable]:
        params = query(ListQuery, limit=limit, offset=offset)
        request = Request("GET", path("/projects/{}/context", project), params=params)
        return ListCall(request, list_parser(ContextVariable))

    @endpoint
    def create(
        self, project: ProjectRef, body: ContextVariableCreate | Mapping[str, Any]
    ) -> Call[ContextVariable]:
        content = request_body(ContextVariableCreate, body)
        request = Request("POST", path("/projects/{}/context", project), json=content)
        return Call(request, item_parser(ContextVariable))

    @endpoint
    def update(
        self, project: ProjectRef, key: str, body: ContextVariableUpdate | Mapping[str, Any]
    ) -> Call[ContextVariable]:
        content = request_body(ContextVariableUpdate, body)
        request = Request("PUT", path("/projects/{}/context/{}", project, key), json=content)
        return Call(request, item_parser(ContextVariable))

    @endpoint
    def delete(self, project: ProjectRef, key: str) -> Call[None]:
        request = Request("DELETE", path("/projects/{}/context/{}", project, key))
        return Call(request, no_content)
