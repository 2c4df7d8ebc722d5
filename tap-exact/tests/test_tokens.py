"""Exact's token rules: the 570 s rule, single-use rotating refresh tokens, the store."""

from __future__ import annotations

import http.client
import socket
import threading
import urllib.parse
from pathlib import Path

import pytest
import requests
import urllib3
from cryptography.fernet import Fernet

from tap_exact.auth import (
    ClientCredentialsError,
    ExactOAuth,
    ExactUnreachableError,
    ReauthorizationNeededError,
)
from tap_exact.token_store import (
    FileTokenStore,
    SqlTokenStore,
    TokenPair,
    TokenStoreError,
    open_token_store,
)

TOKEN_URL = "https://start.exactonline.nl/api/oauth2/token"
API = "https://start.exactonline.nl/api/v1/current/Me"
KEY = Fernet.generate_key().decode()


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_000_000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


class ExactTokenEndpoint:
    """Single-use refresh tokens, each refresh rotating the pair."""

    def __init__(self, clock: FakeClock | None = None) -> None:
        self.valid = {"r0"}
        self.issued = 0
        self.refused_early = 0
        self.lock = threading.Lock()
        self.clock = clock
        self.last_issued_at: float | None = None

    def __call__(self, request: requests.PreparedRequest, context) -> dict:
        form = urllib.parse.parse_qs(request.body)
        with self.lock:
            now = self.clock() if self.clock else 0.0
            if self.clock and self.last_issued_at is not None and now - self.last_issued_at < 570:
                self.refused_early += 1
                context.status_code = 401
                return {
                    "error": "invalid_request",
                    "error_description": "Rate limit exceeded: access_token not expired",
                }
            self.last_issued_at = now
            token = form["refresh_token"][0]
            if token not in self.valid:
                context.status_code = 400
                return {"error": "invalid_grant", "error_description": "spent refresh token"}
            self.valid.discard(token)
            self.issued += 1
            self.valid.add(f"r{self.issued}")
            return {
                "access_token": f"a{self.issued}",
                "refresh_token": f"r{self.issued}",
                "expires_in": "600",
                "token_type": "bearer",
            }


@pytest.fixture(params=["file", "sqlite"])
def store_url(request, tmp_path: Path) -> str:
    if request.param == "file":
        return str(tmp_path / "tokens" / "exact.token")
    return f"sqlite:///{tmp_path / 'tokens.db'}"


def oauth(store_url: str, clock: FakeClock | None = None, **kwargs) -> ExactOAuth:
    clock = clock or FakeClock()
    return ExactOAuth(
        token_url=TOKEN_URL,
        client_id="cid",
        client_secret="cs",
        store=open_token_store(store_url, KEY),
        seed_refresh_token="r0",
        clock=clock,
        sleep=clock.sleep,
        **kwargs,
    )


def test_the_seed_refresh_token_fills_an_empty_store_and_rotates(requests_mock, store_url) -> None:
    endpoint = ExactTokenEndpoint()
    requests_mock.post(TOKEN_URL, json=endpoint)
    auth = oauth(store_url)
    assert auth.access_token() == "a1"
    stored = open_token_store(store_url, KEY).read()
    assert (stored.refresh_token, stored.access_token) == ("r1", "a1")


def test_a_token_is_reused_until_due_and_refreshed_then(requests_mock, store_url) -> None:
    endpoint = ExactTokenEndpoint()
    requests_mock.post(TOKEN_URL, json=endpoint)
    clock = FakeClock()
    auth = oauth(store_url, clock)
    auth.access_token()
    clock.now += 500
    assert auth.access_token() == "a1"  # still valid: no call
    clock.now += 80  # 580 s: within 30 s of expiry
    assert auth.access_token() == "a2"
    assert endpoint.issued == 2


def test_a_rejected_token_is_refreshed_but_never_before_570_seconds(
    requests_mock, store_url
) -> None:
    clock = FakeClock()
    endpoint = ExactTokenEndpoint(clock)
    requests_mock.post(TOKEN_URL, json=endpoint)
    auth = oauth(store_url, clock)
    auth.access_token()
    clock.now += 100
    auth.invalidate()  # Exact answered 401 to a call
    assert auth.access_token() == "a2"
    assert endpoint.refused_early == 1  # Exact said "not expired"...
    assert clock.slept == [470.0]  # ...so the tap waited until 570 s after the last refresh
    assert endpoint.issued == 2


