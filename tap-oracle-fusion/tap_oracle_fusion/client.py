"""The one Fusion REST client: auth, ADF collections, keyset paging, schemas from /describe."""

from __future__ import annotations

import datetime as dt
import random
import typing as t
from functools import cached_property
from http import HTTPStatus

import requests
from singer_sdk.exceptions import FatalAPIError, RetriableAPIError
from singer_sdk.pagination import BaseAPIPaginator
from singer_sdk.streams import RESTStream

from tap_oracle_fusion.auth import cause

if t.TYPE_CHECKING:
    from singer_sdk.helpers.types import Context

MAX_PAGE_SIZE = 500  # ADF resources cap a page near 500 rows
# Structured errors only come when asked for (reference B4).
ACCEPT = "application/json, application/vnd.oracle.adf.error+json"

# ADF describe types → JSON Schema.
DESCRIBE_TYPES: dict[str, dict[str, t.Any]] = {
    "string": {"type": ["string", "null"]},
    "integer": {"type": ["integer", "null"]},
    "number": {"type": ["number", "null"]},
    "boolean": {"type": ["boolean", "null"]},
    "date": {"type": ["string", "null"], "format": "date"},
    "datetime": {"type": ["string", "null"], "format": "date-time"},
    "timestamp": {"type": ["string", "null"], "format": "date-time"},
}


def dropped_after_connecting(error: BaseException) -> bool:
    """Whether the server took the connection, then closed or reset it before a whole
    answer (`RemoteDisconnected`, `Connection reset by peer`), as opposed to a refused
    connection, an unknown host or a TLS failure."""
    reason: BaseException | None = error
    for _ in range(10):  # requests → urllib3 → http.client: a few levels deep
        if isinstance(reason, ConnectionResetError):  # RemoteDisconnected is one too
            return True
        inner = [arg for arg in getattr(reason, "args", ()) if isinstance(arg, BaseException)]
        reason = inner[-1] if inner else getattr(reason, "reason", None) or reason.__context__
        if not isinstance(reason, BaseException):
            return False
    return False


class KeysetPaginator(BaseAPIPaginator[list[t.Any] | None]):
    """The next page holds the rows after the last one of this page."""

    def __init__(self, keys: list[str]) -> None:
        super().__init__(None)
        self.keys = keys

    def get_next(self, response: requests.Response) -> list[t.Any] | None:
        """The last row's (LastUpdateDate, key) while Fusion says `hasMore`."""
        body = response.json()
        items = body.get("items") or []
        if not body.get("hasMore") or not items:
            return None
        return [items[-1].get(key) for key in self.keys]


