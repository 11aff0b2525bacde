"""Protection of state-changing public endpoints.

A hosted form proves itself with Django's CSRF token. A cross-origin call (the
banner or a form embedded in the organisation's site) proves itself with an
``Origin`` header from the allowed site origins (``gardien site add-origin``) or Gardien's
own address.
A request with neither gets 403 and a sentence saying why.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.views.decorators.csrf import csrf_exempt

View = Callable[..., HttpResponse]


def allowed_origins() -> frozenset[str]:
    """The site origins allowed in the site settings (``gardien site add-origin``) and
    Gardien's own address.

    Asked on every cross-origin call; the site settings keep the list in memory and read it
    again every few seconds (gardien/site/services.py).
    """
    global _union
    from gardien.site import services as site  # models: not before Django is set up (wsgi)

    listed, own = site.allowed(), site.own_origin()
    union = _union
    if union is None or union[0] is not listed or union[1] != own:
        # Joined again only when the list was read again: every page view asks.
        union = _union = (listed, own, listed | {own})
    return union[2]


_union: tuple[frozenset[str], str, frozenset[str]] | None = None


def origin_allowed(origin: str) -> bool:
    """Whether ``origin`` may call Gardien; a refused one is noted for the back office."""
    if origin in allowed_origins():
        return True
    _note_refused(origin)
    return False


def _note_refused(origin: str) -> None:
    from gardien.site import services as site

    site.note_refused(origin)


def _not_allowed(origin: str) -> JsonResponse:
    return _forbidden(
        f"This site ({origin[:100]}) is not allowed to call Gardien; add its origin with "
        f"`gardien site add-origin {origin[:100]}` or in the back office (Site settings)."
    )


def _csrf_ok(request: HttpRequest) -> bool:
    middleware = CsrfViewMiddleware(lambda r: HttpResponse())
    return middleware.process_view(request, lambda r: HttpResponse(), (), {}) is None


def _forbidden(message: str) -> JsonResponse:
    return JsonResponse({"error": "forbidden", "message": message}, status=403)


def _cors(response: HttpResponse, origin: str) -> HttpResponse:
    response["Access-Control-Allow-Origin"] = origin
    response["Access-Control-Allow-Methods"] = "POST, OPTIONS"
    response["Access-Control-Allow-Headers"] = "Content-Type"
    response["Access-Control-Max-Age"] = "600"
    response["Vary"] = ", ".join(filter(None, [response.get("Vary"), "Origin"]))
    return response


def state_changing(view: View) -> View:
    """Accept a POST with a valid CSRF token or from an allowed ``Origin``; else 403.

    Pre-flight ``OPTIONS`` requests from allowed origins get the CORS answer.
    """

    @csrf_exempt
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        origin = request.META.get("HTTP_ORIGIN", "")  # not request.headers: hot path
        allowed = origin in allowed_origins() if origin else False
        if request.method == "OPTIONS":
            if not allowed:
                _note_refused(origin)
                return _not_allowed(origin)
            return _cors(HttpResponse(status=204), origin)
        if allowed:
            return _cors(view(request, *args, **kwargs), origin)
        if origin and origin != request.build_absolute_uri("/").rstrip("/"):
            _note_refused(origin)
            return _not_allowed(origin)
        if not _csrf_ok(request):
            return _forbidden(
                "The form has expired or did not come from this site; reload the "
                "page and try again."
            )
        return view(request, *args, **kwargs)

    return wrapper
