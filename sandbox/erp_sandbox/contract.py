"""Checking requests and responses against an OpenAPI 3.0 contract.

The spec is loaded once; a validator is built lazily per schema and cached. Operations
are found by method and path template (literal segments win), responses are checked
against the schema for their status code or ``default``.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from jsonschema import FormatChecker, ValidationError
from openapi_schema_validator import (
    OAS30ReadValidator,
    OAS30Validator,
    OAS30WriteValidator,
    oas30_format_checker,
)
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from erp_sandbox.inspection import BATCH_ID_SCOPE_KEY
from erp_sandbox.middleware import DEFAULT_EXEMPT_PREFIXES, ApiMiddleware
from erp_sandbox.paths import PathTemplates

SPEC_URI = "urn:erp-sandbox:openapi-spec"
HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options")


def _date_time_or_empty(value: object) -> bool:
    """RFC 3339 date-time, or ``""`` (vendors often send an empty string for unset)."""
    if not isinstance(value, str) or value == "":
        return True
    try:
        datetime.fromisoformat(value)
    except ValueError:
        return False
    return True


FORMAT_CHECKER = FormatChecker()
FORMAT_CHECKER.checkers = dict(oas30_format_checker.checkers)
FORMAT_CHECKER.checks("date-time")(_date_time_or_empty)


@dataclass(frozen=True)
class SchemaProblem:
    """One way an instance fails a schema."""

    location: str
    message: str
    keyword: str
    error: ValidationError

    @classmethod
    def from_error(cls, error: ValidationError) -> SchemaProblem:
        """Build from a jsonschema error; ``location`` is dotted, e.g. ``members.0.status``."""
        location = ".".join(str(p) for p in error.absolute_path)
        return cls(
            location=location, message=error.message, keyword=str(error.validator), error=error
        )


@dataclass(frozen=True)
class Operation:
    """An operation of the spec: method, path template and its JSON pointer."""

    method: str
    template: str
    pointer: str
    node: dict[str, Any]
    parameters: tuple[dict[str, Any], ...]


@dataclass(frozen=True)
class Violation:
    """A request or response that does not match the contract."""

    method: str
    route: str
    path: str
    status: int | None
    part: str
    location: str
    message: str
    at: str
    #: Set when the request was an operation inside a batch (``/batches``).
    batch_id: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The violation as a JSON-ready dict."""
        return asdict(self)


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


