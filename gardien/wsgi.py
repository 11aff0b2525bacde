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

``POST /api/audience`` is called on every page view, more often than any other address, so
its usual request is served from the WSGI environ itself (``AudienceHandler``), without
building a request: a POST of ``application/json`` from an allowed origin, on a host
Django's ``get_host`` accepts (the answer kept for each host), that needs no HTTPS
redirect, goes straight to ``gardien.audience.api.count``, and its plain 204 is sent with
the headers SecurityMiddleware and ``state_changing`` gave the first such answer for that
origin and scheme. It sends no request signals: their receivers would cost more than the
view, and the batch writer keeps its database connection right itself (CONN_MAX_AGE, a
dropped connection; gardien/audience/batch.py). Any other answer to such a request (a
refusal, an error) is built as above, with SecurityMiddleware's headers and Django's
logging. Every other request to the address (another method or content type, a redirect,
a foreign host or origin) takes the chain above, request signals included.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Iterable
from types import ModuleType
from typing import Any

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.core.handlers.exception import convert_exception_to_response, response_for_exception
from django.core.handlers.wsgi import WSGIHandler, WSGIRequest
from django.core.signals import request_started, setting_changed
from django.core.wsgi import get_wsgi_application
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.middleware.security import SecurityMiddleware
from django.urls import resolve, set_urlconf
from django.utils.log import log_response

from gardien.security import allowed_origins, state_changing

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


AUDIENCE_PATH = "/api/audience"
#: How many (origin, scheme) header lists, and how many hosts, the audience handler keeps.
MAX_PLAIN = 64
#: The Content-Type of the beacon's page views (gardien/audience/static/audience/beacon.js);
#: any other, even an acceptable spelling of it, goes through the chain and the view.
JSON = "application/json"


#: Headers the plain 204 goes without: no body has no type, and the CORS answers to a
#: pre-flight (OPTIONS, which takes the chain) mean nothing on the POST's own answer. Each
#: header costs the WSGI server's checks on every page view.
NOT_ON_PLAIN = frozenset(
    {
        "content-type",
        "access-control-allow-methods",
        "access-control-allow-headers",
        "access-control-max-age",
    }
)


