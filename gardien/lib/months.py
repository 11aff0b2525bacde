"""Calendar arithmetic: "one month" from 31 January is 28/29 February, not 30 days."""

from __future__ import annotations

import calendar
import datetime as dt


def add_months[D: (dt.date, dt.datetime)](value: D, months: int) -> D:
    """Add calendar months, clamping the day to the end of a shorter month."""
    index = value.month - 1 + months
    year = value.year + index // 12
    month = index % 12 + 1
    day = min(value.day, calendar.monthrange(year, month)[1])
    return value.replace(year=year, month=month, day=day)


def add_years[D: (dt.date, dt.datetime)](value: D, years: int) -> D:
    return add_months(value, 12 * years)
