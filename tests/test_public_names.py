"""The public names of `hot_typed` have one source, `_EXPORTS` (name by defining
module): `__all__` is derived from it, and the `TYPE_CHECKING` imports type
checkers read cannot drift from it."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import hot_typed

INIT = Path(hot_typed.__file__)


def _type_checking_imports() -> dict[str, list[tuple[str, str | None]]]:
    """`{module: [(name, asname), ...]}` of the `if TYPE_CHECKING:` block of `__init__.py`."""
    tree = ast.parse(INIT.read_text(encoding="utf-8"))
    (block,) = [
        node
        for node in tree.body
        if isinstance(node, ast.If)
        and isinstance(node.test, ast.Name)
        and node.test.id == "TYPE_CHECKING"
    ]
    imports: dict[str, list[tuple[str, str | None]]] = {}
    for statement in block.body:
        assert isinstance(statement, ast.ImportFrom), ast.dump(statement)
        module = "." * statement.level + (statement.module or "")
        imports.setdefault(module, []).extend((a.name, a.asname) for a in statement.names)
    return imports


def test_the_type_checking_imports_are_exactly_the_exports() -> None:
    imports = _type_checking_imports()

    assert {module: sorted(n for n, _ in names) for module, names in imports.items()} == {
        module: sorted(names) for module, names in hot_typed._EXPORTS.items()
    }
    # `Name as Name`: an explicit re-export for strict type checkers.
    assert all(name == alias for names in imports.values() for name, alias in names)


def test_all_is_every_export_once_and_the_version() -> None:
    exported = [name for names in hot_typed._EXPORTS.values() for name in names]

    assert len(exported) == len(set(exported)), "a name exported from two modules"
    assert hot_typed.__all__ == sorted([*exported, "__version__"])


def test_each_export_is_public_in_its_defining_module() -> None:
    for module_name, names in hot_typed._EXPORTS.items():
        module = importlib.import_module(module_name, "hot_typed")
        listed = getattr(module, "__all__", None)
        for name in names:
            assert getattr(hot_typed, name) is getattr(module, name)
            if listed is not None:
                assert name in listed, f"{name} is not in {module.__name__}.__all__"
