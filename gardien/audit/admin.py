from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from gardien.audit.models import AuditCheckpoint, AuditEntry
from gardien.backoffice.readonly import ReadOnlyAdminMixin


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Audit rows are evidence: shown, never added, edited or deleted here."""

    list_display = ("position", "at", "actor", "action", "target", "reason")
    list_filter = ("action", "actor_kind")
    search_fields = ("=target_ref",)
    search_help_text = _("Exact pseudonymous id of the target, e.g. a person's UUID.")
    ordering = ("-position",)
    # Counting a long log on every page costs more than it tells.
    show_full_result_count = False
    fields = (
        "position",
        "at",
        "actor_kind",
        "actor_ref",
        "action",
        "target_type",
        "target_ref",
        "reason",
        "prev_hash",
        "hash",
        "key_id",
    )
    readonly_fields = fields

    @admin.display(description=_("actor"), ordering="actor_ref")
    def actor(self, obj: AuditEntry) -> str:
        return f"{obj.actor_kind}:{obj.actor_ref}"

    @admin.display(description=_("target"), ordering="target_ref")
    def target(self, obj: AuditEntry) -> str:
        return f"{obj.target_type}:{obj.target_ref}" if obj.target_ref else obj.target_type


@admin.register(AuditCheckpoint)
class AuditCheckpointAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("position", "at", "purged_at", "business_now", "count", "hash")
    ordering = ("-position",)
    fields = ("position", "hash", "at", "purged_at", "business_now", "count", "key_id", "mac")
    readonly_fields = fields
