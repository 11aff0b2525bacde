"""The newsletter in the back office (the DPO's role): subscribers, proofs of consent,
campaigns sent, and the changes still on their way to Brevo. Nothing is edited by hand: a
subscriber leaves through the "Unsubscribe" action (audited), as through the link. No page
lists addresses; a subscriber's address shows on its own page, and each opening is audited.
The dashboard shows every role the counts and whether Brevo is on."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from gardien.audit.services import Actor, record
from gardien.backoffice.columns import moment
from gardien.backoffice.site import add_dashboard_block
from gardien.newsletter import services
from gardien.newsletter.models import Campaign, ConsentProof, ProcessorSync, Subscription


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


# Where a sign-up came from, as stored ("page", "contact", "snippet ORIGIN", "api ORIGIN").
_SOURCES = {
    "page": _("Gardien's sign-up page"),
    "contact": _("the contact form's box"),
    "snippet": _("the form on the site"),
    "api": _("the API"),
}


def source_in_words(source: str) -> str:
    kind, _space, origin = source.partition(" ")
    label = _SOURCES.get(kind)
    if label is None:
        return source
    return f"{label} ({origin})" if origin else str(label)


@admin.register(Subscription)
class SubscriptionAdmin(ReadOnly):
    confirmed_when = moment(Subscription, "confirmed_at")
    list_display = ("short_id", "lang", "confirmed_when", "source")
    fields = ("address", "lang", "confirmed_when", "source", "statement", "policy_version")
    readonly_fields = fields
    actions = ["unsubscribe"]
    show_full_result_count = False

    def get_queryset(self, request: HttpRequest) -> QuerySet[Subscription]:
        return super().get_queryset(request).select_related("proof", "person")

    @admin.display(description=_("subscriber"))
    def short_id(self, obj: Subscription) -> str:
        return str(obj.pk)[:8]

    @admin.display(description=_("email address"))
    def address(self, obj: Subscription) -> str:
        return obj.person.email

    @admin.display(description=_("source"))
    def source(self, obj: Subscription) -> str:
        return source_in_words(obj.proof.source)

    @admin.display(description=_("consent statement (SHA-256)"))
    def statement(self, obj: Subscription) -> str:
        return obj.proof.statement_sha256

    @admin.display(description=_("policy version"))
    def policy_version(self, obj: Subscription) -> int:
        return obj.proof.policy_version

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        if request.method == "GET" and self.has_view_permission(request):
            record(
                actor=Actor.staff(request.user),
                action="view",
                target_type=Subscription._meta.label_lower,
                target_ref=str(object_id)[:64],
                reason="back office",
            )
        return super().change_view(request, object_id, form_url, extra_context)

    @admin.action(description=_("Unsubscribe (as if they used the link)"), permissions=["view"])
    def unsubscribe(self, request: HttpRequest, queryset: QuerySet[Subscription]) -> None:
        done = 0
        for subscription in queryset.select_related("person"):
            done += services.withdraw(
                subscription.person, how="staff", actor=Actor.staff(request.user)
            )
        self.message_user(
            request,
            ngettext(
                "%(count)d subscriber unsubscribed.", "%(count)d subscribers unsubscribed.", done
            )
            % {"count": done},
            messages.SUCCESS,
        )

    def has_view_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return bool(request.user.has_perm("newsletter.view_subscription"))


#: How a consent was withdrawn, in words (ConsentProof.withdrawn_how holds the code).
WITHDRAWN_HOW = {
    "one-click": _("one click in the mail client"),
    "link": _("the unsubscribe link"),
    "staff": _("by the staff, in the back office"),
    "erasure": _("erasure of the person's data"),
    "unsubscribed at Brevo": _("unsubscribed in Brevo"),
    "hard bounce": _("the address does not exist (bounce)"),
    "spam complaint": _("reported as spam"),
    "left at Brevo": _("no longer in Brevo's list (reconciliation)"),
}


@admin.register(ConsentProof)
class ConsentProofAdmin(ReadOnly):
    confirmed_when = moment(ConsentProof, "confirmed_at")
    signed_up_when = moment(ConsentProof, "signed_up_at")
    withdrawn_when = moment(ConsentProof, "withdrawn_at")
    list_display = ("short_id", "signed_up_when", "confirmed_when", "withdrawn_when", "withdrawn")
    fields = (
        "signed_up_when",
        "confirmed_when",
        "lang",
        "source_words",
        "policy_version",
        "statement_sha256",
        "withdrawn_when",
        "withdrawn",
    )
    readonly_fields = fields

    @admin.display(description=_("proof"))
    def short_id(self, obj: ConsentProof) -> str:
        return str(obj.pk)[:8]

    @admin.display(description=_("source"))
    def source_words(self, obj: ConsentProof) -> str:
        return source_in_words(obj.source)

    @admin.display(description=_("withdrawn through"))
    def withdrawn(self, obj: ConsentProof) -> str:
        return str(WITHDRAWN_HOW.get(obj.withdrawn_how, obj.withdrawn_how)) or "—"


@admin.register(Campaign)
class CampaignAdmin(ReadOnly):
    created_when = moment(Campaign, "created_at")
    finished_when = moment(Campaign, "finished_at")
    list_display = ("subject", "kind", "created_when", "finished_when", "sent")
    fields = ("subject", "kind", "body", "policy_version", "created_when", "finished_when")
    readonly_fields = fields

    @admin.display(description=_("sent"))
    def sent(self, obj: Campaign) -> int:
        return obj.deliveries.filter(sent_at__isnull=False).count()


@admin.register(ProcessorSync)
class ProcessorSyncAdmin(ReadOnly):
    updated_when = moment(ProcessorSync, "updated_at")
    list_display = ("processor", "wanted", "version", "updated_when")
    fields = ("processor", "wanted", "version", "updated_when")
    readonly_fields = fields


def _dashboard(request: HttpRequest) -> dict[str, Any]:
    found = services.setup()
    return {
        "counts": services.audience(),
        "has_newsletter": found is not None,
        "processor": found.section.processor if found else None,
        "processor_on": services.processor_id() is not None,
        "waiting": ProcessorSync.objects.count(),
        "list_id": settings.GARDIEN_BREVO_LIST_ID,
    }


add_dashboard_block("newsletter/admin/dashboard.html", _dashboard)
