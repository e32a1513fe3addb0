"""`HOT_LOG`: the `hot_typed` logger's output turned on from the environment.

`HOT_LOG=debug` shows one line per request (method, path, status, request id,
duration) and every retry; `HOT_LOG=info` shows retries and warnings only.
Nothing logged carries a header, so the token never appears. The handler
writes to stderr and is added once per process, when the first client is
created; a program that configures logging itself leaves `HOT_LOG` unset.
"""

from __future__ import annotations

import logging
import os
import sys

__all__ = ["LOG_FORMAT", "apply_hot_log"]

LOG_FORMAT = "[%(asctime)s - %(name)s:%(lineno)d - %(levelname)s] %(message)s"

_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO}


class _HotLogHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """The handler `HOT_LOG` adds (its class tells it from the program's own)."""


def apply_hot_log() -> None:
    """Turn on the `hot_typed` logger as `HOT_LOG` says; an unknown value is ignored."""
    level = _LEVELS.get(os.environ.get("HOT_LOG", "").strip().lower())
    if level is None:
        return
    logger = logging.getLogger("hot_typed")
    logger.setLevel(level)
    if not any(isinstance(handler, _HotLogHandler) for handler in logger.handlers):
        handler = _HotLogHandler(sys.stderr)
        handler.setFormatter(logging.Formatter(LOG_FORMAT))
        logger.addHandler(handler)
