"""The one SuiteQL client: transport, auth, keyset paging, errors and value types."""

from __future__ import annotations

import typing as t
from functools import cached_property
from http import HTTPStatus
from zoneinfo import ZoneInfo

import backoff
from singer_sdk.exceptions import RetriableAPIError
from singer_sdk.pagination import BaseAPIPaginator
from singer_sdk.streams import RESTStream

from tap_netsuite.suiteql import account_host, coerce, keyset_filter, timestamp_literal

if t.TYPE_CHECKING:
    import requests
    from singer_sdk.helpers.types import Context

SUITEQL_PATH = "/services/rest/query/v1/suiteql"
MAX_PAGE_SIZE = 1000  # NetSuite's maximum `limit`


class KeysetPaginator(BaseAPIPaginator[list[t.Any] | None]):
    """The next page starts after the last row of this one (its keyset values)."""

    def __init__(self, keys: list[str]) -> None:
        super().__init__(None)
        self.keys = keys

    def get_next(self, response: requests.Response) -> list[t.Any] | None:
        """The last row's keyset values while rows remain.

        At the 100,000-row ceiling NetSuite answers `hasMore: false` although
        `totalResults` counts more rows: those are read by the next keyset query.
        """
        body = response.json()
        items = body.get("items") or []
        beyond_ceiling = int(body.get("totalResults") or 0) > int(body.get("offset") or 0) + len(
            items
        )
        if not items or not (body.get("hasMore") or beyond_ceiling):
            return None
        last = body["items"][-1]
        return [last.get(key) for key in self.keys]


