"""Typed pages: the envelope's parts, iteration, and walking every following page once."""

from __future__ import annotations

import asyncio

import httpx
import pytest
import respx

import hot_typed as ht
from tests import payloads as p
from tests.exchange import exchange, make_client


def _pages(total: int, size: int) -> list[httpx.Response]:
    runs = [p.run() for _ in range(total)]
    return [
        httpx.Response(200, json=p.page(runs[o : o + size], total=total, limit=size, offset=o))
        for o in range(0, total, size)
    ]


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_a_page_exposes_items_pagination_meta_and_the_whole_envelope(kind: str) -> None:
    answer = _pages(3, 2)[0]
    page, _ = exchange(kind, lambda c: c.runs.list(limit=2), answer)

    assert [run.raw for run in page] == answer.json()["data"]
    assert all(isinstance(run, ht.Run) for run in page.data)
    assert (page.pagination.total, page.pagination.limit, page.pagination.offset) == (3, 2, 0)
    assert page.pagination.has_more is True
    assert page.meta is not None
    assert str(page.meta.request_id) == answer.json()["meta"]["request_id"]
    assert page.raw == answer.json()
    assert len(page) == 2
    name = "Page" if kind == "sync" else "AsyncPage"
    assert repr(page) == f"{name}(2 items, offset=0, total=3, has_more=True)"


def test_auto_paging_walks_every_following_page_once_by_offset() -> None:
    answers = _pages(7, 3)
    expected = [run for a in answers for run in a.json()["data"]]
    with respx.mock() as router:
        route = router.get("https://hot.test/v1/runs").mock(side_effect=answers)
        hot = make_client("sync")
        assert isinstance(hot, ht.HotClient)
        items = list(hot.runs.list(limit=3).auto_paging_iter())

    assert [run.raw for run in items] == expected
    offsets = [c.request.url.params.get("offset") for c in route.calls]
    assert offsets == [None, "3", "6"]
    assert all(c.request.url.params["limit"] == "3" for c in route.calls)


def test_async_auto_paging_walks_every_following_page_once_by_offset() -> None:
    answers = _pages(7, 3)
    expected = [run for a in answers for run in a.json()["data"]]

    async def scenario() -> list[ht.Run]:
        async with ht.AsyncHotClient("t", base_url="https://hot.test") as hot:
            first = await hot.runs.list(limit=3)
            return [run async for run in first.auto_paging_iter()]

    with respx.mock() as router:
        route = router.get("https://hot.test/v1/runs").mock(side_effect=answers)
        items = asyncio.run(scenario())

    assert [run.raw for run in items] == expected
    assert [c.request.url.params.get("offset") for c in route.calls] == [None, "3", "6"]


def test_a_last_page_has_no_next_page() -> None:
    page, sent = exchange("sync", lambda c: c.runs.list(), _pages(2, 5)[0])
    assert page.next_page() is None
    assert len(sent) == 1


def test_an_empty_page_claiming_more_stops_instead_of_looping() -> None:
    answer = httpx.Response(200, json=p.page([], total=10, limit=5, offset=5))
    page, _ = exchange("sync", lambda c: c.runs.list(offset=5), answer)
    assert list(page.auto_paging_iter()) == []
