from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import URLPattern, URLResolver, path, reverse_lazy
from django.utils.translation import gettext_lazy as _
from django_otp.admin import OTPAdminSite

from gardien.backoffice.forms import GardienLoginForm
from gardien.backoffice.roles import has_role

Page = Callable[[HttpRequest, dict[str, Any]], HttpResponse]
_pages: list[tuple[str, Page, str]] = []
DashboardContext = Callable[[HttpRequest], dict[str, Any]]
_dashboard_blocks: dict[str, DashboardContext] = {}


def add_page(route: str, page: Page, name: str) -> None:
    """Add a page of an app to the back office, at ``/admin/<route>`` (``admin:<name>``).

    The page receives the request and the admin's context; it is shown only to accounts the
    back office lets in (two factors, a role), and checks its own permission.
    """
    _pages.append((route, page, name))


def add_dashboard_block(template: str, context: DashboardContext) -> None:
    """Show a block of an app on the back office's home page: ``template`` rendered with
    ``context(request)``, for every account the back office lets in.

    The block decides what each account sees (its template has ``perms``); keep to what any
    role may read, such as counts, and link to pages that check their own permission.
    """
    _dashboard_blocks[template] = context


class GardienAdminSite(OTPAdminSite):
    """Django's admin with two-factor authentication and Gardien's roles.

    A page opens only for an active staff account, verified by a one-time code in this
    session (django-otp), that holds a role (see roles.py) or is a superuser. Anyone
    else is sent to the login page.
    """

    site_header = _("Gardien — back office")
    site_title = _("Gardien")
    index_title = _("Back office")
    # "View site" opens the public pages Gardien serves (the privacy policy), which exist in
    # every deployment; "/" is the demo site's, a 404 in production.
    site_url = reverse_lazy("policy")
    index_template = "backoffice/index.html"
    login_form = GardienLoginForm
    login_template = "backoffice/login.html"

    def __init__(self, name: str = "admin") -> None:
        super().__init__(name)

    def has_permission(self, request: HttpRequest) -> bool:
        return super().has_permission(request) and has_role(request.user)

    def index(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> TemplateResponse:
        blocks = [
            render_to_string(template, context(request), request=request)
            for template, context in _dashboard_blocks.items()
        ]
        return super().index(request, {"dashboard_blocks": blocks, **(extra_context or {})})

    def get_urls(self) -> list[URLResolver | URLPattern]:
        extra: list[URLResolver | URLPattern] = [
            path(route, self.admin_view(self._page_view(page)), name=name)
            for route, page, name in _pages
        ]
        return extra + super().get_urls()

    def _page_view(self, page: Page) -> Callable[[HttpRequest], HttpResponse]:
        def view(request: HttpRequest) -> HttpResponse:
            return page(request, dict(self.each_context(request)))

        return view
