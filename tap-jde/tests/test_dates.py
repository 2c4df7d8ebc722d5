"""JD Edwards Julian dates and HHMMSS times."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from tap_jde.dates import (
    changed_at,
    changed_since,
    date_to_julian,
    format_date,
    hhmmss_to_time,
    julian_to_date,
    parse_date,
    time_to_hhmmss,
)


@pytest.mark.parametrize(
    ("julian", "day"),
    [
        (124032, dt.date(2024, 2, 1)),  # Oracle's example
        (124060, dt.date(2024, 2, 29)),  # leap year
        (124366, dt.date(2024, 12, 31)),  # day 366 of a leap year
        (123365, dt.date(2023, 12, 31)),
        (100001, dt.date(2000, 1, 1)),
        (98365, dt.date(1998, 12, 31)),  # C=0: the 1900s
        (1, dt.date(1900, 1, 1)),
    ],
)
def test_julian_dates_convert_both_ways(julian: int, day: dt.date) -> None:
    assert julian_to_date(julian) == day
    assert julian_to_date(str(julian).zfill(6)) == day
    assert date_to_julian(day) == julian


def test_times_convert_both_ways() -> None:
    assert hhmmss_to_time(141805) == dt.time(14, 18, 5)
    assert hhmmss_to_time("000059") == dt.time(0, 0, 59)
    assert hhmmss_to_time(None) == dt.time(0)
    assert time_to_hhmmss(dt.time(9, 5, 3)) == 90503


def test_dates_come_as_julian_digits_or_in_the_users_format() -> None:
    assert parse_date("124032", "MM/dd/yyyy") == dt.date(2024, 2, 1)
    assert parse_date("02/01/2024", "MM/dd/yyyy") == dt.date(2024, 2, 1)
    assert parse_date("01.02.2024", "dd.MM.yyyy") == dt.date(2024, 2, 1)


def test_query_literals_follow_the_servers_expected_format() -> None:
    day = dt.date(2024, 2, 1)
    assert format_date(day, "julian", "MM/dd/yyyy") == "124032"
    assert format_date(day, "user", "MM/dd/yyyy") == "02/01/2024"


def test_changed_since_is_date_after_or_same_date_and_later_time() -> None:
    since = (dt.date(2024, 2, 1), dt.time(14, 0, 0))
    assert changed_since(124033, 0, *since)
    assert changed_since(124032, 140001, *since)
    assert not changed_since(124032, 140000, *since)
    assert not changed_since(124031, 235959, *since)


def test_changes_are_server_local_converted_to_utc() -> None:
    moment = changed_at(124032, 141805, ZoneInfo("America/Chicago"))
    assert moment == dt.datetime(2024, 2, 1, 20, 18, 5, tzinfo=dt.UTC)
