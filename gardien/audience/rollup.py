"""The daily roll-up: a day's page views counted into DailyStat rows, and the numbers read back.

One function counts (:func:`count_day`), so a day that is drawn up and today, counted live
from the page views, read the same way. A day is drawn up once it is over, by the worker
(:func:`draw_up_pending`); its rows carry no identifier and outlive the page views, which
the retention engine purges after the manifest's period.

The counting rules, in one place:

- ``views``: page views;
- ``visits``: first pages of a visit (``entry``: the visitor came from another site or from
  nowhere, not from another page of this one);
- ``visitors``: distinct identifiers that day (0 when the manifest does not count unique
  visitors, since the beacon then sends none). Over a period, the days' visitors are added
  up: the daily rows keep no identifier to tell the same visitor on two days.

Referring sites count only views that came from another site. Days are calendar days in
``TIME_ZONE``.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Count, Min, Q, QuerySet
from django.utils import timezone

from gardien.audience.models import DailyStat, Dimension, PageView
from gardien.lib import clock

#: Dimensions with one row per value, and the PageView field each counts by.
_FIELDS = {
    Dimension.PAGE: "path",
    Dimension.REFERRER: "referrer",
    Dimension.SCREEN: "screen",
    Dimension.LANG: "lang",
}

#: A page view is written a few milliseconds after its time is taken (the batched writer):
#: the worker waits this long after midnight before drawing up the day that ended.
SETTLE = dt.timedelta(minutes=1)


@dataclass(frozen=True)
class Line:
    """One value of a dimension (a page, a referring site, a screen class, a language)."""

    key: str
    views: int
    visits: int
    visitors: int


@dataclass(frozen=True)
class DayStats:
    """A day's numbers; each list is sorted by page views, most viewed first."""

    day: dt.date
    views: int
    visits: int
    visitors: int
    pages: tuple[Line, ...]
    referrers: tuple[Line, ...]
    screens: tuple[Line, ...]
    langs: tuple[Line, ...]
    drawn_up: bool  # False: counted from the page views (today, or a day not drawn up yet)


@dataclass(frozen=True)
class PeriodStats:
    """The days from ``start`` to ``end`` (both included), and their lists merged."""

    start: dt.date
    end: dt.date
    days: tuple[DayStats, ...]
    views: int
    visits: int
    visitors: int  # the days' visitors added up (a visitor seen on two days counts twice)
    pages: tuple[Line, ...]
    referrers: tuple[Line, ...]
    screens: tuple[Line, ...]
    langs: tuple[Line, ...]


def day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The instants a calendar day of ``TIME_ZONE`` starts and ends (DST-safe)."""
    zone = timezone.get_default_timezone()
    start = dt.datetime.combine(day, dt.time(), tzinfo=zone)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=zone)
    return start, end


def local_day(instant: dt.datetime) -> dt.date:
    return timezone.localtime(instant, timezone.get_default_timezone()).date()


def _views_of(day: dt.date) -> QuerySet[PageView]:
    start, end = day_bounds(day)
    return PageView.objects.filter(viewed_at__gte=start, viewed_at__lt=end)


def _counts() -> dict[str, Count]:
    return {
        "n_views": Count("id"),
        "n_visits": Count("id", filter=Q(entry=True)),
        "n_visitors": Count("visitor", filter=~Q(visitor=""), distinct=True),
    }


def count_day(day: dt.date) -> list[DailyStat]:
    """The day's rows, counted from its page views (unsaved): the ``total`` row first."""
    views = _views_of(day)
    total = views.aggregate(**_counts())
    rows = [
        DailyStat(
            day=day,
            dimension=Dimension.TOTAL,
            key="",
            views=total["n_views"],
            visits=total["n_visits"],
            visitors=total["n_visitors"],
        )
    ]
    for dimension, field in _FIELDS.items():
        selected = views.exclude(referrer="") if dimension == Dimension.REFERRER else views
        for found in selected.values(field).annotate(**_counts()).order_by(field):
            rows.append(
                DailyStat(
                    day=day,
                    dimension=dimension,
                    key=found[field],
                    views=found["n_views"],
                    visits=found["n_visits"],
                    visitors=found["n_visitors"],
                )
            )
    return rows


