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
        return obj.task_name

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
