"""The common shape of the emulators' middleware: act on HTTP requests to the API, let
everything else (lifespan, the ``/_sandbox`` inspection API, …) pass untouched."""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

#: Paths no middleware treats as API calls: the inspection API.
DEFAULT_EXEMPT_PREFIXES: tuple[str, ...] = ("/_sandbox",)


class ApiMiddleware:
    """Base class: ``handle`` runs for HTTP requests outside ``exempt_prefixes``; other
    traffic goes straight to the wrapped app."""

    def __init__(
        self, app: ASGIApp, exempt_prefixes: tuple[str, ...] = DEFAULT_EXEMPT_PREFIXES
    ) -> None:
        self.app = app
        self.exempt_prefixes = exempt_prefixes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(self.exempt_prefixes):
            await self.app(scope, receive, send)
            return
        await self.handle(scope, receive, send)

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Process one API request (subclasses override)."""
        await self.app(scope, receive, send)
