"""What the retention pages of the back office show, in words the DPO reads.

The receipts name a category by its model's label (``consent.consentrecord``) and its rule by
the activity and record of the manifest (``newsletter`` / ``pending_signup``); these helpers
turn them into the model's plural name and the activity's name in the page's language. The
chart of the runs is an SVG drawn here (as the consent statistics' one), so the page loads
nothing from anywhere and runs no script.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.html import escape
from django.utils.text import capfirst
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _

from gardien.lib import clock
from gardien.manifest.schema import Manifest
from gardien.retention.models import PurgeRun

#: How many runs the chart of the receipts page shows (about three months of daily runs).
CHART_RUNS = 90
#: The dashboard warns when no purge ran for this long while a policy is published.
STALE = dt.timedelta(days=2)
#: The periods of the forecast, in days from now.
FORECAST_DAYS = (30, 90)

# The colours of the consent chart: enough contrast on white.
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


def _text_width(text: str, size: int = 11) -> float:
    """A generous estimate of the width of a short label (digits, "/") in a sans-serif."""
    return len(text) * size * 0.62


def _date_labels(
    runs: Sequence[PurgeRun], centres: list[float], size: int
) -> list[tuple[float, str]]:
    """The dates under the bars: the last run's, and others as far apart as they need (at
    most about eight), so no two labels overlap."""
    if not runs:
        return []
    texts = [f"{timezone.localtime(run.started_at):%d/%m}" for run in runs]
    gap = _text_width(texts[-1], size) + 10
    span = max((centres[-1] - centres[0]) / 8, gap)
    chosen: list[tuple[float, str]] = []
    for centre, text in zip(centres[:-1], texts[:-1], strict=True):
        if chosen and centre - chosen[-1][0] < span:
            continue
        if centres[-1] - centre < gap:
            break
        chosen.append((centre, text))
    return [*chosen, (centres[-1], texts[-1])]


def chart_svg(runs: Sequence[PurgeRun], title: str) -> str:
    """Bars of the rows removed by each run, oldest on the left, as an inline SVG element.

    The margins are sized from the labels they hold (the highest count on the left, half a
    date on the right) so nothing is cut at the edges; the drawing scales down with its
    column (``viewBox``, and ``retention/admin.css``) and needs no script.
    """
    width, height, size = 720, 220, 11
    highest = max((r.removed for r in runs), default=0)
    top_label = str(highest)
    top, bottom, right = 16, 24, 24
    left = math.ceil(_text_width(top_label, size)) + 12
    plot_width = width - left - right
    plot_height = height - top - bottom
    base = top + plot_height
    step = min(plot_width / max(len(runs), 1), 28.0)
    bar = max(step * 0.8, 1.0)
    escaped = escape(title)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="retention-chart" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escaped}">',
        f"<title>{escaped}</title>",
        f'<line x1="{left}" y1="{base}" x2="{width - right}" y2="{base}" stroke="#57606a" '
        'stroke-width="1"/>',
        f'<text x="{left - 6}" y="{base}" text-anchor="end" font-size="{size}" '
        'fill="#1b1f23">0</text>',
    ]
    if highest:
        parts += [
            f'<line x1="{left}" y1="{top}" x2="{width - right}" y2="{top}" stroke="#d0d7de" '
            'stroke-width="1" stroke-dasharray="3 3"/>',
            f'<text x="{left - 6}" y="{top + 4}" text-anchor="end" font-size="{size}" '
            f'fill="#1b1f23">{top_label}</text>',
        ]
    labels = _date_labels(runs, [left + i * step + step / 2 for i in range(len(runs))], size)
    for i, run in enumerate(runs):
        x = left + i * step + (step - bar) / 2
        h = plot_height * run.removed / highest if highest else 0.0
        colour = INTERRUPTED_COLOUR if run.interrupted else REMOVED_COLOUR
        if run.removed == 0:  # still show that a run happened
            colour = ZERO_COLOUR
        h = max(h, 1.5)  # a run that removed little still shows
        parts.append(
            f"<g><title>{escape(run_words(run))}</title>"
            f'<rect x="{x:.1f}" y="{base - h:.1f}" width="{bar:.1f}" height="{h:.1f}" '
            f'fill="{colour}"/></g>'
        )
    for centre, label in labels:
        half = _text_width(label, size) / 2
        centre = min(max(centre, half + 3), width - half - 3)
        parts.append(
            f'<text x="{centre:.1f}" y="{height - 7}" text-anchor="middle" '
            f'font-size="{size}" fill="#1b1f23">{label}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


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
