"""The DPO's view of a person: found by exact email, every look is audited.

The email is sent by a form POST (``search/``), never in a URL: URLs end up in the
browser's history, the proxy's logs and the Referer header. Each search is audited with
the email as a keyed hash."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, URLPattern, path, reverse
from django.utils.html import format_html_join
from django.utils.text import capfirst
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _

from gardien.audit.services import Actor
from gardien.backoffice import trail
from gardien.backoffice.readonly import ReadOnlyAdminMixin
from gardien.lib import clock, crypto, when
from gardien.policy import services as policy
from gardien.vault import services
from gardien.vault.models import Person


@dataclass(frozen=True)
class Held:
    """One record about a person, as the person page lists it (no personal value)."""

    kind: str
    reference: str
    date: str
    url: str


@dataclass(frozen=True)
class Activity:
    name: str
    records: list[Held]


def _activity_names() -> dict[str, str]:
    """Activity id → its name in the reader's language, from the published manifest."""
    manifest = policy.published_manifest()
    lang = get_language() or "fr"
    return {a.id: a.name.get(lang) for a in manifest.activities} if manifest else {}


def _admin_url(request: HttpRequest, obj: models.Model) -> str:
    """The back-office page of ``obj`` when there is one and the reader may open it."""
    opts = obj._meta
    if not request.user.has_perm(f"{opts.app_label}.view_{opts.model_name}") and not (
        request.user.has_perm(f"{opts.app_label}.change_{opts.model_name}")
    ):
        return ""
    try:
        return reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
    except NoReverseMatch:
        return ""


# When a record began, by the first of these fields it has; else the field its retention
# counts from (which may be empty until an event, e.g. a withdrawal).
_BEGAN = ("received_at", "signed_up_at", "created_at", "recorded_at")


def _since(obj: models.Model, timestamp: str | None) -> Any:
    for name in (*_BEGAN, timestamp):
        value = getattr(obj, name, None) if name else None
        if value is not None:
            return value
    return None


def held_per_activity(request: HttpRequest, person: Person) -> list[Activity]:
    """What Gardien holds about ``person``, per activity of the manifest, asked of every app
    through the personal-data registry (vault.services.find_everything)."""
    names = _activity_names()
    grouped: dict[str, list[Held]] = {}
    for found in services.find_everything(person):
        registration, obj = found.registration, found.obj
        if obj.pk == person.pk and isinstance(obj, Person):
            continue  # the person themself: the page's first block
        stamp = _since(obj, registration.timestamp)
        reference = str(getattr(obj, "reference", "") or str(obj.pk)[:8])
        grouped.setdefault(found.activity, []).append(
            Held(
                kind=str(capfirst(obj._meta.verbose_name)),
                reference=reference,
                date=when.display(stamp) if stamp else "—",
                url=_admin_url(request, obj),
            )
        )
    order = list(names)
    return [
        Activity(names.get(activity, activity), records)
        for activity, records in sorted(
            grouped.items(),
            key=lambda item: order.index(item[0]) if item[0] in order else len(order),
        )
    ]


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

    list_display = ("short_id", "created", "restricted")
    change_list_template = "backoffice/person_change_list.html"
    change_form_template = "backoffice/person_change_form.html"
    fields = ("id", "email", "created", "last_contacts_list", "restrictions_list")
    readonly_fields = fields
    show_full_result_count = False

    @admin.display(description=_("person"))
    def short_id(self, obj: Person) -> str:
        return str(obj.pk)[:8]

    @admin.display(description=_("created at"), ordering="created_at")
    def created(self, obj: Person) -> str:
        return when.display(obj.created_at)

    # Words, not a green tick: a restriction is a limit the DPO must respect, not a success.
    def get_queryset(self, request: HttpRequest) -> Any:
        return services.with_restricted(super().get_queryset(request))

    @admin.display(description=_("processing"))
    def restricted(self, obj: Person) -> str:
        restricted = getattr(obj, "restricted", None)
        if restricted is None:  # a person not read through the list's query
            restricted = services.is_restricted(obj.pk)
        return gettext("restricted") if restricted else gettext("not restricted")

    @admin.display(description=_("last contact"))
    def last_contacts_list(self, obj: Person) -> str:
        names = _activity_names()
        rows = [
            (
                gettext("%(activity)s: %(moment)s")
                % {"activity": names.get(c.activity, c.activity), "moment": when.display(c.at)},
            )
            for c in obj.last_contacts.all()
        ]
        return format_html_join("", "<div>{}</div>", rows) or "—"

    @admin.display(description=_("restrictions"))
    def restrictions_list(self, obj: Person) -> str:
        rows = [
            (
                _activity_names().get(r.activity, r.activity) or _("all activities"),
                r.get_ground_display(),
                _("kept by the retention purge while it lasts")
                if r.ground in r.HOLDING_ERASURE
                else _("retention periods still apply"),
                r.reason,
            )
            for r in obj.restrictions.all()
        ]
        return format_html_join("", "<div>{} — {} ({}) — {}</div>", rows) or "—"

    def get_urls(self) -> list[URLPattern]:  # type: ignore[override]
        wrap = self.admin_site.admin_view
        return [
            path("search/", wrap(self.search_view), name="vault_person_search"),
            path("<uuid:person_id>/export/", wrap(self.export_view), name="vault_person_export"),
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
        if form.is_valid():
            # The vault's one rule for finding a person, as the forms and rights requests use.
            email = crypto.normalise_email(form.cleaned_data["email"])
            person = services.find_person(email)
            trail.person_searched(Actor.staff(request.user), email, int(person is not None))
            if person is not None:
                return HttpResponseRedirect(reverse("admin:vault_person_change", args=[person.pk]))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Find a person"),
            "form": PersonSearchForm() if form.is_valid() else form,
            "searched": form.is_valid(),
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
        extra = dict(extra_context or {})
        if person is not None and request.method == "GET":
            services.view(person, actor=Actor.staff(request.user), reason="back office")
            extra.update(self._person_context(request, person))
        return super().change_view(request, object_id, form_url, extra)

    def _person_context(self, request: HttpRequest, person: Person) -> dict[str, Any]:
        """The records per activity and the actions the reader's role allows. Restricting and
        erasing go through a rights request (gardien.rights), so the person is told and the
        processors informed: the page links there and does neither itself."""
        may_file = request.user.has_perm("rights.add_rightsrequest")
        return {
            "held": held_per_activity(request, person),
            "export_url": reverse("admin:vault_person_export", args=[person.pk])
            if self.has_view_permission(request)
            else "",
            "file_request_url": reverse("admin:rights_rightsrequest_add") if may_file else "",
            "requests_url": reverse("admin:rights_rightsrequest_changelist")
            if request.user.has_perm("rights.view_rightsrequest")
            else "",
        }

    def export_view(self, request: HttpRequest, person_id: Any) -> HttpResponse:
        """Everything held about the person as JSON, from a POST only; every record read is
        audited by the vault (``read_export``)."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        person = services.person_by_id(person_id)
        if person is None or request.method != "POST":
            return HttpResponseRedirect(reverse("admin:vault_person_changelist"))
        data = services.export(person, actor=Actor.staff(request.user), reason="back office")
        response = HttpResponse(
            json.dumps(data, ensure_ascii=False, indent=2),
            content_type="application/json; charset=utf-8",
        )
        day = when.day(clock.now())
        response["Content-Disposition"] = (
            f'attachment; filename="person-{str(person.pk)[:8]}-{day}.json"'
        )
        response["Cache-Control"] = "no-store"
        return response
