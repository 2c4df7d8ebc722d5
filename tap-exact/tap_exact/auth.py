"""Exact Online's OAuth 2.0: rotating single-use refresh tokens, kept in the token store."""

from __future__ import annotations

import itertools
import logging
import random
import time
import typing as t
import urllib.parse

import backoff
import requests
import urllib3
from singer_sdk.authenticators import APIAuthenticatorBase

from tap_exact.token_store import TokenPair, TokenStore

LOGGER = logging.getLogger("tap_exact.auth")

# Exact refuses a new token less than 570 s after the previous one ("Access Token not
# expired"); access tokens live 600 s. A token is used until 30 s before it expires.
MIN_REFRESH_INTERVAL = 570.0
EXPIRY_MARGIN = 30.0
# When Exact says "too early" although our record says otherwise (clock skew).
EARLY_RETRY = 30.0
REAUTHORIZE = "Run `tap-exact authorize` to authorize the app again."
# A token request Exact certainly did not act on is tried 4 times in all, waiting up to
# 0.5, 1 and 2 s (full jitter), or Exact's `Retry-After` capped at 3 s. Read at call
# time, so tests can set them to 0.
TOKEN_TRIES = 4
TOKEN_RETRY_BASE_SECONDS = 0.5
TOKEN_RETRY_AFTER_CAP_SECONDS = 3.0


class AccessTokenError(RuntimeError):
    """No access token can be had: the message says what to fix."""


class ReauthorizationNeededError(AccessTokenError):
    """The refresh token is expired, spent or revoked: a person must authorize again."""


class ClientCredentialsError(AccessTokenError):
    """Exact does not accept the app's client id and secret."""


class ExactUnreachableError(AccessTokenError):
    """The token endpoint cannot be reached (wrong region or base URL, no network)."""


class TokenEndpointBusyError(RuntimeError):
    """Exact answered the token request 429 or 5xx: it spent no refresh token."""

    def __init__(self, response: requests.Response) -> None:
        super().__init__(f"Exact's token endpoint answered {response.status_code}")
        self.response = response
        self.retry_after = response.headers.get("Retry-After")


def safe_to_retry(error: Exception) -> bool:
    """Whether Exact certainly did not act on the token request, so it may be sent again.

    Refresh tokens are single-use: once the request is sent, a dropped connection or a
    read timeout may hide a rotation, so only an answer saying "busy" and a connection
    never opened (refused, unresolved, connect timeout) are safe.
    """
    if isinstance(error, TokenEndpointBusyError | requests.ConnectTimeout):
        return True
    reason = getattr(error.args[0], "reason", None) if error.args else None
    # urllib3's refused and unresolved connections subclass ConnectTimeoutError.
    return isinstance(reason, urllib3.exceptions.ConnectTimeoutError)