class OpenApiContract:
    """An OpenAPI 3.0 document with cached validators.

    ``path_prefix`` is the part of the URL path the spec's server URL carries (``/3.0``
    for Mailchimp) and is stripped before matching.
    """

    def __init__(self, spec: dict[str, Any], *, path_prefix: str = "") -> None:
        self.spec = spec
        self.path_prefix = path_prefix.rstrip("/")
        self._templates = PathTemplates(spec.get("paths", {}))
        self._registry: Registry = Registry().with_resource(
            SPEC_URI, Resource.from_contents(spec, default_specification=DRAFT4)
        )
        self._validators: dict[tuple[str, str], Any] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_file(
        cls,
        path: Path,
        *,
        path_prefix: str = "",
        errata: Callable[[dict[str, Any]], None] | None = None,
    ) -> OpenApiContract:
        """Load a JSON spec; ``errata`` may patch known defects of the document first."""
        spec = json.loads(path.read_text(encoding="utf-8"))
        if errata is not None:
            errata(spec)
        return cls(spec, path_prefix=path_prefix)

    def spec_path(self, path: str) -> str | None:
        """The path relative to the spec's server URL, or None if outside it."""
        if not self.path_prefix:
            return path
        if path == self.path_prefix or path.startswith(self.path_prefix + "/"):
            return path[len(self.path_prefix) :] or "/"
        return None

    def operation(self, method: str, path: str) -> Operation | None:
        """The operation a request goes to, if the spec has it."""
        relative = self.spec_path(path)
        if relative is None:
            return None
        match = self._templates.match(relative)
        if match is None:
            return None
        path_item = self.spec["paths"][match.template]
        node = path_item.get(method.lower())
        if node is None:
            return None
        params = {(p["name"], p["in"]): p for p in path_item.get("parameters", [])}
        params.update({(p["name"], p["in"]): p for p in node.get("parameters", [])})
        pointer = f"#/paths/{_escape(match.template)}/{method.lower()}"
        return Operation(method.upper(), match.template, pointer, node, tuple(params.values()))

    def _validator(self, pointer: str, mode: str) -> Any:
        key = (pointer, mode)
        with self._lock:
            validator = self._validators.get(key)
            if validator is None:
                cls = {"write": OAS30WriteValidator, "read": OAS30ReadValidator}.get(
                    mode, OAS30Validator
                )
                validator = cls(
                    {"$ref": SPEC_URI + pointer},
                    registry=self._registry,
                    format_checker=FORMAT_CHECKER,
                )
                self._validators[key] = validator
            return validator

    def request_body_problems(self, op: Operation, body: Any) -> list[SchemaProblem]:
        """Ways ``body`` fails the operation's JSON request schema."""
        content = op.node.get("requestBody", {}).get("content", {})
        if "application/json" not in content or "schema" not in content["application/json"]:
            return []
        pointer = f"{op.pointer}/requestBody/content/application~1json/schema"
        errors = self._validator(pointer, "write").iter_errors(body)
        return [SchemaProblem.from_error(e) for e in errors]

    def response_body_problems(self, op: Operation, status: int, body: Any) -> list[SchemaProblem]:
        """Ways ``body`` fails the schema documented for ``status`` (or ``default``)."""
        responses = op.node.get("responses", {})
        code = str(status) if str(status) in responses else "default"
        if code not in responses:
            return [_plain_problem("", f"status {status} is not documented for this operation")]
        content = responses[code].get("content", {})
        media = next(
            (
                m
                for m in ("application/json", "application/problem+json")
                if m in content and "schema" in content[m]
            ),
            None,
        )
        if media is None:
            if body not in (None, b"", ""):
                return [_plain_problem("", f"status {status} documents no body, got one")]
            return []
        pointer = f"{op.pointer}/responses/{code}/content/{_escape(media)}/schema"
        errors = self._validator(pointer, "read").iter_errors(body)
        return [SchemaProblem.from_error(e) for e in errors]

    def query_problems(
        self, op: Operation, query: Mapping[str, Sequence[str]]
    ) -> list[SchemaProblem]:
        """Ways the query string fails the operation's query parameter schemas."""
        problems: list[SchemaProblem] = []
        for param in op.parameters:
            if param.get("in") != "query" or param["name"] not in query:
                continue
            schema = param.get("schema", {})
            raw = list(query[param["name"]])
            value, error = _coerce_query(raw, schema)
            if error:
                problems.append(_plain_problem(param["name"], error))
                continue
            pointer = _parameter_pointer(self.spec, op, param)
            if pointer is None:
                continue
            for e in self._validator(pointer, "plain").iter_errors(value):
                problem = SchemaProblem.from_error(e)
                problems.append(SchemaProblem(param["name"], problem.message, problem.keyword, e))
        return problems


def _parameter_pointer(spec: dict[str, Any], op: Operation, param: dict[str, Any]) -> str | None:
    for owner, base in (
        (op.node, op.pointer),
        (spec["paths"][op.template], f"#/paths/{_escape(op.template)}"),
    ):
        for i, candidate in enumerate(owner.get("parameters", [])):
            if candidate is param:
                return f"{base}/parameters/{i}/schema"
    return None


def _coerce_query(raw: list[str], schema: dict[str, Any]) -> tuple[Any, str | None]:
    kind = schema.get("type")
    if kind == "array":
        items = [part for value in raw for part in value.split(",")]
        return items, None
    value = raw[-1]
    if kind == "integer":
        try:
            return int(value), None
        except ValueError:
            return None, f"{value!r} is not an integer"
    if kind == "number":
        try:
            return float(value), None
        except ValueError:
            return None, f"{value!r} is not a number"
    if kind == "boolean":
        if value.lower() in ("true", "false", "1", "0"):
            return value.lower() in ("true", "1"), None
        return None, f"{value!r} is not a boolean"
    return value, None


def _plain_problem(location: str, message: str) -> SchemaProblem:
    return SchemaProblem(location, message, "contract", ValidationError(message))


