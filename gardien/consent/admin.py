"""Proofs of consent in the back office: read-only list, statistics and export."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from gardien.audit import services as audit
from gardien.backoffice.readonly import ReadOnlyAdminMixin
from gardien.consent import config, stats
from gardien.consent.models import LEDGER_COLUMNS, ConsentRecord
from gardien.consent.services import CONSENT_ID
from gardien.lib import when

VIEW_PERMISSION = "consent.view_consentrecord"


# A proof's page: its columns in words first, then the stored values they come from.
PROOF_FIELDS: tuple[str, ...] = (
    "consent_id",
    "moment",
    "action",
    "choices",
    "policy",
    "gpc_signal",
    *(c for c in LEDGER_COLUMNS if c not in ("consent_id", "recorded_at", "action", "gpc")),
)


def _purpose_names(version: int) -> dict[str, str]:
    """Purpose id → its label in the reader's language, from the published version
    ``version`` (or the latest, when that one is not published)."""
    lang = get_language() or "fr"
    found = config.configuration(version, lang) or config.current(lang)
    if found is None:
        return {}
    return {p["id"]: p["name"] for p in found.document["purposes"]}


class ExportRefused(ValueError):
    """An export request that cannot be answered; the message says what to fix."""


def _date(raw: str, label: str) -> dt.date:
    try:
        return dt.date.fromisoformat(raw.strip())
    except ValueError:
        raise ExportRefused(
            _("The %(label)s date “%(value)s” is not a date; write it as 2026-03-01.")
            % {"label": label, "value": raw}
        ) from None


@admin.register(ConsentRecord)
class ConsentRecordAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Proofs are evidence: the back office shows them and never adds, edits or deletes."""

    list_display = (
        "moment",
        "consent_id",
        "action",
        "choices",
        "policy",
        "lang",
        "gpc_signal",
    )
    list_filter = ("action",)
    search_fields = ("=consent_id",)
    search_help_text = gettext_lazy(
        "The exact consent id (22 characters) the visitor read on the cookie settings page."
    )
    ordering = ("-recorded_at",)
    # Counting a ledger that grows with traffic on every page costs more than it tells.
    show_full_result_count = False
    fields = PROOF_FIELDS
    readonly_fields = fields

    @admin.display(description=gettext_lazy("recorded at"), ordering="recorded_at")
    def moment(self, obj: ConsentRecord) -> str:
        return when.display(obj.recorded_at)

    @admin.display(description=gettext_lazy("choices"))
    def choices(self, obj: ConsentRecord) -> str:
        """Each purpose by its label in the version the proof was recorded under (the latest
        when that version is gone), accepted or refused in words."""
        decisions = obj.decisions if isinstance(obj.decisions, dict) else {}
        names = _purpose_names(obj.policy_version)
        return "; ".join(
            _("%(purpose)s: %(decision)s")
            % {
                "purpose": names.get(p, p),
                "decision": "✓ " + _("accepted") if on else "✗ " + _("refused"),
            }
            for p, on in decisions.items()
        )

    @admin.display(description=gettext_lazy("policy version"), ordering="policy_version")
    def policy(self, obj: ConsentRecord) -> str:
        return _("version %(number)s") % {"number": obj.policy_version}

    @admin.display(description=gettext_lazy("Global Privacy Control"), ordering="gpc")
    def gpc_signal(self, obj: ConsentRecord) -> str:
        return _("signal sent") if obj.gpc else _("no signal")

    def get_urls(self) -> list[URLPattern]:  # type: ignore[override]
        name = f"{self.opts.app_label}_{self.opts.model_name}"
        wrap = self.admin_site.admin_view
        return [
            path("statistics/", wrap(self.statistics_view), name=f"{name}_statistics"),
            path("export/", wrap(self.export_view), name=f"{name}_export"),
            *super().get_urls(),
        ]

    def _check(self, request: HttpRequest) -> None:
        if not request.user.has_perm(VIEW_PERMISSION):
            raise PermissionDenied

    def statistics_view(
        self, request: HttpRequest, error: str = "", status: int = 200
    ) -> HttpResponse:
        self._check(request)
        start, end = stats.last_days()
        days = stats.day_counts(start, end)
        labels = {
            "accepted": _("accepted all"),
            "custom": _("chose purpose by purpose"),
            "refused": _("refused or withdrew"),
        }
        title = _("Choices per day, %(start)s to %(end)s") % {"start": start, "end": end}
        context: dict[str, Any] = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Consent statistics"),
            "start": start,
            "end": end,
            "purposes": stats.purpose_counts(start, end, request.LANGUAGE_CODE),
            "days": days,
            "total": sum(d.total for d in days),
            "chart": mark_safe(stats.chart_svg(days, labels, title)),  # noqa: S308 (escaped)
            "chart_title": title,
            "legend": [(stats.COLOURS[k], labels[k]) for k in ("accepted", "custom", "refused")],
            "error": error,
            "query": request.GET,
        }
        return TemplateResponse(
            request, "admin/consent/consentrecord/statistics.html", context, status=status
        )

    def export_view(self, request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
        self._check(request)
        try:
            records, label, reason = self._export_selection(request)
        except ExportRefused as refused:
            return self.statistics_view(request, error=str(refused), status=400)
        form = request.GET.get("format", "csv")
        audit.record(
            actor=audit.Actor.staff(request.user),
            action="export",
            target_type="consent.consentrecord",
            target_ref=request.GET.get("consent_id", "").strip(),
            reason=reason,
        )
        rows = stats.export_rows(records)
        if form == "json":
            response = StreamingHttpResponse(
                stats.json_chunks(rows), content_type="application/json; charset=utf-8"
            )
        else:
            response = StreamingHttpResponse(
                stats.csv_lines(rows), content_type="text/csv; charset=utf-8"
            )
        response["Content-Disposition"] = f'attachment; filename="consent-proofs-{label}.{form}"'
        response["Cache-Control"] = "no-store"
        return response

    def _export_selection(self, request: HttpRequest) -> tuple[Any, str, str]:
        query = request.GET
        if query.get("format", "csv") not in ("csv", "json"):
            raise ExportRefused(_("Choose the CSV or the JSON format."))
        consent_id = query.get("consent_id", "").strip()
        if consent_id:
            if not CONSENT_ID.fullmatch(consent_id):
                raise ExportRefused(
                    _(
                        "“%(value)s” is not a consent id: it has 22 letters, digits, “-” or “_”, "
                        "as shown to the visitor."
                    )
                    % {"value": consent_id[:40]}
                )
            return ConsentRecord.objects.filter(consent_id=consent_id), consent_id, ""
        raw_start, raw_end = query.get("start", ""), query.get("end", "")
        if not raw_start.strip() or not raw_end.strip():
            raise ExportRefused(_("Give a consent id, or both dates of the period to export."))
        start = _date(raw_start, _("start"))
        end = _date(raw_end, _("end"))
        if start > end:
            raise ExportRefused(
                _("The period starts on %(start)s, after its end on %(end)s; swap the dates.")
                % {"start": start, "end": end}
            )
        return stats.in_days(start, end), f"{start}_{end}", f"{start}..{end}"
