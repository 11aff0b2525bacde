"""The back office's read-only pages."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.http import HttpRequest


class ReadOnlyAdminMixin:
    """A ModelAdmin that shows rows and never adds, edits or deletes them.

    These rows are evidence: audit entries, proofs of consent, published policy versions,
    effects owed to processors, a person's data. They change only through Gardien's own
    audited paths (a new audit entry, a new proof, a rights request, a retry), never by
    hand in a form, so that what the back office shows is what happened. Put it before
    ``admin.ModelAdmin``::

        class AuditEntryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin): ...

    A page may still offer its own actions (set ``actions``, each with its permission).
    """

    # No bulk actions unless the admin names its own, so no "delete selected" either.
    actions: Sequence[Any] | None = None

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
