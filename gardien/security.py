"""Protection of state-changing public endpoints.

A hosted form proves itself with Django's CSRF token. A cross-origin call (the
banner or a form embedded in the organisation's site) proves itself with an
``Origin`` header from the manifest's site origins (or Gardien's own address).
A request with neither gets 403 and a sentence saying why.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.views.decorators.csrf import csrf_exempt

View = Callable[..., HttpResponse]


def allowed_origins() -> frozenset[str]:
    """The published policy's site origins and Gardien's own address.

    Asked on every cross-origin call; the published-policy service keeps the version and
    its origins in memory.
    """
    from gardien.policy import services as policy

    site_url = settings.SITE_URL.rstrip("/")
    current = policy.published()
    if current is None:
        return frozenset({site_url})
    return current.origins | {site_url}


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
                return _forbidden(
                    "This site is not allowed to call Gardien; add its origin to "
                    "[site] origins in the manifest."
                )
            return _cors(HttpResponse(status=204), origin)
        if allowed:
            return _cors(view(request, *args, **kwargs), origin)
        if origin and origin != request.build_absolute_uri("/").rstrip("/"):
            return _forbidden(
                "This site is not allowed to call Gardien; add its origin to "
                "[site] origins in the manifest."
            )
        if not _csrf_ok(request):
            return _forbidden(
                "The form has expired or did not come from this site; reload the "
                "page and try again."
            )
        return view(request, *args, **kwargs)

    return wrapper
