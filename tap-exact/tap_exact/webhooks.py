"""`tap-exact webhooks …`: the app's Exact Online webhook subscriptions (reference C6).

Exact POSTs a notification (topic, action, key; no record data) to a subscription's
callback URL whenever a record of its topic changes. These commands manage the
subscriptions of the tap's app and company through the tap's own client: token store,
region, division and call budget (`TapExact.call`).

A callback URL usually carries a secret path segment, so URLs are only ever shown
redacted, Exact's own error messages included (`redacted_url`).
"""

from __future__ import annotations

import contextlib
import re
import typing as t
import uuid
from dataclasses import dataclass
from functools import cached_property
from http import HTTPStatus
from urllib.parse import urlsplit, urlunsplit

import click
import requests
from singer_sdk.exceptions import FatalAPIError

from tap_exact.auth import AccessTokenError
from tap_exact.authorize import configured_tap
from tap_exact.client import DailyLimitSpentError, NextLinkPaginator, exact_error_text
from tap_exact.token_store import TokenStoreError

if t.TYPE_CHECKING:
    from collections.abc import Iterator

    from tap_exact.tap import TapExact

DEFAULT_TOPICS = ("Accounts", "Contacts", "SalesInvoices")
# Path segments longer than this are taken for secrets (a token_urlsafe(16) is 22 long).
LONGEST_SHOWN_SEGMENT = 16
_URL = re.compile(r"https?://[^\s'\"<>]+")


def redacted_url(url: str) -> str:
    """The URL with its password, query, fragment and long path segments as `***`."""
    parts = urlsplit(url)
    netloc = parts.netloc
    if "@" in netloc:
        netloc = "***@" + netloc.rpartition("@")[2]
    path = "/".join(
        "***" if len(segment) > LONGEST_SHOWN_SEGMENT else segment
        for segment in parts.path.split("/")
    )
    return urlunsplit(
        (
            parts.scheme,
            netloc,
            path,
            "***" if parts.query else "",
            "***" if parts.fragment else "",
        )
    )


def redacted(text: str) -> str:
    """Every URL in a text redacted (Exact quotes the callback URL in its errors)."""
    return _URL.sub(lambda match: redacted_url(match.group()), text)


@dataclass(frozen=True)
class Subscription:
    """One webhook subscription."""

    id: str
    topic: str
    callback_url: str


class WebhookSubscriptions:
    """`/api/v1/{division}/webhooks/WebhookSubscriptions` of the tap's app."""

    def __init__(self, tap: TapExact) -> None:
        self.tap = tap
        self.client_id = _plain_id(tap.config["client_id"])

    @cached_property
    def path(self) -> str:
        """The entity set's path (resolving the division on first use)."""
        return f"/api/v1/{self.tap.division}/webhooks/WebhookSubscriptions"

    def all(self) -> list[Subscription]:
        """The app's subscriptions, every page."""
        paginator = NextLinkPaginator(self.tap.budget)
        response = self.tap.call(
            "GET", self.path, params={"$select": "ID,Topic,CallbackURL,ClientID"}
        )
        subscriptions: list[Subscription] = []
        while True:
            rows = self._checked(response, "list the webhook subscriptions").json()["d"]
            subscriptions += [
                Subscription(row["ID"], row["Topic"], row["CallbackURL"])
                for row in rows.get("results", [])
                # Subscriptions are per app (reference C6); keep other apps' ones out.
                if _plain_id(row.get("ClientID") or self.client_id) == self.client_id
            ]
            paginator.advance(response)
            if paginator.finished:
                return subscriptions
            response = self.tap.call("GET", paginator.current_value.geturl())

    def create(self, topic: str, callback_url: str) -> Subscription:
        """Subscribe the callback URL to a topic (Exact may POST to it to validate it)."""
        response = self.tap.call(
            "POST", self.path, json={"CallbackURL": callback_url, "Topic": topic}
        )
        row = self._checked(response, f"subscribe to {topic}", callback_url).json()["d"]
        return Subscription(row["ID"], row["Topic"], row["CallbackURL"])

    def delete(self, subscription_id: str) -> None:
        """Delete one subscription."""
        response = self.tap.call("DELETE", f"{self.path}(guid'{subscription_id}')")
        self._checked(response, f"delete the webhook subscription {subscription_id}")

    def _checked(
        self, response: requests.Response, doing: str, callback_url: str = ""
    ) -> requests.Response:
        """The response if it is a success, else one sentence with Exact's reason."""
        if response.ok:
            return response
        if response.status_code == HTTPStatus.TOO_MANY_REQUESTS and self.tap.budget.spent_for_today:
            raise click.ClickException(_daily_limit_message(self.tap))
        detail = exact_error_text(response)
        if callback_url:  # quoted as given, even when it is no http(s) URL
            detail = detail.replace(callback_url, redacted_url(callback_url))
        detail = redacted(detail) or "no detail"
        msg = f"Exact Online refused to {doing} ({response.status_code} {response.reason}): "
        raise click.ClickException(msg + detail)


