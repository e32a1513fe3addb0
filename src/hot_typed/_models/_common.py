"""Pieces shared by every response: the envelope's, and the type of an id."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from pydantic import AwareDatetime, BeforeValidator, WithJsonSchema
from pydantic_core import PydanticCustomError

from .._path_ids import uuid_problem
from ._base import WireModel

__all__ = ["Meta", "Pagination"]

_ID_SCHEMA = WithJsonSchema({"type": "string", "format": "uuid"})

#: An id the server issued (a run's, a stream's, a request's, ...): a UUID kept as
#: the text the server sent, which is its canonical form (crates/hot_api/src/models.rs
#: holds ids as `Uuid`, which serde writes lowercase and hyphenated). As text it is
#: what the official SDK hands out and compares equal to the ids an application
#: reads from its own JSON, configuration or database; and a page of runs costs a
#: string per id, not a `uuid.UUID` object for the collector to follow. An id passed
#: *to* the client may be text or a `uuid.UUID`.
Id = Annotated[str, _ID_SCHEMA]


def _sent_id(value: object) -> object:
    if isinstance(value, UUID):
        return str(value)
    # crates/hot_api/src/models.rs holds a body's ids as `Uuid`s, which serde reads
    # with the uuid crate's parser: text it refuses would be answered 422.
    if isinstance(value, str) and (problem := uuid_problem(value)) is not None:
        # pydantic's own error for a UUID it cannot parse, with the server's reason.
        raise PydanticCustomError(
            "uuid_parsing", "Input should be a valid UUID, {error}", {"error": problem}
        )
    return value


#: An id a request body sends: text the server's UUID parser accepts (kept as
#: given), or a `uuid.UUID` (sent as its text).
SentId = Annotated[str, BeforeValidator(_sent_id), _ID_SCHEMA]


class Meta(WireModel):
    """The `meta` object of every envelope."""

    request_id: Id
    timestamp: AwareDatetime


class Pagination(WireModel):
    """The `pagination` object of a list envelope; `has_more = offset + limit < total`."""

    total: int
    limit: int
    offset: int
    has_more: bool
