"""Hot's own text for a value, as its `Display` writes one.

The environment stream's `run:fail` carries a failed run's error as this text,
not as JSON: crates/hot_worker/src/server.rs fills `EnvEvent::RunFail.error`
with `result.unwrap_err().map(|v| v.to_string())`, the failure value written by
`impl fmt::Display for Val` (crates/hot/src/val.rs). That is the one place the
emulator needs it, so only the values its failures hold are covered: no
decimals (a `Dec` is written by the fastnum crate's own rules).
"""

from __future__ import annotations

import re
from typing import TypeAlias

__all__ = ["Displayable", "displayed"]

Displayable: TypeAlias = (
    "bool | int | str | list[Displayable] | dict[str, Displayable] | None"
)
"""A JSON value without decimals, as Hot holds one in a `Val`."""

# `Val::clean_type_debug_format`: what a typed value's `$val` renders to has
# the Debug form of type expressions (`Named("User")`, `Builtin(Str)`) rewritten
# to their bare names, wherever in the text they appear.
_NAMED = re.compile(r'Named\("([^"]+)"\)')
_BUILTIN = re.compile(r"Builtin\(([^)]+)\)")


def displayed(value: Displayable) -> str:
    """`value` as Hot's `Display` writes it: strings quoted but not escaped,
    maps as `{"key": value}`, and a typed map holding `$val` as its type's last
    path segment around its value: `Failure({"msg": "boom", "err": null})`."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, list):
        return f"[{', '.join(displayed(item) for item in value)}]"
    type_path = value.get("$type")
    if isinstance(type_path, str) and "$val" in value:
        inner = _BUILTIN.sub(r"\1", _NAMED.sub(r"\1", displayed(value["$val"])))
        return f"{type_path.split('/')[-1]}({inner})"
    entries = (f"{displayed(key)}: {displayed(item)}" for key, item in value.items())
    return f"{{{', '.join(entries)}}}"
