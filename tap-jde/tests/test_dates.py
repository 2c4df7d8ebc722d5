"""JD Edwards Julian dates and HHMMSS times."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from tap_jde.dates import (
    Since,
    changed_at,
    changed_since,
    date_to_julian,
    format_date,
    hhmmss_to_time,
    julian_to_date,
    parse_date,
    time_to_hhmmss,
)

DENVER = ZoneInfo("America/Denver")


@pytest.mark.parametrize(
    ("julian", "day"),
    [
        (124032, dt.date(2024, 2, 1)),  # Oracle's example
        (124060, dt.date(2024, 2, 29)),  # leap year
        (124366, dt.date(2024, 12, 31)),  # day 366 of a leap year
        (100060, dt.date(2000, 2, 29)),  # 2000 is a leap year (divisible by 400)
        (123365, dt.date(2023, 12, 31)),
        (123060, dt.date(2023, 3, 1)),  # no 29 February in 2023
        (100001, dt.date(2000, 1, 1)),
        (99074, dt.date(1999, 3, 15)),  # C=0: the 1900s
        (98365, dt.date(1998, 12, 31)),
        (1, dt.date(1900, 1, 1)),
    ],
)
def test_julian_dates_convert_both_ways(julian: int, day: dt.date) -> None:
    assert julian_to_date(julian) == day
    assert julian_to_date(str(julian).zfill(6)) == day  # `099074` as often written
    assert date_to_julian(day) == julian


def test_a_day_beyond_the_years_end_is_not_a_julian_date() -> None:
    with pytest.raises(ValueError, match="not a CYYDDD date"):
        julian_to_date(123366)  # 2023 has 365 days


def test_times_convert_both_ways() -> None:
    assert hhmmss_to_time(141805) == dt.time(14, 18, 5)
    assert hhmmss_to_time(93005) == dt.time(9, 30, 5)  # five digits before 10:00
    assert hhmmss_to_time(20000) == dt.time(2, 0, 0)
    assert hhmmss_to_time("000059") == dt.time(0, 0, 59)
    assert hhmmss_to_time(None) == dt.time(0)
    assert time_to_hhmmss(dt.time(9, 5, 3)) == 90503


@pytest.mark.parametrize(
    ("rendered", "user_format", "day"),
    [
        ("20240201", "MM/dd/yyyy", dt.date(2024, 2, 1)),  # the emulator's default output
        ("19990315", "MM/dd/yyyy", dt.date(1999, 3, 15)),
        ("124032", "MM/dd/yyyy", dt.date(2024, 2, 1)),  # Julian digits
        ("99074", "MM/dd/yyyy", dt.date(1999, 3, 15)),
        (124032, "MM/dd/yyyy", dt.date(2024, 2, 1)),
        ("02/01/2024", "MM/dd/yyyy", dt.date(2024, 2, 1)),  # the user's format
        ("01.02.2024", "dd.MM.yyyy", dt.date(2024, 2, 1)),
        ("01022024", "ddMMyyyy", dt.date(2024, 2, 1)),  # 8 digits, but not yyyymmdd
        ("2024-02-01", "MM/dd/yyyy", dt.date(2024, 2, 1)),
    ],
)
def test_dates_are_read_in_every_form_the_server_renders(
    rendered: str | int, user_format: str, day: dt.date
) -> None:
    assert parse_date(rendered, user_format) == day


@pytest.mark.parametrize("blank", ["", "   ", "0", 0, None])
def test_blank_dates_are_none(blank: str | int | None) -> None:
    assert parse_date(blank, "MM/dd/yyyy") is None


def test_query_literals_follow_the_servers_expected_format() -> None:
    day = dt.date(2024, 2, 1)
    assert format_date(day, "julian", "MM/dd/yyyy") == "124032"
    assert format_date(dt.date(1999, 3, 15), "julian", "MM/dd/yyyy") == "99074"
    assert format_date(day, "formatted", "MM/dd/yyyy") == "02/01/2024"
    assert format_date(day, "formatted", "dd.MM.yyyy") == "01.02.2024"


def test_changed_since_is_a_later_date_or_the_same_date_and_a_later_time() -> None:
    since = Since(dt.date(2024, 2, 1), dt.time(14, 0, 0))
    assert changed_since(dt.date(2024, 2, 2), 0, since)
    assert changed_since(dt.date(2024, 2, 1), 140001, since)
    assert not changed_since(dt.date(2024, 2, 1), 140000, since)  # the bookmark itself
    assert not changed_since(dt.date(2024, 2, 1), 93005, since)
    assert not changed_since(dt.date(2024, 1, 31), 235959, since)
    assert not changed_since(None, 0, since)  # a blank UPMJ never changed


def test_changes_are_server_local_converted_to_utc() -> None:
    assert changed_at(dt.date(2024, 2, 1), 141805, ZoneInfo("America/Chicago")) == dt.datetime(
        2024, 2, 1, 20, 18, 5, tzinfo=dt.UTC
    )
    summer = dt.datetime(2024, 7, 1, 15, 30, 5, tzinfo=dt.UTC)  # MDT is UTC-6
    assert changed_at(dt.date(2024, 7, 1), 93005, DENVER) == summer
    assert changed_at(None, 93005, DENVER) is None


def test_a_bookmark_goes_back_to_the_servers_wall_time() -> None:
    moment = changed_at(dt.date(1999, 3, 15), 93005, DENVER)
    assert moment is not None
    assert Since.from_moment(moment, DENVER) == Since(dt.date(1999, 3, 15), dt.time(9, 30, 5))
    # Fractions of a second (the SDK's signpost) do not reach the predicate.
    signpost = dt.datetime(2026, 3, 3, 5, 30, 7, 654321, tzinfo=dt.UTC)
    assert Since.from_moment(signpost, DENVER) == Since(dt.date(2026, 3, 2), dt.time(22, 30, 7))


def test_the_repeated_hour_in_autumn_never_runs_backwards() -> None:
    # 2024-11-03 01:30 happens twice in Denver; the first is taken, so later wall times
    # never give earlier instants (the bookmark only moves forward).
    times = [13000, 15959, 20000]
    moments = [changed_at(dt.date(2024, 11, 3), hhmmss, DENVER) for hhmmss in times]
    assert moments == sorted(moments)  # type: ignore[type-var]
