"""The audience statistics in the back office: a page for every role, its CSV export, and a
block on the dashboard.

Every role may read them: they are counts without any identifier (the daily statistics), and
the page shows no page view one by one. The back office itself lets in only accounts with a
role and two factors.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from gardien.audience import rollup, stats
from gardien.audit.services import Actor
from gardien.backoffice import trail
from gardien.backoffice.site import add_dashboard_block, add_page

#: How many days the dashboard's block sums up.
DASHBOARD_DAYS = 7


def _period(request: HttpRequest) -> tuple[dt.date, dt.date, str]:
    """The period asked for in the query (``from``, ``to``), or the last 30 days and why
    the one asked for cannot be shown."""
    try:
        start, end = stats.period(request.GET.get("from", ""), request.GET.get("to", ""))
    except stats.PeriodError as refused:
        start, end = stats.last_days()
        return start, end, str(refused)
    return start, end, ""


def statistics_page(request: HttpRequest, context: dict[str, Any]) -> HttpResponse:
    """Visits and page views per day, and the top lists, over a period."""
    start, end, error = _period(request)
    numbers = rollup.period_stats(start, end)
    labels = {"views": _("page views"), "visits": _("visits")}
    title = _("Page views per day, %(start)s to %(end)s") % {"start": start, "end": end}
    context.update(
        {
            "title": _("Audience statistics"),
            "start": start,
            "end": end,
            "stats": numbers,
            "visitors": stats.counts_visitors(),
            "measured": stats.measured(),
            "pages": numbers.pages[: stats.TOP],
            "referrers": numbers.referrers[: stats.TOP],
            "screens": numbers.screens,
            "langs": numbers.langs,
            "chart": mark_safe(stats.chart_svg(numbers, labels, title)),  # noqa: S308 (escaped)
            "chart_title": title,
            "legend": [
                (stats.VISITS_COLOUR, _("visits (first page of a visit)")),
                (stats.OTHER_VIEWS_COLOUR, _("other page views")),
            ],
            "error": error,
        }
    )
    status = 400 if error else 200
    return TemplateResponse(request, "audience/admin/statistics.html", context, status=status)


def export_page(request: HttpRequest, context: dict[str, Any]) -> HttpResponse:
    """The page's numbers as CSV; a period that cannot be shown gets the page and its
    message instead."""
    start, end, error = _period(request)
    if error:
        return statistics_page(request, context)
    trail.exported(Actor.staff(request.user), "audience.stats", reason=f"{start} {end}")
    response = HttpResponse(
        stats.to_csv(rollup.period_stats(start, end)), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="audience-{start}_{end}.csv"'
    response["Cache-Control"] = "no-store"
    return response


def dashboard(request: HttpRequest) -> dict[str, Any]:
    """The last week's page views and visits, for the back office's home page."""
    start, end = stats.last_days(DASHBOARD_DAYS)
    numbers = rollup.period_stats(start, end)
    return {
        "audience_days": DASHBOARD_DAYS,
        "audience_views": numbers.views,
        "audience_visits": numbers.visits,
        "audience_measured": stats.measured(),
    }


add_page("audience/", statistics_page, "audience_statistics")
add_page("audience/export.csv", export_page, "audience_export")
add_dashboard_block("audience/admin/dashboard.html", dashboard)
