"""The DPO's view of a person: found by exact email, every look is audited."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _

from gardien.audit.services import Actor
from gardien.backoffice.readonly import ReadOnlyAdminMixin
from gardien.lib import crypto
from gardien.vault import services
from gardien.vault.models import Person


@admin.register(Person)
class PersonAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only. Changes to a person's data go through rights requests, which are audited."""

    list_display = ("short_id", "created_at", "restricted")
    search_fields = ("email_index",)
    search_help_text = _("Type the person's exact email address.")
    fields = ("id", "email", "created_at", "last_contacts_list", "restrictions_list", "records")
    readonly_fields = fields
    show_full_result_count = False

    @admin.display(description=_("person"))
    def short_id(self, obj: Person) -> str:
        return str(obj.pk)[:8]

    @admin.display(description=_("restricted"), boolean=True)
    def restricted(self, obj: Person) -> bool:
        return services.is_restricted(obj.pk)

    @admin.display(description=_("last contact"))
    def last_contacts_list(self, obj: Person) -> str:
        rows = [(c.activity, c.at.strftime("%Y-%m-%d %H:%M")) for c in obj.last_contacts.all()]
        return format_html_join("", "<div>{}: {}</div>", rows) or "—"

    @admin.display(description=_("restrictions"))
    def restrictions_list(self, obj: Person) -> str:
        rows = [
            (
                r.activity or _("all activities"),
                r.get_ground_display(),
                _("kept by the retention purge while it lasts")
                if r.ground in r.HOLDING_ERASURE
                else _("retention periods still apply"),
                r.reason,
            )
            for r in obj.restrictions.all()
        ]
        return format_html_join("", "<div>{} — {} ({}) — {}</div>", rows) or "—"

    @admin.display(description=_("records"))
    def records(self, obj: Person) -> str:
        counts: dict[tuple[str, str], int] = {}
        for found in services.find_everything(obj):
            key = (found.activity, str(found.registration.model._meta.verbose_name_plural))
            counts[key] = counts.get(key, 0) + 1
        rows = [(activity, name, count) for (activity, name), count in sorted(counts.items())]
        return format_html_join("", "<div>{} — {}: {}</div>", rows)

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Person], search_term: str
    ) -> tuple[QuerySet[Person], bool]:
        # Emails are encrypted: the only search is an exact match through the blind index.
        term = search_term.strip()
        if not term:
            return queryset, False
        indexes = crypto.blind_indexes(crypto.normalise_email(term))
        return queryset.filter(email_index__in=indexes), False

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        person = services.person_by_id(object_id)
        if person is not None and request.method == "GET":
            services.view(person, actor=Actor.staff(request.user), reason="back office")
        return super().change_view(request, object_id, form_url, extra_context)
