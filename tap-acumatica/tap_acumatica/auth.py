"""Acumatica authentication: OAuth 2.0 (password or refresh grant) or a cookie session."""

from __future__ import annotations

import functools
import itertools
import json
import logging
import random
import sys
import typing as t

import backoff
import requests
from singer_sdk.authenticators import APIAuthenticatorBase, OAuthAuthenticator
from singer_sdk.exceptions import FatalAPIError

LOGGER = logging.getLogger("tap_acumatica.auth")
SCOPE = "api offline_access"
T = t.TypeVar("T")
# A busy or unreachable token endpoint (or endpoint list) is tried 4 times in all,
# waiting up to 0.5, 1 and 2 s (full jitter), or the server's `Retry-After` capped at
# 3 s. Read at call time, so tests can set them to 0.
TRIES = 4
RETRY_BASE_SECONDS = 0.5
RETRY_AFTER_CAP_SECONDS = 3.0


class TokenRefusedError(FatalAPIError):
    """Acumatica's token endpoint refused the grant or the client."""


class AcumaticaBusyError(FatalAPIError):
    """Acumatica answered 429 or 5xx: retried, and fatal once the tries are spent."""

    def __init__(self, message: str, retry_after: str | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def retry_waits() -> t.Generator[float, BaseException | None, None]:
    """Exponential waits with full jitter, or a busy server's `Retry-After` (capped).

    `backoff` sends each caught exception into the generator.
    """
    error = yield 0.0
    for attempt in itertools.count():
        retry_after = getattr(error, "retry_after", None) or ""
        if retry_after.isdigit():
            wait = min(float(retry_after), RETRY_AFTER_CAP_SECONDS)
        else:
            wait = random.uniform(0, RETRY_BASE_SECONDS * 2**attempt)  # noqa: S311
        error = yield wait


def log_retry(what: str, details: t.Any) -> None:
    """One WARNING per retry: the status or connection cause, never the request."""
    error = details["exception"]
    reason = str(error) if isinstance(error, AcumaticaBusyError) else cause(error)
    LOGGER.warning(
        "%s failed (%s): try %d of %d in %.1f s",
        what,
        reason,
        details["tries"] + 1,
        TRIES,
        details["wait"],
    )


def with_quick_retries(request: t.Callable[..., T], what: str) -> t.Callable[..., T]:
    """`request`, tried again while Acumatica is unreachable or busy."""
    return backoff.on_exception(
        retry_waits,
        (requests.ConnectionError, requests.Timeout, AcumaticaBusyError),
        max_tries=TRIES,
        jitter=None,  # the waits are jittered already; `Retry-After` is kept as sent
        on_backoff=functools.partial(log_retry, what),
        logger=None,
    )(request)


def retry_after_header() -> str | None:
    """`Retry-After` of the token answer being handled.

    The SDK calls `handle_error` inside its `except HTTPError`, whose response it is.
    """
    response = getattr(sys.exception(), "response", None)
    return None if response is None else response.headers.get("Retry-After")


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


class AcumaticaOAuth(OAuthAuthenticator):
    """OAuth 2.0 at `{base_url}/identity/connect/token`, one token for every stream.

    Acumatica offers no client-credentials flow: the resource-owner password grant
    (or a refresh token) is used. Refresh tokens rotate: the newest one is kept.
    """

    def __init__(
        self,
        *,
        token_url: str,
        client_id: str,
        client_secret: str,
        username: str | None = None,
        password: str | None = None,
        refresh_token: str | None = None,
    ) -> None:
        super().__init__(
            auth_endpoint=token_url,
            oauth_scopes=SCOPE,
            client_id=client_id,
            client_secret=client_secret,
        )
        self._username = username
        self._password = password
        self.refresh_token = refresh_token

    @property
    def oauth_request_body(self) -> dict[str, t.Any]:
        """A refresh grant when a refresh token is held, else the password grant."""
        credentials = {"client_id": self.client_id, "client_secret": self.client_secret}
        if self.refresh_token:
            return {
                "grant_type": "refresh_token",
                "refresh_token": self.refresh_token,
                **credentials,
            }
        return {
            "grant_type": "password",
            "username": self._username,
            "password": self._password,
            "scope": SCOPE,
            **credentials,
        }

    def update_access_token(self) -> None:
        """Get a token; fall back to the password grant if the refresh token is refused."""
        try:
            self._request_token()
        except TokenRefusedError:
            if not (self.refresh_token and self._username and self._password):
                raise
            LOGGER.info("Refresh token refused: signing in with the password grant")
            self.refresh_token = None
            self._request_token()

    def _request_token(self) -> None:
        try:
            with_quick_retries(super().update_access_token, "Token request")()
        except (requests.ConnectionError, requests.Timeout) as error:
            msg = (
                f"Cannot reach Acumatica's token endpoint {self.auth_endpoint} "
                f"({cause(error)}): check `base_url` and that this machine can reach it."
            )
            raise FatalAPIError(msg) from error

    def handle_error(self, *, content: str, status_code: int | None) -> None:
        """A refused token request, in Acumatica's words, with the settings to check."""
        detail = oauth_error_text(content)
        if "Login Limit" in detail:
            msg = (
                f"Acumatica refused the token request ({status_code} {detail}): the licence's "
                "API user limit is reached; sessions left open by other clients count too."
            )
            raise FatalAPIError(msg)
        if status_code in (400, 401, 403):
            grant = "`refresh_token`" if self.refresh_token else "`username` and `password`"
            msg = (
                f"Acumatica refused the token request ({status_code} {detail}): check "
                f"`client_id`, `client_secret` and {grant} (Connected Applications, SM303010)."
            )
            raise TokenRefusedError(msg)
        msg = f"Acumatica's token endpoint answered {status_code}: {detail}"
        if status_code == 429 or (status_code or 0) >= 500:
            raise AcumaticaBusyError(msg, retry_after=retry_after_header())
        raise FatalAPIError(msg)

    def invalidate(self) -> None:
        """Forget the access token: the next request gets a new one."""
        self.last_refreshed = None

    def close(self) -> None:
        """Sign the token's session out, so it stops counting against the licence.

        Acumatica ends an `api offline_access` session by itself when its token
        expires; signing out at the end of the run frees the API user slot now.
        """
        if not self.access_token:
            return
        logout = self.auth_endpoint.replace("/identity/connect/token", "/entity/auth/logout")
        try:
            self._session.post(
                logout, headers={"Authorization": f"Bearer {self.access_token}"}, timeout=60
            )
        except requests.RequestException as error:
            LOGGER.warning("Acumatica sign-out failed (%s); the session expires by itself", error)
        finally:
            self.access_token = None
            self.last_refreshed = None


class AcumaticaCookieSession(APIAuthenticatorBase):
    """Cookie login (`/entity/auth/login`), always ended by `/entity/auth/logout`.

    Every open session counts against the licence's API user limit, so the tap
    logs out at the end of every run, a failed one included.
    """

    def __init__(
        self,
        *,
        base_url: str,
        username: str,
        password: str,
        tenant: str | None = None,
        branch: str | None = None,
        timeout: float = 60,
    ) -> None:
        super().__init__()
        self.base_url = base_url.rstrip("/")
        self._login = {"name": username, "password": password, "tenant": tenant, "branch": branch}
        self._session = requests.Session()
        self._timeout = timeout
        self.logged_in = False

    def authenticate_request(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        """Attach the session cookies, logging in on first use."""
        if not self.logged_in:
            self.login()
        request.prepare_cookies(self._session.cookies)
        return request

    def login(self) -> None:
        """Open a session; a 429 means the licence's API user limit is reached."""
        body = {key: value for key, value in self._login.items() if value}
        response = self._session.post(
            f"{self.base_url}/entity/auth/login", json=body, timeout=self._timeout
        )
        if response.status_code == 429:
            msg = (
                "Acumatica refused the login: the licence's API user limit is reached "
                "(API Login Limit). Sessions left open by other clients count too."
            )
            raise RuntimeError(msg)
        if not response.ok:
            msg = (
                f"Acumatica login failed ({response.status_code}): check username, password "
                "and tenant."
            )
            raise RuntimeError(msg)
        self._session.cookies.update(response.cookies)
        self.logged_in = True

    def invalidate(self) -> None:
        """The session expired: log in again on the next request."""
        self.logged_in = False

    def close(self) -> None:
        """Log out, so the session stops counting against the licence."""
        if not self.logged_in:
            return
        try:
            self._session.post(f"{self.base_url}/entity/auth/logout", timeout=self._timeout)
        finally:
            self.logged_in = False
            self._session.cookies.clear()
