from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, URLResolver, path
from django.utils.translation import gettext_lazy as _
from django_otp.admin import OTPAdminSite

from gardien.backoffice.forms import GardienLoginForm
from gardien.backoffice.roles import has_role
from gardien.manifest import ManifestError
from gardien.policy import register
from gardien.policy.services import current_manifest, latest_version


class GardienAdminSite(OTPAdminSite):
    """Django's admin with two-factor authentication and Gardien's roles.

    A page opens only for an active staff account, verified by a one-time code in this
    session (django-otp), that holds a role (see roles.py) or is a superuser. Anyone
    else is sent to the login page.
    """

    site_header = _("Gardien — back office")
    site_title = _("Gardien")
    index_title = _("Back office")
    index_template = "backoffice/index.html"
    login_form = GardienLoginForm
    login_template = "backoffice/login.html"

    def __init__(self, name: str = "admin") -> None:
        super().__init__(name)

    def has_permission(self, request: HttpRequest) -> bool:
        return super().has_permission(request) and has_role(request.user)

    def get_urls(self) -> list[URLResolver | URLPattern]:
        extra: list[URLResolver | URLPattern] = [
            path("register/", self.admin_view(self.register_view), name="register"),
        ]
        return extra + super().get_urls()

    def register_view(self, request: HttpRequest) -> HttpResponse:
        if not request.user.has_perm("policy.view_policyversion"):
            raise PermissionDenied
        language = request.GET.get("language", request.LANGUAGE_CODE)
        if language not in ("fr", "en"):
            language = "fr"
        context: dict[str, Any] = {**self.each_context(request), "title": _("Record of processing")}
        try:
            manifest = current_manifest()
        except ManifestError as exc:
            context["problems"] = exc.lines()
            return TemplateResponse(request, "backoffice/register.html", context, status=500)
        context.update(register.context(register.build(manifest, language)))
        latest = latest_version()
        context["published"] = (
            latest is not None and latest.content_hash == context["register"]["manifest_hash"]
        )
        context["latest"] = latest
        context["language"] = language
        return TemplateResponse(request, "backoffice/register.html", context)