class AudienceHandler(LeanHandler):
    """The lean handler, with a shorter way for the usual page view (module docstring)."""

    security: SecurityMiddleware
    plain: dict[tuple[str, bool], list[tuple[str, str]]]
    hosts: set[tuple[str | bool | None, ...]]
    proxy_header: tuple[str, str] | None
    api: ModuleType
    client_ip: Callable[[HttpRequest], str]

    def load_middleware(self, is_async: bool = False) -> None:
        super().load_middleware(is_async)
        self.security = SecurityMiddleware(_unused)
        self.plain = {}
        self.hosts = set()
        self.proxy_header = settings.SECURE_PROXY_SSL_HEADER
        # Imported here, once: not before Django is set up, nor on every page view.
        from gardien.audience import api
        from gardien.backoffice.throttle import client_ip

        self.api, self.client_ip = api, client_ip

    def __call__(  # type: ignore[override]  # [] for the plain 204, not a response
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") != "POST":
            return super().__call__(environ, start_response)  # type: ignore[no-any-return]
        origins = allowed_origins()
        secure = self.usual(environ, origins)
        if secure is None:
            request_started.send(sender=self.__class__, environ=environ)
            response = self.get_response(WSGIRequest(environ))
        else:
            # No request signals: their receivers (close_old_connections, close_caches)
            # would cost more than the page view; the batch writer checks its connection
            # itself (gardien/audience/batch.py).
            answered = self.page_view(environ, origins)
            if answered is None:
                start_response("204 No Content", self.plain_headers(environ, secure))
                return []
            response = answered
        response._handler_class = self.__class__  # type: ignore[attr-defined]  # for close()
        start_response(
            f"{response.status_code} {response.reason_phrase}",
            [
                *response.items(),
                *(("Set-Cookie", c.OutputString()) for c in response.cookies.values()),
            ],
        )
        return response  # gunicorn closes it, which sends request_finished

    def usual(self, environ: dict[str, Any], origins: frozenset[str]) -> bool | None:
        """Whether the request is secure, if it is the usual page view: JSON from one of the
        allowed ``origins``, on an allowed host, needing no HTTPS redirect; None for any
        other."""
        origin = environ.get("HTTP_ORIGIN")
        if not origin or environ.get("CONTENT_TYPE") != JSON or origin not in origins:
            return None
        secure = self.is_secure(environ)
        if self.security.redirect and not secure:
            return None  # SecurityMiddleware decides (SECURE_REDIRECT_EXEMPT, SECURE_SSL_HOST)
        host = (
            secure,
            environ.get("HTTP_HOST"),
            environ.get("HTTP_X_FORWARDED_HOST"),
            environ.get("HTTP_X_FORWARDED_PORT"),
            environ.get("SERVER_NAME"),
            environ.get("SERVER_PORT"),
        )  # what Django's get_host reads
        if host not in self.hosts:
            try:
                WSGIRequest(environ).get_host()  # reads neither the body nor the input
            except DisallowedHost:
                return None  # the chain answers Django's 400
            if len(self.hosts) >= MAX_PLAIN:
                self.hosts.clear()
            self.hosts.add(host)
        return secure

    def is_secure(self, environ: dict[str, Any]) -> bool:
        """``HttpRequest.is_secure``, on the environ (SECURE_PROXY_SSL_HEADER, or the scheme
        the WSGI server saw)."""
        if self.proxy_header:
            header, secure_value = self.proxy_header
            value = environ.get(header)
            if value is not None:
                return bool(value.split(",", 1)[0].strip() == secure_value)
        return bool(environ.get("wsgi.url_scheme") == "https")

    def page_view(
        self, environ: dict[str, Any], origins: frozenset[str]
    ) -> HttpResponseBase | None:
        """The view's answer to a usual page view, or None for its plain 204."""
        api, client_ip = self.api, self.client_ip
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        # As Django's request.body: at most the length sent; nothing when it is too large.
        body = environ["wsgi.input"].read(length) if 0 < length <= api.MAX_BODY else b""
        try:
            answered = api.count(
                origin=environ["HTTP_ORIGIN"],
                agent=environ.get("HTTP_USER_AGENT", "") or "",
                address=client_ip(_meta_only(environ)),
                length=length,
                body=body,
                site_origins=origins,
            )
        except Exception as exc:  # as convert_exception_to_response: Django's 500, logged
            request = _request_with_body(environ, body)
            response: HttpResponse = response_for_exception(request, exc)
        else:
            if answered is None:
                return None
            request = _request_with_body(environ, body)
            response = state_changing(lambda _request: answered)(request)  # its CORS headers
        response = self.security.process_response(request, response)
        if response.status_code >= 400:
            log_response(
                "%s: %s", response.reason_phrase, request.path, response=response, request=request
            )
        return response

    def plain_headers(self, environ: dict[str, Any], secure: bool) -> list[tuple[str, str]]:
        """The headers of the plain 204, as state_changing and SecurityMiddleware make them
        for this origin and scheme; built once for each (the settings never change in a
        served process, and a test overriding them rebuilds the handler)."""
        key = (environ["HTTP_ORIGIN"], secure)
        headers = self.plain.get(key)
        if headers is None:
            request = WSGIRequest(environ)
            response = state_changing(lambda _request: HttpResponse(status=204))(request)
            headers = [
                (name, value)
                for name, value in self.security.process_response(request, response).items()
                if name.lower() not in NOT_ON_PLAIN
            ]
            if len(self.plain) >= MAX_PLAIN:
                self.plain.clear()
            self.plain[key] = headers
        return headers


def _meta_only(environ: dict[str, Any]) -> HttpRequest:
    """A request holding only ``META``, for functions that read nothing else
    (``client_ip``): a whole request costs more than a page view's checks."""
    request = HttpRequest.__new__(HttpRequest)
    request.META = environ
    return request


def _request_with_body(environ: dict[str, Any], body: bytes) -> WSGIRequest:
    """The request, for an answer other than the plain 204 (a refusal, an error): its body
    was read already, so it is handed over again for whatever logs the request."""
    return WSGIRequest({**environ, "wsgi.input": io.BytesIO(body)})


def _unused(request: HttpRequest) -> HttpResponseBase:
    raise AssertionError("SecurityMiddleware is called here only for its process_* methods")


_full = get_wsgi_application()
_lean = LeanHandler()
_audience = AudienceHandler()


#: The settings the audience handler's host check depends on (``HttpRequest.get_host``).
HOST_SETTINGS = frozenset(
    {"ALLOWED_HOSTS", "DEBUG", "USE_X_FORWARDED_HOST", "USE_X_FORWARDED_PORT"}
)


def _settings_changed(*, setting: str, **kwargs: Any) -> None:
    """Middleware read their settings once, when built: rebuild both chains when a test
    overrides the middleware list or a SECURE_* setting (``override_settings`` sends this
    signal on entering and on leaving). Settings never change in a served process."""
    if setting in HOST_SETTINGS or setting == "MIDDLEWARE" or setting.startswith("SECURE_"):
        _full.load_middleware()
        _lean.load_middleware()
        _audience.load_middleware()


setting_changed.connect(_settings_changed, dispatch_uid="gardien.wsgi.settings_changed")


def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    path = environ.get("PATH_INFO")
    if path == AUDIENCE_PATH:
        return _audience(environ, start_response)
    if path in LEAN_PATHS:
        return _lean(environ, start_response)  # type: ignore[no-any-return]
    return _full(environ, start_response)  # type: ignore[no-any-return]
