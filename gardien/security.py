"""Protection of state-changing public endpoints.

A hosted form proves itself with Django's CSRF token. A cross-origin call (the
banner or a form embedded in the organisation's site) proves itself with an
``Origin`` header from the manifest's site origins (or Gardien's own address).
A request with neither gets 403 and a sentence saying why.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.views.decorators.csrf import csrf_exempt

View = Callable[..., HttpResponse]


_ORIGINS_TTL = 5.0
_origins_cache: dict[str, tuple[float, frozenset[str]]] = {}


def allowed_origins() -> frozenset[str]:
    """The published policy's site origins and Gardien's own address.

    Asked on every cross-origin call, so it is kept for a few seconds; a new policy
    version clears it at once.
    """
    site_url = settings.SITE_URL.rstrip("/")
    cached = _origins_cache.get(site_url)
    if cached is not None and cached[0] > time.monotonic():
        return cached[1]
    from gardien.policy.services import current_manifest, latest_version

    version = latest_version()
    manifest = version.load() if version is not None else current_manifest()
    origins = frozenset({*manifest.site.origins, site_url})
    _origins_cache[site_url] = (time.monotonic() + _ORIGINS_TTL, origins)
    return origins


def forget_allowed_origins(**kwargs: Any) -> None:
    _origins_cache.clear()


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
