"""Exact's data quirks and limits, unit by unit: CET dates, pacing from the headers."""

from __future__ import annotations

import datetime as dt

import requests

from tap_exact.client import CallBudget, exact_datetime


def ms(wall_clock: str) -> str:
    """`/Date(ms)/` as Exact writes a wall-clock reading (its ms count it as if UTC)."""
    moment = dt.datetime.fromisoformat(wall_clock).replace(tzinfo=dt.UTC)
    return f"/Date({int(moment.timestamp() * 1000)})/"


def test_winter_and_summer_readings_are_one_and_two_hours_ahead_of_utc() -> None:
    assert exact_datetime(ms("2026-01-15T12:00:00")) == "2026-01-15T11:00:00+00:00"
    assert exact_datetime(ms("2026-07-15T12:00:00")) == "2026-07-15T10:00:00+00:00"


def test_the_spring_switch_keeps_the_instants_in_order() -> None:
    # 02:00 CET jumps to 03:00 CEST on 2025-03-30: one second apart in real time.
    before = exact_datetime(ms("2025-03-30T01:59:59.250"))
    after = exact_datetime(ms("2025-03-30T03:00:00.750"))
    assert before == "2025-03-30T00:59:59.250000+00:00"
    assert after == "2025-03-30T01:00:00.750000+00:00"


def test_the_autumn_hour_that_occurs_twice_reads_as_its_first_occurrence() -> None:
    # 03:00 CEST falls back to 02:00 CET on 2025-10-26: 02:30 happens twice.
    assert exact_datetime(ms("2025-10-26T02:30:00")) == "2025-10-26T00:30:00+00:00"
    assert exact_datetime(ms("2025-10-26T03:30:00")) == "2025-10-26T02:30:00+00:00"


def test_dates_before_1970_and_missing_values() -> None:
    assert exact_datetime(ms("1965-06-01T00:00:00")) == "1965-05-31T23:00:00+00:00"
    assert exact_datetime(None) is None


def response(**headers: str) -> requests.Response:
    answer = requests.Response()
    answer.status_code = 200
    answer.headers.update(headers)
    return answer


def epoch_ms(moment: dt.datetime) -> str:
    return str(int(moment.timestamp() * 1000))


def test_plenty_of_calls_left_in_the_minute_means_no_wait() -> None:
    slept: list[float] = []
    budget = CallBudget(sleep=slept.append)
    reset = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=40)
    budget.observe(
        response(
            **{
                "X-RateLimit-Minutely-Remaining": "12",
                "X-RateLimit-Minutely-Reset": epoch_ms(reset),
            }
        )
    )
    assert slept == []


def test_the_last_calls_of_the_minute_wait_for_its_reset_instead_of_a_429() -> None:
    slept: list[float] = []
    budget = CallBudget(sleep=slept.append)
    reset = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=20)
    budget.observe(
        response(
            **{"X-RateLimit-Minutely-Remaining": "1", "X-RateLimit-Minutely-Reset": epoch_ms(reset)}
        )
    )
    assert len(slept) == 1
    assert 18 < slept[0] <= 20


def test_a_spent_day_is_noticed_with_its_reset_time() -> None:
    budget = CallBudget(sleep=lambda _: None)
    midnight = dt.datetime(2026, 11, 26, tzinfo=dt.UTC)
    budget.observe(
        response(**{"X-RateLimit-Remaining": "3", "X-RateLimit-Reset": epoch_ms(midnight)})
    )
    assert not budget.spent_for_today
    budget.observe(
        response(**{"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": epoch_ms(midnight)})
    )
    assert budget.spent_for_today
    assert budget.daily_reset == midnight


def test_the_region_picks_exacts_site_and_base_url_overrides_it() -> None:
    from tap_exact.tap import TapExact

    settings = {"client_id": "c", "client_secret": "s", "token_encryption_key": "k"}
    assert TapExact(config={**settings, "region": "uk"}).host == "https://start.exactonline.co.uk"
    assert TapExact(config={**settings, "region": "us"}).host == "https://start.exactonline.com"
    assert TapExact(config=settings).host == "https://start.exactonline.nl"
    override = {**settings, "region": "be", "base_url": "http://127.0.0.1:8085/"}
    assert TapExact(config=override).host == "http://127.0.0.1:8085"
