"""The daily roll-up: counts, idempotence, days in TIME_ZONE, and the same numbers read live."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from gardien.audience import rollup
from gardien.audience.models import DailyStat, Dimension, PageView
from gardien.lib import clock
from gardien.processors.periodic import JOBS

PARIS = ZoneInfo("Europe/Paris")
DAY = dt.date(2026, 3, 10)


def view(
    at: dt.datetime,
    path: str = "/",
    *,
    referrer: str = "",
    entry: bool = True,
    screen: str = "desktop",
    lang: str = "fr",
    visitor: str = "",
) -> PageView:
    return PageView.objects.create(
        viewed_at=at,
        site="www.coopo.example",
        path=path,
        referrer=referrer,
        screen=screen,
        lang=lang,
        entry=entry,
        visitor=visitor,
    )


def noon(day: dt.date = DAY) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(12), tzinfo=PARIS)


def a_day_of_views(day: dt.date = DAY) -> None:
    """Two visitors: A arrives from a search engine and reads two pages, B comes directly
    twice (two visits), C without identifier arrives from a newsletter."""
    at = noon(day)
    view(at, "/", referrer="duckduckgo.com", visitor="A" * 22)
    view(at, "/adhesion", entry=False, visitor="A" * 22, screen="mobile")
    view(at, "/", visitor="B" * 22, lang="en")
    view(at, "/", visitor="B" * 22, lang="en")
    view(at, "/adhesion", referrer="lettre.example", lang="")


pytestmark = pytest.mark.django_db


def test_a_day_is_counted_views_visits_visitors() -> None:
    a_day_of_views()
    stats = rollup.draw_up(DAY)
    assert (stats.views, stats.visits, stats.visitors) == (5, 4, 2)
    assert stats.pages == (
        rollup.Line("/", 3, 3, 2),
        rollup.Line("/adhesion", 2, 1, 1),
    )
    assert stats.referrers == (
        rollup.Line("duckduckgo.com", 1, 1, 1),
        rollup.Line("lettre.example", 1, 1, 0),
    )
    assert stats.screens == (rollup.Line("desktop", 4, 4, 2), rollup.Line("mobile", 1, 0, 1))
    assert [line.key for line in stats.langs] == ["en", "fr", ""]  # 2 views each, more visits first
    assert stats.drawn_up


def test_drawing_up_twice_gives_the_same_rows() -> None:
    a_day_of_views()
    first = rollup.draw_up(DAY)
    rows = sorted(DailyStat.objects.values_list("dimension", "key", "views", "visits", "visitors"))
    assert rollup.draw_up(DAY) == first
    again = sorted(DailyStat.objects.values_list("dimension", "key", "views", "visits", "visitors"))
    assert again == rows
    assert DailyStat.objects.filter(dimension=Dimension.TOTAL).count() == 1


def test_a_view_added_later_is_counted_when_drawn_up_again() -> None:
    a_day_of_views()
    rollup.draw_up(DAY)
    view(noon(), "/contact")
    assert rollup.draw_up(DAY).views == 6
    assert rollup.day_stats(DAY).views == 6


def test_days_are_calendar_days_of_the_time_zone() -> None:
    # 23:30 in Paris on the 10th is 22:30 UTC; 00:30 in Paris on the 11th is 23:30 UTC on the 10th.
    view(dt.datetime(2026, 3, 10, 23, 30, tzinfo=PARIS))
    view(dt.datetime(2026, 3, 11, 0, 30, tzinfo=PARIS))
    assert rollup.draw_up(DAY).views == 1
    assert rollup.draw_up(DAY + dt.timedelta(days=1)).views == 1


def test_a_day_not_drawn_up_is_counted_live_with_the_same_numbers() -> None:
    a_day_of_views()
    live = rollup.day_stats(DAY)
    assert not live.drawn_up
    assert not DailyStat.objects.exists()  # reading never writes
    drawn = rollup.draw_up(DAY)
    assert rollup.day_stats(DAY) == drawn
    assert live == rollup.DayStats(**{**drawn.__dict__, "drawn_up": False})


def test_drawn_up_numbers_stay_once_page_views_are_gone() -> None:
    a_day_of_views()
    drawn = rollup.draw_up(DAY)
    PageView.objects.all().delete()
    assert rollup.day_stats(DAY) == drawn


def test_an_empty_day_reads_as_zero() -> None:
    stats = rollup.day_stats(DAY)
    assert (stats.views, stats.visits, stats.visitors, stats.pages) == (0, 0, 0, ())


def test_period_adds_days_up_and_merges_the_lists() -> None:
    a_day_of_views(DAY)
    a_day_of_views(DAY + dt.timedelta(days=2))
    rollup.draw_up(DAY)  # the other day is counted live
    period = rollup.period_stats(DAY, DAY + dt.timedelta(days=2))
    assert [d.views for d in period.days] == [5, 0, 5]
    assert [d.drawn_up for d in period.days] == [True, False, False]
    assert (period.views, period.visits, period.visitors) == (10, 8, 4)
    assert period.pages[0] == rollup.Line("/", 6, 6, 4)
    assert period.referrers[0].views == 2


def test_a_period_ending_before_it_starts_is_refused() -> None:
    with pytest.raises(ValueError):
        rollup.period_stats(DAY, DAY - dt.timedelta(days=1))


def test_the_job_draws_up_every_day_that_is_over_and_only_those() -> None:
    a_day_of_views(DAY)
    a_day_of_views(DAY + dt.timedelta(days=3))  # "today"
    with clock.frozen(dt.datetime(2026, 3, 13, 10, tzinfo=PARIS)):
        assert rollup.draw_up_pending() == 3  # the 10th, and the 11th and 12th at zero
        assert rollup.draw_up_pending() == 0
    totals = dict(DailyStat.objects.filter(dimension=Dimension.TOTAL).values_list("day", "views"))
    assert totals == {DAY: 5, DAY + dt.timedelta(days=1): 0, DAY + dt.timedelta(days=2): 0}


def test_the_day_that_just_ended_waits_for_late_writes() -> None:
    a_day_of_views(DAY)
    just_after_midnight = dt.datetime(2026, 3, 11, 0, 0, 10, tzinfo=PARIS)
    with clock.frozen(just_after_midnight):
        assert rollup.pending_days() == []
    with clock.frozen(just_after_midnight + rollup.SETTLE):
        assert rollup.pending_days() == [DAY]


def test_the_job_is_registered_for_the_worker() -> None:
    assert "audience.draw_up" in {job.name for job in JOBS}
