"""Token-based authentication: OAuth 1.0a signatures with HMAC-SHA256 (reference A3).

The base string is the standard one (RFC 5849 §3.4.1): method, the URL without its query,
and the sorted parameters — the ``oauth_*`` header fields (not ``realm`` or the signature)
plus the query string (``limit``, ``offset``) — but not a JSON body.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import threading
import time
from urllib.parse import parse_qsl, quote, unquote

from erp_sandbox.netsuite.settings import NetSuiteSettings

MIN_NONCE_LENGTH = 6
_HEADER_FIELD = re.compile(r'([A-Za-z_][A-Za-z0-9_]*)\s*=\s*"([^"]*)"')


class TbaRejectedError(Exception):
    """The OAuth 1.0a header does not authenticate the request (``reason`` for humans)."""


def percent_encode(value: str) -> str:
    """RFC 3986 encoding as OAuth 1.0a wants it."""
    return quote(value, safe="~-._")


def parse_authorization(header: str) -> dict[str, str]:
    """The fields of an ``Authorization: OAuth k="v", …`` header, percent-decoded."""
    _, _, rest = header.partition(" ")
    return {name: unquote(value) for name, value in _HEADER_FIELD.findall(rest)}


def base_string(method: str, url: str, params: list[tuple[str, str]]) -> str:
    """The signature base string for the request."""
    encoded = sorted((percent_encode(k), percent_encode(v)) for k, v in params)
    normalized = "&".join(f"{k}={v}" for k, v in encoded)
    return "&".join(percent_encode(part) for part in (method.upper(), url, normalized))


def sign(base: str, consumer_secret: str, token_secret: str) -> str:
    """HMAC-SHA256 of the base string, base64."""
    key = f"{percent_encode(consumer_secret)}&{percent_encode(token_secret)}"
    digest = hmac.new(key.encode(), base.encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def normalized_url(scheme: str, host: str, path: str) -> str:
    """Scheme and host in lowercase, default ports dropped, no query."""
    scheme = scheme.lower()
    host = host.lower()
    default = {"http": ":80", "https": ":443"}.get(scheme)
    if default and host.endswith(default):
        host = host[: -len(default)]
    return f"{scheme}://{host}{path}"


class NonceRegistry:
    """Nonces seen recently, per consumer and token, to refuse replays."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._seen: dict[tuple[str, str, str], float] = {}

    def first_use(self, consumer: str, token: str, nonce: str, keep_seconds: float) -> bool:
        """Remember the nonce; False if it was already used."""
        now = time.time()
        key = (consumer, token, nonce)
        with self._lock:
            if len(self._seen) > 10_000:
                self._seen = {k: t for k, t in self._seen.items() if now - t < keep_seconds}
            if key in self._seen and now - self._seen[key] < keep_seconds:
                return False
            self._seen[key] = now
            return True

    def clear(self) -> None:
        """Forget every nonce."""
        with self._lock:
            self._seen.clear()


def verify(
    header: str,
    *,
    method: str,
    url: str,
    query_string: str,
    settings: NetSuiteSettings,
    nonces: NonceRegistry,
) -> str:
    """Check a TBA header; returns the token id, or raises :class:`TbaRejectedError`."""
    fields = parse_authorization(header)
    if fields.get("realm") != settings.account_id:
        raise TbaRejectedError(
            f"realm must be {settings.account_id!r}, got {fields.get('realm')!r}"
        )
    if fields.get("oauth_signature_method") != "HMAC-SHA256":
        raise TbaRejectedError("oauth_signature_method must be HMAC-SHA256")
    if fields.get("oauth_version", "1.0") != "1.0":
        raise TbaRejectedError("oauth_version must be 1.0")
    consumer, token = fields.get("oauth_consumer_key", ""), fields.get("oauth_token", "")
    consumer_secret = settings.tba_consumers.get(consumer)
    token_secret = settings.tba_tokens.get(token)
    if consumer_secret is None or token_secret is None:
        raise TbaRejectedError("unknown consumer key or token id")
    nonce = fields.get("oauth_nonce", "")
    if len(nonce) < MIN_NONCE_LENGTH:
        raise TbaRejectedError(f"oauth_nonce must have at least {MIN_NONCE_LENGTH} characters")
    try:
        timestamp = int(fields.get("oauth_timestamp", ""))
    except ValueError:
        raise TbaRejectedError("oauth_timestamp must be an integer") from None
    tolerance = settings.tba_timestamp_tolerance_seconds
    if abs(time.time() - timestamp) > tolerance:
        raise TbaRejectedError("oauth_timestamp is too far from now")
    params = [
        (k, v) for k, v in fields.items() if k.startswith("oauth_") and k != "oauth_signature"
    ]
    params += parse_qsl(query_string, keep_blank_values=True)
    expected = sign(base_string(method, url, params), consumer_secret, token_secret)
    if not hmac.compare_digest(expected, fields.get("oauth_signature", "")):
        raise TbaRejectedError("oauth_signature does not match")
    if not nonces.first_use(consumer, token, nonce, keep_seconds=2 * tolerance):
        raise TbaRejectedError("oauth_nonce was already used")
    return token
