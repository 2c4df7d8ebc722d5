"""The account-wide connection limit: slots in a shared database, with leases."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import sqlalchemy as sa

from target_mailchimp.audit import database_engine
from target_mailchimp.connection_slots import (
    AccountConnectionSlots,
    account_key,
    connection_slots,
)


def two_runs(tmp_path, limit: int, **kwargs) -> tuple[AccountConnectionSlots, ...]:
    """Two runs on one account, each with its own engine on the same database file."""
    url = f"sqlite:///{tmp_path / 'audit.db'}"
    account = account_key("key-us6")
    return tuple(
        AccountConnectionSlots(database_engine(url), account, limit, **kwargs) for _ in range(2)
    )


def test_runs_sharing_a_database_stay_together_within_the_account_limit(tmp_path) -> None:
    first, second = two_runs(tmp_path, limit=3)
    in_flight = 0
    peak = 0
    lock = threading.Lock()

    def request(slots: AccountConnectionSlots) -> None:
        nonlocal in_flight, peak
        with slots.slot():
            with lock:
                in_flight += 1
                peak = max(peak, in_flight)
            time.sleep(0.01)
            with lock:
                in_flight -= 1

    # Each run alone would send 6 at once; together they may only have 3 in flight.
    with ThreadPoolExecutor(max_workers=12) as pool:
        list(pool.map(request, [first, second] * 30))

    assert peak == 3


def test_a_slot_is_given_back_after_the_request(tmp_path) -> None:
    first, second = two_runs(tmp_path, limit=1)
    with first.slot():
        pass
    with second.slot():  # would wait forever if the first run still held it
        pass


def test_a_run_that_died_holding_a_slot_loses_it_when_its_lease_runs_out(tmp_path) -> None:
    dead, alive = two_runs(tmp_path, limit=1, lease_seconds=0.5)
    dead._closed.set()  # a killed process neither renews nor gives back
    dead._acquire()

    started = time.monotonic()
    with alive.slot():
        waited = time.monotonic() - started

    assert 0.3 < waited < 5


def test_a_long_request_keeps_its_slot_while_its_run_lives(tmp_path) -> None:
    holder, other = two_runs(tmp_path, limit=1, lease_seconds=0.3)
    got_it = threading.Event()

    def take() -> None:
        with other.slot():
            got_it.set()

    with holder.slot():
        waiter = threading.Thread(target=take)
        waiter.start()
        # Three leases long: only renewals keep the slot.
        assert not got_it.wait(0.9)
    waiter.join(5)
    assert got_it.is_set()


def test_different_accounts_do_not_share_slots(tmp_path) -> None:
    engine = database_engine(f"sqlite:///{tmp_path / 'audit.db'}")
    ours = AccountConnectionSlots(engine, account_key("ours-us6"), 1)
    theirs = AccountConnectionSlots(engine, account_key("theirs-us6"), 1)
    with ours.slot(), theirs.slot():
        pass


def test_the_database_never_holds_the_api_key(tmp_path) -> None:
    first, _ = two_runs(tmp_path, limit=2)
    with first.slot(), first.engine.connect() as connection:
        rows = connection.execute(sa.select(connection_slots)).all()

    assert rows
    assert all("key-us6" not in str(value) for row in rows for value in row)


def test_closing_a_run_gives_back_every_slot_it_holds(tmp_path) -> None:
    first, second = two_runs(tmp_path, limit=1)
    first._acquire()  # interrupted mid-request: no `finally` ran
    first.close()
    with second.slot():
        pass
