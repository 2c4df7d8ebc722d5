"""Oracle Fusion authentication: OAuth 2.0 client credentials at the identity domain."""

from __future__ import annotations

import base64
import itertools
import json
import logging
import random
import sys
import typing as t
import urllib.parse

import backoff
import requests
from singer_sdk.authenticators import OAuthAuthenticator
from singer_sdk.exceptions import FatalAPIError

LOGGER = logging.getLogger("tap_oracle_fusion.auth")
# A busy or unreachable token endpoint is tried 4 times in all, waiting up to 0.5, 1 and
# 2 s (full jitter), or the endpoint's `Retry-After` capped at 3 s. Read at call time,
# so tests can set them to 0.
TOKEN_TRIES = 4
TOKEN_RETRY_BASE_SECONDS = 0.5
TOKEN_RETRY_AFTER_CAP_SECONDS = 3.0


class TokenEndpointBusyError(FatalAPIError):
    """The token endpoint answered 429 or 5xx: retried, and fatal once the tries are spent."""

    def __init__(self, message: str, retry_after: str | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def token_retry_waits() -> t.Generator[float, BaseException | None, None]:
    """Exponential waits with full jitter, or the busy endpoint's `Retry-After` (capped).

    `backoff` sends each caught exception into the generator.
    """
    error = yield 0.0
    for attempt in itertools.count():
        retry_after = getattr(error, "retry_after", None) or ""
        if retry_after.isdigit():
            wait = min(float(retry_after), TOKEN_RETRY_AFTER_CAP_SECONDS)
        else:
            wait = random.uniform(0, TOKEN_RETRY_BASE_SECONDS * 2**attempt)  # noqa: S311
        error = yield wait


def log_token_retry(details: t.Any) -> None:
    """One WARNING per retry: the status or connection cause, never the request."""
    error = details["exception"]
    reason = str(error) if isinstance(error, TokenEndpointBusyError) else cause(error)
    LOGGER.warning(
        "Token request failed (%s): try %d of %d in %.1f s",
        reason,
        details["tries"] + 1,
        TOKEN_TRIES,
        details["wait"],
    )


def with_token_retries(request: t.Callable[[], None]) -> t.Callable[[], None]:
    """`request`, tried again while the token endpoint is unreachable or busy."""
    return backoff.on_exception(
        token_retry_waits,
        (requests.ConnectionError, requests.Timeout, TokenEndpointBusyError),
        max_tries=TOKEN_TRIES,
        jitter=None,  # the waits are jittered already; `Retry-After` is kept as sent
        on_backoff=log_token_retry,
        logger=None,
    )(request)


def retry_after_header() -> str | None:
    """`Retry-After` of the token answer being handled.

    The SDK calls `handle_error` inside its `except HTTPError`, whose response it is.
    """
    response = getattr(sys.exception(), "response", None)
    return None if response is None else response.headers.get("Retry-After")


def origin(url: str) -> str:
    """Scheme, host and port of a URL: where a request went, without path or query."""
    parts = urllib.parse.urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def cause(error: Exception) -> str:
    """The innermost reason of a connection error, e.g. `Connection refused`."""
    reason: BaseException = error
    for _ in range(10):  # requests → urllib3 → socket: a few levels deep
        inner = getattr(reason, "reason", None) or reason.__context__
        if not isinstance(inner, BaseException):
            break
        reason = inner
    return str(reason).rsplit("] ", 1)[-1] or type(reason).__name__


def oauth_error_text(content: str) -> str:
    """`error: error_description` of an OAuth error body, else the start of the body."""
    try:
        body = json.loads(content)
    except ValueError:
        body = None
    if isinstance(body, dict) and body.get("error"):
        return ": ".join(str(body[key]) for key in ("error", "error_description") if body.get(key))
    return content[:200] or "no detail"


class FusionClientCredentials(OAuthAuthenticator):
    """Client credentials with HTTP Basic client authentication (IDCS / OCI IAM).

    One instance serves every stream: the bearer is reused for its whole life
    (`expires_in`, 3600 s by default) and renewed once when Fusion answers 401.
    """

    def __init__(self, *, token_url: str, client_id: str, client_secret: str, scope: str) -> None:
        credentials = base64.b64encode(f"{client_id}:{client_secret}".encode()).decode()
        super().__init__(
            auth_endpoint=token_url,
            oauth_scopes=scope,
            client_id=client_id,
            client_secret=client_secret,
            oauth_headers={"Authorization": f"Basic {credentials}"},
        )

    @property
    def oauth_request_body(self) -> dict[str, t.Any]:
        """The token request form (the client authenticates in the header)."""
        return {"grant_type": "client_credentials", "scope": self.oauth_scopes}

    def update_access_token(self) -> None:
        """A new bearer, retried a few times; an unreachable identity domain stops the run."""
        try:
            with_token_retries(super().update_access_token)()
        except (requests.ConnectionError, requests.Timeout) as error:
            msg = (
                f"Cannot reach the Oracle identity domain at {origin(self.auth_endpoint)} "
                f"({cause(error)}): check `token_url` and that this machine can reach it."
            )
            raise FatalAPIError(msg) from error

    def handle_error(self, *, content: str, status_code: int | None) -> None:
        """A refused token request, in the identity domain's words, with what to check."""
        detail = oauth_error_text(content)
        if status_code in (400, 401, 403):
            msg = (
                f"The Oracle identity domain refused the token request ({status_code} {detail}): "
                "check `client_id`, `client_secret`, `scope` and `token_url`."
            )
            raise FatalAPIError(msg)
        msg = f"The Oracle identity domain's token endpoint answered {status_code}: {detail}"
        if status_code == 429 or (status_code or 0) >= 500:
            raise TokenEndpointBusyError(msg, retry_after=retry_after_header())
        raise FatalAPIError(msg)

    def invalidate(self) -> None:
        """Forget the bearer: the next request asks for a new one."""
        self.last_refreshed = None
