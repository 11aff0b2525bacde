"""The policy in the back office: published versions, the draft's differences, and the
record of processing activities (GDPR Art. 30) with its processor registry."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from gardien.backoffice.readonly import ReadOnlyAdminMixin
from gardien.backoffice.site import add_page
from gardien.manifest import wording as say
from gardien.policy import register
from gardien.policy import services as policy
from gardien.policy.models import PolicyVersion


def _language(request: HttpRequest) -> str:
    language = request.GET.get("language", request.LANGUAGE_CODE)
    return language if language in say.LANGUAGES else say.DEFAULT_LANGUAGE


@admin.register(PolicyVersion)
class PolicyVersionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Published versions are evidence: they can be read, never edited or deleted here."""

    list_display = ("number", "published_at", "note", "short_hash")
    readonly_fields = ("number", "published_at", "note", "content_hash", "source")
    exclude = ("manifest",)

    @admin.display(description=_("fingerprint"))
    def short_hash(self, obj: PolicyVersion) -> str:
        return obj.content_hash[:12]

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        extra = {"draft": policy.draft_changes(_language(request)), **(extra_context or {})}
        return super().changelist_view(request, extra)


def record_of_processing(request: HttpRequest, context: dict[str, Any]) -> HttpResponse:
    """The published record of processing, and what the draft on disk would change."""
    if not request.user.has_perm("policy.view_policyversion"):
        raise PermissionDenied
    language = _language(request)
    draft = policy.draft_changes(language)
    context.update({"title": _("Record of processing"), "language": language, "draft": draft})
    current = policy.published()
    if current is not None:
        context.update(register.context(register.build(current.manifest, language)))
    status = 500 if draft.problems else 200
    return TemplateResponse(request, "policy/admin/register.html", context, status=status)


add_page("register/", record_of_processing, "register")
