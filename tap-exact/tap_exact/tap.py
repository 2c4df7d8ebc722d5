"""tap-exact: Exact Online accounts, contacts, sales invoices, cost centers, deletions."""

from __future__ import annotations

import sys
import typing as t
from functools import cached_property
from http import HTTPStatus

import backoff
import click
import requests
from singer_sdk import Tap
from singer_sdk import typing as th
from singer_sdk.exceptions import FatalAPIError
from singer_sdk.plugin_base import SingerCommand

from tap_exact.auth import AccessTokenError, ExactOAuth
from tap_exact.authorize import authorize_command
from tap_exact.client import CallBudget, DailyLimitSpentError
from tap_exact.streams import STREAM_TYPES
from tap_exact.token_store import TokenStore, open_token_store
from tap_exact.webhooks import webhooks_command

if t.TYPE_CHECKING:
    from singer_sdk.streams import Stream

# Exact's regional sites (reference C1).
REGION_HOSTS = {
    "nl": "https://start.exactonline.nl",
    "be": "https://start.exactonline.be",
    "de": "https://start.exactonline.de",
    "uk": "https://start.exactonline.co.uk",
    "us": "https://start.exactonline.com",
    "es": "https://start.exactonline.es",
    "fr": "https://start.exactonline.fr",
}
DEFAULT_TOKEN_STORE = ".tap-exact/token"  # noqa: S105 - a path
CALL_TRIES = 5  # of a request outside the streams (429/5xx)


