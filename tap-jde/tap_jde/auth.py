"""The AIS session: one token per run, renewed on 444, always logged out.

`POST /jderest/v2/tokenrequest` answers a token bound to the `deviceName` sent with it;
every call then carries `jde-AIS-Auth: <token>` and `jde-AIS-Auth-Device: <device>`
(Oracle, "Using a Token"; reference B1). A session ends after an idle timeout the
server's `rest.ini` sets, after which its token answers 444 Invalid Token. Open sessions
hold server resources until they time out, so the tap logs out at the end of every run.
"""

from __future__ import annotations

import logging
import re
import typing as t

import requests
from requests.adapters import HTTPAdapter
from singer_sdk.authenticators import APIAuthenticatorBase
from singer_sdk.exceptions import FatalAPIError
from urllib3.util import Retry

from tap_jde.dataservice import error_text

TOKEN_HEADER = "jde-AIS-Auth"  # noqa: S105 - a header name
DEVICE_HEADER = "jde-AIS-Auth-Device"
DEFAULT_DATE_FORMAT = "MM/dd/yyyy"
LOGGER = logging.getLogger("tap_jde.auth")

_REFUSALS = {
    403: "the AIS Server refused the sign-in (403 Authorization Failure): check `username`, "
    "`password`, `environment` and `role`.",
    405: "the AIS Server refused the token request (405): its HTML Server's Allowed Hosts "
    "setting does not accept this AIS Server yet.",
}


class TokenRedactingFilter(logging.Filter):
    """Masks `token=…` in log records: next-page links carry the session token.

    urllib3 logs every request line (with the query string) at DEBUG level.
    """

    PATTERN = re.compile(r"(token=)[^&\s\"']+", re.IGNORECASE)

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the message and its arguments; never drop the record."""
        if isinstance(record.msg, str):
            record.msg = self.PATTERN.sub(r"\1<hidden>", record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(
                self.PATTERN.sub(r"\1<hidden>", arg) if isinstance(arg, str) else arg
                for arg in record.args
            )
        return True


def hide_tokens_in_http_logs() -> None:
    """Install the filter on the loggers that print request URLs (once)."""
    for name in ("urllib3.connectionpool", "requests"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, TokenRedactingFilter) for f in logger.filters):
            logger.addFilter(TokenRedactingFilter())


class AisSession(APIAuthenticatorBase):
    """Signs in once, sends the token and device with every request, logs out at the end."""

    def __init__(
        self,
        *,
        base_url: str,
        username: str,
        password: str,
        device_name: str,
        environment: str | None = None,
        role: str | None = None,
        timeout: float = 60,
    ) -> None:
        super().__init__()
        self.base_url = base_url.rstrip("/")
        self.device_name = device_name
        self._sign_in_body = {
            "username": username,
            "password": password,
            "deviceName": device_name,
            "environment": environment,
            "role": role,
        }
        self._timeout = timeout
        self._http = requests.Session()
        # Sign-in and logout carry no cursor, so they can be retried when the server or
        # the network fails for a moment.
        retry = Retry(
            total=3,
            backoff_factor=1,
            status_forcelist=(429, 500, 502, 503, 504),
            allowed_methods=None,
            raise_on_status=False,
        )
        self._http.mount("http://", HTTPAdapter(max_retries=retry))
        self._http.mount("https://", HTTPAdapter(max_retries=retry))
        self._token: str | None = None
        self.user_date_format = DEFAULT_DATE_FORMAT
        hide_tokens_in_http_logs()

    def __repr__(self) -> str:
        return f"AisSession(base_url={self.base_url!r}, signed_in={self.signed_in})"

    @property
    def signed_in(self) -> bool:
        """Whether a token is held."""
        return self._token is not None

    def authenticate_request(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        """Attach the token and the device it is bound to, signing in on first use."""
        token = self.token()
        request.headers[TOKEN_HEADER] = token
        request.headers[DEVICE_HEADER] = self.device_name
        return request

    def token(self) -> str:
        """The session's token, signing in first if none is held."""
        if self._token is None:
            self.sign_in()
        return t.cast("str", self._token)

    def sign_in(self) -> None:
        """`POST /jderest/v2/tokenrequest`; keeps the token and the user's date format."""
        body = {key: value for key, value in self._sign_in_body.items() if value}
        try:
            response = self._http.post(
                f"{self.base_url}/jderest/v2/tokenrequest", json=body, timeout=self._timeout
            )
        except (requests.ConnectionError, requests.Timeout) as error:
            msg = (
                f"Cannot reach the JD Edwards AIS Server at {self.base_url} ({_cause(error)}): "
                "check `base_url` and that this machine can reach it."
            )
            raise FatalAPIError(msg) from error
        if not response.ok:
            reason = _REFUSALS.get(response.status_code) or (
                f"the AIS Server answered the token request with {response.status_code} "
                f"{response.reason}: {_body_text(response)}"
            )
            raise FatalAPIError(f"JD Edwards sign-in failed: {reason}")
        user_info = response.json().get("userInfo") or {}
        if not user_info.get("token"):
            msg = "JD Edwards sign-in failed: the token response holds no userInfo.token."
            raise FatalAPIError(msg)
        self._token = str(user_info["token"])
        self.user_date_format = str(user_info.get("simpleDateFormat") or DEFAULT_DATE_FORMAT)
        LOGGER.info("Signed in to the AIS Server as %s", body["username"])

    def renew(self) -> None:
        """The token died (444): sign in again. The old session is gone, nothing to end."""
        self._token = None
        self.sign_in()

    def close(self) -> None:
        """`POST /jderest/v2/tokenrequest/logout`, so the session frees its resources now."""
        if self._token is None:
            return
        token, self._token = self._token, None
        try:
            response = self._http.post(
                f"{self.base_url}/jderest/v2/tokenrequest/logout",
                json={"token": token},
                timeout=self._timeout,
            )
        except requests.RequestException as error:
            LOGGER.warning(
                "AIS logout failed (%s); the session times out by itself", type(error).__name__
            )
            return
        if not response.ok:
            # 444: the session had already ended (timed out) on the server.
            LOGGER.warning(
                "AIS logout answered %s; the session times out by itself", response.status_code
            )
        else:
            LOGGER.info("Logged out of the AIS Server")


def _cause(error: Exception) -> str:
    """The innermost reason of a connection error, e.g. `Connection refused`."""
    reason: BaseException = error
    for _ in range(10):  # requests → urllib3 → socket: a few levels deep
        inner = getattr(reason, "reason", None) or reason.__context__
        if not isinstance(inner, BaseException):
            break
        reason = inner
    return str(reason).rsplit("] ", 1)[-1] or type(reason).__name__


def _body_text(response: requests.Response) -> str:
    try:
        return error_text(response.json()) or "no detail"
    except ValueError:
        return response.text[:300] or "no detail"
