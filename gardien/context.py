"""Template context shared by every page Gardien serves."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from gardien.middleware import language_from_path

NAMES = dict(settings.LANGUAGES)


def page(request: HttpRequest) -> dict[str, Any]:
    path = request.path
    prefix = language_from_path(path)
    rest = path[len(prefix) + 1 :] if prefix else path
    if request.GET:
        rest = f"{rest}?{request.GET.urlencode()}"
    current = getattr(request, "LANGUAGE_CODE", settings.LANGUAGE_CODE)
    links = [
        {"code": code, "name": NAMES[code], "url": f"/{code}{rest}", "current": code == current}
        for code in NAMES
    ]
    return {"language_links": links, "organisation": _organisation()}


def _organisation() -> str:
    from gardien.policy.services import organisation_name

    return organisation_name()
