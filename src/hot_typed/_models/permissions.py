"""Permission maps of sessions and service keys, checked as the server checks them.

A permission map goes from a resource `type:path` to the actions granted on it:

    Permissions({"event:orders:*": ["create"], "stream:*": ["read"]})

Every rule the server enforces (crates/hot/src/permission.rs) is enforced here
first, so a bad map fails when it is built, with an error located at the
offending key (and action) whose message is the server's own.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from types import MappingProxyType
from typing import Any, ClassVar, NamedTuple

from pydantic import ConfigDict, GetJsonSchemaHandler, RootModel, ValidationError, model_validator
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, InitErrorDetails, PydanticCustomError
from typing_extensions import Self

from ._json import nul_error

__all__ = [
    "ACTIONS",
    "RESOURCE_ACTIONS",
    "SERVICE_KEY_RESOURCE_TYPES",
    "PermissionProblem",
    "Permissions",
    "escalation",
    "grants",
    "permission_problems",
    "problem_errors",
    "service_key_problems",
]

# crates/hot/src/permission.rs `actions`, in the order its messages list them.
_ACTIONS = ("create", "read", "update", "delete", "execute", "*")
#: Every action a permission may grant; `*` grants every action valid for the type.
ACTIONS = frozenset(_ACTIONS)

# crates/hot/src/permission.rs `resource_types::valid_actions`: the known types
# and their actions; any other type (`call`, `my-thing`) accepts every action.
_RESOURCE_ACTIONS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "mcp": ("execute",),
        "webhook": ("execute",),
        "stream": ("read",),
        "event": ("create", "read"),
        "run": ("read",),
        "project": ("create", "read", "update", "delete"),
        "build": ("create", "read", "execute"),
        "context": ("create", "read", "update", "delete"),
        "key": ("create", "read", "update", "delete"),
        "session": ("create", "read", "delete"),
        "env": ("read",),
    }
)
#: The actions valid for each known resource type. Other types accept any action.
RESOURCE_ACTIONS: Mapping[str, frozenset[str]] = MappingProxyType(
    {kind: frozenset(actions) for kind, actions in _RESOURCE_ACTIONS.items()}
)

# crates/hot/src/permission.rs `SERVICE_KEY_ALLOWED`, applied by
# crates/hot_api/src/handlers/service_keys.rs: service keys are customer-facing
# and may not name administrative types, nor the universal `*:*`.
#: The only resource types a service key's permissions may name.
SERVICE_KEY_RESOURCE_TYPES = ("mcp", "webhook", "stream", "event", "run")


class PermissionProblem(NamedTuple):
    """One broken rule: where (the resource, and the action's index), which rule
    (an error type) and the server's message for it."""

    loc: tuple[str | int, ...]
    kind: str
    message: str
    value: Any


def _resource_type(resource: str) -> str | None:
    """The type of `resource` as the server parses it, or None when malformed:
    `*:*`, or `type:path` with a non-empty path and a type of ASCII letters,
    digits and hyphens (a bare `*` type only in `*:*`)."""
    if resource == "*:*":
        return "*"
    kind, colon, where = resource.partition(":")
    if not colon or not kind or kind == "*" or not where:
        return None
    if not all(c.isascii() and (c.isalnum() or c == "-") for c in kind):
        return None
    return kind


def _action_problem(resource: str, kind: str, action: str) -> str | None:
    if action not in ACTIONS:
        return f"Invalid action: '{action}'. Valid actions: {', '.join(_ACTIONS)}"
    valid = _RESOURCE_ACTIONS.get(kind)
    if action == "*" or valid is None or action in valid:
        return None
    return (
        f"Action '{action}' is not valid for resource '{resource}'. "
        f"Valid actions: {', '.join(valid)}"
    )


def permission_problems(permissions: Mapping[str, Sequence[str]]) -> list[PermissionProblem]:
    """Every rule of `Permissions::validate` the map breaks, in the map's order,
    each with the message the server answers for it (crates/hot/src/permission.rs)."""
    problems: list[PermissionProblem] = []
    for resource, actions in permissions.items():
        kind = _resource_type(resource)
        if kind is None:
            message = (
                f"Invalid resource URN: '{resource}'. "
                "Expected format: type:path (e.g. mcp:*, stream:my-id)"
            )
            problems.append(
                PermissionProblem((resource,), "permission_resource", message, resource)
            )
            continue
        if not actions:
            message = (
                f"Resource '{resource}' has an empty action list. "
                "Each resource must have at least one action."
            )
            problems.append(
                PermissionProblem((resource,), "permission_actions_empty", message, actions)
            )
            continue
        for index, action in enumerate(actions):
            problem = _action_problem(resource, kind, action)
            if problem is not None:
                problems.append(
                    PermissionProblem((resource, index), "permission_action", problem, action)
                )
    return problems


def service_key_problems(permissions: Mapping[str, Sequence[str]]) -> list[PermissionProblem]:
    """The resources a service key may not name (`validate_resource_types` with
    `SERVICE_KEY_ALLOWED`, crates/hot/src/permission.rs), with the server's message.
    Malformed resources are `permission_problems`' to report."""
    allowed = ", ".join(SERVICE_KEY_RESOURCE_TYPES)
    return [
        PermissionProblem(
            (resource,),
            "permission_resource_type",
            f"Resource type '{kind}' is not allowed for this credential. Allowed types: {allowed}",
            resource,
        )
        for resource in permissions
        if (kind := _resource_type(resource)) is not None and kind not in SERVICE_KEY_RESOURCE_TYPES
    ]


def grants(held: Mapping[str, Sequence[str]], resource: str, action: str) -> bool:
    """Whether the permissions `held` grant `action` on `resource`.

    crates/hot/src/permission.rs `has_permission`: a key matches when it is
    `*:*`, `resource` itself, or ends in `*` and `resource` starts with the
    rest (`mcp:weather/*` covers `mcp:weather/now`); its actions match when
    they hold `action` or `*`.
    """
    return any(
        (key == "*:*" or key == resource or (key.endswith("*") and resource.startswith(key[:-1])))
        and ("*" in actions or action in actions)
        for key, actions in held.items()
    )


def escalation(
    requested: Mapping[str, Sequence[str]], held: Mapping[str, Sequence[str]]
) -> tuple[str, str] | None:
    """The first resource and action of `requested` that `held` does not grant,
    or None when `requested` is within `held`.

    crates/hot/src/permission.rs `validate_subset_of`: each requested resource
    key is matched as written against the held ones; a requested `*` stands for
    every action valid for the resource's type (all five for `*:*` and unknown
    types), each of which must be held.
    """
    for resource, actions in requested.items():
        for action in actions:
            if action == "*":
                kind = _resource_type(resource) or "*"
                wanted: Sequence[str] = _RESOURCE_ACTIONS.get(kind, _ACTIONS[:-1])
            else:
                wanted = (action,)
            for one in wanted:
                if not grants(held, resource, one):
                    return resource, one
    return None


def problem_errors(problems: Sequence[PermissionProblem]) -> list[InitErrorDetails]:
    """`problems` as pydantic errors, each message naming its resource."""
    return [
        InitErrorDetails(
            type=PydanticCustomError(
                # The server's problem kinds are run-time strings, not literals.
                kind,  # pyright: ignore[reportArgumentType]
                "resource '{resource}': {rule}",
                {"resource": loc[0], "rule": message},
            ),
            loc=loc,
            input=value,
        )
        for loc, kind, message, value in problems
    ]


class Permissions(RootModel[dict[str, list[str]]]):
    """A permission map: resource `type:path` to the non-empty list of actions granted.

    Build it from a mapping (`Permissions({"stream:*": ["read"]})`) or let
    `SessionCreate` and `ServiceKeyCreate` build it from a dict. The rules,
    the server's own (crates/hot/src/permission.rs):

    * a resource is `type:path`, neither part empty; a bare `*` is invalid
      (use `*:*`) and the type `*` only goes with the path `*`;
    * a type holds ASCII letters, digits and hyphens;
    * each list is non-empty; actions are one of `create`, `read`, `update`,
      `delete`, `execute` or `*` (lowercase), and valid for the type (see
      `RESOURCE_ACTIONS`; `*:*` and types it does not list accept every action).

    A broken map raises pydantic's `ValidationError`, one error per problem,
    located at the key (and the action's index), its message the server's.
    """

    model_config: ClassVar[ConfigDict] = ConfigDict(revalidate_instances="always")

    root: dict[str, list[str]]

    @model_validator(mode="after")
    def _follow_server_rules(self) -> Self:
        problems = permission_problems(self.root)
        if problems:
            raise ValidationError.from_exception_data(type(self).__name__, problem_errors(problems))
        # Sessions and service keys keep the map in a Postgres jsonb column, which
        # holds no NUL (crates/hot/src/db/session.rs, service_key.rs): a 500.
        # Actions holding one are refused above, as no action.
        stored = [
            InitErrorDetails(type=nul_error(), loc=(resource,), input=resource)
            for resource in self.root
            if "\x00" in resource
        ]
        if stored:
            raise ValidationError.from_exception_data(type(self).__name__, stored)
        return self

    @classmethod
    def __get_pydantic_json_schema__(
        cls, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        # The rules as JSON Schema: the key grammar, and per known type its actions.
        def actions(allowed: Sequence[str]) -> JsonSchemaValue:
            return {"type": "array", "minItems": 1, "items": {"enum": sorted({*allowed, "*"})}}

        return {
            "title": cls.__name__,
            "description": "Resource `type:path` to the non-empty list of actions granted.",
            "type": "object",
            "propertyNames": {"pattern": r"^(?:\*:\*|[A-Za-z0-9-]+:.+)$"},
            "patternProperties": {
                f"^{kind}:": actions(allowed) for kind, allowed in _RESOURCE_ACTIONS.items()
            },
            "additionalProperties": actions(_ACTIONS),
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


PermissionsParam = Permissions | Mapping[str, list[str] | tuple[str, ...]]
"""A permission map as a request body takes it: `Permissions`, or a mapping it is built from."""