def test_a_due_token_is_refreshed_without_being_refused(requests_mock, store_url) -> None:
    clock = FakeClock()
    endpoint = ExactTokenEndpoint(clock)
    requests_mock.post(TOKEN_URL, json=endpoint)
    auth = oauth(store_url, clock)
    auth.access_token()
    for _ in range(5):
        clock.now += 571
        auth.access_token()
    assert (endpoint.issued, endpoint.refused_early, clock.slept) == (6, 0, [])


def test_a_rejection_after_the_server_clock_moved_on_refreshes_at_once(
    requests_mock, store_url
) -> None:
    requests_mock.post(TOKEN_URL, json=ExactTokenEndpoint())  # no 570 s rule left to hit
    clock = FakeClock()
    auth = oauth(store_url, clock)
    auth.access_token()
    clock.now += 60
    auth.invalidate()
    assert auth.access_token() == "a2"
    assert clock.slept == []


def test_the_new_pair_is_stored_before_the_new_token_is_used(requests_mock, store_url) -> None:
    requests_mock.post(TOKEN_URL, json=ExactTokenEndpoint())
    seen: list[str] = []

    def me(request, context) -> dict:
        seen.append(open_token_store(store_url, KEY).read().refresh_token)
        return {}

    requests_mock.get(API, json=me)
    auth = oauth(store_url)
    prepared = requests.Request("GET", API).prepare()
    requests.Session().send(auth.authenticate_request(prepared))
    assert seen == ["r1"]


def test_two_concurrent_runs_never_spend_the_same_refresh_token(requests_mock, store_url) -> None:
    endpoint = ExactTokenEndpoint()
    requests_mock.post(TOKEN_URL, json=endpoint)
    results: list[str] = []
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def run() -> None:
        try:
            start.wait(timeout=30)  # both runs open the (fresh) store at the same moment
            auth = oauth(store_url)  # a separate run: its own process state
            results.append(auth.access_token())
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert results == ["a1", "a1"]  # the second run found the first one's fresh token
    assert endpoint.issued == 1


def test_a_spent_or_expired_refresh_token_asks_to_authorize_again(requests_mock, tmp_path) -> None:
    requests_mock.post(
        TOKEN_URL,
        status_code=400,
        json={
            "error": "invalid_request",
            "error_description": "The refresh token expired at 10/11/2026 9:18:20 PM",
        },
    )
    with pytest.raises(ReauthorizationNeededError, match="tap-exact authorize") as raised:
        oauth(str(tmp_path / "t")).access_token()
    assert "r0" not in str(raised.value)
    assert token_calls(requests_mock) == 1  # a refusal is final: no retry


def test_refused_app_credentials_say_to_check_them_not_to_authorize_again(
    requests_mock, tmp_path
) -> None:
    requests_mock.post(
        TOKEN_URL,
        status_code=400,
        json={"error": "invalid_client", "error_description": "Unknown client or wrong secret."},
    )
    with pytest.raises(ClientCredentialsError) as raised:
        oauth(str(tmp_path / "t")).access_token()
    assert str(raised.value) == (
        "Exact refused the app's credentials (Unknown client or wrong secret.): check "
        "`client_id` and `client_secret` (Exact App Center)."
    )


