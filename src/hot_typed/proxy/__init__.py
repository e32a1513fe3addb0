"""Hot for browser apps: a backend-for-frontend route that keeps the token on the server.

Browsers never hold a Hot token: they call your backend, which publishes
events and streams run output on their behalf, under your rules::

    from hot_typed import AsyncHotClient
    from hot_typed.proxy import HotProxy

    hot = AsyncHotClient()                       # HOT_API_KEY stays server-side
    proxy = HotProxy(hot, allow=["chat:ask"])    # mount at /api/hot in any ASGI app

`HotProxy` is a plain ASGI application: no web framework is needed or assumed.
"""

from ._app import HotProxy
from ._asgi import Receive, Scope, Send
from ._rules import Action, AllowEventTypes, EventHook, Policy, ProxyRequest, Stamp

__all__ = [
    "Action",
    "AllowEventTypes",
    "EventHook",
    "HotProxy",
    "Policy",
    "ProxyRequest",
    "Receive",
    "Scope",
    "Send",
    "Stamp",
]
