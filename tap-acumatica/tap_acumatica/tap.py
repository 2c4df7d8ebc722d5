"""tap-acumatica: Acumatica customers, contacts, sales invoices and stock items."""

from __future__ import annotations

import typing as t
from functools import cached_property

import requests
from singer_sdk import Tap
from singer_sdk import typing as th
from singer_sdk.exceptions import ConfigValidationError, FatalAPIError

from tap_acumatica.auth import (
    AcumaticaBusyError,
    AcumaticaCookieSession,
    AcumaticaOAuth,
    cause,
    with_quick_retries,
)
from tap_acumatica.client import RequestPacer
from tap_acumatica.streams import STREAM_TYPES

if t.TYPE_CHECKING:
    from singer_sdk.streams import Stream

VERSIONS = ("22.200.001", "23.200.001", "24.200.001")  # schemas shipped with the tap


class TapAcumatica(Tap):
    """Reads Acumatica customers, contacts, released sales invoices and stock items."""

    name = "tap-acumatica"

    config_jsonschema = th.PropertiesList(
        th.Property(
            "base_url",
            th.StringType,
            required=True,
            title="Base URL",
            description="The instance URL, with the site path where used, e.g. "
            "`https://erp.example.com/AcumaticaERP`.",
        ),
        th.Property(
            "endpoint_name",
            th.StringType,
            default="Default",
            title="Endpoint Name",
            description="Contract-based endpoint name.",
        ),
        th.Property(
            "endpoint_version",
            th.StringType,
            default="23.200.001",
            allowed_values=list(VERSIONS),
            title="Endpoint Version",
            description="Endpoint version; checked against the instance's `/entity/` at start.",
        ),
        th.Property(
            "auth_method",
            th.StringType,
            default="oauth",
            allowed_values=["oauth", "cookie"],
            title="Auth Method",
            description="`oauth` (OAuth 2.0 password or refresh grant) or `cookie` (login and "
            "logout per run).",
        ),
        th.Property(
            "client_id",
            th.StringType,
            title="Client ID",
            description="OAuth 2.0 client id, `<GUID>@<Tenant>` (Connected Applications, "
            "SM303010).",
        ),
        th.Property(
            "client_secret",
            th.StringType,
            secret=True,
            title="Client Secret",
            description="OAuth 2.0 client secret.",
        ),
        th.Property(
            "username",
            th.StringType,
            title="Username",
            description="The integration user (password grant or cookie login).",
        ),
        th.Property(
            "password",
            th.StringType,
            secret=True,
            title="Password",
            description="The integration user's password.",
        ),
        th.Property(
            "refresh_token",
            th.StringType,
            secret=True,
            title="Refresh Token",
            description="OAuth 2.0 refresh token, instead of the password grant.",
        ),
        th.Property(
            "tenant",
            th.StringType,
            title="Tenant",
            description="Tenant (company) to sign in to, for cookie login on multi-tenant "
            "instances.",
        ),
        th.Property(
            "branch",
            th.StringType,
            title="Branch",
            description="Branch for cookie login.",
        ),
        th.Property(
            "start_date",
            th.DateTimeType,
            title="Start Date",
            description="Records last modified before this are not read on the first run.",
        ),
        th.Property(
            "page_size",
            th.IntegerType(minimum=1),
            default=500,
            title="Page Size",
            description="Rows per request (`$top`).",
        ),
        th.Property(
            "invoice_statuses",
            th.ArrayType(th.StringType),
            default=["Open", "Closed"],
            title="Invoice Statuses",
            description="Sales invoice statuses read: released documents are Open and Closed.",
        ),
        th.Property(
            "max_requests_per_minute",
            th.IntegerType(minimum=1),
            title="Max Requests Per Minute",
            description="Paces requests below the licence's per-minute limit, so Acumatica "
            "neither delays nor declines them.",
        ),
    ).to_dict()

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        super().__init__(*args, **kwargs)
        self.renewed = False
        self._endpoint_checked = False

    @cached_property
    def pacer(self) -> RequestPacer:
        """One pacer for every stream: the licence limit is per instance."""
        return RequestPacer(self.config.get("max_requests_per_minute"))

    @cached_property
    def authenticator(self) -> AcumaticaOAuth | AcumaticaCookieSession:
        """One authenticator for every stream."""
        config = self.config
        base = str(config["base_url"]).rstrip("/")
        if config.get("auth_method", "oauth") == "cookie":
            if not (config.get("username") and config.get("password")):
                msg = "Cookie login needs `username` and `password`."
                raise ConfigValidationError(msg, errors=[msg])
            return AcumaticaCookieSession(
                base_url=base,
                username=config["username"],
                password=config["password"],
                tenant=config.get("tenant"),
                branch=config.get("branch"),
            )
        has_grant = config.get("refresh_token") or (
            config.get("username") and config.get("password")
        )
        if not (config.get("client_id") and config.get("client_secret") and has_grant):
            msg = (
                "OAuth needs `client_id`, `client_secret` and either `username` and "
                "`password` or a `refresh_token` (or set auth_method: cookie)."
            )
            raise ConfigValidationError(msg, errors=[msg])
        return AcumaticaOAuth(
            token_url=f"{base}/identity/connect/token",
            client_id=config["client_id"],
            client_secret=config["client_secret"],
            username=config.get("username"),
            password=config.get("password"),
            refresh_token=config.get("refresh_token"),
        )

    def check_endpoint(self) -> None:
        """Stop with a clear message when the instance does not offer the endpoint version.

        A wrong version otherwise only yields bare 404s on every entity.
        """
        if self._endpoint_checked:
            return
        name = self.config.get("endpoint_name", "Default")
        version = self.config.get("endpoint_version", "23.200.001")
        base_url = str(self.config["base_url"]).rstrip("/")
        fetch = with_quick_retries(fetch_endpoint_list, "Endpoint list request")
        try:
            response = fetch(f"{base_url}/entity/")
            if response.status_code == 401:
                # Signed outside the retries: the token request retries on its own.
                signed = self.authenticator(requests.Request("GET", response.url).prepare())
                response = fetch(response.url, signed.headers)
        except (requests.ConnectionError, requests.Timeout) as error:
            msg = (
                f"Cannot reach Acumatica at {base_url} ({cause(error)}): check `base_url` "
                "and that this machine can reach it."
            )
            raise FatalAPIError(msg) from error
        if not response.ok:
            raise FatalAPIError(endpoint_list_failure(response))
        offered = [
            (endpoint.get("name"), endpoint.get("version"))
            for endpoint in response.json().get("endpoints", [])
        ]
        if (name, version) not in offered:
            listed = ", ".join(f"{n} {v}" for n, v in offered) or "none"
            msg = (
                f"This Acumatica instance does not offer endpoint {name} {version}. It offers: "
                f"{listed}. Set `endpoint_name`/`endpoint_version` to one of them."
            )
            raise FatalAPIError(msg)
        self._endpoint_checked = True

    def sync_all(self) -> None:
        """Check the endpoint, sync, and always close the session (licence user limit)."""
        try:
            self.check_endpoint()
            super().sync_all()
        finally:
            self.authenticator.close()

    def discover_streams(self) -> list[Stream]:
        """The tap's streams."""
        return [stream_type(tap=self) for stream_type in STREAM_TYPES]


def fetch_endpoint_list(url: str, headers: t.Mapping[str, str] | None = None) -> requests.Response:
    """The instance's `/entity/` answer; a 429 or 5xx raises, to be retried."""
    response = requests.get(
        url, timeout=60, headers={"Accept": "application/json", **(headers or {})}
    )
    if response.status_code == 429 or response.status_code >= 500:
        retry_after = response.headers.get("Retry-After")
        raise AcumaticaBusyError(endpoint_list_failure(response), retry_after=retry_after)
    return response


def endpoint_list_failure(response: requests.Response) -> str:
    """What a failed `/entity/` answer means: usually a `base_url` without its site path."""
    return (
        f"Acumatica's endpoint list ({response.url}) answered {response.status_code}: "
        "check `base_url` (the instance URL with its site path, e.g. /AcumaticaERP)."
    )
