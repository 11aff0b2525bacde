"""``gardien audience report``: the audience statistics of a period, as the back office shows
them (the numbers of :mod:`gardien.audience.rollup`, written by :mod:`gardien.audience.stats`)."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from gardien.audience import rollup, stats
from gardien.audience.rollup import Line
from gardien.lib import when
from gardien.lib.command import GardienCommand, InputError

#: How many lines of each list the text report prints (--json has them all).
TOP = 10
TITLES = {
    "pages": gettext_lazy("Top pages"),
    "referrers": gettext_lazy("Top referring sites"),
    "screens": gettext_lazy("Screens"),
    "langs": gettext_lazy("Languages"),
}


class Command(GardienCommand):
    help = gettext_lazy(
        "Audience measurement: how many pages your site's visitors viewed, and how many "
        "visits they made. `report` prints the numbers of a period, day by day, then the most "
        "viewed pages, the sites visitors came from, their kind of screen and their language "
        "— the same numbers as the back office's statistics page. Nothing is changed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="{report}")
        report = sub.add_parser(
            "report",
            help=_("print the audience statistics of a period"),
            description=_(
                "Print the audience statistics from one day to another, both included: page "
                "views and visits for each day (and unique visitors, when the manifest counts "
                "them), then the top pages, referring sites, screens and languages. Without "
                "dates: the last 30 days. Dates are written year-month-day, e.g. "
                "`gardien audience report --from 2026-03-01 --to 2026-03-31`. Exits with "
                "status 2 when a date is wrong."
            ),
        )
        report.add_argument(
            "--from",
            dest="start",
            default="",
            metavar="YYYY-MM-DD",
            help=_("the first day of the period (default: 30 days ago, today included)"),
        )
        report.add_argument(
            "--to",
            dest="end",
            default="",
            metavar="YYYY-MM-DD",
            help=_("the last day of the period (default: today)"),
        )
        report.add_argument(
            "--json",
            action="store_true",
            help=_("print the numbers as JSON, every line of every list (for another program)"),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            start, end = stats.period(options["start"], options["end"])
        except stats.PeriodError as refused:
            raise InputError(str(refused)) from None
        numbers = rollup.period_stats(start, end)
        visitors = stats.counts_visitors()
        if options["json"]:
            data = stats.to_data(numbers, visitors)
            self.stdout.write(json.dumps(data, ensure_ascii=False, indent=2))
            return
        self._text(numbers, visitors)

    def _text(self, numbers: rollup.PeriodStats, visitors: bool) -> None:
        columns = (_("page views"), _("visits"), *((_("visitors"),) if visitors else ()))
        self.stdout.write(
            _("Audience from %(start)s to %(end)s (days in %(zone)s)")
            % {"start": numbers.start, "end": numbers.end, "zone": when.zone()}
        )
        self.stdout.write("")
        heading = _("day")
        self.stdout.write(f"{heading:<12}" + "".join(f"{c:>12}" for c in columns))
        for day in numbers.days:
            counts = (day.views, day.visits, *((day.visitors,) if visitors else ()))
            self.stdout.write(f"{day.day.isoformat():<12}" + "".join(f"{n:>12}" for n in counts))
        for name, title in TITLES.items():
            lines: tuple[Line, ...] = getattr(numbers, name)
            self.stdout.write("")
            self.stdout.write(
                _("%(title)s (%(count)d in all)") % {"title": title, "count": len(lines)}
                if lines
                else _("%(title)s: none") % {"title": title}
            )
            for line in lines[:TOP]:
                counts = (line.views, line.visits, *((line.visitors,) if visitors else ()))
                key = line.key or _("(unknown)")
                self.stdout.write(f"  {key:<40}" + "".join(f"{n:>12}" for n in counts))
        self.stdout.write("")
        self.stdout.write(_summary(numbers, visitors))


def _summary(numbers: rollup.PeriodStats, visitors: bool) -> str:
    days = (numbers.end - numbers.start).days + 1
    text = ngettext(
        "%(views)d page views and %(visits)d visits in %(days)d day (%(start)s to %(end)s)",
        "%(views)d page views and %(visits)d visits in %(days)d days (%(start)s to %(end)s)",
        days,
    ) % {
        "views": numbers.views,
        "visits": numbers.visits,
        "days": days,
        "start": numbers.start,
        "end": numbers.end,
    }
    if visitors:
        text += _(", %(visitors)d visitors (added up day by day)") % {"visitors": numbers.visitors}
    if not numbers.views:
        text += _("; no page view yet: add the banner tag to your site's pages")
    return text + "."
