"""`python -m hot_typed generate`: a module of typed contracts from a `tools/list`
document of Hot's JSON Schemas, checked in under tests/fixtures/contracts/, and
used against the emulator."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import UUID

import pydantic
import pytest

from hot_typed import AsyncHotClient, HotClient, HotResponseValidationError
from hot_typed._generate import generate_from_document
from hot_typed.testing import HandlerEvent, HotEmulator, RunContext

from .fixtures.contracts import shop
from .sse_script import close, resolve

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "contracts"
DOCUMENT = FIXTURES / "shop_tools.json"
MODULE = FIXTURES / "shop.py"
ORDER_ID = UUID("0190d3a2-4b5c-7d8e-9f00-112233445566")
# `quote` is renamed in its mcp meta: its entry does not name its function.
FUNCTIONS_GIVEN = {"quote": "::demo::shop/price_basket"}

Client = HotClient | AsyncHotClient


def test_the_checked_in_module_is_what_the_generator_writes() -> None:
    document = json.loads(DOCUMENT.read_text(encoding="utf-8"))
    generated = generate_from_document(
        document, namespace="::demo::shop", source="the shop service", functions=FUNCTIONS_GIVEN
    )
    assert generated == MODULE.read_text(encoding="utf-8")


def _declared_names(module: str) -> list[str]:
    return re.findall(r'^@hot_typed\.function\("([^"]+)"\)$', module, flags=re.MULTILINE)


def test_a_tool_renamed_in_its_meta_needs_its_function_given() -> None:
    document = json.loads(DOCUMENT.read_text(encoding="utf-8"))
    with pytest.raises(ValueError, match="tool 'quote' is named in its mcp meta"):
        generate_from_document(document, namespace="::demo::shop", source="s")
    # The same entry without `_meta.mcp.name` is named after its function.
    for tool in document["tools"]:
        tool.pop("_meta", None)
    assert "::demo::shop/quote" in _declared_names(
        generate_from_document(document, namespace="::demo::shop", source="s")
    )


def test_given_functions_are_declared_exactly_with_underscores_and_hyphens() -> None:
    document = json.loads(DOCUMENT.read_text(encoding="utf-8"))
    given = {
        **FUNCTIONS_GIVEN,
        "demo_shop_order_status": "::demo::shop-v2/order_status",
        "demo_shop_ping": "::demo::shop/ping-it_now",
    }
    module = generate_from_document(document, namespace="::demo::shop", source="s", functions=given)
    assert _declared_names(module) == [
        "::demo::shop/place-order",
        "::demo::shop-v2/order_status",
        "::demo::shop/price_basket",
        "::demo::shop/ping-it_now",
    ]
    with pytest.raises(ValueError, match="does not list: \\['demo_shop_nothing'\\]"):
        generate_from_document(
            document, namespace="::demo::shop", source="s", functions={"demo_shop_nothing": "::a/b"}
        )
    with pytest.raises(ValueError, match="named as '::ns::path/fn', got 'price_basket'"):
        generate_from_document(
            document, namespace="::demo::shop", source="s", functions={"quote": "price_basket"}
        )


# What both runs of the command say about the shop service (namespace, header, the
# renamed tool's function), beside where they read its tools from.
SHOP_OPTIONS = [
    "--namespace",
    "::demo::shop",
    "--source",
    "the shop service",
    "--function",
    "quote=::demo::shop/price_basket",
]

def test_the_command_writes_the_same_module(tmp_path: Path) -> None:
    out = tmp_path / "shop.py"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "hot_typed",
            "generate",
            "--from",
            str(DOCUMENT),
            *SHOP_OPTIONS,
            "--output",
            str(out),
        ],
        check=True,
        cwd=ROOT,
    )
    assert out.read_text(encoding="utf-8") == MODULE.read_text(encoding="utf-8")


def test_the_generated_module_passes_mypy_strict_and_ruff() -> None:
    mypy = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--config-file", "mypy.ini", str(MODULE)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert mypy.returncode == 0, mypy.stdout
    ruff = subprocess.run(
        [sys.executable, "-m", "ruff", "check", str(MODULE)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert ruff.returncode == 0, ruff.stdout


def test_the_declarations_carry_hot_names_types_and_optional_parameters() -> None:
    assert shop.place_order.name == "::demo::shop/place-order"
    assert shop.order_status.name == "::demo::shop/order-status"
    assert shop.quote.name == "::demo::shop/price_basket"
    assert shop.place_order.arguments(
        shop.Customer(name="Ada", email="ada@example.com"), [shop.Item(sku="A1", quantity=2)]
    ) == [
        {"name": "Ada", "email": "ada@example.com", "address": None},
        [{"sku": "A1", "quantity": 2, "size": None}],
        None,
    ]
    # Hyphenated Hot names go out under their wire keys.
    address = shop.Address(street="1 Main St", city="Springfield", postal_code="12345")
    customer = shop.Customer(name="Ada", email="a@x", address=address)
    sent = shop.place_order.arguments(customer, [])[0]
    assert sent["address"]["postal-code"] == "12345"
    # Payload enums: `$type` tags, `$val` payloads.
    percent = shop.Discount1(field_type="Discount.Percent", field_val=10)
    assert shop.quote.arguments(["A1"], percent) == [
        ["A1"],
        {"$type": "Discount.Percent", "$val": 10.0},
    ]


def place(event: HandlerEvent, ctx: RunContext) -> Any:
    _customer, items, note = event.args
    return {
        "order-id": str(ORDER_ID),
        "total": 9.5 * sum(item["quantity"] for item in items),
        "status": "Pending",
        "placed-at": "2026-05-01T09:30:00Z",
        "tags": {"note": note} if note else {},
    }


def status(event: HandlerEvent, ctx: RunContext) -> Any:
    return "Shipped" if event.args == [str(ORDER_ID)] else "Lost"


def unserved(event: HandlerEvent, ctx: RunContext) -> Any:
    raise RuntimeError(f"{event.fn} is not served in these tests")


# What each of the shop's tools runs: its Hot function and a handler standing for it.
FUNCTIONS = {
    "demo_shop_place_order": ("::demo::shop/place-order", place),
    "demo_shop_order_status": ("::demo::shop/order-status", status),
    "quote": ("::demo::shop/price_basket", unserved),
    "demo_shop_ping": ("::demo::shop/ping", unserved),
}


@pytest.fixture
def emulator() -> Iterator[HotEmulator]:
    with HotEmulator() as emu:
        for function, handler in FUNCTIONS.values():
            emu.on_call(function, handler)
        yield emu


@pytest.mark.parametrize("mode", ["sync", "async"])
async def test_generated_functions_call_the_emulator_with_typed_results(
    mode: str, emulator: HotEmulator
) -> None:
    hot: Client = emulator.client() if mode == "sync" else emulator.async_client()
    customer = shop.Customer(name="Ada", email="ada@example.com")
    try:
        order = await resolve(
            hot.call(shop.place_order, customer, [shop.Item(sku="A1", quantity=2)], "gift")
        )
        status = await resolve(hot.call(shop.order_status, order.order_id))
        note: Any = 5
        with pytest.raises(pydantic.ValidationError):
            await resolve(hot.call(shop.place_order, customer, [], note))
        with pytest.raises(HotResponseValidationError) as error:
            await resolve(hot.call(shop.order_status, UUID(int=7)))
    finally:
        await close(hot)
    assert isinstance(order, shop.PlaceOrderResult)
    assert (order.order_id, order.total, order.status, order.tags) == (
        ORDER_ID,
        19.0,
        "Pending",
        {"note": "gift"},
    )
    assert order.placed_at.tzinfo is not None
    assert status == "Shipped"
    assert error.value.raw == "Lost"
    assert sum(1 for r in emulator.requests if r.method == "POST") == 3


def _serve_shop(emulator: HotEmulator) -> None:
    """The shop's tools, served by the emulator's MCP service `shop`."""
    for tool in json.loads(DOCUMENT.read_text(encoding="utf-8"))["tools"]:
        function, handler = FUNCTIONS[tool["name"]]
        emulator.serve_tool("shop", tool, function, handler)


@pytest.mark.parametrize("mode", ["sync", "async"])
async def test_the_emulator_serves_tools_list_and_the_module_generated_from_it_is_the_same(
    mode: str, emulator: HotEmulator
) -> None:
    _serve_shop(emulator)
    hot: Client = emulator.client() if mode == "sync" else emulator.async_client()
    try:
        listed = await resolve(hot.mcp.list_tools("acme", "emulator", "shop"))
        called = await resolve(
            hot.mcp.call_tool(
                "acme", "emulator", "shop", "demo_shop_order_status", {"order-id": str(ORDER_ID)}
            )
        )
    finally:
        await close(hot)
    assert [tool.name for tool in listed.tools][:2] == [
        "demo_shop_place_order",
        "demo_shop_order_status",
    ]
    assert listed.tools[0].input_schema["required"] == ["customer", "items"]
    assert listed.tools[2].meta == {"mcp": {"service": "shop", "name": "quote", "auth": "required"}}
    generated = generate_from_document(
        listed.raw, namespace="::demo::shop", source="the shop service", functions=FUNCTIONS_GIVEN
    )
    assert generated == MODULE.read_text(encoding="utf-8")
    # Named arguments reach the function in the order of its parameters.
    assert called.structured_content == {"result": "Shipped"}
    assert called.is_error is False


def test_the_command_reads_the_tools_through_the_api(
    emulator: HotEmulator, tmp_path: Path
) -> None:
    _serve_shop(emulator)
    out = tmp_path / "shop.py"
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "hot_typed",
            "generate",
            "--service",
            "shop",
            "--org",
            "acme",
            "--env",
            "emulator",
            "--base-url",
            emulator.base_url,
            "--token",
            emulator.api_key,
            *SHOP_OPTIONS,
            "--output",
            str(out),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert out.read_text(encoding="utf-8") == MODULE.read_text(encoding="utf-8")


def test_the_command_refuses_a_renamed_tool_without_its_function_and_a_malformed_one(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from hot_typed.__main__ import main

    given = ["generate", "--from", str(DOCUMENT), "--namespace", "::demo::shop"]
    assert main(given) == 1
    assert "give it as --function quote=::ns::path/fn" in capsys.readouterr().err
    assert main([*given, "--function", "quote"]) == 1
    assert "--function takes TOOL=::ns::path/fn, got 'quote'" in capsys.readouterr().err
