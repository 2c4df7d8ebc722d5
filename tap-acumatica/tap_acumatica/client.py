"""The one Acumatica client: the contract-based REST API of one endpoint version."""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
import typing as t
from functools import cache
from http import HTTPStatus
from importlib import resources

from singer_sdk.exceptions import RetriableAPIError
from singer_sdk.pagination import OffsetPaginator
from singer_sdk.streams import RESTStream

if t.TYPE_CHECKING:
    import requests
    from singer_sdk.helpers.types import Context

DEFAULT_PAGE_SIZE = 500


@cache
def version_schemas(version: str) -> dict[str, dict[str, t.Any]]:
    """The per-entity schemas generated from the vendor's definition of `version`."""
    text = resources.files("tap_acumatica.schemas").joinpath(f"{version}.json").read_text()
    schemas: dict[str, dict[str, t.Any]] = json.loads(text)
    return schemas


def unwrap(value: t.Any) -> t.Any:
    """Acumatica's `{"value": x}` wrappers and nested entities as plain values."""
    if isinstance(value, list):
        return [unwrap(item) for item in value]
    if not isinstance(value, dict):
        return value
    if not value:
        return None  # Acumatica renders an empty value as {}
    if set(value) <= {"value", "error"} and "value" in value:
        return value["value"]
    if set(value) <= {"type", "value"} and "type" in value:  # a custom field
        return value.get("value")
    return {
        key: unwrap(item)
        for key, item in value.items()
        if key not in ("rowNumber", "_links", "files", "error")
    }


class ShortPagePaginator(OffsetPaginator):
    """`$skip`/`$top` over bare JSON arrays: a short page ends the stream."""

    def has_more(self, response: requests.Response) -> bool:
        """A full page may have a successor."""
        return len(response.json()) >= self._page_size


class RequestPacer:
    """Spaces requests out below a per-minute licence limit, across every stream."""

    def __init__(self, per_minute: int | None) -> None:
        self.interval = 60.0 / per_minute if per_minute else 0.0
        self._lock = threading.Lock()
        self._next = 0.0

    def wait(self) -> None:
        """Sleep until the next request may go."""
        if not self.interval:
            return
        with self._lock:
            now = time.monotonic()
            delay = max(0.0, self._next - now)
            self._next = max(now, self._next) + self.interval
        if delay:
            time.sleep(delay)


class AcumaticaStream(RESTStream[int]):
    """One entity of one endpoint version, read incrementally on its last-modified field.

    The contract API documents no `$orderby`, so pages come in no useful order: the
    stream is not sorted, and the SDK takes the bookmark at the end of a successful
    run, capped at the run's start time, so rows changed while paging are read again.
    """

    is_sorted = False
    entity: str  # e.g. "Customer"
    expand: tuple[str, ...] = ()  # links and details to return, e.g. MainContact/Address

    @property
    def endpoint_version(self) -> str:
        """The configured endpoint version, e.g. `23.200.001`."""
        return str(self.config.get("endpoint_version", "23.200.001"))

    @property
    def url_base(self) -> str:
        """`{base_url}/entity/{endpoint_name}/{endpoint_version}`."""
        base = str(self.config["base_url"]).rstrip("/")
        return (
            f"{base}/entity/{self.config.get('endpoint_name', 'Default')}/{self.endpoint_version}"
        )

    @property
    def path(self) -> str:  # type: ignore[override]
        """The entity's collection."""
        return f"/{self.entity}"

    @property
    def schema(self) -> dict[str, t.Any]:  # type: ignore[override]
        """The entity as the vendor defines it in this endpoint version."""
        return version_schemas(self.endpoint_version)[self.entity]

    @property
    def authenticator(self) -> t.Any:
        """The tap's authenticator, shared by every stream."""
        return self._tap.authenticator  # type: ignore[attr-defined]

    @property
    def page_size(self) -> int:
        """Rows per request (`$top`)."""
        return int(self.config.get("page_size", DEFAULT_PAGE_SIZE))

    def get_new_paginator(self) -> ShortPagePaginator:
        """`$skip` from 0, `page_size` at a time."""
        return ShortPagePaginator(start_value=0, page_size=self.page_size)

    def filters(self, context: Context | None) -> list[str]:
        """Filters besides the last-modified one (e.g. released invoices only)."""
        return []

    def get_url_params(
        self, context: Context | None, next_page_token: int | None
    ) -> dict[str, t.Any]:
        """`$filter`, `$expand`, `$top`, `$skip` (URL-encoded once, by requests)."""
        filters = self.filters(context)
        start = self.get_starting_timestamp(context) if self.replication_key else None
        if start is not None:
            stamp = start.astimezone(dt.UTC).isoformat(timespec="milliseconds")
            filters.append(f"{self.replication_key} gt datetimeoffset'{stamp}'")
        params: dict[str, t.Any] = {"$top": self.page_size, "$skip": next_page_token or 0}
        if filters:
            params["$filter"] = " and ".join(filters)
        if self.expand:
            params["$expand"] = ",".join(self.expand)
        return params

    def _request(
        self, prepared_request: requests.PreparedRequest, context: Context | None
    ) -> t.Any:
        """Every request waits for the licence pacer first."""
        self._tap.pacer.wait()  # type: ignore[attr-defined]
        return super()._request(prepared_request, context)

    def parse_response(self, response: requests.Response) -> t.Iterable[dict[str, t.Any]]:
        """A bare JSON array of value-wrapped entities."""
        yield from response.json()

    def post_process(
        self, row: dict[str, t.Any], context: Context | None = None
    ) -> dict[str, t.Any] | None:
        """Plain values; fields of this version only."""
        plain = unwrap(row)
        return {name: plain.get(name) for name in self.schema["properties"]}

    # Errors ---------------------------------------------------------------------

    def validate_response(self, response: requests.Response) -> None:
        """429 and 5xx retried; an expired token or session renewed once; 4xx fatal."""
        if response.status_code == HTTPStatus.UNAUTHORIZED and self._renew_once():
            raise RetriableAPIError(self.response_error_message(response), response)
        super().validate_response(response)
        if response.ok:
            self._tap.renewed = False  # type: ignore[attr-defined]

    def _renew_once(self) -> bool:
        if getattr(self._tap, "renewed", False):
            return False
        self.authenticator.invalidate()
        self._tap.renewed = True  # type: ignore[attr-defined]
        self.logger.info("Acumatica rejected the token or session: renewing it")
        return True

    def response_error_message(self, response: requests.Response) -> str:
        """Acumatica's `message`/`exceptionMessage`, naming the stream; no URL query."""
        try:
            body = response.json()
        except ValueError:
            body = None
        if isinstance(body, dict):
            detail = " ".join(
                str(body[key]) for key in ("message", "exceptionMessage") if body.get(key)
            )
        else:
            detail = response.text[:300]
        return (
            f"Stream '{self.name}': Acumatica answered {response.status_code} "
            f"{response.reason}: {detail or 'no detail'}"
        )

    def backoff_max_tries(self) -> int:
        """Licence throttling can last: be patient, then stop."""
        return 8
