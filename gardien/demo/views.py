"""The example organisation's own site, served by `make run` to show the integration.

In production the organisation's real site (Framer, WordPress, static) links to Gardien
instead; these pages stand in for it and are off unless GARDIEN_DEMO_SITE. They share one
layout (demo/layout.html): the navigation between the pages, the one banner tag (which also
loads Gardien's audience beacon, so the statistics show these pages' views), the gated
tracker stand-in and the footer with the privacy links, as every page of a real site would.
The stand-in tracker and the embed are the files next to the manifest (its ``site`` folder).

    /            the home page, in the browser's language (/fr/, /en/ in one)
    /demo/offer/, /demo/contact/, /demo/newsletter/, /demo/legal/   (and /fr/…, /en/…)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_safe

from gardien.policy import services as policy

ASSETS = {
    "site.css": "text/css; charset=utf-8",
    "tracker.js": "text/javascript; charset=utf-8",
    "embed.html": "text/html; charset=utf-8",
}

# The header's menu, in its order: (URL name, label). The legal notice is in the footer.
MENU = (
    ("demo-home", _("Home")),
    ("demo-offer", _("Our offer")),
    ("demo-contact", _("Contact")),
    ("demo-newsletter", _("Newsletter")),
)


def _site_dir() -> Path:
    return settings.GARDIEN_MANIFEST.parent / "site"


def _served() -> None:
    """The demo site exists when it is switched on and its stand-in files are there."""
    if not settings.GARDIEN_DEMO_SITE or not _site_dir().is_dir():
        raise Http404


def _page(
    request: HttpRequest,
    name: str,
    template: str,
    context: dict[str, Any] | None = None,
    status: int = 200,
) -> HttpResponse:
    _served()
    lang = request.LANGUAGE_CODE
    menu = [
        {
            "url": reverse(f"{url_name}-lang", kwargs={"lang": lang}),
            "label": label,
            "current": url_name == name,
        }
        for url_name, label in MENU
    ]
    return render(
        request,
        template,
        {"current": name, "menu": menu, "lang": lang, **(context or {})},
        status=status,
    )


@require_safe
def home(request: HttpRequest, lang: str | None = None) -> HttpResponse:
    return _page(request, "demo-home", "demo/home.html")


@require_safe
def offer(request: HttpRequest, lang: str | None = None) -> HttpResponse:
    return _page(request, "demo-offer", "demo/offer.html")


@require_safe
def contact(request: HttpRequest, lang: str | None = None) -> HttpResponse:
    return _page(request, "demo-contact", "demo/contact.html")


@require_safe
def newsletter(request: HttpRequest, lang: str | None = None) -> HttpResponse:
    return _page(request, "demo-newsletter", "demo/newsletter.html")


@require_safe
def legal_notice(request: HttpRequest, lang: str | None = None) -> HttpResponse:
    """The legal notice: who publishes the site, read from the published manifest."""
    current = policy.published()
    if current is None:
        return _page(request, "demo-legal", "demo/legal.html", {"manifest": None}, status=503)
    manifest = current.manifest
    context = {
        "manifest": manifest,
        "authority_name": manifest.authority.full_name.get(request.LANGUAGE_CODE),
    }
    return _page(request, "demo-legal", "demo/legal.html", context)


@require_safe
def asset(request: HttpRequest, name: str) -> FileResponse:
    if not settings.GARDIEN_DEMO_SITE or name not in ASSETS:
        raise Http404
    file = _site_dir() / name
    if not file.is_file():
        raise Http404
    response = FileResponse(file.open("rb"), content_type=ASSETS[name])
    if name == "embed.html":
        # The demo embed is framed by the demo pages themselves (same origin), nothing else.
        response["X-Frame-Options"] = "SAMEORIGIN"
        response["Content-Security-Policy"] = "default-src 'none'; frame-ancestors 'self'"
    return response
