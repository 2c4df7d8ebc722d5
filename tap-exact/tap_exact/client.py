"""The one Exact Online client: JSON, `__next` paging, CET dates and the rate limits."""

from __future__ import annotations

import datetime as dt
import logging
import re
import threading
import time
import typing as t
from functools import cached_property
from http import HTTPStatus
from urllib.parse import parse_qsl, urlsplit
from zoneinfo import ZoneInfo

from singer_sdk.exceptions import RetriableAPIError
from singer_sdk.pagination import BaseHATEOASPaginator
from singer_sdk.streams import RESTStream

if t.TYPE_CHECKING:
    import requests
    from singer_sdk.helpers.types import Context

LOGGER = logging.getLogger("tap_exact.client")
AMSTERDAM = ZoneInfo("Europe/Amsterdam")  # Exact's /Date(ms)/ values are CET/CEST wall clock
_DATE = re.compile(r"^/Date\((-?\d+)\)/$")
# Keep this many calls of the minute in reserve; below it, wait for the minute to roll.
MINUTE_RESERVE = 2


def exact_datetime(value: t.Any) -> str | None:
    """`/Date(ms)/` (epoch ms of the Amsterdam wall-clock reading) as ISO 8601 UTC.

    The milliseconds count a *local* reading as if it were UTC, so they are read as a
    naive wall-clock time, placed in Europe/Amsterdam (DST-aware), then converted.
    In the autumn hour that occurs twice the first occurrence is taken: Exact's own
    value cannot tell them apart.
    """
    if not isinstance(value, str) or not (match := _DATE.match(value)):
        return value if value is None else str(value)
    wall = dt.datetime(1970, 1, 1) + dt.timedelta(milliseconds=int(match.group(1)))
    return wall.replace(tzinfo=AMSTERDAM).astimezone(dt.UTC).isoformat()


class NextLinkPaginator(BaseHATEOASPaginator):
    """Follows `d.__next`, unless the daily call budget is spent (then `cut_short`)."""

    def __init__(self, budget: CallBudget) -> None:
        super().__init__()
        self.budget = budget
        self.cut_short = False

    def get_next_url(self, response: requests.Response) -> str | None:
        """The `__next` link of the page."""
        if response.status_code == HTTPStatus.TOO_MANY_REQUESTS:
            self.cut_short = True  # refused for the day: the rest waits for the next run
            return None
        link = (response.json().get("d") or {}).get("__next")
        if link and self.budget.spent_for_today:
            self.cut_short = True
            return None
        return link


class DailyLimitSpentError(Exception):
    """Exact refused the run's first call: today's budget was already spent."""


class CallBudget:
    """Exact's per-company limits, read from every response's `X-RateLimit-*` headers.

    Minutely: wait for the reset instead of being refused. Daily: once spent, the run
    stops cleanly (state saved) and says when it can continue.
    """

    def __init__(self, sleep: t.Callable[[float], None] = time.sleep) -> None:
        self.sleep = sleep
        self.spent_for_today = False
        self.daily_reset: dt.datetime | None = None
        self._lock = threading.Lock()

    def observe(self, response: requests.Response) -> None:
        """Read the limits from a response; wait if the minute is nearly used up."""
        headers = response.headers
        with self._lock:
            daily = headers.get("X-RateLimit-Remaining")
            if daily is not None and int(daily) <= 0:
                self.spent_for_today = True
                self.daily_reset = _epoch_ms(headers.get("X-RateLimit-Reset"))
            minutely = headers.get("X-RateLimit-Minutely-Remaining")
            reset = _epoch_ms(headers.get("X-RateLimit-Minutely-Reset"))
        if minutely is not None and int(minutely) < MINUTE_RESERVE and reset:
            wait = min(60.0, max(0.0, (reset - dt.datetime.now(dt.UTC)).total_seconds()))
            if wait:
                LOGGER.info("Exact's minute budget is nearly spent: waiting %.0f s", wait)
                self.sleep(wait)


def typed(row: dict[str, t.Any], properties: dict[str, t.Any]) -> dict[str, t.Any]:
    """The declared fields of a row: dates in UTC, Codes trimmed, Int64 strings as ints."""
    record = {}
    for name, spec in properties.items():
        value = row.get(name)
        if spec.get("format") == "date-time":
            value = exact_datetime(value)
        elif name == "Code" and isinstance(value, str):
            value = value.strip()  # Exact pads codes to 18 characters
        elif "integer" in spec.get("type", []) and isinstance(value, str) and value.isdigit():
            value = int(value)  # OData JSON writes 64-bit integers (Timestamp) as strings
        record[name] = value
    return record


def exact_error_text(response: requests.Response) -> str:
    """Exact's own words from an error body, `{"error": {"message": {"value": …}}}`."""
    try:
        body = response.json()
    except ValueError:
        return ""
    if not isinstance(body, dict):
        return ""
    return str(((body.get("error") or {}).get("message") or {}).get("value") or "")