def draw_up(day: dt.date) -> DayStats:
    """Count ``day`` into its DailyStat rows, replacing any it had (idempotent)."""
    with transaction.atomic():
        rows = count_day(day)
        DailyStat.objects.filter(day=day).delete()
        DailyStat.objects.bulk_create(rows)
    return _summarise(day, rows, drawn_up=True)


def pending_days(today: dt.date | None = None) -> list[dt.date]:
    """Days before today that have page views and are not drawn up, oldest first.

    Every day from the first page view kept is considered, so a day without any view is
    drawn up at zero (its ``total`` row says so) and never looked at again.
    """
    if today is None:
        today = local_day(clock.now() - SETTLE)
    first = PageView.objects.aggregate(first=Min("viewed_at"))["first"]
    if first is None:
        return []
    start = local_day(first)
    if start >= today:
        return []
    drawn = set(
        DailyStat.objects.filter(
            dimension=Dimension.TOTAL, day__gte=start, day__lt=today
        ).values_list("day", flat=True)
    )
    days = (start + dt.timedelta(days=n) for n in range((today - start).days))
    return [day for day in days if day not in drawn]


def draw_up_pending() -> int:
    """The worker's job: draw up every day that is over and not drawn up yet."""
    days = pending_days()
    for day in days:
        draw_up(day)
    return len(days)


def day_stats(day: dt.date) -> DayStats:
    """A day's numbers: its drawn-up rows, or counted from its page views if it has none."""
    rows = list(DailyStat.objects.filter(day=day))
    if any(row.dimension == Dimension.TOTAL for row in rows):
        return _summarise(day, rows, drawn_up=True)
    return _summarise(day, count_day(day), drawn_up=False)


def period_stats(start: dt.date, end: dt.date) -> PeriodStats:
    """The numbers of every day from ``start`` to ``end`` (both included), and in all."""
    if end < start:
        raise ValueError("the period ends before it starts")
    by_day: dict[dt.date, list[DailyStat]] = defaultdict(list)
    for row in DailyStat.objects.filter(day__gte=start, day__lte=end):
        by_day[row.day].append(row)
    days = []
    for n in range((end - start).days + 1):
        day = start + dt.timedelta(days=n)
        rows = by_day.get(day, [])
        if any(row.dimension == Dimension.TOTAL for row in rows):
            days.append(_summarise(day, rows, drawn_up=True))
        else:
            days.append(_summarise(day, count_day(day), drawn_up=False))
    return PeriodStats(
        start=start,
        end=end,
        days=tuple(days),
        views=sum(d.views for d in days),
        visits=sum(d.visits for d in days),
        visitors=sum(d.visitors for d in days),
        pages=_merge(d.pages for d in days),
        referrers=_merge(d.referrers for d in days),
        screens=_merge(d.screens for d in days),
        langs=_merge(d.langs for d in days),
    )


def _sorted(lines: Iterable[Line]) -> tuple[Line, ...]:
    return tuple(sorted(lines, key=lambda line: (-line.views, -line.visits, line.key)))


def _summarise(day: dt.date, rows: list[DailyStat], *, drawn_up: bool) -> DayStats:
    lists: dict[str, list[Line]] = defaultdict(list)
    total = Line("", 0, 0, 0)
    for row in rows:
        line = Line(row.key, row.views, row.visits, row.visitors)
        if row.dimension == Dimension.TOTAL:
            total = line
        else:
            lists[row.dimension].append(line)
    return DayStats(
        day=day,
        views=total.views,
        visits=total.visits,
        visitors=total.visitors,
        pages=_sorted(lists[Dimension.PAGE]),
        referrers=_sorted(lists[Dimension.REFERRER]),
        screens=_sorted(lists[Dimension.SCREEN]),
        langs=_sorted(lists[Dimension.LANG]),
        drawn_up=drawn_up,
    )


def _merge(lists: Iterable[tuple[Line, ...]]) -> tuple[Line, ...]:
    sums: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for lines in lists:
        for line in lines:
            counts = sums[line.key]
            counts[0] += line.views
            counts[1] += line.visits
            counts[2] += line.visitors
    return _sorted(Line(key, *counts) for key, counts in sums.items())
