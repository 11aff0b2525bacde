"""The example organisation's own site page, served by `make run` to show the integration.

In production the organisation's real site (Framer, WordPress, static) links to
Gardien instead; this page stands in for it and is off unless GARDIEN_DEMO_SITE.
"""

from __future__ import annotations

from django.conf import settings
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_safe

ASSETS = {
    "site.css": "text/css; charset=utf-8",
    "tracker.js": "text/javascript; charset=utf-8",
    "audience.js": "text/javascript; charset=utf-8",
    "embed.html": "text/html; charset=utf-8",
}


def _site_dir():  # type: ignore[no-untyped-def]
    return settings.GARDIEN_MANIFEST.parent / "site"


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    if not settings.GARDIEN_DEMO_SITE:
        raise Http404
    page = _site_dir() / "index.html"
    if not page.is_file():
        raise Http404
    return HttpResponse(page.read_text(encoding="utf-8"), content_type="text/html; charset=utf-8")


@require_safe
def asset(request: HttpRequest, name: str) -> FileResponse:
    if not settings.GARDIEN_DEMO_SITE or name not in ASSETS:
        raise Http404
    file = _site_dir() / name
    if not file.is_file():
        raise Http404
    response = FileResponse(file.open("rb"), content_type=ASSETS[name])
    if name == "embed.html":
        # The demo embed is framed by the demo page itself (same origin), nothing else.
        response["X-Frame-Options"] = "SAMEORIGIN"
        response["Content-Security-Policy"] = "default-src 'none'; frame-ancestors 'self'"
    return response
