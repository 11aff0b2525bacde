"""The retention purge in the back office: its receipts, what is due next, and a word on
the dashboard.

- **Receipts** (``/admin/retention/purgerun/``): every run, newest first, above a chart of
  the rows each removed; a run's page lists its receipts, one per rule: the stored data, where
  the rule is written, the rule, deleted or anonymised, how many rows, how many a restriction
  held, how long it took. Receipts are evidence: nobody adds, changes or deletes them here.
- **Forecast** (``/admin/retention/purgerun/forecast/``): per rule, what is due now, held by a
  restriction, and due within 30 and 90 days (``engine.forecast``); nothing is changed.
- **Dashboard**: the last run for every role (counts only), with a warning when no purge
  ran for two days while a policy is published; the links for those who may read receipts.

Who may open the pages follows the roles: ``retention.view_purgerun``.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.text import capfirst
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from gardien.backoffice.columns import moment
from gardien.backoffice.readonly import ReadOnlyAdminMixin
from gardien.backoffice.site import add_dashboard_block
from gardien.lib import clock
from gardien.manifest import wording
from gardien.retention import engine, views
from gardien.retention.models import PurgeReceipt, PurgeRun

VIEW_PERMISSION = "retention.view_purgerun"


def _manifest() -> Any:
    from gardien.policy import services as policy

    return policy.published_manifest()


@admin.register(PurgeRun)
class PurgeRunAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The runs of the purge and their receipts, read only."""

    finished_when = moment(PurgeRun, "finished_at")
    started_when = moment(PurgeRun, "started_at")
    list_display = ("started_when", "trigger", "removed", "held", "ended", "policy_version")
    list_filter = ("trigger", "interrupted")
    ordering = ("-started_at",)
    fields = (
        "started_when",
        "finished_when",
        "trigger",
        "policy_version",
        "removed",
        "held",
        "ended",
    )
    readonly_fields = fields
    change_list_template = "retention/admin/purgerun_change_list.html"
    change_form_template = "retention/admin/purgerun_change_form.html"

    # Words, not icons: a green tick for "stopped before the end" would read as a success.
    @admin.display(description=gettext_lazy("how it ended"), ordering="interrupted")
    def ended(self, obj: PurgeRun) -> str:
        return _("stopped before the end") if obj.interrupted else _("ran to the end")

    def has_view_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return bool(request.user.has_perm(VIEW_PERMISSION))

    def get_urls(self) -> list[URLPattern]:  # type: ignore[override]
        name = f"{self.opts.app_label}_{self.opts.model_name}"
        wrap = self.admin_site.admin_view
        return [
            path("forecast/", wrap(self.forecast_view), name=f"{name}_forecast"),
            *super().get_urls(),
        ]

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        runs = views.chart_runs()
        title = _("Rows removed by each of the last %(count)s runs") % {"count": len(runs)}
        context: dict[str, Any] = {
            "chart": mark_safe(views.chart_svg(runs, title)) if runs else "",  # noqa: S308
            "chart_title": title,
            "chart_runs": [
                {
                    "when": views.moment(run.started_at),
                    "removed": run.removed,
                    "held": run.held,
                    "interrupted": run.interrupted,
                }
                for run in reversed(runs)
            ],
            "legend": [
                (views.REMOVED_COLOUR, _("rows removed")),
                (views.INTERRUPTED_COLOUR, _("rows removed by a run stopped before the end")),
                (views.ZERO_COLOUR, _("a run that removed nothing")),
            ],
        }
        return super().changelist_view(request, {**context, **(extra_context or {})})

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        context: dict[str, Any] = {}
        if self.has_view_permission(request):
            run = self.get_object(request, object_id)
            if run is not None:
                context = self._receipts(run)
        return super().change_view(
            request, object_id, form_url, {**context, **(extra_context or {})}
        )

    def _receipts(self, run: PurgeRun) -> dict[str, Any]:
        manifest = _manifest()
        receipts: list[PurgeReceipt] = list(run.receipts.order_by("pk"))
        return {
            "receipts": [
                {
                    "stored_data": views.stored_data(receipt.category),
                    "label": receipt.category,
                    "where": views.where(receipt.activity, receipt.record, manifest),
                    "rule": receipt.rule,
                    "outcome": receipt.get_outcome_display(),
                    "count": receipt.count,
                    "held": receipt.held,
                    "duration": views.duration(receipt.duration_ms),
                }
                for receipt in receipts
            ],
            "receipts_count": sum(r.count for r in receipts),
            "receipts_held": sum(r.held for r in receipts),
            "receipts_duration": views.duration(sum(r.duration_ms for r in receipts)),
        }

    def forecast_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        now = clock.now()
        error = ""
        try:
            found = engine.forecast(now, days=views.FORECAST_DAYS)
        except engine.PurgeRefused as refused:
            found, error = [], str(refused)
        manifest = _manifest()
        near, far = views.FORECAST_DAYS
        rows = [
            {
                "stored_data": str(capfirst(row.category.model._meta.verbose_name_plural)),
                "label": row.category.key,
                "where": views.where(
                    row.category.activity or "", row.category.record or "", manifest
                ),
                # The rule in the reader's words, as the policy writes it; technical
                # lifetimes (no manifest rule) are already sentences.
                "rule": wording.rule(row.category.rule, get_language() or "fr")
                if row.category.rule is not None
                else row.category.rule_text,
                "outcome": PurgeReceipt.Outcome(row.category.outcome).label,
                "due_now": row.due_now,
                "held_now": row.held_now,
                "near": row.ahead[near],
                "far": row.ahead[far],
            }
            for row in found
        ]
        context: dict[str, Any] = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("What the retention rules will remove"),
            "as_of": views.moment(now),
            "time_zone": timezone.get_current_timezone_name(),
            "rows": rows,
            "totals": {
                key: sum(r[key] for r in rows) for key in ("due_now", "held_now", "near", "far")
            },
            "near": near,
            "far": far,
            "purge_hour": engine.scheduled_hour(),
            "error": error,
        }
        return TemplateResponse(request, "retention/admin/forecast.html", context)


# The last run for every role (counts, no personal data); links for those who may read.
add_dashboard_block("retention/admin/dashboard.html", views.dashboard)
