"""`python -m hot_typed generate`: a module of typed contracts from a `tools/list`
document of Hot's JSON Schemas, checked in under tests/fixtures/contracts/, and
used against the emulator."""

from __future__ import annotations

import json
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

Client = HotClient | AsyncHotClient


def test_the_checked_in_module_is_what_the_generator_writes() -> None:
    document = json.loads(DOCUMENT.read_text(encoding="utf-8"))
    generated = generate_from_document(
        document, namespace="::demo::shop", source="the shop service"
    )
    assert generated == MODULE.read_text(encoding="utf-8")


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
            "--namespace",
            "::demo::shop",
            "--source",
            "the shop service",
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


@pytest.fixture
def emulator() -> Iterator[HotEmulator]:
    with HotEmulator() as emu:

        @emu.on_call("::demo::shop/place-order")
        def place(event: HandlerEvent, ctx: RunContext) -> Any:
            _customer, items, note = event.args
            return {
                "order-id": str(ORDER_ID),
                "total": 9.5 * sum(item["quantity"] for item in items),
                "status": "Pending",
                "placed-at": "2026-05-01T09:30:00Z",
                "tags": {"note": note} if note else {},
            }

        @emu.on_call("::demo::shop/order-status")
        def status(event: HandlerEvent, ctx: RunContext) -> Any:
            return "Shipped" if event.args == [str(ORDER_ID)] else "Lost"

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
