"""`tap-exact webhooks …` against the Exact Online emulator, which validates callbacks."""

from __future__ import annotations

import http.server
import json
import secrets
import subprocess
import sys
import threading
import typing as t
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from tap_exact.webhooks import redacted, redacted_url

if t.TYPE_CHECKING:
    from collections.abc import Iterator

    from erp_sandbox.exact import ExactEmulator

KEY = Fernet.generate_key().decode()
TOPICS = {"Accounts", "Contacts", "SalesInvoices"}


class Receiver:
    """A callback endpoint: 200 to POSTs on its secret paths, 404 elsewhere."""

    def __init__(self) -> None:
        self.paths: set[str] = set()
        self.posts: list[tuple[str, bytes]] = []
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                receiver.posts.append((self.path, body))
                self.send_response(200 if self.path in receiver.paths else 404)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: t.Any) -> None:
                return

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, secret: str, *, accepted: bool = True) -> str:
        """A callback URL whose last path segment is the secret."""
        path = f"/exact/hooks/{secret}"
        if accepted:
            self.paths.add(path)
        return f"http://127.0.0.1:{self.server.server_address[1]}{path}"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    receiver = Receiver()
    yield receiver
    receiver.server.shutdown()
    receiver.server.server_close()


@pytest.fixture
def emulator(exact_emulator: ExactEmulator) -> ExactEmulator:
    exact_emulator.configure(validate_webhook_callbacks=True)
    return exact_emulator


@pytest.fixture
def config(emulator: ExactEmulator, tmp_path: Path) -> Path:
    path = tmp_path / "config.json"
    settings = {
        "base_url": emulator.base_url,
        "client_id": emulator.client_id,
        "client_secret": emulator.client_secret,
        "refresh_token": emulator.issue_refresh_token(),
        "token_store_url": str(tmp_path / "token"),
        "token_encryption_key": KEY,
    }
    path.write_text(json.dumps(settings))
    return path


@pytest.fixture
def secret() -> str:
    return secrets.token_urlsafe(24)


