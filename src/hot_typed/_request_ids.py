"""The request id of a success: which API request a returned value came from.

Every JSON answer of the API carries `meta.request_id` (crates/hot_api/src/models.rs:
`ApiResponse` and `ApiListResponse` hold a `ResponseMeta`); the server sends no
`x-request-id` header of its own. The id is kept beside a model, not as a field
of it: it is not part of the resource, and the model's `.raw` stays the object
the server sent under `data`.
"""

from __future__ import annotations

from typing import Any

from ._models._base import WireItems, WireModel
from ._models._common import Meta

__all__ = ["remember_request_id", "request_id_of"]

_set_request_id = WireModel.__dict__["_request_id"].__set__
_get_request_id = WireModel.__dict__["_request_id"].__get__
_get_wire = WireModel.__dict__["_wire"].__get__


def remember_request_id(model: Any, meta: Meta | None) -> None:
    """Keep `meta.request_id` on `model` (when it is a received model and meta came)."""
    if meta is not None and isinstance(model, WireModel):
        _set_request_id(model, meta.request_id)


def request_id_of(value: object) -> str | None:
    """The id of the API request `value` was answered by, as the server logs it.

    `value` is a model a call returned (`hot.runs.get(...)`, an item of a page),
    a `Page` / `AsyncPage`, a `RawResponse`, or a `HotApiError`. None when there
    is none: a model built in Python, a copy of a received one, a stream event,
    or an answer without `meta`.
    """
    if isinstance(value, WireModel):
        try:
            found: str = _get_request_id(value)
        except AttributeError:
            # An item of a page, its `.raw` not read yet: its page's id.
            try:
                wire = _get_wire(value)
            except AttributeError:
                return None
            return wire.request_id if isinstance(wire, WireItems) else None
        return found
    request_id = getattr(value, "request_id", None)  # raw responses, API errors
    if isinstance(request_id, str):
        return request_id
    meta = getattr(value, "meta", None)  # pages
    return meta.request_id if isinstance(meta, Meta) else None
