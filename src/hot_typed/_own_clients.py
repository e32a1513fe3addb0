"""The httpx clients a Hot client creates for itself (when it is not given `client=`).

They are httpx's own, but for their cookie store, which reads a response's
cookies only when the response sets one. httpx's store wraps every response and
its request in urllib's cookie-handling classes first (about 12 us a request,
1.5% of listing a page of 100 runs), and the Hot API sets no cookie; a proxy or
balancer in front of it that does is stored and sent back exactly as httpx
would.
"""

from __future__ import annotations

from http.cookiejar import CookieJar
from typing import Any

import httpx

__all__ = ["OwnAsyncClient", "OwnClient"]

# What httpx's `cookies=` takes (its `CookieTypes`, which it does not export).
CookieTypes = httpx.Cookies | CookieJar | dict[str, str] | list[tuple[str, str]]


class _SetCookiesOnly(httpx.Cookies):
    def extract_cookies(self, response: httpx.Response) -> None:
        if "set-cookie" in response.headers:
            super().extract_cookies(response)


class _CookieStore:
    # httpx reads and writes a client's cookies through this property.
    _store: httpx.Cookies

    @property
    def cookies(self) -> httpx.Cookies:
        return self._store

    @cookies.setter
    def cookies(self, cookies: CookieTypes | None) -> None:
        self._store = _SetCookiesOnly(cookies)


class OwnClient(_CookieStore, httpx.Client):
    def __init__(self, **keywords: Any) -> None:
        super().__init__(**keywords)
        self.cookies = None


class OwnAsyncClient(_CookieStore, httpx.AsyncClient):
    def __init__(self, **keywords: Any) -> None:
        super().__init__(**keywords)
        self.cookies = None
