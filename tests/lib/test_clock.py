"""The one clock (now, frozen, GARDIEN_NOW) and calendar months."""

from __future__ import annotations

import datetime as dt

import pytest

from gardien.lib import clock
from gardien.lib.months import add_months, add_years
from gardien.policy.services import publish
from tests.english import english  # noqa: F401  (the sentences are asserted in English)

UTC = dt.UTC


def test_it_tells_the_time_in_utc_with_a_timezone():
    before = dt.datetime.now(UTC)
    now = clock.now()
    after = dt.datetime.now(UTC)
    assert now.tzinfo is not None
    assert now.utcoffset() == dt.timedelta(0)
    assert before <= now <= after


def test_it_freezes_the_time_inside_the_block_and_restores_it_after():
    with clock.frozen("2026-03-01") as instant:
        assert instant == dt.datetime(2026, 3, 1, tzinfo=UTC)
        assert clock.now() == dt.datetime(2026, 3, 1, tzinfo=UTC)
        assert clock.today() == dt.date(2026, 3, 1)
    assert abs(clock.now() - dt.datetime.now(UTC)) < dt.timedelta(seconds=5)


def test_it_restores_the_time_even_when_the_block_fails():
    with pytest.raises(RuntimeError), clock.frozen("2001-01-01"):
        raise RuntimeError("boom")
    assert clock.now().year > 2001


def test_it_nests_frozen_blocks():
    with clock.frozen("2026-03-01"):
        with clock.frozen("2027-04-02T08:30:00+02:00"):
            assert clock.now() == dt.datetime(2027, 4, 2, 6, 30, tzinfo=UTC)
        assert clock.now() == dt.datetime(2026, 3, 1, tzinfo=UTC)


def test_it_takes_a_naive_frozen_time_as_utc():
    with clock.frozen(dt.datetime(2026, 3, 1, 12)):
        assert clock.now() == dt.datetime(2026, 3, 1, 12, tzinfo=UTC)
        assert clock.now().tzinfo is not None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-03-01", dt.datetime(2026, 3, 1, tzinfo=UTC)),
        (" 2026-03-01 ", dt.datetime(2026, 3, 1, tzinfo=UTC)),
        ("2026-03-01T14:30:00", dt.datetime(2026, 3, 1, 14, 30, tzinfo=UTC)),
        ("2026-03-01T14:30:00Z", dt.datetime(2026, 3, 1, 14, 30, tzinfo=UTC)),
        ("2026-03-01T14:30:00+01:00", dt.datetime(2026, 3, 1, 13, 30, tzinfo=UTC)),
    ],
)
def test_it_reads_an_iso_date_or_date_time(text, expected):
    value = clock.parse_instant(text)
    assert value == expected
    assert value.tzinfo is not None


@pytest.mark.parametrize("text", ["yesterday", "", "2026-02-30", "01/03/2026", "2026-03-01T25:00"])
def test_it_refuses_what_is_not_a_date_with_a_sentence(text):
    with pytest.raises(clock.ClockError) as caught:
        clock.parse_instant(text)
    assert str(caught.value) == (
        f"{text!r} is not a date; write e.g. 2026-03-01 or 2026-03-01T14:30:00+01:00."
    )


def test_it_refuses_a_bad_frozen_time():
    with (
        pytest.raises(clock.ClockError, match="'yesterday' is not a date"),
        clock.frozen("yesterday"),
    ):
        pass  # pragma: no cover


def test_it_follows_the_gardien_now_setting(settings):
    settings.GARDIEN_NOW = "2030-05-01T12:00:00+00:00"
    assert clock.now() == dt.datetime(2030, 5, 1, 12, tzinfo=UTC)
    with clock.frozen("2026-03-01"):
        assert clock.now() == dt.datetime(2026, 3, 1, tzinfo=UTC)
    settings.GARDIEN_NOW = ""
    assert abs(clock.now() - dt.datetime.now(UTC)) < dt.timedelta(seconds=5)


def test_it_dates_a_published_version_with_the_gardien_now_setting(settings, db, coopo_path):
    settings.GARDIEN_NOW = "2030-05-01T12:00:00+00:00"
    version = publish(coopo_path, note="From the future")
    assert version is not None
    version.refresh_from_db()
    assert version.published_at == dt.datetime(2030, 5, 1, 12, tzinfo=UTC)


def test_it_shows_the_gardien_now_date_on_the_policy_page(settings, db, client, coopo_path):
    settings.GARDIEN_NOW = "2030-05-01T12:00:00+00:00"
    publish(coopo_path)
    assert '<time datetime="2030-05-01">1 May 2030</time>' in client.get("/en/privacy/").text


def test_it_takes_a_naive_gardien_now_setting_as_utc(settings):
    settings.GARDIEN_NOW = dt.datetime(2030, 5, 1, 12)
    assert clock.now() == dt.datetime(2030, 5, 1, 12, tzinfo=UTC)


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (dt.date(2024, 1, 31), 1, dt.date(2024, 2, 29)),
        (dt.date(2023, 1, 31), 1, dt.date(2023, 2, 28)),
        (dt.date(2024, 3, 31), 1, dt.date(2024, 4, 30)),
        (dt.date(2024, 1, 15), 12, dt.date(2025, 1, 15)),
        (dt.date(2024, 11, 30), 3, dt.date(2025, 2, 28)),
        (dt.date(2023, 12, 31), 2, dt.date(2024, 2, 29)),
        (dt.date(2024, 2, 29), 12, dt.date(2025, 2, 28)),
        (dt.date(2024, 5, 10), 25, dt.date(2026, 6, 10)),
        (dt.date(2024, 3, 31), -1, dt.date(2024, 2, 29)),
        (dt.date(2024, 1, 31), -2, dt.date(2023, 11, 30)),
        (dt.date(2024, 6, 15), 0, dt.date(2024, 6, 15)),
    ],
)
def test_it_adds_calendar_months_clamping_the_day(start, months, expected):
    assert add_months(start, months) == expected


def test_it_keeps_the_time_and_timezone_when_adding_months():
    start = dt.datetime(2024, 1, 31, 23, 15, tzinfo=UTC)
    assert add_months(start, 1) == dt.datetime(2024, 2, 29, 23, 15, tzinfo=UTC)


def test_it_adds_years_as_twelve_months():
    assert add_years(dt.date(2024, 2, 29), 1) == dt.date(2025, 2, 28)
    assert add_years(dt.date(2024, 2, 29), 4) == dt.date(2028, 2, 29)
