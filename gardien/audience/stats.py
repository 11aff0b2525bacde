"""The audience statistics as the back office and ``gardien audience report`` show them.

The numbers are :mod:`gardien.audience.rollup`'s (the counting rules live there); this module
only chooses the period, draws the chart (an inline SVG by :mod:`gardien.lib.chart`, so the
page loads nothing from anywhere and runs no script) and writes the same numbers as CSV and
JSON, so the page, its export and the command never disagree.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from gardien.audience.rollup import Line, PeriodStats
from gardien.lib import chart, clock
from gardien.lib.spreadsheet import csv_writer

#: The period shown when none is asked for: the last 30 days, today included.
DAYS = 30
#: The longest period asked at once: page views are kept 25 months at most.
MAX_DAYS = 762
#: How many lines each top list shows on the page (the export has them all).
TOP = 10
#: The lists of a period, in the order the page, the export and the report show them.
LISTS = ("pages", "referrers", "screens", "langs")

# Colours with enough contrast on white, told apart by the legend too.
VISITS_COLOUR = "#0b5cad"
OTHER_VIEWS_COLOUR = "#8ab4e0"


class PeriodError(ValueError):
    """A period that cannot be shown; the message says what to write instead."""


def last_days(days: int = DAYS) -> tuple[dt.date, dt.date]:
    end = timezone.localdate(clock.now())
    return end - dt.timedelta(days=days - 1), end


def parse_date(raw: str, label: str) -> dt.date:
    try:
        return dt.date.fromisoformat(raw.strip())
    except ValueError:
        raise PeriodError(
            _("The %(label)s date “%(value)s” is not a date; write it as 2026-03-01.")
            % {"label": label, "value": raw[:40]}
        ) from None


def period(raw_start: str, raw_end: str) -> tuple[dt.date, dt.date]:
    """The period asked for (either end left empty: the last 30 days' one), checked."""
    default_start, default_end = last_days()
    start = parse_date(raw_start, _("start")) if raw_start.strip() else default_start
    end = parse_date(raw_end, _("end")) if raw_end.strip() else default_end
    return check(start, end)


def check(start: dt.date, end: dt.date) -> tuple[dt.date, dt.date]:
    if start > end:
        raise PeriodError(
            _("The period starts on %(start)s, after its end on %(end)s; swap the dates.")
            % {"start": start, "end": end}
        )
    if (end - start).days + 1 > MAX_DAYS:
        raise PeriodError(
            _(
                "A period covers %(max)s days at most (page views are kept 25 months at "
                "most); choose a shorter one."
            )
            % {"max": MAX_DAYS}
        )
    return start, end


def chart_svg(stats: PeriodStats, labels: dict[str, str], title: str) -> str:
    """Page views per day as bars, the visits (first pages of a visit) at their foot."""
    return chart.bars(
        [
            chart.Column(
                label=f"{day.day:%d/%m}",
                segments=[
                    (day.visits, VISITS_COLOUR),
                    (max(day.views - day.visits, 0), OTHER_VIEWS_COLOUR),
                ],
                tooltip=(
                    f"{day.day.isoformat()}: {labels['views']} {day.views}, "
                    f"{labels['visits']} {day.visits}"
                ),
            )
            for day in stats.days
        ],
        title=title,
        css_class="audience-chart",
    )


def rows(stats: PeriodStats) -> Iterator[tuple[str, str, int, int, int]]:
    """Every number of the period as ``(list, value, views, visits, visitors)``: the days
    first (``day``, the date), then each list whole (``page``, ``referrer``…)."""
    for day in stats.days:
        yield ("day", day.day.isoformat(), day.views, day.visits, day.visitors)
    for name in LISTS:
        lines: tuple[Line, ...] = getattr(stats, name)
        for line in lines:
            yield (name.removesuffix("s"), line.key, line.views, line.visits, line.visitors)


CSV_HEADER = ("list", "value", "page_views", "visits", "visitors")


def to_csv(stats: PeriodStats) -> bytes:
    """The period's numbers as a spreadsheet opens them in French: UTF-8 with a BOM, ";"
    between cells (as the portability export)."""
    text = io.StringIO()
    writer = csv_writer(text, delimiter=";")
    writer.writerow(CSV_HEADER)
    writer.writerows(rows(stats))
    return ("\ufeff" + text.getvalue()).encode("utf-8")


def _line(line: Line) -> dict[str, Any]:
    return {
        "value": line.key,
        "views": line.views,
        "visits": line.visits,
        "visitors": line.visitors,
    }


def to_data(stats: PeriodStats, unique_visitors: bool) -> dict[str, Any]:
    """The period's numbers as plain data (``gardien audience report --json``)."""
    return {
        "start": stats.start.isoformat(),
        "end": stats.end.isoformat(),
        "unique_visitors": unique_visitors,
        "views": stats.views,
        "visits": stats.visits,
        "visitors": stats.visitors,
        "days": [
            {
                "day": day.day.isoformat(),
                "views": day.views,
                "visits": day.visits,
                "visitors": day.visitors,
            }
            for day in stats.days
        ],
        **{name: [_line(line) for line in getattr(stats, name)] for name in LISTS},
    }


def counts_visitors() -> bool:
    """Whether the published manifest counts unique visitors (else visits only)."""
    from gardien.policy import services as policy

    manifest = policy.published_manifest()
    return bool(manifest and manifest.audience and manifest.audience.unique_visitors)


def measured() -> bool:
    """Whether the published manifest has an ``[audience]`` section at all."""
    from gardien.policy import services as policy

    manifest = policy.published_manifest()
    return bool(manifest and manifest.audience)
