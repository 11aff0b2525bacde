from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from gardien.backoffice.columns import moment
from gardien.backoffice.readonly import ReadOnlyAdminMixin
from gardien.processors import outbox
from gardien.processors.models import OutboxItem

ATTENTION = [OutboxItem.State.DEAD, OutboxItem.State.PENDING, OutboxItem.State.RUNNING]


# What each task of the outbox does, for the DPO who reads a failed one; a task this list
# does not know is shown by its name (the search finds items by that name).
_TASKS = {
    "send_verification": _("email: confirm a rights request"),
    "send_generic_reply": _("email: generic reply to a request about another address"),
    "send_extension": _("email: deadline of a request extended"),
    "send_refusal": _("email: request refused"),
    "send_package_link": _("email: answer with the person's data"),
    "send_done": _("email: a right was carried out"),
    "notify_then_lift": _("email, then restriction lifted"),
    "send_identity_link": _("email: proof of identity asked"),
    "send_contested": _("email: accuracy contested, processing restricted"),
    "send_rectified": _("email: data rectified"),
    "send_decision_then_lift": _("email: decision on accuracy, then restriction lifted"),
    "notify_staff": _("email to the team: a contact message arrived"),
    "acknowledge": _("email: contact message received"),
    "warn_failed_logins": _("email: failed logins on an account"),
    "send_confirmation": _("email: confirm a newsletter sign-up"),
    "send_welcome": _("email: welcome to the newsletter"),
    "sync_processor": _("newsletter processor brought up to date"),
}


def task_in_words(name: str) -> str:
    label = _TASKS.get(name)
    return f"{label} ({name})" if label is not None else name


@admin.register(OutboxItem)
class OutboxItemAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Effects not yet delivered: dead ones need the DPO; pending ones are waiting for a retry.

    An item is dead after its last attempt, or after one attempt when the task raised
    ``outbox.Permanent`` (the processor refused the call); "last error" says why. Read-only;
    "retry now" (permission processors.retry_outboxitem) restarts dead items from attempt 1.
    """

    created_when = moment(OutboxItem, "created_at")
    next_attempt_when = moment(OutboxItem, "next_attempt_at")
    updated_when = moment(OutboxItem, "updated_at")
    list_display = (
        "short_id",
        "task_name",
        "state",
        "attempts",
        "next_attempt_when",
        "last_error",
        "updated_when",
    )
    list_filter = ("state",)
    search_fields = ("=id", "task_path")
    search_help_text = _("Type an item's full id, or part of its task's name, e.g. send_welcome.")
    ordering = ("state", "-updated_at")
    actions = ["retry_now"]
    fields = (
        "id",
        "task_path",
        "arguments",
        "state",
        "attempts",
        "last_error",
        "next_attempt_when",
        "task_result_id",
        "created_when",
        "updated_when",
    )
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[OutboxItem]:
        return super().get_queryset(request).filter(state__in=ATTENTION)

    @admin.display(description=_("id"))
    def short_id(self, obj: OutboxItem) -> str:
        return str(obj.id)[:8]

    @admin.display(description=_("task"), ordering="task_path")
    def task_name(self, obj: OutboxItem) -> str:
        return task_in_words(obj.task_name)

    @admin.action(description=_("Retry now (start again from attempt 1)"), permissions=["retry"])
    def retry_now(self, request: HttpRequest, queryset: QuerySet[OutboxItem]) -> None:
        dead = list(queryset.filter(state=OutboxItem.State.DEAD))
        count = outbox.retry_dead(dead)
        self.message_user(
            request,
            ngettext(
                "%(count)d item will be tried again now.",
                "%(count)d items will be tried again now.",
                count,
            )
            % {"count": count},
            messages.SUCCESS,
        )
        if count < len(dead):
            self.message_user(
                request,
                _("Some items could not be restarted; see their last error."),
                messages.WARNING,
            )
        if len(dead) < queryset.count():
            self.message_user(
                request, _("Only dead items are retried; the others were left."), messages.INFO
            )

    def has_retry_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(f"{self.opts.app_label}.retry_outboxitem")