class ContractRecorder:
    """Collects violations; ``enabled`` turns checking off (e.g. for benchmarks)."""

    def __init__(self, *, enabled: bool = True, max_kept: int = 1000) -> None:
        self.enabled = enabled
        self.max_kept = max_kept
        self._lock = threading.Lock()
        self._violations: list[Violation] = []
        self.dropped = 0

    def record(self, violation: Violation) -> None:
        """Keep one violation (the first ``max_kept``; later ones are only counted)."""
        with self._lock:
            if len(self._violations) < self.max_kept:
                self._violations.append(violation)
            else:
                self.dropped += 1

    @property
    def violations(self) -> list[Violation]:
        """A copy of the violations, oldest first."""
        with self._lock:
            return list(self._violations)

    def reset(self) -> None:
        """Forget every violation."""
        with self._lock:
            self._violations.clear()
            self.dropped = 0

    def to_json(self) -> dict[str, Any]:
        """Violations as a JSON-ready dict."""
        violations = self.violations
        return {
            "enabled": self.enabled,
            "count": len(violations) + self.dropped,
            "violations": [v.to_json() for v in violations],
        }


def _parse_json(body: bytes) -> tuple[Any, bool]:
    try:
        return json.loads(body), True
    except (ValueError, UnicodeDecodeError):
        return None, False


class ContractMiddleware(ApiMiddleware):
    """Checks each request and response passing through against the contract."""

    def __init__(
        self,
        app: ASGIApp,
        contract: OpenApiContract,
        recorder: ContractRecorder,
        exempt_prefixes: tuple[str, ...] = DEFAULT_EXEMPT_PREFIXES,
    ) -> None:
        super().__init__(app, exempt_prefixes)
        self.contract = contract
        self.recorder = recorder

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        op = (
            self.contract.operation(scope["method"], scope["path"])
            if self.recorder.enabled
            else None
        )
        if op is None:
            await self.app(scope, receive, send)
            return

        chunks: list[bytes] = []
        more = True
        disconnected = False
        while more:
            message = await receive()
            if message["type"] != "http.request":
                # The client gave up (e.g. its timeout) before sending its body: there is
                # nothing of the client's to judge.
                disconnected = message["type"] == "http.disconnect"
                break
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        request_body = b"".join(chunks)
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": request_body, "more_body": False}
            return await receive()

        status: int | None = None
        content_type = ""
        held: list[Message] = []

        async def hold(message: Message) -> None:
            # Responses are held until checked, so a violation is recorded before the
            # client sees the response (tests read violations right after a call).
            nonlocal status, content_type
            if message["type"] == "http.response.start":
                status = message["status"]
                for name, value in message.get("headers", []):
                    if name.lower() == b"content-type":
                        content_type = value.decode("latin-1")
            held.append(message)

        try:
            await self.app(scope, replay, hold)
        finally:
            body = b"".join(m.get("body", b"") for m in held if m["type"] == "http.response.body")
            if not disconnected:
                self._check(scope, op, request_body, status, content_type, body)
            for message in held:
                await send(message)

    def _check(
        self,
        scope: Scope,
        op: Operation,
        request_body: bytes,
        status: int | None,
        content_type: str,
        response_body: bytes,
    ) -> None:
        def note(part: str, location: str, message: str) -> None:
            self.recorder.record(
                Violation(
                    method=op.method,
                    route=f"{op.method} {self.contract.path_prefix}{op.template}",
                    path=scope["path"],
                    status=status,
                    part=part,
                    location=location,
                    message=message,
                    at=datetime.now(UTC).isoformat(timespec="milliseconds"),
                    batch_id=scope.get(BATCH_ID_SCOPE_KEY),
                )
            )

        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        for problem in self.contract.query_problems(op, query):
            note("query", problem.location, problem.message)

        request_spec = op.node.get("requestBody")
        if request_spec is not None:
            if not request_body.strip():
                if request_spec.get("required"):
                    note("request", "", "the request body is required")
            else:
                body, ok = _parse_json(request_body)
                if not ok:
                    note("request", "", "the request body is not JSON")
                else:
                    for problem in self.contract.request_body_problems(op, body):
                        note("request", problem.location, problem.message)

        if status is None:
            return
        parsed: Any = None
        if response_body:
            if "json" not in content_type:
                note("response", "", f"response content type {content_type!r} is not JSON")
                return
            parsed, ok = _parse_json(response_body)
            if not ok:
                note("response", "", "the response body is not JSON")
                return
        for problem in self.contract.response_body_problems(op, status, parsed):
            note("response", problem.location, problem.message)
