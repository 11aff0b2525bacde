from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.db.models import CharField, OuterRef, QuerySet, Subquery
from django.db.models.functions import Cast
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from gardien.audit import words
from gardien.audit.models import AuditCheckpoint, AuditEntry
from gardien.backoffice import roles, trail
from gardien.backoffice.columns import moment
from gardien.backoffice.readonly import ReadOnlyAdminMixin
from gardien.lib import when


def _username_of(ref_field: str) -> Subquery:
    """The username of the account whose pk is stored as text in ``ref_field`` (or None).

    Compared as text, so a reference that is not an account's pk simply finds nothing."""
    users = (
        get_user_model()
        .objects.annotate(ref=Cast("pk", CharField()))
        .filter(ref=OuterRef(ref_field))
    )
    return Subquery(users.values(get_user_model().USERNAME_FIELD)[:1])


class ActionFilter(admin.SimpleListFilter):
    title = _("action")
    parameter_name = "action"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        codes = AuditEntry.objects.order_by().values_list("action", flat=True).distinct()
        return words.action_choices(list(codes))

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        return queryset.filter(action=value) if value else queryset


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Audit rows are evidence: shown, never added, edited or deleted here. Their codes are
    shown in words (gardien.audit.words); the stored codes stay on the entry's page."""

    list_display = ("position", "moment", "actor", "action_words", "target", "short_reason")
    list_filter = (ActionFilter, "actor_kind")
    search_fields = ("=target_ref",)
    search_help_text = _("Exact pseudonymous id of the target, e.g. a person's UUID.")
    ordering = ("-position",)
    # Counting a long log on every page costs more than it tells.
    show_full_result_count = False
    fields = (
        "position",
        "moment",
        "actor",
        "action_words",
        "target",
        "reason",
        "actor_kind",
        "actor_ref",
        "action",
        "target_type",
        "target_ref",
        "prev_hash",
        "hash",
        "key_id",
    )
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[AuditEntry]:
        return (
            super()
            .get_queryset(request)
            .annotate(
                actor_username=_username_of("actor_ref"), target_username=_username_of("target_ref")
            )
        )

    @admin.display(description=_("date"), ordering="at")
    def moment(self, obj: AuditEntry) -> str:
        return when.display(obj.at)

    @admin.display(description=_("by"), ordering="actor_ref")
    def actor(self, obj: AuditEntry) -> str:
        username = getattr(obj, "actor_username", None)
        return words.actor(obj.actor_kind, obj.actor_ref, username=username)

    @admin.display(description=_("action"), ordering="action")
    def action_words(self, obj: AuditEntry) -> str:
        return words.action(obj.action)

    @admin.display(description=_("reason"))
    def short_reason(self, obj: AuditEntry) -> str:
        if obj.target_type == trail.ACCOUNT and obj.action in ("create", "change_roles"):
            return roles.slugs_in_words(obj.reason)  # the account's roles, by their names
        return words.reason(obj.reason)

    @admin.display(description=_("concerning"), ordering="target_ref")
    def target(self, obj: AuditEntry) -> str:
        username = getattr(obj, "target_username", None)
        return words.target(obj.target_type, obj.target_ref, username=username)


@admin.register(AuditCheckpoint)
class AuditCheckpointAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    at_when = moment(AuditCheckpoint, "at")
    purged_when = moment(AuditCheckpoint, "purged_at")
    business_when = moment(AuditCheckpoint, "business_now")
    list_display = ("position", "at_when", "purged_when", "business_when", "count", "hash")
    ordering = ("-position",)
    fields = (
        "position",
        "hash",
        "at_when",
        "purged_when",
        "business_when",
        "count",
        "key_id",
        "mac",
    )
    readonly_fields = fields