def token_retry_waits() -> t.Generator[float, BaseException | None, None]:
    """Exponential waits with full jitter, or Exact's `Retry-After` (capped).

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
    reason = str(error) if isinstance(error, TokenEndpointBusyError) else _cause(error)
    LOGGER.warning(
        "Token request failed (%s): try %d of %d in %.1f s",
        reason,
        details["tries"] + 1,
        TOKEN_TRIES,
        details["wait"],
    )


TokenRequest = t.Callable[[TokenPair], tuple[requests.Response, float]]


def with_token_retries(request: TokenRequest) -> TokenRequest:
    """`request`, tried again while Exact is busy or never got it."""
    return backoff.on_exception(
        token_retry_waits,
        (requests.ConnectionError, requests.Timeout, TokenEndpointBusyError),
        max_tries=TOKEN_TRIES,
        giveup=lambda error: not safe_to_retry(error),
        jitter=None,  # the waits are jittered already; `Retry-After` is kept as sent
        on_backoff=log_token_retry,
        logger=None,
    )(request)


def _cause(error: Exception) -> str:
    """The innermost reason of a connection error, e.g. `Connection refused`."""
    reason: BaseException = error
    for _ in range(10):  # requests → urllib3 → socket: a few levels deep
        inner = getattr(reason, "reason", None) or reason.__context__
        if not isinstance(inner, BaseException):
            break
        reason = inner
    return str(reason).rsplit("] ", 1)[-1] or type(reason).__name__


class ExactOAuth(APIAuthenticatorBase):
    """Bearer tokens from the token store, refreshed only when due or rejected."""

    def __init__(
        self,
        *,
        token_url: str,
        client_id: str,
        client_secret: str,
        store: TokenStore,
        seed_refresh_token: str | None = None,
        clock: t.Callable[[], float] = time.time,
        sleep: t.Callable[[float], None] = time.sleep,
    ) -> None:
        super().__init__()
        self.token_url = token_url
        self._client = (client_id, client_secret)
        self.store = store
        self.seed_refresh_token = seed_refresh_token
        self.clock = clock
        self.sleep = sleep
        self._pair: TokenPair | None = None
        self._rejected = False

    def authenticate_request(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        """Attach a valid bearer."""
        request.headers["Authorization"] = f"Bearer {self.access_token()}"
        return request

    def invalidate(self) -> None:
        """Exact rejected the bearer: the next request refreshes, even if not yet due."""
        self._rejected = True

    def access_token(self) -> str:
        """A bearer that is not about to expire; refreshes under the store's lock."""
        if self._usable(self._pair):
            return t.cast("str", t.cast("TokenPair", self._pair).access_token)
        with self.store.locked():
            pair = self.store.read()
            if pair is None:
                if not self.seed_refresh_token:
                    msg = f"The token store is empty and no `refresh_token` is set. {REAUTHORIZE}"
                    raise ReauthorizationNeededError(msg)
                pair = TokenPair(refresh_token=self.seed_refresh_token)
            ours = self._pair.access_token if self._pair else None
            if self._fresh(pair) and (not self._rejected or pair.access_token != ours):
                self._pair = pair  # still good, or another run refreshed it meanwhile
            else:
                self._pair = self._refresh(pair)
                self.store.write(self._pair)  # before the new tokens are ever used
        self._rejected = False
        return t.cast("str", self._pair.access_token)

    def _usable(self, pair: TokenPair | None) -> bool:
        return not self._rejected and self._fresh(pair)

    def _fresh(self, pair: TokenPair | None) -> bool:
        return bool(pair and pair.access_token and pair.expires_at - EXPIRY_MARGIN > self.clock())

    def _refresh(self, pair: TokenPair) -> TokenPair:
        """Spend the refresh token once; on "not expired", wait out the 570 s and retry.

        A due token is never early (600 s - 30 s margin = 570 s). A rejected one is
        renewed at once: Exact's clock, not ours, decides whether it is too early, and
        only then does the tap wait for the rest of the interval.
        """
        response, body, requested_at = self._token_request(pair)
        if _too_early(response, body):
            wait = max(pair.refreshed_at + MIN_REFRESH_INTERVAL - self.clock(), EARLY_RETRY)
            LOGGER.info("Exact allows a new token in %.0f s: waiting", wait)
            self.sleep(wait)
            response, body, requested_at = self._token_request(pair)
        if response.status_code in (400, 401) and not _too_early(response, body):
            reason = body.get("error_description") or body.get("error") or response.reason
            if body.get("error") == "invalid_client":
                # The app's own credentials, not the person's grant: authorizing again
                # would fail the same way.
                msg = (
                    f"Exact refused the app's credentials ({reason}): check `client_id` and "
                    "`client_secret` (Exact App Center)."
                )
                raise ClientCredentialsError(msg)
            msg = f"Exact refused the refresh token ({reason}). {REAUTHORIZE}"
            raise ReauthorizationNeededError(msg)
        if not response.ok:
            msg = (
                f"Exact's token endpoint answered {response.status_code}: "
                f"{body.get('error_description') or body.get('error') or response.reason}"
            )
            raise RuntimeError(msg)
        LOGGER.info("Exact access token refreshed (the refresh token rotated)")
        return token_pair(body, requested_at)

    def _token_request(self, pair: TokenPair) -> tuple[requests.Response, dict[str, t.Any], float]:
        """Exact's answer, retried only when Exact certainly spent no refresh token."""
        try:
            response, requested_at = with_token_retries(self._post_refresh)(pair)
        except TokenEndpointBusyError as busy:  # still busy after the last try
            response, requested_at = busy.response, self.clock()
        except (requests.ConnectionError, requests.Timeout) as error:
            parts = urllib.parse.urlsplit(self.token_url)
            origin = f"{parts.scheme}://{parts.netloc}"
            if safe_to_retry(error):  # no connection at all: a setting or the network
                msg = (
                    f"Cannot reach Exact Online at {origin} ({_cause(error)}): check "
                    "`region` (or `base_url`) and that this machine can reach it."
                )
            else:  # reached, but no answer: the pair is kept, and stays valid for a rerun
                msg = (
                    f"Exact Online at {origin} took the token request but gave no answer "
                    f"({_cause(error)}); the stored token pair is kept: run the job again."
                )
            raise ExactUnreachableError(msg) from error
        return response, _json(response), requested_at

    def _post_refresh(self, pair: TokenPair) -> tuple[requests.Response, float]:
        requested_at = self.clock()
        response = requests.post(
            self.token_url,
            data={
                "grant_type": "refresh_token",
                "refresh_token": pair.refresh_token,
                "client_id": self._client[0],
                "client_secret": self._client[1],
            },
            headers={"Accept": "application/json"},
            timeout=60,
        )
        if response.status_code == 429 or response.status_code >= 500:
            raise TokenEndpointBusyError(response)
        return response, requested_at


def _too_early(response: requests.Response, body: dict[str, t.Any]) -> bool:
    return response.status_code == 401 and "not expired" in str(body).lower()


def token_pair(body: dict[str, t.Any], requested_at: float) -> TokenPair:
    """The pair from a token response (`expires_in` may be a string)."""
    return TokenPair(
        refresh_token=body["refresh_token"],
        access_token=body["access_token"],
        expires_at=requested_at + float(body.get("expires_in") or 600),
        refreshed_at=requested_at,
    )


def _json(response: requests.Response) -> dict[str, t.Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
