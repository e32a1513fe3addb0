"""Renamed names keep working, with a warning, until the next major version.

hot-typed follows semantic versioning: a public name renamed in a minor
version stays usable under its old name, as a deprecated alias, until the next
major version removes it. Using the alias raises a `DeprecationWarning` naming
the new name (at run time), and type checkers flag it too, from a
`typing_extensions.deprecated` declaration under `TYPE_CHECKING`:

- a package-level name: an entry `old: (new, since)` in `hot_typed._RENAMED`
  (answered by the package's `__getattr__`), and, for type checkers,
  `@deprecated(...) class Old(New): ...` (or a `def` of the same signature);
- a method: `old = renamed_method("new", since="X.Y")` in the class body, and,
  for type checkers, the old name declared with `@deprecated(...)` and the new
  one's signature.

Both write their message with `renamed_message`, so the warning and the
checkers' message say the same thing.
"""

from __future__ import annotations

import warnings
from typing import Any

__all__ = ["renamed_message", "renamed_method", "warn_renamed"]


def renamed_message(old: str, new: str, since: str) -> str:
    """The deprecation message of `old`, renamed `new` in version `since`."""
    return (
        f"{old} is deprecated: it was renamed {new} in hot-typed {since}, "
        "and the old name goes in the next major version"
    )


def warn_renamed(old: str, new: str, since: str, *, stacklevel: int = 3) -> None:
    """Warn that `old` was used (`stacklevel` 3: the caller of the caller)."""
    warnings.warn(renamed_message(old, new, since), DeprecationWarning, stacklevel=stacklevel)


class renamed_method:
    """A method's old name: each access warns, then answers the new name's
    attribute, whatever kind it is (a plain method, an endpoint, a property),
    so sync and async resources alike keep working under the old name.

    Named like `property`, as it is used the same way: `old = renamed_method("new",
    since="0.2")` in a class body (`old=` names it when set on a class later).
    """

    __slots__ = ("new", "old", "since")

    def __init__(self, new: str, *, since: str, old: str = "") -> None:
        self.new = new
        self.since = since
        self.old = old

    def __set_name__(self, owner: type, name: str) -> None:
        self.old = name

    def __get__(self, instance: object | None, owner: type) -> Any:
        cls = owner.__name__
        warn_renamed(f"{cls}.{self.old}", f"{cls}.{self.new}", self.since)
        return getattr(owner if instance is None else instance, self.new)
