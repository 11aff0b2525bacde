from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from gardien.policy.models import PolicyVersion


@admin.register(PolicyVersion)
class PolicyVersionAdmin(admin.ModelAdmin):
    """Published versions are evidence: they can be read, never edited or deleted here."""

    list_display = ("number", "published_at", "note", "short_hash")
    readonly_fields = ("number", "published_at", "note", "content_hash", "source")
    exclude = ("manifest",)

    @admin.display(description=_("fingerprint"))
    def short_hash(self, obj: PolicyVersion) -> str:
        return obj.content_hash[:12]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
