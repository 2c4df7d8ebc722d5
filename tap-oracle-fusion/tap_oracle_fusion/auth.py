"""Oracle Fusion authentication: OAuth 2.0 client credentials at the identity domain."""

from __future__ import annotations

import base64
import typing as t

from singer_sdk.authenticators import OAuthAuthenticator


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

    def invalidate(self) -> None:
        """Forget the bearer: the next request asks for a new one."""
        self.last_refreshed = None
