"""Test helpers: a real loopback HTTP server (and, built on it, the Hot API emulator)."""

from ._http import DropConnection, HttpRequest, HttpResponse, LoopbackServer

__all__ = ["DropConnection", "HttpRequest", "HttpResponse", "LoopbackServer"]
