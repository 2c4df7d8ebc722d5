"""The inspection API under ``/_sandbox/``: no auth, never counted, rate-limited or
faulted."""

from __future__ import annotations

import json
from dataclasses import fields
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from erp_sandbox.exact.context import Context
from erp_sandbox.exact.seed_data import SeedSize
from erp_sandbox.exact.store import RecordError, RecordNotFoundError
from erp_sandbox.exact.wallclock import iso_wall_clock


def snapshot(ctx: Context) -> dict[str, Any]:
    """A summary of the emulated environment."""
    settings = ctx.settings
    return {
        "emulator": "exact",
        "division": settings.division,
        "client_id": settings.client_id,
        "redirect_uri": settings.redirect_uri,
        "counts": ctx.store.counts(),
        "rowversion": ctx.store.rowversion,
        "seed": ctx.store.size.to_json(),
        "clock": clock_json(ctx),
        "oauth": ctx.oauth.to_json(),
        "rate_limits": ctx.limiter.to_json(),
        "webhooks": {
            "subscriptions": len(ctx.webhooks.rows()),
            "notifications": len(ctx.webhooks.notifications),
            "deliver_webhooks": settings.deliver_webhooks,
        },
    }


def clock_json(ctx: Context) -> dict[str, Any]:
    """The emulator clock in UTC and on the Amsterdam wall clock."""
    now = ctx.clock.now()
    return {
        "now": now.isoformat(timespec="milliseconds"),
        "wall_clock": iso_wall_clock(now, ctx.settings.zone, always_ms=True),
        "frozen": ctx.clock.frozen,
    }


def seed_size(body: dict[str, Any]) -> SeedSize:
    """A :class:`SeedSize` from a JSON body (unknown names are an error)."""
    known = {f.name for f in fields(SeedSize)}
    unknown = set(body) - known
    if unknown:
        raise ValueError(f"unknown seed sizes: {sorted(unknown)}")
    return SeedSize(**body)


async def _body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    body = json.loads(raw) if raw.strip() else {}
    if not isinstance(body, dict):
        raise ValueError("the body must be a JSON object")
    return body


def _bad(message: str, status: int = 400) -> Response:
    return JSONResponse({"error": message}, status)


