"""Blob references: large values the server stores apart from the record holding them."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pydantic import Field

from ._base import WireModel
from ._common import Id
from ._json import is_json_array, is_json_object

__all__ = ["BLOB_REF_TYPE", "BlobRef", "find_blob_refs"]

#: The `$type` tag of a blob reference map (crates/hot/src/blob.rs: BLOB_REF_TYPE).
BLOB_REF_TYPE = "::hot::blob/BlobRef"


class BlobRef(WireModel):
    """A value too large to keep inline, stored as a blob and referenced by `id`.

    A run's `result` or an event's `event_data` hold one, in place of the
    value, when the server could not put the value back on reading
    (crates/hot_api/src/handlers/mod.rs: rehydration fails open, returning the
    reference map as stored). On the wire it is the typed map
    `{"$type": "::hot::blob/BlobRef", "$val": {...}}`; this model is its
    `$val` (crates/hot/src/blob.rs: `BlobRefVal`, kebab-case keys).
    `hot.blobs.download(ref)` fetches the value's bytes: `encoding` says
    whether they were a string (`"string"`, served as UTF-8) or bytes.
    """

    id: Id
    object_id: Id = Field(alias="object-id")
    size: int
    encoding: str
    hash_alg: str = Field(default="blake3", alias="hash-alg")
    hash: str = ""
    content_type: str | None = Field(default=None, alias="content-type")
    preview: str | None = None

    def to_value(self) -> dict[str, Any]:
        """The typed map as the server stores it in a payload."""
        inner = self.model_dump(mode="json", by_alias=True, exclude_none=True)
        return {"$type": BLOB_REF_TYPE, "$val": inner}

    @staticmethod
    def is_ref(value: Any) -> bool:
        """Whether `value` is tagged as a blob reference map (the server's own test:
        the `$type` tag alone)."""
        return is_json_object(value) and value.get("$type") == BLOB_REF_TYPE

    @classmethod
    def from_value(cls, value: Any) -> BlobRef | None:
        """The reference `value` is, or None when it is not one.

        A value tagged as a reference whose `$val` is malformed raises pydantic's
        `ValidationError`, as the server refuses it.
        """
        if not cls.is_ref(value):
            return None
        return cls.model_validate(value.get("$val"))


def find_blob_refs(value: Any) -> Iterator[BlobRef]:
    """Every blob reference anywhere in the JSON `value`, depth first, in order
    (a reference's own map is not searched further)."""
    if BlobRef.is_ref(value):
        yield BlobRef.model_validate(value.get("$val"))
    elif is_json_object(value):
        for item in value.values():
            yield from find_blob_refs(item)
    elif is_json_array(value):
        for item in value:
            yield from find_blob_refs(item)
