"""Rights requests in the back office (the DPO's queue). Only the DPO role sees them."""

from __future__ import annotations

from django.contrib import admin

from gardien.backoffice.readonly import ReadOnlyAdminMixin
from gardien.rights.models import RightsRequest


@admin.register(RightsRequest)
class RightsRequestAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("reference", "channel", "state", "received_at", "due_at", "extended_to")
    list_filter = ("state", "channel")
    ordering = ("due_at",)
    fields = (
        "reference",
        "channel",
        "state",
        "rights",
        "received_at",
        "due_at",
        "extended_to",
        "verified_at",
        "answered_at",
        "closed_at",
    )
    readonly_fields = fields
