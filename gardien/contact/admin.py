"""Contact messages in the back office: the staff and the DPO read and mark them answered;
every opening of a message is audited. Messages are never edited or deleted by hand: erasure
goes through rights requests and retention. The dashboard shows every role how many arrived
and how many wait for an answer."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.defaultfilters import linebreaks_filter
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from gardien.audit.services import Actor, record
from gardien.backoffice.columns import moment
from gardien.backoffice.site import add_dashboard_block
from gardien.contact import services
from gardien.contact.models import ContactMessage
from gardien.lib import clock


class AnsweredFilter(admin.SimpleListFilter):
    title = _("answered")
    parameter_name = "answered"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("no", _("not yet")), ("yes", _("answered"))]

    def queryset(
        self, request: HttpRequest, queryset: QuerySet[ContactMessage]
    ) -> QuerySet[ContactMessage]:
        if self.value() in ("yes", "no"):
            return queryset.filter(answered_at__isnull=self.value() == "no")
        return queryset


def _audit(request: HttpRequest, action: str, message: ContactMessage) -> None:
    record(
        actor=Actor.staff(request.user),
        action=action,
        target_type=ContactMessage._meta.label_lower,
        target_ref=str(message.pk),
        reason="back office",
    )


@admin.register(ContactMessage)
class ContactMessageAdmin(admin.ModelAdmin):
    answered_when = moment(ContactMessage, "answered_at")
    received_when = moment(ContactMessage, "received_at")
    list_display = ("reference", "received_when", "answered", "notified")
    list_filter = (AnsweredFilter,)
    search_fields = ("reference",)
    search_help_text = _("Type the message's reference, e.g. C-7KQ2M9XW4P.")
    fields = ("reference", "received_when", "content", "lang", "policy_version", "answered_when")
    readonly_fields = fields
    actions = ["mark_answered"]
    show_full_result_count = False

    # Words, not Django's icons: their text for a screen reader is "True" / "False" in English.
    @admin.display(description=_("answered"), ordering="answered_at")
    def answered(self, obj: ContactMessage) -> str:
        return str(_("answered") if obj.answered_at is not None else _("not yet"))

    @admin.display(description=_("staff notified"), ordering="notified_at")
    def notified(self, obj: ContactMessage) -> str:
        return str(_("yes") if obj.notified_at is not None else _("no"))

    @admin.display(description=_("message"))
    def content(self, obj: ContactMessage) -> str:
        # Everything the visitor typed is text: escaped here, line breaks kept.
        rows = [
            (label, linebreaks_filter(value, autoescape=True))
            for label, value in services.labelled_answers(obj, obj.lang)
        ]
        return format_html_join("", '<div class="answer"><strong>{}</strong>{}</div>', rows)

    @admin.action(description=_("Mark as answered"), permissions=["change"])
    def mark_answered(self, request: HttpRequest, queryset: QuerySet[ContactMessage]) -> None:
        now = clock.now()
        pending = list(queryset.filter(answered_at__isnull=True))
        for message in pending:
            _audit(request, "answer", message)
        ContactMessage.objects.filter(pk__in=[m.pk for m in pending]).update(answered_at=now)
        self.message_user(
            request,
            ngettext(
                "%(count)d message marked as answered.",
                "%(count)d messages marked as answered.",
                len(pending),
            )
            % {"count": len(pending)},
            messages.SUCCESS,
        )

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        message = ContactMessage.objects.filter(pk=object_id).first() if _uuid(object_id) else None
        if message is not None and request.method == "GET" and self.has_view_permission(request):
            _audit(request, "view", message)
        return super().change_view(request, object_id, form_url, extra_context)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


def _dashboard(request: HttpRequest) -> dict[str, Any]:
    return services.counts()


# Counts for every role (they are not personal data); the link for those who may read.
add_dashboard_block("contact/admin/dashboard.html", _dashboard)


def _uuid(value: str) -> bool:
    import uuid

    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True
