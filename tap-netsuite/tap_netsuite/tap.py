"""tap-netsuite: Oracle NetSuite records over SuiteQL."""

from __future__ import annotations

import typing as t
from functools import cached_property
from pathlib import Path

from singer_sdk import Tap
from singer_sdk import typing as th
from singer_sdk.exceptions import ConfigValidationError

from tap_netsuite.auth import NetSuiteOAuth2Authenticator, NetSuiteTBAAuthenticator
from tap_netsuite.streams import STREAM_TYPES
from tap_netsuite.suiteql import account_host, realm

if t.TYPE_CHECKING:
    from singer_sdk.streams import Stream

OAUTH2_SETTINGS = ("client_id", "certificate_id")
TBA_SETTINGS = ("consumer_key", "consumer_secret", "token_id", "token_secret")
TOKEN_PATH = "/services/rest/auth/oauth2/v1/token"  # noqa: S105 - a path, not a secret


class TapNetSuite(Tap):
    """Reads NetSuite customers, items and sales orders incrementally over SuiteQL."""

    name = "tap-netsuite"

    config_jsonschema = th.PropertiesList(
        th.Property(
            "account_id",
            th.StringType,
            required=True,
            title="Account ID",
            description="NetSuite account id, e.g. `1234567` or `1234567_SB1` for a sandbox "
            "(the host becomes `1234567-sb1.suitetalk.api.netsuite.com`).",
        ),
        th.Property(
            "base_url",
            th.StringType,
            title="Base URL",
            description="Scheme, host and port that replace the account's REST host, without "
            "`/services/rest` (e.g. `http://127.0.0.1:8081` for the sandbox emulator).",
        ),
        th.Property(
            "client_id",
            th.StringType,
            title="Client ID",
            description="OAuth 2.0 client credentials: the integration record's client id.",
        ),
        th.Property(
            "certificate_id",
            th.StringType,
            title="Certificate ID",
            description="OAuth 2.0 client credentials: the certificate id of the mapping "
            "(the JWT `kid`).",
        ),
        th.Property(
            "private_key",
            th.StringType,
            secret=True,
            title="Private Key",
            description="OAuth 2.0 client credentials: the certificate's private key, PEM. RSA "
            "keys sign with PS256, EC keys with ES256/384/512.",
        ),
        th.Property(
            "private_key_path",
            th.StringType,
            title="Private Key Path",
            description="OAuth 2.0 client credentials: a file holding the PEM private key, "
            "instead of `private_key`.",
        ),
        th.Property(
            "consumer_key",
            th.StringType,
            secret=True,
            title="Consumer Key",
            description="Token-based authentication: the integration's consumer key.",
        ),
        th.Property(
            "consumer_secret",
            th.StringType,
            secret=True,
            title="Consumer Secret",
            description="Token-based authentication: the integration's consumer secret.",
        ),
        th.Property(
            "token_id",
            th.StringType,
            secret=True,
            title="Token ID",
            description="Token-based authentication: the access token id.",
        ),
        th.Property(
            "token_secret",
            th.StringType,
            secret=True,
            title="Token Secret",
            description="Token-based authentication: the access token secret.",
        ),
        th.Property(
            "start_date",
            th.DateTimeType,
            title="Start Date",
            description="Records last modified before this are not read on the first run.",
        ),
        th.Property(
            "page_size",
            th.IntegerType(minimum=1, maximum=1000),
            default=1000,
            title="Page Size",
            description="Rows per SuiteQL request (NetSuite allows 1000).",
        ),
        th.Property(
            "account_timezone",
            th.StringType,
            default="UTC",
            title="Account Time Zone",
            description="IANA time zone NetSuite stores the account's timestamps in (Setup > "
            "Company > Company Information), e.g. `America/Los_Angeles`; output is UTC.",
        ),
    ).to_dict()

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        super().__init__(*args, **kwargs)
        self.bearer_renewed = False

    @cached_property
    def authenticator(self) -> NetSuiteOAuth2Authenticator | NetSuiteTBAAuthenticator:
        """One authenticator for every stream: OAuth 2.0 when configured, else TBA."""
        config = self.config
        private_key = config.get("private_key")
        if not private_key and config.get("private_key_path"):
            private_key = Path(config["private_key_path"]).read_text(encoding="utf-8")
        if private_key and all(config.get(name) for name in OAUTH2_SETTINGS):
            base = config.get("base_url") or f"https://{account_host(config['account_id'])}"
            return NetSuiteOAuth2Authenticator(
                token_url=f"{base.rstrip('/')}{TOKEN_PATH}",
                client_id=config["client_id"],
                certificate_id=config["certificate_id"],
                private_key=private_key,
            )
        if all(config.get(name) for name in TBA_SETTINGS):
            return NetSuiteTBAAuthenticator(
                account_realm=realm(config["account_id"]),
                consumer_key=config["consumer_key"],
                consumer_secret=config["consumer_secret"],
                token_id=config["token_id"],
                token_secret=config["token_secret"],
            )
        msg = (
            "Set either client_id, certificate_id and private_key or private_key_path "
            "(OAuth 2.0), or "
            "consumer_key, consumer_secret, token_id and token_secret (token-based auth)."
        )
        raise ConfigValidationError(msg, errors=[msg])

    def discover_streams(self) -> list[Stream]:
        """The tap's streams."""
        return [stream_type(tap=self) for stream_type in STREAM_TYPES]
