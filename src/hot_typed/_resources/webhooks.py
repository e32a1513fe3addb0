"""`webhooks`: calling the public webhook routes Hot serves outside `/v1`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, overload

import httpx
from pydantic import TypeAdapter
from typing_extensions import Unpack

from .._options import CallOptions
from .._request import Call, Request, path
from .._resource import ModeT, Resource, endpoint
from .._responses import ReadAnswer
from .._wire import json_bytes

__all__ = ["WebhookResponse", "Webhooks"]

T = TypeVar("T")


class WebhookResponse(ReadAnswer):
    """What a Hot webhook answered (a 2xx: other statuses raise their `HotApiError`).

    crates/hot_api/src/handlers/webhook.rs `build_webhook_response`: when the
    webhook's function returns an `HttpResponse`-shaped map, its `status`,
    `headers` and `body` (sent as JSON) are the answer; any other result is
    answered `200` as JSON. `http_response` is httpx's response.
    """

    __slots__ = ()

    @overload
    def json(self) -> Any: ...
    @overload
    def json(self, type_: type[T]) -> T: ...
    def json(self, type_: Any = None) -> Any:
        """The body decoded as JSON; with `type_`, validated as one (pydantic's
        `ValidationError` when it does not fit; `ValueError` when it is not JSON)."""
        if type_ is None:
            return self.http_response.json()
        return TypeAdapter(type_).validate_json(self.http_response.content)

    def __repr__(self) -> str:
        return f"<WebhookResponse [{self.status_code}]>"


def _webhook_path(value: str) -> str:
    segments = value.strip("/").split("/")
    if any(not s for s in segments):
        raise ValueError(f"webhook path {value!r} has an empty segment")
    # Each segment encoded as any path parameter; the slashes between them kept.
    return path("/webhook/" + "/".join("{segment}" for _ in segments), *segments)


# crates/hot_api/src/handlers/webhook.rs stores the request it hands the function
# (query, body, and the body's text as `body-raw`: handlers/request.rs
# `build_request_val`) in the call event it inserts, a Postgres `jsonb`, before
# anything runs: a NUL character in any of them is answered 500 there. (A JSON
# body is checked as it is encoded: `json_bytes(..., stored=True)`.)
def _check_storable(content: bytes | None, params: Mapping[str, Any]) -> None:
    if content is not None and b"\x00" in content:
        raise ValueError(
            "a webhook body holding a NUL byte cannot be stored by Hot, which keeps the "
            "body's text with the call (the server would answer 500)"
        )
    # As httpx will write them: a list is one value each, an int or UUID its text.
    for key, value in httpx.QueryParams(params).multi_items():
        if "\x00" in key or "\x00" in value:
            raise ValueError(
                f"query parameter {key!r} holds a NUL character, which Hot cannot store "
                "with the call (the server would answer 500)"
            )


class Webhooks(Resource[ModeT]):
    @endpoint
    def call(
        self,
        path: str,
        *,
        method: str = "POST",
        json: Any = None,
        content: bytes | str | None = None,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        authenticated: bool = False,
        **options: Unpack[CallOptions],
    ) -> Call[WebhookResponse]:
        """Call a Hot webhook: `method` to `/webhook/<path>` on the API host.

        `path` is what follows `/webhook/`:
        `<org>/<env>/<service>/<endpoint path>/<token>` (or, on a custom domain,
        `<service>/<endpoint path>/<token>`), each segment percent-encoded. The
        body is `json` (encoded as JSON) or `content` as given, with `headers`.

        Webhooks are public (crates/hot_api/src/handlers/webhook.rs), so the
        client's token is not sent unless `authenticated=True`: for endpoints
        declared with `auth: "required"`. Returns the `WebhookResponse` of a 2xx
        answer; others raise their `HotApiError` (404 for an unknown endpoint or
        token, 401/403 for refused credentials, 500 when the function failed,
        504 when it outlived the webhook timeout). A 429 is retried, as its
        function did not run; other failures are not, as it may have: whatever
        the method, since a webhook's GET, PUT or DELETE runs a function too.
        """
        if json is not None and content is not None:
            raise ValueError("pass json or content, not both")
        body = content.encode() if isinstance(content, str) else content
        query = {k: v for k, v in (params or {}).items() if v is not None}
        _check_storable(body, query)
        given = dict(headers or {})
        content_type = next((v for k, v in given.items() if k.lower() == "content-type"), None)
        extra = {k: v for k, v in given.items() if k.lower() != "content-type"}
        request = Request(
            method.upper(),
            _webhook_path(path),
            params=None if params is None else query,
            json=None if json is None else json_bytes(json, stored=True),
            content=body,
            content_type=content_type,
            headers=extra or None,
            root=True,
            authenticate=authenticated,
            # crates/hot_api/src/handlers/webhook.rs: every method queues the
            # endpoint's function, and a 504 ("Webhook function timed out")
            # leaves it running: no method makes a repeat harmless.
            retryable=False,
        )
        return Call(request, WebhookResponse)
