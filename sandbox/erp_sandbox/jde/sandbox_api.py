"""The inspection API under ``/_sandbox/``: no auth, never counted, limited or faulted."""

from __future__ import annotations

import json
from dataclasses import fields
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from erp_sandbox.jde.context import Context
from erp_sandbox.jde.dates import hhmmss_of, julian_of
from erp_sandbox.jde.seed_data import SeedSize
from erp_sandbox.jde.store import RecordError, RecordNotFoundError


def snapshot(ctx: Context) -> dict[str, Any]:
    """A summary of the emulated AIS Server."""
    settings = ctx.settings
    return {
        "emulator": "jde",
        "username": settings.username,
        "environments": settings.environments,
        "roles": settings.roles,
        "counts": ctx.store.counts(),
        "seed": ctx.store.size.to_json(),
        "clock": clock_json(ctx),
        "sessions": ctx.sessions.to_json(),
        "concurrency": {
            "limit": ctx.limiter.limit,
            "peak": ctx.limiter.peak,
            "rejected": ctx.limiter.rejected,
        },
    }


def clock_json(ctx: Context) -> dict[str, Any]:
    """The emulator clock in UTC and as the server's local time (with UPMJ/UPMT)."""
    now = ctx.clock.now()
    local = ctx.local_now()
    return {
        "now": now.isoformat(timespec="milliseconds"),
        "server_now": local.isoformat(timespec="seconds"),
        "upmj": julian_of(local.date()),
        "upmt": hhmmss_of(local),
        "frozen": ctx.clock.frozen,
    }


def seed_size(body: dict[str, Any]) -> SeedSize:
    """A :class:`SeedSize` from a JSON body (unknown names are an error)."""
    unknown = set(body) - {f.name for f in fields(SeedSize)}
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
        return JSONResponse({"status": "ok", "emulator": "jde"})

    async def state(_request: Request) -> Response:
        return JSONResponse(snapshot(ctx))

    async def calls(_request: Request) -> Response:
        return JSONResponse(ctx.calls.to_json())

    async def reset(request: Request) -> Response:
        try:
            body = await _body(request)
        except ValueError as exc:
            return _bad(str(exc))
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
            ctx.apply_settings(await _body(request))
        except (TypeError, ValueError) as exc:
            return _bad(str(exc))
        return JSONResponse(ctx.settings.to_json())

    async def record(request: Request) -> Response:
        table, key = request.path_params["table"], request.path_params["key"]
        try:
            if request.method == "GET":
                found = ctx.store.record(table, key)
                return JSONResponse(found) if found else _bad("no such record", 404)
            if request.method == "DELETE":
                return JSONResponse({"deleted": ctx.store.delete_record(table, key)})
            return JSONResponse(ctx.store.update_record(table, key, **await _body(request)))
        except (RecordError, TypeError, ValueError) as exc:
            return _bad(str(exc), 404 if isinstance(exc, RecordNotFoundError) else 400)

    async def insert(request: Request) -> Response:
        try:
            inserted = ctx.store.insert_record(request.path_params["table"], **await _body(request))
        except (RecordError, TypeError, ValueError) as exc:
            return _bad(str(exc))
        return JSONResponse(inserted, 201)

    async def get_clock(_request: Request) -> Response:
        return JSONResponse(clock_json(ctx))

    async def set_clock(request: Request) -> Response:
        try:
            body = await _body(request)
            if body.get("unfreeze"):
                ctx.clock.unfreeze()
            if "freeze" in body:
                ctx.clock.freeze(body["freeze"])
            if body.get("advance"):
                ctx.clock.advance(float(body["advance"]))
        except (RuntimeError, TypeError, ValueError) as exc:
            return _bad(str(exc))
        return JSONResponse(clock_json(ctx))

    async def expire_tokens(_request: Request) -> Response:
        return JSONResponse({"expired": ctx.sessions.expire_sessions()})

    async def expire_result_sets(_request: Request) -> Response:
        return JSONResponse({"expired": ctx.sessions.expire_result_sets()})

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
        Route("/_sandbox/records/{table}", insert, methods=["POST"]),
        Route("/_sandbox/records/{table}/{key:path}", record, methods=["GET", "PATCH", "DELETE"]),
        Route("/_sandbox/clock", get_clock, methods=["GET"]),
        Route("/_sandbox/clock", set_clock, methods=["POST"]),
        Route("/_sandbox/tokens/expire", expire_tokens, methods=["POST"]),
        Route("/_sandbox/result-sets/expire", expire_result_sets, methods=["POST"]),
    ]
