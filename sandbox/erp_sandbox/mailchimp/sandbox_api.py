"""The inspection API under ``/_sandbox/``: no auth, never counted as API calls."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from erp_sandbox.mailchimp.audience_activity import ActivityError, record_activity
from erp_sandbox.mailchimp.batch_operations import batch_json
from erp_sandbox.mailchimp.context import Context
from erp_sandbox.mailchimp.representations import (
    list_json,
    member_json,
    merge_field_json,
    segment_json,
)
from erp_sandbox.mailchimp.request_parsing import api_root
from erp_sandbox.mailchimp.responding import json_response
from erp_sandbox.mailchimp.seeding import apply_seed


def snapshot(ctx: Context, root: str) -> dict[str, Any]:
    """Everything in the emulated account, as JSON."""
    store = ctx.store
    with store.lock:
        lists = [
            {
                **list_json(lst, root),
                "merge_fields": [
                    merge_field_json(lst, f, root) for f in lst.ordered_merge_fields()
                ],
                "members": [member_json(lst, m, root) for m in lst.members.values()],
                "segments": [
                    {
                        **segment_json(lst, s, root),
                        "member_emails": [
                            m.email_address
                            for m in (lst.member_by_contact(c) for c in s.members)
                            if m is not None
                        ],
                    }
                    for s in lst.segments.values()
                ],
                "forgotten": sorted(lst.forgotten),
            }
            for lst in store.lists.values()
        ]
        ecommerce: dict[str, Any] = {}
        if store.ecommerce:
            from erp_sandbox.mailchimp.ecommerce_store import ecommerce_snapshot

            ecommerce = ecommerce_snapshot(store, root)
        opt_in_emails = list(store.opt_in_emails)
        automations = list(store.automations)
    base = root.removesuffix("/3.0")
    batches = [
        {
            **batch_json(batch, base, root),
            "expired": batch.expired,
            "downloads": batch.downloads,
            "operations": batch.operations,
            "results": batch.results,
        }
        for batch in ctx.batches.all()
    ]
    return {
        "lists": lists,
        "opt_in_emails": opt_in_emails,
        "automations": automations,
        "ecommerce": ecommerce,
        "batches": batches,
    }


async def _body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    return json.loads(raw) if raw.strip() else {}


def _bad(message: str) -> Response:
    return json_response({"error": message}, 400)


def routes(ctx: Context) -> list[Route]:
    """Routes of this module."""

    async def health(_request: Request) -> Response:
        return json_response({"status": "ok", "emulator": "mailchimp"})

    async def state(request: Request) -> Response:
        return json_response(snapshot(ctx, api_root(request)))

    async def calls(_request: Request) -> Response:
        return json_response(
            {**ctx.calls.to_json(), "batch_operations": ctx.batch_operations.to_json()}
        )

    async def violations(_request: Request) -> Response:
        return json_response(ctx.violations.to_json())

    async def reset(request: Request) -> Response:
        body = await _body(request)
        ctx.reset(restore_settings=bool(body.get("restore_settings")))
        return json_response({"reset": True})

    async def get_faults(_request: Request) -> Response:
        return json_response(ctx.faults.to_json())

    async def set_faults(request: Request) -> Response:
        try:
            ctx.faults.apply_json(await _body(request))
        except (TypeError, ValueError) as exc:
            return _bad(str(exc))
        return json_response(ctx.faults.to_json())

    async def clear_faults(_request: Request) -> Response:
        ctx.faults.clear()
        return json_response(ctx.faults.to_json())

    async def seed(request: Request) -> Response:
        try:
            summary = apply_seed(ctx.store, await _body(request))
        except (KeyError, TypeError, ValueError) as exc:
            return _bad(f"bad seed document: {exc!r}")
        return json_response(summary)

    def config_json() -> dict[str, Any]:
        return {**ctx.settings.to_json(), "contract_checks": ctx.violations.enabled}

    async def get_config(_request: Request) -> Response:
        return json_response(config_json())

    async def set_config(request: Request) -> Response:
        body = await _body(request)
        if "contract_checks" in body:
            ctx.violations.enabled = bool(body.pop("contract_checks"))
        try:
            ctx.settings.apply_json(body)
        except (TypeError, ValueError) as exc:
            return _bad(str(exc))
        assert ctx.limiter is not None  # noqa: S101 - set by Context
        ctx.limiter.limit = ctx.settings.concurrency_limit
        return json_response(config_json())

    async def webhooks(request: Request) -> Response:
        return json_response(ctx.list_webhooks.to_json(api_root(request)))

    async def activity(request: Request) -> Response:
        hooks = ctx.list_webhooks
        try:
            body = await _body(request)
            with hooks.collecting() as outbox:
                member = record_activity(
                    ctx, request.path_params["list_id"], body, api_root(request)
                )
        except ActivityError as exc:
            return json_response({"error": str(exc)}, exc.status)
        except ValueError as exc:
            return _bad(str(exc))
        # Delivered after the store lock is released, from a worker thread: the receiver
        # may call the emulator back.
        deliveries = await run_in_threadpool(hooks.deliver, list(outbox))
        return json_response({"member": member, "deliveries": [asdict(d) for d in deliveries]})

    return [
        Route("/_sandbox/health", health, methods=["GET"]),
        Route("/_sandbox/state", state, methods=["GET"]),
        Route("/_sandbox/calls", calls, methods=["GET"]),
        Route("/_sandbox/contract-violations", violations, methods=["GET"]),
        Route("/_sandbox/reset", reset, methods=["POST"]),
        Route("/_sandbox/faults", get_faults, methods=["GET"]),
        Route("/_sandbox/faults", set_faults, methods=["POST"]),
        Route("/_sandbox/faults", clear_faults, methods=["DELETE"]),
        Route("/_sandbox/seed", seed, methods=["POST"]),
        Route("/_sandbox/config", get_config, methods=["GET"]),
        Route("/_sandbox/config", set_config, methods=["POST"]),
        Route("/_sandbox/webhooks", webhooks, methods=["GET"]),
        Route("/_sandbox/lists/{list_id}/activity", activity, methods=["POST"]),
    ]
