"""Permission maps of sessions and service keys, checked as the server checks them.

A permission map goes from a resource `type:path` to the actions granted on it:

    Permissions({"event:orders:*": ["create"], "stream:*": ["read"]})

Every rule the server enforces is enforced here first, so a bad map fails when
it is built, with an error located at the offending key (and action).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from types import MappingProxyType
from typing import Any, ClassVar

from pydantic import ConfigDict, GetJsonSchemaHandler, RootModel, ValidationError, model_validator
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, InitErrorDetails, PydanticCustomError
from typing_extensions import LiteralString, Self

__all__ = ["ACTIONS", "RESOURCE_ACTIONS", "Permissions"]

#: Every action a permission may grant; `*` grants all actions valid for the type.
ACTIONS = frozenset({"create", "read", "update", "delete", "execute", "*"})

#: The actions valid for each known resource type. Other types accept any action.
RESOURCE_ACTIONS: Mapping[str, frozenset[str]] = MappingProxyType(
    {
        "mcp": frozenset({"execute"}),
        "webhook": frozenset({"execute"}),
        "stream": frozenset({"read"}),
        "event": frozenset({"create", "read"}),
        "run": frozenset({"read"}),
        "call": frozenset({"create", "read"}),
        "project": frozenset({"create", "read", "update", "delete"}),
        "context": frozenset({"create", "read", "update", "delete"}),
        "build": frozenset({"create", "read", "execute"}),
        "key": frozenset({"create", "read", "update", "delete"}),
        "session": frozenset({"create", "read", "delete"}),
        "env": frozenset({"read"}),
    }
)

_TYPE = re.compile(r"[A-Za-z0-9-]+")


def _resource_problem(resource: str) -> str | None:
    """Why `resource` is not a valid `type:path`, or None when it is."""
    if resource == "*:*":
        return None
    if resource == "*":
        return "a bare '*' is not a resource; the universal wildcard is '*:*'"
    kind, colon, where = resource.partition(":")
    if not colon:
        return "a resource is written 'type:path' (for example 'stream:*')"
    if not kind:
        return "the type before ':' must not be empty"
    if not where:
        return "the path after ':' must not be empty"
    if kind == "*":
        return "the wildcard type '*' only goes with the path '*' ('*:*')"
    if not _TYPE.fullmatch(kind):
        return "the type may only hold ASCII letters, digits and hyphens"
    return None


def _action_problem(kind: str, action: Any) -> str | None:
    """Why `action` cannot be granted on resources of type `kind`, or None."""
    if not isinstance(action, str):
        return f"an action is a string, got {type(action).__name__}"
    if action != action.lower():
        return f"actions are lowercase ({action.lower()!r}, not {action!r})"
    if action not in ACTIONS:
        return f"{action!r} is not an action; actions are {', '.join(sorted(ACTIONS))}"
    valid = RESOURCE_ACTIONS.get(kind)
    if action == "*" or valid is None or action in valid:
        return None
    return f"{action!r} is not valid for {kind!r} resources, which allow {', '.join(sorted(valid))}"


def _problems(permissions: Mapping[str, Sequence[str]]) -> list[InitErrorDetails]:
    errors: list[InitErrorDetails] = []

    def add(kind: LiteralString, message: str, loc: tuple[str | int, ...], value: Any) -> None:
        error = PydanticCustomError(
            kind, "resource '{resource}': {rule}", {"resource": loc[0], "rule": message}
        )
        errors.append(InitErrorDetails(type=error, loc=loc, input=value))

    for resource, actions in permissions.items():
        problem = _resource_problem(resource)
        if problem is not None:
            add("permission_resource", problem, (resource,), resource)
            continue
        if not actions:
            add(
                "permission_actions_empty",
                "the action list must not be empty",
                (resource,),
                actions,
            )
            continue
        kind = resource.partition(":")[0]
        for i, action in enumerate(actions):
            problem = _action_problem(kind, action)
            if problem is not None:
                add("permission_action", problem, (resource, i), action)
    return errors


class Permissions(RootModel[dict[str, list[str]]]):
    """A permission map: resource `type:path` to the non-empty list of actions granted.

    Build it from a mapping (`Permissions({"stream:*": ["read"]})`) or let
    `SessionCreate` and `ServiceKeyCreate` build it from a dict. The rules,
    the server's own:

    * a resource is `type:path`, neither part empty; a bare `*` is invalid
      (use `*:*`) and the type `*` only goes with the path `*`;
    * a type holds ASCII letters, digits and hyphens;
    * each list is non-empty; actions are lowercase, one of `create`, `read`,
      `update`, `delete`, `execute` or `*`, and valid for the type (see
      `RESOURCE_ACTIONS`; unknown types accept every action).

    A broken map raises pydantic's `ValidationError`, one error per problem,
    located at the key (and the action's index) and naming the rule.
    """

    model_config: ClassVar[ConfigDict] = ConfigDict(revalidate_instances="always")

    root: dict[str, list[str]]

    @model_validator(mode="after")
    def _follow_server_rules(self) -> Self:
        errors = _problems(self.root)
        if errors:
            raise ValidationError.from_exception_data(type(self).__name__, errors)
        return self

    @classmethod
    def __get_pydantic_json_schema__(
        cls, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        # The rules as JSON Schema: the key grammar, and per known type its actions.
        def actions(allowed: frozenset[str]) -> JsonSchemaValue:
            return {"type": "array", "minItems": 1, "items": {"enum": sorted(allowed | {"*"})}}

        return {
            "title": cls.__name__,
            "description": "Resource `type:path` to the non-empty list of actions granted.",
            "type": "object",
            "propertyNames": {"pattern": r"^(?:\*:\*|[A-Za-z0-9-]+:.+)$"},
            "patternProperties": {
                f"^{kind}:": actions(allowed) for kind, allowed in RESOURCE_ACTIONS.items()
            },
            "additionalProperties": actions(ACTIONS),
        }

    def __getitem__(self, resource: str) -> list[str]:
        return self.root[resource]

    def __iter__(self) -> Iterator[str]:  # type: ignore[override]
        """The resources, in order (a mapping's iteration, not a model's fields)."""
        return iter(self.root)

    def __len__(self) -> int:
        return len(self.root)

    def __contains__(self, resource: object) -> bool:
        return resource in self.root

    def to_dict(self) -> dict[str, list[str]]:
        """The map as sent on the wire (a copy)."""
        return {resource: list(actions) for resource, actions in self.root.items()}
