"""Gardien's WSGI entry point.

The consent API is called by every banner on every page view of the organisation's site,
so it skips Django's middleware stack: it is cookie-less JSON, exempt from CSRF because
it checks the request's Origin itself, and it sets no session, language or page headers.
Every other address goes through the full stack.
"""

import os
from collections.abc import Callable, Iterable
from typing import Any

from django.core.handlers.exception import convert_exception_to_response
from django.core.handlers.wsgi import WSGIHandler
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gardien.settings")

LEAN_PATHS = frozenset({"/api/consent"})


class LeanHandler(WSGIHandler):
    """Django's request handling (URL resolution, the view, errors) without middleware."""

    def load_middleware(self, is_async: bool = False) -> None:
        self._view_middleware: list[Any] = []
        self._template_response_middleware: list[Any] = []
        self._exception_middleware: list[Any] = []
        self._middleware_chain = convert_exception_to_response(self._get_response)  # type: ignore[attr-defined]

    def get_response(self, request: Any) -> Any:
        response = super().get_response(request)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        return response


_full = get_wsgi_application()
_lean = LeanHandler()


def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    if environ.get("PATH_INFO") in LEAN_PATHS:
        return _lean(environ, start_response)
    return _full(environ, start_response)