def routes(ctx: Context) -> list[Route]:
    """Routes of this module."""

    async def health(_request: Request) -> Response:
        return JSONResponse({"status": "ok", "emulator": "exact"})

    async def state(_request: Request) -> Response:
        return JSONResponse(await run_in_threadpool(snapshot, ctx))

    async def calls(_request: Request) -> Response:
        return JSONResponse(ctx.calls.to_json())

    async def reset(request: Request) -> Response:
        body = await _body(request)
        restore = bool(body.get("restore_settings"))
        await run_in_threadpool(lambda: ctx.reset(restore_settings=restore))
        return JSONResponse({"reset": True})

    async def get_faults(_request: Request) -> Response:
        return JSONResponse(ctx.faults.to_json())

    async def set_faults(request: Request) -> Response:
        try:
            ctx.faults.apply_json(await _body(request))
        except (TypeError, ValueError) as exc:
            return _bad(str(exc))
        return JSONResponse(ctx.faults.to_json())

    async def clear_faults(_request: Request) -> Response:
        ctx.faults.clear()
        return JSONResponse(ctx.faults.to_json())

    async def seed(request: Request) -> Response:
        try:
            size = seed_size(await _body(request))
        except (TypeError, ValueError) as exc:
            return _bad(f"bad seed sizes: {exc}")
        counts = await run_in_threadpool(ctx.store.seed, size)
        return JSONResponse({"seed": size.to_json(), "counts": counts})

    async def get_config(_request: Request) -> Response:
        return JSONResponse(ctx.settings.to_json())

    async def set_config(request: Request) -> Response:
        try:
            body = await _body(request)
            await run_in_threadpool(ctx.apply_settings, body)
        except (TypeError, ValueError) as exc:
            return _bad(str(exc))
        return JSONResponse(ctx.settings.to_json())

    async def get_clock(_request: Request) -> Response:
        return JSONResponse(clock_json(ctx))

    async def set_clock(request: Request) -> Response:
        body = await _body(request)
        try:
            if body.get("unfreeze"):
                ctx.clock.unfreeze()
            if "freeze" in body:
                ctx.clock.freeze(body["freeze"])
            if body.get("advance") or body.get("advance_days"):
                ctx.clock.advance(
                    float(body.get("advance") or 0), days=float(body.get("advance_days") or 0)
                )
        except (RuntimeError, TypeError, ValueError) as exc:
            return _bad(str(exc))
        return JSONResponse(clock_json(ctx))

    async def record(request: Request) -> Response:
        entity, key = request.path_params["entity"], request.path_params["key"]
        try:
            if request.method == "GET":
                found = ctx.store.record(entity, key)
                return JSONResponse(found) if found else _bad("no such record", 404)
            if request.method == "DELETE":
                deleted = await run_in_threadpool(ctx.store.delete_record, entity, key)
                return JSONResponse({"deleted": deleted})
            changes = await _body(request)
            return JSONResponse(
                await run_in_threadpool(lambda: ctx.store.update_record(entity, key, **changes))
            )
        except (RecordError, TypeError, ValueError) as exc:
            return _bad(str(exc), 404 if isinstance(exc, RecordNotFoundError) else 400)

    async def insert(request: Request) -> Response:
        try:
            values = await _body(request)
            inserted = await run_in_threadpool(
                lambda: ctx.store.insert_record(request.path_params["entity"], **values)
            )
        except (RecordError, TypeError, ValueError) as exc:
            return _bad(str(exc))
        return JSONResponse(inserted, 201)

    async def authorization_code(_request: Request) -> Response:
        return JSONResponse(
            {
                "code": ctx.oauth.issue_code(),
                "redirect_uri": ctx.settings.redirect_uri,
                "expires_in": ctx.settings.authorization_code_seconds,
            }
        )

    async def refresh_token(_request: Request) -> Response:
        return JSONResponse({"refresh_token": ctx.oauth.seed_refresh_token()})

    async def access_token(_request: Request) -> Response:
        return JSONResponse({"access_token": ctx.oauth.seed_access_token()})

    async def expire_tokens(_request: Request) -> Response:
        return JSONResponse({"expired": ctx.oauth.expire_access_tokens()})

    async def webhooks(_request: Request) -> Response:
        return JSONResponse(ctx.webhooks.to_json())

    async def rate_limits(_request: Request) -> Response:
        return JSONResponse(ctx.limiter.to_json())

    return [
        Route("/_sandbox/health", health, methods=["GET"]),
        Route("/_sandbox/state", state, methods=["GET"]),
        Route("/_sandbox/calls", calls, methods=["GET"]),
        Route("/_sandbox/reset", reset, methods=["POST"]),
        Route("/_sandbox/faults", get_faults, methods=["GET"]),
        Route("/_sandbox/faults", set_faults, methods=["POST"]),
        Route("/_sandbox/faults", clear_faults, methods=["DELETE"]),
        Route("/_sandbox/seed", seed, methods=["POST"]),
        Route("/_sandbox/config", get_config, methods=["GET"]),
        Route("/_sandbox/config", set_config, methods=["POST"]),
        Route("/_sandbox/clock", get_clock, methods=["GET"]),
        Route("/_sandbox/clock", set_clock, methods=["POST"]),
        Route("/_sandbox/records/{entity}", insert, methods=["POST"]),
        Route("/_sandbox/records/{entity}/{key:path}", record, methods=["GET", "PATCH", "DELETE"]),
        Route("/_sandbox/authorization-code", authorization_code, methods=["POST"]),
        Route("/_sandbox/refresh-token", refresh_token, methods=["POST"]),
        Route("/_sandbox/access-token", access_token, methods=["POST"]),
        Route("/_sandbox/tokens/expire", expire_tokens, methods=["POST"]),
        Route("/_sandbox/webhooks", webhooks, methods=["GET"]),
        Route("/_sandbox/rate-limits", rate_limits, methods=["GET"]),
    ]
