"""Naming the exchange a transport failure happened in.

A refused connection or a timeout is diagnosed by where it went: the message
names the full URL (scheme, host, port and path), never the credentials a
URL may embed, and the error keeps httpx's request.
"""

from __future__ import annotations

import httpx

__all__ = ["failed_request", "shown_url", "where"]


def failed_request(error: httpx.HTTPError) -> httpx.Request | None:
    """The request `error` happened to, when httpx knows it."""
    try:
        return error.request
    except RuntimeError:  # raised outside any request (httpx leaves it unset)
        return None


def shown_url(request: httpx.Request) -> str:
    """`request`'s URL without its query, user name or password (masked as `***@`)."""
    url = request.url.copy_with(query=None, fragment=None)
    if url.userinfo:
        url = url.copy_with(username="***", password=None)
    return str(url)


def where(method: str, fallback_path: str, error: httpx.HTTPError) -> str:
    """`METHOD URL` of the failed exchange, or `METHOD path` when there was no request."""
    request = failed_request(error)
    return f"{method} {fallback_path if request is None else shown_url(request)}"
