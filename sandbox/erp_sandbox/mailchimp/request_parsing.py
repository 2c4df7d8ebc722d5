"""Reading credentials, bodies and query parameters of Mailchimp API requests."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from typing import Any, TypeVar

from starlette.requests import Request

from erp_sandbox.contract import SchemaProblem
from erp_sandbox.mailchimp import problems
from erp_sandbox.mailchimp.context import Context

Parsed = TypeVar("Parsed")

MAX_COUNT = 1000
DEFAULT_COUNT = 10


def credential_of(authorization: str) -> tuple[str, str] | None:
    """``(scheme, secret)`` from an Authorization header: Basic (the password is the
    key), Bearer or OAuth (the token)."""
    scheme, _, value = authorization.strip().partition(" ")
    scheme = scheme.lower()
    value = value.strip()
    if scheme == "basic":
        try:
            decoded = base64.b64decode(value, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None
        _, _, password = decoded.partition(":")
        return ("basic", password)
    if scheme in ("bearer", "oauth") and value:
        return (scheme, value)
    return None


def authenticate(request: Request, ctx: Context) -> None:
    """Raise 401 unless the request carries a known API key or OAuth token."""
    header = request.headers.get("authorization")
    if not header:
        raise problems.api_key_missing()
    credential = credential_of(header)
    if credential is None:
        raise problems.api_key_invalid()
    _, secret = credential
    if secret in ctx.settings.api_keys or secret in ctx.settings.oauth_tokens:
        return
    raise problems.api_key_invalid()


async def json_body(request: Request) -> Any:
    """The parsed JSON body; 400 JSON Parse Error if it is not JSON."""
    raw = await request.body()
    if not raw.strip():
        return None
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise problems.json_parse_error() from exc


def _schema_error(problem: SchemaProblem) -> dict[str, str]:
    """Mailchimp's wording for a schema failure (drewm/mailchimp-api#179 and #134,
    OperationCode/operationcode_old_site#692); other wordings are inferred."""
    error = problem.error
    if problem.keyword == "required":
        missing = error.message.split("'")[1] if "'" in error.message else error.message
        return {
            "field": problem.location,
            "message": f"Required fields were not provided: {missing}",
        }
    if problem.keyword == "type":
        expected = error.validator_value
        found = _json_type(error.instance)
        return {
            "field": problem.location,
            "message": f"Schema describes {expected}, {found} found instead",
        }
    if problem.keyword in ("anyOf", "oneOf"):
        return {
            "field": problem.location,
            "message": f"Data did not match any of the schemas described in {problem.keyword}.",
        }
    if problem.keyword == "enum":
        allowed = ", ".join(str(v) for v in error.validator_value)
        return {
            "field": problem.location,
            "message": f"Data did not match any of the allowed values: {allowed}.",
        }
    return {"field": problem.location, "message": error.message}


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


async def validated_body(request: Request, ctx: Context) -> Any:
    """The JSON body, checked against the operation's request schema like Mailchimp does:
    400 Invalid Resource with ``errors[]`` when it does not match."""
    body = await json_body(request)
    op = ctx.contract.operation(request.method, request.url.path)
    if op is None:
        return body
    if body is None and op.node.get("requestBody", {}).get("required"):
        raise problems.schema_invalid(
            [{"field": "", "message": "Schema describes object, NULL found instead"}]
        )
    if body is None:
        return body
    found = ctx.contract.request_body_problems(op, body)
    if found:
        raise problems.schema_invalid([_schema_error(p) for p in found])
    return body


def query_flag(request: Request, name: str) -> bool:
    """A boolean query parameter (``true``/``1`` mean yes)."""
    return request.query_params.get(name, "").lower() in ("true", "1")


def query_list(request: Request, name: str) -> list[str] | None:
    """A comma-separated query parameter, e.g. ``fields``."""
    raw = request.query_params.get(name)
    if raw is None:
        return None
    return [part for part in raw.split(",") if part.strip()]


def page(request: Request) -> tuple[int, int]:
    """``(count, offset)``; count defaults to 10 and is clamped to 1000 (inferred: the
    spec documents the maximum, not what happens beyond it)."""
    not_integer = "Schema describes integer, string found instead"
    count = query_value(request, "count", int, not_integer)
    offset = query_value(request, "offset", int, not_integer)
    count = DEFAULT_COUNT if count is None else count
    offset = 0 if offset is None else offset
    if count < 0 or offset < 0:
        raise problems.invalid_field(
            "count" if count < 0 else "offset", "Value must be greater than or equal to 0"
        )
    return min(count, MAX_COUNT), offset


def query_value(
    request: Request, name: str, parse: Callable[[str], Parsed], message: str
) -> Parsed | None:
    """The query parameter ``name`` parsed by ``parse`` (None when absent or empty);
    400 Invalid Resource with ``message`` for the field when it does not parse."""
    raw = request.query_params.get(name)
    if not raw:
        return None
    try:
        return parse(raw)
    except ValueError as exc:
        raise problems.invalid_field(name, message) from exc


def api_root(request: Request) -> str:
    """This emulator's ``…/3.0`` URL as the client reached it."""
    return str(request.base_url).rstrip("/") + "/3.0"