def webhooks(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`tap-exact webhooks <args> --config <file>` in its own process."""
    return subprocess.run(
        [sys.executable, "-m", "tap_exact", "webhooks", *args, "--config", str(config)],
        capture_output=True,
        text=True,
        check=False,
    )


def assert_no_secret(run: subprocess.CompletedProcess[str], emulator, *hidden: str) -> None:
    output = run.stdout + run.stderr
    tokens = [
        token["token"]
        for grant in emulator.oauth_state()["grants"]
        for token in grant["refresh_tokens"]
    ]
    for value in (emulator.client_secret, KEY, *tokens, *hidden):
        assert value not in output


def posts_to_subscriptions(emulator: ExactEmulator) -> int:
    return emulator.calls.count(f"POST /api/v1/{emulator.division}/webhooks/WebhookSubscriptions")


def test_subscribe_creates_the_three_topics_once_exact_validated_the_callback(
    emulator, config, receiver, secret
) -> None:
    url = receiver.url(secret)
    run = webhooks(config, "subscribe", "--callback-url", url)
    assert run.returncode == 0, run.stderr
    subscriptions = emulator.webhook_subscriptions
    assert {s["Topic"] for s in subscriptions} == TOPICS
    assert {s["CallbackURL"] for s in subscriptions} == {url}
    assert receiver.posts == [(f"/exact/hooks/{secret}", b"")] * 3  # Exact's validation
    assert run.stdout.count(": subscribed (") == 3
    assert_no_secret(run, emulator, secret)


def test_a_second_subscribe_posts_nothing(emulator, config, receiver, secret) -> None:
    url = receiver.url(secret)
    webhooks(config, "subscribe", "--callback-url", url)
    posts = posts_to_subscriptions(emulator)
    again = webhooks(config, "subscribe", "--callback-url", url)
    assert again.returncode == 0, again.stderr
    assert posts_to_subscriptions(emulator) == posts
    assert again.stdout.count("already subscribed") == 3
    assert len(emulator.webhook_subscriptions) == 3
    assert_no_secret(again, emulator, secret)


def test_a_topic_subscribed_elsewhere_stays_unless_replace(
    emulator, config, receiver, secret
) -> None:
    old_secret = secrets.token_urlsafe(24)
    old = receiver.url(old_secret)
    webhooks(config, "subscribe", "--callback-url", old, "--topic", "Accounts")
    new = receiver.url(secret)

    kept = webhooks(config, "subscribe", "--callback-url", new)
    assert kept.returncode == 1
    assert "Accounts: subscribed to another URL" in kept.stdout
    assert "--replace" in kept.stderr
    by_topic = {s["Topic"]: s["CallbackURL"] for s in emulator.webhook_subscriptions}
    assert by_topic == {"Accounts": old, "Contacts": new, "SalesInvoices": new}

    moved = webhooks(config, "subscribe", "--callback-url", new, "--replace")
    assert moved.returncode == 0, moved.stderr
    by_topic = {s["Topic"]: s["CallbackURL"] for s in emulator.webhook_subscriptions}
    assert by_topic == dict.fromkeys(TOPICS, new)
    deletes = [c for c in emulator.calls if c.method == "DELETE"]
    assert len(deletes) == 1
    assert "Accounts: deleted" in moved.stdout
    for run in (kept, moved):
        assert_no_secret(run, emulator, secret, old_secret)


def test_list_shows_ids_and_topics_with_the_secret_segment_redacted(
    emulator, config, receiver, secret
) -> None:
    url = receiver.url(secret)
    webhooks(config, "subscribe", "--callback-url", url)
    run = webhooks(config, "list")
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    assert lines[0].split() == ["ID", "Topic", "CallbackURL"]
    rows = {tuple(line.split()) for line in lines[1:]}
    shown = url.replace(secret, "***")
    assert rows == {(s["ID"], s["Topic"], shown) for s in emulator.webhook_subscriptions}
    assert_no_secret(run, emulator, secret)


def test_delete_removes_one_subscription_or_all(emulator, config, receiver, secret) -> None:
    webhooks(config, "subscribe", "--callback-url", receiver.url(secret))
    first, *rest = emulator.webhook_subscriptions
    one = webhooks(config, "delete", first["ID"])
    assert one.returncode == 0, one.stderr
    assert emulator.webhook_subscriptions == rest
    everything = webhooks(config, "delete", "--all")
    assert everything.returncode == 0, everything.stderr
    assert emulator.webhook_subscriptions == []
    assert everything.stdout.count("Deleted") == 2


def test_deleting_an_unknown_subscription_says_what_exact_said(emulator, config) -> None:
    run = webhooks(config, "delete", "0b6e5a5c-1d4f-4c8e-9a51-3f2d7c6b8e90")
    assert run.returncode == 1
    assert "404" in run.stderr
    assert "Resource not found" in run.stderr


def test_a_callback_exact_cannot_validate_fails_with_exacts_message_and_no_secret(
    emulator, config, receiver, secret
) -> None:
    url = receiver.url(secret, accepted=False)  # the receiver answers 404
    run = webhooks(config, "subscribe", "--callback-url", url)
    assert run.returncode == 1
    assert emulator.webhook_subscriptions == []
    error = run.stderr.strip().splitlines()[-1]
    assert error.startswith("Error: Exact Online refused to subscribe to Accounts (400")
    assert "could not be validated: callback answered 404" in error
    assert url.replace(secret, "***") in error
    assert_no_secret(run, emulator, secret)


def test_a_failed_post_is_not_repeated_but_a_failed_read_is(
    emulator, config, receiver, secret
) -> None:
    # Exact may have done a POST that answered 5xx; a GET is safe to repeat.
    emulator.faults.enqueue(method="GET", path="*/WebhookSubscriptions", status=503, retry_after=0)
    emulator.faults.enqueue(method="POST", path="*/WebhookSubscriptions", status=503)
    run = webhooks(config, "subscribe", "--callback-url", receiver.url(secret))
    assert run.returncode == 1
    assert "refused to subscribe to Accounts (503" in run.stderr
    assert posts_to_subscriptions(emulator) == 1
    assert emulator.webhook_subscriptions == []


def test_a_spent_day_is_reported_in_one_sentence(emulator, config) -> None:
    emulator.configure(daily_limit=1)  # /current/Me spends it
    run = webhooks(config, "list")
    assert run.returncode == 1
    assert "daily API limit for this company is spent: try again after" in run.stderr


def test_meltano_invoke_arguments_are_accepted(emulator, config, tmp_path) -> None:
    # `meltano invoke tap-exact webhooks list`: Meltano's options come first.
    (tmp_path / "catalog.json").write_text('{"streams": []}')
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "tap_exact",
            "--config",
            str(config),
            "--catalog",
            str(tmp_path / "catalog.json"),
            "webhooks",
            "list",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "No webhook subscriptions."


def test_a_missing_setting_is_named() -> None:
    run = subprocess.run(
        [sys.executable, "-m", "tap_exact", "webhooks", "list", "--config", "ENV"],
        capture_output=True,
        text=True,
        check=False,
        env={"PATH": ""},
    )
    assert run.returncode == 1
    assert "Set client_id, client_secret, token_encryption_key in the config." in run.stderr


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://hooks.example.com/exact/webhook", "https://hooks.example.com/exact/webhook"),
        (
            "https://hooks.example.com/exact/3q2-7VtWm0sQ9xYcL4bK8n/events",
            "https://hooks.example.com/exact/***/events",
        ),
        ("https://hooks.example.com/exact?token=abc", "https://hooks.example.com/exact?***"),
        ("https://user:pw@hooks.example.com/x#frag", "https://***@hooks.example.com/x#***"),
    ],
)
def test_long_segments_queries_and_credentials_are_redacted(url: str, shown: str) -> None:
    assert redacted_url(url) == shown


def test_urls_inside_a_message_are_redacted() -> None:
    message = "The callback URL 'https://h.example/hooks/0123456789abcdefXYZ' failed."
    assert redacted(message) == "The callback URL 'https://h.example/hooks/***' failed."
