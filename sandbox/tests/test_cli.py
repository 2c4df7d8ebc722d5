"""The erp-sandbox command: serve, summary, reset, clean shutdown."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from erp_sandbox.cli import main

SEED = {
    "lists": [
        {
            "id": "sandboxlist",
            "members": [
                {"email_address": "seeded@acme.io", "status": "unsubscribed", "tags": ["Legacy"]}
            ],
        }
    ]
}


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], str]]:
    seed_file = tmp_path / "seed.json"
    seed_file.write_text(json.dumps(SEED))
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "erp_sandbox.cli",
            "serve",
            "--mailchimp-port",
            "0",
            "--netsuite-port",
            "0",
            "--fusion-port",
            "0",
            "--acumatica-port",
            "0",
            "--jde-port",
            "0",
            "--exact-port",
            "0",
            "--seed-file",
            str(seed_file),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    base = ""
    netsuite_bases: list[str] = []
    fusion_bases: list[str] = []
    acumatica_bases: list[str] = []
    jde_bases: list[str] = []
    exact_bases: list[str] = []
    for line in process.stdout:
        found = re.search(r"mailchimp ready at (http://127\.0\.0\.1:\d+)", line)
        if found:
            base = found.group(1)
        netsuite = re.search(r"netsuite ready at (http://127\.0\.0\.1:\d+)", line)
        if netsuite:
            netsuite_bases.append(netsuite.group(1))
        fusion = re.search(r"fusion ready at (http://127\.0\.0\.1:\d+)", line)
        if fusion:
            fusion_bases.append(fusion.group(1))
        acumatica = re.search(r"acumatica ready at (http://127\.0\.0\.1:\d+/AcumaticaERP)", line)
        if acumatica:
            acumatica_bases.append(acumatica.group(1))
        jde = re.search(r"jde ready at (http://127\.0\.0\.1:\d+)", line)
        if jde:
            jde_bases.append(jde.group(1))
        exact = re.search(r"exact ready at (http://127\.0\.0\.1:\d+)", line)
        if exact:
            exact_bases.append(exact.group(1))
        if "ready; stop with" in line:
            break
    try:
        assert base, "the server never said it was ready"
        assert netsuite_bases, "the NetSuite emulator never said it was ready"
        assert fusion_bases, "the Fusion emulator never said it was ready"
        assert acumatica_bases, "the Acumatica emulator never said it was ready"
        assert jde_bases, "the JD Edwards emulator never said it was ready"
        assert exact_bases, "the Exact Online emulator never said it was ready"
        yield process, base
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=10)


def test_serve_starts_with_the_seed_and_stops_cleanly_on_sigterm(
    served: tuple[subprocess.Popen[str], str],
) -> None:
    process, base = served
    assert "server" not in base
    member = requests.get(
        f"{base}/3.0/lists/sandboxlist/members/seeded@acme.io",
        auth=("x", "0123456789abcdef0123456789abcdef-us21"),
    ).json()
    assert member["status"] == "unsubscribed"
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=10) == 0
    assert process.stdout is not None
    assert "erp-sandbox: stopped" in process.stdout.read()


def test_summary_prints_members_tags_and_calls(
    served: tuple[subprocess.Popen[str], str],
    capsys: pytest.CaptureFixture[str],
) -> None:
    _, base = served
    requests.put(
        f"{base}/3.0/lists/sandboxlist/members/jane@acme.io",
        auth=("x", "0123456789abcdef0123456789abcdef-us21"),
        json={
            "email_address": "jane@acme.io",
            "status_if_new": "subscribed",
            "merge_fields": {"FNAME": "Jane"},
        },
    )
    assert main(["summary", "--mailchimp-url", base]) == 0
    out = capsys.readouterr().out
    assert 'List sandboxlist "Sandbox Audience": 2 members' in out
    assert "subscribed 1, unsubscribed 1" in out
    assert "Legacy (1)" in out
    assert "jane@acme.io" in out and "FNAME=Jane" in out
    assert "PUT /3.0/lists/{list_id}/members/{subscriber_hash}" in out
    assert "Contract violations: 0" in out


def test_summary_shows_orders_with_their_lines(
    served: tuple[subprocess.Popen[str], str],
    capsys: pytest.CaptureFixture[str],
) -> None:
    _, base = served
    auth = ("x", "0123456789abcdef0123456789abcdef-us21")
    stores = f"{base}/3.0/ecommerce/stores"
    requests.post(
        stores,
        auth=auth,
        json={"id": "shop", "list_id": "sandboxlist", "name": "Shop", "currency_code": "EUR"},
    )
    requests.post(
        f"{stores}/shop/products",
        auth=auth,
        json={"id": "P1", "title": "Pallet", "variants": [{"id": "P1", "title": "Pallet"}]},
    )
    requests.post(
        f"{stores}/shop/orders",
        auth=auth,
        json={
            "id": "SO-1",
            "customer": {"id": "C1", "email_address": "jane@acme.io", "opt_in_status": False},
            "currency_code": "EUR",
            "order_total": 25,
            "financial_status": "paid",
            "lines": [
                {
                    "id": "1",
                    "product_id": "P1",
                    "product_variant_id": "P1",
                    "quantity": 2,
                    "price": 12.5,
                }
            ],
        },
    )
    assert main(["summary", "--mailchimp-url", base]) == 0
    out = capsys.readouterr().out
    assert "1 products (1 variants), 1 orders" in out
    assert "order SO-1" in out and "2 x P1/P1 @ 12.5" in out


def test_reset_goes_back_to_the_seeded_state(
    served: tuple[subprocess.Popen[str], str],
    capsys: pytest.CaptureFixture[str],
) -> None:
    _, base = served
    auth = ("x", "0123456789abcdef0123456789abcdef-us21")
    requests.put(
        f"{base}/3.0/lists/sandboxlist/members/jane@acme.io",
        auth=auth,
        json={"email_address": "jane@acme.io", "status_if_new": "subscribed"},
    )
    assert main(["reset", "--mailchimp-url", base]) == 0
    members = requests.get(f"{base}/3.0/lists/sandboxlist/members", auth=auth).json()
    assert [m["email_address"] for m in members["members"]] == ["seeded@acme.io"]
    assert "reset" in capsys.readouterr().out


def test_summary_of_an_unreachable_emulator_says_so(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["summary", "--mailchimp-url", "http://127.0.0.1:9"]) == 2
    assert "cannot reach" in capsys.readouterr().err
