"""What if: Gardien's WSGI application with suggested speed-ups applied from outside.

For the benchmark only (``CONSENT_BENCH_WHATIF``): it measures what a change to Gardien
would bring before anyone makes it. Gardien's code is not changed; each option patches
the running process. ``CONSENT_WHATIF`` is a comma-separated list of:

- ``lean``: ``POST /api/consent`` goes through a second Django handler whose middleware
  is only SecurityMiddleware (no session, language, CSRF, auth, OTP, messages, CSP,
  X-Frame-Options: the API is cookie-less JSON, csrf_exempt, and checks its Origin itself);
- ``autocommit``: the single INSERT runs in autocommit (one statement is one transaction,
  committed before ``execute`` returns) instead of inside ``transaction.atomic``;
- ``nohealth``: no ``CONN_HEALTH_CHECKS`` (on PostgreSQL a ``SELECT 1`` per request);
- ``origins``: ``allowed_origins()`` computed once instead of a ``stat()`` of the manifest
  and a new set per request;
- ``direct``: ``POST /api/consent`` skips Django's handler altogether: a WSGIRequest, the
  Host check, the connections' upkeep (``close_old_connections``) and the view, called
  directly (no URL resolution, no middleware, no request signals); the response's status,
  headers and body are sent as they are.

Serve it with ``gunicorn --pythonpath bench consent_whatif_wsgi:application``.
"""

from __future__ import annotations

import contextlib
import functools
import os
import types
from collections.abc import Callable, Iterable
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gardien.settings")

from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler
from django.core.wsgi import get_wsgi_application

OPTIONS = {o.strip() for o in os.environ.get("CONSENT_WHATIF", "").split(",") if o.strip()}
API_PATH = "/api/consent"
LEAN_MIDDLEWARE = ["django.middleware.security.SecurityMiddleware"]

full = get_wsgi_application()


class LeanHandler(WSGIHandler):
    def load_middleware(self, is_async: bool = False) -> None:
        saved = settings.MIDDLEWARE
        settings.MIDDLEWARE = LEAN_MIDDLEWARE
        try:
            super().load_middleware(is_async)
        finally:
            settings.MIDDLEWARE = saved


lean = LeanHandler() if "lean" in OPTIONS else None

if "autocommit" in OPTIONS:
    from django.db import transaction

    from gardien.consent import services

    services.transaction = types.SimpleNamespace(  # type: ignore[assignment]
        **{**vars(transaction), "atomic": lambda *a, **k: contextlib.nullcontext()}
    )

if "nohealth" in OPTIONS:
    for alias in settings.DATABASES:
        settings.DATABASES[alias]["CONN_HEALTH_CHECKS"] = False
    from django.db import connections

    for alias in settings.DATABASES:
        connections[alias].settings_dict["CONN_HEALTH_CHECKS"] = False

if "origins" in OPTIONS:
    from gardien import security

    security.allowed_origins = functools.cache(security.allowed_origins)


def _direct(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    from django.core.exceptions import DisallowedHost
    from django.core.handlers.wsgi import WSGIRequest
    from django.db import close_old_connections
    from django.http import HttpResponseBadRequest

    from gardien.consent.views import api_consent

    close_old_connections()
    request = WSGIRequest(environ)
    try:
        request.get_host()
        response = api_consent(request)
    except DisallowedHost:
        response = HttpResponseBadRequest()
    status = f"{response.status_code} {response.reason_phrase}"
    start_response(
        status,
        [*response.items(), *(("Set-Cookie", c.OutputString()) for c in response.cookies.values())],
    )
    return [response.content]


def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    if "direct" in OPTIONS and environ.get("PATH_INFO") == API_PATH:
        return _direct(environ, start_response)
    if lean is not None and environ.get("PATH_INFO") == API_PATH:
        return lean(environ, start_response)
    return full(environ, start_response)
