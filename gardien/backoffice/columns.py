"""Columns the back office's pages share.

    from gardien.backoffice.columns import moment

    class ContactMessageAdmin(admin.ModelAdmin):
        received = moment(ContactMessage, "received_at")
        list_display = ("reference", "received", …)

An instant is shown in the organisation's zone with the zone named (gardien.lib.when), the
column titled by the field's verbose name and sorted by the field.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import admin
from django.db import models

from gardien.lib import when


def moment(model: type[models.Model], field: str) -> Callable[[Any, Any], str]:
    """An admin column (or read-only field) showing ``model.field`` through ``when.display``."""

    @admin.display(description=model._meta.get_field(field).verbose_name, ordering=field)  # type: ignore[union-attr]
    def show(model_admin: Any, obj: Any) -> str:
        return when.display(getattr(obj, field))

    return show
