"""The DPO's view of a person: found by exact email, every look is audited.

The email is sent by a form POST (``search/``), never in a URL: URLs end up in the
browser's history, the proxy's logs and the Referer header. Each search is audited with
the email as a keyed hash."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _

from gardien.audit.services import Actor
from gardien.backoffice import trail
from gardien.backoffice.readonly import ReadOnlyAdminMixin
from gardien.lib import crypto
from gardien.vault import services
from gardien.vault.models import Person


class PersonSearchForm(forms.Form):
    email = forms.CharField(
        label=_("Email address"),
        max_length=254,
        help_text=_("Type the person's exact email address."),
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )


@admin.register(Person)
class PersonAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only. Changes to a person's data go through rights requests, which are audited."""

    list_display = ("short_id", "created_at", "restricted")
    change_list_template = "backoffice/person_change_list.html"
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

    def get_urls(self) -> list[URLPattern]:  # type: ignore[override]
        wrap = self.admin_site.admin_view
        return [
            path("search/", wrap(self.search_view), name="vault_person_search"),
            *super().get_urls(),
        ]

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        if "q" in request.GET:  # an old bookmark or a typed URL: never search from a URL
            return HttpResponseRedirect(reverse("admin:vault_person_changelist"))
        extra = {"search_form": PersonSearchForm(), **(extra_context or {})}
        return super().changelist_view(request, extra)

    def search_view(self, request: HttpRequest) -> HttpResponse:
        """Find people by exact email (through the blind index), from a POST only."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        if request.method != "POST":
            return HttpResponseRedirect(reverse("admin:vault_person_changelist"))
        form = PersonSearchForm(request.POST)
        found: list[Person] = []
        if form.is_valid():
            email = crypto.normalise_email(form.cleaned_data["email"])
            indexes = crypto.blind_indexes(email)
            found = list(Person.objects.filter(email_index__in=indexes).order_by("created_at"))
            trail.person_searched(Actor.staff(request.user), email, len(found))
            if len(found) == 1:
                return HttpResponseRedirect(
                    reverse("admin:vault_person_change", args=[found[0].pk])
                )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Find a person"),
            "form": PersonSearchForm() if form.is_valid() else form,
            "searched": form.is_valid(),
            "found": [(str(person.pk)[:8], person) for person in found],
        }
        return TemplateResponse(request, "backoffice/person_search.html", context)

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
