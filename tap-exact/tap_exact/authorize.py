"""`tap-exact authorize`: the first authorization-code exchange, which fills the store.

A person signs in to Exact once; from then on every run rotates the refresh token in
the store. The code comes from `--code` (the code, or the whole URL Exact redirected
to), from a one-shot listener on an `http://localhost:<port>` redirect URI
(`--listen`), or is pasted at the prompt.
"""

from __future__ import annotations

import http.server
import json
import secrets
import typing as t
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import click
import requests
import sqlalchemy as sa
from singer_sdk.exceptions import ConfigValidationError

from tap_exact.auth import token_pair

if t.TYPE_CHECKING:
    from tap_exact.tap import TapExact


def authorization_url(host: str, client_id: str, redirect_uri: str, state: str) -> str:
    """Exact's consent page for the app (reference C1)."""
    query = urlencode(
        {
            "client_id": client_id,
            "redirect_uri": redirect_uri,
            "response_type": "code",
            "state": state,
        }
    )
    return f"{host}/api/oauth2/auth?{query}"


def code_from(text: str, state: str | None = None) -> str:
    """The code itself, or the `code` of a redirected URL (whose `state` must match)."""
    text = text.strip()
    if "code=" not in text:
        return text
    query = parse_qs(urlsplit(text).query or text)
    if state and query.get("state", [state])[0] != state:
        msg = "The redirect's `state` does not match this authorization: start again."
        raise click.ClickException(msg)
    return query["code"][0]  # parse_qs has already decoded it (Exact's codes hold `!`)


def listen_for_code(redirect_uri: str, state: str) -> str:
    """Serve one request on the redirect URI's local port and take its code."""
    address = urlsplit(redirect_uri)
    if address.scheme != "http" or address.hostname not in ("localhost", "127.0.0.1"):
        msg = "--listen needs an `http://localhost:<port>/…` redirect URI."
        raise click.ClickException(msg)
    caught: dict[str, str] = {}

    class Callback(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            caught["url"] = self.path
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.end_headers()
            self.wfile.write(b"tap-exact is authorized. You can close this window.")

        def log_message(self, *args: t.Any) -> None:  # the URL holds the code: not logged
            return

    with http.server.HTTPServer((address.hostname, address.port or 80), Callback) as server:
        server.handle_request()
    return code_from(caught.get("url", ""), state)


def exchange_code(tap: TapExact, code: str, redirect_uri: str) -> None:
    """Trade the code for a token pair and store it (under the store's lock)."""
    with tap.token_store.locked():
        requested_at = tap.authenticator.clock()
        response = requests.post(
            f"{tap.host}/api/oauth2/token",
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": redirect_uri,
                "client_id": tap.config["client_id"],
                "client_secret": tap.config["client_secret"],
            },
            headers={"Accept": "application/json"},
            timeout=60,
        )
        try:
            body = response.json()
        except ValueError:
            body = {}
        if not response.ok or "refresh_token" not in body:
            reason = body.get("error_description") or body.get("error") or response.reason
            msg = f"Exact refused the authorization code ({reason}). Authorization codes "
            msg += "are single-use and live 3 minutes: start again."
            raise click.ClickException(msg)
        tap.token_store.write(token_pair(body, requested_at))


def store_location(url: str) -> str:
    """The store's location with any database password hidden."""
    if "://" in url:
        return sa.engine.make_url(url).render_as_string(hide_password=True)
    return url


def authorize_command(tap_class: type[TapExact]) -> click.Command:
    """Build the `authorize` subcommand for a tap class."""

    @click.command(help="Authorize the app with Exact Online and fill the token store.")
    @click.option(
        "--config",
        multiple=True,
        required=True,
        help="Configuration file, or ENV to read settings from the environment.",
    )
    @click.option("--code", help="The authorization code, or the URL Exact redirected to.")
    # `meltano invoke` passes the tap's catalog and state too: accepted, not needed.
    @click.option("--catalog", hidden=True)
    @click.option("--state", hidden=True)
    @click.option(
        "--listen",
        is_flag=True,
        help="Catch the redirect on the local `http://localhost:<port>` redirect URI.",
    )
    def authorize(
        config: tuple[str, ...],
        code: str | None,
        listen: bool,
        catalog: str | None,
        state: str | None,
    ) -> None:
        tap = configured_tap(tap_class, config)
        redirect_uri = tap.config.get("redirect_uri")
        if not redirect_uri:
            raise click.ClickException("Set `redirect_uri` to the app's registered one.")
        state = secrets.token_urlsafe(16)
        if code:
            code = code_from(code)
        else:
            url = authorization_url(tap.host, tap.config["client_id"], redirect_uri, state)
            click.echo(f"Open this page, sign in and allow access:\n\n  {url}\n", err=True)
            if listen:
                code = listen_for_code(redirect_uri, state)
            else:
                pasted = click.prompt(
                    "Paste the code, or the whole URL you were redirected to",
                    hide_input=True,
                    err=True,
                )
                code = code_from(pasted, state)
        exchange_code(tap, code, redirect_uri)
        location = store_location(tap.config.get("token_store_url") or ".tap-exact/token")
        click.echo(f"Authorized: the token store ({location}) holds a fresh token pair.", err=True)

    return authorize


def merged_config(paths: tuple[str, ...]) -> dict[str, t.Any]:
    """The settings of several config files, later files winning (`ENV` is not a file)."""
    merged: dict[str, t.Any] = {}
    for path in paths:
        if path != "ENV":
            merged.update(json.loads(Path(path).read_text(encoding="utf-8")))
    return merged


def configured_tap(tap_class: type[TapExact], config: tuple[str, ...]) -> TapExact:
    """The tap of a subcommand's `--config` options, or one sentence on what is missing."""
    if not config:
        raise click.ClickException("Pass `--config FILE` (or `--config ENV`).")
    try:
        return tap_class(
            config=merged_config(config),
            parse_env_config="ENV" in config,
            validate_config=True,
            setup_mapper=False,
        )
    except ConfigValidationError as error:
        # Only the names: a type error's text would quote the (possibly secret) value.
        missing = [e.split("'")[1] for e in error.errors if "is a required property" in e]
        msg = f"Set {', '.join(missing)} in the config." if missing else ""
        msg = msg or "A setting has a wrong type or value (see `tap-exact --about`)."
        raise click.ClickException(msg) from None
