"""API root, ping and the OAuth metadata endpoint."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from erp_sandbox.mailchimp.clock import iso
from erp_sandbox.mailchimp.context import Context
from erp_sandbox.mailchimp.representations import link
from erp_sandbox.mailchimp.request_parsing import api_root, credential_of
from erp_sandbox.mailchimp.responding import guarded, json_response, respond

ACCOUNT_ID = "8d3a3db4d97663a9074efcc16"
LOGIN_ID = "139294793"
#: What Mailchimp's ping answers.
HEALTH_STATUS = "Everything's Chimpy!"


def routes(ctx: Context) -> list[Route]:
    """Routes of this module."""

    async def root(request: Request) -> Response:
        """GET /3.0/: account details."""
        with ctx.store.lock:
            subscribers = sum(
                1
                for lst in ctx.store.lists.values()
                for m in lst.members.values()
                if m.status == "subscribed"
            )
        started = iso(
            ctx.store.now().replace(year=2020, month=1, day=1, hour=0, minute=0, second=0)
        )
        root_url = api_root(request)
        return respond(
            request,
            {
                "account_id": ACCOUNT_ID,
                "login_id": LOGIN_ID,
                "account_name": ctx.settings.account_name,
                "email": ctx.settings.login_email,
                "first_name": "Sandbox",
                "last_name": "Owner",
                "username": "erp-sandbox",
                "avatar_url": "",
                "role": "owner",
                "member_since": started,
                "pricing_plan_type": "monthly",
                "first_payment": started,
                "account_timezone": "UTC",
                "account_industry": "Software",
                "contact": {
                    "company": ctx.settings.account_name,
                    "addr1": "1 Sandbox Way",
                    "addr2": "",
                    "city": "Atlanta",
                    "state": "GA",
                    "zip": "30308",
                    "country": "US",
                },
                "pro_enabled": False,
                "last_login": iso(ctx.store.now()),
                "total_subscribers": subscribers,
                "industry_stats": {"open_rate": 0, "bounce_rate": 0, "click_rate": 0},
                "_links": [link("self", root_url + "/"), link("lists", root_url + "/lists")],
            },
        )

    async def ping(request: Request) -> Response:
        """GET /3.0/ping."""
        return respond(request, {"health_status": HEALTH_STATUS})

    async def oauth_metadata(request: Request) -> Response:
        """GET /oauth2/metadata: the account behind an OAuth token. A bad token still
        gets HTTP 200, with ``{"error": "invalid_token"}`` (reference section 1)."""
        credential = credential_of(request.headers.get("authorization", ""))
        if credential is None or credential[1] not in ctx.settings.oauth_tokens:
            return json_response({"error": "invalid_token"})
        return json_response(
            {
                "dc": ctx.settings.dc,
                "role": "owner",
                "accountname": ctx.settings.account_name,
                "user_id": int(LOGIN_ID),
                "login": {
                    "email": ctx.settings.login_email,
                    "avatar": None,
                    "login_id": int(LOGIN_ID),
                    "login_name": "erp-sandbox",
                    "login_email": ctx.settings.login_email,
                },
                "login_url": "https://login.mailchimp.com",
                "api_endpoint": str(request.base_url).rstrip("/"),
            }
        )

    return [
        Route("/3.0/", guarded(ctx, root), methods=["GET"]),
        Route("/3.0", guarded(ctx, root), methods=["GET"]),
        Route("/3.0/ping", guarded(ctx, ping), methods=["GET"]),
        Route("/oauth2/metadata", oauth_metadata, methods=["GET"]),
    ]
