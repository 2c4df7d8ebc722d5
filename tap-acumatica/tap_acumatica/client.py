"""The one Acumatica client: the contract-based REST API of one endpoint version."""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
import typing as t
from dataclasses import dataclass
from functools import cache
from http import HTTPStatus
from importlib import resources

from singer_sdk.exceptions import FatalAPIError, RetriableAPIError
from singer_sdk.pagination import BaseAPIPaginator
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


# Rows each page repeats from the end of the previous one (at most half a page).
MAX_OVERLAP = 25
# Fresh starts of one read before the tap gives up on a list that keeps changing.
MAX_RESTARTS = 3


@dataclass(frozen=True)
class PageToken:
    """Where the next page starts, and how many times this read started over."""

    skip: int
    restarts: int = 0


class OverlappingPaginator(BaseAPIPaginator[PageToken]):
    """`$skip`/`$top` pages over bare JSON arrays, each repeating the previous page's tail.

    The contract API has no `$orderby` and no keyset, so pages are offsets into a list
    that changes while it is read: a record deleted from an earlier page moves every
    later row one place back, and a plain offset skips one unread row per deletion.
    Each page therefore starts `overlap` rows early. Finding one of the last rows read
    on it proves nothing was skipped; finding none (more deletions than the overlap)
    starts the read over, and the stream emits only rows it has not emitted yet.
    A short page ends the stream.
    """

    def __init__(self, stream: AcumaticaStream, page_size: int) -> None:
        super().__init__(PageToken(0))
        self.stream = stream
        self.page_size = page_size
        self.overlap = stream.page_overlap

    def has_more(self, response: requests.Response) -> bool:
        """A full page may have a successor; a page that lost track always has one."""
        return self.stream.lost_track or len(response.json()) >= self.page_size

    def continue_if_empty(self, response: requests.Response) -> bool:
        """A page of rows all read before (after a fresh start) is not the end."""
        return True

    def get_next(self, response: requests.Response) -> PageToken | None:
        """The tail of this page again, or the first page after losing track."""
        current = t.cast("PageToken", self.current_value)
        if self.stream.lost_track:
            if current.restarts >= MAX_RESTARTS:
                msg = (
                    f"Stream '{self.stream.name}': Acumatica's {self.stream.entity} list kept "
                    f"changing under the read ({MAX_RESTARTS} fresh starts); run again later."
                )
                raise FatalAPIError(msg)
            self.stream.lost_track = False
            return PageToken(0, current.restarts + 1)
        return PageToken(current.skip + len(response.json()) - self.overlap, current.restarts)


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

    def get_new_paginator(self) -> OverlappingPaginator:
        """`$skip` from 0, `page_size` at a time, each page overlapping the last."""
        self._emitted: set[tuple[t.Any, ...]] = set()
        self._tail: list[tuple[t.Any, ...]] = []
        self.lost_track = False
        return OverlappingPaginator(self, self.page_size)

    def filters(self, context: Context | None) -> list[str]:
        """Filters besides the last-modified one (e.g. released invoices only)."""
        return []

    def get_url_params(
        self, context: Context | None, next_page_token: PageToken | None
    ) -> dict[str, t.Any]:
        """`$filter`, `$expand`, `$top`, `$skip` (URL-encoded once, by requests)."""
        filters = self.filters(context)
        start = self.get_starting_timestamp(context) if self.replication_key else None
        if start is not None:
            stamp = start.astimezone(dt.UTC).isoformat(timespec="milliseconds")
            filters.append(f"{self.replication_key} gt datetimeoffset'{stamp}'")
        skip = next_page_token.skip if next_page_token else 0
        params: dict[str, t.Any] = {"$top": self.page_size, "$skip": skip}
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
        """The rows of a bare JSON array not emitted yet (pages overlap).

        Notes `lost_track` when none of the previous page's last rows is on this page:
        rows were deleted in between and some may have been skipped.
        """
        rows = response.json()
        keys = [tuple(unwrap(row.get(key)) for key in self.primary_keys) for row in rows]
        if self._tail and not set(self._tail) & set(keys):
            self.logger.info(
                "Stream '%s': rows were deleted while paging; reading again from the first "
                "page (rows already read are not emitted twice)",
                self.name,
            )
            self.lost_track = True
        overlap = self.page_overlap
        self._tail = keys[-overlap:] if overlap and not self.lost_track else []
        for row, key in zip(rows, keys, strict=True):
            if key not in self._emitted:
                self._emitted.add(key)
                yield row

    @property
    def page_overlap(self) -> int:
        """Rows each page repeats from the previous one (none with one-row pages)."""
        return min(MAX_OVERLAP, self.page_size // 2)

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
