"""Gardien's WSGI entry point: ``gunicorn gardien.wsgi`` serves ``application``.

Every address goes through Django's full middleware stack (``settings.MIDDLEWARE``), except
the addresses in ``LEAN_PATHS``, which a short, fixed chain serves instead, built only from
Django's public classes and functions:

    SecurityMiddleware → Host check (ALLOWED_HOSTS) → URL resolution → the view

each layer wrapped in ``convert_exception_to_response``, as Django wraps every middleware.
So a lean address keeps, exactly as the full stack does:

- the Host check: a host outside ALLOWED_HOSTS gets Django's 400 (``DisallowedHost``);
- SecurityMiddleware, configured by the same settings: the HTTPS redirect
  (SECURE_SSL_REDIRECT), Strict-Transport-Security (SECURE_HSTS_*), X-Content-Type-Options
  (SECURE_CONTENT_TYPE_NOSNIFF), Referrer-Policy (SECURE_REFERRER_POLICY) and
  Cross-Origin-Opener-Policy (SECURE_CROSS_ORIGIN_OPENER_POLICY). No header is added here
  by hand: they all come from those settings;
- Django's request cycle (``WSGIHandler``): the ``request_started`` and ``request_finished``
  signals, so database connections are opened, kept (CONN_MAX_AGE) and checked as usual;
  errors turned into Django's 4xx/5xx answers and logged as usual.

What it leaves out: sessions, WhiteNoise, language, CommonMiddleware, CSRF, authentication,
messages, X-Frame-Options and the Content-Security-Policy.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.core.handlers.exception import convert_exception_to_response
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import setting_changed
from django.core.wsgi import get_wsgi_application
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.middleware.security import SecurityMiddleware
from django.urls import resolve, set_urlconf
from django.utils.log import log_response

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gardien.settings")

# The addresses served without the full middleware stack. The consent API is called by the
# banner on every page view of the organisation's sites, so it is the hot path; the contact
# API writes a message through the vault, and the middleware would add a tenth to its cost.
# An address belongs here only if its view:
# - sets no cookie and reads no session, user or message (none of that runs), and finds its
#   language itself (gardien.middleware.language_from_header);
# - protects itself against cross-site requests: it is CSRF-exempt and checks the Origin
#   (``gardien.security.state_changing``; tests/consent/test_wsgi_fast_path.py checks this);
# - answers JSON or nothing, never a page (no Content-Security-Policy, no X-Frame-Options).
LEAN_PATHS = frozenset(
    {"/api/consent", "/api/contact", "/api/newsletter/subscribe", "/api/audience"}
)


def _host_checked_view(request: HttpRequest) -> HttpResponseBase:
    """The Host check, then the view the address resolves to.

    In the full stack CommonMiddleware asks for the host on every request, which validates
    it against ALLOWED_HOSTS; here it is asked first, so a foreign host never reaches the
    view: ``DisallowedHost`` becomes Django's 400 in ``convert_exception_to_response``.
    """
    request.get_host()
    match = resolve(request.path_info)
    request.resolver_match = match
    return match.func(request, *match.args, **match.kwargs)  # type: ignore[no-any-return]


class LeanHandler(WSGIHandler):
    """Django's WSGI handler with the fixed chain of ``LEAN_PATHS`` instead of MIDDLEWARE."""

    chain: Callable[[HttpRequest], Any]  # convert_exception_to_response(SecurityMiddleware(…))

    def load_middleware(self, is_async: bool = False) -> None:
        # Called once by WSGIHandler.__init__ (SecurityMiddleware reads its settings there),
        # and again when a test overrides those settings (see _settings_changed below).
        self.chain = convert_exception_to_response(
            SecurityMiddleware(convert_exception_to_response(_host_checked_view))
        )

    def get_response(self, request: HttpRequest) -> HttpResponseBase:
        # As BaseHandler.get_response does, with this handler's chain.
        set_urlconf(settings.ROOT_URLCONF)
        response: HttpResponse = self.chain(request)
        # The answers of these views never stream, so the request's uploaded files (if a
        # client sent any) can be closed now rather than when the response is.
        request.close()
        if response.status_code >= 400:
            log_response(
                "%s: %s",
                response.reason_phrase,
                request.path,
                response=response,
                request=request,
            )
        return response


_full = get_wsgi_application()
_lean = LeanHandler()


def _settings_changed(*, setting: str, **kwargs: Any) -> None:
    """Middleware read their settings once, when built: rebuild both chains when a test
    overrides the middleware list or a SECURE_* setting (``override_settings`` sends this
    signal on entering and on leaving). Settings never change in a served process."""
    if setting == "MIDDLEWARE" or setting.startswith("SECURE_"):
        _full.load_middleware()
        _lean.load_middleware()


setting_changed.connect(_settings_changed, dispatch_uid="gardien.wsgi.settings_changed")


def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    if environ.get("PATH_INFO") in LEAN_PATHS:
        return _lean(environ, start_response)  # type: ignore[no-any-return]
    return _full(environ, start_response)  # type: ignore[no-any-return]
