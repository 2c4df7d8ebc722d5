"""OAuth 2.0 client credentials (machine to machine): the token endpoint's checks of the
JWT client assertion, and the access tokens it issues (reference A3).

The assertion must name a mapped certificate (``kid``), be signed with PS256/384/512 or
ES256/384/512 by that certificate's key, come from a known client (``iss``), be meant for
the token URL (``aud``), ask for ``rest_webservices``, and live at most an hour.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import jwt
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from erp_sandbox.netsuite.settings import NetSuiteSettings

TOKEN_PATH = "/services/rest/auth/oauth2/v1/token"  # noqa: S105 - a path, not a secret
CLIENT_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
ALLOWED_ALGORITHMS = ("PS256", "PS384", "PS512", "ES256", "ES384", "ES512")
REQUIRED_SCOPE = "rest_webservices"
MAX_ASSERTION_SECONDS = 3600
#: Tolerated clock difference for ``iat``/``exp``.
CLOCK_SKEW_SECONDS = 300


class TokenRequestError(Exception):
    """A refused token request: ``{"error": code}`` with ``status``; ``reason`` is for
    humans (the emulator sends it in a header, NetSuite only logs it)."""

    def __init__(self, status: int, code: str, reason: str) -> None:
        super().__init__(f"{status} {code}: {reason}")
        self.status = status
        self.code = code
        self.reason = reason


def _invalid_request(reason: str) -> TokenRequestError:
    return TokenRequestError(400, "invalid_request", reason)


def _invalid_client(reason: str) -> TokenRequestError:
    return TokenRequestError(401, "invalid_client", reason)


def _invalid_grant(reason: str) -> TokenRequestError:
    return TokenRequestError(400, "invalid_grant", reason)


@dataclass
class AccessToken:
    """An issued bearer token."""

    token_id: str
    client_id: str
    certificate_id: str
    expires_at: float


class AccessTokens:
    """Tokens issued by the token endpoint; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tokens: dict[str, AccessToken] = {}
        self._signing_key = secrets.token_bytes(32)

    def issue(self, client_id: str, certificate_id: str, lifetime: float, audience: str) -> str:
        """A new bearer token (a JWT, as NetSuite's are) valid for ``lifetime`` seconds."""
        now = time.time()
        token_id = secrets.token_hex(16)
        claims = {
            "iss": "https://system.netsuite.com",
            "sub": client_id,
            "aud": audience,
            "iat": int(now),
            "exp": int(now + lifetime),
            "jti": token_id,
            "scope": [REQUIRED_SCOPE],
        }
        with self._lock:
            self._tokens[token_id] = AccessToken(
                token_id, client_id, certificate_id, now + lifetime
            )
        return jwt.encode(claims, self._signing_key, algorithm="HS256")

    def check(self, bearer: str) -> AccessToken | None:
        """The live token behind ``bearer``, or None (unknown, revoked or expired)."""
        try:
            claims = jwt.decode(
                bearer, self._signing_key, algorithms=["HS256"], options={"verify_aud": False}
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


def _public_key(pem: str) -> Any:
    data = pem.encode()
    if b"CERTIFICATE" in data:
        return x509.load_pem_x509_certificate(data).public_key()
    return load_pem_public_key(data)


def _scopes(claim: Any) -> set[str]:
    if isinstance(claim, str):
        return {s for s in claim.replace(",", " ").split() if s}
    if isinstance(claim, list):
        return {str(s) for s in claim}
    return set()


def _audiences(claim: Any) -> list[str]:
    if isinstance(claim, str):
        return [claim]
    if isinstance(claim, list):
        return [str(a) for a in claim]
    return []


def check_assertion(
    form: dict[str, str], settings: NetSuiteSettings, token_urls: Iterable[str]
) -> tuple[str, str]:
    """Validate a token request; returns ``(client_id, certificate_id)`` or raises
    :class:`TokenRequestError`."""
    if form.get("grant_type") != "client_credentials":
        raise TokenRequestError(
            400, "unsupported_grant_type", "grant_type must be client_credentials"
        )
    if form.get("client_assertion_type") != CLIENT_ASSERTION_TYPE:
        raise _invalid_request(f"client_assertion_type must be {CLIENT_ASSERTION_TYPE}")
    assertion = form.get("client_assertion") or ""
    try:
        header = jwt.get_unverified_header(assertion)
        claims = jwt.decode(assertion, options={"verify_signature": False})
    except jwt.PyJWTError:
        raise _invalid_request("client_assertion is not a JWT") from None
    algorithm, certificate_id = header.get("alg"), header.get("kid")
    if algorithm not in ALLOWED_ALGORITHMS:
        raise _invalid_client(f"alg {algorithm!r} is not one of {', '.join(ALLOWED_ALGORITHMS)}")
    mapping = settings.certificates.get(str(certificate_id))
    if mapping is None:
        raise _invalid_client(f"kid {certificate_id!r} is not a mapped certificate")
    client_id = claims.get("iss")
    if client_id not in settings.client_ids:
        raise _invalid_client(f"iss {client_id!r} is not a known client id")
    if mapping.get("client_id") != client_id:
        raise _invalid_client(f"certificate {certificate_id!r} is mapped to another client")
    _verify_signature(assertion, mapping["certificate"], algorithm)
    _check_claims(claims, token_urls)
    return str(client_id), str(certificate_id)


def _verify_signature(assertion: str, certificate: str, algorithm: str) -> None:
    key = _public_key(certificate)
    family_ok = (
        isinstance(key, rsa.RSAPublicKey)
        if algorithm.startswith("PS")
        else isinstance(key, ec.EllipticCurvePublicKey)
    )
    if not family_ok:
        raise _invalid_client(f"{algorithm} does not match the certificate's key type")
    try:
        jwt.decode(
            assertion,
            key,
            algorithms=[algorithm],
            options={
                "verify_aud": False,
                "verify_exp": False,
                "verify_iat": False,
                "verify_nbf": False,
            },
        )
    except jwt.InvalidSignatureError:
        raise _invalid_client("the signature does not match the certificate") from None
    except jwt.PyJWTError as exc:
        raise _invalid_client(f"the assertion cannot be verified: {exc}") from None


def _check_claims(claims: dict[str, Any], token_urls: Iterable[str]) -> None:
    accepted = {url.rstrip("/") for url in token_urls}
    if not any(aud.rstrip("/") in accepted for aud in _audiences(claims.get("aud"))):
        raise _invalid_grant(f"aud must be the token URL, one of {sorted(accepted)}")
    if REQUIRED_SCOPE not in _scopes(claims.get("scope")):
        raise _invalid_grant(f"scope must include {REQUIRED_SCOPE}")
    issued, expires = claims.get("iat"), claims.get("exp")
    if not isinstance(issued, int | float) or not isinstance(expires, int | float):
        raise _invalid_grant("iat and exp are required numbers")
    now = time.time()
    if expires - issued > MAX_ASSERTION_SECONDS:
        raise _invalid_grant("exp may be at most 3600 seconds after iat")
    if expires <= now:
        raise _invalid_grant("the assertion has expired")
    if issued > now + CLOCK_SKEW_SECONDS:
        raise _invalid_grant("iat is in the future")


def token_response(access_token: str, lifetime: float) -> bytes:
    """The token endpoint's success body."""
    return json.dumps(
        {"access_token": access_token, "expires_in": int(lifetime), "token_type": "bearer"}
    ).encode()