class SuiteQLStream(RESTStream[list[t.Any] | None]):
    """A SuiteQL query, read incrementally in (last modified, id) order.

    Subclasses declare the table, the selected columns and the keyset; this class
    writes the query, pages it by keyset, and types the values.
    """

    http_method = "POST"
    path = SUITEQL_PATH
    records_jsonpath = "$.items[*]"
    primary_keys: t.ClassVar[list[str]] = ["id"]
    replication_key = "lastmodifieddate"
    is_sorted = True

    table: str  # e.g. "customer c"
    columns: tuple[str, ...]  # the SELECT list, each aliased to its output name
    conditions: tuple[str, ...] = ()  # fixed filters, e.g. "t.type = 'SalesOrd'"
    # (SQL column, output name) pairs giving a unique, ascending order.
    keyset: tuple[tuple[str, str], ...]

    @property
    def url_base(self) -> str:
        """`base_url`, else the account's REST host."""
        base_url = self.config.get("base_url")
        if base_url:
            return base_url.rstrip("/")
        return f"https://{account_host(self.config['account_id'])}"

    @property
    def authenticator(self) -> t.Any:
        """The tap's authenticator, shared by every stream (one bearer for all)."""
        return self._tap.authenticator  # type: ignore[attr-defined]

    @property
    def http_headers(self) -> dict[str, str]:
        """SuiteQL needs `Prefer: transient`."""
        return {
            "Prefer": "transient",
            "Content-Type": "application/json",
            "Accept": "application/json",
            "User-Agent": self.user_agent,
        }

    @cached_property
    def zone(self) -> ZoneInfo:
        """The account's time zone, in which NetSuite reads and writes timestamps."""
        return ZoneInfo(self.config.get("account_timezone", "UTC"))

    @property
    def page_size(self) -> int:
        """Rows per request (NetSuite allows 1000)."""
        return min(int(self.config.get("page_size", MAX_PAGE_SIZE)), MAX_PAGE_SIZE)

    def get_new_paginator(self) -> KeysetPaginator:
        """Keyset paging on the stream's order columns."""
        return KeysetPaginator([output for _, output in self.keyset])

    def get_url_params(
        self, context: Context | None, next_page_token: list[t.Any] | None
    ) -> dict[str, t.Any]:
        """Always the first page of a fresh keyset query: no offset, no row ceiling."""
        return {"limit": self.page_size, "offset": 0}

    def prepare_request_payload(
        self, context: Context | None, next_page_token: list[t.Any] | None
    ) -> dict[str, str]:
        """The SuiteQL query for this page."""
        return {"q": self.query(context, next_page_token)}

    def query(self, context: Context | None, after: list[t.Any] | None) -> str:
        """`SELECT … WHERE <conditions> AND <start or keyset> ORDER BY <keyset>`."""
        filters = list(self.conditions)
        order_columns = [column for column, _ in self.keyset]
        if after is not None:
            filters.append(keyset_filter(order_columns, after, self.zone))
        else:
            start = self.get_starting_timestamp(context)
            if start is not None:
                # `>=`: rows sharing the bookmark's second may not all have been emitted.
                filters.append(f"{order_columns[0]} >= {timestamp_literal(start, self.zone)}")
        where = f" WHERE {' AND '.join(filters)}" if filters else ""
        # Built from the stream's own declarations and typed literals, never user text.
        return (
            f"SELECT {', '.join(self.columns)} FROM {self.table}{where} "  # noqa: S608
            f"ORDER BY {', '.join(order_columns)}"
        )

    def post_process(
        self, row: dict[str, t.Any], context: Context | None = None
    ) -> dict[str, t.Any] | None:
        """Typed values; columns NetSuite left out (empty ones) become None."""
        return {
            name: row.get(name)
            if name in self.nested_properties
            else coerce(row.get(name), spec, self.zone)
            for name, spec in self.schema["properties"].items()
        }

    nested_properties: tuple[str, ...] = ()  # built and typed by the stream (e.g. lines)

    # Errors ---------------------------------------------------------------------

    def validate_response(self, response: requests.Response) -> None:
        """429 and 5xx are retried; a rejected bearer is renewed once; 4xx are fatal."""
        if response.status_code == HTTPStatus.UNAUTHORIZED and self._renew_once():
            raise RetriableAPIError(self.response_error_message(response), response)
        super().validate_response(response)
        if response.ok:
            self._tap.bearer_renewed = False  # type: ignore[attr-defined]

    def _renew_once(self) -> bool:
        """Drop a bearer NetSuite rejected early; only once in a row."""
        tap = self._tap
        if getattr(tap, "bearer_renewed", False) or not self.config.get("client_id"):
            return False
        self.authenticator.invalidate()
        tap.bearer_renewed = True  # type: ignore[attr-defined]
        self.logger.info("NetSuite rejected the access token: requesting a new one")
        return True

    def response_error_message(self, response: requests.Response) -> str:
        """NetSuite's own words, naming the stream; never the URL's query or headers."""
        try:
            body = response.json()
        except ValueError:
            body = None
        body = body if isinstance(body, dict) else {}
        details = body.get("o:errorDetails") or [{}]
        detail = str(details[0].get("detail") or response.reason)
        code = details[0].get("o:errorCode") or body.get("title", "")
        message = f"Stream '{self.name}': NetSuite answered {response.status_code} {code}: {detail}"
        if "was not found" in detail or "Unknown identifier" in detail:
            message += (
                " The field or record is missing from this account, or the integration's "
                "role lacks the permission to read it: grant it, or deselect the field."
            )
        if response.status_code == HTTPStatus.UNAUTHORIZED:
            message += " Check the credentials, the account id and the role."
        return message

    def backoff_jitter(self, value: float) -> float:
        """Full jitter, so parallel workers hitting NetSuite's limit spread out."""
        return backoff.full_jitter(value)

    def backoff_max_tries(self) -> int:
        """NetSuite's 429 carries no Retry-After: be patient."""
        return 8

    # Extra queries (e.g. the lines of a page of transactions) -------------------

    def run_query(
        self, columns: str, source: str, condition: str, order: tuple[tuple[str, str], ...]
    ) -> list[dict[str, t.Any]]:
        """Every row of `SELECT columns FROM source WHERE condition`, paged by keyset.

        `order` gives unique (SQL column, output name) pairs, none a timestamp; like the
        streams, each page is a fresh query after the last row, so no ceiling applies.
        """
        rows: list[dict[str, t.Any]] = []
        send = self.request_decorator(self._request)
        order_columns = [column for column, _ in order]
        after: list[t.Any] | None = None
        while True:
            where = condition
            if after is not None:
                where += " AND " + keyset_filter(
                    order_columns, after, self.zone, timestamp_first=False
                )
            query = (
                f"SELECT {columns} FROM {source} WHERE {where} "  # noqa: S608 - our own text
                f"ORDER BY {', '.join(order_columns)}"
            )
            prepared = self.build_prepared_request(
                method="POST",
                url=self.get_url(None),
                params={"limit": self.page_size, "offset": 0},
                headers=self.http_headers,
                json={"q": query},
            )
            response = send(prepared, None)
            rows.extend(response.json().get("items", []))
            after = KeysetPaginator([output for _, output in order]).get_next(response)
            if after is None:
                return rows
