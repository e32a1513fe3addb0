"""The `User-Agent` every request carries.

The Hot docs ask each SDK to identify as `hot-sdk-<lang>/<version>`
(resources/docs/api/sdks.md, "Identification"). This package follows that
convention first, then names itself, the interpreter and platform, and the
HTTP library, so that a server log tells which client, where, sent a request:

    hot-sdk-python/0.1.0 hot-typed/0.1.0 (CPython 3.11.9; Linux x86_64) httpx/0.28.1
"""

from __future__ import annotations

import platform

import httpx

from ._version import __version__

__all__ = ["user_agent"]


def user_agent() -> str:
    """This process's `User-Agent` value (visible ASCII only, as a header must be)."""
    system = f"{platform.system() or 'unknown'} {platform.machine() or 'unknown'}"
    details = f"{platform.python_implementation()} {platform.python_version()}; {system}"
    package = f"hot-sdk-python/{__version__} hot-typed/{__version__}"
    agent = f"{package} ({details}) httpx/{httpx.__version__}"
    # A platform may report names outside ASCII; a header value must not carry them.
    return agent.encode("ascii", "replace").decode("ascii").replace("\r", "").replace("\n", "")