def refused_connection() -> requests.ConnectionError:
    """What requests raises when nothing listens: a real attempt on a closed loopback port."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    try:
        requests.post(f"http://127.0.0.1:{port}/api/oauth2/token", timeout=5)
    except requests.ConnectionError as error:
        return error
    raise AssertionError("the closed port answered")  # pragma: no cover


REFUSED = refused_connection()  # made before requests-mock stands in for the network
# Sent, then the connection dropped: Exact may have rotated the refresh token meanwhile.
DROPPED_AFTER_SENDING = {
    "remote-disconnected": requests.ConnectionError(
        urllib3.exceptions.ProtocolError(
            "Connection aborted.",
            http.client.RemoteDisconnected("Remote end closed connection without response"),
        )
    ),
    "connection-reset": requests.ConnectionError(
        urllib3.exceptions.ProtocolError(
            "Connection aborted.", ConnectionResetError(104, "Connection reset by peer")
        )
    ),
    "read-timeout": requests.ReadTimeout("Read timed out. (read timeout=60)"),
}


@pytest.fixture
def waits(monkeypatch) -> list[float]:
    """The waits between token requests, recorded instead of slept."""
    recorded: list[float] = []
    monkeypatch.setattr("backoff._sync.time.sleep", recorded.append)
    return recorded


def token_calls(requests_mock) -> int:
    return sum(r.url == TOKEN_URL for r in requests_mock.request_history)


def test_an_unreachable_token_endpoint_says_to_check_the_region(
    requests_mock, tmp_path, waits
) -> None:
    requests_mock.post(TOKEN_URL, exc=REFUSED)
    with pytest.raises(ExactUnreachableError) as raised:
        oauth(str(tmp_path / "t")).access_token()
    assert str(raised.value).startswith(
        "Cannot reach Exact Online at https://start.exactonline.nl (Connection refused): "
        "check `region` (or `base_url`)"
    )
    assert token_calls(requests_mock) == 4  # never sent, so safely tried again first
    assert sum(waits) <= 3.5


@pytest.mark.parametrize(
    "first_answer",
    [
        {"status_code": 503, "text": "Service Unavailable"},
        {"status_code": 429, "text": "Too Many Requests"},
        {"exc": REFUSED},
        {"exc": requests.ConnectTimeout("Connection to start.exactonline.nl timed out.")},
    ],
    ids=["503", "429", "refused", "connect-timeout"],
)
def test_a_token_request_exact_never_acted_on_is_sent_again(
    requests_mock, store_url, waits, caplog, first_answer
) -> None:
    endpoint = ExactTokenEndpoint()
    requests_mock.post(TOKEN_URL, [first_answer, {"json": endpoint}])
    with caplog.at_level("WARNING", logger="tap_exact.auth"):
        assert oauth(store_url).access_token() == "a1"
    assert token_calls(requests_mock) == 2
    assert endpoint.issued == 1
    assert open_token_store(store_url, KEY).read().refresh_token == "r1"
    assert len(waits) == 1
    [warning] = [r for r in caplog.records if r.levelname == "WARNING"]
    assert warning.getMessage().startswith("Token request failed (")
    assert "r0" not in caplog.text  # the refresh token is never logged


@pytest.mark.parametrize("dropped", DROPPED_AFTER_SENDING.values(), ids=DROPPED_AFTER_SENDING)
def test_a_token_request_dropped_after_sending_is_not_sent_again(
    requests_mock, tmp_path, waits, dropped
) -> None:
    store_url = str(tmp_path / "t")
    open_token_store(store_url, KEY).write(TokenPair(refresh_token="r0"))
    requests_mock.post(TOKEN_URL, [{"exc": dropped}, {"json": ExactTokenEndpoint()}])
    with pytest.raises(ExactUnreachableError) as raised:
        oauth(store_url).access_token()
    assert "took the token request but gave no answer" in str(raised.value)
    assert "run the job again" in str(raised.value)
    assert token_calls(requests_mock) == 1  # a second try could spend a rotated token
    assert waits == []
    assert open_token_store(store_url, KEY).read().refresh_token == "r0"  # kept for next run


def test_exact_busy_on_every_try_ends_with_its_answer(requests_mock, tmp_path, waits) -> None:
    requests_mock.post(TOKEN_URL, status_code=503, json={"error": "server_error"})
    with pytest.raises(RuntimeError) as raised:
        oauth(str(tmp_path / "t")).access_token()
    assert str(raised.value) == "Exact's token endpoint answered 503: server_error"
    assert token_calls(requests_mock) == 4
    assert len(waits) == 3


def test_a_busy_token_endpoint_is_waited_for_as_its_retry_after_says_capped(
    requests_mock, tmp_path, waits
) -> None:
    requests_mock.post(
        TOKEN_URL,
        [
            {"status_code": 429, "headers": {"Retry-After": "2"}, "text": "slow down"},
            {"status_code": 503, "headers": {"Retry-After": "600"}, "text": "maintenance"},
            {"json": ExactTokenEndpoint()},
        ],
    )
    assert oauth(str(tmp_path / "t")).access_token() == "a1"
    assert waits == [2.0, 3.0]


def test_the_store_is_encrypted_at_rest(requests_mock, tmp_path) -> None:
    requests_mock.post(TOKEN_URL, json=ExactTokenEndpoint())
    path = tmp_path / "exact.token"
    oauth(str(path)).access_token()
    raw = path.read_bytes()
    assert b"refresh_token" not in raw  # no plaintext JSON
    with pytest.raises(TokenStoreError, match="cannot be decrypted"):
        FileTokenStore(path, Fernet.generate_key().decode()).read()


def test_a_bad_encryption_key_is_refused_clearly(tmp_path) -> None:
    with pytest.raises(TokenStoreError, match="not a Fernet key"):
        open_token_store(str(tmp_path / "t"), "not-a-key")


def test_sql_store_accepts_any_sqlalchemy_url(tmp_path) -> None:
    store = open_token_store(f"sqlite:///{tmp_path / 's.db'}", KEY)
    assert isinstance(store, SqlTokenStore)
    store.write(TokenPair(refresh_token="r9"))
    assert store.read().refresh_token == "r9"