def q_literal(value: t.Any) -> str:
    """A value in REST framework v2+ `q` syntax: numbers bare, text single-quoted."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return "'" + str(value).replace("'", "''") + "'"


def schema_from_describe(attributes: list[dict[str, t.Any]]) -> dict[str, t.Any]:
    """A JSON Schema object from an ADF describe `attributes` list."""
    return {
        "type": "object",
        "properties": {
            attribute["name"]: dict(
                DESCRIBE_TYPES.get(
                    str(attribute.get("type", "string")).lower(), DESCRIBE_TYPES["string"]
                )
            )
            for attribute in attributes
        },
    }


class FusionStream(RESTStream[list[t.Any] | None]):
    """An ADF collection read incrementally in (LastUpdateDate, key) order.

    Subclasses declare the resource's path setting, key and (optionally) the child
    collection expanded into `lines`; the schema comes from the resource's /describe.
    """

    records_jsonpath = "$.items[*]"
    replication_key = "LastUpdateDate"
    is_sorted = True

    path_setting: str  # the setting holding the resource's path
    default_path: str  # its default, with `{rest_version}`
    child: str | None = None  # child collection emitted as `lines`
    item_key: str | None = None  # the attribute in an item's URL, when not the key

    @property
    def key(self) -> str:
        """The unique, queryable, sortable attribute that breaks timestamp ties."""
        return self.primary_keys[0]

    @property
    def url_base(self) -> str:
        """The pod, e.g. `https://abcd.fa.us2.oraclecloud.com`."""
        return str(self.config["base_url"]).rstrip("/")

    @property
    def path(self) -> str:  # type: ignore[override]
        """The resource path, with the REST version filled in."""
        template = str(self.config.get(self.path_setting) or self.default_path)
        return template.format(rest_version=self.config.get("rest_version", "11.13.18.05"))

    @property
    def authenticator(self) -> t.Any:
        """The tap's authenticator, shared by every stream (one bearer for all)."""
        return self._tap.authenticator  # type: ignore[attr-defined]

    @property
    def http_headers(self) -> dict[str, str]:
        """The `q` grammar is fixed by pinning the REST framework version."""
        return {
            "Accept": ACCEPT,
            "REST-Framework-Version": str(self.config.get("rest_framework_version", "4")),
            "User-Agent": self.user_agent,
        }

    @property
    def page_size(self) -> int:
        """Rows per request, at most 500."""
        return min(int(self.config.get("page_size", MAX_PAGE_SIZE)), MAX_PAGE_SIZE)

    # Schema ---------------------------------------------------------------------

    @cached_property
    def schema(self) -> dict[str, t.Any]:  # type: ignore[override]
        """The resource's attributes as Fusion describes them, with `lines` from the child."""
        resource = self.describe()
        schema = schema_from_describe(resource.get("attributes") or [])
        if self.child:
            child = (resource.get("children") or {}).get(self.child) or {}
            schema["properties"]["lines"] = {
                "type": ["array", "null"],
                "items": schema_from_describe(child.get("attributes") or []),
            }
        return schema

    def _request(
        self, prepared_request: requests.PreparedRequest, context: Context | None
    ) -> requests.Response:
        """One request; the tap's first contact with the pod fails fast when unreachable.

        Later connection errors are retried (`request_decorator`): once the pod has
        answered, a dropped connection is a blip. Before that, a refused or unknown
        host means `base_url` is wrong, and minutes of retries would only hide it; a
        connection the pod took and then dropped is a blip from the first request on.
        """
        try:
            response = super()._request(prepared_request, context)
        except requests.ConnectionError as error:
            if getattr(self._tap, "pod_reached", False) or dropped_after_connecting(error):
                raise
            msg = (
                f"Cannot reach Oracle Fusion at {self.url_base} ({cause(error)}): check "
                "`base_url` and that this machine can reach it."
            )
            raise FatalAPIError(msg) from error
        self._tap.pod_reached = True  # type: ignore[attr-defined]
        return response

    def describe(self) -> dict[str, t.Any]:
        """`GET <resource>/describe`: the resource's part of the ADF describe document.

        Sent like any request: retried on 429/5xx, and a rejected bearer is renewed.
        """
        prepared = self.build_prepared_request(
            method="GET", url=f"{self.url_base}{self.path}/describe", headers=self.http_headers
        )
        response = self.request_decorator(self._request)(prepared, None)
        resources = response.json().get("Resources") or {}
        return next(iter(resources.values()), {})

    # Requests -------------------------------------------------------------------

    def get_new_paginator(self) -> KeysetPaginator:
        """Keyset paging on (LastUpdateDate, key)."""
        return KeysetPaginator([self.replication_key, self.key])

    def get_url_params(
        self, context: Context | None, next_page_token: list[t.Any] | None
    ) -> dict[str, t.Any]:
        """`q`, `orderBy`, `limit`, `onlyData` and the child to expand; always offset 0."""
        params: dict[str, t.Any] = {
            "orderBy": f"{self.replication_key}:asc,{self.key}:asc",
            "limit": self.page_size,
            "offset": 0,
            "onlyData": "true",
        }
        query = self.query(context, next_page_token)
        if query:
            params["q"] = query
        if self.child:
            params["expand"] = self.child
        return params

    def query(self, context: Context | None, after: list[t.Any] | None) -> str | None:
        """Rows from the bookmark on, or strictly after the last row of the last page.

        Keyset, not offset: a row updated during the run moves to the end of the
        order; with offsets every later row would shift and one would slip past a
        page boundary, lost once the bookmark passes it.
        """
        column = self.replication_key
        if after is not None:
            moment, key = (q_literal(value) for value in after)
            return f"{column} > {moment} or ({column} = {moment} and {self.key} > {key})"
        start = self.get_starting_timestamp(context)
        if start is None:
            return None
        # `>=`: rows sharing the bookmark's timestamp may not all have been emitted.
        return f"{column} >= {q_literal(start.astimezone(dt.UTC).isoformat())}"

    def post_process(
        self, row: dict[str, t.Any], context: Context | None = None
    ) -> dict[str, t.Any] | None:
        """Declared attributes only; the expanded child becomes `lines`."""
        record = {name: row.get(name) for name in self.schema["properties"] if name != "lines"}
        if self.child:
            record["lines"] = self.child_rows(row)
        return record

    def child_rows(self, row: dict[str, t.Any]) -> list[dict[str, t.Any]]:
        """The expanded child's rows, fetching more pages when the child says `hasMore`."""
        expanded = row.get(self.child or "")
        if isinstance(expanded, list):
            return expanded
        if not isinstance(expanded, dict):
            return []
        rows = list(expanded.get("items") or [])
        if expanded.get("hasMore"):
            rows.extend(self._more_child_rows(row, offset=len(rows)))
        return rows

    def _more_child_rows(self, row: dict[str, t.Any], offset: int) -> list[dict[str, t.Any]]:
        send = self.request_decorator(self._request)
        rows: list[dict[str, t.Any]] = []
        url = f"{self.url_base}{self.path}/{row[self.item_key or self.key]}/child/{self.child}"
        while True:
            prepared = self.build_prepared_request(
                method="GET",
                url=url,
                headers=self.http_headers,
                params={"limit": self.page_size, "offset": offset, "onlyData": "true"},
            )
            body = send(prepared, None).json()
            page = body.get("items") or []
            rows.extend(page)
            offset += len(page)
            if not body.get("hasMore") or not page:
                return rows

    # Errors ---------------------------------------------------------------------

    def validate_response(self, response: requests.Response) -> None:
        """429 and 5xx are retried; a rejected bearer is renewed once; 4xx are fatal."""
        if response.status_code == HTTPStatus.UNAUTHORIZED and self._renew_once():
            raise RetriableAPIError(self.response_error_message(response), response)
        super().validate_response(response)
        if response.ok:
            self._tap.bearer_renewed = False  # type: ignore[attr-defined]

    def _renew_once(self) -> bool:
        tap = self._tap
        invalidate = getattr(self.authenticator, "invalidate", None)
        if invalidate is None or getattr(tap, "bearer_renewed", False):
            return False
        invalidate()
        tap.bearer_renewed = True  # type: ignore[attr-defined]
        self.logger.info("Fusion rejected the access token: requesting a new one")
        return True

    def response_error_message(self, response: requests.Response) -> str:
        """Fusion's `o:errorDetails` (or its plain-text body), naming the stream."""
        try:
            body = response.json()
        except ValueError:
            body = None
        if isinstance(body, dict):
            details = body.get("o:errorDetails") or []
            detail = "; ".join(
                f"{item.get('o:errorCode', '')} {item.get('detail', '')}".strip()
                for item in details
            ) or str(body.get("detail") or body.get("title") or "")
        else:
            detail = response.text[:500]
        message = (
            f"Stream '{self.name}': Oracle Fusion answered {response.status_code} "
            f"{response.reason}: {detail or 'no detail'}"
        )
        if response.status_code in (HTTPStatus.UNAUTHORIZED, HTTPStatus.FORBIDDEN):
            message += " Check the credentials and the user's roles for this resource."
        return message

    def backoff_wait_generator(self) -> t.Generator[float, t.Any, None]:
        """`Retry-After` when Fusion sends one, else exponential backoff with full jitter.

        `backoff` sends each caught exception into the generator.
        """
        attempt = 0
        error = yield 0.0
        while True:
            retry_after = _retry_after_seconds(error)
            if retry_after is None:
                retry_after = random.uniform(0, min(60.0, 2.0**attempt))  # noqa: S311
            attempt += 1
            error = yield retry_after

    def backoff_jitter(self, value: float) -> float:
        """The wait generator already jitters; `Retry-After` is honoured as sent."""
        return value

    def backoff_max_tries(self) -> int:
        """Bounded: then the run stops with a clear error."""
        return 8


def _retry_after_seconds(error: t.Any) -> float | None:
    response = getattr(error, "response", None)
    header = response.headers.get("Retry-After") if response is not None else None
    return float(header) if header and header.isdigit() else None
