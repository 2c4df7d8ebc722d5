"""One HTTP client for the Mailchimp Marketing API v3.

It owns everything about transport: the API root (data center), authentication,
the connection limit, retries with backoff and jitter, and turning Mailchimp's
problem+json errors into exceptions that never carry a secret.
"""

from __future__ import annotations

import contextlib
import logging
import random
import threading
import typing as t
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import backoff
import requests
from requests.adapters import HTTPAdapter

from target_mailchimp import redaction

if t.TYPE_CHECKING:
    from collections.abc import Generator, Iterator, Mapping

    from target_mailchimp.connection_slots import AccountConnectionSlots

LOGGER = logging.getLogger("target_mailchimp.client")

DEFAULT_OAUTH_METADATA_URL = "https://login.mailchimp.com/oauth2/metadata"
MISSING_CREDENTIALS = "Set either `api_key` or `access_token` for target-mailchimp."
ARCHIVE_LABEL = "(batch result archive)"  # logged instead of the archive's signed URL

# Mailchimp answers 429 above 10 simultaneous connections per key, and "at
# exceptionally high volumes" also 403 without a JSON body (Mailchimp API
# fundamentals); both, plus 5xx, are worth retrying.
RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})


@dataclass
class MailchimpAPIError(Exception):
    """A request Mailchimp refused, described with its own title and detail."""

    status: int
    title: str
    detail: str
    method: str = ""
    path: str = ""
    errors: list[dict[str, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        # Loggers (the SDK's excepthook among them) print `args[0]`.
        super().__init__(str(self))

    def __str__(self) -> str:
        where = f"{self.method} {self.path}: " if self.method else ""
        fields = "; ".join(f"{error.get('field')}: {error.get('message')}" for error in self.errors)
        suffix = f" ({fields})" if fields else ""
        return f"{where}{self.status} {self.title}: {self.detail}{suffix}"


def describe_problem(title: str, detail: str, errors: list[dict[str, str]] | None) -> str:
    """Mailchimp's own words for a refusal: title, detail and field errors."""
    fields = "; ".join(f"{e.get('field')}: {e.get('message')}" for e in errors or [])
    text = f"{title}: {detail}".strip()
    return f"{text} ({fields})" if fields else text


class RetryableAPIError(MailchimpAPIError):
    """A response worth retrying: throttling, a server error or an overload 403."""

    retry_after: float | None = None


# A connection dropped mid-body surfaces as ChunkedEncodingError, not ConnectionError.
RETRYABLE_EXCEPTIONS = (
    RetryableAPIError,
    requests.ConnectionError,
    requests.Timeout,
    requests.exceptions.ChunkedEncodingError,
)


class MailchimpAuth(requests.auth.AuthBase):
    """HTTP Basic with the API key, or Bearer with an OAuth 2 access token."""

    def __init__(self, *, api_key: str | None = None, access_token: str | None = None) -> None:
        if not (api_key or access_token):
            raise ValueError(MISSING_CREDENTIALS)
        self._api_key = api_key
        self._access_token = access_token

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        """Attach the credential to one request."""
        if self._access_token:
            request.headers["Authorization"] = f"Bearer {self._access_token}"
        else:
            # Mailchimp ignores the user name of Basic auth (API fundamentals).
            request.prepare_auth(("anystring", self._api_key))
        return request

    def __repr__(self) -> str:
        return "MailchimpAuth(***)"


def data_center_from_api_key(api_key: str) -> str:
    """Return the data center of an API key: the part after its last hyphen (`…-us6`)."""
    prefix, _, data_center = api_key.rpartition("-")
    if not prefix or not data_center:
        msg = (
            "The Mailchimp API key has no data center suffix (like `-us6`): "
            "set `data_center` or `base_url`."
        )
        raise ValueError(msg)
    return data_center


def resolve_api_root(
    *,
    base_url: str | None = None,
    data_center: str | None = None,
    api_key: str | None = None,
    access_token: str | None = None,
    oauth_metadata_url: str = DEFAULT_OAUTH_METADATA_URL,
    timeout: float = 30,
) -> str:
    """Find the API root (`https://<dc>.api.mailchimp.com/3.0`) from the settings.

    Precedence: `base_url`, then `data_center`, then the API key's suffix, then the
    OAuth metadata endpoint for an access token.
    """
    if base_url:
        return base_url.rstrip("/")
    if data_center:
        return f"https://{data_center}.api.mailchimp.com/3.0"
    if api_key:
        return f"https://{data_center_from_api_key(api_key)}.api.mailchimp.com/3.0"
    if not access_token:
        raise ValueError(MISSING_CREDENTIALS)
    # Mailchimp answers HTTP 200 even for a bad token, with {"error": "invalid_token"}
    # and no api_endpoint (singer-io/tap-mailchimp, client.py).
    response = requests.get(
        oauth_metadata_url,
        headers={"Authorization": f"OAuth {access_token}"},
        timeout=timeout,
    )
    metadata = response.json() if response.ok else {}
    endpoint = metadata.get("api_endpoint")
    if not endpoint:
        reason = metadata.get("error") or f"HTTP {response.status_code}"
        msg = (
            f"Mailchimp's OAuth metadata endpoint did not accept the access token ({reason}): "
            "check `access_token`, or set `data_center`."
        )
        raise ValueError(msg)
    return f"{endpoint.rstrip('/')}/3.0"


def _retry_delays(max_wait: float) -> Generator[float, BaseException, None]:
    """Exponential backoff with full jitter, replaced by `Retry-After` when sent.

    `backoff` sends each caught exception into the generator, so a throttled
    response's own wait takes precedence over the computed one.
    """
    attempt = 0
    error = yield 0.0
    while True:
        retry_after = getattr(error, "retry_after", None)
        if retry_after is not None:
            delay = min(float(retry_after), max_wait)
        else:
            delay = random.uniform(0, min(max_wait, 0.5 * 2**attempt))  # noqa: S311
        attempt += 1
        error = yield delay


class MailchimpClient:
    """Thread-safe client with at most `max_concurrency` requests in flight."""

    def __init__(
        self,
        api_root: str,
        auth: MailchimpAuth,
        *,
        max_concurrency: int = 4,
        timeout: float = 60,
        max_retries: int = 8,
        max_backoff_seconds: float = 60,
        user_agent: str = "target-mailchimp",
        account_slots: AccountConnectionSlots | None = None,
    ) -> None:
        self.api_root = api_root.rstrip("/")
        # Shared with every other run on this account (connection_slots.py); None: this run only.
        self.account_slots = account_slots
        self.timeout = timeout
        self.max_retries = max_retries
        self.max_backoff_seconds = max_backoff_seconds
        self._in_flight = threading.BoundedSemaphore(max_concurrency)
        self._session = requests.Session()
        self._session.auth = auth
        self._session.headers["User-Agent"] = user_agent
        adapter = HTTPAdapter(pool_connections=1, pool_maxsize=max_concurrency, max_retries=0)
        self._session.mount("http://", adapter)
        self._session.mount("https://", adapter)
        self.calls_by_endpoint: dict[str, int] = {}
        self.in_flight = 0
        self.peak_in_flight = 0
        self._calls_lock = threading.Lock()

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, t.Any] | None = None,
        json: t.Any = None,
    ) -> t.Any:
        """Send one request, retrying transient failures; return the decoded body."""
        return self._with_retries(self._send_once)(method, path, params=params, json=json)

    def download(self, url: str) -> bytes:
        """Fetch an absolute URL (a batch's result archive) without credentials.

        The archive is served unauthenticated from storage outside the API, so
        the API key is never sent there, and its signed query never logged (not even
        by urllib3 at debug level).
        """
        query = urlsplit(url).query
        if query:
            redaction.install([query])
        return self._with_retries(self._download_once)("GET", url)

    def _with_retries(self, send: t.Callable[..., t.Any]) -> t.Callable[..., t.Any]:
        """`send` retried on 429, 5xx and dropped connections, with backoff and jitter."""
        return backoff.on_exception(
            lambda: _retry_delays(self.max_backoff_seconds),
            RETRYABLE_EXCEPTIONS,
            max_tries=self.max_retries + 1,
            jitter=None,
            on_backoff=self._log_retry,
            raise_on_giveup=True,
        )(send)

    def _download_once(self, method: str, url: str) -> bytes:
        self._count_call(method, ARCHIVE_LABEL)
        with self._in_flight:
            response = requests.request(method, url, timeout=self.timeout)
        if response.status_code >= 400:
            raise self._error_from(response, "GET", ARCHIVE_LABEL)
        return response.content

    def paginate(
        self,
        path: str,
        collection: str,
        *,
        params: Mapping[str, t.Any] | None = None,
        page_size: int = 1000,
    ) -> Iterator[dict[str, t.Any]]:
        """Yield every item of a collection, `page_size` (at most 1000) per request."""
        offset = 0
        while True:
            page = self.request(
                "GET", path, params={**(params or {}), "count": page_size, "offset": offset}
            )
            items = page.get(collection, [])
            yield from items
            offset += len(items)
            if not items or offset >= page.get("total_items", 0):
                return

    def _send_once(
        self, method: str, path: str, *, params: Mapping[str, t.Any] | None, json: t.Any
    ) -> t.Any:
        self._count_call(method, path)
        account_slot = self.account_slots.slot() if self.account_slots else contextlib.nullcontext()
        with self._in_flight, account_slot:
            self._track_in_flight(+1)
            try:
                response = self._session.request(
                    method,
                    f"{self.api_root}{path}",
                    params=params,
                    json=json,
                    timeout=self.timeout,
                )
            finally:
                self._track_in_flight(-1)
        if response.status_code < 400:
            return response.json() if response.content else None
        raise self._error_from(response, method, path)

    def _count_call(self, method: str, path: str) -> None:
        with self._calls_lock:
            key = f"{method} {path}"
            self.calls_by_endpoint[key] = self.calls_by_endpoint.get(key, 0) + 1

    def _track_in_flight(self, change: int) -> None:
        with self._calls_lock:
            self.in_flight += change
            self.peak_in_flight = max(self.peak_in_flight, self.in_flight)

    @staticmethod
    def _error_from(response: requests.Response, method: str, path: str) -> MailchimpAPIError:
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            body = {}
        retryable = response.status_code in RETRYABLE_STATUSES or (
            response.status_code == 403 and not body  # overload 403 has no JSON body
        )
        error_class = RetryableAPIError if retryable else MailchimpAPIError
        error = error_class(
            status=response.status_code,
            title=str(body.get("title") or response.reason or "HTTP error"),
            detail=str(body.get("detail") or ""),
            method=method,
            path=path,
            errors=list(body.get("errors") or []),
        )
        if isinstance(error, RetryableAPIError):
            error.retry_after = _parse_retry_after(response.headers.get("Retry-After"))
        return error

    @staticmethod
    def _log_retry(details: dict[str, t.Any]) -> None:
        method, path = details["args"][:2]
        if path.startswith(("http://", "https://")):
            path = ARCHIVE_LABEL
        LOGGER.warning(
            "Mailchimp request %s %s failed (%s); retry %d in %.1fs",
            method,
            path,
            details.get("exception"),
            details["tries"],
            details["wait"],
        )

    def close(self) -> None:
        """Release pooled connections and any connection slot still held."""
        self._session.close()
        if self.account_slots:
            self.account_slots.close()


def _parse_retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None  # An HTTP date: fall back to exponential backoff.
