"""The identity domain (IDCS / OCI IAM) tied to the pod: the OAuth 2.0 client
credentials grant and the access tokens it issues (reference B3).

``POST /oauth2/v1/token`` with ``grant_type=client_credentials`` and
``scope=urn:opc:resource:consumer::all`` (alone, or prefixed by the pod's audience,
``https://<pod>:443urn:opc:resource:consumer::all``); the client authenticates with
HTTP Basic ``client_id:client_secret`` or with the form fields ``client_id`` and
``client_secret``.
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass

import jwt

from erp_sandbox.fusion.settings import ALL_RESOURCES_SCOPE, FusionSettings

TOKEN_PATH = "/oauth2/v1/token"  # noqa: S105 - a path, not a secret
ISSUER = "https://identity.oraclecloud.com/"


class TokenRequestError(Exception):
    """A refused token request: ``{"error", "error_description"}`` with ``status``."""

    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(f"{status} {error}: {description}")
        self.status = status
        self.error = error
        self.description = description

    def body(self) -> bytes:
        """The JSON body IDCS answers with."""
        return json.dumps({"error": self.error, "error_description": self.description}).encode()


def basic_credentials(authorization: str) -> tuple[str, str] | None:
    """``(user, secret)`` from an ``Authorization: Basic …`` header, or None."""
    scheme, _, encoded = authorization.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    user, colon, secret = decoded.partition(":")
    return (user, secret) if colon else None


def authenticate_client(authorization: str, form: dict[str, str], settings: FusionSettings) -> str:
    """The client id, from Basic or from the form; 401 ``invalid_client`` otherwise."""
    credentials = basic_credentials(authorization)
    if credentials is None and "client_id" in form:
        credentials = (form["client_id"], form.get("client_secret", ""))
    if credentials is None:
        raise TokenRequestError(401, "invalid_client", "Client authentication failed.")
    client_id, secret = credentials
    expected = settings.clients.get(client_id)
    if expected is None or not secrets.compare_digest(expected, secret):
        raise TokenRequestError(401, "invalid_client", "Client authentication failed.")
    return client_id


def check_scope(scope: str | None, audiences: Iterable[str]) -> str:
    """The accepted scope; 400 ``invalid_scope`` unless it is the All scope alone, bare
    or prefixed by one of ``audiences``."""
    requested = (scope or "").split()
    accepted = {ALL_RESOURCES_SCOPE} | {f"{a}{ALL_RESOURCES_SCOPE}" for a in audiences}
    if len(requested) != 1 or requested[0] not in accepted:
        raise TokenRequestError(
            400, "invalid_scope", "The requested scope is invalid, unknown, or malformed."
        )
    return requested[0]


@dataclass
class AccessToken:
    """An issued bearer token."""

    token_id: str
    client_id: str
    scope: str
    expires_at: float


class AccessTokens:
    """Tokens issued by the token endpoint; thread-safe. Expiry follows the wall clock."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tokens: dict[str, AccessToken] = {}
        self._signing_key = secrets.token_bytes(32)

    def issue(self, client_id: str, scope: str, lifetime: float, audience: str) -> str:
        """A new bearer token (a JWT, as IDCS issues) valid for ``lifetime`` seconds."""
        now = time.time()
        token_id = secrets.token_hex(16)
        claims = {
            "iss": ISSUER,
            "sub": client_id,
            "client_id": client_id,
            "aud": [audience],
            "scope": scope,
            "tok_type": "AT",
            "iat": int(now),
            "exp": int(now + lifetime),
            "jti": token_id,
        }
        with self._lock:
            self._tokens[token_id] = AccessToken(token_id, client_id, scope, now + lifetime)
        return jwt.encode(claims, self._signing_key, algorithm="HS256")

    def check(self, bearer: str) -> AccessToken | None:
        """The live token behind ``bearer``, or None (unknown, revoked or expired)."""
        try:
            claims = jwt.decode(
                bearer,
                self._signing_key,
                algorithms=["HS256"],
                options={"verify_aud": False, "verify_exp": False},
            )
        except jwt.PyJWTError:
            return None
        with self._lock:
            token = self._tokens.get(str(claims.get("jti")))
        if token is None or token.expires_at <= time.time():
            return None
        return token

    def revoke_all(self) -> int:
        """Invalidate every issued token now (simulates expiry mid-run)."""
        with self._lock:
            revoked = len(self._tokens)
            self._tokens.clear()
        return revoked

    def __len__(self) -> int:
        now = time.time()
        with self._lock:
            return sum(1 for t in self._tokens.values() if t.expires_at > now)


def token_response(access_token: str, lifetime: float) -> bytes:
    """The success body: ``{"access_token", "token_type": "Bearer", "expires_in"}``."""
    return json.dumps(
        {"access_token": access_token, "token_type": "Bearer", "expires_in": int(lifetime)}
    ).encode()
