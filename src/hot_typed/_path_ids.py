"""Path parameters the server reads as UUIDs, and what its UUID parser accepts.

The client refuses such a parameter before sending it and the emulator answers
it as the server does, both from the definitions here. Any path parameter that
is empty or holds a NUL character is refused too (`checked_path_id`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NoReturn
from uuid import UUID

if TYPE_CHECKING:
    from pydantic_core import InitErrorDetails
    from typing_extensions import LiteralString

__all__ = ["UUID_PATH_PARAMS", "canonical_id", "checked_path_id", "uuid_problem"]

#: The path parameters each handler extracts as a `Uuid` (axum `Path<Uuid>`,
#: `Path<(Uuid, i32)>`, `Path<(String, Uuid)>` in crates/hot_api/src/handlers/
#: blobs.rs, builds.rs, domains.rs, events.rs, files.rs, runs.rs,
#: service_keys.rs, sessions.rs, streams.rs, tasks.rs), by the names the routes
#: of crates/hot_api/src/server.rs give them. Every other path parameter
#: (`project_id_or_slug`, context `key`, a file `path`, MCP names, webhook
#: paths) is a `String` there.
UUID_PATH_PARAMS = frozenset(
    {
        "blob_ref_id",
        "build_id",
        "domain_id",
        "event_id",
        "file_id",
        "run_id",
        "service_key_id",
        "session_id",
        "stream_id",
        "task_id",
        "upload_id",
    }
)

_HEX = frozenset("0123456789abcdefABCDEF")
_URN = "urn:uuid:"
# Where each group of a hyphenated UUID starts, and how long it is.
_GROUP_STARTS = (0, 9, 14, 19, 24)
_GROUP_LENGTHS = (8, 4, 4, 4, 12)


def uuid_problem(text: str) -> str | None:
    """Why the server's UUID parser refuses `text`, in its words, or None when it
    accepts it.

    The uuid crate's `Uuid::from_str` (uuid 1.x, src/parser.rs) accepts 32 hex
    digits, or 36 characters hyphenated 8-4-4-4-12, bare, in braces (`{...}`)
    or after a lowercase `urn:uuid:`; hex digits in either case. Its reason for
    refusing anything else (src/error.rs, `InvalidUuid::into_err`) names the
    first character that is neither a hex digit nor `-`, else the length of a
    simple UUID, else the number of groups, else the first group of the wrong
    length; indexes count bytes from 1.
    """
    if _parses(text):
        return None
    raw = text.encode()
    inner, offset, simple = text, 0, True
    if text.startswith("{") and text.endswith("}") and len(text) >= 2:
        inner, offset, simple = text[1:-1], 1, False
    elif text.startswith(_URN):
        inner, offset, simple = text[len(_URN) :], len(_URN), False
    hyphens: list[int] = []
    index = 0
    for char in inner:
        if char == "-":
            hyphens.append(index)
        elif char not in _HEX:
            return f"invalid character: found `{char}` at {index + offset + 1}"
        index += len(char.encode())
    if not hyphens and simple:
        return f"invalid length: expected length 32 for simple format, found {len(raw)}"
    if len(hyphens) != 4:
        return f"invalid group count: expected 5, found {len(hyphens) + 1}"
    for group, hyphen in enumerate(hyphens):
        if hyphen != _GROUP_STARTS[group + 1] - 1:
            found = hyphen - _GROUP_STARTS[group]
            return _group_length(group, found)
    # The crate counts the last group from the whole input, braces or prefix included.
    return _group_length(4, len(raw) - _GROUP_STARTS[4])


def _group_length(group: int, found: int) -> str:
    expected = _GROUP_LENGTHS[group]
    return f"invalid group length in group {group}: expected {expected}, found {found}"


def _parses(text: str) -> bool:
    if len(text) == 32:
        return all(char in _HEX for char in text)
    if len(text) == 38 and text[0] == "{" and text[-1] == "}":
        return _hyphenated(text[1:-1])
    if len(text) == 45 and text.startswith(_URN):
        return _hyphenated(text[len(_URN) :])
    return len(text) == 36 and _hyphenated(text)


def _hyphenated(text: str) -> bool:
    groups = text.split("-")
    return [len(group) for group in groups] == list(_GROUP_LENGTHS) and all(
        char in _HEX for group in groups for char in group
    )


def canonical_id(value: str | UUID) -> str:
    """An id given as a `UUID` or as text the server's UUID parser reads, in the
    form every id arrives in (lowercase, hyphenated: serde's for the server's
    `Uuid`s), so that it compares equal to the ids of the records received.
    `ValueError` for text the server's parser refuses (`uuid_problem`), which it
    reads as no id (a name, a search term) or answers 400: Python's `UUID`
    takes more (misplaced hyphens, one brace, `urn:uuid:` before 32 digits)."""
    if isinstance(value, UUID):
        return str(value)
    problem = uuid_problem(value)
    if problem is not None:
        raise ValueError(f"not a UUID the server reads: {problem}")
    return str(UUID(value))


def checked_path_id(name: str, value: str | UUID | int) -> str | UUID | int:
    """`value` when path parameter `name` is fine to send as it is; pydantic's
    `ValidationError` (at `name`) when it is empty (no route of the server has
    an empty segment) or holds a NUL character (which the server's database
    cannot look up), or when the server reads `name` as a UUID
    (`UUID_PATH_PARAMS`) and would answer 400 to `value`."""
    if isinstance(value, UUID):
        return value
    text = str(value)
    if not text:
        _refuse(
            name,
            value,
            "path_empty",
            "{name} must not be empty: no route of the server has an empty path segment",
        )
    if "\x00" in text:
        # Every text parameter is looked up in the server's database, and
        # Postgres refuses a NUL character in text (crates/hot/src/lang/emitter/
        # postgres_safety.rs): a 500.
        _refuse(
            name,
            value,
            "stored_nul",
            "{name} must not hold a NUL character (\\u0000): the server looks it up "
            "in its database (Postgres), which refuses one (a 500)",
        )
    if name not in UUID_PATH_PARAMS:
        return value
    problem = uuid_problem(text)
    if problem is not None:
        _refuse(
            name,
            value,
            "path_uuid",
            "{name} is a UUID on the server, which answers 400 to anything else "
            "(32 hex digits, or 8-4-4-4-12 hyphenated, bare, in braces or after "
            "urn:uuid:): {problem}",
            problem,
        )
    return value


def _refuse(
    name: str,
    value: str | int,
    kind: LiteralString,
    template: LiteralString,
    problem: str | None = None,
) -> NoReturn:
    # pydantic is loaded on the first refusal, not with the clients.
    from pydantic import ValidationError
    from pydantic_core import PydanticCustomError

    error = PydanticCustomError(kind, template, {"name": name, "problem": problem})
    details: InitErrorDetails = {"type": error, "loc": (name,), "input": value}
    raise ValidationError.from_exception_data("path", [details])
