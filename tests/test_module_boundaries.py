"""Each private module keeps to its one job: the I/O-free ones never import httpx
at run time, so they can be reasoned about (and tested) without a network."""

from __future__ import annotations

import ast
import re
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


def _design_table() -> dict[str, str]:
    """The README's Design table: each module named in a row, with its job."""
    readme = (SOURCE.parents[1] / "README.md").read_text()
    design = readme[readme.index("## Design\n") :]
    rows: dict[str, str] = {}
    for line in design.splitlines():
        if line.startswith("| `"):
            names, job = line[2:].split(" | ", 1)
            for name in names.split(", "):
                rows[name.strip("`")] = job
    return rows


def test_the_design_table_lists_every_module_of_the_package_once() -> None:
    modules = {p.name for p in SOURCE.glob("*.py")}
    packages = {f"{p.name}/" for p in SOURCE.iterdir() if (p / "__init__.py").exists()}
    assert set(_design_table()) == modules | packages


def test_each_descriptor_the_design_names_hands_its_description_to_the_runner_verb_named() -> None:
    from hot_typed import _resource
    from hot_typed._runner import AsyncRunner, SyncRunner

    readme = (SOURCE.parents[1] / "README.md").read_text()
    design = " ".join(readme[readme.index("## Design\n") :].split())
    kinds = ["endpoint", "list_endpoint", "stream_endpoint", "follow_endpoint", "wait_endpoint"]
    kinds.append("job_endpoint")
    verbs = ["call", "page", "stream", "follow", "wait", "perform"]
    assert ", ".join(f"`{kind}`" for kind in kinds) in design
    assert ", ".join(f"`{verb}`" for verb in verbs) in design
    descriptors = {
        name
        for name, value in vars(_resource).items()
        if isinstance(value, type)
        and issubclass(value, _resource._Operation)
        and not name.startswith("_")
    }
    assert descriptors == set(kinds)
    for kind, verb in zip(kinds, verbs, strict=True):
        operation = getattr(_resource, kind)(lambda resource: None)
        assert operation._perform == verb
        assert callable(getattr(SyncRunner, verb))
        assert callable(getattr(AsyncRunner, verb))


def test_the_modules_the_design_names_as_twins_are_the_ones_with_async_code() -> None:
    readme = (SOURCE.parents[1] / "README.md").read_text()
    design = " ".join(readme[readme.index("## Design\n") :].split())
    paragraph = design[design.index("The two clients differ only where I/O happens") :]
    paragraph = paragraph[: paragraph.index("Everything else is shared")]
    named = set(re.findall(r"`([a-z_]+\.py)`", paragraph))
    with_async = {
        path.name
        for path in SOURCE.glob("*.py")
        if any(
            isinstance(node, ast.AsyncFunctionDef) for node in ast.walk(ast.parse(path.read_text()))
        )
    }
    # `_resource.py` only wraps each operation in a coroutine function for the async client.
    assert with_async - {"_resource.py"} == named
