"""The inspection API under ``/_sandbox/``: no auth, never counted, faulted or limited."""

from __future__ import annotations

import json
from dataclasses import fields
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from erp_sandbox.netsuite.context import Context
from erp_sandbox.netsuite.database import RecordError, RecordNotFoundError
from erp_sandbox.netsuite.schema import TABLES
from erp_sandbox.netsuite.seed_data import SeedSize


def snapshot(ctx: Context) -> dict[str, Any]:
    """A summary of the emulated account."""
    return {
        "emulator": "netsuite",
        "account_id": ctx.settings.account_id,
        "host": ctx.settings.host,
        "counts": ctx.db.counts(),
        "seed": ctx.db.size.to_json(),
        "clock": clock_json(ctx),
        "access_tokens": len(ctx.tokens),
        "concurrency": {
            "limit": ctx.limiter.limit,
            "peak": ctx.limiter.peak,
            "rejected": ctx.limiter.rejected,
        },
        "user_event_script": {
            "deployments": len(ctx.user_event_script.deployments()),
            "notifications": len(ctx.user_event_script.notifications),
        },
    }


def clock_json(ctx: Context) -> dict[str, Any]:
    """The emulator clock in UTC and in the account's zone."""
    return {
        "now": ctx.clock.now().isoformat(),
        "account_now": ctx.db.now_stored(),
        "frozen": ctx.clock.frozen,
    }


def seed_size(body: dict[str, Any]) -> SeedSize:
    """A :class:`SeedSize` from a JSON body (unknown names are an error)."""
    known = {f.name for f in fields(SeedSize)}
    unknown = set(body) - known
    if unknown:
        raise ValueError(f"unknown seed sizes: {sorted(unknown)}")
    return SeedSize(**body)


def _key(table: str, raw: str) -> Any:
    spec = TABLES.get(table)
    if spec is not None and spec.columns[spec.key].kind == "integer":
        try:
            return int(raw)
        except ValueError:
            return raw
    return raw


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
        return JSONResponse({"status": "ok", "emulator": "netsuite"})

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
        counts = await run_in_threadpool(ctx.db.seed, size)
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
        table, raw_key = request.path_params["table"], request.path_params["key"]
        key = _key(table, raw_key)
        # Changes run in a worker thread: a deployed script POSTs before they return, and
        # its receiver may call this emulator back.
        try:
            if request.method == "GET":
                found = ctx.db.record(table, key)
                return JSONResponse(found) if found else _bad("no such record", 404)
            if request.method == "DELETE":
                deleted = await run_in_threadpool(ctx.db.delete_record, table, key)
                return JSONResponse({"deletedrecord": deleted})
            changes = await _body(request)
            return JSONResponse(
                await run_in_threadpool(lambda: ctx.db.update_record(table, key, **changes))
            )
        except (RecordError, TypeError, ValueError) as exc:
            return _bad(str(exc), 404 if isinstance(exc, RecordNotFoundError) else 400)

    async def insert(request: Request) -> Response:
        try:
            values = await _body(request)
            inserted = await run_in_threadpool(
                lambda: ctx.db.insert_record(request.path_params["table"], **values)
            )
        except (RecordError, TypeError, ValueError) as exc:
            return _bad(str(exc))
        return JSONResponse(inserted, 201)

    async def deploy_script(request: Request) -> Response:
        try:
            deployment = ctx.user_event_script.deploy_json(await _body(request))
        except (TypeError, ValueError) as exc:
            return _bad(str(exc))
        return JSONResponse(deployment.to_json(), 201)

    async def list_notifications(_request: Request) -> Response:
        return JSONResponse(ctx.user_event_script.to_json())

    async def remove_scripts(_request: Request) -> Response:
        return JSONResponse({"removed": ctx.user_event_script.remove_all()})

    async def get_clock(_request: Request) -> Response:
        return JSONResponse(clock_json(ctx))

    async def set_clock(request: Request) -> Response:
        body = await _body(request)
        try:
            if body.get("unfreeze"):
                ctx.clock.unfreeze()
            if "freeze" in body:
                ctx.clock.freeze(body["freeze"])
            if body.get("advance"):
                ctx.clock.advance(float(body["advance"]))
        except (RuntimeError, TypeError, ValueError) as exc:
            return _bad(str(exc))
        return JSONResponse(clock_json(ctx))

    async def revoke_tokens(_request: Request) -> Response:
        return JSONResponse({"revoked": ctx.tokens.revoke_all()})

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
        Route("/_sandbox/records/{table}/{key}", record, methods=["GET", "PATCH", "DELETE"]),
        Route("/_sandbox/clock", get_clock, methods=["GET"]),
        Route("/_sandbox/clock", set_clock, methods=["POST"]),
        Route("/_sandbox/tokens/revoke", revoke_tokens, methods=["POST"]),
        Route("/_sandbox/notifications", deploy_script, methods=["POST"]),
        Route("/_sandbox/notifications", list_notifications, methods=["GET"]),
        Route("/_sandbox/notifications", remove_scripts, methods=["DELETE"]),
    ]
