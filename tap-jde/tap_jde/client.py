"""The one AIS client: data service queries over the run's session, with safe paging."""

from __future__ import annotations

import datetime as dt
import typing as t
from functools import cached_property
from zoneinfo import ZoneInfo

import requests
from singer_sdk.exceptions import FatalAPIError, RetriableAPIError
from singer_sdk.streams import RESTStream

from tap_jde.dataservice import (
    NextLink,
    NextLinkPaginator,
    ResultSetLostError,
    TableQuery,
    condition,
    error_text,
    key_of,
    rows_of,
)
from tap_jde.dates import Since, changed_since, format_date, parse_date

if t.TYPE_CHECKING:
    from collections.abc import Iterator

    from singer_sdk.helpers.types import Context

    from tap_jde.auth import AisSession
    from tap_jde.tables import Table

Row = dict[str, t.Any]
INVALID_TOKEN = 444  # the AIS Server's answer for an unknown, ended or timed-out token
MAX_FRUITLESS_RESTARTS = 3


class InvalidTokenError(FatalAPIError):
    """444: the session behind the token ended (idle timeout, logout, server restart)."""


class JdeStream(RESTStream[NextLink]):
    """A stream read through the AIS data service, in the run's one session.

    Paging does not use the SDK's loop: a next link moves a cursor held on the server,
    so calling it again after a lost answer returns the *following* page, and the result
    set expires (about 60 s after the last read) or dies with its session. A failed next
    call is therefore never retried; the query runs again from the last key read.
    """

    path = "/jderest/v2/dataservice"
    http_method = "POST"
    is_sorted = False  # rows come in key order, not change order (see README)

    @property
    def url_base(self) -> str:
        """The AIS Server."""
        return str(self.config["base_url"]).rstrip("/")

    @property
    def authenticator(self) -> AisSession:
        """The tap's session, shared by every stream."""
        return t.cast("AisSession", self._tap.session)  # type: ignore[attr-defined]

    @property
    def page_size(self) -> int:
        """Rows per page (`maxPageSize`)."""
        return int(self.config.get("page_size", 500))

    @cached_property
    def zone(self) -> ZoneInfo:
        """The server's time zone: UPMJ/UPMT are its wall time."""
        return ZoneInfo(str(self.config.get("time_zone", "UTC")))

    def get_new_paginator(self) -> NextLinkPaginator:
        """Follows next links."""
        return NextLinkPaginator()

    # Change windows ---------------------------------------------------------------

    def since(self, context: Context | None) -> Since | None:
        """The bookmark (state, else `start_date`) as the server's (date, time), if any."""
        start = self.get_starting_timestamp(context)
        return Since.from_moment(start, self.zone) if start else None

    def changed_query(self, query: TableQuery, since: Since | None) -> TableQuery:
        """`UPMJ >= d`: the server half of "changed since (d, t)"; the tap does the time."""
        if since is None:
            return query
        table = query.table
        self.authenticator.token()  # signed in: the literal is in the user's date format
        literal = format_date(
            since.day,
            str(self.config.get("date_literal_format", "formatted")),
            self.authenticator.user_date_format,
        )
        return query.where(condition(table.control_id("UPMJ"), "GREATER_EQUAL", literal))

    def date_of(self, value: t.Any) -> dt.date | None:
        """A date column's value as a date (None when blank)."""
        return parse_date(value, self.authenticator.user_date_format)

    def changed_rows(
        self, query: TableQuery, since: Since | None, context: Context | None
    ) -> Iterator[Row]:
        """Rows of `query` changed after `since` (every row without one)."""
        for row in self.read_rows(self.changed_query(query, since), context):
            if since is None or changed_since(
                self.date_of(row.get("UPMJ")), row.get("UPMT"), since
            ):
                yield row

    # Reading ------------------------------------------------------------------------

    def read_rows(self, query: TableQuery, context: Context | None) -> Iterator[Row]:
        """Every row the query matches, in key order, each exactly once.

        When a next call fails (500 "query results expired", 444 because the session
        ended, or no answer at all), the query runs again for keys from the last one
        read on, and rows up to that key are skipped.
        """
        table = query.table
        last_key: tuple[t.Any, ...] | None = None
        fruitless_restarts = 0
        with self.get_http_request_counter() as request_counter:
            request_counter.with_context(context)
            response = self.first_page(query, last_key, context)
            paginator = self.get_new_paginator()
            while True:
                request_counter.increment()
                for row in rows_of(table, self.page_body(table, response)):
                    key = key_of(table, row, self.authenticator.user_date_format)
                    if last_key is not None and key <= last_key:
                        continue  # read before the restart
                    last_key, fruitless_restarts = key, 0
                    yield row
                paginator.advance(response)
                if paginator.finished:
                    return
                try:
                    link = t.cast("NextLink", paginator.current_value)
                    response = self.next_page(table, link, context)
                except ResultSetLostError as lost:
                    fruitless_restarts += 1
                    if fruitless_restarts > MAX_FRUITLESS_RESTARTS:
                        msg = f"Stream '{self.name}': {table.name} next pages keep failing ({lost})"
                        raise FatalAPIError(msg) from None
                    self.logger.info(
                        "%s next page lost (%s): reading it again after the last key read",
                        table.name,
                        lost,
                    )
                    response = self.first_page(query, last_key, context)
                    paginator = self.get_new_paginator()

    def first_page(
        self, query: TableQuery, after: tuple[t.Any, ...] | None, context: Context | None
    ) -> requests.Response:
        """Run the query (retried with backoff: a first page moves no cursor)."""
        request = self.build_prepared_request(
            method="POST",
            url=self.get_url(context),
            json=query.body(page_size=self.page_size, after=after),
            headers=self.http_headers,
        )
        return self.request_decorator(self._request)(request, context)

    def next_page(self, table: Table, link: NextLink, context: Context | None) -> requests.Response:
        """Call a next link once, exactly as given; any failure means the result set is lost."""
        request = self.build_prepared_request(
            method="GET", url=link.href, headers=self.http_headers
        )
        request.url = link.href  # requests would re-quote it; the token is encoded already
        try:
            response = super()._request(request, context)
            self.page_body(table, response)
            return response
        except InvalidTokenError:
            self.authenticator.renew()
            reason = "the session ended (444)"
        except (FatalAPIError, RetriableAPIError) as error:
            reason = str(error)
        except requests.RequestException as error:
            # The exception's text names the URL, and so the token: keep only its kind.
            reason = f"the next page call failed ({type(error).__name__})"
        raise ResultSetLostError(reason)

    def _request(
        self, prepared_request: requests.PreparedRequest, context: Context | None
    ) -> requests.Response:
        """Send; on 444 sign in again and send the same request once more."""
        try:
            return super()._request(prepared_request, context)
        except InvalidTokenError:
            self.logger.info("Stream '%s': the token expired (444); signing in again", self.name)
            self.authenticator.renew()
            return super()._request(prepared_request.copy(), context)

    # Errors -------------------------------------------------------------------------

    def page_body(self, table: Table, response: requests.Response) -> dict[str, t.Any]:
        """The answer's JSON, which must hold the table's data browser form.

        Anything else (a proxy's login page, an error form) would otherwise pass for an
        empty table.
        """
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict) or f"fs_DATABROWSE_{table.name}" not in body:
            detail = error_text(body) or "the answer holds no data browser form"
            msg = f"Stream '{self.name}': {table.name}: {detail}"
            raise FatalAPIError(msg)
        return body

    def validate_response(self, response: requests.Response) -> None:
        """444 renews the session; 429 and 5xx are retried; other 4xx are fatal."""
        if response.status_code == INVALID_TOKEN:
            raise InvalidTokenError(self.response_error_message(response))
        super().validate_response(response)

    def response_error_message(self, response: requests.Response) -> str:
        """The server's own message, naming the stream; never the URL (links hold tokens)."""
        try:
            detail = error_text(response.json())
        except ValueError:
            detail = response.text[:300]
        return (
            f"Stream '{self.name}': the AIS Server answered {response.status_code} "
            f"{response.reason or ''}: {detail or 'no detail'}"
        )
