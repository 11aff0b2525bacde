"""The presentation helpers of the audience statistics: the period, the chart, the CSV."""

from __future__ import annotations

import datetime as dt

import pytest

from gardien.audience import stats
from gardien.audience.rollup import DayStats, Line, PeriodStats

DAY = dt.date(2026, 3, 10)


def period(views: int, visits: int, page: str = "/") -> PeriodStats:
    lines = (Line(page, views, visits, 0),)
    day = DayStats(DAY, views, visits, 0, lines, (), (), (), drawn_up=True)
    return PeriodStats(DAY, DAY, (day,), views, visits, 0, lines, (), (), ())


def test_a_bar_is_the_page_views_with_the_visits_at_its_foot():
    svg = stats.chart_svg(period(5, 2), {"views": "page views", "visits": "visits"}, "T")
    assert svg.startswith("<svg") and "2026-03-10: page views 5, visits 2" in svg
    assert stats.VISITS_COLOUR in svg and stats.OTHER_VIEWS_COLOUR in svg
    assert "<script" not in svg and "style=" not in svg


def test_the_csv_never_holds_a_formula():
    body = stats.to_csv(period(1, 1, page="=HYPERLINK(1)")).decode("utf-8-sig")
    assert "page;'=HYPERLINK(1);1;1;0" in body.splitlines()


@pytest.mark.parametrize(
    ("start", "end"), [("2026-03-10", "2026-03-10"), ("2024-03-01", "2026-03-31")]
)
def test_a_period_of_one_day_up_to_25_months_is_accepted(start, end):
    assert stats.period(start, end) == (dt.date.fromisoformat(start), dt.date.fromisoformat(end))


def test_a_period_longer_than_25_months_is_refused():
    with pytest.raises(stats.PeriodError):
        stats.period("2024-01-01", "2026-03-31")
