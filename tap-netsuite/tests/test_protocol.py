"""Protocol details of tap-netsuite, against requests-mock."""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import hashlib
import hmac
import io
import json
import subprocess
import sys
import typing as t
import urllib.parse

import jwt
import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from singer_sdk.exceptions import FatalAPIError

from tap_netsuite.suiteql import account_host, keyset_filter, parse_timestamp, realm
from tap_netsuite.tap import TapNetSuite

HOST = "https://1234567-sb1.suitetalk.api.netsuite.com"
SUITEQL = f"{HOST}/services/rest/query/v1/suiteql"
TOKEN = f"{HOST}/services/rest/auth/oauth2/v1/token"
TBA = {"consumer_key": "ck", "consumer_secret": "cs", "token_id": "tk", "token_secret": "ts"}


def pem(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def tap(**config: t.Any) -> TapNetSuite:
    return TapNetSuite(
        config={"account_id": "1234567_SB1", "start_date": "2026-01-01T00:00:00Z", **config},
        validate_config=True,
    )


def records(tap_instance: TapNetSuite, stream: str) -> list[dict[str, t.Any]]:
    """Sync one stream as the tap would and return the records it wrote."""
    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        tap_instance.streams[stream].sync()
    messages = [json.loads(line) for line in output.getvalue().splitlines()]
    return [message["record"] for message in messages if message["type"] == "RECORD"]


def page(items: list[dict[str, t.Any]], *, has_more: bool = False) -> dict[str, t.Any]:
    return {
        "links": [],
        "count": len(items),
        "hasMore": has_more,
        "offset": 0,
        "totalResults": len(items),
        "items": [{"links": [], **item} for item in items],
    }


CUSTOMER = {
    "id": "7",
    "entityid": "ACME",
    "email": "ops@acme-trading.com",
    "isperson": "F",
    "isinactive": "T",
    "lastmodifieddate": "2026-03-01 09:30:00",
    "datecreated": "2025-12-31 23:59:59",
}


def test_host_and_realm_follow_netsuites_sandbox_naming() -> None:
    assert account_host("1234567_SB1") == "1234567-sb1.suitetalk.api.netsuite.com"
    assert realm("1234567-sb1") == "1234567_SB1"


def test_suiteql_request_is_transient_post_with_the_query(requests_mock) -> None:
    requests_mock.post(SUITEQL, json=page([CUSTOMER]))
    records(tap(**TBA), "customers")
    request = requests_mock.last_request
    assert request.headers["Prefer"] == "transient"
    assert request.qs == {"limit": ["1000"], "offset": ["0"]}
    query = request.json()["q"]
    assert query.startswith("SELECT c.id AS id")
    assert (
        "c.lastmodifieddate >= TO_TIMESTAMP('2026-01-01 00:00:00', 'YYYY-MM-DD HH24:MI:SS')"
        in query
    )
    assert query.endswith("ORDER BY c.lastmodifieddate, c.id")


def test_values_are_typed_and_timestamps_converted_to_utc(requests_mock) -> None:
    requests_mock.post(SUITEQL, json=page([CUSTOMER]))
    [record] = records(tap(account_timezone="America/Los_Angeles", **TBA), "customers")
    assert record["id"] == 7
    assert record["isperson"] is False
    assert record["isinactive"] is True
    assert record["lastmodifieddate"] == "2026-03-01T17:30:00+00:00"
    assert record["datecreated"] == "2026-01-01T07:59:59+00:00"
    assert record["phone"] is None  # NetSuite leaves empty columns out


def test_start_date_is_sent_in_the_account_time_zone(requests_mock) -> None:
    requests_mock.post(SUITEQL, json=page([]))
    records(tap(account_timezone="Europe/Amsterdam", **TBA), "items")
    assert "TO_TIMESTAMP('2026-01-01 01:00:00'" in requests_mock.last_request.json()["q"]


def test_pages_follow_the_last_row_by_keyset_not_by_offset(requests_mock) -> None:
    first = [dict(CUSTOMER, id="7"), dict(CUSTOMER, id="9")]
    second = [dict(CUSTOMER, id="12", lastmodifieddate="2026-03-01 09:31:00")]
    requests_mock.post(SUITEQL, [{"json": page(first, has_more=True)}, {"json": page(second)}])
    found = records(tap(**TBA), "customers")
    assert [record["id"] for record in found] == [7, 9, 12]
    second_request = requests_mock.request_history[1]
    assert second_request.qs["offset"] == ["0"]
    query = second_request.json()["q"]
    assert (
        "((c.lastmodifieddate > TO_TIMESTAMP('2026-03-01 09:30:00', 'YYYY-MM-DD HH24:MI:SS')) OR "
        "(c.lastmodifieddate = TO_TIMESTAMP('2026-03-01 09:30:00', 'YYYY-MM-DD HH24:MI:SS') "
        "AND c.id > 9))"
    ) in query


def test_keyset_filter_handles_three_columns_and_text_values() -> None:
    zone = dt.UTC
    text = keyset_filter(
        ["d.deleteddate", "d.recordtypeid", "d.recordid"],
        ["2026-01-01 00:00:00", "customer", "5"],
        zone,
    )  # type: ignore[arg-type]
    assert "d.recordtypeid > 'customer'" in text
    assert "d.recordtypeid = 'customer' AND d.recordid > 5" in text


def test_sales_orders_carry_positive_lines_from_one_query_per_page(requests_mock) -> None:
    orders = [
        {
            "id": "100",
            "tranid": "SO100",
            "trandate": "2026-02-01",
            "entity": "7",
            "foreigntotal": "250.00",
            "statusname": "Pending Fulfillment",
            "lastmodifieddate": "2026-03-01 09:30:00",
        },
        {"id": "101", "lastmodifieddate": "2026-03-01 09:30:00"},
    ]
    lines = [
        {
            "transaction": "100",
            "id": "5001",
            "line": "1",
            "item": "42",
            "quantity": "2",
            "rate": "125.00",
            "amount": "250.00",
        }
    ]
    requests_mock.post(SUITEQL, [{"json": page(orders)}, {"json": page(lines)}])
    found = records(tap(**TBA), "sales_orders")
    assert found[0]["lines"] == [
        {"id": 5001, "line": 1, "item": 42, "quantity": 2, "rate": 125, "amount": 250}
    ]
    assert found[1]["lines"] == []
    lines_query = requests_mock.request_history[1].json()["q"]
    assert "tl.transaction IN (100, 101)" in lines_query
    assert "tl.mainline = 'F' AND tl.taxline = 'F'" in lines_query
    assert "ABS(tl.quantity)" in lines_query


def test_oauth2_assertion_is_a_ps256_jwt_with_kid_and_claims(requests_mock, rsa_key) -> None:
    requests_mock.post(
        TOKEN, json={"access_token": "bearer-1", "expires_in": 3600, "token_type": "bearer"}
    )
    requests_mock.post(SUITEQL, json=page([CUSTOMER]))
    records(tap(client_id="cid", certificate_id="cert-1", private_key=pem(rsa_key)), "customers")
    form = urllib.parse.parse_qs(requests_mock.request_history[0].text)
    assert form["grant_type"] == ["client_credentials"]
    assert form["client_assertion_type"] == [
        "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
    ]
    assertion = form["client_assertion"][0]
    header = jwt.get_unverified_header(assertion)
    assert (header["alg"], header["kid"]) == ("PS256", "cert-1")
    claims = jwt.decode(assertion, rsa_key.public_key(), algorithms=["PS256"], audience=TOKEN)
    assert claims["iss"] == "cid"
    assert claims["scope"] == "rest_webservices"
    assert 0 < claims["exp"] - claims["iat"] <= 3600
    assert requests_mock.last_request.headers["Authorization"] == "Bearer bearer-1"


def test_ec_keys_sign_with_es256(requests_mock) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    requests_mock.post(TOKEN, json={"access_token": "b", "expires_in": 3600})
    requests_mock.post(SUITEQL, json=page([]))
    records(tap(client_id="cid", certificate_id="c", private_key=pem(key)), "items")
    assertion = urllib.parse.parse_qs(requests_mock.request_history[0].text)["client_assertion"][0]
    assert jwt.get_unverified_header(assertion)["alg"] == "ES256"
    jwt.decode(assertion, key.public_key(), algorithms=["ES256"], audience=TOKEN)


def test_one_bearer_serves_every_stream_and_is_renewed_once_on_401(requests_mock, rsa_key) -> None:
    requests_mock.post(
        TOKEN,
        [
            {"json": {"access_token": "b1", "expires_in": 3600}},
            {"json": {"access_token": "b2", "expires_in": 3600}},
        ],
    )
    unauthorized = {
        "status_code": 401,
        "headers": {"WWW-Authenticate": 'Bearer realm="1234567_SB1", error="invalid_token"'},
        "json": {
            "status": 401,
            "o:errorDetails": [
                {"detail": "Invalid login attempt.", "o:errorCode": "INVALID_LOGIN"}
            ],
        },
    }
    requests_mock.post(SUITEQL, [{"json": page([])}, unauthorized, {"json": page([])}])
    netsuite = tap(client_id="cid", certificate_id="c", private_key=pem(rsa_key))
    records(netsuite, "items")
    records(netsuite, "customers")
    token_calls = [r for r in requests_mock.request_history if r.url == TOKEN]
    assert len(token_calls) == 2
    assert requests_mock.last_request.headers["Authorization"] == "Bearer b2"


def test_a_refused_token_request_says_which_settings_to_check(
    requests_mock, rsa_key, token_waits
) -> None:
    requests_mock.post(
        TOKEN,
        status_code=401,
        json={"error": "invalid_client", "error_description": "kid 'c' is not mapped"},
    )
    netsuite = tap(client_id="cid", certificate_id="c", private_key=pem(rsa_key))
    with pytest.raises(FatalAPIError) as raised:
        records(netsuite, "items")
    message = str(raised.value)
    assert message.startswith(
        "NetSuite refused the token request (401 invalid_client: kid 'c' is not mapped)"
    )
    assert "check `client_id`, `certificate_id`" in message
    assert len(token_calls(requests_mock)) == 1  # a refusal means wrong settings: no retry
    assert token_waits == []


def test_an_unreachable_token_endpoint_says_to_check_the_account(
    requests_mock, rsa_key, token_waits
) -> None:
    requests_mock.post(TOKEN, exc=requests.ConnectionError("[Errno 111] Connection refused"))
    netsuite = tap(client_id="cid", certificate_id="c", private_key=pem(rsa_key))
    with pytest.raises(FatalAPIError) as raised:
        records(netsuite, "items")
    assert str(raised.value).startswith(f"Cannot reach NetSuite at {HOST} (Connection refused)")
    assert "check `account_id` (or `base_url`)" in str(raised.value)
    assert len(token_calls(requests_mock)) == 4  # after a few quick retries
    assert sum(token_waits) <= 3.5


@pytest.fixture
def token_waits(monkeypatch) -> list[float]:
    """The waits between token requests, recorded instead of slept."""
    waits: list[float] = []
    monkeypatch.setattr("backoff._sync.time.sleep", waits.append)
    return waits


def token_calls(requests_mock) -> list[t.Any]:
    return [r for r in requests_mock.request_history if r.url == TOKEN]


@pytest.mark.parametrize(
    "first_answer",
    [
        {"status_code": 503, "text": "Service Unavailable"},
        {"exc": requests.ConnectionError("Connection aborted.")},
        {"exc": requests.ReadTimeout("Read timed out.")},
    ],
    ids=["503", "dropped-connection", "timeout"],
)
def test_a_token_request_that_failed_in_passing_is_retried_and_the_stream_syncs(
    requests_mock, rsa_key, token_waits, caplog, first_answer
) -> None:
    requests_mock.post(TOKEN, [first_answer, {"json": {"access_token": "b", "expires_in": 3600}}])
    requests_mock.post(SUITEQL, json=page([CUSTOMER]))
    netsuite = tap(client_id="cid", certificate_id="c", private_key=pem(rsa_key))
    with caplog.at_level("WARNING", logger="tap_netsuite.auth"):
        assert len(records(netsuite, "customers")) == 1
    assert len(token_calls(requests_mock)) == 2
    assert len(token_waits) == 1
    assert 0 <= token_waits[0] <= 0.5
    [warning] = [r for r in caplog.records if r.name == "tap_netsuite.auth"]
    assert warning.levelname == "WARNING"
    assert warning.getMessage().startswith("Token request failed (")
    assert "try 2 of 4" in warning.getMessage()


def test_a_busy_token_endpoint_is_waited_for_as_its_retry_after_says_capped(
    requests_mock, rsa_key, token_waits
) -> None:
    requests_mock.post(
        TOKEN,
        [
            {"status_code": 429, "headers": {"Retry-After": "2"}, "text": "slow down"},
            {"status_code": 503, "headers": {"Retry-After": "600"}, "text": "maintenance"},
            {"json": {"access_token": "b", "expires_in": 3600}},
        ],
    )
    requests_mock.post(SUITEQL, json=page([]))
    records(tap(client_id="cid", certificate_id="c", private_key=pem(rsa_key)), "customers")
    assert token_waits == [2.0, 3.0]


def test_a_token_endpoint_busy_on_every_try_ends_the_run_with_its_answer(
    requests_mock, rsa_key, token_waits, caplog
) -> None:
    requests_mock.post(TOKEN, status_code=503, json={"error": "server_error"})
    netsuite = tap(client_id="cid", certificate_id="c", private_key=pem(rsa_key))
    with pytest.raises(FatalAPIError) as raised, caplog.at_level("WARNING"):
        records(netsuite, "items")
    assert str(raised.value) == "NetSuite's token endpoint answered 503: server_error"
    assert len(token_calls(requests_mock)) == 4
    assert len(token_waits) == 3
    assert "client_assertion" not in caplog.text
    assert "eyJ" not in caplog.text  # no signed assertion in the logs


def test_tba_signs_every_request_afresh_with_hmac_sha256(requests_mock) -> None:
    sent: list[str] = []  # headers as they were at each send (the request is reused)

    def respond(status: int, body: dict[str, t.Any]) -> dict[str, t.Any]:
        def callback(request: t.Any, context: t.Any) -> dict[str, t.Any]:
            sent.append(request.headers["Authorization"])
            context.status_code = status
            return body

        return {"json": callback}

    requests_mock.post(
        SUITEQL,
        [
            respond(
                429,
                {
                    "o:errorDetails": [
                        {
                            "detail": "Concurrent request limit exceeded. Request blocked.",
                            "o:errorCode": "CONCURRENCY_LIMIT_EXCEEDED",
                        }
                    ]
                },
            ),
            respond(200, page([])),
        ],
    )
    records(tap(**TBA), "items")
    params = [
        dict(urllib.parse.parse_qsl(h[len("OAuth ") :].replace('"', "").replace(", ", "&")))
        for h in sent
    ]
    assert params[0]["realm"] == "1234567_SB1"
    assert params[0]["oauth_signature_method"] == "HMAC-SHA256"
    assert params[0]["oauth_nonce"] != params[1]["oauth_nonce"]  # the retry was re-signed
    # The signature verifies over the method, the URL without query, and all parameters.
    signed = {k: v for k, v in params[1].items() if k not in ("realm", "oauth_signature")}
    signed.update({"limit": "1000", "offset": "0"})
    normalized = "&".join(
        f"{urllib.parse.quote(k, safe='')}={urllib.parse.quote(v, safe='')}"
        for k, v in sorted(signed.items())
    )
    base = "&".join(urllib.parse.quote(part, safe="") for part in ("POST", SUITEQL, normalized))
    expected = base64.b64encode(hmac.new(b"cs&ts", base.encode(), hashlib.sha256).digest())
    assert urllib.parse.unquote(params[1]["oauth_signature"]) == expected.decode()


def test_query_errors_name_the_stream_and_the_field(requests_mock) -> None:
    requests_mock.post(
        SUITEQL,
        status_code=400,
        json={
            "type": "https://www.rfc-editor.org/rfc/rfc9110.html#section-15.5.1",
            "title": "Bad Request",
            "status": 400,
            "o:errorDetails": [
                {
                    "detail": "Invalid search query. Detailed unprocessed description "
                    "follows. Search error occurred: Field 'phone' for record "
                    "'customer' was not found.",
                    "o:errorCode": "INVALID_PARAMETER",
                }
            ],
        },
    )
    with pytest.raises(Exception, match=r"Stream 'customers'.*Field 'phone'.*permission") as raised:
        records(tap(**TBA), "customers")
    assert "cs" not in str(raised.value).split("Stream")[0]


def test_missing_credentials_fail_with_one_sentence() -> None:
    with pytest.raises(Exception, match="Set either client_id"):
        records(tap(), "items")


def test_parse_timestamp_uses_the_account_zone() -> None:
    from zoneinfo import ZoneInfo

    assert parse_timestamp("2026-07-01 12:00:00", ZoneInfo("America/New_York")) == dt.datetime(
        2026, 7, 1, 16, tzinfo=dt.UTC
    )


def test_private_key_errors_never_echo_the_key() -> None:
    with pytest.raises(ValueError, match="not an unencrypted PEM") as raised:
        records(tap(client_id="c", certificate_id="c", private_key="secret-not-a-key"), "items")
    assert "secret-not-a-key" not in str(raised.value)
    assert json.dumps(str(raised.value))


def test_rows_beyond_the_suiteql_ceiling_are_read_by_the_next_keyset_query(requests_mock) -> None:
    # At the ceiling NetSuite says hasMore false although totalResults counts more rows.
    capped = {**page([dict(CUSTOMER, id="7")]), "totalResults": 2}
    rest = page([dict(CUSTOMER, id="8")])
    requests_mock.post(SUITEQL, [{"json": capped}, {"json": rest}])
    assert [record["id"] for record in records(tap(**TBA), "customers")] == [7, 8]


def test_lines_beyond_one_page_are_read_by_keyset_on_transaction_and_uniquekey(
    requests_mock,
) -> None:
    orders = [{"id": "100", "lastmodifieddate": "2026-03-01 09:30:00"}]
    first = {
        **page([{"transaction": "100", "id": "5002", "line": "2", "item": "1"}]),
        "totalResults": 2,
    }  # capped at the ceiling
    second = page([{"transaction": "100", "id": "5001", "line": "1", "item": "1"}])
    requests_mock.post(SUITEQL, [{"json": page(orders)}, {"json": first}, {"json": second}])
    [order] = records(tap(**TBA), "sales_orders")
    assert [line["line"] for line in order["lines"]] == [1, 2]  # sorted by line number
    query = requests_mock.request_history[2].json()["q"]
    assert "((tl.transaction > 100) OR (tl.transaction = 100 AND tl.uniquekey > 5002))" in query


def test_a_settings_error_is_named_on_the_command_line(tmp_path) -> None:
    # The SDK's CLI logs only a ConfigValidationError's `errors`, then "Config
    # validation failed": the sentence must be among them.
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"account_id": "1234567_SB1"}))
    completed = subprocess.run(
        [sys.executable, "-m", "tap_netsuite", "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 1
    assert "Set either client_id" in completed.stderr
