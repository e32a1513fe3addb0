"""Typed pages of list results, with walking to the following pages."""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import TYPE_CHECKING, Any, Generic, NoReturn, TypeVar

from typing_extensions import Self

if TYPE_CHECKING:
    # Annotations only: importing a client does not load pydantic's models.
    from ._models._common import Meta, Pagination

__all__ = ["AsyncPage", "Page"]

T = TypeVar("T")

#: The raw envelope, or how to get it: decoding it is left until it is asked for.
Raw = dict[str, Any] | Callable[[], dict[str, Any]]


class _PageBase(Generic[T]):
    __slots__ = ("_raw", "data", "meta", "pagination")

    def __init__(self, data: list[T], pagination: Pagination, meta: Meta | None, raw: Raw) -> None:
        self.data: list[T] = data
        """The items of this page, validated."""
        self.pagination: Pagination = pagination
        self.meta: Meta | None = meta
        self._raw = raw

    @property
    def raw(self) -> dict[str, Any]:
        """The whole list envelope as received (decoded on first access)."""
        if callable(self._raw):
            self._raw = self._raw()
        return self._raw

    def __len__(self) -> int:
        return len(self.data)

    def __repr__(self) -> str:
        p = self.pagination
        return (
            f"{type(self).__name__}({len(self.data)} items, offset={p.offset}, "
            f"total={p.total}, has_more={p.has_more})"
        )

    # A page fetches the following ones through the client that listed it, which
    # holds connections and does not pickle: pickled, a page keeps its items,
    # pagination, meta and raw, and refuses to fetch. A copy in this process
    # keeps fetching through that client.

    def _with(self, data: list[T], pagination: Pagination, meta: Meta | None, raw: Raw) -> Self:
        """This kind of page with these values, fetching as this one does."""
        raise NotImplementedError

    def __copy__(self) -> Self:
        return self._with(self.data, self.pagination, self.meta, self._raw)

    def __deepcopy__(self, memo: dict[int, Any]) -> Self:
        values = (self.data, self.pagination, self.meta, self.raw)
        return self._with(*copy.deepcopy(values, memo))

    def _next_offset(self) -> int | None:
        # An empty page that still claims more would loop forever: stop instead.
        if not self.pagination.has_more or not self.data:
            return None
        return self.pagination.offset + len(self.data)


class Page(_PageBase[T]):
    """One page of a list. Iterating yields this page's items;
    `auto_paging_iter()` yields every item of this and all following pages.

    A page pickles with its items, pagination, meta and raw; restored, it has no
    client, and fetching a following page raises `HotClientClosedError`."""

    __slots__ = ("_fetch",)

    def __init__(
        self,
        data: list[T],
        pagination: Pagination,
        meta: Meta | None,
        raw: Raw,
        fetch: Callable[[int], Page[T]],
    ) -> None:
        super().__init__(data, pagination, meta, raw)
        self._fetch = fetch

    def _with(self, data: list[T], pagination: Pagination, meta: Meta | None, raw: Raw) -> Self:
        return type(self)(data, pagination, meta, raw, self._fetch)

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.data, self.pagination, self.meta, self.raw, _no_client))

    def __iter__(self) -> Iterator[T]:
        return iter(self.data)

    def next_page(self) -> Page[T] | None:
        """The following page, or None when this is the last one."""
        offset = self._next_offset()
        return None if offset is None else self._fetch(offset)

    def iter_pages(self) -> Iterator[Page[T]]:
        """This page, then each following page, each fetched once."""
        page: Page[T] | None = self
        while page is not None:
            yield page
            page = page.next_page()

    def auto_paging_iter(self) -> Iterator[T]:
        """Every item of this page and of all following pages, fetched lazily by offset."""
        for page in self.iter_pages():
            yield from page.data


class AsyncPage(_PageBase[T]):
    """One page of a list, from `AsyncHotClient`. Iterating yields this page's items;
    `auto_paging_iter()` is an async iterator over this and all following pages.
    Pickled, as a `Page`."""

    __slots__ = ("_fetch",)

    def __init__(
        self,
        data: list[T],
        pagination: Pagination,
        meta: Meta | None,
        raw: Raw,
        fetch: Callable[[int], Awaitable[AsyncPage[T]]],
    ) -> None:
        super().__init__(data, pagination, meta, raw)
        self._fetch = fetch

    def _with(self, data: list[T], pagination: Pagination, meta: Meta | None, raw: Raw) -> Self:
        return type(self)(data, pagination, meta, raw, self._fetch)

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.data, self.pagination, self.meta, self.raw, _no_async_client))

    def __iter__(self) -> Iterator[T]:
        return iter(self.data)

    async def next_page(self) -> AsyncPage[T] | None:
        """The following page, or None when this is the last one."""
        offset = self._next_offset()
        return None if offset is None else await self._fetch(offset)

    async def iter_pages(self) -> AsyncIterator[AsyncPage[T]]:
        """This page, then each following page, each fetched once."""
        page: AsyncPage[T] | None = self
        while page is not None:
            yield page
            page = await page.next_page()

    async def auto_paging_iter(self) -> AsyncIterator[T]:
        """Every item of this page and of all following pages, fetched lazily by offset."""
        async for page in self.iter_pages():
            for item in page.data:
                yield item


def _no_client(offset: int) -> NoReturn:
    from ._errors import HotClientClosedError

    raise HotClientClosedError(
        "this page was restored by pickle, which carries no client to fetch the "
        f"following pages with: list them again from a client (offset={offset})"
    )


async def _no_async_client(offset: int) -> NoReturn:
    _no_client(offset)

