"""Oracle Fusion authentication: OAuth 2.0 client credentials at the identity domain."""

from __future__ import annotations

import base64
import json
import typing as t
import urllib.parse

import requests
from singer_sdk.authenticators import OAuthAuthenticator
from singer_sdk.exceptions import FatalAPIError


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
        """A new bearer; an unreachable identity domain stops the run saying what to check."""
        try:
            super().update_access_token()
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
        else:
            msg = f"The Oracle identity domain's token endpoint answered {status_code}: {detail}"
        raise FatalAPIError(msg)

    def invalidate(self) -> None:
        """Forget the bearer: the next request asks for a new one."""
        self.last_refreshed = None
