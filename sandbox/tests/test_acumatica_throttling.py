"""The licence's per-minute request limit: delays from 50 %, declines when the queue is full."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import requests
from acumatica_helpers import get_entity, http_error, login

from erp_sandbox.acumatica import AcumaticaEmulator


def _throttle(emu: AcumaticaEmulator) -> dict[str, float]:
    return requests.get(emu.base_url + "/_sandbox/state", timeout=10).json()["throttle"]


def test_no_limit_by_default(acumatica_emulator: AcumaticaEmulator) -> None:
    emu = acumatica_emulator
    session = login(emu)
    for _ in range(20):
        assert get_entity(emu, session, "StockItem", top=1).status_code == 200
    assert _throttle(emu)["delayed"] == 0


def test_requests_past_half_the_limit_are_delayed(acumatica_emulator: AcumaticaEmulator) -> None:
    emu = acumatica_emulator
    session = login(emu)  # before the limit: the login would count
    emu.configure(requests_per_minute=4, rate_window_seconds=1.0)
    started = time.monotonic()
    statuses = [get_entity(emu, session, "StockItem", top=1).status_code for _ in range(5)]
    elapsed = time.monotonic() - started
    assert statuses == [200] * 5
    throttle = _throttle(emu)
    assert throttle["delayed"] >= 2
    assert throttle["declined"] == 0
    # Requests 3 and 4 wait (time left) / (requests left); request 5 waits for the window.
    assert 0.7 < elapsed < 3.0


def test_requests_that_would_wait_in_a_full_queue_are_declined(
    acumatica_emulator: AcumaticaEmulator,
) -> None:
    emu = acumatica_emulator
    session = login(emu)
    emu.configure(requests_per_minute=4, rate_window_seconds=60, max_queued_requests=0)
    statuses = [get_entity(emu, session, "StockItem", top=1) for _ in range(4)]
    assert [r.status_code for r in statuses] == [200, 200, 429, 429]
    body = http_error(statuses[2], 429)
    assert "declined" in body["exceptionMessage"]
    assert "Retry-After" not in statuses[2].headers
    assert _throttle(emu)["declined"] == 2


def test_more_than_the_queue_holds_are_declined(acumatica_emulator: AcumaticaEmulator) -> None:
    emu = acumatica_emulator
    session = login(emu)
    emu.configure(requests_per_minute=2, rate_window_seconds=1.0, max_queued_requests=2)
    with ThreadPoolExecutor(max_workers=6) as pool:
        responses = list(pool.map(lambda _: get_entity(emu, session, "StockItem", top=1), range(6)))
    statuses = sorted(r.status_code for r in responses)
    assert statuses.count(429) >= 1
    assert statuses.count(200) >= 3


def test_logout_is_never_throttled(acumatica_emulator: AcumaticaEmulator) -> None:
    emu = acumatica_emulator
    session = login(emu)
    emu.configure(requests_per_minute=2, rate_window_seconds=60, max_queued_requests=0)
    assert get_entity(emu, session, "StockItem", top=1).status_code == 200
    assert get_entity(emu, session, "StockItem", top=1).status_code == 429
    assert session.post(emu.base_url + "/entity/auth/logout", timeout=10).status_code == 204
    assert emu.open_sessions == 0
