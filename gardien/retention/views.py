"""What the retention pages of the back office show, in words the DPO reads.

The receipts name a category by its model's label (``consent.consentrecord``) and its rule by
the activity and record of the manifest (``newsletter`` / ``pending_signup``); these helpers
turn them into the model's plural name and the activity's name in the page's language. The
chart of the runs is an inline SVG drawn by ``gardien.lib.chart`` (as the consent statistics'
one), so the page loads nothing from anywhere and runs no script.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.text import capfirst
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _

from gardien.lib import chart, clock
from gardien.manifest.schema import Manifest
from gardien.retention.models import PurgeRun

#: How many runs the chart of the receipts page shows (about three months of daily runs).
CHART_RUNS = 90
#: The dashboard warns when no purge ran for this long while a policy is published.
STALE = dt.timedelta(days=2)
#: The periods of the forecast, in days from now.
FORECAST_DAYS = (30, 90)

# The colours of the runs' chart: enough contrast on white.
REMOVED_COLOUR = "#0b5cad"
INTERRUPTED_COLOUR = "#9a6700"
ZERO_COLOUR = "#8c959f"


def stored_data(label: str) -> str:
    """The stored data a receipt is about, in words: the model's plural name."""
    try:
        model = apps.get_model(label)
    except (LookupError, ValueError):  # a model removed since the run
        return label
    return str(capfirst(model._meta.verbose_name_plural))


@dataclass(frozen=True)
class Where:
    """Where a rule is written: the activity (and record) of the policy, in words and ids."""

    name: str  # "Newsletter — Unconfirmed sign-ups", or "" when the policy no longer has it
    code: str  # "newsletter / pending_signup", or "" for Gardien's own rules

    @property
    def own(self) -> bool:
        return not self.code


def where(activity: str, record: str, manifest: Manifest | None) -> Where:
    if not activity:
        return Where(_("Gardien itself (how it works, not a rule of the policy)"), "")
    code = f"{activity} / {record}" if record else activity
    if manifest is None:
        return Where("", code)
    lang = (get_language() or "fr").split("-")[0]
    found = next((a for a in manifest.activities if a.id == activity), None)
    if found is None:
        return Where("", code)
    name = found.name.get(lang)
    if record:
        kept = next((r for r in found.records if r.id == record), None)
        if kept is not None:
            name = f"{name} — {kept.what.get(lang)}"
    return Where(name, code)


def duration(ms: int) -> str:
    """A receipt's duration: milliseconds below a second, seconds with one decimal above."""
    if ms < 1000:
        return _("%(ms)s ms") % {"ms": ms}
    return _("%(s)s s") % {"s": number_format(ms / 1000, 1)}


def moment(value: dt.datetime) -> str:
    """A run's start in Gardien's time zone, the same way in every language."""
    return f"{timezone.localtime(value):%Y-%m-%d %H:%M}"


# --- the chart --------------------------------------------------------------------------


def chart_runs(limit: int = CHART_RUNS) -> list[PurgeRun]:
    """The latest runs, oldest first."""
    return list(PurgeRun.objects.order_by("-started_at", "-pk")[:limit])[::-1]


def run_words(run: PurgeRun) -> str:
    text = ngettext(
        "%(when)s: %(removed)s row removed, %(held)s held",
        "%(when)s: %(removed)s rows removed, %(held)s held",
        run.removed,
    ) % {
        "when": moment(run.started_at),
        "removed": run.removed,
        "held": run.held,
    }
    if run.interrupted:
        text += " " + _("(stopped before the end)")
    return text


def _colour(run: PurgeRun) -> str:
    if run.removed == 0:
        return ZERO_COLOUR
    return INTERRUPTED_COLOUR if run.interrupted else REMOVED_COLOUR


def chart_svg(runs: Sequence[PurgeRun], title: str) -> str:
    """Bars of the rows removed by each run, oldest on the left, as an inline SVG element
    (``gardien.lib.chart``): a run stopped before the end in another colour, a run that
    removed nothing as a thin grey bar, so every run shows."""
    return chart.bars(
        [
            chart.Column(
                label=f"{timezone.localtime(run.started_at):%d/%m}",
                segments=[(run.removed, _colour(run))],
                tooltip=run_words(run),
                min_height=1.5,
            )
            for run in runs
        ],
        title=title,
        css_class="retention-chart",
    )


# --- the dashboard ----------------------------------------------------------------------


def dashboard(request: Any) -> dict[str, Any]:
    """The last run, and whether the purge looks stopped (a policy but no run for days)."""
    from gardien.policy import services as policy

    last = PurgeRun.objects.order_by("-started_at", "-pk").first()
    published = policy.published() is not None
    stale = published and (last is None or last.started_at < clock.now() - STALE)
    return {
        "last_run": last,
        "last_run_when": moment(last.started_at) if last is not None else "",
        "policy_published": published,
        "purge_stale": stale,
        "stale_days": STALE.days,
    }