def _epoch_ms(value: str | None) -> dt.datetime | None:
    if not value or not value.isdigit():
        return None
    return dt.datetime.fromtimestamp(int(value) / 1000, tz=dt.UTC)


class ExactStream(RESTStream[t.Any]):
    """An Exact Online endpoint of the configured division."""

    records_jsonpath = "$.d.results[*]"
    endpoint: str  # e.g. "sync/CRM/Accounts"
    select: tuple[str, ...]  # `$select` (mandatory on the Sync API)

    @property
    def url_base(self) -> str:
        """`https://start.exactonline.<tld>` from `region`, or `base_url`."""
        return self._tap.host  # type: ignore[attr-defined]

    @property
    def path(self) -> str:  # type: ignore[override]
        """`/api/v1/{division}/<endpoint>`."""
        return f"/api/v1/{self._tap.division}/{self.endpoint}"  # type: ignore[attr-defined]

    @property
    def authenticator(self) -> t.Any:
        """The tap's authenticator (tokens from the token store)."""
        return self._tap.authenticator  # type: ignore[attr-defined]

    @property
    def http_headers(self) -> dict[str, str]:
        """Exact answers XML unless JSON is asked for."""
        return {"Accept": "application/json", "User-Agent": self.user_agent}

    @cached_property
    def budget(self) -> CallBudget:
        """The tap's call budget, shared by every stream."""
        return self._tap.budget  # type: ignore[attr-defined, no-any-return]

    def get_new_paginator(self) -> NextLinkPaginator:
        """`__next` links (the last paginator is kept: did the budget cut it short?)."""
        self.paginator = NextLinkPaginator(self.budget)
        return self.paginator

    def get_url_params(self, context: Context | None, next_page_token: t.Any) -> dict[str, t.Any]:
        """The first page's query; later pages use the `__next` link's own query."""
        if next_page_token is not None:
            return dict(parse_qsl(urlsplit(next_page_token.geturl()).query))
        params: dict[str, t.Any] = {"$select": ",".join(self.select)}
        params.update(self.first_page_filter(context))
        return params

    def first_page_filter(self, context: Context | None) -> dict[str, t.Any]:
        """Extra query options of the first page (e.g. the Timestamp filter)."""
        return {}

    def request_records(self, context: Context | None) -> t.Iterable[dict[str, t.Any]]:
        """Nothing once today's call budget is spent: the next run continues."""
        if self.budget.spent_for_today:
            return []
        return super().request_records(context)

    def post_process(
        self, row: dict[str, t.Any], context: Context | None = None
    ) -> dict[str, t.Any] | None:
        """Declared fields only, typed (see `typed`)."""
        return typed(row, self.schema["properties"])

    # Errors and limits ----------------------------------------------------------

    def validate_response(self, response: requests.Response) -> None:
        """Pace from the rate-limit headers; a rejected bearer is renewed once."""
        self.budget.observe(response)
        if response.status_code == HTTPStatus.TOO_MANY_REQUESTS and self.budget.spent_for_today:
            return  # the day's budget: handled by stopping, not by retrying
        if response.status_code == HTTPStatus.UNAUTHORIZED and not getattr(
            self._tap, "renewed", False
        ):
            self.authenticator.invalidate()
            self._tap.renewed = True  # type: ignore[attr-defined]
            raise RetriableAPIError(self.response_error_message(response), response)
        super().validate_response(response)
        if response.ok:
            self._tap.renewed = False  # type: ignore[attr-defined]

    def parse_response(self, response: requests.Response) -> t.Iterable[dict[str, t.Any]]:
        """No rows from a refused page (the daily budget ran out on it)."""
        if response.status_code == HTTPStatus.TOO_MANY_REQUESTS:
            return []
        return super().parse_response(response)

    def response_error_message(self, response: requests.Response) -> str:
        """Exact's `error.message.value`, naming the stream; never the URL's query."""
        return (
            f"Stream '{self.name}': Exact Online answered {response.status_code} "
            f"{response.reason}: {exact_error_text(response) or 'no detail'}"
        )

    def backoff_max_tries(self) -> int:
        """Bounded retries of 429/5xx."""
        return 6


class SyncStream(ExactStream):
    """A Sync API endpoint: rows in Timestamp order, 1000 a page, bookmark = Timestamp."""

    replication_key = "Timestamp"
    is_sorted = True

    def first_page_filter(self, context: Context | None) -> dict[str, t.Any]:
        """`Timestamp gt <n>L`, from the bookmark (1 on the first run)."""
        start = self.get_starting_replication_key_value(context) or 1
        return {"$filter": f"Timestamp gt {int(start)}L"}
