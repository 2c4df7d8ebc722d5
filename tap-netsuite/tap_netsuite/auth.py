"""NetSuite authentication: OAuth 2.0 client credentials (JWT assertion) or TBA."""

from __future__ import annotations

import datetime as dt
import json
import typing as t
import urllib.parse

import jwt
import requests
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from oauthlib.oauth1 import SIGNATURE_HMAC_SHA256, SIGNATURE_TYPE_AUTH_HEADER
from oauthlib.oauth1 import Client as OAuth1Client
from singer_sdk.authenticators import APIAuthenticatorBase, OAuthAuthenticator
from singer_sdk.exceptions import FatalAPIError

CLIENT_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
# The assertion may live at most 60 minutes (Oracle); a short life is plenty.
ASSERTION_LIFETIME = dt.timedelta(minutes=5)
# Renew the 60-minute bearer this long (at most a tenth of its life) before it expires.
RENEW_MARGIN_SECONDS = 300
# ES curves → JWS algorithms; NetSuite accepts PS256/384/512 and ES256/384/512, not RS256.
EC_ALGORITHMS = {"secp256r1": "ES256", "secp384r1": "ES384", "secp521r1": "ES512"}


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
        """A new bearer; an unreachable token endpoint stops the run saying what to check."""
        try:
            super().update_access_token()
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
        else:
            msg = f"NetSuite's token endpoint answered {status_code}: {detail}"
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
