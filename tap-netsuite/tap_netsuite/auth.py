"""NetSuite authentication: OAuth 2.0 client credentials (JWT assertion) or TBA."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import logging
import random
import sys
import typing as t
import urllib.parse

import backoff
import jwt
import requests
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from oauthlib.oauth1 import SIGNATURE_HMAC_SHA256, SIGNATURE_TYPE_AUTH_HEADER
from oauthlib.oauth1 import Client as OAuth1Client
from singer_sdk.authenticators import APIAuthenticatorBase, OAuthAuthenticator
from singer_sdk.exceptions import FatalAPIError

LOGGER = logging.getLogger("tap_netsuite.auth")
CLIENT_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
# The assertion may live at most 60 minutes (Oracle); a short life is plenty.
ASSERTION_LIFETIME = dt.timedelta(minutes=5)
# Renew the 60-minute bearer this long (at most a tenth of its life) before it expires.
RENEW_MARGIN_SECONDS = 300
# ES curves → JWS algorithms; NetSuite accepts PS256/384/512 and ES256/384/512, not RS256.
EC_ALGORITHMS = {"secp256r1": "ES256", "secp384r1": "ES384", "secp521r1": "ES512"}
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


def signing_algorithm(private_key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> str:
    """PS256 for RSA keys, ES256/384/512 for EC keys by curve."""
    if isinstance(private_key, rsa.RSAPrivateKey):
        return "PS256"
    if isinstance(private_key, ec.EllipticCurvePrivateKey):
        return EC_ALGORITHMS[private_key.curve.name]
    msg = "The NetSuite certificate's private key must be an RSA or EC key."
    raise ValueError(msg)


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


class NetSuiteOAuth2Authenticator(OAuthAuthenticator):
    """OAuth 2.0 client credentials (M2M): a signed JWT assertion buys a 60-minute bearer.

    One instance serves every stream, so the bearer is reused until shortly before
    it expires, and renewed once when NetSuite rejects it early.
    """

    def __init__(
        self,
        *,
        token_url: str,
        client_id: str,
        certificate_id: str,
        private_key: str,
        scope: str = "rest_webservices",
    ) -> None:
        super().__init__(auth_endpoint=token_url, oauth_scopes=scope, client_id=client_id)
        self.certificate_id = certificate_id
        try:
            self._key = load_pem_private_key(private_key.encode(), password=None)
        except ValueError:
            # `from None`: the parser's message must not echo the key material.
            msg = "`private_key` is not an unencrypted PEM private key (RSA or EC)."
            raise ValueError(msg) from None
        self.algorithm = signing_algorithm(self._key)  # type: ignore[arg-type]

    @property
    def oauth_request_body(self) -> dict[str, t.Any]:
        """The assertion's claims: `iss` client id, `aud` token URL, short `exp`."""
        now = dt.datetime.now(dt.UTC)
        return {
            "iss": self.client_id,
            "scope": self.oauth_scopes,
            "aud": self.auth_endpoint,
            "iat": int(now.timestamp()),
            "exp": int((now + ASSERTION_LIFETIME).timestamp()),
        }

    @property
    def oauth_request_payload(self) -> dict[str, t.Any]:
        """The token request form: client credentials with a signed JWT assertion."""
        assertion = jwt.encode(
            self.oauth_request_body,
            self._key,  # type: ignore[arg-type]
            algorithm=self.algorithm,
            headers={"kid": self.certificate_id, "typ": "JWT"},
        )
        return {
            "grant_type": "client_credentials",
            "client_assertion_type": CLIENT_ASSERTION_TYPE,
            "client_assertion": assertion,
        }

    def update_access_token(self) -> None:
        """A new bearer, retried a few times; an unreachable endpoint stops the run."""
        try:
            with_token_retries(super().update_access_token)()
        except (requests.ConnectionError, requests.Timeout) as error:
            msg = (
                f"Cannot reach NetSuite at {origin(self.auth_endpoint)} ({cause(error)}): "
                "check `account_id` (or `base_url`) and that this machine can reach it."
            )
            raise FatalAPIError(msg) from error

    def handle_error(self, *, content: str, status_code: int | None) -> None:
        """A refused token request, in NetSuite's words, with the settings to check."""
        detail = oauth_error_text(content)
        if status_code in (400, 401, 403):
            msg = (
                f"NetSuite refused the token request ({status_code} {detail}): check "
                "`client_id`, `certificate_id`, the private key and `account_id`, and that "
                "the certificate is mapped to the integration in NetSuite."
            )
            raise FatalAPIError(msg)
        msg = f"NetSuite's token endpoint answered {status_code}: {detail}"
        if status_code == 429 or (status_code or 0) >= 500:
            raise TokenEndpointBusyError(msg, retry_after=retry_after_header())
        raise FatalAPIError(msg)

    def is_token_valid(self) -> bool:
        """Valid until a few minutes before NetSuite's expiry."""
        if self.last_refreshed is None:
            return False
        if not self.expires_in:
            return True
        age = (dt.datetime.now(dt.UTC) - self.last_refreshed).total_seconds()
        margin = min(RENEW_MARGIN_SECONDS, self.expires_in / 10)
        return age < self.expires_in - margin

    def invalidate(self) -> None:
        """Forget the bearer: the next request asks for a new one."""
        self.last_refreshed = None


class NetSuiteTBAAuthenticator(APIAuthenticatorBase):
    """Token-based authentication: OAuth 1.0a with HMAC-SHA256.

    NetSuite wants a fresh nonce, timestamp and signature on every request, retries
    included; the SDK calls the authenticator on every attempt, so each one is signed.
    """

    def __init__(
        self,
        *,
        account_realm: str,
        consumer_key: str,
        consumer_secret: str,
        token_id: str,
        token_secret: str,
    ) -> None:
        super().__init__()
        self._client = OAuth1Client(
            consumer_key,
            client_secret=consumer_secret,
            resource_owner_key=token_id,
            resource_owner_secret=token_secret,
            signature_method=SIGNATURE_HMAC_SHA256,
            signature_type=SIGNATURE_TYPE_AUTH_HEADER,
            realm=account_realm,
        )

    def authenticate_request(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        """Sign one request; the JSON body is not part of the OAuth 1.0a base string."""
        _, headers, _ = self._client.sign(
            t.cast("str", request.url), http_method=t.cast("str", request.method)
        )
        request.headers["Authorization"] = headers["Authorization"]
        return request

    def invalidate(self) -> None:
        """Nothing to renew: every request is signed afresh."""