class TapExact(Tap):
    """Reads Exact Online through its Sync API, within Exact's call limits."""

    name = "tap-exact"

    config_jsonschema = th.PropertiesList(
        th.Property(
            "region",
            th.StringType,
            default="nl",
            allowed_values=list(REGION_HOSTS),
            title="Region",
            description="The Exact Online site of the company: nl, be, de, uk, us, es or fr.",
        ),
        th.Property(
            "base_url",
            th.StringType,
            title="Base URL",
            description="Overrides the region's site, e.g. `https://start.exactonline.nl`.",
        ),
        th.Property(
            "division",
            th.IntegerType,
            title="Division",
            description="The company (division) to read; the user's current division "
            "(`/current/Me`) if not set.",
        ),
        th.Property(
            "client_id",
            th.StringType,
            required=True,
            title="Client ID",
            description="The app's client id (Exact App Center).",
        ),
        th.Property(
            "client_secret",
            th.StringType,
            required=True,
            secret=True,
            title="Client Secret",
            description="The app's client secret.",
        ),
        th.Property(
            "redirect_uri",
            th.StringType,
            title="Redirect URI",
            description="The app's registered redirect URI (used by `tap-exact authorize`).",
        ),
        th.Property(
            "refresh_token",
            th.StringType,
            secret=True,
            title="Refresh Token",
            description="Seeds an empty token store; afterwards the store holds the current "
            "(rotated) token.",
        ),
        th.Property(
            "token_store_url",
            th.StringType,
            default=DEFAULT_TOKEN_STORE,
            title="Token Store URL",
            description="Where the rotating token pair lives: a file path, or a SQLAlchemy "
            "URL (e.g. `postgresql+psycopg://…`) for runs on several machines.",
        ),
        th.Property(
            "token_encryption_key",
            th.StringType,
            required=True,
            secret=True,
            title="Token Encryption Key",
            description="Fernet key that encrypts the token store.",
        ),
    ).to_dict()

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        super().__init__(*args, **kwargs)
        self.renewed = False

    @cached_property
    def host(self) -> str:
        """The site: `base_url`, else the region's."""
        base = self.config.get("base_url") or REGION_HOSTS[self.config.get("region", "nl")]
        return str(base).rstrip("/")

    @cached_property
    def token_store(self) -> TokenStore:
        """The encrypted token store."""
        return open_token_store(
            self.config.get("token_store_url") or DEFAULT_TOKEN_STORE,
            self.config["token_encryption_key"],
        )

    @cached_property
    def authenticator(self) -> ExactOAuth:
        """One authenticator for every stream: one token pair per run."""
        return ExactOAuth(
            token_url=f"{self.host}/api/oauth2/token",
            client_id=self.config["client_id"],
            client_secret=self.config["client_secret"],
            store=self.token_store,
            seed_refresh_token=self.config.get("refresh_token"),
        )

    @cached_property
    def budget(self) -> CallBudget:
        """Exact's limits are per company: one budget for every stream."""
        return CallBudget()

    @cached_property
    def division(self) -> int:
        """The configured division, or the user's current one."""
        if self.config.get("division"):
            return int(self.config["division"])
        response = self.call("GET", "/api/v1/current/Me", params={"$select": "CurrentDivision"})
        if self.budget.spent_for_today:
            raise DailyLimitSpentError
        if not response.ok:
            msg = f"Exact's /current/Me answered {response.status_code}."
            raise FatalAPIError(msg)
        division = int(response.json()["d"]["results"][0]["CurrentDivision"])
        self.logger.info("Reading division %s (the user's current division)", division)
        return division

    def call(self, method: str, url: str, **request: t.Any) -> requests.Response:
        """One authenticated JSON request outside the streams (`/current/Me`, webhooks).

        `url` is a path on the site or a full `__next` link. As in the streams, a
        rejected bearer is renewed once and every answer feeds the call budget. A 429
        (unless the day is spent) is retried with backoff, and so is a 5xx, except on
        POST: Exact may have done it (a repeated subscription fails "Data already
        exists").
        """
        prepared = requests.Request(
            method,
            url if "://" in url else f"{self.host}{url}",
            headers={"Accept": "application/json"},
            **request,
        ).prepare()
        with requests.Session() as session:
            for attempt in range(1, CALL_TRIES + 1):
                response = session.send(self.authenticator(prepared), timeout=60)
                if response.status_code == HTTPStatus.UNAUTHORIZED:  # renewed once
                    self.authenticator.invalidate()
                    response = session.send(self.authenticator(prepared), timeout=60)
                self.budget.observe(response)
                if attempt == CALL_TRIES or not self._retryable(method, response):
                    return response
                retry_after = response.headers.get("Retry-After", "")
                if retry_after.isdigit():
                    self.budget.sleep(min(int(retry_after), 60))
                else:
                    self.budget.sleep(backoff.full_jitter(2**attempt))
        return response

    def _retryable(self, method: str, response: requests.Response) -> bool:
        if response.status_code == HTTPStatus.TOO_MANY_REQUESTS:
            return not self.budget.spent_for_today
        return response.status_code >= HTTPStatus.INTERNAL_SERVER_ERROR and method != "POST"

    def sync_all(self) -> None:
        """Sync; stop cleanly when the day's budget is spent or tokens need a person."""
        try:
            self.division  # noqa: B018 - resolved once, before any stream needs it
            super().sync_all()
        except DailyLimitSpentError:
            pass  # nothing read: the bookmarks stand as they are
        except AccessTokenError as error:
            self.logger.error("%s", error)
            sys.exit(1)
        if self.budget.spent_for_today:
            resume = self.budget.daily_reset
            self.logger.warning(
                "Exact's daily API limit for this company is spent: the run stopped early "
                "with its bookmarks saved and continues from them %s.",
                f"after {resume:%Y-%m-%d %H:%M} UTC" if resume else "when the limit resets",
            )

    def discover_streams(self) -> list[Stream]:
        """The tap's streams."""
        return [stream_type(tap=self) for stream_type in STREAM_TYPES]

    @classmethod
    def get_singer_command(cls) -> click.Command:
        """The Singer command, which also dispatches `tap-exact authorize|webhooks …`."""
        command = super().get_singer_command()
        return TapCommand(
            name=command.name,
            callback=command.callback,
            params=command.params,
            help=f"{command.help}\n\nSubcommands: `authorize` makes the first OAuth "
            "authorization and fills the token store (see `tap-exact authorize --help`); "
            "`webhooks` subscribes to, lists and deletes Exact webhooks (see "
            "`tap-exact webhooks --help`).",
            context_settings=command.context_settings,
            logger=cls.logger,
            subcommands={"authorize": authorize_command(cls), "webhooks": webhooks_command(cls)},
        )


class TapCommand(SingerCommand):
    """A Singer command that hands `<subcommand> …` arguments to a subcommand."""

    def __init__(self, *args: t.Any, subcommands: dict[str, click.Command], **kwargs: t.Any):
        super().__init__(*args, **kwargs)
        self.subcommands = subcommands

    def main(self, args: t.Sequence[str] | None = None, **kwargs: t.Any) -> t.Any:
        """Run a subcommand when an argument names one, else the tap."""
        arguments = list(sys.argv[1:] if args is None else args)
        # Meltano puts its own `--config <file>` before the user's arguments.
        for position, argument in enumerate(arguments):
            if argument in self.subcommands:
                rest = arguments[:position] + arguments[position + 1 :]
                return self.subcommands[argument].main(
                    rest, prog_name=f"{self.name} {argument}", **kwargs
                )
        return super().main(arguments, **kwargs)