def subscribe(
    client: WebhookSubscriptions, callback_url: str, topics: t.Iterable[str], *, replace: bool
) -> int:
    """Subscribe each topic once; returns how many stay subscribed to another URL."""
    existing = client.all()
    shown = redacted_url(callback_url)
    elsewhere = 0
    for topic in dict.fromkeys(topics):  # in order, once each
        same_topic = [s for s in existing if s.topic.lower() == topic.lower()]
        if any(s.callback_url == callback_url for s in same_topic):
            click.echo(f"{topic}: already subscribed ({shown})")
            continue
        if same_topic and not replace:
            others = ", ".join(redacted_url(s.callback_url) for s in same_topic)
            click.echo(f"{topic}: subscribed to another URL ({others}): left as it is")
            elsewhere += 1
            continue
        # Exact allows one subscription per topic and app: the old one goes first.
        for old in same_topic:
            client.delete(old.id)
            click.echo(f"{topic}: deleted {old.id} ({redacted_url(old.callback_url)})")
        created = client.create(topic, callback_url)
        click.echo(f"{topic}: subscribed ({created.id}, {shown})")
    return elsewhere


@contextlib.contextmanager
def plain_errors(tap: TapExact) -> Iterator[None]:
    """The tap's failures as one sentence and exit status 1, never a traceback."""
    try:
        yield
    except (AccessTokenError, TokenStoreError, FatalAPIError) as error:
        raise click.ClickException(str(error)) from None
    except DailyLimitSpentError:
        raise click.ClickException(_daily_limit_message(tap)) from None
    except requests.RequestException as error:
        msg = f"Exact Online could not be reached ({type(error).__name__})."
        raise click.ClickException(msg) from None


def _daily_limit_message(tap: TapExact) -> str:
    reset = tap.budget.daily_reset
    when = f"after {reset:%Y-%m-%d %H:%M} UTC" if reset else "when the limit resets"
    return f"Exact's daily API limit for this company is spent: try again {when}."


def _plain_id(client_id: str) -> str:
    """Exact writes client ids as GUIDs, with or without braces."""
    return client_id.strip().strip("{}").lower()


def _subscription_id(_context: click.Context, _param: click.Parameter, values: t.Any) -> t.Any:
    try:
        return tuple(str(uuid.UUID(value)) for value in values)
    except ValueError:
        raise click.BadParameter("a subscription ID is a GUID (see `webhooks list`)") from None


def webhooks_command(tap_class: type[TapExact]) -> click.Group:
    """Build the `webhooks` subcommand group for a tap class."""
    config_option = click.option(
        "--config",
        multiple=True,
        help="Configuration file, or ENV to read settings from the environment.",
    )

    def client_of(group_config: tuple[str, ...], config: tuple[str, ...]) -> WebhookSubscriptions:
        return WebhookSubscriptions(configured_tap(tap_class, group_config + config))

    @click.group(help="Manage the app's Exact Online webhook subscriptions.")
    @config_option
    # `meltano invoke` passes the tap's config, catalog and state first: accepted here.
    @click.option("--catalog", hidden=True)
    @click.option("--state", hidden=True)
    @click.pass_context
    def webhooks(
        context: click.Context, config: tuple[str, ...], catalog: str | None, state: str | None
    ) -> None:
        context.obj = config

    @webhooks.command(help="Subscribe a callback URL to topics; repeat runs change nothing.")
    @config_option
    @click.option("--callback-url", required=True, help="Where Exact POSTs notifications.")
    @click.option(
        "--topic",
        "topics",
        multiple=True,
        default=DEFAULT_TOPICS,
        show_default=True,
        help="A topic to subscribe to (repeatable).",
    )
    @click.option(
        "--replace",
        is_flag=True,
        help="Move topics subscribed to another URL to this one (delete, then subscribe).",
    )
    @click.pass_obj
    def subscribe_command(
        group_config: tuple[str, ...],
        config: tuple[str, ...],
        callback_url: str,
        topics: tuple[str, ...],
        replace: bool,
    ) -> None:
        client = client_of(group_config, config)
        with plain_errors(client.tap):
            elsewhere = subscribe(client, callback_url, topics, replace=replace)
        if elsewhere:
            msg = (
                f"{elsewhere} topic(s) stay subscribed to another URL: pass --replace to move them."
            )
            raise click.ClickException(msg)

    @webhooks.command(name="list", help="Show the subscriptions (secret URL parts as ***).")
    @config_option
    @click.pass_obj
    def list_command(group_config: tuple[str, ...], config: tuple[str, ...]) -> None:
        client = client_of(group_config, config)
        with plain_errors(client.tap):
            subscriptions = client.all()
        if not subscriptions:
            click.echo("No webhook subscriptions.")
            return
        width = max(len("Topic"), *(len(s.topic) for s in subscriptions))
        click.echo(f"{'ID':36}  {'Topic':{width}}  CallbackURL")
        for subscription in subscriptions:
            url = redacted_url(subscription.callback_url)
            click.echo(f"{subscription.id:36}  {subscription.topic:{width}}  {url}")

    @webhooks.command(name="delete", help="Delete subscriptions by ID, or all of them.")
    @config_option
    @click.argument("ids", nargs=-1, callback=_subscription_id)
    @click.option("--all", "everything", is_flag=True, help="Delete every subscription.")
    @click.pass_obj
    def delete_command(
        group_config: tuple[str, ...],
        config: tuple[str, ...],
        ids: tuple[str, ...],
        everything: bool,
    ) -> None:
        if bool(ids) == everything:
            raise click.UsageError("Name subscription IDs or pass --all (not both).")
        client = client_of(group_config, config)
        with plain_errors(client.tap):
            doomed = [s.id for s in client.all()] if everything else list(ids)
            for subscription_id in doomed:
                client.delete(subscription_id)
                click.echo(f"Deleted {subscription_id}")
        if not doomed:
            click.echo("No webhook subscriptions.")

    return webhooks
