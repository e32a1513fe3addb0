"""Each private module keeps to its one job: the I/O-free ones never import httpx
at run time, so they can be reasoned about (and tested) without a network."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import hot_typed

SOURCE = Path(hot_typed.__file__).parent

# The state machines, the serialization layer, the error mapping, the request
# descriptions and the retry policy: pure functions of their inputs.
IO_FREE = ["_streaming.py", "_wire.py", "_api_errors.py", "_request.py", "_retry.py"]


def _runtime_imports(tree: ast.Module) -> set[str]:
    """Top-level modules imported outside `if TYPE_CHECKING:` blocks."""
    found: set[str] = set()

    def visit(nodes: list[ast.stmt]) -> None:
        for node in nodes:
            if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING":
                visit(node.orelse)
                continue
            if isinstance(node, ast.Import):
                found.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.add(node.module.split(".")[0])
            for field in ("body", "orelse", "finalbody", "handlers"):
                children = getattr(node, field, None)
                if isinstance(children, list):
                    visit([c for c in children if isinstance(c, ast.stmt)])
                    for handler in children:
                        if isinstance(handler, ast.ExceptHandler):
                            visit(handler.body)

    visit(tree.body)
    return found


@pytest.mark.parametrize("module", IO_FREE)
def test_io_free_module_imports_no_httpx_at_run_time(module: str) -> None:
    tree = ast.parse((SOURCE / module).read_text())
    assert "httpx" not in _runtime_imports(tree)


def test_the_import_check_sees_an_import_of_httpx_in_a_function() -> None:
    tree = ast.parse("if TYPE_CHECKING:\n    import httpx\ndef f():\n    import httpx.x\n")
    assert _runtime_imports(tree) == {"httpx"}
    assert _runtime_imports(ast.parse("if TYPE_CHECKING:\n    import httpx\n")) == set()
