"""Endpoints of deployment: projects, builds and context variables."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from email.message import Message
from email.parser import BytesParser
from email.policy import HTTP

from pydantic import ValidationError

from .._models.projects import (
    BUILD_ID,
    ContextVariableCreate,
    ContextVariableUpdate,
    ProjectCreate,
    ProjectUpdate,
)
from ._context import ServerContext
from ._http import HttpResponse
from ._routing import Routed, Router
from ._values import (
    JSON,
    ApiError,
    check_storable,
    created,
    item,
    new_id,
    newest_first,
    no_content,
    page,
    timestamp,
)

__all__ = ["add_project_routes"]


def _check_multipart(routed: Routed) -> None:
    """axum's `Multipart` extractor, which runs before the handler: a body that
    is not `multipart/form-data` with a boundary is its plain-text 400."""
    header = Message()
    header["content-type"] = routed.request.headers.get("content-type", "")
    if header.get_content_type() != "multipart/form-data" or not header.get_param("boundary"):
        raise ApiError.rejection(400, "Invalid `boundary` for `multipart/form-data` request")


def _form(routed: Routed) -> dict[str, tuple[bytes, str | None]]:
    """The fields of a `multipart/form-data` body (`_check_multipart` passed):
    name -> (bytes, filename)."""
    content_type = routed.request.headers.get("content-type", "")
    head = f"Content-Type: {content_type}\r\n\r\n".encode()
    message = BytesParser(policy=HTTP).parsebytes(head + routed.request.body)
    fields: dict[str, tuple[bytes, str | None]] = {}
    for part in message.iter_parts():
        assert isinstance(part, Message)
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        if isinstance(name, str) and isinstance(payload, bytes):
            fields[name] = (payload, part.get_filename())
    return fields


def _upload_of(build: JSON) -> JSON:
    """The answer to a build upload, for the stored `build`."""
    keys = ("build_id", "project_id", "hash", "size", "storage_path", "storage_backend")
    return {**{key: build[key] for key in keys}, "created_at": build["created_at"]}


def add_project_routes(router: Router, ctx: ServerContext) -> None:
    store = ctx.store

    # Projects ------------------------------------------------------------

    @router.add("GET", "/projects")
    def list_projects(routed: Routed) -> HttpResponse:
        ctx.require_api_key(routed, "Only API keys can list projects.")
        with store.lock:
            # crates/hot/src/db/project.rs: `ORDER BY active DESC, created_at DESC`.
            newest = newest_first(store.projects.values())
            projects = [dict(p) for p in sorted(newest, key=lambda p: not p["active"])]
        return page(projects, routed.query)

    @router.add("POST", "/projects")
    def create_project(routed: Routed) -> HttpResponse:
        # crates/hot_api/src/handlers/projects.rs: any name, "" included, is
        # stored; a name the environment has already answers that project
        # (Project::insert_or_get_project).
        name = routed.body(ProjectCreate)["name"]
        ctx.require_api_key(routed, "Only API keys can create projects.")
        check_storable(name)
        return created(dict(store.project_named(name)))

    @router.add("GET", "/projects/{project}")
    def get_project(routed: Routed) -> HttpResponse:
        ctx.require_api_key(routed, "Only API keys can read projects.")
        return item(dict(store.project(routed.params["project"])))

    @router.add("PATCH", "/projects/{project}")
    def update_project(routed: Routed) -> HttpResponse:
        name = routed.body(ProjectUpdate)["name"]
        ctx.require_api_key(routed, "Only API keys can update projects.")
        with store.lock:
            project = store.project(routed.params["project"])
            check_storable(name)
            project.update(name=name, updated_at=timestamp())
            return item(dict(project))

    @router.add("DELETE", "/projects/{project}")
    def delete_project(routed: Routed) -> HttpResponse:
        ctx.require_api_key(routed, "Only API keys can delete projects.")
        with store.lock:
            project_id = store.project(routed.params["project"])["project_id"]
            # Context variables go with the project (ON DELETE CASCADE); builds
            # hold it back (resources/db/postgres/migrations/
            # 001_hot_2_initial_schema.sql `build_project_id_fkey`: RESTRICT).
            if builds_of(project_id):
                raise ApiError.internal(
                    'Database error: update or delete on table "project" violates foreign '
                    'key constraint "build_project_id_fkey" on table "build"'
                )
            del store.projects[project_id]
            store.context.pop(project_id, None)
        return no_content()

    def set_active(routed: Routed, active: bool) -> HttpResponse:
        # crates/hot_api/src/handlers/projects.rs toggle_project_active: the
        # project as get_and_verify_project finds it, toggled, then (activating)
        # the newest build queued for redeploy, then read again by its id, which
        # finds only an active project: a deactivation is made, then answered 500.
        with store.lock:
            project = store.project(routed.params["project"])
            project.update(active=active, updated_at=timestamp())
            builds = builds_of(project["project_id"]) if active else []
            answer: JSON = {"project": dict(store.project(project["project_id"]))}
            if builds:
                answer["redeployed_build_id"] = builds[0]["build_id"]
            return item(answer)

    @router.add("POST", "/projects/{project}/activate")
    def activate(routed: Routed) -> HttpResponse:
        ctx.require_api_key(routed, "Only API keys can activate projects.")
        return set_active(routed, True)

    @router.add("POST", "/projects/{project}/deactivate")
    def deactivate(routed: Routed) -> HttpResponse:
        ctx.require_api_key(routed, "Only API keys can deactivate projects.")
        return set_active(routed, False)

    @router.add("GET", "/projects/{project}/event-handlers")
    def event_handlers(routed: Routed) -> HttpResponse:
        ctx.require_api_key(routed, "Only API keys can list event handlers.")
        # Emulated handlers are Python functions, not part of any build.
        store.project(routed.params["project"])
        return page([], routed.query)

    @router.add("GET", "/projects/{project}/schedules")
    def schedules(routed: Routed) -> HttpResponse:
        ctx.require_api_key(routed, "Only API keys can list schedules.")
        store.project(routed.params["project"])
        return page([], routed.query)

    # Builds --------------------------------------------------------------

    def build_of(routed: Routed) -> JSON:
        project = store.project(routed.params["project"])
        build = store.builds.get(routed.params["build_id"])
        if build is None or build["project_id"] != project["project_id"]:
            raise ApiError.not_found("Build")
        return build

    def reactivated(routed: Routed) -> JSON:
        """The project of an upload or a deploy, inactive ones included, made
        active again (crates/hot_api/src/handlers/mod.rs
        `get_and_ensure_active_project`)."""
        with store.lock:
            project = store.project(routed.params["project"], inactive=True)
            if not project["active"]:
                project.update(active=True, updated_at=timestamp())
            return project

    def listed(builds: Iterable[JSON]) -> list[JSON]:
        """As crates/hot/src/db/build.rs lists builds: `ORDER BY b.deployed
        DESC, b.created_at DESC`."""
        return sorted(newest_first(builds), key=lambda b: not b["deployed"])

    def builds_of(project_id: str) -> list[JSON]:
        return newest_first(b for b in store.builds.values() if b["project_id"] == project_id)

    @router.add("GET", "/builds")
    def list_builds(routed: Routed) -> HttpResponse:
        ctx.require_api_key(routed, "Only API keys can list builds.")
        with store.lock:
            builds = [
                {**b, "project_name": store.projects[b["project_id"]]["name"]}
                for b in listed(store.builds.values())
            ]
        return page(builds, routed.query)

    @router.add("GET", "/projects/{project}/builds")
    def list_project_builds(routed: Routed) -> HttpResponse:
        ctx.require_api_key(routed, "Only API keys can list builds.")
        with store.lock:
            project = store.project(routed.params["project"])
            builds = listed(builds_of(project["project_id"]))
            return page([dict(b) for b in builds], routed.query)

    @router.add("POST", "/projects/{project}/builds")
    def upload_build(routed: Routed) -> HttpResponse:
        # crates/hot_api/src/handlers/builds.rs, upload_build, in its order: the
        # multipart extractor, the API key, the project (reactivated), then the
        # fields: `file` and `hash` required (any hash, "" included), `build_id`
        # a UUID; an id already uploaded to this project answers that upload
        # again (200, `x-build-exists: true`), one of another project is a 409.
        _check_multipart(routed)
        ctx.require_api_key(routed, "Only API keys can upload builds.")
        project = reactivated(routed)
        fields = _form(routed)
        for required in ("file", "hash"):
            if required not in fields:
                raise ApiError.bad_request(f"Missing required field: {required}")
        archive = fields["file"][0]
        hash_value = fields["hash"][0].decode()
        build_id = new_id()
        if "build_id" in fields:
            try:
                build_id = str(BUILD_ID.validate_python(fields["build_id"][0].decode()))
            except ValidationError as refused:
                message = refused.errors()[0]["msg"]
                raise ApiError.bad_request(f"Invalid build_id format: {message}") from None
        with store.lock:
            existing = store.builds.get(build_id)
            if existing is not None:
                if existing["project_id"] != project["project_id"]:
                    raise ApiError(
                        409, "bad_request", "Build ID already exists in a different project"
                    )
                again = item(_upload_of(existing))
                again.headers["x-build-exists"] = "true"
                return again
            check_storable(hash_value)
            now = timestamp()
            storage = {
                "storage_path": f"builds/{project['project_id']}/{build_id}.zip",
                "storage_backend": "memory",
            }
            store.builds[build_id] = {
                "build_id": build_id,
                "project_id": project["project_id"],
                "hash": hash_value,
                "size": len(archive),
                "build_type": "bundle",
                # The columns' defaults (resources/db/postgres/migrations:
                # `active DEFAULT true`, `runtime_status DEFAULT 'pending'`).
                "deployed": False,
                "active": True,
                "runtime_status": "pending",
                "deployment_sequence": 0,
                "created_at": now,
                "updated_at": now,
                **storage,
            }
            store.build_archives[build_id] = archive
            return created(_upload_of(store.builds[build_id]))

    def current(routed: Routed, serving: Callable[[JSON], bool], missing: str) -> HttpResponse:
        with store.lock:
            project = store.project(routed.params["project"])
            build = next((b for b in builds_of(project["project_id"]) if serving(b)), None)
            if build is None:
                # builds.rs: `not_found("No deployed build found")`, whose
                # message is "{} not found".
                raise ApiError.not_found(missing)
            return item(dict(build))

    @router.add("GET", "/projects/{project}/builds/deployed")
    def deployed(routed: Routed) -> HttpResponse:
        ctx.require_api_key(routed, "Only API keys can read builds.")
        # crates/hot/src/db/build.rs `get_deployed_build_by_project`.
        return current(
            routed,
            lambda b: b["deployed"] and b["runtime_status"] == "ready",
            "No deployed build found",
        )

    @router.add("GET", "/projects/{project}/builds/live")
    def live(routed: Routed) -> HttpResponse:
        ctx.require_api_key(routed, "Only API keys can read builds.")
        # `get_live_build_by_project`: a build of type `live` (the dev server's);
        # one uploaded through the API is a `bundle`.
        return current(routed, lambda b: b["build_type"] == "live", "No live build found")

    @router.add("GET", "/projects/{project}/builds/{build_id}")
    def get_build(routed: Routed) -> HttpResponse:
        ctx.require_api_key(routed, "Only API keys can read builds.")
        with store.lock:
            return item(dict(build_of(routed)))

    @router.add("GET", "/projects/{project}/builds/{build_id}/download")
    def download_build(routed: Routed) -> HttpResponse:
        ctx.require_api_key(routed, "Only API keys can download builds.")
        with store.lock:
            build_id = build_of(routed)["build_id"]
            archive = store.build_archives[build_id]
        # builds.rs download_build; crates/hot/src/storage.rs `build_zip_filename`.
        filename = f"{uuid.UUID(build_id).hex}.hot.zip"
        headers = {
            "Content-Type": "application/zip",
            "Content-Disposition": f'attachment; filename="{filename}"',
        }
        return HttpResponse(200, archive, headers)

    @router.add("POST", "/projects/{project}/builds/{build_id}/deploy")
    def deploy(routed: Routed) -> HttpResponse:
        ctx.require_api_key(routed, "Only API keys can deploy builds.")
        with store.lock:
            reactivated(routed)
            build = build_of(routed)
            others = [b for b in builds_of(build["project_id"]) if b is not build]
            # crates/hot/src/db/build.rs `request_bundle_deployment`: the
            # project's sequence moves on (the emulator keeps it on the builds
            # only), deployments still pending are superseded, and the build
            # waits for a worker: answered so.
            sequence = 1 + max(b["deployment_sequence"] for b in (build, *others))
            now = timestamp()
            for other in others:
                if other["runtime_status"] in ("pending", "loading"):
                    other.update(runtime_status="superseded", updated_at=now)
            build.update(deployed=False, runtime_status="pending", updated_at=now)
            build["deployment_sequence"] = sequence
            answer = dict(build)
            # A worker loads it at once (`activate_prepared_build`): the only
            # build deployed, ready.
            for other in others:
                other["deployed"] = False
            build.update(deployed=True, runtime_status="ready", updated_at=timestamp())
            return item(answer)

    # Context variables ------------------------------------------------------

    def variables(routed: Routed) -> tuple[str, dict[str, JSON]]:
        project_id = store.project(routed.params["project"])["project_id"]
        return project_id, store.context.setdefault(project_id, {})

    @router.add("GET", "/projects/{project}/context")
    def list_context(routed: Routed) -> HttpResponse:
        ctx.require_api_key(routed, "Only API keys can list context variables.")
        with store.lock:
            _, found = variables(routed)
            # crates/hot/src/db/context.rs: `ORDER BY key` (in the database's
            # collation; code point order here).
            by_key = sorted(found.values(), key=lambda v: v["key"])
            return page([dict(v) for v in by_key], routed.query)

    @router.add("POST", "/projects/{project}/context")
    def create_context(routed: Routed) -> HttpResponse:
        # crates/hot_api/src/handlers/context.rs checks nothing beyond the
        # struct's types: any key, "" included, is stored.
        body = routed.body(ContextVariableCreate)
        ctx.require_api_key(routed, "Only API keys can create context variables.")
        key = body["key"]
        with store.lock:
            project_id, found = variables(routed)
            check_storable(key, body.get("description"))
            if key in found:
                # The handler maps the unique index's refusal to a 500.
                raise ApiError.internal(
                    "error returned from database: duplicate key value violates unique "
                    'constraint "idx_hot_context_project_key"'
                )
            now = timestamp()
            found[key] = {
                "key": key,
                "description": body.get("description"),
                "created_at": now,
                "updated_at": now,
            }
            store.context_values[project_id, key] = body["value"]
            return created(dict(found[key]))

    @router.add("PUT", "/projects/{project}/context/{key}")
    def update_context(routed: Routed) -> HttpResponse:
        body = routed.body(ContextVariableUpdate)
        ctx.require_api_key(routed, "Only API keys can update context variables.")
        key = routed.params["key"]
        with store.lock:
            project_id, found = variables(routed)
            check_storable(key)
            if key not in found:
                raise ApiError.not_found("Context variable")
            check_storable(body.get("description"))
            # crates/hot/src/db/context.rs, update: the description is replaced
            # too, cleared when the body has none.
            found[key].update(updated_at=timestamp(), description=body.get("description"))
            store.context_values[project_id, key] = body["value"]
            return item(dict(found[key]))

    @router.add("DELETE", "/projects/{project}/context/{key}")
    def delete_context(routed: Routed) -> HttpResponse:
        ctx.require_api_key(routed, "Only API keys can delete context variables.")
        key = routed.params["key"]
        with store.lock:
            project_id, found = variables(routed)
            check_storable(key)
            if found.pop(key, None) is None:
                raise ApiError.not_found("Context variable")
            store.context_values.pop((project_id, key), None)
        return no_content()
