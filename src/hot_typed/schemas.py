"""JSON Schemas (draft 2020-12) of every wire model, derived from the models.

One schema per request body, query, response object, envelope and server-sent
event, named after its model. Regenerate the committed copies after changing a
model (a test fails until you do):

    python -m hot_typed.schemas            # writes ./schemas/<Model>.json
    python -m hot_typed.schemas OUT_DIR

Schemas describe what validates: response objects allow extra keys (a newer
server may add fields), open enums list their known values as examples, and
user-owned JSON (`event_data`, `result`, `payload`, `metadata`) is any JSON.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, get_origin

from pydantic import BaseModel, TypeAdapter

from . import _models
from ._api_errors import ErrorEnvelope
from ._models._base import RequestModel, WireModel
from ._wire import ItemEnvelope, ListEnvelope

__all__ = ["DIALECT", "json_schemas", "main", "wire_types", "write_schemas"]

DIALECT = "https://json-schema.org/draft/2020-12/schema"

# Modules whose public models are wire models, besides `hot_typed._models.*`.
_EXTRA_MODULES = ("hot_typed._resources._params",)


def _model_modules() -> Iterator[Any]:
    for info in sorted(pkgutil.iter_modules(_models.__path__), key=lambda m: m.name):
        if not info.name.startswith("_") or info.name == "_common":
            yield importlib.import_module(f"{_models.__name__}.{info.name}")
    for name in _EXTRA_MODULES:
        yield importlib.import_module(name)


def _is_wire_type(value: Any) -> bool:
    if isinstance(value, type) and issubclass(value, BaseModel):
        return value not in (WireModel, RequestModel)
    # A union of models (`StreamEvent`): an annotated union exported by name.
    return get_origin(value) is not None and not isinstance(value, type)


def wire_types() -> dict[str, Any]:
    """Every wire model by name: the public models of the model modules, the
    event unions, and the envelopes (their `data` is any JSON here)."""
    found: dict[str, Any] = {}
    for module in _model_modules():
        for name in getattr(module, "__all__", ()):
            value = getattr(module, name)
            if _is_wire_type(value):
                found[name] = value
    found.update(ItemEnvelope=ItemEnvelope, ListEnvelope=ListEnvelope, ErrorEnvelope=ErrorEnvelope)
    return dict(sorted(found.items()))


def _union_members(schema: dict[str, Any]) -> list[dict[str, Any]]:
    """The `$ref` members of a union, whether pydantic wrote it as one `oneOf`
    or as an `anyOf` of a discriminated `oneOf` and a fallback."""
    if "oneOf" in schema:
        return list(schema["oneOf"])
    members: list[dict[str, Any]] = []
    for option in schema.get("anyOf", ()):
        members.extend(option.get("oneOf", [option]))
    return members if all("$ref" in member for member in members) else []


def _tagged_union(schema: dict[str, Any]) -> dict[str, Any]:
    """Rewrite a union discriminated on `type` with a catch-all member for unknown
    types: `oneOf` would match a known event twice; if/then picks by `type`."""
    members = _union_members(schema)
    if not members:
        return schema
    defs = schema["$defs"]
    clauses: list[dict[str, Any]] = []
    known: list[str] = []
    fallback: dict[str, Any] | None = None
    for member in members:
        target = defs[member["$ref"].rsplit("/", 1)[1]]
        tag = target.get("properties", {}).get("type", {}).get("const")
        if tag is None:
            fallback = member
            continue
        known.append(tag)
        clauses.append({"if": {"properties": {"type": {"const": tag}}}, "then": member})
    if fallback is not None:
        unknown = {"not": {"properties": {"type": {"enum": known}}}}
        clauses.append({"if": unknown, "then": fallback})
    rewritten = {key: value for key, value in schema.items() if key not in ("oneOf", "anyOf")}
    rewritten.update(type="object", required=["type"], allOf=clauses)
    return rewritten


def json_schemas() -> dict[str, dict[str, Any]]:
    """The schema of each wire type, by file name (`Event.json`)."""
    schemas: dict[str, dict[str, Any]] = {}
    for name, value in wire_types().items():
        schema = _tagged_union(TypeAdapter(value).json_schema(mode="validation"))
        schema.setdefault("title", name)
        schemas[f"{name}.json"] = {"$schema": DIALECT, **schema}
    return schemas


def render(schema: dict[str, Any]) -> str:
    """The committed text of a schema: stable key order, one trailing newline."""
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def write_schemas(out_dir: Path) -> list[Path]:
    """Write every schema into `out_dir`, removing schemas of models that are gone
    (`operations.json`, the API's operation list, is kept)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    schemas = json_schemas()
    for stale in out_dir.glob("*.json"):
        if stale.name not in schemas and stale.name != "operations.json":
            stale.unlink()
    written: list[Path] = []
    for file_name, schema in schemas.items():
        path = out_dir / file_name
        path.write_text(render(schema), encoding="utf-8")
        written.append(path)
    return written


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    out_dir = Path(args[0] if args else "schemas")
    written = write_schemas(out_dir)
    print(f"wrote {len(written)} schemas to {out_dir}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
